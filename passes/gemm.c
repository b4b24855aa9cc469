/*
 * gemm.c: contractions the emitter writes with its GEMM template.
 *
 * matmul, linear, einsum contractions and batched matmul lower to
 *
 *   out[b..., i, j] = sum(k in 0..K: A[b'..., i, k] * B[b'..., k, j])
 *
 * (either operand possibly transposed: linear's weight is B[j, k]), and
 * fusion (passes/fuse.c) inlines the product into its one elementwise
 * consumer, so that the stage's body is epi(sum(...)): bias, activation,
 * residual.  This pass recognizes those stages and describes them in
 * tc_stage.gemm (tensorc/loop.h): which load is A and which B, their
 * transposition, and the epilogue as an expression of the finished sum.
 * On the intrinsics targets the emitter writes such a stage as a
 * register-blocked micro-kernel over packed panels of B (packed once by
 * P_create when B is a weight or computed from weights at create), applying the epilogue to each output tile
 * while it is in cache (emit/gemm.c, docs/gemm.md); the scalar target
 * ignores the description and computes the body as any stage.
 *
 * Taken: an unchecked MAP stage with an output of rank 2 or more, of f32
 * or of bf16, u8 or i8 (a cast or a quantize of the epilogue's f32
 * result: the sums then accumulate in an f32 temporary of the output's
 * shape, tc_gemm.acc, and the epilogue converts each tile from it),
 * without user schedule() hints, whose body holds one REDUCE (or several
 * equal ones, computed once: x * sigmoid(x) of a matmul): a SUM over
 * a static or symbolic extent of the product of two f32 loads whose last
 * two indices are (i, k) or (k, i) for A and (k, j) or (j, k) for B, i
 * and j the output's last two variables, and whose leading indices are
 * the output's batch variables aligned from the right (NumPy
 * broadcasting), or 0 on an axis of extent 1; the output's last extent
 * is not the constant 1 (a matrix-vector product: the emitter's row
 * reductions in vector lanes serve it better), and the output's last two
 * extents are not both static with a product of SMALL_PRODUCT or less (one
 * tile: the chunk pass splits a long sum over threads); the epilogue must compute
 * in vectors along j (tc_loop_vec_ok; for u8 and i8, the f32 expression
 * under the final cast) and cannot fail.
 *
 * A conv2d of f32 (lowering marks its stage: tc_stage.conv) with one
 * group, or in NCHW groups of more than one input and at least 4 output
 * channels (2 for the direct kernel), or in NHWC groups of 2 or more
 * input and output channels (but not those lane_groups sends to a vector
 * loop), and a static weight shape is taken the same way, its window
 * sum (three REDUCEs over input channel, kh, kw of x * w, under the
 * padding's where()) as the contraction: an implicit GEMM per image (and
 * group; tensorc/loop.h, tc_gemm.conv), the epilogue around it as for a
 * matmul.  A transpose
 * schedule the `schedule` pass chose for the stage is dropped: the
 * template reads both operands its own way.
 */
#include "passes.h"

#include <string.h>

/* A product with at most this many outputs per batch matrix (static) is
   left to the chunk pass, which splits a long sum over threads (the
   template splits rows and columns only). */
enum { SMALL_PRODUCT = 64 };

/* 1 when ix is IVAR `var`. */
static int is_ivar(const tc_sexpr *ix, int var) { return ix->op == TC_OP_IVAR && ix->var == var; }

/* 1 when ix is RVAR `var`. */
static int is_rvar(const tc_sexpr *ix, int var) { return ix->op == TC_OP_RVAR && ix->var == var; }

/* 1 when the leading indices of load ld (of an operand of an output of
   rank r) are the output's batch variables aligned from the right, or 0
   on an axis of extent 1. */
static int batch_ok(const tc_loop_prog *p, const tc_sexpr *ld, int r) {
  const tc_lbuf *x = &p->bufs.data[ld->ref];
  int lead = ld->nargs - 2;
  if (lead > r - 2) return 0;
  for (int t = 0; t < lead; t++) {
    const tc_sexpr *ix = ld->args[t];
    int64_t v;
    if (is_ivar(ix, t + (r - 2 - lead))) continue;
    if (ix->op == TC_OP_CONST && ix->inum == 0 && tc_ext_is_const(x->shape[t], &v) && v == 1)
      continue;
    return 0;
  }
  return 1;
}

