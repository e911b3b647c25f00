#include "ckernels.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

int ck_cpu_features(void) {
    int f = 0;
#if defined(__x86_64__) || defined(__i386__)
    f |= CK_CPU_X86_64;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) f |= CK_CPU_AVX2;
    if (__builtin_cpu_supports("fma")) f |= CK_CPU_FMA;
    if (__builtin_cpu_supports("avx512f")) f |= CK_CPU_AVX512F;
#elif defined(__aarch64__)
    f |= CK_CPU_AARCH64;
#endif
    return f;
}

// CBLAS enum values (cblas.h): RowMajor 101, NoTrans 111, Trans 112.
typedef void (*ck_sgemm_fn)(int order, int transA, int transB, int m, int n, int k, float alpha,
                            const float *a, int lda, const float *b, int ldb, float beta,
                            float *c, int ldc);
typedef char *(*ck_str_fn)(void);
typedef void (*ck_set_int_fn)(int);
typedef int (*ck_get_int_fn)(void);

static void *ck_handle;
static ck_sgemm_fn ck_sgemm;
static ck_str_fn ck_corename;
static ck_str_fn ck_config;
static ck_set_int_fn ck_set_threads;
static ck_get_int_fn ck_get_threads;
static char ck_error[512];

int ck_blas_open(const char *path) {
    if (ck_sgemm != NULL) return 0;
    ck_error[0] = 0;
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        const char *e = dlerror();
        strncpy(ck_error, e ? e : "dlopen failed", sizeof ck_error - 1);
        ck_error[sizeof ck_error - 1] = 0;
        return 1;
    }
    ck_sgemm_fn g = (ck_sgemm_fn)dlsym(h, "cblas_sgemm");
    if (g == NULL) {
        const char *e = dlerror();
        strncpy(ck_error, e ? e : "cblas_sgemm not found", sizeof ck_error - 1);
        ck_error[sizeof ck_error - 1] = 0;
        dlclose(h);
        return 2;
    }
    ck_handle = h;
    ck_corename = (ck_str_fn)dlsym(h, "openblas_get_corename");
    ck_config = (ck_str_fn)dlsym(h, "openblas_get_config");
    ck_set_threads = (ck_set_int_fn)dlsym(h, "openblas_set_num_threads");
    ck_get_threads = (ck_get_int_fn)dlsym(h, "openblas_get_num_threads");
    ck_sgemm = g;
    return 0;
}

const char *ck_blas_error(void) { return ck_error; }
int ck_blas_loaded(void) { return ck_sgemm != NULL; }

const char *ck_blas_corename(void) {
    const char *s = ck_corename ? ck_corename() : NULL;
    return s ? s : "";
}

const char *ck_blas_config(void) {
    const char *s = ck_config ? ck_config() : NULL;
    return s ? s : "";
}

void ck_blas_set_num_threads(int n) {
    if (ck_set_threads) ck_set_threads(n);
}

int ck_blas_get_num_threads(void) { return ck_get_threads ? ck_get_threads() : -1; }

void ck_blas_sgemm(int transA, int transB, int m, int n, int k, float alpha,
                   const float *a, int lda, const float *b, int ldb,
                   float beta, float *c, int ldc) {
    ck_sgemm(101, transA ? 112 : 111, transB ? 112 : 111, m, n, k, alpha, a, lda, b, ldb, beta,
             c, ldc);
}

#if defined(__has_builtin)
#if __has_builtin(__builtin_elementwise_sqrt)
#define CK_SQRTF(x) __builtin_elementwise_sqrt(x)
#endif
#endif
#ifndef CK_SQRTF
#include <math.h>
#define CK_SQRTF(x) sqrtf(x)
#endif

#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define CK_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
#endif
#ifndef CK_CLONES
#define CK_CLONES
#endif

/* Copies rows idx[0..rows) of src (row-major, d floats a row) to dst, and y[idx[r]] to ydst[r]
 * when y is non-NULL; rows whose index is >= n come from src2/y2 at idx - n. A plain copy (the
 * bits are unchanged), with software prefetch of the rows a few iterations ahead: the rows are
 * scattered over a data set larger than the caches, so the copy is bound by memory latency. */
