import Decisions
import Foundation
import Language
import Learning
import Render
import Tabular
import Tracking

/// `model`, `train`, `retrain`, `finetune`, `evaluate`, `predict`, `cv`, `models`.
func modelCommands() -> [CommandSpec] {
    [modelCommand, trainCommand, retrainCommand, finetuneCommand, evaluateCommand, predictCommand, cvCommand,
     modelsCommand]
}

// MARK: - model

let modelCommand = CommandSpec(
    name: "model", group: .models,
    summary: "Define a model: family, architecture, target and features",
    synopsis: "model NAME = FAMILY [solver exact|sgd] [l2 λ] [hidden [64, 32]] [activation relu|tanh|gelu] [dropout P] [task regression|classification] predicts TARGET [from COL, … | from *] [replace]",
    operands: [OperandSpec("NAME = FAMILY", .expr, help: "the model's name and its family: linear, logistic, softmax or mlp")],
    options: [
        OptionSpec("solver", .choice(ModelSpec.Solver.allCases.map(\.rawValue)), default: "exact (mlp: sgd)",
                   help: "exact: closed form (least squares, or Newton for logistic/softmax); sgd: iterative training"),
        OptionSpec("l2", .number, default: "1 for logistic/softmax, 0 otherwise",
                   help: "λ of the penalty λ/2·‖w‖² (intercept unpenalised; λ = 1/C of scikit-learn)"),
        OptionSpec("hidden", .list(.integer), help: "mlp: hidden layer sizes, e.g. [64, 32]"),
        OptionSpec("activation", .choice(ModelSpec.Activation.allCases.map(\.rawValue)), default: "relu",
                   help: "mlp: activation of the hidden layers"),
        OptionSpec("dropout", .number, default: "0", help: "mlp: dropout probability of hidden units while training"),
        OptionSpec("task", .choice(ModelSpec.Task.allCases.map(\.rawValue)), default: "from the target's type",
                   help: "mlp: regression or classification (otherwise a categorical/boolean target means classification)"),
        OptionSpec("predicts", .name(.column), required: true, help: "the target column"),
        OptionSpec("from", .any, default: "*", help: "the feature columns (a, b, c), or * for every column but the target and the time column"),
        OptionSpec("replace", .flag, help: "replace an existing, different definition (its versions are kept)"),
    ],
    help: """
    Architecture options go here; optimisation options (epochs, lr, optimizer, …) go on train, retrain and finetune.
    Families: linear (regression; solver exact = least squares in Float64, or sgd), logistic (binary classification,
    objective Σ logloss + λ/2·‖w‖², Newton by default), softmax (multiclass, same parameterisation) and
    mlp (regression or classification, trained iteratively).
    Defining a model again with an identical specification does nothing (scripts can be replayed into the same
    store); a different specification is an error that lists the differences, unless `replace` is given.
    Write `from *` last: the language reads `* NAME` after it as a multiplication, so put `replace` before `from *`.
    """,
    examples: ["model price = linear predicts progression from age, sex, bmi, bp",
               "model cancer = logistic l2 1 predicts target from *",
               "model deep = mlp hidden [64, 32] activation gelu dropout 0.1 predicts price"],
    handler: { inv, session in try defineModel(inv, session) })

func defineModel(_ inv: Invocation, _ session: Session) throws -> ResultValue? {
    guard let defArg = inv.operand(0), let def = defArg.expr else { return nil }
    guard case .binary(.equal, let lhs, let rhs) = def.kind else {
        throw Diagnostic("model expects NAME = FAMILY, got '\(ExprPrinter.print(def))'", at: defArg.span,
                         notes: ["e.g. model price = linear predicts price"])
    }
    guard let name = lhs.identifier else {
        throw Diagnostic("the model name must be a plain name, got '\(ExprPrinter.print(lhs))'", at: lhs.span)
    }
    let familyNames = ModelSpec.Family.allCases.map(\.rawValue)
    guard let familyName = rhs.identifier else {
        throw Diagnostic("the model family must be one of \(familyNames.joined(separator: ", ")), got '\(ExprPrinter.print(rhs))'",
                         at: rhs.span)
    }
    guard let family = ModelSpec.Family(rawValue: familyName) else {
        var notes: [String] = []
        if let s = Suggest.closest(familyName, among: familyNames) { notes.append("did you mean '\(s)'?") }
        throw Diagnostic("unknown model family '\(familyName)' (one of \(familyNames.joined(separator: ", ")))",
                         at: rhs.span, notes: notes)
    }
    guard let target = inv.string("predicts") else { return nil }
    var features = ModelSpec.Features.allButTarget
    if let from = inv.options["from"] {
        features = try featureList(from)
    }
    if family != .mlp {
        for key in ["hidden", "activation", "dropout"] where inv.has(key) {
            throw inv.error("\(key) is an mlp option; \(family.rawValue) has no hidden layers", at: key)
        }
        if inv.has("task") {
            throw inv.error("task applies to mlp; \(family.rawValue) is always a \(family == .linear ? "regression" : "classification") model",
                            at: "task")
        }
    } else if inv.string("solver") == "exact" {
        throw inv.error("mlp is trained iteratively; solver exact applies to linear, logistic and softmax", at: "solver")
    }
    let hidden = try inv.options["hidden"].map { arg -> [Int] in
        try arg.list.map { item in
            guard let n = item.int else { throw Diagnostic("hidden layer sizes must be integers", at: item.span) }
            guard n >= 1 && n <= 65536 else {
                throw Diagnostic("hidden layer size \(n) is out of range 1…65536", at: item.span)
            }
            return n
        }
    } ?? []
    if family == .mlp && hidden.isEmpty {
        throw inv.error("mlp needs hidden layer sizes, e.g. hidden [64, 32]", at: inv.has("hidden") ? "hidden" : nil)
    }
    if let l2 = inv.double("l2"), !(l2 >= 0) || !l2.isFinite {
        throw inv.error("l2 must be a finite number ≥ 0, got \(Invocation.formatNumber(l2))", at: "l2")
    }
    if let p = inv.double("dropout"), !(p >= 0 && p < 1) {
        throw inv.error("dropout must be in [0, 1), got \(Invocation.formatNumber(p))", at: "dropout")
    }
    let spec = ModelSpec(
        name: name, family: family, target: target, features: features,
        solver: inv.string("solver").flatMap(ModelSpec.Solver.init(rawValue:)) ?? .exact,
        l2: inv.double("l2"), hidden: hidden,
        activation: inv.string("activation").flatMap(ModelSpec.Activation.init(rawValue:)) ?? .relu,
        dropout: inv.double("dropout") ?? 0,
        task: inv.string("task").flatMap(ModelSpec.Task.init(rawValue:)))
    do {
        try spec.validate()
    } catch {
        throw Diagnostic("\(error)", at: inv.node.span)
    }
    warnAboutUnknownColumns(spec, session: session)
    let store = try session.store()
    let json = try encodeSpec(spec)
    if let existingJSON = try? store.modelSpec(name) {
        if let existing = try? JSONDecoder().decode(ModelSpec.self, from: Data(existingJSON.utf8)) {
            if existing == spec {
                session.print("model \(name) unchanged")
                return nil
            }
            let diffs = spec.differences(from: existing)
            if !inv.flag("replace") {
                throw Diagnostic("model '\(name)' is already defined differently", at: defArg.span,
                                 notes: diffs + ["add 'replace' to redefine it (its versions are kept)"])
            }
            try storeCall { _ = try store.upsertModel(name: name, specJSON: json) }
            session.print("model \(name) redefined: \(diffs.joined(separator: "; "))")
            return nil
        } else if !inv.flag("replace") {
            throw Diagnostic("model '\(name)' has a stored specification this retune cannot read", at: defArg.span,
                             notes: ["add 'replace' to redefine it"])
        }
    }
    try storeCall { _ = try store.upsertModel(name: name, specJSON: json) }
    session.print("model \(name) = \(describeSpec(spec))")
    return nil
}

