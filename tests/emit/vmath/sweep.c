/*
 * sweep.c: the vector math of the intrinsics targets (emit/vmath.c,
 * docs/math.md) against double libm, over a dense subset of all float bit
 * patterns.
 *
 * tests/emit/vmath_test.c writes the functions' text, as tcE_vmath_write
 * prints it for both ISAs, to tc_vmath.c in a temporary folder and builds
 * this file with that folder on the include path, with no -m flag (the
 * target attributes must suffice):
 *     sweep ISA [STRIDE [FN]]
 * ISA is avx512 or avx2.  It evaluates each function at every STRIDE-th
 * float bit pattern (default 4099; 1 is all 2^32 of them), at every pattern
 * within 2^12 of the points where a function changes method, overflows or
 * underflows, and at the special values (only FN, "exp" say, when given);
 * then prints, per function, the largest error: the distance in ulps to
 * the correctly rounded result, and |got - exact| in ulps of the exact
 * result.  Exit status 1 when a function is beyond its bound, when a
 * result at 0 or an infinity differs from libm's, when an exact zero has
 * the wrong sign, or when NaN is not NaN; 77 when the CPU lacks the ISA.
 * A result in the subnormal range may flush to zero: there a function
 * need only stay at or below FLT_MIN.
 */
#include <float.h>
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tc_vmath.c"

/* The references: libm in double, and for the ops that are compositions
   the forms rt/ref computes (rt/ref/ref_ewise.c), without cancellation. */
static double sigmoid_d(double x) {
  double e;
  if (x >= 0) return 1 / (1 + exp(-x));
  e = exp(x);
  return e / (1 + e);
}
static double ref_sigmoid(double x) { return sigmoid_d(x); }
static double ref_silu(double x) { return x * sigmoid_d(x); }
static double ref_softplus(double x) { return x > 20 ? x : log1p(exp(x)); }
static double ref_gelu(double x) { return 0.5 * x * erfc(-x * 0.70710678118654752); }
static double ref_gelu_tanh(double x) {
  return x * sigmoid_d(1.5957691216057308 * (x + 0.044715 * x * x * x));
}

/* Each function over n floats (n a multiple of 16), 16 or 8 lanes a call. */
#define RUN_AVX512(fn)                                                              \
  TC_TARGET_AVX512 static void fn##_x16(const float *x, float *y, int n) {          \
    int i;                                                                          \
    for (i = 0; i < n; i += 16) _mm512_storeu_ps(y + i, tc_##fn##_avx512(_mm512_loadu_ps(x + i))); \
  }
#define RUN_AVX2(fn)                                                                \
  TC_TARGET_AVX2 static void fn##_x8(const float *x, float *y, int n) {             \
    int i;                                                                          \
    for (i = 0; i < n; i += 8) _mm256_storeu_ps(y + i, tc_##fn##_avx2(_mm256_loadu_ps(x + i))); \
  }
#define RUN(fn) RUN_AVX512(fn) RUN_AVX2(fn)
RUN(exp) RUN(exp2) RUN(expm1) RUN(log) RUN(log2) RUN(log1p) RUN(tanh) RUN(sigmoid)
RUN(silu) RUN(softplus) RUN(erf) RUN(gelu) RUN(gelu_tanh)

typedef void (*vfn)(const float *, float *, int);
typedef struct fn {
  const char *name;
  vfn f[2];           /* avx512, avx2 */
  double (*ref)(double);
  int bound[2];       /* ulps to the correctly rounded result, AVX-512 and
                         AVX2: docs/math.md's measured maximum + 1, at most
                         4 (issue 5's bound) */
  float points[8];    /* dense sweeps around +-these (0 ends the list) */
} fn;

#define F(name) {name##_x16, name##_x8}
static const fn fns[] = {
    {"exp", F(exp), exp, {2, 2}, {88.7228394f, 87.3365479f, 103.972084f, 0.34657359f, 104.0f}},
    {"exp2", F(exp2), exp2, {2, 2}, {128.0f, 126.0f, 149.0f, 0.5f, 152.0f}},
    {"expm1", F(expm1), expm1, {3, 3}, {88.7228394f, 2.98023224e-8f, 0.34657359f, 17.0f, 104.0f}},
    {"log", F(log), log, {2, 2}, {1.0f, 0.75f, 1.5f, 1.17549435e-38f, 3.40282347e38f}},
    {"log2", F(log2), log2, {3, 3}, {1.0f, 0.75f, 1.5f, 1.17549435e-38f, 2.0f}},
    {"log1p", F(log1p), log1p, {2, 2}, {0.99999994f, 1.0f, 0.25f, 0.5f, 1.6777216e7f, 0.75f}},
    {"tanh", F(tanh), tanh, {2, 2}, {0.625f, 10.0f, 9.0f, 1e-30f, 0.5f}},
    {"sigmoid", F(sigmoid), ref_sigmoid, {4, 3}, {20.0f, 87.3365479f, 103.972084f, 104.0f, 17.0f}},
    {"silu", F(silu), ref_silu, {4, 4}, {20.0f, 87.3365479f, 91.0f, 104.0f, 110.0f}},
    {"softplus", F(softplus), ref_softplus, {3, 3}, {20.0f, 87.3365479f, 103.972084f, 104.0f}},
    {"erf", F(erf), erf, {2, 2}, {0.875f, 4.0f, 3.9f, 1e-30f}},
    {"gelu", F(gelu), ref_gelu, {4, 4}, {13.1f, 14.5f, 15.0f, 3.0f, 1e-30f}},
    {"gelu_tanh", F(gelu_tanh), ref_gelu_tanh, {4, 4}, {5.0f, 9.5f, 10.5f, 12.0f, 2.0f}},
};
enum { NFN = sizeof fns / sizeof fns[0], BATCH = 4096 };

