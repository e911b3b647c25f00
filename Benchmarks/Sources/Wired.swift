// Workloads wired to the real libraries: Tabular's CSVLoader, Learning's Trainer (MLP and
// `linear solver exact`), Tracking's Store (the calls the notebook's RunRecorder makes), and the
// `retune` executable itself (start to prompt through a pseudo-terminal).
import Foundation
import Learning
import Notebook
import Tabular
import Tracking

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Removes a SQLite store and its WAL / shared-memory files.
func removeStore(_ path: String) {
    for suffix in ["", "-wal", "-shm"] { _ = unlink(path + suffix) }
}

/// The backend a store path names, for result labels (`WAL` for SQLite files).
func storeLabel(_ path: String) -> String { PostgresURL.isPostgres(path) ? "PostgreSQL" : "WAL" }

/// `run_create` on SQLite, `run_create_pg` on PostgreSQL (separate rows in the table).
func storeWorkload(_ name: String, _ path: String) -> String { PostgresURL.isPostgres(path) ? name + "_pg" : name }

func fileSize(_ path: String) throws -> Int {
    var st = stat()
    guard stat(path, &st) == 0 else { throw BenchError.io(path: path, reason: "cannot stat: \(String(cString: strerror(errno)))") }
    return Int(st.st_size)
}

/// Current resident set size in MiB (from /proc/self/statm; 0 where unavailable).
func currentRSSMiB() -> Double {
    guard let f = fopen("/proc/self/statm", "r") else { return 0 }
    defer { fclose(f) }
    var size = 0, resident = 0
    guard withUnsafeMutablePointer(to: &size, { s in
        withUnsafeMutablePointer(to: &resident) { r in readStatm(f, s, r) }
    }) else { return 0 }
    return Double(resident) * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
}

private func readStatm(_ f: UnsafeMutablePointer<FILE>, _ s: UnsafeMutablePointer<Int>, _ r: UnsafeMutablePointer<Int>) -> Bool {
    var buf = [CChar](repeating: 0, count: 256)
    guard fgets(&buf, 256, f) != nil else { return false }
    let text = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    let parts = text.split(separator: " ")
    guard parts.count >= 2, let a = Int(parts[0]), let b = Int(parts[1]) else { return false }
    s.pointee = a; r.pointee = b
    return true
}

// MARK: - csv_load

func runCSVLoad(_ o: Options) throws {
    let path = o.values["path"] ?? "/tmp/retune-bench/csv_1000000x20.csv"
    let samples = try o.int("samples", 3, range: 1...100)
    let bytes = try fileSize(path)
    let baseline = currentRSSMiB()
    var rates: [Double] = []
    var rows = 0, cols = 0
    var types = ""
    for _ in 0..<samples {
        let t0 = now()
        let d = try CSVLoader.load(path: path, name: "bench")
        let dt = now() - t0
        rates.append(Double(bytes) / 1e6 / dt)
        rows = d.rowCount; cols = d.columns.count
        types = Set(d.columns.map(\.type.rawValue)).sorted().joined(separator: "+")
    }
    let float64MiB = Double(rows * cols * 8) / 1_048_576
    let peak = peakRSSMiB()
    ResultLine(workload: "csv_load", size: "\(rows)x\(cols)", median: median(rates), unit: "MB/s",
               kernel: "Tabular CSVLoader (mmap)", samples: rates,
               extras: [("bytes", .int(bytes)), ("column_types", .string(types)),
                        ("float64_columns_mib", .number((float64MiB * 10).rounded() / 10)),
                        ("baseline_rss_mb", .number((baseline * 10).rounded() / 10)),
                        ("peak_over_float64", .number(((peak / max(float64MiB, 1e-9)) * 100).rounded() / 100))]).print()
}

// MARK: - trainer_mlp

/// The shared MLP bytes as a Dataset: columns x0…x31 (float) and target y.
func mlpDataset(_ data: MLPData) -> Dataset {
    var columns: [Column] = []
    columns.reserveCapacity(data.dim + 1)
    for j in 0..<data.dim {
        var v = [Double](repeating: 0, count: data.rows)
        for r in 0..<data.rows { v[r] = Double(data.x[r &* data.dim &+ j]) }
        columns.append(.numeric("x\(j)", v))
    }
    columns.append(.numeric("y", data.y.map { Double($0) }))
    return Dataset(name: "mlp_data", columns: columns, target: "y")
}

