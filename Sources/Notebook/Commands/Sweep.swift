import Decisions
import Foundation
import Language
import Learning
import Render
import Synchronization
import Tabular
import Tracking

/// `sweep`: a thin adapter — the over clause (`Decisions.SweepPlan`) → configurations →
/// `Decisions.SweepEngine` (training on worker threads) → one parent run and, recorded here in
/// configuration order, one child run and version per configuration → table, charts, `next:`.
let sweepCommand = CommandSpec(
    name: "sweep", group: .models,
    summary: "Hyper-parameter search: a parent run and a child run (a version) per configuration, in parallel",
    synopsis: "sweep [finetune] MODEL[@V] on DATA over SETTINGS [valid DATA | valid F | cv K] [random K] [seed S] [parallel N] [metric M] [early_stop N] [from DATA] [promote best]",
    operands: [OperandSpec("MODEL", .any, help: "a defined model, or the word finetune followed by the parent version"),
               OperandSpec("VERSION", .version, optional: true, help: "after finetune: the version every configuration fine-tunes")],
    options: [
        OptionSpec("on", .name(.dataset), required: true, help: "the training data"),
        OptionSpec("over", .phrase(words: []), required: true,
                   help: "the settings: NAME in [a, b, …], NAME in a..b count N, NAME in log a..b count N, or a fixed NAME VALUE, comma-separated (docs/LANGUAGE.md)"),
        OptionSpec("valid", .any, default: "0.2", help: "score on a validation dataset, or on a seeded fraction F of DATA held out (the same rows for every configuration)"),
        OptionSpec("cv", .integer, help: "score by K-fold cross-validation (the same folds for every configuration), then fit on all of DATA"),
        OptionSpec("random", .integer, help: "sample K configurations (lists: uniform choice; ranges: uniform, or log-uniform for log) instead of the full grid"),
        OptionSpec("seed", .integer, default: "the session seed", help: "seed of every configuration's training (the same for all) and of the random sample"),
        OptionSpec("parallel", .integer, default: "1", help: "train N configurations at a time on N threads (results are identical for every N)"),
        OptionSpec("metric", .name(.any), default: "valid_rmse (regression), valid_accuracy (classification)", help: "the validation metric that ranks the configurations"),
        OptionSpec("early_stop", .integer, help: "stop a configuration after N epochs without a lower validation loss (needs valid, not cv)"),
        OptionSpec("from", .name(.dataset), help: "finetune sweeps: the dataset replay samples from"),
        OptionSpec("promote", .choice(["best"]), help: "promote the best configuration's version as candidate"),
    ],
    help: """
    Trains one version of MODEL per configuration of the over clause — the grid of every combination, or `random K` \
    configurations sampled with the seed — and scores each on the validation data (default: 20 % of DATA held out) \
    or by `cv K`. Any model option can vary: lr, epochs, batch, optimizer, momentum, weight_decay, schedule; the \
    architecture (hidden, l2, activation, dropout, solver) in a training sweep; freeze (none, first or N), anchor, \
    replay (with from DATA), shrink and perturb in `sweep finetune MODEL@V`. The sweep is a run (kind sweep) recording \
    the metric's min, median and max and the best configuration (tags best_config, best_run, best_version); each \
    configuration is a child run (kind train or finetune, parent_run the sweep) with its parameters, curve, metrics \
    and cost, and a version of MODEL. `parallel N` trains N configurations at once on threads; children are recorded \
    in configuration order afterwards, so run ids, versions and metrics do not depend on N. Ctrl-C stops the sweep: \
    finished configurations are recorded, unfinished ones are not, and the sweep run ends interrupted. The table is \
    sorted by the metric; one chart per swept option shows the best score at each of its values; the next: line \
    promotes the best version (`promote best` does it).
    """,
    examples: ["sweep m on train over lr in [0.001, 0.01, 0.1], hidden in [[32], [64, 64]], epochs 20 valid test parallel 2",
               "sweep m on train over lr in log 1e-4..1e-1 count 4, batch in [32, 64] cv 5",
               "sweep m on train over lr in log 1e-4..1e-1, weight_decay in 0..0.01 random 8 seed 3",
               "sweep finetune m@2 on new over lr in [1e-4, 1e-3], freeze in [none, first] valid new_test promote best"],
    completer: { _, ctx in
        ctx.previousWords.last == "over" ? SweepOption.allCases.map(\.rawValue).filter { $0.hasPrefix(ctx.prefix) } : []
    },
    handler: { inv, session in try SweepCommand(inv: inv, session: session).run() })

