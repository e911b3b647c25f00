import Foundation
import Testing

/// Drives `LineEditor` (libedit) through a real pseudo-terminal: the test bundle itself runs
/// TerminalTests' `lineEditorProbe` REPL inside tmux. Until the `retune` binary has its own
/// tests of this kind, this is the check that history recall, Tab completion, Ctrl-C and
/// Ctrl-D work in a terminal.
@Suite(.enabled(if: TmuxSession.isAvailable, "tmux is not installed: skipping pseudo-terminal tests"))
struct LineEditorPTYTests {
    @Test func historyCompletionInterruptAndEndOfInput() throws {
        let bundle = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let folder = NSTemporaryDirectory() + "retune-pty-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let history = folder + "/state/history"

        let tmux = try TmuxSession(
            command: [bundle, "--testing-library", "swift-testing", "--filter", "lineEditorProbe"],
            width: 100, height: 40,
            environment: ["RETUNE_LINE_EDITOR_PROBE": "1", "RETUNE_HISTORY": history, "NO_COLOR": "1"])
        defer { tmux.kill() }
        try tmux.waitFor(text: "[1]> ", timeout: 30)

        try tmux.sendLiteral("describe old")
        try tmux.send(keys: "Enter")
        try tmux.waitFor(text: "GOT<describe old>")

        // Tab completes a unique command name and appends a space.
        try tmux.sendLiteral("tr")
        try tmux.send(keys: "Tab")
        try tmux.waitFor(text: "[2]> train ")
        try tmux.sendLiteral("price")
        try tmux.send(keys: "Enter")
        try tmux.waitFor(text: "GOT<train price>")

        // Up twice recalls the first line.
        try tmux.send(keys: "Up", "Up")
        try tmux.waitFor(text: "[3]> describe old")
        try tmux.send(keys: "Enter")
        try tmux.waitFor(text: "GOT<describe old>", occurrences: 2)

        // Inside a quote, Tab completes paths: the common prefix, then the unique match and
        // the closing quote.
        try tmux.sendLiteral("load \"data/h")
        try tmux.send(keys: "Tab")
        try tmux.waitFor(text: "[4]> load \"data/housing_20")
        try tmux.sendLiteral("19")
        try tmux.send(keys: "Tab")
        try tmux.waitFor(text: "[4]> load \"data/housing_2019.csv\"")
        try tmux.send(keys: "Enter")
        try tmux.waitFor(text: "GOT<load \"data/housing_2019.csv\">")

        // Ctrl-C discards the typed text and gives a fresh prompt (from a worker thread too).
        try tmux.sendLiteral("junk text")
        try tmux.send(keys: "C-c")
        try tmux.waitFor(text: "INTERRUPTED")
        try tmux.waitFor(text: "[5]> ")
        #expect(try tmux.capture().contains("GOT<junk text>") == false)

        // Ctrl-D on an empty line ends input; the history is saved with mode 0600.
        try tmux.send(keys: "C-d")
        try tmux.waitFor(text: "EOF-SAVED")
        #expect(try tmux.waitForExit(timeout: 30) == 0)

        let saved = try String(contentsOfFile: history, encoding: .utf8)
        #expect(saved.hasPrefix("_HiStOrY_V2_\n"))
        #expect(saved.contains("train\\040price\n"))
        #expect(saved.contains("load\\040\"data/housing_2019.csv\"\n"))
        let attributes = try FileManager.default.attributesOfItem(atPath: history)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
    }

    @Test func secondControlCWithinASecondExitsWith130() throws {
        let bundle = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let tmux = try TmuxSession(
            command: [bundle, "--testing-library", "swift-testing", "--filter", "lineEditorProbe"],
            width: 100, height: 30,
            environment: ["RETUNE_LINE_EDITOR_PROBE": "1", "RETUNE_HISTORY": "", "HOME": "/nonexistent"])
        defer { tmux.kill() }
        try tmux.waitFor(text: "[1]> ", timeout: 30)
        // A key typed between the prompt being drawn and libedit taking the terminal can be
        // lost on a loaded machine (PLATFORM.md): send the first Ctrl-C again after a wait far
        // longer than the one-second window, so a retry is never a "second" Ctrl-C.
        var interrupted = false
        for _ in 0..<3 where !interrupted {
            try tmux.send(keys: "C-c")
            interrupted = (try? tmux.waitFor(text: "INTERRUPTED", timeout: 10)) != nil
        }
        let screen = try tmux.capture()
        #expect(interrupted, "no INTERRUPTED after three Ctrl-C; screen was: \(screen)")
        try tmux.send(keys: "C-c")
        #expect(try tmux.waitForExit(timeout: 30) == 130)
        #expect(try tmux.capture().contains("EOF-SAVED") == false)
    }

    @Test func pipedInputBypassesLibedit() throws {
        let bundle = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: bundle)
        process.arguments = ["--testing-library", "swift-testing", "--filter", "lineEditorProbe"]
        var environment = ProcessInfo.processInfo.environment
        environment["RETUNE_LINE_EDITOR_PROBE"] = "1"
        environment["RETUNE_HISTORY"] = ""
        environment["HOME"] = "/nonexistent"
        process.environment = environment
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        input.fileHandleForWriting.write(Data("describe  old\nshow #1\n".utf8))
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(text.contains("GOT<describe  old>\nGOT<show #1>\nEOF-SAVED"))
        #expect(text.contains("[1]> ") == false)   // no prompt in script mode
    }
}
