import Foundation
import Testing

/// `report` rendered by headless Chromium through scripts/check-report.
@Suite struct ReportBrowserTests {
    static let chromium: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(.enabled(if: ReportBrowserTests.chromium != nil,
                   "SKIPPED: chromium is not installed (apt-get install chromium) — scripts/check-report needs it"))
    func reportRendersWithOnePathPerCurveAndTableRows() throws {
        let dir = try RetuneBinary.tempDirectory()
        let store = try ExportStoreFixture.make(in: dir)
        let r = try RetuneBinary.run(["-c", "report to \"report.html\"", "--store", store], directory: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("5 runs, 6 curves"), "\(r.stdout)")
        let script = RetuneBinary.packageRoot.appendingPathComponent("scripts/check-report").path
        let check = try RetuneShell.run("/usr/bin/env", ["python3", script, dir.appendingPathComponent("report.html").path,
                                                         "--runs", "5", "--curves", "6"])
        #expect(check.status == 0, "\(check.stdout)\n\(check.stderr)")
        #expect(check.stdout.contains("check-report: OK: 6 series paths, 5 run rows"), "\(check.stdout)")
        // The checker fails on a report whose curves are missing.
        let html = try String(contentsOf: dir.appendingPathComponent("report.html"), encoding: .utf8)
        let broken = html.replacingOccurrences(of: "<path class=\"series\"", with: "<path class=\"gone\"")
        try broken.write(to: dir.appendingPathComponent("broken.html"), atomically: true, encoding: .utf8)
        let fail = try RetuneShell.run("/usr/bin/env", ["python3", script, dir.appendingPathComponent("broken.html").path])
        #expect(fail.status == 1)
        #expect(fail.stderr.contains("expected 6 series paths"), "\(fail.stderr)")
    }
}