/* Fills g's operands when REDUCE e of a stage with an output of rank r is
   a contraction the template takes (the rules above, but the epilogue's). */
static int match_product(const tc_loop_prog *p, const tc_sexpr *e, int r, tc_gemm *g) {
  if (e->op != TC_OP_REDUCE || e->red != TC_OP_SUM || e->dtype != TC_DT_F32 || e->nargs != 1 ||
      !e->ext || r < 2)
    return 0;
  const tc_sexpr *m = e->args[0];
  if (m->op != TC_OP_MUL || m->dtype != TC_DT_F32 || m->nargs != 2) return 0;
  int k = e->var, i = r - 2, j = r - 1;
  const tc_sexpr *a = NULL, *b = NULL;
  int a_trans = 0, b_trans = 0;
  for (int t = 0; t < 2; t++) {
    const tc_sexpr *ld = m->args[t];
    if (ld->op != TC_OP_LOAD || ld->dtype != TC_DT_F32 || ld->nargs < 2 ||
        !p->bufs.data[ld->ref].shape || !batch_ok(p, ld, r))
      return 0;
    const tc_sexpr *x = ld->args[ld->nargs - 2], *y = ld->args[ld->nargs - 1];
    if (!a && is_ivar(x, i) && is_rvar(y, k)) {
      a = ld;
    } else if (!a && is_rvar(x, k) && is_ivar(y, i)) {
      a = ld;
      a_trans = 1;
    } else if (!b && is_rvar(x, k) && is_ivar(y, j)) {
      b = ld;
    } else if (!b && is_ivar(x, j) && is_rvar(y, k)) {
      b = ld;
      b_trans = 1;
    } else {
      return 0;
    }
  }
  if (!a || !b) return 0;
  g->reduce = e;
  g->aload = a;
  g->bload = b;
  g->a_trans = a_trans;
  g->b_trans = b_trans;
  return 1;
}


/* e with every node equal to `from` replaced by `to`. */
static const tc_sexpr *replace(tc_loop_prog *p, const tc_sexpr *e, const tc_sexpr *from,
                               const tc_sexpr *to) {
  if (tc_loop_sx_equal(e, from)) return to;
  if (e->nargs == 0) return e;
  const tc_sexpr *args[8];
  const tc_sexpr **a = e->nargs <= 8 ? args : tc_arena_alloc(&p->arena, (size_t)e->nargs * sizeof *a);
  int changed = 0;
  for (int i = 0; i < e->nargs; i++) {
    a[i] = replace(p, e->args[i], from, to);
    changed |= a[i] != e->args[i];
  }
  return changed ? tc_loop_sx_copy(p, e, a) : e;
}

/* The REDUCEs of e (as a tree) are all equal to *r (set to the first
   one found): 0 when one differs. */
static int reduces_equal(const tc_sexpr *e, const tc_sexpr **r) {
  if (e->op == TC_OP_REDUCE) {
    if (!*r) *r = e;
    return tc_loop_sx_equal(*r, e);
  }
  for (int i = 0; i < e->nargs; i++)
    if (!reduces_equal(e->args[i], r)) return 0;
  return 1;
}

/* The REDUCE of e when it holds one, or several equal ones (x * sigmoid(x)
   of a matmul: one sum, computed once), else NULL. */
static const tc_sexpr *the_reduce(const tc_sexpr *e) {
  const tc_sexpr *r = NULL;
  return reduces_equal(e, &r) ? r : NULL;
}

/* 1 when e is IVAR `var` (ivar 1) or RVAR `var` (ivar 0). */
static int is_var(const tc_sexpr *e, int ivar, int var) {
  return ivar ? is_ivar(e, var) : is_rvar(e, var);
}

