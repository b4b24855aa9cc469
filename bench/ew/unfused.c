/*
 * unfused.c: the eager peers (peers.h).  Each workload is computed the way
 * NumPy or eager PyTorch computes it: one op at a time, every op a full
 * pass over memory that writes a temporary malloc'd on this call (and
 * freed at its end).  The ops themselves are as good as a framework's:
 * vectorized (libmvec for exp/tanh) and parallel; what they lack is only
 * fusion.  Comparing tensorc with them measures what fusion buys.
 */
#include <omp.h>
#include <stdlib.h>

#include "mvec.h"
#include "peers.h"

/* The temporaries of one call, freed together at its end. */
enum { MAX_TEMPS = 8 };
typedef struct temps {
  int n;
  float *p[MAX_TEMPS];
} temps;

/* A fresh temporary of n floats, or NULL (the caller then fails). */
static float *temp_new(temps *t, int64_t n) {
  if (t->n == MAX_TEMPS) abort(); /* a workload needs more: a bug here */
  float *p = malloc((size_t)n * sizeof *p);
  t->p[t->n++] = p;
  return p;
}

/* Frees every temporary; returns 0 if all were allocated, else -1. */
static int temps_free(temps *t) {
  int rc = 0;
  for (int i = 0; i < t->n; i++) {
    if (!t->p[i]) rc = -1;
    free(t->p[i]);
  }
  return rc;
}

/* ---- elementwise ops over n elements ---- */

static void op_mul(int64_t n, const float *restrict a, const float *restrict b,
                   float *restrict y) {
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; i++) y[i] = a[i] * b[i];
}

static void op_add(int64_t n, const float *restrict a, const float *restrict b,
                   float *restrict y) {
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; i++) y[i] = a[i] + b[i];
}

static void op_relu(int64_t n, const float *restrict a, float *restrict y) {
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; i++) y[i] = a[i] > 0.0f ? a[i] : 0.0f;
}

static void op_tanh(int64_t n, const float *restrict a, float *restrict y) {
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; i++) y[i] = tanhf(a[i]);
}

static void op_exp(int64_t n, const float *restrict a, float *restrict y) {
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; i++) y[i] = expf(a[i]);
}

static void op_mul_square(int64_t n, const float *restrict a,
                          float *restrict y) {
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; i++) y[i] = a[i] * a[i];
}

/* ---- ops on rows x cols, with a vector v broadcast ---- */

/* y = x - v[:, None] (v of rows elements); likewise for mul and div. */
static void op_sub_rowvec(int64_t rows, int64_t cols, const float *restrict x,
                          const float *restrict v, float *restrict y) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; r++)
#pragma omp simd
    for (int64_t j = 0; j < cols; j++)
      y[r * cols + j] = x[r * cols + j] - v[r];
}

static void op_mul_rowvec(int64_t rows, int64_t cols, const float *restrict x,
                          const float *restrict v, float *restrict y) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; r++)
#pragma omp simd
    for (int64_t j = 0; j < cols; j++)
      y[r * cols + j] = x[r * cols + j] * v[r];
}

static void op_div_rowvec(int64_t rows, int64_t cols, const float *restrict x,
                          const float *restrict v, float *restrict y) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; r++)
#pragma omp simd
    for (int64_t j = 0; j < cols; j++)
      y[r * cols + j] = x[r * cols + j] / v[r];
}

/* y = x * v[None, :] (v of cols elements); likewise for add. */
static void op_mul_colvec(int64_t rows, int64_t cols, const float *restrict x,
                          const float *restrict v, float *restrict y) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; r++)
#pragma omp simd
    for (int64_t j = 0; j < cols; j++)
      y[r * cols + j] = x[r * cols + j] * v[j];
}

static void op_add_colvec(int64_t rows, int64_t cols, const float *restrict x,
                          const float *restrict v, float *restrict y) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; r++)
#pragma omp simd
    for (int64_t j = 0; j < cols; j++)
      y[r * cols + j] = x[r * cols + j] + v[j];
}

/* ---- reductions ---- */

/* y[r] = max of row r. */
static void op_max_rows(int64_t rows, int64_t cols, const float *restrict x,
                        float *restrict y) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    float m = -INFINITY;
#pragma omp simd reduction(max : m)
    for (int64_t j = 0; j < cols; j++)
      m = x[r * cols + j] > m ? x[r * cols + j] : m;
    y[r] = m;
  }
}

/* y[r] = sum of row r, times k (k = 1/cols makes it the mean). */
static void op_sum_rows(int64_t rows, int64_t cols, const float *restrict x,
                        float k, float *restrict y) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    float s = 0.0f;
#pragma omp simd reduction(+ : s)
    for (int64_t j = 0; j < cols; j++) s += x[r * cols + j];
    y[r] = s * k;
  }
}

/* y[j] = sum of column j: the threads split the columns, and each adds its
   columns row after row (contiguous inner loop), as NumPy's sum(axis=0). */
