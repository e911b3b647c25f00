import Foundation
import Language
import Learning
import Terminal
import Tracking

/// What the command line asked for; the executable fills it in and calls `App`.
public struct LaunchOptions: Sendable {
    public var storePath: String
    public var color: ColorMode = .auto
    public var keepGoing = false
    public var echo = true
    public init(storePath: String) { self.storePath = storePath }
}

/// Wiring of sessions, interpreter, store and terminal for each way retune is used.
public enum App {
    static func makeInterpreter(_ options: LaunchOptions, output: any OutputSink, interactive: Bool) -> Interpreter {
        let session = Session(output: output, storePath: options.storePath)
        session.isInteractive = interactive
        let stdoutTTY = TerminalInfo.isTTY(STDOUT_FILENO)
        session.settings.color = TerminalInfo.colorEnabled(mode: options.color, isTTY: stdoutTTY,
                                                           environment: ProcessInfo.processInfo.environment)
        session.settings.progress = interactive && TerminalInfo.isTTY(STDERR_FILENO)
        session.width = TerminalInfo.width()
        session.tableWidth = stdoutTTY ? session.width : Int.max
        session.shouldStop = Interrupts.isPending
        return Interpreter(session: session)
    }

    /// Opens the store before the first command, so a store that cannot be used (unwritable, or
    /// written by a newer retune) is reported once, clearly, with exit 74 — and never damaged.
    static func openStore(_ interpreter: Interpreter) -> Int32? {
        do {
            _ = try interpreter.session.store()
            return nil
        } catch let d as Diagnostic {
            interpreter.session.printError("retune: error: \(d.message)")
            return ExitCode.ioError
        } catch {
            interpreter.session.printError("retune: error: \(error)")
            return ExitCode.ioError
        }
    }

    /// `retune` on a terminal: the notebook prompt.
    public static func interactive(_ options: LaunchOptions) -> Int32 {
        Interrupts.install()
        let interpreter = makeInterpreter(options, output: StandardOutput(), interactive: true)
        let history = HistoryLocation.path(environment: ProcessInfo.processInfo.environment)
        if let code = openStore(interpreter) { return code }
        defer { interpreter.session.close() }
        let repl = REPL(interpreter: interpreter, historyPath: history) { kind in storeNames(interpreter.session, kind) }
        return repl.run(banner: "retune \(RetuneVersion.string) — store \(Store.displayName(options.storePath)) — 'help' lists commands, Ctrl-D quits")
    }

    /// `retune -c "cmd; cmd"` and script mode on piped stdin.
    public static func commands(_ text: String, name: String, options: LaunchOptions) -> Int32 {
        Interrupts.install()
        let interpreter = makeInterpreter(options, output: StandardOutput(), interactive: false)
        if let code = openStore(interpreter) { return code }
        defer { interpreter.session.close() }
        let runner = ScriptRunner(echo: false, keepGoing: options.keepGoing)
        return runner.run(text: text, name: name, interpreter: interpreter)
    }

    /// What `retune run` does with its files.
    public struct RunRequest: Sendable {
        public var files: [String]
        public var expect: String?
        public var record = false
        public var transcript: String?
        public var storeGiven = false
        public init(files: [String]) { self.files = files }
    }

