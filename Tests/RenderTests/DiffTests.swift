import Testing
@testable import Render

@Suite struct UnifiedDiffTests {
    let a = (1...10).map { "l\($0)" }
    var b: [String] {
        var b = a
        b[1] = "X"
        b.remove(at: 8)
        return b
    }

    @Test func oneHunk() {
        let expected = """
        --- want.out
        +++ got
        @@ -1,10 +1,9 @@
         l1
        -l2
        +X
         l3
         l4
         l5
         l6
         l7
         l8
        -l9
         l10

        """
        #expect(UnifiedDiff.diff(expected: a, actual: b, expectedName: "want.out", actualName: "got") == expected)
    }

    @Test func twoHunksWithSmallContext() {
        let expected = """
        --- expected
        +++ actual
        @@ -1,3 +1,3 @@
         l1
        -l2
        +X
         l3
        @@ -8,3 +8,2 @@
         l8
        -l9
         l10

        """
        #expect(UnifiedDiff.diff(expected: a, actual: b, context: 1) == expected)
    }

    @Test func edgeCases() {
        #expect(UnifiedDiff.diff(expected: a, actual: a) == "")
        #expect(UnifiedDiff.diff(expected: [], actual: []) == "")
        #expect(UnifiedDiff.diff(expected: [], actual: ["x"]) == "--- expected\n+++ actual\n@@ -0,0 +1 @@\n+x\n")
        #expect(UnifiedDiff.diff(expected: ["x"], actual: []) == "--- expected\n+++ actual\n@@ -1 +0,0 @@\n-x\n")
        #expect(UnifiedDiff.diff(expected: ["a", "b", "c", "d", "e"], actual: ["a", "b", "c", "d", "e", "f"], context: 1)
                == "--- expected\n+++ actual\n@@ -5 +5,2 @@\n e\n+f\n")
        #expect(UnifiedDiff.diff(expected: ["a", "b"], actual: ["a", "x", "b"], context: 0)
                == "--- expected\n+++ actual\n@@ -1,0 +2 @@\n+x\n")
    }

    /// Deterministic pseudo-random generator (SplitMix64).
    struct Mix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func lcs(_ a: [String], _ b: [String]) -> Int {
        var dp = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0..<a.count { for j in 0..<b.count {
            dp[i + 1][j + 1] = a[i] == b[j] ? dp[i][j] + 1 : max(dp[i][j + 1], dp[i + 1][j])
        } }
        return dp[a.count][b.count]
    }

    @Test func editScriptsAreValidAndMinimal() {
        var rng = Mix(state: 42)
        for _ in 0..<200 {
            let n = Int.random(in: 0...12, using: &rng), m = Int.random(in: 0...12, using: &rng)
            let x = (0..<n).map { _ in ["a", "b", "c"].randomElement(using: &rng) ?? "a" }
            let y = (0..<m).map { _ in ["a", "b", "c"].randomElement(using: &rng) ?? "a" }
            let ops = UnifiedDiff.edits(x, y)
            var left: [String] = [], right: [String] = []
            var changes = 0
            for op in ops {
                switch op {
                case .equal(let i, let j): #expect(x[i] == y[j]); left.append(x[i]); right.append(y[j])
                case .delete(let i): left.append(x[i]); changes += 1
                case .insert(let j): right.append(y[j]); changes += 1
                }
            }
            #expect(left == x)
            #expect(right == y)
            #expect(changes == n + m - 2 * Self.lcs(x, y), "\(x) → \(y)")
        }
    }

    @Test func fallbackBeyondEditLimitStillCorrect() {
        let x = (0..<50).map { "x\($0)" }, y = (0..<50).map { "y\($0)" }
        let ops = UnifiedDiff.edits(x, y, maxEdits: 10)
        #expect(ops.count == 100)
        #expect(ops.prefix(50).allSatisfy { if case .delete = $0 { return true } else { return false } })
    }
}
