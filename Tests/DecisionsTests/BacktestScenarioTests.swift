import Foundation
import Testing
@testable import Decisions

/// backtest's pick on a stream's first period against what the later period shows
/// (docs/ADVICE.md, "How well the pick holds on the next period"); no hand-set answers.
@Suite struct BacktestScenarioTests {
    static let dataDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("sessions/data").path

    @Test func thePickOnPeriodAHoldsOnPeriodBAtItsMeasuredLevel() throws {
        let outcomes = try BacktestScenarios.suite(dataDirectory: Self.dataDirectory).map { try BacktestScenarios.run($0) }
        let misses = outcomes.filter { !$0.agrees }.map { "\($0.scenario): picked \($0.pickedOnA), B supports \($0.tiedOnB)" }
        // 6 of 9 measured on 2026-12-07.
        #expect(outcomes.filter(\.agrees).count >= 6, "\(misses)")
        // The suite is not degenerate: more than one policy is picked across it.
        #expect(Set(outcomes.map(\.pickedOnA)).count >= 2)
    }
}
