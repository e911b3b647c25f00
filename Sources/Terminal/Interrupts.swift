#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Process-wide SIGINT (Ctrl-C) handling.
///
/// The handler does only async-signal-safe work: it stores into atomics and, when a second
/// Ctrl-C arrives within `doublePressWindow` of the first, restores the terminal mode saved at
/// `install()` and exits with status 130. Everything else — clearing the prompt line,
/// cancelling a command at its next safe point — is done by code that polls the flag.
///
/// Typical use:
/// ```swift
/// Interrupts.install()
/// let cancelled: @Sendable () -> Bool = Interrupts.isPending   // hand to training code
/// ...
/// if Interrupts.consume() { print("interrupted") }
/// ```
public enum Interrupts {
    /// Seconds within which a second Ctrl-C exits the process with status 130.
    public static let doublePressWindow: Double = 1.0
    /// Exit status used for the double Ctrl-C.
    public static let exitStatus: Int32 = 130

    /// Installs the SIGINT handler (idempotent). With `exitOnDoublePress` (the default) a second
    /// Ctrl-C within `doublePressWindow` seconds of the previous one exits with status 130
    /// after restoring the terminal settings of stdin as they were at the first `install()`.
    public static func install(exitOnDoublePress: Bool = true) {
        // Touch every global the handler reads, so none is lazily initialised inside it.
        _ = doublePressWindow
        _ = exitStatus
        signalState.exitOnDouble.store(exitOnDoublePress, ordering: .relaxed)
        guard !signalState.installed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        saveTerminalMode()
        var action = sigaction()
        #if canImport(Glibc)
        action.__sigaction_handler.sa_handler = interruptHandler
        #else
        action.__sigaction_u.__sa_handler = interruptHandler
        #endif
        sigemptyset(&action.sa_mask)
        // No SA_RESTART: a blocking read() at the prompt returns EINTR, so the line editor
        // returns and the prompt can be cleared.
        action.sa_flags = 0
        sigaction(SIGINT, &action, nil)
    }

    /// Installs the handler with the default policy unless one is installed already (so a
    /// caller's earlier `install(exitOnDoublePress:)` choice is kept).
    public static func installIfNeeded() {
        if !signalState.installed.load(ordering: .acquiring) { install() }
    }

    /// Whether the handler is installed.
    public static var isInstalled: Bool { signalState.installed.load(ordering: .acquiring) }

    /// Whether a Ctrl-C arrived and was not consumed or cleared yet.
    public static func pending() -> Bool {
        signalState.pending.load(ordering: .sequentiallyConsistent)
    }

    /// The flag as a `@Sendable` function value, for long computations to poll at safe points.
    public static let isPending: @Sendable () -> Bool = { signalState.pending.load(ordering: .relaxed) }

    /// Forgets a pending Ctrl-C.
    public static func clear() {
        signalState.pending.store(false, ordering: .relaxed)
    }

    /// Returns whether a Ctrl-C was pending, and clears it.
    public static func consume() -> Bool {
        signalState.pending.exchange(false, ordering: .sequentiallyConsistent)
    }

    /// Pretends that Ctrl-C was pressed (for tests and for code that cancels itself).
    /// Does not apply the double-press policy.
    public static func raiseFlag() {
        signalState.pending.store(true, ordering: .relaxed)
    }

    /// Monotonic time in seconds (CLOCK_MONOTONIC), the clock the handler uses.
    public static func monotonicNow() -> Double {
        Double(monotonicNanoseconds()) / 1e9
    }
}

/// The "second Ctrl-C within a second exits" rule as a value, for callers that apply the policy
/// themselves (for example with `Interrupts.install(exitOnDoublePress: false)`), and for tests.
public struct InterruptPolicy: Sendable, Equatable {
    /// Seconds within which a second press means "exit".
    public var window: Double
    /// Time of the last press, if any.
    public private(set) var lastPress: Double?

    public init(window: Double = Interrupts.doublePressWindow) {
        self.window = window
        self.lastPress = nil
    }

    /// Records a press at `now` (seconds on a monotonic clock) and tells whether the process
    /// should exit (status 130): true when the previous press was less than `window` ago.
    public mutating func registerPress(now: Double) -> Bool {
        defer { lastPress = now }
        guard let last = lastPress else { return false }
        return InterruptPolicy.isDoublePress(previous: last, now: now, window: window)
    }

