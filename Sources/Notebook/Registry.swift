import Language

/// The one command registry: every command's name, usage, help, completer and handler.
/// The parser knows no command; `validate` checks a generic `CommandNode` against the
/// command's declaration and reports problems on the node's spans.
public struct Registry: Sendable {
    public private(set) var commands: [String: CommandSpec] = [:]
    /// Registration order, used by `help` within each group.
    public private(set) var order: [String] = []

    public init(_ specs: [CommandSpec] = []) {
        for s in specs { register(s) }
    }

    public mutating func register(_ spec: CommandSpec) {
        if commands[spec.name] == nil { order.append(spec.name) }
        commands[spec.name] = spec
    }

    public func spec(named name: String) -> CommandSpec? { commands[name] }

    public var names: [String] { order }

    /// The verbs that take their unquoted rest of line as one string (`sql select …`); passed
    /// to the parser, which knows no command.
    public var rawTailVerbs: Set<String> { Set(commands.values.filter(\.rawTail).map(\.name)) }

    /// Checks a parsed command against its declaration: operands, option keys, value types,
    /// required options. Cell references (`_`, `_N`) resolve through `recall`.
    public func validate(_ node: CommandNode, baseDirectory: String,
                         recall: @escaping (Int?, SourceSpan) throws -> ResultValue) throws -> Invocation {
        guard let spec = commands[node.verb] else {
            var notes: [String] = []
            if let s = Suggest.closest(node.verb, among: order) { notes.append("did you mean '\(s)'?") }
            notes.append("type 'help' for the list of commands")
            throw Diagnostic.syntax("unknown command '\(node.verb)'", at: node.verbSpan, notes: notes)
        }
        var validator = Validator(spec: spec, node: node, recall: recall)
        let (operands, options) = try validator.run()
        return Invocation(node: node, spec: spec, operands: operands, options: options,
                          baseDirectory: baseDirectory)
    }
}

/// Walks a node's items against one command's declaration.
struct Validator {
    let spec: CommandSpec
    let node: CommandNode
    let recall: (Int?, SourceSpan) throws -> ResultValue
    var index = 0

    init(spec: CommandSpec, node: CommandNode, recall: @escaping (Int?, SourceSpan) throws -> ResultValue) {
        self.spec = spec
        self.node = node
        self.recall = recall
    }

    var items: [Expr] { node.items }

    /// Takes items up to the next option key (keys in `words` excepted) as one string argument
    /// holding their source text; at least one item (the caller checked there is one).
    mutating func takePhrase(allowing words: [String]) -> Argument {
        let first = items[index]
        var last = first
        index += 1
        while index < items.count {
            if let opt = optionStarting(at: index), !words.contains(opt.words[0]) { break }
            last = items[index]
            index += 1
        }
        let span = SourceSpan(start: first.span.start, end: last.span.end)
        let base = node.span.start.offset
        let utf8 = Array(node.text.utf8)
        let lo = max(0, min(utf8.count, span.start.offset - base)), hi = max(lo, min(utf8.count, span.end.offset - base))
        return Argument(.string(String(decoding: utf8[lo..<hi], as: UTF8.self)), span: span)
    }

    /// Takes the item at `index`; for a list of run ids, also the run ids written right after
    /// it without commas (`compare #1 #2` as `compare #1, #2`), joined into one sequence.
    mutating func takeJuxtaposedRunIDs(for type: ValueType) -> Expr {
        let first = items[index]
        index += 1
        guard case .list(.runID) = type, case .runID = first.kind else { return first }
        var ids = [first]
        while index < items.count, case .runID = items[index].kind {
            ids.append(items[index])
            index += 1
        }
        guard let last = ids.last, ids.count > 1 else { return first }
        return Expr(.sequence(ids), span: SourceSpan(start: first.span.start, end: last.span.end))
    }

    /// Whether the item at `i` starts one of the command's option keys.
    func optionStarting(at i: Int) -> OptionSpec? {
        guard i < items.count, let word = items[i].identifier else { return nil }
        // Prefer the longest key that matches (`order by` before `order`).
        let candidates = spec.options.filter { $0.words.first == word }
            .sorted { $0.words.count > $1.words.count }
        for opt in candidates {
            let ws = opt.words
            var ok = true
            for (k, w) in ws.enumerated() where k > 0 {
                if i + k >= items.count || items[i + k].identifier != w { ok = false; break }
            }
            if ok { return opt }
        }
        return nil
    }

