import Foundation
import Learning
import Tabular

// Segments: `by COLUMN [bins N]` on drift, evaluate, advise and duel. The data moves
// differently in each segment and an average hides it, so every reading is taken per segment
// (plus the overall row); segments with too few rows to judge are marked, never merged.
// docs/ADVICE.md ("Segments") states the rules.

/// The documented constants of segment readings.
public enum SegmentRules {
    /// A segment needs at least this many rows (on each side, for drift) to be judged. Below it
    /// the segment is shown as `too few rows: n=…` with no verdict: PSI over 10 bins with fewer
    /// than 20 rows is noise, and a held-out tail of 30 % would hold fewer than 6 rows.
    public static let minRows = 20
    /// `by COLUMN` on a numeric column with at most this many distinct values (a season, an
    /// hour of the day) makes one segment per value; more need `bins N`.
    public static let maxDistinctValues = 12
    /// Bins of a numeric `by` column when `bins` is written without a number.
    public static let defaultBins = 4
    /// The fraction of each segment held out (its latest rows) to score the plans of advise by.
    public static let holdoutFraction = AdviseRules.holdoutFraction
}

/// How rows are assigned to segments: by the value of a categorical (or few-valued numeric)
/// column, or by quantile bins of a numeric column fitted on the reference data.
public struct Segmentation: Sendable, Hashable {
    public var column: String
    /// Interior bin edges (right-closed bins `(e[i-1], e[i]]`), from the reference's quantiles;
    /// nil when every value is its own segment.
    public var edges: [Double]?
    /// The segment labels in order; a value not among them (a category only NEW has) is a
    /// segment of its own, appended by `split`.
    public var labels: [String]

    public static let missingLabel = "(missing)"

    /// A value as a label: integers without a fraction (season `3`, year `2008`), others in
    /// their shortest exact form, so distinct values never share a label.
    public static func valueLabel(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : "\(x)"
    }

    /// Builds the segmentation of `column` from `reference` (categories, distinct values or
    /// quantile edges), adding categories that only `others` have.
    public static func make(column: String, bins: Int?, reference: Dataset, others: [Dataset] = []) throws -> Segmentation {
        guard let c = reference.column(named: column) else {
            throw DecisionError("no column '\(column)' in '\(reference.name)'")
        }
        switch c.storage {
        case .categorical(_, let levels):
            if bins != nil { throw DecisionError("'\(column)' is categorical: bins apply to numeric columns only") }
            var labels = levels
            for o in others {
                if case .categorical(_, let l)? = o.column(named: column)?.storage {
                    for x in l where !labels.contains(x) { labels.append(x) }
                }
            }
            return Segmentation(column: column, edges: nil, labels: labels)
        case .numeric, .decimal:
            let present = c.presentValues.sorted()
            guard !present.isEmpty else { throw DecisionError("'\(column)' has no values in '\(reference.name)'") }
            if let k = bins {
                guard k >= 2, k <= 100 else { throw DecisionError("bins must be between 2 and 100, got \(k)") }
                var edges: [Double] = []
                for q in 1..<k {
                    let e = DecisionMath.percentile(present, Double(q) / Double(k))
                    if edges.last.map({ e > $0 }) ?? true, e < (present.last ?? e) { edges.append(e) }
                }
                var labels: [String] = []
                for i in 0...edges.count {
                    let lo = i == 0 ? "-inf" : valueLabel(edges[i - 1])
                    let hi = i == edges.count ? "inf" : valueLabel(edges[i])
                    labels.append(i == edges.count ? "(\(lo), \(hi))" : "(\(lo), \(hi)]")
                }
                return Segmentation(column: column, edges: edges, labels: labels)
            }
            var distinct: [Double] = []
            for v in present where distinct.last != v {
                distinct.append(v)
                if distinct.count > SegmentRules.maxDistinctValues { break }
            }
            for o in others {
                for v in o.column(named: column)?.doubles ?? [] where !v.isNaN && !distinct.contains(v) {
                    distinct.append(v)
                    if distinct.count > SegmentRules.maxDistinctValues { break }
                }
            }
            guard distinct.count <= SegmentRules.maxDistinctValues else {
                throw DecisionError("'\(column)' is numeric with \(distinct.count) distinct values: add bins N (e.g. by \(column) bins \(SegmentRules.defaultBins)) to segment it by quantiles")
            }
            return Segmentation(column: column, edges: nil, labels: distinct.sorted().map(valueLabel))
        }
    }