struct SweepCommand {
    let inv: Invocation
    let session: Session

    /// What the operands say: the model, and the parent version of a fine-tune sweep.
    func target() throws -> (model: String, ref: Language.VersionRef?, span: SourceSpan) {
        guard let first = inv.operand(0) else { throw inv.error("sweep needs a model") }
        let second = inv.operand(1)
        switch (first.value, second?.value) {
        case (.name("finetune"), .version(let m?, let r)?): return (m, r, second?.span ?? first.span)
        case (.name("finetune"), _):
            throw Diagnostic.syntax("sweep finetune needs the version to fine-tune, e.g. sweep finetune m@2 on new over …",
                                    at: first.span, notes: ["usage: \(inv.spec.synopsis)"])
        case (.name(let m), nil): return (m, nil, first.span)
        case (.version(let m?, _), _):
            throw Diagnostic.syntax("a training sweep starts from fresh weights: write 'sweep \(m) …', or 'sweep finetune \(Invocation.text(of: first)) …' to fine-tune it",
                                    at: first.span)
        default:
            throw Diagnostic.syntax("unexpected '\(Invocation.text(of: second ?? first))' in 'sweep'", at: (second ?? first).span,
                                    notes: ["usage: \(inv.spec.synopsis)"])
        }
    }

    func run() throws -> ResultValue? {
        guard let dataName = inv.string("on"), let overText = inv.string("over") else { return nil }
        let (modelName, ref, modelSpan) = try target()
        let fineTune = ref != nil
        var spec = try session.modelSpec(modelName, at: modelSpan)
        let data = try session.dataset(dataName, at: inv.span("on"))
        var parent: (version: Int, model: TrainedModel)?
        if let ref {
            parent = try fineTuneParent(session, model: modelName, ref: ref, spec: spec, data: dataName, at: modelSpan)
            spec = parent?.model.spec ?? spec
        }
        let plan: SweepPlan
        do {
            plan = try SweepPlan.parse(overText, family: spec.family, fineTune: fineTune)
        } catch {
            throw Diagnostic.syntax(error.message, at: inv.phraseSpan("over", range: error.range),
                                    notes: (error.suggestion.map { ["did you mean '\($0)'?"] } ?? []) + error.notes)
        }

        // Options every configuration shares.
        let seed = inv.int("seed") ?? session.settings.seed
        guard seed >= 0 else { throw inv.error("seed must be ≥ 0, got \(seed)", at: "seed") }
        var base = TrainOptions(seed: UInt64(seed))
        base.earlyStop = inv.int("early_stop")
        var replayName: String?
        if let r = inv.string("from") {
            guard fineTune else { throw inv.error("from names the replay dataset of a fine-tune sweep", at: "from") }
            _ = try session.dataset(r, at: inv.span("from"))
            replayName = r
        }
        let replaySwept = plan.axes.contains { $0.name == "replay" } || plan.fixed.contains { $0.name == "replay" }
        if replayName != nil, !replaySwept {
            throw inv.error("from names the replay dataset: give replay in over (over replay in [0.1, 0.3] … from DATA)", at: "from")
        }
        if replaySwept, replayName == nil {
            throw inv.error("replay needs a dataset to sample from: add from DATA", at: "over")
        }
        let (evaluation, validName, evaluationText) = try self.evaluation()
        if case .crossValidation = evaluation, inv.has("early_stop") {
            throw inv.error("early_stop needs validation data in every fit, and the cross-validation folds have none: use valid F or valid DATA",
                            at: "early_stop")
        }
        let workers = inv.int("parallel") ?? 1
        guard (1...64).contains(workers) else { throw inv.error("parallel must be in 1…64, got \(workers)", at: "parallel") }
        if workers > 1, GEMM.threads > 1 {
            throw inv.error("parallel \(workers) needs the single-threaded matrix kernel, and this process runs \(GEMM.kernelName)",
                            at: "parallel", notes: ["unset RETUNE_BLAS_THREADS, or use parallel 1"])
        }
        if let k = inv.int("random"), !(1...10_000).contains(k) {
            throw inv.error("random must be in 1…10000, got \(k)", at: "random")
        }
        let task = try wrapLearning(inv.span("on")) { try spec.resolvedTask(in: data) }
        let metric = try self.metric(task)

        var configs: [SweepPlan.Config]
        do {
            configs = try plan.configurations(base: spec, options: base, random: inv.int("random"), seed: UInt64(seed))
        } catch {
            throw Diagnostic.syntax(error.message, at: inv.phraseSpan("over", range: error.range))
        }
        if configs.count > 10_000 {
            throw inv.error("the grid has \(configs.count) configurations (at most 10000): sample it with random K", at: "over")
        }
        for i in configs.indices {
            if case .fraction(let f) = evaluation { configs[i].options.validFraction = f }
            let c = configs[i]
            do {
                try c.spec.validate()
                try c.options.validate(for: c.spec, fineTune: fineTune, hasValidSet: validName != nil, hasReplaySet: replayName != nil)
            } catch {
                throw Diagnostic("configuration \(i + 1) (\(plan.describe(c))): \(error)", at: inv.span("over"))
            }
        }

        let parentRun = try RunRecorder(
            session: session, invocation: inv, kind: "sweep", model: modelName, parentVersion: parent?.version,
            seed: seed, datasets: [("train", dataName)] + (validName.map { [("valid", $0)] } ?? []),
            params: ["over": overText, "configurations": String(configs.count), "evaluation": evaluationText,
                     "metric": metric.name, "parallel": String(workers), "search": inv.int("random").map { "random \($0)" } ?? "grid",
                     "sweep": fineTune ? "finetune" : "train", "kernel": GEMM.kernelName])
        let bar = SweepProgress(enabled: session.progressEnabled, width: session.width, label: "sweep \(modelName)")
        let replay = try replayName.map { try session.dataset($0, at: inv.span("from")) }
        let trials = SweepEngine.run(configs, data: data, evaluation: evaluation, metric: metric, parent: parent?.model,
                                     replay: replay, workers: workers, shouldStop: session.shouldStop,
                                     progress: { bar.update(done: $0, total: $1) })
        bar.clear()

        // Children, in configuration order.
        var children: [Child] = []
        for t in trials {
            let c = configs[t.config]
            children.append(try record(t, c, plan: plan, model: modelName, dataName: dataName, validName: validName,
                                        replayName: replayName, parent: parent, parentRun: parentRun.id, metric: metric))
        }
        let ranked = SweepEngine.ranking(trials, metric: metric)
        let best = ranked.first.flatMap { trials[$0].score.isFinite ? $0 : nil }
        render(trials, ranked: ranked, children: children, configs: configs, plan: plan, metric: metric,
               model: modelName, parentVersion: parent?.version, dataName: dataName, runID: parentRun.id, evaluation: evaluationText, workers: workers)

        var metrics: [String: Double] = [:]
        if let s = SweepEngine.spread(trials) {
            metrics[metric.name + "_min"] = s.min
            metrics[metric.name + "_median"] = s.median
            metrics[metric.name + "_max"] = s.max
        }
        if let b = best {
            metrics["best_" + metric.name] = trials[b].score
            session.recording("the best configuration of sweep #\(parentRun.id)") {
                try parentRun.store.tag(parentRun.id, key: "best_config", value: plan.describe(configs[trials[b].config]))
                try parentRun.store.tag(parentRun.id, key: "best_run", value: "#\(children[b].runID)")
                if let v = children[b].version { try parentRun.store.tag(parentRun.id, key: "best_version", value: "\(modelName)@\(v)") }
            }
        }
        let cost = trials.reduce(into: RunCost(wallSeconds: 0, examples: 0, flops: 0)) { sum, t in
            sum.examples += (t.result?.cost.examplesProcessed ?? 0) + (t.cv?.cost.examplesProcessed ?? 0)
            sum.flops += (t.result?.cost.estimatedFLOPs ?? 0) + (t.cv?.cost.estimatedFLOPs ?? 0)
            sum.wallSeconds += t.seconds
        }
        if trials.count < configs.count {
            try parentRun.finish(.interrupted, metrics: metrics, cost: cost, error: "interrupted by the user")
            throw Diagnostic("sweep interrupted after \(trials.count) of \(configs.count) configurations (run #\(parentRun.id); finished configurations recorded)",
                             at: inv.node.span, kind: .interrupted)
        }
        try parentRun.finish(.finished, metrics: metrics, cost: cost)
        let order = "order by metric.\(metric.name)\(metric.higherIsBetter ? " desc" : "") limit 3"
        if let b = best, let v = children[b].version {
            if inv.has("promote") {
                let store = try session.store()
                let event = try Experiments.wrap(inv.span("promote")) { try store.setAlias(modelName, alias: "candidate", version: v) }
                let old = event.oldVersion.map { "@\($0) → " } ?? ""
                session.print("promoted: \(modelName)@candidate \(old)@\(v)")
                session.print("next: runs where parent = #\(parentRun.id) \(order)")
            } else {
                session.print("next: promote \(modelName)@\(v) as candidate")
            }
            let diffs = configs[trials[b].config].spec.differences(from: spec)
            if !diffs.isEmpty {
                session.printError("note: \(modelName)@\(v) differs from the definition of \(modelName) (\(diffs.joined(separator: "; "))): redefine \(modelName) with it (model \(modelName) = … replace) before retraining or fine-tuning it")
            }
        } else if inv.has("promote") {
            session.warn("no configuration finished with a \(metric.name): nothing promoted")
        }
        return .runs([Int(parentRun.id)] + children.map { Int($0.runID) })
    }

