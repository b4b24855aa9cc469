/*
 * peers.c: the libraries tensorc's GEMM kernels are measured against
 * (gemm.h): OpenBLAS through cblas_sgemm, oneDNN through dnnl_sgemm and
 * through its matmul primitive, with the weights reordered once into the
 * primitive's own layout ("prepacked") and, for the FFN layer, bias and
 * gelu fused as post-ops; oneDNN's convolution primitive for the
 * convolutions, with the bias in the primitive and relu as a post-op.
 *
 * Threads: every library here runs on the one OpenMP runtime (libgomp),
 * so omp_set_num_threads sets them all: bench/Makefile links the OpenMP
 * build of OpenBLAS, and oneDNN's Debian build uses OpenMP.  With
 * OpenBLAS's pthreads build (its own pool of threads), peers_init repairs
 * its workers' CPU masks, and the pool and OpenMP spin against each other
 * whenever one follows the other (bench/README.md).
 */
#define _GNU_SOURCE /* sched_setaffinity, CPU_SET */
#include <dirent.h>
#include <omp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cblas.h>
#include <dnnl.h>
#include <dnnl_debug.h> /* dnnl_fmt_kind2str */

#include "gemm.h"

static dnnl_engine_t engine;
static dnnl_stream_t stream;

/* Reports a oneDNN error; returns 0 for success, -1 otherwise. */
static int dnnl_ok(dnnl_status_t s, const char *what) {
  if (s == dnnl_success) return 0;
  fprintf(stderr, "gemm: oneDNN: %s failed (status %d)\n", what, (int)s);
  return -1;
}

/* OpenBLAS's pthreads build starts its workers when the library loads,
   and they inherit the CPU mask of the loading thread, which libgomp has
   already pinned to one core under OMP_PROC_BIND: OpenBLAS would run
   "2 threads" on core 0.  Give every thread but this one the mask of all
   processors.  Called before any OpenMP region, when the only other
   threads are OpenBLAS's.  Returns how many masks it reset. */
static int unpin_openblas_workers(void) {
  cpu_set_t all;
  CPU_ZERO(&all);
  for (int i = 0; i < omp_get_num_procs() && i < CPU_SETSIZE; i++)
    CPU_SET(i, &all);
  /* A call at full width first, so that every worker exists. */
  enum { N = 256 };
  static float a[N * N], b[N * N], c[N * N];
  openblas_set_num_threads(omp_get_num_procs());
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, N, N, 1.0f, a, N,
              b, N, 0.0f, c, N);
  int n = 0;
  pid_t me = (pid_t)syscall(SYS_gettid);
  DIR *dir = opendir("/proc/self/task");
  struct dirent *e;
  while (dir && (e = readdir(dir))) {
    pid_t t = (pid_t)atoi(e->d_name);
    if (t > 0 && t != me && sched_setaffinity(t, sizeof all, &all) == 0) n++;
  }
  if (dir) closedir(dir);
  return n;
}

const char *peers_openblas_core(void) { return openblas_get_corename(); }

int peers_init(void) {
  int par = openblas_get_parallel();
  printf("%s; core %s; threads: %s\n", openblas_get_config(),
         openblas_get_corename(),
         par == 2 ? "OpenMP" : par == 1 ? "its own pthreads pool" : "none");
  if (par == 1)
    printf("note: OpenBLAS's pthreads build: reset the CPU mask of %d "
           "worker thread(s); its pool and OpenMP spin against each other "
           "(bench/README.md): use the OpenMP build\n",
           unpin_openblas_workers());
  const dnnl_version_t *v = dnnl_version();
  printf("oneDNN %d.%d.%d (%s); threads: %s\n", v->major, v->minor, v->patch,
         v->hash, v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : "other");
  if (dnnl_ok(dnnl_engine_create(&engine, dnnl_cpu, 0), "engine") != 0 ||
      dnnl_ok(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags),
              "stream") != 0)
    return -1;
  return 0;
}

void peers_fini(void) {
  if (stream) dnnl_stream_destroy(stream);
  if (engine) dnnl_engine_destroy(engine);
}

/* ---- OpenBLAS ---- */

/* Row-major C = A B (or A B^T for GEMM_LINEAR, w being [n, k] as
   torch.nn.functional.linear takes it) for batch element i. */