/// `from a, b` / `from [a, b]` / `from *` → the feature selection.
func featureList(_ arg: Argument) throws -> ModelSpec.Features {
    if case .expr(let e) = arg.value, case .star = e.kind { return .allButTarget }
    var names: [String] = []
    for item in arg.list {
        guard case .name(let n) = item.value else {
            throw Diagnostic("from expects column names (a, b, c) or *, got '\(Invocation.text(of: item))'", at: item.span)
        }
        if names.contains(n) { throw Diagnostic("feature '\(n)' is listed twice", at: item.span) }
        names.append(n)
    }
    if names.isEmpty { throw Diagnostic("from expects column names (a, b, c) or *", at: arg.span) }
    return .columns(names)
}

func encodeSpec(_ spec: ModelSpec) throws -> String {
    let enc = JSONEncoder()
    enc.outputFormatting = [.sortedKeys]
    guard let data = try? enc.encode(spec), let text = String(data: data, encoding: .utf8) else {
        throw Diagnostic("cannot encode the specification of '\(spec.name)'")
    }
    return text
}

/// `linear (solver exact) predicts y from a, b` — one line.
func describeSpec(_ s: ModelSpec) -> String {
    var parts = [s.family.rawValue]
    var opts: [String] = []
    if s.family != .mlp { opts.append("solver \(s.solver.rawValue)") }
    if s.l2 != 0 { opts.append("l2 \(Invocation.formatNumber(s.l2))") }
    if s.family == .mlp {
        opts.append("hidden [\(s.hidden.map(String.init).joined(separator: ", "))]")
        opts.append("activation \(s.activation.rawValue)")
        if s.dropout != 0 { opts.append("dropout \(Invocation.formatNumber(s.dropout))") }
        if let t = s.task { opts.append("task \(t.rawValue)") }
    }
    if !opts.isEmpty { parts.append("(" + opts.joined(separator: ", ") + ")") }
    parts.append("predicts \(s.target)")
    switch s.features {
    case .allButTarget: parts.append("from *")
    case .columns(let c): parts.append("from " + c.joined(separator: ", "))
    }
    return parts.joined(separator: " ")
}

/// Runs a store call, turning its typed error into a diagnostic.
func storeCall<T>(_ span: SourceSpan = .none, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let d as Diagnostic {
        throw d
    } catch {
        throw Diagnostic("\(error)", at: span, kind: .io)
    }
}

// MARK: - training options

/// The default text of a `TrainOptions` key, for `help`.
func trainDefault(_ key: String) -> String? {
    TrainOptions.defaults.first { $0.key == key }?.defaultValue
}

func trainHelp(_ key: String) -> String {
    TrainOptions.defaults.first { $0.key == key }?.help ?? ""
}

/// Optimisation options shared by train, retrain, finetune and cv.
let optimisationOptions: [OptionSpec] = [
    OptionSpec("valid", .any, default: trainDefault("valid"), help: trainHelp("valid")),
    OptionSpec("epochs", .integer, default: trainDefault("epochs"), help: trainHelp("epochs")),
    OptionSpec("lr", .number, default: trainDefault("lr"), help: trainHelp("lr")),
    OptionSpec("batch", .integer, default: trainDefault("batch"), help: trainHelp("batch")),
    OptionSpec("optimizer", .choice(TrainOptions.Optimizer.allCases.map(\.rawValue)), default: trainDefault("optimizer"),
               help: trainHelp("optimizer")),
    OptionSpec("momentum", .number, default: trainDefault("momentum"), help: trainHelp("momentum")),
    OptionSpec("seed", .integer, default: "the session seed (set seed N; 42)", help: trainHelp("seed")),
    OptionSpec("weight_decay", .number, default: trainDefault("weight_decay"), help: trainHelp("weight_decay")),
    OptionSpec("schedule", .choice(TrainOptions.Schedule.allCases.map(\.rawValue)), default: trainDefault("schedule"),
               help: trainHelp("schedule")),
    OptionSpec("early_stop", .integer, default: trainDefault("early_stop"), help: trainHelp("early_stop")),
    OptionSpec("impute", .choice(ImputeStrategy.allCases.map(\.rawValue)), default: trainDefault("impute"), help: trainHelp("impute")),
    OptionSpec("threads", .integer, default: trainDefault("threads"), help: trainHelp("threads")),
]

