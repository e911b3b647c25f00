#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Drives a program through a real pseudo-terminal by running it in a detached tmux session.
///
/// Each `TmuxSession` runs its own tmux server (a private `-L` socket and a private config file),
/// so tests never see the user's tmux, each other's sessions or `~/.tmux.conf`. The pane has a
/// fixed size, no status line, and stays open after the program exits (`remain-on-exit`) so the
/// final screen and the exit status can still be read.
///
/// ```swift
/// let tmux = try TmuxSession(command: [retunePath], width: 100, height: 30,
///                            environment: ["RETUNE_HISTORY": historyPath])
/// defer { tmux.kill() }
/// try tmux.waitFor(text: "[1]> ")
/// try tmux.sendLiteral("desc")          // typed as is, no key-name lookup
/// try tmux.send(keys: "Tab")            // tmux key names: Enter, Up, Tab, C-c, C-d, Escape…
/// try tmux.waitFor(text: "[1]> describe ")
/// try tmux.send(keys: "C-d")
/// #expect(try tmux.waitForExit() == 0)
/// ```
final class TmuxSession {
    /// Path of the `tmux` executable found on `PATH`, if any.
    static let executable: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = String(folder) + "/tmux"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }()

    /// Whether tmux is installed (tests skip themselves when it is not).
    static var isAvailable: Bool { executable != nil }

    /// The private server's socket name (`tmux -L NAME`).
    let socketName: String
    /// The session (and target) name inside that server.
    let sessionName = "main"
    let width: Int
    let height: Int

    private let tmuxPath: String
    private let configPath: String
    private let statusPath: String
    private var killed = false

    /// Starts `command` (argv; the first element is looked up on `PATH`) in a new detached
    /// session of `width`×`height` cells. `environment` is added to the inherited environment
    /// (plus `TERM=screen`, which tmux provides); `workingDirectory` defaults to the current one.
    init(command: [String], width: Int = 100, height: Int = 30,
         environment: [String: String] = [:], workingDirectory: String? = nil) throws {
        guard let tmuxPath = TmuxSession.executable else { throw TmuxError.notInstalled }
        guard !command.isEmpty else { throw TmuxError.emptyCommand }
        self.tmuxPath = tmuxPath
        self.width = width
        self.height = height
        let id = UUID().uuidString.prefix(8).lowercased()
        self.socketName = "retune-e2e-\(getpid())-\(id)"
        self.configPath = NSTemporaryDirectory() + "\(socketName).conf"
        let config = """
            set -g default-shell /bin/sh
            set -g default-terminal screen
            set -g remain-on-exit on
            set -g status off
            set -g history-limit 5000
            set -s escape-time 0
            """
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)

        // `trap : INT QUIT; env K=V … cmd args…; echo $? > status` run by /bin/sh -c: exact argv, explicit
        // environment, and an exit status we can read (tmux 3.3 sometimes never reaps a
        // program that exits right after its pty closes, so `#{pane_dead_status}` stays empty).
        self.statusPath = NSTemporaryDirectory() + "\(socketName).status"
        let assignments = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        // The wrapping shell traps INT/QUIT with a no-op so that Ctrl-C sent to the program
        // (the whole foreground process group gets it) does not kill the shell before it
        // records the status; the program itself starts with default dispositions.
        let shellCommand = "trap : INT QUIT; "
            + (["env"] + assignments + command).map(TmuxSession.shellQuote).joined(separator: " ")
            + "; echo $? > " + TmuxSession.shellQuote(statusPath)
        var arguments = ["new-session", "-d", "-s", sessionName, "-x", "\(width)", "-y", "\(height)"]
        if let workingDirectory { arguments += ["-c", workingDirectory] }
        arguments.append(shellCommand)
        do {
            _ = try run(arguments)
        } catch {
            try? FileManager.default.removeItem(atPath: configPath)
            throw error
        }
    }

    deinit { kill() }

    /// Sends keys by tmux key name, e.g. `send(keys: "Up", "Enter")`, `send(keys: "C-c")`.
    /// A plain word that is not a key name is typed as text.
    func send(keys: String...) throws {
        _ = try run(["send-keys", "-t", sessionName] + keys)
    }

    /// Types `text` literally (no key-name lookup): quotes, `$`, `;` and spaces arrive as is.
    func sendLiteral(_ text: String) throws {
        _ = try run(["send-keys", "-t", sessionName, "-l", "--", text])
    }

    /// The visible screen, one line per row, trailing blank rows removed. Spaces the program
    /// wrote at the end of a line are kept (`capture-pane -N`), so a prompt such as `"[1]> "`
    /// can be matched with its space; cells never written are not padded.
    func capture() throws -> String {
        let raw = try run(["capture-pane", "-p", "-N", "-t", sessionName])
        var lines = raw.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        while let last = lines.last, last.allSatisfy({ $0 == " " }) { lines.removeLast() }
        return lines.joined(separator: "\n")
    }

    /// Polls the screen (every 50 ms) until `text` appears at least `occurrences` times, and
    /// returns that screen; throws `TmuxError.timeout` with the last screen after `timeout` s.
    @discardableResult
    func waitFor(text: String, occurrences: Int = 1, timeout: Double = 10) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var screen = ""
        while true {
            screen = try capture()
            if TmuxSession.count(of: text, in: screen) >= occurrences { return screen }
            if Date() >= deadline {
                throw TmuxError.timeout(waitingFor: text, seconds: timeout, screen: screen)
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// The program's exit status once it has exited (128 + N when killed by signal N, as
    /// the shell reports it), or nil while it runs.
    func exitStatus() throws -> Int32? {
        guard let data = FileManager.default.contents(atPath: statusPath) else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return Int32(text)
    }

    /// Waits until the program exits and returns its exit status.
    func waitForExit(timeout: Double = 10) throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let status = try exitStatus() { return status }
            if Date() >= deadline {
                throw TmuxError.timeout(waitingFor: "program exit", seconds: timeout, screen: (try? capture()) ?? "")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// Stops the private tmux server (and the program) and removes its temporary files.
    /// Idempotent; also called on deinit.
    func kill() {
        guard !killed else { return }
        killed = true
        _ = try? run(["kill-server"])
        try? FileManager.default.removeItem(atPath: configPath)
        try? FileManager.default.removeItem(atPath: statusPath)
    }

    // MARK: - Helpers

    /// Runs `tmux -L socket -f config ARGS…` and returns its standard output.
    ///
    /// Spawned with `posix_spawn`, an empty signal mask and default signal dispositions: test
    /// runner threads block most signals, a mask a child inherits, and a tmux server started
    /// with SIGCHLD & co. blocked never starts its pane. Output goes to temporary files, not
    /// pipes, because the server forked by `new-session` would inherit a pipe's write end.
    /// A tmux command that takes more than `timeout` seconds is killed and reported.
    @discardableResult
    private func run(_ arguments: [String], timeout: Double = 15) throws -> String {
        let argv = [tmuxPath, "-L", socketName, "-f", configPath] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "TMUX")
        if environment["TERM"] == nil { environment["TERM"] = "xterm" }
        let result: Spawn.Result
        do {
            result = try Spawn.run(argv, environment: environment, timeout: timeout)
        } catch {
            throw TmuxError.commandFailed(arguments: arguments, status: -1, output: "\(error)")
        }
        guard result.status == 0 else {
            throw TmuxError.commandFailed(arguments: arguments, status: result.status, output: result.stderr)
        }
        return result.stdout
    }

    static func shellQuote(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    static func count(of needle: String, in haystack: String) -> Int {
        guard !needle.isEmpty else { return 0 }
        var count = 0
        var range = haystack.startIndex..<haystack.endIndex
        while let found = haystack.range(of: needle, range: range) {
            count += 1
            range = found.upperBound..<haystack.endIndex
        }
        return count
    }
}

/// Failures of `TmuxSession`, each with what was asked and what tmux showed.
enum TmuxError: Error, CustomStringConvertible {
    case notInstalled
    case emptyCommand
    case commandFailed(arguments: [String], status: Int32, output: String)
    case timeout(waitingFor: String, seconds: Double, screen: String)

    var description: String {
        switch self {
        case .notInstalled:
            return "tmux is not installed (apt-get install tmux)"
        case .emptyCommand:
            return "TmuxSession needs a command to run"
        case .commandFailed(let arguments, let status, let output):
            return "tmux \(arguments.joined(separator: " ")) exited with status \(status): \(output)"
        case .timeout(let text, let seconds, let screen):
            return "timed out after \(seconds) s waiting for \"\(text)\"; screen was:\n\(screen)"
        }
    }
}
