import Foundation
import Testing
import Tracking

/// The PostgreSQL store against a throwaway server (`PostgresServer`): the example session
/// replays with the SQLite transcript, concurrent writers keep gap-free versions, `store copy`
/// round-trips, connection failures are clear and quick, a killed server's run is marked
/// interrupted on the next open, and `sql` stays read-only.
@Suite(.serialized) struct PostgresStoreTests {
    static let sessions = RetuneBinary.packageRoot.appendingPathComponent("sessions")

    @Test(arguments: RetuneBinary.Build.allCases)
    func exampleSessionReplaysWithTheSQLiteTranscript(build: RetuneBinary.Build) throws {
        if build == .release {
            try #require(RetuneBinary.releaseIsBuilt, "no release binary at \(RetuneBinary.releasePath): run `swift build -c release --product retune` (scripts/test does)")
        }
        let server = try PostgresServer.require()
        let url = try server.createDatabase("example")
        let r = try RetuneBinary.run(["--store", url, "run", "example.retune", "--expect", "example.out"],
                                     directory: Self.sessions, build: build)
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("ok: example.retune matches example.out"))
        // The rows really are on the server.
        let count = try server.psql("SELECT count(*) FROM runs", database: String(url.split(separator: "/").last ?? ""))
        #expect(Int(count.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 > 0)
    }

    @Test func fourProcessesTimesTwoHundredFiftyRunsKeepGapFreeVersions() throws {
        let server = try PostgresServer.require()
        let url = try server.createDatabase("concurrent")
        let dir = try RetuneBinary.tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var script = "generate housing rows 100 seed 1 as d\nmodel m = linear predicts price\n"
        for _ in 0..<250 { script += "train m on d\n" }
        try script.write(to: dir.appendingPathComponent("many.retune"), atomically: true, encoding: .utf8)
        let binary = RetuneBinary.releaseIsBuilt ? RetuneBinary.Build.release : .debug
        let group = DispatchGroup()
        nonisolated(unsafe) var results: [RetuneBinary.Result?] = [nil, nil, nil, nil]
        for i in 0..<4 {
            group.enter()
            DispatchQueue.global().async {
                results[i] = try? RetuneBinary.run(["run", "--no-echo", "many.retune", "--store", url], directory: dir, build: binary)
                group.leave()
            }
        }
        group.wait()
        for r in results {
            let result = try #require(r)
            #expect(result.status == 0, "\(result.stderr)")
        }
        let store = try Store(path: url)
        let runs = try store.runs(RunQuery(filter: .compare(.field(.kind), .eq, .string("train"))))
        #expect(runs.count == 1000)
        #expect(runs.allSatisfy { $0.status == .finished })
        let versions = try store.versions("m").map(\.version)
        #expect(versions == Array(1...1000), "versions are not 1…1000 without gaps: \(versions.count) versions")
        #expect(Set(runs.compactMap(\.version)) == Set(1...1000))
    }

    @Test func storeCopyRoundTripsTheQuickstartStoreWithEqualChecksums() throws {
        let server = try PostgresServer.require()
        let url = try server.createDatabase("copy")
        let dir = try RetuneBinary.tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let original = dir.appendingPathComponent("quickstart.db").path
        let built = try RetuneBinary.run(["--store", original, "run", "--no-echo", "quickstart.retune"], directory: Self.sessions)
        #expect(built.status == 0, "\(built.stderr)")
        let there = try RetuneBinary.run(["--store", original, "-c", "store copy current \"\(url)\""], directory: dir)
        #expect(there.status == 0, "\(there.stdout)\n\(there.stderr)")
        #expect(there.stdout.contains("equal"))
        let back = dir.appendingPathComponent("back.db").path
        let home = try RetuneBinary.run(["-c", "store copy \"\(url)\" \"\(back)\""], directory: dir)
        #expect(home.status == 0, "\(home.stdout)\n\(home.stderr)")
        let a = try Store(path: original).census(), b = try Store(path: url).census(), c = try Store(path: back).census()
        #expect(a.checksum == b.checksum)
        #expect(b.checksum == c.checksum)
        // (The first copy's own cells land in the source after it was copied: compare the copies.)
        #expect(b.counts.map(\.rows) == c.counts.map(\.rows))
        #expect((a.counts.first { $0.table == "metrics" }?.rows ?? 0) > 0)
        // The same versions with the same weights come back.
        let before = try Store(path: original).loadVersion("progress", .latest)
        let after = try Store(path: back).loadVersion("progress", .latest)
        #expect(before.weights == after.weights)
        #expect(before.info.version == after.info.version)
        // A copy into a store that has runs is refused, and changes nothing.
        let again = try RetuneBinary.run(["--store", original, "-c", "store copy current \"\(url)\""], directory: dir)
        #expect(again.status != 0)
        #expect(again.stderr.contains("already has"), "\(again.stderr)")
        #expect(try Store(path: url).census().checksum == b.checksum)
        // New runs on the copy get fresh ids after the copied ones.
        let more = try RetuneBinary.run(["--store", url, "-c", "load \"\(Self.sessions.path)/data/diabetes.csv\" as d target progression; model q = linear predicts progression; train q on d"],
                                        directory: dir)
        #expect(more.status == 0, "\(more.stderr)")
    }

    @Test func refusedConnectionNamesHostAndPortAndExits74() throws {
        let port = PostgresServer.freePort()
        let r = try RetuneBinary.run(["--store", "postgres://nobody@127.0.0.1:\(port)/x", "-c", "runs"])
        #expect(r.status == 74)
        #expect(r.stderr.contains("cannot connect to PostgreSQL at 127.0.0.1:\(port): connection refused"), "\(r.stderr)")
    }

    @Test func silentServerTimesOutInsteadOfHanging() throws {
        // A socket that listens but never answers: the TCP connect succeeds (the kernel's
        // backlog), the start-up message gets no reply. The connect_timeout bounds it all.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        #expect(listen(fd, 8) == 0)
        let port = Int(UInt16(bigEndian: address.sin_port))
        let started = Date()
        let r = try RetuneBinary.run(["--store", "postgres://nobody@127.0.0.1:\(port)/x?connect_timeout=1", "-c", "runs"])
        let seconds = Date().timeIntervalSince(started)
        #expect(seconds < 10, "took \(seconds) s")
        #expect(r.status == 74)
        #expect(r.stderr.contains("cannot connect to PostgreSQL at 127.0.0.1:\(port): no answer within 1 s (connect_timeout)"), "\(r.stderr)")
    }

    @Test func malformedURLIsAClearError() throws {
        let r = try RetuneBinary.run(["--store", "postgres://127.0.0.1:5432", "-c", "runs"])
        #expect(r.status == 74)
        #expect(r.stderr.contains("malformed PostgreSQL URL"), "\(r.stderr)")
        let p = try RetuneBinary.run(["--store", "postgres://me:secret@127.0.0.1:1/x?bogus=1", "-c", "runs"])
        #expect(p.stderr.contains("unknown parameter 'bogus'"), "\(p.stderr)")
        #expect(!p.stderr.contains("secret"), "the password leaked: \(p.stderr)")
    }

    @Test func killedServerMidRunLeavesTheRunInterruptedOnTheNextOpen() throws {
        let server = try PostgresServer.privateServer()
        defer { server.stop() }
        let url = try server.createDatabase("killed")
        let dir = try RetuneBinary.tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let child = try Spawn.start([RetuneBinary.path, "-c",
                                     "generate housing rows 5000 seed 2 as big; model n = mlp hidden [32] predicts price; train n on big epochs 100000",
                                     "--store", url])
        let observer = try Store(path: url)
        var runID: Int64?
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, runID == nil {
            if let r = try observer.runs(RunQuery(filter: .compare(.field(.status), .eq, .string("running")))).first,
               !(try observer.curve(r.id, key: "train_loss")).isEmpty {
                runID = r.id
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        let id = try #require(runID, "the training never logged an epoch")
        server.kill()
        // Training goes on when a write fails (a warning, once); Ctrl-C then stops it, its end
        // cannot be recorded either, and the process exits (no hang on the dead connection).
        Thread.sleep(forTimeInterval: 1)
        Foundation.kill(child.pid, SIGINT)
        let result = try child.wait(timeout: 90)
        #expect(result.status == 130, "\(result.stderr)")
        #expect(result.stderr.contains("could not record"), "\(result.stderr)")
        #expect(result.stderr.contains("connection to the PostgreSQL server was lost"), "\(result.stderr)")
        try server.restart()
        let after = try RetuneBinary.run(["-c", "runs", "--store", url], directory: dir)
        #expect(after.status == 0, "\(after.stderr)")
        #expect(after.stderr.contains("marked 1 run interrupted"), "\(after.stderr)")
        #expect(try Store(path: url).run(id).row.status == .interrupted)
    }

    @Test func sqlIsReadOnlyAndBoundedOnPostgres() throws {
        let server = try PostgresServer.require()
        let url = try server.createDatabase("readonly")
        let store = try Store(path: url)
        #expect(store.dialect == .postgres)
        let t = try store.readOnlySQL("SELECT count(*) AS n FROM runs")
        #expect(t.columns == ["n"])
        #expect(t.rows == [[.integer(0)]])
        for (sql, reason) in [("DELETE FROM runs", "DELETE from runs"), ("INSERT INTO tags VALUES (1, 'a', 'b')", "INSERT into tags"),
                              ("DROP TABLE runs", "DROP runs"), ("COMMIT", "a transaction statement"),
                              ("WITH x AS (DELETE FROM runs RETURNING id) SELECT * FROM x", "a statement that writes")] {
            #expect(throws: StoreError.readOnlyViolation(statement: sql, reason: reason)) { try store.readOnlySQL(sql) }
        }
        #expect(throws: StoreError.queryStopped(statement: "SELECT pg_sleep(5)", .timeout(seconds: 0.2))) {
            try store.readOnlySQL("SELECT pg_sleep(5)", bound: QueryBound(seconds: 0.2))
        }
        #expect(try store.readOnlySQL("SELECT 1 AS a").rows == [[.integer(1)]])
    }

    @Test func runFiltersGiveTheSameRunsOnBothBackends() throws {
        let server = try PostgresServer.require()
        let url = try server.createDatabase("filters")
        let dir = try RetuneBinary.tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let sqlite = dir.appendingPathComponent("f.db").path
        let script = "generate housing rows 300 seed 3 as d; model a = linear predicts price; model b = linear l2 0.5 predicts price; "
            + "train a on d; train b on d; train b on d seed 9; tag #2 stage good; note #3 \"Retry\""
        for store in [sqlite, url] {
            let r = try RetuneBinary.run(["--store", store, "-c", script], directory: dir)
            #expect(r.status == 0, "\(r.stderr)")
        }
        let queries = ["runs where model = \"b\"", "runs where metric.rmse < 1e9 order by metric.rmse desc limit 2",
                       "runs where tag.stage = \"good\" or model like \"A%\"", "runs where not tag.stage order by id",
                       "runs where dataset = \"d\" and status != \"failed\"", "runs where kind = \"train\" and duration >= 0",
                       "runs where model in [\"a\", \"b\"] order by param.solver desc limit 5", "runs where note like \"%retry%\"",
                       "runs where started > \"2020-01-01\" and param.seed = 9",
                       // The run-id-order walk (a limit, no ordering but id): same rows on both.
                       "runs where param.seed = 9 or tag.stage = \"good\" limit 2", "runs where not tag.stage limit 2",
                       "runs where metric.rmse < 1e9 order by id desc limit 2"]
        for q in queries {
            let a = try RetuneBinary.run(["--store", sqlite, "-c", "set format csv; " + q], directory: dir)
            let b = try RetuneBinary.run(["--store", url, "-c", "set format csv; " + q], directory: dir)
            #expect(a.status == 0 && b.status == 0, "\(q): \(a.stderr) \(b.stderr)")
            let ids = { (text: String) in text.split(separator: "\n").dropFirst().map { $0.split(separator: ",").first ?? "" } }
            #expect(ids(a.stdout) == ids(b.stdout), "\(q)\nSQLite:\n\(a.stdout)\nPostgreSQL:\n\(b.stdout)")
            #expect(!ids(a.stdout).isEmpty, "\(q) matched nothing: the test would not see a difference")
        }
    }
}
