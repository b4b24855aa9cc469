/*
 * run.c: `tensorc run`, the command line's data interface (spec/abi.md):
 * compile one kernel in process (libtcc or cc), read or generate its data,
 * run it, check it against the reference interpreter, time it, and write
 * its outputs.
 *
 * The kernel is driven only through its generic entry points (P_info,
 * P_create_v, P_run_v, P_shape, P_destroy), exactly as a harness or a
 * binding would, so that `run` also tests what users get.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static const char usage_run[] =
    "usage: tensorc run FILE.lua [--kernel K] [--dim NAME=VALUE ...] [--data DIR]\n"
    "                   [--jit tcc|cc] [--target T] [--seed S] [--check] [--bench N]\n"
    "\n"
    "Compiles kernel K in process and runs it once.\n"
    "  --kernel K        the kernel (needed when the file has several)\n"
    "  --dim NAME=VALUE  a dim's value; dims not given are inferred from files\n"
    "  --data DIR        read inputs and weights from DIR/NAME.npy and write\n"
    "                    the outputs to DIR/NAME.npy; missing inputs are generated\n"
    "  --jit tcc|cc      libtcc in memory (default) or cc + dlopen (cached)\n"
    "  --target T        scalar, avx2, avx512, native or x86-64 (tcc: scalar\n"
    "                    only; cc: native by default)\n"
    "  --seed S          seed of generated inputs (default 0)\n"
    "  --check           compare with the reference interpreter; exit 1 beyond\n"
    "                    the tolerance of docs/cli.md\n"
    "  --bench N         time N runs after a warm-up; print median and min in us\n";

/* ---- the compiled kernel ---------------------------------------------- */

typedef struct run_kernel {
  tcR_lib *lib;
  const cli_kernel_info *info;
  int (*create_v)(void **ctx, const void *const *weights);
  void (*destroy)(void *ctx);
  int (*run_v)(const void *ctx, const int64_t *dims, const void *const *inputs,
               void *const *outputs);
  int (*shape)(int arg, const int64_t *dims, int64_t *shape);
} run_kernel;

/* Looks up P_suffix; memcpy because ISO C has no cast from void * to a
   function pointer (PLATFORM.md). */
static int get_fn(tcR_lib *lib, const char *prefix, const char *suffix,
                  void *fnptr, size_t size, tc_diag *d) {
  char name[512];
  snprintf(name, sizeof name, "%s_%s", prefix, suffix);
  void *p = tcR_lib_sym(lib, name);
  if (!p)
    return cli_error(d, "internal error: the compiled kernel has no symbol %s",
                     name);
  memcpy(fnptr, &p, size);
  return 0;
}

static int load_kernel(run_kernel *rk, tcR_lib *lib, const char *prefix,
                       tc_diag *d) {
  const cli_kernel_info *(*info)(void) = NULL;
  rk->lib = lib;
  if (get_fn(lib, prefix, "info", &info, sizeof info, d) ||
      get_fn(lib, prefix, "create_v", &rk->create_v, sizeof rk->create_v, d) ||
      get_fn(lib, prefix, "destroy", &rk->destroy, sizeof rk->destroy, d) ||
      get_fn(lib, prefix, "run_v", &rk->run_v, sizeof rk->run_v, d) ||
      get_fn(lib, prefix, "shape", &rk->shape, sizeof rk->shape, d))
    return -1;
  rk->info = info();
  return 0;
}

static const char *rc_name(int rc) {
  switch (rc) {
  case TC_OK: return "TC_OK";
  case TC_EINVAL: return "TC_EINVAL";
  case TC_ENOMEM: return "TC_ENOMEM";
  case TC_EINDEX: return "TC_EINDEX";
  default: return "an unknown code";
  }
}

/* ---- options ---------------------------------------------------------- */

int cli_run_add_dim(cli_run_opts *o, const char *spec, tc_diag *d) {
  const char *eq = strchr(spec, '=');
  const char *opt = o->repl ? "" : "--dim ";
  if (!eq || eq == spec)
    return cli_error(d, "%sexpects NAME=VALUE, got '%s'", o->repl ? "a dim " : opt, spec);
  char *end;
  errno = 0;
  long long v = strtoll(eq + 1, &end, 10);
  if (errno || end == eq + 1 || *end || v < 0)
    return cli_error(d, "%s%s: the value must be an integer >= 0", opt, spec);
  if (o->ndims == CLI_MAX_DIMS) return cli_error(d, "too many --dim options");
  size_t n = (size_t)(eq - spec);
  /* A copy of the name: the options may outlive the text it came from
     (a REPL line). */
  char *name = tc_xmalloc(n + 1);
  memcpy(name, spec, n);
  name[n] = '\0';
  for (int i = 0; i < o->ndims; i++)
    if (strcmp(o->dim_names[i], name) == 0) {
      free(name);
      return cli_error(d, "%s%s given twice", o->repl ? "dim " : "--dim ", o->dim_names[i]);
    }
  o->dim_names[o->ndims] = name;
  o->dim_values[o->ndims++] = v;
  return 0;
}

static void free_dims(cli_run_opts *o) {
  for (int i = 0; i < o->ndims; i++) free((char *)o->dim_names[i]);
  o->ndims = 0;
}

/* ---- element access --------------------------------------------------- */

static double elem_get(tc_dtype t, const void *p, int64_t i) {
  switch (t) {
  case TC_DT_F32: return ((const float *)p)[i];
  case TC_DT_F64: return ((const double *)p)[i];
  case TC_DT_BF16: return tc_bf16_to_f32(((const uint16_t *)p)[i]);
  case TC_DT_I8: return ((const int8_t *)p)[i];
  case TC_DT_U8: return ((const uint8_t *)p)[i];
  case TC_DT_I32: return ((const int32_t *)p)[i];
  case TC_DT_I64: return (double)((const int64_t *)p)[i];
  case TC_DT_BOOL: return ((const uint8_t *)p)[i];
  default: return 0;
  }
}

static int64_t elem_geti(tc_dtype t, const void *p, int64_t i) {
  if (t == TC_DT_I64) return ((const int64_t *)p)[i];
  return (int64_t)elem_get(t, p, i);
}

