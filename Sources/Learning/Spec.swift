import Tabular

/// A model's definition: family, architecture, target and features. Optimisation settings are
/// not part of it (they live in `TrainOptions`, per run).
public struct ModelSpec: Codable, Hashable, Sendable {
    public enum Family: String, Codable, Sendable, CaseIterable { case linear, logistic, softmax, mlp }
    /// `exact`: closed form (least squares for linear, Newton/IRLS for logistic and softmax).
    /// `sgd`: iterative first-order training (the optimizer comes from `TrainOptions`).
    public enum Solver: String, Codable, Sendable, CaseIterable { case exact, sgd }
    public enum Activation: String, Codable, Sendable, CaseIterable { case relu, tanh, gelu }
    public enum Task: String, Codable, Sendable, CaseIterable { case regression, classification }
    public enum Features: Codable, Hashable, Sendable {
        case columns([String])
        case allButTarget
    }

    public var name: String
    public var family: Family
    public var solver: Solver
    /// L2 penalty λ in `Σ loss + λ/2·‖w‖²` (intercept unpenalised). Default 1 for logistic and
    /// softmax (scikit-learn's C = 1), 0 for linear (ordinary least squares) and mlp.
    public var l2: Double
    public var hidden: [Int]
    public var activation: Activation
    public var dropout: Double
    /// Overrides the task inferred from the target (mlp only).
    public var task: Task?
    public var target: String
    public var features: Features

    public init(name: String, family: Family, target: String, features: Features = .allButTarget,
                solver: Solver = .exact, l2: Double? = nil, hidden: [Int] = [], activation: Activation = .relu,
                dropout: Double = 0, task: Task? = nil) {
        self.name = name
        self.family = family
        self.target = target
        self.features = features
        self.solver = family == .mlp ? .sgd : solver
        self.l2 = l2 ?? ((family == .logistic || family == .softmax) ? 1.0 : 0.0)
        self.hidden = family == .mlp ? hidden : []
        self.activation = activation
        self.dropout = dropout
        self.task = task
    }

    /// Checks the architecture options against the family.
    public func validate() throws {
        if name.isEmpty { throw LearningError.invalidSpec("the model needs a name") }
        if !(l2 >= 0) || !l2.isFinite { throw LearningError.invalidSpec("l2 must be a finite number ≥ 0, got \(l2)") }
        if !(dropout >= 0 && dropout < 1) { throw LearningError.invalidSpec("dropout must be in [0, 1), got \(dropout)") }
        if case .columns(let c) = features {
            if c.isEmpty { throw LearningError.invalidSpec("the feature list is empty") }
            if c.contains(target) { throw LearningError.invalidSpec("the target '\(target)' is also listed as a feature") }
            var seen = Set<String>()
            for f in c where !seen.insert(f).inserted { throw LearningError.invalidSpec("feature '\(f)' is listed twice") }
        }
        switch family {
        case .mlp:
            if hidden.isEmpty { throw LearningError.invalidSpec("mlp needs hidden layer sizes, e.g. hidden [64, 32]") }
            if let bad = hidden.first(where: { $0 < 1 || $0 > 1 << 16 }) {
                throw LearningError.invalidSpec("hidden layer size \(bad) is out of range 1…65536")
            }
        case .linear, .logistic, .softmax:
            if !hidden.isEmpty { throw LearningError.invalidSpec("hidden layers are only for mlp, not \(family.rawValue)") }
            if dropout != 0 { throw LearningError.invalidSpec("dropout is only for mlp, not \(family.rawValue)") }
            if family == .linear, task == .classification {
                throw LearningError.invalidSpec("linear is a regression model; use logistic or softmax for classification")
            }
            if family != .linear, task == .regression {
                throw LearningError.invalidSpec("\(family.rawValue) is a classification model; use linear for regression")
            }
        }
    }

    /// Number of dense layers (hidden layers + output layer).
    public var layerCount: Int { hidden.count + 1 }

    /// Is the model fitted in closed form (least squares / Newton) with these options?
    public func isClosedForm(options: TrainOptions) -> Bool {
        switch family {
        case .mlp: return false
        case .linear: return solver == .exact
        case .logistic, .softmax: return solver == .exact && options.optimizer == nil
        }
    }

    /// Human-readable differences from another definition ("family: linear → mlp"), empty when
    /// they are identical.
    public func differences(from other: ModelSpec) -> [String] {
        var out: [String] = []
        func cmp<T: Equatable>(_ key: String, _ a: T, _ b: T, _ show: (T) -> String) {
            if a != b { out.append("\(key): \(show(b)) → \(show(a))") }
        }
        cmp("name", name, other.name) { $0 }
        cmp("family", family, other.family) { $0.rawValue }
        cmp("solver", solver, other.solver) { $0.rawValue }
        cmp("l2", l2, other.l2) { "\($0)" }
        cmp("hidden", hidden, other.hidden) { "[\($0.map(String.init).joined(separator: ", "))]" }
        cmp("activation", activation, other.activation) { $0.rawValue }
        cmp("dropout", dropout, other.dropout) { "\($0)" }
        cmp("task", task, other.task) { $0?.rawValue ?? "inferred" }
        cmp("target", target, other.target) { $0 }
        cmp("features", features, other.features) { f in
            switch f {
            case .allButTarget: return "*"
            case .columns(let c): return c.joined(separator: ", ")
            }
        }
        return out
    }

    /// Resolves the feature columns against a dataset. `*` (all but the target) also leaves out
    /// the dataset's time column.
    public func featureColumns(in data: Dataset) throws -> [String] {
        switch features {
        case .columns(let c):
            for name in c where data.column(named: name) == nil {
                throw LearningError.unknownColumn(name: name, dataset: data.name)
            }
            return c
        case .allButTarget:
            let c = data.columnNames.filter { $0 != target && $0 != data.time }
            if c.isEmpty { throw LearningError.preprocessing(.noFeatures) }
            return c
        }
    }

    /// Resolves the task: the family decides for linear/logistic/softmax; an mlp follows `task`
    /// or the target column (categorical or boolean → classification, other numbers → regression).
    public func resolvedTask(in data: Dataset) throws -> Task {
        switch family {
        case .linear: return .regression
        case .logistic, .softmax: return .classification
        case .mlp:
            if let task { return task }
            guard let t = data.column(named: target) else {
                throw LearningError.unknownColumn(name: target, dataset: data.name)
            }
            return (t.type == .categorical || t.type == .boolean) ? .classification : .regression
        }
    }
}
