/*
 * chunk.c: how much work a parallel loop needs before a second thread pays
 * off, measured rather than guessed (issue 4, "Parallel loops": "a minimum
 * chunk measured in bench/ and written into a table").
 *
 * For each loop kind it times the hand-written loop of hand.c at 1 and at
 * 2 threads over growing sizes, with the data in cache (the same buffers
 * every call), so that what is measured is the cost of the parallel region
 * against the work, not the memory bus.  It prints one row per size, and
 * per kind the smallest size from which 2 threads are at least 1.2x and
 * 1.5x as fast as 1 thread at that size and every larger one: the numbers
 * to copy into the compiler's table of minimum parallel work.  It also
 * measures an empty parallel region, the fixed cost every split pays.
 *
 * Usage: chunk [-o FILE.csv]
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "peers.h"

/* The largest size: 4 MiB per array, so that five arrays stay in L2/L3. */
enum { MAX_ELEMS = 1 << 20, COLS = 1024, MAX_ROWS = MAX_ELEMS / COLS };
enum { NSIZES = 13, NBATCH = 7 };

typedef struct bufs {
  float *a, *b, *c, *d, *y;
} bufs;

/* One loop kind: `run` does the work of `n` units (elements or rows). */
typedef struct kind {
  const char *name, *unit;
  int64_t elems_per_unit;
  void (*run)(const bufs *p, int64_t n);
} kind;

static void run_chain(const bufs *p, int64_t n) {
  hand_chain(n, p->a, p->b, p->c, p->d, p->y);
}
static void run_chain_exp(const bufs *p, int64_t n) {
  hand_chain_exp(n, p->a, p->b, p->c, p->d, p->y);
}
static void run_softmax(const bufs *p, int64_t n) {
  hand_softmax(n, COLS, p->a, p->y);
}
static void run_sumexp(const bufs *p, int64_t n) {
  hand_sumexp(n, COLS, p->a, p->y);
}

static const kind kinds[] = {
    {"chain", "elements", 1, run_chain},
    {"chain_exp", "elements", 1, run_chain_exp},
    {"softmax", "rows of 1024", COLS, run_softmax},
    {"sumexp", "rows of 1024", COLS, run_sumexp},
};
enum { NKINDS = sizeof kinds / sizeof kinds[0] };

/* Seconds per call of k at n units on the current thread count: the
   median of NBATCH batches, each long enough (about 2 ms) to time. */
static double per_call(const kind *k, const bufs *p, int64_t n) {
  k->run(p, n);
  int calls = 1;
  for (;;) { /* grow the batch until it takes 2 ms */
    double t0 = bench_now();
    for (int i = 0; i < calls; i++) k->run(p, n);
    if (bench_now() - t0 > 2e-3 || calls >= 1 << 20) break;
    calls *= 2;
  }
  double t[NBATCH];
  for (int b = 0; b < NBATCH; b++) {
    double t0 = bench_now();
    for (int i = 0; i < calls; i++) k->run(p, n);
    t[b] = (bench_now() - t0) / calls;
  }
  return bench_median(t, NBATCH);
}

/* Seconds of an empty parallel region at the current thread count. */
static double empty_region(void) {
  volatile int sink = 0;
  double best = 1.0;
  for (int b = 0; b < NBATCH; b++) {
    double t0 = bench_now();
    for (int i = 0; i < 10000; i++) {
#pragma omp parallel
      {
        if (omp_get_thread_num() == 0) sink = sink + 1;
      }
    }
    double t = (bench_now() - t0) / 10000;
    if (t < best) best = t;
  }
  return best;
}

static float *filled(int64_t n, float lo, float hi) {
  float *p = malloc((size_t)n * sizeof *p);
  if (!p) return NULL;
  for (int64_t i = 0; i < n; i++)
    p[i] = lo + (hi - lo) * (float)((i * 7919) % 1000) / 1000.0f;
  return p;
}

int main(int argc, char **argv) {
  const char *csv = NULL;
  if (argc == 3 && strcmp(argv[1], "-o") == 0)
    csv = argv[2];
  else if (argc != 1) {
    fprintf(stderr, "usage: chunk [-o FILE.csv]\n");
    return 2;
  }
  bufs p = {filled(MAX_ELEMS, -1, 1), filled(MAX_ELEMS, -1, 1),
            filled(MAX_ELEMS, -1, 1), filled(MAX_ELEMS, -1, 1),
            filled(MAX_ELEMS, 0, 0)};
  if (!p.a || !p.b || !p.c || !p.d || !p.y) return 2;
  FILE *f = csv ? fopen(csv, "w") : NULL;
  if (csv && !f) {
    perror(csv);
    return 2;
  }
  if (f) fprintf(f, "kind,units,elements,t1_us,t2_us,speedup\n");

  omp_set_num_threads(2);
  double region = empty_region();
  printf("an empty parallel region at 2 threads: %.2f us\n\n", 1e6 * region);
  printf("%-10s %12s %10s %10s %8s\n", "kind", "elements", "1T us",
         "2T us", "2T/1T");
  for (int ki = 0; ki < NKINDS; ki++) {
    const kind *k = &kinds[ki];
    int64_t maxn = MAX_ELEMS / k->elems_per_unit;
    int64_t n[NSIZES];
    double sp[NSIZES];
    int ns = 0;
    /* Sizes from 1/4096 of the maximum (at least one unit) up to it,
       doubling. */
    int64_t start = maxn >> (NSIZES - 1) > 0 ? maxn >> (NSIZES - 1) : 1;
    for (int64_t u = start; u <= maxn && ns < NSIZES; u *= 2) {
      n[ns] = u;
      omp_set_num_threads(1);
      double t1 = per_call(k, &p, n[ns]);
      omp_set_num_threads(2);
      double t2 = per_call(k, &p, n[ns]);
      sp[ns] = t1 / t2;
      int64_t elems = n[ns] * k->elems_per_unit;
      printf("%-10s %12lld %10.2f %10.2f %7.2fx\n", k->name, (long long)elems,
             1e6 * t1, 1e6 * t2, sp[ns]);
      if (f)
        fprintf(f, "%s,%lld,%lld,%.3f,%.3f,%.3f\n", k->name,
                (long long)n[ns], (long long)elems, 1e6 * t1, 1e6 * t2,
                sp[ns]);
      ns++;
    }
    /* The smallest size from which every larger one reaches the speedup. */
    const double want[2] = {1.2, 1.5};
    for (int w = 0; w < 2; w++) {
      int from = ns;
      while (from > 0 && sp[from - 1] >= want[w]) from--;
      if (from < ns)
        printf("  %s: 2 threads >= %.1fx from %lld elements (%lld %s)\n",
               k->name, want[w], (long long)(n[from] * k->elems_per_unit),
               (long long)n[from], k->unit);
      else
        printf("  %s: 2 threads never >= %.1fx up to %lld elements\n",
               k->name, want[w], (long long)(maxn * k->elems_per_unit));
    }
  }
  if (f && fclose(f) != 0) {
    perror(csv);
    return 2;
  }
  free(p.a);
  free(p.b);
  free(p.c);
  free(p.d);
  free(p.y);
  return 0;
}
