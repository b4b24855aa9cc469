/*
 * decompose.c: composite graph ops -> primitive graph ops, in place.
 *
 *   softmax(x, a)      m = max(x, a, keep); e = exp(x - m); e * (1 / sum(e, a, keep))
 *   log_softmax(x, a)  d = x - max(x, a, keep); d - log(sum(exp(d), a, keep))
 *   layer_norm         d = x - mean(x, last n, keep);
 *                      d * rsqrt(mean(d * d, last n, keep) + eps) [* g] [+ b]
 *   rms_norm           x * rsqrt(mean(x * x, -1, keep) + eps) [* g]
 *   batch_norm         (x - mean') * rsqrt(var' + eps) [* g'] [+ b'], where p'
 *                      is p reshaped to [C, 1, ...] so it broadcasts on axis 1
 *
 * linear, einsum, mean and the shape ops stay: lowering turns each into one
 * stage directly.  Every new node carries the composite's DSL location.
 *
 * Nodes must stay in topological order (operands before users), so the
 * kernel's node array is rebuilt (passes/rewrite.h): nodes are copied in
 * order, a composite is replaced by its expansion, and every reference to
 * a node id is renumbered.
 */
#include "rewrite.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

typedef tcP_rebuild rebuild;

static const tc_node *nd(rebuild *r, int id) { return &r->out.data[id]; }

static int push(rebuild *r, tc_node n) { return tcP_rebuild_push(r, n); }

static const tc_ext **copy_shape(rebuild *r, int rank, const tc_ext *const *shape) {
  const tc_ext **s = tc_arena_alloc(&r->m->arena, (size_t)(rank ? rank : 1) * sizeof *s);
  for (int d = 0; d < rank; d++) s[d] = shape[d];
  return s;
}

static const int *ids(rebuild *r, int n, const int *in) {
  int *a = tc_arena_alloc(&r->m->arena, (size_t)(n ? n : 1) * sizeof *a);
  memcpy(a, in, (size_t)n * sizeof *a);
  return a;
}

static int is_one(const tc_ext *e) {
  int64_t v;
  return tc_ext_is_const(e, &v) && v == 1;
}

/* An elementwise node; operands broadcast NumPy style. */
static int ew(rebuild *r, tc_op op, tc_dtype t, int nin, const int *in, tc_loc loc) {
  int rank = 0;
  for (int i = 0; i < nin; i++)
    if (nd(r, in[i])->rank > rank) rank = nd(r, in[i])->rank;
  const tc_ext *shape[TC_MAX_RANK];
  for (int d = 0; d < rank; d++) {
    shape[d] = NULL;
    for (int i = 0; i < nin; i++) {
      const tc_node *x = nd(r, in[i]);
      int xd = d - (rank - x->rank);
      if (xd < 0) continue;
      if (!shape[d] || (is_one(shape[d]) && !is_one(x->shape[xd]))) shape[d] = x->shape[xd];
    }
  }
  tc_node n = {0};
  n.op = op;
  n.dtype = op >= TC_OP_EQ && op <= TC_OP_LOGICAL_NOT ? TC_DT_BOOL : t;
  n.rank = rank;
  n.shape = copy_shape(r, rank, shape);
  n.nin = nin;
  n.in = ids(r, nin, in);
  n.arg = -1;
  n.loc = loc;
  return push(r, n);
}

static int ew1(rebuild *r, tc_op op, int a, tc_loc loc) {
  return ew(r, op, nd(r, a)->dtype, 1, &a, loc);
}

static int ew2(rebuild *r, tc_op op, int a, int b, tc_loc loc) {
  int in[2] = {a, b};
  return ew(r, op, nd(r, a)->dtype, 2, in, loc);
}

static int cnst(rebuild *r, tc_dtype t, double v, tc_loc loc) {
  tc_node n = {0};
  n.op = TC_OP_CONST;
  n.dtype = t;
  n.num = v;
  n.inum = (int64_t)v;
  n.shape = copy_shape(r, 0, NULL);
  n.arg = -1;
  n.loc = loc;
  return push(r, n);
}