static void op_sum_cols(int64_t rows, int64_t cols, const float *restrict x,
                        float *restrict y) {
#pragma omp parallel
  {
    int t = omp_get_thread_num(), nt = omp_get_num_threads();
    int64_t lo = cols * t / nt, hi = cols * (t + 1) / nt;
#pragma omp simd
    for (int64_t j = lo; j < hi; j++) y[j] = 0.0f;
    for (int64_t r = 0; r < rows; r++)
#pragma omp simd
      for (int64_t j = lo; j < hi; j++) y[j] += x[r * cols + j];
  }
}

/* y = v + k. */
static void op_add_scalar(int64_t n, const float *restrict v, float k,
                          float *restrict y) {
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; i++) y[i] = v[i] + k;
}

/* y = 1 / sqrt(v). */
static void op_rsqrt(int64_t n, const float *restrict v, float *restrict y) {
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; i++) y[i] = 1.0f / sqrtf(v[i]);
}

/* ---- the workloads ---- */

int unfused_chain(int64_t n, const float *a, const float *b, const float *c,
                  const float *d, float *y) {
  temps t = {0};
  float *ab = temp_new(&t, n), *abc = temp_new(&t, n), *m = temp_new(&t, n);
  if (ab && abc && m) {
    op_mul(n, a, b, ab);
    op_add(n, ab, c, abc);
    op_relu(n, abc, m);
    op_mul(n, m, d, y);
  }
  return temps_free(&t);
}

int unfused_chain_exp(int64_t n, const float *a, const float *b,
                      const float *c, const float *d, float *y) {
  temps t = {0};
  float *ab = temp_new(&t, n), *abc = temp_new(&t, n), *m = temp_new(&t, n);
  float *md = temp_new(&t, n), *th = temp_new(&t, n);
  if (ab && abc && m && md && th) {
    op_mul(n, a, b, ab);
    op_add(n, ab, c, abc);
    op_relu(n, abc, m);
    op_mul(n, m, d, md);
    op_tanh(n, md, th);
    op_exp(n, th, y);
  }
  return temps_free(&t);
}

int unfused_softmax(int64_t rows, int64_t cols, const float *x, float *y) {
  temps t = {0};
  int64_t n = rows * cols;
  float *mx = temp_new(&t, rows), *sh = temp_new(&t, n), *e = temp_new(&t, n);
  float *s = temp_new(&t, rows);
  if (mx && sh && e && s) {
    op_max_rows(rows, cols, x, mx);
    op_sub_rowvec(rows, cols, x, mx, sh);
    op_exp(n, sh, e);
    op_sum_rows(rows, cols, e, 1.0f, s);
    op_div_rowvec(rows, cols, e, s, y);
  }
  return temps_free(&t);
}

int unfused_layer_norm(int64_t rows, int64_t cols, const float *x,
                       const float *gamma, const float *beta, float eps,
                       float *y) {
  temps t = {0};
  int64_t n = rows * cols;
  float *mean = temp_new(&t, rows), *xc = temp_new(&t, n);
  float *sq = temp_new(&t, n), *var = temp_new(&t, rows);
  float *ve = temp_new(&t, rows), *rstd = temp_new(&t, rows);
  float *xn = temp_new(&t, n), *xg = temp_new(&t, n);
  if (mean && xc && sq && var && ve && rstd && xn && xg) {
    op_sum_rows(rows, cols, x, 1.0f / (float)cols, mean);
    op_sub_rowvec(rows, cols, x, mean, xc);
    op_mul_square(n, xc, sq);
    op_sum_rows(rows, cols, sq, 1.0f / (float)cols, var);
    op_add_scalar(rows, var, eps, ve);
    op_rsqrt(rows, ve, rstd);
    op_mul_rowvec(rows, cols, xc, rstd, xn);
    op_mul_colvec(rows, cols, xn, gamma, xg);
    op_add_colvec(rows, cols, xg, beta, y);
  }
  return temps_free(&t);
}

int unfused_sumexp(int64_t rows, int64_t cols, const float *x, float *y) {
  temps t = {0};
  int64_t n = rows * cols;
  float *mx = temp_new(&t, rows), *sh = temp_new(&t, n), *e = temp_new(&t, n);
  if (mx && sh && e) {
    op_max_rows(rows, cols, x, mx);
    op_sub_rowvec(rows, cols, x, mx, sh);
    op_exp(n, sh, e);
    op_sum_rows(rows, cols, e, 1.0f, y);
  }
  return temps_free(&t);
}

int unfused_colsum(int64_t rows, int64_t cols, const float *x,
                   const float *scale, const float *bias, float *y) {
  temps t = {0};
  int64_t n = rows * cols;
  float *xs = temp_new(&t, n), *xb = temp_new(&t, n);
  if (xs && xb) {
    op_mul_colvec(rows, cols, x, scale, xs);
    op_add_colvec(rows, cols, xs, bias, xb);
    op_sum_cols(rows, cols, xb, y);
  }
  return temps_free(&t);
}
