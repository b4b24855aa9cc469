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
 * Composite ops (softmax, norms) must have been decomposed first.  Every
 * stage records the node it implements (tc_stage.nodes; a copy, the node
 * it copies).
 *
 * The operations of issue 3:
 *   - conv2d: one stage, out[n, co, oh, ow] = sum over the input channels
 *     of co's group and the window of x * w (+ b[co]); padding is a lazy
 *     WHERE around the product (no read outside x);
 *   - max_pool2d / avg_pool2d: a MAX (padding reads the dtype's lowest
 *     value) or a SUM (padding reads 0) over the window, avg divided by
 *     kh * kw as PyTorch's count_include_pad;
 *   - spmm: a REDUCE over the data-dependent range rowptr[i] ..
 *     rowptr[i + 1] - 1 of val[p] * x[col[p], f] (the kernel validates
 *     rowptr and col before any stage); mean divides by the row's count,
 *     and mean, max and min give 0 for an empty row (a WHERE);
 *   - gather / index_select: a checked stage (the index values read from
 *     the index tensor are checked: TC_EINDEX);
 *   - scatter: TC_STAGE_ACCUM stages (loop.h) over [L, the other axes of
 *     src], the scattered axis outermost; mean, max and min also count the
 *     slices each entry receives (a second accumulation over [L]) and
 *     finish with a stage giving 0 where the count is 0 (and dividing for
 *     mean).  bf16 sums accumulate in an f32 temporary;
 *   - quantize: sat(round_half_even(x / scale) + zp), NaN giving zp (the
 *     saturating cast turns +-inf into the dtype's limits); dequantize:
 *     f32(q - zp) * scale; per channel the scale and zero point are read
 *     at the channel axis' index;
 *   - literal: a CONST buffer, no stage.
 */
#include "rewrite.h"

#include <assert.h>
#include <math.h>
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

/* A buffer description (the fields not named here are zero). */
static tc_lbuf lbuf(const char *name, tc_lbuf_kind kind, tc_dtype t, int rank,
                    const tc_ext *const *shape, int arg, int abi, int alias,
                    int node) {
  tc_lbuf b;
  memset(&b, 0, sizeof b);
  b.name = name;
  b.kind = kind;
  b.dtype = t;
  b.rank = rank;
  b.shape = shape;
  b.arg = arg;
  b.abi = abi;
  b.alias = alias;
  b.node = node;
  return b;
}

/* The list {node} of a stage's `nodes`, in p's arena. */
static const int *node_list(tc_loop_prog *p, int node) {
  int *v = tc_arena_alloc(&p->arena, sizeof *v);
  *v = node;
  return v;
}

/* A MAP stage computing graph node `node`. */
static tc_stage map_stage(tc_loop_prog *p, int out, const tc_sexpr *body, int checked,
                          const char *what, tc_loc loc, int node) {
  tc_stage s;
  memset(&s, 0, sizeof s);
  s.out = out;
  s.body = body;
  s.checked = checked;
  s.what = what;
  s.loc = loc;
  s.nodes = node_list(p, node);
  s.nnodes = 1;
  return s;
}

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
  tc_lbuf b = lbuf(tc_arena_strdup(&l->p->arena, name), TC_LBUF_TEMP, n->dtype,
               n->rank, n->shape, -1, -1, -1, id);
  l->buf_of[id] = tc_loop_add_buf(l->p, &b);
  return l->buf_of[id];
}

static void add_stage(lowerer *l, int id, const tc_sexpr *body, int checked,
                      const char *what) {
  const tc_node *n = node_at(l, id);
  tc_stage s = map_stage(l->p, out_buf(l, id), tc_loop_sx_cast(l->p, body, n->dtype), checked,
                what ? what : n->note ? n->note : tc_op_name(n->op), n->loc, id);
  tc_loop_add_stage(l->p, &s);
}

/* ---- small sexpr helpers ---------------------------------------------- */

