import Foundation
import Notebook
import Render
import Testing

/// The binary users run is the release build. Every command that takes a run id, a version or
/// an alias answers the same in both builds on the same store (an optimiser-only defect once
/// made `show #1` say "run id '##1' is too large" in release while debug worked).
@Suite struct ReleaseBinaryTests {
    static let setup = """
    load "DATA" as diabetes target progression
    split diabetes into old, new at 0.7 ordered
    model m = linear predicts progression from age, sex, bmi, bp, s1, s2
    train m on old
    finetune m on new
    promote m@1 as production
    evaluate m@2 on new
    model net = mlp hidden [8] predicts progression from age, sex, bmi, bp
    train net on old epochs 5 seed 3
    """

    /// Each line runs as its own `retune -c` in both builds; outputs must agree, times masked.
    static let commands = [
        "show #1", "compare #1 #2", "compare #1, #2, #3", "plot #1", "plot #4", "plot #4 train_loss", "plot m rmse",
        "tag #1 stage candidate", "note #2 \"second look\"", "runs where tag.stage = \"candidate\"",
        "load \"DATA\" as diabetes target progression; split diabetes into old, new at 0.7 ordered; rerun #1", "show m@1", "show m@production", "show m@latest", "lineage m@2", "history m",
        "rollback m production", "aliases m", "export curves #1, #2 to \"c.csv\"", "delete #3", "restore #3",
        "runs where param.solver = \"exact\" order by id", "sql select count(*) as n from runs",
        "show #99", "show m@9", "compare #1 #999999999999999999999",
    ]

    @Test func runIDAndVersionCommandsMatchTheDebugBuild() throws {
        try #require(RetuneBinary.releaseIsBuilt, "no release binary at \(RetuneBinary.releasePath): run `swift build -c release --product retune` (scripts/test does)")
        let data = RetuneBinary.packageRoot.appendingPathComponent("sessions/data/diabetes.csv").path
        let script = Self.setup.replacingOccurrences(of: "DATA", with: data)
        var outputs: [RetuneBinary.Build: [String]] = [:]
        for build in RetuneBinary.Build.allCases {
            let dir = try RetuneBinary.tempDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let env = ["RETUNE_GEMM": "portable"]
            let made = try RetuneBinary.run(["--store", "s.db"], stdin: script, environment: env, directory: dir, build: build)
            #expect(made.status == 0, "\(build): \(made.stderr)")
            var lines: [String] = []
            for command in Self.commands.map({ $0.replacingOccurrences(of: "DATA", with: data) }) {
                let r = try RetuneBinary.run(["--store", "s.db", "-c", command], environment: env, directory: dir, build: build)
                let text = "$ \(command) → \(r.status)\n" + r.stdout + r.stderr
                lines += text.split(separator: "\n", omittingEmptySubsequences: false).map { Transcript.mask(String($0)) }
            }
            outputs[build] = lines
        }
        let debug = outputs[.debug] ?? [], release = outputs[.release] ?? []
        #expect(debug == release, "release differs from debug:\n\(UnifiedDiff.diff(expected: debug, actual: release, expectedName: "debug", actualName: "release"))")
        let all = release.joined(separator: "\n")
        #expect(all.contains("$ show #1 → 0\nrun #1"))
        #expect(all.contains("$ compare #1 #2 → 0"))
        #expect(all.contains("rerun #1 → 0"))
        #expect(all.contains("$ plot #4 → 0"))
        #expect(all.contains("$ show m@production → 0"))
        #expect(!all.contains("##"), "a run id lexed with its '#' twice")
        #expect(all.contains("$ show #99 → 70"))
    }
}
