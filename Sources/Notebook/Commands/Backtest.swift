import Decisions
import Foundation
import Language
import Learning
import Render
import Tabular
import Tracking

/// `backtest`: a thin adapter over `Decisions.BacktestEngine` — parse the options, run the
/// engine, record one parent run and one child run per policy, render.
let backtestCommand = CommandSpec(
    name: "backtest", group: .decisions,
    summary: "Replay a time-ordered dataset under retraining policies: error per batch against compute",
    synopsis: "backtest MODEL on DATA [by COLUMN] (every N [UNIT|rows] | batches N) [policies P, …] [start F] [metric M] [seed S] [epochs N] [lr X]",
    operands: [OperandSpec("MODEL", .name(.model), help: "a defined model (its specification is used; each policy trains its own versions, none is stored)")],
    options: [
        OptionSpec("on", .name(.dataset), required: true, help: "the dataset to replay"),
        OptionSpec("by", .name(.column), help: "the ordering column (date, datetime or numeric); row order when omitted"),
        OptionSpec("every", .phrase(words: []), help: "batch size: N UNIT (hour, day, week, month, quarter, year) on a date column, N rows, or a width X of a numeric column"),
        OptionSpec("batches", .integer, help: "cut the rows after the start part into N equal batches"),
        OptionSpec("policies", .phrase(words: ["every"]), default: Policy.defaults.map(\.name).joined(separator: ", "),
                   help: "the policies, comma-separated (grammar in docs/LANGUAGE.md)"),
        OptionSpec("start", .number, default: "0.3", help: "fraction of the rows (in order) the first model is trained on"),
        OptionSpec("metric", .name(.any), help: "the metric scored on each batch [default: rmse, or accuracy for classification]"),
        OptionSpec("seed", .integer, help: "seed of every training (default: the session seed)"),
        OptionSpec("epochs", .integer, help: "epochs of the first training and of retrains (iterative models)"),
        OptionSpec("lr", .number, help: "learning rate of the first training and of retrains (fine-tunes use a tenth)"),
    ],
    help: """
    Cuts DATA into consecutive batches (by COLUMN, or in row order), trains MODEL on the start \
    part, then replays the batches under each policy test-then-train: every batch is first \
    predicted by the policy's current model and scored, then used as the rule says. Policies: \
    `keep` (never update); `finetune each`; `retrain each [window W]` (from scratch on everything \
    seen, or on the last W batches); `retrain every K`; `retrain when psi > X` or `when ks > X` \
    (drift of the inputs from the data of the last retrain); `retrain when error > X` (the batch \
    error X·100 % above the first one after the last retrain); and combinations such as \
    `finetune each retrain every 4`. From the literature: `retrain when cost` (retrain when the excess \
    error since the last retrain, summed over batches, exceeds the cost ratio times a retrain's \
    compute; needs `set cost ratio`), `background [threshold X] [delta X]` (a Page–Hinkley \
    detector on the per-row errors; a candidate learns from the first warning and replaces the \
    model at confirmed drift) and `nearest version [window W]` (a version per batch; each batch is \
    served by the stored version whose training data is nearest by mean PSI). With `set cost \
    ratio R per gflop|second` the table adds error + priced compute per batch and the verdict \
    picks its lowest. Fine-tunes follow duel's rule (closed form: the anchored \
    exact fit; iterative: a quarter of the epochs at a tenth of the rate). The table shows each \
    policy's mean and last-quarter error, its worst batch, its retrains and fine-tunes and its \
    compute (wall time, FLOPs, examples); the chart draws error per batch, one line per policy. \
    The verdict picks, among the policies within noise of the best mean error (paired per-batch \
    differences within 2 standard errors), the cheapest on the Pareto front of error vs FLOPs. \
    The backtest is a run; each policy is a child run whose curve METRIC has one point per batch \
    (with `retrained`, `finetuned` and, for a time column, `batch_time`). Ctrl-C stops it; the \
    policies already replayed stay recorded. Batching (every/batches) comes before `policies`.
    """,
    examples: ["backtest riders on bikes by datetime every 1 month",
               "backtest price on sales by sold_at every 1 quarter policies keep, finetune each, retrain when psi > 0.2",
               "backtest m on stream batches 12 policies keep, retrain every 3, finetune each retrain every 4 start 0.3 seed 7",
               "backtest m on stream batches 12 policies keep, retrain each, retrain when cost, background, nearest version"],
    completer: { _, ctx in
        ctx.previousWords.contains("policies") ? Policy.words.filter { $0.hasPrefix(ctx.prefix) } : []
    },
    handler: { inv, session in try BacktestCommand(inv: inv, session: session).run() })

struct BacktestCommand {
    let inv: Invocation
    let session: Session

