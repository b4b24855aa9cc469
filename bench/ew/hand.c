/*
 * hand.c: the hand-written peers (peers.h): the loops a careful C
 * programmer writes for each workload, in one pass over memory, vectorized
 * by gcc (`omp simd`, libmvec for expf/tanhf) and parallel over the outer
 * loop.  They are the bar tensorc's fused kernels are to reach.
 */
#include <omp.h>
#include <stdlib.h>

#include "mvec.h"
#include "peers.h"

void hand_chain(int64_t n, const float *restrict a, const float *restrict b,
                const float *restrict c, const float *restrict d,
                float *restrict y) {
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; i++) {
    float t = a[i] * b[i] + c[i];
    y[i] = (t > 0.0f ? t : 0.0f) * d[i];
  }
}

/* gcc 12 does not if-convert a loop that also calls a vector function
   (the `t > 0 ? t : 0`), so the loop is strip-mined: the chain up to the
   calls fills a block in L1, the calls then run over the block.  Memory is
   still touched once. */
enum { STRIP = 512 };

void hand_chain_exp(int64_t n, const float *restrict a,
                    const float *restrict b, const float *restrict c,
                    const float *restrict d, float *restrict y) {
#pragma omp parallel for schedule(static)
  for (int64_t i0 = 0; i0 < n; i0 += STRIP) {
    int64_t m = n - i0 < STRIP ? n - i0 : STRIP;
    float t[STRIP];
#pragma omp simd
    for (int64_t k = 0; k < m; k++) {
      float u = a[i0 + k] * b[i0 + k] + c[i0 + k];
      t[k] = (u > 0.0f ? u : 0.0f) * d[i0 + k];
    }
#pragma omp simd
    for (int64_t k = 0; k < m; k++) y[i0 + k] = expf(tanhf(t[k]));
  }
}

/* The max of a row: the shift that keeps expf from overflowing. */
static float row_max(int64_t n, const float *restrict x) {
  float m = -INFINITY;
#pragma omp simd reduction(max : m)
  for (int64_t j = 0; j < n; j++) m = x[j] > m ? x[j] : m;
  return m;
}

void hand_softmax(int64_t rows, int64_t cols, const float *restrict x,
                  float *restrict y) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    const float *restrict xr = x + r * cols;
    float *restrict yr = y + r * cols;
    float m = row_max(cols, xr), s = 0.0f;
    /* The exponentials go to y while the row is in cache; the second pass
       over y then costs no memory traffic. */
#pragma omp simd reduction(+ : s)
    for (int64_t j = 0; j < cols; j++) {
      float e = expf(xr[j] - m);
      yr[j] = e;
      s += e;
    }
    float inv = 1.0f / s;
#pragma omp simd
    for (int64_t j = 0; j < cols; j++) yr[j] *= inv;
  }
}

void hand_layer_norm(int64_t rows, int64_t cols, const float *restrict x,
                     const float *restrict gamma, const float *restrict beta,
                     float eps, float *restrict y) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    const float *restrict xr = x + r * cols;
    float *restrict yr = y + r * cols;
    /* Two passes over the cached row (mean, then the squared deviations),
       as tensorc's layer_norm is defined: more accurate than E[x^2]-E[x]^2. */
    float s = 0.0f;
#pragma omp simd reduction(+ : s)
    for (int64_t j = 0; j < cols; j++) s += xr[j];
    float mean = s / (float)cols, q = 0.0f;
#pragma omp simd reduction(+ : q)
    for (int64_t j = 0; j < cols; j++) {
      float t = xr[j] - mean;
      q += t * t;
    }
    float rstd = 1.0f / sqrtf(q / (float)cols + eps);
#pragma omp simd
    for (int64_t j = 0; j < cols; j++)
      yr[j] = (xr[j] - mean) * rstd * gamma[j] + beta[j];
  }
}

void hand_sumexp(int64_t rows, int64_t cols, const float *restrict x,
                 float *restrict y) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    const float *restrict xr = x + r * cols;
    float m = row_max(cols, xr), s = 0.0f;
#pragma omp simd reduction(+ : s)
    for (int64_t j = 0; j < cols; j++) s += expf(xr[j] - m);
    y[r] = s;
  }
}

int hand_colsum(int64_t rows, int64_t cols, const float *restrict x,
                const float *restrict scale, const float *restrict bias,
                float *restrict y) {
  int nt = omp_get_max_threads();
  float *part = malloc((size_t)nt * (size_t)cols * sizeof *part);
  if (!part) return -1;
#pragma omp parallel num_threads(nt)
  {
    /* Each thread sums its block of rows into its own row of partials: the
       inner loop runs along a row of x, contiguous and vectorized. */
    int t = omp_get_thread_num(), used = omp_get_num_threads();
    float *restrict acc = part + (int64_t)t * cols;
    int64_t lo = rows * t / used, hi = rows * (t + 1) / used;
#pragma omp simd
    for (int64_t j = 0; j < cols; j++) acc[j] = 0.0f;
    for (int64_t r = lo; r < hi; r++) {
      const float *restrict xr = x + r * cols;
#pragma omp simd
      for (int64_t j = 0; j < cols; j++) acc[j] += xr[j] * scale[j] + bias[j];
    }
#pragma omp barrier
    /* The partials are added in thread order, so the result depends only on
       the number of threads, never on their timing. */
#pragma omp for simd schedule(static)
    for (int64_t j = 0; j < cols; j++) {
      float s = 0.0f;
      for (int k = 0; k < used; k++) s += part[(int64_t)k * cols + j];
      y[j] = s;
    }
  }
  free(part);
  return 0;
}
