import Foundation
import Tabular

/// One column of a drift assessment, ranked by severity.
public struct DriftColumn: Sendable, Hashable {
    public var drift: ColumnDrift
    public var isTarget: Bool
    /// Mean shift in reference standard deviations, and the std ratio (numeric columns).
    public var meanShiftSD: Double?
    public var stdRatio: Double?
    /// `Advice.level(psi:noiseFloor:)` of the column.
    public var level: Advice.DriftLevel
}

/// `drift REF NEW`: every common column ranked (PSI, then KS D), its level, the overall level
/// from the worst feature, the target's level, the schema diff and the metrics a drift run
/// records.
public struct DriftAssessment: Sendable {
    public var report: DriftReport
    public var columns: [DriftColumn]
    /// Time columns left out (they drift by definition), unless asked for by name.
    public var timeColumnsLeftOut: [String]
    public var target: String?
    /// The feature (not the target) with the largest PSI.
    public var worst: ColumnDrift?
    /// The level of the worst feature.
    public var level: Advice.DriftLevel

    public var noiseFloor: Double? { report.noiseFloor }

    /// The target's PSI and level, when both sides have it.
    public var targetDrift: (name: String, psi: Double, level: Advice.DriftLevel)? {
        guard let t = target, let c = report.columns.first(where: { $0.name == t }), let p = c.psi else { return nil }
        return (t, p, Advice.level(psi: p, noiseFloor: report.noiseFloor))
    }

    /// Final metrics of the drift run: psi.<column>, ks.<column>, max_psi, psi_noise_level.
    public var metrics: [String: Double] {
        var m: [String: Double] = [:]
        for c in report.columns {
            if let p = c.psi { m["psi.\(c.name)"] = p }
            if let d = c.ksD { m["ks.\(c.name)"] = d }
        }
        if let p = worst?.psi { m["max_psi"] = p }
        if let f = report.noiseFloor { m["psi_noise_level"] = f }
        return m
    }

    /// The one-line summary: level, worst feature, target, schema.
    public var line: String {
        var line = "drift: \(level.rawValue)"
        if let w = worst, let p = w.psi {
            line += " (max feature PSI \(NumberText.short(p)) on \(w.name)"
                + (noiseFloor.map { "; no-drift level \(NumberText.short($0))" } ?? "") + ")"
        }
        if let t = targetDrift { line += "; target \(t.name) PSI \(NumberText.short(t.psi)) (\(t.level.rawValue))" }
        var schema: [String] = []
        if !report.addedColumns.isEmpty { schema.append("new columns: " + report.addedColumns.joined(separator: ", ")) }
        if !report.removedColumns.isEmpty { schema.append("missing columns: " + report.removedColumns.joined(separator: ", ")) }
        if !report.typeChanges.isEmpty { schema.append("type changes: " + report.typeChanges.joined(separator: "; ")) }
        line += schema.isEmpty ? "; schema unchanged" : "; schema: " + schema.joined(separator: "; ")
        return line
    }

    /// Assesses `new` against `reference` over `columns` (every common column when nil; the
    /// caller has checked the names exist).
    public static func assess(reference ref: Dataset, new: Dataset, columns wanted: [String]? = nil) -> DriftAssessment {
        var report = Drift.report(reference: ref, new: new)
        let timeColumns = Set([ref.time, new.time].compactMap { $0 })
        report.columns.removeAll { timeColumns.contains($0.name) && wanted?.contains($0.name) != true }
        if let wanted { report.columns = report.columns.filter { wanted.contains($0.name) } }
        let floor = report.noiseFloor
        let target = ref.target ?? new.target
        let refSummary = ref.summary(fingerprint: false), newSummary = new.summary(fingerprint: false)
        let ranked = report.columns.sorted { a, b in
            let pa = a.psi ?? -1, pb = b.psi ?? -1
            if pa != pb { return pa > pb }
            return (a.ksD ?? -1) > (b.ksD ?? -1)
        }
        let rows = ranked.map { c -> DriftColumn in
            var shift: Double?, ratio: Double?
            if let rm = c.referenceMean, let nm = c.newMean, let sd = refSummary.column(named: c.name)?.std, sd > 0 {
                shift = (nm - rm) / sd
                if let nsd = newSummary.column(named: c.name)?.std { ratio = nsd / sd }
            }
            return DriftColumn(drift: c, isTarget: c.name == target, meanShiftSD: shift, stdRatio: ratio,
                               level: Advice.level(psi: c.psi, noiseFloor: floor))
        }
        let worst = report.columns.filter { $0.name != target }.max { ($0.psi ?? -1) < ($1.psi ?? -1) }
        return DriftAssessment(report: report, columns: rows,
                               timeColumnsLeftOut: wanted == nil ? timeColumns.sorted() : [],
                               target: target, worst: worst,
                               level: worst.map { Advice.level(psi: $0.psi, noiseFloor: floor) } ?? .none)
    }
}
