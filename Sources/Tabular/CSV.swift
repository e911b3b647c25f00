#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CKernels

/// How to read a CSV file.
public struct CSVOptions: Sendable, Hashable {
    /// Field separator: one ASCII byte (`,` `;` tab `|` …); nil = detected from the header line
    /// (`CSVLoader.detectSeparator`).
    public var separator: Character?
    /// A token meaning "missing" besides the empty field (for example `NA`), compared byte for byte.
    public var missingToken: String?
    /// The target column (must exist).
    public var target: String?
    /// The time column (must exist; must be a date, datetime or number).
    public var time: String?
    /// Per-column type overrides; a value that does not fit is an error naming the row.
    public var types: [String: ColumnType]
    /// Longest accepted field in bytes; a longer one is an error (default 1 MiB).
    public var maxFieldBytes: Int

    public init(separator: Character? = ",", missingToken: String? = nil, target: String? = nil,
                time: String? = nil, types: [String: ColumnType] = [:], maxFieldBytes: Int = 1 << 20) {
        self.separator = separator
        self.missingToken = missingToken
        self.target = target
        self.time = time
        self.types = types
        self.maxFieldBytes = maxFieldBytes
    }
}

/// RFC 4180 CSV reader producing a typed, columnar `Dataset`.
///
/// Parsing works on raw bytes (the file is memory-mapped): numbers are parsed in place without
/// creating strings; only categorical values become `String`s (interned per column). Types are
/// inferred per column — integer, float, boolean (`true`/`false`), date (`YYYY-MM-DD`),
/// datetime (`YYYY-MM-DDTHH:MM[:SS]`), otherwise categorical. A column that starts numeric and
/// later meets text is re-read as categorical in a second pass.
public enum CSVLoader {
    /// Loads a file. Relative paths are resolved by the caller.
    public static func load(path: String, name: String, options: CSVOptions = CSVOptions()) throws -> Dataset {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw TabularError.io(path: path, message: "cannot open file: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw TabularError.io(path: path, message: "cannot stat file: \(String(cString: strerror(errno)))")
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            throw TabularError.io(path: path, message: "is a directory, not a CSV file")
        }
        let size = Int(st.st_size)
        if size == 0 {
            throw TabularError.csv(file: path, line: 1, column: 1, message: "empty file: expected a header row")
        }
        guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            throw TabularError.io(path: path, message: "cannot map file: \(String(cString: strerror(errno)))")
        }
        defer { munmap(mapped, size) }
        let buffer = UnsafeRawBufferPointer(start: UnsafeRawPointer(mapped), count: size)
        _ = madvise(mapped, size, MADV_SEQUENTIAL)
        var dataset = try parse(buffer, file: path, name: name, options: options, mappedFile: true)
        dataset.provenance = Provenance(operation: "file", detail: path)
        return dataset
    }

    /// Loads CSV content held in memory (tests, generated text). `fileName` appears in errors.
    public static func load(bytes: [UInt8], name: String, fileName: String = "<memory>",
                            options: CSVOptions = CSVOptions()) throws -> Dataset {
        var dataset = try bytes.withUnsafeBytes { try parse($0, file: fileName, name: name, options: options) }
        dataset.provenance = Provenance(operation: "file", detail: fileName)
        return dataset
    }

    /// Loads CSV text.
    public static func load(text: String, name: String, fileName: String = "<memory>",
                            options: CSVOptions = CSVOptions()) throws -> Dataset {
        try load(bytes: Array(text.utf8), name: name, fileName: fileName, options: options)
    }

    // MARK: - Core

    /// `mappedFile`: the buffer is a read-only private file mapping whose pages may be released
    /// once parsed (they are re-read from the file if needed), which keeps peak memory near the
    /// size of the columns rather than columns + file.
    static func parse(_ buffer: UnsafeRawBufferPointer, file: String, name: String,
                      options: CSVOptions, mappedFile: Bool = false) throws -> Dataset {
        let separator = options.separator ?? Character(UnicodeScalar(detectSeparator(buffer)))
        guard let sepAscii = separator.asciiValue, separator != "\"", separator != "\n", separator != "\r",
              sepAscii >= 0x20 || sepAscii == 0x09 else {
            throw TabularError.invalidArgument("separator must be one printable ASCII character (or tab) other than a quote, got '\(separator)'")
        }
        var forcedCategorical = Set<Int>()
        var result: PassResult
        if let parallel = parallelPass(buffer, file: file, sep: sepAscii, options: options, releasePages: mappedFile) {
            result = parallel
        } else {
            result = try parsePass(buffer, file: file, sep: sepAscii, options: options, forcedCategorical: forcedCategorical,
                                   releasePages: mappedFile)
        }
        if !result.demoted.isEmpty {
            forcedCategorical = result.demoted
            result = try parsePass(buffer, file: file, sep: sepAscii, options: options, forcedCategorical: forcedCategorical,
                                   releasePages: mappedFile)
        }
        var columns: [Column] = []
        columns.reserveCapacity(result.builders.count)
        for i in result.builders.indices {
            columns.append(result.builders[i].finish())
            result.builders[i] = ColumnBuilder(name: "", forced: nil)   // release memory early
        }
        if let time = options.time, let col = columns.first(where: { $0.name == time }), col.type == .categorical {
            throw TabularError.column(time, message: "time column must hold dates, datetimes or numbers, but it is categorical")
        }
        return Dataset(name: name, columns: columns, target: options.target, time: options.time)
    }

    struct PassResult {
        var builders: [ColumnBuilder]
        var demoted: Set<Int>
        var header: [String] = []
        /// Where parsing stopped, whether that was a row boundary, and the data rows read.
        var stop = 0
        var atRowBoundary = true
        var dataRows = 0
    }

    private static let quote = UInt8(ascii: "\"")
    private static let lf = UInt8(ascii: "\n")
    private static let cr = UInt8(ascii: "\r")

    // swiftlint:disable:next function_body_length cyclomatic_complexity
    /// One pass over the bytes. By default the whole file from its header; for parallel chunks,
    /// `knownHeader` + `startAt` begin at a row start after the header, and `limit` stops at the
    /// first row boundary at or after it (`requireRows` is then left to the caller).
    /// `rowKernel`: rows of plain numbers go through the C row kernel (`RowKernel`); false reads
    /// every field in Swift (tests compare the two). `windows` (with `knownHeader`): each column's
    /// values go in place into its part of the final column (`ColumnWindows`), nothing is reserved.
    static func parsePass(_ buffer: UnsafeRawBufferPointer, file: String, sep: UInt8, options: CSVOptions,
                          forcedCategorical: Set<Int>, releasePages: Bool = false,
                          knownHeader: [String]? = nil, startAt: Int = 0, limit: Int = Int.max,
                          requireRows: Bool = true, reserve: Bool = true, rowKernel: Bool = true,
                          windows: ColumnWindows? = nil) throws -> PassResult {
        let n = buffer.count
        guard n > 0, let base = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            throw TabularError.csv(file: file, line: 1, column: 1, message: "empty file: expected a header row")
        }
        var i = skipByteOrderMarks(base, count: n)
        var line = 1
        var lineStart = i
        var scratch = ScratchBuffer()
        defer { scratch.free() }
        let maxField = options.maxFieldBytes
        let missingToken = Array((options.missingToken ?? "").utf8)
        let hasToken = options.missingToken != nil && !missingToken.isEmpty
        // A numeric-looking missing token (say -999) must not be parsed as a number.
        let fastNumbers = !hasToken || !(missingToken.first.map { ($0 &- 48) <= 9 || $0 == 43 || $0 == 45 || $0 == 46 } ?? false)

        var header: [String] = []
        var headerCols: [Int] = []
        // The builders live in memory this pass owns; the hot loop mutates them through `bp`
        // (no copy-on-write check of an array on every field).
        var storage = BuilderStorage()
        defer { storage.release() }
        var bp = storage.base
        var kernel = RowKernel()
        defer { kernel.free() }
        var demoted = Set<Int>()
        var ncols = 0
        var inHeader = true
        var fieldIndex = 0
        var rowLine = line
        var dataRows = 0

        let pageSize = max(4096, Int(sysconf(Int32(_SC_PAGESIZE))))
        // Small enough that the file's resident pages stay a few MiB per thread; each release
        // is one madvise call.
        let releaseChunk = 8 << 20
        var released = 0   // bytes [released0, released) of the mapping have been handed back
        if let known = knownHeader {
            i = startAt
            lineStart = i
            header = known
            ncols = known.count
            inHeader = false
            // Rows in this chunk; a first chunk also reserves room for the rows after it (scaled
            // by bytes, plus an eighth), which the merge appends without moving this chunk's values.
            var estimate = 0
            if reserve && windows == nil {
                let end = min(n, limit)
                estimate = estimateRows(base: base, from: i, to: end)
                if end < n { estimate += estimate * (n - end) / max(1, end - i) + estimate / 8 + 64 }
            }
            storage.set(makeBuilders(header, forcedCategorical: forcedCategorical, options: options,
                                     estimate: windows == nil ? estimate : 0))
            bp = storage.base
            if let windows {
                for k in 0..<min(ncols, windows.bases.count) where bp[k].kind != .categorical {
                    if windows.compact[k] && bp[k].scale >= 0 {
                        bp[k].codeWindow = windows.bases[k].assumingMemoryBound(to: Int32.self) + windows.offset
                        bp[k].windowCapacity = windows.capacity
                    } else if !windows.compact[k] && bp[k].scale < 0 {
                        bp[k].window = windows.bases[k].assumingMemoryBound(to: Double.self) + windows.offset
                        bp[k].windowCapacity = windows.capacity
                    }
                }
            }
            if rowKernel && fastNumbers { kernel.prepare(bp, count: ncols) }
            released = (startAt / pageSize) * pageSize
        }
        let plainAbove = max(sep, quote, cr)   // bytes above this are never separators, quotes or line ends

        while i < n {
            if fieldIndex == 0 && !inHeader && i >= limit { break }
            if releasePages, i - released >= releaseChunk + pageSize {
                // Only whole pages strictly before the current field: nothing there is read again.
                let upTo = (i / pageSize) * pageSize
                _ = madvise(UnsafeMutableRawPointer(mutating: base + released), upTo - released, MADV_DONTNEED)
                released = upTo
            }
            if fieldIndex == 0 && kernel.ready && i < limit && kernel.columnsNumeric(bp) {
                // Whole rows of plain numbers in C; it stops at the first row it cannot take
                // whole, which the loop below then reads field by field.
                let (rows, stop) = kernel.run(base, at: i, rowLimit: min(limit, n), end: n, sep: sep, into: bp)
                if rows > 0 {
                    dataRows += rows
                    line += rows   // each row taken ended with one LF or CRLF
                    i = stop
                    lineStart = i
                    continue
                }
            }
            if fieldIndex == 0 {
                // Skip blank lines between rows.
                let c = base[i]
                if c == lf || c == cr {
                    i += 1
                    if c == cr, i < n, base[i] == lf { i += 1 }
                    line += 1
                    lineStart = i
                    continue
                }
                rowLine = line
            }
            // Fast path: a plain number in a numeric column, parsed while finding the field's end.
            var delivered = false
            if fastNumbers, !inHeader, fieldIndex < ncols, bp[fieldIndex].acceptsFastNumbers,
               let r = NumberParser.parsePrefix(base + i, base + n) {
                let stop = i + r.length
                if stop == n || base[stop] == sep || base[stop] == lf || base[stop] == cr,
                   bp[fieldIndex].appendFast(r.value, integral: r.integral) {
                    i = stop
                    delivered = true
                }
            }
            if !delivered {
                let fieldLine = line
                let fieldCol = (i - lineStart + 1)
                var start = i
                var end = i
                var useScratch = false
                var quoted = false
                var high: UInt8 = 0
                if base[i] == quote {
                    quoted = true
                    i += 1
                    start = i
                    var segment = i
                    var closed = false
                    while i < n {
                        let c = base[i]
                        if c == quote {
                            if i + 1 < n, base[i + 1] == quote {
                                if !useScratch { scratch.count = 0; useScratch = true }
                                scratch.append(base + segment, i + 1 - segment)
                                i += 2
                                segment = i
                                continue
                            }
                            closed = true
                            break
                        }
                        if c == lf || (c == cr && !(i + 1 < n && base[i + 1] == lf)) {
                            line += 1
                            lineStart = i + 1
                        } else if c < 0x20 && c != 0x09 && c != cr {
                            throw TabularError.csv(file: file, line: line, column: (i - lineStart + 1), message: controlMessage(c))
                        }
                        high |= c
                        i += 1
                        if i - start > maxField {
                            throw TabularError.csv(file: file, line: fieldLine, column: fieldCol,
                                                   message: "field too large: more than \(maxField) bytes (limit \(maxField) bytes)")
                        }
                    }
                    if !closed {
                        throw TabularError.csv(file: file, line: fieldLine, column: fieldCol,
                                               message: "unterminated quoted field (the quote opened here is never closed)")
                    }
                    if useScratch {
                        scratch.append(base + segment, i - segment)
                    }
                    end = i
                    i += 1   // closing quote
                    if i < n {
                        let c = base[i]
                        if c != sep && c != lf && c != cr {
                            throw TabularError.csv(file: file, line: line, column: (i - lineStart + 1),
                                                   message: "unexpected character '\(printable(c))' after a closing quote (expected a separator or end of line)")
                        }
                    }
                } else {
                    while i < n {
                        let c = base[i]
                        if c > plainAbove { high |= c; i += 1; continue }   // cannot be special
                        if c == sep || c == lf || c == cr { break }
                        if c == quote {
                            throw TabularError.csv(file: file, line: line, column: (i - lineStart + 1),
                                                   message: "quote inside an unquoted field (quote the whole field and double inner quotes)")
                        }
                        if c < 0x20 && c != 0x09 {
                            throw TabularError.csv(file: file, line: line, column: (i - lineStart + 1), message: controlMessage(c))
                        }
                        high |= c
                        i += 1
                    }
                    end = i
                    if end - start > maxField {
                        throw TabularError.csv(file: file, line: fieldLine, column: fieldCol,
                                               message: "field too large: \(end - start) bytes (limit \(maxField) bytes)")
                    }
                }

                // Deliver the field.
                let field = useScratch ? UnsafeRawBufferPointer(start: scratch.base, count: scratch.count)
                                       : UnsafeRawBufferPointer(start: base + start, count: end - start)
                if inHeader {
                    guard high < 0x80 || String(validating: field, as: UTF8.self) != nil else {
                        throw TabularError.csv(file: file, line: fieldLine, column: fieldCol, message: "invalid UTF-8 in column name")
                    }
                    header.append(String(decoding: field, as: UTF8.self))
                    headerCols.append(fieldCol)
                } else {
                    if fieldIndex >= ncols {
                        throw TabularError.csv(file: file, line: fieldLine, column: fieldCol,
                                               message: "too many fields: expected \(ncols) (as in the header), found at least \(fieldIndex + 1)")
                    }
                    var isMissing = field.count == 0
                    if !isMissing, hasToken, !quoted, field.count == missingToken.count {
                        isMissing = true
                        for k in 0..<field.count where field[k] != missingToken[k] { isMissing = false; break }
                    }
                    let ok: Bool
                    do {
                        ok = try bp[fieldIndex].add(field, missing: isMissing, highBit: high >= 0x80)
                    } catch let e as FieldError {
                        throw TabularError.value(file: file, line: fieldLine, column: fieldCol,
                                                 columnName: header[fieldIndex], message: e.message)
                    }
                    if !ok { demoted.insert(fieldIndex) }
                }
            }
            fieldIndex += 1

            // Field terminator.
            var endOfRow = false
            if i >= n {
                endOfRow = true
            } else if base[i] == sep {
                i += 1
                if i >= n {
                    // A trailing separator at end of file: one more empty field.
                    if inHeader {
                        throw TabularError.csv(file: file, line: line, column: (i - lineStart + 1), message: "empty column name (column \(fieldIndex + 1))")
                    }
                    if fieldIndex >= ncols {
                        throw TabularError.csv(file: file, line: line, column: (i - lineStart + 1),
                                               message: "too many fields: expected \(ncols) (as in the header), found at least \(fieldIndex + 1)")
                    }
                    _ = try? bp[fieldIndex].add(UnsafeRawBufferPointer(start: base, count: 0), missing: true, highBit: false)
                    fieldIndex += 1
                    endOfRow = true
                }
            } else {
                let rowEndCol = (i - lineStart + 1)
                if base[i] == cr { i += 1; if i < n, base[i] == lf { i += 1 } } else { i += 1 }
                line += 1
                lineStart = i
                endOfRow = true
                if !inHeader && fieldIndex < ncols {
                    throw TabularError.csv(file: file, line: line - 1, column: rowEndCol,
                                           message: "too few fields: expected \(ncols) (as in the header), found \(fieldIndex)")
                }
            }
            if endOfRow {
                if inHeader {
                    try checkHeader(header, cols: headerCols, file: file, line: rowLine, options: options)
                    ncols = header.count
                    let estimate = reserve ? estimateRows(base: base, from: i, to: n) : 0
                    storage.set(makeBuilders(header, forcedCategorical: forcedCategorical, options: options, estimate: estimate))
                    bp = storage.base
                    if rowKernel && fastNumbers { kernel.prepare(bp, count: ncols) }
                    inHeader = false
                } else {
                    if fieldIndex < ncols {
                        throw TabularError.csv(file: file, line: line, column: (i - lineStart + 1),
                                               message: "too few fields: expected \(ncols) (as in the header), found \(fieldIndex)")
                    }
                    dataRows += 1
                }
                fieldIndex = 0
            }
        }
        if inHeader {
            throw TabularError.csv(file: file, line: line, column: 1, message: "empty file: expected a header row")
        }
        if requireRows && dataRows == 0 {
            throw TabularError.csv(file: file, line: line, column: 1, message: "header row but no data rows")
        }
        return PassResult(builders: storage.take(), demoted: demoted, header: header, stop: i,
                          atRowBoundary: fieldIndex == 0, dataRows: dataRows)
    }

    static func makeBuilders(_ header: [String], forcedCategorical: Set<Int>, options: CSVOptions,
                             estimate: Int) -> [ColumnBuilder] {
        header.enumerated().map { k, name in
            var b = ColumnBuilder(name: name, forced: forcedCategorical.contains(k) ? .categorical : options.types[name])
            if estimate > 0 { b.reserve(estimate) }
            return b
        }
    }

    /// The error for a control byte inside a field (tab, CR and LF are not errors).
    static func controlMessage(_ c: UInt8) -> String {
        if c == 0 {
            return "NUL byte in the file (a binary or UTF-16 file? retune reads UTF-8 text)"
        }
        return "control character \\x" + (c < 16 ? "0" : "") + String(c, radix: 16)
            + " (only tab, CR and LF may appear in a CSV file; remove it)"
    }

    /// The offset after the leading byte-order marks: one, or several repeated ones (a file
    /// saved twice by a BOM-adding editor), are all skipped.
    static func skipByteOrderMarks(_ base: UnsafePointer<UInt8>, count n: Int) -> Int {
        var i = 0
        while n - i >= 3, base[i] == 0xEF, base[i + 1] == 0xBB, base[i + 2] == 0xBF { i += 3 }
        return i
    }

    /// The candidate separators, in the order that breaks ties.
    public static let separatorCandidates: [UInt8] = [UInt8(ascii: ","), UInt8(ascii: ";"), 0x09, UInt8(ascii: "|")]

    /// The separator of a file: the one of `, ; tab |` that occurs most often outside quotes on
    /// its header line (ties in that order; none at all = comma, a one-column file).
    public static func detectSeparator(_ buffer: UnsafeRawBufferPointer) -> UInt8 {
        guard let base = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return UInt8(ascii: ",") }
        let n = min(buffer.count, 1 << 20)
        var counts = [Int](repeating: 0, count: separatorCandidates.count)
        var inQuotes = false
        var i = skipByteOrderMarks(base, count: n)
        while i < n {
            let c = base[i]
            if c == quote { inQuotes.toggle() } else if !inQuotes {
                if c == lf || c == cr { break }
                if let k = separatorCandidates.firstIndex(of: c) { counts[k] += 1 }
            }
            i += 1
        }
        var best = 0
        for k in counts.indices where counts[k] > counts[best] { best = k }
        return separatorCandidates[best]
    }

    /// `detectSeparator` for a file (reads its first MiB); comma when it cannot be read.
    public static func detectSeparator(path: String) -> Character {
        guard let handle = fopen(path, "rb") else { return "," }
        defer { fclose(handle) }
        var bytes = [UInt8](repeating: 0, count: 1 << 20)
        let got = fread(&bytes, 1, bytes.count, handle)
        let sep = bytes.withUnsafeBytes { detectSeparator(UnsafeRawBufferPointer(rebasing: $0[0..<got])) }
        return Character(UnicodeScalar(sep))
    }

    /// How a separator is named in messages: `tab`, `';'`.
    public static func separatorName(_ c: Character) -> String {
        c == "\t" ? "tab" : "'\(c)'"
    }

    static func printable(_ c: UInt8) -> String {
        (32..<127).contains(c) ? String(UnicodeScalar(c)) : "\\x" + String(c, radix: 16)
    }

    /// Upper bound on the number of data rows: the number of line feeds (or carriage returns).
    static func estimateRows(base: UnsafePointer<UInt8>, from: Int, to: Int) -> Int {
        var count = 0
        var p = UnsafeRawPointer(base + from)
        var remaining = to - from
        while remaining > 0, let hit = memchr(p, Int32(lf), remaining) {
            count += 1
            let consumed = UnsafeRawPointer(hit) - p + 1
            p = UnsafeRawPointer(hit) + 1
            remaining -= consumed
        }
        if count == 0 {
            // Old Mac line ends or a single row.
            count = (0..<(to - from)).reduce(0) { $0 + (base[from + $1] == cr ? 1 : 0) }
        }
        return count + 1
    }

    static func checkHeader(_ header: [String], cols: [Int], file: String, line: Int, options: CSVOptions) throws {
        var seen: [String: Int] = [:]
        for (k, name) in header.enumerated() {
            if name.isEmpty {
                throw TabularError.csv(file: file, line: line, column: cols[k], message: "empty column name (column \(k + 1))")
            }
            if let first = seen[name] {
                throw TabularError.csv(file: file, line: line, column: cols[k],
                                       message: "duplicate column name '\(name)' (columns \(first + 1) and \(k + 1))")
            }
            seen[name] = k
        }
        let list = header.joined(separator: ", ")
        if let target = options.target, seen[target] == nil {
            throw TabularError.csv(file: file, line: line, column: 1, message: "target column '\(target)' not found (columns: \(list))")
        }
        if let time = options.time, seen[time] == nil {
            throw TabularError.csv(file: file, line: line, column: 1, message: "time column '\(time)' not found (columns: \(list))")
        }
        for name in options.types.keys.sorted() where seen[name] == nil {
            throw TabularError.csv(file: file, line: line, column: 1, message: "type override for unknown column '\(name)' (columns: \(list))")
        }
    }
}

