/*
 * rt.h: what runs in process: .npy files, the reference interpreter, the
 * JIT drivers (libtcc, cc + dlopen), the thread pool hook, random data
 * and timing.
 */
#ifndef TC_RT_H
#define TC_RT_H

#include "../tensorc/graph.h"

/* ---- .npy -------------------------------------------------------------- */

typedef struct tcR_array {
  tc_dtype dtype;
  int rank;
  int64_t shape[TC_MAX_RANK];
  void *data;          /* malloc'd, C order; NULL when empty */
  int64_t count;       /* elements */
} tcR_array;

/* Read a .npy file (versions 1, 2, 3; C order; dtypes <f4 <f8 <u2 |i1 |u1
   <i4 <i8; `bf16` arguments are read from <u2).  On error returns -1 with a
   message naming the file in err. */
int tcR_npy_read(const char *path, tcR_array *out, char *err, size_t errlen);
/* Write a version 1.0 .npy file through a temporary name and a rename. */
int tcR_npy_write(const char *path, const tcR_array *a, char *err,
                  size_t errlen);
/* The two halves of tcR_npy_write, for writing several files all or
   nothing: write_temp writes the file under a temporary name next to
   `path` and sets *tmp (malloc'd); commit renames it to `path` (freeing
   tmp; on failure it unlinks it); discard unlinks and frees it.  Both
   take NULL as nothing to do. */
int tcR_npy_write_temp(const char *path, const tcR_array *a, char **tmp,
                       char *err, size_t errlen);
int tcR_npy_commit(const char *path, char *tmp, char *err, size_t errlen);
void tcR_npy_discard(char *tmp);
void tcR_array_free(tcR_array *a);

/* ---- the reference interpreter (rt/ref) -------------------------------
   Evaluates a kernel's graph directly, op by op, with wide accumulators
   (f64 for floats, i64 for integers), rounding to each node's dtype when a
   value is stored.  Arguments as in the ABI's generic form: dims in dim()
   order, weights and inputs in declaration order within their role,
   outputs in output() order, each a contiguous buffer of its dtype; a csr
   input takes consecutive slots, rowptr, col [, val], as the arrays of
   tc_kernel_abi_parts do (nnz is rowptr[rows]).
   Returns TC_OK, TC_EINVAL (negative dim, a failed tc_check, integer
   division by zero, empty max/min/argmax/argmin, a NULL pointer to a
   non-empty array), TC_EINDEX (a read out of bounds in a compute body; a
   gather, index_select or scatter index outside [0, extent); a csr rowptr
   that does not start at 0 or decreases, or a col outside [0, cols)) or
   TC_ENOMEM.  Nodes no output depends on are not evaluated (lowering
   drops them too), so they report no errors.  Shares no code with
   passes/ or emit/. */
int tcR_ref_run(const tc_kernel *k, const int64_t *dims,
                const void *const *weights, const void *const *inputs,
                void *const *outputs);

/* ---- JIT ---------------------------------------------------------------- */

typedef struct tcR_lib tcR_lib;

/* Compile C text in memory with libtcc (with -Werror).  Warm libtcc up
   with tcR_tcc_warmup() on the main thread before any concurrent use.
   NULL with the compiler's messages in err on failure. */
void tcR_tcc_warmup(void);
tcR_lib *tcR_jit_tcc(const char *src, char *err, size_t errlen);

/* Compile C text with cc (or $CC) into a shared object in the cache
   directory ($TENSORC_CACHE, else $XDG_CACHE_HOME/tensorc, else
   ~/.cache/tensorc), keyed by a hash of the source, the compiler's
   identity and version and the flags; written through a temporary file
   and a rename; a corrupt entry is rebuilt, never loaded.  *cached tells
   whether the object came from the cache. */
tcR_lib *tcR_jit_cc(const char *src, const char *flags, int *cached,
                    char *err, size_t errlen);
void *tcR_lib_sym(tcR_lib *lib, const char *name);
void tcR_lib_free(tcR_lib *lib);

/* The hook of spec/abi.md for code compiled with -DTENSORC_POOL (and by
   libtcc): runs body on disjoint ranges covering [0, n). */
void tc_parallel_for(int64_t n, void (*body)(void *arg, int64_t lo, int64_t hi),
                     void *arg);

/* ---- random data and time ---------------------------------------------- */

/* A deterministic generator (splitmix64/xoshiro), one per use: no global
   state. */
typedef struct tcR_rng {
  uint64_t s[4];
} tcR_rng;
void tcR_rng_seed(tcR_rng *r, uint64_t seed);
uint64_t tcR_rng_next(tcR_rng *r);
double tcR_rng_uniform(tcR_rng *r); /* [0, 1) */

double tcR_now(void); /* seconds, monotonic */

#endif