final class EpochClock {
    var stamps: [Double] = []
}

func runTrainerMLP(_ o: Options) throws {
    let epochs = try o.int("epochs", 6, range: 2...1000)
    let batch = try o.int("batch", 256, range: 1...1_000_000)
    let threads = try o.int("threads", 1, range: 1...TrainOptions.maxThreads)
    let data: MLPData
    var source: String
    if let rows = o.values["synthetic"] {
        guard let r = Int(rows), r > 0 else { throw BenchError.badValue(option: "--synthetic", value: rows) }
        data = .synthetic(rows: r); source = "synthetic"
    } else {
        let path = o.values["data"] ?? env("MLP_DATA") ?? "/tmp/anchors/mlp_data.bin"
        data = try .read(path: path); source = path
    }
    let dataset = mlpDataset(data)
    let spec = ModelSpec(name: "bench", family: .mlp, target: "y", hidden: [64, 64], activation: .relu, task: .regression)
    let options = TrainOptions(optimizer: .adam, epochs: epochs, lr: 1e-3, batch: batch, seed: 0, threads: threads)
    let clock = EpochClock()
    var firstBatchAt = 0.0
    let control = TrainingControl(onEpoch: { _ in clock.stamps.append(now()) },
                                  onProgress: { p in if p.epoch == 1 && p.batch == 1 { firstBatchAt = now() } })
    let t0 = now()
    let result = try Trainer.train(spec: spec, data: dataset, options: options, control: control)
    let total = now() - t0
    guard clock.stamps.count == epochs else {
        throw BenchError.usage("trainer stopped after \(clock.stamps.count) of \(epochs) epochs (\(result.status))")
    }
    // Epochs 2…E: the time between successive end-of-epoch callbacks (epoch 1 also carries
    // the first-batch warm-up, so it is reported separately).
    var rates: [Double] = []
    for i in 1..<clock.stamps.count { rates.append(Double(data.rows) / (clock.stamps[i] - clock.stamps[i - 1])) }
    let first = Double(data.rows) / max(clock.stamps[0] - firstBatchAt, 1e-9)
    ResultLine(workload: threads == 1 ? "trainer_mlp" : "trainer_mlp_\(threads)t", size: "\(data.rows)x\(data.dim) \(data.dim)-64-64-1 b\(batch)",
               median: median(rates), unit: "rows/s", kernel: GEMM.kernelName, samples: rates,
               extras: [("epoch1_rows_per_s_after_first_batch", .number(first)),
                        ("train_call_seconds", .number(total)),
                        ("final_train_loss", .number(result.curve.last?.trainLoss ?? .nan)),
                        ("train_rmse", .number(result.trainMetrics["rmse"] ?? .nan)),
                        ("threads", .number(Double(threads))),
                        ("data", .string(source))]).print()
}

// MARK: - ols

/// OLS_DATA: raw little-endian float32 X (rows × 32) then y, as written by peers/ols.py.
func olsDataset(path: String, dim: Int = 32) throws -> Dataset {
    let raw = try MLPData.read(path: path, dim: dim)
    return mlpDataset(raw)
}

func runOLS(_ o: Options) throws {
    let samples = try o.int("samples", 3, range: 1...100)
    let dataset: Dataset
    var source: String
    if let rows = o.values["synthetic"] {
        guard let r = Int(rows), r > 0 else { throw BenchError.badValue(option: "--synthetic", value: rows) }
        dataset = mlpDataset(.synthetic(rows: r)); source = "synthetic"
    } else {
        let path = o.values["data"] ?? env("OLS_DATA") ?? "/tmp/retune-bench/ols_1000000x32.bin"
        dataset = try olsDataset(path: path); source = path
    }
    let spec = ModelSpec(name: "ols", family: .linear, target: "y", solver: .exact)
    var times: [Double] = []
    var intercept = Double.nan
    var rmse = Double.nan
    for _ in 0..<samples {
        let t0 = now()
        let r = try Trainer.train(spec: spec, data: dataset, options: TrainOptions())
        times.append(now() - t0)
        rmse = r.trainMetrics["rmse"] ?? .nan
        intercept = r.model.layers.first?.bias.first ?? .nan
    }
    ResultLine(workload: "ols", size: "\(dataset.rowCount)x\(dataset.columns.count - 1)", median: median(times), unit: "s",
               kernel: "float64 closed form (Trainer.train linear solver exact: standardise + solve + train metrics)",
               samples: times,
               extras: [("train_rmse", .number(rmse)), ("intercept_standardised", .number(intercept)),
                        ("data", .string(source))]).print()
}

