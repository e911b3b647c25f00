import Decisions
import Foundation
import Language
import Learning
import Render
import Tabular
import Tracking

// Chain health: a thin adapter over `Decisions.ChainHealthAssessment` — the store gives the
// lineage and each generation's verb, the session the datasets (found by fingerprint), the
// engine counts, measures and decides.

extension Session {
    /// A loaded dataset whose content has `fingerprint`: the one named `name` first, else any
    /// (in name order).
    func loadedDataset(named name: String, fingerprint: String) -> Dataset? {
        if let d = datasets[name], self.fingerprint(of: name) == fingerprint { return d }
        for n in datasets.keys.sorted() where n != name && self.fingerprint(of: n) == fingerprint { return datasets[n] }
        return nil
    }

    /// The lineage of `model@version` (newest first) as chain links: a version produced by a
    /// `finetune` run is a fine-tune, anything else a full fit.
    func chainLinks(_ chain: [VersionInfo], runs: [Int64: RunRow]) -> [ChainLink] {
        chain.map { v in
            let kind = v.run.flatMap { runs[$0] }?.kind
            return ChainLink(version: v.version, kind: kind == .finetune ? .fineTune : .fullTrain)
        }
    }

    /// The chain health of one version: fine-tunes since its last full (re)train, cumulative
    /// drift of its training data from the root's (when its data is loaded), and forgetting:
    /// its error on the root's training data now versus the root's own (when that data is loaded).
    func chainHealth(model: String, version: Int, runs: [Int64: RunRow]? = nil, at span: SourceSpan) throws -> ChainHealth {
        let store = try store()
        let chain = try storeCall(span) { try store.lineage(model, version: version) }
        let runs = try runs ?? storeCall(span) { try Experiments.runsByID(store, model: model) }
        let links = chainLinks(chain, runs: runs)
        let (root, fineTunes) = ChainHealthAssessment.root(of: links)
        guard fineTunes > 0, let info = chain.first, let rootInfo = chain.first(where: { $0.version == root }) else {
            return ChainHealthAssessment.assess(chain: links, readings: ChainReadings())
        }
        var readings = ChainReadings()
        guard let stored = try? store.loadVersion(model, .number(version)),
              let trained = try? TrainedModel.deserialize(stored.weights) else {
            readings.notes = ["\(model)@\(version) cannot be loaded: nothing measured"]
            return ChainHealthAssessment.assess(chain: links, readings: readings)
        }
        readings.classification = trained.task == .classification
        let features = trained.preprocessor.features.map(\.name)
        let rootStored = try? store.loadVersion(model, .number(root))
        let rootTrain = rootInfo.datasets.first { $0.role == "train" }
        let rootData = rootTrain.flatMap { loadedDataset(named: $0.name, fingerprint: $0.fingerprint) }
        if let latest = info.datasets.first(where: { $0.role == "train" }),
           let data = loadedDataset(named: latest.name, fingerprint: latest.fingerprint) {
            let d = ChainHealthAssessment.drift(rootSummary: rootStored.flatMap { trainingSummary($0) }, rootData: rootData,
                                                latest: data, features: features)
            (readings.psi, readings.psiColumn, readings.ks, readings.noiseFloor) = (d.psi, d.column, d.ks, d.floor)
            if d.psi == nil { readings.notes.append("no stored summary of @\(root): drift not measured") }
        } else {
            readings.notes.append("data of @\(version) not loaded: drift not measured")
        }
        if let rootData, let rootStored, let rootModel = try? TrainedModel.deserialize(rootStored.weights) {
            readings.rootLossAtRoot = try? ChainHealthAssessment.loss(rootModel, on: rootData)
            readings.rootLossNow = try? ChainHealthAssessment.loss(trained, on: rootData)
        } else {
            readings.notes.append("root data not loaded: forgetting not measured")
        }
        return ChainHealthAssessment.assess(chain: links, readings: readings)
    }
}

let healthCommand = CommandSpec(
    name: "health", group: .decisions,
    summary: "Chain health of every version: fine-tunes since the last full train, drift and forgetting, and a verdict",
    synopsis: "health MODEL",
    operands: [OperandSpec("MODEL", .name(.model))],
    help: """
    One line per version of MODEL, oldest first: how many fine-tunes separate it from its last full train or \
    retrain (the root of its chain), the cumulative drift of its training data from the root's (largest PSI over \
    the model's features, with KS when the root's rows are loaded), and forgetting: its error on the root's \
    training data now against the root's own error there. Then a verdict for the latest version: healthy, watch, \
    or retrain, with the reasons. Datasets are found in the session by fingerprint; what is not loaded is said \
    ("root data not loaded: forgetting not measured"), never guessed. Thresholds (docs/ADVICE.md, "Chain \
    health"): retrain from 6 fine-tunes, forgetting +10 % or PSI 0.25 above the sampling-noise level; watch from 3 \
    fine-tunes, +5 % or PSI 0.1. finetune warns when it extends an unhealthy chain, and advise prefers a \
    retrain that is within noise of the best on an unhealthy chain.
    """,
    examples: ["health price"],
    handler: { inv, session in
        guard let arg = inv.operand(0), let model = Experiments.modelName(arg) else { return nil }
        let store = try session.store()
        let versions = try Experiments.wrap(arg.span) { try store.versions(model) }
        let runs = try Experiments.wrap(arg.span) { try Experiments.runsByID(store, model: model) }
        guard let latest = versions.last else {
            session.print("\(model) has no versions yet")
            return nil
        }
        var last: ChainHealth?
        for v in versions {
            let h = try session.chainHealth(model: model, version: v.version, runs: runs, at: arg.span)
            session.print("\(model)@\(v.version)  \(h.line)")
            last = h
        }
        if let h = last {
            switch h.verdict {
            case .retrain:
                session.print("verdict: \(model)@\(latest.version): retrain — the fine-tune chain since @\(h.root) is due a full retrain")
                for r in h.reasons { session.print("  because \(r)") }
                let data = latest.datasets.first { $0.role == "train" }?.name ?? "DATA"
                session.print("next: retrain \(model) on \(data)")
            case .watch:
                session.print("verdict: \(model)@\(latest.version): watch — the chain since @\(h.root) is getting long or drifting")
                for r in h.reasons { session.print("  because \(r)") }
            case .healthy, .fullTrain:
                session.print("verdict: \(model)@\(latest.version): healthy")
            }
        }
        return .version(model: model, version: latest.version)
    })
