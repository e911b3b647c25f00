import Foundation
import Learning
import Tabular

// The `over` clause of `sweep`: which options vary and which are fixed, parsed from the
// phrase's source text (the generic parser has checked that the line is well formed), then
// expanded into configurations (grid or seeded random sample). Pure: no store, no terminal.

/// A value in the `over` clause: a number, a word (`none`, `relu`, `first`) or a list (`[64, 32]`).
public indirect enum SweepValue: Sendable, Hashable, CustomStringConvertible {
    case number(Double, text: String)
    case word(String)
    case list([SweepValue])

    public var description: String {
        switch self {
        case .number(_, let text): return text
        case .word(let w): return w
        case .list(let xs): return "[" + xs.map(\.description).joined(separator: ", ") + "]"
        }
    }

    public var number: Double? { if case .number(let d, _) = self { return d } else { return nil } }
}

/// One swept option: a list of values or a (log-)range.
public struct SweepAxis: Sendable, Hashable {
    public enum Domain: Sendable, Hashable {
        case values([SweepValue])
        /// `a..b count n` (linear) or `log a..b count n`; without count only with `random`.
        case range(low: Double, high: Double, log: Bool, count: Int?)
    }
    public var name: String
    public var domain: Domain
    /// Character offsets of the setting in the phrase (for error spans).
    public var range: Range<Int>

    public var isLog: Bool { if case .range(_, _, true, _) = domain { return true } else { return false } }
}

/// A fixed setting applied to every configuration (`epochs 20`).
public struct SweepFixed: Sendable, Hashable {
    public var name: String
    public var value: SweepValue
    public var range: Range<Int>
}

/// An error in the `over` clause, located by character offsets in its text.
public struct SweepError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public var range: Range<Int>
    public var suggestion: String?
    public var notes: [String] = []
    public init(_ message: String, range: Range<Int>, suggestion: String? = nil, notes: [String] = []) {
        self.message = message
        self.range = range
        self.suggestion = suggestion
        self.notes = notes
    }
    public var description: String { message }
}

/// The options a sweep may vary, how their values read, and where they apply.
public enum SweepOption: String, Sendable, CaseIterable {
    // optimisation (TrainOptions)
    case lr, epochs, batch, optimizer, momentum, weight_decay, schedule
    // architecture (ModelSpec): train sweeps only
    case hidden, l2, activation, dropout, solver
    // fine-tune (TrainOptions): finetune sweeps only
    case freeze, anchor, replay, shrink, perturb

    public var isArchitecture: Bool { [.hidden, .l2, .activation, .dropout, .solver].contains(self) }
    var isFineTuneOnly: Bool { [.freeze, .anchor, .replay, .shrink, .perturb].contains(self) }
    var isInteger: Bool { [.epochs, .batch, .freeze].contains(self) }
    var words: [String] {
        switch self {
        case .optimizer: return TrainOptions.Optimizer.allCases.map(\.rawValue)
        case .schedule: return TrainOptions.Schedule.allCases.map(\.rawValue)
        case .activation: return ModelSpec.Activation.allCases.map(\.rawValue)
        case .solver: return ModelSpec.Solver.allCases.map(\.rawValue)
        case .freeze: return ["none", "first"]
        default: return []
        }
    }
    var isNumeric: Bool { ![.optimizer, .schedule, .activation, .solver, .hidden].contains(self) }
}

/// What is swept: the model's family and whether it is a fine-tune decide which options apply.
public struct SweepPlan: Sendable, Hashable {
    public var axes: [SweepAxis]
    public var fixed: [SweepFixed]

    /// One configuration: the swept values in axis order, and the spec and options they give.
    public struct Config: Sendable, Hashable {
        public var index: Int
        public var values: [SweepValue]
        public var spec: ModelSpec
        public var options: TrainOptions
    }

