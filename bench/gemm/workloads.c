/*
 * workloads.c: the workloads of issue 6's GEMM benchmark (gemm.h), each a
 * DSL file of bench/gemm/dsl/ built offline by `tensorc build` (its generated
 * header is included below), its data and its peers (peers.c).
 *
 * To add a workload: write bench/gemm/dsl/NAME.lua, add NAME to GEMM_DSL in
 * bench/Makefile, add a TC_KERNEL line and an entry in the table at the
 * end of this file, and, if the issue sets one, its goal in main.c.
 * A convolution's shape is stated twice, in its DSL file and in CONV()
 * below (sizes_match compares them when the bench starts).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "gemm.h"

#include "bmm.h"
#include "conv1x1_nchw.h"
#include "conv1x1_nhwc.h"
#include "conv3x3_nchw.h"
#include "conv3x3g32_nchw.h"
#include "conv3x3g32_nhwc.h"
#include "conv3x3_nhwc.h"
#include "conv3x3s2_nchw.h"
#include "conv3x3s2_nhwc.h"
#include "dw3x3_nchw.h"
#include "dw3x3_nhwc.h"
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
TC_KERNEL(conv3x3_nchw)
TC_KERNEL(conv3x3g32_nchw)
TC_KERNEL(conv3x3g32_nhwc)
TC_KERNEL(conv3x3_nhwc)
TC_KERNEL(conv1x1_nchw)
TC_KERNEL(conv1x1_nhwc)
TC_KERNEL(conv3x3s2_nchw)
TC_KERNEL(conv3x3s2_nhwc)
TC_KERNEL(dw3x3_nchw)
TC_KERNEL(dw3x3_nhwc)

double gemm_flops(const gemm_shape *s) {
  return 2.0 * (double)s->batch * (double)s->m * (double)s->n * (double)s->k;
}

/* ---- data ---- */

/* The dims tensorc's kernel for s takes at run time: the FFN's M, the
   convolutions' N (the others have none). */
static int64_t run_dim(const gemm_shape *s) {
  return s->op == GEMM_CONV ? s->batch : s->m;
}

/* The shapes of tensorc's arguments for s, in P_info()'s order (weights,
   inputs, outputs), as {rank, d0, d1, d2, d3}; returns how many. */
static int expected_args(const gemm_shape *s, int64_t args[4][5]) {
  int64_t b = s->batch, m = s->m, n = s->n, k = s->k;
  if (s->op == GEMM_CONV) { /* weights w, b, input x, output y */
    const gemm_conv *c = &s->conv;
    int64_t oh = (c->h + 2 * c->pad - c->ks) / c->stride + 1;
    const int64_t nchw[4][5] = {{4, c->cout, c->cin / conv_groups(c), c->ks, c->ks},
                                {1, c->cout},
                                {4, b, c->cin, c->h, c->h},
                                {4, b, c->cout, oh, oh}};
    const int64_t nhwc[4][5] = {{4, c->ks, c->ks, c->cin / conv_groups(c), c->cout},
                                {1, c->cout},
                                {4, b, c->h, c->h, c->cin},
                                {4, b, oh, oh, c->cout}};
    memcpy(args, c->nhwc ? nhwc : nchw, sizeof nchw);
    return 4;
  }
  if (s->op == GEMM_LINEAR) {
    const int64_t e[4][5] = {{2, n, k}, {1, n}, {2, m, k}, {2, m, n}};
    memcpy(args, e, sizeof e);
    return 4;
  }
  if (s->b_weight) { /* weight b, input a, output c */
    const int64_t e[3][5] = {{2, k, n}, {2, m, k}, {2, m, n}};
    memcpy(args, e, sizeof e);
    return 3;
  }
  const int64_t e[3][5] = {{3, b, m, k}, {3, b, k, n}, {3, b, m, n}};
  memcpy(args, e, sizeof e);
  return 3;
}

/* 0 if tensorc's kernel takes exactly the arguments s says (for its
   run_dim), else -1 with a message: the DSL file and this file state the
   sizes twice, and a mismatch would make the kernel overrun the buffers. */
