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
 * same way, since the indices of C's load map onto P's variables.
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
 *     the rounding), and not seen through an ALIAS.
 * The work must not grow much: C reads T through one load (all its
 * loads of T are equal, and the emitter computes equal expressions of a
 * scope once), and either that load visits each element of T once per
 * run of C (its indices are distinct loop variables, of C or of the
 * REDUCEs around the load, of the same extents as T's axes, and every
 * loop variable it does not use has extent 1) or it is outside any
 * REDUCE and P is cheap (a few arithmetic ops and loads, nothing
 * transcendental, no division), so that a broadcast recomputing P costs
 * less than the memory traffic it saves.  Elementwise producers of a
 * reduction's operand (sum(x * s + b, 0)) fuse by the first rule.
 */
#include "passes.h"

#include <assert.h>
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

/* 1 when evaluating e can never fail (no REDUCE: an empty MAX fails; no
   integer floordiv or mod by anything but a nonzero constant: division by
   zero fails). */
static int cannot_fail(const tc_sexpr *e) {
  if (e->op == TC_OP_REDUCE) return 0;
  if ((e->op == TC_OP_FLOORDIV || e->op == TC_OP_MOD) && !tc_dtype_is_float(e->dtype) &&
      !(e->args[1]->op == TC_OP_CONST && e->args[1]->inum != 0)) /* as emit/c.c checks */
    return 0;
  for (int i = 0; i < e->nargs; i++)
    if (!cannot_fail(e->args[i])) return 0;
  return 1;
}

static int base_buf(const tc_loop_prog *p, int b) {
  const tc_lbuf *x = &p->bufs.data[b];
  return x->kind == TC_LBUF_ALIAS ? x->alias : b;
}

/* Structural equality, as the emitter's (emit/c.c) memo uses it. */
static int sx_same(const tc_sexpr *a, const tc_sexpr *b) {
  if (a == b) return 1;
  if (a->op != b->op || a->dtype != b->dtype || a->nargs != b->nargs || a->var != b->var ||
      a->ref != b->ref || a->inum != b->inum || a->red != b->red ||
      memcmp(&a->num, &b->num, sizeof a->num))
    return 0;
  if ((a->ext || b->ext) && !(a->ext && b->ext && tc_ext_equal(a->ext, b->ext))) return 0;
  for (int i = 0; i < a->nargs; i++)
    if (!sx_same(a->args[i], b->args[i])) return 0;
  return 1;
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
    } else if (!sx_same(*first, e)) {
      n = 1;
    }
  }
  for (int i = 0; i < e->nargs; i++) n += count_loads(e->args[i], b, first);
  return n;
}

/* 1 when e reads buffer b, directly or through an alias. */
static int reads_buf(const tc_loop_prog *p, const tc_sexpr *e, int b) {
  if (e->op == TC_OP_LOAD && base_buf(p, e->ref) == b) return 1;
  for (int i = 0; i < e->nargs; i++)
    if (reads_buf(p, e->args[i], b)) return 1;
  return 0;
}

static int stage_reads(const tc_loop_prog *p, const tc_stage *s, int b) {
  if (reads_buf(p, s->body, b)) return 1;
  if (s->kind == TC_STAGE_ACCUM)
    for (int d = 0; d < p->bufs.data[s->out].rank; d++)
      if (reads_buf(p, s->idx[d], b)) return 1;
  return 0;
}

/* 1 when stage `w` writes a buffer that e reads. */
static int writes_read_buf(const tc_loop_prog *p, const tc_stage *w, const tc_sexpr *e) {
  return reads_buf(p, e, w->out);
}

/* ---- where the load of T sits ------------------------------------------ */

typedef struct site {
  int found;        /* the load was seen */
  int in_reduce;    /* inside a REDUCE */
  int exact;        /* visits each element of T once per run of C */
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
   of rs, has distinct bare loop variables of T's extents as indices and
   leaves unused only loop variables of extent 1. */
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

typedef TC_VEC(pair) pair_vec;

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
  for (int i = 0; i < memo->len; i++)
    if (memo->data[i].from == e) return memo->data[i].to;
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
  TC_VEC_PUSH(*memo, pr);
  return r;
}

/* e with the load of rw->buf replaced by the producer's body, and buffer
   ids renumbered by rw->bufmap. */
static const tc_sexpr *rewrite(rewriter *rw, const tc_sexpr *e) {
  for (int i = 0; i < rw->memo.len; i++)
    if (rw->memo.data[i].from == e) return rw->memo.data[i].to;
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
    TC_VEC_FREE(memo);
  } else if (e->op == TC_OP_LOAD && rw->bufmap && rw->bufmap[e->ref] != e->ref) {
    tc_sexpr *c = (tc_sexpr *)tc_loop_sx_copy(rw->p, e, args);
    c->ref = rw->bufmap[e->ref];
    r = c;
  } else {
    r = same ? e : tc_loop_sx_copy(rw->p, e, args);
  }
  if (args != a) free(args);
  pair pr = {e, r};
  TC_VEC_PUSH(rw->memo, pr);
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

/* Inlines stage sp into its consumer when the rules above allow it;
   returns 1 when it did. */
static int try_inline(tc_loop_prog *p, int sp) {
  const tc_stage *ps = &p->stages.data[sp];
  int t = ps->out;
  const tc_lbuf *tb = &p->bufs.data[t];
  if (ps->kind != TC_STAGE_MAP || ps->checked || tb->kind != TC_LBUF_TEMP ||
      tb->dtype == TC_DT_BF16 || !cannot_fail(ps->body))
    return 0;
  for (int b = 0; b < p->bufs.len; b++)
    if (p->bufs.data[b].kind == TC_LBUF_ALIAS && p->bufs.data[b].alias == t) return 0;
  int sc = -1;
  for (int s = 0; s < p->stages.len; s++) {
    if (s == sp) continue;
    if (p->stages.data[s].out == t) return 0;
    if (!stage_reads(p, &p->stages.data[s], t)) continue;
    if (sc >= 0) return 0; /* several readers: T stays */
    sc = s;
  }
  if (sc < sp) return 0; /* unread (or read before written: not ours) */
  tc_stage *cs = &p->stages.data[sc];
  if (cs->kind != TC_STAGE_MAP || cs->checked) return 0;
  for (int s = sp + 1; s < sc; s++)
    if (writes_read_buf(p, &p->stages.data[s], ps->body)) return 0;
  const tc_sexpr *first = NULL;
  if (count_loads(cs->body, t, &first) != 1) return 0;
  rstack rs = {.n = 0};
  site st = {0};
  find_site(p, cs, cs->body, t, &rs, &st);
  assert(st.found);
  int cheap = cheap_size(ps->body);
  if (!st.exact && (st.in_reduce || cheap < 0 || cheap > CHEAP_MAX_NODES)) return 0;

  rewriter rw = {.p = p, .buf = t, .body = ps->body};
  cs->body = rewrite(&rw, cs->body);
  TC_VEC_FREE(rw.memo);
  cs->what = fused_what(p, ps, cs);
  memmove(&p->stages.data[sp], &p->stages.data[sp + 1],
          (size_t)(p->stages.len - sp - 1) * sizeof *p->stages.data);
  p->stages.len--;
  return 1;
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
    if (p->bufs.data[b].kind == TC_LBUF_TEMP && !written[b]) {
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
    TC_VEC_FREE(rw.memo);
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
  for (int changed = 1; changed;) {
    changed = 0;
    for (int sp = 0; sp < p->stages.len && !changed; sp++) changed = try_inline(p, sp);
  }
  drop_dead_temps(p);
  return 0;
}