static void elem_set(tc_dtype t, void *p, int64_t i, double v) {
  switch (t) {
  case TC_DT_F32: ((float *)p)[i] = (float)v; break;
  case TC_DT_F64: ((double *)p)[i] = v; break;
  case TC_DT_BF16: ((uint16_t *)p)[i] = tc_bf16_from_f32((float)v); break;
  case TC_DT_I8: ((int8_t *)p)[i] = (int8_t)v; break;
  case TC_DT_U8: ((uint8_t *)p)[i] = (uint8_t)v; break;
  case TC_DT_I32: ((int32_t *)p)[i] = (int32_t)v; break;
  case TC_DT_I64: ((int64_t *)p)[i] = (int64_t)v; break;
  case TC_DT_BOOL: ((uint8_t *)p)[i] = v != 0; break;
  default: break;
  }
}

/* ---- which integer inputs are indices ---------------------------------
   A generated integer input that some compute body uses inside a LOAD's
   index, or that is the index of a gather, index_select or scatter, gets
   values within the indexed axis (scatter: within its size), so that
   random data exercises the kernel rather than its TC_EINDEX path.  The
   bound is the smallest extent among the axes it indexes. */

typedef struct index_bounds {
  const tc_kernel *k;
  const int64_t *dims;
  int64_t *bound; /* per tc_arg of k: -1, or the exclusive upper bound */
} index_bounds;

/* Records `ext` as a bound for every integer input read inside e. */
static void bound_inputs_in(index_bounds *ib, const tc_sexpr *e,
                            const tc_ext *ext) {
  if (!e) return;
  if (e->op == TC_OP_LOAD) {
    const tc_node *n = &ib->k->nodes.data[e->ref];
    if (n->op == TC_OP_INPUT && tc_dtype_is_int(n->dtype)) {
      int64_t v;
      if (tc_ext_eval(ext, ib->dims, &v) == TC_OK &&
          (ib->bound[n->arg] < 0 || v < ib->bound[n->arg]))
        ib->bound[n->arg] = v;
    }
  }
  for (int i = 0; i < e->nargs; i++) bound_inputs_in(ib, e->args[i], ext);
}

/* Walks a body: every LOAD's index j bounds the inputs it reads by the
   loaded tensor's extent j. */
static void find_index_loads(index_bounds *ib, const tc_sexpr *e) {
  if (!e) return;
  if (e->op == TC_OP_LOAD) {
    const tc_node *n = &ib->k->nodes.data[e->ref];
    for (int j = 0; j < e->nargs && j < n->rank; j++)
      bound_inputs_in(ib, e->args[j], n->shape[j]);
  }
  for (int i = 0; i < e->nargs; i++) find_index_loads(ib, e->args[i]);
}

/* The index operand of a gather, index_select or scatter node: an input
   read directly is bounded by the extent it indexes (through casts too). */
static void bound_index_operand(index_bounds *ib, const tc_node *n) {
  const tc_ext *ext;
  if (n->op == TC_OP_GATHER || n->op == TC_OP_INDEX_SELECT)
    ext = ib->k->nodes.data[n->in[0]].shape[n->axis];
  else if (n->op == TC_OP_SCATTER)
    ext = n->exts[0];
  else
    return;
  const tc_node *ix = &ib->k->nodes.data[n->in[1]];
  while (ix->op == TC_OP_CAST) ix = &ib->k->nodes.data[ix->in[0]];
  int64_t v;
  if (ix->op == TC_OP_INPUT && tc_ext_eval(ext, ib->dims, &v) == TC_OK &&
      (ib->bound[ix->arg] < 0 || v < ib->bound[ix->arg]))
    ib->bound[ix->arg] = v;
}

static int64_t index_bound_of(const tc_kernel *k, const int64_t *dims,
                              const char *name) {
  int64_t *bound = tc_xmalloc(((size_t)k->args.len + 1) * sizeof *bound);
  for (int a = 0; a < k->args.len; a++) bound[a] = -1;
  index_bounds ib = {k, dims, bound};
  for (int i = 0; i < k->nodes.len; i++) {
    if (k->nodes.data[i].op == TC_OP_COMPUTE)
      find_index_loads(&ib, k->nodes.data[i].body);
    bound_index_operand(&ib, &k->nodes.data[i]);
  }
  int64_t r = -1;
  for (int a = 0; a < k->args.len; a++)
    if (strcmp(k->args.data[a].name, name) == 0) r = bound[a];
  free(bound);
  return r;
}

/* ---- data ------------------------------------------------------------- */

/* The state of one run: the kernel's arguments in ABI order. */
typedef struct run_data {
  const cli_kernel_info *info;
  int64_t *dims;
  const char **dim_from; /* "--dim" or the file that fixed each dim */
  tcR_array *arr;        /* per argument */
  int *loaded;           /* per argument: read from a file */
  char **path;           /* per argument: DIR/NAME.npy, or NULL */
} run_data;

static const char *dtype_descr(int dtype) {
  return dtype > TC_DT_NONE && dtype < TC_DT_COUNT ? tc_dtype_npy(dtype) : "?";
}

/* Reads the files of every weight and input that has one; fixes dims from
   their shapes.  0, or -1 with a message naming the file. */
