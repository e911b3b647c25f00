import Foundation
import Testing
@testable import Notebook

/// A store write that fails is a warning naming what was not recorded, never silent.
@Suite struct StoreWriteTests {
    struct Full: Error, CustomStringConvertible { var description: String { "database or disk is full" } }

    @Test func failedWritesWarn() {
        let h = Harness()
        var ran = false
        h.session.recording("the tag arm of run #3") { ran = true; throw Full() }
        #expect(ran)
        #expect(h.err.contains("warning: could not record the tag arm of run #3 in the store: database or disk is full"))
        h.session.recording("nothing") {}
        #expect(!h.err.contains("nothing"))
    }
}
