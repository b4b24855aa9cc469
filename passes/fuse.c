/*
 * fuse.c: vertical fusion of elementwise stages (TVM's compute_inline).
 *
 * Lowering writes every graph op into a temporary of its own.  This pass
 * removes a temporary T when the stage P writing it is elementwise and
 * T's only reader C can compute P's value where it needs it: the load
 * T[j0, ..., jn] in C's body becomes P's body with P's index variables
 * replaced by j0, ..., jn, stage P goes, and so does T.  Repeated until
 * nothing changes, a chain of elementwise ops becomes one loop nest that
 * reads each input once and writes each output once; broadcasts fuse the
 * same way, since the indices of C's load map onto P's variables.  C's
 * list of the graph nodes it computes (tc_stage.nodes) gains P's.
 *
 * Results and return codes stay exactly those of the unfused program:
 *   - P must be unable to fail: an unchecked MAP stage (loads in range by
 *     construction) without REDUCE and without integer floordiv or mod by
 *     a variable (a division by zero, TC_EINVAL).  C computing fewer of
 *     P's elements (a slice, a lazy WHERE) then loses no error;
 *   - C must be an unchecked MAP stage: the load of T in a checked stage
 *     is bounds checked, a check the inlined body would no longer make;
 *   - no stage between P and C writes a buffer P reads, so P's loads see
 *     the same values at C's place;
 *   - T is TEMP, not bf16 (a store to bf16 rounds: inlining would skip
 *     the rounding), and not seen through an ALIAS; or T is computed at
 *     create (CREATE, passes/precompute.c) and so is C's output: P_create
 *     computes it inlined, and P_run never recomputes it.
 * The work must not grow much: C reads T through one load (all its
 * loads of T are equal, and the emitter computes equal expressions of a
 * scope once), and either that load visits each element of T once per
 * run of C (its indices are distinct loop variables, of C or of the
 * REDUCEs around the load, of the same extents as T's axes, and every
 * loop variable it does not use has extent 1) or it is outside any
 * REDUCE and P is cheap (a few arithmetic ops and loads, nothing
 * transcendental, no division), so that a broadcast recomputing P costs
 * less than the memory traffic it saves.  Elementwise producers of a
 * reduction's operand (sum(x * s + b, 0)) fuse by the first rule.  A
 * third: the load is inside MAX or MIN reductions only, of static extents
 * whose product is at most TCP_WINDOW_MAX (a max pool's window), and P is
 * cheap with at most two loads: each element of T is recomputed once per
 * window holding it (2.25 times for 3x3 windows of stride 2) instead of
 * being stored and read back (relu and the copy back to NCHW after a
 * convolution, under its max pool).
 *
 * A contraction the GEMM template takes (tcP_gemm_product: a matmul's
 * sum of products, which cannot fail, with what was already fused around
 * it) is one of the two producers with a REDUCE that are inlined: into
 * its one reader, where that reads each element once outside any REDUCE
 * (the bias, activation or residual after a matmul), so that no sum is
 * computed twice and the reader's stage becomes the GEMM with its
 * epilogue (passes/gemm.c).  The other is a convolution the template does
 * not take (depthwise, NHWC groups, the smallest NCHW groups:
 * tc_stage.conv, in loops), inlined the
 * same way into a reader that reads its output element by element: the
 * bias and activation after a depthwise convolution are computed in its
 * loop, not in a pass of their own.
 *
 * A tiny producer (TINY_MAX_NODES cheap nodes) with several readers is
 * recomputed in each of them when every reader qualifies as above and
 * the loads it repeats cost no more than the temporary it saves: with L
 * loads in P and k readers, k L loads instead of L loads, one store and
 * k loads of T (L k <= L + 1 + k).  layer_norm's x - mean, read by the
 * variance and by the result, is recomputed as a hand-written layer norm
 * does, instead of being stored and read back (measured: storing the
 * centred row made the fused layer norm 20% slower over rows in DRAM).
 */