    /// Forgets earlier presses.
    public mutating func reset() { lastPress = nil }

    /// Pure rule shared with the signal handler: a press at `now` following one at `previous`.
    public static func isDoublePress(previous: Double, now: Double, window: Double) -> Bool {
        let gap = now - previous
        return gap >= 0 && gap < window
    }
}

extension Interrupts {
    /// Runs `body` (a blocking terminal read) with SIGINT unblocked on the calling thread and
    /// Ctrl-C presses that land on other threads forwarded to it, so the read is interrupted
    /// even when called from a thread that blocks signals (Dispatch and Swift concurrency
    /// worker threads do).
    static func interruptingReads<T>(_ body: () -> T) -> T {
        var unblock = sigset_t()
        var previous = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &unblock, &previous)
        signalState.readerThread.store(UInt(pthread_self()), ordering: .releasing)
        defer {
            signalState.readerThread.store(0, ordering: .releasing)
            pthread_sigmask(SIG_SETMASK, &previous, nil)
            // A press forwarded after the read ended stays pending on this thread if it blocks
            // SIGINT again; drop it so that it is not taken for a new press later.
            if signalState.forwarding.load(ordering: .acquiring), sigismember(&previous, SIGINT) == 1 {
                var zero = timespec(tv_sec: 0, tv_nsec: 0)
                _ = sigtimedwait(&unblock, nil, &zero)
            }
            signalState.forwarding.store(false, ordering: .releasing)
        }
        return body()
    }
}

// MARK: - Signal handler state (touched by the handler: atomics and plain C calls only)

final class SignalState: Sendable {
    let installed = Atomic<Bool>(false)
    let pending = Atomic<Bool>(false)
    let exitOnDouble = Atomic<Bool>(true)
    /// Monotonic nanoseconds of the last press; -1 when none.
    let lastPressNanos = Atomic<Int64>(-1)
    let terminalSaved = Atomic<Bool>(false)
    /// The thread blocked in the line editor's read (0 when none): a Ctrl-C delivered to
    /// another thread is forwarded to it so that its read() returns EINTR.
    let readerThread = Atomic<UInt>(0)
    /// Set just before forwarding, so the forwarded signal is not counted as a second press.
    let forwarding = Atomic<Bool>(false)
    /// termios of stdin at install time, restored before a double-press exit.
    nonisolated(unsafe) var savedMode = termios()
}

let signalState = SignalState()

private func saveTerminalMode() {
    guard isatty(STDIN_FILENO) == 1 else { return }
    var mode = termios()
    if tcgetattr(STDIN_FILENO, &mode) == 0 {
        signalState.savedMode = mode
        signalState.terminalSaved.store(true, ordering: .releasing)
    }
}

func monotonicNanoseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) &* 1_000_000_000 &+ Int64(ts.tv_nsec)
}

private let interruptHandler: @convention(c) (Int32) -> Void = { _ in
    let state = signalState
    if state.forwarding.exchange(false, ordering: .acquiringAndReleasing) {
        return  // a press already counted on another thread, forwarded here to interrupt read()
    }
    let now = monotonicNanoseconds()
    let previous = state.lastPressNanos.exchange(now, ordering: .relaxed)
    // The flag is set before forwarding, so the reader sees it once its read() fails.
    state.pending.store(true, ordering: .sequentiallyConsistent)
    if state.exitOnDouble.load(ordering: .relaxed), previous >= 0,
       InterruptPolicy.isDoublePress(previous: Double(previous) / 1e9, now: Double(now) / 1e9,
                                     window: Interrupts.doublePressWindow) {
        if state.terminalSaved.load(ordering: .acquiring) {
            var mode = state.savedMode
            tcsetattr(STDIN_FILENO, TCSANOW, &mode)
        }
        var newline: UInt8 = 0x0A
        _ = write(STDERR_FILENO, &newline, 1)
        _exit(Interrupts.exitStatus)
    }
    let reader = state.readerThread.load(ordering: .acquiring)
    if reader != 0 && pthread_equal(pthread_t(reader), pthread_self()) == 0 {
        state.forwarding.store(true, ordering: .sequentiallyConsistent)
        if pthread_kill(pthread_t(reader), SIGINT) != 0 {
            state.forwarding.store(false, ordering: .releasing)
        }
    }
}