static int read_inputs(run_data *rd, const char *dir, tc_diag *d) {
  const cli_kernel_info *info = rd->info;
  for (int a = 0; a < info->nargs; a++) {
    const cli_arg_info *ai = &info->args[a];
    if (ai->role == CLI_ROLE_OUTPUT || !dir) continue;
    tc_buf p = {0};
    tc_buf_printf(&p, "%s/%s.npy", dir, ai->name);
    rd->path[a] = tc_buf_steal(&p);
    if (access(rd->path[a], F_OK) != 0) continue;
    char err[1024];
    if (tcR_npy_read(rd->path[a], &rd->arr[a], err, sizeof err) != 0)
      return cli_error(d, "%s", err);
    rd->loaded[a] = 1;
    tcR_array *x = &rd->arr[a];
    if ((int)x->dtype != ai->dtype)
      return cli_error(d, "%s: dtype %s (%s), expected %s (%s) for '%s'",
                       rd->path[a], dtype_descr(x->dtype), tc_dtype_name(x->dtype),
                       dtype_descr(ai->dtype), tc_dtype_name(ai->dtype), ai->name);
    /* CSR col and val parts are rank 1 of a length only rowptr knows;
       a rank-0 argument may have no shape array at all. */
    int csr_part = ai->format == CLI_CSR_COL || ai->format == CLI_CSR_VAL;
    int rank = csr_part ? 1 : ai->rank;
    if (x->rank != rank)
      return cli_error(d, "%s: rank %d, expected rank %d for '%s'", rd->path[a],
                       x->rank, rank, ai->name);
    /* rowptr's length is rows + 1: it gives rows when that is a dim */
    if (ai->format == CLI_CSR_ROWPTR && ai->csr_shape && ai->csr_shape[0] < 0 &&
        ai->csr_shape[0] != CLI_DERIVED && x->shape[0] > 0) {
      int dim = (int)(-ai->csr_shape[0] - 1);
      if (rd->dim_from[dim] && rd->dims[dim] != x->shape[0] - 1)
        return cli_error(d,
                         "%s: '%s' has %lld entries (rows + 1), but dim %s = %lld (from %s)",
                         rd->path[a], ai->name, (long long)x->shape[0],
                         info->dim_names[dim], (long long)rd->dims[dim], rd->dim_from[dim]);
      rd->dims[dim] = x->shape[0] - 1;
      rd->dim_from[dim] = rd->path[a];
      continue;
    }
    if (csr_part || !ai->shape) continue;
    for (int j = 0; j < rank; j++) {
      int64_t s = ai->shape[j];
      if (s >= 0) {
        if (x->shape[j] != s)
          return cli_error(d, "%s: axis %d has extent %lld, expected %lld for '%s'",
                           rd->path[a], j, (long long)x->shape[j], (long long)s,
                           ai->name);
      } else if (s != CLI_DERIVED) {
        int dim = (int)(-s - 1);
        if (rd->dim_from[dim] && rd->dims[dim] != x->shape[j])
          return cli_error(d,
                           "%s: axis %d of '%s' has extent %lld, but dim %s = %lld (from %s)",
                           rd->path[a], j, ai->name, (long long)x->shape[j],
                           info->dim_names[dim], (long long)rd->dims[dim],
                           rd->dim_from[dim]);
        rd->dims[dim] = x->shape[j];
        rd->dim_from[dim] = rd->path[a];
      }
    }
  }
  return 0;
}

/* Checks every loaded file against the shapes the dims imply (derived
   extents and CSR lengths could not be checked before all dims were
   known). */
static int check_loaded_shapes(run_data *rd, const run_kernel *rk, tc_diag *d) {
  const cli_kernel_info *info = rd->info;
  for (int a = 0; a < info->nargs; a++) {
    if (!rd->loaded[a]) continue;
    const cli_arg_info *ai = &info->args[a];
    tcR_array *x = &rd->arr[a];
    if (ai->format == CLI_CSR_COL || ai->format == CLI_CSR_VAL) {
      /* Their length is rowptr[rows]: the kernel validates rowptr and
         reads nnz from it; here only the file's own length matters. */
      continue;
    }
    int64_t shape[TC_MAX_RANK];
    if (rk->shape(a, rd->dims, shape) != TC_OK)
      return cli_error(d, "%s: the dims give no valid shape for '%s'",
                       rd->path[a], ai->name);
    for (int j = 0; j < ai->rank; j++)
      if (x->shape[j] != shape[j])
        return cli_error(d, "%s: axis %d has extent %lld, expected %lld for '%s'",
                         rd->path[a], j, (long long)x->shape[j],
                         (long long)shape[j], ai->name);
  }
  return 0;
}

/* Every csr argument's col and val hold at least nnz = rowptr[rows]
   entries: the kernel and the reference read that many, so a file shorter
   than that would be read past its end.  (A rowptr that is not a valid
   one is left to them to reject: they check it before reading col.)  0, or
   -1 with a message naming the file. */
static int check_csr_lengths(const run_data *rd, tc_diag *d) {
  const cli_kernel_info *info = rd->info;
  for (int a = 0; a < info->nargs; a++) {
    if (info->args[a].format != CLI_CSR_ROWPTR) continue;
    const tcR_array *rp = &rd->arr[a];
    int64_t nnz = rp->count ? elem_geti(rp->dtype, rp->data, rp->count - 1) : 0;
    for (int p = a + 1; p < info->nargs && (info->args[p].format == CLI_CSR_COL ||
                                           info->args[p].format == CLI_CSR_VAL); p++)
      if (nnz > rd->arr[p].count)
        return cli_error(d, "%s: %lld entries, but %s ends with nnz = %lld",
                         rd->path[p] ? rd->path[p] : info->args[p].name,
                         (long long)rd->arr[p].count,
                         rd->path[a] && rd->loaded[a] ? rd->path[a] : info->args[a].name,
                         (long long)nnz);
  }
  return 0;
}

/* The extent encoded as in tc_arg_info.shape, or -1 when derived. */
static int64_t decode_extent(int64_t s, const int64_t *dims) {
  if (s >= 0) return s;
  if (s == CLI_DERIVED) return -1;
  return dims[-s - 1];
}

/* A zeroed array of the shape for argument `name`.  Dims can ask for more
   than any machine holds (--dim N=10000000000000): that is the user's
   error, not an internal one.  0, or -1 with a message. */
static int alloc_array(tcR_array *x, int dtype, int rank, const int64_t *shape,
                       const char *name, tc_diag *d) {
  int64_t count = 1, size = tc_dtype_size(dtype);
  int bad = 0;
  for (int j = 0; j < rank; j++)
    bad |= shape[j] < 0 || __builtin_mul_overflow(count, shape[j], &count);
  if (bad || count > (int64_t)(SIZE_MAX / 2) / size)
    return cli_error(d, "'%s' is too large to allocate (the dims give %s elements)",
                     name, bad ? "more than 2^63" : "too many");
  void *data = calloc((size_t)count + 1, (size_t)size);
  if (!data)
    return cli_error(d, "cannot allocate '%s': %lld elements of %lld bytes", name,
                     (long long)count, (long long)size);
  x->dtype = dtype;
  x->rank = rank;
  x->count = count;
  for (int j = 0; j < rank; j++) x->shape[j] = shape[j];
  x->data = data;
  return 0;
}

