/*
 * harness.c: a generic driver for the C that `tensorc build` writes, to run
 * it under AddressSanitizer and UndefinedBehaviorSanitizer.
 *
 * Kernels compiled by libtcc or dlopen'ed are not instrumented, so this is
 * how the e2e suite proves that generated code never reads or writes out of
 * bounds: the harness is compiled together with a generated M.c with
 * -fsanitize=address,undefined and allocates every argument with
 * posix_memalign (64-byte aligned) of exactly its byte count (NULL for zero
 * bytes), so one element too far is a sanitizer report.
 *
 * Build (tests/e2e/run.sh does it):
 *   cc -std=c11 -fsanitize=address,undefined -fno-sanitize-recover=all \
 *      -DTC_HEADER='"DIR/M.h"' -DTC_KERNELS='X(M_a) X(M_b)' \
 *      tests/e2e/tools/harness.c DIR/M.c -lm -o harness
 * TC_KERNELS lists the prefixes P of the module's kernels (spec/abi.md);
 * the harness reaches each through P_info, P_create_v, P_run_v, P_shape
 * and P_destroy.  Built with -DTENSORC_POOL it also provides the generated
 * code's tc_parallel_for hook (below); built with -fopenmp it runs the
 * kernels' OpenMP loops.
 *
 * Usage:
 *   harness --list
 *       one line per kernel: "P DIM..." (the dims in dim() order)
 *   harness --inferable
 *       the kernels whose every dim is an axis of an input or a weight
 *       (so that their dims can be inferred from data files)
 *   harness --kernel P --data DIR [--out DIR2] [--seed S] [--ints LO:HI]
 *           [--specials] [--expect RC] [NAME=VALUE...]
 *       reads every weight and input from DIR/NAME.npy, or generates it
 *       (floats uniform in [-1, 1), integers uniform in [LO, HI), default
 *       -8:8; with --specials, about one element in 8 is instead a special
 *       value: for floats NaN, +-inf, +-0, denormals, the smallest normal,
 *       +-100, values at the edges of exp's range, halves and integers;
 *       for integers the dtype's limits, -1, 0 and 1, so not for indices)
 *       and writes it there; creates the context, runs the kernel
 *       twice (the results must be identical), checks that P_run_v returned
 *       RC (default 0), and on success writes each output to DIR2/NAME.npy
 *       (DIR2 defaults to DIR).
 *       A csr argument's parts are read from DIR/A.rowptr.npy, A.col.npy
 *       and A.val.npy, or generated as a valid matrix (0 to 3 entries a
 *       row, some rows empty, columns uniform in [0, cols)), or, with
 *       --csr MODE, as a hostile one: "empty" (every row empty),
 *       "decreasing" (rowptr decreases at its end), "rowptr0" (rowptr[0]
 *       is 1), "colrange" (a col equal to cols), "colneg" (a col of -1);
 *       the col and val arrays have exactly max(rowptr[rows], 0) entries.
 *   harness --kernel P --isa LIST --data DIR --out DIR2 [...] [NAME=VALUE...]
 *       the same once for each ISA of the comma-separated LIST (scalar,
 *       avx2, avx512), with TENSORC_ISA set to it before P_create_v (an
 *       x86-64 module chooses its variant there: docs/cli.md), the outputs
 *       into DIR2/ISA/NAME.npy; with --hostile, the hostile calls under
 *       each ISA.
 *   harness --kernel P --hostile [NAME=VALUE...]
 *       hands the kernel null pointers, negative dims and dims whose
 *       element counts overflow, and checks each call returns TC_EINVAL
 *       without touching memory.
 * Exit status: 0 when every check held, 1 otherwise (with a message saying
 * what was run and what was expected); a sanitizer report aborts.
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, setenv */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include TC_HEADER
#include "npyio.h"

/* ---- the kernels of the module, reached through one table ------------- */

/* Generic wrappers, so that every kernel is called through the right
   function type (calling P_create_v through a pointer of another type
   would itself be undefined behaviour). */
#define X(P)                                                                   \
  static int P##_h_create(void **c, const void *const *w) {                    \
    struct P##_ctx *x = NULL;                                                  \
    int rc = P##_create_v(c ? &x : NULL, w);                                   \
    if (c) *c = x;                                                             \
    return rc;                                                                 \
  }                                                                            \
  static int P##_h_run(const void *c, const int64_t *d,                        \
                       const void *const *in, void *const *out) {              \
    return P##_run_v((const struct P##_ctx *)c, d, in, out);                   \
  }                                                                            \
  static void P##_h_destroy(void *c) { P##_destroy((struct P##_ctx *)c); }
TC_KERNELS
#undef X