static int cast_to(rebuild *r, int a, tc_dtype t, tc_loc loc) {
  if (nd(r, a)->dtype == t) return a;
  tc_node n = {0};
  n.op = TC_OP_CAST;
  n.dtype = t;
  n.rank = nd(r, a)->rank;
  n.shape = nd(r, a)->shape;
  n.nin = 1;
  n.in = ids(r, 1, &a);
  n.arg = -1;
  n.loc = loc;
  return push(r, n);
}

/* A keepdim reduction of x over axes [a0, a1); empty_identity: an empty
   axis gives the identity rather than TC_EINVAL (tc_node.inum). */
static int reduce_keep_ex(rebuild *r, tc_op op, int x, int a0, int a1, int empty_identity,
                          tc_loc loc) {
  const tc_node *xn = nd(r, x);
  const tc_ext *shape[TC_MAX_RANK];
  int64_t axes[TC_MAX_RANK];
  for (int d = 0; d < xn->rank; d++) shape[d] = xn->shape[d];
  for (int a = a0; a < a1; a++) {
    axes[a - a0] = a;
    shape[a] = tc_ext_const(&r->m->arena, 1);
  }
  tc_node n = {0};
  n.op = op;
  n.dtype = xn->dtype;
  n.rank = xn->rank;
  n.shape = copy_shape(r, xn->rank, shape);
  n.nin = 1;
  n.in = ids(r, 1, &x);
  int64_t *ax = tc_arena_alloc(&r->m->arena, (size_t)(a1 - a0 + 1) * sizeof *ax);
  memcpy(ax, axes, (size_t)(a1 - a0) * sizeof *ax);
  n.ints = ax;
  n.nints = a1 - a0;
  n.keepdim = 1;
  n.inum = empty_identity;
  n.arg = -1;
  n.loc = loc;
  return push(r, n);
}

static int reduce_keep(rebuild *r, tc_op op, int x, int a0, int a1, tc_loc loc) {
  return reduce_keep_ex(r, op, x, a0, a1, 0, loc);
}

/* p of shape [C] reshaped to [C, 1, ...] for an operand of rank `rank`
   whose channel axis is 1. */
static int channel_param(rebuild *r, int p, int rank, tc_dtype t, tc_loc loc) {
  p = cast_to(r, p, t, loc);
  if (rank <= 2) return p;
  const tc_ext *shape[TC_MAX_RANK];
  shape[0] = nd(r, p)->shape[0];
  for (int d = 1; d < rank - 1; d++) shape[d] = tc_ext_const(&r->m->arena, 1);
  tc_node n = {0};
  n.op = TC_OP_RESHAPE;
  n.dtype = t;
  n.rank = rank - 1;
  n.shape = copy_shape(r, rank - 1, shape);
  n.nin = 1;
  n.in = ids(r, 1, &p);
  n.arg = -1;
  n.loc = loc;
  return push(r, n);
}

/* The expansion of composite node n (operands already renumbered);
   returns the id of the node that replaces it, or -1 when n is not a
   composite. */
