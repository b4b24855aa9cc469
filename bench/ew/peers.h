/*
 * peers.h: the code tensorc's kernels are measured against, compiled with
 * `-O3 -march=native -fopenmp` and linked with glibc's libmvec (so that
 * expf and tanhf in `omp simd` loops become vector calls).
 *
 * hand.c:    what a careful C programmer writes: one pass over memory for
 *            the elementwise chains, one pass per row (the row staying in
 *            cache) for the row-wise ops, per-thread column partials for
 *            the column sum; OpenMP over the outer loop.
 * unfused.c: what an eager framework (NumPy, eager PyTorch) does: one
 *            vectorized, parallel loop per op, each writing a temporary
 *            that is malloc'd on every call and freed at its end.
 * hand_libm.c: issue 5's peer for compute-heavy ops: a parallel loop that
 *            calls libm's scalar expf/tanhf/erfcf, one element at a time
 *            (compiled without mvec.h, so gcc does not vectorize them).
 *
 * All arrays are contiguous and row-major and never overlap; x is rows x
 * cols, vectors along the last axis have cols elements.  The unfused
 * functions return 0, or -1 when an allocation failed.
 */
#ifndef BENCH_EW_PEERS_H
#define BENCH_EW_PEERS_H

#include <stdint.h>

/* y = maximum(a*b + c, 0) * d, elementwise over n. */
void hand_chain(int64_t n, const float *a, const float *b, const float *c,
                const float *d, float *y);
int unfused_chain(int64_t n, const float *a, const float *b, const float *c,
                  const float *d, float *y);

/* y = exp(tanh(maximum(a*b + c, 0) * d)), elementwise over n. */
void hand_chain_exp(int64_t n, const float *a, const float *b, const float *c,
                    const float *d, float *y);
int unfused_chain_exp(int64_t n, const float *a, const float *b,
                      const float *c, const float *d, float *y);

/* y = softmax(x, -1): every row shifted by its max, exponentiated and
   divided by its sum. */
void hand_softmax(int64_t rows, int64_t cols, const float *x, float *y);
int unfused_softmax(int64_t rows, int64_t cols, const float *x, float *y);

/* y = layer_norm(x, 1, gamma, beta, eps): every row minus its mean, times
   1/sqrt(its variance (biased, two-pass) + eps), times gamma, plus beta. */
void hand_layer_norm(int64_t rows, int64_t cols, const float *x,
                     const float *gamma, const float *beta, float eps,
                     float *y);
int unfused_layer_norm(int64_t rows, int64_t cols, const float *x,
                       const float *gamma, const float *beta, float eps,
                       float *y);

/* y[r] = sum(exp(x[r, :] - max(x[r, :]))), y of rows elements. */
void hand_sumexp(int64_t rows, int64_t cols, const float *x, float *y);
int unfused_sumexp(int64_t rows, int64_t cols, const float *x, float *y);

/* y[j] = sum over r of x[r, j] * scale[j] + bias[j], y of cols elements.
   The hand version gives each thread a block of rows and a private row of
   column partials, and adds the partials in thread order at the end; it
   returns -1 if it cannot allocate them. */
int hand_colsum(int64_t rows, int64_t cols, const float *x,
                const float *scale, const float *bias, float *y);
int unfused_colsum(int64_t rows, int64_t cols, const float *x,
                   const float *scale, const float *bias, float *y);

/* y = op(x), elementwise over n, with libm's scalar functions
   (hand_libm.c): exp, tanh, sigmoid as 1 / (1 + exp(-x)), and exact gelu
   as 0.5 x erfc(-x / sqrt 2). */
void hand_exp(int64_t n, const float *x, float *y);
void hand_tanh(int64_t n, const float *x, float *y);
void hand_sigmoid(int64_t n, const float *x, float *y);
void hand_gelu(int64_t n, const float *x, float *y);

#endif /* BENCH_EW_PEERS_H */
