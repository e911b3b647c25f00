// The CSV loader's row kernel: whole rows of plain numbers parsed straight into per-column
// Double blocks. It accepts a strict subset of what the Swift loop (Tabular/CSV.swift) accepts
// and gives, for that subset, exactly the values of `NumberParser.parsePrefix`: the same
// grammar, Clinger's exact range (≤ 19 digits, mantissa ≤ 2^53, |exp10| ≤ 22) and the same
// single IEEE division or multiplication by an exact power of ten. Anything else ends the call
// at the start of that row, and the Swift loop reads the row as before (with its located
// errors); a row is only counted when every field and its line end were taken.
#include "ckernels.h"

#include <stdint.h>
#include <string.h>

#pragma clang fp contract(off)

// Exact powers of ten (every one of them is a double without rounding).
static const double ck_pow10[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

static const uint64_t ck_pow10_int[9] = {
    1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL, 100000000ULL,
};

static const uint64_t ck_pow10_int9[10] = {
    1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL, 100000000ULL, 1000000000ULL,
};

static inline uint64_t ck_load8(const unsigned char *p) {
    uint64_t w;
    memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return w;
}

// Value of eight ASCII digits loaded little-endian (the SWAR method of fast_float/simdjson;
// the same as NumberParser.eightDigits).
static inline uint64_t ck_eight_digits(uint64_t w) {
    uint64_t v = w - 0x3030303030303030ULL;
    v = (v * 10) + (v >> 8);
    const uint64_t mask = 0x000000FF000000FFULL;
    const uint64_t mul1 = 0x000F424000000064ULL;   // 100 + (1000000 << 32)
    const uint64_t mul2 = 0x0000271000000001ULL;   // 1 + (10000 << 32)
    return (((v & mask) * mul1) + (((v >> 16) & mask) * mul2)) >> 32;
}

// A run of decimal digits at *q (before end): appended to *mantissa (wrapping; the caller
// rejects more than 19 digits, below which the value is exact). Returns the run's length.
static inline long ck_digit_run(const unsigned char **q, const unsigned char *end, uint64_t *mantissa) {
    const unsigned char *p = *q;
    uint64_t m = *mantissa;
    while (end - p >= 8) {
        uint64_t w = ck_load8(p);
        // A byte is a digit when its high nibble is 3 and adding 6 keeps it so. A carry out of
        // a byte ≥ 0xFA only disturbs the bytes above it, which come after a non-digit.
        uint64_t bad = ((w & 0xF0F0F0F0F0F0F0F0ULL) ^ 0x3030303030303030ULL)
                     | (((w + 0x0606060606060606ULL) & 0xF0F0F0F0F0F0F0F0ULL) ^ 0x3030303030303030ULL);
        if (bad == 0) {
            m = m * 100000000ULL + ck_eight_digits(w);
            p += 8;
            if (p - *q > 19) break;   // too many digits: the caller rejects the number
            continue;
        }
        int k = __builtin_ctzll(bad) >> 3;   // digits before the first non-digit
        if (k > 0) {
            // Keep the k digits as the low-order digits of eight, zeros in front.
            uint64_t shifted = (w << (8 * (8 - k))) | (0x3030303030303030ULL >> (8 * k));
            m = m * ck_pow10_int[k] + ck_eight_digits(shifted);
            p += k;
        }
        *mantissa = m;
        long n = p - *q;
        *q = p;
        return n;
    }
    while (p < end) {
        unsigned d = (unsigned)(*p) - 48u;
        if (d > 9) break;
        m = m * 10 + d;
        p++;
    }
    *mantissa = m;
    long n = p - *q;
    *q = p;
    return n;
}

// One number at p (NumberParser.parsePrefix): returns the byte after it, or NULL when the Swift
// parser must decide. *integral: no fraction and no exponent.
static inline const unsigned char *ck_number(const unsigned char *p, const unsigned char *end,
                                             double *value, int *integral) {
    const unsigned char *q = p;
    // The sign without a branch (signs are random in real data); p < end here.
    int negative = *q == '-';
    q += negative | (*q == '+');
    uint64_t mantissa = 0;
    long digits = ck_digit_run(&q, end, &mantissa);
    long fracDigits = 0;
    int isIntegral = 1;
    if (q < end && *q == '.') {
        isIntegral = 0;
        q++;
        if (digits <= 19) fracDigits = ck_digit_run(&q, end, &mantissa);
        digits += fracDigits;
    }
    if (digits == 0 || digits > 19) return NULL;
    long exp10 = -fracDigits;
    if (q < end && (*q | 0x20) == 'e') {
        isIntegral = 0;
        q++;
        int expNegative = 0;
        if (q < end && *q == '-') { expNegative = 1; q++; } else if (q < end && *q == '+') { q++; }
        long e = 0;
        const unsigned char *expStart = q;
        while (q < end && e < 1000) {
            unsigned d = (unsigned)(*q) - 48u;
            if (d > 9) break;
            e = e * 10 + d;
            q++;
        }
        if (q == expStart || e >= 1000) return NULL;
        exp10 += expNegative ? -e : e;
    }
    *integral = isIntegral;
    if (mantissa == 0) {
        *value = negative ? -0.0 : 0.0;
        return q;
    }
    if (mantissa > (1ULL << 53) || exp10 < -22 || exp10 > 22) return NULL;
    double v = (double)(int64_t)mantissa;   // exact: 0 < mantissa ≤ 2^53 (a signed conversion is one instruction)
    if (exp10 < 0) v = v / ck_pow10[-exp10]; else if (exp10 > 0) v = v * ck_pow10[exp10];
    // The sign as a bit, without a branch: signs are random in real data, and the branch that
    // `negative ? -v : v` compiled to was mispredicted on about half the fields. v > 0 here, so
    // setting the bit is negation.
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    bits |= (uint64_t)negative << 63;
    memcpy(value, &bits, sizeof bits);
    return q;
}

// One number at p as a decimal code at `scale` (0…9): *code = ±mantissa·10^(scale+exp10), exact,
// |code| < 2^31. Returns the byte after it, or NULL when the Swift loop must decide (a code is
// impossible at this scale: more decimals than `scale`, |code| ≥ 2^31, −0, or anything ck_number
// would refuse). Decoding the code (Double(code) / 10^scale, one correctly rounded division)
// gives the bits ck_number would give (the correctly rounded value of the same rational).
static inline const unsigned char *ck_code(const unsigned char *p, const unsigned char *end, int scale,
                                           int32_t *code, int *integral) {
    const unsigned char *q = p;
    int negative = *q == '-';
    q += negative | (*q == '+');
    uint64_t mantissa = 0;
    long digits = ck_digit_run(&q, end, &mantissa);
    long fracDigits = 0;
    int isIntegral = 1;
    if (q < end && *q == '.') {
        isIntegral = 0;
        q++;
        if (digits <= 19) fracDigits = ck_digit_run(&q, end, &mantissa);
        digits += fracDigits;
    }
    if (digits == 0 || digits > 19) return NULL;
    long exp10 = -fracDigits;
    if (q < end && (*q | 0x20) == 'e') {
        isIntegral = 0;
        q++;
        int expNegative = 0;
        if (q < end && *q == '-') { expNegative = 1; q++; } else if (q < end && *q == '+') { q++; }
        long e = 0;
        const unsigned char *expStart = q;
        while (q < end && e < 1000) {
            unsigned d = (unsigned)(*q) - 48u;
            if (d > 9) break;
            e = e * 10 + d;
            q++;
        }
        if (q == expStart || e >= 1000) return NULL;
        exp10 += expNegative ? -e : e;
    }
    *integral = isIntegral;
    if (mantissa == 0) {
        if (negative) return NULL;   // −0 has no code
        *code = 0;
        return q;
    }
    long shift = scale + exp10;   // code = mantissa · 10^shift
    if (shift < 0) {
        // Trailing zeros only (rare: the column's scale is below this value's decimals).
        while (shift < 0 && mantissa % 10 == 0) { mantissa /= 10; shift++; }
        if (shift < 0) return NULL;
    }
    if (mantissa > 2147483647ULL || shift > 9) return NULL;
    uint64_t m = mantissa * ck_pow10_int9[shift];
    if (m > 2147483647ULL) return NULL;
    int64_t c = (int64_t)m;
    int64_t sign = -(int64_t)negative;   // without a branch (random signs)
    *code = (int32_t)((c ^ sign) - sign);
    return q;
}

long ck_csv_numeric_rows(const unsigned char *buf, long pos, long rowLimit, long end,
                         unsigned char sep, long ncols, const unsigned char *forcedInteger,
                         const signed char *scale, unsigned char *seen, void *const *out, long maxRows,
                         long *stop) {
    const unsigned char *const last = buf + end;
    const unsigned char *p = buf + pos;
    uint64_t nanBits = 0x7FF8000000000000ULL;   // Swift's Double.nan
    double missing;
    memcpy(&missing, &nanBits, sizeof missing);
    long rows = 0;
    while (rows < maxRows && p - buf < rowLimit && p < last) {
        // A line end at a row's start is a blank line, which the Swift loop skips.
        if (*p == '\n' || *p == '\r') break;
        const unsigned char *q = p;
        long c = 0;
        for (; c < ncols; c++) {
            int integral = 1;
            unsigned char flags = 0;
            if (q >= last) break;   // the buffer ends inside the row
            int s = scale[c];
            if (s >= 0) {
                int32_t code;
                if (*q == sep || *q == '\n' || *q == '\r') {
                    code = INT32_MIN;   // an empty field: missing
                } else {
                    const unsigned char *after = ck_code(q, last, s, &code, &integral);
                    if (after == NULL) break;
                    if (!integral && forcedInteger[c]) break;
                    flags = (unsigned char)(integral ? CK_CSV_SEEN_NUMBER : (CK_CSV_SEEN_NUMBER | CK_CSV_SEEN_FRACTION));
                    q = after;
                }
                ((int32_t *)out[c])[rows] = code;
            } else {
                double v;
                if (*q == sep || *q == '\n' || *q == '\r') {
                    v = missing;   // an empty field: missing, the column's kind unchanged
                } else {
                    const unsigned char *after = ck_number(q, last, &v, &integral);
                    if (after == NULL) break;
                    if (!integral && forcedInteger[c]) break;   // the Swift loop reports it
                    flags = (unsigned char)(integral ? CK_CSV_SEEN_NUMBER : (CK_CSV_SEEN_NUMBER | CK_CSV_SEEN_FRACTION));
                    q = after;
                }
                ((double *)out[c])[rows] = v;
            }
            // A field's flags count only once its end is checked: "2024-01-02" starts with a
            // number, but it is a date to the Swift loop.
            if (c + 1 < ncols) {
                if (q < last && *q == sep) { seen[c] |= flags; q++; continue; }
                break;
            }
            if (q < last && *q == '\n') { seen[c] |= flags; q++; c = ncols; break; }
            if (last - q >= 2 && q[0] == '\r' && q[1] == '\n') { seen[c] |= flags; q += 2; c = ncols; break; }
            break;
        }
        if (c != ncols) break;
        p = q;
        rows++;
    }
    *stop = p - buf;
    return rows;
}

typedef unsigned char ck_u8x16 __attribute__((vector_size(16)));

long ck_count_row_ends(const unsigned char *buf, long from, long to, long end) {
    // Sixteen bytes at a time (SSE2 / NEON): a line end is LF, or CR whose next byte is not LF;
    // per-byte counts accumulate in a byte vector for at most 255 steps at a time.
    long n = 0;
    long i = from;
    const ck_u8x16 lf = {10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10};
    const ck_u8x16 cr = {13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13};
    // Vector steps need bytes i..i+16 (the 17th is the next byte of the 16th) inside the buffer.
    while (to - i >= 16 && end - i >= 17) {
        long steps = (to - i) / 16;
        if ((end - i - 1) / 16 < steps) steps = (end - i - 1) / 16;
        if (steps > 255) steps = 255;
        ck_u8x16 acc = {0};
        for (long k = 0; k < steps; k++, i += 16) {
            ck_u8x16 a, b;
            memcpy(&a, buf + i, 16);
            memcpy(&b, buf + i + 1, 16);
            ck_u8x16 ends = (ck_u8x16)(a == lf) | ((ck_u8x16)(a == cr) & ~(ck_u8x16)(b == lf));
            acc -= ends;   // each end is 0xFF, i.e. -1
        }
        for (int k = 0; k < 16; k++) n += acc[k];
    }
    for (; i < to; i++) {
        n += (buf[i] == '\n') | ((buf[i] == '\r') & (i + 1 >= end || buf[i + 1] != '\n'));
    }
    return n;
}