// MARK: - store workloads (the calls Notebook's RunRecorder makes)

func benchEnvironment() -> RunEnvironment {
    RunEnvironment.current(retuneVersion: "bench", backend: GEMM.kernelName.split(separator: " ").first.map(String.init) ?? "",
                           kernel: GEMM.kernelName, threads: 1)
}

let learningRates = ["0.1", "0.01", "0.001"]

/// One run as `train` records it: `beginRun` (5 parameters; one transaction) then `finishRun`
/// (3 final metrics and cost; one transaction) — the Tracking calls Notebook's RunRecorder makes.
func recordRun(_ store: Store, _ i: Int, env: RunEnvironment, rng: inout SplitMix64) throws -> Int64 {
    let id = try store.beginRun(NewRun(kind: .train, model: "bench", seed: i, command: "train bench on data",
                                       params: benchParams(i), environment: env))
    try store.finishRun(id, status: .finished, finalMetrics: benchMetrics(&rng),
                        cost: RunCost(wallSeconds: 0.01, examples: 1000, flops: 1e6))
    return id
}

func benchParams(_ i: Int) -> [String: String] {
    ["lr": learningRates[i % 3], "batch": String(32 * (1 + i % 4)), "hidden": "64", "optimizer": "adam", "seed": String(i)]
}

func benchMetrics(_ rng: inout SplitMix64) -> [String: Double] {
    ["rmse": Double(rng.unitFloat()), "mae": Double(rng.unitFloat()), "r2": Double(rng.unitFloat())]
}

/// A notebook session (output discarded) on a fresh store at `path`.
func benchSession(_ path: String) -> Session {
    removeStore(path)
    return Session(output: CapturedOutput(), storePath: path)
}

/// Runs created through the notebook's own write path: `RunRecorder` (begin: one transaction
/// with 5 parameters; finish: one transaction with 3 final metrics and cost).
func runRunCreate(_ o: Options) throws {
    let runs = try o.int("runs", 10_000)
    let samples = try o.int("samples", 1, range: 1...100)
    let path = o.values["store"] ?? "/tmp/retune-bench/run_create.db"
    var rates: [Double] = []
    for _ in 0..<samples {
        let session = benchSession(path)
        _ = try session.store()  // opened and migrated before timing, as at the prompt
        var rng = SplitMix64(seed: 7)
        let t0 = now()
        for i in 0..<runs {
            let rec = try RunRecorder(session: session, invocation: nil, kind: "train", model: "bench", seed: i,
                                      params: benchParams(i))
            try rec.finish(.finished, metrics: benchMetrics(&rng), cost: RunCost(wallSeconds: 0.01, examples: 1000, flops: 1e6))
        }
        rates.append(Double(runs) / (now() - t0))
        session.close()
    }
    ResultLine(workload: storeWorkload("run_create", path), size: "\(runs) runs", median: median(rates), unit: "runs/s",
               kernel: "Notebook RunRecorder: beginRun(5 params) + finish(3 metrics), a transaction each, " + storeLabel(path),
               samples: rates).print()
}

