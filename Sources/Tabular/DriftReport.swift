/// Drift of one column between a reference and new data.
public struct ColumnDrift: Sendable, Hashable, Codable {
    public var name: String
    public var type: ColumnType
    /// PSI (numeric binning, or categorical PSI for categorical columns); nil when a side is empty.
    public var psi: Double?
    /// Kolmogorov–Smirnov D and p-value (numeric columns, and only when the reference rows are
    /// available — a summary alone cannot give KS).
    public var ksD: Double?
    public var ksPValue: Double?
    public var referenceMean: Double?
    public var newMean: Double?
    public var referenceMissingRate: Double
    public var newMissingRate: Double
    /// Categorical columns: categories that appeared in / vanished from the new data.
    public var appeared: [String]
    public var vanished: [String]
}

/// Drift of a whole dataset against a reference: schema differences and per-column drift.
public struct DriftReport: Sendable, Hashable, Codable {
    public var referenceRows: Int
    public var newRows: Int
    /// Columns of the new data that the reference lacks (a reason to retrain, not fine-tune).
    public var addedColumns: [String]
    /// Reference columns missing from the new data.
    public var removedColumns: [String]
    /// `name: reference type → new type` for columns whose type changed.
    public var typeChanges: [String]
    /// Common columns of compatible type, in reference order.
    public var columns: [ColumnDrift]
    /// `Drift.noiseFloor(nRef:nNew:)`: PSI below this is indistinguishable from sampling noise.
    public var noiseFloor: Double?

    public var hasSchemaChange: Bool { !addedColumns.isEmpty || !removedColumns.isEmpty || !typeChanges.isEmpty }
    /// The column with the largest PSI.
    public var maxPSI: ColumnDrift? { columns.filter { $0.psi != nil }.max { ($0.psi ?? 0) < ($1.psi ?? 0) } }
}

extension Drift {
    /// Compares `new` with a stored reference summary (PSI, means, missing rates, categories).
    public static func report(reference: DatasetSummary, new: Dataset) -> DriftReport {
        report(referenceSummary: reference, referenceData: nil, new: new)
    }

    /// Compares `new` with reference rows: everything in the summary version plus KS.
    public static func report(reference: Dataset, new: Dataset) -> DriftReport {
        report(referenceSummary: reference.summary(fingerprint: false), referenceData: reference, new: new)
    }

    static func compatible(_ a: ColumnType, _ b: ColumnType) -> Bool {
        a == b || Set([a, b]) == Set([ColumnType.integer, .float])
    }

    static func report(referenceSummary ref: DatasetSummary, referenceData: Dataset?, new: Dataset) -> DriftReport {
        let refNames = Set(ref.columns.map(\.name)), newNames = Set(new.columnNames)
        var out = DriftReport(referenceRows: ref.rows, newRows: new.rowCount,
                              addedColumns: new.columnNames.filter { !refNames.contains($0) },
                              removedColumns: ref.columns.map(\.name).filter { !newNames.contains($0) },
                              typeChanges: [], columns: [],
                              noiseFloor: ref.rows > 0 && new.rowCount > 0 ? noiseFloor(nRef: ref.rows, nNew: new.rowCount) : nil)
        for rc in ref.columns {
            guard let nc = new.column(named: rc.name) else { continue }
            guard compatible(rc.type, nc.type) else {
                out.typeChanges.append("\(rc.name): \(rc.type.rawValue) → \(nc.type.rawValue)")
                continue
            }
            let newSummary = nc.summary()
            var cd = ColumnDrift(name: rc.name, type: nc.type, psi: nil, ksD: nil, ksPValue: nil,
                                 referenceMean: rc.mean, newMean: newSummary.mean,
                                 referenceMissingRate: rc.missingRate, newMissingRate: newSummary.missingRate,
                                 appeared: [], vanished: [])
            if nc.type == .categorical {
                let c = categoricalPSI(reference: rc.categories, new: newSummary.categories)
                cd.psi = c.psi.isNaN ? nil : c.psi
                cd.appeared = c.appeared
                cd.vanished = c.vanished
            } else {
                let values = nc.presentValues
                let p = (try? psi(summary: rc, new: values)) ?? .nan
                cd.psi = p.isNaN ? nil : p
                if let refData = referenceData?.column(named: rc.name) {
                    let ks = ks(refData.presentValues, values)
                    cd.ksD = ks.d.isNaN ? nil : ks.d
                    cd.ksPValue = ks.pValue.isNaN ? nil : ks.pValue
                }
            }
            out.columns.append(cd)
        }
        return out
    }
}