typedef struct stats {
  int64_t ulps;   /* the largest distance to the correctly rounded result */
  float at;       /* where */
  double real;    /* the largest |got - exact| / ulp(exact) */
  long bad;       /* special values, zeros, NaN or flushes gone wrong */
} stats;

static float from_bits(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}
static uint32_t to_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}
/* The floats in order as integers (-0 and +0 both 0, inf next to FLT_MAX). */
static int64_t ordinal(float f) {
  uint32_t u = to_bits(f);
  return u & 0x80000000u ? -(int64_t)(u & 0x7fffffffu) : (int64_t)u;
}

static void bad(const fn *F, stats *s, float x, float got, double want) {
  if (s->bad++ < 5) printf("  %s(%a) = %a, want %a\n", F->name, x, got, (float)want);
}

static void check(const fn *F, stats *s, float x, float got) {
  double want = F->ref((double)x), ulp, real;
  float wf = (float)want;
  int64_t d;
  if (want != want) {
    if (got == got) bad(F, s, x, got, want);
    return;
  }
  if (want == 0 || x == 0 || isinf(x)) {
    /* at 0 and the infinities, and for exact zeros, exactly libm */
    if (got != wf || signbit(got) != signbit(wf)) bad(F, s, x, got, want);
    return;
  }
  if (fabs(want) < FLT_MIN) {
    if (!(fabsf(got) <= FLT_MIN)) bad(F, s, x, got, want); /* may flush */
    return;
  }
  d = ordinal(got) - ordinal(wf);
  d = d < 0 ? -d : d;
  if (got != got) d = INT32_MAX;
  if (d > s->ulps) {
    s->ulps = d;
    s->at = x;
  }
  ulp = ldexp(1.0, ilogb(want) - 23);
  real = isinf(got) ? (isinf(wf) ? 0 : fabs(copysign(0x1p128, got) - want) / ulp)
                    : fabs((double)got - want) / ulp;
  if (real > s->real) s->real = real;
}

int main(int argc, char **argv) {
  static float xs[BATCH], ys[BATCH];
  static const uint32_t specials[] = {
      0x00000000u, 0x80000000u, 0x7f800000u, 0xff800000u, 0x7fc00000u, 0xffc00000u,
      0x7f800001u, 0xff812345u, 0x7fffffffu, 0x00000001u, 0x80000001u, 0x00800000u,
      0x80800000u, 0x7f7fffffu, 0xff7fffffu, 0x3f800000u, 0xbf800000u};
  const char *isa = argc > 1 ? argv[1] : "avx512";
  uint64_t stride = argc > 2 ? strtoull(argv[2], NULL, 10) : 4099;
  const char *only = argc > 3 ? argv[3] : NULL;
  int v = strcmp(isa, "avx2") == 0, failed = 0, k;
  __builtin_cpu_init();
  if (v ? !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        : !__builtin_cpu_supports("avx512f")) {
    printf("skipped: this CPU has no %s\n", v ? "avx2+fma" : "avx512f");
    return 77;
  }
  if (stride == 0) stride = 1;
  printf("%s, every %llu-th float\n%-10s %6s %6s %10s  %s\n", isa, (unsigned long long)stride,
         "function", "ulps", "bound", "real ulps", "at");
  for (k = 0; k < NFN; k++) {
    const fn *F = &fns[k];
    stats s = {0, 0, 0, 0};
    uint64_t u = 0;
    int n = 0, i, p, sign;
    if (only && strcmp(only, F->name)) continue;
    while (u < 0x100000000ull) {
      xs[n++] = from_bits((uint32_t)u);
      u += stride;
      if (n == BATCH || u >= 0x100000000ull) {
        for (i = n; i % 16; i++) xs[i] = 0;
        F->f[v](xs, ys, i);
        for (i = 0; i < n; i++) check(F, &s, xs[i], ys[i]);
        n = 0;
      }
    }
    for (p = 0; p < 8 && F->points[p] != 0; p++)
      for (sign = -1; sign <= 1; sign += 2) {
        uint32_t b = to_bits((float)sign * F->points[p]) - BATCH, j;
        for (j = 0; j < 2u * BATCH; j += BATCH) {
          for (i = 0; i < BATCH; i++) xs[i] = from_bits(b + j + (uint32_t)i);
          F->f[v](xs, ys, BATCH);
          for (i = 0; i < BATCH; i++) check(F, &s, xs[i], ys[i]);
        }
      }
    n = (int)(sizeof specials / sizeof specials[0]);
    for (i = 0; i < n; i++) xs[i] = from_bits(specials[i]);
    for (; i % 16; i++) xs[i] = 0;
    F->f[v](xs, ys, i);
    for (i = 0; i < n; i++) check(F, &s, xs[i], ys[i]);
    printf("%-10s %6lld %6d %10.3f  %a%s\n", F->name, (long long)s.ulps, F->bound[v], s.real,
           s.at, s.ulps > F->bound[v] || s.bad ? "  FAILED" : "");
    fflush(stdout);
    if (s.ulps > F->bound[v] || s.bad) failed = 1;
  }
  return failed;
}
