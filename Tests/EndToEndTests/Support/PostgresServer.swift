import Foundation
import Testing

/// A throwaway PostgreSQL server for the tests: `initdb` into a temporary folder (as the
/// unprivileged `postgres` user when the tests run as root: initdb and pg_ctl refuse root), a
/// free port on 127.0.0.1, a private socket folder, trust authentication; stopped
/// (`pg_ctl stop -m fast`) and removed when the test process exits. Missing binaries are a
/// test failure naming `scripts/install-deps --test`, never a skip.
final class PostgresServer: @unchecked Sendable {
    let port: Int
    let dataDir: String
    let root: URL
    let bin: String

    /// The one server of this test process (started on first use; initdb takes a few seconds).
    static let shared: Result<PostgresServer, PostgresServerError> = {
        let result = Result { () throws(PostgresServerError) -> PostgresServer in try PostgresServer() }
        if case let .success(server) = result {
            PostgresServer.running.withLock { $0.append(server) }
            atexit { PostgresServer.running.withLock { servers in servers.forEach { $0.stop() } } }
        }
        return result
    }()

    private static let running = LockedServers()

    /// The shared server, or a test failure saying how to install PostgreSQL.
    static func require() throws -> PostgresServer {
        switch shared {
        case let .success(server): return server
        case let .failure(error): throw error
        }
    }

    /// A second, private server (for tests that stop it); the caller stops it.
    static func privateServer() throws -> PostgresServer {
        do { return try PostgresServer() } catch { throw error }
    }

    /// `/usr/lib/postgresql/<newest>/bin`.
    static func binDirectory() throws(PostgresServerError) -> String {
        let base = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []).compactMap(Int.init).sorted()
        for v in versions.reversed() {
            let dir = "\(base)/\(v)/bin"
            if FileManager.default.isExecutableFile(atPath: dir + "/initdb"), FileManager.default.isExecutableFile(atPath: dir + "/pg_ctl") {
                return dir
            }
        }
        throw PostgresServerError(message: "PostgreSQL server binaries (initdb, pg_ctl) not found under \(base)/*/bin: "
            + "run scripts/install-deps --test (it installs the Debian 'postgresql' package)")
    }

    static var isRoot: Bool { geteuid() == 0 }

    private init() throws(PostgresServerError) {
        bin = try PostgresServer.binDirectory()
        root = URL(fileURLWithPath: "/tmp/retune-pg-\(UUID().uuidString.prefix(8))")
        dataDir = root.appendingPathComponent("data").path
        port = PostgresServer.freePort()
        do {
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            if PostgresServer.isRoot {
                try PostgresServer.command(["/bin/chown", "postgres:postgres", root.path], asPostgres: false)
            }
            try PostgresServer.command([bin + "/initdb", "-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                                        "--no-sync"])
            try PostgresServer.command([bin + "/pg_ctl", "-D", dataDir, "-l", root.appendingPathComponent("log").path, "-w", "-t", "30",
                                        "-o", "-p \(port) -k \(root.path) -c listen_addresses=127.0.0.1 -c fsync=off", "start"])
        } catch {
            try? FileManager.default.removeItem(at: root)
            throw PostgresServerError(message: "could not start a PostgreSQL test server: \(error)")
        }
    }

    /// `postgres://postgres@127.0.0.1:PORT/NAME`.
    func url(_ database: String) -> String { "postgres://postgres@127.0.0.1:\(port)/\(database)" }

    /// A fresh, empty database; returns its URL.
    func createDatabase(_ prefix: String = "t") throws -> String {
        let name = "\(prefix)_\(UUID().uuidString.prefix(8).lowercased())"
        try psql("CREATE DATABASE \(name)")
        return url(name)
    }

    /// Runs one SQL command with psql on the `postgres` database (or `database`); returns its output.
    @discardableResult
    func psql(_ sql: String, database: String = "postgres") throws -> String {
        try PostgresServer.command(["/usr/bin/psql", "-X", "-q", "-A", "-t", "-h", "127.0.0.1", "-p", String(port), "-U", "postgres",
                                    "-d", database, "-v", "ON_ERROR_STOP=1", "-c", sql], asPostgres: false)
    }

    /// Kills the server without a clean shutdown (`pg_ctl stop -m immediate`).
    func kill() { _ = try? PostgresServer.command([bin + "/pg_ctl", "-D", dataDir, "-m", "immediate", "-w", "stop"]) }

    /// Starts it again after `kill()`.
    func restart() throws {
        try PostgresServer.command([bin + "/pg_ctl", "-D", dataDir, "-l", root.appendingPathComponent("log").path, "-w", "-t", "30",
                                    "-o", "-p \(port) -k \(root.path) -c listen_addresses=127.0.0.1 -c fsync=off", "start"])
    }

    /// Stops the server and removes its folder.
    func stop() {
        _ = try? PostgresServer.command([bin + "/pg_ctl", "-D", dataDir, "-m", "fast", "-w", "stop"])
        try? FileManager.default.removeItem(at: root)
    }

    /// A TCP port nobody listens on now (bind to port 0, read it back, close).
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Runs a program (as the `postgres` user when root and `asPostgres`); throws with its
    /// output when it fails (`Spawn`: no pipes for the server pg_ctl leaves running to hold).
    @discardableResult
    static func command(_ arguments: [String], asPostgres: Bool = true) throws(PostgresServerError) -> String {
        let argv = isRoot && asPostgres ? ["/usr/sbin/runuser", "-u", "postgres", "--"] + arguments : arguments
        let result: Spawn.Result
        do { result = try Spawn.run(argv, timeout: 120) } catch { throw PostgresServerError(message: "\(error)") }
        guard result.status == 0 else {
            throw PostgresServerError(message: "\(arguments.joined(separator: " ")) exited \(result.status): \(result.stdout)\(result.stderr)")
        }
        return result.stdout
    }
}

struct PostgresServerError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// The servers to stop at exit.
final class LockedServers: @unchecked Sendable {
    private let lock = NSLock()
    private var servers: [PostgresServer] = []
    func withLock<T>(_ body: (inout [PostgresServer]) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&servers)
    }
}