#include "passes.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Ops at most a few cycles each: what a broadcast may recompute. */
static int op_cheap(tc_op op) {
  switch (op) {
  case TC_OP_CONST: case TC_OP_IVAR: case TC_OP_EXTENT: case TC_OP_LOAD:
  case TC_OP_ABS: case TC_OP_NEG: case TC_OP_FLOOR: case TC_OP_CEIL:
  case TC_OP_TRUNC: case TC_OP_ROUND: case TC_OP_SIGN: case TC_OP_RELU:
  case TC_OP_RELU6: case TC_OP_LEAKY_RELU: case TC_OP_CAST:
  case TC_OP_ADD: case TC_OP_SUB: case TC_OP_MUL: case TC_OP_MAXIMUM:
  case TC_OP_MINIMUM: case TC_OP_WHERE: case TC_OP_CLAMP:
    return 1;
  default:
    return tc_op_class_of(op) == TC_OPC_CMP;
  }
}

/* The number of nodes of e (as a tree) when all of them are cheap, else
   -1. */
static int cheap_size(const tc_sexpr *e) {
  if (!op_cheap(e->op)) return -1;
  int n = 1;
  for (int i = 0; i < e->nargs; i++) {
    int m = cheap_size(e->args[i]);
    if (m < 0) return -1;
    n += m;
  }
  return n;
}

/* The largest cheap producer a broadcast may recompute. */
enum { CHEAP_MAX_NODES = 16 };
/* The most loads of a cheap producer recomputed inside a max pool's
   window (TCP_WINDOW_MAX, passes.h), each element of T once per window
   holding it. */
enum { WINDOW_MAX_LOADS = 2 };
/* The largest cheap producer recomputed by several readers, and how far
   (in live stages) they are looked for after it. */
enum { TINY_MAX_NODES = 8, TINY_READER_WINDOW = 64 };

/* The number of LOAD nodes of e, as a tree. */
static int all_loads(const tc_sexpr *e) {
  int n = e->op == TC_OP_LOAD;
  for (int i = 0; i < e->nargs; i++) n += all_loads(e->args[i]);
  return n;
}


/* Loads of buffer b itself (not through an alias) in e, as a tree, that
   differ from *first (which is set to the first one seen): the emitter
   computes equal expressions of one scope once, so equal loads
   (t[i] * t[i]) count as one. */
static int count_loads(const tc_sexpr *e, int b, const tc_sexpr **first) {
  int n = 0;
  if (e->op == TC_OP_LOAD && e->ref == b) {
    if (!*first) {
      *first = e;
      n = 1;
    } else if (!tc_loop_sx_equal(*first, e)) {
      n = 1;
    }
  }
  for (int i = 0; i < e->nargs; i++) n += count_loads(e->args[i], b, first);
  return n;
}

/* ---- where the load of T sits ------------------------------------------ */

typedef struct site {
  int found;        /* the load was seen */
  int in_reduce;    /* inside a REDUCE */
  int exact;        /* visits each element of T once per run of C */
  /* inside MAX or MIN REDUCEs only, of static extents: their product (a
     pool's window), else 0 */
  int64_t window;
} site;

typedef struct rstack {
  const tc_sexpr *r[64]; /* enclosing REDUCEs, outermost first */
  int n;
} rstack;

static int is_one(const tc_ext *e) {
  int64_t v;
  return e && tc_ext_is_const(e, &v) && v == 1;
}

/* Whether load `ld` of T (shape `shape`) in stage c, inside the REDUCEs
   of rs, has distinct bare loop variables of T's extents as indices (or
   0 on an axis of extent 1) and leaves unused only loop variables of
   extent 1. */