/* The value of index expression e for output channel oc (ivar ocvar: 1
   in NCHW, 3 in NHWC) and input channel ci (rvar `var`) of a grouped
   convolution: integer constants, +, -, * and floor division by a
   positive constant over those two alone; 0 (with *ok 0) for anything
   else. */
static int64_t eval_channel(const tc_sexpr *e, int var, int ocvar, int64_t oc, int64_t ci,
                            int *ok) {
  int64_t x, y;
  switch (e->op) {
  case TC_OP_CONST: return e->inum;
  case TC_OP_IVAR:
    if (e->var == ocvar) return oc;
    break;
  case TC_OP_RVAR:
    if (e->var == var) return ci;
    break;
  case TC_OP_EXTENT:
    if (tc_ext_is_const(e->ext, &x)) return x;
    break;
  case TC_OP_ADD: case TC_OP_SUB: case TC_OP_MUL: case TC_OP_FLOORDIV:
    if (e->nargs != 2) break;
    x = eval_channel(e->args[0], var, ocvar, oc, ci, ok);
    y = eval_channel(e->args[1], var, ocvar, oc, ci, ok);
    if (!*ok) return 0;
    if (e->op == TC_OP_ADD) return x + y;
    if (e->op == TC_OP_SUB) return x - y;
    if (e->op == TC_OP_MUL) return x * y;
    if (y > 0 && x >= 0) return x / y;
    break;
  default: break;
  }
  *ok = 0;
  return 0;
}

/* 1 when index xc of x's channel is a grouped convolution's (lowering's
   (oc / (cout / groups)) * cg + ci): checked at the channels where groups
   begin and end, for every group. */
static int grouped_channel(const tc_sexpr *xc, int var, int ocvar, int64_t groups, int64_t cout,
                           int64_t cg) {
  if (groups < 2 || cout % groups != 0 || cg < 1) return 0;
  const int64_t per = cout / groups;
  for (int64_t gr = 0; gr < groups; gr++)
    for (int q = 0; q < 4; q++) {
      const int64_t oc = gr * per + (q & 1 ? per - 1 : 0), ci = q & 2 ? cg - 1 : 0;
      int ok = 1;
      if (eval_channel(xc, var, ocvar, oc, ci, &ok) != gr * cg + ci || !ok) return 0;
    }
  return 1;
}

/* NHWC groups through the template need this many input and output
   channels a group, and this many multiply-adds a group's output pixel
   (K x Cout / groups): a group's product has that many columns, of the
   micro-kernel's 32 (AVX-512) or 16 (AVX2), and that many values of k.
   Against the loops (56 x 56, one thread, AVX-512, `tensorc run --bench`,
   input and output channels a group): 3x3 2 and 1 0.56x, 1 and 4 1.02x,
   2 and 2 1.18x, 2 and 4 3.2x, 4 and 4 4.5x, 8 and 8 11x, 16 and 16 42x;
   1x1 2 and 2 0.16x (4 multiply-adds a pixel: the loops run in vectors),
   4 and 4 1.18x, 8 and 8 2.9x (those loops scalar: groups of 2, 4 or 8
   in and out now run as vector loops, lane_groups, where they can; 8
   with at most 96 KiB of weights).  A
   depthwise convolution (one channel a group) runs as a vector loop
   (emit/c.c strip_loop). */
#define TC_GEMM_NHWC_GROUP_MIN_C 2
#define TC_GEMM_NHWC_GROUP_MIN_MACS 16

/* 1 when NHWC conv stage s, of groups of cg input and co output
   channels, a window of kh x kw and C output channels in all, runs as a
   vector loop reading each group's input channels from the vector of
   the output channels' own (a lane group, tc_loop_lane_group): 2, 4 or 8
   channels in and out, and for 8 at most LANE_GROUPS_W8 bytes of weights.
   Against the template, whose product would have co of its 32 columns
   (one thread, `tensorc run --bench`; AVX-512, then AVX2):
     - 56 x 56, 128 channels: 3x3 with 2, 4 and 8 channels a group 28x,
       9.4x, 3.4x (AVX2 12x, 3.9x, 1.5x); 1x1 with 4 and 8 15x, 4.4x
       (7.5x, 2.3x);
     - 3x3, 8 a group: 28 x 28 with 256 channels 1.9x (1.3x), with 512
       1.0x (0.63x); 14 x 14 with 1024 0.46x.  4 a group at 14 x 14 with
       1024 and 2048 channels still 1.4-1.5x.
   The loops stream all of w for each strip of pixels; the template's
   products get better with more columns.  Groups of 16 (one element
   for all the lanes of a vector, tc_loop_lane_group) measured
   1.3-1.8x at 56 x 56 and 128 channels but 0.59x on AVX2 (3x3), 32
   slower still: they stay the template's. */
