/*
 * lower.c: graph IR -> loop IR, one stage per graph node.
 *
 * Each live node (one that reaches an output) becomes at most one stage
 * writing a buffer of the node's shape:
 *   - INPUT/WEIGHT nodes are argument buffers and need no stage;
 *   - CONST nodes get no buffer at all: their readers inline the value;
 *   - RESHAPE is an ALIAS of its operand's buffer (buffers are contiguous,
 *     so a reshape is free), except of a constant, which is materialized;
 *   - every other op is one stage whose body reads its operands at index
 *     expressions of the output's index variables: broadcasting reads
 *     index 0 on axes of extent 1, permute/slice/expand/pad/concat are
 *     index arithmetic (concat is a chain of lazy WHEREs, pad a WHERE
 *     between the read and the fill value), reductions, matmul, linear and
 *     einsum are REDUCE nodes over fresh reduction variables, argmax/argmin
 *     are ARGMAX/ARGMIN reductions, and compute bodies are copied with
 *     their LOADs pointing at buffers (their stages are bounds checked).
 * The stage computing an output's node writes straight into the output
 * argument; an output that is an input, a weight, a constant, a reshape or
 * a node that another output already took gets a copy stage at the end.
 * Composite ops (softmax, norms) must have been decomposed first.
 */
#include "rewrite.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct lowerer {
  const tc_module *m;
  const tc_kernel *k;
  tc_loop_prog *p;
  tc_diag *d;
  int *buf_of; /* node -> buffer id, -1 when none (yet, or a constant) */
} lowerer;

static const tc_node *node_at(const lowerer *l, int id) {
  assert(id >= 0 && id < l->k->nodes.len);
  return &l->k->nodes.data[id];
}

/* The value of node `id` at index `idx` (one i64 sexpr per axis). */
static const tc_sexpr *read_node(lowerer *l, int id, const tc_sexpr *const *idx) {
  const tc_node *n = node_at(l, id);
  if (n->op == TC_OP_CONST)
    return tc_loop_sx_const(l->p, n->dtype, n->num, n->inum);
  assert(l->buf_of[id] >= 0);
  return tc_loop_sx_load(l->p, l->buf_of[id], idx);
}

/* The value of node `id` broadcast (NumPy rules, aligned right) to an
   output of rank `rank`, read at the stage's index variables. */
static const tc_sexpr *read_bcast(lowerer *l, int id, int rank) {
  const tc_node *n = node_at(l, id);
  const tc_sexpr *idx[TC_MAX_RANK];
  int64_t v;
  for (int d = 0; d < n->rank; d++) {
    int od = d + rank - n->rank;
    if (tc_ext_is_const(n->shape[d], &v) && v == 1)
      idx[d] = tc_loop_sx_int(l->p, 0);
    else
      idx[d] = tc_loop_sx_ivar(l->p, od);
  }
  return read_node(l, id, idx);
}

/* The buffer that node `id`'s stage writes: the output argument claimed
   for it, or a new temporary. */
static int out_buf(lowerer *l, int id) {
  if (l->buf_of[id] >= 0) return l->buf_of[id];
  const tc_node *n = node_at(l, id);
  char name[32];
  snprintf(name, sizeof name, "t%d", id);
  tc_lbuf b = {tc_arena_strdup(&l->p->arena, name), TC_LBUF_TEMP, n->dtype,
               n->rank, n->shape, -1, -1, -1, id};
  l->buf_of[id] = tc_loop_add_buf(l->p, &b);
  return l->buf_of[id];
}

static void add_stage(lowerer *l, int id, const tc_sexpr *body, int checked,
                      const char *what) {
  const tc_node *n = node_at(l, id);
  tc_stage s = {out_buf(l, id), tc_loop_sx_cast(l->p, body, n->dtype), checked,
                what ? what : tc_op_name(n->op), n->loc};
  tc_loop_add_stage(l->p, &s);
}

static const tc_sexpr *sx_num(lowerer *l, tc_op op, tc_dtype t, int nargs,
                              const tc_sexpr *const *args, double num,
                              tc_loc loc) {
  tc_sexpr *e = (tc_sexpr *)tc_loop_sx(l->p, op, t, nargs, args, loc);
  e->num = num; /* freshly made here, so still ours to fill in */
  return e;
}

/* ---- reductions -------------------------------------------------------- */