static int load_exact(const tc_loop_prog *p, const tc_stage *c, const tc_sexpr *ld,
                      const rstack *rs) {
  const tc_lbuf *o = &p->bufs.data[c->out];
  const tc_lbuf *t = &p->bufs.data[ld->ref];
  char iv_used[TC_MAX_RANK] = {0}, rv_used[64] = {0};
  for (int k = 0; k < ld->nargs; k++) {
    const tc_sexpr *ix = ld->args[k];
    const tc_ext *e = NULL;
    if (ix->op == TC_OP_IVAR && ix->var < o->rank) {
      if (iv_used[ix->var]) return 0;
      iv_used[ix->var] = 1;
      e = o->shape[ix->var];
    } else if (ix->op == TC_OP_RVAR) {
      int j = rs->n - 1;
      while (j >= 0 && rs->r[j]->var != ix->var) j--;
      if (j < 0 || rv_used[j] || !rs->r[j]->ext) return 0;
      rv_used[j] = 1;
      e = rs->r[j]->ext;
    } else if (ix->op == TC_OP_CONST && ix->inum == 0 && is_one(t->shape[k])) {
      continue; /* the one element of an axis of extent 1 */
    } else {
      return 0;
    }
    if (!tc_ext_equal(e, t->shape[k])) return 0;
  }
  for (int d = 0; d < o->rank; d++)
    if (!iv_used[d] && !is_one(o->shape[d])) return 0;
  for (int j = 0; j < rs->n; j++)
    if (!rv_used[j] && !is_one(rs->r[j]->ext)) return 0;
  return 1;
}

static void find_site(const tc_loop_prog *p, const tc_stage *c, const tc_sexpr *e, int b,
                      rstack *rs, site *st) {
  if (e->op == TC_OP_LOAD && e->ref == b) {
    /* every load must qualify (they are equal: count_loads) */
    int exact = load_exact(p, c, e, rs);
    int64_t window = 1, n;
    for (int j = 0; j < rs->n && window > 0; j++)
      window = (rs->r[j]->red == TC_OP_MAX || rs->r[j]->red == TC_OP_MIN) && rs->r[j]->ext &&
                       tc_ext_is_const(rs->r[j]->ext, &n) && n >= 1 && n <= TCP_WINDOW_MAX
                   ? window * n
                   : 0;
    st->window = st->found && st->window != window ? 0 : window;
    st->exact = st->found ? st->exact && exact : exact;
    st->in_reduce |= rs->n > 0;
    st->found = 1;
  }
  /* a REDUCE's range bounds (args 1, 2) are evaluated outside its loop */
  for (int i = 0; i < e->nargs; i++) {
    int inner = e->op == TC_OP_REDUCE && i == 0;
    if (inner) {
      if (rs->n == 64) { /* too deep to analyse: not exact */
        st->found = 1;
        st->in_reduce = 1;
        st->exact = 0;
        continue;
      }
      rs->r[rs->n++] = e;
    }
    find_site(p, c, e->args[i], b, rs, st);
    if (inner) rs->n--;
  }
}

/* ---- rewriting --------------------------------------------------------- */

typedef struct pair {
  const tc_sexpr *from, *to;
} pair;

/* A memo from node to rewritten node: an open-addressing hash table on
   the node's address (a linear search made each rewrite quadratic in the
   size of the body). */
typedef struct pair_vec {
  pair *data; /* cap slots, from == NULL when free */
  int len, cap;
} pair_vec;

static size_t ptr_hash(const void *p) {
  uintptr_t x = (uintptr_t)p;
  x ^= x >> 17;
  x *= (uintptr_t)0x9E3779B97F4A7C15ull;
  return (size_t)(x ^ (x >> 29));
}

static const tc_sexpr *memo_get(const pair_vec *m, const tc_sexpr *e) {
  if (!m->cap) return NULL;
  for (size_t i = ptr_hash(e) & (size_t)(m->cap - 1);; i = (i + 1) & (size_t)(m->cap - 1)) {
    if (!m->data[i].from) return NULL;
    if (m->data[i].from == e) return m->data[i].to;
  }
}