#define LANE_GROUPS_W8 (96 * 1024)
static int lane_groups(const tc_loop_prog *p, const tc_stage *s, int64_t cg, int64_t co,
                       int64_t khkw, int64_t c) {
  const tc_lbuf *o = &p->bufs.data[s->out];
  return cg == co && (cg == 2 || cg == 4 || (cg == 8 && khkw * cg * c * 4 <= LANE_GROUPS_W8)) &&
         (o->dtype == TC_DT_F32 || o->dtype == TC_DT_BF16) && !s->checked && !s->sched &&
         tc_loop_vec_ok(p, s, s->body, TC_OP_IVAR, o->rank - 1, 0, NULL, NULL);
}

/* Fills g's operands when REDUCE e, in stage s (an f32 conv2d: s->conv),
   is the convolution's window sum the template takes: the sums over input
   channel, kh and kw (in this order, as lowering writes them) of x * w,
   under the padding's where() when there is padding; one group, or
   groups of more than one input channel (each image's group a batch
   matrix of the template, emit/c.c emit_conv_fields; NCHW and NHWC alike,
   with thresholds of their own, below). */
static int match_conv(const tc_loop_prog *p, const tc_stage *s, const tc_sexpr *e, tc_gemm *g) {
  const int64_t *a = s->conv;
  const tc_lbuf *o = &p->bufs.data[s->out];
  if (!a || a[6] < 1 || o->rank != 4) return 0;
  const tc_sexpr *r[3] = {e, NULL, NULL};
  for (int i = 0; i < 3; i++) {
    if (r[i]->op != TC_OP_REDUCE || r[i]->red != TC_OP_SUM || r[i]->dtype != TC_DT_F32 ||
        r[i]->nargs != 1 || !r[i]->ext)
      return 0;
    if (i < 2) r[i + 1] = r[i]->args[0];
  }
  const tc_sexpr *m = r[2]->args[0];
  if (m->op == TC_OP_WHERE) {
    const tc_sexpr *z = m->args[2];
    if (z->op != TC_OP_CONST || z->num != 0) return 0;
    m = m->args[1];
  }
  if (m->op != TC_OP_MUL || m->dtype != TC_DT_F32 || m->args[0]->op != TC_OP_LOAD ||
      m->args[1]->op != TC_OP_LOAD || m->args[0]->nargs != 4 || m->args[1]->nargs != 4)
    return 0;
  /* w is indexed [co, ci, kh, kw] (NCHW) or [kh, kw, ci, co] (NHWC) */
  int nhwc = a[7] != 0, ci = r[0]->var, kh = r[1]->var, kw = r[2]->var;
  const int want_iv[2][4] = {{1, 0, 0, 0}, {0, 0, 0, 1}};
  const int want_var[2][4] = {{1, -1, -2, -3}, {-2, -3, -1, 3}};
  const tc_sexpr *w = m->args[1], *x = m->args[0];
  for (int t = 0; t < 4; t++) {
    int v = want_var[nhwc][t];
    int var = v >= 0 ? v : v == -1 ? ci : v == -2 ? kh : kw;
    if (!is_var(w->args[t], want_iv[nhwc][t], var)) return 0;
  }
  const tc_lbuf *W = &p->bufs.data[w->ref];
  if (x->dtype != TC_DT_F32 || w->dtype != TC_DT_F32 || !p->bufs.data[x->ref].shape || !W->shape)
    return 0;
  int64_t v;
  for (int t = 0; t < 4; t++)
    if (!tc_ext_is_const(W->shape[t], &v)) return 0; /* the window and channels are static */
  /* x is indexed [image, ...] with the input channel the sum's own (of
     the output channel's group) */
  const tc_sexpr *xn = x->args[0], *xc = x->args[nhwc ? 3 : 1];
  int64_t cout, cg;
  tc_ext_is_const(W->shape[nhwc ? 3 : 0], &cout);
  tc_ext_is_const(W->shape[nhwc ? 2 : 1], &cg);
  if (!(is_ivar(xn, 0) || (xn->op == TC_OP_CONST && xn->inum == 0)) ||
      !(a[6] == 1 ? is_rvar(xc, ci) : grouped_channel(xc, ci, nhwc ? 3 : 1, a[6], cout, cg)))
    return 0;
  g->reduce = e;
  g->aload = x;
  g->bload = w;
  g->conv = a;
  if (nhwc) {
    int64_t kh, kw;
    tc_ext_is_const(W->shape[0], &kh);
    tc_ext_is_const(W->shape[1], &kw);
    if (a[6] > 1 && lane_groups(p, s, cg, cout / a[6], kh * kw, cout)) return 0;
    return a[6] == 1 || (cg >= TC_GEMM_NHWC_GROUP_MIN_C && cout / a[6] >= TC_GEMM_NHWC_GROUP_MIN_C &&
                         kh * kw * cg * (cout / a[6]) >= TC_GEMM_NHWC_GROUP_MIN_MACS);
  }
  /* NCHW groups of fewer than 4 output channels stay loops, or of 1 where
     the direct kernel takes the group: a group's product then has few
     rows, and measured slower than the loop (one thread, AVX-512, 3x3 at
     56 x 56; gathered: 2 input and 1 output channels a group 0.24x, 2 and
     2 0.97x, 4 and 2 0.89x, where 2 and 4 ran 2.0x faster, 4 and 4 1.64x;
     direct: 2 and 1 0.53x, 2 and 2 2.3x, 4 and 2 2.6x) */
  return a[6] == 1 || cout / a[6] >= (tc_loop_conv_direct(p, g, s->out) ? 2 : 4);
}

