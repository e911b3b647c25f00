import Foundation
import Testing
@testable import Tabular

enum Paths {
    static let testsDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let fixtures = testsDir.appendingPathComponent("Fixtures")
    static let repoRoot = testsDir.deletingLastPathComponent().deletingLastPathComponent()
    static let data = repoRoot.appendingPathComponent("sessions/data")

    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }
    static func dataFile(_ name: String) -> String { data.appendingPathComponent(name).path }
}

/// Runs `body`, requires a `TabularError`, and returns its message.
func tabularError(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch let error as TabularError {
        return error.description
    } catch {
        return "unexpected error type: \(error)"
    }
}

func relClose(_ a: Double, _ b: Double, _ tol: Double = 1e-9) -> Bool {
    if a == b { return true }
    return abs(a - b) <= tol * max(abs(a), abs(b))
}
