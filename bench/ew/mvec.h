/*
 * mvec.h: lets gcc vectorize expf and tanhf through glibc's libmvec
 * (_ZGVeN16v_expf and friends; link with -lmvec).
 *
 * glibc's <math.h> declares the vector variants only under -ffast-math,
 * which would also let gcc reassociate every sum and drop NaN semantics.
 * Declaring them here instead keeps IEEE arithmetic everywhere else: only
 * the loops marked `omp simd` are vectorized with them.  libmvec's expf and
 * tanhf are accurate to 4 ulp (glibc's manual), well within the check's
 * tolerance.  Needs -fopenmp or -fopenmp-simd.
 */
#ifndef BENCH_EW_MVEC_H
#define BENCH_EW_MVEC_H

#include <math.h>

#pragma omp declare simd notinbranch
float expf(float);
#pragma omp declare simd notinbranch
float tanhf(float);

#endif /* BENCH_EW_MVEC_H */