static int lower_reduce(lowerer *l, int id) {
  const tc_node *n = node_at(l, id);
  const tc_node *x = node_at(l, n->in[0]);
  int reduced[TC_MAX_RANK] = {0};
  for (int i = 0; i < n->nints; i++) {
    assert(n->ints[i] >= 0 && n->ints[i] < x->rank);
    reduced[n->ints[i]] = 1;
  }
  /* One rvar per reduced axis; the others follow the output's ivars. */
  const tc_sexpr *idx[TC_MAX_RANK];
  int rv[TC_MAX_RANK];
  int od = 0;
  for (int a = 0; a < x->rank; a++) {
    if (reduced[a]) {
      rv[a] = tc_loop_new_rvar(l->p);
      idx[a] = tc_loop_sx_rvar(l->p, rv[a]);
      if (n->keepdim) od++;
    } else {
      idx[a] = tc_loop_sx_ivar(l->p, od++);
    }
  }
  assert(od == n->rank);
  const tc_sexpr *body = read_node(l, n->in[0], idx);
  if (n->op == TC_OP_ARGMAX || n->op == TC_OP_ARGMIN) {
    if (n->nints != 1)
      return tc_diag_at(l->d, n->loc, "%s over %d axes is not supported",
                        tc_op_name(n->op), n->nints);
    int a = (int)n->ints[0];
    body = tc_loop_sx_reduce(l->p, n->op, TC_DT_I64, rv[a], x->shape[a], body,
                             n->loc);
    add_stage(l, id, body, 0, NULL);
    return 0;
  }
  tc_dtype acc = n->dtype;
  tc_op red = n->op == TC_OP_MEAN ? TC_OP_SUM : n->op;
  body = tc_loop_sx_cast(l->p, body, acc);
  const tc_ext *count = tc_ext_const(&l->p->arena, 1);
  for (int a = x->rank - 1; a >= 0; a--) {
    if (!reduced[a]) continue;
    body = tc_loop_sx_reduce(l->p, red, acc, rv[a], x->shape[a], body, n->loc);
    count = tc_ext_binary(&l->p->arena, TC_EXT_MUL, x->shape[a], count);
  }
  if (n->op == TC_OP_MEAN) {
    /* An empty axis gives 0 / 0, the NaN the DSL promises. */
    assert(tc_dtype_is_float(acc));
    const tc_sexpr *args[2] = {
        body, tc_loop_sx_cast(l->p, tc_loop_sx_extent(l->p, count), acc)};
    body = tc_loop_sx(l->p, TC_OP_DIV, acc, 2, args, n->loc);
  }
  add_stage(l, id, body, 0, NULL);
  return 0;
}

/* ---- linear algebra ---------------------------------------------------- */

/* Index variables for the leading (batch) axes of an operand of rank
   `rank` whose last `tail` axes are the matrix, broadcast against an
   output with `obatch` batch axes. */
static void batch_idx(lowerer *l, const tc_node *x, int tail, int obatch,
                      const tc_sexpr **idx) {
  int xb = x->rank - tail;
  int64_t v;
  for (int j = 0; j < xb; j++) {
    if (tc_ext_is_const(x->shape[j], &v) && v == 1)
      idx[j] = tc_loop_sx_int(l->p, 0);
    else
      idx[j] = tc_loop_sx_ivar(l->p, j + obatch - xb);
  }
}

static const tc_sexpr *mul(lowerer *l, tc_dtype t, const tc_sexpr *a,
                           const tc_sexpr *b, tc_loc loc) {
  const tc_sexpr *args[2] = {tc_loop_sx_cast(l->p, a, t), tc_loop_sx_cast(l->p, b, t)};
  return tc_loop_sx(l->p, TC_OP_MUL, t, 2, args, loc);
}

static int lower_matmul(lowerer *l, int id) {
  const tc_node *n = node_at(l, id);
  const tc_node *a = node_at(l, n->in[0]), *b = node_at(l, n->in[1]);
  int r = n->rank, ob = r - 2;
  const tc_sexpr *ia[TC_MAX_RANK], *ib[TC_MAX_RANK];
  batch_idx(l, a, 2, ob, ia);
  batch_idx(l, b, 2, ob, ib);
  int k = tc_loop_new_rvar(l->p);
  const tc_sexpr *rk = tc_loop_sx_rvar(l->p, k);
  ia[a->rank - 2] = tc_loop_sx_ivar(l->p, r - 2);
  ia[a->rank - 1] = rk;
  ib[b->rank - 2] = rk;
  ib[b->rank - 1] = tc_loop_sx_ivar(l->p, r - 1);
  const tc_sexpr *body = mul(l, n->dtype, read_node(l, n->in[0], ia),
                             read_node(l, n->in[1], ib), n->loc);
  body = tc_loop_sx_reduce(l->p, TC_OP_SUM, n->dtype, k, a->shape[a->rank - 1],
                           body, n->loc);
  add_stage(l, id, body, 0, NULL);
  return 0;
}

