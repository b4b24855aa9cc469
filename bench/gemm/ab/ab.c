/*
 * ab.c: two builds of one GEMM workload (A.h/A.c and B.h/B.c, written by
 * two tensorc binaries with --name A and --name B), called in alternating
 * blocks in one process: the median and best time of each, and B's speed
 * over A's.  ab.sh builds and runs it; bench/README.md explains when to
 * use it.  Sizes come from ab.sh (-D): XN, YN, W0N, W1N elements, FLOPS,
 * RUNARGS(y) the run call's arguments after the context.
 * CPUT=1 times each call by the calling thread's CPU time (1 thread only).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "A.h"
#include "B.h"

static double now(void) {
  struct timespec t;
  const char *cput = getenv("CPUT");
  clock_gettime(cput && *cput && *cput != '0' ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static float *rnd(size_t n) {
  float *p = aligned_alloc(64, ((n ? n : 1) * sizeof *p + 63) / 64 * 64); /* as frameworks do */
  if (!p) exit(1);
  for (size_t i = 0; i < n; i++) p[i] = (float)rand() / (float)RAND_MAX - 0.5f;
  return p;
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 20, per = argc > 2 ? atoi(argv[2]) : 10;
  if (rounds < 1 || per < 1) return 2;
  float *x = rnd(XN), *w0 = rnd(W0N), *w1 = rnd(W1N), *ya = rnd(YN), *yb = rnd(YN);
  const void *ws[2] = {w0, w1};
  A_ctx *ca;
  B_ctx *cb;
  if (A_create_v(&ca, ws) || B_create_v(&cb, ws)) {
    fputs("ab: create failed\n", stderr);
    return 1;
  }
  double *t[2] = {malloc(sizeof(double) * (size_t)(rounds * per)),
                  malloc(sizeof(double) * (size_t)(rounds * per))};
  int n[2] = {0, 0};
  for (int r = 0; r < rounds; r++)
    for (int v = 0; v < 2; v++) {
      int which = v ^ (r & 1); /* A first in even rounds, B first in odd ones */
      for (int i = -1; i < per; i++) { /* the first call of a block is not timed */
        double t0 = now();
        int rc = which == 0 ? A_run(ca, RUNARGS(ya)) : B_run(cb, RUNARGS(yb));
        double dt = now() - t0;
        if (rc) return 1;
        if (i >= 0) t[which][n[which]++] = dt;
      }
    }
  double diff = 0;
  for (size_t i = 0; i < (size_t)(YN); i++) diff = fmax(diff, fabs((double)ya[i] - (double)yb[i]));
  for (int v = 0; v < 2; v++) {
    qsort(t[v], (size_t)n[v], sizeof(double), cmp);
    printf("%c: median %.3f ms (%.1f GFLOP/s), best %.3f ms (%.1f)\n", "AB"[v],
           t[v][n[v] / 2] * 1e3, FLOPS / t[v][n[v] / 2] * 1e-9, t[v][0] * 1e3, FLOPS / t[v][0] * 1e-9);
  }
  printf("B/A speed: median %.3fx, best %.3fx; max |A - B| %.2e\n", t[0][n[0] / 2] / t[1][n[1] / 2],
         t[0][0] / t[1][0], diff);
  return 0;
}
