import Foundation
import Testing
@testable import Tracking

@Suite struct VersionTests {
    func storeWithVersions(_ count: Int) throws -> Store {
        let store = try Store.temporary()
        try store.upsertModel(name: "price", specJSON: #"{"kind":"linear"}"#)
        var parent: Int? = nil
        for i in 1...count {
            let v = try store.addModelVersion(model: "price", parentVersion: parent, runID: nil, weights: [UInt8(i)],
                                              formatVersion: 1, summary: nil, metrics: ["rmse": Double(i)])
            parent = v
        }
        return store
    }

    @Test func versionsAreNumberedPerModel() throws {
        let store = try storeWithVersions(3)
        try store.upsertModel(name: "churn", specJSON: "{}")
        let c1 = try store.addModelVersion(model: "churn", parentVersion: nil, runID: nil, weights: [], formatVersion: 2, summary: nil)
        #expect(c1 == 1)
        #expect(try store.versions("price").map(\.version) == [1, 2, 3])
        let loaded = try store.loadVersion("price", .number(2))
        #expect(loaded.weights == [2])
        #expect(loaded.info.parentVersion == 1)
        #expect(loaded.info.metrics == ["rmse": 2])
        #expect(loaded.specJSON == #"{"kind":"linear"}"#)
        #expect(try store.loadVersion("churn", .latest).info.formatVersion == 2)
        #expect(throws: StoreError.noSuchModel("nope")) { try store.versions("nope") }
        try store.upsertModel(name: "empty", specJSON: "{}")
        #expect(throws: StoreError.noVersions(model: "empty")) { try store.resolve("empty", ref: .latest) }
        #expect(throws: StoreError.noSuchVersion(model: "price", version: 9)) {
            try store.addModelVersion(model: "price", parentVersion: 9, runID: nil, weights: [], formatVersion: 1, summary: nil)
        }
        let models = try store.models()
        #expect(models.map(\.name) == ["churn", "empty", "price"])
        #expect(models.map(\.versionCount) == [1, 0, 3])
        #expect(models.map(\.latest) == [1, nil, 3])
    }

    @Test func deletedVersionsKeepTheirNumbersEvenAfterPurge() throws {
        let store = try storeWithVersions(3)
        try store.deleteVersion("price", version: 3)
        #expect(try store.resolve("price", ref: .latest) == 2)
        #expect(throws: StoreError.versionDeleted(model: "price", version: 3)) { try store.resolve("price", ref: .number(3)) }
        #expect(try store.versions("price").map(\.version) == [1, 2])
        #expect(try store.versions("price", includeDeleted: true).map(\.version) == [1, 2, 3])
        try store.restoreVersion("price", version: 3)
        #expect(try store.resolve("price", ref: .latest) == 3)
        try store.deleteVersion("price", version: 3)
        #expect(try store.purge().versions == 1)
        let next = try store.addModelVersion(model: "price", parentVersion: 2, runID: nil, weights: [], formatVersion: 1, summary: nil)
        #expect(next == 4)
    }

    @Test func aliasesRollbackAndUndo() throws {
        let store = try storeWithVersions(3)
        try store.setAlias("price", alias: "production", version: 1)
        try store.setAlias("price", alias: "production", version: 3)
        #expect(try store.resolve("price", ref: .alias("production")) == 3)
        #expect(try store.loadVersion("price", .alias("production")).info.aliases == ["production"])

        // rollback with no version: back to where it pointed before its last change.
        let back = try store.rollback("price", alias: "production")
        #expect(back.oldVersion == 3 && back.newVersion == 1)
        #expect(try store.resolve("price", ref: .alias("production")) == 1)
        // A second rollback undoes the first.
        try store.rollback("price", alias: "production")
        #expect(try store.resolve("price", ref: .alias("production")) == 3)
        // Explicit target.
        try store.rollback("price", alias: "production", to: 2)
        #expect(try store.aliases("price") == ["production": 2])

        let events = try store.aliasEvents("price")
        #expect(events.map(\.oldVersion) == [nil, 1, 3, 1, 3])
        #expect(events.map(\.newVersion) == [1, 3, 1, 3, 2])
        #expect(events.map(\.action) == [.set, .set, .rollback, .rollback, .rollback])
        #expect(try store.models().first?.aliases == ["production": 2])
    }

    @Test func rollbackOfFirstPromotionRemovesTheAlias() throws {
        let store = try storeWithVersions(2)
        try store.setAlias("price", alias: "staging", version: 2)
        try store.rollback("price", alias: "staging")
        #expect(try store.aliases("price").isEmpty)
        #expect(throws: StoreError.noSuchAlias(model: "price", alias: "staging")) { try store.resolve("price", ref: .alias("staging")) }
        // And undoing that brings it back.
        try store.rollback("price", alias: "staging")
        #expect(try store.aliases("price") == ["staging": 2])
        #expect(throws: StoreError.noSuchAlias(model: "price", alias: "nothing")) { try store.rollback("price", alias: "nothing") }
    }

    @Test func aliasValidation() throws {
        let store = try storeWithVersions(1)
        #expect(throws: StoreError.invalidAliasName("latest")) { try store.setAlias("price", alias: "latest", version: 1) }
        #expect(throws: StoreError.invalidAliasName("3x")) { try store.setAlias("price", alias: "3x", version: 1) }
        #expect(throws: StoreError.noSuchVersion(model: "price", version: 5)) { try store.setAlias("price", alias: "prod", version: 5) }
    }

    @Test(arguments: [("3", VersionRef.number(3)), ("@3", .number(3)), ("latest", .latest), ("@production", .alias("production"))])
    func versionReferencesParse(text: String, expected: VersionRef) throws {
        #expect(try VersionRef(parsing: text) == expected)
    }

    @Test func badVersionReferencesAreErrors() {
        for text in ["0", "-1", "", "a b", "@"] {
            #expect(throws: StoreError.invalidReference(text)) { try VersionRef(parsing: text) }
        }
    }

    @Test func lineageFollowsParentsToTheRoot() throws {
        let store = try storeWithVersions(4)
        // 5 is a fresh retrain: its own root.
        try store.addModelVersion(model: "price", parentVersion: nil, runID: nil, weights: [], formatVersion: 1, summary: nil)
        #expect(try store.lineage("price", version: 4).map(\.version) == [4, 3, 2, 1])
        #expect(try store.lineage("price", version: 5).map(\.version) == [5])
        // A purged ancestor ends the chain without an error.
        try store.deleteVersion("price", version: 2)
        try store.purge()
        #expect(try store.lineage("price", version: 4).map(\.version) == [4, 3])
    }

    @Test func runsLinkToProducedVersions() throws {
        let store = try storeWithVersions(1)
        let run = try store.beginRun(newRun(.finetune, datasets: [RunDataset(role: "train", name: "new_train", fingerprint: "f9", rows: 50)],
                                            parentVersion: 1))
        let v = try store.addModelVersion(model: "price", parentVersion: 1, runID: run, weights: [7], formatVersion: 1, summary: [1, 2])
        try store.finishRun(run, status: .finished)
        let detail = try store.run(run)
        #expect(detail.row.version == v)
        #expect(detail.row.parentVersion == 1)
        #expect(detail.lineage.map(\.version) == [2, 1])
        #expect(try store.loadVersion("price", .number(v)).info.run == run)
        #expect(try store.loadVersion("price", .number(v)).summary == [1, 2])
        #expect(try store.versions("price").last?.datasets.map(\.name) == ["new_train"])
        #expect(try store.versions("price").first?.datasets == [])
    }
}