// MARK: - Column builder

/// A value error inside one field; the parser adds the file, line, column and column name.
struct FieldError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// The column builders of one pass, in memory the pass allocates and frees itself.
struct BuilderStorage {
    private(set) var base: UnsafeMutablePointer<ColumnBuilder>
    private(set) var count = 0

    init() { base = UnsafeMutablePointer<ColumnBuilder>.allocate(capacity: 1) }

    /// Replaces the builders (a header row was read).
    mutating func set(_ builders: [ColumnBuilder]) {
        release()
        base = UnsafeMutablePointer<ColumnBuilder>.allocate(capacity: max(1, builders.count))
        _ = UnsafeMutableBufferPointer(start: base, count: builders.count).initialize(from: builders)
        count = builders.count
    }

    /// The builders as an array (sharing their column storage; `release` still runs).
    func take() -> [ColumnBuilder] { Array(UnsafeBufferPointer(start: base, count: count)) }

    mutating func release() {
        base.deinitialize(count: count)
        base.deallocate()
        count = 0
        base = UnsafeMutablePointer<ColumnBuilder>.allocate(capacity: 1)
    }
}

/// The C row kernel's state for one pass: a block of `stride` rows per column, column-major, that
/// `ck_csv_numeric_rows` fills and `run` appends to the builders, and per-column flags. When every
/// builder has room in its in-place window (`ColumnBuilder.window`, the two-thread path), the
/// kernel writes there directly instead.
struct RowKernel {
    private(set) var ready = false
    private var ncols = 0
    private var stride = 0
    private var block: UnsafeMutableRawPointer?
    private var forcedInteger: UnsafeMutablePointer<UInt8>?
    private var scales: UnsafeMutablePointer<Int8>?
    private var seen: UnsafeMutablePointer<UInt8>?
    private var out: UnsafeMutablePointer<UnsafeMutableRawPointer?>?