typedef struct entry {
  const char *prefix;
  const tc_kernel_info *(*info)(void);
  int (*create)(void **c, const void *const *w);
  int (*run)(const void *c, const int64_t *d, const void *const *in,
             void *const *out);
  void (*destroy)(void *c);
  int (*shape)(int arg, const int64_t *dims, int64_t *shape);
} entry;

static const entry kernels[] = {
#define X(P) {#P, P##_info, P##_h_create, P##_h_run, P##_h_destroy, P##_shape},
    TC_KERNELS
#undef X
};
static const int nkernels = (int)(sizeof kernels / sizeof kernels[0]);

#ifdef TENSORC_POOL
/* The hook of spec/abi.md for code compiled with -DTENSORC_POOL.  It runs
   `body` on this thread, on chunks of 3 iterations in reverse order: a
   kernel that assumed one range covering everything, or ranges in order,
   computes something else and the comparison shows it. */
void tc_parallel_for(int64_t n, void (*body)(void *arg, int64_t lo, int64_t hi),
                     void *arg) {
  int64_t hi = n;
  while (hi > 0) {
    int64_t lo = hi > 3 ? hi - 3 : 0;
    body(arg, lo, hi);
    hi = lo;
  }
}
#endif

/* ---- small helpers ------------------------------------------------------ */

static const char *dtype_descr(int dt) {
  switch (dt) {
  case TC_F32: return "<f4";
  case TC_F64: return "<f8";
  case TC_BF16: return "<u2";
  case TC_I8: return "|i1";
  case TC_U8: return "|u1";
  case TC_I32: return "<i4";
  case TC_I64: return "<i8";
  }
  return NULL;
}

static uint64_t splitmix64(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* f32 -> bf16, round to nearest even (NaN stays NaN). */
static uint16_t bf16_from_f32(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40);
  u += 0x7fffu + ((u >> 16) & 1u);
  return (uint16_t)(u >> 16);
}

/* --specials: the values that edge cases of vector code (masked tails,
   NaN-propagating reductions, range reduction in exp and log, denormal
   inputs, saturating casts) must handle as the reference does.  No huge
   finite values: a row sum holding +-1e30 cancels differently in every
   order, so no two correct kernels would agree. */
static const float special_f32[] = {
    NAN, INFINITY, -INFINITY, -0.0f, 0.0f,
    0x1p-149f, -0x1p-149f, 0x1.2p-140f, -1e-40f, 0x1.fffffcp-127f, /* denormals */
    0x1p-126f, -0x1p-126f, 1e-20f,                                 /* small normals */
    100.0f, -100.0f, 88.7f, -87.3f,      /* exp: beyond overflow, near its edges */
    0.5f, -2.5f, 3.0f};                  /* halves (round), integers (floor) */
static int specials;

/* A special value for an integer dtype: its limits, -1, 0 or 1. */
static int64_t special_int(int dt, uint64_t r) {
  static const int64_t lim[][2] = {
      [TC_I8] = {INT8_MIN, INT8_MAX}, [TC_U8] = {0, UINT8_MAX},
      [TC_I32] = {INT32_MIN, INT32_MAX}, [TC_I64] = {INT64_MIN, INT64_MAX}};
  switch (r % 5) {
  case 0: return lim[dt][0];
  case 1: return lim[dt][1];
  case 2: return dt == TC_U8 ? 0 : -1;
  case 3: return 0;
  }
  return 1;
}

/* Fill `count` elements of dtype dt with deterministic random values. */
static void fill_random(void *p, int dt, int64_t count, uint64_t *seed,
                        int64_t lo, int64_t hi) {
  int64_t i;
  for (i = 0; i < count; i++) {
    uint64_t r = splitmix64(seed);
    double u = (double)(r >> 11) * 0x1.0p-53 * 2.0 - 1.0;
    int64_t v = lo + (int64_t)(r % (uint64_t)(hi - lo));
    if (specials && (r & 7) == 0) { /* the low bits: u does not use them */
      uint64_t k = r >> 3 & 0xff;
      if (dt == TC_F32 || dt == TC_F64 || dt == TC_BF16)
        u = special_f32[k % (sizeof special_f32 / sizeof special_f32[0])];
      else if (dt == TC_I8 || dt == TC_U8 || dt == TC_I32 || dt == TC_I64)
        v = special_int(dt, k);
    }
    switch (dt) {
    case TC_F32: ((float *)p)[i] = (float)u; break;
    case TC_F64: ((double *)p)[i] = u; break;
    case TC_BF16: ((uint16_t *)p)[i] = bf16_from_f32((float)u); break;
    case TC_I8: ((int8_t *)p)[i] = (int8_t)v; break;
    case TC_U8: ((uint8_t *)p)[i] = (uint8_t)v; break;
    case TC_I32: ((int32_t *)p)[i] = (int32_t)v; break;
    case TC_I64: ((int64_t *)p)[i] = v; break;
    }
  }
}