    func run() throws -> ResultValue? {
        guard let modelName = inv.operand(0)?.string, let dataName = inv.string("on") else { return nil }
        let spec = try session.modelSpec(modelName, at: inv.operand(0)?.span ?? inv.node.span)
        let data = try session.dataset(dataName, at: inv.span("on"))
        let batching = try self.batching()
        let policies = try self.policies()
        if session.settings.costRatio == nil, let p = policies.first(where: \.needsCostRatio) {
            throw Diagnostic("policy '\(p.name)' prices retraining, and no cost ratio is set", at: inv.span("policies"),
                             notes: ["set one first: set cost ratio R per gflop (or per second); see help set"])
        }
        let start = inv.double("start") ?? 0.3
        let task = try wrap(inv.node.span) { try spec.resolvedTask(in: data) }
        let metric = inv.string("metric") ?? (task == .classification ? "accuracy" : "rmse")
        var base = TrainOptions(seed: UInt64(truncatingIfNeeded: inv.int("seed") ?? session.settings.seed))
        base.epochs = inv.int("epochs")
        base.lr = inv.double("lr")
        if spec.isClosedForm(options: base), inv.has("epochs") || inv.has("lr") {
            throw inv.error("epochs/lr do not apply: \(spec.family.rawValue) is fitted in closed form", at: inv.has("epochs") ? "epochs" : "lr")
        }
        let stream = try wrap(inv.span(inv.has("every") ? "every" : "on")) {
            try Backtest.stream(data, orderedBy: inv.string("by"), batching: batching, start: start)
        }
        let setup = BacktestSetup(spec: spec, train: base, finetune: base, metric: metric, costRatio: session.settings.costRatio)

        let parent = try RunRecorder(session: session, invocation: inv, kind: "backtest", model: modelName,
                                     seed: Int(truncatingIfNeeded: base.resolvedSeed), datasets: [("data", dataName)],
                                     params: ["policies": policies.map(\.name).joined(separator: ", "),
                                              "batching": batching.description, "by": inv.string("by") ?? "row order",
                                              "start": Invocation.formatNumber(start), "metric": metric,
                                              "batches": String(stream.batches.count), "start_rows": String(stream.initial.count),
                                              "cost_ratio": session.settings.costRatio?.description ?? "none"])
        let bar = BacktestProgress(enabled: session.progressEnabled, width: session.width, label: "backtest \(modelName)")
        let result: BacktestResult
        do {
            result = try BacktestEngine.run(data: data, stream: stream, policies: policies, setup: setup,
                                            progress: { p, b, np, nb in bar.update(policy: p, batch: b, policies: np, batches: nb) },
                                            shouldStop: session.shouldStop)
        } catch {
            bar.clear()
            try parent.finish(.failed, error: "\(error)")
            throw Diagnostic("\(error)", at: inv.node.span)
        }
        bar.clear()
        let children = try record(result, parent: parent, model: modelName, dataName: dataName)
        let interrupted = result.outcomes.contains { $0.interrupted } || result.outcomes.count < policies.count
        render(result, model: modelName, dataName: dataName, children: children, runID: parent.id)
        var metrics: [String: Double] = [:]
        if let v = result.verdict {
            metrics["mean_" + metric] = result.outcomes[v.pick].mean
            metrics["best_mean_" + metric] = result.outcomes[v.best].mean
        }
        let total = result.outcomes.reduce(into: (0.0, 0, 0.0)) { $0.0 += $1.wallSeconds; $0.1 += $1.examples; $0.2 += $1.flops }
        let cost = RunCost(wallSeconds: total.0 + result.initialCost.wallSeconds,
                           examples: total.1 + result.initialCost.examplesProcessed, flops: total.2 + result.initialCost.estimatedFLOPs)
        if let v = result.verdict { try parent.store.tag(parent.id, key: "pick", value: result.outcomes[v.pick].policy.name) }
        if interrupted {
            try parent.finish(.interrupted, metrics: metrics, cost: cost, error: "interrupted by the user")
            throw Diagnostic("backtest interrupted after \(result.outcomes.filter { !$0.interrupted }.count) of \(policies.count) policies (run #\(parent.id); finished policies recorded)",
                             at: inv.node.span, kind: .interrupted)
        }
        try parent.finish(.finished, metrics: metrics, cost: cost)
        return .runs([Int(parent.id)] + children.map { Int($0) })
    }

    func wrap<T>(_ span: SourceSpan, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as BacktestError {
            throw Diagnostic(e.message, at: span)
        } catch let d as Diagnostic {
            throw d
        } catch {
            throw Diagnostic("\(error)", at: span)
        }
    }