/* A valid CSR matrix for the parts starting at argument a (rowptr), with
   up to 4 entries a row at distinct random columns.  0 or -1. */
static int generate_csr(run_data *rd, int a, tcR_rng *rng, tc_diag *d) {
  const cli_kernel_info *info = rd->info;
  const cli_arg_info *ai = &info->args[a];
  int64_t rows = ai->csr_shape ? decode_extent(ai->csr_shape[0], rd->dims) : -1;
  int64_t cols = ai->csr_shape ? decode_extent(ai->csr_shape[1], rd->dims) : -1;
  if (rows < 0 || cols < 0)
    return cli_error(d, "cannot generate '%s': its shape is not known from the dims",
                     ai->name);
  int64_t per_row = cols < 4 ? cols : 4;
  int64_t shape = rows + 1;
  if (rows == INT64_MAX || alloc_array(&rd->arr[a], ai->dtype, 1, &shape, ai->name, d) != 0)
    return cli_error(d, "cannot generate '%s' for %lld rows", ai->name, (long long)rows);
  int64_t nnz = 0;
  for (int64_t r = 0; r < rows; r++) {
    elem_set(ai->dtype, rd->arr[a].data, r, (double)nnz);
    nnz += per_row ? (int64_t)(tcR_rng_uniform(rng) * (double)(per_row + 1)) : 0;
  }
  elem_set(ai->dtype, rd->arr[a].data, rows, (double)nnz);
  for (int p = a + 1; p < info->nargs && (info->args[p].format == CLI_CSR_COL ||
                                         info->args[p].format == CLI_CSR_VAL); p++) {
    const cli_arg_info *pi = &info->args[p];
    if (rd->loaded[p]) tcR_array_free(&rd->arr[p]);
    rd->loaded[p] = 0;
    if (alloc_array(&rd->arr[p], pi->dtype, 1, &nnz, pi->name, d) != 0) return -1;
    for (int64_t r = 0; r < rows; r++) {
      int64_t lo = elem_geti(ai->dtype, rd->arr[a].data, r);
      int64_t hi = elem_geti(ai->dtype, rd->arr[a].data, r + 1);
      for (int64_t q = lo; q < hi; q++) {
        double v;
        if (pi->format == CLI_CSR_COL) /* sorted distinct columns */
          v = (double)((q - lo) * (cols / (hi - lo)) +
                       (int64_t)(tcR_rng_uniform(rng) * (double)(cols / (hi - lo))));
        else
          v = tc_dtype_is_float(pi->dtype) ? 2 * tcR_rng_uniform(rng) - 1
                                           : (double)(int64_t)(tcR_rng_uniform(rng) * 7) - 3;
        elem_set(pi->dtype, rd->arr[p].data, q, v);
      }
    }
  }
  return 0;
}

/* Generates every weight and input without a file.  Names them in *notes. */
static int generate_inputs(run_data *rd, const run_kernel *rk,
                           const tc_kernel *ref, uint64_t seed, tc_buf *notes,
                           tc_diag *d) {
  const cli_kernel_info *info = rd->info;
  tcR_rng rng;
  tcR_rng_seed(&rng, seed);
  for (int a = 0; a < info->nargs; a++) {
    const cli_arg_info *ai = &info->args[a];
    if (ai->role == CLI_ROLE_OUTPUT || rd->loaded[a] || rd->arr[a].data) continue;
    tc_buf_printf(notes, "%s%s", notes->len ? ", " : "", ai->name);
    if (ai->format == CLI_CSR_ROWPTR) {
      if (generate_csr(rd, a, &rng, d) != 0) return -1;
      continue;
    }
    if (ai->format != CLI_DENSE) {
      /* col or val without rowptr's file: take rowptr's nnz. */
      int r = a;
      while (r > 0 && info->args[r].format != CLI_CSR_ROWPTR) r--;
      const tcR_array *rp = &rd->arr[r];
      int64_t nnz = rp->count ? elem_geti(rp->dtype, rp->data, rp->count - 1) : 0;
      int64_t cols = decode_extent(info->args[r].csr_shape[1], rd->dims);
      if (nnz < 0)
        return cli_error(d, "cannot generate '%s': %s's last entry (the nnz) is %lld",
                         ai->name, info->args[r].name, (long long)nnz);
      if (alloc_array(&rd->arr[a], ai->dtype, 1, &nnz, ai->name, d) != 0) return -1;
      for (int64_t q = 0; q < nnz; q++)
        elem_set(ai->dtype, rd->arr[a].data, q,
                 ai->format == CLI_CSR_COL
                     ? (double)(int64_t)(tcR_rng_uniform(&rng) * (double)cols)
                     : 2 * tcR_rng_uniform(&rng) - 1);
      continue;
    }
    int64_t shape[TC_MAX_RANK];
    if (rk->shape(a, rd->dims, shape) != TC_OK)
      return cli_error(d, "the dims give no valid shape for '%s'", ai->name);
    if (alloc_array(&rd->arr[a], ai->dtype, ai->rank, shape, ai->name, d) != 0) return -1;
    int64_t bound = tc_dtype_is_int(ai->dtype) ? index_bound_of(ref, rd->dims, ai->name) : -1;
    for (int64_t i = 0; i < rd->arr[a].count; i++) {
      double u = tcR_rng_uniform(&rng), v;
      if (tc_dtype_is_float(ai->dtype))
        v = 2 * u - 1;
      else if (bound >= 0)
        v = (double)(int64_t)(u * (double)bound);
      else if (ai->dtype == TC_DT_U8)
        v = (double)(int64_t)(u * 4); /* [0, 3] */
      else
        v = (double)(int64_t)(u * 7) - 3; /* [-3, 3] */
      elem_set(ai->dtype, rd->arr[a].data, i, v);
    }
  }
  return 0;
}

/* ---- checking ----------------------------------------------------------- */

/* The tolerance of --check (docs/cli.md): |got - ref| <= tol * max(1, |ref|)
   for floats, equality for integers; NaN matches only NaN, an infinity
   only the same infinity. */
static double tolerance(tc_dtype t) {
  switch (t) {
  case TC_DT_F32: return 1e-4;
  case TC_DT_F64: return 1e-10;
  case TC_DT_BF16: return 1e-2;
  default: return 0;
  }
}