static size_t dtype_size(int dt) {
  const char *d = dtype_descr(dt);
  return d ? npy_descr_size(d) : 0;
}

/* The kind of csr matrices generated (--csr): one process, one setting. */
static const char *csr_mode = "valid";

/* The number of failed checks.  A harness is one short-lived process and
   only its main thread reports, so a counter here is simpler than passing
   one through every call. */
static int failures;

/* Report a failed check: what was run and what was expected. */
static void fail(const char *prefix, const char *fmt, const char *what,
                 long long got, long long want) {
  fprintf(stderr, "harness: %s: ", prefix);
  fprintf(stderr, fmt, what);
  fprintf(stderr, ": got %lld, expected %lld\n", got, want);
  failures++;
}

static void expect_rc(const entry *e, const char *what, int got, int want) {
  if (got != want) fail(e->prefix, "%s", what, got, want);
}

/* The shape and element count of argument a for dims.  Returns the
   P_shape code, or TC_EINVAL when the count overflows int64_t. */
static int arg_count(const entry *e, int a, const int64_t *dims,
                     int64_t *shape, int64_t *count) {
  const tc_arg_info *ai = &e->info()->args[a];
  int d, rc;
  if (ai->format == TC_CSR_COL || ai->format == TC_CSR_VAL) {
    /* P_shape refuses these: their length is rowptr[rows] */
    *count = 0;
    return e->shape(a, dims, shape) == TC_EINVAL ? TC_OK : TC_EINVAL;
  }
  rc = e->shape(a, dims, shape);
  if (rc != TC_OK) return rc;
  *count = 1;
  for (d = 0; d < ai->rank; d++) {
    if (shape[d] < 0) return TC_EINVAL;
    if (__builtin_mul_overflow(*count, shape[d], count)) return TC_EINVAL;
  }
  return TC_OK;
}

static const entry *find_kernel(const char *p) {
  int i;
  for (i = 0; i < nkernels; i++)
    if (strcmp(kernels[i].prefix, p) == 0) return &kernels[i];
  return NULL;
}

/* Parse NAME=VALUE arguments into dims (in dim() order).  Every dim of the
   kernel must be given; unknown names are an error. */
static int parse_dims(const entry *e, int argc, char **argv, int first,
                      int64_t *dims) {
  const tc_kernel_info *ki = e->info();
  int given[64] = {0}, i, d;
  if (ki->ndims > 64) return -1;
  for (i = first; i < argc; i++) {
    const char *eq = strchr(argv[i], '=');
    if (!eq) {
      fprintf(stderr, "harness: expected NAME=VALUE, got '%s'\n", argv[i]);
      return -1;
    }
    for (d = 0; d < ki->ndims; d++)
      if (strlen(ki->dim_names[d]) == (size_t)(eq - argv[i]) &&
          strncmp(ki->dim_names[d], argv[i], (size_t)(eq - argv[i])) == 0)
        break;
    if (d == ki->ndims) {
      fprintf(stderr, "harness: %s has no dim '%.*s'\n", e->prefix,
              (int)(eq - argv[i]), argv[i]);
      return -1;
    }
    dims[d] = strtoll(eq + 1, NULL, 10);
    given[d] = 1;
  }
  for (d = 0; d < ki->ndims; d++)
    if (!given[d]) {
      fprintf(stderr, "harness: dim %s of %s not given\n", ki->dim_names[d],
              e->prefix);
      return -1;
    }
  return 0;
}

/* ---- the argument buffers ------------------------------------------------ */

typedef struct buffers {
  int nargs, nweights, ninputs, noutputs;
  int shape_rc;    /* the first error of P_shape, or TC_OK */
  void **ptr;      /* one per argument, exactly sized, NULL when empty */
  int64_t *count;  /* elements */
  int64_t (*shape)[8];
  const void **w;  /* weights, then inputs (views into ptr) */
  const void **in;
  void **out;
} buffers;

static void buffers_free(buffers *b) {
  int a;
  for (a = 0; a < b->nargs; a++) free(b->ptr[a]);
  free(b->ptr);
  free(b->count);
  free(b->shape);
  free(b->w);
  free(b->in);
  free(b->out);
  memset(b, 0, sizeof *b);
}

static int64_t get_index(const void *p, int dt, int64_t i) {
  return dt == TC_I32 ? ((const int32_t *)p)[i] : ((const int64_t *)p)[i];
}