void ck_gather_rows(float *restrict dst, float *restrict ydst, const float *src, const float *y,
                    const float *src2, const float *y2, const long *idx, long rows, long d, long n) {
    enum { AHEAD = 12 };
    for (long r = 0; r < rows && r < AHEAD; r++) {
        long s = idx[r];
        const float *row = s < n ? src + s * d : src2 + (s - n) * d;
        __builtin_prefetch(row, 0, 0);
        __builtin_prefetch(row + d - 1, 0, 0);
    }
    for (long r = 0; r < rows; r++) {
        if (r + AHEAD < rows) {
            long s = idx[r + AHEAD];
            const float *row = s < n ? src + s * d : src2 + (s - n) * d;
            __builtin_prefetch(row, 0, 0);
            __builtin_prefetch(row + d - 1, 0, 0);
        }
        long s = idx[r];
        const float *row = s < n ? src + s * d : src2 + (s - n) * d;
        memcpy(dst + r * d, row, (size_t)d * sizeof(float));
        if (ydst) ydst[r] = s < n ? y[s] : y2[s - n];
    }
}

CK_CLONES
void ck_adam_update(float *restrict p, const float *restrict g, float *restrict m,
                    float *restrict v, long n, float b1, float b2, float step, float isb,
                    float eps) {
#pragma clang fp contract(off)
    const float c1 = 1.0f - b1, c2 = 1.0f - b2;
    for (long i = 0; i < n; i++) {
        const float gi = g[i];
        const float mi = b1 * m[i] + c1 * gi;
        const float vi = b2 * v[i] + c2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = p[i] - step * mi / (CK_SQRTF(vi) * isb + eps);
    }
}

/* ---------------------------------------------------------------- portable SIMD sgemm */


#define CK_NB 512

CK_CLONES
static void ck_rows4(float *restrict c0, float *restrict c1, float *restrict c2,
                     float *restrict c3, const float *restrict br, float a0, float a1,
                     float a2, float a3, long nb) {
#pragma clang fp contract(off)
    for (long j = 0; j < nb; j++) {
        const float bv = br[j];
        c0[j] = c0[j] + a0 * bv;
        c1[j] = c1[j] + a1 * bv;
        c2[j] = c2[j] + a2 * bv;
        c3[j] = c3[j] + a3 * bv;
    }
}

CK_CLONES
static void ck_row1(float *restrict c0, const float *restrict br, float a0, long nb) {
#pragma clang fp contract(off)
    for (long j = 0; j < nb; j++) c0[j] = c0[j] + a0 * br[j];
}

int ck_sgemm_simd(int transA, int transB, long m, long n, long k, float alpha,
                  const float *a, long lda, const float *b, long ldb,
                  float beta, float *c, long ldc) {
#pragma clang fp contract(off)
    if (m <= 0 || n <= 0) return 0;
    for (long i = 0; i < m; i++) {
        float *row = c + i * ldc;
        if (beta == 0.0f) {
            for (long j = 0; j < n; j++) row[j] = 0.0f;
        } else if (beta != 1.0f) {
            for (long j = 0; j < n; j++) row[j] = beta * row[j];
        }
    }
    if (k <= 0 || alpha == 0.0f) return 0;
    float *packed = NULL;
    const float *bp = b;
    long bs = ldb;
    if (transB) {
        packed = (float *)malloc(sizeof(float) * (size_t)k * (size_t)n);
        if (packed == NULL) return 1;
        for (long j = 0; j < n; j++)
            for (long p = 0; p < k; p++) packed[p * n + j] = b[j * ldb + p];
        bp = packed;
        bs = n;
    }
    const long aRow = transA ? 1 : lda, aCol = transA ? lda : 1;
    for (long j0 = 0; j0 < n; j0 += CK_NB) {
        const long nb = (n - j0) < CK_NB ? (n - j0) : CK_NB;
        long i = 0;
        for (; i + 4 <= m; i += 4) {
            float *c0 = c + i * ldc + j0;
            const float *ai = a + i * aRow;
            for (long p = 0; p < k; p++) {
                const float *ap = ai + p * aCol;
                ck_rows4(c0, c0 + ldc, c0 + 2 * ldc, c0 + 3 * ldc, bp + p * bs + j0,
                         alpha * ap[0], alpha * ap[aRow], alpha * ap[2 * aRow],
                         alpha * ap[3 * aRow], nb);
            }
        }
        for (; i < m; i++) {
            float *c0 = c + i * ldc + j0;
            const float *ai = a + i * aRow;
            for (long p = 0; p < k; p++) ck_row1(c0, bp + p * bs + j0, alpha * ai[p * aCol], nb);
        }
    }
    free(packed);
    return 0;
}