    /// The label of row `r` of `column`.
    func label(_ c: Column, _ r: Int) -> String {
        switch c.storage {
        case .categorical(let codes, let levels):
            let k = Int(codes[r])
            return k >= 0 && k < levels.count ? levels[k] : Self.missingLabel
        case .numeric, .decimal:
            let x = c.value(r) ?? .nan   // one row read from the codes for a decimal column
            if x.isNaN { return Self.missingLabel }
            if let edges {
                let i = edges.firstIndex { x <= $0 } ?? edges.count
                return labels[i]
            }
            return Self.valueLabel(x)
        }
    }

    /// The rows of each segment of `d`, in the segmentation's order (segments `d` does not have
    /// are absent; labels outside `labels` come last). Rows keep their order.
    public func split(_ d: Dataset) throws -> [(label: String, rows: [Int])] {
        guard let c = d.column(named: column) else { throw DecisionError("no column '\(column)' in '\(d.name)'") }
        var groups: [String: [Int]] = [:]
        var extra: [String] = []
        for r in 0..<d.rowCount {
            let l = label(c, r)
            if groups[l] == nil, !labels.contains(l) { extra.append(l) }
            groups[l, default: []].append(r)
        }
        return (labels + extra).compactMap { l in groups[l].map { (l, $0) } }
    }

    /// The rows of one segment of `d`.
    public func subset(_ d: Dataset, label: String, rows: [Int]) -> Dataset {
        d.gathering(rows: rows, name: "\(d.name)[\(column) \(label)]", provenance: d.provenance)
    }

    /// `by island`, `by age bins 4`.
    public var text: String { edges == nil ? "by \(column)" : "by \(column) bins \(labels.count)" }
}

// MARK: - drift by segment

/// One segment of `drift … by`.
public struct SegmentDriftRow: Sendable {
    public var label: String
    public var referenceRows: Int
    public var newRows: Int
    /// nil when the segment has too few rows on a side (or is absent from one).
    public var assessment: DriftAssessment?
    public var tooFew: Bool { assessment == nil }
    /// Drift at moderate or above on a feature of the segment.
    public var flagged: Bool { (assessment?.level ?? .none) >= .moderate }

    /// `too few rows: n=12 (reference) / 30 (new); at least 20 needed`.
    public var tooFewText: String {
        "too few rows: n=\(referenceRows) / \(newRows); at least \(SegmentRules.minRows) a side needed"
    }
}

/// `drift REF NEW by COLUMN`: the assessment of each segment and of the whole.
public struct SegmentDrift: Sendable {
    public var segmentation: Segmentation
    public var rows: [SegmentDriftRow]
    public var overall: DriftAssessment
    /// The judged segments whose drift is moderate or major.
    public var flagged: [String] { rows.filter(\.flagged).map(\.label) }
    public var tooFew: [String] { rows.filter(\.tooFew).map(\.label) }

    public var line: String {
        var s = flagged.isEmpty ? "drift by \(segmentation.column): no segment drifts"
            : "drift by \(segmentation.column): \(flagged.joined(separator: ", ")) drift\(flagged.count == 1 ? "s" : "")"
        let judged = rows.count - tooFew.count
        s += " (\(flagged.count) of \(judged) judged segment\(judged == 1 ? "" : "s"))"
        if !tooFew.isEmpty { s += "; too few rows to judge: " + tooFew.joined(separator: ", ") }
        return s + "; overall: \(overall.level.rawValue)"
    }

