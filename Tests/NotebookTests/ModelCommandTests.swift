import Foundation
import Learning
import Tabular
import Testing
import Tracking
@testable import Notebook

/// A session on a given store file (so a second one can "restart" on the same store).
final class ModelSession {
    let output = CapturedOutput()
    let session: Session
    let interpreter: Interpreter

    init(store: String, directory: String) {
        session = Session(output: output, storePath: store, baseDirectory: directory)
        interpreter = Interpreter(session: session)
    }

    @discardableResult
    func run(_ text: String) -> Int32 {
        ScriptRunner(echo: false, keepGoing: false).run(text: text, name: "test.retune", interpreter: interpreter)
    }

    var out: String { output.text }
    var err: String { output.errors }
}

/// A temporary folder with a store path; removed at deinit.
final class TempStore {
    let directory: URL
    var path: String { directory.appendingPathComponent("models.db").path }
    init() {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("retune-models-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: directory) }
}

enum Fixtures {
    static let dataDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("sessions/data")

    /// diabetes as `diabetes`, `old` (first 70 %), `new`, `new_a`, `new_b` (reference split).
    static func diabetes(into session: Session) throws {
        let d = try CSVLoader.load(path: dataDirectory.appendingPathComponent("diabetes.csv").path, name: "diabetes")
        let (old, new) = try d.split(at: 0.7, ordered: true, names: ("old", "new"))
        let half = new.rowCount / 2
        let newA = new.gathering(rows: Array(0..<half), name: "new_a", provenance: Provenance(operation: "test"))
        let newB = new.gathering(rows: Array(half..<new.rowCount), name: "new_b", provenance: Provenance(operation: "test"))
        session.datasets = ["diabetes": d, "old": old, "new": new, "new_a": newA, "new_b": newB]
    }

    static func breastCancer(into session: Session) throws {
        let d = try CSVLoader.load(path: dataDirectory.appendingPathComponent("breast_cancer.csv").path, name: "cancer")
        let (old, new) = try d.split(at: 0.7, ordered: true, names: ("c_old", "c_new"))
        session.datasets["c_old"] = old
        session.datasets["c_new"] = new
    }

    static let priceModel = "model price = linear predicts progression from age, sex, bmi, bp, s1, s2, s3, s4, s5, s6"
}

func relClose(_ a: Double?, _ b: Double, _ tol: Double = 1e-8) -> Bool {
    guard let a else { return false }
    return abs(a - b) <= tol * max(abs(b), 1e-300)
}

@Suite struct ModelCommandTests {
    @Test func defineRedefineNoOpErrorReplace() throws {
        let h = Harness()
        #expect(h.run(Fixtures.priceModel) == 0)
        #expect(h.out.contains("model price = linear (solver exact) predicts progression from age, sex"))
        #expect(h.run(Fixtures.priceModel) == 0)
        #expect(h.out.contains("model price unchanged"))
        let bad = h.run("model price = linear l2 2 predicts progression from age, sex, bmi, bp, s1, s2, s3, s4, s5, s6")
        #expect(bad != 0)
        #expect(h.err.contains("model 'price' is already defined differently"))
        #expect(h.err.contains("l2: 0.0 → 2.0"))
        #expect(h.err.contains("replace"))
        #expect(h.run("model price = linear l2 2 predicts progression replace from *") == 0)
        #expect(h.out.contains("model price redefined"))
        let spec = try h.session.modelSpec("price", at: .none)
        #expect(spec.l2 == 2)
        #expect(spec.features == .allButTarget)
    }

    @Test(arguments: [
        ("model price predicts y", "model expects NAME = FAMILY"),
        ("model price = lineer predicts y", "unknown model family 'lineer'"),
        ("model price = linear hidden [3] predicts y", "hidden is an mlp option"),
        ("model price = mlp predicts y", "mlp needs hidden layer sizes"),
        ("model price = mlp hidden [0] predicts y", "hidden layer size 0 is out of range"),
        ("model price = mlp hidden [4] dropout 1.5 predicts y", "dropout must be in [0, 1)"),
        ("model price = linear predicts y from y, x", "the target 'y' is also listed as a feature"),
        ("model price = linear", "model needs 'predicts"),
    ])
    func definitionErrors(_ text: String, _ message: String) {
        let h = Harness()
        #expect(h.run(text) != 0)
        #expect(h.err.contains(message), "\(h.err)")
    }

    @Test func linearExactMatchesReferenceRMSE() throws {
        let h = Harness()
        try Fixtures.diabetes(into: h.session)
        #expect(h.run(Fixtures.priceModel) == 0)
        #expect(h.run("train price on old") == 0, "\(h.err)")
        #expect(h.out.contains("price@1  run #1"))
        #expect(h.out.contains("train rmse 54.27"))
        #expect(h.run("evaluate price@1 on new") == 0, "\(h.err)")
        guard case .run(let id) = h.session.lastResult else {
            Issue.record("evaluate returned \(String(describing: h.session.lastResult))")
            return
        }
        let run = try h.session.store().run(Int64(id))
        #expect(run.row.kind == "evaluate")
        #expect(run.row.parentVersion == 1)
        #expect(run.row.status == .finished)
        #expect(relClose(run.row.metrics["rmse"], 52.17458859))
        #expect(relClose(run.row.metrics["mae"], 40.87099377))
        #expect(relClose(run.row.metrics["r2"], 0.5172444748))
        #expect(h.out.contains("52.17"))
        // The version's own metrics: train_rmse on the training data.
        let v = try h.session.store().versions("price")
        #expect(relClose(v.first?.metrics["train_rmse"], 54.27172959))
    }

    @Test func trainFinetuneRetrainNumberingAndLineage() throws {
        let h = Harness()
        try Fixtures.diabetes(into: h.session)
        #expect(h.run(Fixtures.priceModel) == 0)
        #expect(h.run("retrain price on old") != 0)
        #expect(h.err.contains("has no version yet"))
        #expect(h.err.contains("use: train price on old"))
        #expect(h.run("train price on old") == 0, "\(h.err)")
        #expect(h.run("finetune price on new_a anchor 10") == 0, "\(h.err)")
        #expect(h.session.lastResult == .version(model: "price", version: 2))
        #expect(h.out.contains("price@2  run #2  from @1"))
        #expect(h.run("retrain price on new_a") == 0, "\(h.err)")
        #expect(h.session.lastResult == .version(model: "price", version: 3))
        #expect(h.out.contains("replaces @2"))
        let store = try h.session.store()
        #expect(try store.lineage("price", version: 3).map(\.version) == [3, 2, 1])
        #expect(try store.lineage("price", version: 2).map(\.version) == [2, 1])
        let runs = try [1, 2, 3].map { try store.run(Int64($0)).row }
        #expect(runs.map(\.kind.rawValue) == ["train", "finetune", "retrain"])
        #expect(runs.map(\.parentVersion) == [nil, 1, 2])
        // Replaying the train adds a version rather than failing.
        #expect(h.run("train price on old") == 0)
        #expect(h.session.lastResult == .version(model: "price", version: 4))
        // models and show
        #expect(h.run("models") == 0)
        #expect(h.out.contains("price"))
        #expect(h.run("show price@2") == 0, "\(h.err)")
        #expect(h.out.contains("lineage: price@2 ← price@1"))
        #expect(h.out.contains("produced by run #2 (finetune on new_a)"))
        #expect(h.out.contains("standardised: mean"))
        #expect(h.out.contains("intercept"))
        #expect(h.run("show price") == 0)
        #expect(h.session.lastResult == .version(model: "price", version: 4))
    }

    @Test func finetuneAfterRestartOnTheSameStore() throws {
        let tmp = TempStore()
        do {
            let a = ModelSession(store: tmp.path, directory: tmp.directory.path)
            try Fixtures.diabetes(into: a.session)
            #expect(a.run(Fixtures.priceModel) == 0)
            #expect(a.run("train price on old") == 0, "\(a.err)")
            a.session.close()
        }
        let b = ModelSession(store: tmp.path, directory: tmp.directory.path)
        try Fixtures.diabetes(into: b.session)
        #expect(b.run(Fixtures.priceModel) == 0)
        #expect(b.out.contains("unchanged"))
        #expect(b.run("finetune price@1 on new_a anchor 1") == 0, "\(b.err)")
        #expect(b.session.lastResult == .version(model: "price", version: 2))
        #expect(b.run("evaluate price@1 on new") == 0, "\(b.err)")
        guard case .run(let id) = b.session.lastResult else { Issue.record("no run"); return }
        #expect(relClose(try b.session.store().run(Int64(id)).row.metrics["rmse"], 52.17458859))
    }

    @Test func finetuneSchemaChangeIsAnErrorThatSaysRetrain() throws {
        let h = Harness()
        try Fixtures.diabetes(into: h.session)
        #expect(h.run("model all = linear predicts progression from *") == 0)
        #expect(h.run("train all on old") == 0, "\(h.err)")
        guard let newA = h.session.datasets["new_a"] else { Issue.record("no data"); return }
        h.session.datasets["fewer"] = Dataset(name: "fewer", columns: newA.columns.filter { $0.name != "s6" })
        #expect(h.run("finetune all on fewer") != 0)
        #expect(h.err.contains("s6"), "\(h.err)")
        #expect(h.err.contains("retrain"))
        #expect(try h.session.store().versions("all").count == 1)
    }

    @Test(arguments: [
        ("train price on old lr 0.1", "lr makes no sense here"),
        ("train price on old epochs 3 lr 0.1", "options epochs, lr make no sense here"),
        ("finetune price on new_a freeze 1", "freeze applies to mlp layers"),
        ("train price on old anchor 1", "unknown option 'anchor'"),
        ("finetune price on new_a replay 0.5", "replay needs a dataset to sample from"),
        ("train price on old valid 1.5", "valid fraction must be in (0, 1)"),
        ("train price on nothing", "no dataset named 'nothing'"),
        ("train prize on old", "did you mean 'price'?"),
        ("train price on old seed -1", "seed must be ≥ 0"),
        ("train price on old threads 2", "option threads makes no sense here"),
    ])
    func optionsThatMakeNoSenseAreErrors(_ text: String, _ message: String) throws {
        let h = Harness()
        try Fixtures.diabetes(into: h.session)
        #expect(h.run(Fixtures.priceModel) == 0)
        if text.hasPrefix("finetune") { #expect(h.run("train price on old") == 0) }
        #expect(h.run(text) != 0)
        #expect(h.err.contains(message), "\(h.err)")
    }

    @Test func divergenceIsReportedAndTheStoreStaysIntact() throws {
        let h = Harness()
        try Fixtures.diabetes(into: h.session)
        #expect(h.run(Fixtures.priceModel) == 0)
        #expect(h.run("train price on old") == 0)
        #expect(h.run("model wild = linear solver sgd predicts progression from *") == 0)
        let code = h.run("train wild on old optimizer sgd lr 1000000 momentum 0.99 epochs 50")
        #expect(code != 0)
        #expect(h.err.contains("diverged"), "\(h.err)")
        #expect(h.err.contains("lower learning rate"))
        let store = try h.session.store()
        #expect(try store.versions("wild").isEmpty)
        #expect(try store.run(2).row.status == .diverged)
        #expect(try store.run(1).row.status == .finished)
        #expect(try store.versions("price").count == 1)
        // The store still works.
        #expect(h.run("evaluate price on new") == 0, "\(h.err)")
    }

    @Test func crossValidationRecordsAChildRunPerFold() throws {
        let h = Harness()
        try Fixtures.diabetes(into: h.session)
        #expect(h.run(Fixtures.priceModel) == 0)
        #expect(h.run("cv price on old folds 4 seed 3") == 0, "\(h.err)")
        guard case .runs(let ids) = h.session.lastResult, let cvID = ids.first else {
            Issue.record("cv returned \(String(describing: h.session.lastResult))")
            return
        }
        let store = try h.session.store()
        let cv = try store.run(Int64(cvID))
        #expect(cv.row.kind == "cv")
        #expect(cv.children.count == 4)
        let folds = try cv.children.map { try store.run($0).row }
        #expect(folds.allSatisfy { $0.kind == "fold" && $0.parentRun == Int64(cvID) && $0.status == .finished })
        let rmses = folds.compactMap { $0.metrics["rmse"] }
        #expect(rmses.count == 4)
        let mean = rmses.reduce(0, +) / 4
        #expect(relClose(cv.row.metrics["rmse"], mean, 1e-12))
        #expect(cv.row.metrics["std_rmse"] != nil)
        #expect(try store.versions("price").isEmpty)
        #expect(h.out.contains("4 folds"))
        #expect(h.out.contains("mean"))
        #expect(h.run("cv price on old folds 1") != 0)
        #expect(h.err.contains("folds must be in 2…309"))
        #expect(h.run("cv price on old folds 3 stratify") != 0)
        #expect(h.err.contains("stratify needs a classification target"))
    }

    @Test func predictAddsPredictionAndProbabilityColumns() throws {
        let h = Harness()
        try Fixtures.diabetes(into: h.session)
        #expect(h.run(Fixtures.priceModel) == 0)
        #expect(h.run("train price on old") == 0)
        #expect(h.run("predict price on new as scored") == 0, "\(h.err)")
        #expect(h.session.lastResult == .dataset("scored"))
        let scored = try #require(h.session.datasets["scored"])
        let new = try #require(h.session.datasets["new"])
        #expect(scored.rowCount == new.rowCount)
        let pred = try #require(scored.column(named: "prediction")?.doubles)
        let y = try #require(new.column(named: "progression")?.doubles)
        let rmse = (zip(pred, y).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Double(y.count)).squareRoot()
        #expect(relClose(rmse, 52.17458859))

        try Fixtures.breastCancer(into: h.session)
        #expect(h.run("model cancer = logistic l2 1 predicts target from *") == 0)
        #expect(h.run("train cancer on c_old") == 0, "\(h.err)")
        #expect(h.run("evaluate cancer on c_new") == 0, "\(h.err)")
        if case .run(let id) = h.session.lastResult {
            let m = try h.session.store().run(Int64(id)).row.metrics
            #expect(relClose(m["accuracy"], 0.9707602339, 1e-9))
            #expect(relClose(m["log_loss"], 0.08048456116, 1e-6))
        } else {
            Issue.record("evaluate returned no run")
        }
        #expect(h.run("predict cancer on c_new as c_scored") == 0, "\(h.err)")
        let c = try #require(h.session.datasets["c_scored"])
        let p0 = try #require(c.column(named: "prob_0")?.doubles)
        let p1 = try #require(c.column(named: "prob_1")?.doubles)
        #expect(zip(p0, p1).allSatisfy { abs($0 + $1 - 1) < 1e-12 })
        let predicted = try #require(c.column(named: "prediction"))
        guard case .categorical(let codes, let levels) = predicted.storage else {
            Issue.record("prediction of a classifier should be categorical")
            return
        }
        #expect(levels == ["0", "1"])
        #expect(zip(codes, p1).allSatisfy { ($0 == 1) == ($1 > 0.5) || abs($1 - 0.5) < 1e-12 })
    }

    @Test func sameSeedGivesIdenticalMetrics() throws {
        func trainOnce() throws -> ([String: Double], String) {
            let h = Harness()
            try Fixtures.diabetes(into: h.session)
            #expect(h.run("model net = mlp hidden [8] predicts progression from *") == 0)
            #expect(h.run("train net on old valid 0.2 epochs 4 batch 32 lr 0.01 seed 7") == 0, "\(h.err)")
            let m = try h.session.store().versions("net").first?.metrics ?? [:]
            let line = h.out.split(separator: "\n").first { $0.hasPrefix("net@1") }.map(String.init) ?? ""
            // Drop the wall time so the printed lines compare.
            let masked = line.replacingOccurrences(of: #"\d+\.\d+ s"#, with: "T s", options: .regularExpression)
            return (m, masked)
        }
        let (a, la) = try trainOnce()
        let (b, lb) = try trainOnce()
        #expect(!a.isEmpty)
        #expect(a == b)
        #expect(la == lb)
        #expect(la.contains("rmse"))
        #expect(la.contains("(valid)"))
    }

    @Test func showPrintsLayersForMLPAndClassesForClassifiers() throws {
        let h = Harness()
        try Fixtures.diabetes(into: h.session)
        try Fixtures.breastCancer(into: h.session)
        #expect(h.run("model net = mlp hidden [8, 4] predicts progression from age, sex, bmi, bp, s1, s2, s3, s4, s5, s6") == 0)
        #expect(h.run("train net on old epochs 2") == 0, "\(h.err)")
        #expect(h.run("show net@1") == 0, "\(h.err)")
        #expect(h.out.contains("layer1.weight"))
        #expect(h.out.contains("10×8"))
        #expect(h.out.contains("layer3.weight"))
        #expect(h.out.contains("4×1"))
        #expect(h.out.contains("produced by run #1 (train on old)"))
        #expect(h.run("model cancer = logistic predicts target from *") == 0)
        #expect(h.run("train cancer on c_old") == 0, "\(h.err)")
        #expect(h.run("show cancer") == 0, "\(h.err)")
        #expect(h.out.contains("classes of target: 0, 1"))
        #expect(h.out.contains("accuracy"))
        #expect(h.run("cv cancer on c_old folds 3 stratify") == 0, "\(h.err)")
        #expect(h.out.contains("accuracy"))
        #expect(h.run("show nothing_here") != 0)
        #expect(h.err.contains("nothing named 'nothing_here' to show"))
        #expect(h.run("show net@9") != 0)
        #expect(h.run("models") == 0)
        #expect(h.out.contains("cancer"))
        #expect(h.out.contains("logistic"))
    }

    @Test func anchoredFinetuneLimitsThroughTheCommands() throws {
        let h = Harness()
        try Fixtures.diabetes(into: h.session)
        #expect(h.run(Fixtures.priceModel) == 0)
        #expect(h.run("train price on old") == 0)
        #expect(h.run("finetune price@1 on new_a anchor 0") == 0, "\(h.err)")     // @2 = least squares on new_a
        #expect(h.run("retrain price on new_a") == 0, "\(h.err)")                // @3
        #expect(h.run("finetune price@1 on new_a anchor 1e12") == 0, "\(h.err)")  // @4 ≈ @1
        let v = try h.session.store().versions("price")
        let byVersion = Dictionary(uniqueKeysWithValues: v.map { ($0.version, $0.metrics) })
        #expect(relClose(byVersion[2]?["train_rmse"], byVersion[3]?["train_rmse"] ?? .nan, 1e-9))
        #expect(h.run("evaluate price@4 on new") == 0)
        guard case .run(let id) = h.session.lastResult else { Issue.record("no run"); return }
        #expect(relClose(try h.session.store().run(Int64(id)).row.metrics["rmse"], 52.17458859, 1e-6))
    }

    @Test func mlpFinetuneWithFreezeAndReplayRecordsItsOptions() throws {
        let h = Harness()
        try Fixtures.diabetes(into: h.session)
        #expect(h.run("model net = mlp hidden [8] predicts progression from *") == 0)
        #expect(h.run("train net on old epochs 3") == 0, "\(h.err)")
        #expect(h.run("finetune net on new_a epochs 2 freeze 1 replay 0.5 from old lr 0.0005") == 0, "\(h.err)")
        let run = try h.session.store().run(2)
        #expect(run.row.kind == "finetune")
        #expect(run.row.params["freeze"] == "1")
        #expect(run.row.params["replay"] == "0.5")
        #expect(run.row.params["lr"] == "0.0005")
        #expect(run.datasets.map(\.role).contains("replay"))
        #expect(h.run("finetune net on new_a freeze 2") != 0)
        #expect(h.err.contains("freeze 2 is out of range"))
        #expect(h.run("finetune net on new_a from old") != 0)
        #expect(h.err.contains("replay F from DATA"))
    }

    @Test func interruptedTrainingIsRecordedAsInterrupted() throws {
        let h = Harness()
        try Fixtures.diabetes(into: h.session)
        #expect(h.run("model net = mlp hidden [8] predicts progression from *") == 0)
        h.session.shouldStop = { true }
        let code = h.run("train net on old epochs 5")
        #expect(code == ExitCode.interrupted)
        #expect(h.err.contains("interrupted"))
        #expect(try h.session.store().run(1).row.status == .interrupted)
        #expect(try h.session.store().versions("net").isEmpty)
    }

    @Test func everyModelCommandHasHelp() {
        for spec in modelCommands() {
            #expect(!spec.summary.isEmpty)
            #expect(!spec.help.isEmpty)
            #expect(!spec.examples.isEmpty, "\(spec.name)")
            #expect(spec.group == .models)
        }
        let h = Harness()
        #expect(h.run("help train") == 0)
        #expect(h.out.contains("[default: 20]"))
        #expect(h.out.contains("[default: adam]"))
    }
}