    /// About 128 KiB of block (it stays in the cache between the kernel and the append).
    static let blockValues = 16_384
    /// Bytes one call of the kernel may cover when it writes in place (the caller releases the
    /// file's pages between calls).
    static let directBytes = 1 << 20

    mutating func prepare(_ builders: UnsafeMutablePointer<ColumnBuilder>, count: Int) {
        free()
        guard count > 0 else { return }
        ncols = count
        stride = min(1024, max(8, Self.blockValues / count))
        // Eight bytes a slot: a column's part holds Doubles or (decimal codes) Int32s.
        let b = UnsafeMutableRawPointer.allocate(byteCount: count * stride * 8, alignment: 16)
        let f = UnsafeMutablePointer<UInt8>.allocate(capacity: count)
        let s = UnsafeMutablePointer<UInt8>.allocate(capacity: count)
        let sc = UnsafeMutablePointer<Int8>.allocate(capacity: count)
        let o = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: count)
        for k in 0..<count {
            f[k] = builders[k].forced == .integer ? 1 : 0
            s[k] = 0
            sc[k] = -1
            o[k] = nil
        }
        block = b
        scales = sc
        forcedInteger = f
        seen = s
        out = o
        ready = true
    }

    /// Every column is (so far) a number column: unknown, integer or float.
    @inline(__always)
    func columnsNumeric(_ builders: UnsafeMutablePointer<ColumnBuilder>) -> Bool {
        for k in 0..<ncols where !builders[k].acceptsFastNumbers { return false }
        return true
    }

    /// Rows from `at` through the kernel, their values appended to the builders and the
    /// columns' kinds updated as `appendFast` would have, value by value. Returns the rows
    /// taken and the offset after the last one.
    mutating func run(_ base: UnsafePointer<UInt8>, at: Int, rowLimit: Int, end: Int, sep: UInt8,
                      into builders: UnsafeMutablePointer<ColumnBuilder>) -> (rows: Int, stop: Int) {
        guard let block, let forcedInteger, let scales, let seen, let out else { return (0, at) }
        // In place when every column's window has room for a row (the kernel may write one
        // partial row at index `rows` < maxRows, which a later value overwrites).
        var room = Int.max
        for k in 0..<ncols {
            room = min(room, builders[k].windowRoom)
            out[k] = builders[k].windowNext
            scales[k] = Int8(builders[k].scale)   // a Swift-read row may have changed it
        }
        let direct = room > 0
        if !direct {
            for k in 0..<ncols { out[k] = block + k * stride * 8 }
        }
        var stop = at
        let rows = ck_csv_numeric_rows(base, at, direct ? min(rowLimit, at + Self.directBytes) : rowLimit, end, sep,
                                       ncols, forcedInteger, scales, seen, out, direct ? room : stride, &stop)
        for k in 0..<ncols {
            let flags = Int(seen[k])
            seen[k] = 0
            // Flags from the row the kernel stopped at are only from complete fields (number and
            // separator), which the loop's fast path reads next to the same values and kinds.
            if rows > 0 {
                builders[k].noteKernelValues(number: flags & Int(CK_CSV_SEEN_NUMBER) != 0,
                                             fraction: flags & Int(CK_CSV_SEEN_FRACTION) != 0)
                if direct {
                    builders[k].windowCount += rows
                } else if builders[k].scale >= 0 {
                    builders[k].appendCodes(UnsafeBufferPointer(start: (block + k * stride * 8).assumingMemoryBound(to: Int32.self), count: rows))
                } else {
                    builders[k].appendValues(UnsafeBufferPointer(start: (block + k * stride * 8).assumingMemoryBound(to: Double.self), count: rows))
                }
            }
        }
        return (rows, stop)
    }

    mutating func free() {
        block?.deallocate()
        forcedInteger?.deallocate()
        scales?.deallocate()
        seen?.deallocate()
        out?.deallocate()
        block = nil
        forcedInteger = nil
        scales = nil
        seen = nil
        out = nil
        ready = false
        ncols = 0
    }
}

