import Testing
@testable import Render

@Suite struct TextWidthTests {
    @Test func widths() {
        #expect(TextWidth.of("abc") == 3)
        #expect(TextWidth.of("─┼─") == 3)
        #expect(TextWidth.of("日本") == 4)
        #expect(TextWidth.of("e\u{301}") == 1)
        #expect(TextWidth.of("\u{1B}[1mab\u{1B}[0m") == 2)
        #expect(ANSI.strip("\u{1B}[31mred\u{1B}[0m x") == "red x")
        #expect(TextWidth.truncate("abcdef", to: 4) == "abc…")
        #expect(TextWidth.pad("ab", to: 4, rightAlign: true) == "  ab")
    }
}
