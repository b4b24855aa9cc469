/*
 * graph.c: modules, kernels and the graph node constructors.
 *
 * Every constructor validates its operands as the user wrote them, infers
 * the result's shape (NumPy broadcasting) and dtype (PyTorch promotion,
 * promote.h), inserts CAST nodes so that consumers never see mixed dtypes,
 * and records a tc_check for every pair of extents that must be equal but
 * can only be compared once the dims are known.  Errors a user can cause
 * go to the tc_diag at the op's location; malformed requests from the
 * front end (bad node ids, a proto with the wrong number of ints) are bugs
 * and assert.
 *
 * Nodes live in k->nodes, which TC_VEC_PUSH may move: code here keeps
 * node ids, never node pointers, across a call that adds nodes.
 */
#include "graph.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promote.h"

/* ---- modules and kernels ---------------------------------------------- */

tc_module *tc_module_new(const char *name, const char *file) {
  tc_module *m = tc_xcalloc(1, sizeof *m);
  m->name = tc_arena_strdup(&m->arena, name ? name : "");
  m->file = tc_arena_strdup(&m->arena, file ? file : "");
  return m;
}

void tc_module_free(tc_module *m) {
  if (!m)
    return;
  for (int i = 0; i < m->kernels.len; i++) {
    tc_kernel *k = m->kernels.data[i];
    TC_VEC_FREE(k->dims);
    TC_VEC_FREE(k->args);
    TC_VEC_FREE(k->nodes);
    TC_VEC_FREE(k->rvars);
    TC_VEC_FREE(k->checks);
    TC_VEC_FREE(k->schedules);
    free(k);
  }
  TC_VEC_FREE(m->kernels);
  tc_arena_free(&m->arena);
  free(m);
}

tc_kernel *tc_kernel_new(tc_module *m, const char *name, tc_loc loc) {
  tc_kernel *k = tc_xcalloc(1, sizeof *k);
  k->name = tc_arena_strdup(&m->arena, name);
  k->loc = loc;
  TC_VEC_PUSH(m->kernels, k);
  return k;
}

tc_kernel *tc_module_find_kernel(const tc_module *m, const char *name) {
  for (int i = 0; i < m->kernels.len; i++)
    if (strcmp(m->kernels.data[i]->name, name) == 0)
      return m->kernels.data[i];
  return NULL;
}

int tc_kernel_abi_args(const tc_kernel *k, int *idx) {
  static const tc_role order[] = {TC_ROLE_WEIGHT, TC_ROLE_INPUT,
                                  TC_ROLE_OUTPUT};
  int n = 0;
  for (int r = 0; r < 3; r++)
    for (int i = 0; i < k->args.len; i++)
      if (k->args.data[i].role == order[r]) {
        if (idx)
          idx[n] = i;
        n++;
      }
  return n;
}

int tc_kernel_count_role(const tc_kernel *k, tc_role role) {
  int n = 0;
  for (int i = 0; i < k->args.len; i++)
    n += k->args.data[i].role == role;
  return n;
}

int tc_kernel_abi_parts(const tc_kernel *k, tc_abi_part *parts) {
  static const tc_role order[] = {TC_ROLE_WEIGHT, TC_ROLE_INPUT,
                                  TC_ROLE_OUTPUT};
  static const char *const suffix[] = {"", "rowptr", "col", "val"};
  int n = 0;
  for (int r = 0; r < 3; r++)
    for (int i = 0; i < k->args.len; i++) {
      const tc_arg *a = &k->args.data[i];
      if (a->role != order[r])
        continue;
      int nparts = a->csr ? 2 + (a->has_values != 0) : 1;
      for (int j = 0; j < nparts; j++, n++) {
        if (!parts)
          continue;
        tc_abi_part *p = &parts[n];
        memset(p, 0, sizeof *p);
        p->arg = i;
        p->role = a->role;
        if (!a->csr) {
          p->format = TC_FMT_DENSE;
          p->dtype = a->dtype;
          p->rank = a->rank;
          p->shape = a->shape;
          snprintf(p->name, sizeof p->name, "%s", a->name);
          continue;
        }
        p->format = (tc_format)(TC_FMT_CSR_ROWPTR + j);
        p->dtype = p->format == TC_FMT_CSR_VAL ? a->dtype : a->index_dtype;
        p->rank = 1;
        p->shape = p->format == TC_FMT_CSR_ROWPTR ? &a->rowptr_len : NULL;
        p->rows = a->shape[0];
        p->cols = a->shape[1];
        snprintf(p->name, sizeof p->name, "%s.%s", a->name, suffix[p->format]);
      }
    }
  return n;
}

int tc_kernel_part_shape(const tc_kernel *k, const tc_abi_part *part,
                         const int64_t *dims, int64_t *shape) {
  (void)k;
  if (!part->shape)
    return TC_EINVAL; /* csr col and val: rowptr[rows] elements */
  for (int d = 0; d < part->rank; d++)
    if (tc_ext_eval(part->shape[d], dims, &shape[d]) != TC_OK)
      return TC_EINVAL;
  return TC_OK;
}

int tc_kernel_arg_shape(const tc_kernel *k, int a, const int64_t *dims,
                        int64_t *shape) {
  assert(a >= 0 && a < k->args.len);
  const tc_arg *arg = &k->args.data[a];
  for (int d = 0; d < arg->rank; d++)
    if (tc_ext_eval(arg->shape[d], dims, &shape[d]) != TC_OK)
      return TC_EINVAL;
  return TC_OK;
}

/* TC_OK when every extent of the shape evaluates and the element count
   fits in int64. */
static int check_shape(int rank, const tc_ext *const *shape,
                       const int64_t *dims) {
  int64_t count = 1;
  for (int d = 0; d < rank; d++) {
    int64_t v;
    if (tc_ext_eval(shape[d], dims, &v) != TC_OK ||
        __builtin_mul_overflow(count, v, &count))
      return TC_EINVAL;
  }
  return TC_OK;
}

int tc_kernel_check_dims(const tc_kernel *k, const int64_t *dims) {
  for (int i = 0; i < k->dims.len; i++)
    if (dims[i] < 0)
      return TC_EINVAL;
  for (int i = 0; i < k->checks.len; i++) {
    const tc_check *c = &k->checks.data[i];
    int64_t a, b;
    if (tc_ext_eval(c->a, dims, &a) != TC_OK ||
        tc_ext_eval(c->b, dims, &b) != TC_OK)
      return TC_EINVAL;
    if (c->kind == TC_CHECK_EQ ? a != b : (b <= 0 || a % b != 0))
      return TC_EINVAL;
  }
  for (int i = 0; i < k->args.len; i++)
    if (check_shape(k->args.data[i].rank, k->args.data[i].shape, dims))
      return TC_EINVAL;
  /* intermediate tensors too: an extent that is negative at run time is
     an error wherever it appears (spec/dsl.md) */
  for (int i = 0; i < k->nodes.len; i++)
    if (check_shape(k->nodes.data[i].rank, k->nodes.data[i].shape, dims))
      return TC_EINVAL;
  for (int i = 0; i < k->rvars.len; i++) {
    int64_t v;
    if (tc_ext_eval(k->rvars.data[i].ext, dims, &v) != TC_OK)
      return TC_EINVAL;
  }
  return TC_OK;
}

char *tc_kernel_cname(const tc_module *m, const tc_kernel *k,
                      const char *prefix) {
  const char *base = prefix ? prefix : m->name;
  tc_buf b = {0};
  if (m->kernels.len == 1 && strcmp(k->name, m->name) == 0)
    tc_buf_puts(&b, base);
  else
    tc_buf_printf(&b, "%s_%s", base, k->name);
  return tc_buf_steal(&b);
}

/* ---- helpers ------------------------------------------------------------ */

static const tc_node *node_at(const tc_kernel *k, int id) {
  assert(id >= 0 && id < k->nodes.len);
  return &k->nodes.data[id];
}

static int push_node(tc_kernel *k, const tc_node *n) {
  TC_VEC_PUSH(k->nodes, *n);
  return k->nodes.len - 1;
}

static const tc_ext **copy_shape(tc_arena *ar, int rank,
                                 const tc_ext *const *shape) {
  if (rank == 0)
    return NULL;
  const tc_ext **s = tc_arena_alloc(ar, (size_t)rank * sizeof *s);
  for (int d = 0; d < rank; d++)
    s[d] = shape[d];
  return s;
}

static const int *copy_ids(tc_arena *ar, int n, const int *in) {
  if (n == 0)
    return NULL;
  int *p = tc_arena_alloc(ar, (size_t)n * sizeof *p);
  memcpy(p, in, (size_t)n * sizeof *p);
  return p;
}

static const int64_t *copy_ints(tc_arena *ar, int n, const int64_t *v) {
  if (n == 0)
    return NULL;
  int64_t *p = tc_arena_alloc(ar, (size_t)n * sizeof *p);
  memcpy(p, v, (size_t)n * sizeof *p);
  return p;
}

/* Shape text for messages, "[B, 768]"; the caller frees b. */
static const char *shape_text(tc_buf *b, const tc_kernel *k, int rank,
                              const tc_ext *const *shape) {
  tc_shape_print(b, k, rank, shape);
  return b->data;
}

static const char *node_shape_text(tc_buf *b, const tc_kernel *k, int id) {
  const tc_node *n = node_at(k, id);
  return shape_text(b, k, n->rank, n->shape);
}

static const char *ext_text(tc_buf *b, const tc_kernel *k, const tc_ext *e) {
  tc_kernel_ext_print(b, k, e);
  return b->data;
}

static void add_check(tc_kernel *k, tc_check_kind kind, const tc_ext *a,
                      const tc_ext *b, tc_loc loc) {
  for (int i = 0; i < k->checks.len; i++) {
    const tc_check *c = &k->checks.data[i];
    if (c->kind == kind &&
        ((tc_ext_equal(c->a, a) && tc_ext_equal(c->b, b)) ||
         (kind == TC_CHECK_EQ && tc_ext_equal(c->a, b) &&
          tc_ext_equal(c->b, a))))
      return;
  }
  tc_check c = {kind, a, b, loc};
  TC_VEC_PUSH(k->checks, c);
}

/* Two extents that must be equal: *out is the one to use (a constant if
   either is, since the check makes them equal).  Returns 0, or -1 when
   they are different constants. */
