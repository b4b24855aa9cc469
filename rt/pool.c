/*
 * pool.c: tc_parallel_for, the hook through which code compiled with
 * -DTENSORC_POOL (and every kernel compiled by libtcc, which has no
 * OpenMP) runs its parallel loops.
 *
 * Deliberately simple: each call splits [0, n) into one contiguous chunk
 * per worker, starts the workers as fresh pthreads, runs the first chunk
 * on the calling thread and joins.  There is no persistent pool, hence no
 * global state; a call costs tens of microseconds of thread start-up,
 * which is why small n runs inline.
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "rt.h"

/* More threads than this buys nothing on the machines we target and
   bounds the stack array below. */
#define POOL_MAX_THREADS 64

typedef struct pool_chunk {
  void (*body)(void *arg, int64_t lo, int64_t hi);
  void *arg;
  int64_t lo, hi;
} pool_chunk;

static void *pool_run_chunk(void *p) {
  pool_chunk *c = p;
  c->body(c->arg, c->lo, c->hi);
  return NULL;
}

/* Threads to use: $TENSORC_NUM_THREADS when set to a positive number,
   else the online CPUs. */
static int pool_threads(void) {
  const char *env = getenv("TENSORC_NUM_THREADS");
  long t = 0;
  if (env && env[0]) t = strtol(env, NULL, 10);
  if (t <= 0) t = sysconf(_SC_NPROCESSORS_ONLN);
  if (t <= 0) t = 1;
  if (t > POOL_MAX_THREADS) t = POOL_MAX_THREADS;
  return (int)t;
}

/* Runs body on disjoint ranges covering [0, n) exactly once and returns
   when all are done (spec/abi.md).  n <= 0 does nothing.  When a thread
   cannot be started its chunk runs on the calling thread. */
void tc_parallel_for(int64_t n, void (*body)(void *arg, int64_t lo, int64_t hi),
                     void *arg) {
  if (n <= 0) return;
  int64_t t = pool_threads();
  if (t > n) t = n;
  if (t <= 1) {
    body(arg, 0, n);
    return;
  }
  pool_chunk chunks[POOL_MAX_THREADS];
  pthread_t threads[POOL_MAX_THREADS];
  int started[POOL_MAX_THREADS] = {0};
  /* Chunk i is [i*n/t, (i+1)*n/t), computed without overflowing int64. */
  int64_t q = n / t, r = n % t;
  for (int64_t i = 0, lo = 0; i < t; i++) {
    int64_t len = q + (i < r ? 1 : 0);
    chunks[i] = (pool_chunk){body, arg, lo, lo + len};
    lo += len;
  }
  for (int64_t i = 1; i < t; i++)
    started[i] = pthread_create(&threads[i], NULL, pool_run_chunk,
                                &chunks[i]) == 0;
  pool_run_chunk(&chunks[0]);
  for (int64_t i = 1; i < t; i++) {
    if (started[i])
      pthread_join(threads[i], NULL);
    else
      pool_run_chunk(&chunks[i]);
  }
}
