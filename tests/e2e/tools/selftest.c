/*
 * selftest.c: the hand-written module of selftest.h.  Correct by default;
 * with -DSELFTEST_BUG=n it has one of the defects the harness exists to
 * catch, so that run.sh can check the harness does catch them:
 *   1  writes one element past the end of y   (ASan: heap overflow)
 *   2  dereferences a null ctx                 (hostile: UBSan/ASan)
 *   3  does not check idx before reading      (ASan, with ints out of range)
 *   4  leaves the last element of y unwritten (the comparison, or a second
 *      run finding different bytes)
 *   5  computes through a static scratch array (global mutable state:
 *      two threads running at once race on it; ThreadSanitizer)
 *   6  reads x's last partial AVX2 vector with a mask one lane too wide
 *      (clang's ASan, which step 6 of run.sh uses, checks masked loads
 *      lane by lane; gcc's does not)
 */
#include "selftest.h"

#include <stdlib.h>
#include <string.h>

#ifndef SELFTEST_BUG
#define SELFTEST_BUG 0
#endif

#if SELFTEST_BUG == 6
#include <immintrin.h>

/* 0 times the first lane of x's last vector, loaded with one lane too many
   (n % 8 + 1 from the last multiple of 8: always x[n] too). */
__attribute__((target("avx2"))) static float tail_bug(const float *x, int64_t n) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n % 8 + 1)), lane);
  float o[8];
  _mm256_storeu_ps(o, _mm256_maskload_ps(x + (n - n % 8), m));
  return o[0] * 0.0f;
}
#endif

struct selftest_ctx {
  float w[4];
};

static const int64_t s_w[] = {4}, s_x[] = {-1}, s_y[] = {-1, 2};
static const tc_arg_info args[] = {
    {"w", TC_WEIGHT, TC_F32, TC_DENSE, 1, NULL, s_w},
    {"x", TC_INPUT, TC_F32, TC_DENSE, 1, NULL, s_x},
    {"idx", TC_INPUT, TC_I64, TC_DENSE, 1, NULL, s_x},
    {"y", TC_OUTPUT, TC_F32, TC_DENSE, 2, NULL, s_y},
};
static const char *const dim_names[] = {"N"};
static const tc_kernel_info info = {"selftest", 1, dim_names, 4, args};

const tc_kernel_info *selftest_info(void) { return &info; }

int selftest_create(selftest_ctx **ctx, const float *w) {
  if (!ctx || !w) return TC_EINVAL;
  *ctx = malloc(sizeof **ctx);
  if (!*ctx) return TC_ENOMEM;
  memcpy((*ctx)->w, w, sizeof(*ctx)->w);
  return TC_OK;
}

void selftest_destroy(selftest_ctx *ctx) { free(ctx); }

int selftest_run(const selftest_ctx *ctx, int64_t N, const float *x,
                 const int64_t *idx, float *y) {
  int64_t i, n = N;
  if ((SELFTEST_BUG != 2 && !ctx) || N < 0) return TC_EINVAL;
  if (N > INT64_MAX / 2) return TC_EINVAL;
  if (N > 0 && (!x || !idx || !y)) return TC_EINVAL;
  if (SELFTEST_BUG != 3)
    for (i = 0; i < N; i++)
      if (idx[i] < 0 || idx[i] >= N) return TC_EINDEX;
  if (SELFTEST_BUG == 4 && n > 0) y[2 * n - 1] = y[2 * n - 1] + 1;
  for (i = 0; i < N; i++) {
    y[2 * i] = x[i] * ctx->w[i % 4];
    if (SELFTEST_BUG != 4 || i + 1 < N) y[2 * i + 1] = x[idx[i]];
  }
  if (SELFTEST_BUG == 1 && N > 0) y[2 * N] = 0;
#if SELFTEST_BUG == 6
  if (N > 0) y[0] += tail_bug(x, N);
#endif
#if SELFTEST_BUG == 5
  {
    static float scratch[4];
    for (i = 0; i < 4; i++) scratch[i] = ctx->w[i];
    for (i = 0; i < N; i++) y[2 * i] = x[i] * scratch[i % 4];
  }
#endif
  return TC_OK;
}

int selftest_create_v(selftest_ctx **ctx, const void *const *w) {
  if (!w) return TC_EINVAL;
  return selftest_create(ctx, (const float *)w[0]);
}

int selftest_run_v(const selftest_ctx *ctx, const int64_t *d,
                   const void *const *in, void *const *out) {
  if (!d || !in || !out) return TC_EINVAL;
  return selftest_run(ctx, d[0], (const float *)in[0], (const int64_t *)in[1],
                      (float *)out[0]);
}

int selftest_shape(int arg, const int64_t *d, int64_t *shape) {
  if (arg < 0 || arg >= 4 || !d || !shape || d[0] < 0) return TC_EINVAL;
  if (arg == 0) {
    shape[0] = 4;
  } else if (arg < 3) {
    shape[0] = d[0];
  } else {
    shape[0] = d[0];
    shape[1] = 2;
  }
  return TC_OK;
}
