/*
 * epi_libm.c: the bias + gelu pass that follows a library's GEMM (gemm.h),
 * as a framework without fusion runs it: a second pass over the output,
 * parallel, with libm's scalar erff or tanhf called once an element.  The
 * file does not include mvec.h, so gcc cannot vectorize the calls
 * (bench/Makefile checks that the object calls erff and tanhf and no
 * libmvec function).
 */
#include <math.h>

#include "gemm.h"

/* Columns a task: a row of the FFN's 3072 is 12 tasks, so that M = 1
   still splits over the threads. */
enum { CHUNK = 256 };

void epi_libm(int64_t m, int64_t n, float *restrict y,
              const float *restrict bias, gemm_act act) {
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t i = 0; i < m; i++)
    for (int64_t j0 = 0; j0 < n; j0 += CHUNK) {
      float *restrict row = y + i * n;
      int64_t j1 = n - j0 < CHUNK ? n : j0 + CHUNK;
      if (act == GEMM_ACT_GELU_TANH)
        for (int64_t j = j0; j < j1; j++) {
          float x = row[j] + bias[j];
          row[j] = 0.5f * x *
                   (1.0f + tanhf(0.7978845608f * (x + 0.044715f * x * x * x)));
        }
      else
        for (int64_t j = j0; j < j1; j++) {
          float x = row[j] + bias[j];
          row[j] = 0.5f * x * (1.0f + erff(x * (float)M_SQRT1_2));
        }
    }
}