static void set_index(void *p, int dt, int64_t i, int64_t v) {
  if (dt == TC_I32) ((int32_t *)p)[i] = (int32_t)v;
  else ((int64_t *)p)[i] = v;
}

/* The extent of a csr_shape entry for these dims. */
static int64_t csr_extent(int64_t s, const int64_t *dims) {
  return s >= 0 ? s : dims[-s - 1];
}

/* rowptr of a csr matrix with `rows` rows (rows + 1 entries at p) as
   csr_mode asks. */
static void make_rowptr(void *p, int dt, int64_t rows, uint64_t *seed) {
  int64_t r, nnz = 0;
  int empty = strcmp(csr_mode, "empty") == 0;
  int need_one = strcmp(csr_mode, "colrange") == 0 || strcmp(csr_mode, "colneg") == 0;
  for (r = 0; r < rows; r++) {
    set_index(p, dt, r, nnz);
    if (!empty) nnz += (int64_t)(splitmix64(seed) % 4);
    if (need_one && r == 0 && nnz == 0) nnz = 1; /* a col to spoil */
  }
  set_index(p, dt, rows, nnz);
  if (strcmp(csr_mode, "rowptr0") == 0)
    for (r = 0; r <= rows; r++) set_index(p, dt, r, get_index(p, dt, r) + 1);
  if (strcmp(csr_mode, "decreasing") == 0)
    set_index(p, dt, rows, rows > 0 ? get_index(p, dt, rows - 1) - 1 : -1);
}

/* col of a csr matrix: nnz columns in [0, cols), one spoiled as csr_mode
   asks. */
static void make_col(void *p, int dt, int64_t nnz, int64_t cols, uint64_t *seed) {
  int64_t q;
  for (q = 0; q < nnz; q++)
    set_index(p, dt, q, cols > 0 ? (int64_t)(splitmix64(seed) % (uint64_t)cols) : 0);
  if (nnz > 0 && strcmp(csr_mode, "colrange") == 0) set_index(p, dt, nnz - 1, cols);
  if (nnz > 0 && strcmp(csr_mode, "colneg") == 0) set_index(p, dt, 0, -1);
}

/* Allocate every argument with exactly its byte count.  Weights and inputs
   come from DIR/NAME.npy or are generated (and then written there); outputs
   are filled with a pattern so that an element never written shows. */
