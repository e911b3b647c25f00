#include "ckernels.h"

#include <dlfcn.h>
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
