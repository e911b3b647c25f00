import Testing
@testable import Render

@Test func RenderBuilds() {
    #expect(Bool(true))
}