static int buffers_make(const entry *e, const int64_t *dims, const char *dir,
                        uint64_t seed, int64_t lo, int64_t hi, buffers *b) {
  const tc_kernel_info *ki = e->info();
  int a, rc;
  char path[4096], err[8192];
  memset(b, 0, sizeof *b);
  b->nargs = ki->nargs;
  b->ptr = calloc((size_t)ki->nargs + 1, sizeof *b->ptr);
  b->count = calloc((size_t)ki->nargs + 1, sizeof *b->count);
  b->shape = calloc((size_t)ki->nargs + 1, sizeof *b->shape);
  b->w = calloc((size_t)ki->nargs + 1, sizeof *b->w);
  b->in = calloc((size_t)ki->nargs + 1, sizeof *b->in);
  b->out = calloc((size_t)ki->nargs + 1, sizeof *b->out);
  if (!b->ptr || !b->count || !b->shape || !b->w || !b->in || !b->out) {
    fprintf(stderr, "harness: out of memory\n");
    return -1;
  }
  for (a = 0; a < ki->nargs; a++) {
    const tc_arg_info *ai = &ki->args[a];
    size_t sz = dtype_size(ai->dtype), nbytes;
    if ((ai->format != TC_DENSE && ai->rank != 1) || ai->rank > 8 || !sz) {
      fprintf(stderr, "harness: %s: argument %s is not a dense tensor of a "
              "known dtype (not supported by the harness)\n", e->prefix,
              ai->name);
      return -1;
    }
    rc = arg_count(e, a, dims, b->shape[a], &b->count[a]);
    if (rc == TC_OK && (ai->format == TC_CSR_COL || ai->format == TC_CSR_VAL)) {
      /* nnz: the length of the part's file, or rowptr[rows] (at least 0) */
      int r = a;
      npy_array arr;
      while (r > 0 && ki->args[r].format != TC_CSR_ROWPTR) r--;
      snprintf(path, sizeof path, "%s/%s.npy", dir, ai->name);
      if (access(path, F_OK) == 0 && npy_read(path, &arr, err, sizeof err) == 0) {
        b->count[a] = arr.rank == 1 ? arr.shape[0] : 0;
        free(arr.data);
      } else if (b->count[r] > 0) {
        b->count[a] = get_index(b->ptr[r], ki->args[r].dtype, b->count[r] - 1);
        if (b->count[a] < 0) b->count[a] = 0;
      }
      b->shape[a][0] = b->count[a];
    }
    if (rc != TC_OK) {
      /* Dims for which this argument cannot exist (an extent comes out
         negative): the caller decides whether that was expected.  The
         argument gets no memory at all. */
      if (b->shape_rc == TC_OK) b->shape_rc = rc;
      fprintf(stderr, "harness: note: %s: P_shape(%d = %s) returned %d\n",
              e->prefix, a, ai->name, rc);
      b->count[a] = 0;
      memset(b->shape[a], 0, sizeof b->shape[a]);
    }
    nbytes = (size_t)b->count[a] * sz;
    if (nbytes) {
      /* 64-byte aligned, as frameworks allocate tensors, so that the
         kernels' paths for aligned data run too (the GEMM template reads a
         B whose rows start on cache lines in place); still exactly nbytes
         for the sanitizers */
      void *p = NULL;
      b->ptr[a] = posix_memalign(&p, 64, nbytes) == 0 ? p : NULL;
      if (!b->ptr[a]) {
        fprintf(stderr, "harness: cannot allocate %zu bytes\n", nbytes);
        return -1;
      }
    }
    if (ai->role == TC_OUTPUT) {
      if (nbytes) memset(b->ptr[a], 0xA5, nbytes);
      b->out[b->noutputs++] = b->ptr[a];
      continue;
    }
    if (ai->role == TC_WEIGHT)
      b->w[b->nweights++] = b->ptr[a];
    else
      b->in[b->ninputs++] = b->ptr[a];
    snprintf(path, sizeof path, "%s/%s.npy", dir, ai->name);
    {
      FILE *f = fopen(path, "rb");
      if (f) {
        npy_array arr;
        int d, ok;
        fclose(f);
        if (npy_read(path, &arr, err, sizeof err) != 0) {
          fprintf(stderr, "harness: %s\n", err);
          return -1;
        }
        ok = strcmp(arr.descr, dtype_descr(ai->dtype)) == 0 &&
             arr.rank == ai->rank;
        for (d = 0; ok && d < ai->rank; d++) ok = arr.shape[d] == b->shape[a][d];
        if (!ok) {
          fprintf(stderr, "harness: %s: dtype or shape differs from what %s "
                  "expects\n", path, e->prefix);
          free(arr.data);
          return -1;
        }
        if (nbytes) memcpy(b->ptr[a], arr.data, nbytes);
        free(arr.data);
      } else {
        /* One stream per argument, so that adding an argument does not
           change the others' data. */
        uint64_t s = seed * 1000003u + (uint64_t)a * 7919u + 1;
        if (ai->format == TC_CSR_ROWPTR)
          make_rowptr(b->ptr[a], ai->dtype, b->count[a] - 1, &s);
        else if (ai->format == TC_CSR_COL)
          make_col(b->ptr[a], ai->dtype, b->count[a], csr_extent(ai->csr_shape[1], dims), &s);
        else
          fill_random(b->ptr[a], ai->dtype, b->count[a], &s, lo, hi);
        if (npy_write(path, dtype_descr(ai->dtype), ai->rank, b->shape[a],
                      b->ptr[a], b->count[a], sz, err, sizeof err) != 0) {
          fprintf(stderr, "harness: %s\n", err);
          return -1;
        }
      }
    }
  }
  return 0;
}

/* ---- the modes ------------------------------------------------------------ */

/* One run of a kernel on its own thread. */
typedef struct concurrent_run {
  const entry *e;
  const void *ctx;
  const int64_t *dims;
  buffers b;
  int rc;
} concurrent_run;

static void *run_thread(void *arg) {
  concurrent_run *cr = arg;
  cr->rc = cr->e->run(cr->ctx, cr->dims, cr->b.in, cr->b.out);
  return NULL;
}

