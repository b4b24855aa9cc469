/*
 * main.c: the driver of issue 6's GEMM benchmark (bench/README.md).  For
 * every workload (gemm.h) and thread count it
 *   1. creates the data, tensorc's context and oneDNN's primitives (not
 *      timed: weights are prepacked there);
 *   2. runs every variant once and checks its output against the first
 *      variant's (a peer), whose own output is checked at sampled elements
 *      against dot products in double precision (an output in another
 *      layout, oneDNN's own for a convolution, is converted first);
 *   3. runs one warm-up round, then ROUNDS timed rounds; in each round
 *      every variant runs a block of calls (about BLOCK ms), in turn, so
 *      that drift in the machine hits all of them alike; a block's first
 *      call is not timed (the previous variant's data is in the caches);
 *   4. prints each variant's median and best GFLOP/s, the median as a
 *      share of the machine's FMA peak (measured, below), and its speed
 *      relative to the fastest peer.
 * At the end it checks issue 6's goals, writes the CSVs, and exits 1 if
 * any variant failed or computed a wrong result (goals not met are
 * reported, not failures: they are targets for work to come).
 *
 * Usage: gemm [-r ROUNDS] [-b BLOCK_MS] [-t THREADS,...] [-n BATCH]
 *             [-o FILE.csv] [-g GOALS.csv] [-f VARIANT] [WORKLOAD...]
 */
#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_common.h"
#include "gemm.h"

enum { MAX_RESULTS = 256 };

/* A variant that has run this long in the timed rounds, with at least
   MIN_RUNS timed runs, sits out the rounds that remain (tensorc's plain
   loops before its GEMM template took 3 s for one sgemm of 2048). */
static const double BUDGET_S = 8.0;
enum { MIN_RUNS = 3 };

/* One variant of one workload at one thread count. */
typedef struct result {
  const gemm_workload *w;
  const gemm_variant *v;
  int threads;
  double flops;       /* of one call (the convolutions' depend on -n) */
  int ok;             /* ran without error and matched the reference */
  double max_err;     /* the check's error (check()) */
  double median, min; /* seconds a call */
  int runs;           /* timed calls */
  double vs_best;     /* best peer's median / this median; 0 if unknown */
  double pct_peak;    /* the median's share of threads x peak1, in % */
} result;

typedef struct options {
  bench_options common; /* -t, -o, -g, -f and the workloads */
  int rounds;
  double block; /* seconds */
  int conv_batch; /* the convolutions' N (-n; 0: the workloads', 1) */
} options;

/* GFLOP/s of one core: the highest median of the FMA probes so far
   (probe_peak) */
static double peak1, peak1_best;

/* ---- the FMA peak ---- */

/* n iterations of 24 independent vfmadd231ps on zmm registers (12 on ymm
   without AVX-512): inline asm, so that the compiler can neither fold nor
   spill them.  Enough chains to cover the FMA latency on both ports. */
__attribute__((noinline, target("avx512f"))) static void fma_zmm(long n) {
  __asm__ volatile(
      "vxorps %%xmm0, %%xmm0, %%xmm0\n\t"
      "vxorps %%xmm1, %%xmm1, %%xmm1\n\t"
      "1:\n\t"
      ".irp r, 8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,"
      "29,30,31\n\t"
      "vfmadd231ps %%zmm0, %%zmm1, %%zmm\\r\n\t"
      ".endr\n\t"
      "dec %0\n\t"
      "jnz 1b\n\t"
      : "+r"(n)
      :
      : "xmm0", "xmm1", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13",
        "xmm14", "xmm15", "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21",
        "xmm22", "xmm23", "xmm24", "xmm25", "xmm26", "xmm27", "xmm28", "xmm29",
        "xmm30", "xmm31", "cc");
}

