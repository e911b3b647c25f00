import Foundation
import Testing
import Tracking

/// A store with five runs (three with curves), written through the Tracking API.
enum ExportStoreFixture {
    static func make(in dir: URL) throws -> String {
        let path = dir.appendingPathComponent("s.db").path
        let s = try Store(path: path)
        try s.upsertModel(name: "price", specJSON: "{}")
        let env = RunEnvironment(retuneVersion: "test", backend: "naive", kernel: "naive", threads: 1, os: "Linux", cpu: "x")
        let data = RunDataset(role: "train", name: "train", fingerprint: "abc", rows: 10)
        let specs: [(RunKind, String, Double, Bool)] = [(.train, "0.01", 3.0, true), (.finetune, "0.001", 2.5, true),
                                                        (.retrain, "0.01", 2.8, true), (.drift, "", 0, false), (.evaluate, "", 2.7, false)]
        for (kind, lr, rmse, curves) in specs {
            let params = lr.isEmpty ? [:] : ["lr": lr]
            let id = try s.beginRun(NewRun(kind: kind, model: kind == .drift ? nil : "price", seed: 1,
                                           command: "\(kind.rawValue) price, \"quoted\"", params: params,
                                           datasets: [data], environment: env))
            if curves {
                for step in 1...4 { try s.logEpoch(id, step: step, values: ["train_loss": rmse + 1 / Double(step), "valid_loss": rmse + 2 / Double(step)]) }
            }
            var metrics: [String: Double] = kind == .drift ? ["psi.x1": 0.02, "psi.x2": 0.4] : ["rmse": rmse]
            if kind == .evaluate { metrics["mae"] = 1.25 }
            try s.finishRun(id, status: .finished, finalMetrics: metrics, cost: RunCost(wallSeconds: 0.5, examples: 40, flops: 100))
        }
        try s.tag(1, key: "owner", value: "ana, \"the\" lead")
        try s.setNote(2, "two\nlines")
        return path
    }
}

/// `retune export runs …` to stdout, read back by pandas when available, else by Python's csv/json.
@Suite struct ExportCLITests {
    static let hasPython = (try? RetuneShell.run("/usr/bin/env", ["python3", "-c", "print(1)"]).status) == 0

    @Test func csvToStdoutAndWhere() throws {
        let dir = try RetuneBinary.tempDirectory()
        let store = try ExportStoreFixture.make(in: dir)
        let all = try RetuneBinary.run(["export", "runs", "--store", store])
        #expect(all.status == 0, "\(all.stderr)")
        #expect(all.stdout.hasPrefix("id,kind,model,"))
        let some = try RetuneBinary.run(["export", "runs", "--store", store, "--where", "kind in [train, finetune] and rmse < 2.9", "--format", "json"])
        #expect(some.status == 0, "\(some.stderr)")
        let objects = try #require(try JSONSerialization.jsonObject(with: Data(some.stdout.utf8)) as? [[String: Any]])
        #expect(objects.map { $0["id"] as? Int } == [2])
        let bad = try RetuneBinary.run(["export", "runs", "--store", store, "--where", "kind = train and rmes < 3"])
        #expect(bad.status == 65)
        #expect(bad.stderr.contains("--where:1:18: error:"), "\(bad.stderr)")
        #expect(bad.stderr.contains("kind = train and rmes < 3\n                 ^"), "\(bad.stderr)")
        #expect(bad.stderr.contains("rmse"))
        let badFormat = try RetuneBinary.run(["export", "runs", "--store", store, "--format", "xlsx"])
        #expect(badFormat.status == 64)
        let missing = try RetuneBinary.run(["export", "runs", "--store", dir.appendingPathComponent("none.db").path])
        #expect(missing.status == 74)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("none.db").path))
    }

