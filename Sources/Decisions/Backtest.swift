import Foundation
import Learning
import Tabular

// A backtest replays a time-ordered dataset batch by batch under retraining policies,
// prequentially (test-then-train): each batch is first predicted by the policy's current model
// and scored, and only then used as the policy's rule says. The rules and their thresholds are
// documented in docs/ADVICE.md ("backtest").

// MARK: - Batches

/// How a dataset is cut into consecutive batches.
public enum Batching: Sendable, Hashable, CustomStringConvertible {
    /// `in N batches`: the rows after the start part, in order, cut into N batches of equal size.
    case count(Int)
    /// `every N rows`: the rows after the start part in batches of N (the last may be smaller).
    case rows(Int)
    /// `every N UNIT` on a date or datetime column: calendar periods; the start part is the
    /// leading periods that cover the `start` fraction of the rows.
    case period(Int, TimeUnit)
    /// `every X` on a numeric ordering column: batches of width X in that column's units.
    case width(Double)

    public var description: String {
        switch self {
        case .count(let n): return "in \(n) batches"
        case .rows(let n): return "every \(n) rows"
        case .period(let n, let u): return "every \(n) \(u.rawValue)\(n == 1 ? "" : "s")"
        case .width(let w): return "every \(Backtest.number(w))"
        }
    }
}

public enum TimeUnit: String, Sendable, Hashable, CaseIterable {
    case hour, day, week, month, quarter, year

    /// `month`, `months`, `quarterly`… → the unit.
    public init?(word: String) {
        let w = word.lowercased()
        let singular = w.hasSuffix("s") ? String(w.dropLast()) : w
        if let u = TimeUnit(rawValue: singular) { self = u; return }
        switch w {
        case "hourly": self = .hour
        case "daily": self = .day
        case "weekly": self = .week
        case "monthly": self = .month
        case "quarterly": self = .quarter
        case "yearly", "annual", "annually": self = .year
        default: return nil
        }
    }

    /// How a period starting at `seconds` is named: `2011-05-01T13`, `2011-05-01`, `2011-W18`
    /// (`week of` the Monday), `2011-05`, `2011Q2`, `2011`.
    func label(_ seconds: Double) -> String {
        let days = Int((seconds / 86_400).rounded(.down))
        let c = ISODate.civilFromDays(days)
        let two = { (n: Int) in n < 10 ? "0\(n)" : "\(n)" }
        switch self {
        case .hour: return ISODate.formatDate(seconds) + "T" + two(Int((seconds / 3_600).rounded(.down)) - days * 24)
        case .day: return ISODate.formatDate(seconds)
        case .week: return "week of " + ISODate.formatDate(Double(days - ((days + 3) % 7 + 7) % 7) * 86_400)
        case .month: return "\(c.year)-" + two(c.month)
        case .quarter: return "\(c.year)Q\((c.month - 1) / 3 + 1)"
        case .year: return "\(c.year)"
        }
    }

    /// The period index of a time (seconds since 1970-01-01 UTC) in units of `self`.
    func index(of seconds: Double) -> Int {
        let days = Int((seconds / 86_400).rounded(.down))
        switch self {
        case .hour: return Int((seconds / 3_600).rounded(.down))
        case .day: return days
        case .week: return Int((Double(days + 3) / 7).rounded(.down))  // weeks start on Monday (1970-01-01 was a Thursday)
        case .month, .quarter, .year:
            let c = ISODate.civilFromDays(days)
            let months = c.year * 12 + (c.month - 1)
            switch self {
            case .month: return months
            case .quarter: return Int((Double(months) / 3).rounded(.down))
            default: return c.year
            }
        }
    }
}

/// One batch of the stream: its rows (indices into the dataset) and a label for tables.
public struct Batch: Sendable, Hashable {
    public var rows: [Int]
    /// `2011-03`, `rows 501–1000`, …
    public var label: String
    /// The ordering column's value at the batch's first row, when there is one.
    public var time: Double?
}

/// The start part and the batches after it.
public struct Stream: Sendable, Hashable {
    public var initial: [Int]
    public var batches: [Batch]
}

public struct BacktestError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

