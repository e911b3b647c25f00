import Decisions
import Foundation
import Language
import Learning
import Render
import Tabular
import Tracking

extension Session {
    /// `MODEL[@V]` operand 0 resolved and loaded.
    func decisionVersion(_ inv: Invocation) throws -> (model: String, version: Int, trained: TrainedModel,
                                                        stored: ModelVersion, span: SourceSpan) {
        guard let a = inv.operand(0), case .version(let m, let ref) = a.value, let model = m else {
            throw inv.error("expected a model version (NAME, NAME@N or NAME@ALIAS)")
        }
        let v = try loadVersion(model, ref: ref, at: a.span)
        if let r = v.model.routing {
            throw Diagnostic("\(model)@\(v.version) is a segment model (by \(r.column)): \(inv.spec.name) weighs updates of one version",
                             at: a.span, notes: ["give its base \(model)@\(r.baseVersion) or a segment's version"])
        }
        return (model, v.version, v.model, v.stored, a.span)
    }

    /// The producing run of a version (params, cost, datasets), when recorded.
    func producingRun(_ stored: ModelVersion) -> RunDetail? {
        guard let id = stored.info.run, let s = try? store() else { return nil }
        return try? s.run(id)
    }

    /// A version's recorded loss-like metric: `valid_<m>`, else `train_<m>`, else `<m>`.
    func recordedLoss(_ stored: ModelVersion, metric: PrimaryMetric) -> (key: String, loss: Double)? {
        for key in ["valid_" + metric.name, "train_" + metric.name, metric.name] {
            if let v = stored.info.metrics[key], v.isFinite { return (key, metric.loss(metric: v)) }
        }
        return nil
    }

    /// Rows a version was fitted on: its training data's rows less the validation fraction
    /// (`valid F`) its producing run held out.
    func fittedRows(_ stored: ModelVersion) -> Int? {
        guard let rows = trainingSummary(stored)?.rows else { return nil }
        guard let f = producingRun(stored)?.row.params["valid"].flatMap(Double.init), f > 0, f < 1 else { return rows }
        return rows - Int((Double(rows) * f).rounded())
    }

    /// A version's training-data summary (stored with it).
    func trainingSummary(_ stored: ModelVersion) -> DatasetSummary? {
        guard let bytes = stored.summary else { return nil }
        return try? JSONDecoder().decode(DatasetSummary.self, from: Data(bytes))
    }
}

/// Options of a run reconstructed from its recorded parameters (the ones a retrain reuses).
func trainOptions(fromParams p: [String: String], seed: UInt64?) -> TrainOptions {
    var o = TrainOptions()
    if let s = p["optimizer"], let opt = TrainOptions.Optimizer(rawValue: s) { o.optimizer = opt }
    if let e = p["epochs"].flatMap({ Int($0) }) { o.epochs = e }
    if let l = p["lr"].flatMap({ Double($0) }) { o.lr = l }
    if let b = p["batch"].flatMap({ Int($0) }) { o.batch = b }
    if o.optimizer == .sgd, let m = p["momentum"].flatMap({ Double($0) }) { o.momentum = m }
    if let w = p["weight_decay"].flatMap({ Double($0) }), w != 0 { o.weightDecay = w }
    if let s = p["schedule"].flatMap({ TrainOptions.Schedule(rawValue: $0) }), s != .constant { o.schedule = s }
    if let i = p["impute"].flatMap({ ImputeStrategy(rawValue: $0) }), i != .none { o.impute = i }
    if let t = p["threads"].flatMap({ Int($0) }), t > 1 { o.threads = t }
    o.seed = seed ?? p["seed"].flatMap { UInt64($0) }
    return o
}

func formatSeconds(_ s: Double) -> String { NumberText.seconds(s) }

func formatFLOPs(_ f: Double) -> String { NumberText.flops(f) }

/// The options of a training command that reproduce `o` (the ones it sets; the seed is the
/// session's), as written after `finetune …` / `retrain …`, e.g. ` epochs 5 lr 0.0001` or
/// ` anchor 1500 replay 1 from old`; values equal to the command's defaults are left out.
/// Used by the `next:` lines so they run what was estimated.
func commandOptions(_ o: TrainOptions, replayFrom: String? = nil) -> String {
    var parts: [String] = []
    func num(_ x: Double) -> String { Invocation.formatNumber(x) }
    var d = TrainOptions()
    d.optimizer = o.optimizer
    if let e = o.epochs, e != d.resolvedEpochs { parts.append("epochs \(e)") }
    if let l = o.lr, l != d.resolvedLR { parts.append("lr \(num(l))") }
    if let b = o.batch, b != d.resolvedBatch { parts.append("batch \(b)") }
    if let opt = o.optimizer, opt != TrainOptions().resolvedOptimizer { parts.append("optimizer \(opt.rawValue)") }
    if let m = o.momentum, m != d.resolvedMomentum { parts.append("momentum \(num(m))") }
    if let w = o.weightDecay { parts.append("weight_decay \(num(w))") }
    if let s = o.schedule { parts.append("schedule \(s.rawValue)") }
    if let i = o.impute, i != .none { parts.append("impute \(i.rawValue)") }
    if let t = o.threads, t > 1 { parts.append("threads \(t)") }
    if let f = o.freeze { parts.append("freeze \(f)") }
    if let a = o.anchor { parts.append("anchor \(num(a))") }
    if let r = o.replayFraction, let from = replayFrom { parts.append("replay \(num(r)) from \(from)") }
    if let s = o.shrink { parts.append("shrink \(num(s))") }
    if let p = o.perturb { parts.append("perturb \(num(p))") }
    return parts.map { " " + $0 }.joined()
}