static int unify(tc_kernel *k, const tc_ext *a, const tc_ext *b,
                 const tc_ext **out, tc_loc loc) {
  int ca = tc_ext_is_const(a, NULL), cb = tc_ext_is_const(b, NULL);
  if (tc_ext_equal(a, b)) {
    *out = a;
    return 0;
  }
  if (ca && cb)
    return -1;
  add_check(k, TC_CHECK_EQ, a, b, loc);
  *out = cb ? b : a;
  return 0;
}

static int is_one(const tc_ext *e) {
  int64_t v;
  return tc_ext_is_const(e, &v) && v == 1;
}

/* NumPy broadcasting of the shapes of nodes ids[0..n-1] into out (rank
   *orank).  Returns 0 or -1 with an error naming `what`. */
static int broadcast(tc_kernel *k, const char *what, int n, const int *ids,
                     const tc_ext **out, int *orank, tc_loc loc, tc_diag *d) {
  int rank = 0;
  for (int i = 0; i < n; i++)
    if (node_at(k, ids[i])->rank > rank)
      rank = node_at(k, ids[i])->rank;
  for (int j = 0; j < rank; j++) { /* j counts axes from the right */
    const tc_ext *cur = NULL;
    int from = -1;
    for (int i = 0; i < n; i++) {
      const tc_node *x = node_at(k, ids[i]);
      if (x->rank <= j)
        continue;
      const tc_ext *e = x->shape[x->rank - 1 - j];
      if (!cur || (is_one(cur) && !is_one(e))) {
        cur = e;
        from = i;
      } else if (!is_one(e) && unify(k, cur, e, &cur, loc) < 0) {
        tc_buf b1 = {0}, b2 = {0};
        tc_diag_at(d, loc, "%s: shapes %s and %s cannot be broadcast", what,
                   node_shape_text(&b1, k, ids[from]),
                   node_shape_text(&b2, k, ids[i]));
        tc_buf_free(&b1);
        tc_buf_free(&b2);
        return -1;
      }
    }
    out[rank - 1 - j] = cur;
  }
  *orank = rank;
  return 0;
}

/* Normalize axis `ax` of a tensor of rank `rank` into *out. */
static int norm_axis(const char *what, int64_t ax, int rank, int *out,
                     tc_loc loc, tc_diag *d) {
  *out = 0; /* defined on errors too, which keeps -O2's flow analysis quiet */
  if (ax < -(int64_t)rank || ax >= rank)
    return tc_diag_at(d, loc, "%s: axis %" PRId64
                      " out of range for a tensor of rank %d", what, ax, rank);
  *out = (int)(ax < 0 ? ax + rank : ax);
  return 0;
}

static int check_rank(const char *what, int rank, tc_loc loc, tc_diag *d) {
  if (rank > TC_MAX_RANK)
    return tc_diag_at(d, loc, "%s: rank %d exceeds the maximum of %d", what,
                      rank, TC_MAX_RANK);
  return 0;
}

/* A csr matrix is read only by spmm: any other use of one is an error
   naming the argument. */
static int reject_csr(const tc_kernel *k, const char *what, int n,
                      const int *ids, tc_loc loc, tc_diag *d) {
  for (int i = 0; i < n; i++) {
    const tc_node *x = node_at(k, ids[i]);
    if (x->op == TC_OP_CSR)
      return tc_diag_at(d, loc, "%s: %s is a csr matrix, which only spmm "
                        "reads", what, k->args.data[x->arg].name);
  }
  return 0;
}

/* Casts the nodes ids[0..n-1] in place to their common dtype, made float
   (f32) when float_only, or i64 when it is bool and !keep_bool.  Returns
   the dtype. */
static tc_dtype promote_ids(tc_kernel *k, tc_arena *ar, int n, int *ids,
                            int float_only, tc_loc loc, tc_diag *d) {
  tc_dtype t = TC_DT_NONE;
  for (int i = 0; i < n; i++)
    t = tc_dtype_promote(t, node_at(k, ids[i])->dtype);
  if (float_only && !tc_dtype_is_float(t))
    t = TC_DT_F32;
  else if (t == TC_DT_BOOL)
    t = TC_DT_I64;
  for (int i = 0; i < n; i++)
    ids[i] = tc_graph_cast(k, ar, ids[i], t, loc, d);
  return t;
}

/* ---- leaves and arguments ------------------------------------------------ */

int tc_graph_const(tc_kernel *k, tc_arena *ar, tc_dtype t, double num,
                   int64_t inum, tc_loc loc) {
  assert(t > TC_DT_NONE && t < TC_DT_COUNT);
  tc_node n = {0};
  n.op = TC_OP_CONST;
  n.dtype = t;
  n.num = num;
  n.inum = t == TC_DT_BOOL ? inum != 0 : inum;
  n.arg = -1;
  n.loc = loc;
  return push_node(k, &n);
}

int tc_graph_arg(tc_kernel *k, tc_arena *ar, const char *name, tc_role role,
                 tc_dtype t, int rank, const tc_ext *const *shape, tc_loc loc,
                 tc_diag *d) {
  assert(role == TC_ROLE_INPUT || role == TC_ROLE_WEIGHT);
  assert(t > TC_DT_NONE && t < TC_DT_COUNT);
  assert(rank >= 0);
  for (int i = 0; i < k->args.len; i++)
    assert(strcmp(k->args.data[i].name, name) != 0 && "duplicate argument");
  const char *what = role == TC_ROLE_INPUT ? "input" : "weight";
  if (t == TC_DT_BOOL)
    return tc_diag_at(d, loc, "%s %s: bool is not an argument dtype", what,
                      name);
  if (rank > TC_MAX_RANK)
    return tc_diag_at(d, loc, "%s %s: rank %d exceeds the maximum of %d", what,
                      name, rank, TC_MAX_RANK);
  for (int i = 0; i < rank; i++) {
    int64_t v;
    if (tc_ext_is_const(shape[i], &v) && v < 0)
      return tc_diag_at(d, loc, "%s %s: extent %" PRId64
                        " at axis %d is negative", what, name, v, i);
    if (role == TC_ROLE_WEIGHT && !tc_ext_is_const(shape[i], NULL)) {
      tc_buf b = {0};
      tc_diag_at(d, loc, "weight shapes must be integers: %s has extent %s at "
                 "axis %d (weights are handed over before any dim is known)",
                 name, ext_text(&b, k, shape[i]), i);
      tc_buf_free(&b);
      return -1;
    }
  }
  tc_arg a = {0};
  a.name = tc_arena_strdup(ar, name);
  a.role = role;
  a.dtype = t;
  a.rank = rank;
  a.shape = copy_shape(ar, rank, shape);
  a.node = k->nodes.len;
  a.loc = loc;
  TC_VEC_PUSH(k->args, a);
  tc_node n = {0};
  n.op = role == TC_ROLE_INPUT ? TC_OP_INPUT : TC_OP_WEIGHT;
  n.dtype = t;
  n.rank = rank;
  n.shape = a.shape;
  n.arg = k->args.len - 1;
  n.loc = loc;
  return push_node(k, &n);
}

int tc_graph_output(tc_kernel *k, tc_arena *ar, const char *name, int node,
                    tc_loc loc, tc_diag *d) {
  const tc_node *x = node_at(k, node);
  for (int i = 0; i < k->args.len; i++)
    assert(strcmp(k->args.data[i].name, name) != 0 && "duplicate argument");
  if (x->dtype == TC_DT_BOOL)
    return tc_diag_at(d, loc, "output %s: cast a bool result before output "
                      "(bool is not an argument dtype)", name);
  if (x->op == TC_OP_CSR)
    return tc_diag_at(d, loc, "output %s: %s is a csr matrix, which cannot be "
                      "an output (only spmm reads it)", name,
                      k->args.data[x->arg].name);
  tc_arg a = {0};
  a.name = tc_arena_strdup(ar, name);
  a.role = TC_ROLE_OUTPUT;
  a.dtype = x->dtype;
  a.rank = x->rank;
  a.shape = x->shape;
  a.node = node;
  a.loc = loc;
  TC_VEC_PUSH(k->args, a);
  return k->args.len - 1;
}

/* ---- elementwise and casts -------------------------------------------- */

int tc_graph_cast(tc_kernel *k, tc_arena *ar, int x, tc_dtype t, tc_loc loc,
                  tc_diag *d) {
  assert(t > TC_DT_NONE && t < TC_DT_COUNT);
  if (reject_csr(k, "cast", 1, &x, loc, d) < 0)
    return -1;
  const tc_node *xn = node_at(k, x);
  if (xn->dtype == t)
    return x;
  tc_node n = {0};
  n.op = TC_OP_CAST;
  n.dtype = t;
  n.rank = xn->rank;
  n.shape = xn->shape;
  n.nin = 1;
  n.in = copy_ids(ar, 1, &x);
  n.arg = -1;
  n.loc = loc;
  return push_node(k, &n);
}

int tc_graph_elementwise(tc_kernel *k, tc_arena *ar, tc_op op, int nin,
                         const int *in, double num, tc_loc loc, tc_diag *d) {
  assert(tc_op_is_elementwise(op) && op != TC_OP_CAST);
  assert(nin == tc_op_arity(op) && nin <= 3);
  const tc_ext *shape[TC_MAX_RANK];
  int rank;
  if (reject_csr(k, tc_op_name(op), nin, in, loc, d) < 0)
    return -1;
  if (broadcast(k, tc_op_name(op), nin, in, shape, &rank, loc, d) < 0)
    return -1;
  tc_dtype have[3], want[3];
  for (int i = 0; i < nin; i++)
    have[i] = node_at(k, in[i])->dtype;
  tc_dtype t = tc_elementwise_dtypes(op, nin, have, want);
  int ids[3];
  for (int i = 0; i < nin; i++)
    ids[i] = tc_graph_cast(k, ar, in[i], want[i], loc, d);
  tc_node n = {0};
  n.op = op;
  n.dtype = t;
  n.rank = rank;
  n.shape = copy_shape(ar, rank, shape);
  n.nin = nin;
  n.in = copy_ids(ar, nin, ids);
  n.num = num;
  n.arg = -1;
  n.loc = loc;
  return push_node(k, &n);
}

/* ---- reductions ----------------------------------------------------------- */

