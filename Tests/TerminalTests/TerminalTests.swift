import Testing
@testable import Terminal

@Test func TerminalBuilds() {
    #expect(Bool(true))
}
