import Foundation
import Language
import Learning
import Render
import Tabular
import Tracking

/// Model specifications and versions as the store keeps them, and the one code path that trains
/// a version and records it (train, retrain, finetune, and the arms of `duel`).
extension Session {
    /// The specification of a defined model (from the store), or an error with "did you mean".
    public func modelSpec(_ name: String, at span: SourceSpan) throws -> ModelSpec {
        let s = try store()
        let json: String
        do {
            json = try s.modelSpec(name)
        } catch {
            let names = (try? s.models().map(\.name)) ?? []
            var notes: [String] = []
            if let m = Suggest.closest(name, among: names) { notes.append("did you mean '\(m)'?") }
            if names.isEmpty { notes.append("define one with: model NAME = linear predicts TARGET") }
            throw Diagnostic("no model named '\(name)'", at: span, notes: notes)
        }
        do {
            return try JSONDecoder().decode(ModelSpec.self, from: Data(json.utf8))
        } catch {
            throw Diagnostic("the stored specification of '\(name)' cannot be read: \(error)", at: span)
        }
    }

    /// Resolves `MODEL@V` (a number, `latest` or an alias) and loads the version's weights.
    public func loadVersion(_ model: String, ref: Language.VersionRef, at span: SourceSpan)
        throws -> (version: Int, model: TrainedModel, stored: ModelVersion)
    {
        _ = try modelSpec(model, at: span)
        let s = try store()
        let r: Tracking.VersionRef
        switch ref {
        case .number(let n): r = .number(n)
        case .alias(let a): r = a == "latest" ? .latest : .alias(a)
        }
        let stored: ModelVersion
        do {
            stored = try s.loadVersion(model, r)
        } catch {
            throw Diagnostic("\(error)", at: span)
        }
        do {
            let trained = try TrainedModel.deserialize(stored.weights)
            return (stored.info.version, trained, stored)
        } catch {
            throw Diagnostic("the weights of \(model)@\(stored.info.version) cannot be read: \(error)", at: span)
        }
    }

    /// Whether a live progress bar may be drawn (a terminal, and `set progress on`).
    var progressEnabled: Bool { isInteractive && settings.progress }
}

/// What to train: everything `train`, `retrain`, `finetune` and the duel arms need.
public struct TrainRequest {
    public var kind: String
    public var model: String
    public var spec: ModelSpec
    public var data: String
    public var valid: String?
    public var options: TrainOptions
    /// Fine-tune: the parent version and its weights.
    public var parent: (version: Int, model: TrainedModel)?
    /// Retrain: the version it replaces (lineage), without using its weights.
    public var replaces: Int?
    public var replay: String?
    public var parentRun: Int64?
    /// Extra tags (e.g. the duel arm).
    public var tags: [String: String] = [:]
    /// `where EXPR`: only the rows of `data` that match are fitted (recorded as the param `where`).
    public var rowFilter: RowFilter?
    /// Extra parameters recorded with the run (a sweep's architecture settings).
    public var params: [String: String] = [:]

    public init(kind: String, model: String, spec: ModelSpec, data: String, options: TrainOptions) {
        self.kind = kind
        self.model = model
        self.spec = spec
        self.data = data
        self.options = options
    }
}

/// A row filter on the training data (`train … where island = "Biscoe"`).
public struct RowFilter: Sendable {
    public var text: String
    public var predicate: RowExpr
}

/// A trained, recorded version.
public struct TrainOutcome {
    public var runID: Int64
    public var version: Int
    public var result: TrainingResult
}