let finetuneOnlyOptions: [OptionSpec] = [
    OptionSpec("freeze", .integer, default: trainDefault("freeze"), help: trainHelp("freeze")),
    OptionSpec("anchor", .number, default: trainDefault("anchor"), help: trainHelp("anchor")),
    OptionSpec("replay", .number, default: trainDefault("replay"), help: trainHelp("replay")),
    OptionSpec("shrink", .number, default: trainDefault("shrink"), help: trainHelp("shrink")),
    OptionSpec("perturb", .number, default: trainDefault("perturb"), help: trainHelp("perturb")),
    OptionSpec("from", .name(.dataset), help: "finetune: the dataset replay samples from (replay F from DATA)"),
]

/// Reads the optimisation options of an invocation; returns them and the validation dataset name.
func readTrainOptions(_ inv: Invocation, _ session: Session) throws -> (TrainOptions, valid: String?) {
    var o = TrainOptions()
    var validName: String?
    if let v = inv.options["valid"] {
        switch v.value {
        case .number(let f): o.validFraction = f
        case .integer(let i): o.validFraction = Double(i)
        case .name(let n): validName = n
        default:
            throw Diagnostic("valid expects a fraction (0.2) or a dataset name, got '\(Invocation.text(of: v))'", at: v.span)
        }
        if let f = o.validFraction, !(f > 0 && f < 1) {
            throw Diagnostic("valid fraction must be in (0, 1), got \(Invocation.formatNumber(f))", at: v.span)
        }
        if let n = validName { _ = try session.dataset(n, at: v.span) }
    }
    o.epochs = inv.int("epochs")
    o.lr = inv.double("lr")
    o.batch = inv.int("batch")
    o.optimizer = inv.string("optimizer").flatMap(TrainOptions.Optimizer.init(rawValue:))
    o.momentum = inv.double("momentum")
    o.weightDecay = inv.double("weight_decay")
    o.schedule = inv.string("schedule").flatMap(TrainOptions.Schedule.init(rawValue:))
    o.earlyStop = inv.int("early_stop")
    o.impute = inv.string("impute").flatMap(ImputeStrategy.init(rawValue:))
    o.threads = inv.int("threads")
    o.freeze = inv.int("freeze")
    o.anchor = inv.double("anchor")
    o.replayFraction = inv.double("replay")
    o.shrink = inv.double("shrink")
    o.perturb = inv.double("perturb")
    let seed = inv.int("seed") ?? session.settings.seed
    guard seed >= 0 else {
        throw inv.error("seed must be ≥ 0, got \(seed)", at: inv.has("seed") ? "seed" : nil)
    }
    o.seed = UInt64(seed)
    return (o, validName)
}

/// Checks options against the model up front so an error points at the offending option.
func validateOptions(_ o: TrainOptions, spec: ModelSpec, fineTune: Bool, valid: String?, replay: String?,
                     inv: Invocation) throws {
    do {
        try o.validate(for: spec, fineTune: fineTune, hasValidSet: valid != nil, hasReplaySet: replay != nil)
    } catch {
        let message = "\(error)"
        // Point at the first option the message names.
        let keys = inv.spec.options.map(\.key).filter { inv.has($0) }
        let words = Set(message.split(whereSeparator: { !$0.isLetter && $0 != "_" }).map(String.init))
        let key = keys.first { words.contains($0) }
        throw Diagnostic(message, at: key.map { inv.span($0) } ?? inv.node.span)
    }
}

// MARK: - train / retrain / finetune

let trainCommand = CommandSpec(
    name: "train", group: .models,
    summary: "Train a new version of a model from a fresh seeded initialisation",
    synopsis: "train MODEL on DATA [where EXPR] [valid DATA | valid F] [epochs N] [lr X] [batch N] [optimizer sgd|adam] [momentum M] [seed S] [weight_decay W] [schedule constant|cosine|step] [early_stop N] [impute mean|median|drop] [threads N]",
    operands: [OperandSpec("MODEL", .name(.model), help: "a model defined with 'model'")],
    options: [OptionSpec("on", .name(.dataset), required: true, help: "the training data"),
              OptionSpec("where", .expr, help: "only the rows of DATA matching this condition, e.g. where island = \"Biscoe\" (the filter language; recorded as the param where)")] + optimisationOptions,
    help: """
    Fits the preprocessing (standardisation, one-hot vocabularies) on DATA and trains the model from a fresh seeded
    initialisation; the result is the model's next version (price@1, price@2, …). The run is recorded as it happens:
    parameters with their defaults, data fingerprints, one point per epoch, final metrics and cost.
    Closed-form models (linear solver exact, logistic/softmax without an optimizer) take no optimisation options.
    Final metrics: <metric> on the validation data when there is any, else on the training data; train_<metric>
    always on the training data. Ctrl-C stops training cleanly (the run is recorded as interrupted).
    """,
    examples: ["train price on old", "train price on old valid 0.2 epochs 40 lr 0.01",
               "train deep on train valid test optimizer sgd momentum 0.9 schedule cosine"],
    handler: { inv, session in try runTraining(inv, session, kind: "train") })

