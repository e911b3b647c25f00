#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a deterministic numeric CSV: header `c0,…,c{cols-1}`, then `rows` lines. Columns with
/// j % 5 == 0 are integers in [-1,000,000, 1,000,000]; the others are fixed-point decimals with
/// 4 places in (-1000, 1000). Same seed → same bytes on every machine (integer formatting only).
/// Returns (bytes written, FNV-1a 64 hash of the bytes).
func writeCSV(path: String, rows: Int, cols: Int, seed: UInt64) throws -> (bytes: Int, fnv: UInt64) {
    guard let f = fopen(path, "wb") else {
        throw BenchError.io(path: path, reason: "cannot open for writing (errno \(errno))")
    }
    defer { fclose(f) }
    var rng = SplitMix64(seed: seed)
    var buf = [UInt8]()
    buf.reserveCapacity(1 << 20)
    var total = 0
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325

    func flush() throws {
        for byte in buf { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        let n = buf.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, f) }
        guard n == buf.count else { throw BenchError.io(path: path, reason: "short write") }
        total += n
        buf.removeAll(keepingCapacity: true)
    }
    func appendInt(_ v: Int, minDigits: Int = 1) {
        var u = v.magnitude
        if v < 0 { buf.append(UInt8(ascii: "-")) }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[n] = UInt8(ascii: "0") + UInt8(u % 10)
                u /= 10
                n += 1
            } while u > 0 || n < minDigits
            for i in stride(from: n - 1, through: 0, by: -1) { buf.append(d[i]) }
        }
    }

    for j in 0..<cols {
        if j > 0 { buf.append(UInt8(ascii: ",")) }
        buf.append(UInt8(ascii: "c"))
        appendInt(j)
    }
    buf.append(UInt8(ascii: "\n"))
    for _ in 0..<rows {
        for j in 0..<cols {
            if j > 0 { buf.append(UInt8(ascii: ",")) }
            if j % 5 == 0 {
                appendInt(rng.below(2_000_001) - 1_000_000)
            } else {
                let v = rng.below(19_999_999) - 9_999_999    // ten-thousandths
                if v < 0 { buf.append(UInt8(ascii: "-")) }
                appendInt(abs(v) / 10_000)
                buf.append(UInt8(ascii: "."))
                appendInt(abs(v) % 10_000, minDigits: 4)
            }
        }
        buf.append(UInt8(ascii: "\n"))
        if buf.count >= (1 << 20) - 512 { try flush() }
    }
    try flush()
    return (total, hash)
}