    // over    = setting { [ ',' ] setting }
    // setting = NAME 'in' domain | NAME value
    // domain  = '[' value { ',' value } ']' | [ 'log' ] NUMBER '..' NUMBER [ 'count' INTEGER ]
    // value   = NUMBER | WORD | '[' [ value { ',' value } ] ']'
    public static func parse(_ text: String, family: ModelSpec.Family, fineTune: Bool) throws(SweepError) -> SweepPlan {
        var p = SweepScanner(text)
        var axes: [SweepAxis] = [], fixed: [SweepFixed] = []
        var seen: [String: Range<Int>] = [:]
        while !p.atEnd {
            let (name, nameRange) = try p.word("an option name such as lr")
            guard let option = SweepOption(rawValue: name) else {
                let all = SweepOption.allCases.map(\.rawValue)
                var notes = ["options: " + all.joined(separator: ", ")]
                if ["seed", "early_stop", "valid"].contains(name) { notes = ["\(name) is an option of sweep itself: write it after the over clause"] }
                throw SweepError("unknown option '\(name)' in over", range: nameRange,
                                 suggestion: PolicyParser.closest(name, among: all), notes: notes)
            }
            if seen[name] != nil { throw SweepError("option '\(name)' is given twice in over", range: nameRange) }
            seen[name] = nameRange
            try check(option, family: family, fineTune: fineTune, at: nameRange)
            if p.peekWord() == "in" {
                _ = try p.word("in")
                let domain = try p.domain(for: option)
                axes.append(SweepAxis(name: name, domain: domain, range: nameRange.lowerBound..<p.offset))
            } else {
                let value = try p.value()
                try checkValue(value, for: option, at: nameRange.lowerBound..<p.offset)
                fixed.append(SweepFixed(name: name, value: value, range: nameRange.lowerBound..<p.offset))
            }
            p.skipComma()
        }
        if axes.isEmpty {
            throw SweepError("over needs at least one swept option (NAME in [a, b] or NAME in a..b count N)",
                             range: 0..<max(text.count, 1))
        }
        for a in axes {
            if case .values(let vs) = a.domain { for v in vs { try checkValue(v, for: SweepOption(rawValue: a.name) ?? .lr, at: a.range) } }
        }
        return SweepPlan(axes: axes, fixed: fixed)
    }

    static func check(_ o: SweepOption, family: ModelSpec.Family, fineTune: Bool, at r: Range<Int>) throws(SweepError) {
        if fineTune, o.isArchitecture {
            throw SweepError("\(o.rawValue) is part of the architecture: a fine-tune keeps its parent's", range: r,
                             notes: ["sweep the architecture with: sweep MODEL on DATA over \(o.rawValue) in […]"])
        }
        if !fineTune, o.isFineTuneOnly {
            throw SweepError("\(o.rawValue) is a finetune option (there are no parent weights)", range: r,
                             notes: ["sweep fine-tunes with: sweep finetune MODEL@V on DATA over \(o.rawValue) in […]"])
        }
        if family != .mlp, [.hidden, .activation, .dropout, .freeze].contains(o) {
            throw SweepError("\(o.rawValue) applies to mlp, not \(family.rawValue)", range: r)
        }
        if family == .mlp, o == .solver {
            throw SweepError("solver applies to linear, logistic and softmax (an mlp is always trained by sgd/adam)", range: r)
        }
    }

    static func checkValue(_ v: SweepValue, for o: SweepOption, at r: Range<Int>) throws(SweepError) {
        switch o {
        case .hidden:
            let sizes: [SweepValue]
            if case .list(let xs) = v { sizes = xs } else { sizes = [v] }
            if sizes.isEmpty || sizes.contains(where: { $0.number.map { $0 != $0.rounded() || $0 < 1 } ?? true }) {
                throw SweepError("hidden takes layer sizes such as [64, 32], got \(v)", range: r)
            }
        case _ where !o.words.isEmpty && !o.isNumeric:
            guard case .word(let w) = v, o.words.contains(w) else {
                throw SweepError("\(o.rawValue) takes one of \(o.words.joined(separator: ", ")), got \(v)", range: r,
                                 suggestion: { if case .word(let w) = v { return PolicyParser.closest(w, among: o.words) } else { return nil } }())
            }
        default:
            if case .word(let w) = v, o.words.contains(w) { return }
            guard let d = v.number else {
                throw SweepError("\(o.rawValue) takes a number, got \(v)", range: r)
            }
            if o.isInteger, d != d.rounded() { throw SweepError("\(o.rawValue) takes a whole number, got \(v)", range: r) }
        }
    }

