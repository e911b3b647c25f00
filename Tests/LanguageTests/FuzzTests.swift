import Testing
@testable import Language

/// "No input crashes the process or traps": random bytes, long lines, deep nesting, token soup.
@Suite struct FuzzTests {
    /// Parses and checks the invariants every result must satisfy.
    func check(_ source: String) {
        let result = Parser.parse(source)
        let byteCount = source.utf8.count
        switch result {
        case .commands(let commands):
            for c in commands {
                #expect(c.span.start.offset >= 0 && c.span.end.offset <= byteCount)
                #expect(c.span.start.offset <= c.span.end.offset)
                #expect(!c.verb.isEmpty)
            }
        case .failure(let d):
            #expect(d.kind == .syntax)
            #expect(d.span.start.line >= 1)
            #expect(d.span.end.offset <= byteCount)
            _ = DiagnosticFormatter.format(d, sourceName: "fuzz", sourceText: source, color: false)
        case .incomplete(let i):
            _ = Parser.diagnostic(for: i, source: source)
        }
        _ = Parser.splitScript(source)
    }

    @Test func randomBytesIncludingInvalidUTF8() {
        var rng = SplitMix64(seed: 0xF00D)
        for _ in 0..<1500 {
            let length = Int.random(in: 0...80, using: &rng)
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            check(String(decoding: bytes, as: UTF8.self))
        }
    }

    @Test func randomPrintableASCII() {
        var rng = SplitMix64(seed: 42)
        let alphabet = Array(" \t\n\\\"'#@_.,;:[](){}=!<>+-*/aZ09e")
        for _ in 0..<1500 {
            let length = Int.random(in: 0...60, using: &rng)
            check(String((0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] }))
        }
    }

    @Test func tokenSoup() {
        var rng = SplitMix64(seed: 7)
        let pieces = ["train", "price@3", "@latest", "#12", "_", "_4", "param.lr", "and", "or", "not", "in",
                      "like", "[", "]", "(", ")", ",", ":", ";", "\n", "=", "!=", "<", "<=", ">=", "+", "-",
                      "*", "/", "-1", ".5", "1e-6", "\"s\"", "'q'", "\"open", "\\", "\\\n", "# c\n", "min(",
                      "x", "é", "🇫🇷", " ", " ", " "]
        for _ in 0..<2000 {
            let n = Int.random(in: 0...30, using: &rng)
            check((0..<n).map { _ in pieces[Int.random(in: 0..<pieces.count, using: &rng)] }.joined())
        }
    }

    @Test func veryLongLines() {
        let longIdentifier = "f " + String(repeating: "a", count: 100_000)
        #expect((try? commands(longIdentifier))?.first?.items.first?.identifier?.count == 100_000)
        let manyItems = "f" + String(repeating: " x", count: 50_000)
        #expect((try? commands(manyItems))?.first?.items.count == 50_000)
        let longSum = "f 1" + String(repeating: " + 1", count: 25_000)
        #expect((try? commands(longSum))?.count == 1)
        let longList = "f [" + String(repeating: "1, ", count: 30_000) + "1]"
        #expect((try? commands(longList))?.count == 1)
        check(String(repeating: "\"", count: 100_001))
        check(String(repeating: "#", count: 100_000))
        check("f \"" + String(repeating: "\\n", count: 50_000))
        check(String(repeating: "; ", count: 50_000))
        check(String(repeating: "\n", count: 100_000))
    }

    @Test func deepNesting() {
        for opener in ["[", "(", "min(", "- ", "not ", "[a: "] {
            let source = "f " + String(repeating: opener, count: 10_000)
            if case .failure(let d) = Parser.parse(source) {
                #expect(d.message.contains("nested too deeply"), "\(opener)")
            } else {
                Issue.record("expected a nesting failure for \(opener)")
            }
        }
        // Deep but legal, for every kind of nesting.
        let depth = Parser.maxDepth
        for (opener, closer) in [("[", "]"), ("(", ")"), ("min(", ")"), ("- ", ""), ("not ", ""), ("[a: ", "]"), ("(-", ")")] {
            let nested = "f " + String(repeating: opener, count: depth / 2) + "1" + String(repeating: closer, count: depth / 2)
            #expect((try? commands(nested))?.count == 1, "\(opener)")
        }
        let limit = "f " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        #expect((try? commands(limit))?.count == 1)
        let over = "f " + String(repeating: "[", count: depth + 1) + String(repeating: "]", count: depth + 1)
        #expect(failure(over)?.message == "expression nested too deeply (more than \(depth) levels)")
    }

    @Test func everyPrefixOfTheDesignScript() {
        let script = DesignExampleTests.cases.map(\.0).joined(separator: "\n")
            + "\nmodel m = mlp hidden [\n 64,\n 32] predicts y \\\n  seed -1\nruns where kind in [a, b] and not x like 'p%'\n"
        let chars = Array(script)
        for n in 0...chars.count {
            check(String(chars[0..<n]))
        }
        #expect(Parser.splitScript(script).count == DesignExampleTests.cases.count + 2)
    }
}

import Foundation

@Suite struct SessionScriptTests {
    /// The repository's `sessions/` directory (absent until scripts exist).
    static func sessionScripts() -> [(String, String)] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("sessions")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.sorted().filter { $0.hasSuffix(".retune") }.compactMap { name in
            guard let data = FileManager.default.contents(atPath: root.appendingPathComponent(name).path) else { return nil }
            return (name, String(decoding: data, as: UTF8.self))
        }
    }

    @Test func everyPrefixOfEverySessionScriptParsesWithoutTrapping() {
        for (name, script) in SessionScriptTests.sessionScripts() {
            let chars = Array(script)
            // Every prefix for scripts of ordinary size; a sample of prefixes for huge ones.
            let step = max(1, chars.count / 4000)
            for n in stride(from: 0, through: chars.count, by: step) {
                let prefix = String(chars[0..<n])
                for chunk in Parser.splitScript(prefix) {
                    _ = Parser.parse(chunk.text, firstLine: chunk.firstLine)
                }
            }
            // The whole script: every chunk parses (sessions must be valid scripts).
            for chunk in Parser.splitScript(script) {
                if case .commands = Parser.parse(chunk.text, firstLine: chunk.firstLine) { continue }
                Issue.record("\(name):\(chunk.firstLine) does not parse: \(chunk.text)")
            }
        }
    }

    @Test func longUnclosedScriptSplitsInBoundedChunks() {
        let script = "load \"never closed\n" + String(repeating: "show x\n", count: 3000)
        let chunks = Parser.splitScript(script)
        #expect(chunks.first?.firstLine == 1)
        #expect(chunks.count > 1)
        #expect(chunks.first.map { $0.text.split(separator: "\n", omittingEmptySubsequences: false).count } == Parser.maxChunkLines)
    }
}