static const tc_sexpr *ivar(lowerer *l, int d) { return tc_loop_sx_ivar(l->p, d); }
static const tc_sexpr *iconst(lowerer *l, int64_t v) { return tc_loop_sx_int(l->p, v); }
static const tc_sexpr *iadd(lowerer *l, const tc_sexpr *a, const tc_sexpr *b) {
  return tc_loop_sx_iop(l->p, TC_OP_ADD, a, b);
}
static const tc_sexpr *isub(lowerer *l, const tc_sexpr *a, const tc_sexpr *b) {
  return tc_loop_sx_iop(l->p, TC_OP_SUB, a, b);
}
static const tc_sexpr *imul(lowerer *l, const tc_sexpr *a, const tc_sexpr *b) {
  return tc_loop_sx_iop(l->p, TC_OP_MUL, a, b);
}
static const tc_sexpr *sx2(lowerer *l, tc_op op, tc_dtype t, const tc_sexpr *a,
                           const tc_sexpr *b, tc_loc loc) {
  const tc_sexpr *args[2] = {a, b};
  return tc_loop_sx(l->p, op, t, 2, args, loc);
}
static const tc_sexpr *cmp(lowerer *l, tc_op op, const tc_sexpr *a,
                           const tc_sexpr *b, tc_loc loc) {
  return sx2(l, op, TC_DT_BOOL, a, b, loc);
}
static const tc_sexpr *land(lowerer *l, const tc_sexpr *a, const tc_sexpr *b,
                            tc_loc loc) {
  if (!a) return b;
  if (!b) return a;
  return cmp(l, TC_OP_LOGICAL_AND, a, b, loc);
}
static const tc_sexpr *where(lowerer *l, const tc_sexpr *c, const tc_sexpr *a,
                             const tc_sexpr *b, tc_loc loc) {
  const tc_sexpr *args[3] = {c, a, b};
  return tc_loop_sx(l->p, TC_OP_WHERE, a->dtype, 3, args, loc);
}
/* A value read as an i64 index. */
static const tc_sexpr *as_index(lowerer *l, const tc_sexpr *e) {
  return tc_loop_sx_cast(l->p, e, TC_DT_I64);
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
    if (n->inum) { /* an empty axis gives the identity (tc_node.inum) */
      tc_sexpr *e = (tc_sexpr *)body; /* (just made) */
      e->inum = 1;
    }
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

/* ---- convolution and pooling ------------------------------------------ */

/* `a*stride - pad + k*dil`, an input coordinate of a window. */
static const tc_sexpr *window_coord(lowerer *l, const tc_sexpr *o, int64_t stride,
                                    int64_t pad, const tc_sexpr *k, int64_t dil) {
  return iadd(l, isub(l, imul(l, o, iconst(l, stride)), iconst(l, pad)),
              imul(l, k, iconst(l, dil)));
}

/* 0 <= c < extent, or NULL when there is no padding (the window then fits
   by construction of the output's extent). */
static const tc_sexpr *in_bounds(lowerer *l, const tc_sexpr *c, const tc_ext *extent,
                                 int64_t pad, tc_loc loc) {
  if (pad == 0) return NULL;
  return land(l, cmp(l, TC_OP_GE, c, iconst(l, 0), loc),
              cmp(l, TC_OP_LT, c, tc_loop_sx_extent(l->p, extent), loc), loc);
}

/* The index expressions of a convolution window (graph.h CONV2D, ints a):
   x's and w's indices, the padding condition (or NULL), the output
   channel's index variable, and the three reduction variables (input
   channel of the group, kh, kw) with their extents; `first` is 1 when a
   grouped convolution has one input channel a group (depthwise): no sum
   over it, its index the constant 0, so that x's last index in NHWC is
   the output channel alone (a vector load along it). */
typedef struct conv_ix {
  const tc_sexpr *ix[4], *iw[4], *cond, *oc;
  int rv[3], first;
  const tc_ext *ext[3];
} conv_ix;

static void conv_indices(lowerer *l, const int64_t *a, const tc_node *x, const tc_node *w,
                         tc_loc loc, conv_ix *c) {
  int nhwc = a[7] != 0;
  int64_t groups = a[6];
  const tc_ext *H = x->shape[nhwc ? 1 : 2], *W = x->shape[nhwc ? 2 : 3];
  const tc_ext *Cout = w->shape[nhwc ? 3 : 0], *Cg = w->shape[nhwc ? 2 : 1];
  c->ext[0] = Cg;
  c->ext[1] = w->shape[nhwc ? 0 : 2];
  c->ext[2] = w->shape[nhwc ? 1 : 3];
  const tc_sexpr *on = ivar(l, 0), *oc = ivar(l, nhwc ? 3 : 1);
  const tc_sexpr *oh = ivar(l, nhwc ? 1 : 2), *ow = ivar(l, nhwc ? 2 : 3);
  int64_t cg;
  c->first = groups > 1 && tc_ext_is_const(Cg, &cg) && cg == 1;
  for (int i = 0; i < 3; i++) c->rv[i] = i < c->first ? -1 : tc_loop_new_rvar(l->p);
  const tc_sexpr *ci = c->first ? iconst(l, 0) : tc_loop_sx_rvar(l->p, c->rv[0]),
                 *kh = tc_loop_sx_rvar(l->p, c->rv[1]), *kw = tc_loop_sx_rvar(l->p, c->rv[2]);
  const tc_sexpr *ih = window_coord(l, oh, a[0], a[2], kh, a[4]);
  const tc_sexpr *iw = window_coord(l, ow, a[1], a[3], kw, a[5]);
  /* output channel co reads the input channels of its group */
  const tc_sexpr *cin = ci;
  if (groups > 1) {
    const tc_ext *per = tc_ext_binary(&l->p->arena, TC_EXT_FLOORDIV, Cout,
                                      tc_ext_const(&l->p->arena, groups));
    int64_t pv;
    const tc_sexpr *g = tc_ext_is_const(per, &pv) && pv == 1
                            ? oc
                            : sx2(l, TC_OP_FLOORDIV, TC_DT_I64, oc, tc_loop_sx_extent(l->p, per), loc);
    cin = iadd(l, imul(l, g, tc_loop_sx_extent(l->p, Cg)), ci);
  }
  if (nhwc) {
    c->ix[0] = on, c->ix[1] = ih, c->ix[2] = iw, c->ix[3] = cin;
    c->iw[0] = kh, c->iw[1] = kw, c->iw[2] = ci, c->iw[3] = oc;
  } else {
    c->ix[0] = on, c->ix[1] = cin, c->ix[2] = ih, c->ix[3] = iw;
    c->iw[0] = oc, c->iw[1] = ci, c->iw[2] = kh, c->iw[3] = kw;
  }
  c->oc = oc;
  c->cond = land(l, in_bounds(l, ih, H, a[2], loc), in_bounds(l, iw, W, a[3], loc), loc);
}

/* The window's sum of `term` (of dtype t), padding reading 0. */
static const tc_sexpr *conv_sum(lowerer *l, const conv_ix *c, tc_dtype t,
                                const tc_sexpr *term, tc_loc loc) {
  if (c->cond) term = where(l, c->cond, term, tc_loop_sx_const(l->p, t, 0, 0), loc);
  for (int i = 2; i >= c->first; i--)
    term = tc_loop_sx_reduce(l->p, TC_OP_SUM, t, c->rv[i], c->ext[i], term, loc);
  return term;
}

static int lower_conv2d(lowerer *l, int id) {
  const tc_node *n = node_at(l, id);
  tc_dtype t = n->dtype;
  conv_ix c;
  conv_indices(l, n->ints, node_at(l, n->in[0]), node_at(l, n->in[1]), n->loc, &c);
  const tc_sexpr *body = conv_sum(
      l, &c, t, mul(l, t, read_node(l, n->in[0], c.ix), read_node(l, n->in[1], c.iw), n->loc),
      n->loc);
  if (n->ints[8] && n->nin > 2) {
    const tc_sexpr *ib[1] = {c.oc};
    body = sx2(l, TC_OP_ADD, t, body, tc_loop_sx_cast(l->p, read_node(l, n->in[2], ib), t), n->loc);
  }
  add_stage(l, id, body, 0, NULL);
  if (t == TC_DT_F32) l->p->stages.data[l->p->stages.len - 1].conv = n->ints;
  return 0;
}

/* The smallest value of dtype t: the identity of max (and the value a
   max pool's padding reads, so that it never wins). */
static const tc_sexpr *lowest(lowerer *l, tc_dtype t) {
  switch (t) {
  case TC_DT_I8: return tc_loop_sx_const(l->p, t, 0, INT8_MIN);
  case TC_DT_U8: return tc_loop_sx_const(l->p, t, 0, 0);
  case TC_DT_I32: return tc_loop_sx_const(l->p, t, 0, INT32_MIN);
  case TC_DT_I64: return tc_loop_sx_const(l->p, t, 0, INT64_MIN);
  default: return tc_loop_sx_const(l->p, t, -HUGE_VAL, 0);
  }
}

static int lower_pool(lowerer *l, int id) {
  const tc_node *n = node_at(l, id);
  const tc_node *x = node_at(l, n->in[0]);
  const int64_t *a = n->ints;
  tc_dtype t = n->dtype;
  int is_max = n->op == TC_OP_MAX_POOL2D;
  int rh = tc_loop_new_rvar(l->p), rw = tc_loop_new_rvar(l->p);
  const tc_sexpr *kh = tc_loop_sx_rvar(l->p, rh), *kw = tc_loop_sx_rvar(l->p, rw);
  const tc_sexpr *ih = window_coord(l, ivar(l, 2), a[2], a[4], kh, 1);
  const tc_sexpr *iw = window_coord(l, ivar(l, 3), a[3], a[5], kw, 1);
  const tc_sexpr *ix[4] = {ivar(l, 0), ivar(l, 1), ih, iw};
  const tc_sexpr *body = tc_loop_sx_cast(l->p, read_node(l, n->in[0], ix), t);
  const tc_sexpr *cond = land(l, in_bounds(l, ih, x->shape[2], a[4], n->loc),
                              in_bounds(l, iw, x->shape[3], a[5], n->loc), n->loc);
  if (cond)
    body = where(l, cond, body, is_max ? lowest(l, t) : tc_loop_sx_const(l->p, t, 0, 0), n->loc);
  tc_op red = is_max ? TC_OP_MAX : TC_OP_SUM;
  body = tc_loop_sx_reduce(l->p, red, t, rw, tc_ext_const(&l->p->arena, a[1]), body, n->loc);
  body = tc_loop_sx_reduce(l->p, red, t, rh, tc_ext_const(&l->p->arena, a[0]), body, n->loc);
  if (!is_max)
    body = sx2(l, TC_OP_DIV, t, body, tc_loop_sx_const(l->p, t, (double)(a[0] * a[1]), 0), n->loc);
  add_stage(l, id, body, 0, NULL);
  return 0;
}

/* ---- sparse -------------------------------------------------------------- */

static int lower_spmm(lowerer *l, int id) {
  const tc_node *n = node_at(l, id);
  const tc_node *an = node_at(l, n->in[0]);
  const tc_arg *arg = &l->k->args.data[an->arg];
  tc_dtype t = n->dtype;
  tc_op red = (tc_op)n->ints[0];
  int rp = l->buf_of[n->in[0]]; /* rowptr; col and val follow */
  assert(rp >= 0 && l->p->bufs.data[rp].format == TC_FMT_CSR_ROWPTR);
  const tc_sexpr *i0 = ivar(l, 0);
  const tc_sexpr *i1p = iadd(l, i0, iconst(l, 1));
  const tc_sexpr *lo = as_index(l, tc_loop_sx_load(l->p, rp, &i0));
  const tc_sexpr *hi = as_index(l, tc_loop_sx_load(l->p, rp, &i1p));
  int r = tc_loop_new_rvar(l->p);
  const tc_sexpr *pr = tc_loop_sx_rvar(l->p, r);
  const tc_sexpr *ix[2] = {as_index(l, tc_loop_sx_load(l->p, rp + 1, &pr)), ivar(l, 1)};
  const tc_sexpr *v = tc_loop_sx_cast(l->p, read_node(l, n->in[1], ix), t);
  if (arg->has_values) v = mul(l, t, tc_loop_sx_load(l->p, rp + 2, &pr), v, n->loc);
  tc_op acc = red == TC_OP_MEAN ? TC_OP_SUM : red;
  const tc_sexpr *body = tc_loop_sx_reduce_range(l->p, acc, t, r, lo, hi, v, n->loc);
  if (red != TC_OP_SUM) {
    /* mean divides by the row's count; an empty row gives 0 (PyG) */
    if (red == TC_OP_MEAN)
      body = sx2(l, TC_OP_DIV, t, body, tc_loop_sx_cast(l->p, isub(l, hi, lo), t), n->loc);
    body = where(l, cmp(l, TC_OP_GT, hi, lo, n->loc), body, tc_loop_sx_const(l->p, t, 0, 0), n->loc);
  }
  add_stage(l, id, body, 0, NULL);
  return 0;
}

/* ---- indexing ------------------------------------------------------------ */

/* gather: out[i...] = x[i... with axis replaced by index[i...]];
   index_select: out[..., j, ...] = x[..., index[j], ...].  Checked: the
   index values are compared with x's extent (TC_EINDEX). */
static int lower_gather(lowerer *l, int id) {
  const tc_node *n = node_at(l, id);
  const tc_sexpr *idx[TC_MAX_RANK];
  for (int d = 0; d < n->rank; d++) idx[d] = ivar(l, d);
  const tc_sexpr *j;
  if (n->op == TC_OP_GATHER) {
    j = read_node(l, n->in[1], idx);
  } else {
    const tc_sexpr *ia = ivar(l, n->axis);
    j = read_node(l, n->in[1], &ia);
  }
  idx[n->axis] = as_index(l, j);
  add_stage(l, id, read_node(l, n->in[0], idx), 1, NULL);
  return 0;
}

/* An extra temporary of node id (scatter's accumulators), named
   t<id>_<suffix> in the printed IR. */
static int extra_temp(lowerer *l, int id, const char *suffix, tc_dtype t, int rank,
                      const tc_ext *const *shape) {
  char name[48];
  snprintf(name, sizeof name, "t%d_%s", id, suffix);
  const tc_ext **sh = tc_arena_alloc(&l->p->arena, (size_t)(rank ? rank : 1) * sizeof *sh);
  for (int d = 0; d < rank; d++) sh[d] = shape[d];
  tc_lbuf b = lbuf(tc_arena_strdup(&l->p->arena, name), TC_LBUF_TEMP, t, rank, sh, -1, -1, -1, -1);
  return tc_loop_add_buf(l->p, &b);
}

static void add_accum(lowerer *l, int id, int out, tc_op red, const tc_sexpr *init,
                      int dom_rank, const tc_ext *const *dom,
                      const tc_sexpr *const *idx, const tc_sexpr *body) {
  const tc_node *n = node_at(l, id);
  const tc_lbuf *o = &l->p->bufs.data[out];
  const tc_ext **dm = tc_arena_alloc(&l->p->arena, (size_t)(dom_rank ? dom_rank : 1) * sizeof *dm);
  for (int d = 0; d < dom_rank; d++) dm[d] = dom[d];
  const tc_sexpr **ix = tc_arena_alloc(&l->p->arena, (size_t)(o->rank ? o->rank : 1) * sizeof *ix);
  for (int d = 0; d < o->rank; d++) ix[d] = idx[d];
  tc_stage s;
  memset(&s, 0, sizeof s);
  s.out = out;
  s.body = tc_loop_sx_cast(l->p, body, o->dtype);
  s.checked = 1;
  s.what = tc_op_name(n->op);
  s.loc = n->loc;
  s.kind = TC_STAGE_ACCUM;
  s.red = red;
  s.init = init;
  s.dom_rank = dom_rank;
  s.dom = dm;
  s.idx = ix;
  s.nodes = node_list(l->p, id);
  s.nnodes = 1;
  tc_loop_add_stage(l->p, &s);
}

static int lower_scatter(lowerer *l, int id) {
  const tc_node *n = node_at(l, id);
  const tc_node *src = node_at(l, n->in[0]);
  tc_op red = (tc_op)n->ints[0];
  tc_dtype t = n->dtype;
  int ax = n->axis, r = n->rank;
  /* the domain: the scattered axis first, then src's other axes */
  const tc_ext *dom[TC_MAX_RANK];
  const tc_sexpr *si[TC_MAX_RANK], *oi[TC_MAX_RANK];
  dom[0] = src->shape[ax];
  const tc_sexpr *s0 = ivar(l, 0);
  const tc_sexpr *j = as_index(l, read_node(l, n->in[1], &s0));
  for (int d = 0, k = 1; d < r; d++) {
    if (d == ax) {
      si[d] = s0;
      oi[d] = j;
      continue;
    }
    dom[k] = src->shape[d];
    si[d] = oi[d] = ivar(l, k++);
  }
  const tc_sexpr *v = read_node(l, n->in[0], si);
  /* sums of bf16 accumulate in f32, rounded once at the end */
  tc_dtype acc_t = t == TC_DT_BF16 && red != TC_OP_MAX && red != TC_OP_MIN ? TC_DT_F32 : t;
  tc_op acc_red = red == TC_OP_MEAN ? TC_OP_SUM : red;
  const tc_sexpr *init = acc_red == TC_OP_SUM ? tc_loop_sx_const(l->p, acc_t, 0, 0)
                         : red == TC_OP_MAX   ? lowest(l, acc_t)
                                              : NULL;
  if (!init) { /* the identity of min: the largest value */
    switch (acc_t) {
    case TC_DT_I8: init = tc_loop_sx_const(l->p, acc_t, 0, INT8_MAX); break;
    case TC_DT_U8: init = tc_loop_sx_const(l->p, acc_t, 0, UINT8_MAX); break;
    case TC_DT_I32: init = tc_loop_sx_const(l->p, acc_t, 0, INT32_MAX); break;
    case TC_DT_I64: init = tc_loop_sx_const(l->p, acc_t, 0, INT64_MAX); break;
    default: init = tc_loop_sx_const(l->p, acc_t, HUGE_VAL, 0); break;
    }
  }
  if (red == TC_OP_SUM && acc_t == t) {
    add_accum(l, id, out_buf(l, id), TC_OP_SUM, init, r, dom, oi, v);
    return 0;
  }
  int acc = extra_temp(l, id, tc_op_name(acc_red), acc_t, r, n->shape);
  add_accum(l, id, acc, acc_red, init, r, dom, oi, v);
  const tc_sexpr *ox[TC_MAX_RANK];
  for (int d = 0; d < r; d++) ox[d] = ivar(l, d);
  const tc_sexpr *body = tc_loop_sx_load(l->p, acc, ox);
  if (red != TC_OP_SUM) {
    /* how many slices each entry receives: an entry that receives none is 0 */
    const tc_ext *S = n->shape[ax];
    int cnt = extra_temp(l, id, "count", TC_DT_I64, 1, &S);
    add_accum(l, id, cnt, TC_OP_SUM, iconst(l, 0), 1, dom, &j, iconst(l, 1));
    const tc_sexpr *oa = ivar(l, ax);
    const tc_sexpr *c = tc_loop_sx_load(l->p, cnt, &oa);
    if (red == TC_OP_MEAN) body = sx2(l, TC_OP_DIV, acc_t, body, tc_loop_sx_cast(l->p, c, acc_t), n->loc);
    body = where(l, cmp(l, TC_OP_GT, c, iconst(l, 0), n->loc), body,
                 tc_loop_sx_const(l->p, acc_t, 0, 0), n->loc);
  }
  add_stage(l, id, body, 0, NULL);
  return 0;
}

/* ---- quantization -------------------------------------------------------- */

/* Per channel: the channel's value of param node `pid` (rank 1, indexed
   by the output's index variable `axis`); else NULL. */
static const tc_sexpr *channel(lowerer *l, const tc_node *n, int which) {
  if (n->nin < 3) return NULL;
  const tc_sexpr *ia = ivar(l, n->axis);
  return read_node(l, n->in[which], &ia);
}

/* sat(round_half_even(x / s) + z) as dtype qt, computed in ft; NaN gives
   z, and the saturating cast maps +-inf to the dtype's limits. */
static const tc_sexpr *quantize_value(lowerer *l, tc_dtype ft, const tc_sexpr *x,
                                      const tc_sexpr *s, const tc_sexpr *z, tc_dtype qt,
                                      tc_loc loc) {
  const tc_sexpr *q = sx2(l, TC_OP_DIV, ft, x, s, loc);
  const tc_sexpr *rq = tc_loop_sx(l->p, TC_OP_ROUND, ft, 1, &q, loc);
  rq = where(l, cmp(l, TC_OP_EQ, q, q, loc), rq, tc_loop_sx_const(l->p, ft, 0, 0), loc);
  rq = sx2(l, TC_OP_ADD, ft, rq, z, loc);
  return tc_loop_sx_cast(l->p, rq, qt);
}

/* A QUANTIZED node (passes/passes.h): the integer sum of (qx - zx) *
   (qw - zw[c]) over the op's reduction, then in f32 the scale, the bias,
   the epilogue and the quantize. */
static int lower_quantized(lowerer *l, int id) {
  const tc_node *n = node_at(l, id);
  const int64_t *a = n->ints;
  const double *v = n->vals;
  tc_dtype acc = (tc_dtype)a[TCP_Q_ACC], f = TC_DT_F32;
  tc_op op = (tc_op)a[TCP_Q_OP];
  const tc_node *x = node_at(l, n->in[0]), *w = node_at(l, n->in[1]);
  int r = n->rank, next = 2;
  int sc_in = -1, zp_in = -1;
  if (a[TCP_Q_PER_CHANNEL]) {
    sc_in = next++;
    zp_in = next++;
  }
  const tc_sexpr *ix[TC_MAX_RANK], *iw[TC_MAX_RANK], *oc;
  conv_ix c;
  int rk = -1;
  const tc_ext *K = NULL;
  if (op == TC_OP_CONV2D) {
    conv_indices(l, a + TCP_Q_CONV, x, w, n->loc, &c);
    for (int d = 0; d < 4; d++) ix[d] = c.ix[d], iw[d] = c.iw[d];
    oc = c.oc;
  } else {
    rk = tc_loop_new_rvar(l->p);
    const tc_sexpr *k = tc_loop_sx_rvar(l->p, rk);
    oc = ivar(l, r - 1);
    if (op == TC_OP_LINEAR) { /* x [..., IN], w [OUT, IN] */
      for (int d = 0; d < x->rank - 1; d++) ix[d] = ivar(l, d);
      ix[x->rank - 1] = k;
      iw[0] = oc, iw[1] = k;
      K = x->shape[x->rank - 1];
    } else { /* matmul: x [..., M, K], w [K, N] */
      batch_idx(l, x, 2, r - 2, ix);
      ix[x->rank - 2] = ivar(l, r - 2);
      ix[x->rank - 1] = k;
      iw[0] = k, iw[1] = oc;
      K = w->shape[0];
    }
  }
  const tc_sexpr *zw = zp_in >= 0 ? as_index(l, read_node(l, n->in[zp_in], &oc))
                                  : iconst(l, a[TCP_Q_ZW]);
  const tc_sexpr *dx = tc_loop_sx_cast(l->p, read_node(l, n->in[0], ix), acc);
  const tc_sexpr *dw = tc_loop_sx_cast(l->p, read_node(l, n->in[1], iw), acc);
  if (a[TCP_Q_ZX] != 0)
    dx = sx2(l, TC_OP_SUB, acc, dx, tc_loop_sx_const(l->p, acc, 0, a[TCP_Q_ZX]), n->loc);
  if (!(zw->op == TC_OP_CONST && zw->inum == 0))
    dw = sx2(l, TC_OP_SUB, acc, dw, tc_loop_sx_cast(l->p, zw, acc), n->loc);
  const tc_sexpr *term = sx2(l, TC_OP_MUL, acc, dx, dw, n->loc);
  const tc_sexpr *sum = op == TC_OP_CONV2D
                            ? conv_sum(l, &c, acc, term, n->loc)
                            : tc_loop_sx_reduce(l->p, TC_OP_SUM, acc, rk, K, term, n->loc);
  /* y = f32(acc) * (sx * sw[c]) */
  const tc_sexpr *scale = sc_in >= 0
      ? sx2(l, TC_OP_MUL, f, tc_loop_sx_const(l->p, f, v[TCP_Q_SX], 0),
            tc_loop_sx_cast(l->p, read_node(l, n->in[sc_in], &oc), f), n->loc)
      : tc_loop_sx_const(l->p, f, (double)((float)v[TCP_Q_SX] * (float)v[TCP_Q_SW]), 0);
  const tc_sexpr *y = sx2(l, TC_OP_MUL, f, tc_loop_sx_cast(l->p, sum, f), scale, n->loc);
  if (a[TCP_Q_HAS_BIAS])
    y = sx2(l, TC_OP_ADD, f, y, read_node(l, n->in[next++], &oc), n->loc);
  if (a[TCP_Q_PRE_ADD]) y = sx2(l, TC_OP_ADD, f, y, read_bcast(l, n->in[next++], r), n->loc);
  if (a[TCP_Q_ACT] >= 0) y = sx_num(l, (tc_op)a[TCP_Q_ACT], f, 1, &y, v[TCP_Q_SLOPE], n->loc);
  if (a[TCP_Q_POST_ADD]) y = sx2(l, TC_OP_ADD, f, y, read_bcast(l, n->in[next++], r), n->loc);
  y = quantize_value(l, f, y, tc_loop_sx_const(l->p, f, v[TCP_Q_SO], 0),
                     tc_loop_sx_const(l->p, f, (double)a[TCP_Q_ZO], 0), n->dtype, n->loc);
  add_stage(l, id, y, 0, "quantized");
  return 0;
}

static int lower_quant(lowerer *l, int id) {
  const tc_node *n = node_at(l, id);
  const tc_node *x = node_at(l, n->in[0]);
  const tc_sexpr *idx[TC_MAX_RANK];
  for (int d = 0; d < n->rank; d++) idx[d] = ivar(l, d);
  const tc_sexpr *xv = read_node(l, n->in[0], idx);
  const tc_sexpr *sc = channel(l, n, 1), *zp = channel(l, n, 2);
  int quant = n->op == TC_OP_QUANTIZE || n->op == TC_OP_QUANTIZE_PER_CHANNEL;
  if (quant) {
    /* in x's dtype, f32 for bf16 */
    tc_dtype ft = x->dtype == TC_DT_F64 ? TC_DT_F64 : TC_DT_F32;
    xv = tc_loop_sx_cast(l->p, xv, ft);
    const tc_sexpr *s = sc ? tc_loop_sx_cast(l->p, sc, ft) : tc_loop_sx_const(l->p, ft, n->num, 0);
    const tc_sexpr *z = zp ? tc_loop_sx_cast(l->p, zp, ft)
                           : tc_loop_sx_const(l->p, ft, (double)n->inum, 0);
    add_stage(l, id, quantize_value(l, ft, xv, s, z, n->dtype, n->loc), 0, NULL);
    return 0;
  }
  const tc_sexpr *z = zp ? as_index(l, zp) : iconst(l, n->inum);
  const tc_sexpr *d = tc_loop_sx_cast(l->p, isub(l, as_index(l, xv), z), TC_DT_F32);
  const tc_sexpr *s = sc ? tc_loop_sx_cast(l->p, sc, TC_DT_F32)
                         : tc_loop_sx_const(l->p, TC_DT_F32, n->num, 0);
  add_stage(l, id, sx2(l, TC_OP_MUL, TC_DT_F32, d, s, n->loc), 0, NULL);
  return 0;
}

/* A literal: a table of constants, no stage. */
static int lower_literal(lowerer *l, int id) {
  const tc_node *n = node_at(l, id);
  char name[32];
  snprintf(name, sizeof name, "t%d", id);
  tc_lbuf b = lbuf(tc_arena_strdup(&l->p->arena, name), TC_LBUF_CONST, n->dtype, 1, n->shape,
               -1, -1, -1, id);
  b.fvals = n->vals;
  b.ivals = n->ints;
  l->buf_of[id] = tc_loop_add_buf(l->p, &b);
  return 0;
}

/* ---- driver ------------------------------------------------------------ */

static int lower_node(lowerer *l, int id) {
  const tc_node *n = node_at(l, id);
  switch (n->op) {
  case TC_OP_INPUT:
  case TC_OP_WEIGHT:
  case TC_OP_CONST:
  case TC_OP_CSR:
    return 0;
  case TC_OP_LITERAL: return lower_literal(l, id);
  case TC_OP_QUANTIZED: return lower_quantized(l, id);
  case TC_OP_CONV2D: return lower_conv2d(l, id);
  case TC_OP_MAX_POOL2D:
  case TC_OP_AVG_POOL2D: return lower_pool(l, id);
  case TC_OP_SPMM: return lower_spmm(l, id);
  case TC_OP_GATHER:
  case TC_OP_INDEX_SELECT: return lower_gather(l, id);
  case TC_OP_SCATTER: return lower_scatter(l, id);
  case TC_OP_QUANTIZE: case TC_OP_DEQUANTIZE:
  case TC_OP_QUANTIZE_PER_CHANNEL: case TC_OP_DEQUANTIZE_PER_CHANNEL:
    return lower_quant(l, id);
  case TC_OP_RESHAPE: {
    int src = l->buf_of[n->in[0]];
    if (src < 0) { /* a constant: materialize it */
      add_stage(l, id, read_node(l, n->in[0], NULL), 0, NULL);
      return 0;
    }
    if (l->p->bufs.data[src].kind == TC_LBUF_ALIAS) src = l->p->bufs.data[src].alias;
    char name[32];
    snprintf(name, sizeof name, "t%d", id);
    tc_lbuf b = lbuf(tc_arena_strdup(&l->p->arena, name), TC_LBUF_ALIAS, n->dtype,
                 n->rank, n->shape, -1, -1, src, id);
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

  /* Arguments, in ABI order; a csr argument as its 2 or 3 parts, in
     consecutive buffers starting with rowptr. */
  int na = tc_kernel_abi_args(k, abi);
  for (int j = 0; j < na; j++) {
    const tc_arg *a = &k->args.data[abi[j]];
    if (a->csr) {
      static const char *const part[] = {"", "rowptr", "col", "val"};
      int nparts = a->has_values ? 3 : 2;
      for (int q = 0; q < nparts; q++) {
        tc_format f = (tc_format)(TC_FMT_CSR_ROWPTR + q);
        char name[TC_ABI_NAME_MAX];
        snprintf(name, sizeof name, "%s.%s", a->name, part[f]);
        tc_lbuf b = lbuf(tc_arena_strdup(&l.p->arena, name), TC_LBUF_ARG,
                     f == TC_FMT_CSR_VAL ? a->dtype : a->index_dtype, 1,
                     f == TC_FMT_CSR_ROWPTR ? &a->rowptr_len : NULL, abi[j], j, -1, a->node);
        b.format = f;
        int id = tc_loop_add_buf(l.p, &b);
        if (q == 0) arg_buf[abi[j]] = l.buf_of[a->node] = id;
      }
      continue;
    }
    tc_lbuf b = lbuf(a->name, TC_LBUF_ARG, a->dtype, a->rank, a->shape, abi[j], j, -1,
                 a->role == TC_ROLE_OUTPUT ? -1 : a->node);
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
    tc_stage s = map_stage(l.p, arg_buf[abi[j]],
                  tc_loop_sx_cast(l.p, read_node(&l, a->node, idx), a->dtype), 0,
                  "copy", a->loc, a->node);
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
