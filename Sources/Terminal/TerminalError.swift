/// Errors of the Terminal module: each names the file and the failing operation.
public enum TerminalError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A history file could not be read.
    case historyRead(path: String, reason: String)
    /// A history file (or its folder) could not be written.
    case historyWrite(path: String, reason: String)
    /// A history file does not start with a known header.
    case historyFormat(path: String, line: Int, reason: String)

    public var description: String {
        switch self {
        case .historyRead(let path, let reason):
            return "\(path): cannot read history: \(reason)"
        case .historyWrite(let path, let reason):
            return "\(path): cannot write history: \(reason)"
        case .historyFormat(let path, let line, let reason):
            return "\(path):\(line): malformed history file: \(reason)"
        }
    }
}