/// A growable byte buffer for unescaped quoted fields (no Array bookkeeping in the hot loop).
struct ScratchBuffer {
    var base: UnsafeMutablePointer<UInt8>
    var capacity: Int
    var count = 0

    init() {
        capacity = 4096
        base = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
    }

    mutating func append(_ src: UnsafePointer<UInt8>, _ n: Int) {
        if count + n > capacity {
            var newCapacity = capacity * 2
            while newCapacity < count + n { newCapacity *= 2 }
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
            grown.update(from: base, count: count)
            base.deallocate()
            base = grown
            capacity = newCapacity
        }
        (base + count).update(from: src, count: n)
        count += n
    }

    func free() { base.deallocate() }
}

struct ColumnBuilder {
    enum Kind { case unknown, integer, float, boolean, date, datetime, categorical, demoted }

    let name: String
    let forced: ColumnType?
    var kind: Kind
    var values: [Double] = []
    /// In-place destination of the two-thread path (`CSVLoader.parallelPass`): this builder's
    /// part of the final column. Values go to `window[0..<windowCount]` until it is full, then
    /// to `values` (a spill, when the row estimate was short); `materialize` or the merge puts
    /// them back in one array. Nil outside that path.
    var window: UnsafeMutablePointer<Double>?
    var windowCount = 0
    var windowCapacity = 0
    /// Decimal storage (`DecimalCodes`): `scale` 0…9 while every value so far has an exact code,
    /// in `codeWindow` (the two-thread path's window, as `window`) then `decimals`; −1: Float64
    /// in `window` / `values`. Columns with a forced type start (and stay) in Float64; the first
    /// value without a code at any scale ≤ 9 (or after a rescale that would overflow), and a
    /// boolean or date kind, turn the column to Float64 (codes decoded, exactly).
    var scale: Int
    var codeWindow: UnsafeMutablePointer<Int32>?
    var decimals: [Int32] = []
    var codes: [Int32] = []
    var lookup: [String: Int32] = [:]
    var levels: [String] = []