static void memo_set(pair_vec *m, pair pr) {
  if (2 * (m->len + 1) > m->cap) {
    pair_vec n = {tc_xcalloc(m->cap ? 2 * (size_t)m->cap : 64, sizeof(pair)), 0,
                  m->cap ? 2 * m->cap : 64};
    for (int i = 0; i < m->cap; i++)
      if (m->data[i].from) memo_set(&n, m->data[i]);
    free(m->data);
    *m = n;
  }
  size_t i = ptr_hash(pr.from) & (size_t)(m->cap - 1);
  while (m->data[i].from && m->data[i].from != pr.from) i = (i + 1) & (size_t)(m->cap - 1);
  if (!m->data[i].from) m->len++;
  m->data[i] = pr;
}

static void memo_free(pair_vec *m) {
  free(m->data);
  m->data = NULL;
  m->len = m->cap = 0;
}

typedef struct rewriter {
  tc_loop_prog *p;
  int buf;                    /* the buffer inlined (-1: none) */
  const tc_sexpr *body;       /* its producer's body */
  const int *bufmap;          /* buffer renumbering, or NULL */
  pair_vec memo;
} rewriter;

/* P's body with IVAR d replaced by idx[d]. */
static const tc_sexpr *instantiate(rewriter *rw, const tc_sexpr *e, const tc_sexpr *const *idx,
                                   pair_vec *memo) {
  if (e->op == TC_OP_IVAR) return idx[e->var];
  if (e->nargs == 0) return e;
  const tc_sexpr *hit = memo_get(memo, e);
  if (hit) return hit;
  const tc_sexpr *a[64];
  const tc_sexpr **args = e->nargs <= 64 ? a : tc_xmalloc((size_t)e->nargs * sizeof *args);
  int same = 1;
  for (int i = 0; i < e->nargs; i++) {
    args[i] = instantiate(rw, e->args[i], idx, memo);
    same &= args[i] == e->args[i];
  }
  const tc_sexpr *r = same ? e : tc_loop_sx_copy(rw->p, e, args);
  if (args != a) free(args);
  pair pr = {e, r};
  memo_set(memo, pr);
  return r;
}

/* e with the load of rw->buf replaced by the producer's body, and buffer
   ids renumbered by rw->bufmap. */
static const tc_sexpr *rewrite(rewriter *rw, const tc_sexpr *e) {
  const tc_sexpr *hit = memo_get(&rw->memo, e);
  if (hit) return hit;
  const tc_sexpr *a[64];
  const tc_sexpr **args = e->nargs <= 64 ? a : tc_xmalloc((size_t)e->nargs * sizeof *args);
  int same = 1;
  for (int i = 0; i < e->nargs; i++) {
    args[i] = rewrite(rw, e->args[i]);
    same &= args[i] == e->args[i];
  }
  const tc_sexpr *r;
  if (e->op == TC_OP_LOAD && e->ref == rw->buf) {
    pair_vec memo = {0};
    r = instantiate(rw, rw->body, args, &memo);
    memo_free(&memo);
  } else if (e->op == TC_OP_LOAD && rw->bufmap && rw->bufmap[e->ref] != e->ref) {
    tc_sexpr *c = (tc_sexpr *)tc_loop_sx_copy(rw->p, e, args);
    c->ref = rw->bufmap[e->ref];
    r = c;
  } else {
    r = same ? e : tc_loop_sx_copy(rw->p, e, args);
  }
  if (args != a) free(args);
  pair pr = {e, r};
  memo_set(&rw->memo, pr);
  return r;
}

/* ---- the pass ---------------------------------------------------------- */

/* "mul + add", naming the producer's line when it differs. */
static const char *fused_what(tc_loop_prog *p, const tc_stage *ps, const tc_stage *cs) {
  tc_buf b = {0};
  const char *pw = ps->what ? ps->what : "?", *cw = cs->what ? cs->what : "?";
  if (ps->loc.line != cs->loc.line && ps->loc.line > 0)
    tc_buf_printf(&b, "%s (line %d) + %s", pw, ps->loc.line, cw);
  else
    tc_buf_printf(&b, "%s + %s", pw, cw);
  const char *s = tc_arena_strdup(&p->arena, b.data);
  tc_buf_free(&b);
  return s;
}

/* cs->nodes becomes cs's nodes followed by those of ps it lacks (in
   p's arena): the graph nodes the fused stage computes. */
