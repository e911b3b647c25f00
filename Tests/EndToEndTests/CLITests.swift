import Foundation
import Testing

/// The command line: modes, exit codes, diagnostics with file:line:col and a caret.
@Suite struct CLITests {
    @Test func versionAndHelp() throws {
        let v = try RetuneBinary.run(["--version"])
        #expect(v.status == 0)
        #expect(v.stdout.contains("0.1.0"))
        let h = try RetuneBinary.run(["--help"])
        #expect(h.status == 0)
        #expect(h.stdout.contains("USAGE"))
    }

    /// A saved session with failed cells replays: `_N` follows the replay's numbering.
    @Test func savedSessionWithFailuresReplays() throws {
        let dir = try RetuneBinary.tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = """
        generate housing rows 200 seed 1 as h
        model m = linear predicts price from sqft
        train m on nothere
        split h into a, b at 0.5 ordered
        train m on a
        show _5
        describe _4
        head nothere
        compare _5
        save session to "saved.retune"
        """
        try script.write(to: dir.appendingPathComponent("orig.retune"), atomically: true, encoding: .utf8)
        let first = try RetuneBinary.run(["run", "--keep-going", "orig.retune", "--store", "orig.db"], directory: dir)
        #expect(first.status == 70, "\(first.stderr)")
        let saved = try String(contentsOf: dir.appendingPathComponent("saved.retune"), encoding: .utf8)
        #expect(saved.contains("# (failed) train m on nothere"))
        #expect(saved.contains("show _4\n") && saved.contains("describe _3\n"), "\(saved)")
        // The replay runs every saved command (compare _5 failed: one run is not two), and
        // shows the same version and dataset as the original.
        let replay = try RetuneBinary.run(["run", "saved.retune", "--record"], directory: dir)
        #expect(replay.status == 0, "\(replay.stdout)\(replay.stderr)")
        let transcript = try String(contentsOf: dir.appendingPathComponent("saved.out"), encoding: .utf8)
        #expect(transcript.contains("[5]> show _4") && transcript.contains("m@1"), "\(transcript)")
        #expect(transcript.contains("[6]> describe _3"))
        let expect = try RetuneBinary.run(["run", "saved.retune", "--expect", "saved.out"], directory: dir)
        #expect(expect.status == 0, "\(expect.stdout)\(expect.stderr)")
    }

    /// The README's global options work before the subcommand as well as after it.
    @Test func globalOptionsBeforeTheSubcommand() throws {
        let dir = try RetuneBinary.tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = dir.appendingPathComponent("f.retune")
        try "set seed 3\nrun_marker_is_unknown\n".write(to: script, atomically: true, encoding: .utf8)
        let store = dir.appendingPathComponent("s.db").path
        for args in [["--store", store, "--color", "never", "run", "--keep-going", script.path],
                     ["--store=\(store)", "--keep-going", "run", script.path],
                     ["run", "--store", store, "--keep-going", script.path]] {
            let r = try RetuneBinary.run(args)
            #expect(r.status == 65, "\(args): \(r.stderr)")
            #expect(r.stderr.contains("f.retune:2:1: error: unknown command 'run_marker_is_unknown'"), "\(args): \(r.stderr)")
        }
        #expect(FileManager.default.fileExists(atPath: store))
        let e = try RetuneBinary.run(["--store", store, "export", "runs"])
        #expect(e.status == 0, "\(e.stderr)")
    }

    @Test func unknownFlagIsAUsageError() throws {
        let r = try RetuneBinary.run(["--no-such-flag"])
        #expect(r.status == 64)
    }

    @Test func typoOnLineThreeStopsWithExit65() throws {
        let dir = try RetuneBinary.tempDirectory()
        let script = dir.appendingPathComponent("typo.retune")
        try "set seed 3\nset timer off\nsett format csv\nset seed 4\n".write(to: script, atomically: true, encoding: .utf8)
        let r = try RetuneBinary.run(["run", script.path, "--store", dir.appendingPathComponent("s.db").path])
        #expect(r.status == 65)
        #expect(r.stderr.contains("typo.retune:3:1: error: unknown command 'sett'"))
        #expect(r.stderr.contains("sett format csv\n^~~~"))
        #expect(r.stderr.contains("did you mean 'set'?"))
        #expect(!r.stdout.contains("[4]>"))
        let k = try RetuneBinary.run(["run", "--keep-going", script.path, "--store", dir.appendingPathComponent("s.db").path])
        #expect(k.status == 65)
        #expect(k.stdout.contains("[4]> set seed 4"))
    }

