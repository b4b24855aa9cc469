/*
 * fold.c: a batch_norm after a conv2d folded into the convolution's
 * weights and bias.
 *
 *   batch_norm(conv2d(x, w [, b]), mean, var [, gamma] [, beta], eps)
 *     = conv2d(x, w * s[co], (b - mean) * s + beta)
 *   where s = rsqrt(var + eps) [* gamma], per output channel co
 *
 * (absent b and beta count as 0).  When w, b, mean, var, gamma and beta
 * are values of the weights alone, so are the new weights and bias: the
 * precompute pass (passes/precompute.c) has P_create compute them once,
 * and P_run's convolution, on the GEMM template or in loops, does none of
 * the batch norm's arithmetic.  The result equals the batch norm's in
 * exact arithmetic; in floats it differs by rounding (w * s is rounded
 * before the sum, (b - mean) * s after it), well within --check's
 * tolerance for variances that are not tiny against eps.
 *
 * Folded when
 *   - the conv2d is f32 and NCHW: batch_norm normalizes axis 1, which is
 *     the output channel in NCHW (in NHWC it is a row of pixels: nothing
 *     to fold into per-channel weights);
 *   - its result has no other reader and is no output, and neither node
 *     has schedule() hints;
 *   - w (of static shape), b, mean, var, gamma and beta depend on weights
 *     and constants only: a batch_norm whose mean is an input stays as it
 *     is, and is decomposed.
 * Grouped and depthwise convolutions fold the same way (w's axis 0 is the
 * output channel whatever the groups).
 *
 * The new nodes carry the batch_norm's location, the new conv2d the old
 * one's, and notes (tc_node.note) saying what was folded, which
 * `tensorc ir --after fold` prints and the generated C repeats in its
 * comments.  The node array is rebuilt as decompose does
 * (passes/rewrite.h).
 */
#include "rewrite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef tcP_rebuild rebuild;

static const tc_node *nd(rebuild *r, int id) { return &r->out.data[id]; }

/* "mul (the weights of the conv2d of line 7 times ...)": node id's op
   and why it is there, as tc_stage.what shows it. */
static const char *note(rebuild *r, int id, const char *fmt, int line) {
  char why[160], buf[200];
  snprintf(why, sizeof why, fmt, line);
  snprintf(buf, sizeof buf, "%s (%s)", tc_op_name(r->out.data[id].op), why);
  return tc_arena_strdup(&r->m->arena, buf);
}

/* A node of the given op, operands and shape (of rank `rank`), at loc. */
static int add(rebuild *r, tc_op op, int nin, const int *in, int rank,
               const tc_ext *const *shape, tc_loc loc, const char *why) {
  tc_node n = {0};
  n.op = op;
  n.dtype = TC_DT_F32;
  n.rank = rank;
  const tc_ext **s = tc_arena_alloc(&r->m->arena, (size_t)(rank ? rank : 1) * sizeof *s);
  for (int d = 0; d < rank; d++) s[d] = shape[d];
  n.shape = s;
  n.nin = nin;
  int *a = tc_arena_alloc(&r->m->arena, (size_t)(nin ? nin : 1) * sizeof *a);
  memcpy(a, in, (size_t)nin * sizeof *a);
  n.in = a;
  n.arg = -1;
  n.loc = loc;
  n.note = why;
  return tcP_rebuild_push(r, n);
}

/* a OP b (b NULL: OP a) of shape a's. */
static int ew(rebuild *r, tc_op op, int a, int b, tc_loc loc, const char *why) {
  int in[2] = {a, b};
  return add(r, op, b < 0 ? 1 : 2, in, nd(r, a)->rank, nd(r, a)->shape, loc, why);
}

/* Emits the folded convolution for batch_norm n of conv2d c (both with
   operands renumbered); returns its id. */
static int fold(rebuild *r, const tc_node *c, const tc_node *n, int conv_line) {
  tc_loc loc = n->loc;
  int has_bias = (int)c->ints[8], next = 3;
  int w = c->in[1], mean = n->in[1], var = n->in[2];
  tc_node eps = {0};
  eps.op = TC_OP_CONST;
  eps.dtype = TC_DT_F32;
  eps.num = n->num;
  eps.shape = tc_arena_alloc(&r->m->arena, sizeof *eps.shape);
  eps.arg = -1;
  eps.loc = loc;
  int s = ew(r, TC_OP_RSQRT, ew(r, TC_OP_ADD, var, tcP_rebuild_push(r, eps), loc, NULL), -1, loc,
             NULL);
  if (n->ints[0]) s = ew(r, TC_OP_MUL, s, n->in[next++], loc, NULL);
  /* w * s, s reshaped to [Cout, 1, 1, 1] */
  const tc_ext *sh[4] = {nd(r, s)->shape[0], NULL, NULL, NULL};
  for (int d = 1; d < 4; d++) sh[d] = tc_ext_const(&r->m->arena, 1);
  int s4 = add(r, TC_OP_RESHAPE, 1, &s, 4, sh, loc, NULL);
  int w2 = ew(r, TC_OP_MUL, w, s4, loc, NULL);
  r->out.data[w2].note =
      note(r, w2, "the weights of the conv2d of line %d times batch_norm's scale", conv_line);
  int bm = has_bias ? ew(r, TC_OP_SUB, c->in[2], mean, loc, NULL)
                    : ew(r, TC_OP_NEG, mean, -1, loc, NULL);
  int b2 = ew(r, TC_OP_MUL, bm, s, loc, NULL);
  if (n->ints[1]) b2 = ew(r, TC_OP_ADD, b2, n->in[next++], loc, NULL);
  r->out.data[b2].note =
      note(r, b2, "the bias of the conv2d of line %d with batch_norm folded in", conv_line);
  /* the convolution, now with a bias */
  int64_t *ints = tc_arena_alloc(&r->m->arena, 9 * sizeof *ints);
  memcpy(ints, c->ints, 9 * sizeof *ints);
  ints[8] = 1;
  tc_node cv = *c;
  cv.ints = ints;
  cv.nints = 9;
  int in[3] = {c->in[0], w2, b2};
  int *a = tc_arena_alloc(&r->m->arena, sizeof in);
  memcpy(a, in, sizeof in);
  cv.in = a;
  cv.nin = 3;
  int id = tcP_rebuild_push(r, cv);
  r->out.data[id].note =
      note(r, id, "the batch_norm of line %d folded into its weights and bias", n->loc.line);
  return id;
}

