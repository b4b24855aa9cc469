/*
 * chunk.c: reductions whose output is too small to split across threads
 * are split along the reduced axis instead, in chunks of a fixed size.
 *
 * A column sum `y[i] = sum(r in 0..R: x[r, i])`, or a full reduction
 * `s = sum(r in 0..R: x[r])`, has few output elements (or walks down
 * columns, which streams badly), so a parallel loop over its output leaves
 * threads idle or reads memory out of order.  This pass rewrites such a
 * stage into two:
 *
 *   part[c, i...] = red(r in c*K .. min(R, c*K + K): body)   c in 0..C
 *   out[i...]     = red(c in 0..C: part[c, i...])            C = (R+K-1)/K
 *
 * The first is parallel over its chunks c (and the emitter walks each
 * chunk's rows contiguously, all columns at once); the second combines
 * the partial results in chunk order.  K depends only on the shapes,
 * never on the number of threads, and each chunk is computed by the same
 * code whichever thread runs it, so results are bitwise identical for
 * every thread count; they differ from a single sequential pass over r
 * by the reassociation of the chunks (as any parallel reduction does).
 *
 * Rewritten: a MAP stage without schedule() hints that cannot fail and
 * is no GEMM (passes/gemm.c: the template splits its own work) whose body is one REDUCE (SUM,
 * PROD, MAX or MIN, its result stored as it is computed: not bf16 or
 * bool) over a static or symbolic extent, with nothing reduced inside it,
 * when either its loads walk down columns (the reduced variable indexes a
 * row, the output's last variable the column: K = CHUNK_ROWS rows), or
 * its output has at most SMALL_OUT elements (K = CHUNK_ELEMS), and its
 * work is large (static R * |out| >= MIN_ELEMS, or symbolic).  An empty
 * MAX/MIN stays an error: C is then 0 and the combining stage reports
 * the max of nothing as the stage did (or, for a MAX whose empty range
 * gives the identity, softmax's: tc_sexpr.inum, neither does).
 */
#include <stdlib.h>
#include <string.h>

#include "passes.h"

enum {
  CHUNK_ROWS = 256,   /* rows a chunk of a column reduction walks */
  CHUNK_ELEMS = 8192, /* elements a chunk of a small-output reduction reads */
  SMALL_OUT = 64,     /* outputs this small are split along the reduction */
  MIN_ELEMS = 65536   /* less work than this is not worth two stages */
};

/* e with every IVAR d renumbered d + 1 (the chunk axis comes first). */
static const tc_sexpr *shift_ivars(tc_loop_prog *p, const tc_sexpr *e) {
  if (e->op == TC_OP_IVAR) return tc_loop_sx_ivar(p, e->var + 1);
  if (e->nargs == 0) return e;
  const tc_sexpr *a[8], **args = e->nargs <= 8 ? a : malloc((size_t)e->nargs * sizeof *args);
  int same = 1;
  for (int i = 0; i < e->nargs; i++) {
    args[i] = shift_ivars(p, e->args[i]);
    same &= args[i] == e->args[i];
  }
  const tc_sexpr *r = same ? e : tc_loop_sx_copy(p, e, args);
  if (args != a) free(args);
  return r;
}

/* Splits stage s (see the top of the file) when it qualifies; returns 1
   when it did.  The stage array may move. */
