import Foundation
import Learning
import Tabular

// The backtest policies from the literature (docs/ADVICE.md, "Policies from the literature"):
// a background model started at a detector's warning and swapped in at confirmed drift (river's
// DriftRetrainingClassifier), serving the stored version nearest the batch (Matchmaker), and
// pricing compute with a cost ratio (CARA; Regol et al.) — `retrain when cost` lives in
// `replay`, the priced verdict here.

extension BacktestEngine {
    /// The fewest rows a background candidate trains on: a warning just before the alarm would
    /// otherwise leave a handful of rows.
    static func backgroundMinimumRows(features: Int) -> Int { max(50, 5 * (features + 1)) }

    /// `background`: each batch's per-row losses (scored before the batch is used, in row
    /// order) feed a Page–Hinkley detector. At the first warning the candidate's data starts at
    /// that row; when the detector confirms drift the candidate — trained on the rows from the
    /// warning to the end of the batch — replaces the model and the detector restarts. A warning
    /// that fades (the statistic back under the warning level at the end of a batch) drops the
    /// candidate. Compute is counted for the candidates that are swapped in.
    static func replayBackground(_ policy: Policy, detector start: PageHinkley, index p: Int, of total: Int,
                                 _ ctx: ReplayContext, progress: Progress) throws -> PolicyOutcome {
        var out = PolicyOutcome(policy: policy, errors: [], retrainedAfter: [], finetunedAfter: [], drift: [],
                                wallSeconds: 0, flops: 0, examples: 0, interrupted: false)
        var model = ctx.first
        var detector = start
        // The candidate's first row: (batch, offset of the row in the batch).
        var warnedAt: (batch: Int, offset: Int)?
        let minimum = backgroundMinimumRows(features: ctx.features.count)
        for b in ctx.batchData.indices {
            if ctx.control.shouldStop() { out.interrupted = true; return out }
            progress(p, b, total, ctx.batchData.count)
            // One evaluation gives the batch's metric and its per-row losses.
            let scores = try DecisionMath.rowScores(model, on: ctx.batchData[b])
            out.errors.append(try ctx.metric(scores.metrics))
            let losses = scores.losses
            var confirmed = false
            for (k, loss) in losses.enumerated() {
                switch detector.add(loss) {
                case .warning where warnedAt == nil:
                    warnedAt = (b, k)
                    out.warnings.append(b)
                case .drift:
                    if warnedAt == nil { warnedAt = (b, k); out.warnings.append(b) }
                    confirmed = true
                default: break
                }
                if confirmed { break }
            }
            out.drift.append(detector.statistic)
            if confirmed, let w = warnedAt {
                var rows = Array(ctx.batches[w.batch].rows[min(w.offset, ctx.batches[w.batch].rows.count)...])
                if b > w.batch { rows += ctx.rows(batches: (w.batch + 1)...b, withStart: false) }
                if rows.count < minimum {
                    // Too few rows since the warning: the latest `minimum` rows of the stream.
                    let all = ctx.rows(batches: 0...b, withStart: true)
                    rows = Array(all.suffix(minimum))
                }
                guard let r = try ctx.retrain(rows) else { out.interrupted = true; return out }
                add(r.cost, to: &out)
                model = r.model
                out.retrainedAfter.append(b)
                detector.reset()
                warnedAt = nil
            } else if warnedAt != nil, detector.state == .normal {
                warnedAt = nil
            }
        }
        return out
    }

    /// `nearest version [window W]`: after each batch a version is trained on the last W
    /// batches; each batch is served by the stored version (the first training included) whose
    /// training data has the lowest mean PSI to the batch over the feature columns.
    static func replayNearest(_ policy: Policy, index p: Int, of total: Int, _ ctx: ReplayContext,
                              progress: Progress) throws -> PolicyOutcome {
        var out = PolicyOutcome(policy: policy, errors: [], retrainedAfter: [], finetunedAfter: [], drift: [],
                                wallSeconds: 0, flops: 0, examples: 0, interrupted: false)
        let window = policy.window ?? 1
        var versions: [(model: TrainedModel, summary: DatasetSummary)] =
            [(ctx.first, ctx.gather(ctx.initialRows, "v0").summary(fingerprint: false))]
        for b in ctx.batchData.indices {
            if ctx.control.shouldStop() { out.interrupted = true; return out }
            progress(p, b, total, ctx.batchData.count)
            let batch = ctx.batchData[b]
            var pick = versions.count - 1
            var pickPSI = Double.infinity
            for (v, version) in versions.enumerated() {
                let psi = meanPSI(Drift.report(reference: version.summary, new: batch), features: ctx.features)
                // Ties go to the newer version.
                if psi <= pickPSI { pick = v; pickPSI = psi }
            }
            out.served.append(pick)
            out.drift.append(pickPSI.isFinite ? pickPSI : nil)
            out.errors.append(try ctx.score(versions[pick].model, batch: b))
            let rows = ctx.rows(batches: max(0, b - window + 1)...b, withStart: false)
            guard let r = try ctx.retrain(rows) else { out.interrupted = true; return out }
            add(r.cost, to: &out)
            versions.append((r.model, ctx.gather(rows, "v\(b + 1)").summary(fingerprint: false)))
            out.retrainedAfter.append(b)
        }
        return out
    }

    /// Mean PSI over the feature columns that have one (∞ when none has).
    static func meanPSI(_ report: DriftReport, features: [String]) -> Double {
        let values = report.columns.filter { features.contains($0.name) }.compactMap(\.psi).filter(\.isFinite)
        return values.isEmpty ? .infinity : values.reduce(0, +) / Double(values.count)
    }

    /// With a cost ratio the pick is the policy with the lowest error + priced compute per batch;
    /// the error-only reasons stay, and one line says what the pricing changed.
    static func priceVerdict(_ v: inout BacktestVerdict, _ result: BacktestResult) {
        guard let ratio = result.costRatio else { return }
        let scored = result.outcomes.indices.compactMap { i in result.priced(result.outcomes[i]).map { (i, $0) } }
        guard let (pick, total) = scored.min(by: { $0.1 < $1.1 }) else { return }
        let o = result.outcomes[pick]
        let sign = result.lowerIsBetter ? 1.0 : -1.0
        let compute = ratio.price(seconds: o.wallSeconds, flops: o.flops) / Double(max(o.errors.count, 1))
        var line = "priced at \(ratio) of compute, \(o.policy.name) has the lowest error + compute per batch: "
            + "\(fmt(sign * o.mean)) + \(fmt(compute)) = \(fmt(total))"
        if pick != v.pick { line += " (instead of \(result.outcomes[v.pick].policy.name) on error and noise alone)" }
        v.reasons.append(line)
        v.pick = pick
    }
}
