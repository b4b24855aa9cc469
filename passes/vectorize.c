/*
 * vectorize.c: which loops run in vectors on the intrinsics targets
 * (AVX2, AVX-512: emit/vec.c), and why the others stay scalar.
 * `tensorc ir FILE --after vectorize` prints each stage's decision.
 *
 * The vector loop of a stage is its innermost loop, over the last axis of
 * its output (contiguous, so lanes are consecutive elements); stride
 * analysis is done per load by tc_loop_vec_ok: a load whose last index is
 * that loop variable reads consecutive lanes, a load that does not use it
 * is one value broadcast to every lane, a lane group (an NHWC grouped
 * convolution's input channels: tc_loop_lane_group) is the vector at the
 * lanes' own indices permuted, and anything else (a strided or gathered
 * load) keeps the loop scalar.  The extents may be symbolic: the
 * last, partial vector is masked (no scalar tail).
 *
 * Stays scalar, with the reason in the stage's vec_why:
 *   - a scatter (it accumulates through indices), a user's compute()
 *     body (its loads are bounds-checked one by one), a stage with
 *     schedule() hints (its loops are the ones the hints ask for);
 *   - an output not of f32 or bf16 (vectors are float only so far);
 *   - an innermost loop that is the nest's row loop (unless no stage of
 *     the nest has a loop of its own and all can run in vectors: several
 *     outputs over one iteration space), or a static one of fewer than
 *     VEC_MIN_TRIP elements (too short to pay for a vector: the
 *     profitability rule);
 *   - a body with anything tc_loop_vec_ok refuses (an integer value, a
 *     gather, argmax, a reduction along the row inside the loop: row
 *     reductions run in vector lanes of their own, emit/c.c).
 * In a vector loop, an op without a vector form (sin, pow, ...) is
 * computed lane by lane, and vec_why lists those ops.
 * The decision does not depend on the ISA; the scalar target ignores it.
 */
#include "passes.h"

#include <stdio.h>
#include <string.h>

/* The shortest static innermost loop worth a vector. */
enum { VEC_MIN_TRIP = 4 };

/* 1 when no stage of s's nest has a loop of its own (several outputs
   over one iteration space): the nest's last loop then runs in vectors
   when every stage's body can (emit/c.c). */
static int nest_all_shared(const tc_loop_prog *p, const tc_stage *s) {
  for (int i = 0; i < p->stages.len; i++) {
    const tc_stage *t = &p->stages.data[i];
    if (t->nest != s->nest) continue;
    const tc_lbuf *o = &p->bufs.data[t->out];
    if (o->rank != t->shared || t->kind != TC_STAGE_MAP || t->checked || t->sched ||
        !tc_loop_vec_ok(p, t, t->body, TC_OP_IVAR, o->rank - 1, 0, NULL, NULL))
      return 0;
  }
  return 1;
}

static const char *why_stage(tc_loop_prog *p, const tc_stage *s) {
  const tc_lbuf *o = &p->bufs.data[s->out];
  int64_t n;
  if (s->gemm) return NULL; /* the template's micro-kernel and epilogue (emit/gemm.c) */
  if (o->kind == TC_LBUF_CREATE) return "computed once, by P_create, in plain loops";
  if (s->kind == TC_STAGE_ACCUM) return "a scatter: it accumulates through indices";
  if (s->checked) return "a compute() body: its loads are bounds-checked one by one";
  if (s->sched && s->sched->node < 0) {
    /* in vectors along the first tiled axis, the read's contiguous one,
       each block transposed in registers (emit/c.c) */
    const int a = o->rank - s->sched->ntile;
    const char *why = NULL;
    const tc_sexpr *bad = NULL;
    if (o->dtype != TC_DT_F32 || s->body->dtype != TC_DT_F32)
      return "tiled for a transposed read, not of f32 (transposes in vectors are f32 only)";
    if (tc_loop_vec_ok(p, s, s->body, TC_OP_IVAR, a, 0, &why, &bad)) return NULL;
    tc_buf b = {0};
    tc_buf_printf(&b, "tiled for a transposed read; along i%d, %s (%s)", a, why,
                  tc_op_name(bad->op));
    const char *r = tc_arena_strdup(&p->arena, b.data);
    tc_buf_free(&b);
    return r;
  }
  if (s->sched) return "schedule() hints: its loops are the ones they ask for";
  if (o->rank == 0) return "no loop";
  if (o->dtype != TC_DT_F32 && o->dtype != TC_DT_BF16)
    return "its output is not f32 or bf16 (vectors are float only so far)";
  if (s->nest >= 0 && o->rank - 1 < s->shared && !nest_all_shared(p, s))
    return "its only loop is the nest's row loop";
  if (tc_ext_is_const(o->shape[o->rank - 1], &n) && n < VEC_MIN_TRIP)
    return "its innermost loop is too short to pay for a vector";
  const char *why = NULL;
  const tc_sexpr *bad = NULL;
  if (tc_loop_vec_ok(p, s, s->body, TC_OP_IVAR, o->rank - 1, 0, &why, &bad)) return NULL;
  tc_buf b = {0};
  tc_buf_printf(&b, "%s (%s)", why, tc_op_name(bad->op));
  const char *r = tc_arena_strdup(&p->arena, b.data);
  tc_buf_free(&b);
  return r;
}

