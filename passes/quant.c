/*
 * quant.c: the quantized-operation pattern (passes/passes.h, tcP_quant).
 *
 * PT2E-style quantization writes an int8 layer as float ops between a
 * dequantize and a quantize:
 *
 *   x_f = dequantize(qx, sx, zx)          w_f = dequantize(qw, sw, zw)
 *   y   = linear(x_f, w_f, b)             (or matmul, conv2d)
 *   y   = relu(y + r)                     (an epilogue)
 *   q   = quantize(y, so, zo, u8)
 *
 * The chain from the quantize down to the op is matched bottom-up: every
 * float node of it must have exactly one consumer (the next node of the
 * chain) and not be an output, or the float value is needed elsewhere and
 * the pattern does not apply.  The matched quantize becomes one QUANTIZED
 * node; the nodes it replaced are dropped when nothing else uses them.
 *
 * Why the accumulator is exact: (qx - zx) and (qw - zw) are integers of at
 * most 9 bits with sign, so each product fits in 17 bits and K of them in
 * 17 + log2(K) bits.  The pass picks I32 when the bound K * max|qx - zx| *
 * max|qw - zw| is at most INT32_MAX (K known), else I64: the integer sum
 * is then exactly the sum the float reference rounds, and the result
 * differs from the reference only by the reference's own f32 rounding
 * (at most one quantization step after requantizing).
 */
#include "rewrite.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

typedef struct qmatch {
  int op;            /* the matmul / linear / conv2d node */
  int dq_x, dq_w;    /* its dequantize operands */
  int pre, act, post; /* epilogue nodes (-1 when absent) */
  int pre_operand, post_operand;
} qmatch;

typedef struct qpass {
  tc_module *m;
  tc_kernel *k;
  int *uses;  /* node -> number of consumers (outputs count as one) */
} qpass;

static const tc_node *nd(const qpass *q, int id) { return &q->k->nodes.data[id]; }

static int is_activation(tc_op op) {
  switch (op) {
  case TC_OP_RELU: case TC_OP_RELU6: case TC_OP_SIGMOID: case TC_OP_TANH:
  case TC_OP_SILU: case TC_OP_GELU: case TC_OP_GELU_TANH: case TC_OP_HARDSWISH:
  case TC_OP_SOFTPLUS: case TC_OP_LEAKY_RELU:
    return 1;
  default:
    return 0;
  }
}

static int is_quantized_int(tc_dtype t) { return t == TC_DT_U8 || t == TC_DT_I8; }

/* A float intermediate the fused op may swallow: f32, one consumer. */
static int swallowable(const qpass *q, int id) {
  return nd(q, id)->dtype == TC_DT_F32 && q->uses[id] == 1;
}

/* The output-channel axis of op's weight. */
static int weight_channel_axis(const tc_node *op, const tc_node *w) {
  if (op->op == TC_OP_LINEAR) return 0;
  if (op->op == TC_OP_MATMUL) return w->rank - 1;
  return op->ints[7] ? 3 : 0; /* conv2d: NHWC w is [kh, kw, C/g, Cout] */
}

/* id is op(dequantize(qx), dequantize(qw) [, b]) in f32. */
static int match_op(const qpass *q, int id, qmatch *mt) {
  const tc_node *n = nd(q, id);
  if (n->op != TC_OP_MATMUL && n->op != TC_OP_LINEAR && n->op != TC_OP_CONV2D) return 0;
  if (n->dtype != TC_DT_F32 || n->nin < 2 || !swallowable(q, id)) return 0;
  const tc_node *dx = nd(q, n->in[0]), *dw = nd(q, n->in[1]);
  if (dx->op != TC_OP_DEQUANTIZE || !is_quantized_int(nd(q, dx->in[0])->dtype)) return 0;
  if (dw->op != TC_OP_DEQUANTIZE && dw->op != TC_OP_DEQUANTIZE_PER_CHANNEL) return 0;
  if (!is_quantized_int(nd(q, dw->in[0])->dtype)) return 0;
  if (n->op == TC_OP_MATMUL && dw->rank != 2) return 0;
  if (dw->op == TC_OP_DEQUANTIZE_PER_CHANNEL && dw->axis != weight_channel_axis(n, dw)) return 0;
  if (n->nin > 2 && nd(q, n->in[2])->dtype != TC_DT_F32) return 0;
  mt->op = id;
  mt->dq_x = n->in[0];
  mt->dq_w = n->in[1];
  return 1;
}

/* operand broadcasts to `shape` (NumPy rules, without growing it). */
static int broadcasts_to(const tc_node *x, int rank, const tc_ext *const *shape) {
  if (x->rank > rank || x->dtype != TC_DT_F32) return 0;
  for (int d = 0; d < x->rank; d++) {
    int64_t v;
    const tc_ext *e = x->shape[d];
    if (!tc_ext_equal(e, shape[d + rank - x->rank]) && !(tc_ext_is_const(e, &v) && v == 1))
      return 0;
  }
  return 1;
}

