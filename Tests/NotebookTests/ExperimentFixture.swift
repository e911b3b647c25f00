import Foundation
import Tracking
@testable import Notebook

/// A store with a small, known history, written through the Tracking API:
///   #1 train price@1 (lr 0.01, epochs 40; rmse 3.0) on train/valid, curves train_loss/valid_loss
///   #2 finetune price@2 from @1 (lr 0.001, epochs 40; rmse 2.5) on new_train
///   #3 retrain price@3 replacing @1 (lr 0.01, epochs 80; rmse 2.8) on new_train
///   #4 drift (psi.x1 0.05, psi.x2 0.3; metric score 2, param score 7)
///   #5 duel with arms #6 (retrain, rmse 2.9) and #7 (finetune, rmse 2.6), model rent
enum ExperimentFixture {
    static let env = RunEnvironment(retuneVersion: "test", backend: "naive", kernel: "naive 1x1", threads: 1,
                                    os: "Linux", cpu: "test cpu")

    @discardableResult
    static func populate(_ h: Harness) throws -> Store {
        let s = try h.session.store()
        try s.upsertModel(name: "price", specJSON: "{}")
        try s.upsertModel(name: "rent", specJSON: "{}")
        let train = RunDataset(role: "train", name: "train", fingerprint: "aaaaaaaaaaaaaaaa1111", rows: 100)
        let valid = RunDataset(role: "valid", name: "valid", fingerprint: "bbbbbbbbbbbbbbbb2222", rows: 20)
        let newTrain = RunDataset(role: "train", name: "new_train", fingerprint: "cccccccccccccccc3333", rows: 50)

        @discardableResult
        func run(_ kind: RunKind, model: String?, parent: Int?, parentRun: Int64? = nil, params: [String: String],
                 data: [RunDataset], metrics: [String: Double], curve: [Double]?, version: Bool,
                 tags: [String: String] = [:], command: String = "") throws -> Int64 {
            let id = try s.beginRun(NewRun(kind: kind, model: model, parentVersion: parent, parentRun: parentRun, seed: 42,
                                           command: command, params: params, datasets: data, tags: tags, environment: env))
            if let curve {
                for (i, v) in curve.enumerated() {
                    try s.logEpoch(id, step: i + 1, values: ["train_loss": v, "valid_loss": v * 1.1])
                }
            }
            var produced: Int?
            if version, let model {
                produced = try s.addModelVersion(model: model, parentVersion: parent, runID: id, weights: [1, 2, 3],
                                                 formatVersion: 1, summary: nil, metrics: metrics)
            }
            try s.finishRun(id, status: .finished, finalMetrics: metrics,
                            cost: RunCost(wallSeconds: 1.5, examples: 4000, flops: 1e6), producedVersion: produced)
            return id
        }
        try run(.train, model: "price", parent: nil, params: ["lr": "0.01", "epochs": "40", "family": "linear"],
                data: [train, valid], metrics: ["rmse": 3.0, "mae": 2.0, "train_rmse": 2.5],
                curve: [4, 3, 2.5, 2.2, 2.0], version: true, command: "train price on train valid valid epochs 40 lr 0.01")
        try run(.finetune, model: "price", parent: 1, params: ["lr": "0.001", "epochs": "40", "family": "linear"],
                data: [newTrain], metrics: ["rmse": 2.5, "mae": 1.8, "train_rmse": 2.4],
                curve: [2.4, 2.0, 1.6, 1.4, 1.3], version: true)
        try run(.retrain, model: "price", parent: 1, params: ["lr": "0.01", "epochs": "80", "family": "linear"],
                data: [newTrain], metrics: ["rmse": 2.8, "mae": 1.9, "train_rmse": 2.6],
                curve: [5, 3, 2, 1.8, 1.7], version: true)
        try run(.drift, model: nil, parent: nil, params: ["score": "7"], data: [train, newTrain],
                metrics: ["psi.x1": 0.05, "psi.x2": 0.3, "score": 2], curve: nil, version: false)
        let duel = try run(.duel, model: "rent", parent: nil, params: [:], data: [newTrain], metrics: [:], curve: nil, version: false)
        try run(.retrain, model: "rent", parent: nil, parentRun: duel, params: ["lr": "0.01"], data: [newTrain],
                metrics: ["rmse": 2.9], curve: nil, version: false, tags: ["arm": "retrain"])
        try run(.finetune, model: "rent", parent: nil, parentRun: duel, params: ["lr": "0.001"], data: [newTrain],
                metrics: ["rmse": 2.6], curve: nil, version: false, tags: ["arm": "finetune"])
        return s
    }
}

extension Harness {
    /// The ids of the last `.runs` result.
    var lastRunIDs: [Int]? {
        if case .runs(let ids)? = session.lastResult { return ids }
        return nil
    }

    var lastTable: Table? {
        if case .table(let t)? = session.lastResult { return t }
        return nil
    }
}

import Render
