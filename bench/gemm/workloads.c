/*
 * workloads.c: the workloads of issue 6's GEMM benchmark (gemm.h), each a
 * DSL file of bench/gemm/dsl/ built offline by `tensorc build` (its generated
 * header is included below), its data and its peers (peers.c).
 *
 * To add a workload: write bench/gemm/dsl/NAME.lua, add NAME to GEMM_DSL in
 * bench/Makefile, add a TC_KERNEL line and an entry in the table at the
 * end of this file, and, if the issue sets one, its goal in main.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemm.h"

#include "bmm.h"
#include "ffn_erf.h"
#include "ffn_tanh.h"
#include "sgemm_1024.h"
#include "sgemm_2048.h"
#include "sgemm_256.h"
#include "sgemm_512.h"

/* tensorc's kernel P behind the generic gemm_tc_kernel (gemm.h). */
#define TC_KERNEL(P)                                                       \
  static int P##_tc_create(void **ctx, const void *const *weights) {       \
    P##_ctx *c = NULL;                                                     \
    int rc = P##_create_v(&c, weights);                                    \
    *ctx = c;                                                              \
    return rc;                                                             \
  }                                                                        \
  static int P##_tc_run(const void *ctx, const int64_t *dims,              \
                        const void *const *inputs, void *const *outputs) { \
    return P##_run_v(ctx, dims, inputs, outputs);                          \
  }                                                                        \
  static void P##_tc_destroy(void *ctx) { P##_destroy(ctx); }              \
  static const gemm_tc_kernel P##_tc = {#P, P##_tc_create, P##_tc_run,     \
                                        P##_tc_destroy, P##_shape};

TC_KERNEL(sgemm_256)
TC_KERNEL(sgemm_512)
TC_KERNEL(sgemm_1024)
TC_KERNEL(sgemm_2048)
TC_KERNEL(bmm)
TC_KERNEL(ffn_erf)
TC_KERNEL(ffn_tanh)

double gemm_flops(const gemm_shape *s) {
  return 2.0 * (double)s->batch * (double)s->m * (double)s->n * (double)s->k;
}

/* ---- data ---- */

/* splitmix64: a small generator with a state the caller owns, so that a
   workload's data depends only on its seed. */
