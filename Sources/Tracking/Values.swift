// Plain values that go in and out of the store. No GRDB types leak through the public API.
import Foundation

/// The status of a run. Stored as its raw value in `runs.status`.
public enum RunStatus: String, Sendable, Hashable, CaseIterable, Codable {
    case running, finished, failed, interrupted, diverged
}

/// The kind of a run (`train`, `retrain`, `finetune`, …). Open-ended: other commands add kinds.
public struct RunKind: RawRepresentable, Sendable, Hashable, Codable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }

    public static let train: RunKind = "train"
    public static let retrain: RunKind = "retrain"
    public static let finetune: RunKind = "finetune"
    public static let evaluate: RunKind = "evaluate"
    public static let cv: RunKind = "cv"
    public static let fold: RunKind = "fold"
    public static let drift: RunKind = "drift"
    public static let advise: RunKind = "advise"
    public static let duel: RunKind = "duel"
    public static let monitor: RunKind = "monitor"
}

/// What decides whether a result can be reproduced bit for bit.
public struct RunEnvironment: Sendable, Hashable, Codable {
    public var retuneVersion: String
    /// Matrix backend, e.g. `openblas` or `swift`.
    public var backend: String
    /// Matrix kernel, e.g. `Haswell` or `generic`.
    public var kernel: String
    /// Threads/workers used for training.
    public var threads: Int
    public var os: String
    public var cpu: String

    public init(retuneVersion: String, backend: String, kernel: String, threads: Int, os: String, cpu: String) {
        self.retuneVersion = retuneVersion
        self.backend = backend
        self.kernel = kernel
        self.threads = threads
        self.os = os
        self.cpu = cpu
    }

    /// The environment of this process; OS from `uname`, CPU from `/proc/cpuinfo` when present.
    public static func current(retuneVersion: String, backend: String, kernel: String, threads: Int) -> RunEnvironment {
        RunEnvironment(retuneVersion: retuneVersion, backend: backend, kernel: kernel, threads: threads,
                       os: HostInfo.osDescription, cpu: HostInfo.cpuModel)
    }
}

/// The measured cost of a run.
public struct RunCost: Sendable, Hashable, Codable {
    public var wallSeconds: Double
    public var examples: Int
    public var flops: Double
    public init(wallSeconds: Double, examples: Int, flops: Double) {
        self.wallSeconds = wallSeconds
        self.examples = examples
        self.flops = flops
    }
}

/// A dataset used by a run, in a role (`train`, `valid`, `test`, `ref`, `new`, …).
public struct RunDataset: Sendable, Hashable, Codable {
    public var role: String
    public var name: String
    public var fingerprint: String
    public var rows: Int
    public init(role: String, name: String, fingerprint: String, rows: Int) {
        self.role = role
        self.name = name
        self.fingerprint = fingerprint
        self.rows = rows
    }
}

/// Everything known when a run starts; written in one transaction by `Store.beginRun`.
public struct NewRun: Sendable, Hashable {
    public var kind: RunKind
    public var model: String?
    /// The version this run starts from (fine-tune parent, evaluated version), if any.
    public var parentVersion: Int?
    /// The enclosing run (a cv fold's cv run, a duel arm's duel run), if any.
    public var parentRun: Int64?
    public var seed: Int?
    public var command: String
    public var session: Int64?
    public var cell: Int?
    /// Every parameter, defaults included, as text (numbers are also indexed numerically).
    public var params: [String: String]
    public var datasets: [RunDataset]
    public var tags: [String: String]
    public var note: String?
    public var environment: RunEnvironment
    /// Start time; defaults to now.
    public var started: Date

    public init(kind: RunKind, model: String? = nil, parentVersion: Int? = nil, parentRun: Int64? = nil,
                seed: Int? = nil, command: String = "", session: Int64? = nil, cell: Int? = nil,
                params: [String: String] = [:], datasets: [RunDataset] = [], tags: [String: String] = [:],
                note: String? = nil, environment: RunEnvironment, started: Date = Date())
    {
        self.kind = kind
        self.model = model
        self.parentVersion = parentVersion
        self.parentRun = parentRun
        self.seed = seed
        self.command = command
        self.session = session
        self.cell = cell
        self.params = params
        self.datasets = datasets
        self.tags = tags
        self.note = note
        self.environment = environment
        self.started = started
    }
}

/// One point of a per-epoch curve.
public struct MetricPoint: Sendable, Hashable, Codable {
    public var key: String
    public var step: Int
    public var value: Double
    /// Seconds since 1970 (UTC).
    public var time: Double
    public init(key: String, step: Int, value: Double, time: Double) {
        self.key = key
        self.step = step
        self.value = value
        self.time = time
    }
}

/// One run as listed by queries.
public struct RunRow: Sendable, Hashable {
    public var id: Int64
    public var kind: RunKind
    public var model: String?
    /// The version this run produced, if any.
    public var version: Int?
    public var parentVersion: Int?
    public var parentRun: Int64?
    public var status: RunStatus
    public var seed: Int?
    /// Dataset names in recording order.
    public var datasets: [String]
    public var started: Date
    public var ended: Date?
    /// Seconds; nil while running.
    public var duration: Double?
    public var params: [String: String]
    public var metrics: [String: Double]
    public var tags: [String: String]
    public var note: String?
    public var deleted: Bool
}

