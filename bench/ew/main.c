/*
 * main.c: the driver of the elementwise-and-reduction benchmarks of issues
 * 4 and 5 (bench/README.md).  For every workload (bench.h) and thread
 * count it
 *   1. runs every variant once and checks its output against the first
 *      variant's (the hand-written loop), element by element;
 *   2. runs all variants in turn, warm-up rounds first, then REPS timed
 *      rounds (interleaved, so that drift in the machine's state hits all
 *      variants alike, in an order reversed every other round; each timed
 *      call right after an untimed one of the same variant, so that none
 *      pays for the cache its predecessor left), and takes each one's
 *      median;
 *   3. prints each variant's speed relative to the best peer.
 * At the end it checks the goals of issues 4 and 5, writes the CSV, and
 * exits 1 if any variant failed or computed a wrong result (goals not met
 * are reported, not failures: they are targets for work to come).
 *
 * Usage: ew [-r REPS] [-w WARMUP] [-t THREADS,...] [-o FILE.csv]
 *           [-g GOALS.csv] [-f VARIANT] [WORKLOAD...]
 *   -r  timed rounds (11)        -w  warm-up rounds after the check (1)
 *   -t  thread counts (1,2)      -o  the results as CSV
 *   -g  the goals as CSV         -f  spoil a variant's output (a self-test)
 *   WORKLOAD  the workloads to run (all)
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "bench_common.h"

enum { MAX_RESULTS = 512 };

/* One variant of one workload at one thread count. */
typedef struct result {
  const bench_workload *w;
  const bench_variant *v;
  int threads;
  int ok;           /* ran without error and matched the reference */
  double max_err;   /* the largest scaled error of the check (bench.h) */
  double median, min; /* seconds */
  double vs_best;   /* best peer's median / this median; 0 if unknown */
  double vs_1t;     /* this variant's median at 1 thread / this one; 0 if
                       not measured */
} result;

typedef struct options {
  bench_options common; /* -t, -o, -g, -f and the workloads */
  int reps, warmup;
} options;

/* The largest error of out against ref, scaled as bench.h says; +inf when
   an element is NaN or the error cannot be scaled. */
static double check(const float *out, const float *ref, int64_t n,
                    double floor) {
  double maxabs = 0.0, worst = 0.0;
  for (int64_t i = 0; i < n; i++)
    if (fabs(ref[i]) > maxabs) maxabs = fabs(ref[i]);
  for (int64_t i = 0; i < n; i++) {
    double diff = fabs((double)out[i] - (double)ref[i]);
    double den = fmax(fabs(ref[i]), floor * maxabs);
    double e = diff == 0.0 ? 0.0 : den > 0.0 ? diff / den : INFINITY;
    if (!(e <= worst)) worst = isnan(e) ? INFINITY : e;
  }
  return worst;
}

static void print_header(void) {
  printf("%-11s %3s %-10s %10s %10s %8s %9s %7s  %s\n", "workload", "thr",
         "variant", "median ms", "min ms", "GB/s", "vs best", "vs 1T",
         "check (max err)");
}

static void print_row(const result *r) {
  if (!r->ok) {
    printf("%-11s %3d %-10s %10s %10s %8s %9s %7s  FAILED (%.1e)\n",
           r->w->name, r->threads, r->v->name, "-", "-", "-", "-", "",
           r->max_err);
    return;
  }
  char vs1[16] = "", vsb[16] = "-";
  if (r->vs_1t > 0) snprintf(vs1, sizeof vs1, "%.2fx", r->vs_1t);
  if (r->vs_best > 0) snprintf(vsb, sizeof vsb, "%.2fx", r->vs_best);
  printf("%-11s %3d %-10s %10.2f %10.2f %8.1f %9s %7s  %s (%.1e)\n",
         r->w->name, r->threads, r->v->name, 1e3 * r->median, 1e3 * r->min,
         r->median > 0 ? r->w->min_bytes / r->median * 1e-9 : 0.0, vsb, vs1,
         "ok", r->max_err);
}

/* Runs workload w at every thread count; appends a result per variant and
   thread count to res (advancing *nres).  Returns 0, or -1 if the setup
   failed (no results then). */