    struct Child {
        var runID: Int64
        var version: Int?
        var status: String
    }

    /// `valid` (a dataset or a fraction, default 0.2) or `cv K`.
    func evaluation() throws -> (SweepEvaluation, validName: String?, text: String) {
        if let k = inv.int("cv") {
            if inv.has("valid") { throw Diagnostic.syntax("give either valid … or cv K, not both", at: inv.span("cv")) }
            guard k >= 2 else { throw inv.error("cv needs at least 2 folds, got \(k)", at: "cv") }
            return (.crossValidation(k), nil, "cv \(k)")
        }
        guard let v = inv.options["valid"] else { return (.fraction(0.2), nil, "valid 0.2") }
        switch v.value {
        case .number(let f) where f > 0 && f < 1: return (.fraction(f), nil, "valid \(Invocation.formatNumber(f))")
        case .name(let n):
            return (.dataset(try session.dataset(n, at: v.span)), n, "valid \(n)")
        default:
            throw Diagnostic("valid expects a fraction in (0, 1) or a dataset name, got '\(Invocation.text(of: v))'", at: v.span)
        }
    }

    func metric(_ task: ModelSpec.Task) throws -> SweepMetric {
        guard let name = inv.string("metric") else { return SweepMetric.main(for: task) }
        let m = SweepMetric(name)
        let keys = task == .regression ? Metrics.regressionKeys : Metrics.classificationKeys
        guard keys.contains(m.key) else {
            let names = keys.map { "valid_" + $0 }
            throw Diagnostic("unknown metric '\(name)' for a \(task.rawValue) model", at: inv.span("metric"),
                             notes: (Suggest.closest(name, among: names + keys).map { ["did you mean '\($0)'?"] } ?? [])
                                 + ["metrics: " + names.joined(separator: ", ")])
        }
        return m
    }

