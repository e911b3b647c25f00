import Foundation
import Language
import Learning
import Tabular
import Tracking

extension Session {
    /// The experiment store, opened (and migrated) on first use; this session is registered in it.
    public func store() throws -> Store {
        if let s = openedStore { return s }
        let s: Store
        do {
            s = try Store(path: storePath)
        } catch {
            throw Diagnostic("cannot open the store: \(error)", kind: .io)
        }
        openedStore = s
        do {
            storeSession = try s.beginSession(retuneVersion: RetuneVersion.string, source: isInteractive ? "prompt" : "script")
        } catch {
            warn("could not record this session in the store (cells will not be logged): \(error)")
        }
        if !s.interruptedOnOpen.isEmpty {
            warn("marked \(s.interruptedOnOpen.count) run\(s.interruptedOnOpen.count == 1 ? "" : "s") interrupted whose process is gone: "
                 + s.interruptedOnOpen.map { "#\($0)" }.joined(separator: ", "))
        }
        return s
    }

    /// Records a finished cell in the store's `cells` table (when the store is open).
    func recordCell(_ cell: CellRecord) {
        guard let s = openedStore, let id = storeSession else { return }
        let status: Tracking.CellRecord.Status
        switch cell.status {
        case .ok: status = .ok
        case .failed: status = .error
        case .interrupted: status = .interrupted
        }
        recording("cell \(cell.number)") {
            try s.recordCell(session: id, number: cell.number, text: cell.text, status: status, duration: cell.seconds)
        }
    }

    /// Runs a store write that is not the command's main result (a tag, a run's end after an
    /// error, a cell); a failure is a warning naming what was not recorded, never silent.
    public func recording(_ what: String, _ write: () throws -> Void) {
        do {
            try write()
        } catch {
            warn("could not record \(what) in the store: \(error)")
        }
    }

    /// Ends this session's row in the store.
    public func close() {
        if let s = openedStore, let id = storeSession { recording("the end of this session") { try s.endSession(id) } }
    }

    /// A dataset's SHA-256 fingerprint, computed once per dataset value.
    public func fingerprint(of name: String) -> String? {
        if let f = fingerprintCache[name] { return f }
        guard let d = datasets[name] else { return nil }
        let f = d.fingerprint()
        fingerprintCache[name] = f
        return f
    }

    /// The environment that decides whether a result reproduces bit for bit.
    var environment: RunEnvironment { RunRecorder.processEnvironment }
}

/// Records one run as it happens: begun with its parameters and data, each epoch committed as it
/// ends, finished with status, final metrics and cost. Notebook is the only target that records runs.
public final class RunRecorder {
    public let store: Store
    public let id: Int64
    /// Where a failed per-epoch write is reported (once per run).
    let warn: (String) -> Void
    var epochWriteFailed = false
    let started = DispatchTime.now().uptimeNanoseconds

    /// This process's environment (retune version, matrix backend and kernel, threads, OS, CPU):
    /// fixed for the life of the process, so computed once rather than per run.
    static let processEnvironment = RunEnvironment.current(
        retuneVersion: RetuneVersion.string,
        backend: GEMM.kernelName.split(separator: " ").first.map(String.init) ?? "",
        kernel: GEMM.kernelName, threads: 1)

    /// Begins a run of `kind` for the command being run.
    public init(session: Session, invocation: Invocation?, kind: String, model: String? = nil,
                parentVersion: Int? = nil, parentRun: Int64? = nil, seed: Int? = nil,
                datasets: [(role: String, name: String)] = [], params: [String: String] = [:]) throws {
        let opened = try session.store()
        store = opened
        warn = { [weak session] in session?.warn($0) }
        var runDatasets: [RunDataset] = []
        for (role, name) in datasets {
            guard let d = session.datasets[name] else { continue }
            runDatasets.append(RunDataset(role: role, name: name, fingerprint: session.fingerprint(of: name) ?? "",
                                          rows: d.rowCount))
            session.recording("dataset '\(name)'") {
                _ = try opened.recordDataset(name: name, fingerprint: session.fingerprint(of: name) ?? "", rows: d.rowCount,
                                            columns: d.columns.count, source: d.provenance.detail)
            }
        }
        let run = NewRun(kind: RunKind(kind), model: model, parentVersion: parentVersion, parentRun: parentRun,
                         seed: seed, command: invocation?.node.text ?? "", session: session.storeSession,
                         cell: session.cellNumber, params: params, datasets: runDatasets,
                         environment: session.environment)
        do {
            id = try store.beginRun(run)
        } catch {
            throw Diagnostic("cannot record the run: \(error)", kind: .io)
        }
    }

    /// Commits one epoch's metric points.
    public func epoch(step: Int, values: [String: Double]) {
        do {
            try store.logEpoch(id, step: step, values: values)
        } catch {
            if !epochWriteFailed { warn("could not record the curve of run #\(id) from step \(step) on: \(error)") }
            epochWriteFailed = true
        }
    }

    /// Ends the run.
    public func finish(_ status: RunStatus, metrics: [String: Double] = [:], cost: RunCost? = nil,
                       version: Int? = nil, error: String? = nil) throws {
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let c = cost ?? RunCost(wallSeconds: seconds, examples: 0, flops: 0)
        do {
            try store.finishRun(id, status: status, finalMetrics: metrics, cost: c, producedVersion: version, error: error)
        } catch {
            throw Diagnostic("cannot record the end of run #\(id): \(error)", kind: .io)
        }
    }
}