__attribute__((noinline, target("avx2,fma"))) static void fma_ymm(long n) {
  __asm__ volatile(
      "vxorps %%xmm0, %%xmm0, %%xmm0\n\t"
      "vxorps %%xmm1, %%xmm1, %%xmm1\n\t"
      "1:\n\t"
      ".irp r, 4,5,6,7,8,9,10,11,12,13,14,15\n\t"
      "vfmadd231ps %%ymm0, %%ymm1, %%ymm\\r\n\t"
      ".endr\n\t"
      "dec %0\n\t"
      "jnz 1b\n\t"
      : "+r"(n)
      :
      : "xmm0", "xmm1", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
        "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "cc");
}

/* The FMA peak of the calling thread's core, in GFLOP/s: the median and
   the best of 51 runs of about 1 ms.  The median is of the thread's CPU
   time, which leaves out the time it was descheduled (the other tenants
   of this machine lower the clock, and that stays in). */
static void fma_probe(double *med, double *best) {
  int zmm = __builtin_cpu_supports("avx512f");
  long n = 10000;
  double flops = (double)n * (zmm ? 24 * 32 : 12 * 16);
  enum { RUNS = 51 };
  double cpu[RUNS], wall[RUNS];
  for (int i = -1; i < RUNS; i++) {
    double c0 = bench_thread_cpu_now(), t0 = bench_now();
    if (zmm)
      fma_zmm(n);
    else
      fma_ymm(n);
    if (i < 0) continue; /* a first run to wake the FMA units */
    wall[i] = bench_now() - t0;
    cpu[i] = bench_thread_cpu_now() - c0;
  }
  *med = flops / bench_median(cpu, RUNS) * 1e-9;
  *best = flops / bench_median(wall, RUNS) * 1e-9;
  *best = flops / wall[0] * 1e-9; /* bench_median() sorted wall */
}

/* Runs n probes 20 ms apart and raises peak1 (and peak1_best, the best
   call's) to the highest.  A probe that the hypervisor or a neighbour
   disturbed reads low: the bench probes at its start and again before
   each workload. */
static void probe_peak(int n) {
  for (int i = 0; i < n; i++) {
    double med, best;
    if (i > 0) nanosleep(&(struct timespec){0, 20000000}, NULL);
    fma_probe(&med, &best);
    if (med > peak1) peak1 = med;
    if (best > peak1_best) peak1_best = best;
  }
}

/* ---- the check ---- */

/* The check's error of out against ref: the largest |out_i - ref_i| over
   the largest |ref_i|; +inf when an element is NaN (a GEMM's error scales
   with the size of its sums, not of each element: an element near 0 is a
   sum of terms as large as any other's). */
static double check(const float *out, const float *ref, int64_t n) {
  double maxref = 0.0, worst = 0.0;
  for (int64_t i = 0; i < n; i++)
    if (fabs(ref[i]) > maxref) maxref = fabs(ref[i]);
  for (int64_t i = 0; i < n; i++) {
    double diff = fabs((double)out[i] - (double)ref[i]);
    if (!(diff <= worst)) worst = isnan(diff) ? INFINITY : diff;
  }
  return maxref > 0.0 ? worst / maxref : worst > 0.0 ? INFINITY : 0.0;
}

/* The tolerance of the check for workload w.  Two correct f32 GEMMs
   differ by their rounding errors: a sum of k products rounded along the
   way is off by about sqrt(k) u |terms| (u = 2^-24) whatever the order;
   measured here, the largest such error over the largest result stays
   below u sqrt(k) (the worst: tensorc's plain one-accumulator loop before
   its GEMM template, k = 2048: 0.9 u sqrt(k)).  8 u sqrt(k) leaves a margin of 8 and still flags a typical
   element off by 0.05%.  A convolution is the same sum, k = cin kh kw
   products (relu is exact).  The gelu adds its own approximation: 4 ulp
   for libm's and tensorc's, about 3e-5 absolute for oneDNN's post-op (on
   outputs of about 10). */
static double tolerance(const gemm_workload *w) {
  double t = 8.0 * 0x1p-24 * sqrt((double)w->s.k);
  if (w->s.act == GEMM_ACT_GELU_ERF || w->s.act == GEMM_ACT_GELU_TANH)
    t += 1e-5;
  return t;
}

/* The exact value of output element i of a GEMM_CONV d, in double. */
static double exact_conv(const gemm_data *d, int64_t i) {
  const gemm_conv *c = &d->s.conv;
  int64_t oh = (c->h + 2 * c->pad - c->ks) / c->stride + 1;
  int64_t n, co, y, x; /* the element's image, channel, row and column */
  if (c->nhwc) {
    co = i % c->cout;
    x = i / c->cout % oh;
    y = i / (c->cout * oh) % oh;
    n = i / (c->cout * oh * oh);
  } else {
    x = i % oh;
    y = i / oh % oh;
    co = i / (oh * oh) % c->cout;
    n = i / (oh * oh * c->cout);
  }
  int64_t h = c->h, cin = c->cin, cout = c->cout, ks = c->ks;
  /* groups: co's group reads its cg input channels from c0 */
  const int64_t cg = cin / conv_groups(c), c0 = co / (cout / conv_groups(c)) * cg;
  double sum = d->bias[co];
  for (int64_t ci = c0; ci < c0 + cg; ci++)
    for (int64_t r = 0; r < ks; r++)
      for (int64_t q = 0; q < ks; q++) {
        int64_t iy = y * c->stride - c->pad + r;
        int64_t ix = x * c->stride - c->pad + q;
        if (iy < 0 || iy >= h || ix < 0 || ix >= h) continue; /* padding */
        double xv = c->nhwc ? d->a[((n * h + iy) * h + ix) * cin + ci]
                            : d->a[((n * cin + ci) * h + iy) * h + ix];
        double wv = c->nhwc ? d->b[((r * ks + q) * cg + ci - c0) * cout + co]
                            : d->b[((co * cg + ci - c0) * ks + r) * ks + q];
        sum += xv * wv;
      }
  return sum > 0.0 ? sum : 0.0; /* relu */
}

/* The exact value of output element i of d, in double. */
static double exact(const gemm_data *d, int64_t i) {
  const gemm_shape *s = &d->s;
  if (s->op == GEMM_CONV) return exact_conv(d, i);
  int64_t bi = i / (s->m * s->n), r = i / s->n % s->m, c = i % s->n;
  const float *a = d->a + (bi * s->m + r) * s->k;
  double sum = 0.0;
  for (int64_t k = 0; k < s->k; k++) {
    double bk = s->op == GEMM_LINEAR ? d->b[c * s->k + k]
                                     : d->b[(bi * s->k + k) * s->n + c];
    sum += (double)a[k] * bk;
  }
  if (s->op != GEMM_LINEAR) return sum;
  double x = sum + d->bias[c];
  if (s->act == GEMM_ACT_GELU_ERF) return 0.5 * x * erfc(-x / sqrt(2.0));
  if (s->act == GEMM_ACT_GELU_TANH)
    return 0.5 * x *
           (1.0 + tanh(sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
  return x;
}

/* The reference checked in its turn: at 512 elements spread over the
   output, against exact(); the same error and tolerance as check().
   Returns the error. */
static double check_reference(const gemm_data *d, const float *ref) {
  double maxref = 0.0, worst = 0.0;
  for (int64_t i = 0; i < d->nout; i++)
    if (fabs(ref[i]) > maxref) maxref = fabs(ref[i]);
  enum { SAMPLES = 512 };
  for (int64_t j = 0; j < SAMPLES; j++) {
    /* a stride prime to every size here, so that rows, columns and batch
       elements all get samples */
    int64_t i = (j * 7919 + j / 3) % d->nout;
    double diff = fabs((double)ref[i] - exact(d, i));
    if (!(diff <= worst)) worst = isnan(diff) ? INFINITY : diff;
  }
  return maxref > 0.0 ? worst / maxref : INFINITY;
}

/* ---- the table ---- */

static void print_header(void) {
  printf("%-14s %3s %-15s %9s %8s %7s %6s %8s %5s  %s\n", "workload", "thr",
         "variant", "median ms", "GFLOP/s", "best", "%peak", "vs best", "runs",
         "check (max err)");
}

static double gflops(const result *r, double t) {
  return t > 0 ? r->flops / t * 1e-9 : 0.0;
}

static void print_row(const result *r) {
  if (r->ok && r->runs == 0) { /* checked, not timed (-r 0) */
    printf("%-14s %3d %-15s %9s %8s %7s %6s %8s %5d  ok (%.1e)\n", r->w->name,
           r->threads, r->v->name, "-", "-", "-", "-", "-", 0, r->max_err);
    return;
  }
  if (!r->ok) {
    printf("%-14s %3d %-15s %9s %8s %7s %6s %8s %5s  FAILED (%.1e)\n",
           r->w->name, r->threads, r->v->name, "-", "-", "-", "-", "-", "-",
           r->max_err);
    return;
  }
  char vsb[16] = "-";
  if (r->vs_best > 0) snprintf(vsb, sizeof vsb, "%.2fx", r->vs_best);
  printf("%-14s %3d %-15s %9.3f %8.1f %7.1f %5.0f%% %8s %5d  ok (%.1e)\n",
         r->w->name, r->threads, r->v->name, 1e3 * r->median,
         gflops(r, r->median), gflops(r, r->min), r->pct_peak, vsb, r->runs,
         r->max_err);
}

/* ---- running a workload ---- */

/* Runs workload w at every thread count; appends a result per variant and
   thread count to res (advancing *nres); reports the implementations
   oneDNN chose in impl (at the first thread count, and at any other
   where they differ).  Returns 0, or -1 if a setup failed or the
   reference is wrong. */
static int run_workload(const gemm_workload *w, const options *o,
                        result *res, int *nres, char *impl, size_t implsize) {
  int nv = w->nvariants, status = 0;
  float *ref = NULL;
  double *samples[GEMM_MAX_VARIANTS] = {0};
  char first_impl[256] = "";
  const char *fault = o->common.fault;
  for (int ti = 0; ti < o->common.nthreads && status == 0; ti++) {
    int nt = o->common.threads[ti];
    /* oneDNN fixes a primitive's threads when it is made: set them first */
    omp_set_num_threads(nt);
    gemm_data d;
    if (gemm_setup(w, o->conv_batch, &d) != 0) {
      fprintf(stderr, "gemm: %s: setup failed; skipped\n", w->name);
      gemm_teardown(w, &d);
      status = -1;
      break;
    }
    char what[256] = "";
    if (d.dnnl) snprintf(what, sizeof what, "%s", dnnl_mm_impl(&d));
    if (d.conv) dnnl_conv_describe(&d, what, sizeof what);
    if (ti == 0) {
      snprintf(impl, implsize, "%s", what);
      snprintf(first_impl, sizeof first_impl, "%s", what);
    } else if (strcmp(what, first_impl) != 0) {
      size_t n = strlen(impl);
      snprintf(impl + n, implsize - n, " (at %dT: %s)", nt, what);
    }
    size_t outbytes = (size_t)d.nout * sizeof *d.out;
    if (!ref && !(ref = malloc(outbytes))) {
      fprintf(stderr, "gemm: %s: out of memory\n", w->name);
      gemm_teardown(w, &d);
      status = -1;
      break;
    }
    result *r = res + *nres;
    *nres += nv;
    /* The check round.  The output is set to NaN first, so that a variant
       which writes nothing fails. */
    double first[GEMM_MAX_VARIANTS];
    for (int v = 0; v < nv; v++) {
      r[v] = (result){.w = w, .v = &w->variants[v], .threads = nt,
                      .flops = gemm_flops(&d.s)};
      memset(d.out, 0xff, outbytes);
      double t0 = bench_now();
      int rc = w->variants[v].run(&d);
      first[v] = bench_now() - t0;
      if (rc == 0) rc = gemm_fetch(&w->variants[v], &d);
      if (ti == 0 && v == 0) {
        memcpy(ref, d.out, outbytes);
        double e = check_reference(&d, ref);
        if (!(e <= tolerance(w))) {
          fprintf(stderr, "gemm: %s: the reference, %s, is off by %.1e from "
                          "dot products in double: nothing can be checked\n",
                  w->name, w->variants[0].name, e);
          status = -1;
        }
      }
      /* -f: a test of this check, which must then fail the variant. */
      if (fault && strcmp(fault, w->variants[v].name) == 0)
        d.out[d.nout / 2] = d.out[d.nout / 2] * 1.01f + 0.01f;
      r[v].max_err = check(d.out, ref, d.nout);
      r[v].ok = rc == 0 && r[v].max_err <= tolerance(w) && status == 0;
      if (rc != 0)
        fprintf(stderr, "gemm: %s/%s: failed with code %d\n", w->name,
                w->variants[v].name, rc);
    }
    if (o->rounds == 0) { /* -r 0: the check alone */
      for (int v = 0; v < nv; v++) print_row(&r[v]);
      gemm_teardown(w, &d);
      continue;
    }
    /* The warm-up round.  With the check round it sizes the blocks: calls
       enough for o->block seconds at the faster of the two calls' speed,
       plus a first one not timed unless a call is long (then the caches
       hardly matter). */
    int per[GEMM_MAX_VARIANTS], skip[GEMM_MAX_VARIANTS];
    for (int v = 0; v < nv; v++) {
      per[v] = skip[v] = 0;
      if (!r[v].ok) continue;
      double t0 = bench_now();
      if (w->variants[v].run(&d) != 0) {
        r[v].ok = 0;
        continue;
      }
      double t = bench_now() - t0;
      if (first[v] < t) t = first[v];
      per[v] = t >= o->block ? 1 : (int)(o->block / t) + 1;
      if (per[v] > 1000) per[v] = 1000;
      skip[v] = t < 0.05;
      free(samples[v]);
      if (!(samples[v] = malloc((size_t)per[v] * (size_t)o->rounds *
                                sizeof *samples[v]))) {
        r[v].ok = 0;
        status = -1;
      }
    }
    double spent[GEMM_MAX_VARIANTS] = {0};
    for (int round = 0; round < o->rounds; round++)
      for (int v = 0; v < nv; v++) {
        if (!r[v].ok) continue;
        if (spent[v] > BUDGET_S && r[v].runs >= MIN_RUNS) continue;
        int rc = skip[v] ? w->variants[v].run(&d) : 0;
        for (int i = 0; i < per[v] && rc == 0; i++) {
          double t0 = bench_now();
          rc = w->variants[v].run(&d);
          double t = bench_now() - t0;
          samples[v][r[v].runs++] = t;
          spent[v] += t;
        }
        if (rc != 0) {
          fprintf(stderr, "gemm: %s/%s: failed with code %d in a timed run\n",
                  w->name, w->variants[v].name, rc);
          r[v].ok = 0;
        }
      }
    double best = 0.0;
    for (int v = 0; v < nv; v++) {
      if (!r[v].ok || r[v].runs == 0) {
        r[v].ok = 0;
        continue;
      }
      r[v].median = bench_median(samples[v], r[v].runs);
      r[v].min = samples[v][0];
      if (w->variants[v].kind == GEMM_PEER &&
          (best == 0.0 || r[v].median < best))
        best = r[v].median;
    }
    for (int v = 0; v < nv; v++) {
      if (r[v].ok && best > 0.0) r[v].vs_best = best / r[v].median;
      if (r[v].ok)
        r[v].pct_peak = 100.0 * gflops(&r[v], r[v].median) / (peak1 * nt);
      print_row(&r[v]);
    }
    fflush(stdout);
    gemm_teardown(w, &d);
  }
  for (int v = 0; v < nv; v++) free(samples[v]);
  free(ref);
  return status;
}

/* ---- goals ---- */

/* A goal of issue 6: tensorc at `threads` at least `min` times as fast as
   the fastest peer whose name begins with `versus` (every peer when
   versus is NULL). */
typedef struct goal {
  const char *workload;
  int threads;
  const char *versus;
  double min;
} goal;

/* Measured at 2 threads (issue 6: "at 2 threads; 1 thread reported"). */
static const goal goals[] = {
    {"sgemm_1024", 2, NULL, 0.9},
    {"ffn_erf_m128", 2, NULL, 1.0},
    {"ffn_erf_m1", 2, NULL, 1.0},
    {"ffn_tanh_m128", 2, NULL, 1.0},
    {"ffn_tanh_m1", 2, NULL, 1.0},
    {"bmm", 2, "openblas", 1.0},
    /* conv2d + bias + relu: >= 0.85x oneDNN in the layouts it picks (x
       already in its layout), with NCHW tensors and with NHWC; and ahead
       of oneDNN given NCHW tensors, which it runs as im2col + GEMM. */
    {"conv3x3_nchw", 2, "dnnl_any", 0.85},
    {"conv3x3_nchw", 2, "dnnl_nchw", 1.0},
    {"conv3x3_nhwc", 2, "dnnl_any", 0.85},
    {"conv1x1_nchw", 2, "dnnl_any", 0.85},
    {"conv1x1_nchw", 2, "dnnl_nchw", 1.0},
    {"conv1x1_nhwc", 2, "dnnl_any", 0.85},
    {"conv3x3s2_nchw", 2, "dnnl_any", 0.85},
    {"conv3x3s2_nchw", 2, "dnnl_nchw", 1.0},
    {"conv3x3s2_nhwc", 2, "dnnl_any", 0.85},
};

/* Prints every goal whose workload ran, and, if path is not NULL, writes
   it there (*status = 1 if that fails); returns how many are met.  A goal
   whose tensorc variant failed, or has no peer, is not met. */
static int print_goals(const result *res, int nres, const char *path,
                       int *status) {
  FILE *csv = bench_create(path, status);
  int met = 0, n = 0;
  if (csv) fprintf(csv, "issue,workload,threads,versus,ratio,goal,met\n");
  for (size_t gi = 0; gi < sizeof goals / sizeof goals[0]; gi++) {
    const goal *g = &goals[gi];
    const result *t = NULL, *p = NULL;
    int ran = 0;
    for (int i = 0; i < nres; i++) {
      const result *r = &res[i];
      if (strcmp(r->w->name, g->workload) != 0 || r->threads != g->threads)
        continue;
      ran = 1;
      if (r->v->kind == GEMM_TENSORC && strcmp(r->v->name, "tensorc") == 0)
        t = r->ok ? r : NULL;
      else if (r->v->kind == GEMM_PEER && r->ok &&
               (!g->versus ||
                strncmp(r->v->name, g->versus, strlen(g->versus)) == 0) &&
               (!p || r->median < p->median))
        p = r;
    }
    if (!ran) continue;
    if (n == 0)
      printf("\ngoals of issue 6 (tensorc's speed relative to the fastest "
             "peer named):\n");
    n++;
    char what[96], versus[32];
    snprintf(versus, sizeof versus, "%s%s", g->versus ? "best " : "best peer",
             g->versus ? g->versus : "");
    snprintf(what, sizeof what, "%s, %dT: tensorc vs %s (%s)", g->workload,
             g->threads, versus, p ? p->v->name : "none");
    double ratio = t && p ? p->median / t->median : 0.0;
    int ok = ratio >= g->min;
    printf("  %-58s %6.2fx  (goal >= %.2fx)  %s\n", what, ratio, g->min,
           ok ? "met" : t ? "not met" : "not met (tensorc failed)");
    if (csv)
      fprintf(csv, "6,%s,%d,%s,%.4f,%.2f,%s\n", g->workload, g->threads,
              g->versus ? g->versus : "best_peer", ratio, g->min,
              ok ? "yes" : "no");
    met += ok;
  }
  if (n) printf("\n%d of %d goals met\n", met, n);
  bench_close(csv, path, status);
  return met;
}

/* The results as CSV: the columns, and row i of results ctx
   (bench_write_csv). */
static const char CSV_HEADER[] =
    "workload,threads,variant,kind,median_ms,min_ms,gflops,gflops_best,"
    "pct_peak,speed_vs_best_peer,runs,max_err,check";

static void csv_row(FILE *f, int i, const void *ctx) {
  const result *r = (const result *)ctx + i;
  fprintf(f, "%s,%d,%s,%s,%.4f,%.4f,%.2f,%.2f,%.1f,%.4f,%d,%.3g,%s\n",
          r->w->name, r->threads, r->v->name,
          r->v->kind == GEMM_TENSORC ? "tensorc" : "peer", 1e3 * r->median,
          1e3 * r->min, gflops(r, r->median), gflops(r, r->min), r->pct_peak,
          r->vs_best, r->runs, r->max_err, r->ok ? "ok" : "failed");
}

/* ---- options and the machine ---- */

/* The name of workload i, or NULL past the last (bench_driver). */
static const char *workload_name(int i) {
  int n;
  const gemm_workload *ws = gemm_workloads(&n);
  return i < n ? ws[i].name : NULL;
}

/* gemm's own options: -r, -b and -n. */
static int own_option(void *ctx, int letter, const char *arg) {
  options *o = ctx;
  switch (letter) {
  case 'r': return (o->rounds = atoi(arg)) < 0 ? -1 : 0;
  case 'b': return (o->block = atof(arg) * 1e-3) < 0 ? -1 : 0;
  case 'n':
    o->conv_batch = atoi(arg);
    return o->conv_batch < 1 || o->conv_batch > 1024 ? -1 : 0;
  default: return -1;
  }
}

static const bench_driver driver = {
    "gemm",
    "usage: gemm [-r ROUNDS] [-b BLOCK_MS] [-t THREADS,...] [-n BATCH] "
    "[-o FILE.csv] [-g GOALS.csv] [-f VARIANT] [WORKLOAD...]\n"
    "  -r ROUNDS    timed rounds (5); each runs every variant for a block;\n"
    "               0: only the check round\n"
    "  -b BLOCK_MS  the length of a block (30); 0: one call a block\n"
    "  -n BATCH     the convolutions' N (1)\n",
    "issue 6", workload_name, own_option};

int main(int argc, char **argv) {
  options o = {.common = {.nthreads = 2, .threads = {1, 2}}, .rounds = 5,
               .block = 0.03};
  bench_parse_options(&driver, argc, argv, &o.common, &o);
  int nw;
  const gemm_workload *ws = gemm_workloads(&nw);
  bench_print_machine(omp_get_num_procs());
  printf(" OPENBLAS_CORETYPE=%s\n", bench_env("OPENBLAS_CORETYPE"));
  /* Before any OpenMP region (peers.c says why). */
  if (peers_init() != 0) return 2;
  const char *core = peers_openblas_core();
  if (__builtin_cpu_supports("avx512f") && !strstr(core, "kylakex") &&
      !strstr(core, "ooperlake") && !strstr(core, "apphire"))
    printf("note: OpenBLAS runs its %s kernels on a CPU with AVX-512: set "
           "OPENBLAS_CORETYPE=Cooperlake and unset OPENBLAS_L2_SIZE (as "
           "bench/Makefile does)\n", core);
  if (getenv("OPENBLAS_NUM_THREADS") || getenv("OPENBLAS_L2_SIZE"))
    printf("note: OPENBLAS_NUM_THREADS or OPENBLAS_L2_SIZE is set: unset "
           "them (bench/README.md)\n");
  bench_print_notes(&o.common, omp_get_num_procs());
  probe_peak(5);
  printf("FMA peak probe (one core, independent FMAs in registers): %.1f "
         "GFLOP/s (median; best %.1f); %%peak: of the highest median so far "
         "(probed again before each workload), a thread\n",
         peak1, peak1_best);
  printf("GFLOP/s: 2 batch m n k flops, for the convolutions 2 N Cout OH OW "
         "Cin kh kw at N = %d (the bias and the activation not counted) over "
         "the median and the best call; vs best: the fastest peer's median "
         "over this one's; %d round(s) of %.0f ms blocks\n\n",
         o.conv_batch > 0 ? o.conv_batch : 1, o.rounds, o.block * 1e3);
  print_header();

  result *res = calloc(MAX_RESULTS, sizeof *res);
  if (!res) return 2;
  int nres = 0, status = 0;
  char impls[4096] = "";
  for (int k = 0; k < nw; k++) {
    if (!bench_selected(&o.common, ws[k].name)) continue;
    if (nres + ws[k].nvariants * o.common.nthreads > MAX_RESULTS) {
      fprintf(stderr, "gemm: too many results\n");
      return 2;
    }
    char impl[512] = "";
    probe_peak(1);
    if (run_workload(&ws[k], &o, res, &nres, impl, sizeof impl) != 0)
      status = 1;
    if (impl[0] && strlen(impls) + strlen(impl) + 40 < sizeof impls)
      snprintf(impls + strlen(impls), sizeof impls - strlen(impls),
               "  %-14s %s\n", ws[k].name, impl);
  }
  for (int i = 0; i < nres; i++)
    if (!res[i].ok) status = 1;
  if (o.rounds == 0) { /* nothing was timed */
    if (status) printf("\nSOME VARIANTS FAILED: see above\n");
    free(res);
    peers_fini();
    return status;
  }
  double med, best;
  fma_probe(&med, &best);
  printf("\nFMA peak probe at the end: %.1f GFLOP/s (median; best %.1f); "
         "load average %.2f\n", med, best, bench_load_average());
  if (med > 1.05 * peak1)
    printf("note: that is %.0f%% above the peak %%peak used: %%peak "
           "overstates\n", 100.0 * (med / peak1 - 1.0));
  if (impls[0]) printf("oneDNN's implementations:\n%s", impls);
  print_goals(res, nres, o.common.goals_csv, &status);
  bench_write_csv(o.common.csv, CSV_HEADER, nres, csv_row, res, &status);
  if (status) printf("\nSOME VARIANTS FAILED: see above\n");
  free(res);
  peers_fini();
  return status;
}