    mutating func run() throws -> ([Argument], [String: Argument]) {
        var operands: [Argument] = []
        for operand in spec.operands {
            if index >= items.count || optionStarting(at: index) != nil {
                if operand.optional { continue }
                let at = index < items.count ? items[index].span : endSpan
                throw Diagnostic.syntax("\(spec.name) needs \(operand.name) (\(operand.type))", at: at,
                                        notes: ["usage: \(spec.synopsis)"])
            }
            let item = takeJuxtaposedRunIDs(for: operand.type)
            operands.append(try convert(item, to: operand.type, what: operand.name))
        }
        var options: [String: Argument] = [:]
        while index < items.count {
            let item = items[index]
            guard let opt = optionStarting(at: index) else {
                throw unexpected(item)
            }
            let keySpan = item.span
            index += opt.words.count
            if options[opt.key] != nil {
                throw Diagnostic.syntax("option '\(opt.key)' is given twice", at: keySpan)
            }
            if case .flag = opt.type {
                options[opt.key] = Argument(.flag, span: keySpan)
                continue
            }
            guard index < items.count, optionStarting(at: index) == nil || valueMayLookLikeKeyword(opt.type) else {
                throw Diagnostic.syntax("option '\(opt.key)' expects \(opt.type)",
                                        at: index < items.count ? items[index].span : keySpan,
                                        notes: ["usage: \(spec.synopsis)"])
            }
            if case .phrase(let words) = opt.type {
                options[opt.key] = takePhrase(allowing: words)
                continue
            }
            let value = takeJuxtaposedRunIDs(for: opt.type)
            options[opt.key] = try convert(value, to: opt.type, what: "option '\(opt.key)'")
        }
        for opt in spec.options where opt.required && options[opt.key] == nil {
            throw Diagnostic.syntax("\(spec.name) needs '\(opt.key) …' (\(opt.type))", at: endSpan,
                                    notes: ["usage: \(spec.synopsis)"])
        }
        return (operands, options)
    }

    /// Option values that are plain names may coincide with keywords (`on epochs`); values of
    /// other types never look like keywords, so a keyword there means the value is missing.
    func valueMayLookLikeKeyword(_ t: ValueType) -> Bool {
        switch t {
        case .name, .version, .any, .list, .choice: return true
        default: return false
        }
    }

    var endSpan: SourceSpan {
        SourceSpan(start: node.span.end, end: node.span.end)
    }

    func unexpected(_ item: Expr) -> Diagnostic {
        let keys = spec.options.map(\.key)
        if let word = item.identifier {
            var notes: [String] = []
            if let s = Suggest.closest(word, among: keys) { notes.append("did you mean '\(s)'?") }
            if !keys.isEmpty { notes.append("options of '\(spec.name)': " + keys.joined(separator: ", ")) }
            return Diagnostic.syntax("unknown option '\(word)' for '\(spec.name)'", at: item.span, notes: notes)
        }
        return Diagnostic.syntax("unexpected \(describe(item)) in '\(spec.name)'", at: item.span,
                                 notes: ["usage: \(spec.synopsis)"])
    }

    func describe(_ e: Expr) -> String {
        switch e.kind {
        case .number(_, let t): return "number \(t)"
        case .string: return "string \(ExprPrinter.print(e))"
        default: return "'\(ExprPrinter.print(e))'"
        }
    }

    func typeError(_ e: Expr, _ t: ValueType, _ what: String) -> Diagnostic {
        Diagnostic.syntax("\(what) expects \(t), got \(describe(e))", at: e.span)
    }