    func wrapLearning<T>(_ span: SourceSpan, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let d as Diagnostic { throw d } catch { throw Diagnostic("\(error)", at: span) }
    }

    /// Records one configuration as a child run (and, when it finished, a version).
    func record(_ t: SweepTrial, _ c: SweepPlan.Config, plan: SweepPlan, model: String, dataName: String, validName: String?,
                replayName: String?, parent: (version: Int, model: TrainedModel)?, parentRun: Int64,
                metric: SweepMetric) throws -> Child {
        var req = TrainRequest(kind: parent == nil ? "train" : "finetune", model: model, spec: c.spec, data: dataName, options: c.options)
        req.valid = validName
        req.parent = parent
        req.replay = replayName
        req.parentRun = parentRun
        req.tags = ["config": plan.describe(c)]
        for (a, v) in zip(plan.axes, c.values) where SweepOption(rawValue: a.name)?.isArchitecture ?? false {
            req.params[a.name] = v.description
        }
        if !c.spec.hidden.isEmpty { req.params["hidden"] = "[" + c.spec.hidden.map(String.init).joined(separator: ", ") + "]" }
        guard let result = t.result else {
            let id = try session.recordFailedTraining(req, error: t.failure ?? "failed", invocation: inv)
            session.warn("configuration \(t.config + 1) (\(plan.describe(c))) failed: \(t.failure ?? "") (run #\(id))")
            return Child(runID: id, version: nil, status: "failed")
        }
        if case .diverged = result.status {
            let recorder = try session.beginTrainingRun(req, invocation: inv)
            for rec in result.curve { recorder.epoch(rec) }
            try recorder.finish(.diverged, cost: RunCost(wallSeconds: result.cost.wallSeconds, examples: result.cost.examplesProcessed,
                                                         flops: result.cost.estimatedFLOPs), error: result.status.description)
            session.warn("configuration \(t.config + 1) (\(plan.describe(c))) \(result.status.description) (run #\(recorder.id), no version stored)")
            return Child(runID: recorder.id, version: nil, status: "diverged")
        }
        var extra: [String: Double] = [:]
        if let cv = t.cv {
            for (k, v) in cv.mean { extra["valid_" + k] = v; extra[k] = v }
            for (k, v) in cv.std { extra["valid_" + k + "_std"] = v }
        }
        let outcome = try session.recordTrained(req, result: result, metrics: extra, invocation: inv, span: inv.node.span)
        return Child(runID: outcome.runID, version: outcome.version, status: "finished")
    }

