/*
 * main.c: the driver of the elementwise-and-reduction benchmarks of issues
 * 4 and 5 (bench/README.md).  For every workload (bench.h) and thread
 * count it
 *   1. runs every variant once and checks its output against the first
 *      variant's (the hand-written loop), element by element;
 *   2. runs all variants in turn, warm-up rounds first, then REPS timed
 *      rounds (interleaved, so that drift in the machine's state hits all
 *      variants alike), and takes each one's median;
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
#include <time.h>

#include "bench.h"

enum { MAX_THREADS = 8, MAX_RESULTS = 512 };

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
  int reps, warmup;
  int nthreads, threads[MAX_THREADS];
  const char *csv, *goals_csv;
  const char *fault; /* a variant whose output is spoilt after it runs */
  int nnames;
  char **names;     /* workloads to run; all when nnames == 0 */
} options;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The median of v[0..n) (sorts v). */
static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

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

static int selected(const options *o, const char *name) {
  if (o->nnames == 0) return 1;
  for (int i = 0; i < o->nnames; i++)
    if (strcmp(o->names[i], name) == 0) return 1;
  return 0;
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
  for (int ti = 0; ti < o->nthreads; ti++) {
    omp_set_num_threads(o->threads[ti]);
    result *r = res + *nres;
    *nres += w->nvariants;
    /* The check round, which is also the first warm-up round.  The output
       is set to NaN first, so that a variant which writes nothing fails. */
    for (int v = 0; v < w->nvariants; v++) {
      r[v] = (result){.w = w, .v = &w->variants[v], .threads = o->threads[ti]};
      memset(d.out, 0xff, outbytes);
      int rc = w->variants[v].run(&d);
      if (ti == 0 && v == 0) memcpy(ref, d.out, outbytes);
      /* -f: a test of this check, which must then fail the variant. */
      if (o->fault && strcmp(o->fault, w->variants[v].name) == 0)
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
    for (int i = 0; i < o->reps; i++)
      for (int v = 0; v < w->nvariants; v++) {
        if (!r[v].ok) continue;
        double t0 = now();
        int rc = w->variants[v].run(&d);
        times[v * o->reps + i] = now() - t0;
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
      r[v].median = median(t, o->reps);
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
   and, if csv is not NULL, writes it there as a CSV row; returns how many
   are met. */
static int print_goals(const result *res, int nres, FILE *csv) {
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
  return met;
}

static int write_csv(const char *path, const result *res, int nres) {
  FILE *f = fopen(path, "w");
  if (!f) {
    perror(path);
    return -1;
  }
  fprintf(f, "workload,threads,variant,kind,median_ms,min_ms,gbps,"
             "speed_vs_best_peer,speedup_vs_1t,max_err,check\n");
  for (int i = 0; i < nres; i++) {
    const result *r = &res[i];
    fprintf(f, "%s,%d,%s,%s,%.4f,%.4f,%.2f,%.4f,%.4f,%.3g,%s\n", r->w->name,
            r->threads, r->v->name,
            r->v->kind == BENCH_TENSORC ? "tensorc" : "peer", 1e3 * r->median,
            1e3 * r->min,
            r->median > 0 ? r->w->min_bytes / r->median * 1e-9 : 0.0,
            r->vs_best, r->vs_1t, r->max_err, r->ok ? "ok" : "failed");
  }
  if (fclose(f) != 0) {
    perror(path);
    return -1;
  }
  return 0;
}

static void usage(void) {
  fprintf(stderr,
          "usage: ew [-r REPS] [-w WARMUP] [-t THREADS,...] [-o FILE.csv] "
          "[-g GOALS.csv] [-f VARIANT] [WORKLOAD...]\n"
          "  -r REPS      timed rounds; the median is reported (11)\n"
          "  -w WARMUP    warm-up rounds after the check round (1)\n"
          "  -t T1,T2...  thread counts (1,2)\n"
          "  -o FILE.csv  write the results as CSV\n"
          "  -g FILE.csv  write the goals of issues 4 and 5 as CSV\n"
          "  -f VARIANT   spoil one element of VARIANT's output after each "
          "check run\n"
          "               (a test of the check: the variant must fail)\n"
          "  WORKLOAD     run only these (default all):");
  int n;
  const bench_workload *ws = bench_workloads(&n);
  for (int i = 0; i < n; i++) fprintf(stderr, " %s", ws[i].name);
  fprintf(stderr, "\n");
  exit(2);
}

static options parse(int argc, char **argv) {
  options o = {.reps = 11, .warmup = 1, .nthreads = 2, .threads = {1, 2}};
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    if (i + 1 >= argc) usage();
    const char *arg = argv[++i];
    switch (argv[i - 1][1]) {
    case 'r': o.reps = atoi(arg); break;
    case 'w': o.warmup = atoi(arg); break;
    case 'o': o.csv = arg; break;
    case 'g': o.goals_csv = arg; break;
    case 'f': o.fault = arg; break;
    case 't':
      o.nthreads = 0;
      for (const char *p = arg; *p && o.nthreads < MAX_THREADS;) {
        char *end;
        long t = strtol(p, &end, 10);
        if (end == p || t < 1 || t > 1024) usage();
        o.threads[o.nthreads++] = (int)t;
        p = *end == ',' ? end + 1 : end;
      }
      break;
    default: usage();
    }
  }
  if (o.reps < 1 || o.warmup < 0 || o.nthreads < 1) usage();
  o.names = argv + i;
  o.nnames = argc - i;
  return o;
}

/* The 1-minute load average, or -1 if unknown: other work on the machine
   makes the numbers noisy, and the header says so. */
static double load_average(void) {
  double l = -1.0;
  FILE *f = fopen("/proc/loadavg", "r");
  if (!f) return -1.0;
  if (fscanf(f, "%lf", &l) != 1) l = -1.0;
  fclose(f);
  return l;
}

/* The CPU's name from /proc/cpuinfo, for the header. */
static void cpu_name(char *buf, size_t size) {
  snprintf(buf, size, "unknown CPU");
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f) return;
  char line[256];
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "model name", 10) == 0 && strchr(line, ':')) {
      snprintf(buf, size, "%s", strchr(line, ':') + 2);
      buf[strcspn(buf, "\n")] = 0;
      break;
    }
  fclose(f);
}

