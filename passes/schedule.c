/*
 * schedule.c: the schedule() hints of a kernel, attached to the stages
 * that compute the scheduled tensors, or rejected with the line of the
 * hint.
 *
 * `schedule(y, {tile = {64, 256}, vectorize = 16, parallel = 1, unroll = 4})`
 * asks for the loop nest that computes y to be
 *   tile       tiled: the last k axes of y (k sizes given) each split into
 *              a loop over tiles and a loop within the tile (clamped at
 *              the edge); the untiled axes outermost, then the tile loops,
 *              then the loops within a tile, each group in axis order;
 *   vectorize  strip-mined: its innermost loop runs in blocks of that many
 *              iterations (a loop of constant trip count a C compiler turns
 *              into vector instructions), the remainder after them;
 *   unroll     unrolled: that many copies of the body in the innermost loop
 *              (of blocks, with vectorize), the remainder after them;
 *   parallel   parallel over its loops of axes 0..parallel (collapsed;
 *              with tiles: the untiled loops and the tile loops of those
 *              axes), whatever the work, under OpenMP or the pool.
 * The emitter (emit/c.c) writes the loops; this pass finds the stage and
 * checks that the hints can be honoured:
 *   - the tensor must be computed by a loop nest of its own: a tensor the
 *     kernel only views (a reshape of an argument) has none.  Fusion never
 *     inlines a scheduled tensor (passes/fuse.c), and the chunk and nest
 *     passes leave its stage alone, so the loops are the tensor's own;
 *   - a scatter writes through its indices: no hint applies to it;
 *   - `parallel` needs a nest that cannot fail: a bounds-checked load of a
 *     compute body, or an integer division by a variable, would have to
 *     leave a parallel loop; `tile` too, as it changes the order in which
 *     elements are computed, and so which failure is found first;
 *   - vectorize at most 256, unroll at most 64 (the emitter writes the
 *     copies out).
 * Without hints, a stage that cannot fail and reads a buffer transposed (its innermost
 * loop variable in another index than the last, the next one in the
 * last: a permute or transpose) gets tile = {32, 32} on its last two
 * axes, so that both the reads and the writes stay within cache lines
 * in L1 (2-D tiling, as a blocked transpose does).  When the read's last
 * index is an earlier axis a (NHWC -> NCHW: y[n, c, h, w] = t[n, h, w,
 * c], a = 1), axes a..R-1 get tile = {32, 1, ..., 1, 32}: the same
 * 32 x 32 blocks of axes a and R-1, one index at a time of the axes
 * between.  Its body may hold no reduction but a MAX or MIN over a static
 * window of at most TCP_WINDOW_MAX values (a max pool reading an NHWC result,
 * fused into the copy back to NCHW: passes/fuse.c).
 *
 * Hints never change results: tiling, strip-mining and unrolling keep
 * each element's computation, and parallel iterations write distinct
 * elements.
 */
#include <string.h>

#include "passes.h"

#include "../tensorc/loop.h"

static int uses_ivar(const tc_sexpr *e, int var) {
  if (e->op == TC_OP_IVAR && e->var == var) return 1;
  for (int i = 0; i < e->nargs; i++)
    if (uses_ivar(e->args[i], var)) return 1;
  return 0;
}

/* The output axis a < R-1 whose variable alone indexes the last axis of
   a buffer that e reads across the stage's rows (the innermost variable
   i<R-1> in another of its indices: a transpose when a = R-2; a rotation
   such as NHWC -> NCHW, y[n, c, h, w] = t[n, h, w, c], when a < R-2), or
   -1; *bad is set when e holds a REDUCE but a MAX or MIN over a static
   window (a max pool's, at most TCP_WINDOW_MAX values: each element still
   reduces its few values in order). */
static int transposes(const tc_sexpr *e, int R, int *bad) {
  int64_t n;
  if (e->op == TC_OP_REDUCE &&
      !((e->red == TC_OP_MAX || e->red == TC_OP_MIN) && e->nargs == 1 && e->ext &&
        tc_ext_is_const(e->ext, &n) && n <= TCP_WINDOW_MAX))
    *bad = 1;
  int t = -1;
  if (e->op == TC_OP_LOAD && e->nargs >= 2) {
    int inner_before = 0;
    for (int d = 0; d + 1 < e->nargs; d++) inner_before |= uses_ivar(e->args[d], R - 1);
    const tc_sexpr *last = e->args[e->nargs - 1];
    for (int a = R - 2; a >= 0 && inner_before && t < 0; a--)
      if (uses_ivar(last, a) && (a == R - 2 || !uses_ivar(last, R - 1))) t = a;
  }
  for (int i = 0; i < e->nargs; i++) {
    int u = transposes(e->args[i], R, bad);
    if (t < 0) t = u;
  }
  return t;
}

