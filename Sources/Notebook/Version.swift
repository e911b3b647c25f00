/// retune's version, recorded with every run and printed by `--version`.
public enum RetuneVersion {
    public static let string = "0.1.0"
}
