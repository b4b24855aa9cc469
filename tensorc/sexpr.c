/*
 * sexpr.c: scalar expression constructors, for compute bodies.  They
 * apply the same dtype rules as the graph's elementwise ops (promote.h)
 * and insert the same casts, so a body never mixes dtypes either.  A cast
 * of a constant is folded into the constant.
 */
#include "graph.h"

#include <assert.h>
#include <string.h>

#include "promote.h"

static tc_sexpr *new_sexpr(tc_arena *ar, tc_op op, tc_dtype t, int nargs,
                           tc_loc loc) {
  tc_sexpr *e = tc_arena_alloc(ar, sizeof *e);
  e->op = op;
  e->dtype = t;
  e->nargs = nargs;
  if (nargs > 0)
    e->args = tc_arena_alloc(ar, (size_t)nargs * sizeof *e->args);
  e->ref = -1;
  e->loc = loc;
  return e;
}

const tc_sexpr *tc_sexpr_const(tc_arena *ar, tc_dtype t, double num,
                               int64_t inum, tc_loc loc) {
  assert(t > TC_DT_NONE && t < TC_DT_COUNT);
  tc_sexpr *e = new_sexpr(ar, TC_OP_CONST, t, 0, loc);
  e->num = num;
  e->inum = t == TC_DT_BOOL ? inum != 0 : inum;
  return e;
}

const tc_sexpr *tc_sexpr_ivar(tc_arena *ar, int axis, tc_loc loc) {
  assert(axis >= 0);
  tc_sexpr *e = new_sexpr(ar, TC_OP_IVAR, TC_DT_I64, 0, loc);
  e->var = axis;
  return e;
}

const tc_sexpr *tc_sexpr_rvar(tc_arena *ar, int rvar, tc_loc loc) {
  assert(rvar >= 0);
  tc_sexpr *e = new_sexpr(ar, TC_OP_RVAR, TC_DT_I64, 0, loc);
  e->var = rvar;
  return e;
}

const tc_sexpr *tc_sexpr_extent(tc_arena *ar, const tc_ext *x, tc_loc loc) {
  assert(x);
  tc_sexpr *e = new_sexpr(ar, TC_OP_EXTENT, TC_DT_I64, 0, loc);
  e->ext = x;
  return e;
}

const tc_sexpr *tc_sexpr_cast(tc_arena *ar, const tc_sexpr *x, tc_dtype t,
                              tc_loc loc) {
  assert(t > TC_DT_NONE && t < TC_DT_COUNT);
  if (x->dtype == t)
    return x;
  if (x->op == TC_OP_CONST) {
    tc_sexpr *c = new_sexpr(ar, TC_OP_CONST, t, 0, x->loc);
    tc_value_convert(x->dtype, x->num, x->inum, t, &c->num, &c->inum);
    return c;
  }
  tc_sexpr *e = new_sexpr(ar, TC_OP_CAST, t, 1, loc);
  e->args[0] = x;
  return e;
}

/* The name of tensor `node` for messages: its argument's name, or %id. */
static void tensor_name(tc_buf *b, const tc_kernel *k, int node) {
  const tc_node *n = &k->nodes.data[node];
  if ((n->op == TC_OP_INPUT || n->op == TC_OP_WEIGHT) && n->arg >= 0 &&
      n->arg < k->args.len)
    tc_buf_puts(b, k->args.data[n->arg].name);
  else
    tc_buf_printf(b, "tensor %%%d", node);
}

const tc_sexpr *tc_sexpr_load(tc_kernel *k, tc_arena *ar, int node, int nidx,
                              const tc_sexpr *const *idx, tc_loc loc,
                              tc_diag *d) {
  assert(node >= 0 && node < k->nodes.len);
  const tc_node *n = &k->nodes.data[node];
  tc_buf b = {0};
  if (n->op == TC_OP_CSR) {
    tc_diag_at(d, loc, "%s is a csr matrix, which only spmm reads (its "
               "elements cannot be read in a compute body)",
               k->args.data[n->arg].name);
    return NULL;
  }
  if (nidx != n->rank) {
    tensor_name(&b, k, node);
    tc_diag_at(d, loc, "%s has rank %d but is read with %d %s", b.data,
               n->rank, nidx, nidx == 1 ? "index" : "indices");
    tc_buf_free(&b);
    return NULL;
  }
  for (int i = 0; i < nidx; i++)
    if (!tc_dtype_is_int(idx[i]->dtype)) {
      tensor_name(&b, k, node);
      tc_diag_at(d, loc, "index %d of %s is %s; indices must be integers "
                 "(cast them)", i, b.data, tc_dtype_name(idx[i]->dtype));
      tc_buf_free(&b);
      return NULL;
    }
  tc_sexpr *e = new_sexpr(ar, TC_OP_LOAD, n->dtype, nidx, loc);
  e->ref = node;
  for (int i = 0; i < nidx; i++)
    e->args[i] = tc_sexpr_cast(ar, idx[i], TC_DT_I64, loc);
  return e;
}

const tc_sexpr *tc_sexpr_elementwise(tc_arena *ar, tc_op op, int nargs,
                                     const tc_sexpr *const *args, double num,
                                     tc_loc loc, tc_diag *d) {
  assert(tc_op_is_elementwise(op) && op != TC_OP_CAST);
  assert(nargs == tc_op_arity(op) && nargs <= 3);
  tc_dtype have[3], want[3];
  for (int i = 0; i < nargs; i++)
    have[i] = args[i]->dtype;
  tc_dtype t = tc_elementwise_dtypes(op, nargs, have, want);
  tc_sexpr *e = new_sexpr(ar, op, t, nargs, loc);
  e->num = num;
  for (int i = 0; i < nargs; i++)
    e->args[i] = tc_sexpr_cast(ar, args[i], want[i], loc);
  return e;
}

/* 1 when e contains a reduction over rvar. */
static int binds(const tc_sexpr *e, int rvar) {
  if (e->op == TC_OP_REDUCE && e->var == rvar)
    return 1;
  for (int i = 0; i < e->nargs; i++)
    if (binds(e->args[i], rvar))
      return 1;
  return 0;
}

const tc_sexpr *tc_sexpr_reduce(tc_kernel *k, tc_arena *ar, tc_op red, int rvar,
                                const tc_sexpr *body, tc_loc loc, tc_diag *d) {
  assert(red == TC_OP_SUM || red == TC_OP_MAX || red == TC_OP_MIN ||
         red == TC_OP_PROD);
  assert(rvar >= 0 && rvar < k->rvars.len);
  if (binds(body, rvar)) {
    tc_diag_at(d, loc, "%s: reduction variable r%d is bound again inside "
               "the reduction that binds it", tc_op_name(red), rvar);
    return NULL;
  }
  tc_dtype t = body->dtype;
  if ((red == TC_OP_SUM || red == TC_OP_PROD) && !tc_dtype_is_float(t))
    t = TC_DT_I64;
  tc_sexpr *e = new_sexpr(ar, TC_OP_REDUCE, t, 1, loc);
  e->red = red;
  e->var = rvar;
  e->ext = k->rvars.data[rvar].ext;
  e->args[0] = tc_sexpr_cast(ar, body, t, loc);
  return e;
}