/// Everything about one run.
public struct RunDetail: Sendable, Hashable {
    public var row: RunRow
    public var command: String
    public var session: Int64?
    public var cell: Int?
    public var host: String
    public var pid: Int
    public var environment: RunEnvironment
    public var cost: RunCost?
    public var error: String?
    public var datasets: [RunDataset]
    /// Curves by key, points ordered by step.
    public var curves: [String: [MetricPoint]]
    /// Runs whose parent run is this one (cv folds, duel arms).
    public var children: [Int64]
    /// The produced version's (or else the parent version's) chain back to its root, newest first.
    public var lineage: [VersionInfo]
}

/// A model version without its blobs.
public struct VersionInfo: Sendable, Hashable {
    public var model: String
    public var version: Int
    public var parentVersion: Int?
    public var run: Int64?
    public var formatVersion: Int
    public var weightsBytes: Int
    public var created: Date
    public var metrics: [String: Double]
    /// The datasets of the run that produced it (empty if unknown), for `history`.
    public var datasets: [RunDataset]
    /// Aliases currently pointing at this version.
    public var aliases: [String]
    public var deleted: Bool
}

/// A model version with its weights and training-data summary.
public struct ModelVersion: Sendable, Hashable {
    public var info: VersionInfo
    public var weights: [UInt8]
    public var summary: [UInt8]?
    /// The model's specification (JSON text) as stored with the model.
    public var specJSON: String
}

/// One change of an alias. `oldVersion` nil: the alias was created; `newVersion` nil: removed.
public struct AliasEvent: Sendable, Hashable {
    public enum Action: String, Sendable, Hashable { case set, rollback }
    public var id: Int64
    public var model: String
    public var alias: String
    public var oldVersion: Int?
    public var newVersion: Int?
    public var action: Action
    public var time: Date
}

/// A model as listed by `models`.
public struct ModelSummary: Sendable, Hashable {
    public var name: String
    public var specJSON: String
    public var versionCount: Int
    public var latest: Int?
    public var aliases: [String: Int]
    public var created: Date
}

/// A version reference: `price@3`, `price@latest`, `price@production`.
public enum VersionRef: Sendable, Hashable, CustomStringConvertible {
    case number(Int)
    case latest
    case alias(String)

    /// Parses the part after `@` (a leading `@` is accepted).
    public init(parsing text: String) throws(StoreError) {
        let body = text.hasPrefix("@") ? String(text.dropFirst()) : text
        if let n = Int(body) {
            guard n >= 1 else { throw StoreError.invalidReference(text) }
            self = .number(n)
        } else if body == "latest" {
            self = .latest
        } else if Store.isValidAliasName(body) {
            self = .alias(body)
        } else {
            throw StoreError.invalidReference(text)
        }
    }

    public var description: String {
        switch self {
        case let .number(n): return "\(n)"
        case .latest: return "latest"
        case let .alias(a): return a
        }
    }
}

/// One recorded notebook cell.
public struct CellRecord: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable { case ok, error, interrupted }
    public var session: Int64
    public var number: Int
    public var text: String
    public var status: Status
    public var duration: Double
    public var started: Date
    public var error: String?
}

/// A value from `readOnlySQL`.
public enum SQLValue: Sendable, Hashable, CustomStringConvertible {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    public var description: String {
        switch self {
        case .null: return "NULL"
        case let .integer(v): return "\(v)"
        case let .real(v): return "\(v)"
        case let .text(v): return v
        case let .blob(v): return "<\(v.count) bytes>"
        }
    }
}

/// A result table: column names and rows of values.
public struct SQLTable: Sendable, Hashable {
    public var columns: [String]
    public var rows: [[SQLValue]]
    public init(columns: [String], rows: [[SQLValue]]) {
        self.columns = columns
        self.rows = rows
    }
}

/// Facts about this host, used for run ownership and the environment record.
public enum HostInfo {
    public static var hostname: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown" }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    public static var pid: Int { Int(getpid()) }

    /// True unless the process is known to be gone (`kill(pid, 0)` failing with ESRCH).
    public static func processIsAlive(_ pid: Int) -> Bool {
        guard pid > 0, pid <= Int(Int32.max) else { return false }
        if kill(pid_t(pid), 0) == 0 { return true }
        return errno != ESRCH
    }

    /// Read once per process: recorded with every run, it must not cost a uname per run.
    public static var osDescription: String { cachedOSDescription }

    private static let cachedOSDescription: String = {
        var info = utsname()
        guard uname(&info) == 0 else { return "unknown" }
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
        }
        return "\(field(info.sysname)) \(field(info.release)) \(field(info.machine))"
    }()

    /// Read once per process: reading /proc/cpuinfo per run was a third of a run's cost.
    public static var cpuModel: String { cachedCPUModel }

    private static let cachedCPUModel: String = {
        if let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) {
            for line in text.split(separator: "\n") where line.hasPrefix("model name") {
                if let colon = line.firstIndex(of: ":") {
                    return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
            }
        }
        var info = utsname()
        guard uname(&info) == 0 else { return "unknown" }
        return withUnsafeBytes(of: info.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }()
}