    /// Every combination of the axes' values (the first axis varies slowest), or `random`
    /// configurations sampled with `seed`: with ranges, each configuration draws every list
    /// uniformly and every range uniformly (log-uniformly for `log`), rounded to 4 significant
    /// digits; with lists only, K distinct configurations of the grid.
    public func configurations(base spec: ModelSpec, options: TrainOptions, random: Int?, seed: UInt64)
        throws(SweepError) -> [Config]
    {
        var rows: [[SweepValue]] = []
        let listsOnly = axes.allSatisfy { if case .values = $0.domain { return true } else { return false } }
        if let k = random, !listsOnly {
            var rng = SeededRandom(seed: seed ^ 0x5_3EE9)
            for _ in 0..<k {
                rows.append(axes.map { a in
                    switch a.domain {
                    case .values(let vs): return vs[rng.nextInt(below: vs.count)]
                    case .range(let lo, let hi, let isLog, _):
                        let u = rng.nextDouble()
                        let x = isLog ? exp(log(lo) + u * (log(hi) - log(lo))) : lo + u * (hi - lo)
                        return SweepPlan.number(x, integer: SweepOption(rawValue: a.name)?.isInteger ?? false)
                    }
                })
            }
        } else {
            rows = try grid()
            if let k = random {
                // Lists only: K distinct configurations of the grid (all of it when K exceeds it).
                var rng = SeededRandom(seed: seed ^ 0x5_3EE9)
                rng.shuffle(&rows)
                rows = Array(rows.prefix(k))
            }
        }
        var out: [Config] = []
        for (i, values) in rows.enumerated() {
            var s = spec, o = options
            for f in fixed { apply(f.name, f.value, &s, &o) }
            for (a, v) in zip(axes, values) { apply(a.name, v, &s, &o) }
            out.append(Config(index: i, values: values, spec: s, options: o))
        }
        return out
    }

    /// Every combination of the axes' values, the first axis varying slowest.
    func grid() throws(SweepError) -> [[SweepValue]] {
        var lists: [[SweepValue]] = []
        for a in axes {
            switch a.domain {
            case .values(let vs): lists.append(vs)
            case .range(_, _, _, nil):
                throw SweepError("a range needs 'count N' in a grid (or sample it with random K)", range: a.range)
            case .range(let lo, let hi, let isLog, let n?):
                var vs: [SweepValue] = []
                for i in 0..<n {
                    let t = Double(i) / Double(n - 1)
                    let x = isLog ? exp(log(lo) + t * (log(hi) - log(lo))) : lo + t * (hi - lo)
                    let v = SweepPlan.number(x, integer: SweepOption(rawValue: a.name)?.isInteger ?? false)
                    if !vs.contains(v) { vs.append(v) }
                }
                lists.append(vs)
            }
        }
        var rows: [[SweepValue]] = [[]]
        for l in lists { rows = rows.flatMap { r in l.map { r + [$0] } } }
        return rows
    }

    /// A number rounded to 4 significant digits (whole for integer options), with its text.
    static func number(_ x: Double, integer: Bool) -> SweepValue {
        if integer { let r = x.rounded(); return .number(r, text: String(Int(r))) }
        let text = String(format: "%.4g", x)
        return .number(Double(text) ?? x, text: text)
    }

    func apply(_ name: String, _ v: SweepValue, _ s: inout ModelSpec, _ o: inout TrainOptions) {
        let d = v.number ?? 0
        let word: String = { if case .word(let w) = v { return w } else { return "" } }()
        switch SweepOption(rawValue: name) {
        case .lr?: o.lr = d
        case .epochs?: o.epochs = Int(d)
        case .batch?: o.batch = Int(d)
        case .optimizer?: o.optimizer = TrainOptions.Optimizer(rawValue: word)
        case .momentum?: o.momentum = d
        case .weight_decay?: o.weightDecay = d
        case .schedule?: o.schedule = TrainOptions.Schedule(rawValue: word)
        case .hidden?:
            if case .list(let xs) = v { s.hidden = xs.compactMap { $0.number.map { Int($0) } } } else { s.hidden = [Int(d)] }
        case .l2?: s.l2 = d
        case .activation?: s.activation = ModelSpec.Activation(rawValue: word) ?? s.activation
        case .dropout?: s.dropout = d
        case .solver?: s.solver = ModelSpec.Solver(rawValue: word) ?? s.solver
        case .freeze?: o.freeze = word == "none" ? 0 : (word == "first" ? 1 : Int(d))
        case .anchor?: o.anchor = d
        case .replay?: o.replayFraction = d
        case .shrink?: o.shrink = d
        case .perturb?: o.perturb = d
        case nil: break
        }
    }

    /// `lr 0.01, hidden [64, 64]`: one configuration's swept values.
    public func describe(_ c: Config) -> String {
        zip(axes, c.values).map { "\($0.name) \($1)" }.joined(separator: ", ")
    }
}

/// A tiny scanner over the `over` phrase (offsets in characters).
struct SweepScanner {
    let chars: [Character]
    var offset = 0

    init(_ text: String) { chars = Array(text) }

    var atEnd: Bool { mutating get { skipSpace(); return offset >= chars.count } }

    mutating func skipSpace() { while offset < chars.count, chars[offset].isWhitespace || chars[offset] == "\\" { offset += 1 } }

