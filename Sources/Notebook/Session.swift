import Language
import Render
import Tabular

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
    public init() {}
}

/// Where a session's output goes. The REPL and scripts write to stdout/stderr; tests capture.
public protocol OutputSink: AnyObject {
    func write(_ text: String)
    func writeError(_ text: String)
}

/// The state of one notebook session: datasets, settings, cells, results, the store.
public final class Session {
    public var datasets: [String: Dataset] = [:]
    public var settings = Settings()
    public var output: any OutputSink
    /// The number of the cell being run (1-based).
    public var cellNumber = 0
    /// Results of earlier cells, for `_` and `_N`.
    public var results: [Int: ResultValue] = [:]
    public var lastResult: ResultValue?

    public init(output: any OutputSink) {
        self.output = output
    }

    public func print(_ text: String) { output.write(text.hasSuffix("\n") ? text : text + "\n") }
}