/* The node of output `name` of k, or -1. */
static int output_node(const tc_kernel *k, const char *name) {
  for (int a = 0; a < k->args.len; a++) {
    const tc_arg *x = &k->args.data[a];
    if (x->role == TC_ROLE_OUTPUT && strcmp(x->name, name) == 0) return x->node;
  }
  return -1;
}

/* 1 when output `name` of k is the result of a quantize: its value may
   differ from the reference's by one quantization step (docs/cli.md), as
   the compiled kernel sums in another order (or in integers) and a value
   near a rounding boundary can round the other way. */
static int is_quantized_output(const tc_kernel *k, const char *name) {
  int n = output_node(k, name);
  if (n < 0) return 0;
  tc_op op = k->nodes.data[n].op;
  return op == TC_OP_QUANTIZE || op == TC_OP_QUANTIZE_PER_CHANNEL;
}

/* The loosest tolerance of the floats node n and the nodes it is computed
   from are computed in (an input, a weight or a literal rounds nothing,
   nor does a widening cast); seen[] marks the nodes visited. */
static double computed_tolerance(const tc_kernel *k, int n, char *seen) {
  if (n < 0 || n >= k->nodes.len || seen[n]) return 0;
  seen[n] = 1;
  const tc_node *x = &k->nodes.data[n];
  double tol = 0;
  if (x->op != TC_OP_INPUT && x->op != TC_OP_WEIGHT && x->op != TC_OP_LITERAL &&
      x->op != TC_OP_CONST)
    tol = tolerance(x->dtype);
  for (int i = 0; i < x->nin; i++) tol = fmax(tol, computed_tolerance(k, x->in[i], seen));
  return tol;
}

/* The tolerance of output `name` of k: its dtype's, but for an f64
   output computed in a less precise float, that float's (an f64 cast of
   an f32 convolution is as exact as the f32 sums).  (An f32 output of
   bf16 arithmetic keeps f32's: the reference rounds each bf16 value as
   the kernels do.) */
static double output_tolerance(const tc_kernel *k, const char *name, tc_dtype t) {
  double tol = tolerance(t);
  int n = output_node(k, name);
  if (t != TC_DT_F64 || n < 0) return tol;
  char *seen = tc_xcalloc((size_t)k->nodes.len + 1, 1);
  tol = fmax(tol, computed_tolerance(k, n, seen));
  free(seen);
  return tol;
}

/* Compares one output; prints a line; returns 1 when within tolerance
   tol (`step`: integers may differ by 1). */
static int compare_output(const cli_arg_info *ai, const tcR_array *got,
                          const void *want, int step, double tol) {
  double max_abs = 0, max_rel = 0;
  int64_t bad = 0, first_bad = -1;
  for (int64_t i = 0; i < got->count; i++) {
    double g = elem_get(ai->dtype, got->data, i), w = elem_get(ai->dtype, want, i);
    int ok;
    double err = 0;
    if (ai->dtype == TC_DT_I64) {
      int64_t gi = ((const int64_t *)got->data)[i], wi = ((const int64_t *)want)[i];
      ok = gi == wi;
      err = ok ? 0 : fabs((double)gi - (double)wi);
    } else if (isnan(w) || isnan(g)) {
      ok = isnan(w) && isnan(g);
      err = ok ? 0 : INFINITY;
    } else if (isinf(w) || isinf(g)) {
      ok = g == w;
      err = ok ? 0 : INFINITY;
    } else {
      err = fabs(g - w);
      ok = step ? err <= 1 : err <= tol * fmax(1.0, fabs(w));
    }
    if (err > max_abs) max_abs = err;
    double rel = err == 0 ? 0 : err / fmax(fabs(w), 1e-300);
    if (rel > max_rel) max_rel = rel;
    if (!ok && bad++ == 0) first_bad = i;
  }
  printf("check %s: max abs err %.3g, max rel err %.3g", ai->name, max_abs, max_rel);
  if (bad) {
    printf(": FAILED, %lld of %lld elements beyond tolerance; first at flat index %lld: "
           "got %.9g, reference %.9g\n",
           (long long)bad, (long long)got->count, (long long)first_bad,
           elem_get(ai->dtype, got->data, first_bad),
           elem_get(ai->dtype, want, first_bad));
    return 0;
  }
  printf(": ok\n");
  return 1;
}

/* ---- printing ----------------------------------------------------------- */

static void print_shape(FILE *f, const cli_arg_info *ai, const tcR_array *x) {
  fprintf(f, "%s[", tc_dtype_name(ai->dtype));
  for (int j = 0; j < x->rank; j++)
    fprintf(f, "%s%lld", j ? ", " : "", (long long)x->shape[j]);
  fprintf(f, "]");
}

