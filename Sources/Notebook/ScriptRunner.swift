import Foundation
import Language

/// Exit codes (sysexits).
public enum ExitCode {
    public static let ok: Int32 = 0
    public static let mismatch: Int32 = 1
    public static let usage: Int32 = 64
    public static let dataError: Int32 = 65
    public static let software: Int32 = 70
    public static let ioError: Int32 = 74
    public static let interrupted: Int32 = 130

    public static func of(_ kind: Diagnostic.Kind) -> Int32 {
        switch kind {
        case .syntax: return dataError
        case .runtime: return software
        case .io: return ioError
        case .interrupted: return interrupted
        }
    }
}

/// Replays script files cell by cell, notebook-style.
public struct ScriptRunner {
    public var echo = true
    public var keepGoing = false

    public init(echo: Bool = true, keepGoing: Bool = false) {
        self.echo = echo
        self.keepGoing = keepGoing
    }

    /// Runs a script's text; returns the exit code (0, or that of the first failure).
    public func run(text: String, name: String, interpreter: Interpreter) -> Int32 {
        var firstFailure: Diagnostic.Kind?
        for chunk in Parser.splitScript(text, rawTail: interpreter.registry.rawTailVerbs) {
            let outcome = interpreter.run(chunk.text, sourceName: name, firstLine: chunk.firstLine,
                                          echo: echo, stopOnError: !keepGoing)
            if case .failed(let kind) = outcome {
                // Under `set errors continue` the script expects the failure: it is reported but
                // does not decide the exit code (Ctrl-C always does).
                let expected = interpreter.session.settings.onError == "continue" && kind != .interrupted
                if firstFailure == nil && !expected { firstFailure = kind }
                if kind == .interrupted { break }
                if !keepGoing && !expected { break }
            }
        }
        return firstFailure.map(ExitCode.of) ?? ExitCode.ok
    }

    /// Reads and runs a script file; relative paths in it resolve against its folder.
    public func run(path: String, interpreter: Interpreter) -> Int32 {
        guard let data = FileManager.default.contents(atPath: path) else {
            interpreter.session.printError("\(path): error: cannot read the script (\(ioReason(path)))")
            return ExitCode.ioError
        }
        let text = String(decoding: data, as: UTF8.self)
        let previous = interpreter.session.baseDirectory
        interpreter.session.baseDirectory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        defer { interpreter.session.baseDirectory = previous }
        return run(text: text, name: path, interpreter: interpreter)
    }
}

func ioReason(_ path: String) -> String {
    var isDir: ObjCBool = false
    if !FileManager.default.fileExists(atPath: path, isDirectory: &isDir) { return "no such file" }
    if isDir.boolValue { return "it is a folder" }
    return "permission denied"
}