/* An add of the chain `id` (continuing at one operand) and an operand
   that broadcasts to op's result: sets *chain and *operand. */
static int match_add(const qpass *q, int id, int first, int *chain, int *operand) {
  const tc_node *n = nd(q, id);
  if (n->op != TC_OP_ADD || !swallowable(q, id)) return 0;
  for (int t = 0; t < 2; t++) {
    int s = t ? 1 - first : first;
    const tc_node *c = nd(q, n->in[s]);
    if (c->rank != n->rank) continue;
    int same = 1;
    for (int d = 0; d < n->rank; d++) same &= tc_ext_equal(c->shape[d], n->shape[d]);
    if (!same || !broadcasts_to(nd(q, n->in[1 - s]), n->rank, n->shape)) continue;
    *chain = n->in[s];
    *operand = n->in[1 - s];
    return 1;
  }
  return 0;
}

/* The chain under quantize node qid: [add] [act] [add] over an op; an
   add continues the chain at its operand `first` when both could. */
static int match_sides(const qpass *q, int qid, qmatch *mt, int first_post, int first_pre) {
  const tc_node *qn = nd(q, qid);
  memset(mt, 0, sizeof *mt);
  mt->pre = mt->act = mt->post = mt->pre_operand = mt->post_operand = -1;
  if (qn->op != TC_OP_QUANTIZE) return 0;
  int cur = qn->in[0];
  if (match_op(q, cur, mt)) return 1;
  /* the steps above the op, read top-down: post-add, act, pre-add */
  int chain, operand;
  if (match_add(q, cur, first_post, &chain, &operand)) {
    /* is it the post-add or (with nothing else) the pre-add? decided by
       what lies under it */
    const tc_node *c = nd(q, chain);
    if (is_activation(c->op) || c->op == TC_OP_ADD) {
      mt->post = cur;
      mt->post_operand = operand;
    } else {
      mt->pre = cur;
      mt->pre_operand = operand;
    }
    cur = chain;
  }
  if (mt->pre < 0 && is_activation(nd(q, cur)->op) && swallowable(q, cur)) {
    mt->act = cur;
    cur = nd(q, cur)->in[0];
  }
  if (mt->pre < 0 && match_add(q, cur, first_pre, &chain, &operand)) {
    mt->pre = cur;
    mt->pre_operand = operand;
    cur = chain;
  }
  /* every epilogue node has op's shape (an add never grows it) */
  return match_op(q, cur, mt);
}

static int match(const qpass *q, int qid, qmatch *mt) {
  for (int c = 0; c < 4; c++)
    if (match_sides(q, qid, mt, c & 1, c >> 1)) return 1;
  return 0;
}

/* The largest |v - z| of a value v of dtype t. */
static int64_t span(tc_dtype t, int64_t z) {
  int64_t lo = t == TC_DT_I8 ? -128 : 0, hi = t == TC_DT_I8 ? 127 : 255;
  int64_t a = hi - z, b = z - lo;
  return a > b ? a : b;
}

/* The reduction length of op (K), or -1 when it is not a constant. */
static int64_t reduction_length(const qpass *q, const tc_node *op) {
  const tc_node *w = nd(q, op->in[1]);
  int64_t v, k = 1;
  if (op->op == TC_OP_LINEAR) return tc_ext_is_const(w->shape[1], &v) ? v : -1;
  if (op->op == TC_OP_MATMUL) return tc_ext_is_const(w->shape[0], &v) ? v : -1;
  int nhwc = op->ints[7] != 0;
  const int axes[3] = {nhwc ? 0 : 1, nhwc ? 1 : 2, nhwc ? 2 : 3};
  for (int i = 0; i < 3; i++) {
    if (!tc_ext_is_const(w->shape[axes[i]], &v)) return -1;
    k *= v;
  }
  return k;
}

/* The QUANTIZED node replacing quantize qid (ids of the old array,
   renumbered through r). */
