import Foundation
import Tabular
@testable import Learning

/// The shared reference datasets, loaded with the real CSV loader.
enum TestCSV {
    static var dataDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("sessions/data")
    }

    struct LoadError: Error, CustomStringConvertible { var description: String }

    static func load(_ file: String, target: String? = nil) throws -> Dataset {
        // The real loader, on the copies the sessions use (sessions/data, with their licences).
        try CSVLoader.load(path: dataDirectory.appendingPathComponent(file).path, name: file,
                           options: CSVOptions(target: target))
    }

    static func reference() throws -> [String: Any] {
        let data = try Data(contentsOf: dataDirectory.appendingPathComponent("reference.json"))
        guard let obj = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw LoadError(description: "reference.json is not an object")
        }
        return obj
    }
}

extension Dataset {
    func rows(_ idx: [Int]) -> Dataset { learningSubset(idx, name: "") }
    func rows(_ r: Range<Int>) -> Dataset { learningSubset(Array(r), name: "") }

    /// Concatenation of two datasets with the same columns (categorical levels must agree).
    func appending(_ other: Dataset) -> Dataset {
        var out = self
        for i in out.columns.indices {
            switch (out.columns[i].storage, other.columns[i].storage) {
            case (.numeric(let a), .numeric(let b)): out.columns[i].storage = .numeric(a + b)
            case (.decimal, _), (_, .decimal):
                out.columns[i].storage = .numeric((out.columns[i].doubles ?? []) + (other.columns[i].doubles ?? []))
            case (.categorical(let a, let l), .categorical(let b, _)): out.columns[i].storage = .categorical(codes: a + b, levels: l)
            default: break
            }
        }
        return out
    }
}

/// Deterministic synthetic data for tests.
enum Synthetic {
    /// y = sin(2·x1)·2 + x2² − x1·x2 + noise: nonlinear regression.
    static func nonlinear(rows: Int, seed: UInt64) -> Dataset {
        var rng = LearningRandom(seed: seed)
        var x1 = [Double](), x2 = [Double](), y = [Double]()
        for _ in 0..<rows {
            let a = rng.nextDouble() * 4 - 2, b = rng.nextDouble() * 4 - 2
            x1.append(a); x2.append(b)
            y.append(2 * sin(2 * a) + b * b - a * b + 0.05 * rng.nextGaussian())
        }
        return Dataset(name: "nonlinear", columns: [.numeric("x1", x1), .numeric("x2", x2), .numeric("y", y)], target: "y")
    }

    /// Linear regression data with a categorical column.
    static func linear(rows: Int, seed: UInt64, shift: Double = 0, levels: [String] = ["a", "b", "c"]) -> Dataset {
        var rng = LearningRandom(seed: seed)
        var x1 = [Double](), x2 = [Double](), cat = [Int32](), y = [Double]()
        for _ in 0..<rows {
            let a = rng.nextGaussian(), b = rng.nextGaussian()
            let c = Int32(rng.nextInt(below: levels.count))
            x1.append(a); x2.append(b); cat.append(c)
            y.append(3 * a - 2 * b + Double(c) + shift + 0.1 * rng.nextGaussian())
        }
        return Dataset(name: "linear", columns: [.numeric("x1", x1), .numeric("x2", x2),
                                                  .categorical("g", codes: cat, levels: levels), .numeric("y", y)], target: "y")
    }

    /// Binary classification data (label 0/1 from a noisy linear rule).
    static func binary(rows: Int, seed: UInt64) -> Dataset {
        var rng = LearningRandom(seed: seed)
        var x1 = [Double](), x2 = [Double](), y = [Double]()
        for _ in 0..<rows {
            let a = rng.nextGaussian(), b = rng.nextGaussian()
            x1.append(a); x2.append(b)
            y.append(a + 0.5 * b + 0.5 * rng.nextGaussian() > 0 ? 1 : 0)
        }
        return Dataset(name: "binary", columns: [.numeric("x1", x1), .numeric("x2", x2), .numeric("y", y)], target: "y")
    }

    /// Three-class classification with a categorical target.
    static func threeClass(rows: Int, seed: UInt64) -> Dataset {
        var rng = LearningRandom(seed: seed)
        var x1 = [Double](), x2 = [Double](), y = [Int32]()
        for _ in 0..<rows {
            let c = rng.nextInt(below: 3)
            let a = Double(c) * 1.5 + rng.nextGaussian(), b = (c == 1 ? 1.0 : -1.0) + rng.nextGaussian()
            x1.append(a); x2.append(b); y.append(Int32(c))
        }
        return Dataset(name: "three", columns: [.numeric("x1", x1), .numeric("x2", x2),
                                                 .categorical("species", codes: y, levels: ["adelie", "gentoo", "chinstrap"])], target: "species")
    }
}

func relClose(_ a: Double, _ b: Double, _ tol: Double) -> Bool {
    abs(a - b) <= tol * max(abs(b), 1e-300) || a == b
}