public enum Backtest {
    /// Cuts `data` into the start part and consecutive batches, ordered by `column` (stable: ties
    /// keep file order) or by row order when nil.
    public static func stream(_ data: Dataset, orderedBy column: String?, batching: Batching,
                              start: Double) throws -> Stream {
        guard start > 0, start < 1 else { throw BacktestError("start must be a fraction between 0 and 1, got \(number(start))") }
        let n = data.rowCount
        var order = Array(0..<n)
        var times: [Double]?
        var columnType: ColumnType?
        if let column {
            guard let c = data.column(named: column) else {
                throw BacktestError("no column '\(column)' in \(data.name) to order by (columns: \(data.columnNames.joined(separator: ", ")))")
            }
            guard let values = c.doubles else {
                throw BacktestError("column '\(column)' is categorical; order by a date, datetime or numeric column")
            }
            if let bad = values.firstIndex(where: { $0.isNaN }) {
                throw BacktestError("column '\(column)' has a missing value at row \(bad + 1); a backtest needs every row ordered")
            }
            order.sort { values[$0] < values[$1] || (values[$0] == values[$1] && $0 < $1) }
            times = values
            columnType = c.type
        }
        let startRows = Int((Double(n) * start).rounded())
        guard startRows >= 2, n - startRows >= 1 else {
            throw BacktestError("start \(number(start)) of \(n) rows leaves \(startRows) rows to train on and \(n - startRows) to replay")
        }
        func label(_ rows: ArraySlice<Int>) -> (String, Double?) {
            guard let first = rows.first, let last = rows.last else { return ("empty", nil) }
            guard let t = times else { return ("rows \(first + 1)–\(last + 1)", nil) }
            return (formatTime(t[first], type: columnType), t[first])
        }
        switch batching {
        case .count(let k), .rows(let k):
            guard k >= 1 else { throw BacktestError("\(batching) needs a positive number") }
            let rest = order[startRows...]
            let size: Int
            if case .count = batching {
                guard k <= rest.count else {
                    throw BacktestError("\(k) batches from \(rest.count) rows after the start part: at most \(rest.count)")
                }
                size = 0
            } else {
                size = k
            }
            var batches: [Batch] = []
            if case .count = batching {
                for b in 0..<k {
                    let lo = rest.startIndex + rest.count * b / k, hi = rest.startIndex + rest.count * (b + 1) / k
                    let rows = rest[lo..<hi]
                    let (l, t) = label(rows)
                    batches.append(Batch(rows: Array(rows), label: l, time: t))
                }
            } else {
                var lo = rest.startIndex
                while lo < rest.endIndex {
                    let hi = min(lo + size, rest.endIndex)
                    let (l, t) = label(rest[lo..<hi])
                    batches.append(Batch(rows: Array(rest[lo..<hi]), label: l, time: t))
                    lo = hi
                }
            }
            return Stream(initial: Array(order[..<startRows]), batches: batches)
        case .period(let k, let unit):
            guard k >= 1 else { throw BacktestError("every \(k) \(unit.rawValue): the period must be positive") }
            guard let t = times, let type = columnType, type == .date || type == .datetime else {
                throw BacktestError("every \(k) \(unit.rawValue) needs 'by COLUMN' naming a date or datetime column")
            }
            return try groups(order, key: { unit.index(of: t[$0]) / k }, startRows: startRows) { rows in
                guard let first = rows.first else { return ("empty", nil) }
                return (unit.label(t[first]), t[first])
            }
        case .width(let w):
            guard w > 0, w.isFinite else { throw BacktestError("every \(number(w)): the width must be positive") }
            guard let t = times else { throw BacktestError("every \(number(w)) needs 'by COLUMN' naming a numeric column") }
            guard let first = order.first else { throw BacktestError("the dataset has no rows") }
            let origin = t[first]
            return try groups(order, key: { Int(((t[$0] - origin) / w).rounded(.down)) }, startRows: startRows, label: label)
        }
    }

    /// Consecutive runs of equal `key` as batches; the leading ones covering `startRows` form
    /// the start part.
    static func groups(_ order: [Int], key: (Int) -> Int, startRows: Int,
                       label: (ArraySlice<Int>) -> (String, Double?)) throws -> Stream {
        var cuts: [Range<Int>] = []
        var lo = 0
        while lo < order.count {
            var hi = lo + 1
            let k = key(order[lo])
            while hi < order.count, key(order[hi]) == k { hi += 1 }
            cuts.append(lo..<hi)
            lo = hi
        }
        var initialEnd = 0
        var used = 0
        while used < cuts.count, initialEnd < startRows {
            initialEnd = cuts[used].upperBound
            used += 1
        }
        guard used < cuts.count else {
            throw BacktestError("the start part covers all \(cuts.count) periods; use a smaller start or a shorter period")
        }
        let batches = cuts[used...].map { r -> Batch in
            let (l, t) = label(order[r])
            return Batch(rows: Array(order[r]), label: l, time: t)
        }
        return Stream(initial: Array(order[..<initialEnd]), batches: batches)
    }