/// Metric points through `RunRecorder.epoch` (Tracking `logEpoch`: one transaction per epoch).
func runMetricPoints(_ o: Options) throws {
    let points = try o.int("points", 1_000_000)
    let keys = try o.int("keys", 10, range: 1...1000)
    let runs = try o.int("runs", 10, range: 1...1_000_000)
    let path = o.values["store"] ?? "/tmp/retune-bench/metric_points.db"
    let epochs = max(1, points / (keys * runs))
    let keyNames = ["train_loss", "valid_loss"] + (0..<max(0, keys - 2)).map { "valid_m\($0)" }
    let session = benchSession(path)
    _ = try session.store()
    var rng = SplitMix64(seed: 3)
    var recorders: [RunRecorder] = []
    for i in 0..<runs {
        recorders.append(try RunRecorder(session: session, invocation: nil, kind: "train", model: "bench", seed: i,
                                         params: ["lr": "0.01"]))
    }
    var perRun: [Double] = []
    var logged = 0
    var values: [String: Double] = [:]
    var elapsed = 0.0
    for rec in recorders {
        let r0 = now()
        for e in 1...epochs {
            for k in keyNames.prefix(keys) { values[k] = Double(rng.unitFloat()) }
            rec.epoch(step: e, values: values)
        }
        let dt = now() - r0
        elapsed += dt
        logged += epochs * keys
        perRun.append(Double(epochs * keys) / dt)
    }
    // RunRecorder.epoch ignores store errors (training must not stop): check every point landed.
    let stored = try recorders.reduce(0) { n, rec in
        try n + rec.store.curveKeys(rec.id).reduce(0) { m, key in try m + rec.store.curve(rec.id, key: key).count }
    }
    guard stored == logged else { throw BenchError.usage("metric_points: \(stored) of \(logged) points stored") }
    for rec in recorders { try rec.finish(.finished) }
    session.close()
    ResultLine(workload: storeWorkload("metric_points", path), size: "\(logged) points (\(runs) runs x \(epochs) epochs x \(keys) keys)",
               median: Double(logged) / elapsed, unit: "points/s",
               kernel: "Notebook RunRecorder.epoch -> logEpoch: one transaction per epoch, " + storeLabel(path),
               samples: perRun, extras: [("transactions", .int(runs * epochs))]).print()
}

func runRunsWhere(_ o: Options) throws {
    let runs = try o.int("runs", 100_000)
    let reps = try o.int("samples", 21, range: 1...1000)
    let path = o.values["store"] ?? "/tmp/retune-bench/runs_\(runs).db"
    let env = benchEnvironment()
    // The store is built once (through the same write path) and reused by later rounds.
    var store: Store? = nil
    var built = 0.0
    if let s = try? Store(path: path), let n = try? s.runIDs(RunQuery()).count, n == runs {
        store = s
    } else {
        removeStore(path)
        let s = try Store(path: path)
        var rng = SplitMix64(seed: 11)
        let t0 = now()
        for i in 0..<runs { _ = try recordRun(s, i, env: env, rng: &rng) }
        built = now() - t0
        store = s
    }
    guard let store else { throw BenchError.io(path: path, reason: "store could not be opened") }
    // runs where metric.rmse < 0.5 and param.lr = 0.01 order by metric.rmse limit 10
    let query = RunQuery(filter: .and(.compare(.metric("rmse"), .lt, .number(0.5)),
                                      .compare(.param("lr"), .eq, .number(0.01))),
                         order: [RunOrder(.metric("rmse"))], limit: 10)
    var rows = try store.runs(query)
    var ms: [Double] = []
    for _ in 0..<reps {
        let t0 = now()
        rows = try store.runs(query)
        ms.append((now() - t0) * 1000)
    }
    let values = rows.compactMap { $0.metrics["rmse"] }
    guard rows.count == 10, values.count == 10, values == values.sorted(), values.allSatisfy({ $0 < 0.5 }),
          rows.allSatisfy({ $0.params["lr"] == "0.01" }) else {
        throw BenchError.usage("runs_where: unexpected result (\(rows.count) rows, rmse \(values))")
    }
    ResultLine(workload: "runs_where", size: "\(runs) runs", median: median(ms), unit: "ms",
               kernel: "Tracking RunQuery -> parameterised SQL (GRDB)", samples: ms,
               extras: [("query", .string("runs where metric.rmse < 0.5 and param.lr = 0.01 order by metric.rmse limit 10")),
                        ("store_build_seconds", .number(built))]).print()
    // A filter on a parameter alone: a walk of `runs` in id order that probes each run's
    // parameter through the params primary key and stops at the limit (FilterCompiler.idOrderPlan).
    let paramQuery = RunQuery(filter: .compare(.param("lr"), .eq, .number(0.01)), limit: 10)
    var paramRows = try store.runs(paramQuery)
    var paramMS: [Double] = []
    for _ in 0..<reps {
        let t0 = now()
        paramRows = try store.runs(paramQuery)
        paramMS.append((now() - t0) * 1000)
    }
    guard paramRows.count == 10, paramRows.allSatisfy({ $0.params["lr"] == "0.01" }) else {
        throw BenchError.usage("runs_where param: unexpected result (\(paramRows.count) rows)")
    }
    ResultLine(workload: "runs_where_param", size: "\(runs) runs", median: median(paramMS), unit: "ms",
               kernel: "Tracking RunQuery -> parameterised SQL (GRDB)", samples: paramMS,
               extras: [("query", .string("runs where param.lr = 0.01 limit 10"))]).print()
    // Its worst case: no run matches, so the walk reads every run before it can answer.
    let rareQuery = RunQuery(filter: .compare(.param("lr"), .eq, .number(0.5)), limit: 10)
    var rareRows = try store.runs(rareQuery)
    var rareMS: [Double] = []
    for _ in 0..<max(3, reps / 3) {
        let t0 = now()
        rareRows = try store.runs(rareQuery)
        rareMS.append((now() - t0) * 1000)
    }
    guard rareRows.isEmpty else {
        throw BenchError.usage("runs_where param (no match): unexpected result (\(rareRows.count) rows)")
    }
    ResultLine(workload: "runs_where_param_none", size: "\(runs) runs", median: median(rareMS), unit: "ms",
               kernel: "Tracking RunQuery -> parameterised SQL (GRDB)", samples: rareMS,
               extras: [("query", .string("runs where param.lr = 0.5 limit 10 (no run matches)"))]).print()
}

