import Foundation
import Language
import Notebook
import Testing

/// Every script in sessions/ is replayed into a fresh store and compared with its expected
/// transcript (`.out`), times masked and numbers compared with the script's tolerance.
@Suite struct SessionReplayTests {
    static var scripts: [String] {
        let dir = RetuneBinary.packageRoot.appendingPathComponent("sessions")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".retune") }.sorted()
    }

    @Test func everySessionHasAnExpectedTranscript() {
        let dir = RetuneBinary.packageRoot.appendingPathComponent("sessions")
        #expect(!Self.scripts.isEmpty)
        for s in Self.scripts {
            let out = dir.appendingPathComponent(s).deletingPathExtension().appendingPathExtension("out")
            #expect(FileManager.default.fileExists(atPath: out.path), "missing \(out.lastPathComponent)")
        }
    }

    /// A command without a session is a command the release binary never runs in the suite.
    @Test func everyRegisteredCommandAppearsInSomeSession() throws {
        let dir = RetuneBinary.packageRoot.appendingPathComponent("sessions")
        let registry = Registry.standard
        var verbs = Set<String>()
        for script in Self.scripts {
            let text = try String(contentsOf: dir.appendingPathComponent(script), encoding: .utf8)
            for chunk in Parser.splitScript(text, rawTail: registry.rawTailVerbs) {
                guard case .commands(let nodes) = Parser.parse(chunk.text, firstLine: chunk.firstLine,
                                                               rawTail: registry.rawTailVerbs) else { continue }
                verbs.formUnion(nodes.map(\.verb))
            }
        }
        let missing = registry.names.filter { !verbs.contains($0) }
        #expect(registry.names.count > 40)
        #expect(missing.isEmpty, "commands in no sessions/*.retune: \(missing.joined(separator: ", "))")
    }

    /// Every script through both builds: the debug one beside the tests and the release binary
    /// users run (an optimiser-only defect once broke every `#N` run id in the shipped build).
    @Test(arguments: RetuneBinary.Build.allCases, scripts)
    func replayMatchesTranscript(_ build: RetuneBinary.Build, _ script: String) throws {
        if build == .release {
            try #require(RetuneBinary.releaseIsBuilt, "no release binary at \(RetuneBinary.releasePath): run `swift build -c release --product retune` (scripts/test does)")
        }
        let dir = RetuneBinary.packageRoot.appendingPathComponent("sessions")
        let file = dir.appendingPathComponent(script)
        let expected = file.deletingPathExtension().appendingPathExtension("out")
        let r = try RetuneBinary.run(["run", file.path, "--expect", expected.path], directory: dir, build: build)
        #expect(r.status == 0, "\(script) (\(build)) differs from its transcript:\n\(r.stdout)\(r.stderr)")
    }
}