static void merge_nodes(tc_loop_prog *p, tc_stage *cs, const tc_stage *ps) {
  int n = cs->nnodes + ps->nnodes;
  if (ps->nnodes == 0) return;
  int *v = tc_arena_alloc(&p->arena, (size_t)n * sizeof *v);
  int m = 0;
  for (int i = 0; i < cs->nnodes; i++) v[m++] = cs->nodes[i];
  for (int i = 0; i < ps->nnodes; i++) {
    int seen = 0;
    for (int j = 0; j < cs->nnodes && !seen; j++) seen = cs->nodes[j] == ps->nodes[i];
    if (!seen) v[m++] = ps->nodes[i];
  }
  cs->nodes = v;
  cs->nnodes = m;
}

/* The largest body (counted as a tree) a stage may get by inlining.
   Without a bound a chain of N elementwise ops becomes one body of O(N)
   nodes: the pass's rewriting is then quadratic in time and memory, its
   recursion (and the emitter's, and the C compiler's) as deep as the
   chain, and the C expression one that gcc takes minutes over.  With it
   a long chain splits into stages of at most this many nodes, each one
   temporary apart: the memory traffic saved by fusing further is
   negligible by then. */
enum { FUSE_MAX_NODES = 256 };

/* The number of nodes of e as a tree, or cap + 1 when more: the work and
   the depth of the recursion are at most cap + 1. */
static int size_capped(const tc_sexpr *e, int cap) {
  int n = 1;
  for (int i = 0; i < e->nargs && n <= cap; i++) n += size_capped(e->args[i], cap - n);
  return n > cap ? cap + 1 : n;
}

/* The loads of buffer b in e, counted as a tree (e within the budget). */
static int tree_loads(const tc_sexpr *e, int b) {
  int n = e->op == TC_OP_LOAD && e->ref == b;
  for (int i = 0; i < e->nargs; i++) n += tree_loads(e->args[i], b);
  return n;
}

/* What the pass keeps up to date instead of rescanning the program: per
   buffer, the number of live stages reading it (through aliases: the
   base buffer) and the sum of their indices (the reader itself when there
   is one), and the number of live stages writing it. */
typedef struct fstate {
  tc_loop_prog *p;
  char *dead;       /* per stage: inlined (removed at the end) */
  char *aliased;    /* per buffer: an ALIAS buffer sees it */
  int *nread, *nwrite;
  long long *rsum;
  int *mark;        /* per buffer: the stamp of the last collect */
  int stamp;
} fstate;

typedef TC_VEC(int) int_vec;

/* The distinct base buffers stage s reads (explicit stack: bodies from
   the front end may be deep). */
static void collect_reads(fstate *f, const tc_stage *st, int_vec *out) {
  tc_loop_prog *p = f->p;
  out->len = 0;
  f->stamp++;
  TC_VEC(const tc_sexpr *) stk = {0};
  TC_VEC_PUSH(stk, st->body);
  if (st->kind == TC_STAGE_ACCUM)
    for (int d = 0; d < p->bufs.data[st->out].rank; d++) TC_VEC_PUSH(stk, st->idx[d]);
  while (stk.len > 0) {
    const tc_sexpr *e = stk.data[--stk.len];
    if (e->op == TC_OP_LOAD) {
      int b = tc_loop_base_buf(p, e->ref);
      if (f->mark[b] != f->stamp) {
        f->mark[b] = f->stamp;
        TC_VEC_PUSH(*out, b);
      }
    }
    for (int i = 0; i < e->nargs; i++) TC_VEC_PUSH(stk, e->args[i]);
  }
  TC_VEC_FREE(stk);
}

static void count_reads(fstate *f, int s, int sign, int_vec *tmp) {
  collect_reads(f, &f->p->stages.data[s], tmp);
  for (int i = 0; i < tmp->len; i++) {
    f->nread[tmp->data[i]] += sign;
    f->rsum[tmp->data[i]] += sign * (long long)s;
  }
}