    /// Assesses every segment (the segment column itself left out: it is constant within one).
    public static func assess(reference ref: Dataset, new: Dataset, segmentation seg: Segmentation,
                              columns wanted: [String]? = nil) throws -> SegmentDrift {
        let refParts = Dictionary(try seg.split(ref).map { ($0.label, $0.rows) }, uniquingKeysWith: +)
        let newParts = Dictionary(try seg.split(new).map { ($0.label, $0.rows) }, uniquingKeysWith: +)
        let order = (try seg.split(ref).map(\.label)) + (try seg.split(new).map(\.label)).filter { refParts[$0] == nil }
        let columns = (wanted ?? ref.columnNames.filter { new.column(named: $0) != nil }).filter { $0 != seg.column }
        var rows: [SegmentDriftRow] = []
        for label in order {
            let r = refParts[label] ?? [], n = newParts[label] ?? []
            var row = SegmentDriftRow(label: label, referenceRows: r.count, newRows: n.count, assessment: nil)
            if r.count >= SegmentRules.minRows, n.count >= SegmentRules.minRows {
                row.assessment = DriftAssessment.assess(reference: seg.subset(ref, label: label, rows: r),
                                                        new: seg.subset(new, label: label, rows: n), columns: columns)
            }
            rows.append(row)
        }
        return SegmentDrift(segmentation: seg, rows: rows,
                            overall: DriftAssessment.assess(reference: ref, new: new, columns: wanted))
    }
}

// MARK: - evaluate by segment

/// One segment of `evaluate … by`: its rows and metrics (nil when too few rows).
public struct SegmentScore: Sendable {
    public var label: String
    public var rows: Int
    public var metrics: [String: Double]?
}

public enum SegmentEvaluation {
    /// The version's metrics on each segment of `data` with enough rows.
    public static func evaluate(_ model: TrainedModel, on data: Dataset, segmentation seg: Segmentation) throws -> [SegmentScore] {
        try seg.split(data).map { part in
            guard part.rows.count >= SegmentRules.minRows else { return SegmentScore(label: part.label, rows: part.rows.count, metrics: nil) }
            let m = try Metrics.evaluate(model, on: seg.subset(data, label: part.label, rows: part.rows))
            return SegmentScore(label: part.label, rows: part.rows.count, metrics: m)
        }
    }
}

// MARK: - advise by segment

/// One segment's reading in advise by: keep against a fine-tune on the segment's fit rows,
/// both scored on its held-out tail.
public struct SegmentReading: Sendable {
    public enum Verdict: String, Sendable { case fineTune = "fine-tune", leave = "leave", tooFew = "too few rows" }
    public var label: String
    public var rows: Int
    public var heldOut: Int
    /// The segment's drift level against the old data (nil without OLD or with too few rows).
    public var drift: Advice.DriftLevel?
    public var keepLoss: Double?
    public var fineTuneLoss: Double?
    public var fineTuneCost: TrainingCost?
    public var verdict: Verdict
    /// Rows of the segment in the old data (the fine-tune's anchor).
    public var oldRows: Int?
    /// The options of the segment's fine-tune (`FineTuneRule` with the segment's anchor).
    public var fineTuneOptions: TrainOptions?
}

/// One whole-data plan of advise by, scored on the union of the segments' held-out tails.
public struct SegmentPlan: Sendable {
    public enum Kind: String, Sendable, CaseIterable, Comparable {
        case keep = "keep"
        case segments = "fine-tune segments"
        case finetuneAll = "fine-tune all"
        case retrainNew = "retrain on NEW"
        case retrainAll = "retrain on old + NEW"
        var rank: Int { Kind.allCases.firstIndex(of: self) ?? 0 }
        public static func < (a: Kind, b: Kind) -> Bool { a.rank < b.rank }
    }
    public var kind: Kind
    /// `fine-tune Biscoe; keep Dream, Torgersen`.
    public var detail: String
    public var loss: Double?
    public var low: Double?
    public var high: Double?
    public var cost: TrainingCost
    public var skipped: String?
    public var tied = false
    var rowLosses: [Double] = []
}

public struct SegmentAdvice: Sendable {
    public var segmentation: Segmentation
    public var protocolText: String
    public var heldOutRows: Int
    public var segments: [SegmentReading]
    public var plans: [SegmentPlan]
    public var classification: Bool
    public var best: Int?
    public var pick: Int?
    public var reasons: [String]

    public var fineTune: [String] { segments.filter { $0.verdict == .fineTune }.map(\.label) }
    public var leave: [String] { segments.filter { $0.verdict == .leave }.map(\.label) }
    public var tooFew: [String] { segments.filter { $0.verdict == .tooFew }.map(\.label) }
    public var pickedPlan: SegmentPlan? { pick.map { plans[$0] } }
}

