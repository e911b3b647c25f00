import Testing
@testable import Learning

@Test func LearningBuilds() {
    #expect(Bool(true))
}