/* y[..., o] = sum(k: x[..., k] * w[o, k]) (+ b[o]) */
static int lower_linear(lowerer *l, int id) {
  const tc_node *n = node_at(l, id);
  const tc_node *x = node_at(l, n->in[0]);
  int r = n->rank;
  const tc_sexpr *ix[TC_MAX_RANK], *iw[2];
  int k = tc_loop_new_rvar(l->p);
  for (int d = 0; d < x->rank - 1; d++) ix[d] = tc_loop_sx_ivar(l->p, d);
  ix[x->rank - 1] = tc_loop_sx_rvar(l->p, k);
  iw[0] = tc_loop_sx_ivar(l->p, r - 1);
  iw[1] = tc_loop_sx_rvar(l->p, k);
  const tc_sexpr *body = mul(l, n->dtype, read_node(l, n->in[0], ix),
                             read_node(l, n->in[1], iw), n->loc);
  body = tc_loop_sx_reduce(l->p, TC_OP_SUM, n->dtype, k,
                           x->shape[x->rank - 1], body, n->loc);
  int has_bias = n->nints > 0 ? (int)n->ints[0] : n->nin > 2;
  if (has_bias && n->nin > 2) {
    const tc_sexpr *ib[1] = {tc_loop_sx_ivar(l->p, r - 1)};
    const tc_sexpr *args[2] = {
        body, tc_loop_sx_cast(l->p, read_node(l, n->in[2], ib), n->dtype)};
    body = tc_loop_sx(l->p, TC_OP_ADD, n->dtype, 2, args, n->loc);
  }
  add_stage(l, id, body, 0, NULL);
  return 0;
}

/* einsum("bik,bkj->bij", ...): letters of the output are index variables,
   the others are summed over, in order of first appearance. */
static int lower_einsum(lowerer *l, int id) {
  const tc_node *n = node_at(l, id);
  const char *s = n->str;
  const char *arrow = s ? strstr(s, "->") : NULL;
  if (!arrow) return tc_diag_at(l->d, n->loc, "einsum needs the explicit form");
  int ivar_of[128], rvar_of[128];
  const tc_ext *ext_of[128] = {0};
  for (int c = 0; c < 128; c++) ivar_of[c] = rvar_of[c] = -1;
  int pos = 0;
  for (const char *c = arrow + 2; *c; c++) ivar_of[(unsigned char)*c & 127] = pos++;
  /* operand letters */
  const tc_sexpr *body = NULL;
  int order[128], norder = 0;
  const char *c = s;
  for (int op = 0; op < n->nin; op++) {
    const tc_node *x = node_at(l, n->in[op]);
    const tc_sexpr *idx[TC_MAX_RANK];
    int ax = 0;
    for (; *c && *c != ',' && c < arrow; c++, ax++) {
      int ch = (unsigned char)*c & 127;
      if (ax >= x->rank) return tc_diag_at(l->d, n->loc, "einsum: operand %d has rank %d", op, x->rank);
      if (!ext_of[ch]) ext_of[ch] = x->shape[ax];
      if (ivar_of[ch] >= 0) {
        idx[ax] = tc_loop_sx_ivar(l->p, ivar_of[ch]);
      } else {
        if (rvar_of[ch] < 0) {
          rvar_of[ch] = tc_loop_new_rvar(l->p);
          order[norder++] = ch;
        }
        idx[ax] = tc_loop_sx_rvar(l->p, rvar_of[ch]);
      }
    }
    if (*c == ',') c++;
    const tc_sexpr *v = tc_loop_sx_cast(l->p, read_node(l, n->in[op], idx), n->dtype);
    body = body ? mul(l, n->dtype, body, v, n->loc) : v;
  }
  for (int i = norder - 1; i >= 0; i--)
    body = tc_loop_sx_reduce(l->p, TC_OP_SUM, n->dtype, rvar_of[order[i]],
                             ext_of[order[i]], body, n->loc);
  add_stage(l, id, body, 0, NULL);
  return 0;
}