    static func formatTime(_ v: Double, type: ColumnType?) -> String {
        switch type {
        case .date?: return ISODate.formatDate(v)
        case .datetime?: return ISODate.formatDateTime(v)
        default: return number(v)
        }
    }

    static func number(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(format: "%g", v)
    }
}

// MARK: - Policies

/// A retraining policy: when to retrain from scratch, when to fine-tune otherwise, and on which
/// rows a retrain fits.
public struct Policy: Sendable, Hashable, CustomStringConvertible {
    public enum Trigger: Sendable, Hashable, CustomStringConvertible {
        case never
        /// After every batch.
        case each
        /// After every k-th batch (batches k, 2k, …, counting from 1).
        case every(Int)
        /// When the largest PSI of an input column between the data the current model was last
        /// retrained on and the batch exceeds the threshold.
        case psi(Double)
        /// When the largest Kolmogorov–Smirnov D of a numeric input column exceeds it.
        case ks(Double)
        /// When the batch's error is worse than the model's first error after its last retrain
        /// by more than this fraction (0.2: 20 % worse).
        case degradation(Double)
        /// `when cost`: when the excess error accumulated since the last retrain (each batch's
        /// error above the model's error on its own training rows, summed) exceeds the cost
        /// ratio times the predicted compute of a retrain — the rent-or-buy rule of cost-aware
        /// retraining.
        case cost

        public var description: String {
            switch self {
            case .never: return "never"
            case .each: return "each"
            case .every(let k): return "every \(k)"
            case .psi(let x): return "when psi > \(Backtest.number(x))"
            case .ks(let x): return "when ks > \(Backtest.number(x))"
            case .degradation(let x): return "when error > \(Backtest.number(x))"
            case .cost: return "when cost"
            }
        }

        var usesDrift: Bool {
            switch self {
            case .psi, .ks: return true
            default: return false
            }
        }
    }

    /// As written (normalised spacing), e.g. `finetune each retrain every 4`.
    public var name: String
    public var retrain: Trigger
    public var finetune: Trigger
    /// Retrain on the last `window` batches only (nil: on everything seen, start part included).
    public var window: Int?
    /// `background`: a Page–Hinkley detector on the per-row errors; at a warning a candidate
    /// starts learning from the rows since, and replaces the model at a confirmed drift.
    public var background: PageHinkley?
    /// `nearest version`: a version is trained on every batch (on the last `window` batches,
    /// default 1) and each batch is served by the stored version whose training data is closest
    /// to the batch's inputs (mean PSI over the features) — Matchmaker's rule.
    public var nearest = false

    public init(name: String, retrain: Trigger = .never, finetune: Trigger = .never, window: Int? = nil,
                background: PageHinkley? = nil, nearest: Bool = false) {
        self.name = name
        self.retrain = retrain
        self.finetune = finetune
        self.window = window
        self.background = background
        self.nearest = nearest
    }

    /// Whether the policy prices compute (needs `set cost ratio`).
    public var needsCostRatio: Bool { retrain == .cost || finetune == .cost }

    public var description: String { name }

    /// The policies used when a backtest names none.
    public static let defaults: [Policy] = [
        Policy(name: "keep"),
        Policy(name: "finetune each", finetune: .each),
        Policy(name: "retrain every 3", retrain: .every(3)),
        Policy(name: "retrain when psi > 0.2", retrain: .psi(0.2)),
        Policy(name: "finetune each retrain every 4", retrain: .every(4), finetune: .each),
    ]

    /// The words of the policy grammar (for completion and did-you-mean).
    public static let words = ["keep", "retrain", "finetune", "each", "every", "when", "window", "psi", "ks", "error", "cost",
                               "background", "threshold", "delta", "nearest", "version"]
}

/// A problem in a policy list, with the character range (in the text given) it concerns.
public struct PolicyParseError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var range: Range<Int>
    public var suggestion: String?
    public var description: String { message }
}