/* 1 when the kernel has schedule() hints for graph node `node`: its
   loops must stay its own (passes/schedule.c). */
static int scheduled(const tc_loop_prog *p, int node) {
  if (!p->kernel || node < 0) return 0;
  for (int i = 0; i < p->kernel->schedules.len; i++)
    if (p->kernel->schedules.data[i].node == node) return 1;
  return 0;
}

/* 1 when load ld, in a stage writing o, reads the element [i0, ...,
   i<rank-1>] (0 on an axis of extent 1 counts as i<d>). */
static int load_identity(const tc_sexpr *ld, const tc_lbuf *o) {
  if (ld->nargs != o->rank) return 0;
  for (int d = 0; d < o->rank; d++) {
    const tc_sexpr *ix = ld->args[d];
    if (!(ix->op == TC_OP_IVAR && ix->var == d) &&
        !(ix->op == TC_OP_CONST && ix->inum == 0 && is_one(o->shape[d])))
      return 0;
  }
  return 1;
}

/* 1 when stage sc may compute stage sp's value (body size ps_size,
   cheap_size `cheap`, reads rp) where it loads sp's buffer t: the rules
   above, for one reader; gemm as in try_inline. */
static int reader_ok(fstate *f, int sp, int ps_size, int cheap, const int_vec *rp, int sc,
                     int gemm) {
  tc_loop_prog *p = f->p;
  int t = p->stages.data[sp].out;
  const tc_stage *cs = &p->stages.data[sc];
  if (cs->kind != TC_STAGE_MAP || cs->checked) return 0;
  if ((p->bufs.data[t].kind == TC_LBUF_CREATE) != (p->bufs.data[cs->out].kind == TC_LBUF_CREATE))
    return 0; /* what P_create computes once stays out of P_run's stages */
  /* the node budget of the consumer's resulting body: each occurrence of
     the load (t[i] * t[i] has two, as a tree) becomes the producer's body */
  int cs_size = size_capped(cs->body, FUSE_MAX_NODES);
  if (cs_size > FUSE_MAX_NODES ||
      cs_size + tree_loads(cs->body, t) * (ps_size - 1) > FUSE_MAX_NODES)
    return 0;
  for (int s = sp + 1; s < sc; s++) {
    if (f->dead[s]) continue;
    for (int i = 0; i < rp->len; i++)
      if (p->stages.data[s].out == rp->data[i]) return 0;
  }
  const tc_sexpr *first = NULL;
  if (count_loads(cs->body, t, &first) != 1) return 0;
  rstack rs = {.n = 0};
  site st = {0};
  find_site(p, cs, cs->body, t, &rs, &st);
  assert(st.found);
  if (gemm && p->stages.data[sp].conv && !load_identity(first, &p->bufs.data[cs->out]))
    return 0; /* the convolution's axes stay the output's */
  if (gemm == 1 && (!tcP_gemm_epilogue_ok(p, cs) || scheduled(p, cs->nnodes ? cs->nodes[0] : -1)))
    return 0; /* the template would not take the result: the product keeps its stage */
  if (gemm == 2 && scheduled(p, cs->nnodes ? cs->nodes[0] : -1)) return 0;
  /* a convolution in lane groups (passes/gemm.c lane_groups) runs in
     vectors: not into a reader that would not (an i32 output: the whole
     convolution would then be scalar loops) */
  if (gemm == 2 &&
      tc_loop_has_lane_group(p->stages.data[sp].body, TC_OP_IVAR, p->bufs.data[t].rank - 1) &&
      !tcP_gemm_epilogue_ok(p, cs))
    return 0;
  if (gemm) return st.exact && !st.in_reduce;
  return st.exact || (!st.in_reduce && cheap >= 0 && cheap <= CHEAP_MAX_NODES) ||
         (st.in_reduce && st.window > 1 && st.window <= TCP_WINDOW_MAX && cheap >= 0 &&
          cheap <= CHEAP_MAX_NODES && all_loads(p->stages.data[sp].body) <= WINDOW_MAX_LOADS);
}

