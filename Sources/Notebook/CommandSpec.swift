import Language
import Render

/// How `help` groups commands.
public enum CommandGroup: String, Sendable, CaseIterable {
    case data, models, experiments, decisions, store, notebook
}

/// What kind of name a value refers to: drives validation, `_` recall and completion.
public enum NameKind: String, Sendable, Hashable {
    case dataset, model, column, alias, any
}

/// The declared type of an operand or option value.
public indirect enum ValueType: Sendable, Hashable, CustomStringConvertible {
    case integer
    case number
    case string
    /// A quoted file path; resolved against the script's folder by `Invocation.path(_:)`.
    case path
    /// A bare identifier naming something of the given kind.
    case name(NameKind)
    /// One identifier out of a fixed set, e.g. `relu|tanh|gelu`.
    case choice([String])
    /// `model@3`, `model@alias`, or a bare model name (meaning `@latest`).
    case version
    case runID
    /// An expression of the shared expression grammar (`where …`).
    case expr
    /// Present or absent; takes no value.
    case flag
    /// `[a, b]` or a bare comma sequence `a, b` (a single item is a list of one).
    case list(ValueType)
    /// `[key: value, …]`.
    case map
    /// Anything; the handler interprets it.
    case any
    /// One or more items up to the next option key, given to the handler as their source text
    /// (a small sub-language such as `policies keep, retrain every 3`). Option keys listed in
    /// `words` do not end the phrase.
    case phrase(words: [String])

    public var description: String {
        switch self {
        case .integer: return "an integer"
        case .number: return "a number"
        case .string: return "a quoted string"
        case .path: return "a quoted file path"
        case .name(let k): return k == .any ? "a name" : (k == .alias ? "an alias name" : "a \(k.rawValue) name")
        case .choice(let cs): return "one of " + cs.joined(separator: ", ")
        case .version: return "a model version (NAME, NAME@N or NAME@ALIAS)"
        case .runID: return "a run id (#N)"
        case .expr: return "an expression"
        case .flag: return "nothing"
        case .list(let t): return "a list of \(t)"
        case .map: return "a map [key: value, …]"
        case .any: return "a value"
        case .phrase: return "words"
        }
    }
}

/// A positional operand.
public struct OperandSpec: Sendable {
    public var name: String
    public var type: ValueType
    public var optional: Bool
    public var help: String

    public init(_ name: String, _ type: ValueType, optional: Bool = false, help: String = "") {
        self.name = name
        self.type = type
        self.optional = optional
        self.help = help
    }
}

/// A `key value` option (or a `flag`). Keys may be two words (`order by`).
public struct OptionSpec: Sendable {
    public var key: String
    public var type: ValueType
    /// The default, as shown by `help` and recorded with runs; nil when there is none.
    public var defaultValue: String?
    public var required: Bool
    public var help: String

    public init(_ key: String, _ type: ValueType, default defaultValue: String? = nil,
                required: Bool = false, help: String = "") {
        self.key = key
        self.type = type
        self.defaultValue = defaultValue
        self.required = required
        self.help = help
    }

    public var words: [String] { key.split(separator: " ").map(String.init) }
}

/// Completes the word under the cursor; gets the session and the words typed so far.
public typealias Completer = @Sendable (Session, CompletionContext) -> [String]

public struct CompletionContext: Sendable {
    /// The words of the current command before the one being completed.
    public var previousWords: [String]
    /// The partial word being completed.
    public var prefix: String
    public init(previousWords: [String], prefix: String) {
        self.previousWords = previousWords
        self.prefix = prefix
    }
}

/// A command's result, kept for recall as `_` and `_N`.
public enum ResultValue: Sendable, Hashable {
    case dataset(String)
    case version(model: String, version: Int)
    case run(Int)
    case runs([Int])
    case table(Table)
}

/// Runs a validated command.
public typealias Handler = @Sendable (Invocation, Session) throws -> ResultValue?

/// Everything the registry knows of one command: name, usage, help, completer, handler.
public struct CommandSpec: Sendable {
    public var name: String
    public var group: CommandGroup
    /// One line: what the command does.
    public var summary: String
    /// The usage line, e.g. `train MODEL on DATA [epochs N] …`.
    public var synopsis: String
    public var operands: [OperandSpec]
    public var options: [OptionSpec]
    /// Longer help text (may be several paragraphs).
    public var help: String
    /// Examples shown by `help CMD`.
    public var examples: [String]
    /// Completion beyond the generic one (names by declared kind, option keys).
    public var completer: Completer?
    public var handler: Handler
    /// Whether the unquoted rest of the line is the command's one string operand, as foreign
    /// text (SQL) that the language's lexer must not read: `sql select count(*) from runs`.
    public var rawTail = false

    public init(name: String, group: CommandGroup, summary: String, synopsis: String,
                operands: [OperandSpec] = [], options: [OptionSpec] = [], help: String = "",
                examples: [String] = [], completer: Completer? = nil, handler: @escaping Handler) {
        self.name = name
        self.group = group
        self.summary = summary
        self.synopsis = synopsis
        self.operands = operands
        self.options = options
        self.help = help
        self.examples = examples
        self.completer = completer
        self.handler = handler
    }
}
