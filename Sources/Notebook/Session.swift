import Decisions
import Foundation
import Language
import Render
import Tabular
import Tracking

/// Output settings and knobs changed with `set KEY VALUE`.
public struct Settings: Sendable, Hashable {
    public enum Format: String, Sendable, CaseIterable { case table, vertical, csv, tsv, json, markdown }
    public var seed: Int = 42
    public var timer = false
    public var format: Format = .table
    public var progress = true
    public var color = false
    /// Relative tolerance for comparing numbers in verified replay.
    public var tolerance: Double = 1e-9
    /// `stop` (default) ends a script at the first error; `continue` reports it and goes on.
    public var onError: String = "stop"
    /// Time limit of `sql` and `runs where` statements in seconds; nil = no limit.
    public var sqlTimeout: Double? = 5
    /// `set cost ratio R per second|gflop`: error units traded for compute (advise, backtest).
    public var costRatio: CostRatio?
    public init() {}
}

/// Where a session's output goes. The REPL and scripts write to stdout/stderr; tests capture.
public protocol OutputSink: AnyObject {
    func write(_ text: String)
    func writeError(_ text: String)
}

/// Writes to the process's stdout and stderr.
public final class StandardOutput: OutputSink {
    public init() {}
    public func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
    public func writeError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}

/// Collects output in memory (tests, transcripts).
public final class CapturedOutput: OutputSink {
    public private(set) var text = ""
    public private(set) var errors = ""
    /// Both streams interleaved in the order written.
    public private(set) var combined = ""
    public init() {}
    public func write(_ t: String) { text += t; combined += t }
    public func writeError(_ t: String) { errors += t; combined += t }
}

/// One executed cell, as `cells`, `save session` and `transcript` show it.
public struct CellRecord: Sendable, Hashable {
    public enum Status: String, Sendable { case ok, failed, interrupted }
    public var number: Int
    public var text: String
    public var status: Status
    public var seconds: Double
    /// Everything the cell printed (output and diagnostics).
    public var output: String
}

/// The state of one notebook session: datasets, settings, cells, results.
public final class Session {
    public var datasets: [String: Dataset] = [:] {
        // Any change may replace a dataset under an existing name: forget cached fingerprints.
        didSet { fingerprintCache.removeAll() }
    }
    var fingerprintCache: [String: String] = [:]
    /// The experiment store once opened (see `store()`), and this session's row in it.
    var openedStore: Store?
    var storeSession: Int64?
    public var settings = Settings()
    public var output: any OutputSink
    /// The number of the cell being run (1-based).
    public var cellNumber = 0
    /// Results of earlier cells, for `_` and `_N`.
    public var results: [Int: ResultValue] = [:]
    public var lastResult: ResultValue?
    public var cells: [CellRecord] = []
    /// Folder that relative paths resolve against (the script's, or the working directory).
    public var baseDirectory: String
    /// True at the prompt: progress bars, confirmations.
    public var isInteractive = false
    /// Terminal width for plots, sparklines and progress bars.
    public var width = 80
    /// Width past which a table switches to vertical records (psql's `\x auto`). Output that is
    /// not a terminal never switches on its own (scripts, pipes, transcripts): `Int.max`.
    public var tableWidth = 80
    /// Polled by long computations: true once the user pressed Ctrl-C.
    public var shouldStop: @Sendable () -> Bool = { false }
    /// The bound of a user query: `set sql_timeout` and Ctrl-C.
    var queryBound: QueryBound { QueryBound(seconds: settings.sqlTimeout, cancelled: shouldStop) }
    /// Path of the experiment store.
    public var storePath: String
    /// A random id for this session, recorded with its cells and runs.
    public let sessionID: String
    /// Output of the cell being run (also sent to `output`).
    var cellOutput = ""

    public init(output: any OutputSink, storePath: String = "retune.db",
                baseDirectory: String = FileManager.default.currentDirectoryPath) {
        self.output = output
        self.storePath = storePath
        self.baseDirectory = baseDirectory
        self.sessionID = UUID().uuidString.lowercased()
    }

    /// Prints a line (or block) of output.
    public func print(_ text: String) {
        let t = text.hasSuffix("\n") ? text : text + "\n"
        cellOutput += t
        output.write(t)
    }

    /// Prints to the error stream (diagnostics, warnings).
    public func printError(_ text: String) {
        let t = text.hasSuffix("\n") ? text : text + "\n"
        cellOutput += t
        output.writeError(t)
    }

    public func warn(_ message: String) { printError("warning: \(message)") }

    /// Renders a table in the session's output format.
    public func show(_ table: Table) {
        print(TableRenderer.render(table, format: settings.format.renderFormat, width: tableWidth,
                                   color: settings.color))
    }

    /// A dataset by name, or an error on the span naming it (with "did you mean").
    public func dataset(_ name: String, at span: SourceSpan) throws -> Dataset {
        if let d = datasets[name] { return d }
        var notes: [String] = []
        if let s = Suggest.closest(name, among: Array(datasets.keys).sorted()) { notes.append("did you mean '\(s)'?") }
        if datasets.isEmpty { notes.append("no datasets yet: use 'load' or 'generate'") }
        throw Diagnostic("no dataset named '\(name)'", at: span, notes: notes)
    }
}

extension Settings.Format {
    var renderFormat: OutputFormat {
        switch self {
        case .table: return .table
        case .vertical: return .vertical
        case .csv: return .csv
        case .tsv: return .tsv
        case .json: return .json
        case .markdown: return .markdown
        }
    }
}