/* 1 when e loads buffer b. */
static int reads_buf(const tc_sexpr *e, int b) {
  if (e->op == TC_OP_LOAD && e->ref == b) return 1;
  for (int i = 0; i < e->nargs; i++)
    if (reads_buf(e->args[i], b)) return 1;
  return 0;
}

/* The live stages after sp that read its buffer, into `out`: 1 when all
   nread of them were found within TINY_READER_WINDOW live stages. */
static int find_readers(fstate *f, int sp, int_vec *out) {
  tc_loop_prog *p = f->p;
  int t = p->stages.data[sp].out, seen = 0;
  out->len = 0;
  for (int s = sp + 1; s < p->stages.len && seen < TINY_READER_WINDOW; s++) {
    if (f->dead[s]) continue;
    seen++;
    const tc_stage *st = &p->stages.data[s];
    if (st->kind == TC_STAGE_MAP && reads_buf(st->body, t)) TC_VEC_PUSH(*out, s);
    if (out->len == f->nread[t]) return 1;
  }
  return 0;
}

/* Inlines stage sp into its consumer, or (a tiny producer) into each of
   its consumers, when the rules above allow it; returns 1 when it did. */
static int try_inline(fstate *f, int sp) {
  tc_loop_prog *p = f->p;
  const tc_stage *ps = &p->stages.data[sp];
  int t = ps->out;
  const tc_lbuf *tb = &p->bufs.data[t];
  if (ps->kind != TC_STAGE_MAP || ps->checked ||
      !(tb->kind == TC_LBUF_TEMP || tb->kind == TC_LBUF_CREATE) ||
      tb->dtype == TC_DT_BF16 || f->aliased[t] || f->nwrite[t] != 1 || f->nread[t] < 1 ||
      scheduled(p, tb->node))
    return 0; /* no readers, or hints for its loops: T stays */
  int ps_size = size_capped(ps->body, FUSE_MAX_NODES);
  /* 1: a product the template takes; 2: a convolution it does not take
     (depthwise, most grouped ones: loops), inlined into its reader the
     same way */
  int gemm = ps->kind != TC_STAGE_MAP ? 0
             : tcP_gemm_product(p, ps)  ? 1
             : ps->conv && !ps->checked ? 2
                                        : 0;
  int k = f->nread[t];
  if (ps_size > FUSE_MAX_NODES || (gemm && k != 1) ||
      (!gemm && tc_loop_sx_count_reduces(ps->body) > 0) ||
      tc_loop_sx_may_divide_by_zero(ps->body))
    return 0;
  int cheap = cheap_size(ps->body);
  int_vec readers = {0}, rp = {0};
  if (k == 1) {
    TC_VEC_PUSH(readers, (int)f->rsum[t]);
  } else {
    int loads = all_loads(ps->body);
    if (cheap < 0 || cheap > TINY_MAX_NODES || loads * k > loads + 1 + k ||
        !find_readers(f, sp, &readers)) {
      TC_VEC_FREE(readers);
      return 0; /* several readers: T stays unless recomputing it is cheaper */
    }
  }
  int ok = readers.data[0] > sp; /* its own reader, or read before written: not ours */
  collect_reads(f, ps, &rp);
  for (int i = 0; i < readers.len && ok; i++) ok = reader_ok(f, sp, ps_size, cheap, &rp, readers.data[i], gemm);
  if (ok) {
    count_reads(f, sp, -1, &rp);
    for (int i = 0; i < readers.len; i++) {
      int sc = readers.data[i];
      tc_stage *cs = &p->stages.data[sc];
      count_reads(f, sc, -1, &rp);
      rewriter rw = {.p = p, .buf = t, .body = ps->body};
      cs->body = rewrite(&rw, cs->body);
      memo_free(&rw.memo);
      cs->what = fused_what(p, ps, cs);
      merge_nodes(p, cs, ps);
      if (ps->conv) cs->conv = ps->conv; /* the convolution is now the reader's */
      count_reads(f, sc, +1, &rp);
    }
    f->nwrite[t]--;
    f->dead[sp] = 1;
  }
  TC_VEC_FREE(readers);
  TC_VEC_FREE(rp);
  return ok;
}