/* ---- shapes ------------------------------------------------------------ */

static int lower_permute(lowerer *l, int id) {
  const tc_node *n = node_at(l, id);
  const tc_sexpr *idx[TC_MAX_RANK];
  for (int d = 0; d < n->rank; d++) idx[n->ints[d]] = tc_loop_sx_ivar(l->p, d);
  add_stage(l, id, read_node(l, n->in[0], idx), 0, NULL);
  return 0;
}

static int lower_slice(lowerer *l, int id) {
  const tc_node *n = node_at(l, id);
  const tc_sexpr *idx[TC_MAX_RANK];
  int64_t step = n->nints > 0 ? n->ints[0] : 1;
  for (int d = 0; d < n->rank; d++) idx[d] = tc_loop_sx_ivar(l->p, d);
  idx[n->axis] = tc_loop_sx_iop(
      l->p, TC_OP_ADD, tc_loop_sx_extent(l->p, n->exts[0]),
      tc_loop_sx_iop(l->p, TC_OP_MUL, idx[n->axis], tc_loop_sx_int(l->p, step)));
  add_stage(l, id, read_node(l, n->in[0], idx), 0, NULL);
  return 0;
}

/* where(i < off1, p0[.., i, ..], where(i < off2, p1[.., i - off1, ..], ...)) */
static int lower_concat(lowerer *l, int id) {
  const tc_node *n = node_at(l, id);
  const tc_sexpr *iv = tc_loop_sx_ivar(l->p, n->axis);
  const tc_sexpr *offs[64];
  const tc_sexpr **off = n->nin <= 64 ? offs : tc_arena_alloc(&l->p->arena, (size_t)n->nin * sizeof *off);
  off[0] = tc_loop_sx_int(l->p, 0);
  for (int i = 1; i < n->nin; i++)
    off[i] = tc_loop_sx_iop(l->p, TC_OP_ADD, off[i - 1],
                            tc_loop_sx_extent(l->p, node_at(l, n->in[i - 1])->shape[n->axis]));
  const tc_sexpr *body = NULL;
  for (int i = n->nin - 1; i >= 0; i--) {
    const tc_sexpr *idx[TC_MAX_RANK];
    for (int d = 0; d < n->rank; d++) idx[d] = tc_loop_sx_ivar(l->p, d);
    idx[n->axis] = tc_loop_sx_iop(l->p, TC_OP_SUB, iv, off[i]);
    const tc_sexpr *v = tc_loop_sx_cast(l->p, read_node(l, n->in[i], idx), n->dtype);
    if (!body) {
      body = v;
    } else {
      const tc_sexpr *cargs[2] = {iv, off[i + 1]};
      const tc_sexpr *args[3] = {tc_loop_sx(l->p, TC_OP_LT, TC_DT_BOOL, 2, cargs, n->loc), v, body};
      body = tc_loop_sx(l->p, TC_OP_WHERE, n->dtype, 3, args, n->loc);
    }
  }
  add_stage(l, id, body, 0, NULL);
  return 0;
}

static int lower_pad(lowerer *l, int id) {
  const tc_node *n = node_at(l, id);
  const tc_node *x = node_at(l, n->in[0]);
  const tc_sexpr *idx[TC_MAX_RANK], *cond = NULL;
  for (int d = 0; d < n->rank; d++) {
    int64_t before = n->ints[2 * d], after = n->ints[2 * d + 1];
    idx[d] = tc_loop_sx_iop(l->p, TC_OP_SUB, tc_loop_sx_ivar(l->p, d),
                            tc_loop_sx_int(l->p, before));
    if (before == 0 && after == 0) continue;
    const tc_sexpr *c;
    const tc_sexpr *hi[2] = {idx[d], tc_loop_sx_extent(l->p, x->shape[d])};
    c = tc_loop_sx(l->p, TC_OP_LT, TC_DT_BOOL, 2, hi, n->loc);
    if (before > 0) {
      const tc_sexpr *lo[2] = {idx[d], tc_loop_sx_int(l->p, 0)};
      const tc_sexpr *both[2] = {tc_loop_sx(l->p, TC_OP_GE, TC_DT_BOOL, 2, lo, n->loc), c};
      c = tc_loop_sx(l->p, TC_OP_LOGICAL_AND, TC_DT_BOOL, 2, both, n->loc);
    }
    if (cond) {
      const tc_sexpr *both[2] = {cond, c};
      cond = tc_loop_sx(l->p, TC_OP_LOGICAL_AND, TC_DT_BOOL, 2, both, n->loc);
    } else {
      cond = c;
    }
  }
  const tc_sexpr *v = tc_loop_sx_cast(l->p, read_node(l, n->in[0], idx), n->dtype);
  if (cond) {
    const tc_sexpr *args[3] = {cond, v, tc_loop_sx_const(l->p, n->dtype, n->num, n->inum)};
    v = tc_loop_sx(l->p, TC_OP_WHERE, n->dtype, 3, args, n->loc);
  }
  add_stage(l, id, v, 0, NULL);
  return 0;
}

