/*
 * bench_common.h: what the benchmark drivers share (bench/README.md): the
 * clocks, the median of timings, the options they all take, the machine's
 * description at the head of a table, the output files, and the inputs'
 * random numbers.  Used by bench/ew (ew, chunk), bench/gemm and
 * bench/jit_latency.c; it needs neither OpenMP nor tensorc, so that every
 * one of them can link it.
 */
#ifndef BENCH_COMMON_BENCH_COMMON_H
#define BENCH_COMMON_BENCH_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* Seconds on the monotonic clock (wall time, for the timed runs).  Inline,
   so that a timed region holds no call into another file. */
static inline double bench_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Seconds of CPU time of the calling thread (leaves out the time it was
   descheduled). */
static inline double bench_thread_cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The median of v[0..n), n >= 1.  Sorts v: v[0] is then the best. */
double bench_median(double *v, int n);

enum { BENCH_MAX_THREADS = 8 };

/* The options every driver (ew, gemm) takes. */
typedef struct bench_options {
  int nthreads, threads[BENCH_MAX_THREADS]; /* -t T1,T2,...: thread counts */
  const char *csv, *goals_csv; /* -o, -g: the results, the goals as CSV */
  const char *fault; /* -f: a variant whose output is spoilt after it runs */
  int nnames;
  char **names;      /* the workloads to run; all when nnames == 0 */
} bench_options;

/* What bench_parse_options needs to know of a driver. */
typedef struct bench_driver {
  const char *name;  /* "ew", for messages */
  const char *usage; /* the usage's synopsis and the driver's own options */
  const char *goals; /* whose goals -g writes ("issue 6") */
  /* The name of workload i, or NULL past the last. */
  const char *(*workload)(int i);
  /* Takes the driver's own option `letter` with its value into ctx;
     returns 0, or -1 if the letter is not the driver's or the value is
     out of range. */
  int (*option)(void *ctx, int letter, const char *arg);
} bench_driver;

/* Parses argv[1..argc) for driver d: options, each a letter and a value
   ("-r 5"), then workload names.  -t, -o, -g and -f go to o (the caller
   sets its defaults); any other letter to d->option(ctx, ...).  On a
   wrong option, or no thread count, prints the usage and exits 2; on a
   name that is not a workload's, says so and exits 2. */
void bench_parse_options(const bench_driver *d, int argc, char **argv,
                         bench_options *o, void *ctx);

/* 1 if o selects workload `name`: o names it, or names none. */
int bench_selected(const bench_options *o, const char *name);

/* The value of environment variable `name`, or "(unset)". */
const char *bench_env(const char *name);

/* Prints the head of a table's first line, with no newline: the CPU's
   name, nprocs, OMP_PROC_BIND and OMP_PLACES
   ("NAME, 2 processors; OMP_PROC_BIND=close OMP_PLACES=cores"). */
void bench_print_machine(int nprocs);

/* The 1-minute load average, or -1 if unknown: other work on the machine
   makes the numbers noisy, and bench_print_notes says so. */
double bench_load_average(void);

/* Prints a note for every thread count of o above nprocs
   (oversubscribed), and one if the load average is 0.5 or more. */
void bench_print_notes(const bench_options *o, int nprocs);

/* Opens `path` for writing.  NULL when path is NULL (no file asked for)
   or on failure; on failure it says why and sets *status to 1. */
FILE *bench_create(const char *path, int *status);

/* Closes f, opened by bench_create (nothing when NULL); if that fails, it
   says why and sets *status to 1. */
void bench_close(FILE *f, const char *path, int *status);

/* Writes a CSV file to path, if not NULL: the line `header`, then n rows,
   row(f, i, ctx) writing row i.  If that fails, says why and sets *status
   to 1. */
void bench_write_csv(const char *path, const char *header, int n,
                     void (*row)(FILE *f, int i, const void *ctx),
                     const void *ctx, int *status);

/* splitmix64: a small generator with a state the caller owns, so that a
   workload's data depends only on its seed. */
uint64_t bench_rng_next(uint64_t *s);

/* n floats uniform in [lo, hi) from bench_rng_next(s), 64-byte aligned (free
   them with free), or NULL. */
float *bench_uniform(int64_t n, float lo, float hi, uint64_t *s);

#endif /* BENCH_COMMON_BENCH_COMMON_H */