const char *ck_sgemm_simd_variant(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return "avx512f";
    if (__builtin_cpu_supports("avx2")) return "avx2";
#endif
    return "baseline";
}

// MARK: - Gram matrix for least squares (normal equations)

// Upper triangle of the Gram matrix of the augmented rows a_i = [1, x_i1 … x_ip, y_i]
// (w = p + 2 entries), rows taken in pairs: g[j·w + l] += (a_ij·a_il + b_ij·b_il) for j ≤ l with
// a, b rows 2t and 2t + 1 (an odd last row alone), pairs ascending, IEEE multiplies and adds in
// that order (contraction off). Every entry of g is its own sum over the pairs in row order, so
// how the entries are grouped does not change a bit: the rows are packed CK_GRAM_ROWS at a time
// (row-major, [1, x, y] padded with zeros to a multiple of 8) and tiles of 4 × 8 entries of g stay
// in registers over the packed pairs, vectorised across l only. Every clone gives the same bits,
// and consecutive calls over blocks of one design give the bits of one call when every block but
// the last has an even number of rows.
typedef double ck_v8d __attribute__((vector_size(64)));
#define CK_GRAM_ROWS 256
#define CK_GRAM_MAXW 128

// Vector loads and stores through memcpy (any alignment); macros, so that no function outside
// the clones passes a 512-bit vector (that would change the ABI between clones).
#define CK_LOAD8(v, p) __builtin_memcpy(&(v), (p), sizeof(v))
#define CK_STORE8(p, v) __builtin_memcpy((p), &(v), sizeof(v))

// Entries j·w + l0 … l0 + 7 of g that the upper triangle holds (others read as 0), and back.
static inline __attribute__((always_inline)) void ck_gram_tile_get(const double *g, long w, long j, long l0, double t[8]) {
    for (long k = 0; k < 8; k++) {
        const long l = l0 + k;
        t[k] = (j < w && l < w && j <= l) ? g[j * w + l] : 0.0;
    }
}

static inline __attribute__((always_inline)) void ck_gram_tile_put(double *g, long w, long j, long l0, const double t[8]) {
    for (long k = 0; k < 8; k++) {
        const long l = l0 + k;
        if (j < w && l < w && j <= l) g[j * w + l] = t[k];
    }
}

// The pairs one at a time through g (wide designs, or no memory for the packed rows).
static inline __attribute__((always_inline)) void ck_gram_pairs(const double *x, const double *y, long n, long p,
                                                                double *g) {
#pragma clang fp contract(off)
    const long w = p + 2;
    double a[w], b[w];
    long i = 0;
    for (; i + 1 < n; i += 2) {
        const double *xa = x + i * p, *xb = xa + p;
        a[0] = 1.0; b[0] = 1.0;
        for (long j = 0; j < p; j++) { a[j + 1] = xa[j]; b[j + 1] = xb[j]; }
        a[w - 1] = y[i]; b[w - 1] = y[i + 1];
        for (long j = 0; j < w; j++) {
            const double aj = a[j], bj = b[j];
            double *gj = g + j * w;
            for (long l = j; l < w; l++) gj[l] = gj[l] + (aj * a[l] + bj * b[l]);
        }
    }
    if (i < n) {
        const double *xa = x + i * p;
        a[0] = 1.0;
        for (long j = 0; j < p; j++) a[j + 1] = xa[j];
        a[w - 1] = y[i];
        for (long j = 0; j < w; j++) {
            const double aj = a[j];
            double *gj = g + j * w;
            for (long l = j; l < w; l++) gj[l] = gj[l] + aj * a[l];
        }
    }
}

