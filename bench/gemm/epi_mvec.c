/*
 * epi_mvec.c: the bias + gelu pass that follows a library's GEMM (gemm.h),
 * vectorized: the loops of epi_libm.c under `omp simd`, where gcc calls
 * glibc's libmvec (_ZGVeN16v_erff, _ZGVeN16v_tanhf) for 16 elements at a
 * time; bench/Makefile checks that it does.  The best a separate pass can
 * be: what remains is its trip over memory.
 */
#include "../ew/mvec.h"
#include "gemm.h"

enum { CHUNK = 256 }; /* as epi_libm.c */

void epi_mvec(int64_t m, int64_t n, float *restrict y,
              const float *restrict bias, gemm_act act) {
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t i = 0; i < m; i++)
    for (int64_t j0 = 0; j0 < n; j0 += CHUNK) {
      float *restrict row = y + i * n;
      int64_t j1 = n - j0 < CHUNK ? n : j0 + CHUNK;
      if (act == GEMM_ACT_GELU_TANH) {
#pragma omp simd
        for (int64_t j = j0; j < j1; j++) {
          float x = row[j] + bias[j];
          row[j] = 0.5f * x *
                   (1.0f + tanhf(0.7978845608f * (x + 0.044715f * x * x * x)));
        }
      } else {
#pragma omp simd
        for (int64_t j = j0; j < j1; j++) {
          float x = row[j] + bias[j];
          row[j] = 0.5f * x * (1.0f + erff(x * (float)M_SQRT1_2));
        }
      }
    }
}
