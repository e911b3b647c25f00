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
// that order (contraction off). The vector loop runs across l, so no sum is reordered between
// clones: every clone gives bit-identical results. Pairs halve the loads and stores of g.
CK_CLONES
void ck_gram_upper(const double *x, const double *y, long n, long p, double *g) {
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

// Aᵀ(y − Aθ) for A = [1, X] (the normal-equations residual, θ = [b, w1 … wp]): for each row,
// r = y_i − (θ0 + Σ_j θ_j x_ij) summed j ascending, then h[0] += r, h[j] += r·x_ij.
CK_CLONES
void ck_residual_gradient(const double *x, const double *y, long n, long p, const double *theta, double *h) {
#pragma clang fp contract(off)
    for (long i = 0; i < n; i++) {
        const double *xi = x + i * p;
        double s = theta[0];
        for (long j = 0; j < p; j++) s = s + theta[j + 1] * xi[j];
        const double r = y[i] - s;
        h[0] = h[0] + r;
        for (long j = 0; j < p; j++) h[j + 1] = h[j + 1] + r * xi[j];
    }
}
