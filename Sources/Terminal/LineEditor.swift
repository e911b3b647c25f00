#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CEditLine

/// What the user asked to complete: the line up to the cursor and the word under it.
///
/// Words break at white space, `[`, `(`, `,` and `"`. A word that starts inside an open
/// `"…` quote is a file path (`insideQuote`), which the caller completes from the file system.
public struct CompletionRequest: Sendable, Equatable {
    /// Characters that end a word, as given to libedit.
    public static let wordBreakCharacters = " \t\n\"[(,"

    /// The whole edit buffer from its start up to the cursor.
    public var line: String
    /// The partial word being completed (the end of `line`); may be empty.
    public var word: String
    /// Whether the word starts inside an unclosed double quote.
    public var insideQuote: Bool

    public init(line: String, word: String, insideQuote: Bool) {
        self.line = line
        self.word = word
        self.insideQuote = insideQuote
    }

    /// Splits `lineUpToCursor` into the word being completed and what precedes it.
    public init(lineUpToCursor: String) {
        let breaks = Set(CompletionRequest.wordBreakCharacters)
        var start = lineUpToCursor.endIndex
        while start > lineUpToCursor.startIndex {
            let previous = lineUpToCursor.index(before: start)
            if breaks.contains(lineUpToCursor[previous]) { break }
            start = previous
        }
        self.line = lineUpToCursor
        self.word = String(lineUpToCursor[start...])
        self.insideQuote = CompletionRequest.quoteIsOpen(lineUpToCursor[..<start])
    }

    /// Text before the word being completed.
    public var precedingText: String {
        String(line.dropLast(word.count))
    }

    /// The whole words before the one being completed (split at white space and word breaks).
    public var precedingWords: [String] {
        let breaks = Set(CompletionRequest.wordBreakCharacters)
        return precedingText.split(whereSeparator: { breaks.contains($0) }).map(String.init)
    }

    /// Whether `text` ends inside a `"…` string (a backslash escapes the next character).
    static func quoteIsOpen(_ text: Substring) -> Bool {
        var open = false
        var escaped = false
        for ch in text {
            if escaped { escaped = false; continue }
            if ch == "\\" && open { escaped = true; continue }
            if ch == "\"" { open.toggle() }
        }
        return open
    }
}

/// The outcome of one `LineEditor.readLine(prompt:)`.
public enum LineResult: Sendable, Equatable {
    /// A line (without its newline). A recalled multi-line history entry comes back whole,
    /// with its embedded `\n`.
    case line(String)
    /// Ctrl-C at the prompt: the typed text was discarded.
    case interrupted
    /// Ctrl-D on an empty line (or end of input).
    case endOfInput
}

/// An interactive line editor over libedit's readline-compatible API: emacs key bindings,
/// history with Up/Down (loaded from and saved to a file), Tab completion through a Swift
/// closure, and Ctrl-C that clears the line.
///
/// Use it only when stdin is a terminal (`TerminalInfo.stdinIsTTY`); for piped input use
/// `ScriptReader`. libedit's readline API keeps one global state, so one `LineEditor` is active
/// at a time (the last one that called `readLine`); create one per process. Not thread-safe:
/// call it from one thread.
public final class LineEditor {
    public let programName: String
    /// Where history is loaded from and saved to; nil for no history file.
    public let historyPath: String?
    /// Maximum number of history entries kept in memory and in the file.
    public let historyLimit: Int
    /// A problem met while loading the history file at init (the editor still works).
    public private(set) var historyLoadError: TerminalError?

    private let completer: (CompletionRequest) -> [String]
    private var entries: [String] = []
    private let cName: UnsafeMutablePointer<CChar>?
    private let cBreaks: UnsafeMutablePointer<CChar>?

    /// Creates the editor, installs the SIGINT handler (`Interrupts.installIfNeeded()`) with libedit's
    /// own signal handling off, and loads the history file if there is one.
    public init(programName: String, historyPath: String?, historyLimit: Int = HistoryFile.defaultLimit,
                completer: @escaping (CompletionRequest) -> [String]) {
        self.programName = programName
        self.historyPath = historyPath
        self.historyLimit = max(1, historyLimit)
        self.completer = completer
        self.cName = strdup(programName)
        self.cBreaks = strdup(CompletionRequest.wordBreakCharacters)

        Interrupts.installIfNeeded()
        // Before libedit initialises: no handlers of its own that would fight ours.
        retune_rl_set_catch_signals(0)
        retune_rl_set_catch_sigwinch(0)
        if let cName { retune_rl_set_readline_name(cName) }
        _ = rl_initialize()
        retune_rl_set_completion_function(completionCallback)
        if let cBreaks { retune_rl_set_word_breaks(cBreaks) }
        retune_rl_set_append_character(Int32(UInt8(ascii: " ")))
        retune_rl_set_query_items(200)

        clear_history()
        stifle_history(Int32(clamping: self.historyLimit))
        if let historyPath {
            do {
                entries = try HistoryFile.load(path: historyPath, limit: self.historyLimit)
            } catch {
                historyLoadError = error
            }
        }
        for entry in entries { _ = add_history(entry) }
        activeCompleter = completer
    }

    deinit {
        free(cName)
        // cBreaks stays allocated: libedit may still point at it.
    }

    /// Marks `text` (for example an ANSI colour sequence) as taking no room on screen, so a
    /// coloured prompt keeps the cursor arithmetic right:
    /// `prompt: LineEditor.nonPrinting("\u{1B}[1;34m") + "[1]>" + LineEditor.nonPrinting("\u{1B}[0m") + " "`.
    public static func nonPrinting(_ text: String) -> String {
        "\u{01}" + text + "\u{01}"
    }