    func render(_ trials: [SweepTrial], ranked: [Int], children: [Child], configs: [SweepPlan.Config], plan: SweepPlan,
                metric: SweepMetric, model: String, parentVersion: Int?, dataName: String, runID: Int64, evaluation: String,
                workers: Int) {
        let fixed = plan.fixed.isEmpty ? "" : ", " + plan.fixed.map { "\($0.name) \($0.value)" }.joined(separator: ", ")
        session.print("sweep \(parentVersion.map { "finetune \(model)@\($0)" } ?? model) on \(dataName): \(configs.count) configuration\(configs.count == 1 ? "" : "s")\(fixed), \(evaluation), metric \(metric.name) (\(metric.higherIsBetter ? "higher" : "lower") is better), parallel \(workers)  run #\(runID)")
        let hasSpread = trials.contains { $0.spread != nil }
        var columns = [Table.Column("run"), Table.Column("version")] + plan.axes.map { Table.Column($0.name, alignment: .right) }
        columns.append(Table.Column(metric.name, alignment: .right))
        if hasSpread { columns.append(Table.Column("± (folds)", alignment: .right)) }
        columns += [Table.Column("epochs", alignment: .right), Table.Column("wall", alignment: .right), Table.Column("")]
        var rows: [[Cell]] = []
        for (rank, i) in ranked.enumerated() {
            let t = trials[i], ch = children[i]
            var row: [Cell] = [.text("#\(ch.runID)"), ch.version.map { .text("\(model)@\($0)") } ?? .text(ch.status)]
            row += configs[t.config].values.map { .text($0.description) }
            row.append(t.score.isFinite ? .number(t.score) : .missing)
            if hasSpread { row.append(t.spread.map { .number($0) } ?? .missing) }
            row.append(t.result.map { .int($0.curve.count) } ?? .missing)
            row.append(.text(formatSeconds(t.seconds)))
            row.append(.text(rank == 0 && t.score.isFinite ? "◀ best" : ""))
            rows.append(row)
        }
        session.show(Table(columns: columns, rows: rows))
        // One chart per swept option: the best score at each of its values.
        for (k, axis) in plan.axes.enumerated() {
            var values: [SweepValue] = []
            var bestAt: [SweepValue: Double] = [:]
            for t in trials where t.score.isFinite {
                let v = configs[t.config].values[k]
                if !values.contains(v) { values.append(v) }
                if metric.better(t.score, than: bestAt[v] ?? .nan) { bestAt[v] = t.score }
            }
            guard values.count >= 2 else { continue }
            let numbers = values.compactMap(\.number)
            let numeric = numbers.count == values.count
            let logScale = numeric && (axis.isLog || ((numbers.min() ?? 0) > 0 && (numbers.max() ?? 0) / (numbers.min() ?? 1) >= 100))
            var points: [(Double, Double)] = []
            for (j, v) in values.enumerated() {
                let x = numeric ? (logScale ? log10(v.number ?? 1) : (v.number ?? 0)) : Double(j + 1)
                points.append((x, bestAt[v] ?? .nan))
            }
            points.sort { $0.0 < $1.0 }
            let xLabel = numeric ? (logScale ? "log10 \(axis.name)" : axis.name)
                : axis.name + ": " + values.enumerated().map { "\($0.offset + 1) = \($0.element)" }.joined(separator: ", ")
            session.print(LinePlot.render(series: [PlotSeries(name: "best \(metric.name)", x: points.map(\.0), y: points.map(\.1))],
                                          width: session.width, height: 8, color: session.settings.color,
                                          xLabel: xLabel, yLabel: metric.name))
        }
    }
}