static int try_chunk(tc_loop_prog *p, int s) {
  const tc_stage st = p->stages.data[s];
  const tc_lbuf o = p->bufs.data[st.out];
  const tc_sexpr *e = st.body;
  if (st.kind != TC_STAGE_MAP || st.checked || st.sched || st.gemm || e->op != TC_OP_REDUCE ||
      o.kind == TC_LBUF_CREATE || /* runs once, in P_create */
      e->nargs != 1 ||
      !(e->red == TC_OP_SUM || e->red == TC_OP_PROD || e->red == TC_OP_MAX ||
        e->red == TC_OP_MIN) ||
      e->dtype != o.dtype || o.dtype == TC_DT_BF16 || o.dtype == TC_DT_BOOL ||
      tc_loop_sx_count_reduces(e->args[0]) > 0 || tc_loop_sx_may_divide_by_zero(e->args[0]) ||
      o.rank + 1 > TC_MAX_RANK)
    return 0;
  int64_t out_n = 1, R = 0;
  int out_static = 1;
  for (int d = 0; d < o.rank; d++) {
    int64_t v;
    if (tc_ext_is_const(o.shape[d], &v)) out_n *= v;
    else out_static = 0;
  }
  int R_static = tc_ext_is_const(e->ext, &R);
  int columns = o.rank > 0 && tc_loop_walks_down_columns(e->args[0], e->var, o.rank - 1);
  int small = out_static && out_n <= SMALL_OUT;
  if (!columns && !small) return 0;
  int64_t K = columns ? CHUNK_ROWS : CHUNK_ELEMS;
  if (out_static && out_n == 0) return 0;
  if (R_static && (R < 2 * K || (out_static && R * out_n < MIN_ELEMS))) return 0;

  /* part: [C, out...] */
  tc_arena *ar = &p->arena;
  const tc_ext *Kx = tc_ext_const(ar, K);
  const tc_ext *C = tc_ext_binary(
      ar, TC_EXT_FLOORDIV, tc_ext_binary(ar, TC_EXT_ADD, e->ext, tc_ext_const(ar, K - 1)), Kx);
  const tc_ext **shape = tc_arena_alloc(ar, (size_t)(o.rank + 1) * sizeof *shape);
  shape[0] = C;
  for (int d = 0; d < o.rank; d++) shape[d + 1] = o.shape[d];
  tc_lbuf pb;
  memset(&pb, 0, sizeof pb);
  pb.kind = TC_LBUF_TEMP;
  pb.dtype = o.dtype;
  pb.rank = o.rank + 1;
  pb.shape = shape;
  pb.arg = pb.abi = pb.alias = -1;
  pb.node = -1;
  tc_buf nm = {0};
  tc_buf_printf(&nm, "%s.part", o.name);
  pb.name = tc_arena_strdup(ar, nm.data);
  tc_buf_free(&nm);
  int part = tc_loop_add_buf(p, &pb);

  /* the chunks: r in c*K .. min(R, c*K + K) */
  const tc_sexpr *c = tc_loop_sx_ivar(p, 0);
  const tc_sexpr *lo = tc_loop_sx_iop(p, TC_OP_MUL, c, tc_loop_sx_int(p, K));
  const tc_sexpr *mm[2] = {tc_loop_sx_extent(p, e->ext),
                           tc_loop_sx_iop(p, TC_OP_ADD, lo, tc_loop_sx_int(p, K))};
  const tc_sexpr *hi = tc_loop_sx(p, TC_OP_MINIMUM, TC_DT_I64, 2, mm, e->loc);
  tc_stage s1 = st;
  s1.out = part;
  s1.body = tc_loop_sx_reduce_chunk(p, e->red, e->dtype, e->var, lo, hi, Kx,
                                    shift_ivars(p, e->args[0]), e->loc);
  /* the combination: red(c in 0..C: part[c, i...]) */
  int cv = tc_loop_new_rvar(p);
  const tc_sexpr *idx[TC_MAX_RANK];
  idx[0] = tc_loop_sx_rvar(p, cv);
  for (int d = 0; d < o.rank; d++) idx[d + 1] = tc_loop_sx_ivar(p, d);
  tc_stage s2 = st;
  s2.body = tc_loop_sx_reduce(p, e->red, e->dtype, cv, C, tc_loop_sx_load(p, part, idx), e->loc);
  ((tc_sexpr *)s2.body)->inum = e->inum; /* (just made) an empty range gives the identity */
  tc_loop_add_stage(p, &s2); /* makes room; then shift the rest up */
  memmove(&p->stages.data[s + 2], &p->stages.data[s + 1],
          (size_t)(p->stages.len - s - 2) * sizeof *p->stages.data);
  p->stages.data[s] = s1;
  p->stages.data[s + 1] = s2;
  p->stages.data[s].nest = p->stages.data[s + 1].nest = -1;
  p->stages.data[s].shared = p->stages.data[s + 1].shared = 0;
  return 1;
}

int tcP_chunk(tc_loop_prog *p, tc_diag *d) {
  (void)d;
  for (int s = 0; s < p->stages.len; s++)
    if (try_chunk(p, s)) s++; /* the combining stage is not split again */
  return 0;
}