static int sizes_match(const gemm_tc_kernel *tc, const gemm_shape *s) {
  int64_t want[4][5], got[4], dims[1] = {run_dim(s)};
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

/* The floats of a tensor [d0, d1, d2, d3] uniform in [lo, hi), drawn in
   that order and laid out as [d0, d2, d3, d1] when `nhwc` (an NCHW x as
   NHWC), or NULL. */
static float *uniform4(const int64_t dims[4], int nhwc, float lo, float hi,
                       uint64_t *s) {
  int64_t n = dims[0] * dims[1] * dims[2] * dims[3];
  float *p = bench_uniform(n, lo, hi, s), *q = NULL;
  if (!p || !nhwc) return p;
  if ((q = malloc((size_t)n * sizeof *q)))
    for (int64_t i = 0; i < dims[0]; i++)
      for (int64_t j = 0; j < dims[1]; j++)
        for (int64_t k = 0; k < dims[2] * dims[3]; k++)
          q[(i * dims[2] * dims[3] + k) * dims[1] + j] =
              p[(i * dims[1] + j) * dims[2] * dims[3] + k];
  free(p);
  return q;
}

/* A convolution's x, w and bias, uniform in [-1, 1): drawn in the order of
   NCHW's x [N, Cin, H, W] and w [Cout, Cin, kh, kw], then laid out as the
   workload's layout wants (NHWC: x [N, H, W, Cin], w [kh, kw, Cin, Cout]),
   so that a layer's NCHW and NHWC workloads compute the same numbers.
   Returns 0 or -1. */
static int conv_data(gemm_data *d, uint64_t *seed) {
  const gemm_conv *c = &d->s.conv;
  const int64_t x[4] = {d->s.batch, c->cin, c->h, c->h};
  const int64_t w[4] = {c->cout, c->cin / conv_groups(c), c->ks, c->ks};
  const int64_t nw = w[0] * w[1] * w[2] * w[3];
  if (!(d->a = uniform4(x, c->nhwc, -1.0f, 1.0f, seed)) ||
      !(d->b = bench_uniform(nw, -1.0f, 1.0f, seed)) ||
      !(d->bias = bench_uniform(c->cout, -1.0f, 1.0f, seed)))
    return -1;
  if (!c->nhwc) return 0;
  /* [Cout, Cin / G, kh, kw] to [kh, kw, Cin / G, Cout] */
  float *hwio = malloc((size_t)nw * sizeof *hwio);
  if (!hwio) return -1;
  for (int64_t o = 0; o < w[0]; o++)
    for (int64_t i = 0; i < w[1]; i++)
      for (int64_t k = 0; k < w[2] * w[3]; k++)
        hwio[(k * w[1] + i) * w[0] + o] =
            d->b[(o * w[1] + i) * w[2] * w[3] + k];
  free(d->b);
  d->b = hwio;
  return 0;
}

int gemm_setup(const gemm_workload *w, int64_t conv_batch, gemm_data *d) {
  *d = (gemm_data){.s = w->s, .kernel = w->tc};
  const gemm_shape *s = &d->s;
  int lin = s->op == GEMM_LINEAR, conv = s->op == GEMM_CONV;
  if (conv && conv_batch > 0) d->s.batch = conv_batch;
  if (sizes_match(w->tc, s) != 0) return -1;
  /* The same numbers for every size of one kind: a seed per kind. */
  uint64_t seed = conv ? 4 : lin ? 3 : 1 + (s->batch > 1);
  /* x and a in [-1, 1).  The FFN's w in [-0.2, 0.2), so that x @ w^T + b
     spreads over about +-2 (sd 1.85): where gelu is curved, with tails to
     +-9 where it is x or 0.  (A convolution's relu has no curve to aim
     at: its w is in [-1, 1).) */
  float wmax = lin ? 0.2f : 1.0f;
  d->nout = s->batch * s->m * s->n;
  int64_t na = s->batch * s->m * s->k, nb = s->batch * s->k * s->n;
  int oom = conv ? conv_data(d, &seed) != 0
                 : !(d->a = bench_uniform(na, -1.0f, 1.0f, &seed)) ||
                       !(d->b = bench_uniform(nb, -wmax, wmax, &seed)) ||
                       (lin && !(d->bias = bench_uniform(s->n, -1.0f, 1.0f,
                                                         &seed)));
  if (oom || !(d->out = calloc((size_t)d->nout, sizeof *d->out))) {
    fprintf(stderr, "gemm: %s: out of memory\n", w->name);
    return -1;
  }
  /* A failed create fails the tensorc variant (run_tensorc), not the
     workload: the peers are still measured. */
  const void *weights[2] = {d->b, d->bias};
  int rc = w->tc->create(&d->tc, s->b_weight || lin || conv ? weights : NULL);
  if (rc != 0) {
    fprintf(stderr, "gemm: %s: tensorc's create failed (%d)\n", w->name, rc);
    if (d->tc) w->tc->destroy(d->tc);
    d->tc = NULL;
  }
  int plain = 0, any = 0;
  for (int v = 0; v < w->nvariants; v++) {
    if (w->variants[v].run == peer_dnnl_mm && !d->dnnl &&
        dnnl_mm_create(d) != 0)
      return -1;
    plain |= w->variants[v].run == peer_dnnl_conv;
    any |= w->variants[v].run == peer_dnnl_conv_any;
  }
  if ((plain || any) && dnnl_conv_create(d, plain, any) != 0) return -1;
  return 0;
}

int gemm_fetch(const gemm_variant *v, gemm_data *d) {
  return v->run == peer_dnnl_conv_any ? dnnl_conv_fetch(d) : 0;
}

void gemm_teardown(const gemm_workload *w, gemm_data *d) {
  if (d->tc) w->tc->destroy(d->tc);
  dnnl_mm_destroy(d);
  dnnl_conv_destroy(d);
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
  int64_t dims[1] = {run_dim(s)};
  void *outputs[1] = {d->out};
  const void *inputs[2] = {d->a, d->b}; /* b only when it is an input */
  return d->kernel->run(d->tc, dims, inputs, outputs);
}

/* ---- the table ---- */

#define MATMUL(S)                                                          \
  {.op = GEMM_MATMUL, .batch = 1, .m = S, .n = S, .k = S, .b_weight = 1}
#define SGEMM_VARIANTS                                                  \
  4, {{"openblas", GEMM_PEER, peer_openblas},                           \
      {"dnnl_sgemm", GEMM_PEER, peer_dnnl_sgemm},                       \
      {"dnnl_mm", GEMM_PEER, peer_dnnl_mm},                             \
      {"tensorc", GEMM_TENSORC, run_tensorc}}

#define FFN(ACT, M)                                                        \
  {.op = GEMM_LINEAR, .act = ACT, .batch = 1, .m = M, .n = 3072, .k = 768, \
   .b_weight = 1}
#define FFN_VARIANTS                                                    \
  6, {{"openblas+libm", GEMM_PEER, peer_openblas_libm},                 \
      {"openblas+mvec", GEMM_PEER, peer_openblas_mvec},                 \
      {"dnnl_sgemm+libm", GEMM_PEER, peer_dnnl_sgemm_libm},             \
      {"dnnl_sgemm+mvec", GEMM_PEER, peer_dnnl_sgemm_mvec},             \
      {"dnnl_mm_fused", GEMM_PEER, peer_dnnl_mm},                       \
      {"tensorc", GEMM_TENSORC, run_tensorc}}

/* relu(conv2d(x, w, b)) of ResNet-50 at N = 1 (gemm -n for others): CIN
   -> COUT channels, an H x H input, a KS x KS kernel; NHWC 0 or 1. */
#define CONV_OH(H, KS, STRIDE, PAD) (((H) + 2 * (PAD) - (KS)) / (STRIDE) + 1)
#define CONV(CIN, COUT, H, KS, STRIDE, PAD, NHWC)                          \
  CONV_G(CIN, COUT, H, KS, STRIDE, PAD, NHWC, 1)
/* ... of GROUPS groups: k is a group's cin ks^2 (the flops count) */
#define CONV_G(CIN, COUT, H, KS, STRIDE, PAD, NHWC, GROUPS)                \
  {.op = GEMM_CONV, .act = GEMM_ACT_RELU, .batch = 1,                      \
   .m = CONV_OH(H, KS, STRIDE, PAD) * CONV_OH(H, KS, STRIDE, PAD),         \
   .n = COUT, .k = (CIN) / (GROUPS) * (KS) * (KS),                          \
   .conv = {CIN, COUT, H, KS, STRIDE, PAD, NHWC, GROUPS}}
/* oneDNN on the tensors as they are (the reference), oneDNN in the
   layouts it picks (x reordered into its layout at setup, not timed), and
   tensorc. */
#define CONV_VARIANTS(PLAIN)                                            \
  3, {{PLAIN, GEMM_PEER, peer_dnnl_conv},                               \
      {"dnnl_any", GEMM_PEER, peer_dnnl_conv_any},                      \
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
     {.op = GEMM_MATMUL, .batch = 8, .m = 128, .n = 128, .k = 64},
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
    {"conv3x3_nchw", "relu(conv2d(x, w, b)), 64->64 3x3 pad 1 at 56x56, NCHW",
     CONV(64, 64, 56, 3, 1, 1, 0), &conv3x3_nchw_tc,
     CONV_VARIANTS("dnnl_nchw")},
    {"conv3x3_nhwc", "relu(conv2d(x, w, b)), 64->64 3x3 pad 1 at 56x56, NHWC",
     CONV(64, 64, 56, 3, 1, 1, 1), &conv3x3_nhwc_tc,
     CONV_VARIANTS("dnnl_nhwc")},
    {"conv1x1_nchw", "relu(conv2d(x, w, b)), 256->64 1x1 at 56x56, NCHW",
     CONV(256, 64, 56, 1, 1, 0, 0), &conv1x1_nchw_tc,
     CONV_VARIANTS("dnnl_nchw")},
    {"conv1x1_nhwc", "relu(conv2d(x, w, b)), 256->64 1x1 at 56x56, NHWC",
     CONV(256, 64, 56, 1, 1, 0, 1), &conv1x1_nhwc_tc,
     CONV_VARIANTS("dnnl_nhwc")},
    {"conv3x3s2_nchw",
     "relu(conv2d(x, w, b)), 128->128 3x3 stride 2 pad 1, 56x56 -> 28x28, "
     "NCHW",
     CONV(128, 128, 56, 3, 2, 1, 0), &conv3x3s2_nchw_tc,
     CONV_VARIANTS("dnnl_nchw")},
    /* ResNeXt-50's grouped 3x3 (32 groups of 4 channels) */
    {"conv3x3g32_nchw",
     "relu(conv2d(x, w, b)), 128->128 3x3 pad 1 at 56x56, 32 groups, NCHW",
     CONV_G(128, 128, 56, 3, 1, 1, 0, 32), &conv3x3g32_nchw_tc,
     CONV_VARIANTS("dnnl_nchw")},
    {"conv3x3g32_nhwc",
     "relu(conv2d(x, w, b)), 128->128 3x3 pad 1 at 56x56, 32 groups, NHWC",
     CONV_G(128, 128, 56, 3, 1, 1, 1, 32), &conv3x3g32_nhwc_tc,
     CONV_VARIANTS("dnnl_nhwc")},
    {"conv3x3s2_nhwc",
     "relu(conv2d(x, w, b)), 128->128 3x3 stride 2 pad 1, 56x56 -> 28x28, "
     "NHWC",
     CONV(128, 128, 56, 3, 2, 1, 1), &conv3x3s2_nhwc_tc,
     CONV_VARIANTS("dnnl_nhwc")},
    /* MobileNetV2's depthwise 3x3 after its expansion to 144 channels */
    {"dw3x3_nchw",
     "relu(conv2d(x, w, b)), depthwise 3x3 pad 1, 144 channels at 56x56, "
     "NCHW",
     CONV_G(144, 144, 56, 3, 1, 1, 0, 144), &dw3x3_nchw_tc,
     CONV_VARIANTS("dnnl_nchw")},
    {"dw3x3_nhwc",
     "relu(conv2d(x, w, b)), depthwise 3x3 pad 1, 144 channels at 56x56, "
     "NHWC",
     CONV_G(144, 144, 56, 3, 1, 1, 1, 144), &dw3x3_nhwc_tc,
     CONV_VARIANTS("dnnl_nhwc")},
};

const gemm_workload *gemm_workloads(int *n) {
  *n = (int)(sizeof workloads / sizeof workloads[0]);
  return workloads;
}
