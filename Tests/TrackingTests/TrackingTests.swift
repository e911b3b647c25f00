import Testing
@testable import Tracking

@Test func TrackingBuilds() {
    #expect(Bool(true))
}