static int mode_run(const entry *e, const int64_t *dims, const char *dir,
                    const char *outdir, uint64_t seed, int64_t lo, int64_t hi,
                    int want) {
  const tc_kernel_info *ki = e->info();
  buffers b;
  void *ctx = NULL;
  int rc, a, j;
  char path[4096], err[8192];
  if (buffers_make(e, dims, dir, seed, lo, hi, &b) != 0) {
    buffers_free(&b);
    return 1;
  }
  if (b.shape_rc != TC_OK && want == TC_OK) {
    fail(e->prefix, "%s", "P_shape for these dims", b.shape_rc, TC_OK);
    buffers_free(&b);
    return 1;
  }
  rc = e->create(&ctx, b.w);
  expect_rc(e, "P_create_v(&ctx, weights)", rc, TC_OK);
  if (rc != TC_OK) {
    buffers_free(&b);
    return 1;
  }
  rc = e->run(ctx, dims, b.in, b.out);
  if (rc != want) {
    fail(e->prefix, "%s", "P_run_v on the data", rc, want);
  } else if (rc == TC_OK) {
    /* Two more runs on the same context, at the same time on two threads
       and into fresh outputs, must each give the same bytes: a context
       holds no state that a run changes, and several threads may call
       P_run on one context at once (spec/abi.md).  Built with
       -fsanitize=thread, a data race between them is reported. */
    concurrent_run cr[2];
    pthread_t th[2];
    int t, started[2] = {0, 0};
    for (t = 0; t < 2; t++) {
      cr[t].e = e;
      cr[t].ctx = ctx;
      cr[t].dims = dims;
      cr[t].rc = TC_OK;
      if (buffers_make(e, dims, dir, seed, lo, hi, &cr[t].b) != 0) {
        fprintf(stderr, "harness: cannot make the buffers of a second run\n");
        failures++;
      }
    }
    for (t = 0; !failures && t < 2; t++)
      started[t] = pthread_create(&th[t], NULL, run_thread, &cr[t]) == 0;
    for (t = 0; t < 2; t++) {
      if (started[t]) pthread_join(th[t], NULL);
      else if (!failures) run_thread(&cr[t]); /* no thread: run here */
    }
    for (t = 0; !failures && t < 2; t++) {
      expect_rc(e, "P_run_v on the same context from a second thread",
                cr[t].rc, TC_OK);
      for (a = 0; cr[t].rc == TC_OK && a < ki->nargs; a++) {
        size_t n = (size_t)b.count[a] * dtype_size(ki->args[a].dtype);
        if (ki->args[a].role == TC_OUTPUT && n &&
            memcmp(b.ptr[a], cr[t].b.ptr[a], n) != 0)
          fail(e->prefix, "output %s of a concurrent second run differs "
               "from the first run", ki->args[a].name, 1, 0);
      }
    }
    for (t = 0; t < 2; t++) buffers_free(&cr[t].b);
    for (a = 0, j = 0; a < ki->nargs; a++) {
      const tc_arg_info *ai = &ki->args[a];
      if (ai->role != TC_OUTPUT) continue;
      snprintf(path, sizeof path, "%s/%s.npy", outdir, ai->name);
      if (npy_write(path, dtype_descr(ai->dtype), ai->rank, b.shape[a],
                    b.out[j++], b.count[a], dtype_size(ai->dtype), err,
                    sizeof err) != 0) {
        fprintf(stderr, "harness: %s\n", err);
        failures++;
      }
    }
  }
  e->destroy(ctx);
  buffers_free(&b);
  return failures ? 1 : 0;
}

/* Null pointers, negative dims and overflowing counts: each must give
   TC_EINVAL, and must not touch memory (the sanitizers watch). */