let retrainCommand = CommandSpec(
    name: "retrain", group: .models,
    summary: "Train a new version from scratch on new data, linked to the version it replaces",
    synopsis: "retrain MODEL on DATA [where EXPR] [valid DATA | valid F] [epochs N] [lr X] [batch N] [optimizer sgd|adam] [momentum M] [seed S] [weight_decay W] [schedule …] [early_stop N] [impute …] [threads N]",
    operands: [OperandSpec("MODEL", .name(.model), help: "a model with at least one version")],
    options: [OptionSpec("on", .name(.dataset), required: true, help: "the training data"),
              OptionSpec("where", .expr, help: "only the rows of DATA matching this condition, e.g. where island = \"Biscoe\" (the filter language; recorded as the param where)")] + optimisationOptions,
    help: """
    Like train — a fresh seeded initialisation, preprocessing fitted anew on DATA — but the new version records the
    model's latest version as the one it replaces, so lineage shows the retrain. The model must have a version
    already (use train for the first one).
    """,
    examples: ["retrain price on recent", "retrain price on everything valid 0.2"],
    handler: { inv, session in try runTraining(inv, session, kind: "retrain") })

let finetuneCommand = CommandSpec(
    name: "finetune", group: .models,
    summary: "Continue training a version on new data from its weights and preprocessing",
    synopsis: "finetune MODEL[@V] on DATA [where EXPR] [epochs N] [lr X] [freeze N] [anchor λ] [replay F from DATA2] [shrink λ] [perturb P] [valid …] [batch N] [optimizer …] [seed S] …",
    operands: [OperandSpec("MODEL", .version, help: "the parent version (bare name = latest)")],
    options: [OptionSpec("on", .name(.dataset), required: true, help: "the new data"),
              OptionSpec("where", .expr, help: "only the rows of DATA matching this condition, e.g. where island = \"Biscoe\" (the filter language; recorded as the param where)")] + optimisationOptions
        + finetuneOnlyOptions,
    help: """
    A new version initialised from the parent's weights, keeping the parent's preprocessing. `freeze N` keeps the
    first N layers of an mlp fixed; `anchor λ` adds λ/2·‖θ − θ_parent‖² (L2-SP); `replay F from DATA2` mixes
    F × |DATA| rows sampled from DATA2 into every epoch against forgetting. Closed-form models solve the anchored
    objective exactly (anchor → 0 equals a retrain on DATA, anchor → ∞ keeps the parent).
    `shrink λ perturb P` (shrink and perturb, Ash & Adams 2020) starts from λ·θ_parent + P·θ_fresh, θ_fresh a fresh
    seeded initialisation, instead of θ_parent: a warm start that generalises like a fresh one. Either turns it
    on (the other then defaults to shrink 0.5 / perturb 0.01); closed-form models need anchor λ with it (the anchor
    then pulls toward the shrunk, perturbed parent).
    Data whose input schema differs from the parent's (a missing or new column, a changed type) is an error: retrain. A category the parent never saw (its vocabulary is everything it was trained and validated on) is encoded as all zeros, with a warning naming the column and the value: the parent's one-hot columns are fixed, so only a retrain learns it.
    Any stored version can be fine-tuned, also in a later session.
    """,
    examples: ["finetune price on new_a", "finetune price@1 on new_a anchor 10",
               "finetune deep@production on recent epochs 5 lr 0.0005 freeze 1 replay 0.2 from old",
               "finetune deep on recent shrink 0.5 perturb 0.01", "finetune pengs@1 on recent where island = \"Biscoe\""],
    handler: { inv, session in try runTraining(inv, session, kind: "finetune") })

func runTraining(_ inv: Invocation, _ session: Session, kind: String) throws -> ResultValue? {
    guard let modelArg = inv.operand(0), let dataName = inv.string("on") else { return nil }
    let modelName: String
    var ref: Language.VersionRef = .alias("latest")
    switch modelArg.value {
    case .name(let n): modelName = n
    case .version(let m?, let r): modelName = m; ref = r
    default:
        throw Diagnostic("\(kind) expects a model name, got '\(Invocation.text(of: modelArg))'", at: modelArg.span)
    }
    var spec = try session.modelSpec(modelName, at: modelArg.span)
    _ = try session.dataset(dataName, at: inv.span("on"))
    let (options, validName) = try readTrainOptions(inv, session)
    var replayName: String?
    if kind == "finetune" {
        if inv.has("from") && !inv.has("replay") {
            throw inv.error("from names the replay dataset: give replay F from DATA", at: "from")
        }
        if inv.has("replay") {
            guard let r = inv.string("from") else {
                throw inv.error("replay needs a dataset to sample from: replay F from DATA", at: "replay")
            }
            _ = try session.dataset(r, at: inv.span("from"))
            replayName = r
        }
    }
    var parent: (version: Int, model: TrainedModel)?
    var replaces: Int?
    switch kind {
    case "finetune":
        let loaded = try fineTuneParent(session, model: modelName, ref: ref, spec: spec, data: dataName, at: modelArg.span)
        parent = loaded
        spec = loaded.model.spec
    case "retrain":
        let store = try session.store()
        guard let latest = try storeCall(modelArg.span, { try store.models() }).first(where: { $0.name == modelName })?.latest else {
            throw Diagnostic("model '\(modelName)' has no version yet to retrain", at: modelArg.span,
                             notes: ["use: train \(modelName) on \(dataName)"])
        }
        replaces = latest
    default:
        break
    }
    try validateOptions(options, spec: spec, fineTune: parent != nil, valid: validName, replay: replayName, inv: inv)
    var req = TrainRequest(kind: kind, model: modelName, spec: spec, data: dataName, options: options)
    req.valid = validName
    req.parent = parent
    req.replaces = replaces
    req.replay = replayName
    req.rowFilter = try trainingRowFilter(inv, session, dataName: dataName)
    let outcome = try session.train(req, invocation: inv, span: inv.node.span)
    printOutcome(outcome, model: modelName, spec: spec, parent: parent?.version, replaces: replaces, session: session)
    if kind == "finetune",
       let health = try? session.chainHealth(model: modelName, version: outcome.version, at: inv.node.span), health.unhealthy {
        session.warn("\(modelName)@\(outcome.version) extends an unhealthy chain (\(health.summary)): consider retrain \(modelName) on \(dataName)")
    }
    return .version(model: modelName, version: outcome.version)
}

