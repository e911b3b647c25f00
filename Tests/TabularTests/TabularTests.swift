import Testing
@testable import Tabular

@Test func TabularBuilds() {
    #expect(Bool(true))
}
