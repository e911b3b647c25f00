import Testing
@testable import Terminal

@Suite struct ColorDecisionTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var mode: ColorMode
        var tty: Bool
        var env: [String: String]
        var expected: Bool
        var testDescription: String { "\(mode) tty=\(tty) env=\(env) → \(expected)" }
    }

    @Test(arguments: [
        Case(mode: .auto, tty: true, env: ["TERM": "xterm-256color"], expected: true),
        Case(mode: .auto, tty: true, env: [:], expected: true),
        Case(mode: .auto, tty: false, env: ["TERM": "xterm"], expected: false),
        Case(mode: .auto, tty: true, env: ["NO_COLOR": "1"], expected: false),
        Case(mode: .auto, tty: true, env: ["NO_COLOR": ""], expected: false),
        Case(mode: .auto, tty: true, env: ["NO_COLOR": "0"], expected: false),
        Case(mode: .auto, tty: true, env: ["TERM": "dumb"], expected: false),
        Case(mode: .always, tty: false, env: ["NO_COLOR": "1", "TERM": "dumb"], expected: true),
        Case(mode: .never, tty: true, env: ["TERM": "xterm"], expected: false),
        Case(mode: .never, tty: false, env: [:], expected: false),
    ])
    func decision(_ c: Case) {
        #expect(TerminalInfo.colorEnabled(mode: c.mode, isTTY: c.tty, environment: c.env) == c.expected)
    }

    @Test func parsesModeArgument() {
        #expect(ColorMode(argument: "AUTO") == .auto)
        #expect(ColorMode(argument: "always") == .always)
        #expect(ColorMode(argument: "never") == .never)
        #expect(ColorMode(argument: "sometimes") == nil)
    }
}

@Suite struct WidthTests {
    @Test func columnsEnvironmentWins() {
        #expect(TerminalInfo.width(environment: ["COLUMNS": "132"], fd: -1) == 132)
        #expect(TerminalInfo.width(environment: ["COLUMNS": " 40 "], fd: -1) == 40)
    }

    @Test func badColumnsFallBackTo80WithoutATerminal() {
        #expect(TerminalInfo.width(environment: ["COLUMNS": "wide"], fd: -1) == 80)
        #expect(TerminalInfo.width(environment: ["COLUMNS": "0"], fd: -1) == 80)
        #expect(TerminalInfo.width(environment: ["COLUMNS": "-5"], fd: -1) == 80)
        #expect(TerminalInfo.width(environment: [:], fd: -1) == 80)
    }

    @Test func aClosedDescriptorIsNotATerminal() {
        #expect(TerminalInfo.isTTY(-1) == false)
    }
}

@Suite struct ScriptReaderTests {
    @Test func splitsLinesAndStripsTerminators() {
        var reader = ScriptReader(text: "load \"a.csv\" as a\r\n\ndescribe a\nshow settings")
        #expect(reader.nextLine() == "load \"a.csv\" as a")
        #expect(reader.lineNumber == 1)
        #expect(reader.readAll() == ["", "describe a", "show settings"])
        #expect(reader.lineNumber == 4)
        #expect(reader.nextLine() == nil)
    }

    @Test func finalNewlineDoesNotAddALine() {
        var reader = ScriptReader(text: "a\nb\n")
        #expect(reader.readAll() == ["a", "b"])
        var empty = ScriptReader(text: "")
        #expect(empty.nextLine() == nil)
    }
}
