// retune-fuzz: the seeded mutation fuzzer over the lexer and parser (Language only).
//   retune-fuzz [COUNT] [SEED] [SEED-FILE …]
//   retune-fuzz emit COUNT SEED SEED-FILE …   prints COUNT mutated lines (line ends in a mutation
//                                            become spaces) for `retune run --keep-going`
// Seeds are the lines of the given files (session scripts) plus built-in examples. Prints one
// line: `fuzz: N inputs, 0 crashes, 0 invariant failures, slowest X ms, T s`; exits 1 on an
// invariant failure (a crash ends the process with its signal, which the caller reports).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Language

func monotonic() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

func readLines(_ path: String) -> [String] {
    guard let f = fopen(path, "rb") else { return [] }
    defer { fclose(f) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buffer, 1, buffer.count, f)
        if n <= 0 { break }
        bytes.append(contentsOf: buffer[0..<n])
    }
    return String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init).filter { !$0.isEmpty }
}

var args = Array(CommandLine.arguments.dropFirst())
let emit = args.first == "emit"
if emit { args.removeFirst() }
let count = args.first.flatMap { Int($0) } ?? 100_000
let seed = args.count > 1 ? UInt64(args[1]) ?? 1 : 1
var seeds = [
    "load \"data/housing_2019.csv\" as old target price time sold_at",
    "split old into train, test at 0.8 seed 7       # a comment",
    "model price = mlp hidden [64, 32] activation relu predicts price",
    "finetune price@1 on new_train epochs 5 lr 0.001 freeze 1 anchor 0.1 replay 0.2 from train",
    "runs where kind = finetune and min(valid_rmse) < 3 order by rmse limit 10",
    "compare #3, #4; show #7",
    "sql select kind, count(*) from runs where note like '%a;b%' group by kind;",
    "f [a: 1, b: [2, 3]] x = -3 'it\\'s' \\\n  continued",
]
for path in args.dropFirst(2) { seeds += readLines(path) }
var fuzzer = ParserFuzzer(seed: seed)
if emit {
    let pool = seeds
    var out = ""
    for k in 0..<count {
        let line = fuzzer.mutate(pool[k % pool.count], with: pool)
        out += String(line.map { $0.isNewline ? " " : $0 }) + "\n"
    }
    print(out, terminator: "")
    exit(0)
}
let start = monotonic()
let report = fuzzer.run(count: count, seeds: seeds, clock: monotonic)
let seconds = Double(monotonic() - start) / 1e9
for failure in report.invariantFailures { print("fuzz: invariant failure: \(failure)") }
let slowest = Double(report.slowestNanos) / 1e6
print("fuzz: \(report.inputs) inputs from \(seeds.count) seeds (seed \(seed)), 0 crashes, "
      + "\(report.invariantFailures.count) invariant failures, slowest input \(String(Int(slowest * 1000)))µs, "
      + "\(Int(seconds)) s")
exit(report.invariantFailures.isEmpty ? 0 : 1)
