import Foundation
import Testing

/// Checks the tmux driver itself against programs we know (bash, cat), so that the end-to-end
/// tests of `retune` can trust it.
@Suite(.enabled(if: TmuxSession.isAvailable, "tmux is not installed: skipping pseudo-terminal tests"))
struct TmuxSessionTests {
    @Test func bashHistoryRecallAndTabCompletion() throws {
        let folder = NSTemporaryDirectory() + "retune-tmux-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "contents-of-the-file\n".write(toFile: folder + "/uniquely-named-file.txt", atomically: true, encoding: .utf8)

        let tmux = try TmuxSession(
            command: ["bash", "--norc", "--noprofile"], width: 80, height: 24,
            environment: ["PS1": "e2e> ", "HISTFILE": "/dev/null", "INPUTRC": "/dev/null"],
            workingDirectory: folder)
        defer { tmux.kill() }
        try tmux.waitFor(text: "e2e> ")

        // The command line shows the unexpanded text; only the output shows "answer-42".
        try tmux.sendLiteral("echo answer-$((20+22))")
        try tmux.send(keys: "Enter")
        try tmux.waitFor(text: "answer-42")

        // Up recalls the previous line; running it again prints a second "answer-42".
        try tmux.send(keys: "Up")
        try tmux.waitFor(text: "e2e> echo answer-$((20+22))", occurrences: 2)
        try tmux.send(keys: "Enter")
        let screen = try tmux.waitFor(text: "answer-42", occurrences: 2)
        #expect(TmuxSession.count(of: "answer-42", in: screen) == 2)

        // Tab completes the unique file name.
        try tmux.sendLiteral("cat uniquely")
        try tmux.send(keys: "Tab")
        try tmux.waitFor(text: "e2e> cat uniquely-named-file.txt")
        try tmux.send(keys: "Enter")
        try tmux.waitFor(text: "contents-of-the-file")

        try tmux.sendLiteral("exit 3")
        try tmux.send(keys: "Enter")
        #expect(try tmux.waitForExit() == 3)
    }

    @Test func literalTextControlKeysAndScreenSize() throws {
        // READY is printed once the pty is set up (echo, canonical mode), so typed text is
        // echoed by the terminal and then printed by cat.
        let tmux = try TmuxSession(command: ["sh", "-c", "echo READY; exec cat"], width: 60, height: 10)
        defer { tmux.kill() }
        try tmux.waitFor(text: "READY")
        #expect(try tmux.exitStatus() == nil)
        let text = "it's \"quoted\"; $HOME & [64, 32]"
        try tmux.sendLiteral(text)
        try tmux.send(keys: "Enter")
        // Once echoed by the terminal, once printed by cat.
        try tmux.waitFor(text: text, occurrences: 2)
        try tmux.send(keys: "C-d")
        #expect(try tmux.waitForExit() == 0)
        #expect(try tmux.capture().split(separator: "\n").count <= 10)
    }

    @Test func controlCKillsTheProgramAndItsStatusIsRecorded() throws {
        // The shell reports a program killed by SIGINT as 130, the status `retune` uses for a
        // double Ctrl-C; the wrapper survives the Ctrl-C to record it.
        let tmux = try TmuxSession(command: ["sh", "-c", "echo READY; exec sleep 30"], width: 40, height: 5)
        defer { tmux.kill() }
        try tmux.waitFor(text: "READY")
        try tmux.send(keys: "C-c")
        #expect(try tmux.waitForExit() == 130)
    }

    @Test func timeoutReportsTheScreen() throws {
        let tmux = try TmuxSession(command: ["cat"], width: 40, height: 5)
        defer { tmux.kill() }
        try tmux.sendLiteral("visible")
        do {
            try tmux.waitFor(text: "never shown", timeout: 0.3)
            Issue.record("waitFor should have timed out")
        } catch let error as TmuxError {
            #expect(error.description.contains("never shown"))
            #expect(error.description.contains("visible"))
        }
    }

    @Test func shellQuotingSurvivesTheShell() {
        #expect(TmuxSession.shellQuote("a b") == "'a b'")
        #expect(TmuxSession.shellQuote("it's") == "'it'\\''s'")
        #expect(TmuxSession.count(of: "ab", in: "abcabab") == 3)
        #expect(TmuxSession.count(of: "", in: "abc") == 0)
    }
}