static tc_node make_fused(qpass *q, tcP_rebuild *r, int qid, const qmatch *mt) {
  const tc_node *qn = nd(q, qid), *op = nd(q, mt->op);
  const tc_node *dx = nd(q, mt->dq_x), *dw = nd(q, mt->dq_w);
  int per_channel = dw->op == TC_OP_DEQUANTIZE_PER_CHANNEL;
  int in[8], nin = 0;
  in[nin++] = dx->in[0];
  in[nin++] = dw->in[0];
  if (per_channel) {
    in[nin++] = dw->in[1];
    in[nin++] = dw->in[2];
  }
  int has_bias = op->nin > 2;
  if (has_bias) in[nin++] = op->in[2];
  if (mt->pre >= 0) in[nin++] = mt->pre_operand;
  if (mt->post >= 0) in[nin++] = mt->post_operand;
  int *nin_ids = tc_arena_alloc(&q->m->arena, (size_t)nin * sizeof *nin_ids);
  for (int i = 0; i < nin; i++) {
    nin_ids[i] = r->map[in[i]];
    assert(nin_ids[i] >= 0);
  }
  int64_t *ints = tc_arena_alloc(&q->m->arena, TCP_Q_NINTS * sizeof *ints);
  ints[TCP_Q_OP] = op->op;
  ints[TCP_Q_PER_CHANNEL] = per_channel;
  ints[TCP_Q_HAS_BIAS] = has_bias;
  ints[TCP_Q_PRE_ADD] = mt->pre >= 0;
  ints[TCP_Q_ACT] = mt->act >= 0 ? (int64_t)nd(q, mt->act)->op : -1;
  ints[TCP_Q_POST_ADD] = mt->post >= 0;
  ints[TCP_Q_ZX] = dx->inum;
  ints[TCP_Q_ZW] = per_channel ? 0 : dw->inum;
  ints[TCP_Q_ZO] = qn->inum;
  for (int i = 0; i < 9; i++) ints[TCP_Q_CONV + i] = op->op == TC_OP_CONV2D ? op->ints[i] : 0;
  /* the accumulator: i32 when no sum can overflow it */
  tc_dtype wt = nd(q, dw->in[0])->dtype, xt = nd(q, dx->in[0])->dtype;
  int64_t K = reduction_length(q, op);
  int64_t mw = per_channel ? 255 : span(wt, dw->inum); /* per channel: any zero point */
  int64_t mx = span(xt, dx->inum);
  ints[TCP_Q_ACC] = K >= 0 && K <= INT32_MAX / (mx * mw > 0 ? mx * mw : 1) ? TC_DT_I32 : TC_DT_I64;
  double *vals = tc_arena_alloc(&q->m->arena, TCP_Q_NVALS * sizeof *vals);
  vals[TCP_Q_SX] = dx->num;
  vals[TCP_Q_SW] = per_channel ? 1.0 : dw->num;
  vals[TCP_Q_SO] = qn->num;
  vals[TCP_Q_SLOPE] = mt->act >= 0 ? nd(q, mt->act)->num : 0;
  tc_node f = {0};
  f.op = TC_OP_QUANTIZED;
  f.dtype = qn->dtype;
  f.rank = op->rank;
  f.shape = op->shape;
  f.nin = nin;
  f.in = nin_ids;
  f.nints = TCP_Q_NINTS;
  f.ints = ints;
  f.vals = vals;
  f.arg = -1;
  f.loc = qn->loc;
  return f;
}

static void count_uses(qpass *q) {
  tc_kernel *k = q->k;
  for (int i = 0; i < k->nodes.len; i++)
    for (int j = 0; j < k->nodes.data[i].nin; j++) q->uses[k->nodes.data[i].in[j]]++;
  /* an output's value is needed as it is: never swallowed */
  for (int a = 0; a < k->args.len; a++)
    if (k->args.data[a].role == TC_ROLE_OUTPUT) q->uses[k->args.data[a].node] += 2;
}

int tcP_quant(tc_module *m, tc_diag *d) {
  int changed = 0;
  for (int ki = 0; ki < m->kernels.len; ki++) {
    tc_kernel *k = m->kernels.data[ki];
    int nn = k->nodes.len;
    qpass q = {m, k, tc_xcalloc((size_t)nn + 1, sizeof(int))};
    count_uses(&q);
    qmatch *mts = tc_xcalloc((size_t)nn + 1, sizeof *mts);
    char *hit = tc_xcalloc((size_t)nn + 1, 1);
    int any = 0;
    for (int i = 0; i < nn; i++)
      if (match(&q, i, &mts[i])) hit[i] = any = 1;
    if (any) {
      tcP_rebuild r;
      tcP_rebuild_begin(&r, m, k);
      for (int i = 0; i < nn; i++) {
        tc_node n = hit[i] ? make_fused(&q, &r, i, &mts[i])
                           : tcP_rebuild_renumber(&r, &k->nodes.data[i]);
        tcP_rebuild_map(&r, i, tcP_rebuild_push(&r, n));
      }
      /* a fused node takes the place of its quantize, so the ids keep
         their order; the swallowed nodes are dropped below */
      tcP_rebuild_finish(&r);
      changed = 1;
    }
    free(hit);
    free(mts);
    free(q.uses);
  }
  return changed ? tcP_dce(m, d) : 0;
}
