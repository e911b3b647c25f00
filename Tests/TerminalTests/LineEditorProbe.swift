import Foundation
import Testing
import Terminal

/// Not a test on its own: a tiny REPL over `LineEditor`, run only when
/// `RETUNE_LINE_EDITOR_PROBE` is set. EndToEndTests' `LineEditorPTYTests` starts the test
/// bundle inside tmux with that variable and `--filter lineEditorProbe`, and drives it through
/// a real pseudo-terminal (history recall, Tab completion, Ctrl-C, Ctrl-D). It runs on a test
/// worker thread, which blocks SIGINT, so it also checks that Ctrl-C reaches the prompt.
@Test(.enabled(if: ProcessInfo.processInfo.environment["RETUNE_LINE_EDITOR_PROBE"] != nil,
               "driven through tmux by EndToEndTests.LineEditorPTYTests"))
func lineEditorProbe() throws {
    let commands = ["describe", "drift", "duel", "load", "train"]
    let paths = ["data/housing_2019.csv", "data/housing_2020.csv"]
    let editor = LineEditor(programName: "retune-probe",
                            historyPath: HistoryLocation.path(environment: TerminalInfo.processEnvironment())) { request in
        let candidates = request.insideQuote ? paths : commands
        return candidates.filter { $0.hasPrefix(request.word) }
    }
    var cell = 1
    while true {
        switch editor.readLine(prompt: "[\(cell)]> ") {
        case .line(let line):
            Console.outLine("GOT<\(line)>")
            editor.addHistory(line)
            cell += 1
        case .interrupted:
            Console.outLine("INTERRUPTED")
        case .endOfInput:
            try editor.saveHistory()
            Console.outLine("EOF-SAVED")
            return
        }
    }
}