/* 1 when the template writes outputs of dtype t: f32, or a conversion
   of the f32 sums (a cast to bf16, a quantize to u8 or i8) whose sums
   are accumulated in a buffer of their own (tc_gemm.acc). */
static int out_dtype_ok(tc_dtype t) {
  return t == TC_DT_F32 || t == TC_DT_BF16 || t == TC_DT_U8 || t == TC_DT_I8;
}

/* 1 when epilogue e of stage s computes in vectors along the output's
   last axis: a float expression (tc_loop_vec_ok), or, for a u8 or i8
   output, the cast of one to that dtype (the store converts: toward
   zero, saturating, NaN to 0, as a cast does). */
static int epilogue_vec_ok(const tc_loop_prog *p, const tc_stage *s, const tc_sexpr *e) {
  const tc_lbuf *o = &p->bufs.data[s->out];
  if (o->dtype == TC_DT_U8 || o->dtype == TC_DT_I8) {
    if (e->op != TC_OP_CAST || e->dtype != o->dtype || e->args[0]->dtype != TC_DT_F32) return 0;
    e = e->args[0];
  }
  /* (not a lane group: the epilogue's vectors start at a tile's columns) */
  return tc_loop_vec_ok(p, s, e, TC_OP_IVAR, o->rank - 1, 0, NULL, NULL) &&
         !tc_loop_has_lane_group(e, TC_OP_IVAR, o->rank - 1);
}

/* The contraction stage s is when the template takes it, but for its
   epilogue (the rules at the top); its REDUCE, or NULL. */
