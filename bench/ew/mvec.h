/*
 * mvec.h: lets gcc vectorize expf, tanhf and erff through glibc's libmvec
 * (_ZGVeN16v_expf and friends; link with -lmvec).
 *
 * glibc's <math.h> declares the vector variants only under -ffast-math,
 * which would also let gcc reassociate every sum and drop NaN semantics.
 * Declaring them here instead keeps IEEE arithmetic everywhere else: only
 * the loops marked `omp simd` are vectorized with them.  libmvec's expf,
 * tanhf and erff are accurate to 4 ulp (glibc's manual), well within the
 * checks' tolerances.  Needs -fopenmp or -fopenmp-simd.  (erff, in glibc
 * since 2.35, is for bench/gemm's gelu.)
 */
#ifndef BENCH_EW_MVEC_H
#define BENCH_EW_MVEC_H

#include <math.h>

#pragma omp declare simd notinbranch
float expf(float);
#pragma omp declare simd notinbranch
float tanhf(float);
#pragma omp declare simd notinbranch
float erff(float);

#endif /* BENCH_EW_MVEC_H */
