import Foundation
import Tabular

/// A segment model: rows whose `column` has a routed value are predicted by that segment's
/// version; every other row (an unseen segment, a missing value) falls back to the base — the
/// `TrainedModel` that carries the routing. Stored inside the base's weights blob (Serialization.swift).
public struct SegmentRouting: Codable, Hashable, Sendable {
    public var column: String
    /// The version the routing's own layers come from (the fallback).
    public var baseVersion: Int
    public var routes: [SegmentRoute]

    public init(column: String, baseVersion: Int, routes: [SegmentRoute]) {
        self.column = column
        self.baseVersion = baseVersion
        self.routes = routes
    }
}

/// One segment value and the version that predicts it.
public struct SegmentRoute: Codable, Hashable, Sendable {
    public var label: String
    public var version: Int
    public var model: TrainedModel

    public init(label: String, version: Int, model: TrainedModel) {
        self.label = label
        self.version = version
        self.model = model
    }
}

extension TrainedModel {
    /// The segment label of each row of `data` under `routing` (nil: missing or no column).
    static func segmentLabels(_ routing: SegmentRouting, _ data: Dataset) -> [String?] {
        guard let c = data.column(named: routing.column) else { return Array(repeating: nil, count: data.rowCount) }
        switch c.storage {
        case .categorical(let codes, let levels):
            return codes.map { $0 >= 0 && Int($0) < levels.count ? levels[Int($0)] : nil }
        case .numeric, .decimal:
            return (c.doubles ?? []).map { x in x.isNaN ? nil : (x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : String(x)) }
        }
    }

    /// Rows of `data` predicted by each route, and the rows that fall back to the base.
    public func routedRows(_ data: Dataset) -> (routes: [(label: String, version: Int, rows: Int)], fellBack: Int)? {
        guard let routing else { return nil }
        let labels = Self.segmentLabels(routing, data)
        var counts: [String: Int] = [:]
        for l in labels { if let l { counts[l, default: 0] += 1 } }
        let routed = routing.routes.map { ($0.label, $0.version, counts[$0.label] ?? 0) }
        return (routed, data.rowCount - routed.reduce(0) { $0 + $1.2 })
    }

    /// Raw outputs for the rows of `design` (made from `data` by the base's preprocessing):
    /// the base's, replaced by each route's on the rows of its segment.
    func outputs(design: DesignMatrix, data: Dataset) throws -> [Double] {
        var out = rawOutputs(design.x, rows: design.rows)
        guard let routing else { return out }
        let labels = Self.segmentLabels(routing, data)
        let width = outputWidth
        var position: [Int: Int] = [:]
        for (k, r) in design.sourceRows.enumerated() { position[r] = k }
        for route in routing.routes {
            let rows = design.sourceRows.filter { labels[$0] == route.label }
            guard !rows.isEmpty else { continue }
            let sub = data.gathering(rows: rows, name: data.name, provenance: data.provenance)
            let d = try wrapPreprocessing { try route.model.preprocessor.transform(sub) }
            let o = route.model.rawOutputs(d.x, rows: d.rows)
            for (j, s) in d.sourceRows.enumerated() {
                guard let k = position[rows[s]] else { continue }
                for c in 0..<width { out[k * width + c] = o[j * width + c] }
            }
        }
        return out
    }
}