static const tc_sexpr *takes(const tc_loop_prog *p, const tc_stage *s, tc_gemm *g) {
  const tc_lbuf *o = &p->bufs.data[s->out];
  int64_t n, m;
  memset(g, 0, sizeof *g);
  if (s->kind != TC_STAGE_MAP || s->checked || (s->sched && s->sched->node >= 0) ||
      !out_dtype_ok(o->dtype) || o->rank < 2 || o->kind == TC_LBUF_CREATE)
    return NULL; /* (a product of weights runs once, in P_create's plain loops) */
  if (tc_ext_is_const(o->shape[o->rank - 1], &n) && n == 1)
    return NULL; /* a matrix-vector product: a row reduction in vector lanes serves it better */
  const tc_sexpr *e = the_reduce(s->body);
  if (!e || !(match_product(p, e, o->rank, g) || match_conv(p, s, e, g))) return NULL;
  if (!g->conv && tc_ext_is_const(o->shape[o->rank - 1], &n) &&
      tc_ext_is_const(o->shape[o->rank - 2], &m) && m * n <= SMALL_PRODUCT)
    return NULL; /* one tile: the chunk pass splits its sum over the threads instead */
  return e;
}

int tcP_gemm_product(const tc_loop_prog *p, const tc_stage *s) {
  tc_gemm g;
  return takes(p, s, &g) != NULL;
}

int tcP_gemm_epilogue_ok(const tc_loop_prog *p, const tc_stage *s) {
  const tc_lbuf *o = &p->bufs.data[s->out];
  return s->kind == TC_STAGE_MAP && !s->checked && out_dtype_ok(o->dtype) && o->rank >= 2 &&
         !tc_loop_sx_may_divide_by_zero(s->body) && epilogue_vec_ok(p, s, s->body);
}

/* Adds the f32 temporary, of buffer out's shape, in which the template
   accumulates the sums of a stage writing out in another dtype (named
   after it: "y.acc"); returns its id. */
static int add_acc(tc_loop_prog *p, int out) {
  const tc_lbuf *o = &p->bufs.data[out];
  tc_lbuf b;
  memset(&b, 0, sizeof b);
  b.kind = TC_LBUF_TEMP;
  b.dtype = TC_DT_F32;
  b.rank = o->rank;
  b.shape = o->shape;
  b.arg = b.abi = b.alias = b.row_of = -1;
  b.node = -1;
  size_t n = strlen(o->name);
  char *name = tc_arena_alloc(&p->arena, n + 5);
  memcpy(name, o->name, n);
  memcpy(name + n, ".acc", 5);
  b.name = name;
  return tc_loop_add_buf(p, &b);
}

static void try_stage(tc_loop_prog *p, tc_stage *s) {
  const tc_lbuf *o = &p->bufs.data[s->out];
  tc_gemm g;
  const tc_sexpr *e = takes(p, s, &g);
  if (!e) return;
  const tc_sexpr *idx[TC_MAX_RANK];
  for (int d = 0; d < o->rank; d++) idx[d] = tc_loop_sx_ivar(p, d);
  g.plain = s->body == e;
  /* a converted output: its f32 sums in a temporary of its shape */
  g.acc = o->dtype == TC_DT_F32 ? s->out : add_acc(p, s->out);
  g.epi = replace(p, s->body, e, tc_loop_sx_load(p, g.acc, idx));
  if (!g.plain && (tc_loop_sx_may_divide_by_zero(g.epi) || !epilogue_vec_ok(p, s, g.epi))) {
    if (g.acc != s->out) p->bufs.len--; /* the temporary just added: nothing reads it */
    return;
  }
  const tc_lbuf *bb = &p->bufs.data[tc_loop_base_buf(p, g.bload->ref)];
  g.b_weight = (g.conv ? g.conv[7] != 0 || tc_loop_conv_direct(p, &g, s->out) : g.bload->nargs == 2) &&
               (bb->kind == TC_LBUF_CREATE ||
                (bb->kind == TC_LBUF_ARG && p->kernel &&
                 p->kernel->args.data[bb->arg].role == TC_ROLE_WEIGHT));
  tc_gemm *keep = tc_arena_alloc(&p->arena, sizeof *keep);
  *keep = g;
  s->gemm = keep;
  s->sched = NULL; /* a transpose tiling the schedule pass chose: the template's own */
}

int tcP_gemm(tc_loop_prog *p, tc_diag *d) {
  (void)d;
  for (int i = 0; i < p->stages.len; i++) try_stage(p, &p->stages.data[i]);
  return 0;
}