// MARK: - start_to_prompt

/// Spawns `retune` on a pseudo-terminal and measures the time until its first prompt `[1]> `
/// appears, then ends it with Ctrl-D. Falls back to the wall time of `retune -c ""` when no
/// pseudo-terminal can be opened (the result line says which).
func runStartToPrompt(_ o: Options) throws {
    let samples = try o.int("samples", 7, range: 1...1000)
    let exe = o.values["retune"] ?? {
        let me = CommandLine.arguments[0]
        if let slash = me.lastIndex(of: "/") { return String(me[..<slash]) + "/retune" }
        return "retune"
    }()
    guard access(exe, X_OK) == 0 else { throw BenchError.io(path: exe, reason: "not an executable (build the retune product)") }
    let dir = o.values["dir"] ?? "/tmp/retune-bench/start"
    mkdir(dir, 0o755)
    let storePath = dir + "/start.db"
    removeStore(storePath)
    var times: [Double] = []
    var method = "pty: spawn -> \"[1]> \" printed"
    for i in 0..<(samples + 1) {
        let t: Double
        if let p = try? ptyStart(exe: exe, store: storePath, home: dir) {
            t = p
        } else {
            method = "no pty: wall time of `retune -c \"\"`"
            t = try wallTime(exe: exe, args: ["-c", "", "--store", storePath], home: dir)
        }
        if i > 0 { times.append(t * 1000) }  // the first start (store creation, page cache) is a warm-up
    }
    ResultLine(workload: "start_to_prompt", size: "retune REPL (existing store)", median: median(times), unit: "ms",
               kernel: method, samples: times).print()
}

func spawn(exe: String, args: [String], home: String, fd: Int32?) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    if let fd {
        for target: Int32 in [0, 1, 2] { posix_spawn_file_actions_adddup2(&actions, fd, target) }
    } else {
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    }
    let argv: [UnsafeMutablePointer<CChar>?] = ([exe] + args).map { strdup($0) } + [nil]
    var envStrings = ["HOME=\(home)", "TERM=xterm", "NO_COLOR=1", "PATH=/usr/bin:/bin"]
    for key in ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "LD_LIBRARY_PATH"] {
        if let v = env(key) { envStrings.append("\(key)=\(v)") }
    }
    let envp: [UnsafeMutablePointer<CChar>?] = envStrings.map { strdup($0) } + [nil]
    defer { for p in argv + envp { free(p) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, exe, &actions, nil, argv, envp)
    guard rc == 0 else { throw BenchError.io(path: exe, reason: "posix_spawn failed: \(String(cString: strerror(rc)))") }
    return pid
}

/// posix_openpt / grantpt / unlockpt / ptsname are not exported by Swift's Glibc module (they
/// need _XOPEN_SOURCE): look them up in the C library at run time.
struct PtyFunctions {
    typealias OpenPT = @convention(c) (Int32) -> Int32
    typealias FdCall = @convention(c) (Int32) -> Int32
    typealias PtsName = @convention(c) (Int32, UnsafeMutablePointer<CChar>?, Int) -> Int32
    let openpt: OpenPT, grant: FdCall, unlock: FdCall, ptsname: PtsName

