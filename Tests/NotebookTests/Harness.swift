import Foundation
@testable import Notebook

/// Runs commands in a fresh session with a temporary store and captures what they print.
final class Harness {
    let output = CapturedOutput()
    let session: Session
    let interpreter: Interpreter
    let directory: URL

    init() {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("retune-nb-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        session = Session(output: output, storePath: directory.appendingPathComponent("test.db").path,
                          baseDirectory: directory.path)
        interpreter = Interpreter(session: session)
    }

    /// Runs a script text; returns the outcome of the whole script.
    @discardableResult
    func run(_ text: String, keepGoing: Bool = false) -> Int32 {
        ScriptRunner(echo: false, keepGoing: keepGoing).run(text: text, name: "test.retune", interpreter: interpreter)
    }

    var out: String { output.text }
    var err: String { output.errors }

    deinit { try? FileManager.default.removeItem(at: directory) }
}