    /// `every 1 month`, `every 500 rows`, `every 2.5`, `every week`; or `batches 12`.
    func batching() throws -> Batching {
        if inv.node.items.contains(where: { if case .binary(.in, _, _) = $0.kind { return true } else { return false } }) {
            throw Diagnostic.syntax("'in' is the membership operator here; write the batch count as 'batches N'",
                                    at: inv.span("on"), notes: ["usage: \(inv.spec.synopsis)"])
        }
        switch (inv.string("every"), inv.int("batches")) {
        case (nil, nil):
            throw Diagnostic.syntax("backtest needs the batches: every N UNIT, every N rows or batches N", at: inv.node.span,
                                    notes: ["usage: \(inv.spec.synopsis)"])
        case (_?, _?):
            throw Diagnostic.syntax("give either 'every …' or 'batches N', not both", at: inv.span("batches"))
        case (nil, let n?):
            guard n >= 1 else { throw inv.error("batches must be at least 1, got \(n)", at: "batches") }
            return .count(n)
        case (let text?, nil):
            let words = text.split(separator: " ").map(String.init)
            let span = inv.span("every")
            var amount = 1.0
            var rest = words[...]
            if let first = rest.first, let v = Double(first) {
                guard v > 0, v.isFinite else { throw Diagnostic("every needs a positive amount, got \(first)", at: span) }
                amount = v
                rest = rest.dropFirst()
            }
            switch rest.count {
            case 0:
                guard words.count == 1 else { break }
                return .width(amount)
            case 1:
                let word = rest[rest.startIndex]
                let whole = amount == amount.rounded() ? Int(amount) : nil
                if word == "rows" || word == "row" {
                    guard let n = whole else { throw Diagnostic("every N rows needs a whole number, got \(text)", at: span) }
                    return .rows(n)
                }
                if let unit = TimeUnit(word: word) {
                    guard let n = whole else { throw Diagnostic("every N \(word) needs a whole number, got \(text)", at: span) }
                    return .period(n, unit)
                }
                let choices = TimeUnit.allCases.map(\.rawValue) + ["rows"]
                throw Diagnostic("unknown batch unit '\(word)'", at: span,
                                 notes: (Suggest.closest(word, among: choices).map { ["did you mean '\($0)'?"] } ?? [])
                                     + ["units: " + choices.joined(separator: ", ")])
            default:
                break
            }
            throw Diagnostic("cannot read the batching 'every \(text)'", at: span,
                             notes: ["write every N UNIT (e.g. every 1 month), every N rows, or every X for a numeric column"])
        }
    }

    func policies() throws -> [Policy] {
        guard let text = inv.string("policies") else { return Policy.defaults }
        do {
            return try PolicyParser.parse(text)
        } catch let e as PolicyParseError {
            let at = inv.phraseSpan("policies", range: e.range)
            var notes = e.suggestion.map { ["did you mean '\($0)'?"] } ?? []
            notes.append("policies: keep | retrain|finetune each | every K | when psi|ks|error > X | when cost [window W] | background | nearest version, comma-separated")
            throw Diagnostic.syntax(e.message, at: at, notes: notes)
        }
    }

    /// One child run per replayed policy: its curve (one point per batch), counts and cost.
    func record(_ r: BacktestResult, parent: RunRecorder, model: String, dataName: String) throws -> [Int64] {
        var ids: [Int64] = []
        for o in r.outcomes {
            let child = try RunRecorder(session: session, invocation: inv, kind: "backtest", model: model, parentRun: parent.id,
                                        seed: nil, datasets: [("data", dataName)],
                                        params: ["policy": o.policy.name, "metric": r.metric])
            for (b, e) in o.errors.enumerated() {
                var values: [String: Double] = [r.metric: e,
                                                "retrained": o.retrainedAfter.contains(b) ? 1 : 0,
                                                "finetuned": o.finetunedAfter.contains(b) ? 1 : 0]
                if let t = r.batches[b].time { values["batch_time"] = t }
                if let d = o.drift[b] { values["drift"] = d }
                if b < o.served.count { values["served_version"] = Double(o.served[b]) }
                if o.warnings.contains(b) { values["warning"] = 1 }
                child.epoch(step: b + 1, values: values)
            }
            var metrics: [String: Double] = ["mean_" + r.metric: o.mean, "last_quarter_" + r.metric: o.lastQuarterMean,
                                             "retrains": Double(o.retrainedAfter.count), "finetunes": Double(o.finetunedAfter.count)]
            if let w = worst(o, lowerIsBetter: r.lowerIsBetter) { metrics["worst_" + r.metric] = o.errors[w] }
            let cost = RunCost(wallSeconds: o.wallSeconds, examples: o.examples, flops: o.flops)
            if o.interrupted {
                try child.finish(.interrupted, metrics: metrics, cost: cost, error: "interrupted by the user")
            } else {
                try child.finish(.finished, metrics: metrics, cost: cost)
            }
            ids.append(child.id)
        }
        return ids
    }

