/// Line diff in unified format (`diff -u`), used by verified replay to show mismatches.
/// Myers' O((N+M)·D) algorithm on the lines between the common prefix and suffix; when the
/// edit distance exceeds `maxEdits` the differing middle is shown as one block of removals
/// followed by additions (still a correct, if not minimal, diff).
public enum UnifiedDiff {
    public enum Op: Sendable, Hashable {
        case equal(Int, Int)   // index in expected, index in actual
        case delete(Int)       // index in expected
        case insert(Int)       // index in actual
    }

    /// The edit script turning `a` into `b`.
    public static func edits(_ a: [String], _ b: [String], maxEdits: Int = 4000) -> [Op] {
        var prefix = 0
        while prefix < a.count && prefix < b.count && a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix && suffix < b.count - prefix
                && a[a.count - 1 - suffix] == b[b.count - 1 - suffix] { suffix += 1 }
        var ops: [Op] = (0..<prefix).map { .equal($0, $0) }
        let midA = Array(a[prefix..<(a.count - suffix)])
        let midB = Array(b[prefix..<(b.count - suffix)])
        if let middle = myers(midA, midB, maxEdits: maxEdits) {
            for op in middle {
                switch op {
                case .equal(let i, let j): ops.append(.equal(i + prefix, j + prefix))
                case .delete(let i): ops.append(.delete(i + prefix))
                case .insert(let j): ops.append(.insert(j + prefix))
                }
            }
        } else {
            ops += midA.indices.map { .delete($0 + prefix) }
            ops += midB.indices.map { .insert($0 + prefix) }
        }
        for s in 0..<suffix { ops.append(.equal(a.count - suffix + s, b.count - suffix + s)) }
        return ops
    }

    static func myers(_ a: [String], _ b: [String], maxEdits: Int) -> [Op]? {
        let n = a.count, m = b.count
        if n == 0 { return b.indices.map { .insert($0) } }
        if m == 0 { return a.indices.map { .delete($0) } }
        let maxD = min(n + m, max(1, maxEdits))
        let offset = maxD + 1
        var v = [Int](repeating: 0, count: 2 * maxD + 3)
        var trace: [[Int]] = []
        var found = false
        outer: for d in 0...maxD {
            trace.append(v)
            for k in stride(from: -d, through: d, by: 2) {
                var x: Int
                if k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1]) {
                    x = v[offset + k + 1]
                } else {
                    x = v[offset + k - 1] + 1
                }
                var y = x - k
                while x < n && y < m && a[x] == b[y] { x += 1; y += 1 }
                v[offset + k] = x
                if x >= n && y >= m { found = true; break outer }
            }
        }
        guard found else { return nil }
        var ops: [Op] = []
        var x = n, y = m
        for d in stride(from: trace.count - 1, through: 0, by: -1) {
            let vd = trace[d]
            let k = x - y
            let prevK = (k == -d || (k != d && vd[offset + k - 1] < vd[offset + k + 1])) ? k + 1 : k - 1
            let prevX = d == 0 ? 0 : vd[offset + prevK]
            let prevY = d == 0 ? 0 : prevX - prevK
            while x > prevX && y > prevY { ops.append(.equal(x - 1, y - 1)); x -= 1; y -= 1 }
            if d > 0 {
                if x == prevX { ops.append(.insert(y - 1)) } else { ops.append(.delete(x - 1)) }
            }
            x = prevX
            y = prevY
        }
        return ops.reversed()
    }

    static func range(start: Int, count: Int) -> String {
        // GNU convention: an empty range names the line before it; a count of 1 is omitted.
        let first = count == 0 ? start : start + 1
        return count == 1 ? "\(first)" : "\(first),\(count)"
    }

    /// The unified diff of two line lists; empty when they are equal. Output lines end in `\n`:
    /// `--- expectedName`, `+++ actualName`, then hunks `@@ -a,n +b,m @@` with `context` lines
    /// of context, ` ` for unchanged, `-` for expected-only and `+` for actual-only lines.
    public static func diff(expected: [String], actual: [String], expectedName: String = "expected",
                            actualName: String = "actual", context: Int = 3) -> String {
        let ops = edits(expected, actual)
        let changes = ops.indices.filter { if case .equal = ops[$0] { return false } else { return true } }
        guard let firstChange = changes.first else { return "" }
        let ctx = max(0, context)
        // Group changes into hunks: a gap of more than 2·context equal lines splits them.
        var groups: [(Int, Int)] = []
        var start = firstChange, end = firstChange
        for c in changes.dropFirst() {
            if c - end - 1 > 2 * ctx { groups.append((start, end)); start = c }
            end = c
        }
        groups.append((start, end))

        var out = "--- \(expectedName)\n+++ \(actualName)\n"
        for (s, e) in groups {
            let lo = max(0, s - ctx), hi = min(ops.count - 1, e + ctx)
            // Lines of each side consumed before the hunk.
            var aBefore = 0, bBefore = 0
            for op in ops[..<lo] {
                switch op {
                case .equal: aBefore += 1; bBefore += 1
                case .delete: aBefore += 1
                case .insert: bBefore += 1
                }
            }
            var aCount = 0, bCount = 0
            var body = ""
            for op in ops[lo...hi] {
                switch op {
                case .equal(let i, _): aCount += 1; bCount += 1; body += " " + expected[i] + "\n"
                case .delete(let i): aCount += 1; body += "-" + expected[i] + "\n"
                case .insert(let j): bCount += 1; body += "+" + actual[j] + "\n"
                }
            }
            out += "@@ -\(range(start: aBefore, count: aCount)) +\(range(start: bBefore, count: bCount)) @@\n" + body
        }
        return out
    }
}