    init(name: String, forced: ColumnType?) {
        self.name = name
        self.forced = forced
        scale = forced == nil ? 0 : -1
        switch forced {
        case nil: kind = .unknown
        case .integer?: kind = .integer
        case .float?: kind = .float
        case .boolean?: kind = .boolean
        case .date?: kind = .date
        case .datetime?: kind = .datetime
        case .categorical?: kind = .categorical
        }
    }

    var acceptsFastNumbers: Bool { kind == .integer || kind == .float || kind == .unknown }

    /// Values read so far (window and spill).
    var valueCount: Int { windowCount + values.count + decimals.count }
    /// Free slots left in the window (0 without one).
    var windowRoom: Int { window == nil && codeWindow == nil ? 0 : windowCapacity - windowCount }
    var windowNext: UnsafeMutableRawPointer? {
        if let w = codeWindow { return UnsafeMutableRawPointer(w + windowCount) }
        return window.map { UnsafeMutableRawPointer($0 + windowCount) }
    }

    /// Appends one value: to the window while it has room, then to `values` (as a code while
    /// the column is decimal).
    @inline(__always)
    mutating func push(_ v: Double) {
        if scale >= 0 {
            if let c = DecimalCodes.encode(v, scale: scale) { pushCode(c) } else { pushUncoded(v) }
            return
        }
        if windowCount < windowCapacity, let w = window {
            w[windowCount] = v
            windowCount += 1
        } else {
            values.append(v)
        }
    }

    @inline(__always)
    mutating func pushCode(_ c: Int32) {
        if windowCount < windowCapacity, let w = codeWindow {
            w[windowCount] = c
            windowCount += 1
        } else {
            decimals.append(c)
        }
    }

