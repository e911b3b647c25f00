import Testing
@testable import Tabular

/// Issue 17: every malformed input a located error, or a documented normalisation.
@Suite struct CSVEdgeCaseTests {
    func load(_ bytes: [UInt8], separator: Character? = nil) throws -> Dataset {
        try CSVLoader.load(bytes: bytes, name: "d", fileName: "f.csv", options: CSVOptions(separator: separator))
    }
    func failure(_ bytes: [UInt8]) -> String? {
        tabularError { _ = try load(bytes) }
    }

    @Test func nulByteIsALocatedError() {
        let message = failure(Array("a,b\n1,2\n3,".utf8) + [0] + Array("4\n".utf8))
        #expect(message?.contains("f.csv:3:3:") == true, "\(message ?? "loaded")")
        #expect(message?.contains("NUL byte") == true)
    }

    @Test func nulInAQuotedFieldAndInTheHeader() {
        #expect(failure(Array("a,\"b".utf8) + [0] + Array("\"\n1,2\n".utf8))?.contains("f.csv:1:5:") == true)
        #expect(failure([0] + Array("a\n1\n".utf8))?.contains("f.csv:1:1:") == true)
    }

    @Test func controlCharactersAreErrorsButTabIsText() throws {
        let message = failure(Array("a,b\n1,x".utf8) + [7] + Array("y\n".utf8))
        #expect(message?.contains("f.csv:2:4:") == true, "\(message ?? "loaded")")
        #expect(message?.contains("control character \\x07") == true)
        let d = try load(Array("a,b\n1,x\ty\n".utf8))
        #expect(d.columns.count == 2)
    }

    @Test func repeatedByteOrderMarksAreSkipped() throws {
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        let d = try load(bom + bom + Array("price,rooms\n1,2\n".utf8))
        #expect(d.columnNames == ["price", "rooms"])
    }

    @Test func mixedLineEndingsAreAccepted() throws {
        let d = try load(Array("a,b\r\n1,2\n3,4\r5,6\r\n".utf8))
        #expect(d.rowCount == 3)
        // Lines are counted across all three kinds: the error is on line 4.
        let message = failure(Array("a,b\r\n1,2\n3,4\r5\n".utf8))
        #expect(message?.contains("f.csv:4:") == true, "\(message ?? "loaded")")
    }

    @Test func unterminatedQuoteAtEndOfFile() {
        #expect(failure(Array("a,b\n1,\"x\n".utf8))?.contains("f.csv:2:3: error: unterminated quoted field") == true)
    }

    @Test func duplicateAndEmptyHeaderNames() {
        #expect(failure(Array("a,a\n1,2\n".utf8))?.contains("f.csv:1:3: error: duplicate column name 'a'") == true)
        #expect(failure(Array("a,,b\n1,2,3\n".utf8))?.contains("f.csv:1:3: error: empty column name") == true)
    }

    @Test func separatorIsDetectedFromTheHeaderLine() throws {
        func detect(_ text: String) -> Character {
            Array(text.utf8).withUnsafeBytes { Character(UnicodeScalar(CSVLoader.detectSeparator($0))) }
        }
        #expect(detect("a,b,c\n") == ",")
        #expect(detect("a;b;c\n1,5;2,5;3\n") == ";")
        #expect(detect("a\tb\tc\n") == "\t")
        #expect(detect("a|b\n") == "|")
        #expect(detect("\"x,y\";b;c\n") == ";")       // separators inside quotes do not count
        #expect(detect("a,b;c\n") == ",")              // a tie goes to comma
        #expect(detect("single\n1\n") == ",")
        #expect(try load(Array("a\tb\tc\n1\t2\t3\n".utf8)).columns.count == 3)
        #expect(try load(Array("a;b\n1,5;2\n".utf8)).columns.count == 2)
    }

    @Test func explicitTabSeparator() throws {
        let d = try load(Array("a\tb\n1\t2\n".utf8), separator: "\t")
        #expect(d.columnNames == ["a", "b"])
        // An explicit separator wins over detection.
        #expect(try load(Array("a;b\n1;2\n".utf8), separator: ",").columns.count == 1)
    }
}