    init?() {
        guard let h = dlopen(nil, RTLD_NOW),
              let a = dlsym(h, "posix_openpt"), let b = dlsym(h, "grantpt"),
              let c = dlsym(h, "unlockpt"), let d = dlsym(h, "ptsname_r") else { return nil }
        openpt = unsafeBitCast(a, to: OpenPT.self)
        grant = unsafeBitCast(b, to: FdCall.self)
        unlock = unsafeBitCast(c, to: FdCall.self)
        ptsname = unsafeBitCast(d, to: PtsName.self)
    }
}

func ptyStart(exe: String, store: String, home: String) throws -> Double {
    guard let pt = PtyFunctions() else { throw BenchError.io(path: "libc", reason: "no posix_openpt") }
    let master = pt.openpt(O_RDWR | O_NOCTTY)
    var nameBuf = [CChar](repeating: 0, count: 128)
    guard master >= 0, pt.grant(master) == 0, pt.unlock(master) == 0, pt.ptsname(master, &nameBuf, 128) == 0 else {
        throw BenchError.io(path: "/dev/ptmx", reason: "no pseudo-terminal")
    }
    let name = String(decoding: nameBuf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    defer { close(master) }
    let slave = open(name, O_RDWR | O_NOCTTY)
    guard slave >= 0 else { throw BenchError.io(path: "pts", reason: "cannot open the pseudo-terminal") }
    let t0 = now()
    let pid = try spawn(exe: exe, args: ["--store", store], home: home, fd: slave)
    close(slave)
    var seen: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 4096)
    let prompt = Array("[1]> ".utf8)
    var found = 0.0
    let deadline = t0 + 30
    while now() < deadline {
        var pfd = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
        let r = poll(&pfd, 1, 100)
        if r <= 0 { continue }
        let n = read(master, &buf, buf.count)
        if n <= 0 { break }
        seen.append(contentsOf: buf[0..<n])
        if seen.count >= prompt.count, contains(seen, prompt) { found = now() - t0; break }
    }
    // Ctrl-D ends the REPL; reap the child.
    var eot: UInt8 = 4
    _ = write(master, &eot, 1)
    var status: Int32 = 0
    let waitDeadline = now() + 5
    while waitpid(pid, &status, WNOHANG) == 0 {
        if now() > waitDeadline { kill(pid, SIGKILL); waitpid(pid, &status, 0); break }
        // Drain output so the child never blocks on a full pty buffer.
        var pfd = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
        if poll(&pfd, 1, 10) > 0 { _ = read(master, &buf, buf.count) }
    }
    guard found > 0 else {
        throw BenchError.io(path: exe, reason: "no prompt within 30 s; output: \(String(decoding: seen.suffix(200), as: UTF8.self))")
    }
    return found
}

func contains(_ hay: [UInt8], _ needle: [UInt8]) -> Bool {
    guard hay.count >= needle.count else { return false }
    for i in 0...(hay.count - needle.count) where hay[i] == needle[0] {
        if Array(hay[i..<(i + needle.count)]) == needle { return true }
    }
    return false
}

func wallTime(exe: String, args: [String], home: String) throws -> Double {
    let t0 = now()
    let pid = try spawn(exe: exe, args: args, home: home, fd: nil)
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    return now() - t0
}

// MARK: - barrier

/// Cost of the trainer's synchronisation: one round = the two tasks of a threaded batch
/// (`WorkerTeam.run` twice, `threads` items each). With `--work NS` every item is busy for NS
/// ns and the figure is the overhead per round beyond 2 × NS (the hand-offs, wake-ups and
/// waits of a batch); with `--work 0` it is the cost of two empty tasks.
func runBarrier(_ o: Options) throws {
    let threads = try o.int("threads", 2, range: 2...TrainOptions.maxThreads)
    let rounds = try o.int("rounds", 20000, range: 1...100_000_000)
    let spins = try o.int("spins", -1, range: -1...100_000_000)
    let work = try o.int("work", 20000, range: 0...100_000_000)
    let count = try o.int("samples", 7, range: 1...1000)
    var samples: [Double] = []
    for _ in 0..<count {
        let s = try BarrierProbe.secondsPerRound(threads: threads, rounds: rounds, spins: spins < 0 ? nil : spins, itemNanos: work)
        samples.append(s * 1e9 - 2 * Double(work))
    }
    ResultLine(workload: "barrier", size: "\(threads) threads, 2 tasks/round, items \(work) ns\(spins < 0 ? "" : ", spins \(spins)")",
               median: median(samples), unit: "ns", kernel: GEMM.kernelName, samples: samples, extras: []).print()
}