public struct SegmentAdviseInput: Sendable {
    /// What advise without segments takes (the version, its fitted rows, the base options, OLD,
    /// NEW, the seed); budget and cost ratio are not used by segments.
    public var common: AdviseInput
    public var segmentation: Segmentation

    public var current: TrainedModel { common.current }
    public var currentRows: Int { common.currentRows }
    public var base: TrainOptions { common.base }
    public var old: Dataset? { common.old }
    public var new: Dataset { common.new }
    public var seed: UInt64 { common.seed }

    public init(current: TrainedModel, currentRows: Int, base: TrainOptions, old: Dataset?, new: Dataset,
                segmentation: Segmentation, seed: UInt64) {
        common = AdviseInput(current: current, currentRows: currentRows, base: base, old: old, new: new, seed: seed)
        self.segmentation = segmentation
    }
}

public enum SegmentAdviseEngine {
    /// Holds out the latest 30 % of every segment of NEW; on those rows compares, per judged
    /// segment, keep with a fine-tune on the segment's other rows, then scores the whole-data
    /// plans — keep, fine-tune the segments that gained beyond noise (the rest keep the base),
    /// fine-tune on all of NEW, retrain on NEW, retrain on old + NEW — on the same held-out
    /// rows, and picks the cheapest plan within noise of the best.
    public static func advise(_ input: SegmentAdviseInput, shouldStop: @escaping @Sendable () -> Bool = { false }) throws -> SegmentAdvice {
        let new = input.new, seg = input.segmentation
        let classification = input.current.task == .classification
        let control = TrainingControl(shouldStop: shouldStop)
        let spec = input.current.spec
        let times = new.time.flatMap { new.column(named: $0)?.doubles }
        let oldParts = try input.old.map { Dictionary(try seg.split($0).map { ($0.label, $0.rows) }, uniquingKeysWith: +) }
        var fitRows: [Int] = [], testRows: [Int] = [], testBySegment: [(label: String, rows: [Int])] = []
        var readings: [SegmentReading] = []
        var keepBySegment: [[Double]] = [], tunedBySegment: [[Double]?] = []
        var segmentCosts: [TrainingCost?] = []
        for part in try seg.split(new) {
            var rows = part.rows
            if let t = times { rows.sort { t[$0] < t[$1] || (t[$0] == t[$1] && $0 < $1) } }
            let held = rows.count >= 2 ? Int((Double(rows.count) * SegmentRules.holdoutFraction).rounded(.up)) : 0
            let fit = Array(rows[..<(rows.count - held)]), test = Array(rows[(rows.count - held)...]).sorted()
            fitRows += fit
            testRows += test
            testBySegment.append((part.label, test))
            let testData = seg.subset(new, label: part.label, rows: test)
            let keep = held > 0 ? try RowLosses.of(input.current, on: testData).losses : []
            keepBySegment.append(keep)
            let oldRows = oldParts?[part.label]?.count
            var reading = SegmentReading(label: part.label, rows: rows.count, heldOut: held, drift: nil,
                                         keepLoss: keep.isEmpty ? nil : RowLosses.loss(mean(keep), classification: classification),
                                         fineTuneLoss: nil, fineTuneCost: nil, verdict: .tooFew, oldRows: oldRows)
            var tuned: [Double]?
            var cost: TrainingCost?
            if rows.count >= SegmentRules.minRows {
                if let old = input.old, let o = oldParts?[part.label], o.count >= SegmentRules.minRows {
                    // Drift of the model's features (not of columns it never reads).
                    let features: [String]
                    switch spec.features {
                    case .columns(let c): features = c
                    case .allButTarget: features = old.columnNames.filter { $0 != spec.target }
                    }
                    let cols = features.filter { old.column(named: $0) != nil && new.column(named: $0) != nil && $0 != seg.column }
                    reading.drift = DriftAssessment.assess(reference: seg.subset(old, label: part.label, rows: o),
                                                           new: seg.subset(new, label: part.label, rows: part.rows), columns: cols).level
                }
                // The fine-tune's anchor is what the parent knew of this segment: its old rows
                // when OLD is loaded, else the segment's share of the parent's rows.
                let parentRows = oldRows ?? max(1, input.currentRows * rows.count / max(new.rowCount, 1))
                let options = FineTuneRule.options(spec: spec, base: input.base, parentRows: parentRows)
                reading.fineTuneOptions = options
                let r = try Trainer.train(spec: spec, data: seg.subset(new, label: part.label, rows: fit), options: options,
                                          parent: input.current, control: control)
                try AdviseEngine.check(r)
                let losses = try RowLosses.of(r.model, on: testData).losses
                tuned = losses
                cost = r.cost
                reading.fineTuneLoss = RowLosses.loss(mean(losses), classification: classification)
                reading.fineTuneCost = r.cost
                reading.verdict = .leave
                if let kl = reading.keepLoss, let fl = reading.fineTuneLoss, fl < kl, losses.count == keep.count {
                    let boot = PairedBootstrap(rows: keep.count, seed: input.seed ^ UInt64(readings.count + 1), classification: classification)
                    if !boot.within(keep, kl, of: losses, fl) { reading.verdict = .fineTune }
                }
            }
            readings.append(reading)
            tunedBySegment.append(tuned)
            segmentCosts.append(cost)
        }
        guard !testRows.isEmpty else { throw DecisionError("NEW has too few rows to hold any out") }
        let fitData = new.gathering(rows: fitRows.sorted(), name: new.name + "[fit]", provenance: new.provenance)
        let zero = TrainingCost(wallSeconds: 0, examplesProcessed: 0, estimatedFLOPs: 0)
        // The plans, each scored on the held-out rows in segment order.
        var plans: [SegmentPlan] = []
        plans.append(SegmentPlan(kind: .keep, detail: "the base everywhere", cost: zero, rowLosses: keepBySegment.flatMap { $0 }))
        let chosen = readings.indices.filter { readings[$0].verdict == .fineTune }
        if !chosen.isEmpty {
            var losses: [Double] = []
            var c = zero
            for i in readings.indices {
                if chosen.contains(i), let t = tunedBySegment[i] { losses += t } else { losses += keepBySegment[i] }
                if chosen.contains(i), let s = segmentCosts[i] {
                    c = TrainingCost(wallSeconds: c.wallSeconds + s.wallSeconds, examplesProcessed: c.examplesProcessed + s.examplesProcessed,
                                     estimatedFLOPs: c.estimatedFLOPs + s.estimatedFLOPs)
                }
            }
            let others = readings.indices.filter { !chosen.contains($0) }.map { readings[$0].label }
            plans.append(SegmentPlan(kind: .segments,
                                     detail: "fine-tune " + chosen.map { readings[$0].label }.joined(separator: ", ")
                                        + (others.isEmpty ? "" : "; base for " + others.joined(separator: ", ")),
                                     cost: c, rowLosses: losses))
        }
        func scoreWhole(_ m: TrainedModel) throws -> [Double] {
            var out: [Double] = []
            for part in testBySegment where !part.rows.isEmpty {
                out += try RowLosses.of(m, on: seg.subset(new, label: part.label, rows: part.rows)).losses
            }
            return out
        }
        for kind in [SegmentPlan.Kind.finetuneAll, .retrainNew, .retrainAll] {
            var p = SegmentPlan(kind: kind, detail: "", cost: zero)
            do {
                let r: TrainingResult
                switch kind {
                case .finetuneAll:
                    p.detail = "one fine-tune on every segment"
                    r = try Trainer.train(spec: spec, data: fitData,
                                          options: FineTuneRule.options(spec: spec, base: input.base, parentRows: input.currentRows),
                                          parent: input.current, control: control)
                case .retrainNew:
                    p.detail = "a fresh fit on NEW"
                    r = try Trainer.train(spec: spec, data: fitData, options: input.base, control: control)
                default:
                    guard let old = input.old else { p.skipped = "the old training data is not loaded"; plans.append(p); continue }
                    p.detail = "a fresh fit on old + NEW"
                    r = try Trainer.train(spec: spec, data: try Dataset.concat(old, fitData, name: "old+" + new.name),
                                          options: input.base, control: control)
                }
                try AdviseEngine.check(r)
                p.rowLosses = try scoreWhole(r.model)
                p.cost = r.cost
            } catch let e as AdviseEngine.InterruptedError {
                throw e
            } catch {
                p.skipped = "\(error)"
            }
            plans.append(p)
        }
        let n = plans[0].rowLosses.count
        let boot = PairedBootstrap(rows: n, seed: input.seed, classification: classification)
        for i in plans.indices where plans[i].skipped == nil {
            if plans[i].rowLosses.count != n {
                plans[i].skipped = "scored \(plans[i].rowLosses.count) of the \(n) held-out rows"
                continue
            }
            plans[i].loss = RowLosses.loss(mean(plans[i].rowLosses), classification: classification)
            (plans[i].low, plans[i].high) = boot.interval(plans[i].rowLosses)
        }
        let scored = plans.indices.filter { plans[$0].loss != nil }
        var advice = SegmentAdvice(segmentation: seg, protocolText: "held out: the latest \(Int(SegmentRules.holdoutFraction * 100)) % of each segment of \(new.name) (\(testRows.count) of \(new.rowCount) rows)",
                                   heldOutRows: testRows.count, segments: readings, plans: plans,
                                   classification: classification, best: nil, pick: nil, reasons: [])
        guard let best = scored.min(by: { (plans[$0].loss ?? .infinity, plans[$0].kind) < (plans[$1].loss ?? .infinity, plans[$1].kind) }),
              let bestLoss = plans[best].loss else { return advice }
        for i in scored {
            advice.plans[i].tied = i == best || boot.within(plans[i].rowLosses, plans[i].loss ?? .infinity, of: plans[best].rowLosses, bestLoss)
        }
        let pick = scored.filter { advice.plans[$0].tied }.min { plans[$0].kind < plans[$1].kind } ?? best
        advice.best = best
        advice.pick = pick
        let name = classification ? "error rate" : "rmse"
        func show(_ x: Double?) -> String { x.map { String(format: "%.4g", $0) } ?? "—" }
        advice.reasons.append("\(plans[best].kind.rawValue) has the lowest held-out \(name): \(show(bestLoss)) on the \(n) held-out rows with a target, which no fit saw")
        if pick != best {
            advice.reasons.append("\(plans[pick].kind.rawValue) (\(show(plans[pick].loss))) is within noise of it and cheaper: ties go to the cheapest plan")
        }
        let worse = scored.filter { !advice.plans[$0].tied }.map { "\(plans[$0].kind.rawValue) \(show(plans[$0].loss))" }
        if !worse.isEmpty { advice.reasons.append("worse beyond noise: " + worse.joined(separator: ", ")) }
        return advice
    }

