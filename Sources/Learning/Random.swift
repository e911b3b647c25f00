import Tabular

/// Training uses the project's one seeded generator (Tabular's xoshiro256** seeded through
/// SplitMix64): deterministic across runs and platforms; nothing depends on hash order.
typealias LearningRandom = SeededRandom