/* The tile a transposing stage gets when it has no hints: 32 x 32
   elements, so that the rows of both the tile read and the tile written
   stay in L1 while it is copied. */
enum { AUTO_TILE = 32 };

/* The largest blocks the emitter writes out: vectorize lanes, unrolled
   copies of the body. */
enum { MAX_VECTORIZE = 256, MAX_UNROLL = 64 };

/* tile = {32, 32} on the last two axes of a transpose; {32, 1, ..., 1,
   32} on axes a..R-1 of a rotation whose read's last index is axis a
   (the axes between a and R-1 one at a time, inside the tile of a). */
static void auto_tile(tc_loop_prog *p, tc_stage *st) {
  const tc_lbuf *o = &p->bufs.data[st->out];
  int bad = 0, a;
  if (st->kind != TC_STAGE_MAP || st->sched || o->rank < 2 || st->checked ||
      tc_loop_sx_may_divide_by_zero(st->body) || (a = transposes(st->body, o->rank, &bad)) < 0 ||
      bad)
    return;
  tc_schedule *sc = tc_arena_alloc(&p->arena, sizeof *sc);
  memset(sc, 0, sizeof *sc);
  sc->node = -1;
  sc->ntile = o->rank - a;
  for (int d = 0; d < sc->ntile; d++) sc->tile[d] = 1;
  sc->tile[0] = sc->tile[sc->ntile - 1] = AUTO_TILE;
  sc->loc = st->loc;
  st->sched = sc;
}

int tcP_schedule(tc_loop_prog *p, tc_diag *d) {
  const tc_kernel *k = p->kernel;
  if (!k) return 0;
  for (int i = 0; i < k->schedules.len; i++) {
    const tc_schedule *sc = &k->schedules.data[i];
    tc_stage *st = NULL;
    for (int s = 0; s < p->stages.len && !st; s++) {
      tc_stage *t = &p->stages.data[s];
      if (t->nnodes > 0 && t->nodes[0] == sc->node) st = t;
    }
    if (!st)
      return tc_diag_at(d, sc->loc,
                        "schedule: this tensor has no loops of its own to schedule (it is a "
                        "view of another tensor, or a constant); schedule the tensor it views");
    if (st->kind == TC_STAGE_ACCUM)
      return tc_diag_at(d, sc->loc,
                        "schedule: a scatter writes through its indices; its loops take no "
                        "hints");
    if (sc->has_parallel && (st->checked || tc_loop_sx_may_divide_by_zero(st->body)))
      return tc_diag_at(d, sc->loc,
                        "schedule: parallel: the loops of this tensor can fail (%s), and a "
                        "parallel loop cannot be left early",
                        st->checked ? "bounds-checked loads of a compute body"
                                    : "an integer division by a value that may be 0");
    const tc_lbuf *o = &p->bufs.data[st->out];
    int fails = st->checked || tc_loop_sx_may_divide_by_zero(st->body);
    if (sc->ntile && fails)
      return tc_diag_at(d, sc->loc,
                        "schedule: tile: the loops of this tensor can fail (%s); tiles would "
                        "change which element fails first, and so the error returned",
                        st->checked ? "bounds-checked loads of a compute body"
                                    : "an integer division by a value that may be 0");
    if (sc->vectorize > MAX_VECTORIZE || sc->unroll > MAX_UNROLL)
      return tc_diag_at(d, sc->loc, "schedule: %s = %d is too large (at most %d)",
                        sc->vectorize > MAX_VECTORIZE ? "vectorize" : "unroll",
                        sc->vectorize > MAX_VECTORIZE ? sc->vectorize : sc->unroll,
                        sc->vectorize > MAX_VECTORIZE ? MAX_VECTORIZE : MAX_UNROLL);
    if (o->rank == 0 && (sc->vectorize || sc->unroll))
      return tc_diag_at(d, sc->loc,
                        "schedule: a scalar has no loop to %s", sc->vectorize ? "vectorize"
                                                                              : "unroll");
    if (sc->has_parallel && sc->ntile == 0 && sc->parallel == o->rank - 1 &&
        (sc->vectorize > 1 || sc->unroll > 1))
      return tc_diag_at(d, sc->loc,
                        "schedule: parallel = %d makes the innermost loop parallel, which "
                        "vectorize and unroll split into blocks; make an outer axis parallel, "
                        "or tile",
                        sc->parallel);
    st->sched = sc;
    st->nest = -1;
  }
  for (int s = 0; s < p->stages.len; s++) auto_tile(p, &p->stages.data[s]);
  return 0;
}