static int run_workload(const bench_workload *w, const options *o,
                        result *res, int *nres) {
  bench_data d = {0};
  if (w->setup(&d) != 0) {
    fprintf(stderr, "ew: %s: setup failed (see above, or out of memory, "
                    "or tensorc's create failed); skipped\n", w->name);
    w->teardown(&d);
    return -1;
  }
  size_t outbytes = (size_t)d.nout * sizeof *d.out;
  float *ref = malloc(outbytes);
  double *times = malloc((size_t)w->nvariants * (size_t)o->reps *
                         sizeof *times);
  if (!ref || !times) {
    fprintf(stderr, "ew: %s: out of memory\n", w->name);
    free(ref);
    free(times);
    w->teardown(&d);
    return -1;
  }
  int first = *nres; /* this workload's first result */
  const char *fault = o->common.fault;
  for (int ti = 0; ti < o->common.nthreads; ti++) {
    int nt = o->common.threads[ti];
    omp_set_num_threads(nt);
    result *r = res + *nres;
    *nres += w->nvariants;
    /* The check round, which is also the first warm-up round.  The output
       is set to NaN first, so that a variant which writes nothing fails. */
    for (int v = 0; v < w->nvariants; v++) {
      r[v] = (result){.w = w, .v = &w->variants[v], .threads = nt};
      memset(d.out, 0xff, outbytes);
      int rc = w->variants[v].run(&d);
      if (ti == 0 && v == 0) memcpy(ref, d.out, outbytes);
      /* -f: a test of this check, which must then fail the variant. */
      if (fault && strcmp(fault, w->variants[v].name) == 0)
        d.out[d.nout / 2] = d.out[d.nout / 2] * 1.01f + 0.01f;
      r[v].max_err = check(d.out, ref, d.nout, w->floor);
      r[v].ok = rc == 0 && r[v].max_err <= w->rtol;
      if (rc != 0)
        fprintf(stderr, "ew: %s/%s: failed with code %d\n", w->name,
                w->variants[v].name, rc);
    }
    for (int i = 0; i < o->warmup; i++)
      for (int v = 0; v < w->nvariants; v++)
        if (r[v].ok && w->variants[v].run(&d) != 0) r[v].ok = 0;
    /* The order alternates between rounds (forward, then backward), and
       each timed call follows an untimed call of the same variant: a
       variant would otherwise pay for the state its predecessor leaves
       behind (the unfused one leaves tens of MB of dirty temporaries in
       the cache, written back during the next run), and with an odd
       number of rounds one variant follows it once more often than
       another: where a call after it is much slower (a layer_norm of 32
       MB with a 32 MiB L3), the median can fall in the slow half for one
       of them and the fast half for the other. */
    for (int i = 0; i < o->reps; i++)
      for (int k = 0; k < w->nvariants; k++) {
        int v = i % 2 ? w->nvariants - 1 - k : k;
        if (!r[v].ok) continue;
        /* an untimed call first: each timed call follows one of its own */
        if (w->variants[v].run(&d) != 0) {
          fprintf(stderr, "ew: %s/%s: failed in a run before a timed one\n", w->name,
                  w->variants[v].name);
          r[v].ok = 0;
          continue;
        }
        double t0 = bench_now();
        int rc = w->variants[v].run(&d);
        times[v * o->reps + i] = bench_now() - t0;
        if (rc != 0) {
          fprintf(stderr, "ew: %s/%s: failed with code %d in a timed run\n",
                  w->name, w->variants[v].name, rc);
          r[v].ok = 0;
        }
      }
    double best = 0.0;
    for (int v = 0; v < w->nvariants; v++) {
      if (!r[v].ok) continue;
      double *t = times + v * o->reps;
      r[v].median = bench_median(t, o->reps);
      r[v].min = t[0];
      if (w->variants[v].kind == BENCH_PEER &&
          (best == 0.0 || r[v].median < best))
        best = r[v].median;
    }
    for (int v = 0; v < w->nvariants; v++) {
      if (!r[v].ok) {
        print_row(&r[v]);
        continue;
      }
      if (best > 0.0) r[v].vs_best = best / r[v].median;
      /* The same variant at one thread, if it ran earlier. */
      for (int k = first; k < *nres - w->nvariants; k++)
        if (res[k].threads == 1 && res[k].v == r[v].v && res[k].ok)
          r[v].vs_1t = res[k].median / r[v].median;
      print_row(&r[v]);
    }
    fflush(stdout);
  }
  free(ref);
  free(times);
  w->teardown(&d);
  return 0;
}