/* Appends to b the ops of e computed lane by lane (no vector form),
   each once. */
static void note_lane_ops(const tc_sexpr *e, tc_buf *b) {
  if (e->op == TC_OP_LOAD) return; /* its indices are scalar */
  if (e->nargs > 0 && e->op != TC_OP_REDUCE && e->op != TC_OP_WHERE && e->op != TC_OP_CAST &&
      tc_op_class_of(e->op) != TC_OPC_CMP && !tc_loop_op_has_vector(e->op)) {
    const char *n = tc_op_name(e->op);
    if (!b->data || !strstr(b->data, n)) tc_buf_printf(b, "%s%s", b->len ? ", " : "", n);
  }
  for (int i = 0; i < e->nargs; i++) note_lane_ops(e->args[i], b);
}

/* Appends to b, for each f32 row reduction in e whose body computes in
   vectors along its reduction variable, that it does: emit/c.c runs
   those in vector lanes (when the row is long enough). */
static void note_lanes(const tc_loop_prog *p, const tc_stage *s, const tc_sexpr *e, tc_buf *b) {
  int arg = e->op == TC_OP_REDUCE && (e->red == TC_OP_ARGMAX || e->red == TC_OP_ARGMIN);
  if (e->op == TC_OP_REDUCE &&
      ((e->dtype == TC_DT_F32 && (e->red == TC_OP_SUM || e->red == TC_OP_PROD ||
                                  e->red == TC_OP_MAX || e->red == TC_OP_MIN)) ||
       (arg && e->nargs == 1 && e->args[0]->dtype == TC_DT_F32)) &&
      tc_loop_vec_ok(p, s, e->args[0], TC_OP_RVAR, e->var, 0, NULL, NULL))
    tc_buf_printf(b, "; its %s over r%d in vector lanes", tc_op_name(e->red), e->var);
  for (int i = 0; i < e->nargs; i++) note_lanes(p, s, e->args[i], b);
}

int tcP_vectorize(tc_loop_prog *p, tc_diag *d) {
  (void)d;
  for (int i = 0; i < p->stages.len; i++) {
    tc_stage *s = &p->stages.data[i];
    s->vec_why = why_stage(p, s);
    s->vec = s->vec_why == NULL;
    if (s->vec) {
      tc_buf b = {0}, t = {0};
      if (s->sched) /* (a transpose: why_stage) */
        tc_buf_puts(&t, "a transpose: blocks of vectors transposed in registers");
      note_lane_ops(s->body, &b);
      if (b.len || t.len) {
        tc_buf w = {0};
        if (t.len) tc_buf_printf(&w, "%s%s", t.data, b.len ? "; " : "");
        if (b.len) tc_buf_printf(&w, "%s lane by lane", b.data);
        s->vec_why = tc_arena_strdup(&p->arena, w.data); /* a note, not a reason */
        tc_buf_free(&w);
      }
      tc_buf_free(&b);
      tc_buf_free(&t);
      continue;
    }
    if (s->kind != TC_STAGE_MAP || s->checked) continue;
    tc_buf b = {0};
    note_lanes(p, s, s->body, &b);
    if (b.len) {
      tc_buf w = {0};
      tc_buf_printf(&w, "%s%s", s->vec_why, b.data);
      s->vec_why = tc_arena_strdup(&p->arena, w.data);
      tc_buf_free(&w);
    }
    tc_buf_free(&b);
  }
  return 0;
}
