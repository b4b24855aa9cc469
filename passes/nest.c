/*
 * nest.c: stages that walk the same rows run in one loop nest.
 *
 * After `fuse`, a softmax is still four stages, each a loop nest over all
 * rows of x:
 *
 *   t1[i0, 0]  = max(r: x[i0, r])
 *   t3[i0, i1] = exp(x[i0, i1] - t1[i0, 0])
 *   t4[i0, 0]  = sum(r: t3[i0, r])
 *   y[i0, i1]  = t3[i0, i1] / t4[i0, 0]
 *
 * Every one of them reads and writes row i0 only, and only what the stages
 * before it wrote for that row.  This pass gives consecutive stages like
 * these one nest (Halide's compute_at, at the row loop): the emitter opens
 * the loop over i0 once and, inside it, runs each stage's remaining loops
 * in program order.  A temporary that lives within one row (t1, t3 and t4
 * here) becomes `local`: a row-sized array inside the row loop, in cache
 * while it is used, never allocated.  The same rule puts sibling
 * elementwise stages over one iteration space into one loop (horizontal
 * fusion: several outputs in one pass) and turns a value with two readers
 * (`x - mean` in a layer norm) into a scalar or a row.
 *
 * A stage T joins the nest N of the stages just before it when
 *   - both are MAP stages without schedule() hints (their loops are the
 *     user's), neither a GEMM (passes/gemm.c: the template's loops are its
 *     own), that cannot fail (unchecked loads, no integer
 *     division by a variable: a failure must come at the same point as
 *     before); the "max of nothing" of an empty row is the one failure
 *     left, and it gives TC_EINVAL wherever it is found;
 *   - the leading axes N shares (the first `shared` axes of every
 *     stage's output, of equal extents) cover more than one iteration;
 *     joining may lower `shared`, never below 1;
 *   - every load in T of a buffer a stage of N writes reads the current
 *     iteration: its index on each shared axis d is exactly i<d> (or 0
 *     on an axis of extent 1), and it does not go through a reshape
 *     (ALIAS);
 *   - T writes no buffer a stage of N reads or writes;
 *   - neither T nor N walks down columns: a REDUCE whose loads use its
 *     variable in another index than the last (the column reductions the
 *     emitter turns around, a matmul's B[r, j]) keeps its own nest.
 * Within one iteration of the shared loops each stage still computes the
 * same elements with the same operations in the same order, so results
 * are bitwise those of the separate nests; only the order in which rows
 * are visited changes, and no stage reads a row another iteration writes.
 *
 * A TEMP buffer is made local when its writer and all its readers are in
 * one nest (none through an alias), and its row (the extents after the
 * shared ones) is static and small enough for the stack: at most
 * NEST_LOCAL_MAX_BYTES for all the local buffers of the kernel (each
 * thread running a nest has its own copy, and a compiler without
 * optimization gives each nest's arrays their own place in the frame).
 * A local row that the nest's last reader of it turns, element by
 * element, into an output's row is kept in that output's row instead
 * (in_output below): softmax stores exp(x - max) in y and scales it
 * there, as a hand-written one does.  Otherwise a temporary stays
 * full size, still visited a row at a time.
 */
#include <stdlib.h>
#include <string.h>

#include "passes.h"

/* The stack the local buffers of a kernel's nests may take together, per
   thread. */
enum { NEST_LOCAL_MAX_BYTES = 64 * 1024 };

/* 1 when a load in e (inside REDUCE `var`, or any REDUCE when var < 0)
   uses a reduction variable in an index other than its last. */
static int walks_columns(const tc_sexpr *e, int nvars, const int *vars) {
  if (e->op == TC_OP_LOAD)
    for (int d = 0; d + 1 < e->nargs; d++)
      for (int v = 0; v < nvars; v++)
        if (tc_loop_sx_uses_rvar(e->args[d], vars[v])) return 1;
  if (e->op == TC_OP_REDUCE && e->var >= 0 && nvars < 8) {
    int vs[8];
    if (nvars > 0) memcpy(vs, vars, (size_t)nvars * sizeof *vs);
    vs[nvars] = e->var;
    for (int i = 0; i < e->nargs; i++)
      if (walks_columns(e->args[i], nvars + 1, vs)) return 1;
    return 0;
  }
  if (e->op == TC_OP_REDUCE && nvars >= 8) return 1; /* too deep to tell */
  for (int i = 0; i < e->nargs; i++)
    if (walks_columns(e->args[i], nvars, vars)) return 1;
  return 0;
}

/* A stage that may be in a nest at all. */
static int nestable(const tc_loop_prog *p, const tc_stage *s) {
  const tc_lbuf *o = &p->bufs.data[s->out];
  return s->kind == TC_STAGE_MAP && !s->checked && !s->sched && !s->gemm && o->rank >= 1 &&
         o->kind != TC_LBUF_CREATE && /* P_create's, not P_run's */
         !tc_loop_sx_may_divide_by_zero(s->body) &&
         !walks_columns(s->body, 0, NULL);
}