    @Test func commandsFromDashC() throws {
        let dir = try RetuneBinary.tempDirectory()
        let r = try RetuneBinary.run(["-c", "set seed 9; show settings", "--store", dir.appendingPathComponent("s.db").path])
        #expect(r.status == 0)
        #expect(r.stdout.contains("seed"))
        #expect(r.stdout.contains("9"))
        #expect(!r.stdout.contains("[1]>"))
    }

    @Test func pipedStdinIsScriptMode() throws {
        let dir = try RetuneBinary.tempDirectory()
        let r = try RetuneBinary.run(["--store", dir.appendingPathComponent("s.db").path],
                                     stdin: "set format csv\nshow settings\nset seed x\n")
        #expect(r.status == 70)
        #expect(r.stdout.contains("setting,value"))
        #expect(r.stderr.contains("<stdin>:3:10: error: seed expects an integer"))
        #expect(!r.stdout.contains("retune 0.1.0"))  // no banner
    }

    @Test func parseErrorInScriptNamesLineAndColumn() throws {
        let dir = try RetuneBinary.tempDirectory()
        let script = dir.appendingPathComponent("bad.retune")
        try "set seed 1\nshow [1, 2\nset seed 2\n".write(to: script, atomically: true, encoding: .utf8)
        let r = try RetuneBinary.run(["run", script.path, "--store", dir.appendingPathComponent("s.db").path])
        #expect(r.status == 65)
        #expect(r.stderr.contains("bad.retune:3:1: error: expected ']' to close '[' at 2:6"))
    }

    @Test func runWritesAMarkdownTranscript() throws {
        let dir = try RetuneBinary.tempDirectory()
        let script = dir.appendingPathComponent("t.retune")
        try "set seed 5\nshow settings\nset seed nope\n".write(to: script, atomically: true, encoding: .utf8)
        let md = dir.appendingPathComponent("t.md").path
        let r = try RetuneBinary.run(["run", "--keep-going", script.path, "--transcript", md,
                                      "--store", dir.appendingPathComponent("s.db").path])
        #expect(r.status == 70)
        let text = try String(contentsOfFile: md, encoding: .utf8)
        #expect(text.contains("**[1]** (ok)\n\n```\nset seed 5\n```"))
        #expect(text.contains("**[3]** (failed)"))
        #expect(text.contains("error: seed expects an integer"))
        #expect(!text.contains("[2]> show settings"))  // the command is shown once, not echoed in the output
    }

    @Test func replayMismatchExitsOneWithAUnifiedDiff() throws {
        let dir = try RetuneBinary.tempDirectory()
        let script = dir.appendingPathComponent("m.retune")
        try "generate housing rows 50 seed 1 as h\ncolumns h\n".write(to: script, atomically: true, encoding: .utf8)
        let rec = try RetuneBinary.run(["run", script.path, "--record"], directory: dir)
        #expect(rec.status == 0, "\(rec.stderr)")
        let out = dir.appendingPathComponent("m.out")
        let recorded = try String(contentsOf: out, encoding: .utf8)
        #expect(recorded.hasPrefix("#! retune "))
        let ok = try RetuneBinary.run(["run", script.path, "--expect", out.path], directory: dir)
        #expect(ok.status == 0)
        // A different seed changes the data: the replay must differ and say where.
        try "generate housing rows 50 seed 2 as h\ncolumns h\n".write(to: script, atomically: true, encoding: .utf8)
        let bad = try RetuneBinary.run(["run", script.path, "--expect", out.path], directory: dir)
        #expect(bad.status == 1)
        #expect(bad.stdout.contains("@@ "))
        #expect(bad.stdout.contains("-[1]> generate housing rows 50 seed 1 as h"))
        #expect(bad.stdout.contains("+[1]> generate housing rows 50 seed 2 as h"))
    }
}