static int mode_hostile(const entry *e, const int64_t *dims) {
  const tc_kernel_info *ki = e->info();
  buffers b;
  void *ctx = NULL;
  int64_t *bad = calloc((size_t)ki->ndims + 1, sizeof *bad);
  int64_t shape[8];
  int rc, a, i, d;
  char what[256];
  if (!bad) return 1;
  {
    /* buffers_make writes generated inputs to a folder: use a scratch one
       and remove it at once (hostile calls need only the memory). */
    char tmpl[] = "/tmp/tc-harness-XXXXXX";
    if (!mkdtemp(tmpl)) return 1;
    rc = buffers_make(e, dims, tmpl, 1, 0, 1, &b);
    for (a = 0; a < ki->nargs; a++) {
      char p[4096];
      snprintf(p, sizeof p, "%s/%s.npy", tmpl, ki->args[a].name);
      remove(p);
    }
    rmdir(tmpl);
    if (rc != 0) {
      buffers_free(&b);
      free(bad);
      return 1;
    }
  }

  /* P_create_v */
  expect_rc(e, "P_create_v(NULL, weights)", e->create(NULL, b.w), TC_EINVAL);
  if (b.nweights > 0) {
    ctx = NULL;
    rc = e->create(&ctx, NULL);
    expect_rc(e, "P_create_v(&ctx, NULL) with weights declared", rc,
              TC_EINVAL);
    if (rc == TC_OK) e->destroy(ctx);
    for (i = 0; i < b.nweights; i++) {
      const void *save = b.w[i];
      int arg = i; /* weights come first in args */
      if (b.count[arg] == 0) continue;
      b.w[i] = NULL;
      ctx = NULL;
      rc = e->create(&ctx, b.w);
      snprintf(what, sizeof what, "P_create_v with weight %s NULL",
               ki->args[arg].name);
      expect_rc(e, what, rc, TC_EINVAL);
      if (rc == TC_OK) e->destroy(ctx);
      b.w[i] = save;
    }
  }
  ctx = NULL;
  rc = e->create(&ctx, b.w);
  expect_rc(e, "P_create_v(&ctx, weights)", rc, TC_OK);
  if (rc != TC_OK) goto done;

  /* P_run_v */
  expect_rc(e, "P_run_v(NULL ctx, ...)", e->run(NULL, dims, b.in, b.out),
            TC_EINVAL);
  if (ki->ndims > 0)
    expect_rc(e, "P_run_v(ctx, NULL dims, ...)", e->run(ctx, NULL, b.in, b.out),
              TC_EINVAL);
  if (b.ninputs > 0)
    expect_rc(e, "P_run_v(ctx, dims, NULL inputs, ...)",
              e->run(ctx, dims, NULL, b.out), TC_EINVAL);
  expect_rc(e, "P_run_v(ctx, dims, inputs, NULL outputs)",
            e->run(ctx, dims, b.in, NULL), TC_EINVAL);
  for (a = 0, i = 0, d = 0; a < ki->nargs; a++) {
    const tc_arg_info *ai = &ki->args[a];
    if (ai->role == TC_WEIGHT) continue;
    if (b.count[a] > 0) {
      snprintf(what, sizeof what, "P_run_v with %s %s NULL",
               ai->role == TC_INPUT ? "input" : "output", ai->name);
      if (ai->role == TC_INPUT) {
        const void *save = b.in[i];
        b.in[i] = NULL;
        expect_rc(e, what, e->run(ctx, dims, b.in, b.out), TC_EINVAL);
        b.in[i] = save;
      } else {
        void *save = b.out[d];
        b.out[d] = NULL;
        expect_rc(e, what, e->run(ctx, dims, b.in, b.out), TC_EINVAL);
        b.out[d] = save;
      }
    }
    if (ai->role == TC_INPUT) i++; else d++;
  }
  /* Every dim negative in turn: the kernel must refuse before it touches
     the (correctly sized, for the good dims) buffers. */
  for (d = 0; d < ki->ndims; d++) {
    memcpy(bad, dims, (size_t)ki->ndims * sizeof *bad);
    bad[d] = -1;
    snprintf(what, sizeof what, "P_run_v with dim %s = -1", ki->dim_names[d]);
    expect_rc(e, what, e->run(ctx, bad, b.in, b.out), TC_EINVAL);
    snprintf(what, sizeof what, "P_shape with dim %s = -1", ki->dim_names[d]);
    for (a = 0; a < ki->nargs; a++) {
      int uses = 0, k;
      for (k = 0; ki->args[a].shape && k < ki->args[a].rank; k++)
        uses |= ki->args[a].shape[k] == -(int64_t)d - 1 ||
                ki->args[a].shape[k] == TC_DERIVED;
      if (uses) expect_rc(e, what, e->shape(a, bad, shape), TC_EINVAL);
    }
  }
  /* Dims so large that some element count overflows int64_t.  Only
     checked when one does (a kernel whose every count stays below 2^63
     would legitimately try to run). */
  if (ki->ndims > 0) {
    int overflows = 0;
    for (d = 0; d < ki->ndims; d++) bad[d] = (int64_t)1 << 62;
    for (a = 0; a < ki->nargs; a++) {
      int64_t cnt;
      if (arg_count(e, a, bad, shape, &cnt) != TC_OK) overflows = 1;
    }
    if (overflows)
      expect_rc(e, "P_run_v with every dim = 2^62 (element counts overflow)",
                e->run(ctx, bad, b.in, b.out), TC_EINVAL);
  }
  /* P_shape with an argument index out of range. */
  expect_rc(e, "P_shape(-1, dims, shape)", e->shape(-1, dims, shape),
            TC_EINVAL);
  expect_rc(e, "P_shape(nargs, dims, shape)", e->shape(ki->nargs, dims, shape),
            TC_EINVAL);
  /* Nothing above may have broken the context. */
  expect_rc(e, "P_run_v after the hostile calls", e->run(ctx, dims, b.in, b.out),
            TC_OK);
  e->destroy(ctx);
done:
  buffers_free(&b);
  free(bad);
  return failures ? 1 : 0;
}

