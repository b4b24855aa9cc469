/*
 * gemm.h: what the GEMM benchmark's driver (main.c) knows about a workload
 * (workloads.c) and its peers (peers.c, epi_libm.c, epi_mvec.c): issue 6's
 * sgemm, batched matmul, FFN layer and convolutions (bench/README.md).
 *
 * A workload is one contraction at one size: tensorc's kernel for it,
 * built offline from bench/gemm/dsl/, and the peers it is measured against
 * (OpenBLAS, oneDNN).  Every variant reads the same inputs and writes the
 * same output buffer, so that the driver can check each one against the
 * first and time them in turn, in one process (but for oneDNN's
 * convolution in its own layout, whose output gemm_fetch converts).
 */
#ifndef BENCH_GEMM_GEMM_H
#define BENCH_GEMM_GEMM_H

#include <stddef.h>
#include <stdint.h>

/* What a workload computes. */
typedef enum gemm_op {
  GEMM_MATMUL, /* c[batch] = a[batch] @ b[batch]: a [m,k], b [k,n] */
  GEMM_LINEAR, /* y = gelu(x @ w^T + bias): x [m,k], w [n,k], bias [n] */
  GEMM_CONV,   /* y = relu(conv2d(x, w) + bias), gemm_conv's geometry */
} gemm_op;

/* The activation after GEMM_LINEAR: the DSL's gelu (erf form) or
   gelu_tanh (tanh form); after GEMM_CONV, relu. */
typedef enum gemm_act {
  GEMM_ACT_NONE,
  GEMM_ACT_GELU_ERF,
  GEMM_ACT_GELU_TANH,
  GEMM_ACT_RELU
} gemm_act;

/* A convolution of one group, f32, square input and kernel, the same
   padding on every side: x [N, cin, h, h] and w [cout, cin, ks, ks] with
   NCHW tensors; x [N, h, h, cin] and w [ks, ks, cin, cout] with NHWC (the
   DSL's layout = "NHWC"); y [N, cout, oh, oh] or [N, oh, oh, cout], oh =
   (h + 2 pad - ks) / stride + 1; bias [cout]. */
typedef struct gemm_conv {
  int64_t cin, cout, h, ks, stride, pad;
  int nhwc;       /* 0: NCHW tensors, 1: NHWC */
  int64_t groups; /* 0 or 1: one group; else cin / groups inputs a group
                     (NCHW only) */
} gemm_conv;

/* c's groups (1 when the field is 0). */
static inline int64_t conv_groups(const gemm_conv *c) { return c->groups > 1 ? c->groups : 1; }

typedef struct gemm_shape {
  gemm_op op;
  gemm_act act;
  /* batch is 1 but for the batched matmul and the convolutions' N; a
     convolution is batch implicit GEMMs of m = oh^2 output pixels, n = cout
     and k = cin ks^2 (docs/gemm.md) */
  int64_t batch, m, n, k;
  int b_weight;   /* GEMM_MATMUL: b is a weight (handed over at create,
                     may be prepacked), not an input */
  gemm_conv conv; /* GEMM_CONV only */
} gemm_shape;

/* The buffers of one workload at one thread count (setup makes them from
   a fixed seed, so that every thread count sees the same numbers). */
typedef struct gemm_data {
  gemm_shape s;
  float *a;     /* GEMM_MATMUL: a; GEMM_LINEAR, GEMM_CONV: x */
  float *b;     /* GEMM_MATMUL: b; GEMM_LINEAR: w, [n,k] as declared;
                   GEMM_CONV: w in the layout of x (gemm_conv) */
  float *bias;  /* GEMM_LINEAR, GEMM_CONV */
  float *out;   /* batch * m * n, in the layout of x for GEMM_CONV */
  int64_t nout;
  const struct gemm_tc_kernel *kernel; /* tensorc's kernel */
  void *tc;     /* its context (P_create) */
  void *dnnl;   /* peers.c's oneDNN matmul (dnnl_mm_*) */
  void *conv;   /* peers.c's oneDNN convolutions (dnnl_conv_*) */
} gemm_data;

/* What a variant is, for the ratios: tensorc's kernel or a peer.
   `vs best` compares every variant with the fastest peer. */
typedef enum gemm_kind { GEMM_TENSORC, GEMM_PEER } gemm_kind;

enum { GEMM_MAX_VARIANTS = 6 };

typedef struct gemm_variant {
  const char *name; /* short, for the table: "tensorc", "openblas", ... */
  gemm_kind kind;
  /* Computes the workload's output into d->out; returns 0, or nonzero
     when it failed (a tensorc or oneDNN error code). */
  int (*run)(gemm_data *d);
} gemm_variant;

/* tensorc's kernel of a workload, through the generic entry points of the
   ABI (P_create_v, P_run_v), wrapped per kernel in workloads.c. */
struct gemm_tc_kernel {
  const char *name; /* the kernel's C prefix */
  int (*create)(void **ctx, const void *const *weights);
  int (*run)(const void *ctx, const int64_t *dims, const void *const *inputs,
             void *const *outputs);
  void (*destroy)(void *ctx);
  /* P_shape: the shape of argument arg (weights, inputs, outputs), or
     TC_EINVAL past the last */
  int (*shape)(int arg, const int64_t *dims, int64_t *shape);
};
typedef struct gemm_tc_kernel gemm_tc_kernel;

