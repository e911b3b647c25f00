import Testing
@testable import Notebook

@Test func NotebookBuilds() {
    #expect(Bool(true))
}
