/*
 * threadcount.c: an LD_PRELOAD library that counts how often a process
 * really ran a parallel loop on several threads, so that the thread-count
 * step of tests/e2e/run.sh can prove it tested the parallel paths and not
 * only their serial fallbacks.
 *
 * Build and use (run.sh does it):
 *   cc -shared -fPIC tests/e2e/tools/threadcount.c -ldl -o threadcount.so
 *   TC_THREADCOUNT=FILE LD_PRELOAD=./threadcount.so tensorc run ...
 * At exit the process writes one line to FILE:
 *   threads=A omp=B
 * where A counts pthread_create calls (rt/pool.c starts T-1 fresh threads
 * for each tc_parallel_for call that splits its range, so at T = 2 this is
 * the number of pool loops that ran split) and B counts the OpenMP
 * parallel regions (GOMP_parallel: gcc's `#pragma omp parallel for`)
 * whose body was entered by two threads or more (a region whose `if()`
 * clause is false, or run at OMP_NUM_THREADS=1, counts nothing).
 *
 * Built with -DTHREADCOUNT_BUG it also plants a defect, for the step's
 * self-test: the threads it sees start (the pool's) and the OpenMP threads
 * other than the first run their part with the floating-point rounding
 * mode set upward, so that a kernel's results depend on the thread that
 * computes them, as with a split whose parts differ.  That must be caught.
 *
 * The constructor removes LD_PRELOAD from the environment, so that the
 * processes tensorc starts (the compiler of `--jit cc`) neither load the
 * library nor overwrite FILE.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fenv.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_long threads_started, omp_regions;
static char out_path[4096];

__attribute__((constructor)) static void tc_count_init(void) {
  const char *p = getenv("TC_THREADCOUNT");
  if (p && strlen(p) < sizeof out_path) strcpy(out_path, p);
  unsetenv("LD_PRELOAD");
}

__attribute__((destructor)) static void tc_count_report(void) {
  FILE *f;
  if (!out_path[0] || !(f = fopen(out_path, "w"))) return;
  fprintf(f, "threads=%ld omp=%ld\n", (long)atomic_load(&threads_started),
          (long)atomic_load(&omp_regions));
  fclose(f);
}

#ifdef THREADCOUNT_BUG
/* The planted defect: run f(arg) rounding upward. */
static void tc_bug_run(void (*f)(void *), void *arg) {
  int mode = fegetround();
  fesetround(FE_UPWARD);
  f(arg);
  fesetround(mode);
}

typedef struct started {
  void *(*start)(void *);
  void *arg;
} started;

static void tc_bug_start_body(void *p) {
  started *s = p;
  s->arg = s->start(s->arg); /* the thread's result, returned below */
}

static void *tc_bug_start(void *p) {
  started s = *(started *)p;
  free(p);
  tc_bug_run(tc_bug_start_body, &s);
  return s.arg;
}
#endif

typedef int create_fn(pthread_t *, const pthread_attr_t *, void *(*)(void *),
                      void *);

int pthread_create(pthread_t *t, const pthread_attr_t *a,
                   void *(*start)(void *), void *arg) {
  static create_fn *real;
  if (!real) {
    *(void **)&real = dlsym(RTLD_NEXT, "pthread_create");
    if (!real) abort();
  }
  atomic_fetch_add(&threads_started, 1);
#ifdef THREADCOUNT_BUG
  started *s = malloc(sizeof *s);
  if (s) {
    int rc;
    *s = (started){start, arg};
    rc = real(t, a, tc_bug_start, s);
    if (rc) free(s);
    return rc;
  }
#endif
  return real(t, a, start, arg);
}

/* GOMP_parallel runs fn(data) on every thread of the team and returns when
   all are done; the trampoline counts the threads that entered. */
typedef void gomp_parallel_fn(void (*)(void *), void *, unsigned, unsigned);

typedef struct region {
  void (*fn)(void *);
  void *data;
  pthread_t first; /* the thread that opened the region */
  atomic_int entered;
} region;

static void tc_count_trampoline(void *p) {
  region *r = p;
  atomic_fetch_add(&r->entered, 1);
#ifdef THREADCOUNT_BUG
  if (!pthread_equal(pthread_self(), r->first)) {
    tc_bug_run(r->fn, r->data);
    return;
  }
#endif
  r->fn(r->data);
}

void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads,
                   unsigned flags) {
  static gomp_parallel_fn *real;
  if (!real) {
    /* libgomp comes with a dlopen'ed kernel (RTLD_LOCAL), where RTLD_NEXT
       does not look: ask it by name. */
    void *h = dlopen("libgomp.so.1", RTLD_NOW | RTLD_NOLOAD);
    *(void **)&real = h ? dlsym(h, "GOMP_parallel") : NULL;
    if (!real) *(void **)&real = dlsym(RTLD_NEXT, "GOMP_parallel");
    if (!real) abort();
  }
  region r = {fn, data, pthread_self(), 0};
  real(tc_count_trampoline, &r, num_threads, flags);
  if (atomic_load(&r.entered) >= 2) atomic_fetch_add(&omp_regions, 1);
}