    /// A value without a code at the column's scale: a larger scale (existing codes rescaled)
    /// or Float64.
    @inline(never)
    mutating func pushUncoded(_ v: Double) {
        if let s = DecimalCodes.scaleNeeded(v, from: scale + 1), rescale(to: s),
           let c = DecimalCodes.encode(v, scale: scale) {
            pushCode(c)
            return
        }
        toFloat64()
        push(v)
    }

    /// Codes at a larger scale (every code times 10^(s − scale)); false, nothing changed, when
    /// one would overflow.
    mutating func rescale(to s: Int) -> Bool {
        guard scale >= 0 else { return false }
        let k = s - scale
        if k <= 0 { return true }
        let window = UnsafeMutableBufferPointer(start: codeWindow, count: codeWindow == nil ? 0 : windowCount)
        let fits = DecimalCodes.canRescale(UnsafeBufferPointer(window), by: k)
            && decimals.withUnsafeBufferPointer { DecimalCodes.canRescale($0, by: k) }
        guard fits else { return false }
        DecimalCodes.applyRescale(window, by: k)
        decimals.withUnsafeMutableBufferPointer { DecimalCodes.applyRescale($0, by: k) }
        scale = s
        return true
    }

    /// Decodes the codes (window and spill) into `values` and stores Doubles from now on.
    mutating func toFloat64() {
        guard scale >= 0 else { return }
        var all = [Double]()
        all.reserveCapacity(max(valueCount, decimals.capacity, windowCapacity))
        if let w = codeWindow {
            all.append(contentsOf: DecimalCodes(codes: Array(UnsafeBufferPointer(start: w, count: windowCount)), scale: scale).decoded())
        }
        all.append(contentsOf: DecimalCodes(codes: decimals, scale: scale).decoded())
        values = all
        decimals = []
        codeWindow = nil
        windowCount = 0
        windowCapacity = 0
        scale = -1
    }

    /// Appends a block of codes (the row kernel's): the window's room first, then the spill.
    mutating func appendCodes(_ block: UnsafeBufferPointer<Int32>) {
        var from = 0
        if let w = codeWindow, windowCount < windowCapacity {
            let n = min(block.count, windowCapacity - windowCount)
            if let b = block.baseAddress { (w + windowCount).update(from: b, count: n) }
            windowCount += n
            from = n
        }
        if from < block.count { decimals.append(contentsOf: block[from...]) }
    }

    /// Appends a block of Doubles: the window's room first, then the spill.
    mutating func appendValues(_ block: UnsafeBufferPointer<Double>) {
        var from = 0
        if let w = window, windowCount < windowCapacity {
            let n = min(block.count, windowCapacity - windowCount)
            if let b = block.baseAddress { (w + windowCount).update(from: b, count: n) }
            windowCount += n
            from = n
        }
        if from < block.count { values.append(contentsOf: block[from...]) }
    }

    /// Moves the window's values in front of `values` (or `decimals`) and drops the window.
    mutating func materialize() {
        if let w = codeWindow {
            if windowCount > 0 {
                var all = [Int32]()
                all.reserveCapacity(valueCount)
                all.append(contentsOf: UnsafeBufferPointer(start: w, count: windowCount))
                all.append(contentsOf: decimals)
                decimals = all
            }
            codeWindow = nil
            windowCount = 0
            windowCapacity = 0
            return
        }
        guard let w = window else { return }
        if windowCount > 0 {
            var all = [Double]()
            all.reserveCapacity(valueCount)
            all.append(contentsOf: UnsafeBufferPointer(start: w, count: windowCount))
            all.append(contentsOf: values)
            values = all
        }
        window = nil
        windowCount = 0
        windowCapacity = 0
    }

    /// Appends a number parsed by the fast path; false when the column cannot take it here
    /// (the generic path then handles the field and reports any error).
    @inline(__always)
    mutating func appendFast(_ v: Double, integral: Bool) -> Bool {
        switch kind {
        case .float:
            push(v)
            return true
        case .integer:
            if !integral {
                if forced == .integer { return false }
                kind = .float
            }
            push(v)
            return true
        case .unknown:
            kind = integral ? .integer : .float
            push(v)
            return true
        default:
            return false
        }
    }

    /// The kind after numbers of the row kernel: what `appendFast` makes of them one by one
    /// (the kernel never passes a fraction to a column forced to integers).
    @inline(__always)
    mutating func noteKernelValues(number: Bool, fraction: Bool) {
        guard number else { return }
        switch kind {
        case .unknown: kind = fraction ? .float : .integer
        case .integer: if fraction && forced != .integer { kind = .float }
        default: break
        }
    }

    mutating func reserve(_ n: Int) {
        // Plain reservations: asking for huge pages here (LargeBuffer) made the first load of
        // the bench file slower (compaction on fault) and raised peak RSS by ~40 MiB.
        if kind == .categorical {
            codes.reserveCapacity(n)
        } else if scale >= 0 {
            decimals.reserveCapacity(n)
        } else {
            values.reserveCapacity(n)
        }
    }

    func finish() -> Column {
        if scale >= 0 && (kind == .unknown || kind == .integer || kind == .float) {
            var codes = decimals
            if let w = codeWindow, windowCount > 0 {
                codes = Array(UnsafeBufferPointer(start: w, count: windowCount)) + codes
            }
            let type: ColumnType = kind == .integer ? .integer : (kind == .float ? .float : forced ?? .float)
            return Column(name: name, type: type, storage: .decimal(DecimalCodes(codes: codes, scale: scale)))
        }
        var copy = self
        copy.toFloat64()
        var values = copy.values
        if let w = copy.window, copy.windowCount > 0 {
            values = Array(UnsafeBufferPointer(start: w, count: copy.windowCount)) + values
        }
        switch kind {
        case .categorical:
            return Column(name: name, type: .categorical, storage: .categorical(codes: codes, levels: levels))
        case .unknown, .demoted:
            return Column(name: name, type: forced ?? .float, storage: .numeric(values))
        case .integer: return Column(name: name, type: .integer, storage: .numeric(values))
        case .float: return Column(name: name, type: .float, storage: .numeric(values))
        case .boolean: return Column(name: name, type: .boolean, storage: .numeric(values))
        case .date: return Column(name: name, type: .date, storage: .numeric(values))
        case .datetime: return Column(name: name, type: .datetime, storage: .numeric(values))
        }
    }

    func text(_ field: UnsafeRawBufferPointer) -> String {
        let s = String(decoding: field, as: UTF8.self)
        return s.count > 40 ? String(s.prefix(40)) + "…" : s
    }

