import Foundation

/// Runs a program the way the end-to-end tests must (PLATFORM.md "Signals in tests"):
/// `posix_spawn` with an empty signal mask and default dispositions (test runner threads block
/// SIGCHLD & co., which a child would inherit and `Process.waitUntilExit` may never see), output
/// to temporary files rather than pipes (a server the program leaves running — tmux's, pg_ctl's
/// postgres — would hold a pipe open forever), `waitpid` with a timeout.
enum Spawn {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    enum Failure: Error, CustomStringConvertible {
        case cannotStart(String, String)
        case timedOut(String, Double)
        var description: String {
            switch self {
            case let .cannotStart(program, why): return "cannot start \(program): \(why)"
            case let .timedOut(program, seconds): return "\(program) did not finish within \(seconds) s"
            }
        }
    }

    static func run(_ argv: [String], environment: [String: String] = ProcessInfo.processInfo.environment,
                    timeout: Double = 60) throws(Failure) -> Result {
        try start(argv, environment: environment).wait(timeout: timeout)
    }

    /// A started child: wait for it (its output files are removed then).
    struct Child {
        let pid: pid_t
        let program: String
        let outPath: String
        let errPath: String

        func wait(timeout: Double) throws(Failure) -> Result {
            defer {
                try? FileManager.default.removeItem(atPath: outPath)
                try? FileManager.default.removeItem(atPath: errPath)
            }
            let deadline = Date().addingTimeInterval(timeout)
            var status: Int32 = 0
            while true {
                let done = waitpid(pid, &status, WNOHANG)
                if done == pid { break }
                if done < 0 && errno != EINTR { throw .cannotStart(program, "waitpid: " + String(cString: strerror(errno))) }
                if Date() >= deadline {
                    Glibc.kill(pid, SIGKILL)
                    _ = waitpid(pid, &status, 0)
                    throw .timedOut(program, timeout)
                }
                usleep(5_000)
            }
            // Decode the wait status by hand (the W* macros are not imported).
            let exitCode: Int32 = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
            return Result(status: exitCode,
                          stdout: String(decoding: FileManager.default.contents(atPath: outPath) ?? Data(), as: UTF8.self),
                          stderr: String(decoding: FileManager.default.contents(atPath: errPath) ?? Data(), as: UTF8.self))
        }
    }

    static func start(_ argv: [String], environment: [String: String] = ProcessInfo.processInfo.environment) throws(Failure) -> Child {
        let program = argv.first ?? ""
        let envp = environment.map { "\($0.key)=\($0.value)" }
        let base = NSTemporaryDirectory() + "spawn-\(UUID().uuidString)"
        let outPath = base + ".out", errPath = base + ".err"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let cArgv = argv.map { strdup($0) } + [nil]
        let cEnvp = envp.map { strdup($0) } + [nil]
        defer {
            cArgv.forEach { free($0) }
            cEnvp.forEach { free($0) }
        }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, program, &actions, &attributes, cArgv, cEnvp)
        guard spawned == 0 else { throw .cannotStart(program, String(cString: strerror(spawned))) }
        return Child(pid: pid, program: program, outPath: outPath, errPath: errPath)
    }
}
