// retune-bench: one subcommand per workload; each prints JSON result lines
// {"side":"retune","workload",…,"median","unit","kernel","peak_rss_mb","samples",…}.
// scripts/bench runs these alternately with the Python peers in Benchmarks/peers/.
import Learning

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

let usage = """
    retune-bench <workload> [options]
      list                                   the workload table (wired and TODO rows)
      info                                   matrix backend: kernel, OPENBLAS_CORETYPE decision, self-check
      gemm   [--smoke] [--samples 7] [--min-time 0.2]
      mlp    [--workers 1|2] [--epochs 5] [--batch 256] [--seed 0]
             [--data $MLP_DATA | --synthetic ROWS]
      csvgen [--rows 1000000] [--cols 20] [--seed 1] [--out PATH]
      csv_load [--path CSV] [--samples 3]        Tabular CSVLoader.load, MB/s + peak RSS
      trainer_mlp [--epochs 6] [--batch 256] [--threads 1] [--data $MLP_DATA | --synthetic ROWS]
                                             the real Trainer.train, rows/s per epoch (epochs 2…E);
                                             --threads N > 1 reports workload trainer_mlp_Nt
      barrier [--threads 2] [--rounds 20000] [--work 20000] [--spins N] [--samples 7]
                                             the trainer's synchronisation: overhead ns per batch
                                             (2 tasks of items busy --work ns each)
      ols    [--data $OLS_DATA | --synthetic ROWS] [--samples 3]   linear solver exact, seconds
      run_create [--runs 10000] [--store PATH]   beginRun(5 params) + finishRun(3 metrics), runs/s
      metric_points [--points 1000000] [--runs 10] [--keys 10] [--store PATH]
                                             logEpoch, one transaction per epoch, points/s
      runs_where [--runs 100000] [--samples 21] [--store PATH]   RunQuery latency, ms
      start_to_prompt [--retune PATH] [--samples 7]   spawn on a pty -> first prompt, ms
    """

struct Options {
    var values: [String: String] = [:]
    var flags: Set<String> = []

    init(_ args: ArraySlice<String>, flags known: Set<String>) throws {
        var it = args.makeIterator()
        while let a = it.next() {
            guard a.hasPrefix("--") else { throw BenchError.usage("unexpected argument '\(a)'\n\(usage)") }
            let key = String(a.dropFirst(2))
            if known.contains(key) {
                flags.insert(key)
            } else {
                guard let v = it.next() else { throw BenchError.usage("\(a) needs a value\n\(usage)") }
                values[key] = v
            }
        }
    }

    func int(_ key: String, _ def: Int, range: ClosedRange<Int> = 1...Int.max) throws -> Int {
        guard let s = values[key] else { return def }
        guard let v = Int(s), range.contains(v) else { throw BenchError.badValue(option: "--\(key)", value: s) }
        return v
    }

    func double(_ key: String, _ def: Double) throws -> Double {
        guard let s = values[key] else { return def }
        guard let v = Double(s), v > 0, v.isFinite else { throw BenchError.badValue(option: "--\(key)", value: s) }
        return v
    }
}

func env(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

func runInfo() {
    let b = GEMM.backend
    // What the choice costs at start-up: a fresh load (OpenBLAS already mapped, the self-check
    // cases already built), self-checks and calibration included.
    let t0 = now()
    _ = GEMMBackend.load(environment: .process)
    let loadMs = (now() - t0) * 1000
    var extras: [(String, JSON)] = [
        ("coretype", .string(b.coretype?.description ?? "n/a")),
        ("env_OPENBLAS_CORETYPE", .string(env("OPENBLAS_CORETYPE") ?? "")),
        ("env_OPENBLAS_L2_SIZE", .string(env("OPENBLAS_L2_SIZE") ?? "")),
        ("threads", .int(b.threads)),
        ("self_check", .string(b.selfCheck.map { $0.passed ? "passed" : "FAILED: \($0.detail)" } ?? "n/a")),
    ]
    if let sc = b.selfCheck { extras.append(("self_check_max_scaled_error", .number(sc.maxScaledError))) }
    extras.append(("backend_choice_ms", .number(loadMs)))
    if let c = b.calibration {
        extras.append(("calibration", .string(c.detail)))
        extras.append(("calibration_own_us", .number(c.ownSeconds * 1e6)))
        extras.append(("calibration_openblas_us", .number(c.openBLASSeconds * 1e6)))
    }
    ResultLine(workload: "info", size: "-", median: .nan, unit: "-", kernel: b.name, samples: [],
               extras: extras).print()
}

func runGEMM(_ o: Options) throws {
    let smoke = o.flags.contains("smoke")
    let samples = try o.int("samples", smoke ? 3 : 7)
    let minTime = try o.double("min-time", smoke ? 0.005 : 0.2)
    // (M, K, N) as in the numpy peer.
    let shapes = smoke ? [(64, 32, 64), (128, 64, 64)]
        : [(256, 32, 64), (1024, 64, 64), (1024, 256, 256), (4096, 512, 512)]
    var rng = SplitMix64(seed: 0)
    for (m, k, n) in shapes {
        let a = (0..<(m * k)).map { _ in rng.unitFloat() * 2 - 1 }
        let b = (0..<(k * n)).map { _ in rng.unitFloat() * 2 - 1 }
        var c = [Float](repeating: 0, count: m * n)
        let flops = 2.0 * Double(m * n * k)
        var gfs: [Double] = []
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    guard let a0 = ap.baseAddress, let b0 = bp.baseAddress, let c0 = cp.baseAddress else { return }
                    func once() {
                        GEMM.sgemm(transA: false, transB: false, m: m, n: n, k: k, alpha: 1,
                                   a: a0, lda: k, b: b0, ldb: n, beta: 0, c: c0, ldc: n)
                    }
                    once()
                    let t0 = now(); once(); let one = now() - t0
                    let reps = max(1, Int(minTime / max(one, 1e-9)) + 1)
                    for _ in 0..<samples {
                        let s = now()
                        for _ in 0..<reps { once() }
                        gfs.append(flops * Double(reps) / (now() - s) / 1e9)
                    }
                }
            }
        }
        ResultLine(workload: "gemm", size: "\(m)x\(k)*\(k)x\(n)", median: median(gfs), unit: "GFLOP/s",
                   kernel: GEMM.kernelName, samples: gfs).print()
    }
}