    /// Adds one field. Returns false when an inferred numeric/boolean/date column meets a value
    /// of another kind (the caller re-reads the column as categorical).
    @inline(__always)
    mutating func add(_ field: UnsafeRawBufferPointer, missing: Bool, highBit: Bool) throws -> Bool {
        switch kind {
        case .demoted:
            return false
        case .categorical:
            if missing { codes.append(-1); return true }
            try addCategory(field, highBit: highBit)
            return true
        case .unknown:
            if missing { push(.nan); return true }
            return try classifyFirst(field, highBit: highBit)
        case .integer, .float:
            if missing { push(.nan); return true }
            switch NumberParser.parse(field) {
            case .number(let v, let integral):
                if kind == .integer && !integral {
                    if forced == .integer {
                        throw FieldError("'\(text(field))' is not an integer (type override integer)")
                    }
                    kind = .float
                }
                push(v)
                return true
            case .overflow:
                throw FieldError("'\(text(field))' overflows a 64-bit float")
            case .nonFinite:
                throw FieldError("'\(text(field))' is not a finite number: inf and nan are not accepted as text; leave the field empty (or use the missing token) for a missing value")
            case .notNumber:
                if forced != nil {
                    throw FieldError("'\(text(field))' is not a number (type override \(forced?.rawValue ?? ""))")
                }
                return demote()
            }
        case .boolean:
            if missing { push(.nan); return true }
            if let b = parseBool(field, allowDigits: forced == .boolean) { push(b); return true }
            if forced != nil {
                throw FieldError("'\(text(field))' is not a boolean (true/false) (type override boolean)")
            }
            return demote()
        case .date, .datetime:
            if missing { push(.nan); return true }
            if let (seconds, k) = ISODate.parse(field) {
                if k == .datetime && kind == .date && forced == nil { kind = .datetime }
                push(seconds)
                return true
            }
            if forced != nil {
                throw FieldError("'\(text(field))' is not an ISO-8601 \(forced?.rawValue ?? "date") (type override)")
            }
            return demote()
        }
    }

    mutating func demote() -> Bool {
        kind = .demoted
        values = []
        decimals = []
        codeWindow = nil
        scale = -1
        window = nil
        windowCount = 0
        windowCapacity = 0
        return false
    }

    mutating func classifyFirst(_ field: UnsafeRawBufferPointer, highBit: Bool) throws -> Bool {
        switch NumberParser.parse(field) {
        case .number(let v, let integral):
            kind = integral ? .integer : .float
            push(v)
            return true
        case .overflow:
            throw FieldError("'\(text(field))' overflows a 64-bit float")
        case .nonFinite:
            throw FieldError("'\(text(field))' is not a finite number: inf and nan are not accepted as text; leave the field empty (or use the missing token) for a missing value")
        case .notNumber:
            break
        }
        if let b = parseBool(field, allowDigits: false) {
            kind = .boolean
            toFloat64()
            push(b)
            return true
        }
        if let (seconds, k) = ISODate.parse(field) {
            kind = k == .date ? .date : .datetime
            toFloat64()
            push(seconds)
            return true
        }
        // Categorical: earlier rows were all missing.
        kind = .categorical
        codes = [Int32](repeating: -1, count: valueCount)
        codes.reserveCapacity(max(values.capacity, decimals.capacity, windowCapacity))
        values = []
        decimals = []
        codeWindow = nil
        scale = -1
        window = nil
        windowCount = 0
        windowCapacity = 0
        try addCategory(field, highBit: highBit)
        return true
    }

    mutating func addCategory(_ field: UnsafeRawBufferPointer, highBit: Bool) throws {
        let s: String
        if highBit {
            guard let valid = String(validating: field, as: UTF8.self) else {
                throw FieldError("invalid UTF-8 in field")
            }
            s = valid
        } else {
            s = String(decoding: field, as: UTF8.self)
        }
        if let code = lookup[s] {
            codes.append(code)
        } else {
            let code = Int32(levels.count)
            lookup[s] = code
            levels.append(s)
            codes.append(code)
        }
    }

    func parseBool(_ f: UnsafeRawBufferPointer, allowDigits: Bool) -> Double? {
        func eq(_ word: StaticString) -> Bool {
            guard f.count == word.utf8CodeUnitCount else { return false }
            let w = word.utf8Start
            for k in 0..<f.count where (f[k] | 0x20) != w[k] { return false }
            return true
        }
        if eq("true") { return 1 }
        if eq("false") { return 0 }
        if allowDigits {
            if f.count == 1, f[0] == UInt8(ascii: "1") { return 1 }
            if f.count == 1, f[0] == UInt8(ascii: "0") { return 0 }
            if eq("yes") { return 1 }
            if eq("no") { return 0 }
        }
        return nil
    }
}

// MARK: - Numbers

enum NumberParser {
    enum Result { case number(Double, integral: Bool), notNumber, overflow, nonFinite }

    /// Parses a decimal number: `[+-]digits[.digits][(e|E)[+-]digits]`. Exact (correctly rounded):
    /// Clinger's fast path when there are at most 19 digits, the mantissa fits 53 bits and
    /// |exponent| ≤ 22; `strtod` otherwise.
    @inline(__always)
    static func parse(_ f: UnsafeRawBufferPointer) -> Result {
        guard let raw = f.baseAddress, f.count > 0 else { return .notNumber }
        var p = raw.assumingMemoryBound(to: UInt8.self)
        let end = p + f.count
        var negative = false
        if p.pointee == UInt8(ascii: "-") { negative = true; p += 1 } else if p.pointee == UInt8(ascii: "+") { p += 1 }
        var mantissa: UInt64 = 0
        let intStart = p
        while p < end {
            let d = p.pointee &- 48
            if d > 9 { break }
            mantissa = mantissa &* 10 &+ UInt64(d)
            p += 1
        }
        var digits = p - intStart
        var fracDigits = 0
        var integral = true
        if p < end, p.pointee == UInt8(ascii: ".") {
            integral = false
            p += 1
            let fracStart = p
            while p < end {
                let d = p.pointee &- 48
                if d > 9 { break }
                mantissa = mantissa &* 10 &+ UInt64(d)
                p += 1
            }
            fracDigits = p - fracStart
            digits += fracDigits
        }
        if digits == 0 { return nonFiniteOrText(f) }
        var exp10 = -fracDigits
        if p < end, p.pointee | 0x20 == UInt8(ascii: "e") {
            integral = false
            p += 1
            var expNegative = false
            if p < end, p.pointee == UInt8(ascii: "-") { expNegative = true; p += 1 } else if p < end, p.pointee == UInt8(ascii: "+") { p += 1 }
            var e = 0
            let expStart = p
            while p < end {
                let d = p.pointee &- 48
                if d > 9 { break }
                if e < 100_000 { e = e &* 10 &+ Int(d) }
                p += 1
            }
            if p == expStart { return .notNumber }
            exp10 += expNegative ? -e : e
        }
        if p != end { return .notNumber }
        if digits <= 19 {
            if mantissa == 0 { return .number(negative ? -0.0 : 0.0, integral: integral) }
            if mantissa <= (1 << 53), exp10 >= -22, exp10 <= 22 {
                var v = Double(mantissa)
                if exp10 < 0 { v /= pow10(-exp10) } else if exp10 > 0 { v *= pow10(exp10) }
                return .number(negative ? -v : v, integral: integral)
            }
        }
        let v = slowParse(f)
        if !v.isFinite { return .overflow }
        return .number(v, integral: integral)
    }

