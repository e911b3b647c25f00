import Foundation
import Testing

/// Runs the real `retune` binary built beside the test bundle.
struct RetuneBinary {
    /// The package root (two levels above this file's folder).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// `.build/<triple>/debug/retune`, found next to the running test bundle.
    static var path: String {
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("retune").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return packageRoot.appendingPathComponent(".build/debug/retune").path
    }

    /// The optimised binary users run: `.build/release/retune` (`RETUNE_RELEASE_BINARY`
    /// overrides). `scripts/test` builds it before the tests; a missing one is a test failure,
    /// never a skip, because the shipped build is what the suite must exercise.
    static var releasePath: String {
        if let p = ProcessInfo.processInfo.environment["RETUNE_RELEASE_BINARY"], !p.isEmpty { return p }
        return packageRoot.appendingPathComponent(".build/release/retune").path
    }

    static var releaseIsBuilt: Bool { FileManager.default.isExecutableFile(atPath: releasePath) }

    /// The two builds the suite runs: debug (beside the test bundle) and release.
    enum Build: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case debug, release
        var testDescription: String { rawValue }
        var path: String { self == .debug ? RetuneBinary.path : RetuneBinary.releasePath }
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs retune with arguments, optional stdin text and extra environment, in `directory`.
    static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:],
                    directory: URL? = nil, build: Build = .debug) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: build.path)
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        for (k, v) in environment { env[k] = v }
        p.environment = env
        p.currentDirectoryURL = directory ?? FileManager.default.temporaryDirectory
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = inp
        try p.run()
        if let s = stdin { inp.fileHandleForWriting.write(Data(s.utf8)) }
        try inp.fileHandleForWriting.close()
        // Read both pipes fully before waiting, so a large output cannot block the child.
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data(), errData = Data()
        group.enter()
        DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        errData = err.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    /// A fresh temporary folder for one test.
    static func tempDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("retune-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}