static const result *find(const result *res, int nres, const char *workload,
                          const char *variant, int threads) {
  for (int i = 0; i < nres; i++)
    if (strcmp(res[i].w->name, workload) == 0 &&
        strcmp(res[i].v->name, variant) == 0 && res[i].threads == threads &&
        res[i].ok)
      return &res[i];
  return NULL;
}

/* A goal of an issue: tensorc at `threads` at least `min` times as fast as
   variant `peer` (a peer, or another build of tensorc's such as
   tc-scalar) at the same thread count or, when peer is NULL, tensorc at
   `threads` at least `min` times as fast as tensorc at 1 thread. */
typedef struct goal {
  int issue;
  const char *workload;
  int threads;
  const char *peer;
  double min;
} goal;

static const goal goals[] = {
    {4, "chain", 2, "hand", 0.9},      {4, "chain", 2, "unfused", 2.5},
    {4, "softmax", 1, "hand", 1.0},    {4, "softmax", 2, "hand", 1.0},
    {4, "layer_norm", 1, "hand", 1.0}, {4, "layer_norm", 2, "hand", 1.0},
    {4, "sumexp", 1, "hand", 1.0},     {4, "sumexp", 2, "hand", 1.0},
    {4, "colsum", 1, "hand", 1.0},     {4, "colsum", 2, "hand", 1.0},
    {4, "chain_exp", 2, NULL, 1.7},
    /* issue 5: the SIMD target (TCFLAGS', native by default) >= 4x the
       scalar target run as scalar code, and >= 1.5x libm's scalar loop */
    {5, "exp", 1, "tc-scalar", 4.0},     {5, "exp", 2, "tc-scalar", 4.0},
    {5, "exp", 1, "hand", 1.5},          {5, "exp", 2, "hand", 1.5},
    {5, "tanh", 1, "tc-scalar", 4.0},    {5, "tanh", 2, "tc-scalar", 4.0},
    {5, "tanh", 1, "hand", 1.5},         {5, "tanh", 2, "hand", 1.5},
    {5, "sigmoid", 1, "tc-scalar", 4.0}, {5, "sigmoid", 2, "tc-scalar", 4.0},
    {5, "sigmoid", 1, "hand", 1.5},      {5, "sigmoid", 2, "hand", 1.5},
    {5, "gelu", 1, "tc-scalar", 4.0},    {5, "gelu", 2, "tc-scalar", 4.0},
    {5, "gelu", 1, "hand", 1.5},         {5, "gelu", 2, "hand", 1.5},
};

/* Prints every goal whose measurements exist, under a heading per issue,
   and, if path is not NULL, writes it there as a CSV row (*status = 1 if
   that fails); returns how many are met. */
static int print_goals(const result *res, int nres, const char *path,
                       int *status) {
  FILE *csv = bench_create(path, status);
  int met = 0, n = 0, issue = 0;
  if (csv) fprintf(csv, "issue,workload,threads,versus,ratio,goal,met\n");
  for (size_t i = 0; i < sizeof goals / sizeof goals[0]; i++) {
    const goal *g = &goals[i];
    const result *t = find(res, nres, g->workload, "tensorc", g->threads);
    const result *p = g->peer
                          ? find(res, nres, g->workload, g->peer, g->threads)
                          : find(res, nres, g->workload, "tensorc", 1);
    if (!t || !p) continue;
    if (g->issue != issue) {
      issue = g->issue;
      printf("\ngoals of issue %d (tensorc's speed relative to the variant named):\n",
             issue);
    }
    double ratio = p->median / t->median;
    char what[96];
    if (g->peer)
      snprintf(what, sizeof what, "%s, %dT: tensorc vs %s", g->workload,
               g->threads, g->peer);
    else
      snprintf(what, sizeof what, "%s: tensorc %dT vs tensorc 1T",
               g->workload, g->threads);
    printf("  %-40s %6.2fx  (goal >= %.1fx)  %s\n", what, ratio, g->min,
           ratio >= g->min ? "met" : "not met");
    if (csv)
      fprintf(csv, "%d,%s,%d,%s,%.4f,%.2f,%s\n", g->issue, g->workload, g->threads,
              g->peer ? g->peer : "tensorc_1t", ratio, g->min,
              ratio >= g->min ? "yes" : "no");
    met += ratio >= g->min;
    n++;
  }
  printf("\n%d of %d goals met\n", met, n);
  bench_close(csv, path, status);
  return met;
}