int main(int argc, char **argv) {
  options o = parse(argc, argv);
  int nw;
  const bench_workload *ws = bench_workloads(&nw);
  for (int i = 0; i < o.nnames; i++) {
    int known = 0;
    for (int k = 0; k < nw; k++) known |= strcmp(ws[k].name, o.names[i]) == 0;
    if (!known) {
      fprintf(stderr, "ew: no workload '%s'\n", o.names[i]);
      return 2;
    }
  }
  char cpu[128];
  cpu_name(cpu, sizeof cpu);
  const char *bind = getenv("OMP_PROC_BIND"), *places = getenv("OMP_PLACES");
  printf("%s, %d processors; OMP_PROC_BIND=%s OMP_PLACES=%s; median of %d "
         "runs after %d warm-up round(s)\n",
         cpu, omp_get_num_procs(), bind ? bind : "(unset)",
         places ? places : "(unset)", o.reps, o.warmup + 1);
  for (int i = 0; i < o.nthreads; i++)
    if (o.threads[i] > omp_get_num_procs())
      printf("note: %d threads on %d processors: oversubscribed\n",
             o.threads[i], omp_get_num_procs());
  double load = load_average();
  if (load >= 0.5)
    printf("note: load average %.2f before starting: other work is running, "
           "expect noise (above all at 2 threads)\n", load);
  printf("vs best: the fastest peer's median over this one's (above 1: "
         "faster than every peer)\n\n");
  print_header();

  result *res = calloc(MAX_RESULTS, sizeof *res);
  if (!res) return 2;
  int nres = 0, status = 0;
  for (int k = 0; k < nw; k++) {
    if (!selected(&o, ws[k].name)) continue;
    if (nres + ws[k].nvariants * o.nthreads > MAX_RESULTS) {
      fprintf(stderr, "ew: too many results\n");
      return 2;
    }
    if (run_workload(&ws[k], &o, res, &nres) != 0) status = 1;
  }
  for (int i = 0; i < nres; i++)
    if (!res[i].ok) status = 1;
  FILE *gf = NULL;
  if (o.goals_csv && !(gf = fopen(o.goals_csv, "w"))) {
    perror(o.goals_csv);
    status = 1;
  }
  print_goals(res, nres, gf);
  if (gf && fclose(gf) != 0) {
    perror(o.goals_csv);
    status = 1;
  }
  if (o.csv && write_csv(o.csv, res, nres) != 0) status = 1;
  if (status) printf("\nSOME VARIANTS FAILED: see above\n");
  free(res);
  return status;
}