int tc_graph_reduce(tc_kernel *k, tc_arena *ar, tc_op op, int x, int nax,
                    const int64_t *axes, int keepdim, tc_loc loc, tc_diag *d) {
  assert(tc_op_class_of(op) == TC_OPC_REDUCE);
  const char *what = tc_op_name(op);
  int rank = node_at(k, x)->rank;
  int arg = op == TC_OP_ARGMAX || op == TC_OP_ARGMIN;
  int red[TC_MAX_RANK] = {0}; /* red[a]: axis a is reduced */
  int64_t list[TC_MAX_RANK];
  int nlist = 0;
  if (reject_csr(k, what, 1, &x, loc, d) < 0)
    return -1;
  if (arg && nax != 1)
    return tc_diag_at(d, loc, "%s: takes exactly one axis, got %s", what,
                      nax < 0 ? "all axes" : nax == 0 ? "none" : "several");
  if (nax < 0) {
    for (int a = 0; a < rank; a++)
      red[a] = 1;
  } else {
    for (int i = 0; i < nax; i++) {
      int a;
      if (norm_axis(what, axes[i], rank, &a, loc, d) < 0)
        return -1;
      if (red[a])
        return tc_diag_at(d, loc, "%s: axis %" PRId64 " is given twice", what,
                          axes[i]);
      red[a] = 1;
    }
  }
  const tc_ext *shape[TC_MAX_RANK];
  int orank = 0;
  for (int a = 0; a < rank; a++) {
    if (red[a])
      list[nlist++] = a;
    if (!red[a])
      shape[orank++] = node_at(k, x)->shape[a];
    else if (keepdim)
      shape[orank++] = tc_ext_const(ar, 1);
  }
  tc_dtype t = node_at(k, x)->dtype;
  int is_int = !tc_dtype_is_float(t);
  if ((op == TC_OP_SUM || op == TC_OP_PROD) && is_int)
    t = TC_DT_I64;
  else if (op == TC_OP_MEAN && is_int)
    t = TC_DT_F32;
  x = tc_graph_cast(k, ar, x, t, loc, d);
  tc_node n = {0};
  n.op = op;
  n.dtype = arg ? TC_DT_I64 : t;
  n.rank = orank;
  n.shape = copy_shape(ar, orank, shape);
  n.nin = 1;
  n.in = copy_ids(ar, 1, &x);
  n.nints = nlist;
  n.ints = copy_ints(ar, nlist, list);
  n.keepdim = keepdim != 0;
  n.arg = -1;
  n.loc = loc;
  return push_node(k, &n);
}

/* ---- other ops ------------------------------------------------------------ */

/* A node like `n` (op, attributes) with inputs ids and the given shape. */
static int finish(tc_kernel *k, tc_arena *ar, tc_node *n, int nin,
                  const int *ids, int rank, const tc_ext *const *shape,
                  tc_loc loc) {
  n->nin = nin;
  n->in = copy_ids(ar, nin, ids);
  n->rank = rank;
  n->shape = copy_shape(ar, rank, shape);
  n->arg = -1;
  n->loc = loc;
  return push_node(k, n);
}

static int make_softmax(tc_kernel *k, tc_arena *ar, const tc_node *p,
                        tc_loc loc, tc_diag *d) {
  assert(p->nin == 1);
  int x = p->in[0], axis;
  const tc_node *xn = node_at(k, x);
  if (norm_axis(tc_op_name(p->op), p->axis, xn->rank, &axis, loc, d) < 0)
    return -1;
  promote_ids(k, ar, 1, &x, 1, loc, d);
  xn = node_at(k, x);
  tc_node n = {0};
  n.op = p->op;
  n.dtype = xn->dtype;
  n.axis = axis;
  return finish(k, ar, &n, 1, &x, xn->rank, xn->shape, loc);
}

/* The affine parameter `pid` (gamma, beta, mean, var) of a normalization
   must have the extents ext[0..n-1]. */
static int check_param(tc_kernel *k, const char *what, const char *pname,
                       int pid, int n, const tc_ext *const *ext, tc_loc loc,
                       tc_diag *d) {
  const tc_node *pn = node_at(k, pid);
  int ok = pn->rank == n;
  for (int i = 0; ok && i < n; i++) {
    const tc_ext *u;
    ok = unify(k, pn->shape[i], ext[i], &u, loc) == 0;
  }
  if (ok)
    return 0;
  tc_buf b1 = {0}, b2 = {0};
  tc_diag_at(d, loc, "%s: %s must have shape %s, got %s", what, pname,
             shape_text(&b1, k, n, ext), node_shape_text(&b2, k, pid));
  tc_buf_free(&b1);
  tc_buf_free(&b2);
  return -1;
}

static int make_norm(tc_kernel *k, tc_arena *ar, const tc_node *p, tc_loc loc,
                     tc_diag *d) {
  const char *what = tc_op_name(p->op);
  int ids[5], nids = p->nin;
  assert(p->nin >= 1 && p->nin <= 5);
  memcpy(ids, p->in, (size_t)p->nin * sizeof *ids);
  const tc_node *xn = node_at(k, ids[0]);
  int rank = xn->rank;
  int64_t ints[3];
  int nints = p->nints;
  memcpy(ints, p->ints, (size_t)nints * sizeof *ints);
  if (p->op == TC_OP_LAYER_NORM) {
    assert(nints == 3 && nids == 1 + (ints[1] != 0) + (ints[2] != 0));
    int64_t nax = ints[0];
    if (nax < 1 || nax > rank)
      return tc_diag_at(d, loc, "layer_norm: cannot normalize the last %" PRId64
                        " axes of a tensor of rank %d", nax, rank);
    static const char *const names[] = {"gamma", "beta"};
    int pi = 1;
    for (int j = 0; j < 2; j++)
      if (ints[1 + j] &&
          check_param(k, what, names[j], ids[pi++], (int)nax,
                      xn->shape + rank - nax, loc, d) < 0)
        return -1;
  } else if (p->op == TC_OP_RMS_NORM) {
    assert(nints == 1 && nids == 1 + (ints[0] != 0));
    if (rank < 1)
      return tc_diag_at(d, loc, "rms_norm: x must have rank >= 1, got 0");
    if (ints[0] &&
        check_param(k, what, "gamma", ids[1], 1, xn->shape + rank - 1, loc,
                    d) < 0)
      return -1;
  } else {
    assert(p->op == TC_OP_BATCH_NORM);
    assert(nints == 2 && nids == 3 + (ints[0] != 0) + (ints[1] != 0));
    if (rank < 2)
      return tc_diag_at(d, loc, "batch_norm: x must have rank >= 2 (channels "
                        "at axis 1), got %d", rank);
    const char *names[4] = {"mean", "var", "gamma", "beta"};
    int pi = 1;
    for (int j = 0; j < 4; j++) {
      if (j >= 2 && !ints[j - 2])
        continue;
      if (check_param(k, what, names[j], ids[pi++], 1, xn->shape + 1, loc,
                      d) < 0)
        return -1;
    }
  }
  tc_dtype t = promote_ids(k, ar, nids, ids, 1, loc, d);
  const tc_node *x = node_at(k, ids[0]);
  tc_node n = {0};
  n.op = p->op;
  n.dtype = t;
  n.num = p->num;
  n.nints = nints;
  n.ints = copy_ints(ar, nints, ints);
  return finish(k, ar, &n, nids, ids, x->rank, x->shape, loc);
}

static const tc_ext *product(tc_arena *ar, int n, const tc_ext *const *e) {
  const tc_ext *p = tc_ext_const(ar, 1);
  for (int i = 0; i < n; i++)
    p = tc_ext_binary(ar, TC_EXT_MUL, p, e[i]);
  return p;
}

static int make_reshape(tc_kernel *k, tc_arena *ar, const tc_node *p,
                        tc_loc loc, tc_diag *d) {
  assert(p->nin == 1);
  int x = p->in[0];
  const tc_node *xn = node_at(k, x);
  int rank = p->rank, infer = -1;
  const tc_ext *shape[TC_MAX_RANK];
  if (check_rank("reshape", rank, loc, d) < 0)
    return -1;
  tc_buf b1 = {0}, b2 = {0};
  for (int i = 0; i < rank; i++) {
    int64_t v;
    shape[i] = p->shape[i];
    if (!shape[i]) {
      if (infer >= 0)
        return tc_diag_at(d, loc, "reshape: only one extent may be -1");
      infer = i;
    } else if (tc_ext_is_const(shape[i], &v) && v < 0) {
      return tc_diag_at(d, loc, "reshape: extent %" PRId64 " at position %d is "
                        "negative (only -1 is allowed)", v, i);
    }
  }
  const tc_ext *total = product(ar, xn->rank, xn->shape);
  int64_t tv, pv;
  if (infer >= 0) {
    const tc_ext *known = tc_ext_const(ar, 1);
    for (int i = 0; i < rank; i++)
      if (i != infer)
        known = tc_ext_binary(ar, TC_EXT_MUL, known, shape[i]);
    if (tc_ext_is_const(known, &pv) && pv == 0) {
      tc_diag_at(d, loc, "reshape: cannot infer the -1 extent of %s from a "
                 "tensor of shape %s: the other extents have product 0",
                 shape_text(&b1, k, rank, shape),
                 node_shape_text(&b2, k, x));
      goto fail;
    }
    if (tc_ext_is_const(known, &pv) && tc_ext_is_const(total, &tv) &&
        tv % pv != 0) {
      tc_diag_at(d, loc, "reshape: cannot reshape a tensor of shape %s (%" PRId64
                 " elements) into %s", node_shape_text(&b2, k, x), tv,
                 shape_text(&b1, k, rank, shape));
      goto fail;
    }
    shape[infer] = tc_ext_binary(ar, TC_EXT_FLOORDIV, total, known);
    if (!tc_ext_equal(tc_ext_binary(ar, TC_EXT_MUL, shape[infer], known),
                      total))
      add_check(k, TC_CHECK_DIVISIBLE, total, known, loc);
  } else {
    const tc_ext *ntotal = product(ar, rank, shape);
    const tc_ext *u;
    if (unify(k, total, ntotal, &u, loc) < 0) {
      tc_diag_at(d, loc, "reshape: cannot reshape a tensor of shape %s into "
                 "%s: the element counts differ",
                 node_shape_text(&b2, k, x), shape_text(&b1, k, rank, shape));
      goto fail;
    }
  }
  tc_node n = {0};
  n.op = TC_OP_RESHAPE;
  n.dtype = node_at(k, x)->dtype;
  return finish(k, ar, &n, 1, &x, rank, shape, loc);
fail:
  tc_buf_free(&b1);
  tc_buf_free(&b2);
  return -1;
}