/* ---- compute bodies ---------------------------------------------------- */

/* A copy of compute body e whose LOADs name buffers (constants are
   inlined); `done` maps old subtrees to their copies so that shared
   subtrees stay shared. */
static const tc_sexpr *remap_sx(lowerer *l, tcP_ptrmap *done, const tc_sexpr *e) {
  const tc_sexpr *seen = tcP_ptrmap_get(done, e);
  if (seen) return seen;
  const tc_sexpr *out;
  if (e->op == TC_OP_LOAD && node_at(l, e->ref)->op == TC_OP_CONST) {
    const tc_node *c = node_at(l, e->ref);
    out = tc_loop_sx_const(l->p, c->dtype, c->num, c->inum);
  } else if (e->nargs == 0 && e->op != TC_OP_LOAD) {
    out = e; /* leaves are immutable and mean the same here */
  } else {
    tc_sexpr *c = tc_arena_alloc(&l->p->arena, sizeof *c);
    *c = *e;
    c->args = tc_arena_alloc(&l->p->arena, (size_t)(e->nargs ? e->nargs : 1) * sizeof *c->args);
    for (int i = 0; i < e->nargs; i++) c->args[i] = remap_sx(l, done, e->args[i]);
    if (e->op == TC_OP_LOAD) {
      assert(l->buf_of[e->ref] >= 0);
      c->ref = l->buf_of[e->ref];
    }
    out = c;
  }
  tcP_ptrmap_put(done, e, out);
  return out;
}

static int lower_compute(lowerer *l, int id) {
  const tc_node *n = node_at(l, id);
  tcP_ptrmap done = {0};
  const tc_sexpr *body = remap_sx(l, &done, n->body);
  tcP_ptrmap_free(&done);
  add_stage(l, id, body, 1, NULL);
  return 0;
}

/* ---- driver ------------------------------------------------------------ */

static int lower_node(lowerer *l, int id) {
  const tc_node *n = node_at(l, id);
  switch (n->op) {
  case TC_OP_INPUT:
  case TC_OP_WEIGHT:
  case TC_OP_CONST:
    return 0;
  case TC_OP_RESHAPE: {
    int src = l->buf_of[n->in[0]];
    if (src < 0) { /* a constant: materialize it */
      add_stage(l, id, read_node(l, n->in[0], NULL), 0, NULL);
      return 0;
    }
    if (l->p->bufs.data[src].kind == TC_LBUF_ALIAS) src = l->p->bufs.data[src].alias;
    char name[32];
    snprintf(name, sizeof name, "t%d", id);
    tc_lbuf b = {tc_arena_strdup(&l->p->arena, name), TC_LBUF_ALIAS, n->dtype,
                 n->rank, n->shape, -1, -1, src, id};
    l->buf_of[id] = tc_loop_add_buf(l->p, &b);
    return 0;
  }
  case TC_OP_CAST:
  case TC_OP_EXPAND:
    add_stage(l, id, tc_loop_sx_cast(l->p, read_bcast(l, n->in[0], n->rank), n->dtype), 0, NULL);
    return 0;
  case TC_OP_SUM: case TC_OP_MEAN: case TC_OP_MAX: case TC_OP_MIN:
  case TC_OP_PROD: case TC_OP_ARGMAX: case TC_OP_ARGMIN:
    return lower_reduce(l, id);
  case TC_OP_PERMUTE: return lower_permute(l, id);
  case TC_OP_SLICE: return lower_slice(l, id);
  case TC_OP_CONCAT: return lower_concat(l, id);
  case TC_OP_PAD: return lower_pad(l, id);
  case TC_OP_MATMUL: return lower_matmul(l, id);
  case TC_OP_LINEAR: return lower_linear(l, id);
  case TC_OP_EINSUM: return lower_einsum(l, id);
  case TC_OP_COMPUTE: return lower_compute(l, id);
  default:
    break;
  }
  if (tc_op_is_elementwise(n->op)) {
    const tc_sexpr *args[3];
    assert(n->nin <= 3);
    for (int i = 0; i < n->nin; i++) args[i] = read_bcast(l, n->in[i], n->rank);
    add_stage(l, id, sx_num(l, n->op, n->dtype, n->nin, args, n->num, n->loc), 0, NULL);
    return 0;
  }
  return tc_diag_at(l->d, n->loc,
                    "internal error: %s reached lowering (decompose first)",
                    tc_op_name(n->op));
}

