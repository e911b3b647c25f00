import Foundation
import Language
import Testing
@testable import Notebook

@Suite struct RegistryTests {
    static let probe = CommandSpec(
        name: "probe", group: .notebook, summary: "test command", synopsis: "probe MODEL on DATA [epochs N] [lr X] [ordered]",
        operands: [OperandSpec("MODEL", .version)],
        options: [OptionSpec("on", .name(.dataset), required: true),
                  OptionSpec("epochs", .integer, default: "20"),
                  OptionSpec("lr", .number, default: "0.001"),
                  OptionSpec("order by", .name(.any)),
                  OptionSpec("into", .list(.name(.dataset))),
                  OptionSpec("mode", .choice(["fast", "exact"])),
                  OptionSpec("ordered", .flag)],
        handler: { _, _ in nil })

    func validate(_ text: String) throws -> Invocation {
        guard case .commands(let nodes) = Parser.parse(text), let node = nodes.first else {
            throw Diagnostic("did not parse")
        }
        return try Registry([Self.probe]).validate(node, baseDirectory: "/tmp") { _, span in
            throw Diagnostic("no result", at: span)
        }
    }

    @Test func typedOperandsAndOptions() throws {
        let inv = try validate("probe price@3 on train epochs 40 lr 0.01 ordered into a, b order by rmse")
        #expect(inv.operand(0)?.value == .version(model: "price", ref: .number(3)))
        #expect(inv.string("on") == "train")
        #expect(inv.int("epochs") == 40)
        #expect(inv.double("lr") == 0.01)
        #expect(inv.flag("ordered"))
        #expect(inv.names("into") == ["a", "b"])
        #expect(inv.string("order by") == "rmse")
        let recorded = Dictionary(uniqueKeysWithValues: inv.effectiveOptions().map { ($0.key, $0.value) })
        #expect(recorded["epochs"] == "40")
        #expect(recorded["lr"] == "0.01")
    }

    @Test func bareModelNameMeansLatest() throws {
        let inv = try validate("probe price on epochs")
        #expect(inv.operand(0)?.value == .version(model: "price", ref: .alias("latest")))
        #expect(inv.string("on") == "epochs")  // a name value may look like a keyword
    }

