/// A seeded mutation fuzzer for the lexer and parser (`retune-fuzz`, LanguageTests, and the
/// libFuzzer entry in Fuzz/): mutates command lines and checks what every parse must satisfy.
/// Deterministic for a seed, so a failure reproduces from its input number.
public struct ParserFuzzer {
    /// What a run found.
    public struct Report: Sendable {
        public var inputs = 0
        public var invariantFailures: [String] = []
        /// The slowest single input, in nanoseconds of `clock` time.
        public var slowestNanos: UInt64 = 0
        public var slowestInput = ""
    }

    /// Pieces the mutator splices in: the language's tokens and some hostile ones.
    static let dictionary = ["train", "runs", "where", "sql", "select", "price@3", "@latest", "#12", "_", "_4",
                             "param.lr", "and", "or", "not", "in", "like", "[", "]", "(", ")", ",", ":", ";",
                             "\n", "\r\n", "\r", "=", "!=", "<", "<=", ">=", "==", "+", "-", "*", "/", "-1", ".5",
                             "1e-6", "1e999", "0x1f", "\"s\"", "'q'", "\"open", "'", "\"", "\\", "\\\n", "# c\n",
                             "min(", "\\q", "é", "🇫🇷", "\u{0}", "\u{7}", "\u{FEFF}", "\u{2028}", " ", "\t"]

    var rng: SplitMix64

    public init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    mutating func next() -> UInt64 { rng.next() }

    mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }

    /// One mutation of `seed` (1–4 edits on its UTF-8 bytes; the result may be invalid UTF-8,
    /// decoded with replacement as a file would be).
    public mutating func mutate(_ seed: String, with others: [String]) -> String {
        var bytes = Array(seed.utf8)
        for _ in 0...below(4) {
            let at = below(bytes.count + 1)
            switch below(8) {
            case 0: if !bytes.isEmpty { bytes[min(at, bytes.count - 1)] ^= UInt8(1 << below(8)) }
            case 1: bytes.insert(UInt8(truncatingIfNeeded: next()), at: at)
            case 2: if at < bytes.count { bytes.removeSubrange(at..<min(bytes.count, at + 1 + below(8))) }
            case 3: bytes.insert(contentsOf: Array(Self.dictionary[below(Self.dictionary.count)].utf8), at: at)
            case 4:   // duplicate a range
                let end = min(bytes.count, at + below(16))
                bytes.insert(contentsOf: bytes[at..<end], at: end)
            case 5:   // splice in part of another input
                if let other = others.isEmpty ? nil : Array(others[below(others.count)].utf8), !other.isEmpty {
                    let from = below(other.count)
                    bytes.insert(contentsOf: other[from..<min(other.count, from + below(40))], at: at)
                }
            case 6:   // nesting
                let opener = ["[", "(", "min(", "- ", "not "][below(5)]
                bytes.insert(contentsOf: Array(String(repeating: opener, count: 1 + below(200)).utf8), at: at)
            default:
                if at < bytes.count { bytes[at] = Array(Self.dictionary[below(Self.dictionary.count)].utf8).first ?? 32 }
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Parses `source` (with and without `sql` as a raw-tail verb, and split as a script) and
    /// returns a description of the first broken invariant, or nil.
    public static func check(_ source: String) -> String? {
        let byteCount = source.utf8.count
        for rawTail in [Set<String>(), ["sql"]] {
            switch Parser.parse(source, rawTail: rawTail) {
            case .commands(let commands):
                for c in commands {
                    if c.span.start.offset < 0 || c.span.end.offset > byteCount || c.span.start.offset > c.span.end.offset {
                        return "command span \(c.span) outside the input (\(byteCount) bytes)"
                    }
                    if c.verb.isEmpty { return "empty verb" }
                }
            case .failure(let d):
                if d.kind != .syntax { return "parse failure of kind \(d.kind)" }
                if d.span.start.line < 1 || d.span.end.offset > byteCount { return "diagnostic span \(d.span) outside the input" }
                _ = DiagnosticFormatter.format(d, sourceName: "fuzz", sourceText: source, color: false)
            case .incomplete(let i):
                let d = Parser.diagnostic(for: i, source: source)
                _ = DiagnosticFormatter.format(d, sourceName: "fuzz", sourceText: source, color: false)
            }
            let chunks = Parser.splitScript(source, rawTail: rawTail)
            for chunk in chunks where chunk.firstLine < 1 { return "script chunk with line \(chunk.firstLine)" }
        }
        return nil
    }

    /// Runs `count` mutated inputs derived from `seeds`; `clock` gives nanoseconds (monotonic).
    public mutating func run(count: Int, seeds: [String], clock: () -> UInt64) -> Report {
        var report = Report()
        let pool = seeds.isEmpty ? [""] : seeds
        for k in 0..<count {
            let input = mutate(pool[k % pool.count], with: pool)
            let started = clock()
            let failure = Self.check(input)
            let took = clock() &- started
            if took > report.slowestNanos { report.slowestNanos = took; report.slowestInput = input }
            if let failure, report.invariantFailures.count < 10 {
                report.invariantFailures.append("input \(k): \(failure): \(input.debugDescription.prefix(200))")
            }
            report.inputs += 1
        }
        return report
    }
}

/// A small deterministic PRNG (SplitMix64) so fuzz failures reproduce from their seed.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
