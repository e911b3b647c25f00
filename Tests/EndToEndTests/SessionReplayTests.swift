import Foundation
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

    @Test(arguments: scripts)
    func replayMatchesTranscript(_ script: String) throws {
        let dir = RetuneBinary.packageRoot.appendingPathComponent("sessions")
        let file = dir.appendingPathComponent(script)
        let expected = file.deletingPathExtension().appendingPathExtension("out")
        let r = try RetuneBinary.run(["run", file.path, "--expect", expected.path], directory: dir)
        #expect(r.status == 0, "\(script) differs from its transcript:\n\(r.stdout)\(r.stderr)")
    }
}
