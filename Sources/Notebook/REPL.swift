import Foundation
import Language
import Terminal

/// The interactive notebook: `[n]> ` prompts over libedit, continuation lines, history,
/// completion, Ctrl-C handling.
public final class REPL {
    let interpreter: Interpreter
    let editor: LineEditor
    var session: Session { interpreter.session }

    public init(interpreter: Interpreter, historyPath: String?, names: @escaping (NameKind) -> [String]) {
        self.interpreter = interpreter
        let session = interpreter.session
        let registry = interpreter.registry
        let completion = Completion(registry: registry, session: session, names: names)
        self.editor = LineEditor(programName: "retune", historyPath: historyPath) { request in
            completion.complete(lineBeforeWord: request.precedingText, prefix: request.word,
                                insideQuote: request.insideQuote)
        }
    }

    /// Runs until Ctrl-D; returns the exit code.
    public func run(banner: String) -> Int32 {
        session.print(banner)
        var buffer: [String] = []
        while true {
            let number = session.cellNumber + 1
            let prompt = "[\(number)]> "
            let continuation = String(repeating: " ", count: max(0, prompt.count - 5)) + "...> "
            switch editor.readLine(prompt: buffer.isEmpty ? prompt : continuation) {
            case .endOfInput:
                if !buffer.isEmpty { buffer.removeAll(); session.output.write("\n"); continue }
                try? editor.saveHistory()
                session.output.write("\n")
                return ExitCode.ok
            case .interrupted:
                // Ctrl-C at the prompt clears the line (and any continuation lines).
                buffer.removeAll()
                Interrupts.clear()
                continue
            case .line(let line):
                buffer.append(line)
                let text = buffer.joined(separator: "\n")
                if text.trimmingCharacters(in: .whitespaces).isEmpty { buffer.removeAll(); continue }
                if case .incomplete = Parser.parse(text, rawTail: interpreter.registry.rawTailVerbs) { continue }
                buffer.removeAll()
                editor.addHistory(text)
                // Saved after every cell, so a second Ctrl-C (which exits at once with 130) or a
                // crash loses no history.
                try? editor.saveHistory()
                Interrupts.clear()
                interpreter.run(text, sourceName: nil, firstLine: 1, echo: false, stopOnError: true)
                Interrupts.clear()
            }
        }
    }
}
