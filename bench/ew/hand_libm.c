/*
 * hand_libm.c: the peers of issue 5's goal for compute-heavy elementwise
 * ops (peers.h): y = op(x), written as a careful C programmer writes it
 * with libm's scalar functions, and compiled like everything in bench/
 * (-O3 -march=native -fopenmp) but WITHOUT mvec.h: <math.h> declares no
 * vector variants outside -ffast-math, so gcc cannot vectorize the calls
 * and every element is one call into libm.  That is the "hand-written C
 * loop that calls libm's erff/expf/tanhf" the issue measures against (the
 * build checks that no libmvec call crept in).  Parallel over the loop.
 */
#include <math.h>

#include "peers.h"

void hand_exp(int64_t n, const float *restrict x, float *restrict y) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; i++) y[i] = expf(x[i]);
}

void hand_tanh(int64_t n, const float *restrict x, float *restrict y) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; i++) y[i] = tanhf(x[i]);
}

/* 1 / (1 + e^-x): exact enough everywhere here (expf overflows to inf
   below x = -88.7, and 1 / inf is the 0 the result rounds to anyway). */
void hand_sigmoid(int64_t n, const float *restrict x, float *restrict y) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; i++) y[i] = 1.0f / (1.0f + expf(-x[i]));
}

/* 0.5 x erfc(-x / sqrt 2), the same value as 0.5 x (1 + erf(x / sqrt 2))
   without its cancellation: below x = -3 the erf form keeps fewer than 10
   of the 24 bits (issue 5), too few to check tensorc's result against.
   glibc's erfcf costs what its erff costs (a little less, measured). */
void hand_gelu(int64_t n, const float *restrict x, float *restrict y) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; i++)
    y[i] = 0.5f * x[i] * erfcf(-x[i] * (float)M_SQRT1_2);
}
