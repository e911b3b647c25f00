import Foundation
import Language
import Render
import Tracking

let plotCommand = CommandSpec(
    name: "plot", group: .experiments,
    summary: "Plot learning curves of runs, or a final metric across a model's versions",
    synopsis: "plot #A[, #B …] [METRIC] | plot MODEL METRIC",
    operands: [OperandSpec("WHAT", .expr, help: "run ids (#3, #4), _ / _N holding runs, or a model name"),
               OperandSpec("METRIC", .name(.any), optional: true, help: "a curve key (train_loss, valid_loss, valid_rmse…; for runs, every curve they logged when omitted) or, for a model, a final metric")],
    options: [OptionSpec("height", .integer, default: "12", help: "rows of the plotting area")],
    help: "With runs, draws their per-epoch curves of METRIC (of every curve they logged, one chart each, when METRIC is omitted) overlaid in the terminal (braille; each run in its own colour when colour is on, in its own mark when not), with labelled axes and a legend. With a model name, draws METRIC (a final metric such as rmse) against the version number. The width follows the terminal.",
    examples: ["plot #3", "plot #3 valid_loss", "plot #3, #4 train_loss", "plot _ valid_rmse", "plot price rmse"],
    handler: { inv, session in
        guard let what = inv.operand(0), case .expr(let e) = what.value else { return nil }
        let metricArg = inv.operand(1)
        let height = inv.int("height") ?? 12
        guard (3...200).contains(height) else { throw inv.error("height must be between 3 and 200, got \(height)", at: "height") }
        let store = try session.store()
        var model: String?
        switch e.kind {
        case .identifier(let n): model = n
        case .version(let m?, _): model = m
        case .cellRef(let n):
            if case .version(let m, _) = try Experiments.recall(n, at: e.span, session: session) { model = m }
        default: break
        }
        if let model {
            guard let metricArg, let metric = metricArg.string else {
                let keys = Set(try Experiments.wrap(e.span) { try store.versions(model) }.flatMap(\.metrics.keys)).sorted()
                throw Diagnostic.syntax("plot \(model) needs the final metric to draw, e.g. plot \(model) \(keys.first ?? "rmse")",
                                        at: e.span, notes: keys.isEmpty ? [] : ["metrics: " + keys.joined(separator: ", ")])
            }
            let versions = try Experiments.wrap(e.span) { try store.versions(model) }
            let points = versions.compactMap { v in v.metrics[metric].map { (Double(v.version), $0) } }
            guard !points.isEmpty else {
                let keys = Set(versions.flatMap(\.metrics.keys)).sorted()
                throw Diagnostic("no version of \(model) has a final metric '\(metric)'", at: metricArg.span,
                                 notes: keys.isEmpty ? [] : ["metrics: " + keys.joined(separator: ", ")])
            }
            let series = [PlotSeries(name: "\(model) \(metric)", x: points.map(\.0), y: points.map(\.1))]
            session.print(LinePlot.render(series: series, width: session.width, height: height, color: session.settings.color,
                                          xLabel: "version", yLabel: metric))
            return nil
        }
        let ids = try Experiments.runIDs(e, session: session)
        let logged = Set(try ids.flatMap { id in try Experiments.wrap(e.span) { try store.curveKeys(Int64(id)) } }).sorted()
        guard let metricArg, let metric = metricArg.string else {
            // Every curve the runs logged, one chart each.
            guard !logged.isEmpty else {
                throw Diagnostic("no curves in " + ids.map { "#\($0)" }.joined(separator: ", "), at: e.span,
                                 notes: ["these runs logged no curves (closed-form fits have none); plot MODEL METRIC draws final metrics across versions"])
            }
            for (n, key) in logged.enumerated() {
                if n > 0 { session.print("") }
                try plotCurves(ids, key: key, store: store, height: height, session: session, span: e.span, logged: logged)
            }
            return ids.count == 1 ? .run(ids[0]) : .runs(ids)
        }
        try plotCurves(ids, key: metric, store: store, height: height, session: session, span: metricArg.span, logged: logged)
        return ids.count == 1 ? .run(ids[0]) : .runs(ids)
    })

/// Draws one curve key of runs overlaid; runs without it are named in a warning.
private func plotCurves(_ ids: [Int], key metric: String, store: Store, height: Int, session: Session,
                        span: SourceSpan, logged keys: [String]) throws {
    var series: [PlotSeries] = []
    var empty: [Int] = []
    for id in ids {
        let points = try Experiments.wrap(span) { try store.curve(Int64(id), key: metric) }
        if points.isEmpty { empty.append(id); continue }
        series.append(PlotSeries(name: "#\(id)", x: points.map { Double($0.step) }, y: points.map(\.value)))
    }
    guard !series.isEmpty else {
        throw Diagnostic("no curve '\(metric)' in " + ids.map { "#\($0)" }.joined(separator: ", "), at: span,
                         notes: keys.isEmpty ? ["these runs logged no curves"] : ["curves: " + keys.joined(separator: ", ")])
    }
    for id in empty { session.warn("run #\(id) has no curve '\(metric)'") }
    session.print(LinePlot.render(series: series, width: session.width, height: height, color: session.settings.color,
                                  xLabel: "epoch", yLabel: metric))
}
