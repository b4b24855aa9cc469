/*
 * verify.c: the graph IR verifier.  It checks the invariants that
 * graph.h's comment above tc_node promises, which the constructors
 * establish and every pass must keep.  A violation is a bug in tensorc,
 * not in the user's program; it is reported as an internal error naming
 * the kernel, the node and the DSL line that made it.
 */
#include "graph.h"

#include <math.h>
#include <stdarg.h>

#include "promote.h"

typedef struct vctx {
  const tc_kernel *k;
  tc_diag *d;
} vctx;

/* Report a broken invariant of node `id` (or of the kernel when id < 0). */
static int bad(vctx *v, int id, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int bad(vctx *v, int id, const char *fmt, ...) {
  tc_buf b = {0};
  va_list ap;
  va_start(ap, fmt);
  tc_buf_vprintf(&b, fmt, ap);
  va_end(ap);
  tc_loc loc = v->k->loc;
  if (id >= 0) {
    loc = v->k->nodes.data[id].loc;
    tc_diag_at(v->d, loc, "internal error: kernel %s, %%%d = %s: %s",
               v->k->name, id, tc_op_name(v->k->nodes.data[id].op), b.data);
  } else {
    tc_diag_at(v->d, loc, "internal error: kernel %s: %s", v->k->name, b.data);
  }
  tc_buf_free(&b);
  return -1;
}

static int valid_dtype(tc_dtype t) { return t > TC_DT_NONE && t < TC_DT_COUNT; }

/* An operand extent e may stand where the result has r: equal, 1, or
   symbolic (the constructor recorded a tc_check). */
static int bcast_ok(const tc_ext *e, const tc_ext *r) {
  int64_t ve, vr;
  int ce = tc_ext_is_const(e, &ve), cr = tc_ext_is_const(r, &vr);
  if (tc_ext_equal(e, r) || (ce && ve == 1))
    return 1;
  return !(ce && cr);
}

/* Operand `in` broadcasts to the shape of node n. */
static int check_bcast(vctx *v, int id, const tc_node *n, const tc_node *in,
                       int which) {
  if (in->rank > n->rank)
    return bad(v, id, "operand %d has rank %d, more than the result's %d",
               which, in->rank, n->rank);
  for (int j = 0; j < in->rank; j++)
    if (!bcast_ok(in->shape[in->rank - 1 - j], n->shape[n->rank - 1 - j]))
      return bad(v, id, "operand %d does not broadcast to the result at axis "
                 "%d", which, n->rank - 1 - j);
  return 0;
}

static int same_shape(const tc_node *a, const tc_node *b) {
  if (a->rank != b->rank)
    return 0;
  for (int i = 0; i < a->rank; i++)
    if (!tc_ext_equal(a->shape[i], b->shape[i]))
      return 0;
  return 1;
}

static int verify_sexpr(vctx *v, int id, const tc_node *n, const tc_sexpr *e,
                        int depth) {
  const tc_kernel *k = v->k;
  if (depth > 10000)
    return bad(v, id, "compute body nested too deeply");
  if (!valid_dtype(e->dtype))
    return bad(v, id, "body: %s has no dtype", tc_op_name(e->op));
  for (int i = 0; i < e->nargs; i++)
    if (!e->args || !e->args[i])
      return bad(v, id, "body: %s has a missing operand", tc_op_name(e->op));
  switch (e->op) {
  case TC_OP_CONST:
    return 0;
  case TC_OP_IVAR:
    if (e->var < 0 || e->var >= n->rank)
      return bad(v, id, "body: index variable i%d out of range", e->var);
    return e->dtype == TC_DT_I64 ? 0 : bad(v, id, "body: ivar not i64");
  case TC_OP_RVAR:
    if (e->var < 0 || e->var >= k->rvars.len)
      return bad(v, id, "body: reduction variable r%d does not exist", e->var);
    return e->dtype == TC_DT_I64 ? 0 : bad(v, id, "body: rvar not i64");
  case TC_OP_EXTENT:
    return e->ext ? 0 : bad(v, id, "body: extent without a value");
  case TC_OP_LOAD: {
    int found = 0;
    for (int i = 0; i < n->nin; i++)
      found |= n->in[i] == e->ref;
    if (!found || e->ref < 0 || e->ref >= id)
      return bad(v, id, "body: load of %%%d, which is not an operand",
                 e->ref);
    const tc_node *r = &k->nodes.data[e->ref];
    if (e->nargs != r->rank)
      return bad(v, id, "body: load of %%%d with %d indices for rank %d",
                 e->ref, e->nargs, r->rank);
    if (e->dtype != r->dtype)
      return bad(v, id, "body: load of %%%d as %s, the tensor is %s", e->ref,
                 tc_dtype_name(e->dtype), tc_dtype_name(r->dtype));
    for (int i = 0; i < e->nargs; i++)
      if (e->args[i]->dtype != TC_DT_I64)
        return bad(v, id, "body: index %d of a load of %%%d is not i64", i,
                   e->ref);
    break;
  }
  case TC_OP_REDUCE:
    if (e->nargs != 1 || e->var < 0 || e->var >= k->rvars.len || !e->ext)
      return bad(v, id, "body: malformed reduce");
    if (e->red != TC_OP_SUM && e->red != TC_OP_MAX && e->red != TC_OP_MIN &&
        e->red != TC_OP_PROD)
      return bad(v, id, "body: reduce with %s", tc_op_name(e->red));
    if (e->args[0]->dtype != e->dtype)
      return bad(v, id, "body: reduce of %s giving %s",
                 tc_dtype_name(e->args[0]->dtype), tc_dtype_name(e->dtype));
    break;
  case TC_OP_CAST:
    if (e->nargs != 1)
      return bad(v, id, "body: cast with %d operands", e->nargs);
    break;
  default: {
    if (!tc_op_is_elementwise(e->op) || e->nargs != tc_op_arity(e->op))
      return bad(v, id, "body: %s with %d operands is not a scalar op",
                 tc_op_name(e->op), e->nargs);
    tc_dtype have[3], want[3];
    for (int i = 0; i < e->nargs; i++)
      have[i] = e->args[i]->dtype;
    tc_dtype t = tc_elementwise_dtypes(e->op, e->nargs, have, want);
    for (int i = 0; i < e->nargs; i++)
      if (have[i] != want[i])
        return bad(v, id, "body: operand %d of %s is %s, expected %s", i,
                   tc_op_name(e->op), tc_dtype_name(have[i]),
                   tc_dtype_name(want[i]));
    if (t != e->dtype)
      return bad(v, id, "body: %s gives %s, expected %s", tc_op_name(e->op),
                 tc_dtype_name(e->dtype), tc_dtype_name(t));
    break;
  }
  }
  for (int i = 0; i < e->nargs; i++)
    if (verify_sexpr(v, id, n, e->args[i], depth + 1) < 0)
      return -1;
  return 0;
}

static int verify_node(vctx *v, int id) {
  const tc_kernel *k = v->k;
  const tc_node *n = &k->nodes.data[id];
  if ((unsigned)n->op >= TC_OP_COUNT)
    return bad(v, id, "op %d is not an op", (int)n->op);
  tc_op_class cls = tc_op_class_of(n->op);
  if (!valid_dtype(n->dtype))
    return bad(v, id, "dtype %d is not a dtype", (int)n->dtype);
  if (n->rank < 0 || n->rank > TC_MAX_RANK)
    return bad(v, id, "rank %d out of range", n->rank);
  for (int i = 0; i < n->rank; i++)
    if (!n->shape || !n->shape[i])
      return bad(v, id, "extent %d missing", i);
  if (n->nin < 0 || (n->nin > 0 && !n->in))
    return bad(v, id, "operand list missing");
  for (int i = 0; i < n->nin; i++)
    if (n->in[i] < 0 || n->in[i] >= id)
      return bad(v, id, "operand %d is %%%d, not an earlier node", i,
                 n->in[i]);
  int arity = tc_op_arity(n->op);
  if (arity >= 0 && n->op != TC_OP_LOAD && n->nin != arity)
    return bad(v, id, "%d operands, expected %d", n->nin, arity);
  if (n->nints < 0 || (n->nints > 0 && !n->ints))
    return bad(v, id, "ints missing");
  for (int i = 0; i < n->nin; i++)
    if (k->nodes.data[n->in[i]].op == TC_OP_CSR &&
        !(n->op == TC_OP_SPMM && i == 0))
      return bad(v, id, "operand %d is a csr matrix, which only spmm reads", i);
  const tc_node *x = n->nin > 0 ? &k->nodes.data[n->in[0]] : NULL;

  switch (n->op) {
  case TC_OP_CONST:
    return n->rank == 0 ? 0 : bad(v, id, "a constant of rank %d", n->rank);
  case TC_OP_INPUT:
  case TC_OP_WEIGHT: {
    if (n->arg < 0 || n->arg >= k->args.len)
      return bad(v, id, "argument %d does not exist", n->arg);
    const tc_arg *a = &k->args.data[n->arg];
    if (a->node != id || a->role != (n->op == TC_OP_INPUT ? TC_ROLE_INPUT
                                                          : TC_ROLE_WEIGHT))
      return bad(v, id, "argument %s does not point back at it", a->name);
    if (a->dtype != n->dtype || a->rank != n->rank)
      return bad(v, id, "dtype or rank differ from argument %s", a->name);
    return 0;
  }
  case TC_OP_CSR: {
    if (n->arg < 0 || n->arg >= k->args.len)
      return bad(v, id, "argument %d does not exist", n->arg);
    const tc_arg *a = &k->args.data[n->arg];
    if (a->node != id || !a->csr || a->role != TC_ROLE_INPUT || n->rank != 2 ||
        a->dtype != n->dtype || a->rank != 2 || !a->rowptr_len ||
        (a->index_dtype != TC_DT_I32 && a->index_dtype != TC_DT_I64))
      return bad(v, id, "csr argument %s is malformed or does not point back",
                 a->name);
    return 0;
  }
  case TC_OP_LITERAL: {
    int64_t len;
    if (n->rank != 1 || !tc_ext_is_const(n->shape[0], &len) ||
        n->dtype == TC_DT_BOOL)
      return bad(v, id, "a literal must be 1-D of a constant extent");
    if (tc_dtype_is_float(n->dtype) ? !n->vals && len > 0 : n->nints != len)
      return bad(v, id, "a literal without its %lld values", (long long)len);
    return 0;
  }
  case TC_OP_IVAR:
  case TC_OP_RVAR:
  case TC_OP_EXTENT:
  case TC_OP_LOAD:
  case TC_OP_REDUCE:
    return bad(v, id, "a scalar-expression op in the graph");
  case TC_OP_CAST:
    if (n->dtype == x->dtype)
      return bad(v, id, "a cast to the operand's own dtype");
    return same_shape(n, x) ? 0 : bad(v, id, "shape differs from operand");
  default:
    break;
  }

  if (tc_op_is_elementwise(n->op)) {
    tc_dtype have[3], want[3];
    for (int i = 0; i < n->nin; i++) {
      const tc_node *in = &k->nodes.data[n->in[i]];
      if (check_bcast(v, id, n, in, i) < 0)
        return -1;
      have[i] = in->dtype;
    }
    tc_dtype t = tc_elementwise_dtypes(n->op, n->nin, have, want);
    for (int i = 0; i < n->nin; i++)
      if (have[i] != want[i])
        return bad(v, id, "operand %d is %s, expected %s (a cast is missing)",
                   i, tc_dtype_name(have[i]), tc_dtype_name(want[i]));
    if (t != n->dtype)
      return bad(v, id, "result is %s, expected %s", tc_dtype_name(n->dtype),
                 tc_dtype_name(t));
    return 0;
  }

  if (cls == TC_OPC_REDUCE) {
    for (int i = 0; i < n->nints; i++)
      if (n->ints[i] < 0 || n->ints[i] >= x->rank ||
          (i > 0 && n->ints[i] <= n->ints[i - 1]))
        return bad(v, id, "axes not ascending within rank %d", x->rank);
    int want_rank = n->keepdim ? x->rank : x->rank - n->nints;
    if (n->rank != want_rank)
      return bad(v, id, "rank %d, expected %d", n->rank, want_rank);
    if (n->op == TC_OP_ARGMAX || n->op == TC_OP_ARGMIN) {
      if (n->nints != 1 || n->dtype != TC_DT_I64)
        return bad(v, id, "needs one axis and an i64 result");
      return 0;
    }
    if (n->dtype != x->dtype)
      return bad(v, id, "result %s differs from the operand's %s",
                 tc_dtype_name(n->dtype), tc_dtype_name(x->dtype));
    if ((n->op == TC_OP_SUM || n->op == TC_OP_PROD) &&
        !tc_dtype_is_float(n->dtype) && n->dtype != TC_DT_I64)
      return bad(v, id, "integer sum or product not in i64");
    if (n->op == TC_OP_MEAN && !tc_dtype_is_float(n->dtype))
      return bad(v, id, "mean of a non-float");
    return 0;
  }

  switch (n->op) {
  case TC_OP_SOFTMAX:
  case TC_OP_LOG_SOFTMAX:
    if (n->axis < 0 || n->axis >= x->rank || !same_shape(n, x) ||
        !tc_dtype_is_float(n->dtype) || n->dtype != x->dtype)
      return bad(v, id, "axis, shape or dtype wrong");
    return 0;
  case TC_OP_LAYER_NORM:
  case TC_OP_RMS_NORM:
  case TC_OP_BATCH_NORM: {
    int want_ints = n->op == TC_OP_LAYER_NORM ? 3 : n->op == TC_OP_RMS_NORM ? 1 : 2;
    if (n->nints != want_ints)
      return bad(v, id, "%d ints, expected %d", n->nints, want_ints);
    int want_in = n->op == TC_OP_LAYER_NORM   ? 1 + !!n->ints[1] + !!n->ints[2]
                  : n->op == TC_OP_RMS_NORM ? 1 + !!n->ints[0]
                                            : 3 + !!n->ints[0] + !!n->ints[1];
    if (n->nin != want_in)
      return bad(v, id, "%d operands, expected %d", n->nin, want_in);
    if (n->op == TC_OP_LAYER_NORM && (n->ints[0] < 1 || n->ints[0] > x->rank))
      return bad(v, id, "normalizes %lld axes of a rank %d tensor",
                 (long long)n->ints[0], x->rank);
    if (n->op == TC_OP_BATCH_NORM && x->rank < 2)
      return bad(v, id, "operand of rank %d", x->rank);
    for (int i = 0; i < n->nin; i++)
      if (k->nodes.data[n->in[i]].dtype != n->dtype)
        return bad(v, id, "operand %d has another dtype", i);
    if (!tc_dtype_is_float(n->dtype) || !same_shape(n, x))
      return bad(v, id, "shape or dtype wrong");
    return 0;
  }
  case TC_OP_RESHAPE:
  case TC_OP_EXPAND:
    if (n->dtype != x->dtype)
      return bad(v, id, "dtype differs from the operand's");
    if (n->op == TC_OP_EXPAND)
      return check_bcast(v, id, n, x, 0);
    return 0;
  case TC_OP_PERMUTE: {
    int seen[TC_MAX_RANK] = {0};
    if (n->nints != x->rank || n->rank != x->rank || n->dtype != x->dtype)
      return bad(v, id, "perm, rank or dtype wrong");
    for (int i = 0; i < n->nints; i++) {
      int64_t a = n->ints[i];
      if (a < 0 || a >= x->rank || seen[a]++ ||
          !tc_ext_equal(n->shape[i], x->shape[a]))
        return bad(v, id, "not a permutation of the operand");
    }
    return 0;
  }
  case TC_OP_SLICE:
    if (n->axis < 0 || n->axis >= x->rank || n->rank != x->rank ||
        n->nints != 1 || n->ints[0] < 1 || !n->exts || !n->exts[0] ||
        n->dtype != x->dtype)
      return bad(v, id, "axis, step, start, rank or dtype wrong");
    return 0;
  case TC_OP_CONCAT:
    if (n->nin < 1 || n->axis < 0 || n->axis >= n->rank)
      return bad(v, id, "no parts or axis out of range");
    for (int i = 0; i < n->nin; i++) {
      const tc_node *p = &k->nodes.data[n->in[i]];
      if (p->rank != n->rank || p->dtype != n->dtype)
        return bad(v, id, "part %d has another rank or dtype", i);
    }
    return 0;
  case TC_OP_PAD:
    if (n->nints != 2 * x->rank || n->rank != x->rank || n->dtype != x->dtype)
      return bad(v, id, "pads, rank or dtype wrong");
    for (int i = 0; i < n->nints; i++)
      if (n->ints[i] < 0)
        return bad(v, id, "negative pad");
    return 0;
  case TC_OP_MATMUL: {
    const tc_node *b = &k->nodes.data[n->in[1]];
    if (x->rank < 2 || b->rank < 2 || n->rank < 2 || x->dtype != n->dtype ||
        b->dtype != n->dtype)
      return bad(v, id, "operand ranks or dtypes wrong");
    return 0;
  }
  case TC_OP_LINEAR:
    if (n->nints != 1 || n->nin != 2 + !!n->ints[0])
      return bad(v, id, "operands do not match has_bias");
    for (int i = 0; i < n->nin; i++)
      if (k->nodes.data[n->in[i]].dtype != n->dtype)
        return bad(v, id, "operand %d has another dtype", i);
    if (k->nodes.data[n->in[1]].rank != 2 || n->rank != x->rank)
      return bad(v, id, "w is not 2-D or the rank is wrong");
    return 0;
  case TC_OP_EINSUM:
    if (!n->str)
      return bad(v, id, "no spec");
    for (int i = 0; i < n->nin; i++)
      if (k->nodes.data[n->in[i]].dtype != n->dtype)
        return bad(v, id, "operand %d has another dtype", i);
    return 0;
  case TC_OP_CONV2D: {
    if (n->nints != 9 || n->nin != 2 + !!n->ints[8] || n->rank != 4 ||
        x->rank != 4 || k->nodes.data[n->in[1]].rank != 4)
      return bad(v, id, "attributes, operands or ranks wrong");
    for (int i = 0; i < 6; i++)
      if (n->ints[i] < (i >= 2 && i < 4 ? 0 : 1))
        return bad(v, id, "stride, padding or dilation out of range");
    if (n->ints[6] < 1)
      return bad(v, id, "groups < 1");
    for (int i = 0; i < n->nin; i++)
      if (k->nodes.data[n->in[i]].dtype != n->dtype)
        return bad(v, id, "operand %d has another dtype", i);
    return 0;
  }
  case TC_OP_MAX_POOL2D:
  case TC_OP_AVG_POOL2D:
    if (n->nints != 6 || n->rank != 4 || x->rank != 4 ||
        x->dtype != n->dtype ||
        (n->op == TC_OP_AVG_POOL2D && !tc_dtype_is_float(n->dtype)))
      return bad(v, id, "attributes, rank or dtype wrong");
    for (int i = 0; i < 6; i++)
      if (n->ints[i] < (i >= 4 ? 0 : 1) || (i >= 4 && n->ints[i] > n->ints[i - 4] / 2))
        return bad(v, id, "kernel, stride or padding out of range");
    return 0;
  case TC_OP_SPMM: {
    const tc_node *b = &k->nodes.data[n->in[1]];
    if (x->op != TC_OP_CSR || b->rank != 2 || n->rank != 2 ||
        b->dtype != n->dtype || n->nints != 1 ||
        (n->ints[0] != TC_OP_SUM && n->ints[0] != TC_OP_MEAN &&
         n->ints[0] != TC_OP_MAX && n->ints[0] != TC_OP_MIN))
      return bad(v, id, "operands, reduce or dtype wrong");
    return 0;
  }
  case TC_OP_GATHER:
  case TC_OP_INDEX_SELECT:
  case TC_OP_SCATTER: {
    const tc_node *ix = &k->nodes.data[n->in[1]];
    if (ix->dtype != TC_DT_I32 && ix->dtype != TC_DT_I64)
      return bad(v, id, "index is %s", tc_dtype_name(ix->dtype));
    if (n->axis < 0 || n->axis >= x->rank || n->rank != x->rank ||
        n->dtype != x->dtype)
      return bad(v, id, "axis, rank or dtype wrong");
    if (n->op == TC_OP_GATHER ? ix->rank != x->rank : ix->rank != 1)
      return bad(v, id, "index of rank %d", ix->rank);
    if (n->op == TC_OP_SCATTER &&
        (n->nints != 1 || !n->exts || !n->exts[0] ||
         (n->ints[0] != TC_OP_SUM && n->ints[0] != TC_OP_MEAN &&
          n->ints[0] != TC_OP_MAX && n->ints[0] != TC_OP_MIN)))
      return bad(v, id, "size or reduce missing");
    return 0;
  }
  case TC_OP_QUANTIZE:
  case TC_OP_QUANTIZE_PER_CHANNEL:
  case TC_OP_DEQUANTIZE:
  case TC_OP_DEQUANTIZE_PER_CHANNEL: {
    int quant = n->op == TC_OP_QUANTIZE || n->op == TC_OP_QUANTIZE_PER_CHANNEL;
    if (quant ? (n->dtype != TC_DT_U8 && n->dtype != TC_DT_I8) ||
                    !tc_dtype_is_float(x->dtype)
              : n->dtype != TC_DT_F32 || !tc_dtype_is_int(x->dtype))
      return bad(v, id, "dtypes wrong");
    if (!same_shape(n, x))
      return bad(v, id, "shape differs from the operand's");
    if (n->nin == 3) {
      const tc_node *sc = &k->nodes.data[n->in[1]], *zp = &k->nodes.data[n->in[2]];
      if (n->axis < 0 || n->axis >= x->rank || sc->dtype != TC_DT_F32 ||
          !tc_dtype_is_int(zp->dtype) || sc->rank != 1 || zp->rank != 1)
        return bad(v, id, "axis, scales or zero_points wrong");
    } else if (!(n->num > 0) || isinf(n->num)) {
      return bad(v, id, "scale %g", n->num);
    }
    return 0;
  }
  case TC_OP_QUANTIZED: /* made by passes/quant.c; passes/passes.h has the
                           layout of its ints and vals */
    if (n->nin < 2 || n->nints < 19 || !n->vals || !x || !tc_dtype_is_int(x->dtype) ||
        (n->dtype != TC_DT_U8 && n->dtype != TC_DT_I8))
      return bad(v, id, "quantized op malformed");
    return 0;
  case TC_OP_COMPUTE:
    if (!n->body)
      return bad(v, id, "no body");
    if (n->body->dtype != n->dtype)
      return bad(v, id, "body is %s, node is %s", tc_dtype_name(n->body->dtype),
                 tc_dtype_name(n->dtype));
    return verify_sexpr(v, id, n, n->body, 0);
  default:
    return bad(v, id, "unexpected op");
  }
}

int tc_graph_verify(const tc_module *m, tc_diag *d) {
  for (int ki = 0; ki < m->kernels.len; ki++) {
    vctx v = {m->kernels.data[ki], d};
    const tc_kernel *k = v.k;
    for (int i = 0; i < k->nodes.len; i++)
      if (verify_node(&v, i) < 0)
        return -1;
    for (int i = 0; i < k->args.len; i++) {
      const tc_arg *a = &k->args.data[i];
      if (a->node < 0 || a->node >= k->nodes.len)
        return bad(&v, -1, "argument %s points at node %d", a->name, a->node);
      const tc_node *n = &k->nodes.data[a->node];
      if (a->dtype != n->dtype || a->rank != n->rank)
        return bad(&v, -1, "argument %s differs from its node %%%d", a->name,
                   a->node);
      if (a->role == TC_ROLE_OUTPUT && a->dtype == TC_DT_BOOL)
        return bad(&v, -1, "output %s is bool", a->name);
    }
    for (int i = 0; i < k->checks.len; i++)
      if (!k->checks.data[i].a || !k->checks.data[i].b)
        return bad(&v, -1, "check %d has a missing extent", i);
    for (int i = 0; i < k->rvars.len; i++)
      if (!k->rvars.data[i].ext)
        return bad(&v, -1, "rvar r%d has no extent", i);
    for (int i = 0; i < k->schedules.len; i++) {
      int node = k->schedules.data[i].node;
      if (node < 0 || node >= k->nodes.len)
        return bad(&v, -1, "schedule %d names node %d", i, node);
    }
  }
  return 0;
}