    @inline(__always)
    static func isEightDigits(_ v: UInt64) -> Bool {
        ((v & 0xF0F0_F0F0_F0F0_F0F0) | (((v &+ 0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0) >> 4)) == 0x3333_3333_3333_3333
    }

    /// Value of eight ASCII digits loaded little-endian (the SWAR method of fast_float/simdjson).
    @inline(__always)
    static func eightDigits(_ v0: UInt64) -> UInt64 {
        var v = v0 &- 0x3030_3030_3030_3030
        v = (v &* 10) &+ (v >> 8)
        let mask: UInt64 = 0x0000_00FF_0000_00FF
        let mul1: UInt64 = 0x000F_4240_0000_0064   // 100 + (1000000 << 32)
        let mul2: UInt64 = 0x0000_2710_0000_0001   // 1 + (10000 << 32)
        return (((v & mask) &* mul1) &+ (((v >> 16) & mask) &* mul2)) >> 32
    }

    @inline(__always)
    static func digitRun(_ q: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, _ mantissa: inout UInt64) {
        while end - q >= 8 {
            let word = UInt64(littleEndian: UnsafeRawPointer(q).loadUnaligned(as: UInt64.self))
            if !isEightDigits(word) { break }
            mantissa = mantissa &* 100_000_000 &+ eightDigits(word)
            q += 8
        }
        if end - q >= 4 {
            let w = UInt32(littleEndian: UnsafeRawPointer(q).loadUnaligned(as: UInt32.self))
            if ((w & 0xF0F0_F0F0) | (((w &+ 0x0606_0606) & 0xF0F0_F0F0) >> 4)) == 0x3333_3333 {
                var v = w &- 0x3030_3030
                v = (v &* 10) &+ (v >> 8)
                mantissa = mantissa &* 10_000 &+ UInt64((v & 0xFF) &* 100 &+ ((v >> 16) & 0xFF))
                q += 4
            }
        }
        while q < end {
            let d = q.pointee &- 48
            if d > 9 { break }
            mantissa = mantissa &* 10 &+ UInt64(d)
            q += 1
        }
    }

    /// The fast path: a number at `p` in Clinger's exact range, ending anywhere before `end`.
    /// Returns its value and length, or nil when the generic parser must decide.
    @inline(__always)
    static func parsePrefix(_ p: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> (value: Double, integral: Bool, length: Int)? {
        var q = p
        var negative = false
        if q < end, q.pointee == UInt8(ascii: "-") { negative = true; q += 1 } else if q < end, q.pointee == UInt8(ascii: "+") { q += 1 }
        var mantissa: UInt64 = 0
        let intStart = q
        digitRun(&q, end, &mantissa)
        var digits = q - intStart
        var fracDigits = 0
        var integral = true
        if q < end, q.pointee == UInt8(ascii: ".") {
            integral = false
            q += 1
            let fracStart = q
            digitRun(&q, end, &mantissa)
            fracDigits = q - fracStart
            digits += fracDigits
        }
        if digits == 0 || digits > 19 { return nil }
        var exp10 = -fracDigits
        if q < end, q.pointee | 0x20 == UInt8(ascii: "e") {
            integral = false
            q += 1
            var expNegative = false
            if q < end, q.pointee == UInt8(ascii: "-") { expNegative = true; q += 1 } else if q < end, q.pointee == UInt8(ascii: "+") { q += 1 }
            var e = 0
            let expStart = q
            while q < end, e < 1000 {
                let d = q.pointee &- 48
                if d > 9 { break }
                e = e &* 10 &+ Int(d)
                q += 1
            }
            if q == expStart || e >= 1000 { return nil }
            exp10 += expNegative ? -e : e
        }
        if mantissa == 0 { return (negative ? -0.0 : 0.0, integral, q - p) }
        guard mantissa <= (1 << 53), exp10 >= -22, exp10 <= 22 else { return nil }
        var v = Double(mantissa)
        if exp10 < 0 { v /= pow10(-exp10) } else if exp10 > 0 { v *= pow10(exp10) }
        return (negative ? -v : v, integral, q - p)
    }

    /// Exact powers of ten up to 1e22.
    @inline(__always)
    static func pow10(_ e: Int) -> Double {
        switch e {
        case 0: return 1e0
        case 1: return 1e1
        case 2: return 1e2
        case 3: return 1e3
        case 4: return 1e4
        case 5: return 1e5
        case 6: return 1e6
        case 7: return 1e7
        case 8: return 1e8
        case 9: return 1e9
        case 10: return 1e10
        case 11: return 1e11
        case 12: return 1e12
        case 13: return 1e13
        case 14: return 1e14
        case 15: return 1e15
        case 16: return 1e16
        case 17: return 1e17
        case 18: return 1e18
        case 19: return 1e19
        case 20: return 1e20
        case 21: return 1e21
        default: return 1e22
        }
    }

    static func slowParse(_ f: UnsafeRawBufferPointer) -> Double {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: f.count + 1) { buf in
            for k in 0..<f.count { buf[k] = CChar(bitPattern: f[k]) }
            buf[f.count] = 0
            guard let start = buf.baseAddress else { return Double.nan }
            return strtod(start, nil)
        }
    }

    static func nonFiniteOrText(_ f: UnsafeRawBufferPointer) -> Result {
        var word: [UInt8] = []
        for b in f where b != UInt8(ascii: "+") && b != UInt8(ascii: "-") { word.append(b | 0x20) }
        switch String(decoding: word, as: UTF8.self) {
        case "inf", "infinity", "nan": return .nonFinite
        default: return .notNumber
        }
    }
}
