#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Built-in synthetic datasets that drift in controlled ways, deterministic per seed
/// (`SeededRandom`). Shown by `help generate`.
public enum Generators {
    /// Kinds understood by `generate`.
    public static let kinds = ["housing", "churn", "sensors"]

    /// `housing`: house sales in one year → `price` (regression; target `price`, time `sold_at`).
    ///
    /// With t = year − 2019, per row:
    /// - `neighbourhood` ∈ centre/inner/suburb/rural with weights
    ///   (0.15 − 0.01t, 0.30 − 0.01t, 0.35 + 0.01t, 0.20 + 0.01t) (floored at 0.02);
    /// - `distance_km` ~ U(0.2, 3) / U(2, 8) / U(6, 20) / U(15, 45) by neighbourhood;
    /// - `sqft` = max(300, N(1400 + 60t + 200·[suburb or rural], 450)), rounded;
    /// - `rooms` = clamp(round(sqft/400 + N(0, 0.7)), 1, 8);
    /// - `age` = min(120, round(Exp(mean 30 + 2t)));
    /// - `sold_at` = a uniform day of the year;
    /// - `price` = 1.06^t · (80 000 + 150·sqft + 10 000·rooms − 500·age
    ///   − (15 000 − 2 000t)·√distance_km + 150·sqft·exp(−distance_km/4)
    ///   + premium[neighbourhood]) + N(0, 25 000·1.06^t), with premium centre 60 000,
    ///   inner 30 000, suburb 0, rural −20 000.
    ///
    /// Prices inflate 6 % a year, the price of distance falls (remote work), covariates move
    /// outwards and the `sqft × exp(−distance/4)` interaction and `√distance` term make the
    /// target nonlinear — a model fitted on 2019 degrades on 2023, and an MLP can beat a linear fit.
    public static func housing(rows: Int, seed: UInt64, year: Int = 2019) -> Dataset {
        var rng = SeededRandom(seed: seed)
        let t = Double(year - 2019)
        let names = ["centre", "inner", "suburb", "rural"]
        var weights = [0.15 - 0.01 * t, 0.30 - 0.01 * t, 0.35 + 0.01 * t, 0.20 + 0.01 * t].map { Swift.max($0, 0.02) }
        let total = weights.reduce(0, +)
        weights = weights.map { $0 / total }
        let ranges: [(Double, Double)] = [(0.2, 3), (2, 8), (6, 20), (15, 45)]
        let premium = [60_000.0, 30_000, 0, -20_000]
        let inflation = pow(1.06, t)
        let yearStart = Double(ISODate.daysFromCivil(year: year, month: 1, day: 1))
        let daysInYear = Double(ISODate.daysFromCivil(year: year + 1, month: 1, day: 1)) - yearStart
        var soldAt = [Double](), sqft = [Double](), rooms = [Double](), age = [Double](), distance = [Double]()
        var hood = [Int32](), price = [Double]()
        for _ in 0..<Swift.max(rows, 0) {
            let u = rng.nextDouble()
            var k = 0, acc = weights[0]
            while u >= acc && k < 3 { k += 1; acc += weights[k] }
            let d = rng.nextDouble(in: ranges[k].0, ranges[k].1)
            let s = Swift.max(300, rng.nextGaussian(mean: 1400 + 60 * t + (k >= 2 ? 200 : 0), std: 450)).rounded()
            let r = Swift.min(8, Swift.max(1, (s / 400 + rng.nextGaussian(mean: 0, std: 0.7)).rounded()))
            let a = Swift.min(120, rng.nextExponential(mean: 30 + 2 * t).rounded())
            let day = (rng.nextDouble() * daysInYear).rounded(.down)
            let base = 80_000 + 150 * s + 10_000 * r - 500 * a - (15_000 - 2_000 * t) * d.squareRoot()
                + 150 * s * exp(-d / 4) + premium[k]
            let p = inflation * base + rng.nextGaussian(mean: 0, std: 25_000 * inflation)
            soldAt.append((yearStart + day) * 86_400)
            sqft.append(s); rooms.append(r); age.append(a)
            distance.append((d * 100).rounded() / 100)
            hood.append(Int32(k))
            price.append(p.rounded())
        }
        return Dataset(name: "housing", columns: [
            Column.numeric("sold_at", soldAt, type: .date),
            Column.numeric("sqft", sqft, type: .integer),
            Column.numeric("rooms", rooms, type: .integer),
            Column.numeric("age", age, type: .integer),
            Column.numeric("distance_km", distance, type: .float),
            Column.categorical("neighbourhood", codes: hood, levels: names),
            Column.numeric("price", price, type: .float),
        ], target: "price", time: "sold_at",
           provenance: Provenance(operation: "generate", detail: "housing rows \(rows) seed \(seed) year \(year)"))
    }

