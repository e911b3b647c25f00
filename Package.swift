// swift-tools-version: 6.0
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "retune",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "retune", targets: ["retune"]),
        .executable(name: "retune-bench", targets: ["retune-bench"]),
        .executable(name: "retune-fuzz", targets: ["retune-fuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio", exact: "1.33.2"),
    ],
    targets: [
        // C libraries, each wrapped by exactly one Swift target.
        .systemLibrary(name: "CEditLine", pkgConfig: "libedit", providers: [.apt(["libedit-dev"])]),
        .systemLibrary(name: "CLibcrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // CPU feature probe + OpenBLAS loaded with dlopen (no link-time BLAS dependency), SIMD
        // kernels for Learning, the CSV row kernel for Tabular.
        .target(name: "CKernels", linkerSettings: [.linkedLibrary("dl")]),

        // Pure front end: lexer, parser, diagnostics. Depends on nothing of ours.
        .target(name: "Language", swiftSettings: strict),
        // Terminal: line editor (libedit), signals, colour and TTY detection.
        .target(name: "Terminal", dependencies: ["CEditLine"], swiftSettings: strict),
        // Rendering of plain values: tables, charts, progress, exports.
        .target(name: "Render", swiftSettings: strict),
        // Datasets: CSV, typed columns, generators, transforms, fingerprints, drift statistics.
        // CKernels: the CSV row kernel (csv_numeric.c).
        .target(name: "Tabular", dependencies: ["CLibcrypto", "CKernels"], swiftSettings: strict),
        // Models, training, metrics.
        .target(name: "Learning", dependencies: ["Tabular", "CKernels"], swiftSettings: strict),
        // The decision engine: candidate actions, evaluation protocols (held-out, prequential
        // backtests), statistics and verdict rules. Pure: no store, terminal or language.
        .target(name: "Decisions", dependencies: ["Tabular", "Learning"], swiftSettings: strict),
        // The experiment store: SQLite (embedded default, GRDB) and PostgreSQL (postgres-nio),
        // one store implementation over a neutral SQL connection.
        .target(name: "Tracking", dependencies: ["Tabular", "Learning", .product(name: "GRDB", package: "GRDB.swift"),
                                                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                                                .product(name: "PostgresNIO", package: "postgres-nio")], swiftSettings: strict),
        // Registry, interpreter, workspace, cells: ties everything together.
        .target(name: "Notebook", dependencies: ["Language", "Terminal", "Render", "Tabular", "Learning", "Decisions", "Tracking"], swiftSettings: strict),
        // Thin executable: argument parsing and wiring.
        .executableTarget(name: "retune", dependencies: ["Notebook", "Terminal", .product(name: "ArgumentParser", package: "swift-argument-parser")], swiftSettings: strict),
        // Benchmark harness (release-built by scripts/bench; smoke mode from the debug build).
        .executableTarget(name: "retune-bench", dependencies: ["Learning", "Tabular", "Tracking", "Notebook", "Render", "Decisions"], path: "Benchmarks/Sources", swiftSettings: strict),

        // Seeded mutation fuzzer over the lexer and parser (scripts/faults; docs/LANGUAGE.md).
        .executableTarget(name: "retune-fuzz", dependencies: ["Language"], swiftSettings: strict),

        .testTarget(name: "LanguageTests", dependencies: ["Language"]),
        .testTarget(name: "TerminalTests", dependencies: ["Terminal"]),
        .testTarget(name: "RenderTests", dependencies: ["Render"]),
        .testTarget(name: "TabularTests", dependencies: ["Tabular"], resources: [.copy("Fixtures")]),
        .testTarget(name: "LearningTests", dependencies: ["Learning", "Tabular"]),
        .testTarget(name: "DecisionsTests", dependencies: ["Decisions", "Learning", "Tabular"]),
        .testTarget(name: "TrackingTests", dependencies: ["Tracking"]),
        .testTarget(name: "NotebookTests", dependencies: ["Notebook", "Decisions", "Tracking", "Tabular", "Learning"]),
        .testTarget(name: "EndToEndTests", dependencies: ["Notebook", "Tracking", "Render", "Language"]),
    ],
    swiftLanguageModes: [.v6]
)