    /// The history, oldest first.
    public var history: [String] { entries }

    /// Shows `prompt`, lets the user edit a line, and returns it. Ctrl-C discards the line and
    /// returns `.interrupted`; Ctrl-D on an empty line returns `.endOfInput`. In both cases a
    /// newline is written so that the next output starts on a fresh line.
    ///
    /// When stdin is not a terminal, no prompt is shown and libedit is bypassed (it would add
    /// piped lines to the history): the next line is read as `ScriptReader` would.
    public func readLine(prompt: String) -> LineResult {
        guard TerminalInfo.stdinIsTTY else {
            guard let line = Swift.readLine(strippingNewline: true) else { return .endOfInput }
            return .line(line)
        }
        activeCompleter = completer
        Interrupts.clear()
        Console.flush()
        // libedit's own SIGWINCH handler is off with its other handlers: pick up a window
        // size change made since the last prompt.
        rl_resize_terminal()
        let line = Interrupts.interruptingReads { readline(prompt) }
        guard let raw = line else {
            let interrupted = Interrupts.consume()
            Console.out("\n")
            return interrupted ? .interrupted : .endOfInput
        }
        defer { free(raw) }
        let text = String(decoding: UnsafeRawBufferPointer(start: raw, count: strlen(raw)), as: UTF8.self)
        if Interrupts.consume() {
            // Ctrl-C arrived while the line was being finished: honour it.
            return .interrupted
        }
        return .line(text)
    }

    /// Adds one entry to the history. A multi-line cell is one entry (join its lines with
    /// "\n"). Trailing white space is trimmed (completion leaves a trailing space); empty
    /// entries and repeats of the newest entry are skipped.
    public func addHistory(_ entry: String) {
        var trimmed = Substring(entry)
        while let last = trimmed.last, last == " " || last == "\t" || last == "\n" || last == "\r" {
            trimmed.removeLast()
        }
        guard !trimmed.isEmpty, entries.last.map({ $0 != trimmed }) ?? true else { return }
        let text = String(trimmed)
        entries.append(text)
        if entries.count > historyLimit { entries.removeFirst(entries.count - historyLimit) }
        _ = add_history(text)
    }

    /// Writes the history to `historyPath` (mode 0600, parent folders created). No-op without
    /// a path.
    public func saveHistory() throws(TerminalError) {
        guard let historyPath else { return }
        try HistoryFile.save(entries, path: historyPath, limit: historyLimit)
    }
}

// MARK: - Completion bridge (libedit calls back synchronously on the thread inside readline())

/// The completer of the editor currently reading. Only touched on the thread that calls
/// `readline()`, from inside it.
nonisolated(unsafe) private var activeCompleter: ((CompletionRequest) -> [String])?

private typealias MatchArray = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>

private let completionCallback: @convention(c) (UnsafePointer<CChar>?, Int32, Int32) -> MatchArray? = { text, _, _ in
    // Never fall back to libedit's own file-name completion.
    retune_rl_set_completion_over(1)
    guard let completer = activeCompleter else { return nil }
    var request = CompletionRequest(lineUpToCursor: currentLineUpToCursor())
    if let text {
        // libedit replaces its own idea of the word; keep the two in agreement.
        let word = String(cString: text)
        if word != request.word {
            request.word = word
        }
    }
    var seen = Set<String>()
    let matches = completer(request).filter { !$0.isEmpty && seen.insert($0).inserted }
    // What follows a unique match: nothing after a folder, the closing quote after a quoted
    // path, else a space.
    let append: UInt8
    if matches.count == 1, matches[0].hasSuffix("/") {
        append = 0
    } else if request.insideQuote {
        append = UInt8(ascii: "\"")
    } else {
        append = UInt8(ascii: " ")
    }
    retune_rl_set_append_character(Int32(append))
    return makeMatchArray(matches)
}

/// The edit buffer up to the cursor, as libedit last published it.
private func currentLineUpToCursor() -> String {
    guard let buffer = retune_rl_line_buffer() else { return "" }
    let length = strlen(buffer)
    let point = max(0, min(Int(retune_rl_point()), length))
    return String(decoding: UnsafeRawBufferPointer(start: buffer, count: point), as: UTF8.self)
}

/// readline's match array: [common prefix or the single match, matches…, NULL, NULL], every
/// string malloc'd (libedit frees them). Two NULLs: libedit reads `matches[2]` even for one match.
private func makeMatchArray(_ matches: [String]) -> MatchArray? {
    guard !matches.isEmpty else { return nil }
    let items = matches.count == 1 ? matches : [commonPrefix(matches)] + matches
    guard let raw = malloc(MemoryLayout<UnsafeMutablePointer<CChar>?>.stride * (items.count + 2)) else {
        return nil
    }
    let array = raw.bindMemory(to: UnsafeMutablePointer<CChar>?.self, capacity: items.count + 2)
    for (i, item) in items.enumerated() { array[i] = strdup(item) }
    array[items.count] = nil
    array[items.count + 1] = nil
    return array
}

/// Longest common prefix, by characters.
func commonPrefix(_ strings: [String]) -> String {
    guard var prefix = strings.first.map(Array.init) else { return "" }
    for s in strings.dropFirst() {
        let chars = Array(s)
        var n = 0
        while n < prefix.count && n < chars.count && prefix[n] == chars[n] { n += 1 }
        prefix.removeLast(prefix.count - n)
    }
    return String(prefix)
}
