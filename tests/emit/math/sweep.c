/*
 * sweep.c: the f32 math helpers of the generated C (emit/scalar.c,
 * docs/math.md) against double libm, over a dense subset of all float
 * bit patterns.
 *
 * tests/emit/math_test.c writes the helpers' text, as the emitter prints
 * it, to tc_math.c in a temporary folder and builds this file with that
 * folder on the include path:
 *     sweep [STRIDE [HELPER]]
 * evaluates each helper at every STRIDE-th float bit pattern (default
 * 8191; 1 is all 2^32 of them), at every pattern within 2^12 of the points
 * where a helper changes method, overflows or underflows, and at the
 * special values (only HELPER, "exp" say, when given); then prints, per
 * helper, the largest error: the distance in ulps to the correctly rounded
 * result, and |got - exact| in ulps of the exact result.  Exit status 1 when a helper is beyond its bound, when
 * a result at 0 or an infinity differs from libm's, when an exact zero has
 * the wrong sign, or when NaN is not NaN.  A result in the subnormal range
 * may flush to zero: there a helper need only stay at or below FLT_MIN.
 *
 * The helpers run over batches in a loop that gcc vectorizes (at -O3), so
 * that the vector code is what gets checked.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tc_math.c"

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
/* 0.5 x (1 + tanh(u)) = x sigmoid(2u), which does not cancel for x < 0 */
static double ref_gelu_tanh(double x) {
  return x * sigmoid_d(1.5957691216057308 * (x + 0.044715 * x * x * x));
}

typedef struct fn {
  const char *name;
  float (*f)(float);
  double (*ref)(double);
  int bound;        /* ulps to the correctly rounded result: docs/math.md's
                       measured maximum + 1 */
  float points[8];  /* dense sweeps around +-these (0 ends the list) */
} fn;

static const fn fns[] = {
    {"exp", tc_expf, exp, 2, {88.7228394f, 87.3365479f, 103.972084f, 0.34657359f}},
    {"exp2", tc_exp2f, exp2, 2, {128.0f, 126.0f, 149.0f, 0.5f}},
    {"expm1", tc_expm1f, expm1, 2, {88.7228394f, 2.98023224e-8f, 0.34657359f, 17.0f}},
    {"log", tc_logf, log, 2, {1.0f, 0.70710677f, 1.41421354f, 1.17549435e-38f, 3.40282347e38f}},
    {"log2", tc_log2f, log2, 2, {1.0f, 0.70710677f, 1.41421354f, 1.17549435e-38f, 2.0f}},
    {"log1p", tc_log1pf, log1p, 2, {0.99999994f, 1.0f, 0.29289323f, 0.41421354f, 1.6777216e7f}},
    {"tanh", tc_tanhf, tanh, 3, {0.625f, 9.0f, 1e-30f}},
    {"sigmoid", tc_sigmoidf, ref_sigmoid, 3, {20.0f, 87.3365479f, 103.972084f, 17.0f}},
    {"silu", tc_siluf, ref_silu, 3, {20.0f, 87.3365479f, 91.0f, 104.0f}},
    {"softplus", tc_softplusf, ref_softplus, 3, {20.0f, 87.3365479f, 103.972084f}},
    {"gelu_tanh", tc_gelu_tanhf, ref_gelu_tanh, 3, {5.0f, 9.5f, 2.0f}},
    {"erf", tc_erff, erf, 2, {0.875f, 4.0f, 1e-30f}},
    {"gelu", tc_geluf, ref_gelu, 3, {13.1f, 14.0f, 3.0f, 1e-30f}},
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

/* The helper over a batch, in a loop gcc vectorizes. */
static void run(const fn *F, const float *x, float *y, int n) {
  int i;
  for (i = 0; i < n; i++) y[i] = F->f(x[i]);
}

int main(int argc, char **argv) {
  static float xs[BATCH], ys[BATCH];
  static const uint32_t specials[] = {
      0x00000000u, 0x80000000u, 0x7f800000u, 0xff800000u, 0x7fc00000u, 0xffc00000u,
      0x00000001u, 0x80000001u, 0x00800000u, 0x80800000u, 0x7f7fffffu, 0xff7fffffu,
      0x3f800000u, 0xbf800000u};
  uint64_t stride = argc > 1 ? strtoull(argv[1], NULL, 10) : 8191;
  const char *only = argc > 2 ? argv[2] : NULL;
  int failed = 0, k;
  if (stride == 0) stride = 1;
  printf("%-10s %6s %6s %10s  %s\n", "helper", "ulps", "bound", "real ulps", "at");
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
        run(F, xs, ys, n);
        for (i = 0; i < n; i++) check(F, &s, xs[i], ys[i]);
        n = 0;
      }
    }
    for (p = 0; p < 8 && F->points[p] != 0; p++)
      for (sign = -1; sign <= 1; sign += 2) {
        uint32_t b = to_bits((float)sign * F->points[p]) - BATCH, j;
        for (j = 0; j < 2u * BATCH; j += BATCH) {
          for (i = 0; i < BATCH; i++) xs[i] = from_bits(b + j + (uint32_t)i);
          run(F, xs, ys, BATCH);
          for (i = 0; i < BATCH; i++) check(F, &s, xs[i], ys[i]);
        }
      }
    for (i = 0; i < (int)(sizeof specials / sizeof specials[0]); i++)
      xs[i] = from_bits(specials[i]);
    run(F, xs, ys, i);
    while (i-- > 0) check(F, &s, xs[i], ys[i]);
    printf("%-10s %6lld %6d %10.3f  %a%s\n", F->name, (long long)s.ulps, F->bound, s.real,
           s.at, s.ulps > F->bound || s.bad ? "  FAILED" : "");
    fflush(stdout);
    if (s.ulps > F->bound || s.bad) failed = 1;
  }
  return failed;
}
