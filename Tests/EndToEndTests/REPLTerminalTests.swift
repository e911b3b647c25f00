import Foundation
import Testing

/// The real `retune` binary at its prompt, driven through a pseudo-terminal (tmux): numbered
/// prompts, history recall with Up, tab completion, continuation prompts, Ctrl-C, Ctrl-D, and the
/// history file written with mode 0600.
@Suite(.enabled(if: TmuxSession.isAvailable, "tmux is not installed: skipping pseudo-terminal tests"))
struct REPLTerminalTests {
    @Test func historyRecallCompletionAndCleanExit() throws {
        let dir = try RetuneBinary.tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let history = dir.appendingPathComponent("state/history").path
        let tmux = try TmuxSession(
            command: [RetuneBinary.path, "--store", dir.appendingPathComponent("s.db").path],
            width: 100, height: 30, environment: ["RETUNE_HISTORY": history, "NO_COLOR": "1"],
            workingDirectory: dir.path)
        defer { tmux.kill() }
        try tmux.waitFor(text: "[1]> ")

        // A command runs and the prompt number advances.
        try tmux.sendLiteral("set seed 7")
        try tmux.send(keys: "Enter")
        try tmux.waitFor(text: "[2]> ")
        // History is written after every cell (a double Ctrl-C exits at once and loses nothing).
        let early = try String(contentsOfFile: history, encoding: .utf8)
        #expect(early.contains("set\\040seed\\0407"))

        // Tab completes a command name, then a setting key.
        try tmux.sendLiteral("sho")
        try tmux.send(keys: "Tab")
        try tmux.waitFor(text: "[2]> show ")
        try tmux.sendLiteral("sett")
        try tmux.send(keys: "Tab")
        try tmux.waitFor(text: "[2]> show settings")
        try tmux.send(keys: "Enter")
        try tmux.waitFor(text: "tolerance")
        try tmux.waitFor(text: "[3]> ")

        // Up twice recalls the first command; running it again works.
        try tmux.send(keys: "Up")
        try tmux.send(keys: "Up")
        try tmux.waitFor(text: "[3]> set seed 7")
        try tmux.send(keys: "C-u")
        // An open bracket continues on a prompt of the same width.
        try tmux.sendLiteral("help [")
        try tmux.send(keys: "Enter")
        try tmux.waitFor(text: "...> ")
        // Ctrl-C at the prompt clears the pending cell.
        try tmux.send(keys: "C-c")
        try tmux.waitFor(text: "[3]> ", occurrences: 2)
        // Tab after a complete command word inserts exactly one space.
        try tmux.sendLiteral("help")
        try tmux.send(keys: "Tab")
        try tmux.sendLiteral("set")
        let typed = try tmux.waitFor(text: "[3]> help set")
        #expect(!typed.contains("help  set"))
        try tmux.send(keys: "Enter")
        // `help set` ran (its last example; the usage line may have scrolled off the screen).
        try tmux.waitFor(text: "set cost ratio 0.5 per gflop")
        // Wait for the next prompt: keys typed while a command prints go through the cooked tty.
        try tmux.waitFor(text: "[4]> ")
        // The prompt is drawn just before the editor switches the tty to raw mode; an EOF typed
        // in that instant would be consumed by the cooked tty, so give it a moment.
        Thread.sleep(forTimeInterval: 0.5)

        // Ctrl-D exits cleanly and saves the history (mode 0600, one entry per cell).
        try tmux.send(keys: "C-d")
        #expect(try tmux.waitForExit() == 0)
        let saved = try String(contentsOfFile: history, encoding: .utf8)
        #expect(saved.contains("set\\040seed\\0407"))
        #expect(saved.contains("help\\040set"))
        let attributes = try FileManager.default.attributesOfItem(atPath: history)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
    }
}

@Suite(.enabled(if: TmuxSession.isAvailable, "tmux is not installed: skipping pseudo-terminal tests"))
struct REPLTrainingTests {
    /// A training at the prompt shows a live progress bar; Ctrl-C cancels it at the next batch,
    /// records the run as interrupted and returns to the prompt.
    @Test func progressBarAndCtrlCCancelTraining() throws {
        let dir = try RetuneBinary.tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let tmux = try TmuxSession(
            command: [RetuneBinary.path, "--store", dir.appendingPathComponent("s.db").path],
            width: 120, height: 30,
            environment: ["RETUNE_HISTORY": dir.appendingPathComponent("h").path, "NO_COLOR": "1"],
            workingDirectory: dir.path)
        defer { tmux.kill() }
        try tmux.waitFor(text: "[1]> ")
        try tmux.sendLiteral("generate housing rows 20000 seed 3 as big; model n = mlp hidden [64, 64] predicts price")
        try tmux.send(keys: "Enter")
        try tmux.waitFor(text: "[3]> ")
        try tmux.sendLiteral("train n on big epochs 100000")
        try tmux.send(keys: "Enter")
        // The bar names the epoch out of the total.
        try tmux.waitFor(text: "/100000", timeout: 30)
        try tmux.send(keys: "C-c")
        let screen = try tmux.waitFor(text: "[4]> ", timeout: 30)
        #expect(screen.contains("interrupted"))
        try tmux.sendLiteral("runs where status = interrupted")
        try tmux.send(keys: "Enter")
        try tmux.waitFor(text: "1 run", timeout: 15)
        try tmux.waitFor(text: "[5]> ")
        Thread.sleep(forTimeInterval: 0.5)
        try tmux.send(keys: "C-d")
        #expect(try tmux.waitForExit() == 0)
    }
}