    /// `retune run FILE…` with optional verification, recording or a Markdown transcript.
    public static func run(_ request: RunRequest, options: LaunchOptions) -> Int32 {
        Interrupts.install()
        var options = options
        let verifying = request.expect != nil || request.record
        if verifying && ProcessInfo.processInfo.environment["RETUNE_GEMM"] == nil {
            // Verified replay compares numbers across machines and days: use the portable matrix
            // kernel, whose results are bit-identical on every CPU (BLAS kernels sum in different
            // orders). Set before the first matrix product chooses the backend.
            setenv("RETUNE_GEMM", "portable", 1)
        }
        var tempDir: URL?
        if verifying && !request.storeGiven {
            // A fresh store makes run ids and version numbers deterministic.
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("retune-replay-\(UUID().uuidString)")
            try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            options.storePath = dir.appendingPathComponent("replay.db").path
            tempDir = dir
        }
        defer { if let d = tempDir { try? FileManager.default.removeItem(at: d) } }
        let capture = CapturedOutput()
        let tee = TeeOutput(capture: capture, forward: verifying ? nil : StandardOutput())
        let interpreter = makeInterpreter(options, output: tee, interactive: false)
        if verifying { interpreter.session.settings.color = false }
        if let code = openStore(interpreter) { return code }
        defer { interpreter.session.close() }
        let runner = ScriptRunner(echo: options.echo, keepGoing: options.keepGoing)
        var code = ExitCode.ok
        for file in request.files {
            let c = runner.run(path: file, interpreter: interpreter)
            if code == ExitCode.ok { code = c }
            if c != ExitCode.ok && !options.keepGoing { break }
        }
        if let md = request.transcript {
            let text = MarkdownTranscript.render(cells: interpreter.session.cells, title: request.files.joined(separator: ", "))
            if let err = writeFile(md, text) {
                FileHandle.standardError.write(Data("\(md): error: \(err)\n".utf8))
                return ExitCode.ioError
            }
        }
        if request.record, let file = request.files.first {
            let out = request.expect ?? expectedPath(for: file)
            let header = Transcript.header(script: URL(fileURLWithPath: file).lastPathComponent,
                                           kernel: GEMM.kernelName, version: RetuneVersion.string)
            if let err = writeFile(out, header + capture.combined) {
                FileHandle.standardError.write(Data("\(out): error: \(err)\n".utf8))
                return ExitCode.ioError
            }
            FileHandle.standardOutput.write(Data("recorded \(out) (exit \(code))\n".utf8))
            return code
        }
        if let expectPath = request.expect {
            guard let data = FileManager.default.contents(atPath: expectPath) else {
                FileHandle.standardError.write(Data("\(expectPath): error: cannot read the expected transcript (\(ioReason(expectPath)))\n".utf8))
                return ExitCode.ioError
            }
            let expected = String(decoding: data, as: UTF8.self)
            if let diff = Transcript.compare(expected: expected, actual: capture.combined,
                                             tolerance: interpreter.session.settings.tolerance,
                                             expectedName: expectPath, actualName: "replay of \(request.files.joined(separator: " "))") {
                FileHandle.standardOutput.write(Data(diff.utf8))
                return ExitCode.mismatch
            }
            FileHandle.standardOutput.write(Data("ok: \(request.files.joined(separator: " ")) matches \(expectPath)\n".utf8))
            return ExitCode.ok
        }
        return code
    }

    /// `sessions/x.retune` → `sessions/x.out`.
    public static func expectedPath(for script: String) -> String {
        let url = URL(fileURLWithPath: script)
        return url.deletingPathExtension().appendingPathExtension("out").path
    }

    static func writeFile(_ path: String, _ text: String) -> String? {
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            return nil
        } catch {
            return "cannot write (\(error.localizedDescription))"
        }
    }
}

/// Names from the store for completion: models, aliases, recent run ids.
func storeNames(_ session: Session, _ kind: NameKind) -> [String] {
    guard let store = try? session.store() else { return [] }
    switch kind {
    case .model:
        return (try? store.models().map(\.name)) ?? []
    case .alias:
        return (try? store.models().flatMap { m in m.aliases.keys.map { "\(m.name)@\($0)" } }) ?? []
    case .any:
        return ((try? store.runIDs(RunQuery(order: [RunOrder(.field(.id), descending: true)], limit: 50))) ?? []).map { "#\($0)" }
    default:
        return []
    }
}

/// Sends output to a capture and optionally on to another sink.
final class TeeOutput: OutputSink {
    let capture: CapturedOutput
    let forward: (any OutputSink)?
    init(capture: CapturedOutput, forward: (any OutputSink)?) {
        self.capture = capture
        self.forward = forward
    }
    func write(_ text: String) { capture.write(text); forward?.write(text) }
    func writeError(_ text: String) { capture.writeError(text); forward?.writeError(text) }
}


/// Commands and their outputs as a Markdown notebook.
public enum MarkdownTranscript {
    public static func render(cells: [CellRecord], title: String) -> String {
        var out = "# retune session: \(title)\n\n"
        for c in cells {
            out += "**[\(c.number)]** (\(c.status.rawValue))\n\n```\n\(c.text)\n```\n\n"
            if !c.output.isEmpty {
                out += "```text\n\(c.output.hasSuffix("\n") ? c.output : c.output + "\n")```\n\n"
            }
        }
        return out
    }
}
