import Render
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Monotonic clock in seconds.
func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Peak resident set size of this process in MiB (getrusage; ru_maxrss is KiB on Linux).
func peakRSSMiB() -> Double {
    var u = rusage()
    #if os(Linux)
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &u)
    #else
    getrusage(RUSAGE_SELF, &u)
    #endif
    #if canImport(Darwin)
    return Double(u.ru_maxrss) / 1_048_576
    #else
    return Double(u.ru_maxrss) / 1024
    #endif
}

func median(_ xs: [Double]) -> Double {
    guard !xs.isEmpty else { return .nan }
    let s = xs.sorted()
    let n = s.count
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
}

/// A JSON value, enough for one flat result line.
enum JSON {
    case string(String)
    case number(Double)
    case int(Int)
    case array([Double])
    case bool(Bool)

    var text: String {
        switch self {
        case .string(let s): return quote(s)
        case .number(let d): return d.isFinite ? "\(d)" : "null"
        case .int(let i): return "\(i)"
        case .bool(let b): return b ? "true" : "false"
        case .array(let xs): return "[" + xs.map { $0.isFinite ? "\($0)" : "null" }.joined(separator: ",") + "]"
        }
    }
}

/// A JSON string literal (Render's exporter does the escaping).
func quote(_ s: String) -> String { TableRenderer.jsonString(s) }

/// One result line, the shape every side (retune and peers) prints:
/// {"side","workload","size","median","unit","kernel","peak_rss_mb","samples",…extras}.
struct ResultLine {
    var workload: String
    var size: String
    var median: Double
    var unit: String
    var kernel: String
    var samples: [Double]
    var extras: [(String, JSON)] = []

    func print() {
        var fields: [(String, JSON)] = [
            ("side", .string("retune")),
            ("workload", .string(workload)),
            ("size", .string(size)),
            ("median", .number(median)),
            ("unit", .string(unit)),
            ("kernel", .string(kernel)),
            ("peak_rss_mb", .number((peakRSSMiB() * 10).rounded() / 10)),
            ("samples", .array(samples)),
        ]
        fields += extras
        let body = fields.map { "\(quote($0.0)):\($0.1.text)" }.joined(separator: ",")
        Swift.print("{" + body + "}")
        fflush(nil)  // all streams (stdout is not concurrency-safe to name in Swift 6)
    }
}

/// Errors of the benchmark tool: typed, with the offending value named.
enum BenchError: Error, CustomStringConvertible {
    case usage(String)
    case badValue(option: String, value: String)
    case dataFile(path: String, reason: String)
    case notWired(workload: String, needs: String)
    case io(path: String, reason: String)

    var description: String {
        switch self {
        case .usage(let s): return "usage: \(s)"
        case .badValue(let o, let v): return "invalid value '\(v)' for \(o)"
        case .dataFile(let p, let r): return "\(p): \(r)"
        case .notWired(let w, let n): return "workload '\(w)' is not wired yet (needs \(n)); no figure printed"
        case .io(let p, let r): return "\(p): \(r)"
        }
    }
}

/// SplitMix64: small, seedable, deterministic.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1) with 24 bits (exact in Float).
    mutating func unitFloat() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }
    /// Uniform integer in 0..<bound (bound > 0; modulo bias is negligible for our bounds).
    mutating func below(_ bound: Int) -> Int {
        Int(next() % UInt64(max(bound, 1)))
    }
}
