import Foundation
import Learning
import Tabular
import Testing
@testable import Decisions

/// Data where regions a, b, c share one relation `y = 3·x1 + 2·x2 + offset + noise` in OLD; in
/// NEW the region `shifted` (if any) has x1 moved by +1.5 sd and its slope on x1 turned to −1.
/// A region `tiny` of `tinyRows` rows can be added to NEW and OLD.
func regionData(rows perRegion: Int, seed: UInt64, shifted: String?, tinyRows: Int = 0) -> Dataset {
    var rng = SeededRandom(seed: seed)
    func normal() -> Double {
        let u = max(rng.nextDouble(), 1e-12), v = rng.nextDouble()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }
    let regions = ["a", "b", "c", "tiny"]
    let offsets = [0.0, 4.0, -3.0, 1.0]
    var plan: [Int] = []
    for r in 0..<3 { plan += Array(repeating: r, count: perRegion) }
    plan += Array(repeating: 3, count: tinyRows)
    plan = rng.shuffled(plan)
    var codes: [Int32] = [], x1: [Double] = [], x2: [Double] = [], y: [Double] = []
    for r in plan {
        let moved = regions[r] == shifted
        let a = normal() + (moved ? 1.5 : 0), b = normal()
        codes.append(Int32(r))
        x1.append(a)
        x2.append(b)
        y.append((moved ? -1 : 3) * a + 2 * b + offsets[r] + normal())
    }
    return Dataset(name: shifted == nil ? "same" : "moved", columns: [
        .categorical("region", codes: codes, levels: regions),
        .numeric("x1", x1), .numeric("x2", x2), .numeric("y", y),
    ], target: "y", provenance: Provenance(operation: "test"))
}

@Suite struct SegmentTests {
    let spec = ModelSpec(name: "m", family: .linear, target: "y", features: .columns(["region", "x1", "x2"]))

    func advise(old: Dataset, new: Dataset) throws -> SegmentAdvice {
        let base = try Trainer.train(spec: spec, data: old, options: TrainOptions(seed: 1))
        let seg = try Segmentation.make(column: "region", bins: nil, reference: old, others: [new])
        return try SegmentAdviseEngine.advise(SegmentAdviseInput(current: base.model, currentRows: base.trainRows,
                                                                 base: TrainOptions(seed: 1), old: old, new: new,
                                                                 segmentation: seg, seed: 7))
    }

    func drift(old: Dataset, new: Dataset) throws -> SegmentDrift {
        let seg = try Segmentation.make(column: "region", bins: nil, reference: old, others: [new])
        return try SegmentDrift.assess(reference: old, new: new, segmentation: seg)
    }

    @Test func driftByFlagsOnlyTheShiftedSegment() throws {
        let old = regionData(rows: 600, seed: 1, shifted: nil)
        let d = try drift(old: old, new: regionData(rows: 300, seed: 2, shifted: "b"))
        #expect(d.flagged == ["b"], "\(d.line)")
        #expect(d.rows.map(\.label) == ["a", "b", "c"])
        #expect(d.line.hasPrefix("drift by region: b drifts (1 of 3 judged segments)"), "\(d.line)")
        let none = try drift(old: old, new: regionData(rows: 300, seed: 3, shifted: nil))
        #expect(none.flagged.isEmpty, "\(none.line)")
    }

    @Test func adviseByRecommendsFineTuningTheShiftedSegmentOnly() throws {
        let old = regionData(rows: 600, seed: 1, shifted: nil)
        let a = try advise(old: old, new: regionData(rows: 300, seed: 2, shifted: "b"))
        #expect(a.fineTune == ["b"], "\(a.segments)")
        #expect(a.leave == ["a", "c"])
        let plan = try #require(a.pickedPlan)
        #expect(plan.kind == .segments, "\(a.reasons)")
        // Established by the held-out rows: b's fine-tune beats keeping the base there, and the
        // segment plan beats a full retrain on the same rows beyond noise.
        let b = try #require(a.segments.first { $0.label == "b" })
        #expect(try #require(b.fineTuneLoss) < 0.8 * (try #require(b.keepLoss)))
        #expect(b.heldOut == 90)
        #expect(a.heldOutRows == 270)
        let retrain = try #require(a.plans.first { $0.kind == .retrainAll })
        #expect(!retrain.tied)
        #expect(try #require(plan.loss) < (try #require(retrain.loss)))
    }

    @Test func adviseByLeavesEverySegmentWhenNothingMoved() throws {
        let old = regionData(rows: 600, seed: 1, shifted: nil)
        let a = try advise(old: old, new: regionData(rows: 300, seed: 3, shifted: nil))
        #expect(a.fineTune.isEmpty, "\(a.segments)")
        #expect(a.pickedPlan?.kind == .keep, "\(a.reasons)")
        #expect(!a.plans.contains { $0.kind == .segments })
    }

    @Test func smallSegmentsAreMarkedNotMerged() throws {
        let old = regionData(rows: 600, seed: 1, shifted: nil, tinyRows: 40)
        let new = regionData(rows: 300, seed: 2, shifted: "b", tinyRows: 12)
        let d = try drift(old: old, new: new)
        let tiny = try #require(d.rows.first { $0.label == "tiny" })
        #expect(tiny.tooFew && !tiny.flagged)
        #expect(tiny.tooFewText == "too few rows: n=40 / 12; at least 20 a side needed")
        #expect(d.tooFew == ["tiny"])
        let a = try advise(old: old, new: new)
        #expect(a.tooFew == ["tiny"])
        #expect(a.fineTune == ["b"])
        // The tiny segment's held-out rows are still scored (under the base) in every plan.
        #expect(a.heldOutRows == 270 + 4)
    }

    @Test func numericColumnsAreBinnedByReferenceQuantiles() throws {
        let old = regionData(rows: 400, seed: 4, shifted: nil)
        let seg = try Segmentation.make(column: "x2", bins: 4, reference: old)
        #expect(seg.labels.count == 4)
        let parts = try seg.split(old)
        #expect(parts.reduce(0) { $0 + $1.rows.count } == old.rowCount)
        // Quartiles of the reference: each bin holds a quarter of its rows.
        #expect(parts.allSatisfy { $0.rows.count == 300 })
        #expect(seg.labels.first?.hasPrefix("(-inf, ") == true && seg.labels.last?.hasSuffix(", inf)") == true)
        // Few distinct values: one segment each, labelled exactly (1.001 and 1.002 stay apart).
        let few = Dataset(name: "f", columns: [.numeric("k", [3, 1.001, 1.002, 3, 2008])], provenance: Provenance(operation: "test"))
        let byValue = try Segmentation.make(column: "k", bins: nil, reference: few)
        #expect(byValue.labels == ["1.001", "1.002", "3", "2008"])
        #expect(try byValue.split(few).map(\.rows) == [[1], [2], [0, 3], [4]])
        #expect(throws: DecisionError.self) { try Segmentation.make(column: "x1", bins: nil, reference: old) }
        #expect(throws: DecisionError.self) { try Segmentation.make(column: "region", bins: 3, reference: old) }
    }
}