static int make_permute(tc_kernel *k, tc_arena *ar, const tc_node *p,
                        tc_loc loc, tc_diag *d) {
  assert(p->nin == 1);
  int x = p->in[0];
  const tc_node *xn = node_at(k, x);
  int rank = xn->rank;
  if (p->nints != rank)
    return tc_diag_at(d, loc, "permute: expected %d axes for a tensor of "
                      "rank %d, got %d", rank, rank, p->nints);
  int64_t perm[TC_MAX_RANK];
  int seen[TC_MAX_RANK] = {0};
  const tc_ext *shape[TC_MAX_RANK];
  for (int i = 0; i < rank; i++) {
    int a;
    if (norm_axis("permute", p->ints[i], rank, &a, loc, d) < 0)
      return -1;
    if (seen[a]++)
      return tc_diag_at(d, loc, "permute: axis %d appears twice", a);
    perm[i] = a;
    shape[i] = xn->shape[a];
  }
  tc_node n = {0};
  n.op = TC_OP_PERMUTE;
  n.dtype = xn->dtype;
  n.nints = rank;
  n.ints = copy_ints(ar, rank, perm);
  return finish(k, ar, &n, 1, &x, rank, shape, loc);
}

static int make_expand(tc_kernel *k, tc_arena *ar, const tc_node *p,
                       tc_loc loc, tc_diag *d) {
  assert(p->nin == 1);
  int x = p->in[0];
  const tc_node *xn = node_at(k, x);
  int rank = p->rank, off = p->rank - xn->rank;
  const tc_ext *shape[TC_MAX_RANK];
  if (check_rank("expand", rank, loc, d) < 0)
    return -1;
  if (off < 0) {
    tc_buf b = {0};
    tc_diag_at(d, loc, "expand: cannot expand a tensor of shape %s to rank %d",
               node_shape_text(&b, k, x), rank);
    tc_buf_free(&b);
    return -1;
  }
  for (int i = 0; i < rank; i++) {
    const tc_ext *e = p->shape[i];
    int64_t v;
    if (!e) {
      if (i < off)
        return tc_diag_at(d, loc, "expand: -1 is not allowed for the new "
                          "leading axis %d", i);
      shape[i] = xn->shape[i - off];
      continue;
    }
    if (tc_ext_is_const(e, &v) && v < 0)
      return tc_diag_at(d, loc, "expand: extent %" PRId64 " at position %d is "
                        "negative", v, i);
    shape[i] = e;
    if (i >= off && !is_one(xn->shape[i - off]) &&
        unify(k, xn->shape[i - off], e, &shape[i], loc) < 0) {
      tc_buf b1 = {0}, b2 = {0};
      tc_diag_at(d, loc, "expand: cannot expand a tensor of shape %s to %s: "
                 "axis %d is neither equal nor 1", node_shape_text(&b1, k, x),
                 shape_text(&b2, k, rank, p->shape), i - off);
      tc_buf_free(&b1);
      tc_buf_free(&b2);
      return -1;
    }
  }
  tc_node n = {0};
  n.op = TC_OP_EXPAND;
  n.dtype = xn->dtype;
  return finish(k, ar, &n, 1, &x, rank, shape, loc);
}

/* One bound of a slice, Python's way: a non-negative bound b is min(b, L);
   a negative one, given by its magnitude m, is max(L - m, 0). */
static const tc_ext *slice_bound(tc_arena *ar, const tc_ext *b, int negative,
                                 const tc_ext *L) {
  if (negative)
    return tc_ext_binary(ar, TC_EXT_MAX, tc_ext_binary(ar, TC_EXT_SUB, L, b),
                         tc_ext_const(ar, 0));
  return tc_ext_binary(ar, TC_EXT_MIN, b, L);
}

static int make_slice(tc_kernel *k, tc_arena *ar, const tc_node *p,
                      tc_loc loc, tc_diag *d) {
  assert(p->nin == 1 && (p->nints == 1 || p->nints == 3) && p->exts);
  int x = p->in[0], axis;
  const tc_node *xn = node_at(k, x);
  if (norm_axis("slice", p->axis, xn->rank, &axis, loc, d) < 0)
    return -1;
  int64_t step = p->ints[0];
  int start_neg = p->nints == 3 && p->ints[1];
  int stop_neg = p->nints == 3 && p->ints[2];
  if (step < 1)
    return tc_diag_at(d, loc, "slice: step must be >= 1, got %" PRId64, step);
  const tc_ext *L = xn->shape[axis], *zero = tc_ext_const(ar, 0);
  for (int i = 0; i < 2; i++) {
    int64_t v;
    if (p->exts[i] && tc_ext_is_const(p->exts[i], &v) && v < 0)
      return tc_diag_at(d, loc, "slice: %s bound is given as %" PRId64
                        " with the negative flag unset (a bug in the caller)",
                        i ? "stop" : "start", v);
  }
  const tc_ext *start =
      p->exts[0] ? slice_bound(ar, p->exts[0], start_neg, L) : zero;
  const tc_ext *stop = p->exts[1] ? slice_bound(ar, p->exts[1], stop_neg, L) : L;
  /* count = max(stop - start - 1, -1) // step + 1: 0 when stop <= start,
     else ceil((stop - start) / step). Written so that no term overflows
     for any step (the textbook (stop - start + step - 1) // step does when
     step is near INT64_MAX). */
  const tc_ext *len = tc_ext_binary(ar, TC_EXT_SUB, stop, start);
  if (step == 1) {
    len = tc_ext_binary(ar, TC_EXT_MAX, len, zero); /* the simplest form */
  } else {
    len = tc_ext_binary(ar, TC_EXT_SUB, len, tc_ext_const(ar, 1));
    len = tc_ext_binary(ar, TC_EXT_MAX, len, tc_ext_const(ar, -1));
    len = tc_ext_binary(ar, TC_EXT_FLOORDIV, len, tc_ext_const(ar, step));
    len = tc_ext_binary(ar, TC_EXT_ADD, len, tc_ext_const(ar, 1));
  }
  const tc_ext *shape[TC_MAX_RANK];
  for (int i = 0; i < xn->rank; i++)
    shape[i] = i == axis ? len : xn->shape[i];
  const tc_ext **exts = tc_arena_alloc(ar, sizeof *exts);
  exts[0] = start;
  tc_node n = {0};
  n.op = TC_OP_SLICE;
  n.dtype = xn->dtype;
  n.axis = axis;
  n.exts = exts;
  n.nints = 1;
  n.ints = copy_ints(ar, 1, &step);
  return finish(k, ar, &n, 1, &x, xn->rank, shape, loc);
}

static int make_concat(tc_kernel *k, tc_arena *ar, const tc_node *p,
                       tc_loc loc, tc_diag *d) {
  int nin = p->nin;
  if (nin < 1)
    return tc_diag_at(d, loc, "concat: needs at least one tensor");
  int *ids = tc_xmalloc((size_t)nin * sizeof *ids);
  memcpy(ids, p->in, (size_t)nin * sizeof *ids);
  const tc_node *first = node_at(k, ids[0]);
  int rank = first->rank, axis, ret = -1;
  const tc_ext *shape[TC_MAX_RANK];
  if (rank == 0) {
    tc_diag_at(d, loc, "concat: cannot concatenate scalars (rank 0)");
    goto done;
  }
  if (norm_axis("concat", p->axis, rank, &axis, loc, d) < 0)
    goto done;
  for (int i = 0; i < rank; i++)
    shape[i] = first->shape[i];
  for (int j = 1; j < nin; j++) {
    const tc_node *xj = node_at(k, ids[j]);
    int ok = xj->rank == rank;
    for (int i = 0; ok && i < rank; i++)
      if (i == axis)
        shape[i] = tc_ext_binary(ar, TC_EXT_ADD, shape[i], xj->shape[i]);
      else
        ok = unify(k, shape[i], xj->shape[i], &shape[i], loc) == 0;
    if (!ok) {
      tc_buf b1 = {0}, b2 = {0};
      tc_diag_at(d, loc, "concat: tensor %d has shape %s, which does not match "
                 "%s outside axis %d", j + 1, node_shape_text(&b1, k, ids[j]),
                 node_shape_text(&b2, k, ids[0]), axis);
      tc_buf_free(&b1);
      tc_buf_free(&b2);
      goto done;
    }
  }
  /* bool parts stay bool: concatenation does no arithmetic */
  tc_dtype t = TC_DT_NONE;
  for (int j = 0; j < nin; j++)
    t = tc_dtype_promote(t, node_at(k, ids[j])->dtype);
  for (int j = 0; j < nin; j++)
    ids[j] = tc_graph_cast(k, ar, ids[j], t, loc, d);
  tc_node n = {0};
  n.op = TC_OP_CONCAT;
  n.dtype = t;
  n.axis = axis;
  ret = finish(k, ar, &n, nin, ids, rank, shape, loc);
done:
  free(ids);
  return ret;
}

static int make_pad(tc_kernel *k, tc_arena *ar, const tc_node *p, tc_loc loc,
                    tc_diag *d) {
  assert(p->nin == 1);
  int x = p->in[0];
  const tc_node *xn = node_at(k, x);
  int rank = xn->rank;
  if (p->nints != 2 * rank)
    return tc_diag_at(d, loc, "pad: expected %d pads (a pair for each axis) "
                      "for a tensor of rank %d, got %d", 2 * rank, rank,
                      p->nints);
  const tc_ext *shape[TC_MAX_RANK];
  for (int i = 0; i < rank; i++) {
    int64_t lo = p->ints[2 * i], hi = p->ints[2 * i + 1];
    if (lo < 0 || hi < 0)
      return tc_diag_at(d, loc, "pad: pads must be >= 0, got %" PRId64
                        " for axis %d", lo < 0 ? lo : hi, i);
    shape[i] = tc_ext_binary(ar, TC_EXT_ADD, xn->shape[i],
                             tc_ext_const(ar, lo + hi));
  }
  tc_node n = {0};
  n.op = TC_OP_PAD;
  n.dtype = xn->dtype;
  n.nints = p->nints;
  n.ints = copy_ints(ar, p->nints, p->ints);
  tc_value_convert(TC_DT_F64, p->num, 0, n.dtype, &n.num, &n.inum);
  return finish(k, ar, &n, 1, &x, rank, shape, loc);
}