/// Parses `keep, finetune each, retrain each window 6, retrain every 3, retrain when psi > 0.2,
/// finetune each retrain every 4`:
///
/// ```
/// policies := policy { "," policy }
/// policy   := "keep" | action { action } [ "window" N ]
///           | "background" [ "threshold" X ] [ "delta" X ] | "nearest" "version" [ "window" N ]
/// action   := ( "retrain" | "finetune" ) trigger
/// trigger  := "each" | "every" N | "when" ( "psi" | "ks" | "error" ) ">" X | "when" "cost"
/// ```
public enum PolicyParser {
    struct Word {
        var text: String
        var range: Range<Int>
    }

    public static func parse(_ text: String) throws -> [Policy] {
        let chars = Array(text)
        var clauses: [[Word]] = [[]]
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "," {
                clauses.append([])
                i += 1
            } else if c == ">" {
                clauses[clauses.count - 1].append(Word(text: ">", range: i..<(i + 1)))
                i += 1
            } else if c.isWhitespace {
                i += 1
            } else {
                let start = i
                while i < chars.count, !chars[i].isWhitespace, chars[i] != ",", chars[i] != ">" { i += 1 }
                clauses[clauses.count - 1].append(Word(text: String(chars[start..<i]), range: start..<i))
            }
        }
        var policies: [Policy] = []
        for (n, clause) in clauses.enumerated() {
            guard !clause.isEmpty else {
                throw PolicyParseError(message: n == 0 ? "policies needs at least one policy, e.g. policies keep, finetune each"
                                                       : "an empty policy between commas", range: 0..<max(1, chars.count), suggestion: nil)
            }
            var policy = try parseClause(clause)
            if policies.contains(where: { $0.name == policy.name }) {
                let whole = (clause.first?.range.lowerBound ?? 0)..<(clause.last?.range.upperBound ?? 0)
                throw PolicyParseError(message: "policy '\(policy.name)' is given twice", range: whole, suggestion: nil)
            }
            policy.name = clause.map(\.text).joined(separator: " ").replacingOccurrences(of: " > ", with: " > ")
            policies.append(policy)
        }
        return policies
    }

    static func parseClause(_ words: [Word]) throws -> Policy {
        var policy = Policy(name: words.map(\.text).joined(separator: " "))
        var i = 0
        func fail(_ message: String, _ w: Word, among choices: [String] = []) -> PolicyParseError {
            PolicyParseError(message: message, range: w.range, suggestion: closest(w.text, among: choices))
        }
        func next(_ what: String, after w: Word) throws -> Word {
            guard i < words.count else {
                throw PolicyParseError(message: "'\(w.text)' needs \(what)", range: w.range, suggestion: nil)
            }
            defer { i += 1 }
            return words[i]
        }
        func count(_ w: Word, what: String) throws -> Int {
            guard let k = Int(w.text), k >= 1 else { throw fail("\(what) must be a whole number ≥ 1, got '\(w.text)'", w) }
            return k
        }
        if words.count == 1, words[0].text == "keep" { return policy }
        if words.first?.text == "background" { return try parseBackground(words, policy) }
        if words.first?.text == "nearest" { return try parseNearest(words, policy) }
        var sawAction = false
        while i < words.count {
            let w = words[i]
            i += 1
            switch w.text {
            case "keep":
                throw fail("'keep' stands alone (a policy that never updates); drop it or the other actions", w)
            case "background", "nearest":
                throw fail("'\(w.text)' starts a policy of its own; put it after a comma", w)
            case "retrain", "finetune":
                let trigger: Policy.Trigger
                let t = try next("a trigger: each, every N or when psi|ks|error > X", after: w)
                switch t.text {
                case "each": trigger = .each
                case "every":
                    trigger = .every(try count(try next("a number of batches", after: t), what: "every"))
                case "when":
                    let measure = try next("psi, ks, error or cost", after: t)
                    if measure.text == "cost" {
                        guard w.text == "retrain" else { throw fail("'when cost' prices retrains: write 'retrain when cost'", measure) }
                        trigger = .cost
                        break
                    }
                    let gt = try next("'>' and a threshold", after: measure)
                    guard gt.text == ">" else { throw fail("expected '>' after '\(measure.text)', got '\(gt.text)'", gt) }
                    let v = try next("a threshold", after: gt)
                    guard let x = Double(v.text), x.isFinite, x > 0 else {
                        throw fail("the threshold must be a positive number, got '\(v.text)'", v)
                    }
                    switch measure.text {
                    case "psi": trigger = .psi(x)
                    case "ks":
                        guard x < 1 else { throw fail("a KS threshold is a D between 0 and 1, got \(v.text)", v) }
                        trigger = .ks(x)
                    case "error": trigger = .degradation(x)
                    default: throw fail("unknown measure '\(measure.text)' (psi, ks, error or cost)", measure, among: ["psi", "ks", "error", "cost"])
                    }
                default:
                    throw fail("unknown trigger '\(t.text)' after \(w.text) (each, every N or when …)", t, among: ["each", "every", "when"])
                }
                if w.text == "retrain" {
                    guard policy.retrain == .never else { throw fail("retrain is given twice in one policy", w) }
                    policy.retrain = trigger
                } else {
                    guard policy.finetune == .never else { throw fail("finetune is given twice in one policy", w) }
                    policy.finetune = trigger
                }
                sawAction = true
            case "window":
                let k = try count(try next("a number of batches", after: w), what: "window")
                guard policy.window == nil else { throw fail("window is given twice in one policy", w) }
                policy.window = k
            default:
                let unit = TimeUnit(word: w.text) != nil || w.text == "rows" || w.text == "batches"
                throw fail(unit ? "'\(w.text)' belongs to the batching: write 'every N \(w.text)' before 'policies'"
                                : "unknown policy word '\(w.text)'", w, among: Policy.words)
            }
        }
        guard sawAction else {
            throw PolicyParseError(message: "a policy needs retrain or finetune (or is 'keep')",
                                   range: (words.first?.range.lowerBound ?? 0)..<(words.last?.range.upperBound ?? 0), suggestion: nil)
        }
        if policy.window != nil, policy.retrain == .never {
            throw PolicyParseError(message: "window applies to retrains, and this policy never retrains",
                                   range: (words.first?.range.lowerBound ?? 0)..<(words.last?.range.upperBound ?? 0), suggestion: nil)
        }
        return policy
    }

    /// `background [threshold X] [delta X]`.
    static func parseBackground(_ words: [Word], _ base: Policy) throws -> Policy {
        var policy = base
        var detector = PageHinkley()
        var i = 1
        while i < words.count {
            let w = words[i]
            guard w.text == "threshold" || w.text == "delta" else {
                throw PolicyParseError(message: "unknown word '\(w.text)' after background (threshold X, delta X)", range: w.range,
                                       suggestion: closest(w.text, among: ["threshold", "delta"]))
            }
            guard i + 1 < words.count, let x = Double(words[i + 1].text), x.isFinite, x > 0 else {
                let at = i + 1 < words.count ? words[i + 1] : w
                throw PolicyParseError(message: "\(w.text) needs a positive number", range: at.range, suggestion: nil)
            }
            if w.text == "threshold" { detector.threshold = x } else { detector.delta = x }
            i += 2
        }
        policy.background = detector
        return policy
    }

    /// `nearest version [window N]`.
    static func parseNearest(_ words: [Word], _ base: Policy) throws -> Policy {
        var policy = base
        guard words.count >= 2, words[1].text == "version" else {
            let at = words.count >= 2 ? words[1] : words[0]
            throw PolicyParseError(message: "write 'nearest version' (serve the stored version closest to the batch)", range: at.range,
                                   suggestion: nil)
        }
        policy.nearest = true
        policy.retrain = .each
        policy.window = 1
        if words.count > 2 {
            guard words[2].text == "window" else {
                throw PolicyParseError(message: "unknown word '\(words[2].text)' after nearest version (window N)", range: words[2].range,
                                       suggestion: closest(words[2].text, among: ["window"]))
            }
            guard words.count == 4, let k = Int(words[3].text), k >= 1 else {
                let at = words.count > 3 ? words[3] : words[2]
                throw PolicyParseError(message: "window must be a whole number ≥ 1", range: at.range, suggestion: nil)
            }
            policy.window = k
        }
        return policy
    }

    /// The closest word within edit distance 2.
    static func closest(_ word: String, among choices: [String]) -> String? {
        var best: (String, Int)?
        for c in choices {
            let d = editDistance(Array(word), Array(c))
            if d <= 2, d < (best?.1 ?? Int.max) { best = (c, d) }
        }
        return best?.0
    }

    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev = Array(0...b.count)
        for i in 1...a.count {
            var cur = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...b.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            prev = cur
        }
        return prev[b.count]
    }
}