tc_loop_prog *tcP_lower(const tc_module *m, const tc_kernel *k, tc_diag *d) {
  int nn = k->nodes.len;
  lowerer l = {m, k, tc_loop_new(m, k), d, tc_xmalloc(((size_t)nn + 1) * sizeof(int))};
  char *live = tc_xcalloc((size_t)nn + 1, 1);
  int *abi = tc_xmalloc(((size_t)k->args.len + 1) * sizeof(int));
  int *arg_buf = tc_xmalloc(((size_t)k->args.len + 1) * sizeof(int));
  int rc = 0;
  for (int i = 0; i < nn; i++) l.buf_of[i] = -1;

  /* Dead code: only what reaches an output is lowered. */
  for (int a = 0; a < k->args.len; a++)
    if (k->args.data[a].role == TC_ROLE_OUTPUT) live[k->args.data[a].node] = 1;
  for (int i = nn - 1; i >= 0; i--)
    if (live[i])
      for (int j = 0; j < k->nodes.data[i].nin; j++) live[k->nodes.data[i].in[j]] = 1;

  /* Arguments, in ABI order. */
  int na = tc_kernel_abi_args(k, abi);
  for (int j = 0; j < na; j++) {
    const tc_arg *a = &k->args.data[abi[j]];
    tc_lbuf b = {a->name, TC_LBUF_ARG, a->dtype, a->rank, a->shape, abi[j], j, -1,
                 a->role == TC_ROLE_OUTPUT ? -1 : a->node};
    arg_buf[abi[j]] = tc_loop_add_buf(l.p, &b);
    if (a->role != TC_ROLE_OUTPUT) l.buf_of[a->node] = arg_buf[abi[j]];
  }
  /* Outputs whose node a stage computes get it written in place. */
  char *claimed = tc_xcalloc((size_t)k->args.len + 1, 1);
  for (int j = 0; j < na; j++) {
    const tc_arg *a = &k->args.data[abi[j]];
    if (a->role != TC_ROLE_OUTPUT) continue;
    tc_op op = k->nodes.data[a->node].op;
    if (op == TC_OP_INPUT || op == TC_OP_WEIGHT || op == TC_OP_CONST ||
        op == TC_OP_RESHAPE || l.buf_of[a->node] >= 0)
      continue;
    l.buf_of[a->node] = arg_buf[abi[j]];
    claimed[abi[j]] = 1;
  }
  for (int i = 0; i < nn && !rc; i++)
    if (live[i]) rc = lower_node(&l, i);
  /* The other outputs are copies. */
  for (int j = 0; j < na && !rc; j++) {
    const tc_arg *a = &k->args.data[abi[j]];
    if (a->role != TC_ROLE_OUTPUT || claimed[abi[j]]) continue;
    const tc_sexpr *idx[TC_MAX_RANK];
    for (int d = 0; d < a->rank; d++) idx[d] = tc_loop_sx_ivar(l.p, d);
    tc_stage s = {arg_buf[abi[j]],
                  tc_loop_sx_cast(l.p, read_node(&l, a->node, idx), a->dtype), 0,
                  "copy", a->loc};
    tc_loop_add_stage(l.p, &s);
  }
  free(claimed);
  free(live);
  free(abi);
  free(arg_buf);
  free(l.buf_of);
  if (!rc) rc = tc_loop_verify(l.p, d);
  if (rc) {
    tc_loop_free(l.p);
    return NULL;
  }
  return l.p;
}
