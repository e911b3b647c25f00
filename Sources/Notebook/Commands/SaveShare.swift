import Foundation
import Language

/// `save session` and `transcript`: keep and share what a session did.
func saveShareCommands() -> [CommandSpec] {
    [saveCommand, transcriptCommand]
}

let saveCommand = CommandSpec(
    name: "save", group: .notebook,
    summary: "Save this session's commands as a replayable script",
    synopsis: "save session to \"FILE.retune\" [overwrite]",
    operands: [OperandSpec("WHAT", .choice(["session"]), help: "what to save"),
               OperandSpec("FILE", .path, optional: true, help: "the older spelling of 'to \"FILE\"' (accepted, with a hint)")],
    options: [OptionSpec("to", .path, help: "the script to write"),
              OptionSpec("overwrite", .flag, help: "replace an existing file")],
    help: "Writes every successful command of this session, in order, as a script that `retune run` replays; failed commands are kept as comments. A header records the date, the retune version and the store.",
    examples: ["save session to \"sessions/mine.retune\""],
    handler: { inv, session in
        let (file, path, fileSpan) = try inv.outputFile(operand: 1, session: session)
        var text = "# retune session saved \(ISO8601DateFormatter().string(from: Date()))\n"
        text += "# retune \(RetuneVersion.string), store \(session.storePath)\n"
        for cell in session.cells {
            switch cell.status {
            case .ok: text += cell.text + "\n"
            case .failed, .interrupted:
                text += cell.text.split(separator: "\n", omittingEmptySubsequences: false)
                    .map { "# (\(cell.status.rawValue)) \($0)" }.joined(separator: "\n") + "\n"
            }
        }
        try writeText(text, to: path, overwrite: inv.flag("overwrite"), span: fileSpan)
        session.print("saved \(session.cells.count) cells to \(file)")
        return nil
    })

let transcriptCommand = CommandSpec(
    name: "transcript", group: .notebook,
    summary: "Write this session's commands and outputs as a Markdown notebook",
    synopsis: "transcript to \"FILE.md\" [overwrite]",
    operands: [OperandSpec("FILE", .path, optional: true, help: "the older spelling of 'to \"FILE\"' (accepted, with a hint)")],
    options: [OptionSpec("to", .path, help: "the Markdown file to write"),
              OptionSpec("overwrite", .flag, help: "replace an existing file")],
    help: "Every cell so far, with its number, status, command and output, as Markdown that renders on any code host.",
    examples: ["transcript to \"notes/drift-study.md\""],
    handler: { inv, session in
        let (file, path, fileSpan) = try inv.outputFile(operand: 0, session: session)
        let text = MarkdownTranscript.render(cells: session.cells, title: "session \(session.sessionID)")
        try writeText(text, to: path, overwrite: inv.flag("overwrite"), span: fileSpan)
        session.print("wrote \(session.cells.count) cells to \(file)")
        return nil
    })

/// Writes a text file; refuses to replace one unless `overwrite`; errors name the path.
func writeText(_ text: String, to path: String, overwrite: Bool, span: SourceSpan) throws {
    if FileManager.default.fileExists(atPath: path) && !overwrite {
        throw Diagnostic("\(path) already exists", at: span, kind: .io, notes: ["add 'overwrite' to replace it"])
    }
    do {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
        throw Diagnostic("cannot write \(path): \(error.localizedDescription)", at: span, kind: .io)
    }
}