static uint64_t rng_next(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

/* n floats uniform in [lo, hi), or NULL. */
static float *uniform(int64_t n, float lo, float hi, uint64_t *s) {
  float *p = malloc((size_t)n * sizeof *p);
  if (!p) return NULL;
  for (int64_t i = 0; i < n; i++)
    p[i] = lo + (hi - lo) * (float)(rng_next(s) >> 40) * 0x1p-24f;
  return p;
}

/* The shapes of tensorc's arguments for s, in P_info()'s order (weights,
   inputs, outputs), as {rank, d0, d1, d2}; returns how many. */
static int expected_args(const gemm_shape *s, int64_t args[4][4]) {
  int64_t b = s->batch, m = s->m, n = s->n, k = s->k;
  if (s->op == GEMM_LINEAR) {
    const int64_t e[4][4] = {{2, n, k}, {1, n}, {2, m, k}, {2, m, n}};
    memcpy(args, e, sizeof e);
    return 4;
  }
  if (s->b_weight) { /* weight b, input a, output c */
    const int64_t e[3][4] = {{2, k, n}, {2, m, k}, {2, m, n}};
    memcpy(args, e, sizeof e);
    return 3;
  }
  const int64_t e[3][4] = {{3, b, m, k}, {3, b, k, n}, {3, b, m, n}};
  memcpy(args, e, sizeof e);
  return 3;
}

/* 0 if tensorc's kernel takes exactly the arguments s says (for dims
   {m}), else -1 with a message: the DSL file and this file state the sizes
   twice, and a mismatch would make the kernel overrun the buffers. */
static int sizes_match(const gemm_tc_kernel *tc, const gemm_shape *s) {
  int64_t want[4][4], got[4], dims[1] = {s->m};
  int n = expected_args(s, want), ok = 1;
  for (int i = 0; ok && i < n; i++) {
    ok = tc->shape(i, dims, got) == 0;
    for (int j = 0; ok && j < want[i][0]; j++) ok = got[j] == want[i][j + 1];
  }
  ok = ok && tc->shape(n, dims, got) != 0; /* no more arguments */
  if (!ok)
    fprintf(stderr, "gemm: %s: the kernel's arguments are not the sizes "
                    "workloads.c allocates (change both)\n", tc->name);
  return ok ? 0 : -1;
}

int gemm_setup(const gemm_workload *w, gemm_data *d) {
  const gemm_shape *s = &w->s;
  *d = (gemm_data){.s = *s, .kernel = w->tc};
  if (sizes_match(w->tc, s) != 0) return -1;
  int lin = s->op == GEMM_LINEAR;
  /* The same numbers for every size of one kind: a seed per kind. */
  uint64_t seed = lin ? 3 : 1 + (s->batch > 1);
  /* x and a in [-1, 1).  The FFN's w in [-0.2, 0.2), so that x @ w^T + b
     spreads over about +-2 (sd 1.85): where gelu is curved, with tails to
     +-9 where it is x or 0. */
  float wmax = lin ? 0.2f : 1.0f;
  d->nout = s->batch * s->m * s->n;
  if (!(d->a = uniform(s->batch * s->m * s->k, -1.0f, 1.0f, &seed)) ||
      !(d->b = uniform(s->batch * s->k * s->n, -wmax, wmax, &seed)) ||
      (lin && !(d->bias = uniform(s->n, -1.0f, 1.0f, &seed))) ||
      !(d->out = calloc((size_t)d->nout, sizeof *d->out))) {
    fprintf(stderr, "gemm: %s: out of memory\n", w->name);
    return -1;
  }
  /* A failed create fails the tensorc variant (run_tensorc), not the
     workload: the peers are still measured. */
  const void *weights[2] = {d->b, d->bias};
  int rc = w->tc->create(&d->tc, s->b_weight || lin ? weights : NULL);
  if (rc != 0) {
    fprintf(stderr, "gemm: %s: tensorc's create failed (%d)\n", w->name, rc);
    if (d->tc) w->tc->destroy(d->tc);
    d->tc = NULL;
  }
  for (int v = 0; v < w->nvariants; v++)
    if (w->variants[v].run == peer_dnnl_mm) {
      if (dnnl_mm_create(d) != 0) return -1;
      break;
    }
  return 0;
}

void gemm_teardown(const gemm_workload *w, gemm_data *d) {
  if (d->tc) w->tc->destroy(d->tc);
  dnnl_mm_destroy(d);
  free(d->a);
  free(d->b);
  free(d->bias);
  free(d->out);
  *d = (gemm_data){0};
}

/* ---- tensorc's variant ---- */

static int run_tensorc(gemm_data *d) {
  if (!d->tc) return -1; /* its create failed (gemm_setup) */
  const gemm_shape *s = &d->s;
  int64_t dims[1] = {s->m}; /* the FFN's M; the others have no dims */
  void *outputs[1] = {d->out};
  const void *inputs[2] = {d->a, d->b}; /* b only when it is an input */
  return d->kernel->run(d->tc, dims, inputs, outputs);
}

/* ---- the table ---- */

#define MATMUL(S) {GEMM_MATMUL, GEMM_ACT_NONE, 1, S, S, S, 1}
#define SGEMM_VARIANTS                                                  \
  4, {{"openblas", GEMM_PEER, peer_openblas},                           \
      {"dnnl_sgemm", GEMM_PEER, peer_dnnl_sgemm},                       \
      {"dnnl_mm", GEMM_PEER, peer_dnnl_mm},                             \
      {"tensorc", GEMM_TENSORC, run_tensorc}}

#define FFN(ACT, M) {GEMM_LINEAR, ACT, 1, M, 3072, 768, 1}
#define FFN_VARIANTS                                                    \
  6, {{"openblas+libm", GEMM_PEER, peer_openblas_libm},                 \
      {"openblas+mvec", GEMM_PEER, peer_openblas_mvec},                 \
      {"dnnl_sgemm+libm", GEMM_PEER, peer_dnnl_sgemm_libm},             \
      {"dnnl_sgemm+mvec", GEMM_PEER, peer_dnnl_sgemm_mvec},             \
      {"dnnl_mm_fused", GEMM_PEER, peer_dnnl_mm},                       \
      {"tensorc", GEMM_TENSORC, run_tensorc}}

static const gemm_workload workloads[] = {
    {"sgemm_256", "c = a @ b, 256^3, b a weight", MATMUL(256),
     &sgemm_256_tc, SGEMM_VARIANTS},
    {"sgemm_512", "c = a @ b, 512^3, b a weight", MATMUL(512),
     &sgemm_512_tc, SGEMM_VARIANTS},
    {"sgemm_1024", "c = a @ b, 1024^3, b a weight", MATMUL(1024),
     &sgemm_1024_tc, SGEMM_VARIANTS},
    {"sgemm_2048", "c = a @ b, 2048^3, b a weight", MATMUL(2048),
     &sgemm_2048_tc, SGEMM_VARIANTS},
    /* openblas: 8 calls in a row, each on all threads; openblas_omp: the 8
       split over the threads, one single-threaded call each.
       (cblas_sgemm_batch came after OpenBLAS 0.3.21.) */
    {"bmm", "c = a @ b, [8,128,64] x [8,64,128], both inputs",
     {GEMM_MATMUL, GEMM_ACT_NONE, 8, 128, 128, 64, 0},
     &bmm_tc,
     4,
     {{"openblas", GEMM_PEER, peer_openblas},
      {"openblas_omp", GEMM_PEER, peer_openblas_omp},
      {"dnnl_mm", GEMM_PEER, peer_dnnl_mm},
      {"tensorc", GEMM_TENSORC, run_tensorc}}},
    {"ffn_erf_m1", "gelu(x @ w^T + b), x [1,768], w [3072,768]",
     FFN(GEMM_ACT_GELU_ERF, 1), &ffn_erf_tc, FFN_VARIANTS},
    {"ffn_erf_m32", "gelu(x @ w^T + b), x [32,768], w [3072,768]",
     FFN(GEMM_ACT_GELU_ERF, 32), &ffn_erf_tc, FFN_VARIANTS},
    {"ffn_erf_m128", "gelu(x @ w^T + b), x [128,768], w [3072,768]",
     FFN(GEMM_ACT_GELU_ERF, 128), &ffn_erf_tc, FFN_VARIANTS},
    {"ffn_tanh_m1", "gelu_tanh(x @ w^T + b), x [1,768], w [3072,768]",
     FFN(GEMM_ACT_GELU_TANH, 1), &ffn_tanh_tc, FFN_VARIANTS},
    {"ffn_tanh_m32", "gelu_tanh(x @ w^T + b), x [32,768], w [3072,768]",
     FFN(GEMM_ACT_GELU_TANH, 32), &ffn_tanh_tc, FFN_VARIANTS},
    {"ffn_tanh_m128", "gelu_tanh(x @ w^T + b), x [128,768], w [3072,768]",
     FFN(GEMM_ACT_GELU_TANH, 128), &ffn_tanh_tc, FFN_VARIANTS},
};

const gemm_workload *gemm_workloads(int *n) {
  *n = (int)(sizeof workloads / sizeof workloads[0]);
  return workloads;
}