extension Session {
    /// Trains a version, writing the run as it happens (parameters and data first, each epoch as
    /// it ends, then the version, final metrics and cost). Divergence and Ctrl-C end the run with
    /// their status and throw; nothing stored is half-written.
    public func train(_ req: TrainRequest, invocation: Invocation?, span: SourceSpan) throws -> TrainOutcome {
        var data = try dataset(req.data, at: span)
        if let f = req.rowFilter {
            do {
                data = try data.filter(f.predicate, name: "\(req.data) where \(f.text)")
            } catch {
                throw Diagnostic("cannot filter '\(req.data)' by \(f.text): \(error)", at: span)
            }
        }
        let valid = try req.valid.map { try dataset($0, at: span) }
        let replay = try req.replay.map { try dataset($0, at: span) }
        let recorder = try beginTrainingRun(req, invocation: invocation)
        let bar = ProgressDisplay(enabled: progressEnabled, width: width, label: "\(req.kind) \(req.model)")
        let control = TrainingControl(
            shouldStop: shouldStop,
            onEpoch: { rec in recorder.epoch(rec) },
            onProgress: { bar.update($0) })
        let result: TrainingResult
        do {
            result = try Trainer.train(spec: req.spec, data: data, options: req.options, valid: valid,
                                       parent: req.parent?.model, replay: replay, control: control)
        } catch {
            bar.clear()
            self.recording("the end of the run") { try recorder.finish(.failed, error: "\(error)") }
            var notes: [String] = []
            if case LearningError.unknownColumn(let name, _)? = error as? LearningError,
               let near = Suggest.closest(name, among: data.columnNames) {
                notes.append("did you mean '\(near)'? (redefine with: model \(req.model) … replace)")
            }
            throw Diagnostic("\(error)", at: span, notes: notes)
        }
        bar.finish(result)
        return try completeTrainingRun(req, recorder: recorder, result: result, data: data, span: span)
    }

    /// Records a version trained elsewhere (a sweep's configurations train on worker threads and
    /// are recorded here, one after another in configuration order): the run is begun, its curve
    /// written from the result, then ended as `train` ends it. `metrics` are added to the final
    /// metrics (a sweep's cross-validation scores).
    public func recordTrained(_ req: TrainRequest, result: TrainingResult, metrics: [String: Double] = [:],
                              invocation: Invocation?, span: SourceSpan) throws -> TrainOutcome {
        let data = try dataset(req.data, at: span)
        let recorder = try beginTrainingRun(req, invocation: invocation)
        for rec in result.curve { recorder.epoch(rec) }
        return try completeTrainingRun(req, recorder: recorder, result: result, data: data, extra: metrics, span: span)
    }

    /// Records a run whose training failed before it produced anything (status `failed`).
    public func recordFailedTraining(_ req: TrainRequest, error: String, invocation: Invocation?) throws -> Int64 {
        let recorder = try beginTrainingRun(req, invocation: invocation)
        try recorder.finish(.failed, error: error)
        return recorder.id
    }

    /// Begins the run of a training: parameters (defaults included), data roles, tags.
    func beginTrainingRun(_ req: TrainRequest, invocation: Invocation?) throws -> RunRecorder {
        var params: [String: String] = [:]
        for (k, v) in req.options.effectiveValues(for: req.spec) { params[k] = v }
        params["family"] = req.spec.family.rawValue
        for (k, v) in req.params { params[k] = v }
        if let f = req.rowFilter { params["where"] = f.text }
        var roles: [(role: String, name: String)] = [("train", req.data)]
        if let v = req.valid { roles.append(("valid", v)) }
        if let r = req.replay { roles.append(("replay", r)) }
        let recorder = try RunRecorder(session: self, invocation: invocation, kind: req.kind, model: req.model,
                                       parentVersion: req.parent?.version ?? req.replaces, parentRun: req.parentRun,
                                       seed: Int(truncatingIfNeeded: req.options.resolvedSeed), datasets: roles,
                                       params: params)
        for (k, v) in req.tags { recording("the tag \(k) of run #\(recorder.id)") { try recorder.store.tag(recorder.id, key: k, value: v) } }
        return recorder
    }