static void openblas_one(const gemm_data *d, int64_t i) {
  const gemm_shape *s = &d->s;
  int lin = s->op == GEMM_LINEAR;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, lin ? CblasTrans : CblasNoTrans,
              (blasint)s->m, (blasint)s->n, (blasint)s->k, 1.0f,
              d->a + i * s->m * s->k, (blasint)s->k, d->b + i * s->k * s->n,
              (blasint)(lin ? s->k : s->n), 0.0f, d->out + i * s->m * s->n,
              (blasint)s->n);
}

int peer_openblas(gemm_data *d) {
  openblas_set_num_threads(omp_get_max_threads());
  for (int64_t i = 0; i < d->s.batch; i++) openblas_one(d, i);
  return 0;
}

/* OpenBLAS's OpenMP build runs a call made inside a parallel region on the
   calling thread alone. */
int peer_openblas_omp(gemm_data *d) {
  openblas_set_num_threads(omp_get_max_threads());
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < d->s.batch; i++) openblas_one(d, i);
  return 0;
}

int peer_openblas_libm(gemm_data *d) {
  peer_openblas(d);
  epi_libm(d->s.m, d->s.n, d->out, d->bias, d->s.act);
  return 0;
}

int peer_openblas_mvec(gemm_data *d) {
  peer_openblas(d);
  epi_mvec(d->s.m, d->s.n, d->out, d->bias, d->s.act);
  return 0;
}

/* ---- oneDNN ---- */

int peer_dnnl_sgemm(gemm_data *d) {
  const gemm_shape *s = &d->s;
  int lin = s->op == GEMM_LINEAR;
  for (int64_t i = 0; i < s->batch; i++)
    if (dnnl_ok(dnnl_sgemm('N', lin ? 'T' : 'N', s->m, s->n, s->k, 1.0f,
                           d->a + i * s->m * s->k, s->k,
                           d->b + i * s->k * s->n, lin ? s->k : s->n, 0.0f,
                           d->out + i * s->m * s->n, s->n),
                "dnnl_sgemm") != 0)
      return -1;
  return 0;
}

int peer_dnnl_sgemm_libm(gemm_data *d) {
  if (peer_dnnl_sgemm(d) != 0) return -1;
  epi_libm(d->s.m, d->s.n, d->out, d->bias, d->s.act);
  return 0;
}

int peer_dnnl_sgemm_mvec(gemm_data *d) {
  if (peer_dnnl_sgemm(d) != 0) return -1;
  epi_mvec(d->s.m, d->s.n, d->out, d->bias, d->s.act);
  return 0;
}

/* The matmul primitive of a workload and the memories it runs on. */
typedef struct dnnl_mm {
  dnnl_primitive_t prim;
  dnnl_memory_t src, wei, bias, dst;
  char impl[64]; /* the implementation oneDNN chose ("brg:avx512_core") */
} dnnl_mm;

/* Fills md with a dense f32 descriptor: dims of rank 2 ({m, n}) for a
   single matrix or 3 ({batch, m, n}), in `tag`'s layout. */
static int md_init(dnnl_memory_desc_t *md, int64_t batch, int64_t rows,
                   int64_t cols, dnnl_format_tag_t tag) {
  dnnl_dims_t dims = {batch, rows, cols};
  if (batch == 1) {
    dims[0] = rows;
    dims[1] = cols;
  }
  if (batch == 1 && tag == dnnl_abc) tag = dnnl_ab;
  return dnnl_ok(dnnl_memory_desc_init_by_tag(md, batch == 1 ? 2 : 3, dims,
                                              dnnl_f32, tag),
                 "memory descriptor");
}

/* Reorders the user's weights (layout `user`) into the layout `want` that
   the primitive chose, into memory of oneDNN's; once, at setup (also the
   convolution's x, into the layout of dnnl_conv_any's src). */
static int prepack(const dnnl_memory_desc_t *user, const float *w,
                   const dnnl_memory_desc_t *want, dnnl_memory_t *out) {
  dnnl_memory_t from = NULL;
  dnnl_primitive_desc_t rpd = NULL;
  dnnl_primitive_t r = NULL;
  int rc = -1;
  if (dnnl_ok(dnnl_memory_create(&from, user, engine, (void *)w),
              "weights memory") == 0 &&
      dnnl_ok(dnnl_memory_create(out, want, engine, DNNL_MEMORY_ALLOCATE),
              "packed weights memory") == 0 &&
      dnnl_ok(dnnl_reorder_primitive_desc_create(&rpd, user, engine, want,
                                                 engine, NULL),
              "reorder") == 0 &&
      dnnl_ok(dnnl_primitive_create(&r, rpd), "reorder primitive") == 0) {
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, *out}};
    if (dnnl_ok(dnnl_primitive_execute(r, stream, 2, args), "reorder") == 0 &&
        dnnl_ok(dnnl_stream_wait(stream), "reorder") == 0)
      rc = 0;
  }
  if (r) dnnl_primitive_destroy(r);
  if (rpd) dnnl_primitive_desc_destroy(rpd);
  if (from) dnnl_memory_destroy(from);
  return rc;
}

