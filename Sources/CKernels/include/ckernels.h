// CKernels: the only C that Learning and Tabular touch.
// - CPU feature probe (__builtin_cpu_supports), so the OpenBLAS kernel can be chosen
//   before the library loads;
// - OpenBLAS loaded at run time with dlopen (no link-time dependency: the package builds and
//   runs where OpenBLAS is absent, falling back to the portable Swift kernel).
#ifndef CKERNELS_H
#define CKERNELS_H

#ifdef __cplusplus
extern "C" {
#endif

/// Bit flags returned by ck_cpu_features().
enum {
    CK_CPU_AVX2 = 1 << 0,
    CK_CPU_FMA = 1 << 1,
    CK_CPU_AVX512F = 1 << 2,
    CK_CPU_X86_64 = 1 << 8,
    CK_CPU_AARCH64 = 1 << 9,
};

/// CPU features of the running machine (0 on architectures it does not know).
int ck_cpu_features(void);

/// Loads OpenBLAS from `path` with dlopen and resolves cblas_sgemm and the openblas_* helpers.
/// Returns 0 on success; 1 if the library could not be opened; 2 if cblas_sgemm is missing.
/// Idempotent: a second call after success returns 0 without reloading.
/// Not thread-safe: call once (Swift wraps it in a lazily initialised `static let`).
int ck_blas_open(const char *path);

/// dlerror() text of the last failed ck_blas_open, or "" (static storage, valid until next call).
const char *ck_blas_error(void);

/// 1 when ck_blas_open succeeded.
int ck_blas_loaded(void);

/// openblas_get_corename() / openblas_get_config(), or "" when the symbol is absent.
const char *ck_blas_corename(void);
const char *ck_blas_config(void);

/// openblas_set_num_threads / openblas_get_num_threads (no-op / -1 when absent).
void ck_blas_set_num_threads(int n);
int ck_blas_get_num_threads(void);

/// Row-major cblas_sgemm through the loaded library. Must only be called after ck_blas_open
/// returned 0. transA/transB: 0 = no transpose, 1 = transpose.
void ck_blas_sgemm(int transA, int transB, int m, int n, int k, float alpha,
                   const float *a, int lda, const float *b, int ldb,
                   float beta, float *c, int ldc);

/// Portable row-major sgemm (no BLAS): i-k-j order over a packed op(B), four rows of C at a
/// time, each C element accumulated over p ascending with separate multiply and add (FP
/// contraction off). On x86-64 it is compiled three times (avx512f / avx2 / baseline) and the
/// loader picks the clone for the running CPU; because every element is summed in the same
/// order with the same IEEE operations, all clones give bit-identical results — equal to
/// `PortableGEMM` in Swift. Returns 0, or 1 if the packing buffer could not be allocated.
int ck_sgemm_simd(int transA, int transB, long m, long n, long k, float alpha,
                  const float *a, long lda, const float *b, long ldb,
                  float beta, float *c, long ldc);

/// Which clone ck_sgemm_simd runs on this CPU: "avx512f", "avx2", "baseline" (x86-64) or
/// "baseline" elsewhere.
const char *ck_sgemm_simd_variant(void);

/// Register-blocked row-major sgemm (the "retune" kernel, gemm_fast.c): an avx512f+fma path
/// (8×32 micro-tiles, zmm accumulators) or an avx2+fma path (6×16), chosen at run time.
/// Every element is acc = fma(a_p, b_p, acc) over p ascending from 0, then alpha·acc (+ beta·C)
/// with separate multiply and add — a fixed order, so results are bit-identical across runs and
/// between the two paths; n = 1 with op(A) = A sums 16 strided partial sums added pairwise
/// (also fixed, the same on both paths). Returns 0; 1 if a packing buffer could not be allocated; 2 if the CPU
/// has neither path (the caller must then use another kernel; C is untouched).
int ck_sgemm_fast(int transA, int transB, long m, long n, long k, float alpha,
                  const float *a, long lda, const float *b, long ldb, float beta,
                  float *c, long ldc);

/// The same with the path forced: level 2 = avx512f, 1 = avx2 (for tests). Returns 2 when the
/// CPU does not support that level.
int ck_sgemm_fast_with(int level, int transA, int transB, long m, long n, long k, float alpha,
                       const float *a, long lda, const float *b, long ldb, float beta,
                       float *c, long ldc);

/// The path ck_sgemm_fast runs on this CPU: "avx512f", "avx2", or "" (not available).
const char *ck_sgemm_fast_variant(void);

/// One Adam update over n parameters (element-wise, in this exact order of operations):
///   m = b1·m + (1−b1)·g;  v = b2·v + (1−b2)·g·g;  p −= step · m / (sqrt(v)·isb + eps)
/// with step = lr / (1 − b1^t) and isb = 1 / sqrt(1 − b2^t) computed by the caller.
/// Written in C because Swift's Float.squareRoot() goes through libm's errno path on Linux and
/// does not vectorise; here sqrt is the IEEE instruction, FP contraction is off (no FMA fusing),
/// so results equal the scalar formula on every CPU.
void ck_adam_update(float *p, const float *g, float *m, float *v, long n,
                    float b1, float b2, float step, float isb, float eps);

/// Gathers rows: dst[r·d …] = row idx[r] of src (or of src2 at idx[r] − n when idx[r] ≥ n), and
/// ydst[r] = y[idx[r]] (or y2[idx[r] − n]) when ydst is non-NULL. Bit-exact copies with software
/// prefetch a few rows ahead (the rows are scattered over data larger than the caches).
void ck_gather_rows(float *dst, float *ydst, const float *src, const float *y,
                    const float *src2, const float *y2, const long *idx, long rows, long d, long n);

/// Upper triangle of the Gram matrix of the augmented rows [1, x_i1 … x_ip, y_i] (w = p + 2):
/// g[j·w + l] += a_ij·a_il for j ≤ l, over rows i ascending (in pairs) with separate multiply and
/// add, so every CPU clone gives bit-identical results. `x` is row-major n × p; `g` (w × w) is
/// added to (its lower triangle is not touched). Calls over consecutive blocks of one design give
/// the bits of one call over all rows when every block but the last has an even number of rows.
void ck_gram_upper(const double *x, const double *y, long n, long p, double *g);

/// h += Aᵀ(y − Aθ) for A = [1, X] (x row-major n × p, θ and h of length p + 1), rows ascending.
void ck_residual_gradient(const double *x, const double *y, long n, long p, const double *theta, double *h);

/// out[i] = θ0 + Σ_j θ_{j+1}·x_ij (x row-major n × p), j ascending, separate multiply and add: the
/// bits of a row-by-row Float64 forward pass of one linear output.
void ck_linear_outputs(const double *x, long n, long p, const double *theta, double *out);

/// out[k·stride] = (x_k − mean) / std for k < n, x_k = v[sel[k]] (v[k] when sel is NULL), a NaN x_k
/// replaced by `fill`; IEEE subtract then divide (the bits of the scalar Swift expression). The
/// numeric columns of Tabular's design blocks.
void ck_standardise(const double *v, const long *sel, long n, double mean, double std, double fill,
                    double *out, long stride);

/// Σ v[r] (square 0) or Σ (v[r] − centre)² (square 1) over r < n in four partial sums by r mod 4
/// (the last n mod 4 rows added to the first), added as (s0 + s1) + (s2 + s3): Tabular's
/// `Preprocessor.sum4` when every row is usable and none is missing.
double ck_sum4(const double *v, long n, double centre, int square);

/// Flags of ck_csv_numeric_rows' `seen` array (OR-ed in, never cleared by the call).
enum {
    CK_CSV_SEEN_NUMBER = 1 << 0,     // a number was read in this column
    CK_CSV_SEEN_FRACTION = 1 << 1,   // one of them had a fraction or an exponent
};

/// The CSV loader's row kernel (csv_numeric.c): from buf[pos], a row start, parses whole rows of
/// `ncols` plain fields separated by `sep` — `[+-]digits[.digits][(e|E)[+-]digits]` in
/// Clinger's exact range, with exactly the value and integral flag of Swift's
/// NumberParser.parsePrefix, or an empty field (quiet NaN, Swift's Double.nan) — each row ended
/// by LF or CRLF, into out[c][r]. Starts no row at or after rowLimit, reads no byte at
/// or after end, parses at most maxRows rows. Stops at the start of the first row it cannot
/// take whole (a blank line, a quote, text, a missing token, too many digits, a wrong field
/// count, a bare CR, a row without a line end at the end of the buffer, a non-integral value in
/// a column with forcedInteger[c] ≠ 0, …). Returns the rows taken; *stop is the offset after
/// the last one. seen[c] gets CK_CSV_SEEN_* flags, possibly also from fields of the row it
/// stopped at that were complete (a number and its separator), which the Swift loop's own fast
/// path then reads to the same values and kinds. scale[c] ≥ 0 (0…9): column c is stored as
/// decimal codes (Tabular's DecimalCodes) and out[c] is an int32_t array: each value becomes
/// ±mantissa·10^(scale+exp10) when that is exact and below 2^31 in magnitude (INT32_MIN for an
/// empty field), otherwise the row stops the call (more decimals than the scale, −0, overflow);
/// scale[c] < 0: out[c] is a double array as described.
long ck_csv_numeric_rows(const unsigned char *buf, long pos, long rowLimit, long end,
                         unsigned char sep, long ncols, const unsigned char *forcedInteger,
                         const signed char *scale, unsigned char *seen, void *const *out, long maxRows,
                         long *stop);

/// Line ends in buf[from..<to) (end: the buffer's length): LF, and CR not followed by LF, so a
/// CRLF counts once. An upper bound on the rows that start in that range and end in it.
long ck_count_row_ends(const unsigned char *buf, long from, long to, long end);

/// A task team (team.c): one publisher thread posts tasks of `items` independent items
/// (≤ 65535); any thread — publisher or worker — claims items of the current task one at a
/// time, runs them and reports each finished; the publisher waits until every item is
/// finished. So whichever threads are running do all the work (a descheduled worker delays
/// nothing it has not claimed). Orderings: writes before ck_team_publish are visible to a
/// thread after a successful ck_team_claim of that task; writes of an item before its
/// ck_team_item_done are visible to the publisher after ck_team_wait_done, and to every
/// claimer of any later task. Waits spin `spins` times (pause), then sleep on a futex.
typedef struct ck_team ck_team;
ck_team *ck_team_create(long spins);
void ck_team_destroy(ck_team *t);
/// Publisher: start a task (the previous one must be finished); returns its number (≥ 1).
unsigned long long ck_team_publish(ck_team *t, unsigned int items);
/// Number of the task most recently published.
unsigned long long ck_team_current(ck_team *t);
/// The next unclaimed item of task `task`, or −1 when that task is no longer current or has
/// none left.
long ck_team_claim(ck_team *t, unsigned long long task);
void ck_team_item_done(ck_team *t);
/// Publisher: until every item of the current task is finished.
void ck_team_wait_done(ck_team *t);
/// Worker: until a publish newer than *seen (updated); returns 1 once ck_team_exit was called.
int ck_team_wait_task(ck_team *t, unsigned int *seen);
/// Publisher: wake every worker and make ck_team_wait_task return 1.
void ck_team_exit(ck_team *t);

#ifdef __cplusplus
}
#endif

#endif