static int make_matmul(tc_kernel *k, tc_arena *ar, const tc_node *p,
                       tc_loc loc, tc_diag *d) {
  assert(p->nin == 2);
  int ids[2] = {p->in[0], p->in[1]};
  const tc_node *a = node_at(k, ids[0]), *b = node_at(k, ids[1]);
  tc_buf b1 = {0}, b2 = {0};
  for (int i = 0; i < 2; i++)
    if (node_at(k, ids[i])->rank < 2)
      return tc_diag_at(d, loc, "matmul: %s must have rank >= 2, got %d",
                        i ? "b" : "a", node_at(k, ids[i])->rank);
  const tc_ext *inner;
  if (unify(k, a->shape[a->rank - 1], b->shape[b->rank - 2], &inner, loc) <
      0) {
    tc_diag_at(d, loc, "matmul: inner dimensions differ: a is %s, b is %s",
               node_shape_text(&b1, k, ids[0]),
               node_shape_text(&b2, k, ids[1]));
    goto fail;
  }
  /* batch dims: broadcast the leading rank-2 axes */
  const tc_ext *shape[TC_MAX_RANK];
  int ra = a->rank - 2, rb = b->rank - 2, rank = ra > rb ? ra : rb;
  for (int j = 0; j < rank; j++) {
    const tc_ext *ea = j < ra ? a->shape[ra - 1 - j] : NULL;
    const tc_ext *eb = j < rb ? b->shape[rb - 1 - j] : NULL;
    const tc_ext *e = ea ? ea : eb;
    if (ea && eb && !is_one(eb)) {
      if (is_one(ea))
        e = eb;
      else if (unify(k, ea, eb, &e, loc) < 0) {
        tc_diag_at(d, loc, "matmul: batch dimensions of a %s and b %s cannot "
                   "be broadcast", node_shape_text(&b1, k, ids[0]),
                   node_shape_text(&b2, k, ids[1]));
        goto fail;
      }
    }
    shape[rank - 1 - j] = e;
  }
  if (check_rank("matmul", rank + 2, loc, d) < 0)
    return -1;
  shape[rank] = a->shape[a->rank - 2];
  shape[rank + 1] = b->shape[b->rank - 1];
  tc_node n = {0};
  n.op = TC_OP_MATMUL;
  n.dtype = promote_ids(k, ar, 2, ids, 0, loc, d);
  return finish(k, ar, &n, 2, ids, rank + 2, shape, loc);
fail:
  tc_buf_free(&b1);
  tc_buf_free(&b2);
  return -1;
}

static int make_linear(tc_kernel *k, tc_arena *ar, const tc_node *p,
                       tc_loc loc, tc_diag *d) {
  assert(p->nints == 1 && p->nin == 2 + (p->ints[0] != 0));
  int ids[3], nin = p->nin;
  memcpy(ids, p->in, (size_t)nin * sizeof *ids);
  const tc_node *x = node_at(k, ids[0]), *w = node_at(k, ids[1]);
  tc_buf b1 = {0}, b2 = {0};
  const tc_ext *u;
  if (x->rank < 1)
    return tc_diag_at(d, loc, "linear: x must have rank >= 1, got 0");
  if (w->rank != 2) {
    tc_diag_at(d, loc, "linear: w must have shape [out, in], got %s",
               node_shape_text(&b1, k, ids[1]));
    goto fail;
  }
  if (unify(k, x->shape[x->rank - 1], w->shape[1], &u, loc) < 0) {
    tc_diag_at(d, loc, "linear: x is %s but w is %s: the last extent of x "
               "must equal w's second", node_shape_text(&b1, k, ids[0]),
               node_shape_text(&b2, k, ids[1]));
    goto fail;
  }
  if (nin == 3) {
    const tc_node *b = node_at(k, ids[2]);
    if (b->rank != 1 || unify(k, b->shape[0], w->shape[0], &u, loc) < 0) {
      tc_diag_at(d, loc, "linear: the bias must have shape [out] with w "
                 "of shape %s, got %s", node_shape_text(&b1, k, ids[1]),
                 node_shape_text(&b2, k, ids[2]));
      goto fail;
    }
  }
  const tc_ext *shape[TC_MAX_RANK];
  for (int i = 0; i < x->rank - 1; i++)
    shape[i] = x->shape[i];
  shape[x->rank - 1] = w->shape[0];
  int rank = x->rank;
  tc_node n = {0};
  n.op = TC_OP_LINEAR;
  n.dtype = promote_ids(k, ar, nin, ids, 0, loc, d);
  n.nints = 1;
  int64_t has_bias = nin == 3;
  n.ints = copy_ints(ar, 1, &has_bias);
  return finish(k, ar, &n, nin, ids, rank, shape, loc);
fail:
  tc_buf_free(&b1);
  tc_buf_free(&b2);
  return -1;
}

static int letter_index(char c) {
  if (c >= 'a' && c <= 'z')
    return c - 'a';
  if (c >= 'A' && c <= 'Z')
    return 26 + c - 'A';
  return -1;
}

static int make_einsum(tc_kernel *k, tc_arena *ar, const tc_node *p,
                       tc_loc loc, tc_diag *d) {
  const char *spec = p->str ? p->str : "";
  int nin = p->nin, ret = -1;
  /* normalize: drop white space */
  char *s = tc_xmalloc(strlen(spec) + 1), *q = s;
  for (const char *c = spec; *c; c++)
    if (*c != ' ' && *c != '\t' && *c != '\n')
      *q++ = *c;
  *q = 0;
  int *ids = tc_xmalloc((size_t)(nin > 0 ? nin : 1) * sizeof *ids);
  memcpy(ids, p->in, (size_t)nin * sizeof *ids);
  const tc_ext *ext[52] = {0};
  int seen_in[52] = {0};
  char *arrow = strstr(s, "->");
  if (!arrow) {
    tc_diag_at(d, loc, "einsum: \"%s\": only the explicit form with '->' is "
               "supported, e.g. \"ij,jk->ik\"", spec);
    goto done;
  }
  *arrow = 0;
  const char *out = arrow + 2;
  int term = 0;
  for (const char *t = s;; term++) {
    const char *end = strchr(t, ',');
    if (!end)
      end = t + strlen(t);
    if (term >= nin) {
      tc_diag_at(d, loc, "einsum: \"%s\" has more operand terms than the %d "
                 "operands given", spec, nin);
      goto done;
    }
    const tc_node *x = node_at(k, ids[term]);
    if (end - t != x->rank) {
      tc_buf b = {0};
      tc_diag_at(d, loc, "einsum: \"%s\": term %d has %d letters but operand "
                 "%d has shape %s", spec, term + 1, (int)(end - t), term + 1,
                 node_shape_text(&b, k, ids[term]));
      tc_buf_free(&b);
      goto done;
    }
    for (int i = 0; i < x->rank; i++) {
      int li = letter_index(t[i]);
      if (li < 0) {
        tc_diag_at(d, loc, "einsum: \"%s\": '%c' is not a letter (a-z, A-Z)",
                   spec, t[i]);
        goto done;
      }
      if (!ext[li]) {
        ext[li] = x->shape[i];
      } else if (unify(k, ext[li], x->shape[i], &ext[li], loc) < 0) {
        tc_buf b1 = {0}, b2 = {0};
        tc_diag_at(d, loc, "einsum: \"%s\": index '%c' has extent %s in one "
                   "place and %s in another", spec, t[i],
                   ext_text(&b1, k, ext[li]), ext_text(&b2, k, x->shape[i]));
        tc_buf_free(&b1);
        tc_buf_free(&b2);
        goto done;
      }
      seen_in[li] = 1;
    }
    if (!*end)
      break;
    t = end + 1;
  }
  if (term + 1 != nin) {
    tc_diag_at(d, loc, "einsum: \"%s\" has %d operand terms but %d operands "
               "are given", spec, term + 1, nin);
    goto done;
  }
  const tc_ext *shape[TC_MAX_RANK];
  int rank = (int)strlen(out), seen_out[52] = {0};
  for (int i = 0; i < rank; i++) {
    int li = letter_index(out[i]);
    if (li < 0) {
      tc_diag_at(d, loc, "einsum: \"%s\": '%c' is not a letter (a-z, A-Z)",
                 spec, out[i]);
      goto done;
    }
    if (!seen_in[li]) {
      tc_diag_at(d, loc, "einsum: \"%s\": output index '%c' appears in no "
                 "operand", spec, out[i]);
      goto done;
    }
    if (seen_out[li]++) {
      tc_diag_at(d, loc, "einsum: \"%s\": output index '%c' appears twice",
                 spec, out[i]);
      goto done;
    }
    if (i < TC_MAX_RANK)
      shape[i] = ext[li];
  }
  if (check_rank("einsum", rank, loc, d) < 0)
    goto done;
  tc_node n = {0};
  n.op = TC_OP_EINSUM;
  n.dtype = promote_ids(k, ar, nin, ids, 0, loc, d);
  *arrow = '-';
  n.str = tc_arena_strdup(ar, s);
  ret = finish(k, ar, &n, nin, ids, rank, shape, loc);
done:
  free(s);
  free(ids);
  return ret;
}

/* ---- convolution and pooling ------------------------------------------- */

/* The output extent of a sliding window over an input extent `in`:
   (in + 2 pad - dil (kext - 1) - 1) // stride + 1.  The window must fit in
   the padded input: an error when that is known to fail, else a run-time
   check that the spanned part is >= 0.  NULL with an error naming `what`
   and `axis_name`. */
static const tc_ext *window_extent(tc_kernel *k, tc_arena *ar, const char *what,
                                   const char *axis_name, const tc_ext *in,
                                   const tc_ext *kext, int64_t stride,
                                   int64_t pad, int64_t dil, tc_loc loc,
                                   tc_diag *d) {
  const tc_ext *one = tc_ext_const(ar, 1);
  const tc_ext *km1 = tc_ext_binary(ar, TC_EXT_SUB, kext, one);
  int64_t kv;
  if (tc_ext_is_const(kext, &kv)) {
    if (kv < 1) {
      tc_diag_at(d, loc, "%s: the kernel's extent along %s must be >= 1, got %"
                 PRId64, what, axis_name, kv);
      return NULL;
    }
  } else {
    /* a kernel of extent 0 has no window: k - 1 >= 0 at run time */
    add_check(k, TC_CHECK_EQ,
              tc_ext_binary(ar, TC_EXT_MAX, km1, tc_ext_const(ar, 0)), km1, loc);
  }
  const tc_ext *span = tc_ext_binary(
      ar, TC_EXT_MUL, tc_ext_const(ar, dil),
      tc_ext_binary(ar, TC_EXT_SUB, kext, one)); /* dil (k - 1) */
  const tc_ext *room = tc_ext_binary(ar, TC_EXT_ADD, in,
                                     tc_ext_const(ar, 2 * pad));
  room = tc_ext_binary(ar, TC_EXT_SUB, room, span);
  room = tc_ext_binary(ar, TC_EXT_SUB, room, one);
  int64_t v;
  if (tc_ext_is_const(room, &v)) {
    if (v < 0) {
      tc_buf b1 = {0}, b2 = {0};
      char dtext[48] = "";
      if (dil != 1)
        snprintf(dtext, sizeof dtext, " (dilation %" PRId64 ")", dil);
      tc_diag_at(d, loc, "%s: the kernel spans %s along %s%s, more than the "
                 "padded input's %s + %" PRId64, what,
                 ext_text(&b1, k, tc_ext_binary(ar, TC_EXT_ADD, span, one)),
                 axis_name, dtext, ext_text(&b2, k, in), 2 * pad);
      tc_buf_free(&b1);
      tc_buf_free(&b2);
      return NULL;
    }
  } else {
    /* evaluating `room` fails when it is negative: see tc_check_kind */
    add_check(k, TC_CHECK_EQ,
              tc_ext_binary(ar, TC_EXT_MAX, room, tc_ext_const(ar, 0)), room,
              loc);
  }
  return tc_ext_binary(
      ar, TC_EXT_ADD,
      tc_ext_binary(ar, TC_EXT_FLOORDIV, room, tc_ext_const(ar, stride)), one);
}