/* The matmul primitive: for a weight b (sgemm, FFN) the weights' layout is
   left to oneDNN (format_tag any) and b is reordered into it once; for an
   input b (batched matmul) it is the plain layout.  GEMM_LINEAR adds the
   bias and the gelu as post-ops. */
int dnnl_mm_create(gemm_data *d) {
  const gemm_shape *s = &d->s;
  int lin = s->op == GEMM_LINEAR, packed = lin || s->b_weight;
  dnnl_mm *mm = calloc(1, sizeof *mm);
  if (!mm) return -1;
  d->dnnl = mm;
  dnnl_memory_desc_t src, wei_user, wei_any, bias, dst;
  /* w is [n, k]: as the {k, n} weights of the primitive, layout "ba". */
  if (md_init(&src, s->batch, s->m, s->k, dnnl_abc) != 0 ||
      md_init(&wei_user, s->batch, s->k, s->n, lin ? dnnl_ba : dnnl_abc) != 0 ||
      md_init(&wei_any, s->batch, s->k, s->n, dnnl_format_tag_any) != 0 ||
      md_init(&bias, 1, 1, s->n, dnnl_ab) != 0 ||
      md_init(&dst, s->batch, s->m, s->n, dnnl_abc) != 0)
    return -1;
  dnnl_matmul_desc_t desc;
  if (dnnl_ok(dnnl_matmul_desc_init(&desc, &src, packed ? &wei_any : &wei_user,
                                    lin ? &bias : NULL, &dst),
              "matmul descriptor") != 0)
    return -1;
  dnnl_primitive_attr_t attr = NULL;
  dnnl_post_ops_t po = NULL;
  dnnl_primitive_desc_t pd = NULL;
  int rc = -1;
  if (dnnl_ok(dnnl_primitive_attr_create(&attr), "attributes") != 0) goto out;
  if (lin && s->act != GEMM_ACT_NONE) {
    dnnl_alg_kind_t alg = s->act == GEMM_ACT_GELU_ERF ? dnnl_eltwise_gelu_erf
                                                      : dnnl_eltwise_gelu_tanh;
    if (dnnl_ok(dnnl_post_ops_create(&po), "post-ops") != 0 ||
        dnnl_ok(dnnl_post_ops_append_eltwise(po, 1.0f, alg, 0.0f, 0.0f),
                "gelu post-op") != 0 ||
        dnnl_ok(dnnl_primitive_attr_set_post_ops(attr, po), "post-ops") != 0)
      goto out;
  }
  if (dnnl_ok(dnnl_primitive_desc_create(&pd, &desc, attr, engine, NULL),
              "matmul primitive descriptor") != 0)
    goto out;
  const char *impl = NULL;
  if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) ==
          dnnl_success && impl)
    snprintf(mm->impl, sizeof mm->impl, "%s", impl);
  if (packed) {
    if (prepack(&wei_user, d->b,
                dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0),
                &mm->wei) != 0)
      goto out;
  } else if (dnnl_ok(dnnl_memory_create(&mm->wei, &wei_user, engine, d->b),
                     "weights memory") != 0)
    goto out;
  if (dnnl_ok(dnnl_memory_create(&mm->src, &src, engine, d->a), "src") != 0 ||
      dnnl_ok(dnnl_memory_create(&mm->dst, &dst, engine, d->out), "dst") != 0 ||
      (lin && dnnl_ok(dnnl_memory_create(&mm->bias, &bias, engine, d->bias),
                      "bias") != 0) ||
      dnnl_ok(dnnl_primitive_create(&mm->prim, pd), "matmul primitive") != 0)
    goto out;
  rc = 0;
out:
  if (pd) dnnl_primitive_desc_destroy(pd);
  if (po) dnnl_post_ops_destroy(po);
  if (attr) dnnl_primitive_attr_destroy(attr);
  return rc;
}

