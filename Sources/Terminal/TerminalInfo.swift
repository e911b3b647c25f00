#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CEditLine
import Foundation

/// When to colour output.
public enum ColorMode: String, Sendable, CaseIterable {
    case auto, always, never

    /// Parses `auto|always|never` (case-insensitive); nil for anything else.
    public init?(argument: String) {
        self.init(rawValue: argument.lowercased())
    }
}

/// Facts about the terminal: is it one, how wide, may we colour.
public enum TerminalInfo {
    /// Whether `fd` is a terminal.
    public static func isTTY(_ fd: Int32) -> Bool {
        isatty(fd) == 1
    }

    /// Whether standard input is a terminal (the REPL) or not (script mode).
    public static var stdinIsTTY: Bool { isTTY(STDIN_FILENO) }
    /// Whether standard output is a terminal.
    public static var stdoutIsTTY: Bool { isTTY(STDOUT_FILENO) }

    /// Width in columns for rendering: `COLUMNS` if it is a positive integer, else the width of
    /// the terminal on `fd` (stdout by default), else 80.
    public static func width(environment: [String: String], fd: Int32 = STDOUT_FILENO) -> Int {
        if let text = environment["COLUMNS"]?.trimmingSpaces, let columns = Int(text), columns > 0 {
            return columns
        }
        let columns = Int(retune_terminal_columns(fd))
        return columns > 0 ? columns : 80
    }

    /// Width using the process environment.
    public static func width() -> Int {
        width(environment: processEnvironment())
    }

    /// Whether to colour: `never` → no; `always` → yes (an explicit request beats `NO_COLOR`);
    /// `auto` → yes only on a terminal, when `NO_COLOR` is absent (any value, even empty,
    /// disables colour) and `TERM` is not `dumb`.
    public static func colorEnabled(mode: ColorMode, isTTY: Bool, environment: [String: String]) -> Bool {
        switch mode {
        case .never: return false
        case .always: return true
        case .auto:
            if environment["NO_COLOR"] != nil { return false }
            if environment["TERM"] == "dumb" { return false }
            return isTTY
        }
    }

    /// The process environment as a dictionary.
    public static func processEnvironment() -> [String: String] {
        ProcessInfo.processInfo.environment
    }
}

/// Writing to the standard streams, flushed after each call so that prompts, progress lines and
/// errors interleave in the order they were written. Uses the C `stdout`/`stderr` streams, the
/// same ones as Swift's `print`, so mixing both keeps the order.
public enum Console {
    /// Writes `text` to stdout (no newline added) and flushes.
    public static func out(_ text: String) {
        write(text, to: retune_stdout())
    }

    /// Writes `text` followed by a newline to stdout and flushes.
    public static func outLine(_ text: String = "") {
        write(text + "\n", to: retune_stdout())
    }

    /// Writes `text` to stderr (no newline added) and flushes.
    public static func err(_ text: String) {
        write(text, to: retune_stderr())
    }

    /// Writes `text` followed by a newline to stderr and flushes.
    public static func errLine(_ text: String = "") {
        write(text + "\n", to: retune_stderr())
    }

    /// Flushes stdout (for example after `print`, before a blocking read).
    public static func flush() {
        fflush(retune_stdout())
    }

    private static func write(_ text: String, to stream: UnsafeMutablePointer<FILE>?) {
        guard let stream else { return }
        fputs(text, stream)
        fflush(stream)
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