    /// `churn`: customers → `churned` (binary classification; target `churned`).
    ///
    /// Per row: `contract` ∈ monthly/annual/two_year (0.55/0.25/0.20); `tenure_months` ~
    /// U{1…72}; `monthly_charges` = N(65, 20) clamped to [15, 130]; `support_calls` ~
    /// Poisson(1.5); `usage_gb` = Exp(mean 40); `age` ~ U{18…80}. Log-odds of churning:
    /// −1.2 + 0.9·[monthly] − 0.8·[two_year] − 0.035·tenure + 0.025·(charges − 65)
    /// + 0.35·calls − 0.012·usage + 1.2·[calls > 3 and tenure < 12].
    ///
    /// `shift S` is pure label shift: rows are drawn from the model above and accepted by
    /// class (S > 0 keeps every churner and a non-churner with probability e^−S; S < 0 the
    /// reverse), so P(x | churned) is unchanged while the odds of churning are multiplied by e^S.
    public static func churn(rows: Int, seed: UInt64, shift: Double = 0) -> Dataset {
        var rng = SeededRandom(seed: seed)
        let contracts = ["monthly", "annual", "two_year"]
        var contract = [Int32](), tenure = [Double](), charges = [Double](), calls = [Double]()
        var usage = [Double](), age = [Double](), churned = [Double]()
        let keep1 = shift < 0 ? exp(shift) : 1.0, keep0 = shift > 0 ? exp(-shift) : 1.0
        var produced = 0
        var attempts = 0
        while produced < rows && attempts < Swift.min(rows, Int.max / 2000) * 1000 + 1000 {
            attempts += 1
            let u = rng.nextDouble()
            let c = u < 0.55 ? 0 : (u < 0.80 ? 1 : 2)
            let ten = Double(1 + rng.nextInt(below: 72))
            let ch = Swift.min(130, Swift.max(15, rng.nextGaussian(mean: 65, std: 20)))
            let calls0 = Double(rng.nextPoisson(mean: 1.5))
            let use = rng.nextExponential(mean: 40)
            let ag = Double(18 + rng.nextInt(below: 63))
            var logit = -1.2 + (c == 0 ? 0.9 : 0) - (c == 2 ? 0.8 : 0) - 0.035 * ten + 0.025 * (ch - 65)
            logit += 0.35 * calls0 - 0.012 * use + ((calls0 > 3 && ten < 12) ? 1.2 : 0)
            let y = rng.nextDouble() < 1 / (1 + exp(-logit)) ? 1.0 : 0.0
            let accept = rng.nextDouble() < (y == 1 ? keep1 : keep0)
            if !accept { continue }
            contract.append(Int32(c)); tenure.append(ten); charges.append((ch * 100).rounded() / 100)
            calls.append(calls0); usage.append((use * 10).rounded() / 10); age.append(ag); churned.append(y)
            produced += 1
        }
        return Dataset(name: "churn", columns: [
            Column.categorical("contract", codes: contract, levels: contracts),
            Column.numeric("tenure_months", tenure, type: .integer),
            Column.numeric("monthly_charges", charges, type: .float),
            Column.numeric("support_calls", calls, type: .integer),
            Column.numeric("usage_gb", usage, type: .float),
            Column.numeric("age", age, type: .integer),
            Column.numeric("churned", churned, type: .boolean),
        ], target: "churned",
           provenance: Provenance(operation: "generate", detail: "churn rows \(rows) seed \(seed) shift \(shift)"))
    }

    /// `sensors`: hourly machine readings → `output` (regression over time; target `output`,
    /// time `timestamp`, hourly from 2024-01-01T00:00:00).
    ///
    /// Row i of n has τ = i/(n − 1) and hour h = i mod 24: `temperature` = 20 + 8·sin(2πh/24)
    /// + N(0, 2); `humidity` ~ U(30, 70); `load` ~ U(0, 100); `vibration` = 0.02·load + N(0, 0.5);
    /// a hidden `pressure` = N(1013, 8). Target:
    /// `output` = 50 + (2 + 1.5·drift·τ)·temperature − (0.3 − 0.2·drift·τ)·humidity
    /// + 0.8·load + 4·vibration² + 1.2·(pressure − 1013) + N(0, 2).
    ///
    /// `drift` sets how far the coefficients move by the end of the batch (gradual concept drift;
    /// 0 = none). `pressure` always drives the output but is only a column with `extraFeature`:
    /// old batches without it and new ones with it make the "new feature → retrain" case.
    public static func sensors(rows: Int, seed: UInt64, drift: Double = 0, extraFeature: Bool = false) -> Dataset {
        var rng = SeededRandom(seed: seed)
        let start = Double(ISODate.daysFromCivil(year: 2024, month: 1, day: 1)) * 86_400
        var ts = [Double](), temp = [Double](), hum = [Double](), load = [Double](), vib = [Double]()
        var pressure = [Double](), output = [Double]()
        let n = Swift.max(rows, 0)
        for i in 0..<n {
            let tau = n > 1 ? Double(i) / Double(n - 1) : 0
            let h = Double(i % 24)
            let te = 20 + 8 * sin(2 * Double.pi * h / 24) + rng.nextGaussian(mean: 0, std: 2)
            let hu = rng.nextDouble(in: 30, 70)
            let lo = rng.nextDouble(in: 0, 100)
            let vi = 0.02 * lo + rng.nextGaussian(mean: 0, std: 0.5)
            let pr = rng.nextGaussian(mean: 1013, std: 8)
            let y = 50 + (2 + 1.5 * drift * tau) * te - (0.3 - 0.2 * drift * tau) * hu + 0.8 * lo + 4 * vi * vi
                + 1.2 * (pr - 1013) + rng.nextGaussian(mean: 0, std: 2)
            ts.append(start + Double(i) * 3600)
            temp.append((te * 100).rounded() / 100); hum.append((hu * 100).rounded() / 100)
            load.append((lo * 100).rounded() / 100); vib.append((vi * 1000).rounded() / 1000)
            pressure.append((pr * 100).rounded() / 100); output.append((y * 100).rounded() / 100)
        }
        var columns = [
            Column.numeric("timestamp", ts, type: .datetime),
            Column.numeric("temperature", temp), Column.numeric("humidity", hum),
            Column.numeric("load", load), Column.numeric("vibration", vib),
        ]
        if extraFeature { columns.append(Column.numeric("pressure", pressure)) }
        columns.append(Column.numeric("output", output))
        return Dataset(name: "sensors", columns: columns, target: "output", time: "timestamp",
                       provenance: Provenance(operation: "generate",
                                              detail: "sensors rows \(rows) seed \(seed) drift \(drift)\(extraFeature ? " extra" : "")"))
    }
}
