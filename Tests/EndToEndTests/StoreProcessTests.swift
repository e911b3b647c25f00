import Foundation
import Testing
import Tracking

/// Real processes against one store: concurrent writers lose nothing and never see "database is
/// locked"; a process killed with SIGKILL mid-training leaves finished runs intact, a store that
/// passes `PRAGMA integrity_check`, and its run marked `interrupted` on the next open.
@Suite(.serialized) struct StoreProcessTests {
    @Test func twoProcessesLogFiveHundredRunsEachIntoOneStore() throws {
        let dir = try RetuneBinary.tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = dir.appendingPathComponent("shared.db").path
        // Both define the same model (identical specification: a no-op for the second).
        var script = "generate housing rows 200 seed 1 as d\nmodel m = linear predicts price\n"
        for _ in 0..<500 { script += "train m on d\n" }
        try script.write(to: dir.appendingPathComponent("many.retune"), atomically: true, encoding: .utf8)
        let group = DispatchGroup()
        nonisolated(unsafe) var results: [RetuneBinary.Result?] = [nil, nil]
        for i in 0..<2 {
            group.enter()
            DispatchQueue.global().async {
                results[i] = try? RetuneBinary.run(["run", "--no-echo", "many.retune", "--store", store], directory: dir)
                group.leave()
            }
        }
        group.wait()
        for r in results {
            let result = try #require(r)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(!result.stderr.contains("locked"))
        }
        let s = try Store(path: store)
        let runs = try s.runs(RunQuery(filter: .compare(.field(.kind), .eq, .string("train"))))
        #expect(runs.count == 1000)
        #expect(Set(runs.compactMap(\.version)).count == 1000)  // every version number distinct
        #expect(try s.integrityCheck() == "ok")
    }

    @Test func sigkillDuringTrainingLeavesFinishedRunsIntact() throws {
        let dir = try RetuneBinary.tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = dir.appendingPathComponent("crash.db").path
        let setup = try RetuneBinary.run(["-c", "generate housing rows 3000 seed 1 as d; model m = linear predicts price; train m on d; train m on d",
                                          "--store", store], directory: dir)
        #expect(setup.status == 0, "\(setup.stderr)")

        // A long MLP training in a second process, killed once it has logged an epoch.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: RetuneBinary.path)
        p.arguments = ["-c", "generate housing rows 20000 seed 2 as big; model n = mlp hidden [64, 64] predicts price; train n on big epochs 100000",
                       "--store", store]
        p.currentDirectoryURL = dir
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let observer = try Store(path: store)
        let deadline = Date().addingTimeInterval(60)
        var killedRun: Int64?
        while Date() < deadline {
            let running = try observer.runs(RunQuery(filter: .compare(.field(.status), .eq, .string("running"))))
            if let r = running.first, let points = try? observer.curve(r.id, key: "train_loss"), !points.isEmpty {
                killedRun = r.id
                break
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        let runID = try #require(killedRun, "the training never logged an epoch")
        #expect(try observer.integrityCheck() == "ok")

        // The next open marks the dead owner's run interrupted; the finished runs are intact.
        let after = try RetuneBinary.run(["-c", "runs", "--store", store], directory: dir)
        #expect(after.status == 0, "\(after.stderr)")
        let reopened = try Store(path: store)
        #expect(try reopened.run(runID).row.status == .interrupted)
        let finished = try reopened.runs(RunQuery(filter: .compare(.field(.status), .eq, .string("finished"))))
        #expect(finished.count == 2)
        #expect(try reopened.versions("m").count == 2)
        #expect(try reopened.integrityCheck() == "ok")
    }

    /// Several processes creating the same new store at the same moment all succeed (the WAL
    /// switch and the first migration are contended; opening retries instead of failing).
    @Test func concurrentFirstOpensOfANewStoreAllSucceed() throws {
        let dir = try RetuneBinary.tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Python starts the processes together (Process launches from threads are too staggered
        // to collide, and a shell's `wait` hangs on the SIGCHLD mask test threads hand down).
        let python = """
            import subprocess, sys
            exe, folder = sys.argv[1], sys.argv[2]
            for round in range(30):
                store = f"{folder}/race-{round}.db"
                procs = [subprocess.Popen([exe, "-c", "set seed 1", "--store", store],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(4)]
                for i, p in enumerate(procs):
                    _, err = p.communicate()
                    print(f"{round}.{i}={p.returncode}", err.decode().strip().replace("\\n", " "))
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", python, RetuneBinary.path, dir.path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 120)
        let failures = lines.filter { !$0.contains("=0 ") && !$0.hasSuffix("=0") }
        #expect(failures.isEmpty, "\(failures)")
    }
}