/// The parent of a fine-tune: the version and its weights, whose specification must be the
/// model's definition (a redefined model cannot fine-tune an older version).
func fineTuneParent(_ session: Session, model: String, ref: Language.VersionRef, spec: ModelSpec, data: String,
                    at span: SourceSpan) throws -> (version: Int, model: TrainedModel) {
    let loaded = try session.loadVersion(model, ref: ref, at: span)
    if let r = loaded.model.routing {
        throw Diagnostic("\(model)@\(loaded.version) is a segment model (by \(r.column)) and cannot be fine-tuned", at: span,
                         notes: ["fine-tune its base or a segment's version, e.g. finetune \(model)@\(r.baseVersion) on \(data) where \(r.column) = …, then segment again"])
    }
    if spec != loaded.model.spec {
        let diffs = spec.differences(from: loaded.model.spec)
        throw Diagnostic("\(model)@\(loaded.version) was trained with a different definition of '\(model)'",
                         at: span, notes: diffs + ["retrain the model instead"])
    }
    return (loaded.version, loaded.model)
}

/// The primary metric of a task: rmse for regression, accuracy for classification.
func primaryMetric(_ task: ModelSpec.Task) -> String { task == .regression ? "rmse" : "accuracy" }

func metricText(_ x: Double) -> String { NumberFormat.significant(x, digits: 4) }

func secondsText(_ s: Double) -> String { NumberFormat.fixed(s, decimals: 2) + " s" }

func printOutcome(_ o: TrainOutcome, model: String, spec: ModelSpec, parent: Int?, replaces: Int?, session: Session) {
    let r = o.result
    let key = primaryMetric(r.model.task)
    var parts = ["\(model)@\(o.version)", "run #\(o.runID)"]
    if let p = parent { parts.append("from @\(p)") }
    if let p = replaces { parts.append("replaces @\(p)") }
    if let v = r.validMetrics[key] { parts.append("\(key) \(metricText(v)) (valid)") }
    if let t = r.trainMetrics[key] { parts.append("train \(key) \(metricText(t))") }
    parts.append(secondsText(r.cost.wallSeconds))
    parts.append("\(NumberFormat.compact(Double(r.cost.examplesProcessed))) examples")
    session.print(parts.joined(separator: "  "))
    if r.curve.count >= 2 {
        let train = r.curve.map(\.trainLoss)
        var line = "  train_loss \(Sparkline.render(train, width: 40)) \(metricText(train.first ?? .nan)) → \(metricText(train.last ?? .nan))"
        line += "  (\(r.curve.count) epochs)"
        session.print(line)
        let valid = r.curve.compactMap { $0.valid["valid_loss"] }
        if valid.count >= 2 {
            session.print("  valid_loss \(Sparkline.render(valid, width: 40)) \(metricText(valid.first ?? .nan)) → \(metricText(valid.last ?? .nan))")
        }
    }
}

// MARK: - evaluate / predict

/// Resolves a `.version` operand to its model name and reference.
func versionOperand(_ arg: Argument, command: String) throws -> (String, Language.VersionRef) {
    switch arg.value {
    case .version(let m?, let r): return (m, r)
    case .name(let n): return (n, .alias("latest"))
    default:
        throw Diagnostic("\(command) expects a model version (NAME, NAME@N or NAME@ALIAS), got '\(Invocation.text(of: arg))'",
                         at: arg.span)
    }
}