/* The results as CSV: the columns, and row i of results ctx
   (bench_write_csv). */
static const char CSV_HEADER[] =
    "workload,threads,variant,kind,median_ms,min_ms,gbps,"
    "speed_vs_best_peer,speedup_vs_1t,max_err,check";

static void csv_row(FILE *f, int i, const void *ctx) {
  const result *r = (const result *)ctx + i;
  fprintf(f, "%s,%d,%s,%s,%.4f,%.4f,%.2f,%.4f,%.4f,%.3g,%s\n", r->w->name,
          r->threads, r->v->name,
          r->v->kind == BENCH_TENSORC ? "tensorc" : "peer", 1e3 * r->median,
          1e3 * r->min,
          r->median > 0 ? r->w->min_bytes / r->median * 1e-9 : 0.0,
          r->vs_best, r->vs_1t, r->max_err, r->ok ? "ok" : "failed");
}

/* The name of workload i, or NULL past the last (bench_driver). */
static const char *workload_name(int i) {
  int n;
  const bench_workload *ws = bench_workloads(&n);
  return i < n ? ws[i].name : NULL;
}

/* ew's own options: -r and -w. */
static int own_option(void *ctx, int letter, const char *arg) {
  options *o = ctx;
  switch (letter) {
  case 'r': return (o->reps = atoi(arg)) < 1 ? -1 : 0;
  case 'w': return (o->warmup = atoi(arg)) < 0 ? -1 : 0;
  default: return -1;
  }
}

static const bench_driver driver = {
    "ew",
    "usage: ew [-r REPS] [-w WARMUP] [-t THREADS,...] [-o FILE.csv] "
    "[-g GOALS.csv] [-f VARIANT] [WORKLOAD...]\n"
    "  -r REPS      timed rounds; the median is reported (11)\n"
    "  -w WARMUP    warm-up rounds after the check round (1)\n",
    "issues 4 and 5", workload_name, own_option};

int main(int argc, char **argv) {
  options o = {.common = {.nthreads = 2, .threads = {1, 2}}, .reps = 11,
               .warmup = 1};
  bench_parse_options(&driver, argc, argv, &o.common, &o);
  int nw;
  const bench_workload *ws = bench_workloads(&nw);
  bench_print_machine(omp_get_num_procs());
  printf("; median of %d runs after %d warm-up round(s)\n", o.reps,
         o.warmup + 1);
  bench_print_notes(&o.common, omp_get_num_procs());
  printf("vs best: the fastest peer's median over this one's (above 1: "
         "faster than every peer)\n\n");
  print_header();

  result *res = calloc(MAX_RESULTS, sizeof *res);
  if (!res) return 2;
  int nres = 0, status = 0;
  for (int k = 0; k < nw; k++) {
    if (!bench_selected(&o.common, ws[k].name)) continue;
    if (nres + ws[k].nvariants * o.common.nthreads > MAX_RESULTS) {
      fprintf(stderr, "ew: too many results\n");
      return 2;
    }
    if (run_workload(&ws[k], &o, res, &nres) != 0) status = 1;
  }
  for (int i = 0; i < nres; i++)
    if (!res[i].ok) status = 1;
  print_goals(res, nres, o.common.goals_csv, &status);
  bench_write_csv(o.common.csv, CSV_HEADER, nres, csv_row, res, &status);
  if (status) printf("\nSOME VARIANTS FAILED: see above\n");
  free(res);
  return status;
}
