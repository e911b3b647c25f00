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
    help: "Writes every successful command of this session, in order, as a script that `retune run` replays; failed commands are kept as comments, and `_N` references are renumbered to the replay's cells (a reference to a failed cell is kept, with a note). Run ids (`#N`) are kept as written: they match on a replay into a fresh store when no failed command recorded a run. A header records the date, the retune version and the store.",
    examples: ["save session to \"sessions/mine.retune\""],
    handler: { inv, session in
        let (file, path, fileSpan) = try inv.outputFile(operand: 1, session: session)
        var text = "# retune session saved \(ISO8601DateFormatter().string(from: Date()))\n"
        text += "# retune \(RetuneVersion.string), store \(session.storePath)\n"
        // Failed cells become comments, so the replay numbers its cells differently: `_N`
        // references are rewritten to the replay's numbering.
        var replayNumber: [Int: Int] = [:]
        for cell in session.cells where cell.status == .ok { replayNumber[cell.number] = replayNumber.count + 1 }
        for cell in session.cells {
            switch cell.status {
            case .ok:
                let (rewritten, lost) = renumberCellReferences(cell.text, replayNumber)
                for n in lost { text += "# note: _\(n) below referred to cell \(n), which failed\n" }
                text += rewritten + "\n"
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

/// `text` with every `_N` cell reference mapped through `numbers` (old cell → replay cell);
/// references to cells that are not mapped (failed ones) are kept and returned.
func renumberCellReferences(_ text: String, _ numbers: [Int: Int]) -> (String, [Int]) {
    var bytes = Array(text.utf8)
    var lost: [Int] = []
    let tokens = Lexer.tokenize(text, rawTail: Registry.standard.rawTailVerbs)
    for t in tokens.reversed() {
        guard case .cellRef(let n?) = t.kind else { continue }
        guard let m = numbers[n] else { lost.append(n); continue }
        let lo = t.span.start.offset, hi = t.span.end.offset
        guard lo >= 0, hi <= bytes.count, lo < hi else { continue }
        bytes.replaceSubrange(lo..<hi, with: Array("_\(m)".utf8))
    }
    return (String(decoding: bytes, as: UTF8.self), lost.reversed())
}
