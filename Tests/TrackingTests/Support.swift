import Foundation
@testable import Tracking

let testEnvironment = RunEnvironment(retuneVersion: "0.0.0-test", backend: "swift", kernel: "generic", threads: 1,
                                     os: "TestOS 1", cpu: "TestCPU")

func newRun(_ kind: RunKind = .train, model: String? = "price", params: [String: String] = [:],
            datasets: [RunDataset] = [], seed: Int? = 42, parentRun: Int64? = nil, parentVersion: Int? = nil,
            command: String = "train price on train") -> NewRun
{
    NewRun(kind: kind, model: model, parentVersion: parentVersion, parentRun: parentRun, seed: seed, command: command,
           params: params, datasets: datasets, environment: testEnvironment)
}

/// A path for a store file in a fresh temporary directory (removed by the caller).
func temporaryStorePath() -> String {
    FileManager.default.temporaryDirectory.path + "/retune-test-\(UUID().uuidString).db"
}

func removeStoreFiles(_ path: String) {
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
}

/// Creates a finished run with params and final metrics; returns its id.
@discardableResult
func addFinishedRun(_ store: Store, kind: RunKind = .train, model: String? = "price", params: [String: String] = [:],
                    metrics: [String: Double] = [:], datasets: [String] = ["train"], status: RunStatus = .finished) throws -> Int64
{
    let ds = datasets.map { RunDataset(role: "train", name: $0, fingerprint: "fp-\($0)", rows: 100) }
    let id = try store.beginRun(newRun(kind, model: model, params: params, datasets: ds))
    try store.finishRun(id, status: status, finalMetrics: metrics, cost: RunCost(wallSeconds: 0.5, examples: 1000, flops: 1e6))
    return id
}