    /// Ends a training run from its result: warnings, then the status (divergence and Ctrl-C
    /// end the run and throw), the version and the final metrics.
    func completeTrainingRun(_ req: TrainRequest, recorder: RunRecorder, result: TrainingResult, data: Dataset,
                             extra: [String: Double] = [:], span: SourceSpan) throws -> TrainOutcome {
        // Messages starting "note: " are information, not warnings.
        for w in result.warnings { if w.hasPrefix("note: ") { printError(w) } else { warn(w) } }
        let cost = RunCost(wallSeconds: result.cost.wallSeconds, examples: result.cost.examplesProcessed,
                           flops: result.cost.estimatedFLOPs)
        switch result.status {
        case .finished:
            break
        case .interrupted:
            self.recording("the end of the run") { try recorder.finish(.interrupted, cost: cost, error: "interrupted by the user") }
            throw Diagnostic("\(req.kind) of \(req.model) interrupted (run #\(recorder.id) recorded as interrupted)",
                             at: span, kind: .interrupted)
        case .diverged:
            self.recording("the end of the run") { try recorder.finish(.diverged, cost: cost, error: result.status.description) }
            let lr = req.options.resolvedLR
            throw Diagnostic("run #\(recorder.id) \(result.status.description)", at: span,
                             notes: ["nothing was stored for this run but its curve up to the divergence",
                                     "try a smaller learning rate, e.g. lr \(String(format: "%g", lr / 10)) (this run used \(String(format: "%g", lr)))",
                                     "list diverged runs with: runs where status = diverged"])
        }
        var metrics = finalMetrics(result)
        for (k, v) in extra { metrics[k] = v }
        let weights: [UInt8]
        do {
            weights = try result.model.serialize()
        } catch {
            self.recording("the end of the run") { try recorder.finish(.failed, cost: cost, error: "\(error)") }
            throw Diagnostic("cannot encode the weights: \(error)", at: span)
        }
        let summaryJSON = try? JSONEncoder().encode(data.summary(fingerprint: false))
        let version: Int
        do {
            version = try recorder.store.addModelVersion(
                model: req.model, parentVersion: req.parent?.version ?? req.replaces, runID: recorder.id,
                weights: weights, formatVersion: Int(TrainedModel.weightsFormatVersion),
                summary: summaryJSON.map { [UInt8]($0) }, metrics: metrics)
        } catch {
            self.recording("the end of the run") { try recorder.finish(.failed, cost: cost, error: "\(error)") }
            throw Diagnostic("cannot store the version: \(error)", at: span, kind: .io)
        }
        try recorder.finish(.finished, metrics: metrics, cost: cost, version: version)
        return TrainOutcome(runID: recorder.id, version: version, result: result)
    }

    /// Final metrics of a training run: `<metric>` on the validation data when there was any,
    /// else on the training data; `train_<metric>` always on the training data.
    func finalMetrics(_ r: TrainingResult) -> [String: Double] {
        var m: [String: Double] = [:]
        for (k, v) in r.trainMetrics { m["train_" + k] = v }
        let primary = r.validMetrics.isEmpty ? r.trainMetrics : r.validMetrics
        for (k, v) in primary { m[k] = v }
        if !r.validMetrics.isEmpty { for (k, v) in r.validMetrics { m["valid_" + k] = v } }
        return m
    }
}

extension RunRecorder {
    /// Commits one epoch of a training curve (`train_loss` and the validation metrics).
    func epoch(_ rec: EpochRecord) {
        var values = rec.valid
        values["train_loss"] = rec.trainLoss
        epoch(step: rec.epoch, values: values)
    }
}

/// The live progress bar on stderr: at most 10 redraws a second, replaced by a summary line.
final class ProgressDisplay {
    let enabled: Bool
    let width: Int
    var throttle = RedrawThrottle(maxPerSecond: 10)
    var drawn = false
    var etaStart = DispatchTime.now().uptimeNanoseconds
    let label: String
    var lastLoss = Double.nan

    init(enabled: Bool, width: Int, label: String) {
        self.enabled = enabled
        self.width = width
        self.label = label
    }

    var now: Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    func update(_ p: TrainingProgress) {
        guard enabled else { return }
        guard throttle.shouldRedraw(now: now, force: false) else { return }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - etaStart) / 1e9
        let state = ProgressState(label: label, epoch: p.epoch, epochs: p.epochs, batch: p.batch, batches: p.batches,
                                  loss: p.loss, rows: Int(p.rowsPerSecond * elapsed), elapsed: elapsed)
        lastLoss = p.loss
        FileHandle.standardError.write(Data((ProgressBar.erase + ProgressBar.line(state, width: width)).utf8))
        drawn = true
    }

    func clear() {
        if drawn { FileHandle.standardError.write(Data(ProgressBar.erase.utf8)); drawn = false }
    }

    func finish(_ r: TrainingResult) {
        guard enabled, drawn else { return }
        clear()
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - etaStart) / 1e9
        let status = r.status == .finished ? nil : r.status.name
        FileHandle.standardError.write(Data((ProgressBar.summary(label: label, epochs: r.curve.count, elapsed: elapsed,
                                                                  finalLoss: r.curve.last?.trainLoss ?? lastLoss, status: status) + "\n").utf8))
    }
}
