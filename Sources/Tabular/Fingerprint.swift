import CLibcrypto

/// Streaming SHA-256 over OpenSSL's EVP interface (system libcrypto).
public struct SHA256Stream: ~Copyable {
    private let ctx: OpaquePointer?

    public init() {
        ctx = EVP_MD_CTX_new()
        if let ctx { EVP_DigestInit_ex(ctx, EVP_sha256(), nil) }
    }

    deinit { if let ctx { EVP_MD_CTX_free(ctx) } }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let ctx, let base = bytes.baseAddress, bytes.count > 0 else { return }
        EVP_DigestUpdate(ctx, base, bytes.count)
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Lowercase hex digest.
    public consuming func finalizeHex() -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        if let ctx { EVP_DigestFinal_ex(ctx, &digest, &length) }
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for b in digest.prefix(Int(length == 0 ? 32 : length)) {
            out.append(hex[Int(b >> 4)]); out.append(hex[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// SHA-256 of a byte string, as hex.
    public static func hex(_ bytes: [UInt8]) -> String {
        var s = SHA256Stream()
        s.update(bytes)
        return s.finalizeHex()
    }
}

extension Dataset {
    /// SHA-256 (hex) of a canonical encoding of the schema and values, independent of the file's
    /// path, line endings, quoting, number spelling (`1.50` = `1.5`) and category order.
    ///
    /// Encoding (all integers little-endian): `"retune-dataset-v1\0"`, column count (UInt64), row
    /// count (UInt64); per column its name (UInt64 byte length + UTF-8) and type name (same); then
    /// column by column the values: numbers as IEEE-754 binary64 bits (every NaN as
    /// 0x7FF8000000000000, −0 as +0), categories as UInt32 byte length + UTF-8, a missing category
    /// as length 0xFFFFFFFF. The dataset's name and its target/time roles are not part of it.
    /// Values stream through a 64 KiB buffer: no copy of the data is made.
    public func fingerprint() -> String {
        var hasher = SHA256Stream()
        var buffer = FingerprintBuffer()
        buffer.append(bytes: Array("retune-dataset-v1".utf8) + [0], to: &hasher)
        buffer.append(u64: UInt64(columns.count), to: &hasher)
        buffer.append(u64: UInt64(rowCount), to: &hasher)
        for c in columns {
            let n = Array(c.name.utf8), t = Array(c.type.rawValue.utf8)
            buffer.append(u64: UInt64(n.count), to: &hasher); buffer.append(bytes: n, to: &hasher)
            buffer.append(u64: UInt64(t.count), to: &hasher); buffer.append(bytes: t, to: &hasher)
        }
        for c in columns {
            switch c.storage {
            case .numeric(let values):
                for v in values {
                    let bits: UInt64 = v.isNaN ? 0x7FF8_0000_0000_0000 : (v == 0 ? 0 : v.bitPattern)
                    buffer.append(u64: bits, to: &hasher)
                }
            case .decimal(let d):
                // The decoded values' bits (the same bytes as the Float64 column's; a code is
                // never −0).
                for code in d.codes {
                    let v = DecimalCodes.decode(code, scale: d.scale)
                    let bits: UInt64 = v.isNaN ? 0x7FF8_0000_0000_0000 : (v == 0 ? 0 : v.bitPattern)
                    buffer.append(u64: bits, to: &hasher)
                }
            case .categorical(let codes, let levels):
                let encoded = levels.map { Array($0.utf8) }
                for code in codes {
                    if code < 0 {
                        buffer.append(u32: 0xFFFF_FFFF, to: &hasher)
                    } else {
                        let e = encoded[Int(code)]
                        buffer.append(u32: UInt32(e.count), to: &hasher)
                        buffer.append(bytes: e, to: &hasher)
                    }
                }
            }
        }
        buffer.flush(to: &hasher)
        return hasher.finalizeHex()
    }
}

struct FingerprintBuffer {
    var bytes: [UInt8]
    var used = 0
    init() { bytes = [UInt8](repeating: 0, count: 1 << 16) }

    mutating func flush(to h: inout SHA256Stream) {
        let n = used
        bytes.withUnsafeBytes { h.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        used = 0
    }

    @inline(__always)
    mutating func append(u64 v: UInt64, to h: inout SHA256Stream) {
        if used + 8 > bytes.count { flush(to: &h) }
        let at = used
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: v.littleEndian, toByteOffset: at, as: UInt64.self) }
        used += 8
    }

    @inline(__always)
    mutating func append(u32 v: UInt32, to h: inout SHA256Stream) {
        if used + 4 > bytes.count { flush(to: &h) }
        let at = used
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: v.littleEndian, toByteOffset: at, as: UInt32.self) }
        used += 4
    }

    mutating func append(bytes b: [UInt8], to h: inout SHA256Stream) {
        if used + b.count > bytes.count { flush(to: &h) }
        if b.count > bytes.count {
            b.withUnsafeBytes { h.update($0) }
            return
        }
        for x in b { bytes[used] = x; used += 1 }
    }
}