CK_CLONES
void ck_gram_upper(const double *x, const double *y, long n, long p, double *g) {
#pragma clang fp contract(off)
    const long w = p + 2, wp = (w + 7) & ~7L;
    if (wp > CK_GRAM_MAXW) { ck_gram_pairs(x, y, n, p, g); return; }
    double *pack = malloc((size_t)(n < CK_GRAM_ROWS ? n : CK_GRAM_ROWS) * (size_t)wp * sizeof(double));
    if (!pack) { ck_gram_pairs(x, y, n, p, g); return; }
    for (long i0 = 0; i0 < n; i0 += CK_GRAM_ROWS) {
        const long nb = n - i0 < CK_GRAM_ROWS ? n - i0 : CK_GRAM_ROWS;
        for (long r = 0; r < nb; r++) {
            double *ar = pack + r * wp;
            ar[0] = 1.0;
            const double *xr = x + (i0 + r) * p;
            for (long j = 0; j < p; j++) ar[j + 1] = xr[j];
            ar[w - 1] = y[i0 + r];
            for (long l = w; l < wp; l++) ar[l] = 0.0;
        }
        const long pairs = nb / 2;
        const double *odd = (nb & 1) ? pack + (nb - 1) * wp : 0;
        for (long l0 = 0; l0 < wp; l0 += 8) {
            for (long j0 = 0; j0 < w && j0 <= l0 + 7; j0 += 4) {
                double tile[4][8];
                for (long k = 0; k < 4; k++) ck_gram_tile_get(g, w, j0 + k, l0, tile[k]);
                ck_v8d c0, c1, c2, c3;
                CK_LOAD8(c0, tile[0]); CK_LOAD8(c1, tile[1]); CK_LOAD8(c2, tile[2]); CK_LOAD8(c3, tile[3]);
                for (long t = 0; t < pairs; t++) {
                    const double *ra = pack + 2 * t * wp, *rb = ra + wp;
                    ck_v8d al, bl;
                    CK_LOAD8(al, ra + l0); CK_LOAD8(bl, rb + l0);
                    c0 = c0 + (ra[j0] * al + rb[j0] * bl);
                    c1 = c1 + (ra[j0 + 1] * al + rb[j0 + 1] * bl);
                    c2 = c2 + (ra[j0 + 2] * al + rb[j0 + 2] * bl);
                    c3 = c3 + (ra[j0 + 3] * al + rb[j0 + 3] * bl);
                }
                if (odd) {
                    ck_v8d al;
                    CK_LOAD8(al, odd + l0);
                    c0 = c0 + odd[j0] * al;
                    c1 = c1 + odd[j0 + 1] * al;
                    c2 = c2 + odd[j0 + 2] * al;
                    c3 = c3 + odd[j0 + 3] * al;
                }
                CK_STORE8(tile[0], c0); CK_STORE8(tile[1], c1); CK_STORE8(tile[2], c2); CK_STORE8(tile[3], c3);
                for (long k = 0; k < 4; k++) ck_gram_tile_put(g, w, j0 + k, l0, tile[k]);
            }
        }
    }
    free(pack);
}

// out[i] = θ0 + Σ_j θ_{j+1}·x_ij, j ascending, one IEEE multiply and add each (contraction off).
static inline __attribute__((always_inline)) void ck_linear_rows(const double *restrict x, long n, long p,
                                                                 const double *restrict theta, double *restrict out) {
#pragma clang fp contract(off)
    for (long i = 0; i < n; i++) {
        const double *xi = x + i * p;
        double s = theta[0];
        for (long j = 0; j < p; j++) s = s + theta[j + 1] * xi[j];
        out[i] = s;
    }
}

CK_CLONES
void ck_linear_outputs(const double *x, long n, long p, const double *theta, double *out) {
    ck_linear_rows(x, n, p, theta, out);
}