static void print_summary(const cli_arg_info *ai, const tcR_array *x) {
  printf("%s: ", ai->name);
  print_shape(stdout, ai, x);
  printf(" = [");
  int64_t n = x->count < 8 ? x->count : 8;
  for (int64_t i = 0; i < n; i++) {
    if (tc_dtype_is_float(ai->dtype))
      printf("%s%.6g", i ? ", " : "", elem_get(ai->dtype, x->data, i));
    else
      printf("%s%lld", i ? ", " : "", (long long)elem_geti(ai->dtype, x->data, i));
  }
  printf("%s]\n", x->count > n ? ", ..." : "");
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* ---- the run ------------------------------------------------------------ */

/* Compiles the kernel and returns the library, or NULL with status set. */
static tcR_lib *compile_kernel(tc_module *m, int borrowed, const char *kernel,
                               const cli_run_opts *o, int *status, tc_diag *d) {
  const char *target = o->target ? o->target : o->jit == CLI_JIT_TCC ? "scalar" : "native";
  tcE_target t;
  int rc = cli_target_parse(target, &t, d);
  if (rc == 0 && o->jit == CLI_JIT_TCC && t != TCE_TARGET_SCALAR)
    rc = cli_error(d, "--jit tcc compiles only --target scalar (libtcc has no "
                   "intrinsics), got --target %s: use --jit cc", target);
  /* The kernel runs here: code for an ISA this CPU lacks would stop at its
     first instruction of it (SIGILL). */
  if (rc == 0 && !cli_target_runs_here(t))
    rc = cli_error(d, "--target %s: this CPU cannot run %s code (use --target "
                   "native or x86-64)", target, cli_target_name(t));
  if (rc != 0) {
    if (!borrowed) tc_module_free(m);
    *status = CLI_EUSER;
    return NULL;
  }
  char *src = cli_compile_for_jit(m, borrowed, kernel, t, NULL, status, d);
  if (!src) return NULL;
  char err[8192];
  tcR_lib *lib;
  if (o->jit == CLI_JIT_TCC) {
    /* No tcR_tcc_warmup: the driver compiles on its one thread only. */
    lib = tcR_jit_tcc(src, err, sizeof err);
  } else {
    /* OpenMP where the compiler has it; clang must use gcc's runtime
       (PLATFORM.md). */
    const char *cc = getenv("CC");
    tc_buf flags = {0};
    tc_buf_puts(&flags, cc && strstr(cc, "clang") ? "-fopenmp=libgomp" : "-fopenmp");
    /* native also lets cc tune the scalar parts for this CPU.  avx2, avx512
       and x86-64 need no -m flag: their functions carry target attributes.
       The cache key (rt/jit_cc.c) covers the flags and the C, and the C
       differs by target (its intrinsics and attributes), so two targets
       never share an entry unless they compile the same C with the same
       flags, to the same object (tests/cli: run_cc_cache_per_target). */
    if (strcmp(target, "native") == 0) tc_buf_puts(&flags, " -march=native");
    int cached = 0;
    lib = tcR_jit_cc(src, flags.data, &cached, err, sizeof err);
    tc_buf_free(&flags);
  }
  free(src);
  if (!lib) {
    *status = CLI_EINTERNAL;
    cli_error(d, "internal error: the generated C does not compile (%s):\n%s",
              o->jit == CLI_JIT_TCC ? "libtcc" : "cc", err);
  }
  return lib;
}

/* The pointer arrays of the generic entry points, over rd's buffers:
   weights and inputs in w (inputs from w + nweights), outputs in outs. */
typedef struct run_args {
  const void **w;
  void **outs;
  int nweights, ninputs, noutputs;
} run_args;

static void run_args_init(run_args *ra, const run_data *rd) {
  const cli_kernel_info *info = rd->info;
  ra->w = tc_xcalloc((size_t)info->nargs + 1, sizeof *ra->w);
  ra->outs = tc_xcalloc((size_t)info->nargs + 1, sizeof *ra->outs);
  for (int a = 0; a < info->nargs; a++) {
    int role = info->args[a].role;
    if (role == CLI_ROLE_OUTPUT)
      ra->outs[ra->noutputs++] = rd->arr[a].data;
    else
      ra->w[a] = rd->arr[a].data;
    ra->nweights += role == CLI_ROLE_WEIGHT;
    ra->ninputs += role == CLI_ROLE_INPUT;
  }
}

static void run_args_free(run_args *ra) {
  free(ra->w);
  free(ra->outs);
}

static void run_data_free(run_data *rd) {
  for (int a = 0; rd->info && a < rd->info->nargs; a++) {
    tcR_array_free(&rd->arr[a]);
    free(rd->path[a]);
  }
  free(rd->arr);
  free(rd->loaded);
  free(rd->path);
  free(rd->dims);
  free(rd->dim_from);
}

/* The kernel of `ref` that o names (or its only one), or NULL with a
   message listing the kernels. */
static const tc_kernel *find_kernel(const tc_module *ref, const char *name,
                                    tc_diag *d) {
  const tc_kernel *k = name ? tc_module_find_kernel(ref, name)
                     : ref->kernels.len == 1 ? ref->kernels.data[0] : NULL;
  if (k) return k;
  tc_buf names = {0};
  for (int i = 0; i < ref->kernels.len; i++)
    tc_buf_printf(&names, "%s%s", i ? ", " : "", ref->kernels.data[i]->name);
  if (name)
    cli_error(d, "%s: no kernel named '%s' (kernels: %s)", ref->file, name,
              names.data ? names.data : "none");
  else
    cli_error(d, "%s has %d kernels: choose one with --kernel (%s)", ref->file,
              ref->kernels.len, names.data ? names.data : "none");
  tc_buf_free(&names);
  return NULL;
}

/* Every dim's value, every weight's and input's data, every output's
   buffer: from --dim, the files of --data, and the generator.  0, or -1
   with a message. */
static int prepare_data(run_data *rd, const run_kernel *rk, const tc_kernel *k,
                        const cli_run_opts *o, tc_diag *d) {
  const cli_kernel_info *info = rd->info;
  int n = info->nargs;
  rd->dims = tc_xcalloc((size_t)info->ndims + 1, sizeof *rd->dims);
  rd->dim_from = tc_xcalloc((size_t)info->ndims + 1, sizeof *rd->dim_from);
  rd->arr = tc_xcalloc((size_t)n + 1, sizeof *rd->arr);
  rd->loaded = tc_xcalloc((size_t)n + 1, sizeof *rd->loaded);
  rd->path = tc_xcalloc((size_t)n + 1, sizeof *rd->path);

  for (int i = 0; i < o->ndims; i++) {
    int found = -1;
    for (int j = 0; j < info->ndims; j++)
      if (strcmp(info->dim_names[j], o->dim_names[i]) == 0) found = j;
    if (found < 0) {
      tc_buf names = {0};
      for (int j = 0; j < info->ndims; j++)
        tc_buf_printf(&names, "%s%s", j ? ", " : "", info->dim_names[j]);
      cli_error(d, "kernel %s has no dim '%s' (dims: %s)", k->name, o->dim_names[i],
                names.data ? names.data : "none");
      tc_buf_free(&names);
      return -1;
    }
    rd->dims[found] = o->dim_values[i];
    rd->dim_from[found] = "--dim";
  }
  /* A missing folder is a mistake, not a folder without files: say so
     before generating every input and failing to write the outputs. */
  struct stat st;
  if (o->data_dir && stat(o->data_dir, &st) != 0)
    return cli_error(d, "--data %s: %s", o->data_dir, strerror(errno));
  if (o->data_dir && !S_ISDIR(st.st_mode))
    return cli_error(d, "--data %s: not a directory", o->data_dir);
  if (read_inputs(rd, o->data_dir, d) != 0) return -1;
  for (int j = 0; j < info->ndims; j++)
    if (!rd->dim_from[j])
      return cli_error(d, "dim %s of kernel %s is not known: give %s%s=VALUE%s",
                       info->dim_names[j], k->name, o->repl ? "" : "--dim ",
                       info->dim_names[j],
                       o->data_dir ? " or an input file that has it" : "");
  if (check_loaded_shapes(rd, rk, d) != 0) return -1;

  tc_buf notes = {0};
  int rc = generate_inputs(rd, rk, k, o->seed, &notes, d);
  if (rc == 0 && notes.len) {
    if (o->data_dir)
      fprintf(stderr, "tensorc: note: no file in %s for %s: generated from seed %llu\n",
              o->data_dir, notes.data, (unsigned long long)o->seed);
    else
      fprintf(stderr, "tensorc: note: generated %s from seed %llu\n", notes.data,
              (unsigned long long)o->seed);
  }
  tc_buf_free(&notes);
  if (rc != 0 || check_csr_lengths(rd, d) != 0) return -1;

  for (int a = 0; a < n; a++) {
    if (info->args[a].role != CLI_ROLE_OUTPUT) continue;
    int64_t shape[TC_MAX_RANK];
    if (rk->shape(a, rd->dims, shape) != TC_OK)
      return cli_error(d, "the dims give no valid shape for output '%s'",
                       info->args[a].name);
    if (alloc_array(&rd->arr[a], info->args[a].dtype, info->args[a].rank, shape,
                    info->args[a].name, d) != 0)
      return -1;
  }
  return 0;
}

/* --check: the reference interpreter on the same data; `rc` is what the
   kernel returned.  Prints a line per output; 0 when everything agrees. */
static int check_against_reference(const run_data *rd, const run_args *ra,
                                   const tc_kernel *k, int rc, tc_diag *d) {
  const cli_kernel_info *info = rd->info;
  tcR_array *want = tc_xcalloc((size_t)info->nargs + 1, sizeof *want);
  void **outs = tc_xcalloc((size_t)info->nargs + 1, sizeof *outs);
  int ok = 1;
  for (int a = 0, j = 0; a < info->nargs && ok; a++)
    if (info->args[a].role == CLI_ROLE_OUTPUT) {
      ok = alloc_array(&want[a], info->args[a].dtype, rd->arr[a].rank,
                       rd->arr[a].shape, info->args[a].name, d) == 0;
      outs[j++] = want[a].data;
    }
  int ref_rc = ok ? tcR_ref_run(k, rd->dims, ra->w, ra->w + ra->nweights, outs) : rc;
  if (!ok) {
    /* the message is alloc_array's */
  } else if (ref_rc != rc) {
    printf("check %s: FAILED, the kernel returned %s, the reference %s\n", k->name,
           rc_name(rc), rc_name(ref_rc));
    ok = 0;
  } else if (rc != TC_OK) {
    printf("check %s: the kernel and the reference both returned %s\n", k->name,
           rc_name(rc));
  } else {
    for (int a = 0; a < info->nargs; a++)
      if (info->args[a].role == CLI_ROLE_OUTPUT)
        ok &= compare_output(&info->args[a], &rd->arr[a], want[a].data,
                             is_quantized_output(k, info->args[a].name),
                             output_tolerance(k, info->args[a].name, info->args[a].dtype));
    if (!ok)
      cli_error(d, "check failed: outputs differ from the reference beyond the "
                   "tolerance");
  }
  if (!ok && !d->set) cli_error(d, "check failed");
  for (int a = 0; a < info->nargs; a++) tcR_array_free(&want[a]);
  free(want);
  free(outs);
  return ok ? 0 : -1;
}

/* Writes every output to DIR/NAME.npy, all or nothing: each goes to a
   temporary file first, and only when all are written are they renamed.
   0, or -1 with a message (and no output file changed). */
static int write_outputs(const run_data *rd, const char *dir, tc_diag *d) {
  const cli_kernel_info *info = rd->info;
  char **path = tc_xcalloc((size_t)info->nargs + 1, sizeof *path);
  char **tmp = tc_xcalloc((size_t)info->nargs + 1, sizeof *tmp);
  char err[1024];
  int rc = 0;
  for (int a = 0; a < info->nargs && rc == 0; a++) {
    if (info->args[a].role != CLI_ROLE_OUTPUT) continue;
    tc_buf p = {0};
    tc_buf_printf(&p, "%s/%s.npy", dir, info->args[a].name);
    path[a] = tc_buf_steal(&p);
    /* the one way a rename below can be foreseen to fail */
    struct stat st;
    if (stat(path[a], &st) == 0 && S_ISDIR(st.st_mode))
      rc = cli_error(d, "%s: cannot write: Is a directory", path[a]);
    else if (tcR_npy_write_temp(path[a], &rd->arr[a], &tmp[a], err, sizeof err) != 0)
      rc = cli_error(d, "%s", err);
  }
  for (int a = 0; a < info->nargs; a++) {
    if (rc == 0 && tcR_npy_commit(path[a], tmp[a], err, sizeof err) != 0)
      rc = cli_error(d, "%s", err);
    else if (rc != 0)
      tcR_npy_discard(tmp[a]); /* NULL-safe; a committed one is freed */
    tmp[a] = NULL;
    free(path[a]);
  }
  free(tmp);
  free(path);
  return rc;
}

/* --bench N: one warm-up run, then N timed runs; prints median and min. */
static void bench(const run_kernel *rk, const void *ctx, const run_data *rd,
                  const run_args *ra, const char *name, int n, cli_jit jit) {
  double *t = tc_xmalloc((size_t)n * sizeof *t);
  rk->run_v(ctx, rd->dims, ra->w + ra->nweights, ra->outs);
  for (int i = 0; i < n; i++) {
    double t0 = tcR_now();
    rk->run_v(ctx, rd->dims, ra->w + ra->nweights, ra->outs);
    t[i] = tcR_now() - t0;
  }
  qsort(t, (size_t)n, sizeof *t, cmp_double);
  double median = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
  printf("bench %s: %d runs, median %.2f us, min %.2f us (%s)\n", name, n,
         median * 1e6, t[0] * 1e6, jit == CLI_JIT_TCC ? "tcc" : "cc");
  free(t);
}

int cli_run_kernel(tc_module *m, int borrowed, const tc_module *ref,
                   const cli_run_opts *o) {
  tc_diag d = {0};
  int status = CLI_OK;
  const tc_kernel *k = find_kernel(ref, o->kernel, &d);
  if (!k) {
    if (!borrowed) tc_module_free(m);
    return cli_fail(&d, CLI_EUSER);
  }
  /* The C prefix, as the compiled module (a view of this one kernel, see
     pipeline.c) names it. */
  tc_module view = *ref;
  tc_kernel *vk = (tc_kernel *)k;
  view.kernels.data = &vk;
  view.kernels.len = view.kernels.cap = 1;
  char *prefix = tc_kernel_cname(&view, k, NULL);

  run_kernel rk = {0};
  tcR_lib *lib = compile_kernel(m, borrowed, k->name, o, &status, &d);
  if (lib && load_kernel(&rk, lib, prefix, &d) != 0) status = CLI_EINTERNAL;
  free(prefix);
  if (status != CLI_OK) {
    tcR_lib_free(lib);
    return cli_fail(&d, status);
  }

  run_data rd = {0};
  rd.info = rk.info;
  run_args ra = {0};
  void *ctx = NULL;
  int rc = TC_OK;
  if (prepare_data(&rd, &rk, k, o, &d) != 0) {
    status = CLI_EUSER;
  } else {
    run_args_init(&ra, &rd);
    rc = rk.create_v(&ctx, ra.w);
    if (rc == TC_OK) rc = rk.run_v(ctx, rd.dims, ra.w + ra.nweights, ra.outs);
    if (rc != TC_OK) {
      cli_error(&d, "kernel %s returned %s (%d) on this data", k->name,
                rc_name(rc), rc);
      status = CLI_EUSER;
    }
    /* A kernel error is compared too: the reference must fail alike. */
    if (o->check && check_against_reference(&rd, &ra, k, rc, &d) != 0)
      status = CLI_EUSER;
  }
  if (rc == TC_OK && status == CLI_OK) {
    if (o->summary)
      for (int a = 0; a < rd.info->nargs; a++)
        if (rd.info->args[a].role == CLI_ROLE_OUTPUT)
          print_summary(&rd.info->args[a], &rd.arr[a]);
    if (o->data_dir && write_outputs(&rd, o->data_dir, &d) != 0) status = CLI_EUSER;
    if (o->bench > 0) bench(&rk, ctx, &rd, &ra, k->name, o->bench, o->jit);
  }
  if (ctx) rk.destroy(ctx);
  run_args_free(&ra);
  run_data_free(&rd);
  tcR_lib_free(lib);
  return status == CLI_OK ? CLI_OK : cli_fail(&d, status);
}

/* ---- the command ---------------------------------------------------------- */

int cli_cmd_run(int argc, char **argv, const tcL_options *lang) {
  tc_diag d = {0};
  cli_run_opts o = {0};
  o.summary = 1;
  const char *path = NULL, *v;
  int status = CLI_OK;
  for (int i = 0; i < argc && status == CLI_OK; i++) {
    int r;
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      fputs(usage_run, stdout);
      free_dims(&o);
      return CLI_OK;
    }
    if (strcmp(argv[i], "--check") == 0) {
      o.check = 1;
      continue;
    }
    if ((r = cli_opt_value(argc, argv, &i, "--kernel", &v, &d)) != 0) {
      o.kernel = v;
    } else if ((r = cli_opt_value(argc, argv, &i, "--dim", &v, &d)) != 0) {
      if (r > 0 && cli_run_add_dim(&o, v, &d) != 0) r = -1;
    } else if ((r = cli_opt_value(argc, argv, &i, "--data", &v, &d)) != 0) {
      o.data_dir = v;
    } else if ((r = cli_opt_value(argc, argv, &i, "--jit", &v, &d)) != 0) {
      if (r > 0 && strcmp(v, "tcc") == 0) o.jit = CLI_JIT_TCC;
      else if (r > 0 && strcmp(v, "cc") == 0) o.jit = CLI_JIT_CC;
      else if (r > 0) r = cli_error(&d, "--jit must be tcc or cc, got '%s'", v);
    } else if ((r = cli_opt_value(argc, argv, &i, "--target", &v, &d)) != 0) {
      o.target = v;
    } else if ((r = cli_opt_value(argc, argv, &i, "--seed", &v, &d)) != 0) {
      char *end;
      errno = 0;
      if (r > 0) o.seed = strtoull(v, &end, 10);
      if (r > 0 && (errno || end == v || *end || v[0] == '-'))
        r = cli_error(&d, "--seed must be a non-negative integer, got '%s'", v);
    } else if ((r = cli_opt_value(argc, argv, &i, "--bench", &v, &d)) != 0) {
      char *end;
      long n = 0;
      if (r > 0) n = strtol(v, &end, 10);
      if (r > 0 && (end == v || *end || n < 1 || n > 100000000))
        r = cli_error(&d, "--bench must be a positive number of runs, got '%s'", v);
      o.bench = (int)n;
    } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
      r = cli_error(&d, "unknown option '%s' for 'tensorc run'", argv[i]);
    } else if (!path) {
      path = argv[i];
    } else {
      r = cli_error(&d, "run takes one file, got '%s' too", argv[i]);
    }
    if (r < 0) status = CLI_EUSER;
  }
  if (status == CLI_OK && !path) {
    fputs(usage_run, stderr);
    free_dims(&o);
    return CLI_EUSER;
  }
  if (status != CLI_OK) {
    free_dims(&o);
    return cli_fail(&d, status);
  }
  /* Two loads: the pipeline rewrites its module in place, and the
     reference interpreter and the input generator need the graph as the
     DSL made it. */
  tc_module *m = tcL_load_file(path, lang, &d);
  tc_module *ref = m ? tcL_load_file(path, lang, &d) : NULL;
  if (!m || !ref) {
    if (m) tc_module_free(m);
    free_dims(&o);
    if (!d.set) cli_error(&d, "%s: could not be loaded", path);
    return cli_fail(&d, CLI_EUSER);
  }
  status = cli_run_kernel(m, 0, ref, &o);
  tc_module_free(ref);
  free_dims(&o);
  return status;
}