static int make_conv2d(tc_kernel *k, tc_arena *ar, const tc_node *p,
                       tc_loc loc, tc_diag *d) {
  assert(p->nints == 9 && p->nin == 2 + (p->ints[8] != 0));
  int ids[3], nin = p->nin;
  memcpy(ids, p->in, (size_t)nin * sizeof *ids);
  int64_t ints[9];
  memcpy(ints, p->ints, sizeof ints);
  int64_t groups = ints[6];
  int nhwc = ints[7] != 0;
  static const char *const names[] = {"stride", "stride", "padding", "padding",
                                      "dilation", "dilation"};
  for (int i = 0; i < 6; i++) {
    int64_t lo = i >= 2 && i < 4 ? 0 : 1;
    if (ints[i] < lo)
      return tc_diag_at(d, loc, "conv2d: %s must be >= %" PRId64 ", got %"
                        PRId64, names[i], lo, ints[i]);
  }
  if (groups < 1)
    return tc_diag_at(d, loc, "conv2d: groups must be >= 1, got %" PRId64,
                      groups);
  for (int i = 0; i < 7; i++)
    if (ints[i] > INT32_MAX)
      return tc_diag_at(d, loc, "conv2d: %s %" PRId64 " is too large", i < 6
                        ? names[i] : "groups", ints[i]);
  const tc_node *x = node_at(k, ids[0]), *w = node_at(k, ids[1]);
  tc_buf b1 = {0}, b2 = {0};
  int ret = -1;
  if (x->rank != 4) {
    tc_diag_at(d, loc, "conv2d: x must have rank 4 (%s), got shape %s",
               nhwc ? "NHWC" : "NCHW", node_shape_text(&b1, k, ids[0]));
    goto done;
  }
  if (w->rank != 4) {
    tc_diag_at(d, loc, "conv2d: w must have rank 4 (%s), got shape %s",
               nhwc ? "[kh, kw, Cin/groups, Cout] for NHWC"
                    : "[Cout, Cin/groups, kh, kw]",
               node_shape_text(&b1, k, ids[1]));
    goto done;
  }
  const tc_ext *N = x->shape[0];
  const tc_ext *C = x->shape[nhwc ? 3 : 1], *H = x->shape[nhwc ? 1 : 2],
               *W = x->shape[nhwc ? 2 : 3];
  const tc_ext *Cout = w->shape[nhwc ? 3 : 0], *Cg = w->shape[nhwc ? 2 : 1],
               *kh = w->shape[nhwc ? 0 : 2], *kw = w->shape[nhwc ? 1 : 3];
  const tc_ext *G = tc_ext_const(ar, groups), *u;
  int64_t v;
  const tc_ext *const divisible[2] = {C, Cout};
  static const char *const dnames[2] = {"input channels of x",
                                        "output channels of w"};
  for (int i = 0; i < 2; i++) {
    if (groups == 1)
      break;
    if (tc_ext_is_const(divisible[i], &v)) {
      if (v % groups != 0) {
        tc_diag_at(d, loc, "conv2d: groups = %" PRId64 " does not divide the %"
                   PRId64 " %s", groups, v, dnames[i]);
        goto done;
      }
    } else {
      add_check(k, TC_CHECK_DIVISIBLE, divisible[i], G, loc);
    }
  }
  const tc_ext *per_group = tc_ext_binary(ar, TC_EXT_FLOORDIV, C, G);
  if (unify(k, Cg, per_group, &u, loc) < 0) {
    tc_buf b3 = {0}, b4 = {0}, b5 = {0};
    tc_diag_at(d, loc, "conv2d: x %s has %s input channels and groups = %"
               PRId64 ", so w %s needs %s input channels per group at axis "
               "%d, got %s", node_shape_text(&b1, k, ids[0]),
               ext_text(&b2, k, C), groups, node_shape_text(&b3, k, ids[1]),
               ext_text(&b4, k, per_group), nhwc ? 2 : 1,
               ext_text(&b5, k, Cg));
    tc_buf_free(&b3);
    tc_buf_free(&b4);
    tc_buf_free(&b5);
    goto done;
  }
  if (nin == 3) {
    const tc_node *b = node_at(k, ids[2]);
    if (b->rank != 1 || unify(k, b->shape[0], Cout, &u, loc) < 0) {
      tc_buf_free(&b1);
      tc_diag_at(d, loc, "conv2d: the bias must have shape [%s] (the output "
                 "channels), got %s", ext_text(&b1, k, Cout),
                 node_shape_text(&b2, k, ids[2]));
      goto done;
    }
  }
  const tc_ext *Ho = window_extent(k, ar, "conv2d", "the height", H, kh,
                                   ints[0], ints[2], ints[4], loc, d);
  if (!Ho)
    goto done;
  const tc_ext *Wo = window_extent(k, ar, "conv2d", "the width", W, kw,
                                   ints[1], ints[3], ints[5], loc, d);
  if (!Wo)
    goto done;
  const tc_ext *shape[4] = {N, nhwc ? Ho : Cout, nhwc ? Wo : Ho,
                            nhwc ? Cout : Wo};
  tc_node n = {0};
  n.op = TC_OP_CONV2D;
  n.dtype = promote_ids(k, ar, nin, ids, 0, loc, d);
  n.nints = 9;
  ints[8] = nin == 3;
  n.ints = copy_ints(ar, 9, ints);
  ret = finish(k, ar, &n, nin, ids, 4, shape, loc);
done:
  tc_buf_free(&b1);
  tc_buf_free(&b2);
  return ret;
}

static int make_pool(tc_kernel *k, tc_arena *ar, const tc_node *p, tc_loc loc,
                     tc_diag *d) {
  const char *what = tc_op_name(p->op);
  assert(p->nin == 1 && p->nints == 6);
  int x = p->in[0];
  int64_t ints[6];
  memcpy(ints, p->ints, sizeof ints);
  for (int i = 0; i < 4; i++)
    if (ints[i] < 1 || ints[i] > INT32_MAX)
      return tc_diag_at(d, loc, "%s: the %s must be >= 1 and < 2^31, got %"
                        PRId64, what, i < 2 ? "kernel size" : "stride",
                        ints[i]);
  for (int i = 4; i < 6; i++) {
    if (ints[i] < 0)
      return tc_diag_at(d, loc, "%s: padding must be >= 0, got %" PRId64,
                        what, ints[i]);
    if (ints[i] > ints[i - 4] / 2)
      return tc_diag_at(d, loc, "%s: padding %" PRId64 " is more than half "
                        "the kernel size %" PRId64 " (as PyTorch requires)",
                        what, ints[i], ints[i - 4]);
  }
  const tc_node *xn = node_at(k, x);
  if (xn->rank != 4) {
    tc_buf b = {0};
    tc_diag_at(d, loc, "%s: x must have rank 4 (NCHW), got shape %s", what,
               node_shape_text(&b, k, x));
    tc_buf_free(&b);
    return -1;
  }
  const tc_ext *N = xn->shape[0], *C = xn->shape[1], *H = xn->shape[2],
               *W = xn->shape[3];
  const tc_ext *Ho = window_extent(k, ar, what, "the height", H,
                                   tc_ext_const(ar, ints[0]), ints[2],
                                   ints[4], 1, loc, d);
  if (!Ho)
    return -1;
  const tc_ext *Wo = window_extent(k, ar, what, "the width", W,
                                   tc_ext_const(ar, ints[1]), ints[3],
                                   ints[5], 1, loc, d);
  if (!Wo)
    return -1;
  tc_dtype t = xn->dtype;
  if (p->op == TC_OP_AVG_POOL2D && !tc_dtype_is_float(t))
    t = TC_DT_F32;
  else if (t == TC_DT_BOOL)
    t = TC_DT_I64;
  x = tc_graph_cast(k, ar, x, t, loc, d);
  const tc_ext *shape[4] = {N, C, Ho, Wo};
  tc_node n = {0};
  n.op = p->op;
  n.dtype = t;
  n.nints = 6;
  n.ints = copy_ints(ar, 6, ints);
  return finish(k, ar, &n, 1, &x, 4, shape, loc);
}

/* ---- sparse and indexing ------------------------------------------------- */

static int is_reduce_kind(int64_t r) {
  return r == TC_OP_SUM || r == TC_OP_MEAN || r == TC_OP_MAX ||
         r == TC_OP_MIN;
}

int tc_graph_csr(tc_kernel *k, tc_arena *ar, const char *name, tc_dtype t,
                 tc_dtype index, int has_values, const tc_ext *rows,
                 const tc_ext *cols, tc_loc loc, tc_diag *d) {
  assert(t > TC_DT_NONE && t < TC_DT_COUNT);
  for (int i = 0; i < k->args.len; i++)
    assert(strcmp(k->args.data[i].name, name) != 0 && "duplicate argument");
  if (t == TC_DT_BOOL)
    return tc_diag_at(d, loc, "csr %s: bool is not an argument dtype", name);
  if (index != TC_DT_I32 && index != TC_DT_I64)
    return tc_diag_at(d, loc, "csr %s: the index dtype must be i32 or i64, "
                      "got %s", name, tc_dtype_name(index));
  const tc_ext *shape[2] = {rows, cols};
  for (int i = 0; i < 2; i++) {
    int64_t v;
    if (tc_ext_is_const(shape[i], &v) && v < 0)
      return tc_diag_at(d, loc, "csr %s: extent %" PRId64 " at axis %d is "
                        "negative", name, v, i);
  }
  tc_arg a = {0};
  a.name = tc_arena_strdup(ar, name);
  a.role = TC_ROLE_INPUT;
  a.dtype = t;
  a.rank = 2;
  a.shape = copy_shape(ar, 2, shape);
  a.node = k->nodes.len;
  a.loc = loc;
  a.csr = 1;
  a.index_dtype = index;
  a.has_values = has_values != 0;
  a.rowptr_len = tc_ext_binary(ar, TC_EXT_ADD, rows, tc_ext_const(ar, 1));
  TC_VEC_PUSH(k->args, a);
  tc_node n = {0};
  n.op = TC_OP_CSR;
  n.dtype = t;
  n.rank = 2;
  n.shape = a.shape;
  n.arg = k->args.len - 1;
  n.loc = loc;
  return push_node(k, &n);
}