void dnnl_mm_destroy(gemm_data *d) {
  dnnl_mm *mm = d->dnnl;
  if (!mm) return;
  if (mm->prim) dnnl_primitive_destroy(mm->prim);
  dnnl_memory_t m[] = {mm->src, mm->wei, mm->bias, mm->dst};
  for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
    if (m[i]) dnnl_memory_destroy(m[i]);
  free(mm);
  d->dnnl = NULL;
}

int peer_dnnl_mm(gemm_data *d) {
  dnnl_mm *mm = d->dnnl;
  if (!mm || !mm->prim) return -1;
  dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, mm->src},
                             {DNNL_ARG_WEIGHTS, mm->wei},
                             {DNNL_ARG_DST, mm->dst},
                             {DNNL_ARG_BIAS, mm->bias}};
  if (dnnl_ok(dnnl_primitive_execute(mm->prim, stream, mm->bias ? 4 : 3, args),
              "matmul") != 0 ||
      dnnl_ok(dnnl_stream_wait(stream), "matmul") != 0)
    return -1;
  return 0;
}

const char *dnnl_mm_impl(const gemm_data *d) {
  const dnnl_mm *mm = d->dnnl;
  return mm && mm->impl[0] ? mm->impl : "?";
}

/* ---- oneDNN's convolution ---- */

/* One convolution primitive and the memories it runs on. */
typedef struct dnnl_conv {
  dnnl_primitive_t prim;
  dnnl_memory_t src, wei, bias, dst;
  /* With the layouts oneDNN picked: dst is its own, and `fetch` reorders
     it into `user_dst` (d->out in the layout of x). */
  dnnl_primitive_t fetch;
  dnnl_memory_t user_dst;
  char impl[64];    /* the implementation oneDNN chose */
  char layout[128]; /* the layouts it picked ("src aBcd16b, ...") */
} dnnl_conv;

/* d->conv: the convolution on the tensors as they are (peer_dnnl_conv)
   and in the layouts oneDNN picks (peer_dnnl_conv_any). */
typedef struct dnnl_convs {
  dnnl_conv plain, any;
} dnnl_convs;

/* Writes oneDNN's name of md's layout into buf, as its verbose mode
   prints it: the dimensions a, b, c, ... from the outermost stride in,
   capitals for those split into blocks, then the blocks innermost last
   ("aBcd16b": nChw16c; "acdb": nhwc). */
static void layout_name(const dnnl_memory_desc_t *md, char *buf,
                        size_t size) {
  if (md->format_kind != dnnl_blocked) {
    snprintf(buf, size, "%s", dnnl_fmt_kind2str(md->format_kind));
    return;
  }
  const dnnl_blocking_desc_t *b = &md->format_desc.blocking;
  int nd = md->ndims, order[DNNL_MAX_NDIMS], blocked[DNNL_MAX_NDIMS] = {0};
  for (int i = 0; i < b->inner_nblks; i++) blocked[b->inner_idxs[i]] = 1;
  /* insertion sort by stride, outermost first (ties keep the dims' order) */
  for (int i = 0; i < nd; i++) {
    int j = i;
    for (; j > 0 && b->strides[order[j - 1]] < b->strides[i]; j--)
      order[j] = order[j - 1];
    order[j] = i;
  }
  size_t n = 0;
  for (int i = 0; i < nd && n + 1 < size; i++)
    buf[n++] = (char)((blocked[order[i]] ? 'A' : 'a') + order[i]);
  buf[n] = 0;
  for (int i = 0; i < b->inner_nblks && n < size; i++)
    n += (size_t)snprintf(buf + n, size - n, "%lld%c",
                          (long long)b->inner_blks[i],
                          'a' + (int)b->inner_idxs[i]);
}

/* Fills md with a dense f32 descriptor of dims in `tag`'s layout. */
static int md_init4(dnnl_memory_desc_t *md, int64_t d0, int64_t d1,
                    int64_t d2, int64_t d3, dnnl_format_tag_t tag) {
  dnnl_dims_t dims = {d0, d1, d2, d3};
  return dnnl_ok(dnnl_memory_desc_init_by_tag(md, 4, dims, dnnl_f32, tag),
                 "memory descriptor");
}

/* md as the weight of convolution g: [Cout, Cin, kh, kw] (or its NHWC
   twin) in tag, or with groups [G, Cout / G, Cin / G, kh, kw] (goihw for
   the user's NCHW tensor: the same memory as tensorc's [Cout, Cin / G, kh,
   kw]; hwigo for its NHWC [kh, kw, Cin / G, Cout]). */