// Aᵀ(y − Aθ) for A = [1, X] (the normal-equations residual, θ = [b, w1 … wp]): for each row,
// r = y_i − (θ0 + Σ_j θ_j x_ij) summed j ascending, then h[0] += r, h[j] += r·x_ij, rows
// ascending (the residuals of CK_GRAM_ROWS rows are formed first, by ck_linear_rows).
CK_CLONES
void ck_residual_gradient(const double *x, const double *y, long n, long p, const double *theta, double *h) {
#pragma clang fp contract(off)
    double r[CK_GRAM_ROWS];
    for (long i0 = 0; i0 < n; i0 += CK_GRAM_ROWS) {
        const long nb = n - i0 < CK_GRAM_ROWS ? n - i0 : CK_GRAM_ROWS;
        const double *xb = x + i0 * p;
        ck_linear_rows(xb, nb, p, theta, r);
        for (long k = 0; k < nb; k++) r[k] = y[i0 + k] - r[k];
        for (long k = 0; k < nb; k++) {
            const double *xi = xb + k * p;
            const double rk = r[k];
            h[0] = h[0] + rk;
            for (long j = 0; j < p; j++) h[j + 1] = h[j + 1] + rk * xi[j];
        }
    }
}

// MARK: - Standardisation (Tabular's preprocessing)

// out[k·stride] = (x_k − mean) / std for k < n, x_k = v[sel[k]] (v[k] when sel is NULL) and a NaN
// x_k replaced by `fill`: one IEEE subtract and divide per value, so every clone gives the bits of
// the scalar expression. Values are formed 64 at a time in a local buffer (vectorised), then
// stored at the stride (a column of a row-major block). Without sel, n values 8n further on (the
// same column's part of the caller's block 8 blocks ahead) are prefetched into L2: a block reads
// every column in turn, more streams than the hardware prefetcher follows (a 1M × 32 pass took
// 70 ms without, 38 ms with; 12 ms is a plain read).
CK_CLONES
void ck_standardise(const double *restrict v, const long *restrict sel, long n, double mean, double std,
                    double fill, double *restrict out, long stride) {
#pragma clang fp contract(off)
    double t[64];
    if (!sel) {
        for (long k = 0; k < n; k += 8) __builtin_prefetch(v + 8 * n + k, 0, 2);
    }
    for (long k0 = 0; k0 < n; k0 += 64) {
        const long m = n - k0 < 64 ? n - k0 : 64;
        if (sel) {
            for (long k = 0; k < m; k++) {
                const double x = v[sel[k0 + k]];
                t[k] = ((x != x) ? fill : x) - mean;
            }
        } else {
            const double *vk = v + k0;
            for (long k = 0; k < m; k++) {
                const double x = vk[k];
                t[k] = ((x != x) ? fill : x) - mean;
            }
        }
        for (long k = 0; k < m; k++) t[k] = t[k] / std;
        for (long k = 0; k < m; k++) out[(k0 + k) * stride] = t[k];
    }
}

// Σ term(v[r]), term = v[r] (square 0) or (v[r] − centre)² (square 1), in four partial sums by
// r mod 4 over the groups of four rows, the remaining rows added to the first, then
// (s0 + s1) + (s2 + s3): the bits of Tabular's Preprocessor.sum4 when every row counts. One
// 4-lane vector holds the four partial sums.
CK_CLONES
double ck_sum4(const double *v, long n, double centre, int square) {
#pragma clang fp contract(off)
    typedef double ck_v4d __attribute__((vector_size(32)));
    ck_v4d acc = {0.0, 0.0, 0.0, 0.0};
    const ck_v4d c = {centre, centre, centre, centre};
    long r = 0;
    if (square) {
        for (; r + 3 < n; r += 4) {
            ck_v4d x;
            __builtin_memcpy(&x, v + r, sizeof x);
            x = x - c;
            acc = acc + x * x;
        }
    } else {
        for (; r + 3 < n; r += 4) {
            ck_v4d x;
            __builtin_memcpy(&x, v + r, sizeof x);
            acc = acc + x;
        }
    }
    double s[4];
    __builtin_memcpy(s, &acc, sizeof s);
    for (; r < n; r++) {
        const double x = v[r];
        s[0] = s[0] + (square ? (x - centre) * (x - centre) : x);
    }
    return (s[0] + s[1]) + (s[2] + s[3]);
}