/* The nest being built: stages first..last, `shared` leading axes. */
typedef struct nest {
  int first, last, shared;
  char *in;    /* per buffer (base): written by a stage of the nest */
  char *read;  /* per buffer (base): read by a stage of the nest */
} nest;

/* Loads in e of buffers the nest writes: 1 when each reads the current
   iteration of the first k axes and none goes through an alias. */
static int reads_current(const tc_loop_prog *p, const nest *n, const tc_sexpr *e, int k) {
  if (e->op == TC_OP_LOAD && n->in[tc_loop_base_buf(p, e->ref)]) {
    if (p->bufs.data[e->ref].kind == TC_LBUF_ALIAS) return 0;
    for (int d = 0; d < k; d++) /* t[i0, 0] of a [N, 1] buffer reads axis 1's only row */
      if (!tc_loop_index_is_ivar(p, e->ref, d, e->args[d])) return 0;
  }
  for (int i = 0; i < e->nargs; i++)
    if (!reads_current(p, n, e->args[i], k)) return 0;
  return 1;
}

static void mark_reads(const tc_loop_prog *p, const tc_sexpr *e, char *read) {
  if (e->op == TC_OP_LOAD) read[tc_loop_base_buf(p, e->ref)] = 1;
  for (int i = 0; i < e->nargs; i++) mark_reads(p, e->args[i], read);
}

/* 1 when the first k axes iterate more than once in all. */
static int several(const tc_lbuf *o, int k) {
  for (int d = 0; d < k; d++) {
    int64_t v;
    if (!tc_ext_is_const(o->shape[d], &v) || v > 1) return 1;
  }
  return 0;
}

/* The number of leading axes that stage t's output shares with the
   nest's (at most n->shared). */
static int common_axes(const tc_loop_prog *p, const nest *n, const tc_stage *t) {
  const tc_lbuf *a = &p->bufs.data[p->stages.data[n->first].out];
  const tc_lbuf *b = &p->bufs.data[t->out];
  int k = 0;
  while (k < n->shared && k < b->rank && tc_ext_equal(a->shape[k], b->shape[k])) k++;
  return k;
}

static void close_nest(tc_loop_prog *p, nest *n, int *next_id) {
  if (n->first < 0) return;
  if (n->last > n->first) {
    for (int s = n->first; s <= n->last; s++) {
      p->stages.data[s].nest = *next_id;
      p->stages.data[s].shared = n->shared;
    }
    ++*next_id;
  }
  n->first = -1;
}

/* 1 when every load of buffer b in e reads the element the stage writes
   (b[i0, ..., i(r-1)]); *n counts the loads. */
static int reads_own_element(const tc_sexpr *e, int b, int *n) {
  if (e->op == TC_OP_LOAD && e->ref == b) {
    ++*n;
    for (int d = 0; d < e->nargs; d++)
      if (e->args[d]->op != TC_OP_IVAR || e->args[d]->var != d) return 0;
  }
  for (int i = 0; i < e->nargs; i++)
    if (!reads_own_element(e->args[i], b, n)) return 0;
  return 1;
}

/* Local candidate b (written by stage writer[b] of a nest): when a later
   stage S of the nest writes an output y of b's dtype and shape, reads b
   only at the element it writes, is b's last reader, and y is neither
   read in the nest nor written by another stage, b is kept in y's
   current row (row_of = y): S then turns the row into y in place (as a
   hand-written softmax stores exp into y and scales it there), and the
   row costs no stack and no second pass over memory.  Returns 1 when it
   did. */
static int in_output(tc_loop_prog *p, int b, const int *writer) {
  tc_lbuf *x = &p->bufs.data[b];
  int w = writer[b], nest = p->stages.data[w].nest;
  int last_reader = -1;
  char *rd = calloc((size_t)p->bufs.len + 1, 1);
  for (int s = w + 1; s < p->stages.len && p->stages.data[s].nest == nest; s++) {
    memset(rd, 0, (size_t)p->bufs.len + 1);
    mark_reads(p, p->stages.data[s].body, rd);
    if (rd[b]) last_reader = s;
  }
  int ok = 0;
  if (last_reader >= 0) {
    const tc_stage *S = &p->stages.data[last_reader];
    const tc_lbuf *y = &p->bufs.data[S->out];
    int n = 0;
    ok = y->kind == TC_LBUF_ARG && y->format == TC_FMT_DENSE && p->kernel &&
         p->kernel->args.data[y->arg].role == TC_ROLE_OUTPUT && y->dtype == x->dtype &&
         y->rank == x->rank && writer[S->out] == last_reader &&
         reads_own_element(S->body, b, &n) && n > 0;
    for (int d = 0; ok && d < x->rank; d++) ok = tc_ext_equal(x->shape[d], y->shape[d]);
    /* y read in the nest, or already the row of another buffer */
    for (int s = 0; ok && s < p->stages.len; s++) {
      if (p->stages.data[s].nest != nest) continue;
      memset(rd, 0, (size_t)p->bufs.len + 1);
      mark_reads(p, p->stages.data[s].body, rd);
      ok = !rd[S->out];
    }
    for (int c = 0; ok && c < p->bufs.len; c++)
      ok = !(p->bufs.data[c].local && p->bufs.data[c].row_of == S->out);
    if (ok) {
      x->local = 1;
      x->row_of = S->out;
    }
  }
  free(rd);
  return ok;
}