int main(int argc, char **argv) {
  const entry *e = NULL;
  const char *dir = NULL, *outdir = NULL, *isas = NULL;
  uint64_t seed = 0;
  int64_t lo = -8, hi = 8, *dims;
  int want = TC_OK, hostile = 0, i, rc;
  if (argc == 2 && strcmp(argv[1], "--inferable") == 0) {
    /* The kernels whose every dim is an axis of some input or weight, so
       that `tensorc run --data` can infer the dims from the files. */
    for (i = 0; i < nkernels; i++) {
      const tc_kernel_info *ki = kernels[i].info();
      int d, a, k, all = 1;
      for (d = 0; d < ki->ndims; d++) {
        int found = 0;
        for (a = 0; a < ki->nargs; a++)
          for (k = 0; ki->args[a].role != TC_OUTPUT && ki->args[a].shape &&
                      k < ki->args[a].rank; k++)
            found |= ki->args[a].shape[k] == -(int64_t)d - 1;
        all &= found;
      }
      if (all) printf("%s\n", kernels[i].prefix);
    }
    return 0;
  }
  if (argc == 2 && strcmp(argv[1], "--list") == 0) {
    for (i = 0; i < nkernels; i++) {
      const tc_kernel_info *ki = kernels[i].info();
      int d;
      printf("%s", kernels[i].prefix);
      for (d = 0; d < ki->ndims; d++) printf(" %s", ki->dim_names[d]);
      printf("\n");
      if (strcmp(ki->name, kernels[i].prefix) != 0) {
        fprintf(stderr, "harness: %s_info()->name is '%s'\n",
                kernels[i].prefix, ki->name);
        return 1;
      }
    }
    return 0;
  }
  for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
    const char *o = argv[i];
    if (strcmp(o, "--hostile") == 0) {
      hostile = 1;
      continue;
    }
    if (strcmp(o, "--specials") == 0) {
      specials = 1;
      continue;
    }
    if (i + 1 >= argc) break;
    if (strcmp(o, "--kernel") == 0) {
      e = find_kernel(argv[++i]);
      if (!e) {
        fprintf(stderr, "harness: no kernel with prefix '%s'\n", argv[i]);
        return 2;
      }
    } else if (strcmp(o, "--data") == 0) dir = argv[++i];
    else if (strcmp(o, "--out") == 0) outdir = argv[++i];
    else if (strcmp(o, "--seed") == 0) seed = strtoull(argv[++i], NULL, 10);
    else if (strcmp(o, "--expect") == 0) want = atoi(argv[++i]);
    else if (strcmp(o, "--csr") == 0) csr_mode = argv[++i];
    else if (strcmp(o, "--isa") == 0) isas = argv[++i];
    else if (strcmp(o, "--ints") == 0) {
      char *end;
      lo = strtoll(argv[++i], &end, 10);
      hi = *end == ':' ? strtoll(end + 1, NULL, 10) : lo + 1;
      if (hi <= lo) hi = lo + 1;
    } else {
      fprintf(stderr, "harness: unknown option %s\n", o);
      return 2;
    }
  }
  if (!e || (!hostile && !dir) || i > argc) {
    fprintf(stderr, "usage: harness --list | --kernel P (--data DIR [--out DIR]"
            " [--seed S] [--ints LO:HI] [--specials] [--csr MODE] [--expect RC] | --hostile)"
            " [--isa LIST] "
            "[NAME=VALUE...]\n");
    return 2;
  }
  dims = calloc((size_t)e->info()->ndims + 1, sizeof *dims);
  if (!dims || parse_dims(e, argc, argv, i, dims) != 0) return 2;
  if (!isas) {
    rc = hostile ? mode_hostile(e, dims)
                 : mode_run(e, dims, dir, outdir ? outdir : dir, seed, lo, hi,
                            want);
  } else {
    /* Each ISA in turn, its outputs in a folder of its own. */
    char isa[64], out[4096];
    const char *p = isas;
    rc = 0;
    while (*p) {
      size_t n = strcspn(p, ",");
      if (n == 0 || n >= sizeof isa) {
        fprintf(stderr, "harness: bad --isa list '%s'\n", isas);
        return 2;
      }
      memcpy(isa, p, n);
      isa[n] = 0;
      p += n + (p[n] == ',');
      setenv("TENSORC_ISA", isa, 1);
      snprintf(out, sizeof out, "%s/%s", outdir ? outdir : dir, isa);
      if (!hostile && mkdir(out, 0777) != 0 && access(out, F_OK) != 0) {
        fprintf(stderr, "harness: cannot create %s\n", out);
        return 1;
      }
      failures = 0; /* the modes report this ISA's own */
      if ((hostile ? mode_hostile(e, dims)
                   : mode_run(e, dims, dir, out, seed, lo, hi, want)) != 0) {
        fprintf(stderr, "harness: (the failure above: under TENSORC_ISA=%s)\n", isa);
        rc = 1;
      }
    }
  }
  free(dims);
  return rc;
}
