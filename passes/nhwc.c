/*
 * nhwc.c: an NCHW convolution run as an NHWC one, between permutes.
 *
 *   conv2d(x, w, b)   (NCHW)
 *     = permute(conv2d(permute(x, {0, 2, 3, 1}), permute(w, {2, 3, 1, 0}), b,
 *                      layout NHWC), {0, 3, 1, 2})
 *
 * The GEMM template runs an NHWC convolution with the input's channel
 * vectors read in place as A's rows and the weight packed at create as
 * B; an NCHW one gathers the input's windows into B block by block,
 * which costs about a third of its time (docs/gemm.md).  Copying the
 * input to NHWC once and the result back costs less: the weight's
 * permute is a value of the weights alone, computed by P_create
 * (passes/precompute.c) and packed there; the input's is a transposing
 * stage, which the schedule pass tiles 32 x 32 (on the intrinsics
 * targets the emitter leaves it out when the convolution is its only
 * reader: the template then copies the rows each task reads, emit/c.c
 * nchw_source); the output's is one too
 * (tiled 32 x 1 x 32: passes/schedule.c), and fusion puts what follows
 * the convolution (relu, a residual of NCHW shape, ...) into it, read in
 * its own layout.  The bias stays the NHWC convolution's (the template's
 * epilogue).  The result is the same sum of the same products, in another
 * order within the template's blocks of k: it differs from the NCHW
 * template's by rounding only.
 *
 * Rewritten when the conv2d
 *   - is f32 and NCHW, with one group (grouped ones run as loops);
 *   - has a weight of static shape whose value depends on weights and
 *     constants only (its permute is then computed at create);
 *   - has a window larger than 1x1, a stride other than 1, or padding
 *     (a 1x1 convolution of stride 1 without padding reads x in place as
 *     B [Cin, H W], no gather: it stays);
 *   - is not one the template's direct kernel computes in place
 *     (tc_conv_direct, tensorc/loop.h: stride 1, few input channels, a
 *     wide output), unless a max pool reads it (the pool then fuses into
 *     the copy back);
 *   - has no schedule() hints, and neither has its input.
 * Runs after fold (a batch_norm after the convolution is folded into its
 * NCHW weights first: the permute then reads the folded weights) and
 * after quant (a convolution of dequantized operands is quant's).
 *
 * The new nodes carry the conv2d's location and notes saying why they are
 * there (`tensorc ir FILE --after nhwc`); the node array is rebuilt as
 * decompose does (passes/rewrite.h).
 */
#include "rewrite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef tcP_rebuild rebuild;


/* 1 when node c of k is read, through elementwise ops only, by a
   max_pool2d: run as NHWC, the pool fuses into the copy back to NCHW
   (passes/fuse.c), a pass over the output the direct kernel would leave
   to a pool reading NCHW rows with a stride.  One sweep from the last
   node back (a node's readers come after it): reach[n], n's value flows
   to a pool. */
static int pooled(const tc_kernel *k, int c) {
  char *reach = tc_xcalloc((size_t)k->nodes.len + 1, 1);
  for (int n = k->nodes.len - 1; n > c; n--) {
    const tc_node *x = &k->nodes.data[n];
    if (x->op != TC_OP_MAX_POOL2D && !(tc_op_is_elementwise(x->op) && reach[n])) continue;
    for (int i = 0; i < x->nin; i++) reach[x->in[i]] = 1;
  }
  int r = reach[c];
  free(reach);
  return r;
}

/* 1 when NCHW conv2d c (node of k) runs better as NHWC; wo[i]: node i
   depends on weights and constants only. */
static int takes(const tc_kernel *k, int ci, const char *wo) {
  const tc_node *c = &k->nodes.data[ci];
  if (c->op != TC_OP_CONV2D || c->dtype != TC_DT_F32 || c->nints < 9 || c->ints[7] != 0 ||
      c->ints[6] != 1 || c->rank != 4)
    return 0;
  const tc_node *w = &k->nodes.data[c->in[1]];
  if (!tcP_static_shape(w) || !wo[c->in[1]] || tcP_scheduled(k, ci) || tcP_scheduled(k, c->in[0]))
    return 0;
  int64_t kh, kw, cin, ow;
  tc_ext_is_const(w->shape[2], &kh);
  tc_ext_is_const(w->shape[3], &kw);
  tc_ext_is_const(w->shape[1], &cin);
  /* the template's direct kernel reads such an NCHW image in place, but
     for a max pool after it */
  if (tc_ext_is_const(c->shape[3], &ow) &&
      tc_conv_direct(c->ints[0], c->ints[1], cin, kh, kw, c->ints[5], ow) && !pooled(k, ci))
    return 0;
  return kh * kw > 1 || c->ints[0] != 1 || c->ints[1] != 1 || c->ints[2] != 0 || c->ints[3] != 0;
}