    func convert(_ e: Expr, to type: ValueType, what: String) throws -> Argument {
        let arg = { (v: ArgValue) in Argument(v, span: e.span) }
        if case .cellRef(let n) = e.kind, type != .expr {
            return try convertRecalled(recall(n, e.span), e: e, type: type, what: what)
        }
        switch type {
        case .integer:
            if let d = numberValue(e) {
                guard d == d.rounded(), abs(d) < 9.0e15 else {
                    throw Diagnostic.syntax("\(what) expects an integer, got \(describe(e))", at: e.span)
                }
                return arg(.integer(Int(d)))
            }
        case .number:
            if let d = numberValue(e) { return arg(.number(d)) }
        case .string, .path:
            if case .string(let s) = e.kind { return arg(.string(s)) }
            if type == .path, e.identifier != nil {
                throw Diagnostic.syntax("\(what) expects a quoted file path, got \(describe(e))", at: e.span,
                                        notes: ["write it in quotes: \"\(ExprPrinter.print(e))\""])
            }
        case .name:
            if let n = e.identifier { return arg(.name(n)) }
            if case .dotted(let parts) = e.kind { return arg(.name(parts.joined(separator: "."))) }
        case .choice(let choices):
            if let n = e.identifier {
                if choices.contains(n) { return arg(.name(n)) }
                var notes: [String] = []
                if let s = Suggest.closest(n, among: choices) { notes.append("did you mean '\(s)'?") }
                throw Diagnostic.syntax("\(what) expects one of \(choices.joined(separator: ", ")), got '\(n)'",
                                        at: e.span, notes: notes)
            }
            if let d = numberValue(e), choices.contains(Invocation.formatNumber(d)) {
                return arg(.name(Invocation.formatNumber(d)))
            }
        case .version:
            if let n = e.identifier { return arg(.version(model: n, ref: .alias("latest"))) }
            if case .version(let m, let r) = e.kind { return arg(.version(model: m, ref: r)) }
        case .runID:
            if case .runID(let id) = e.kind { return arg(.runID(id)) }
        case .expr:
            return arg(.expr(e))
        case .flag:
            return arg(.flag)
        case .list(let inner):
            let elements: [Expr]
            switch e.kind {
            case .list(let xs), .sequence(let xs): elements = xs
            default: elements = [e]
            }
            return arg(.list(try elements.map { try convert($0, to: inner, what: what) }))
        case .map:
            if case .map(let pairs) = e.kind {
                var entries: [MapEntry] = []
                for p in pairs {
                    guard let key = p.key.identifier ?? stringValue(p.key) else {
                        throw Diagnostic.syntax("map keys must be names, got \(describe(p.key))", at: p.key.span)
                    }
                    entries.append(MapEntry(key: key, keySpan: p.key.span,
                                            value: try convert(p.value, to: .any, what: "'\(key)'")))
                }
                return arg(.map(entries))
            }
            if case .list(let xs) = e.kind, xs.isEmpty { return arg(.map([])) }
        case .phrase:
            // Phrases are taken whole by `takePhrase`; a single item here is its own text.
            return arg(.string(ExprPrinter.print(e)))
        case .any:
            if let d = numberValue(e) {
                if case .number(_, let text) = e.kind, !text.contains("."), !text.lowercased().contains("e"),
                   d == d.rounded(), abs(d) < 9.0e15 {
                    return arg(.integer(Int(d)))
                }
                return arg(.number(d))
            }
            switch e.kind {
            case .string(let s): return arg(.string(s))
            case .identifier(let n): return arg(.name(n))
            case .version(let m, let r): return arg(.version(model: m, ref: r))
            case .runID(let id): return arg(.runID(id))
            case .list(let xs), .sequence(let xs):
                return arg(.list(try xs.map { try convert($0, to: .any, what: what) }))
            default: return arg(.expr(e))
            }
        }
        throw typeError(e, type, what)
    }

    func convertRecalled(_ r: ResultValue, e: Expr, type: ValueType, what: String) throws -> Argument {
        let arg = { (v: ArgValue) in Argument(v, span: e.span) }
        switch (type, r) {
        case (.name, .dataset(let n)), (.any, .dataset(let n)): return arg(.name(n))
        case (.version, .version(let m, let v)), (.any, .version(let m, let v)):
            return arg(.version(model: m, ref: .number(v)))
        case (.name(.model), .version(let m, _)): return arg(.name(m))
        case (.runID, .run(let id)), (.any, .run(let id)): return arg(.runID(id))
        case (.list(let inner), .runs(let ids)):
            return arg(.list(try ids.map { try convertRecalled(.run($0), e: e, type: inner, what: what) }))
        case (.list(let inner), _):
            return arg(.list([try convertRecalled(r, e: e, type: inner, what: what)]))
        default:
            throw Diagnostic.syntax("\(what) expects \(type), but \(ExprPrinter.print(e)) is \(r.kindDescription)",
                                    at: e.span)
        }
    }

    func numberValue(_ e: Expr) -> Double? {
        switch e.kind {
        case .number(let d, _): return d
        case .unary(.negate, let inner): return numberValue(inner).map { -$0 }
        default: return nil
        }
    }

    func stringValue(_ e: Expr) -> String? {
        if case .string(let s) = e.kind { return s }
        return nil
    }
}

extension ResultValue {
    var kindDescription: String {
        switch self {
        case .dataset(let n): return "dataset \(n)"
        case .version(let m, let v): return "model version \(m)@\(v)"
        case .run(let id): return "run #\(id)"
        case .runs(let ids): return "\(ids.count) run\(ids.count == 1 ? "" : "s")"
        case .table: return "a table"
        }
    }
}