/// A progress line over configurations with an ETA, on the error stream; drawn from the worker
/// threads, so every draw holds the lock.
final class SweepProgress: Sendable {
    let enabled: Bool
    let width: Int
    let label: String
    let started = DispatchTime.now().uptimeNanoseconds
    let state = Mutex((drawn: false, throttle: RedrawThrottle(maxPerSecond: 10)))

    init(enabled: Bool, width: Int, label: String) {
        self.enabled = enabled
        self.width = width
        self.label = label
    }

    func update(done: Int, total: Int) {
        guard enabled else { return }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        state.withLock { s in
            guard s.throttle.shouldRedraw(now: elapsed, force: done == total) else { return }
            FileHandle.standardError.write(Data((ProgressBar.erase + Self.line(label: label, done: done, total: total, elapsed: elapsed,
                                                                              width: width)).utf8))
            s.drawn = true
        }
    }

    /// `sweep m  5/12 configurations [██████      ] 41%  ETA 0:07`, at most `width` columns.
    static func line(label: String, done: Int, total: Int, elapsed: Double, width: Int) -> String {
        let f = total > 0 ? Double(done) / Double(total) : 0
        let eta = done > 0 ? NumberFormat.duration(elapsed * (1 - f) / f) : "?"
        let head = "\(label)  \(done)/\(total) configurations"
        let tail = " \(Int((f * 100).rounded(.down)))%  ETA \(eta)"
        let cells = min(30, width - TextWidth.of(head) - TextWidth.of(tail) - 3)
        let line = cells >= 10 ? head + " [" + Histogram.bar(fraction: f, width: cells) + "]" + tail : head + tail
        return TextWidth.of(line) <= width ? line : String(line.prefix(max(width - 1, 1))) + "…"
    }

    func clear() {
        state.withLock { s in
            if s.drawn { FileHandle.standardError.write(Data(ProgressBar.erase.utf8)); s.drawn = false }
        }
    }
}
