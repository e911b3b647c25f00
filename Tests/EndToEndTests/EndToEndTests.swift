import Testing
@testable import Notebook

@Test func EndToEndBuilds() {
    #expect(Bool(true))
}