int tc_graph_literal(tc_kernel *k, tc_arena *ar, tc_dtype t, int n,
                     const double *v, tc_loc loc, tc_diag *d) {
  assert(t > TC_DT_NONE && t < TC_DT_COUNT && n >= 0);
  if (t == TC_DT_BOOL)
    return tc_diag_at(d, loc, "a constant tensor cannot be bool");
  tc_node nd = {0};
  nd.op = TC_OP_LITERAL;
  nd.dtype = t;
  const tc_ext *len = tc_ext_const(ar, n);
  nd.rank = 1;
  nd.shape = copy_shape(ar, 1, &len);
  if (tc_dtype_is_float(t)) {
    double *vals = tc_arena_alloc(ar, (size_t)(n ? n : 1) * sizeof *vals);
    for (int i = 0; i < n; i++) {
      int64_t dummy;
      tc_value_convert(TC_DT_F64, v[i], 0, t, &vals[i], &dummy);
    }
    nd.vals = vals;
  } else {
    int64_t *ints = tc_arena_alloc(ar, (size_t)(n ? n : 1) * sizeof *ints);
    for (int i = 0; i < n; i++) {
      double dummy;
      tc_value_convert(TC_DT_F64, v[i], 0, t, &dummy, &ints[i]);
    }
    nd.ints = ints;
    nd.nints = n;
  }
  nd.arg = -1;
  nd.loc = loc;
  return push_node(k, &nd);
}

static int make_spmm(tc_kernel *k, tc_arena *ar, const tc_node *p, tc_loc loc,
                     tc_diag *d) {
  assert(p->nin == 2 && p->nints == 1);
  int a = p->in[0], x = p->in[1];
  int64_t red = p->ints[0];
  if (!is_reduce_kind(red))
    return tc_diag_at(d, loc, "spmm: reduce must be \"sum\", \"mean\", \"max\" "
                      "or \"min\"");
  const tc_node *an = node_at(k, a), *xn = node_at(k, x);
  if (an->op != TC_OP_CSR)
    return tc_diag_at(d, loc, "spmm: a must be a csr argument (declared with "
                      "csr(name, dtype, shape))");
  if (reject_csr(k, "spmm", 1, &x, loc, d) < 0)
    return -1;
  tc_buf b1 = {0}, b2 = {0};
  const tc_ext *u;
  if (xn->rank != 2 || unify(k, an->shape[1], xn->shape[0], &u, loc) < 0) {
    tc_buf b3 = {0};
    tc_diag_at(d, loc, "spmm: a is %s, so x must have shape [%s, F], got %s",
               node_shape_text(&b1, k, a), ext_text(&b2, k, an->shape[1]),
               node_shape_text(&b3, k, x));
    tc_buf_free(&b1);
    tc_buf_free(&b2);
    tc_buf_free(&b3);
    return -1;
  }
  tc_dtype t = tc_dtype_promote(an->dtype, xn->dtype);
  if (red == TC_OP_MEAN && !tc_dtype_is_float(t))
    t = TC_DT_F32;
  else if (t == TC_DT_BOOL)
    t = TC_DT_I64;
  const tc_ext *shape[2] = {an->shape[0], xn->shape[1]};
  x = tc_graph_cast(k, ar, x, t, loc, d);
  int ids[2] = {a, x};
  tc_node n = {0};
  n.op = TC_OP_SPMM;
  n.dtype = t;
  n.nints = 1;
  n.ints = copy_ints(ar, 1, &red);
  return finish(k, ar, &n, 2, ids, 2, shape, loc);
}

/* The index operand of gather, index_select and scatter: i32 or i64. */
static int check_index(tc_kernel *k, const char *what, int id, tc_loc loc,
                       tc_diag *d) {
  tc_dtype t = node_at(k, id)->dtype;
  if (t != TC_DT_I32 && t != TC_DT_I64)
    return tc_diag_at(d, loc, "%s: index must be i32 or i64, got %s (cast it)",
                      what, tc_dtype_name(t));
  return 0;
}

static int make_gather(tc_kernel *k, tc_arena *ar, const tc_node *p,
                       tc_loc loc, tc_diag *d) {
  const char *what = tc_op_name(p->op);
  assert(p->nin == 2);
  int x = p->in[0], idx = p->in[1], axis;
  const tc_node *xn = node_at(k, x), *in = node_at(k, idx);
  tc_buf b1 = {0}, b2 = {0};
  int ret = -1;
  if (check_index(k, what, idx, loc, d) < 0)
    return -1;
  if (xn->rank < 1)
    return tc_diag_at(d, loc, "%s: x must have rank >= 1, got a scalar", what);
  if (norm_axis(what, p->axis, xn->rank, &axis, loc, d) < 0)
    return -1;
  const tc_ext *shape[TC_MAX_RANK];
  int rank = xn->rank;
  if (p->op == TC_OP_INDEX_SELECT) {
    if (in->rank != 1) {
      tc_diag_at(d, loc, "index_select: index must have rank 1, got shape %s",
                 node_shape_text(&b1, k, idx));
      goto done;
    }
    for (int i = 0; i < rank; i++)
      shape[i] = i == axis ? in->shape[0] : xn->shape[i];
  } else {
    if (in->rank != rank) {
      tc_diag_at(d, loc, "gather: index must have the rank of x (%s), got "
                 "shape %s", node_shape_text(&b1, k, x),
                 node_shape_text(&b2, k, idx));
      goto done;
    }
    for (int i = 0; i < rank; i++) {
      int64_t vi, vx;
      shape[i] = in->shape[i];
      if (i == axis)
        continue;
      int ok = tc_ext_is_const(in->shape[i], &vi) &&
                       tc_ext_is_const(xn->shape[i], &vx)
                   ? vi <= vx
                   : unify(k, in->shape[i], xn->shape[i], &shape[i], loc) == 0;
      if (!ok) {
        tc_diag_at(d, loc, "gather: index %s is larger than x %s at axis %d "
                   "(only the gathered axis %d may be)",
                   node_shape_text(&b2, k, idx), node_shape_text(&b1, k, x), i,
                   axis);
        goto done;
      }
    }
  }
  tc_node n = {0};
  n.op = p->op;
  n.dtype = xn->dtype;
  n.axis = axis;
  int ids[2] = {x, idx};
  ret = finish(k, ar, &n, 2, ids, rank, shape, loc);
done:
  tc_buf_free(&b1);
  tc_buf_free(&b2);
  return ret;
}

static int make_scatter(tc_kernel *k, tc_arena *ar, const tc_node *p,
                        tc_loc loc, tc_diag *d) {
  assert(p->nin == 2 && p->nints == 1 && p->exts && p->exts[0]);
  int src = p->in[0], idx = p->in[1], axis;
  int64_t red = p->ints[0], v;
  if (!is_reduce_kind(red))
    return tc_diag_at(d, loc, "scatter: reduce must be \"sum\", \"mean\", "
                      "\"max\" or \"min\"");
  if (check_index(k, "scatter", idx, loc, d) < 0)
    return -1;
  const tc_node *sn = node_at(k, src), *in = node_at(k, idx);
  if (sn->rank < 1)
    return tc_diag_at(d, loc, "scatter: src must have rank >= 1, got a scalar");
  if (norm_axis("scatter", p->axis, sn->rank, &axis, loc, d) < 0)
    return -1;
  if (tc_ext_is_const(p->exts[0], &v) && v < 0)
    return tc_diag_at(d, loc, "scatter: size must be >= 0, got %" PRId64, v);
  const tc_ext *u;
  if (in->rank != 1 || unify(k, in->shape[0], sn->shape[axis], &u, loc) < 0) {
    tc_buf b1 = {0}, b2 = {0}, b3 = {0};
    tc_diag_at(d, loc, "scatter: index must have shape [%s] (one entry per "
               "slice of src %s along axis %d), got %s",
               ext_text(&b1, k, sn->shape[axis]),
               node_shape_text(&b2, k, src), axis,
               node_shape_text(&b3, k, idx));
    tc_buf_free(&b1);
    tc_buf_free(&b2);
    tc_buf_free(&b3);
    return -1;
  }
  const tc_ext *shape[TC_MAX_RANK];
  int rank = sn->rank;
  for (int i = 0; i < rank; i++)
    shape[i] = i == axis ? p->exts[0] : sn->shape[i];
  tc_dtype t = sn->dtype;
  int is_int = !tc_dtype_is_float(t);
  if (red == TC_OP_SUM && is_int)
    t = TC_DT_I64;
  else if (red == TC_OP_MEAN && is_int)
    t = TC_DT_F32;
  else if (t == TC_DT_BOOL)
    t = TC_DT_I64;
  src = tc_graph_cast(k, ar, src, t, loc, d);
  const tc_ext **exts = tc_arena_alloc(ar, sizeof *exts);
  exts[0] = p->exts[0];
  tc_node n = {0};
  n.op = TC_OP_SCATTER;
  n.dtype = t;
  n.axis = axis;
  n.exts = exts;
  n.nints = 1;
  n.ints = copy_ints(ar, 1, &red);
  int ids[2] = {src, idx};
  return finish(k, ar, &n, 2, ids, rank, shape, loc);
}

/* ---- quantization ---------------------------------------------------------- */

static void int_range(tc_dtype t, int64_t *lo, int64_t *hi) {
  switch (t) {
  case TC_DT_I8: *lo = INT8_MIN, *hi = INT8_MAX; break;
  case TC_DT_U8: *lo = 0, *hi = UINT8_MAX; break;
  case TC_DT_I32: *lo = INT32_MIN, *hi = INT32_MAX; break;
  default: *lo = INT64_MIN, *hi = INT64_MAX; break;
  }
}

