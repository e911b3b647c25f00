/// An error or warning with the span it is about. Diagnostics are values: the lexer, parser,
/// registry and commands return them; one formatter prints them.
public struct Diagnostic: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable { case error, warning, note }

    /// What kind of failure this is; decides the exit code of a script.
    public enum Kind: Sendable, Hashable {
        /// The text did not parse or did not validate against the command's declaration (exit 65).
        case syntax
        /// The command ran and failed (exit 70).
        case runtime
        /// A file could not be read or written (exit 74).
        case io
        /// The user interrupted the command (exit 130).
        case interrupted
    }

    public var severity: Severity
    public var kind: Kind
    public var message: String
    public var span: SourceSpan
    /// Further lines printed under the caret: hints, "did you mean", lists of differences.
    public var notes: [String]

    public init(_ message: String, at span: SourceSpan = .none, kind: Kind = .runtime,
                severity: Severity = .error, notes: [String] = []) {
        self.message = message
        self.span = span
        self.kind = kind
        self.severity = severity
        self.notes = notes
    }

    public static func syntax(_ message: String, at span: SourceSpan, notes: [String] = []) -> Diagnostic {
        Diagnostic(message, at: span, kind: .syntax, notes: notes)
    }

    public var description: String { "\(severity.rawValue): \(message)" }
}