/* Drops the TEMP buffers no stage writes any more, renumbering the
   rest. */
static void drop_dead_temps(tc_loop_prog *p) {
  int n = p->bufs.len;
  char *written = tc_xcalloc((size_t)n + 1, 1);
  for (int s = 0; s < p->stages.len; s++) written[p->stages.data[s].out] = 1;
  for (int b = 0; b < n; b++) /* an alias keeps what it sees */
    if (p->bufs.data[b].kind == TC_LBUF_ALIAS) written[p->bufs.data[b].alias] = 1;
  int *map = tc_xmalloc(((size_t)n + 1) * sizeof *map);
  int m = 0, dropped = 0;
  for (int b = 0; b < n; b++) {
    if ((p->bufs.data[b].kind == TC_LBUF_TEMP || p->bufs.data[b].kind == TC_LBUF_CREATE) &&
        !written[b]) {
      map[b] = -1;
      dropped = 1;
      continue;
    }
    map[b] = m++;
  }
  if (dropped) {
    rewriter rw = {.p = p, .buf = -1, .bufmap = map};
    for (int s = 0; s < p->stages.len; s++) {
      tc_stage *st = &p->stages.data[s];
      int rank = p->bufs.data[st->out].rank; /* old ids until the end */
      st->out = map[st->out];
      st->body = rewrite(&rw, st->body);
      if (st->kind != TC_STAGE_ACCUM) continue;
      const tc_sexpr **idx = tc_arena_alloc(&p->arena, (size_t)(rank ? rank : 1) * sizeof *idx);
      for (int d = 0; d < rank; d++) idx[d] = rewrite(&rw, st->idx[d]);
      st->idx = idx;
    }
    memo_free(&rw.memo);
    for (int b = 0; b < n; b++) {
      if (map[b] < 0) continue;
      tc_lbuf x = p->bufs.data[b];
      if (x.kind == TC_LBUF_ALIAS) x.alias = map[x.alias];
      p->bufs.data[map[b]] = x;
    }
    p->bufs.len = m;
  }
  free(map);
  free(written);
}

int tcP_fuse(tc_loop_prog *p, tc_diag *d) {
  (void)d;
  int ns = p->stages.len, nb = p->bufs.len;
  fstate f = {.p = p};
  f.dead = tc_xcalloc((size_t)ns + 1, 1);
  f.aliased = tc_xcalloc((size_t)nb + 1, 1);
  f.nread = tc_xcalloc((size_t)nb + 1, sizeof *f.nread);
  f.nwrite = tc_xcalloc((size_t)nb + 1, sizeof *f.nwrite);
  f.rsum = tc_xcalloc((size_t)nb + 1, sizeof *f.rsum);
  f.mark = tc_xcalloc((size_t)nb + 1, sizeof *f.mark);
  for (int b = 0; b < nb; b++)
    if (p->bufs.data[b].kind == TC_LBUF_ALIAS) f.aliased[p->bufs.data[b].alias] = 1;
  int_vec tmp = {0};
  for (int s = 0; s < ns; s++) {
    f.nwrite[p->stages.data[s].out]++;
    count_reads(&f, s, +1, &tmp);
  }
  TC_VEC_FREE(tmp);
  /* Sweeps in program order: a chain fuses in one (each producer goes into
     its consumer, which is visited next); repeated until nothing changes. */
  for (int changed = 1; changed;) {
    changed = 0;
    for (int sp = 0; sp < ns; sp++)
      if (!f.dead[sp] && try_inline(&f, sp)) changed = 1;
  }
  int m = 0;
  for (int s = 0; s < ns; s++)
    if (!f.dead[s]) p->stages.data[m++] = p->stages.data[s];
  p->stages.len = m;
  free(f.dead);
  free(f.aliased);
  free(f.nread);
  free(f.nwrite);
  free(f.rsum);
  free(f.mark);
  drop_dead_temps(p);
  return 0;
}
