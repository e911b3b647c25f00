import Foundation
import Language

/// How a chunk of input ended.
public enum ChunkOutcome: Sendable, Equatable {
    case ok
    /// The first failure's kind decides a script's exit code.
    case failed(Diagnostic.Kind)
}

/// Runs commands: parse → validate against the registry → handler, one cell per command.
/// Diagnostics are printed here and nowhere else.
public final class Interpreter {
    public let session: Session
    public let registry: Registry
    /// Called after each cell (the store records it).
    public var onCell: ((CellRecord) -> Void)?

    public init(session: Session, registry: Registry = .standard) {
        self.session = session
        self.registry = registry
    }

    /// Runs one chunk of source: a line at the prompt (with its continuation lines) or a chunk of
    /// a script starting at `firstLine`. `sourceName` is the file name, or nil at the prompt
    /// (diagnostics then say `[n]:LINE:COL`).
    @discardableResult
    public func run(_ text: String, sourceName: String?, firstLine: Int = 1, echo: Bool = false,
                    stopOnError: Bool = true) -> ChunkOutcome {
        switch Parser.parse(text, firstLine: firstLine, rawTail: registry.rawTailVerbs) {
        case .failure(let d):
            report(d, sourceName: sourceName ?? "[\(session.cellNumber + 1)]", text: text, firstLine: firstLine)
            return .failed(.syntax)
        case .incomplete(let inc):
            let d = Diagnostic.syntax(inc.message, at: inc.span ?? SourceSpan.none)
            report(d, sourceName: sourceName ?? "[\(session.cellNumber + 1)]", text: text, firstLine: firstLine)
            return .failed(.syntax)
        case .commands(let nodes):
            var outcome = ChunkOutcome.ok
            for node in nodes {
                let result = runCommand(node, sourceName: sourceName, chunkText: text, firstLine: firstLine, echo: echo)
                if case .failed = result {
                    if outcome == .ok { outcome = result }
                    if stopOnError && session.settings.onError == "stop" { return outcome }
                }
            }
            return outcome
        }
    }

    /// Runs one parsed command as a cell.
    func runCommand(_ node: CommandNode, sourceName: String?, chunkText: String, firstLine: Int,
                    echo: Bool) -> ChunkOutcome {
        session.cellNumber += 1
        let n = session.cellNumber
        if echo { session.print("[\(n)]> \(node.text)") }
        // The cell's own output (transcripts show the command apart from it).
        session.cellOutput = ""
        let start = DispatchTime.now().uptimeNanoseconds
        var status = CellRecord.Status.ok
        var outcome = ChunkOutcome.ok
        do {
            let inv = try registry.validate(node, baseDirectory: session.baseDirectory) { index, span in
                try self.recall(index, at: span)
            }
            if let result = try inv.spec.handler(inv, session) {
                session.results[n] = result
                session.lastResult = result
            }
        } catch let d as Diagnostic {
            status = d.kind == .interrupted ? .interrupted : .failed
            // Interactive cells name themselves `[n]`; script lines keep the file name.
            report(d, sourceName: sourceName ?? "[\(n)]", text: chunkText, firstLine: firstLine)
            outcome = .failed(d.kind)
        } catch {
            status = .failed
            report(Diagnostic("\(error)", at: node.span), sourceName: sourceName ?? "[\(n)]",
                   text: chunkText, firstLine: firstLine)
            outcome = .failed(.runtime)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if session.settings.timer {
            session.print("Time: \(String(format: "%.3f", seconds)) s")
        }
        let record = CellRecord(number: n, text: node.text, status: status, seconds: seconds,
                                output: session.cellOutput)
        session.cells.append(record)
        session.recordCell(record)
        onCell?(record)
        return outcome
    }

    func recall(_ index: Int?, at span: SourceSpan) throws -> ResultValue {
        if let i = index {
            guard let r = session.results[i] else {
                if i >= session.cellNumber {
                    throw Diagnostic.syntax("cell \(i) has not run yet", at: span)
                }
                throw Diagnostic.syntax("cell \(i) has no result", at: span)
            }
            return r
        }
        guard let r = session.lastResult else {
            throw Diagnostic.syntax("'_' refers to the last result, and there is none yet", at: span)
        }
        return r
    }

    /// Prints a diagnostic with its source line and caret.
    public func report(_ d: Diagnostic, sourceName: String, text: String, firstLine: Int) {
        session.printError(DiagnosticFormatter.format(d, sourceName: sourceName, sourceText: text,
                                                      firstLine: firstLine, color: session.settings.color))
    }
}

extension Incomplete {
    /// What is missing, as the error message for input that ended too early.
    public var message: String {
        switch reason {
        case .openBracket(let ch, let span): return "unexpected end of input: '\(ch)' at \(span.start) is not closed"
        case .openString(let span): return "unterminated string starting at \(span.start)"
        case .trailingBackslash: return "unexpected end of input after '\\'"
        }
    }

    public var span: SourceSpan? {
        switch reason {
        case .openBracket(_, let s), .openString(let s): return s
        case .trailingBackslash: return nil
        }
    }
}
