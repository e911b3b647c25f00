#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Reads and writes libedit's history file format (`_HiStOrY_V2_`), in Swift, so that the
/// file is created with mode 0600, written atomically and kept to a bounded size.
///
/// Format: a first line `_HiStOrY_V2_`, then one entry a line, each encoded like `strvis(3)`
/// with `VIS_WHITE`: a backslash is `\\`, white space and control bytes are three-digit octal
/// escapes (a space is `\040`, a newline `\012`), so a multi-line cell stays one line and one
/// entry. The decoder also accepts the other `unvis(3)` forms (`\n`, `\s`, `\M-x`, `\^x`, …)
/// and, for files without the header, plain lines.
public enum HistoryFile {
    public static let header = "_HiStOrY_V2_"
    /// Default bound on the number of kept entries (the newest are kept).
    public static let defaultLimit = 2_000

    /// Encodes one entry as one line of the file (without the line feed).
    public static func encode(_ entry: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(entry.utf8.count)
        for byte in entry.utf8 {
            switch byte {
            case UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "\\"))
            case 0...0x20, 0x7F:
                out.append(UInt8(ascii: "\\"))
                out.append(UInt8(ascii: "0") + (byte >> 6) & 7)
                out.append(UInt8(ascii: "0") + (byte >> 3) & 7)
                out.append(UInt8(ascii: "0") + byte & 7)
            default:
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes one line of the file into an entry. Never fails: an unknown escape stands for
    /// the character after the backslash; a lone trailing backslash is kept.
    public static func decode<S: StringProtocol>(_ line: S) -> String {
        let bytes = Array(line.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        func isOctal(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "7") }
        func control(_ b: UInt8) -> UInt8 { b == UInt8(ascii: "?") ? 0x7F : b & 0x1F }
        while i < bytes.count {
            let b = bytes[i]
            guard b == UInt8(ascii: "\\"), i + 1 < bytes.count else {
                out.append(b); i += 1; continue
            }
            let c = bytes[i + 1]
            i += 2
            switch c {
            case _ where isOctal(c):
                var value = Int(c - UInt8(ascii: "0"))
                var digits = 1
                while digits < 3, i < bytes.count, isOctal(bytes[i]) {
                    value = value * 8 + Int(bytes[i] - UInt8(ascii: "0"))
                    i += 1; digits += 1
                }
                out.append(UInt8(truncatingIfNeeded: value))
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "a"): out.append(0x07)
            case UInt8(ascii: "v"): out.append(0x0B)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "s"): out.append(0x20)
            case UInt8(ascii: "E"): out.append(0x1B)
            case UInt8(ascii: "$"), 0x0A: break  // hidden marker, escaped line feed
            case UInt8(ascii: "^"):
                if i < bytes.count { out.append(control(bytes[i])); i += 1 }
            case UInt8(ascii: "M"):
                if i + 1 < bytes.count, bytes[i] == UInt8(ascii: "-") {
                    out.append(bytes[i + 1] | 0x80); i += 2
                } else if i + 1 < bytes.count, bytes[i] == UInt8(ascii: "^") {
                    out.append(control(bytes[i + 1]) | 0x80); i += 2
                } else {
                    out.append(c)
                }
            default:
                out.append(c)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The entries of the file at `path`, oldest first, at most `limit` (the newest).
    /// A missing file is an empty history.
    public static func load(path: String, limit: Int = defaultLimit) throws(TerminalError) -> [String] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .historyRead(path: path, reason: describe(error))
        }
        var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        if lines.last == "" { lines.removeLast() }
        var entries: [String]
        if lines.first == header {
            entries = lines.dropFirst().map { decode($0) }
        } else {
            // A plain file (one entry a line), e.g. written by GNU readline.
            entries = lines
        }
        entries.removeAll { $0.isEmpty }
        if entries.count > limit { entries.removeFirst(entries.count - limit) }
        return entries
    }

    /// Writes `entries` (the newest `limit` of them) to `path` with mode 0600, creating the
    /// parent folders (mode 0700) if needed. The file is replaced atomically (write to a
    /// temporary file in the same folder, then rename).
    public static func save(_ entries: [String], path: String, limit: Int = defaultLimit) throws(TerminalError) {
        let kept = entries.count > limit ? Array(entries.suffix(limit)) : entries
        var text = header + "\n"
        for entry in kept { text += encode(entry) + "\n" }

        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty && !FileManager.default.fileExists(atPath: folder) {
            do {
                try FileManager.default.createDirectory(
                    atPath: folder, withIntermediateDirectories: true,
                    attributes: [.posixPermissions: 0o700])
            } catch {
                throw .historyWrite(path: path, reason: "cannot create folder \(folder): \(describe(error))")
            }
        }
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw .historyWrite(path: path, reason: errnoText()) }
        var failure: String?
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                failure = errnoText(); break
            }
            written += n
        }
        if failure == nil && fchmod(fd, 0o600) != 0 { failure = errnoText() }
        if close(fd) != 0 && failure == nil { failure = errnoText() }
        if failure == nil && rename(temporary, path) != 0 { failure = errnoText() }
        if let failure {
            unlink(temporary)
            throw .historyWrite(path: path, reason: failure)
        }
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }

    private static func describe(_ error: any Error) -> String {
        (error as NSError).localizedDescription
    }
}