    mutating func skipComma() { skipSpace(); if offset < chars.count, chars[offset] == "," { offset += 1 } }

    func isWordChar(_ c: Character) -> Bool { c.isLetter || c == "_" || c.isNumber }

    mutating func peekWord() -> String? {
        skipSpace()
        var j = offset
        while j < chars.count, isWordChar(chars[j]) { j += 1 }
        guard j > offset, chars[offset].isLetter || chars[offset] == "_" else { return nil }
        return String(chars[offset..<j])
    }

    mutating func word(_ what: String) throws(SweepError) -> (String, Range<Int>) {
        skipSpace()
        let start = offset
        guard let w = peekWord() else { throw SweepError("expected \(what), found \(found())", range: start..<min(start + 1, chars.count + 1)) }
        offset += w.count
        return (w, start..<offset)
    }

    func found() -> String {
        offset >= chars.count ? "the end of the clause" : "'\(chars[offset])'"
    }

    mutating func number() throws(SweepError) -> (Double, String, Range<Int>) {
        skipSpace()
        let start = offset
        var j = offset
        if j < chars.count, chars[j] == "-" { j += 1 }
        while j < chars.count, chars[j].isNumber || (chars[j] == "." && !(j + 1 < chars.count && chars[j + 1] == ".")) { j += 1 }
        if j < chars.count, chars[j] == "e" || chars[j] == "E" {
            j += 1
            if j < chars.count, chars[j] == "-" || chars[j] == "+" { j += 1 }
            while j < chars.count, chars[j].isNumber { j += 1 }
        }
        let text = String(chars[start..<j])
        guard let d = Double(text), d.isFinite else {
            throw SweepError("expected a number, found \(found())", range: start..<max(j, start + 1))
        }
        offset = j
        return (d, text, start..<j)
    }

    mutating func value() throws(SweepError) -> SweepValue {
        skipSpace()
        guard offset < chars.count else { throw SweepError("expected a value, found the end of the clause", range: offset..<offset + 1) }
        let c = chars[offset]
        if c == "[" {
            offset += 1
            var xs: [SweepValue] = []
            skipSpace()
            if offset < chars.count, chars[offset] == "]" { offset += 1; return .list(xs) }
            while true {
                xs.append(try value())
                skipSpace()
                guard offset < chars.count else { throw SweepError("unclosed '['", range: offset..<offset + 1) }
                if chars[offset] == "," { offset += 1; continue }
                if chars[offset] == "]" { offset += 1; return .list(xs) }
                throw SweepError("expected ',' or ']', found \(found())", range: offset..<offset + 1)
            }
        }
        if c.isLetter { return .word(try word("a value").0) }
        let (d, text, _) = try number()
        return .number(d, text: text)
    }

    mutating func domain(for o: SweepOption) throws(SweepError) -> SweepAxis.Domain {
        skipSpace()
        let start = offset
        if offset < chars.count, chars[offset] == "[" {
            let v = try value()
            guard case .list(let xs) = v, !xs.isEmpty else {
                throw SweepError("the list of values for \(o.rawValue) is empty", range: start..<offset)
            }
            if Set(xs).count < xs.count { throw SweepError("the list of values for \(o.rawValue) repeats a value", range: start..<offset) }
            return .values(xs)
        }
        var isLog = false
        if peekWord() == "log" { _ = try word("log"); isLog = true }
        let (lo, loText, loRange) = try number()
        skipSpace()
        guard offset + 1 < chars.count, chars[offset] == ".", chars[offset + 1] == "." else {
            throw SweepError("expected a list [a, b] or a range a..b after '\(o.rawValue) in'", range: loRange.lowerBound..<max(offset, loRange.upperBound))
        }
        offset += 2
        let (hi, hiText, _) = try number()
        let rangeSpan = start..<offset
        if !o.isNumeric { throw SweepError("\(o.rawValue) takes words or lists, not a range", range: rangeSpan) }
        if !(lo < hi) { throw SweepError("the range \(o.rawValue) in \(loText)..\(hiText) is empty: the low end must be below the high end", range: rangeSpan) }
        if isLog, lo <= 0 { throw SweepError("a log range needs a positive low end, got \(loText)", range: rangeSpan) }
        var count: Int?
        if peekWord() == "count" {
            _ = try word("count")
            let (n, text, r) = try number()
            guard n == n.rounded(), n >= 2, n <= 1000 else {
                throw SweepError("count must be a whole number in 2…1000, got \(text)", range: r)
            }
            count = Int(n)
        }
        return .range(low: lo, high: hi, log: isLog, count: count)
    }
}
