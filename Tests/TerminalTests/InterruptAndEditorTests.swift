#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Testing
@testable import Terminal

@Suite struct InterruptPolicyTests {
    @Test func firstPressNeverExits() {
        var policy = InterruptPolicy()
        #expect(policy.registerPress(now: 100.0) == false)
        #expect(policy.lastPress == 100.0)
    }

    @Test func secondPressWithinASecondExits() {
        var policy = InterruptPolicy()
        _ = policy.registerPress(now: 10.0)
        #expect(policy.registerPress(now: 10.6) == true)
    }

    @Test func slowSecondPressDoesNotExit() {
        var policy = InterruptPolicy()
        _ = policy.registerPress(now: 10.0)
        #expect(policy.registerPress(now: 11.5) == false)
        // …but it starts a new window.
        #expect(policy.registerPress(now: 12.0) == true)
    }

    @Test func windowBoundaryAndClockOddities() {
        #expect(InterruptPolicy.isDoublePress(previous: 1.0, now: 2.0, window: 1.0) == false)
        #expect(InterruptPolicy.isDoublePress(previous: 1.0, now: 1.999, window: 1.0) == true)
        #expect(InterruptPolicy.isDoublePress(previous: 5.0, now: 4.0, window: 1.0) == false)
    }

    @Test func resetForgetsThePreviousPress() {
        var policy = InterruptPolicy(window: 2.0)
        _ = policy.registerPress(now: 1.0)
        policy.reset()
        #expect(policy.lastPress == nil)
        #expect(policy.registerPress(now: 1.5) == false)
    }
}

/// Everything that touches process-wide state (the SIGINT handler, libedit's global
/// readline state) runs serially in this suite.
@Suite(.serialized) struct GlobalStateTests {
    /// Sends SIGINT to this thread with SIGINT unblocked (test worker threads block it), so
    /// the handler has run when this returns.
    func pressControlC() -> Bool {
        var unblock = sigset_t()
        var previous = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &unblock, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        return raise(SIGINT) == 0
    }

    @Test func flagOperations() {
        Interrupts.clear()
        #expect(Interrupts.pending() == false)
        Interrupts.raiseFlag()
        #expect(Interrupts.pending())
        let poll: @Sendable () -> Bool = Interrupts.isPending
        #expect(poll())
        #expect(Interrupts.consume() == true)
        #expect(Interrupts.consume() == false)
        Interrupts.raiseFlag()
        Interrupts.clear()
        #expect(poll() == false)
    }

    @Test func realSignalSetsTheFlag() throws {
        // No exit on a double press here: the test process must survive.
        Interrupts.install(exitOnDoublePress: false)
        #expect(Interrupts.isInstalled)
        Interrupts.clear()
        #expect(pressControlC())
        #expect(Interrupts.consume())
        #expect(pressControlC())
        #expect(Interrupts.pending())
        Interrupts.clear()
        // A later installIfNeeded (as LineEditor does) keeps the handler and the choice.
        Interrupts.installIfNeeded()
        #expect(pressControlC())
        #expect(Interrupts.consume())
    }

    @Test func editorLoadsAddsAndSavesHistory() throws {
        Interrupts.install(exitOnDoublePress: false)
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/nested/dir/history"
        try HistoryFile.save(["describe old", "drift old new"], path: path)

        let editor = LineEditor(programName: "retune-test", historyPath: path) { _ in [] }
        #expect(editor.historyLoadError == nil)
        #expect(editor.history == ["describe old", "drift old new"])

        let cell = "model price = mlp hidden [64, 32] \\\nactivation relu predicts price"
        editor.addHistory(cell)
        editor.addHistory("train price on train epochs 40 ")   // completion's trailing space
        editor.addHistory("train price on train epochs 40")    // repeat: skipped
        editor.addHistory("   ")                              // blank: skipped
        #expect(editor.history.count == 4)
        #expect(editor.history.last == "train price on train epochs 40")
        try editor.saveHistory()
        #expect(try permissions(path) == 0o600)

        let reopened = LineEditor(programName: "retune-test", historyPath: path) { _ in [] }
        #expect(reopened.history == ["describe old", "drift old new", cell, "train price on train epochs 40"])
        #expect(reopened.history[2].split(separator: "\n").count == 2)
    }

    @Test func editorBoundsHistory() throws {
        Interrupts.install(exitOnDoublePress: false)
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/history"
        let editor = LineEditor(programName: "retune-test", historyPath: path, historyLimit: 3) { _ in [] }
        for i in 1...5 { editor.addHistory("show #\(i)") }
        #expect(editor.history == ["show #3", "show #4", "show #5"])
        try editor.saveHistory()
        #expect(try HistoryFile.load(path: path) == ["show #3", "show #4", "show #5"])
    }

    @Test func editorWithoutAPathOrWithABadFile() throws {
        Interrupts.install(exitOnDoublePress: false)
        let editor = LineEditor(programName: "retune-test", historyPath: nil) { _ in [] }
        editor.addHistory("help")
        try editor.saveHistory()   // no-op
        #expect(editor.history == ["help"])

        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // The history "file" is a folder: reported, not fatal.
        let broken = LineEditor(programName: "retune-test", historyPath: folder) { _ in [] }
        #expect(broken.historyLoadError != nil)
        #expect(broken.history == [])
    }
}