typedef struct gemm_workload {
  const char *name; /* sgemm_1024, bmm, ffn_erf_m128, ... */
  const char *expr; /* what is computed, for the table */
  gemm_shape s;
  const gemm_tc_kernel *tc;
  int nvariants;
  gemm_variant variants[GEMM_MAX_VARIANTS]; /* the first is the reference */
} gemm_workload;

/* The workloads, in the order they run; *n receives their number. */
const gemm_workload *gemm_workloads(int *n);

/* The flops of a workload: 2 batch m n k, for a convolution 2 N cout oh^2
   cin ks^2 (the bias and the activation, a few dozen flops an output at
   most, are not counted). */
double gemm_flops(const gemm_shape *s);

/* Allocates and fills d for workload w (inputs from a fixed seed), creates
   tensorc's context and the oneDNN primitives (for the current
   omp_get_max_threads(): oneDNN fixes its threading when a primitive is
   created).  conv_batch, if positive, replaces a convolution's N (the
   workloads' is 1).  Returns 0, or nonzero with d partly filled (teardown
   copes). */
int gemm_setup(const gemm_workload *w, int64_t conv_batch, gemm_data *d);
void gemm_teardown(const gemm_workload *w, gemm_data *d);

/* After variant v's check run, not timed: brings its output into d->out
   when it writes elsewhere (oneDNN's convolution in its own layout, which
   is reordered into the layout of x).  Returns 0, or nonzero on a library
   error. */
int gemm_fetch(const gemm_variant *v, gemm_data *d);

/* ---- peers.c: OpenBLAS and oneDNN ---- */

/* Prints the libraries' versions and threading, and the core OpenBLAS
   picked; returns 0, or -1 if oneDNN cannot start. */
int peers_init(void);
void peers_fini(void);

/* The name of the core OpenBLAS chose for its kernels ("Cooperlake"). */
const char *peers_openblas_core(void);

/* oneDNN's matmul primitives for d (a plain one and, for GEMM_LINEAR,
   one with bias and gelu as post-ops), weights reordered once into the
   layout the primitive asks for when they are weights; stored in d->dnnl.
   Returns 0 or -1. */
int dnnl_mm_create(gemm_data *d);
void dnnl_mm_destroy(gemm_data *d);
/* The implementation oneDNN chose for d's primitive, for the table. */
const char *dnnl_mm_impl(const gemm_data *d);

/* oneDNN's convolutions for a GEMM_CONV d, forward inference, the bias in
   the primitive and relu as an eltwise post-op, the weights' layout left
   to oneDNN and w reordered into it once; stored in d->conv.  `plain`: src
   and dst in the layout of x (nchw or nhwc), on d->a and d->out (variant
   peer_dnnl_conv).  `any`: src, weights and dst in the layouts oneDNN
   picks (format_tag any), x reordered into its src layout once here, the
   output in its own buffer (peer_dnnl_conv_any; dnnl_conv_fetch converts
   it).  Returns 0 or -1. */
int dnnl_conv_create(gemm_data *d, int plain, int any);
void dnnl_conv_destroy(gemm_data *d);
/* Reorders the output of peer_dnnl_conv_any into d->out; 0 or -1. */
int dnnl_conv_fetch(gemm_data *d);
/* Writes into buf what oneDNN chose for d's convolutions: "nchw: IMPL;
   any: IMPL (src LAYOUT, weights LAYOUT, dst LAYOUT)" (nhwc for NHWC
   tensors), in oneDNN's names of implementations and layouts
   ("brg:avx512_core", "aBcd16b"). */
void dnnl_conv_describe(const gemm_data *d, char *buf, size_t size);

/* The peers proper.  Each computes d->out and returns 0, or nonzero on a
   library error. */
int peer_openblas(gemm_data *d);      /* cblas_sgemm (a loop over batch) */
int peer_openblas_omp(gemm_data *d);  /* the batch split over OpenMP threads,
                                         one single-threaded call each */
int peer_dnnl_sgemm(gemm_data *d);    /* dnnl_sgemm */
/* The matmul primitive, weights prepacked when they are weights; for
   GEMM_LINEAR with the bias and the gelu fused as post-ops. */
int peer_dnnl_mm(gemm_data *d);
/* GEMM_LINEAR: the library's GEMM, then a separate bias + gelu pass over
   the output with libm's scalar erff/tanhf or with libmvec's vector ones. */
int peer_openblas_libm(gemm_data *d);
int peer_openblas_mvec(gemm_data *d);
int peer_dnnl_sgemm_libm(gemm_data *d);
int peer_dnnl_sgemm_mvec(gemm_data *d);
/* GEMM_CONV: oneDNN's convolution (dnnl_conv_create) on the tensors in the
   layout of x, or in the layouts it picked (its output then stays in its
   own buffer until dnnl_conv_fetch). */
int peer_dnnl_conv(gemm_data *d);
int peer_dnnl_conv_any(gemm_data *d);

/* ---- epi_libm.c, epi_mvec.c: the separate bias + gelu passes ---- */

/* y[i, j] = act(y[i, j] + bias[j]) over an m x n row-major y, in an OpenMP
   loop; epi_libm calls libm's scalar erff or tanhf once an element,
   epi_mvec is vectorized through libmvec (_ZGVeN16v_erff, ...). */
void epi_libm(int64_t m, int64_t n, float *y, const float *bias,
              gemm_act act);
void epi_mvec(int64_t m, int64_t n, float *y, const float *bias,
              gemm_act act);

#endif /* BENCH_GEMM_GEMM_H */