    /// Each format written by `retune export` and by the notebook's `export … to FILE` parses back.
    @Test(.enabled(if: ExportCLITests.hasPython, "python3 is not installed"))
    func everyFormatReadsBackWithPandasOrTheStandardLibrary() throws {
        let dir = try RetuneBinary.tempDirectory()
        let store = try ExportStoreFixture.make(in: dir)
        for format in ["csv", "tsv", "json", "md", "html"] {
            let r = try RetuneBinary.run(["export", "runs", "--store", store, "--format", format])
            #expect(r.status == 0, "\(format): \(r.stderr)")
            try r.stdout.write(to: dir.appendingPathComponent("cli.\(format)"), atomically: true, encoding: .utf8)
        }
        let nb = try RetuneBinary.run(["-c", "export runs to \"nb.csv\"; export curves #1, #2 to \"curves.csv\"", "--store", store],
                                      directory: dir)
        #expect(nb.status == 0, "\(nb.stderr)")
        let check = try RetuneShell.run("/usr/bin/env", ["python3", "-c", ExportCLITests.reader, dir.path])
        #expect(check.status == 0, "\(check.stdout)\n\(check.stderr)")
        #expect(check.stdout.contains("OK"), "\(check.stdout)")
    }

    /// Reads every export back and checks its shape and a few values; says which reader it used.
    static let reader = #"""
import csv, io, json, os, sys
d = sys.argv[1]
def path(n): return os.path.join(d, n)
try:
    import pandas as pd
    reader = "pandas " + pd.__version__
except Exception:
    pd = None
    reader = "csv/json modules"
rows = {}
if pd is not None:
    c = pd.read_csv(path("cli.csv"))
    t = pd.read_csv(path("cli.tsv"), sep="\t")
    j = pd.read_json(path("cli.json"))
    n = pd.read_csv(path("nb.csv"))
    k = pd.read_csv(path("curves.csv"))
    assert list(c["id"]) == [1, 2, 3, 4, 5], list(c["id"])
    assert abs(c["metric.rmse"][1] - 2.5) < 1e-12
    assert c["tags"][0] == 'owner=ana, "the" lead', c["tags"][0]
    assert c["note"][1] == "two\nlines", repr(c["note"][1])
    assert str(c["started"][0]).endswith("Z")
    pd.to_datetime(c["started"])
    assert list(t["id"]) == [1, 2, 3, 4, 5]
    assert t["note"][1] == "two\\nlines", repr(t["note"][1])
    assert list(j["id"]) == [1, 2, 3, 4, 5] and abs(j["metric.mae"][4] - 1.25) < 1e-12
    assert list(n.columns) == list(c.columns) and len(n) == 5
    assert list(k.columns) == ["run", "key", "step", "value", "time"] and len(k) == 16
else:
    c = list(csv.DictReader(open(path("cli.csv"), newline="")))
    t = list(csv.DictReader(open(path("cli.tsv"), newline=""), delimiter="\t", quoting=csv.QUOTE_NONE))
    j = json.load(open(path("cli.json")))
    n = list(csv.DictReader(open(path("nb.csv"), newline="")))
    k = list(csv.DictReader(open(path("curves.csv"), newline="")))
    assert [r["id"] for r in c] == ["1", "2", "3", "4", "5"]
    assert float(c[1]["metric.rmse"]) == 2.5
    assert c[0]["tags"] == 'owner=ana, "the" lead'
    assert c[1]["note"] == "two\nlines"
    assert [r["id"] for r in t] == ["1", "2", "3", "4", "5"]
    assert [r["id"] for r in j] == [1, 2, 3, 4, 5] and j[4]["metric.mae"] == 1.25
    assert len(n) == 5 and len(k) == 16
md = open(path("cli.md")).read().strip().split("\n")
assert len(md) == 2 + 5 and md[0].startswith("|") and set(md[1].replace("|", "").replace(" ", "")) <= set("-:"), md[:2]
html = open(path("cli.html")).read()
assert html.count("<tr>") == 6, html.count("<tr>")
print("OK with", reader)
"""#
}

/// Runs any program (python3, scripts).
enum RetuneShell {
    static func run(_ executable: String, _ arguments: [String], directory: URL? = nil) throws -> RetuneBinary.Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        if let directory { p.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data()
        group.enter()
        DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        return RetuneBinary.Result(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                                   stderr: String(decoding: errData, as: UTF8.self))
    }
}
