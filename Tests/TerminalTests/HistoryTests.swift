import Foundation
import Testing
@testable import Terminal

/// A fresh temporary folder per test.
func makeTemporaryFolder() throws -> String {
    let path = NSTemporaryDirectory() + "retune-terminal-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func permissions(_ path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    let value = try #require(attributes[.posixPermissions] as? NSNumber)
    return value.intValue & 0o777
}

@Suite struct HistoryLocationTests {
    @Test func explicitOverrideWins() {
        let env = ["RETUNE_HISTORY": "/tmp/h", "XDG_STATE_HOME": "/state", "HOME": "/home/u"]
        #expect(HistoryLocation.path(environment: env) == "/tmp/h")
    }

    @Test func xdgStateHome() {
        let env = ["XDG_STATE_HOME": "/state/", "HOME": "/home/u"]
        #expect(HistoryLocation.path(environment: env) == "/state/retune/history")
    }

    @Test func emptyOverrideAndRelativeXDGAreIgnored() {
        let env = ["RETUNE_HISTORY": "", "XDG_STATE_HOME": "relative/state", "HOME": "/home/u"]
        #expect(HistoryLocation.path(environment: env) == "/home/u/.local/state/retune/history")
    }

    @Test func homeFallback() {
        #expect(HistoryLocation.path(environment: ["HOME": "/home/u"]) == "/home/u/.local/state/retune/history")
        #expect(HistoryLocation.path(environment: ["HOME": "/"]) == "/.local/state/retune/history")
    }

    @Test func nothingToGoOn() {
        #expect(HistoryLocation.path(environment: [:]) == nil)
    }
}

@Suite struct HistoryFileFormatTests {
    @Test func encodesWhiteSpaceAndBackslashLikeStrvis() {
        #expect(HistoryFile.encode("train price on x") == "train\\040price\\040on\\040x")
        #expect(HistoryFile.encode("a\nb\tc") == "a\\012b\\011c")
        #expect(HistoryFile.encode("a\\b") == "a\\\\b")
        #expect(HistoryFile.encode("load \"é.csv\"") == "load\\040\"é.csv\"")
    }

    @Test func decodesOtherUnvisForms() {
        #expect(HistoryFile.decode("a\\sb\\nc\\td") == "a b\nc\td")
        #expect(HistoryFile.decode("\\^A\\^?") == "\u{01}\u{7F}")
        #expect(HistoryFile.decode("x\\$y") == "xy")
        #expect(HistoryFile.decode("\\101\\102") == "AB")
        #expect(HistoryFile.decode("trailing\\") == "trailing\\")
        #expect(HistoryFile.decode("\\q") == "q")
    }

    @Test(arguments: [
        "",
        "simple",
        "model price = mlp hidden [64, 32]\ntrain price on train epochs 40",
        "  leading and trailing  ",
        "back\\slash \\040 literal",
        "tab\there\r\nwindows",
        "unicode: ünïcødé → 日本語 🚀",
        "\u{01}\u{1B}[31mred\u{7F}",
    ])
    func roundTrip(_ entry: String) {
        let encoded = HistoryFile.encode(entry)
        #expect(!encoded.contains("\n"))
        #expect(!encoded.contains(" "))
        #expect(HistoryFile.decode(encoded) == entry)
    }
}

@Suite struct HistoryFileIOTests {
    @Test func saveAndLoadRoundTripWithMode0600() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/state/retune/history"
        let entries = [
            "load \"data/housing 2019.csv\" as old",
            "model price = mlp hidden [64, 32] \\\n  activation relu predicts price",
            "runs where kind = finetune",
        ]
        try HistoryFile.save(entries, path: path)
        #expect(try permissions(path) == 0o600)
        #expect(try permissions(folder + "/state/retune") == 0o700)

        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first == "_HiStOrY_V2_")
        #expect(lines.count == 5)  // header, 3 entries, final empty piece
        #expect(lines[1] == "load\\040\"data/housing\\0402019.csv\"\\040as\\040old")

        #expect(try HistoryFile.load(path: path) == entries)
        // No temporary file is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder + "/state/retune") == ["history"])
    }

    @Test func savingOverAWiderFileTightensItsMode() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/history"
        #expect(FileManager.default.createFile(atPath: path, contents: Data("old\n".utf8),
                                               attributes: [.posixPermissions: 0o644]))
        #expect(try permissions(path) == 0o644)
        try HistoryFile.save(["new"], path: path)
        #expect(try permissions(path) == 0o600)
        #expect(try HistoryFile.load(path: path) == ["new"])
    }

    @Test func sizeIsBounded() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/history"
        let entries = (1...2_500).map { "describe d\($0)" }
        try HistoryFile.save(entries, path: path)
        let loaded = try HistoryFile.load(path: path)
        #expect(loaded.count == HistoryFile.defaultLimit)
        #expect(loaded.first == "describe d501")
        #expect(loaded.last == "describe d2500")
        #expect(try HistoryFile.load(path: path, limit: 3) == ["describe d2498", "describe d2499", "describe d2500"])
    }

    @Test func missingFileIsEmptyAndPlainFilesLoad() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(try HistoryFile.load(path: folder + "/nope") == [])
        let plain = folder + "/plain"
        try "first line\n\nsecond line\n".write(toFile: plain, atomically: true, encoding: .utf8)
        #expect(try HistoryFile.load(path: plain) == ["first line", "second line"])
    }

    @Test func errorsNameThePath() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // Reading a folder fails.
        #expect(throws: TerminalError.self) { try HistoryFile.load(path: folder) }
        // A parent that is a file cannot hold the history.
        let blocker = folder + "/file"
        try "x".write(toFile: blocker, atomically: true, encoding: .utf8)
        do {
            try HistoryFile.save(["a"], path: blocker + "/history")
            Issue.record("saving under a regular file should fail")
        } catch {
            #expect(error.description.contains(blocker + "/history"))
            if case .historyWrite = error {} else { Issue.record("expected historyWrite, got \(error)") }
        }
    }
}
