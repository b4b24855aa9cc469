/*
 * bench_common.c: what the benchmark drivers share (bench_common.h).
 */
#include "bench_common.h"

#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double bench_median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

const char *bench_env(const char *name) {
  const char *v = getenv(name);
  return v ? v : "(unset)";
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

void bench_print_machine(int nprocs) {
  char cpu[128];
  cpu_name(cpu, sizeof cpu);
  printf("%s, %d processors; OMP_PROC_BIND=%s OMP_PLACES=%s", cpu, nprocs,
         bench_env("OMP_PROC_BIND"), bench_env("OMP_PLACES"));
}

double bench_load_average(void) {
  double l = -1.0;
  FILE *f = fopen("/proc/loadavg", "r");
  if (!f) return -1.0;
  if (fscanf(f, "%lf", &l) != 1) l = -1.0;
  fclose(f);
  return l;
}

void bench_print_notes(const bench_options *o, int nprocs) {
  for (int i = 0; i < o->nthreads; i++)
    if (o->threads[i] > nprocs)
      printf("note: %d threads on %d processors: oversubscribed\n",
             o->threads[i], nprocs);
  double load = bench_load_average();
  if (load >= 0.5)
    printf("note: load average %.2f before starting: other work is running, "
           "expect noise (above all at 2 threads)\n", load);
}

/* Parses -t's "T1,T2,..." into o (what is beyond BENCH_MAX_THREADS is
   dropped).  Returns 0, or -1 if a count is not a number from 1 to 1024. */
static int parse_threads(bench_options *o, const char *arg) {
  o->nthreads = 0;
  for (const char *p = arg; *p && o->nthreads < BENCH_MAX_THREADS;) {
    char *end;
    long t = strtol(p, &end, 10);
    if (end == p || t < 1 || t > 1024) return -1;
    o->threads[o->nthreads++] = (int)t;
    p = *end == ',' ? end + 1 : end;
  }
  return 0;
}

/* Prints d's usage, then that of the options every driver takes and the
   workloads' names; exits 2. */
static void usage(const bench_driver *d) {
  fprintf(stderr,
          "%s"
          "  -t T1,T2...  thread counts (1,2)\n"
          "  -o FILE.csv  write the results as CSV\n"
          "  -g FILE.csv  write the goals of %s as CSV\n"
          "  -f VARIANT   spoil one element of VARIANT's output after each "
          "check run\n"
          "               (a test of the check: the variant must fail)\n"
          "  WORKLOAD     run only these (default all):",
          d->usage, d->goals);
  for (int i = 0; d->workload(i); i++) fprintf(stderr, " %s", d->workload(i));
  fprintf(stderr, "\n");
  exit(2);
}

void bench_parse_options(const bench_driver *d, int argc, char **argv,
                         bench_options *o, void *ctx) {
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    if (i + 1 >= argc) usage(d);
    const char *arg = argv[++i];
    int rc = 0;
    switch (argv[i - 1][1]) {
    case 'o': o->csv = arg; break;
    case 'g': o->goals_csv = arg; break;
    case 'f': o->fault = arg; break;
    case 't': rc = parse_threads(o, arg); break;
    default: rc = d->option(ctx, argv[i - 1][1], arg);
    }
    if (rc != 0) usage(d);
  }
  if (o->nthreads < 1) usage(d);
  o->names = argv + i;
  o->nnames = argc - i;
  for (i = 0; i < o->nnames; i++) {
    int known = 0;
    for (int k = 0; d->workload(k); k++)
      known |= strcmp(d->workload(k), o->names[i]) == 0;
    if (!known) {
      fprintf(stderr, "%s: no workload '%s'\n", d->name, o->names[i]);
      exit(2);
    }
  }
}

int bench_selected(const bench_options *o, const char *name) {
  if (o->nnames == 0) return 1;
  for (int i = 0; i < o->nnames; i++)
    if (strcmp(o->names[i], name) == 0) return 1;
  return 0;
}

FILE *bench_create(const char *path, int *status) {
  if (!path) return NULL;
  FILE *f = fopen(path, "w");
  if (!f) {
    perror(path);
    *status = 1;
  }
  return f;
}

void bench_close(FILE *f, const char *path, int *status) {
  if (f && fclose(f) != 0) {
    perror(path);
    *status = 1;
  }
}

void bench_write_csv(const char *path, const char *header, int n,
                     void (*row)(FILE *f, int i, const void *ctx),
                     const void *ctx, int *status) {
  FILE *f = bench_create(path, status);
  if (!f) return;
  fprintf(f, "%s\n", header);
  for (int i = 0; i < n; i++) row(f, i, ctx);
  bench_close(f, path, status);
}

uint64_t bench_rng_next(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

float *bench_uniform(int64_t n, float lo, float hi, uint64_t *s) {
  /* 64-byte aligned, as frameworks allocate tensors (PyTorch, oneDNN):
     the GEMM template reads a B whose rows start on cache lines in place */
  size_t bytes = ((size_t)(n > 0 ? n : 1) * sizeof(float) + 63) / 64 * 64;
  float *p = aligned_alloc(64, bytes);
  if (!p) return NULL;
  for (int64_t i = 0; i < n; i++)
    p[i] = lo + (hi - lo) * (float)(bench_rng_next(s) >> 40) * 0x1p-24f;
  return p;
}