static int wei_init(dnnl_memory_desc_t *md, const gemm_conv *g, dnnl_format_tag_t tag) {
  const int64_t gr = conv_groups(g);
  if (gr == 1) return md_init4(md, g->cout, g->cin, g->ks, g->ks, tag);
  dnnl_dims_t dims = {gr, g->cout / gr, g->cin / gr, g->ks, g->ks};
  return dnnl_ok(dnnl_memory_desc_init_by_tag(md, 5, dims, dnnl_f32,
                                              tag == dnnl_oihw   ? dnnl_goihw
                                              : tag == dnnl_hwio ? dnnl_hwigo
                                                                 : tag),
                 "memory descriptor");
}

/* Creates c: the convolution of d with src and dst in the layout of x
   (any = 0) or in the layouts oneDNN picks (any = 1). */
static int conv_create(gemm_data *d, int any, dnnl_conv *c) {
  const gemm_conv *g = &d->s.conv;
  int64_t n = d->s.batch, oh = (g->h + 2 * g->pad - g->ks) / g->stride + 1;
  dnnl_format_tag_t tag = g->nhwc ? dnnl_nhwc : dnnl_nchw;
  dnnl_memory_desc_t src_user, dst_user, wei_user, src, wei, dst, bias;
  if (md_init4(&src_user, n, g->cin, g->h, g->h, tag) != 0 ||
      md_init4(&dst_user, n, g->cout, oh, oh, tag) != 0 ||
      wei_init(&wei_user, g, g->nhwc ? dnnl_hwio : dnnl_oihw) != 0 ||
      md_init4(&src, n, g->cin, g->h, g->h,
               any ? dnnl_format_tag_any : tag) != 0 ||
      md_init4(&dst, n, g->cout, oh, oh, any ? dnnl_format_tag_any : tag) !=
          0 ||
      wei_init(&wei, g, dnnl_format_tag_any) != 0 ||
      dnnl_ok(dnnl_memory_desc_init_by_tag(&bias, 1, (dnnl_dims_t){g->cout},
                                           dnnl_f32, dnnl_a),
              "memory descriptor") != 0)
    return -1;
  dnnl_dims_t strides = {g->stride, g->stride}, pad = {g->pad, g->pad};
  dnnl_convolution_desc_t desc;
  if (dnnl_ok(dnnl_convolution_forward_desc_init(
                  &desc, dnnl_forward_inference, dnnl_convolution_direct,
                  &src, &wei, &bias, &dst, strides, pad, pad),
              "convolution descriptor") != 0)
    return -1;
  dnnl_primitive_attr_t attr = NULL;
  dnnl_post_ops_t po = NULL;
  dnnl_primitive_desc_t pd = NULL, rpd = NULL;
  int rc = -1;
  if (dnnl_ok(dnnl_primitive_attr_create(&attr), "attributes") != 0 ||
      dnnl_ok(dnnl_post_ops_create(&po), "post-ops") != 0 ||
      dnnl_ok(dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0.0f,
                                           0.0f),
              "relu post-op") != 0 ||
      dnnl_ok(dnnl_primitive_attr_set_post_ops(attr, po), "post-ops") != 0 ||
      dnnl_ok(dnnl_primitive_desc_create(&pd, &desc, attr, engine, NULL),
              "convolution primitive descriptor") != 0)
    goto out;
  const char *impl = NULL;
  if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) ==
          dnnl_success && impl)
    snprintf(c->impl, sizeof c->impl, "%s", impl);
  const dnnl_memory_desc_t *src_md =
      dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
  const dnnl_memory_desc_t *wei_md =
      dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
  const dnnl_memory_desc_t *dst_md =
      dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
  char ls[32], lw[32], ld[32];
  layout_name(src_md, ls, sizeof ls);
  layout_name(wei_md, lw, sizeof lw);
  layout_name(dst_md, ld, sizeof ld);
  snprintf(c->layout, sizeof c->layout, "src %s, weights %s, dst %s", ls, lw,
           ld);
  if (prepack(&wei_user, d->b, wei_md, &c->wei) != 0 ||
      dnnl_ok(dnnl_memory_create(&c->bias, &bias, engine, d->bias), "bias") !=
          0)
    goto out;
  if (!any) {
    if (dnnl_ok(dnnl_memory_create(&c->src, &src_user, engine, d->a),
                "src") != 0 ||
        dnnl_ok(dnnl_memory_create(&c->dst, &dst_user, engine, d->out),
                "dst") != 0)
      goto out;
  } else {
    /* x reordered once into oneDNN's layout, not timed (the issue: "input
       already in that layout"); the output in oneDNN's own memory, NaN
       until the primitive writes it (the check round runs first), and the
       reorder that brings it to d->out for the check. */
    void *out = NULL;
    if (prepack(&src_user, d->a, src_md, &c->src) != 0 ||
        dnnl_ok(dnnl_memory_create(&c->dst, dst_md, engine,
                                   DNNL_MEMORY_ALLOCATE),
                "dst") != 0 ||
        dnnl_ok(dnnl_memory_get_data_handle(c->dst, &out), "dst") != 0 ||
        dnnl_ok(dnnl_memory_create(&c->user_dst, &dst_user, engine, d->out),
                "dst") != 0 ||
        dnnl_ok(dnnl_reorder_primitive_desc_create(&rpd, dst_md, engine,
                                                   &dst_user, engine, NULL),
                "reorder") != 0 ||
        dnnl_ok(dnnl_primitive_create(&c->fetch, rpd), "reorder primitive") !=
            0)
      goto out;
    memset(out, 0xff, dnnl_memory_desc_get_size(dst_md));
  }
  if (dnnl_ok(dnnl_primitive_create(&c->prim, pd),
              "convolution primitive") != 0)
    goto out;
  rc = 0;