let evaluateCommand = CommandSpec(
    name: "evaluate", group: .models,
    summary: "Evaluate a model version on a dataset and record the metrics",
    synopsis: "evaluate MODEL[@V] on DATA [by COLUMN [bins N]]",
    operands: [OperandSpec("MODEL", .version, help: "the version to evaluate (bare name = latest)")],
    options: [OptionSpec("on", .name(.dataset), required: true, help: "data holding the target column")] + segmentOptions,
    help: """
    Applies the version's preprocessing and weights to DATA and computes, in Float64: rmse, mae, r2 for regression;
    accuracy, log_loss, auc, f1 (binary) / f1_macro for classification. Recorded as a run of kind evaluate whose
    parent version is the evaluated one, so `runs where kind = evaluate` finds it later.
    `by COLUMN` adds one row per segment of COLUMN (its size, metrics and loss against the overall one; segments
    under \(SegmentRules.minRows) rows are marked, not merged) and records `<metric>.<COLUMN>=<segment>`; a numeric
    column with more than \(SegmentRules.maxDistinctValues) values needs `bins N` (quantile bins of DATA).
    """,
    examples: ["evaluate price on new", "evaluate price@2 on new_b", "evaluate cancer@production on recent",
               "evaluate pengs on test by island"],
    handler: { inv, session in
        guard let arg = inv.operand(0), let dataName = inv.string("on") else { return nil }
        let (model, ref) = try versionOperand(arg, command: "evaluate")
        let loaded = try session.loadVersion(model, ref: ref, at: arg.span)
        let data = try session.dataset(dataName, at: inv.span("on"))
        let recorder = try RunRecorder(session: session, invocation: inv, kind: "evaluate", model: model,
                                       parentVersion: loaded.version, datasets: [("test", dataName)],
                                       params: ["version": "\(loaded.version)"])
        let started = DispatchTime.now().uptimeNanoseconds
        let metrics: [String: Double]
        let design: DesignMatrix
        do {
            design = try loaded.model.preprocessor.transform(data, requireTarget: true)
            metrics = try Metrics.evaluate(loaded.model, on: data)
        } catch {
            session.recording("the end of the run") { try recorder.finish(.failed, error: "\(error)") }
            throw Diagnostic("\(error)", at: inv.span("on"))
        }
        if design.unseenCategoryCount > 0 {
            session.warn("\(design.unseenCategoryCount) categorical value\(design.unseenCategoryCount == 1 ? "" : "s") of '\(dataName)' not seen in training, encoded as all zeros")
        }
        if design.droppedRows > 0 {
            session.warn("\(design.droppedRows) row\(design.droppedRows == 1 ? "" : "s") of '\(dataName)' left out (missing target or feature)")
        }
        var bySegment: (Table, [String: Double])?
        do {
            bySegment = try inv.segmentation(reference: data).map { seg in
                try evaluateBy(inv, session, seg: seg, model: loaded.model, data: data, overall: metrics)
            }
        } catch {
            session.recording("the end of the run") { try recorder.finish(.failed, error: "\(error)") }
            throw error
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let flops = 2.0 * Double(design.rows) * Double(loaded.model.parameterCount)
        try recorder.finish(.finished, metrics: metrics.merging(bySegment?.1 ?? [:]) { a, _ in a },
                            cost: RunCost(wallSeconds: seconds, examples: design.rows, flops: flops))
        session.print("\(model)@\(loaded.version) on \(dataName)  run #\(recorder.id)  \(design.rows) rows")
        if let line = routingLine(loaded.model, on: data) { session.print(line) }
        session.show(metricsTable(metrics, task: loaded.model.task))
        if let t = bySegment?.0 { session.show(t) }
        return .run(Int(recorder.id))
    })

/// Metrics in the vocabulary's order, then any others alphabetically.
func orderedMetricKeys(_ keys: some Collection<String>, task: ModelSpec.Task?) -> [String] {
    let known = (task == .classification ? Metrics.classificationKeys : task == .regression ? Metrics.regressionKeys
                 : Metrics.regressionKeys + Metrics.classificationKeys)
    let set = Set(keys)
    return known.filter { set.contains($0) } + set.subtracting(known).sorted()
}

func metricsTable(_ m: [String: Double], task: ModelSpec.Task?) -> Table {
    Table(columns: [Table.Column("metric"), Table.Column("value", alignment: .right)],
          rows: orderedMetricKeys(m.keys, task: task).map { [.text($0), .number(m[$0] ?? .nan)] })
}

let predictCommand = CommandSpec(
    name: "predict", group: .models,
    summary: "Add a model version's predictions to a dataset, as a new dataset",
    synopsis: "predict MODEL[@V] on DATA as NEW",
    operands: [OperandSpec("MODEL", .version, help: "the version to predict with (bare name = latest)")],
    options: [OptionSpec("on", .name(.dataset), required: true, help: "the input rows (the target may be absent)"),
              OptionSpec("as", .name(.dataset), required: true, help: "the name of the new dataset")],
    help: """
    NEW is DATA with a `prediction` column: the predicted value for regression, the predicted class for
    classification, plus one `prob_<class>` column per class. Rows the preprocessing cannot use (a missing feature)
    get a missing prediction; categories not seen in training are encoded as all zeros, with a warning.
    """,
    examples: ["predict price on new as scored", "predict cancer@2 on recent as recent_scored"],
    handler: { inv, session in
        guard let arg = inv.operand(0), let dataName = inv.string("on"), let newName = inv.string("as") else { return nil }
        let (model, ref) = try versionOperand(arg, command: "predict")
        let loaded = try session.loadVersion(model, ref: ref, at: arg.span)
        let data = try session.dataset(dataName, at: inv.span("on"))
        let p: Predictions
        do {
            p = try loaded.model.predict(data)
        } catch {
            throw Diagnostic("\(error)", at: inv.span("on"))
        }
        if p.unseenCategoryCount > 0 {
            session.warn("\(p.unseenCategoryCount) categorical value\(p.unseenCategoryCount == 1 ? "" : "s") of '\(dataName)' not seen in training, encoded as all zeros")
        }
        if p.droppedRows > 0 {
            session.warn("\(p.droppedRows) row\(p.droppedRows == 1 ? "" : "s") of '\(dataName)' could not be predicted (missing feature values)")
        }
        let out = predictionDataset(data, p, name: newName, source: "\(model)@\(loaded.version)")
        if session.datasets[newName] != nil { session.warn("dataset '\(newName)' replaced by the predictions") }
        session.datasets[newName] = out
        let added = out.columnNames.filter { !data.columnNames.contains($0) || $0 == "prediction" || $0.hasPrefix("prob_") }
        session.print("\(newName): \(out.rowCount) rows × \(out.columns.count) columns (\(model)@\(loaded.version) added \(added.joined(separator: ", ")))")
        return .dataset(newName)
    })

/// DATA plus `prediction` (and `prob_<class>`) columns; same-named existing columns are replaced.
func predictionDataset(_ data: Dataset, _ p: Predictions, name: String, source: String) -> Dataset {
    var added: [Column] = []
    if let classes = p.classes, let labels = p.labels {
        let codes: [Int32] = labels.map { label in
            guard let label, let i = classes.firstIndex(of: label) else { return -1 }
            return Int32(i)
        }
        added.append(.categorical("prediction", codes: codes, levels: classes))
        if let probs = p.probabilities {
            let k = max(classes.count, 1)
            for (c, cls) in classes.enumerated() {
                added.append(.numeric("prob_\(cls)", (0..<data.rowCount).map { probs[$0 * k + c] }))
            }
        }
    } else {
        added.append(.numeric("prediction", p.values))
    }
    let addedNames = Set(added.map(\.name))
    let kept = data.columns.filter { !addedNames.contains($0.name) }
    return Dataset(name: name, columns: kept + added, target: data.target, time: data.time,
                   provenance: Provenance(operation: "predict", sources: [data.name], detail: "predictions of \(source)"))
}

// MARK: - cv

let cvCommand = CommandSpec(
    name: "cv", group: .models,
    summary: "K-fold cross-validation of a model definition: mean ± std per metric and a result per fold",
    synopsis: "cv MODEL on DATA folds K [seed S] [stratify] [epochs N] [lr X] [batch N] [optimizer …] …",
    operands: [OperandSpec("MODEL", .name(.model), help: "a model defined with 'model'")],
    options: [OptionSpec("on", .name(.dataset), required: true, help: "the data to cross-validate on"),
              OptionSpec("folds", .integer, default: "5", help: "number of folds K (2 … rows)"),
              OptionSpec("stratify", .flag, help: "deal rows class by class so every fold keeps the class mix (classification)")]
        + optimisationOptions.filter { $0.key != "valid" && $0.key != "early_stop" },
    help: """
    Shuffles the rows with the seed, deals them into K folds, and for every fold trains a fresh model
    (preprocessing fitted on the other folds) and evaluates it on the held-out fold. Recorded as a cv run with
    the mean of every metric as its final metrics (std_<metric> for the spread) and one child run of kind fold
    per fold. No version is stored.
    """,
    examples: ["cv price on old folds 5", "cv cancer on data folds 10 stratify seed 1"],
    handler: { inv, session in
        guard let arg = inv.operand(0), let modelName = arg.string, let dataName = inv.string("on") else { return nil }
        let spec = try session.modelSpec(modelName, at: arg.span)
        let data = try session.dataset(dataName, at: inv.span("on"))
        let folds = inv.int("folds") ?? 5
        if folds < 2 || folds > data.rowCount {
            throw inv.error("folds must be in 2…\(data.rowCount) (the rows of '\(dataName)'), got \(folds)",
                            at: inv.has("folds") ? "folds" : nil)
        }
        let (options, _) = try readTrainOptions(inv, session)
        try validateOptions(options, spec: spec, fineTune: false, valid: nil, replay: nil, inv: inv)
        if inv.flag("stratify") {
            let task = (try? spec.resolvedTask(in: data)) ?? .regression
            if task != .classification {
                throw inv.error("stratify needs a classification target; '\(spec.target)' is a regression target", at: "stratify")
            }
        }
        var params: [String: String] = [:]
        for (k, v) in options.effectiveValues(for: spec) { params[k] = v }
        params["family"] = spec.family.rawValue
        params["folds"] = "\(folds)"
        params["stratify"] = inv.flag("stratify") ? "true" : "false"
        let recorder = try RunRecorder(session: session, invocation: inv, kind: "cv", model: modelName,
                                       seed: Int(truncatingIfNeeded: options.resolvedSeed), datasets: [("train", dataName)],
                                       params: params)
        let result: CrossValidationResult
        do {
            result = try CrossValidation.run(spec: spec, data: data, folds: folds, seed: options.resolvedSeed,
                                             stratify: inv.flag("stratify"), options: options,
                                             control: TrainingControl(shouldStop: session.shouldStop))
        } catch {
            let interrupted = session.shouldStop()
            session.recording("the end of the run") { try recorder.finish(interrupted ? .interrupted : .failed, error: "\(error)") }
            throw Diagnostic("\(error)", at: inv.node.span, kind: interrupted ? .interrupted : .runtime)
        }
        var children: [Int] = []
        for (i, m) in result.folds.enumerated() {
            let child = try RunRecorder(session: session, invocation: inv, kind: "fold", model: modelName,
                                        parentRun: recorder.id, seed: Int(truncatingIfNeeded: options.resolvedSeed),
                                        datasets: [("train", dataName)],
                                        params: params.merging(["fold": "\(i + 1)", "rows": "\(result.foldSizes[i])"]) { $1 })
            try child.finish(.finished, metrics: m)
            children.append(Int(child.id))
        }
        var final = result.mean
        for (k, v) in result.std { final["std_" + k] = v }
        try recorder.finish(.finished, metrics: final,
                            cost: RunCost(wallSeconds: result.cost.wallSeconds, examples: result.cost.examplesProcessed,
                                          flops: result.cost.estimatedFLOPs))
        let task = try? spec.resolvedTask(in: data)
        let keys = orderedMetricKeys(result.mean.keys, task: task)
        let key = primaryMetric(task ?? .regression)
        var line = "cv \(modelName) on \(dataName)  \(folds) folds  run #\(recorder.id)"
        if let m = result.mean[key], let s = result.std[key] { line += "  \(key) \(metricText(m)) ± \(metricText(s))" }
        line += "  \(secondsText(result.cost.wallSeconds))"
        session.print(line)
        var rows: [[Cell]] = []
        for (i, m) in result.folds.enumerated() {
            rows.append([.text("\(i + 1)"), .int(result.foldSizes[i])] + keys.map { m[$0].map(Cell.number) ?? .missing })
        }
        rows.append([.text("mean"), .missing] + keys.map { result.mean[$0].map(Cell.number) ?? .missing })
        rows.append([.text("std"), .missing] + keys.map { result.std[$0].map(Cell.number) ?? .missing })
        let table = Table(columns: [Table.Column("fold"), Table.Column("rows", alignment: .right)]
                            + keys.map { Table.Column($0, alignment: .right) }, rows: rows)
        session.show(table)
        return .runs([Int(recorder.id)] + children)
    })

// MARK: - models / show MODEL@V

let modelsCommand = CommandSpec(
    name: "models", group: .models,
    summary: "List the defined models with family, target, version count, latest version and aliases",
    synopsis: "models",
    help: "Every model in the store: its family, target, how many versions it has (deleted ones excluded), the latest version and its aliases. `show MODEL@V` prints one version in full.",
    examples: ["models"],
    handler: { inv, session in
        let store = try session.store()
        let models = try storeCall(inv.node.span) { try store.models() }
        var rows: [[Cell]] = []
        for m in models {
            let spec = try? JSONDecoder().decode(ModelSpec.self, from: Data(m.specJSON.utf8))
            let aliases = m.aliases.sorted { $0.key < $1.key }.map { "\($0.key)→@\($0.value)" }.joined(separator: ", ")
            rows.append([.text(m.name), .text(spec?.family.rawValue ?? "?"), .text(spec?.target ?? "?"),
                         .int(m.versionCount), m.latest.map { .text("@\($0)") } ?? .missing, .text(aliases)])
        }
        let table = Table(columns: [Table.Column("model"), Table.Column("family"), Table.Column("target"),
                                    Table.Column("versions", alignment: .right), Table.Column("latest", alignment: .right),
                                    Table.Column("aliases")], rows: rows)
        if models.isEmpty {
            session.print("no models yet: define one with: model NAME = linear predicts TARGET")
        } else {
            session.show(table)
        }
        return .table(table)
    })

/// `show MODEL@V` and `show MODEL` (latest) for `ShowTargets`.
let showModelTarget: ShowTargets.Target = { arg, inv, session in
    let model: String
    var ref: Language.VersionRef = .alias("latest")
    switch arg.value {
    case .version(let m?, let r):
        model = m; ref = r
    case .version(nil, _):
        throw Diagnostic("give the model's name: show MODEL@V", at: arg.span)
    case .name(let n):
        if session.datasets[n] != nil { return nil }
        guard let store = try? session.store(), (try? store.modelSpec(n)) != nil else { return nil }
        model = n
    default:
        return nil
    }
    let spec = try session.modelSpec(model, at: arg.span)
    let store = try session.store()
    let summary = try storeCall(arg.span) { try store.models() }.first { $0.name == model }
    if case .name = arg.value, summary?.latest == nil {
        session.print("\(model) = \(describeSpec(spec))")
        session.print("no versions yet: train \(model) on DATA")
        return ShowTargets.Shown(value: nil)
    }
    let loaded = try session.loadVersion(model, ref: ref, at: arg.span)
    showVersion(model: model, loaded: loaded, store: store, session: session)
    return ShowTargets.Shown(value: .version(model: model, version: loaded.version))
}

func showVersion(model: String, loaded: (version: Int, model: TrainedModel, stored: ModelVersion), store: Store,
                 session: Session) {
    let t = loaded.model
    let info = loaded.stored.info
    var head = "\(model)@\(loaded.version)"
    if !info.aliases.isEmpty { head += "  [" + info.aliases.sorted().joined(separator: ", ") + "]" }
    head += "  \(t.task.rawValue)  \(t.parameterCount) parameters  \(t.precision.rawValue)  kernel \(t.kernel)"
    session.print(head)
    session.print("  \(model) = \(describeSpec(t.spec))")

    // Preprocessing.
    var pre: [[Cell]] = []
    for f in t.preprocessor.features {
        switch f.kind {
        case .numeric(let mean, let std, let fill):
            var how = "standardised: mean \(metricText(mean)), std \(metricText(std))"
            if let fill { how += ", missing → \(metricText(fill))" }
            pre.append([.text(f.name), .text(f.type.rawValue), .text(how)])
        case .categorical(let levels):
            let shown = levels.prefix(6).joined(separator: ", ") + (levels.count > 6 ? ", …" : "")
            pre.append([.text(f.name), .text(f.type.rawValue), .text("one-hot, \(levels.count) levels: \(shown)")])
        }
    }
    var footer: [String] = ["impute: \(t.preprocessor.impute.rawValue)"]
    if let classes = t.preprocessor.classes { footer.append("classes of \(t.spec.target): " + classes.joined(separator: ", ")) }
    session.show(Table(title: "preprocessing", columns: [Table.Column("feature"), Table.Column("type"), Table.Column("encoding")],
                       rows: pre, footer: footer))

    // Parameters.
    let params = t.describeParameters()
    let single = t.layers.count == 1
    let rows: [[Cell]] = params.map { p in
        single ? [.text(p.name), p.value.map(Cell.number) ?? .missing]
            : [.text(p.name), .text(p.shape), .number(p.norm)]
    }
    let columns = single ? [Table.Column("parameter"), Table.Column("value", alignment: .right)]
        : [Table.Column("parameter"), Table.Column("shape", alignment: .right), Table.Column("norm", alignment: .right)]
    session.show(Table(title: single ? "coefficients (standardised inputs)" : "layers", columns: columns, rows: rows))

    // Metrics.
    if !info.metrics.isEmpty {
        let keys = orderedMetricKeys(info.metrics.keys, task: t.task)
        session.show(Table(title: "metrics", columns: [Table.Column("metric"), Table.Column("value", alignment: .right)],
                           rows: keys.map { [.text($0), .number(info.metrics[$0] ?? .nan)] }))
    }

    // Lineage and producing run.
    if let chain = try? store.lineage(model, version: loaded.version), !chain.isEmpty {
        session.print("lineage: " + chain.map { "\(model)@\($0.version)" }.joined(separator: " ← "))
    }
    if let run = info.run {
        var line = "produced by run #\(run)"
        if let detail = try? store.run(run) {
            line += " (\(detail.row.kind.rawValue)"
            if !detail.row.datasets.isEmpty { line += " on " + detail.row.datasets.joined(separator: ", ") }
            line += ")"
        }
        session.print(line)
    }
}

/// At `model`: a target or feature that no loaded dataset has, while one has a near name, is
/// likely a typo; say so now rather than at `train`.
func warnAboutUnknownColumns(_ spec: ModelSpec, session: Session) {
    guard !session.datasets.isEmpty else { return }
    let all = Set(session.datasets.values.flatMap(\.columnNames))
    var names = [spec.target]
    if case .columns(let cs) = spec.features { names += cs }
    for n in names where !all.contains(n) {
        if let near = Suggest.closest(n, among: all.sorted()) {
            session.warn("no loaded dataset has a column '\(n)'; did you mean '\(near)'?")
        }
    }
}