/* "permute (the input of the conv2d of line 7 to NHWC)" */
static const char *note(rebuild *r, const char *op, const char *fmt, int line) {
  char why[160], buf[200];
  snprintf(why, sizeof why, fmt, line);
  snprintf(buf, sizeof buf, "%s (%s)", op, why);
  return tc_arena_strdup(&r->m->arena, buf);
}

/* permute(x, perm) of node x (new id), at loc. */
static int permute(rebuild *r, int x, const int64_t *perm, tc_loc loc, const char *why) {
  const tc_node *xn = &r->out.data[x];
  tc_node n = {0};
  n.op = TC_OP_PERMUTE;
  n.dtype = xn->dtype;
  n.rank = xn->rank;
  const tc_ext **s = tc_arena_alloc(&r->m->arena, (size_t)n.rank * sizeof *s);
  int64_t *p = tc_arena_alloc(&r->m->arena, (size_t)n.rank * sizeof *p);
  for (int d = 0; d < n.rank; d++) {
    s[d] = xn->shape[perm[d]];
    p[d] = perm[d];
  }
  n.shape = s;
  n.ints = p;
  n.nints = n.rank;
  int *in = tc_arena_alloc(&r->m->arena, sizeof *in);
  in[0] = x;
  n.in = in;
  n.nin = 1;
  n.arg = -1;
  n.loc = loc;
  n.note = why;
  return tcP_rebuild_push(r, n);
}

/* Emits the NHWC form of conv2d c (operands renumbered); returns the id
   of its NCHW result.  perm[i]: the permute of new node i made for an
   earlier conv2d, or -1 (convolutions of one input, or one weight, share
   its permute). */
static int rewrite(rebuild *r, const tc_node *c, int *perm) {
  static const int64_t to_nhwc[4] = {0, 2, 3, 1}, w_hwio[4] = {2, 3, 1, 0},
                       to_nchw[4] = {0, 3, 1, 2};
  int line = c->loc.line;
  int x = perm[c->in[0]], w = perm[c->in[1]];
  if (x < 0)
    x = perm[c->in[0]] =
        permute(r, c->in[0], to_nhwc, c->loc,
                note(r, "permute", "the input of the conv2d of line %d to NHWC", line));
  if (w < 0)
    w = perm[c->in[1]] = permute(
        r, c->in[1], w_hwio, c->loc,
        note(r, "permute", "the weights of the conv2d of line %d to [kh, kw, Cin, Cout]", line));
  tc_node cv = *c;
  int64_t *ints = tc_arena_alloc(&r->m->arena, 9 * sizeof *ints);
  memcpy(ints, c->ints, 9 * sizeof *ints);
  ints[7] = 1;
  cv.ints = ints;
  cv.nints = 9;
  int *in = tc_arena_alloc(&r->m->arena, (size_t)c->nin * sizeof *in);
  memcpy(in, c->in, (size_t)c->nin * sizeof *in);
  in[0] = x;
  in[1] = w;
  cv.in = in;
  const tc_ext **s = tc_arena_alloc(&r->m->arena, 4 * sizeof *s);
  for (int d = 0; d < 4; d++) s[d] = c->shape[to_nhwc[d]];
  cv.shape = s;
  /* a note of fold's, "conv2d (why)", adds its why */
  const char *was = c->note;
  int wl = was ? (int)strlen(was) : 0;
  if (was && !strncmp(was, "conv2d (", 8) && was[wl - 1] == ')') {
    was += 8;
    wl -= 9;
  }
  char why[320];
  snprintf(why, sizeof why, "conv2d (an NCHW conv2d run as NHWC%s%.*s)", was ? "; " : "", wl,
           was ? was : "");
  cv.note = tc_arena_strdup(&r->m->arena, why);
  int id = tcP_rebuild_push(r, cv);
  return permute(r, id, to_nchw, c->loc,
                 note(r, "permute", "the result of the conv2d of line %d back to NCHW", line));
}

int tcP_nhwc(tc_module *m, tc_diag *d) {
  (void)d;
  for (int ki = 0; ki < m->kernels.len; ki++) {
    tc_kernel *k = m->kernels.data[ki];
    int nn = k->nodes.len, count = 0;
    char *wo = tcP_weights_only(k);
    char *take = tc_xcalloc((size_t)nn + 1, 1);
    for (int i = 0; i < nn; i++) count += take[i] = (char)takes(k, i, wo);
    free(wo);
    if (count == 0) {
      free(take);
      continue;
    }
    /* new ids: at most 4 nodes for each old one */
    int *perm = tc_xmalloc((4 * (size_t)nn + 1) * sizeof *perm);
    for (int i = 0; i < 4 * nn; i++) perm[i] = -1;
    rebuild r;
    tcP_rebuild_begin(&r, m, k);
    for (int i = 0; i < nn; i++) {
      tc_node n = tcP_rebuild_renumber(&r, &k->nodes.data[i]);
      tcP_rebuild_map(&r, i, take[i] ? rewrite(&r, &n, perm) : tcP_rebuild_push(&r, n));
    }
    tcP_rebuild_finish(&r);
    free(perm);
    free(take);
  }
  return 0;
}
