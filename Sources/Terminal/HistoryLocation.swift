/// Where the interactive history file lives.
public enum HistoryLocation {
    /// `RETUNE_HISTORY` if set and non-empty; else `$XDG_STATE_HOME/retune/history` when
    /// `XDG_STATE_HOME` is an absolute path (the XDG spec ignores relative ones); else
    /// `$HOME/.local/state/retune/history`. Nil when none of these can be formed (no `HOME`).
    public static func path(environment: [String: String]) -> String? {
        if let explicit = environment["RETUNE_HISTORY"], !explicit.isEmpty {
            return explicit
        }
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") {
            return join(state, "retune/history")
        }
        if let home = environment["HOME"], !home.isEmpty {
            return join(home, ".local/state/retune/history")
        }
        return nil
    }

    private static func join(_ base: String, _ rest: String) -> String {
        var base = base
        while base.count > 1 && base.hasSuffix("/") { base.removeLast() }
        return base == "/" ? "/" + rest : base + "/" + rest
    }
}