    @Test(arguments: [
        ("probe price on d epoch 3", "unknown option 'epoch' for 'probe'", "did you mean 'epochs'?"),
        ("probe price on d epochs 2.5", "option 'epochs' expects an integer, got number 2.5", ""),
        ("probe price on d lr fast", "option 'lr' expects a number, got 'fast'", ""),
        ("probe price epochs 3", "probe needs 'on …' (a dataset name)", ""),
        ("probe price on d mode fsat", "option 'mode' expects one of fast, exact, got 'fsat'", "did you mean 'fast'?"),
        ("probe price on d epochs 1 epochs 2", "option 'epochs' is given twice", ""),
        ("probe price on d 42", "unexpected number 42 in 'probe'", ""),
        ("prob price on d", "unknown command 'prob'", "did you mean 'probe'?"),
    ])
    func errorsNameTheOptionAndExpectation(_ text: String, _ message: String, _ note: String) {
        do {
            _ = try validate(text)
            Issue.record("\(text) validated")
        } catch let d as Diagnostic {
            #expect(d.message == message)
            #expect(d.kind == .syntax)
            if !note.isEmpty { #expect(d.notes.contains(note)) }
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func errorSpanPointsAtTheValue() throws {
        do {
            _ = try validate("probe price on d epochs 2.5")
        } catch let d as Diagnostic {
            #expect(d.span.start.column == 25)
            #expect(d.span.end.column == 28)
        }
    }
}

@Suite struct InterpreterTests {
    @Test func settingsAndShow() {
        let h = Harness()
        #expect(h.run("set format csv\nset seed 7\nshow settings") == 0)
        #expect(h.out.contains("setting,value"))
        #expect(h.out.contains("seed,7"))
    }

    @Test func runtimeErrorStopsScriptWith70() {
        let h = Harness()
        #expect(h.run("set seed x\nset seed 3") == 70)
        #expect(h.err.contains("test.retune:1:10: error: seed expects an integer, got 'x'"))
        #expect(h.session.settings.seed == 42)
    }

    @Test func keepGoingRunsTheRest() {
        let h = Harness()
        #expect(h.run("set seed x\nset seed 3", keepGoing: true) == 70)
        #expect(h.session.settings.seed == 3)
    }

    @Test func helpListsGroupsAndCommandHelpShowsOptions() {
        let h = Harness()
        #expect(h.run("help\nhelp set\nhelp save") == 0)
        #expect(h.out.contains("notebook\n"))
        #expect(h.out.contains("usage: set KEY VALUE"))
        #expect(h.out.contains("overwrite"))
        #expect(h.out.contains("examples:"))
    }

    @Test func everyCommandHasRealHelp() {
        for name in Registry.standard.names {
            guard let spec = Registry.standard.spec(named: name) else { continue }
            #expect(!spec.summary.isEmpty, "\(name) has no summary")
            #expect(!spec.help.isEmpty, "\(name) has no help text")
            #expect(!spec.examples.isEmpty, "\(name) has no example")
            let text = HelpText.command(spec)
            #expect(text.contains("usage: \(spec.synopsis)"))
        }
    }

    @Test func cellRecallOfMissingResultIsAnError() {
        let h = Harness()
        #expect(h.run("show _") == 65)
        #expect(h.err.contains("'_' refers to the last result, and there is none yet"))
    }

    @Test func saveSessionWritesReplayableScriptWithFailuresCommented() throws {
        let h = Harness()
        h.run("set seed 5\nset seed nope\nset timer off\nsave session to \"s.retune\"", keepGoing: true)
        let text = try String(contentsOfFile: h.directory.appendingPathComponent("s.retune").path, encoding: .utf8)
        #expect(text.contains("set seed 5\n"))
        #expect(text.contains("# (failed) set seed nope\n"))
        #expect(text.contains("set timer off\n"))
        #expect(text.hasPrefix("# retune session saved "))
    }
}

@Suite struct TranscriptTests {
    @Test func masksTimesDurationsRatesIdsAndPaths() {
        #expect(Transcript.mask("started 2026-11-29T01:02:03Z took 0.42 s at 1.2M rows/s") == "started <time> took <duration> at <rate>")
        #expect(Transcript.mask("session 123e4567-e89b-12d3-a456-426614174000 store /tmp/x/y.db") == "session <id> store <path>")
        // Two machines of one kind with different kernel builds give the same environment table.
        #expect(Transcript.mask("os      │ Linux 6.18.44-fc-v1272 x86_64") == Transcript.mask("os      │ Linux 6.18.44-fc-v1300 x86_64"))
        #expect(Transcript.mask("os      │ Linux 6.18.44-fc-v1272 x86_64").contains("x86_64"))
    }

    @Test func numbersCompareWithinTolerance() {
        #expect(Transcript.linesMatch("rmse 52.1746", "rmse 52.1747", tolerance: 1e-5))
        #expect(!Transcript.linesMatch("rmse 52.1746", "rmse 52.1846", tolerance: 1e-5))
        #expect(!Transcript.linesMatch("rmse 52.1746", "mae 52.1746", tolerance: 1e-5))
    }

    @Test func mismatchGivesUnifiedDiff() {
        let diff = Transcript.compare(expected: "a\nb 1\nc", actual: "a\nb 2\nc", tolerance: 1e-9,
                                      expectedName: "x.out", actualName: "replay")
        #expect(diff?.contains("-b 1") == true)
        #expect(diff?.contains("+b 2") == true)
        #expect(Transcript.compare(expected: "#! header\na\n", actual: "a", tolerance: 0, expectedName: "", actualName: "") == nil)
    }
}

@Suite struct TranscriptPathTests {
    @Test func diagnosticFileNamesAreMaskedHoweverGiven() {
        #expect(Transcript.mask("new-feature.retune:15:1: error: x") == Transcript.mask("/a/b/new-feature.retune:15:1: error: x"))
        #expect(Transcript.mask("sessions/q.retune:2:3: error: y") == "<path>:2:3: error: y")
    }
}