/* Makes local the TEMP buffers that live within one iteration of their
   nest (see the top of the file). */
static void make_local(tc_loop_prog *p) {
  int nb = p->bufs.len, ns = p->stages.len;
  int *writer = malloc(((size_t)nb + 1) * sizeof *writer);
  char *ok = malloc((size_t)nb + 1);
  for (int b = 0; b < nb; b++) {
    writer[b] = -1;
    ok[b] = p->bufs.data[b].kind == TC_LBUF_TEMP;
  }
  for (int b = 0; b < nb; b++) /* seen through a reshape */
    if (p->bufs.data[b].kind == TC_LBUF_ALIAS) ok[p->bufs.data[b].alias] = 0;
  for (int s = 0; s < ns; s++) {
    const tc_stage *st = &p->stages.data[s];
    if (writer[st->out] >= 0 || st->nest < 0) ok[st->out] = 0;
    writer[st->out] = s;
  }
  /* every reader in the writer's nest */
  char *read = calloc((size_t)nb + 1, 1);
  for (int s = 0; s < ns; s++) {
    const tc_stage *st = &p->stages.data[s];
    memset(read, 0, (size_t)nb + 1);
    mark_reads(p, st->body, read);
    if (st->kind == TC_STAGE_ACCUM)
      for (int d = 0; d < p->bufs.data[st->out].rank; d++) mark_reads(p, st->idx[d], read);
    for (int b = 0; b < nb; b++)
      if (read[b] && ok[b] && (st->nest < 0 || writer[b] < 0 ||
                               p->stages.data[writer[b]].nest != st->nest))
        ok[b] = 0;
  }
  free(read);
  /* static rows, within the stack budget of each nest (in buffer order) */
  /* one budget for the whole kernel: compilers without optimization
     (tcc) give each nest's arrays their own place in P_run's frame */
  int64_t used = 0;
  for (int b = 0; b < nb; b++) {
    if (!ok[b] || writer[b] < 0) continue;
    tc_lbuf *x = &p->bufs.data[b];
    const tc_stage *w = &p->stages.data[writer[b]];
    int64_t bytes = (int64_t)tc_dtype_size(x->dtype);
    int fits = 1;
    for (int d = w->shared; d < x->rank && fits; d++) {
      int64_t v;
      fits = tc_ext_is_const(x->shape[d], &v) && v <= NEST_LOCAL_MAX_BYTES;
      if (fits) bytes *= v > 0 ? v : 1;
      fits = fits && bytes <= NEST_LOCAL_MAX_BYTES;
    }
    x->row_of = -1;
    if (in_output(p, b, writer)) continue; /* no stack: the output's row */
    if (!fits || used + bytes > NEST_LOCAL_MAX_BYTES) continue;
    used += bytes;
    x->local = 1;
  }
  free(ok);
  free(writer);
}

int tcP_nest(tc_loop_prog *p, tc_diag *d) {
  (void)d;
  int nb = p->bufs.len, ns = p->stages.len, next_id = 0;
  nest n = {.first = -1};
  n.in = calloc((size_t)nb + 1, 1);
  n.read = calloc((size_t)nb + 1, 1);
  for (int s = 0; s < ns; s++) {
    tc_stage *t = &p->stages.data[s];
    t->nest = -1;
    t->shared = 0;
  }
  for (int b = 0; b < nb; b++) {
    p->bufs.data[b].local = 0;
    p->bufs.data[b].row_of = -1;
  }
  for (int s = 0; s < ns; s++) {
    const tc_stage *t = &p->stages.data[s];
    int join = 0;
    if (n.first >= 0 && nestable(p, t)) {
      int k = common_axes(p, &n, t);
      const tc_lbuf *o = &p->bufs.data[t->out];
      join = k >= 1 && several(o, k) && reads_current(p, &n, t->body, k) &&
             !n.in[tc_loop_base_buf(p, t->out)] && !n.read[tc_loop_base_buf(p, t->out)];
      if (join) {
        n.shared = k;
        n.last = s;
      }
    }
    if (!join) {
      close_nest(p, &n, &next_id);
      memset(n.in, 0, (size_t)nb + 1);
      memset(n.read, 0, (size_t)nb + 1);
      if (!nestable(p, t) || !several(&p->bufs.data[t->out], p->bufs.data[t->out].rank))
        continue;
      n.first = n.last = s;
      n.shared = p->bufs.data[t->out].rank;
    }
    n.in[tc_loop_base_buf(p, t->out)] = 1;
    mark_reads(p, t->body, n.read);
  }
  close_nest(p, &n, &next_id);
  free(n.in);
  free(n.read);
  make_local(p);
  return 0;
}