func runMLP(_ o: Options) throws {
    let workers = try o.int("workers", 1, range: 1...16)
    let epochs = try o.int("epochs", 5, range: 1...1000)
    let batch = try o.int("batch", 256, range: 1...1_000_000)
    let seed = try o.int("seed", 0, range: 0...Int.max)
    let data: MLPData
    var source: String
    if let rows = o.values["synthetic"] {
        guard let r = Int(rows), r > 0 else { throw BenchError.badValue(option: "--synthetic", value: rows) }
        data = .synthetic(rows: r)
        source = "synthetic"
    } else {
        let path = o.values["data"] ?? env("MLP_DATA") ?? "/tmp/anchors/mlp_data.bin"
        data = try .read(path: path)
        source = path
    }
    let model = RawMLP(dim: data.dim, seed: UInt64(seed))
    var rates: [Double] = []
    var loss = 0.0
    for _ in 0..<epochs {
        let t0 = now()
        loss = model.epoch(data: data, batch: batch, workers: workers)
        rates.append(Double(data.rows) / (now() - t0))
    }
    ResultLine(workload: workers == 1 ? "mlp_epoch" : "mlp_epoch_\(workers)w",
               size: "\(data.rows)x\(data.dim) \(data.dim)-64-64-1 b\(batch)",
               median: median(rates), unit: "rows/s", kernel: GEMM.kernelName, samples: rates,
               extras: [("workers", .int(workers)), ("final_loss", .number(loss)),
                        ("data", .string(source))]).print()
}

func runCSVGen(_ o: Options) throws {
    let rows = try o.int("rows", 1_000_000)
    let cols = try o.int("cols", 20, range: 1...10_000)
    let seed = try o.int("seed", 1, range: 0...Int.max)
    let out = o.values["out"] ?? "/tmp/retune-bench/csv_\(rows)x\(cols).csv"
    let t0 = now()
    let (bytes, fnv) = try writeCSV(path: out, rows: rows, cols: cols, seed: UInt64(seed))
    let dt = now() - t0
    let mbs = Double(bytes) / 1e6 / dt
    ResultLine(workload: "csvgen", size: "\(rows)x\(cols)", median: mbs, unit: "MB/s",
               kernel: "-", samples: [mbs],
               extras: [("bytes", .int(bytes)), ("fnv1a64", .string(String(fnv, radix: 16))),
                        ("path", .string(out))]).print()
}

func runList() {
    for w in workloads {
        let status: String
        switch w.status {
        case .wired: status = "wired"
        case .todo(let needs): status = "TODO (needs \(needs))"
        }
        print("\(w.name.padding(16))\(status.padding(46))\(w.measures)  | peers: \(w.peers)")
    }
}

extension String {
    func padding(_ n: Int) -> String { count >= n ? self + " " : self + String(repeating: " ", count: n - count) }
}

func main() -> Int32 {
    let args = CommandLine.arguments.dropFirst()
    guard let cmd = args.first else {
        FileHandleErr.emit(usage + "\n")
        return 64
    }
    do {
        let rest = args.dropFirst()
        // Choose the backend (dlopen + self-check) before any timing starts.
        _ = GEMM.kernelName
        switch cmd {
        case "list": runList()
        case "info": runInfo()
        case "gemm": try runGEMM(Options(rest, flags: ["smoke"]))
        case "mlp": try runMLP(Options(rest, flags: []))
        case "csvgen": try runCSVGen(Options(rest, flags: []))
        case "csv_load": try runCSVLoad(Options(rest, flags: []))
        case "trainer_mlp": try runTrainerMLP(Options(rest, flags: []))
        case "barrier": try runBarrier(Options(rest, flags: []))
        case "ols": try runOLS(Options(rest, flags: []))
        case "run_create": try runRunCreate(Options(rest, flags: []))
        case "metric_points": try runMetricPoints(Options(rest, flags: []))
        case "runs_where": try runRunsWhere(Options(rest, flags: []))
        case "start_to_prompt": try runStartToPrompt(Options(rest, flags: []))
        case "advise_scenarios": try runAdviseScenarios(Options(rest, flags: ["detail"]))
        case "health_scenarios": try runHealthScenarios(Options(rest, flags: []))
        case "backtest_scenarios": try runBacktestScenarios(Options(rest, flags: ["detail"]))
        case "-h", "--help", "help": print(usage)
        default:
            if let w = workloads.first(where: { $0.name == cmd }), case .todo(let needs) = w.status {
                throw BenchError.notWired(workload: cmd, needs: needs)
            }
            throw BenchError.usage("unknown workload '\(cmd)'\n\(usage)")
        }
        return 0
    } catch let e as BenchError {
        FileHandleErr.emit("retune-bench: error: \(e.description)\n")
        if case .notWired = e { return 3 }
        return 64
    } catch {
        FileHandleErr.emit("retune-bench: error: \(error)\n")
        return 1
    }
}

enum FileHandleErr {
    static func emit(_ s: String) {
        fflush(nil)
        var s = s
        s.withUTF8 { u in _ = write(2, u.baseAddress, u.count) }
    }
}

exit(main())
