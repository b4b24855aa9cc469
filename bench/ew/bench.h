/*
 * bench.h: what the elementwise-and-reduction benchmark driver (main.c)
 * knows about a workload (workloads.c).
 *
 * A workload is one DSL expression at one size (bench/dsl/NAME.lua), its
 * data, and the variants that compute it: tensorc's kernel, built offline,
 * and the peers it is measured against (peers.h).  Every variant reads the
 * same inputs and writes the same output buffer, so the driver can check
 * each one against the first and time them in turn, in one process.
 */
#ifndef BENCH_EW_BENCH_H
#define BENCH_EW_BENCH_H

#include <stdint.h>

/* The buffers of one workload.  Which slots are used, and what they mean,
   is the workload's business (workloads.c); the driver touches only `out`. */
typedef struct bench_data {
  int64_t rows, cols;    /* the iteration space; rows == 1 for flat chains */
  float *in[4];          /* inputs, in the DSL file's declaration order */
  float *w[2];           /* weights, likewise */
  float *out;            /* the one output, nout elements */
  int64_t nout;
  void *ctx;             /* tensorc's kernel context (P_create) */
  void *alt_ctx[2];      /* the contexts of other builds of the same DSL
                            file (the scalar target's, issue 5) */
} bench_data;

/* What a variant is, for the ratios: tensorc's kernel (of any target or
   build) or a peer.  `vs best` compares every variant with the peers. */
typedef enum bench_kind { BENCH_TENSORC, BENCH_PEER } bench_kind;

enum { BENCH_MAX_VARIANTS = 4 };

typedef struct bench_variant {
  const char *name;      /* short, for the table: "tensorc", "hand", ... */
  bench_kind kind;
  /* Computes the workload's output into d->out.  Returns 0, or nonzero
     when it failed (an allocation, or a tensorc error code). */
  int (*run)(bench_data *d);
} bench_variant;

typedef struct bench_workload {
  const char *name;      /* the DSL file's stem */
  const char *expr;      /* what is computed, for the table */
  /* Result check: element i passes when
       |v_i - r_i| <= rtol * max(|r_i|, floor * max_j |r_j|),
     r being the first variant's output (the floor keeps results near 0,
     where the order of operations decides the last bits, from failing). */
  double rtol, floor;
  /* Allocates and fills d (inputs from a fixed seed, output prefaulted)
     and creates tensorc's context.  Returns 0, or nonzero on failure with
     d partly filled (teardown copes). */
  int (*setup)(bench_data *d);
  void (*teardown)(bench_data *d);
  /* The fewest bytes any variant must move: every input and weight read
     once, the output written once.  Divided by the time it gives the
     effective bandwidth of the table. */
  double min_bytes;
  int nvariants;
  bench_variant variants[BENCH_MAX_VARIANTS]; /* the first is the reference */
} bench_workload;

/* The workloads, in the order they run; *n receives their number. */
const bench_workload *bench_workloads(int *n);

#endif /* BENCH_EW_BENCH_H */