    static func mean(_ xs: [Double]) -> Double { xs.isEmpty ? .nan : xs.reduce(0, +) / Double(xs.count) }
}

// MARK: - duel by segment

/// One segment of `duel … by`: each arm's loss on the segment's holdout rows and the segment's
/// winner (the first arm, in the duel's order — cheapest first — within noise of the best).
public struct SegmentDuelRow: Sendable {
    public var label: String
    public var rows: Int
    /// Loss-like value (rmse or error rate) per arm, in the arms' order; empty when too few rows.
    public var losses: [Double?]
    public var winner: Int?
    public var tooFew: Bool { rows < SegmentRules.minRows }
}

public enum SegmentDuel {
    /// Scores every arm's model on each segment of the holdout.
    public static func compare(arms: [TrainedModel], holdout: Dataset, segmentation seg: Segmentation,
                               seed: UInt64) throws -> [SegmentDuelRow] {
        guard let first = arms.first else { return [] }
        let classification = first.task == .classification
        return try seg.split(holdout).map { part in
            var row = SegmentDuelRow(label: part.label, rows: part.rows.count, losses: [], winner: nil)
            guard !row.tooFew else { return row }
            let data = seg.subset(holdout, label: part.label, rows: part.rows)
            let scored = try arms.map { try RowLosses.of($0, on: data).losses }
            row.losses = scored.map { RowLosses.loss(SegmentAdviseEngine.mean($0), classification: classification) }
            guard let best = row.losses.indices.min(by: { (row.losses[$0] ?? .infinity) < (row.losses[$1] ?? .infinity) }),
                  let bestLoss = row.losses[best] else { return row }
            let boot = PairedBootstrap(rows: scored[best].count, seed: seed, classification: classification)
            row.winner = row.losses.indices.first { i in
                guard let l = row.losses[i], scored[i].count == scored[best].count else { return false }
                return i == best || boot.within(scored[i], l, of: scored[best], bestLoss)
            } ?? best
            return row
        }
    }
}
