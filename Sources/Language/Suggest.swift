/// "Did you mean …?" suggestions by edit distance.
public enum Suggest {
    /// The candidate closest to `word` by Damerau–Levenshtein distance (optimal string
    /// alignment: insertions, deletions, substitutions and adjacent transpositions, compared
    /// case-insensitively), if it is within `max(1, word.count / 3)`. Ties go to the earlier
    /// candidate.
    public static func closest(_ word: String, among candidates: [String]) -> String? {
        guard !word.isEmpty else { return nil }
        let threshold = max(1, word.count / 3)
        var best: (name: String, distance: Int)?
        for candidate in candidates {
            let d = distance(word, candidate)
            if d <= threshold, d < (best?.distance ?? Int.max) {
                best = (candidate, d)
            }
        }
        return best?.name
    }

    /// A note such as `did you mean 'finetune'?`, or nil when nothing is close.
    public static func didYouMean(_ word: String, among candidates: [String]) -> String? {
        closest(word, among: candidates).map { "did you mean '\($0)'?" }
    }

    /// Optimal-string-alignment distance between `a` and `b`, ignoring case.
    public static func distance(_ a: String, _ b: String) -> Int {
        let s = Array(a.lowercased())
        let t = Array(b.lowercased())
        if s.isEmpty { return t.count }
        if t.isEmpty { return s.count }
        let width = t.count + 1
        var d = [Int](repeating: 0, count: (s.count + 1) * width)
        for i in 0...s.count { d[i * width] = i }
        for j in 0...t.count { d[j] = j }
        for i in 1...s.count {
            for j in 1...t.count {
                let cost = s[i - 1] == t[j - 1] ? 0 : 1
                var v = min(d[(i - 1) * width + j] + 1, d[i * width + j - 1] + 1, d[(i - 1) * width + j - 1] + cost)
                if i > 1, j > 1, s[i - 1] == t[j - 2], s[i - 2] == t[j - 1] {
                    v = min(v, d[(i - 2) * width + j - 2] + 1)
                }
                d[i * width + j] = v
            }
        }
        return d[s.count * width + t.count]
    }
}
