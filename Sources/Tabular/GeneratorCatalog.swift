extension Generators {
    /// Options each generator accepts (besides `rows` and `seed`), with their defaults.
    public static let options: [String: [(name: String, defaultValue: Double)]] = [
        "housing": [("year", 2019)],
        "churn": [("shift", 0)],
        "sensors": [("drift", 0), ("extra", 0)],
    ]

    /// Runtime help text for `help generate` (the same formulas as the doc comments).
    public static let documentation: [String: String] = [
        "housing": """
        housing [year Y]  — house sales → price (regression; target price, time sold_at)
          t = Y − 2019; columns sold_at (date in year Y), sqft, rooms, age, distance_km, neighbourhood, price
          neighbourhood centre/inner/suburb/rural, weights (.15−.01t, .30−.01t, .35+.01t, .20+.01t)
          distance_km ~ U(0.2,3) / U(2,8) / U(6,20) / U(15,45) by neighbourhood
          sqft = max(300, N(1400 + 60t + 200·[suburb|rural], 450));  rooms = clamp(round(sqft/400 + N(0,.7)), 1, 8)
          age = min(120, round(Exp(mean 30 + 2t)))
          price = 1.06^t·(80000 + 150·sqft + 10000·rooms − 500·age − (15000 − 2000t)·√distance
                  + 150·sqft·exp(−distance/4) + premium) + N(0, 25000·1.06^t)
          premium centre 60000, inner 30000, suburb 0, rural −20000
          Later years: prices inflate 6 %/year, distance costs less, houses move outwards.
        """,
        "churn": """
        churn [shift S]  — customers → churned (binary; target churned)
          contract monthly/annual/two_year (.55/.25/.20), tenure_months U{1..72},
          monthly_charges N(65,20) in [15,130], support_calls Poisson(1.5), usage_gb Exp(40), age U{18..80}
          logit = −1.2 + .9·[monthly] − .8·[two_year] − .035·tenure + .025·(charges − 65)
                  + .35·calls − .012·usage + 1.2·[calls > 3 and tenure < 12]
          shift S: label shift — odds of churning × e^S with P(x | churned) unchanged (class-wise rejection)
        """,
        "sensors": """
        sensors [drift D] [extra 1]  — hourly readings → output (regression; target output, time timestamp)
          row i of n: τ = i/(n−1), h = i mod 24, hourly from 2024-01-01T00:00:00
          temperature = 20 + 8·sin(2πh/24) + N(0,2); humidity U(30,70); load U(0,100)
          vibration = .02·load + N(0,.5); pressure = N(1013, 8) (a column only with extra 1)
          output = 50 + (2 + 1.5·D·τ)·temperature − (.3 − .2·D·τ)·humidity + .8·load
                   + 4·vibration² + 1.2·(pressure − 1013) + N(0,2)
          D: gradual concept drift across the batch; pressure always matters, so adding it helps.
        """,
    ]

    /// Runs a generator by name; `options` are checked against `Generators.options`.
    public static func generate(kind: String, rows: Int, seed: UInt64, options given: [String: Double] = [:],
                                name: String) throws -> Dataset {
        guard let accepted = options[kind] else {
            throw TabularError.invalidArgument("unknown generator '\(kind)' (generators: \(kinds.joined(separator: ", ")))")
        }
        guard rows > 0, rows <= 50_000_000 else {
            throw TabularError.invalidArgument("generate: rows must be between 1 and 50000000, got \(rows)")
        }
        let names = Set(accepted.map(\.name))
        for key in given.keys.sorted() where !names.contains(key) {
            let list = accepted.map(\.name).joined(separator: ", ")
            throw TabularError.invalidArgument("generate \(kind): unknown option '\(key)' (options: \(list.isEmpty ? "none" : list))")
        }
        func value(_ k: String) -> Double { given[k] ?? accepted.first { $0.name == k }?.defaultValue ?? 0 }
        var d: Dataset
        switch kind {
        case "housing":
            let y = value("year")
            guard y == y.rounded(), y >= 1900, y <= 2200 else {
                throw TabularError.invalidArgument("generate housing: year must be a whole year between 1900 and 2200, got \(y)")
            }
            d = housing(rows: rows, seed: seed, year: Int(y))
        case "churn":
            let s = value("shift")
            guard s.isFinite, abs(s) <= 10 else {
                throw TabularError.invalidArgument("generate churn: shift must be between −10 and 10, got \(s)")
            }
            d = churn(rows: rows, seed: seed, shift: s)
        default:
            let dr = value("drift")
            guard dr.isFinite, abs(dr) <= 100 else {
                throw TabularError.invalidArgument("generate sensors: drift must be between −100 and 100, got \(dr)")
            }
            d = sensors(rows: rows, seed: seed, drift: dr, extraFeature: value("extra") != 0)
        }
        d.name = name
        return d
    }
}
