import Foundation
import Language

/// Tab completion: command names, the option keys of the command being typed, names of the
/// declared kind (datasets, models, columns of the dataset in context), run ids, file paths.
public struct Completion {
    public let registry: Registry
    public let session: Session
    /// Extra names by kind (models and aliases from the store, run ids), supplied by the caller.
    public var names: (NameKind) -> [String]

    public init(registry: Registry, session: Session, names: @escaping (NameKind) -> [String] = { _ in [] }) {
        self.registry = registry
        self.session = session
        self.names = names
    }

    /// Candidates for `prefix`, given the line typed before it.
    public func complete(lineBeforeWord: String, prefix: String, insideQuote: Bool) -> [String] {
        if insideQuote { return paths(prefix) }
        // Only the current command matters (after the last ';').
        let current = lineBeforeWord.split(separator: ";", omittingEmptySubsequences: false).last.map(String.init) ?? ""
        let words = current.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," || $0 == "[" || $0 == "(" })
            .map(String.init)
        guard let verb = words.first else {
            return registry.names.filter { $0.hasPrefix(prefix) }.sorted()
        }
        guard let spec = registry.spec(named: verb) else { return [] }
        var out = Set<String>()
        if let custom = spec.completer {
            out.formUnion(custom(session, CompletionContext(previousWords: words, prefix: prefix)))
        }
        // What the previous word asks for.
        let previous = words.count > 1 ? words[words.count - 1] : nil
        var expected: ValueType?
        if let p = previous, let opt = spec.options.first(where: { $0.words.last == p }) {
            expected = opt.type
        } else if words.count - 1 < spec.operands.count {
            expected = spec.operands[words.count - 1].type
        }
        if let t = expected { out.formUnion(candidates(for: t, words: words)) }
        if expected == nil || previous.map({ p in !spec.options.contains { $0.words.last == p } }) == true {
            out.formUnion(spec.options.map { $0.words.first ?? $0.key })
        }
        return out.filter { $0.hasPrefix(prefix) }.sorted()
    }

    func candidates(for type: ValueType, words: [String]) -> [String] {
        switch type {
        case .name(let kind):
            switch kind {
            case .dataset: return Array(session.datasets.keys)
            case .column: return columnsOrAny(words)
            case .model, .alias: return names(kind)
            case .any: return Array(session.datasets.keys) + names(.model)
            }
        case .version: return names(.model)
        case .choice(let cs): return cs
        case .runID: return names(.any).filter { $0.hasPrefix("#") }
        case .list(let inner): return candidates(for: inner, words: words)
        case .any, .expr: return Array(session.datasets.keys) + columnsOrAny(words) + names(.model)
        default: return []
        }
    }

    /// Columns of the dataset named earlier on the line; else of the CSV file quoted on the line
    /// (`load "f.csv" as d target <Tab>`: its header); else of every loaded dataset
    /// (`model m = … from <Tab>`).
    func columnsOrAny(_ words: [String]) -> [String] {
        let named = columnsInContext(words)
        if !named.isEmpty { return named }
        if let quoted = words.first(where: { $0.hasPrefix("\"") && $0.count > 2 && $0.hasSuffix("\"") }) {
            let header = csvHeader(String(quoted.dropFirst().dropLast()))
            if !header.isEmpty { return header }
        }
        return Array(Set(session.datasets.values.flatMap(\.columnNames))).sorted()
    }

    /// The column names on the first line of a CSV file (relative to the session's folder).
    func csvHeader(_ path: String) -> [String] {
        let full = path.hasPrefix("/") ? path : session.baseDirectory + "/" + path
        guard let handle = FileHandle(forReadingAtPath: full) else { return [] }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: 65_536) else { return [] }
        let text = String(decoding: data, as: UTF8.self)
        guard let line = text.split(whereSeparator: \.isNewline).first else { return [] }
        let sep: Character = line.contains("\t") ? "\t" : (line.filter { $0 == ";" }.count > line.filter { $0 == "," }.count ? ";" : ",")
        return line.split(separator: sep).map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\" \u{FEFF}")) }
            .filter { !$0.isEmpty }
    }

    /// Columns of the dataset named earlier on the line.
    func columnsInContext(_ words: [String]) -> [String] {
        for w in words.reversed() {
            if let d = session.datasets[w] { return d.columnNames }
        }
        return []
    }

    func paths(_ prefix: String) -> [String] {
        let expanded = prefix.hasPrefix("~/") ? NSString(string: prefix).expandingTildeInPath : prefix
        let dir: String, stem: String
        if let slash = expanded.lastIndex(of: "/") {
            dir = String(expanded[...slash])
            stem = String(expanded[expanded.index(after: slash)...])
        } else {
            dir = ""
            stem = expanded
        }
        let base = dir.isEmpty ? session.baseDirectory : (dir.hasPrefix("/") ? dir : session.baseDirectory + "/" + dir)
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: base) else { return [] }
        let shownDir = prefix.hasPrefix("~/") ? String(prefix[..<(prefix.lastIndex(of: "/").map { prefix.index(after: $0) } ?? prefix.startIndex)]) : dir
        return entries.filter { $0.hasPrefix(stem) && !$0.hasPrefix(".") || (stem.hasPrefix(".") && $0.hasPrefix(stem)) }
            .map { name -> String in
                var isDir: ObjCBool = false
                FileManager.default.fileExists(atPath: base + "/" + name, isDirectory: &isDir)
                return shownDir + name + (isDir.boolValue ? "/" : "")
            }.sorted()
    }
}
