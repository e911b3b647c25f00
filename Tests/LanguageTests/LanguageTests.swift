import Testing
@testable import Language

@Test func LanguageBuilds() {
    #expect(Bool(true))
}