/* A copy of old node x with its operands renumbered; the folded conv2d,
   dropped, reads as -1 (the batch_norm's operand 0, which fold() does
   not use). */
static tc_node renumbered(rebuild *r, const tc_node *x) {
  tc_node c = *x;
  int *in = tc_arena_alloc(&r->m->arena, (size_t)(x->nin ? x->nin : 1) * sizeof *in);
  for (int j = 0; j < x->nin; j++) in[j] = r->map[x->in[j]];
  c.in = in;
  return c;
}


/* For each node, the batch_norm folded into it (conv2d nodes), or -1;
   returns the number of folds. */
static int find_folds(const tc_kernel *k, int *fold_of) {
  int nn = k->nodes.len, count = 0;
  int *uses = tc_xcalloc((size_t)nn + 1, sizeof *uses);
  char *wo = tcP_weights_only(k);
  for (int i = 0; i < nn; i++) {
    const tc_node *x = &k->nodes.data[i];
    fold_of[i] = -1;
    for (int j = 0; j < x->nin; j++) uses[x->in[j]]++;
  }
  for (int a = 0; a < k->args.len; a++) uses[k->args.data[a].node]++;
  for (int i = 0; i < nn; i++) {
    const tc_node *n = &k->nodes.data[i];
    if (n->op != TC_OP_BATCH_NORM || n->dtype != TC_DT_F32) continue;
    int ci = n->in[0];
    const tc_node *c = &k->nodes.data[ci];
    if (c->op != TC_OP_CONV2D || c->dtype != TC_DT_F32 || c->ints[7] != 0 || uses[ci] != 1 ||
        tcP_scheduled(k, ci) || tcP_scheduled(k, i) || !tcP_static_shape(&k->nodes.data[c->in[1]]))
      continue;
    int ok = 1;
    for (int j = 1; j < c->nin; j++) ok &= wo[c->in[j]];
    for (int j = 1; j < n->nin; j++) ok &= wo[n->in[j]];
    if (!ok) continue;
    fold_of[ci] = i;
    count++;
  }
  free(uses);
  free(wo);
  return count;
}

int tcP_fold(tc_module *m, tc_diag *d) {
  (void)d;
  for (int ki = 0; ki < m->kernels.len; ki++) {
    tc_kernel *k = m->kernels.data[ki];
    int *fold_of = tc_xmalloc(((size_t)k->nodes.len + 1) * sizeof *fold_of);
    if (find_folds(k, fold_of) == 0) {
      free(fold_of);
      continue;
    }
    /* the batch_norm of each folded conv2d: conv -> bn, bn -> conv */
    int *conv_of = tc_xmalloc(((size_t)k->nodes.len + 1) * sizeof *conv_of);
    for (int i = 0; i < k->nodes.len; i++) conv_of[i] = -1;
    for (int i = 0; i < k->nodes.len; i++)
      if (fold_of[i] >= 0) conv_of[fold_of[i]] = i;
    rebuild r;
    tcP_rebuild_begin(&r, m, k);
    for (int i = 0; i < k->nodes.len; i++) {
      if (fold_of[i] >= 0) { /* made again with the batch_norm */
        tcP_rebuild_map(&r, i, -1);
        continue;
      }
      if (conv_of[i] >= 0) {
        /* the conv's operands come before it, hence before the batch_norm:
           renumber a copy of it now */
        const tc_node *oc = &k->nodes.data[conv_of[i]];
        tc_node c = renumbered(&r, oc), n = renumbered(&r, &k->nodes.data[i]);
        tcP_rebuild_map(&r, i, fold(&r, &c, &n, oc->loc.line));
        continue;
      }
      tc_node n = tcP_rebuild_renumber(&r, &k->nodes.data[i]);
      tcP_rebuild_map(&r, i, tcP_rebuild_push(&r, n));
    }
    tcP_rebuild_finish(&r);
    free(conv_of);
    free(fold_of);
  }
  return 0;
}