static int expand(rebuild *r, const tc_node *n) {
  tc_loc loc = n->loc;
  tc_dtype t = n->dtype;
  switch (n->op) {
  case TC_OP_SOFTMAX:
  case TC_OP_LOG_SOFTMAX: {
    int x = cast_to(r, n->in[0], t, loc);
    /* (over an empty axis the rows are empty: their maximum is never
       used, and must not fail the kernel as a user's max does) */
    int mx = reduce_keep_ex(r, TC_OP_MAX, x, n->axis, n->axis + 1, 1, loc);
    int dx = ew2(r, TC_OP_SUB, x, mx, loc);
    int e = ew1(r, TC_OP_EXP, dx, loc);
    int s = reduce_keep(r, TC_OP_SUM, e, n->axis, n->axis + 1, loc);
    /* e * (1 / s): one division a row, then multiplications (as
       PyTorch's CPU softmax does); within an ulp of e / s */
    if (n->op == TC_OP_SOFTMAX)
      return ew2(r, TC_OP_MUL, e, ew2(r, TC_OP_DIV, cnst(r, t, 1.0, loc), s, loc), loc);
    return ew2(r, TC_OP_SUB, dx, ew1(r, TC_OP_LOG, s, loc), loc);
  }
  case TC_OP_LAYER_NORM: {
    int x = cast_to(r, n->in[0], t, loc);
    int rank = nd(r, x)->rank, cnt = (int)n->ints[0];
    int mu = reduce_keep(r, TC_OP_MEAN, x, rank - cnt, rank, loc);
    int dx = ew2(r, TC_OP_SUB, x, mu, loc);
    int var = reduce_keep(r, TC_OP_MEAN, ew2(r, TC_OP_MUL, dx, dx, loc),
                          rank - cnt, rank, loc);
    int rs = ew1(r, TC_OP_RSQRT, ew2(r, TC_OP_ADD, var, cnst(r, t, n->num, loc), loc), loc);
    int y = ew2(r, TC_OP_MUL, dx, rs, loc);
    int next = 1;
    if (n->nints > 1 && n->ints[1])
      y = ew2(r, TC_OP_MUL, y, cast_to(r, n->in[next++], t, loc), loc);
    if (n->nints > 2 && n->ints[2])
      y = ew2(r, TC_OP_ADD, y, cast_to(r, n->in[next++], t, loc), loc);
    return y;
  }
  case TC_OP_RMS_NORM: {
    int x = cast_to(r, n->in[0], t, loc);
    int rank = nd(r, x)->rank;
    int ms = reduce_keep(r, TC_OP_MEAN, ew2(r, TC_OP_MUL, x, x, loc), rank - 1, rank, loc);
    int rs = ew1(r, TC_OP_RSQRT, ew2(r, TC_OP_ADD, ms, cnst(r, t, n->num, loc), loc), loc);
    int y = ew2(r, TC_OP_MUL, x, rs, loc);
    if (n->nints > 0 && n->ints[0])
      y = ew2(r, TC_OP_MUL, y, cast_to(r, n->in[1], t, loc), loc);
    return y;
  }
  case TC_OP_BATCH_NORM: {
    int x = cast_to(r, n->in[0], t, loc);
    int rank = nd(r, x)->rank;
    int mean = channel_param(r, n->in[1], rank, t, loc);
    int var = channel_param(r, n->in[2], rank, t, loc);
    int rs = ew1(r, TC_OP_RSQRT, ew2(r, TC_OP_ADD, var, cnst(r, t, n->num, loc), loc), loc);
    int y = ew2(r, TC_OP_MUL, ew2(r, TC_OP_SUB, x, mean, loc), rs, loc);
    int next = 3;
    if (n->nints > 0 && n->ints[0])
      y = ew2(r, TC_OP_MUL, y, channel_param(r, n->in[next++], rank, t, loc), loc);
    if (n->nints > 1 && n->ints[1])
      y = ew2(r, TC_OP_ADD, y, channel_param(r, n->in[next++], rank, t, loc), loc);
    return y;
  }
  default:
    return -1;
  }
}

int tcP_decompose(tc_module *m, tc_diag *d) {
  for (int ki = 0; ki < m->kernels.len; ki++) {
    tc_kernel *k = m->kernels.data[ki];
    rebuild r;
    tcP_rebuild_begin(&r, m, k);
    for (int i = 0; i < k->nodes.len; i++) {
      tc_node n = tcP_rebuild_renumber(&r, &k->nodes.data[i]);
      int id = expand(&r, &n);
      if (id < 0) id = push(&r, n);
      tcP_rebuild_map(&r, i, id);
    }
    tcP_rebuild_finish(&r);
  }
  (void)d;
  return 0;
}