out:
  if (rpd) dnnl_primitive_desc_destroy(rpd);
  if (pd) dnnl_primitive_desc_destroy(pd);
  if (po) dnnl_post_ops_destroy(po);
  if (attr) dnnl_primitive_attr_destroy(attr);
  return rc;
}

int dnnl_conv_create(gemm_data *d, int plain, int any) {
  dnnl_convs *cs = calloc(1, sizeof *cs);
  if (!cs) return -1;
  d->conv = cs;
  if (plain && conv_create(d, 0, &cs->plain) != 0) return -1;
  if (any && conv_create(d, 1, &cs->any) != 0) return -1;
  return 0;
}

static void conv_destroy(dnnl_conv *c) {
  if (c->prim) dnnl_primitive_destroy(c->prim);
  if (c->fetch) dnnl_primitive_destroy(c->fetch);
  dnnl_memory_t m[] = {c->src, c->wei, c->bias, c->dst, c->user_dst};
  for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
    if (m[i]) dnnl_memory_destroy(m[i]);
}

void dnnl_conv_destroy(gemm_data *d) {
  dnnl_convs *cs = d->conv;
  if (!cs) return;
  conv_destroy(&cs->plain);
  conv_destroy(&cs->any);
  free(cs);
  d->conv = NULL;
}

static int conv_run(const dnnl_conv *c) {
  if (!c->prim) return -1;
  dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, c->src},
                             {DNNL_ARG_WEIGHTS, c->wei},
                             {DNNL_ARG_BIAS, c->bias},
                             {DNNL_ARG_DST, c->dst}};
  if (dnnl_ok(dnnl_primitive_execute(c->prim, stream, 4, args),
              "convolution") != 0 ||
      dnnl_ok(dnnl_stream_wait(stream), "convolution") != 0)
    return -1;
  return 0;
}

int peer_dnnl_conv(gemm_data *d) {
  const dnnl_convs *cs = d->conv;
  return cs ? conv_run(&cs->plain) : -1;
}

int peer_dnnl_conv_any(gemm_data *d) {
  const dnnl_convs *cs = d->conv;
  return cs ? conv_run(&cs->any) : -1;
}

int dnnl_conv_fetch(gemm_data *d) {
  const dnnl_convs *cs = d->conv;
  if (!cs || !cs->any.fetch) return -1;
  dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, cs->any.dst},
                             {DNNL_ARG_TO, cs->any.user_dst}};
  if (dnnl_ok(dnnl_primitive_execute(cs->any.fetch, stream, 2, args),
              "reorder") != 0 ||
      dnnl_ok(dnnl_stream_wait(stream), "reorder") != 0)
    return -1;
  return 0;
}

void dnnl_conv_describe(const gemm_data *d, char *buf, size_t size) {
  const dnnl_convs *cs = d->conv;
  size_t n = 0;
  buf[0] = 0;
  if (!cs) return;
  if (cs->plain.prim)
    n += (size_t)snprintf(buf, size, "%s: %s",
                          d->s.conv.nhwc ? "nhwc" : "nchw", cs->plain.impl);
  if (cs->any.prim && n < size)
    snprintf(buf + n, size - n, "%sany: %s (%s)", n ? "; " : "",
             cs->any.impl, cs->any.layout);
}