static int make_quant(tc_kernel *k, tc_arena *ar, const tc_node *p,
                      tc_loc loc, tc_diag *d) {
  const char *what = tc_op_name(p->op);
  int quant = p->op == TC_OP_QUANTIZE || p->op == TC_OP_QUANTIZE_PER_CHANNEL;
  int per_channel = p->op == TC_OP_QUANTIZE_PER_CHANNEL ||
                    p->op == TC_OP_DEQUANTIZE_PER_CHANNEL;
  assert(p->nin == (per_channel ? 3 : 1));
  int ids[3];
  memcpy(ids, p->in, (size_t)p->nin * sizeof *ids);
  const tc_node *xn = node_at(k, ids[0]);
  tc_dtype qt = quant ? p->dtype : xn->dtype; /* the quantized dtype */
  if (quant && qt != TC_DT_U8 && qt != TC_DT_I8)
    return tc_diag_at(d, loc, "%s: dtype must be u8 or i8, got %s", what,
                      tc_dtype_name(qt));
  if (!quant && !tc_dtype_is_int(qt))
    return tc_diag_at(d, loc, "%s: q must be a quantized integer tensor (u8, "
                      "i8 or i32), got %s", what, tc_dtype_name(qt));
  tc_node n = {0};
  n.op = p->op;
  n.dtype = quant ? qt : TC_DT_F32;
  if (quant) {
    tc_dtype xt = tc_dtype_is_float(xn->dtype) ? xn->dtype : TC_DT_F32;
    ids[0] = tc_graph_cast(k, ar, ids[0], xt, loc, d);
    xn = node_at(k, ids[0]); /* the cast may have moved the nodes */
  }
  if (!per_channel) {
    int64_t lo, hi;
    float scale = (float)p->num;
    if (!(scale > 0) || isinf(scale))
      return tc_diag_at(d, loc, "%s: scale must be a positive finite f32 "
                        "number, got %g", what, p->num);
    int_range(qt, &lo, &hi);
    if (p->inum < lo || p->inum > hi)
      return tc_diag_at(d, loc, "%s: zero_point %" PRId64 " is outside the "
                        "range of %s (%" PRId64 " to %" PRId64 ")", what,
                        p->inum, tc_dtype_name(qt), lo, hi);
    n.num = scale;
    n.inum = p->inum;
    return finish(k, ar, &n, 1, ids, xn->rank, xn->shape, loc);
  }
  int axis;
  if (norm_axis(what, p->axis, xn->rank, &axis, loc, d) < 0)
    return -1;
  static const char *const pnames[] = {"", "scales", "zero_points"};
  for (int i = 1; i < 3; i++) {
    const tc_node *pn = node_at(k, ids[i]);
    const tc_ext *u;
    if (pn->rank != 1 || unify(k, pn->shape[0], xn->shape[axis], &u, loc) < 0) {
      tc_buf b1 = {0}, b2 = {0}, b3 = {0};
      tc_diag_at(d, loc, "%s: %s must have shape [%s] (the extent of axis %d "
                 "of %s), got %s", what, pnames[i],
                 ext_text(&b1, k, xn->shape[axis]), axis,
                 node_shape_text(&b2, k, ids[0]),
                 node_shape_text(&b3, k, ids[i]));
      tc_buf_free(&b1);
      tc_buf_free(&b2);
      tc_buf_free(&b3);
      return -1;
    }
  }
  if (!tc_dtype_is_int(node_at(k, ids[2])->dtype))
    return tc_diag_at(d, loc, "%s: zero_points must be integers, got %s", what,
                      tc_dtype_name(node_at(k, ids[2])->dtype));
  if (node_at(k, ids[1])->dtype == TC_DT_BOOL)
    return tc_diag_at(d, loc, "%s: scales must be f32, got bool", what);
  ids[1] = tc_graph_cast(k, ar, ids[1], TC_DT_F32, loc, d);
  n.axis = axis;
  xn = node_at(k, ids[0]);
  return finish(k, ar, &n, 3, ids, xn->rank, xn->shape, loc);
}

int tc_graph_make(tc_kernel *k, tc_arena *ar, const tc_node *proto,
                  tc_loc loc, tc_diag *d) {
  tc_op op = proto->op;
  for (int i = 0; i < proto->nin; i++)
    assert(proto->in[i] >= 0 && proto->in[i] < k->nodes.len);
  /* spmm reads its csr operand; no other op may (the elementwise ops,
     casts and reductions check in their own constructors) */
  if (op != TC_OP_SPMM &&
      reject_csr(k, tc_op_name(op), proto->nin, proto->in, loc, d) < 0)
    return -1;
  if (op == TC_OP_CAST)
    return tc_graph_cast(k, ar, proto->in[0], proto->dtype, loc, d);
  if (tc_op_is_elementwise(op))
    return tc_graph_elementwise(k, ar, op, proto->nin, proto->in, proto->num,
                                loc, d);
  if (tc_op_class_of(op) == TC_OPC_REDUCE)
    return tc_graph_reduce(k, ar, op, proto->in[0], proto->nints, proto->ints,
                           proto->keepdim, loc, d);
  switch (op) {
  case TC_OP_CONST:
    return tc_graph_const(k, ar, proto->dtype, proto->num, proto->inum, loc);
  case TC_OP_SOFTMAX:
  case TC_OP_LOG_SOFTMAX:
    return make_softmax(k, ar, proto, loc, d);
  case TC_OP_LAYER_NORM:
  case TC_OP_RMS_NORM:
  case TC_OP_BATCH_NORM:
    return make_norm(k, ar, proto, loc, d);
  case TC_OP_RESHAPE:
    return make_reshape(k, ar, proto, loc, d);
  case TC_OP_PERMUTE:
    return make_permute(k, ar, proto, loc, d);
  case TC_OP_EXPAND:
    return make_expand(k, ar, proto, loc, d);
  case TC_OP_SLICE:
    return make_slice(k, ar, proto, loc, d);
  case TC_OP_CONCAT:
    return make_concat(k, ar, proto, loc, d);
  case TC_OP_PAD:
    return make_pad(k, ar, proto, loc, d);
  case TC_OP_MATMUL:
    return make_matmul(k, ar, proto, loc, d);
  case TC_OP_LINEAR:
    return make_linear(k, ar, proto, loc, d);
  case TC_OP_EINSUM:
    return make_einsum(k, ar, proto, loc, d);
  case TC_OP_COMPUTE:
    return tc_graph_compute(k, ar, proto->rank, proto->shape, proto->body, loc,
                            d);
  case TC_OP_CONV2D:
    return make_conv2d(k, ar, proto, loc, d);
  case TC_OP_MAX_POOL2D:
  case TC_OP_AVG_POOL2D:
    return make_pool(k, ar, proto, loc, d);
  case TC_OP_SPMM:
    return make_spmm(k, ar, proto, loc, d);
  case TC_OP_GATHER:
  case TC_OP_INDEX_SELECT:
    return make_gather(k, ar, proto, loc, d);
  case TC_OP_SCATTER:
    return make_scatter(k, ar, proto, loc, d);
  case TC_OP_QUANTIZE:
  case TC_OP_DEQUANTIZE:
  case TC_OP_QUANTIZE_PER_CHANNEL:
  case TC_OP_DEQUANTIZE_PER_CHANNEL:
    return make_quant(k, ar, proto, loc, d);
  default:
    assert(!"tc_graph_make: not a graph op (INPUT/WEIGHT: tc_graph_arg)");
    return -1;
  }
}

/* ---- compute ------------------------------------------------------------- */

typedef struct walk {
  const tc_kernel *k;
  int rank;
  TC_VEC(int) refs;  /* nodes loaded, ascending, unique */
  int bound[64];     /* rvars bound by enclosing reductions */
  int nbound;
  tc_diag *d;
} walk;

static int walk_body(walk *w, const tc_sexpr *e) {
  switch (e->op) {
  case TC_OP_IVAR:
    if (e->var < 0 || e->var >= w->rank)
      return tc_diag_at(w->d, e->loc, "compute: index variable %d is not an "
                        "axis of this compute (rank %d): index variables "
                        "belong to the compute that made them", e->var,
                        w->rank);
    return 0;
  case TC_OP_RVAR:
    assert(e->var >= 0 && e->var < w->k->rvars.len);
    for (int i = 0; i < w->nbound; i++)
      if (w->bound[i] == e->var)
        return 0;
    return tc_diag_at(w->d, e->loc, "reduction variable r%d is used outside "
                      "a reduction that binds it", e->var);
  case TC_OP_LOAD: {
    assert(e->ref >= 0 && e->ref < w->k->nodes.len);
    int i = 0;
    while (i < w->refs.len && w->refs.data[i] < e->ref)
      i++;
    if (i == w->refs.len || w->refs.data[i] != e->ref) {
      TC_VEC_PUSH(w->refs, 0);
      memmove(w->refs.data + i + 1, w->refs.data + i,
              (size_t)(w->refs.len - 1 - i) * sizeof *w->refs.data);
      w->refs.data[i] = e->ref;
    }
    break;
  }
  case TC_OP_REDUCE:
    if (w->nbound == (int)(sizeof w->bound / sizeof w->bound[0]))
      return tc_diag_at(w->d, e->loc, "reductions nested too deeply");
    w->bound[w->nbound++] = e->var;
    if (walk_body(w, e->args[0]) < 0)
      return -1;
    w->nbound--;
    return 0;
  default:
    break;
  }
  for (int i = 0; i < e->nargs; i++)
    if (walk_body(w, e->args[i]) < 0)
      return -1;
  return 0;
}

int tc_graph_compute(tc_kernel *k, tc_arena *ar, int rank,
                     const tc_ext *const *shape, const tc_sexpr *body,
                     tc_loc loc, tc_diag *d) {
  assert(body && rank >= 0);
  if (check_rank("compute", rank, loc, d) < 0)
    return -1;
  for (int i = 0; i < rank; i++) {
    int64_t v;
    if (tc_ext_is_const(shape[i], &v) && v < 0)
      return tc_diag_at(d, loc, "compute: extent %" PRId64 " at axis %d is "
                        "negative", v, i);
  }
  walk w = {0};
  w.k = k;
  w.rank = rank;
  w.d = d;
  int ret = -1;
  if (walk_body(&w, body) == 0) {
    tc_node n = {0};
    n.op = TC_OP_COMPUTE;
    n.dtype = body->dtype;
    n.body = body;
    ret = finish(k, ar, &n, w.refs.len, w.refs.data, rank, shape, loc);
  }
  TC_VEC_FREE(w.refs);
  return ret;
}
