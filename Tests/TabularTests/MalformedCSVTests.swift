import Foundation
import Testing
@testable import Tabular

/// One test per malformed fixture: each must fail with a clear, located message.
@Suite struct MalformedCSVTests {
    func expectFailure(_ fixture: String, options: CSVOptions = CSVOptions(), _ fragments: [String],
                       sourceLocation: SourceLocation = #_sourceLocation) {
        let path = Paths.fixture(fixture)
        let message = tabularError { _ = try CSVLoader.load(path: path, name: "d", options: options) }
        guard let message else {
            Issue.record("\(fixture) loaded without error", sourceLocation: sourceLocation)
            return
        }
        for f in fragments {
            let expected = f.hasPrefix(":") ? path + f : f
            #expect(message.contains(expected), "\(fixture): '\(message)' lacks '\(expected)'", sourceLocation: sourceLocation)
        }
    }

    @Test func raggedShortRow() { expectFailure("ragged_short.csv", [":3:4:", "too few fields: expected 3", "found 2"]) }
    @Test func raggedLongRow() { expectFailure("ragged_long.csv", [":3:5:", "too many fields: expected 2"]) }
    @Test func unterminatedQuote() { expectFailure("unterminated_quote.csv", [":2:3:", "unterminated quoted field"]) }
    @Test func invalidUTF8InField() { expectFailure("invalid_utf8.csv", [":3:3:", "column 'name'", "invalid UTF-8"]) }
    @Test func invalidUTF8InHeader() { expectFailure("invalid_utf8_header.csv", [":1:4:", "invalid UTF-8 in column name"]) }
    @Test func emptyFile() { expectFailure("empty.csv", [":1:1:", "empty file"]) }
    @Test func blankLinesOnly() { expectFailure("blank_lines_only.csv", ["empty file"]) }
    @Test func headerOnly() { expectFailure("header_only.csv", ["header row but no data rows"]) }
    @Test func bomHeaderOnlyCRLF() { expectFailure("bom_header_only.csv", ["header row but no data rows"]) }
    @Test func duplicateColumns() { expectFailure("duplicate_columns.csv", [":1:5:", "duplicate column name 'x' (columns 1 and 3)"]) }
    @Test func emptyColumnName() { expectFailure("empty_column_name.csv", [":1:3:", "empty column name (column 2)"]) }
    @Test func overflowingNumber() { expectFailure("overflow.csv", [":3:1:", "column 'x'", "'1e400' overflows"]) }
    @Test func infAsText() { expectFailure("inf_text.csv", [":3:1:", "column 'x'", "'inf' is not a finite number", "inf and nan are not accepted"]) }
    @Test func nanAsText() { expectFailure("nan_text.csv", [":3:3:", "column 'y'", "'NaN' is not a finite number"]) }
    @Test func negativeInfinityAsText() { expectFailure("negative_infinity.csv", [":2:1:", "'-Infinity' is not a finite number"]) }
    @Test func quoteInsideUnquotedField() { expectFailure("quote_in_unquoted.csv", [":2:5:", "quote inside an unquoted field"]) }
    @Test func textAfterClosingQuote() { expectFailure("text_after_quote.csv", [":2:8:", "unexpected character 'x' after a closing quote"]) }
    @Test func targetColumnMissing() {
        expectFailure("target_missing.csv", options: CSVOptions(target: "price"), ["target column 'price' not found", "columns: a, b"])
    }
    @Test func timeColumnMissing() {
        expectFailure("time_missing.csv", options: CSVOptions(time: "ts"), ["time column 'ts' not found"])
    }
    @Test func textInFloatOverride() {
        expectFailure("text_in_float_override.csv", options: CSVOptions(types: ["score": .float]),
                      [":3:3:", "column 'score'", "'high' is not a number (type override float)"])
    }
    @Test func fractionInIntegerOverride() {
        expectFailure("fraction_in_integer_override.csv", options: CSVOptions(types: ["count": .integer]),
                      [":3:3:", "column 'count'", "'4.5' is not an integer"])
    }
    @Test func badDateOverride() {
        expectFailure("bad_date_override.csv", options: CSVOptions(types: ["d": .date]), [":3:1:", "column 'd'", "'2020-13-45'"])
    }
    @Test func badBooleanOverride() {
        expectFailure("bad_boolean_override.csv", options: CSVOptions(types: ["flag": .boolean]), [":3:1:", "'maybe' is not a boolean"])
    }
    @Test func overrideForUnknownColumn() {
        expectFailure("unknown_override_column.csv", options: CSVOptions(types: ["zz": .float]), ["type override for unknown column 'zz'"])
    }
    @Test func categoricalTimeColumn() {
        expectFailure("categorical_time.csv", options: CSVOptions(time: "when"), ["column 'when'", "time column must hold dates"])
    }
    @Test func raggedWithCRLF() { expectFailure("ragged_crlf.csv", [":4:2:", "too few fields"]) }
    @Test func raggedAfterQuotedNewline() { expectFailure("ragged_in_quoted_newline.csv", [":4:2:", "too few fields"]) }

    @Test func hugeFieldIsRejected() {
        var bytes = Array("a,b\n1,".utf8)
        bytes += [UInt8](repeating: UInt8(ascii: "x"), count: 10 << 20)
        bytes += Array("\n".utf8)
        let message = tabularError { _ = try CSVLoader.load(bytes: bytes, name: "d", fileName: "big.csv") }
        #expect(message?.contains("big.csv:2:3:") == true)
        #expect(message?.contains("field too large") == true)
        #expect(message?.contains("limit 1048576 bytes") == true)
    }

    @Test func hugeQuotedFieldIsRejected() {
        var bytes = Array("a\n\"".utf8)
        bytes += [UInt8](repeating: UInt8(ascii: "y"), count: 2 << 20)
        bytes += Array("\"\n".utf8)
        let message = tabularError { _ = try CSVLoader.load(bytes: bytes, name: "d", fileName: "big.csv") }
        #expect(message?.contains("field too large") == true)
    }

    @Test func missingFileIsAnIOError() {
        let message = tabularError { _ = try CSVLoader.load(path: Paths.fixture("no_such_file.csv"), name: "d") }
        #expect(message?.contains("cannot open file") == true)
    }

    @Test func fixtureFolderHasAtLeastTwentyFiles() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Paths.fixtures.path).filter { $0.hasSuffix(".csv") }
        #expect(files.count >= 20)
    }
}