    /// `0`, or `3 from @4`: how many times, and after which batch the first.
    static func counted(_ batches: [Int]) -> String {
        guard let first = batches.first else { return "0" }
        return "\(batches.count) from @\(first + 1)"
    }

    func worst(_ o: PolicyOutcome, lowerIsBetter: Bool) -> Int? {
        o.errors.indices.max { lowerIsBetter ? o.errors[$0] < o.errors[$1] : o.errors[$0] > o.errors[$1] }
    }

    func render(_ r: BacktestResult, model: String, dataName: String, children: [Int64], runID: Int64) {
        let by = inv.string("by").map { " by \($0)" } ?? ""
        session.print("backtest \(model) on \(dataName)\(by): \(r.initialRows) start rows, \(r.batches.count) batches "
                      + "(\(r.batches.first?.label ?? "") … \(r.batches.last?.label ?? "")), \(r.outcomes.count) policies, metric \(r.metric)  run #\(runID)")
        var rows: [[Cell]] = []
        for (i, o) in r.outcomes.enumerated() {
            let w = worst(o, lowerIsBetter: r.lowerIsBetter)
            var mark = ""
            if let v = r.verdict {
                if v.pick == i { mark = "◀ pick" } else if v.front.contains(i) { mark = "front" }
            }
            var row: [Cell] = [.text("#\(children[i])"), .text(o.policy.name), .number(o.mean), .number(o.lastQuarterMean),
                               w.map { .text(NumberFormat.significant(o.errors[$0], digits: 4) + " @" + String($0 + 1)) } ?? .missing,
                               .text(Self.counted(o.retrainedAfter)), .text(Self.counted(o.finetunedAfter)),
                               .text(formatSeconds(o.wallSeconds)), .text(formatFLOPs(o.flops)), .int(o.examples)]
            if r.costRatio != nil { row.append(r.priced(o).map { .number($0) } ?? .missing) }
            row.append(.text(mark))
            rows.append(row)
        }
        var columns = [Table.Column("run"), Table.Column("policy"),
                       Table.Column("mean \(r.metric)", alignment: .right), Table.Column("last quarter", alignment: .right),
                       Table.Column("worst @batch", alignment: .right), Table.Column("retrains", alignment: .right),
                       Table.Column("fine-tunes", alignment: .right), Table.Column("wall", alignment: .right),
                       Table.Column("FLOPs", alignment: .right), Table.Column("examples", alignment: .right)]
        if let ratio = r.costRatio { columns.append(Table.Column("error + \(ratio)", alignment: .right)) }
        columns.append(Table.Column(""))
        let table = Table(columns: columns, rows: rows)
        session.show(table)
        let series = r.outcomes.map { o in
            PlotSeries(name: o.policy.name, x: o.errors.indices.map { Double($0 + 1) }, y: o.errors)
        }
        session.print(LinePlot.render(series: series, width: session.width, height: 10, color: session.settings.color,
                                      xLabel: "batch", yLabel: r.metric))
        guard let v = r.verdict else { return }
        session.print("verdict: \(r.outcomes[v.pick].policy.name)")
        for reason in v.reasons { session.print("  because \(reason)") }
        let ids = [v.pick, v.best].reduce(into: [Int]()) { if !$0.contains($1) { $0.append($1) } }.map { "#\(children[$0])" }
        session.print("next: plot \(ids.joined(separator: ", ")) \(r.metric)")
    }
}

/// A progress line over policies × batches, with an ETA, on the error stream.
final class BacktestProgress: @unchecked Sendable {
    let enabled: Bool
    let width: Int
    let label: String
    var throttle = RedrawThrottle(maxPerSecond: 10)
    var drawn = false
    let started = DispatchTime.now().uptimeNanoseconds

    init(enabled: Bool, width: Int, label: String) {
        self.enabled = enabled
        self.width = width
        self.label = label
    }

    func update(policy: Int, batch: Int, policies: Int, batches: Int) {
        guard enabled else { return }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        guard throttle.shouldRedraw(now: elapsed, force: false) else { return }
        let state = ProgressState(label: label, epoch: policy + 1, epochs: policies, batch: batch, batches: batches,
                                  loss: .nan, rows: 0, elapsed: elapsed)
        FileHandle.standardError.write(Data((ProgressBar.erase + ProgressBar.line(state, width: width)).utf8))
        drawn = true
    }

    func clear() {
        if drawn { FileHandle.standardError.write(Data(ProgressBar.erase.utf8)); drawn = false }
    }
}
