/* loop.c: the loop IR (tensorc/loop.h): construction, printing, checking. */
#include "loop.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

tc_loop_prog *tc_loop_new(const tc_module *m, const tc_kernel *k) {
  tc_loop_prog *p = tc_xcalloc(1, sizeof *p);
  p->module = m;
  p->kernel = k;
  /* Reduction variables of compute bodies keep their kernel ids, so the
     ones lowering makes start after them. */
  p->nrvars = k ? k->rvars.len : 0;
  return p;
}

void tc_loop_free(tc_loop_prog *p) {
  if (!p) return;
  TC_VEC_FREE(p->bufs);
  TC_VEC_FREE(p->stages);
  tc_arena_free(&p->arena);
  free(p);
}

int tc_loop_add_buf(tc_loop_prog *p, const tc_lbuf *b) {
  TC_VEC_PUSH(p->bufs, *b);
  return p->bufs.len - 1;
}

int tc_loop_add_stage(tc_loop_prog *p, const tc_stage *s) {
  assert(s->out >= 0 && s->out < p->bufs.len);
  assert(p->bufs.data[s->out].kind != TC_LBUF_ALIAS);
  TC_VEC_PUSH(p->stages, *s);
  tc_stage *t = &p->stages.data[p->stages.len - 1];
  t->nest = -1; /* in no nest until the nest pass */
  t->shared = 0;
  return p->stages.len - 1;
}

/* ---- constructors ------------------------------------------------------ */

static tc_sexpr *sx_new(tc_loop_prog *p, tc_op op, tc_dtype t, int nargs) {
  tc_sexpr *e = tc_arena_alloc(&p->arena, sizeof *e);
  e->op = op;
  e->dtype = t;
  e->nargs = nargs;
  if (nargs > 0)
    e->args = tc_arena_alloc(&p->arena, (size_t)nargs * sizeof *e->args);
  e->ref = -1;
  e->var = -1;
  return e;
}

const tc_sexpr *tc_loop_sx(tc_loop_prog *p, tc_op op, tc_dtype t, int nargs,
                           const tc_sexpr *const *args, tc_loc loc) {
  tc_sexpr *e = sx_new(p, op, t, nargs);
  for (int i = 0; i < nargs; i++) e->args[i] = args[i];
  e->loc = loc;
  return e;
}

const tc_sexpr *tc_loop_sx_copy(tc_loop_prog *p, const tc_sexpr *e,
                                const tc_sexpr *const *args) {
  tc_sexpr *c = sx_new(p, e->op, e->dtype, e->nargs);
  const tc_sexpr **a = c->args;
  *c = *e;
  c->args = a;
  for (int i = 0; i < e->nargs; i++) c->args[i] = args[i];
  return c;
}

const tc_sexpr *tc_loop_sx_const(tc_loop_prog *p, tc_dtype t, double num,
                                 int64_t inum) {
  tc_sexpr *e = sx_new(p, TC_OP_CONST, t, 0);
  if (tc_dtype_is_float(t)) {
    e->num = num;
    e->inum = (int64_t)0;
  } else {
    e->inum = inum;
    e->num = (double)inum;
  }
  return e;
}

const tc_sexpr *tc_loop_sx_int(tc_loop_prog *p, int64_t v) {
  return tc_loop_sx_const(p, TC_DT_I64, 0, v);
}

const tc_sexpr *tc_loop_sx_ivar(tc_loop_prog *p, int axis) {
  tc_sexpr *e = sx_new(p, TC_OP_IVAR, TC_DT_I64, 0);
  e->var = axis;
  return e;
}

const tc_sexpr *tc_loop_sx_rvar(tc_loop_prog *p, int rvar) {
  tc_sexpr *e = sx_new(p, TC_OP_RVAR, TC_DT_I64, 0);
  e->var = rvar;
  return e;
}

const tc_sexpr *tc_loop_sx_extent(tc_loop_prog *p, const tc_ext *x) {
  int64_t v;
  if (tc_ext_is_const(x, &v)) return tc_loop_sx_int(p, v);
  tc_sexpr *e = sx_new(p, TC_OP_EXTENT, TC_DT_I64, 0);
  e->ext = x;
  return e;
}

const tc_sexpr *tc_loop_sx_load(tc_loop_prog *p, int buf,
                                const tc_sexpr *const *idx) {
  assert(buf >= 0 && buf < p->bufs.len);
  const tc_lbuf *b = &p->bufs.data[buf];
  tc_sexpr *e = sx_new(p, TC_OP_LOAD, b->dtype, b->rank);
  for (int i = 0; i < b->rank; i++) e->args[i] = idx[i];
  e->ref = buf;
  return e;
}

static int sx_is_int(const tc_sexpr *e, int64_t v) {
  return e->op == TC_OP_CONST && e->inum == v;
}

const tc_sexpr *tc_loop_sx_iop(tc_loop_prog *p, tc_op op, const tc_sexpr *a,
                               const tc_sexpr *b) {
  assert(a->dtype == TC_DT_I64 && b->dtype == TC_DT_I64);
  if (a->op == TC_OP_CONST && b->op == TC_OP_CONST) {
    /* Folding in unsigned arithmetic wraps as the generated code does. */
    uint64_t x = (uint64_t)a->inum, y = (uint64_t)b->inum;
    if (op == TC_OP_ADD) return tc_loop_sx_int(p, (int64_t)(x + y));
    if (op == TC_OP_SUB) return tc_loop_sx_int(p, (int64_t)(x - y));
    if (op == TC_OP_MUL) return tc_loop_sx_int(p, (int64_t)(x * y));
  }
  switch (op) {
  case TC_OP_ADD:
    if (sx_is_int(a, 0)) return b;
    if (sx_is_int(b, 0)) return a;
    break;
  case TC_OP_SUB:
    if (sx_is_int(b, 0)) return a;
    break;
  case TC_OP_MUL:
    if (sx_is_int(a, 1)) return b;
    if (sx_is_int(b, 1)) return a;
    if (sx_is_int(a, 0) || sx_is_int(b, 0)) return tc_loop_sx_int(p, 0);
    break;
  default:
    break;
  }
  const tc_sexpr *args[2] = {a, b};
  return tc_loop_sx(p, op, TC_DT_I64, 2, args, (tc_loc){0});
}

int tc_loop_new_rvar(tc_loop_prog *p) { return p->nrvars++; }

const tc_sexpr *tc_loop_sx_reduce(tc_loop_prog *p, tc_op red, tc_dtype t,
                                  int rvar, const tc_ext *x,
                                  const tc_sexpr *body, tc_loc loc) {
  tc_sexpr *e = sx_new(p, TC_OP_REDUCE, t, 1);
  e->args[0] = body;
  e->red = red;
  e->var = rvar;
  e->ext = x;
  e->loc = loc;
  return e;
}

const tc_sexpr *tc_loop_sx_reduce_range(tc_loop_prog *p, tc_op red, tc_dtype t,
                                        int rvar, const tc_sexpr *lo,
                                        const tc_sexpr *hi,
                                        const tc_sexpr *body, tc_loc loc) {
  tc_sexpr *e = sx_new(p, TC_OP_REDUCE, t, 3);
  e->args[0] = body;
  e->args[1] = lo;
  e->args[2] = hi;
  e->red = red;
  e->var = rvar;
  e->loc = loc;
  return e;
}

const tc_sexpr *tc_loop_sx_reduce_chunk(tc_loop_prog *p, tc_op red, tc_dtype t,
                                        int rvar, const tc_sexpr *lo,
                                        const tc_sexpr *hi, const tc_ext *bound,
                                        const tc_sexpr *body, tc_loc loc) {
  tc_sexpr *e = sx_new(p, TC_OP_REDUCE, t, 3);
  e->args[0] = body;
  e->args[1] = lo;
  e->args[2] = hi;
  e->red = red;
  e->var = rvar;
  e->ext = bound;
  e->loc = loc;
  return e;
}

const tc_sexpr *tc_loop_sx_cast(tc_loop_prog *p, const tc_sexpr *e,
                                tc_dtype t) {
  if (e->dtype == t) return e;
  if (e->op == TC_OP_CONST) {
    if (tc_dtype_is_float(t)) {
      double v = tc_dtype_is_float(e->dtype) ? e->num : (double)e->inum;
      return tc_loop_sx_const(p, t, v, 0);
    }
    if (!tc_dtype_is_float(e->dtype) && t == TC_DT_I64)
      return tc_loop_sx_int(p, e->dtype == TC_DT_BOOL ? e->inum != 0 : e->inum);
    /* an integer constant that the narrower dtype holds as it is */
    if (tc_dtype_is_int(e->dtype) && tc_dtype_is_int(t) && e->inum >= -128 && e->inum <= 127 &&
        (t != TC_DT_U8 || e->inum >= 0))
      return tc_loop_sx_const(p, t, 0, e->inum);
  }
  return tc_loop_sx(p, TC_OP_CAST, t, 1, &e, e->loc);
}

/* ---- ranges ------------------------------------------------------------ */

/* The REDUCE of `body` binding rvar `var`, or NULL. */
static const tc_sexpr *find_reduce(const tc_sexpr *e, int var) {
  if (e->op == TC_OP_REDUCE && e->var == var) return e;
  for (int i = 0; i < e->nargs; i++) {
    const tc_sexpr *r = find_reduce(e->args[i], var);
    if (r) return r;
  }
  return NULL;
}

int tc_loop_sx_uses_rvar(const tc_sexpr *e, int rvar) {
  if (e->op == TC_OP_RVAR && e->var == rvar) return 1;
  for (int i = 0; i < e->nargs; i++)
    if (tc_loop_sx_uses_rvar(e->args[i], rvar)) return 1;
  return 0;
}

int tc_loop_sx_may_divide_by_zero(const tc_sexpr *e) {
  if ((e->op == TC_OP_FLOORDIV || e->op == TC_OP_MOD) && !tc_dtype_is_float(e->dtype) &&
      !(e->args[1]->op == TC_OP_CONST && e->args[1]->inum != 0))
    return 1;
  for (int i = 0; i < e->nargs; i++)
    if (tc_loop_sx_may_divide_by_zero(e->args[i])) return 1;
  return 0;
}

int tc_loop_sx_equal(const tc_sexpr *a, const tc_sexpr *b) {
  if (a == b) return 1;
  if (a->op != b->op || a->dtype != b->dtype || a->nargs != b->nargs || a->var != b->var ||
      a->ref != b->ref || a->inum != b->inum || a->red != b->red ||
      memcmp(&a->num, &b->num, sizeof a->num))
    return 0;
  if ((a->ext || b->ext) && !(a->ext && b->ext && tc_ext_equal(a->ext, b->ext))) return 0;
  for (int i = 0; i < a->nargs; i++)
    if (!tc_loop_sx_equal(a->args[i], b->args[i])) return 0;
  return 1;
}

int tc_loop_sx_count_reduces(const tc_sexpr *e) {
  int n = e->op == TC_OP_REDUCE;
  for (int i = 0; i < e->nargs; i++) n += tc_loop_sx_count_reduces(e->args[i]);
  return n;
}

int tc_loop_base_buf(const tc_loop_prog *p, int b) {
  const tc_lbuf *x = &p->bufs.data[b];
  return x->kind == TC_LBUF_ALIAS ? x->alias : b;
}

int tc_loop_conv_direct(const tc_loop_prog *p, const tc_gemm *gm, int out) {
  const int64_t *a = gm->conv;
  if (!a || a[7] != 0) return 0;
  const tc_lbuf *o = &p->bufs.data[out];
  const tc_lbuf *W = &p->bufs.data[gm->bload->ref];
  int64_t cin, ow, kh, kw; /* cin: a group's input channels (w [Cout, Cin / groups, kh, kw]) */
  return tc_ext_is_const(W->shape[1], &cin) && tc_ext_is_const(o->shape[3], &ow) &&
         tc_ext_is_const(W->shape[2], &kh) && tc_ext_is_const(W->shape[3], &kw) &&
         tc_conv_direct(a[0], a[1], cin, kh, kw, a[5], ow);
}

int tc_loop_index_is_ivar(const tc_loop_prog *p, int buf, int d, const tc_sexpr *ix) {
  int64_t one;
  if (ix->op == TC_OP_IVAR) return ix->var == d;
  return ix->op == TC_OP_CONST && ix->inum == 0 &&
         tc_ext_is_const(p->bufs.data[buf].shape[d], &one) && one == 1;
}

static void scan_columns(const tc_sexpr *e, int var, int last, int *good, int *bad) {
  if (e->op == TC_OP_REDUCE || e->op == TC_OP_RVAR) {
    if (e->op == TC_OP_REDUCE || e->var != var) ++*bad;
    return;
  }
  if (e->op == TC_OP_LOAD && e->nargs > 0) {
    const tc_sexpr *l = e->args[e->nargs - 1];
    if (tc_loop_sx_uses_rvar(l, var)) ++*bad;
    int before = 0;
    for (int d = 0; d + 1 < e->nargs; d++) before |= tc_loop_sx_uses_rvar(e->args[d], var);
    if (before && l->op == TC_OP_IVAR && l->var == last) ++*good;
  }
  for (int i = 0; i < e->nargs; i++) scan_columns(e->args[i], var, last, good, bad);
}

int tc_loop_walks_down_columns(const tc_sexpr *body, int var, int last) {
  int good = 0, bad = 0;
  scan_columns(body, var, last, &good, &bad);
  return good > 0 && bad == 0;
}

/* 1 when every load in e that uses rvar `var` reads [..., var] (the
   variable alone in the last index, in no other), and e has no REDUCE or
   WHERE inside. */
static int lanes_body_ok(const tc_sexpr *e, int var) {
  if (e->op == TC_OP_REDUCE || e->op == TC_OP_WHERE) return 0;
  if (e->op == TC_OP_LOAD) {
    for (int d = 0; d + 1 < e->nargs; d++)
      if (tc_loop_sx_uses_rvar(e->args[d], var)) return 0;
    if (e->nargs > 0) {
      const tc_sexpr *l = e->args[e->nargs - 1];
      if (tc_loop_sx_uses_rvar(l, var) && !(l->op == TC_OP_RVAR && l->var == var)) return 0;
    }
    return 1;
  }
  for (int i = 0; i < e->nargs; i++)
    if (!lanes_body_ok(e->args[i], var)) return 0;
  return 1;
}

int tc_loop_reduce_in_lanes(const tc_sexpr *e) {
  int64_t v;
  if (e->op != TC_OP_REDUCE || !tc_dtype_is_float(e->dtype) || e->dtype == TC_DT_BF16 ||
      !(e->red == TC_OP_SUM || e->red == TC_OP_PROD || e->red == TC_OP_MAX ||
        e->red == TC_OP_MIN) ||
      tc_loop_sx_may_divide_by_zero(e->args[0]) || !lanes_body_ok(e->args[0], e->var))
    return 0;
  if (e->nargs == 3) return 1; /* a chunk of a split reduction (passes/chunk.c) */
  return e->nargs == 1 && !(tc_ext_is_const(e->ext, &v) && v < 2 * TC_LOOP_RED_LANES);
}

int tc_loop_op_has_vector(tc_op op) {
  switch (op) {
  case TC_OP_ADD: case TC_OP_SUB: case TC_OP_MUL: case TC_OP_DIV:
  case TC_OP_NEG: case TC_OP_ABS: case TC_OP_SQRT: case TC_OP_RSQRT:
  case TC_OP_RECIPROCAL: case TC_OP_RELU: case TC_OP_RELU6:
  case TC_OP_MAXIMUM: case TC_OP_MINIMUM: case TC_OP_CLAMP:
  case TC_OP_FLOOR: case TC_OP_CEIL: case TC_OP_TRUNC: case TC_OP_ROUND:
  case TC_OP_LEAKY_RELU:
  case TC_OP_EXP: case TC_OP_EXP2: case TC_OP_EXPM1: case TC_OP_LOG: case TC_OP_LOG2:
  case TC_OP_LOG1P: case TC_OP_TANH: case TC_OP_SIGMOID: case TC_OP_SILU:
  case TC_OP_SOFTPLUS: case TC_OP_ERF: case TC_OP_GELU: case TC_OP_GELU_TANH:
    return 1;
  default:
    return 0;
  }
}

static int is_lane(const tc_sexpr *e, tc_op op, int var) { return e->op == op && e->var == var; }

static int uses_lane(const tc_sexpr *e, tc_op op, int var) {
  if (is_lane(e, op, var)) return 1;
  for (int i = 0; i < e->nargs; i++)
    if (uses_lane(e->args[i], op, var)) return 1;
  return 0;
}

static int has_reduce(const tc_sexpr *e);

int tc_loop_uses_lane(const tc_sexpr *e, tc_op op, int var) { return uses_lane(e, op, var); }

int tc_loop_lane_plus(const tc_sexpr *e, tc_op op, int var) {
  if (is_lane(e, op, var)) return 1;
  if (e->dtype != TC_DT_I64 || e->nargs != 2) return 0;
  const tc_sexpr *a = e->args[0], *b = e->args[1];
  if (e->op == TC_OP_ADD)
    return (tc_loop_lane_plus(a, op, var) && !uses_lane(b, op, var)) ||
           (tc_loop_lane_plus(b, op, var) && !uses_lane(a, op, var));
  if (e->op == TC_OP_SUB) return tc_loop_lane_plus(a, op, var) && !uses_lane(b, op, var);
  return 0;
}

/* (k // K) * K, either operand order of the product, k the lane
   variable: K, else 0. */
static int64_t lane_group_of(const tc_sexpr *e, tc_op op, int var) {
  if (e->op != TC_OP_MUL || e->dtype != TC_DT_I64) return 0;
  for (int i = 0; i < 2; i++) {
    const tc_sexpr *d = e->args[i], *K = e->args[1 - i];
    if (d->op == TC_OP_FLOORDIV && is_lane(d->args[0], op, var) && K->op == TC_OP_CONST &&
        d->args[1]->op == TC_OP_CONST && d->args[1]->inum == K->inum)
      return K->inum;
  }
  return 0;
}

const tc_sexpr *tc_loop_lane_group(const tc_sexpr *e, tc_op op, int var, int64_t *group,
                                   const tc_sexpr **r) {
  int64_t K;
  const tc_sexpr *g = e, *rest = NULL;
  if (op != TC_OP_IVAR) return NULL;
  if (e->op == TC_OP_ADD && e->dtype == TC_DT_I64) {
    int i = lane_group_of(e->args[0], op, var) ? 0 : 1;
    g = e->args[i];
    rest = e->args[1 - i];
    if (uses_lane(rest, op, var)) return NULL;
  }
  K = lane_group_of(g, op, var);
  if (K < 2 || K > TC_LOOP_LANE_GROUP_MAX || (K & (K - 1)) != 0) return NULL;
  if (group) *group = K;
  if (r) *r = rest;
  return g->args[g->args[0]->op == TC_OP_FLOORDIV ? 0 : 1]->args[0];
}

int tc_loop_has_lane_group(const tc_sexpr *e, tc_op op, int var) {
  if (e->op == TC_OP_LOAD)
    return e->nargs > 0 && tc_loop_lane_group(e->args[e->nargs - 1], op, var, NULL, NULL);
  for (int i = 0; i < e->nargs; i++)
    if (tc_loop_has_lane_group(e->args[i], op, var)) return 1;
  return 0;
}

/* 1 when load e of x, whose last index is a lane group
   (tc_loop_lane_group), computes in vectors in stage s: a plain stage
   (its vector loops start at 0: each vector's first lane is a multiple of
   its lanes), vectors along its last axis, of a constant extent that is a
   multiple of K and no more than x's last, and r, the index within the
   group, known to lie in [0, K): the vector of x at the lanes' own
   indices holds every element the lanes read (K below the lanes), or
   the vector lies inside one group (K a multiple of them). */
static int lane_group_ok(const tc_loop_prog *p, const tc_stage *s, const tc_lbuf *x,
                         const tc_sexpr *e, tc_op op, int var) {
  int64_t K, n, nx, v;
  const tc_sexpr *r;
  const tc_lbuf *o = &p->bufs.data[s->out];
  if (s->kind != TC_STAGE_MAP || s->gemm || s->sched || var != o->rank - 1 ||
      !tc_loop_lane_group(e->args[e->nargs - 1], op, var, &K, &r))
    return 0;
  if (!tc_ext_is_const(o->shape[var], &n) || n % K != 0 || !x->shape ||
      !tc_ext_is_const(x->shape[e->nargs - 1], &nx) || nx < n)
    return 0;
  if (!r) return 1;
  if (r->op == TC_OP_CONST) return r->inum >= 0 && r->inum < K;
  if (r->op != TC_OP_RVAR) return 0;
  const tc_sexpr *red = find_reduce(s->body, r->var);
  return red && red->nargs == 1 && red->ext && tc_ext_is_const(red->ext, &v) && v <= K;
}

/* 1 when bool c is a where() condition tc_loop_vec_ok takes besides a
   comparison of floats: a conjunction of conditions that do not use the
   lane variable and of comparisons (<, <=, >, >=) of an index that is the
   lane variable (an IVAR) plus one without it with one without it: each
   holds for a range of lanes, a mask of consecutive lanes. */
static int lane_cond_ok(const tc_sexpr *c, tc_op op, int var) {
  if (!uses_lane(c, op, var)) return !has_reduce(c);
  if (c->op == TC_OP_LOGICAL_AND) return lane_cond_ok(c->args[0], op, var) && lane_cond_ok(c->args[1], op, var);
  if (op != TC_OP_IVAR || c->nargs != 2 ||
      !(c->op == TC_OP_LT || c->op == TC_OP_LE || c->op == TC_OP_GT || c->op == TC_OP_GE))
    return 0;
  const tc_sexpr *a = c->args[0], *b = c->args[1];
  return (tc_loop_lane_plus(a, op, var) && !uses_lane(b, op, var)) ||
         (tc_loop_lane_plus(b, op, var) && !uses_lane(a, op, var));
}

static int has_reduce(const tc_sexpr *e) {
  if (e->op == TC_OP_REDUCE) return 1;
  for (int i = 0; i < e->nargs; i++)
    if (has_reduce(e->args[i])) return 1;
  return 0;
}

static int vec_no(const char *what, const tc_sexpr *e, const char **why, const tc_sexpr **bad) {
  if (why) {
    *why = what;
    *bad = e;
  }
  return 0;
}

/* f32, or bf16 (held and computed in f32, rounded when stored). */
static int vfloat(tc_dtype t) { return t == TC_DT_F32 || t == TC_DT_BF16; }

int tc_loop_vec_ok(const tc_loop_prog *p, const tc_stage *s, const tc_sexpr *e, tc_op op,
                   int var, int in_where, const char **why, const tc_sexpr **bad) {
  switch (e->op) {
  case TC_OP_CONST:
    return vfloat(e->dtype) || vec_no("a constant not of f32 or bf16", e, why, bad);
  case TC_OP_LOAD: {
    const tc_lbuf *x = &p->bufs.data[e->ref];
    if (!vfloat(e->dtype) || x->dtype != e->dtype)
      return vec_no("a load of a buffer not of f32 or bf16", e, why, bad);
    /* under a where() of one condition for all lanes (in_where 2), a
       vector load is masked by it, a load of one value is not */
    /* consecutive lanes: the lane variable in the last index, alone or
       (an IVAR) plus an index without it (a window's shifted row) */
    int lanes = e->nargs > 0 && (is_lane(e->args[e->nargs - 1], op, var) ||
                                 (op == TC_OP_IVAR && tc_loop_lane_plus(e->args[e->nargs - 1], op, var)));
    /* or a lane group: the lanes of a vector read from its own elements,
       permuted (a grouped convolution's input channels in NHWC) */
    int group = !lanes && e->nargs > 0 && lane_group_ok(p, s, x, e, op, var);
    int must_fit = in_where == 1 || (in_where == 2 && !lanes && !group);
    for (int d = 0; d < e->nargs; d++) {
      const tc_sexpr *ix = e->args[d];
      int lane = d == e->nargs - 1 && (lanes || group);
      if (lane && group) continue; /* (in range: lane_group_ok) */
      if (!lane && uses_lane(ix, op, var))
        return vec_no("a strided or gathered load (the lane variable is not its last index "
                      "alone)",
                      e, why, bad);
      if (must_fit && !(x->shape && tc_loop_index_in_range(p, s, ix, x->shape[d], s->body)))
        return vec_no("a load under a where() that may be out of range on the branch not "
                      "taken",
                      e, why, bad);
    }
    return 1;
  }
  case TC_OP_WHERE: {
    const tc_sexpr *c = e->args[0];
    if (!vfloat(e->dtype)) return vec_no("a where() not of f32 or bf16", e, why, bad);
    if (tc_op_class_of(c->op) != TC_OPC_CMP || !vfloat(c->args[0]->dtype)) {
      /* a condition the same for every lane (a convolution's or a pool's
         padding along another axis), or one that holds for a range of
         lanes (the padding along the vector axis): a mask, each branch's
         vector loads under it, so that lanes not taken read nothing */
      if (!lane_cond_ok(c, op, var))
        return vec_no("a where() whose condition is neither a comparison of float values nor "
                      "a range of lanes",
                      e, why, bad);
      /* (a lane reads another's element: its branch must be that lane's) */
      if (uses_lane(c, op, var) && (tc_loop_has_lane_group(e->args[1], op, var) ||
                                    tc_loop_has_lane_group(e->args[2], op, var)))
        return vec_no("a lane group's load under a where() on the lanes", e, why, bad);
      int w = in_where == 1 ? 1 : 2;
      return tc_loop_vec_ok(p, s, e->args[1], op, var, w, why, bad) &&
             tc_loop_vec_ok(p, s, e->args[2], op, var, w, why, bad);
    }
    return tc_loop_vec_ok(p, s, c->args[0], op, var, in_where, why, bad) &&
           tc_loop_vec_ok(p, s, c->args[1], op, var, in_where, why, bad) &&
           tc_loop_vec_ok(p, s, e->args[1], op, var, 1, why, bad) &&
           tc_loop_vec_ok(p, s, e->args[2], op, var, 1, why, bad);
  }
  case TC_OP_IVAR: case TC_OP_RVAR: case TC_OP_EXTENT:
    return vec_no("an index used as a value", e, why, bad);
  case TC_OP_REDUCE:
    /* each lane reduces its own element in order (a vertical reduction):
       the bounds of a range must be the same for every lane */
    if (op != TC_OP_IVAR || !vfloat(e->dtype) ||
        !(e->red == TC_OP_SUM || e->red == TC_OP_PROD || e->red == TC_OP_MAX ||
          e->red == TC_OP_MIN))
      return vec_no("a reduction inside the loop", e, why, bad);
    if (e->nargs == 3 && (uses_lane(e->args[1], op, var) || uses_lane(e->args[2], op, var)))
      return vec_no("a reduction whose range depends on the lane", e, why, bad);
    if (tc_loop_sx_may_divide_by_zero(e->args[0]))
      return vec_no("a reduction that may divide by zero", e, why, bad);
    /* a row of its own, reduced in lanes on every target (not in order) */
    if (tc_loop_reduce_in_lanes(e))
      return vec_no("a reduction along a row of its own (computed in lanes)", e, why, bad);
    return tc_loop_vec_ok(p, s, e->args[0], op, var, in_where, why, bad);
  default:
    /* an op without a vector form is computed lane by lane */
    if (!vfloat(e->dtype)) return vec_no("an op not computed in f32", e, why, bad);
    if (e->nargs > 3) return vec_no("an op of more than three operands", e, why, bad);
    for (int i = 0; i < e->nargs; i++) {
      if (!vfloat(e->args[i]->dtype))
        return vec_no("an operand not of f32 or bf16", e, why, bad);
      if (!tc_loop_vec_ok(p, s, e->args[i], op, var, in_where, why, bad)) return 0;
    }
    return 1;
  }
}

int tc_loop_index_in_range(const tc_loop_prog *p, const tc_stage *s,
                           const tc_sexpr *idx, const tc_ext *extent,
                           const tc_sexpr *body) {
  int64_t n;
  switch (idx->op) {
  case TC_OP_IVAR: {
    /* the loops of a MAP stage run over its output; an ACCUM stage's over
       its domain */
    int64_t m;
    const tc_ext *range;
    if (s->kind == TC_STAGE_ACCUM) {
      if (idx->var < 0 || idx->var >= s->dom_rank) return 0;
      range = s->dom[idx->var];
    } else {
      const tc_lbuf *o = &p->bufs.data[s->out];
      if (idx->var < 0 || idx->var >= o->rank) return 0;
      range = o->shape[idx->var];
    }
    if (!extent) return 0;
    return tc_ext_equal(range, extent) ||
           (tc_ext_is_const(range, &m) && tc_ext_is_const(extent, &n) && m <= n);
  }
  case TC_OP_RVAR: {
    const tc_sexpr *r = find_reduce(body, idx->var);
    return r && r->nargs == 1 && r->ext && extent && tc_ext_equal(r->ext, extent);
  }
  case TC_OP_CONST:
    return extent && tc_ext_is_const(extent, &n) && idx->inum >= 0 && idx->inum < n;
  default:
    return 0;
  }
}

/* ---- printing ---------------------------------------------------------- */

typedef struct printer {
  tc_buf *b;
  const tc_loop_prog *p;
  const char **dim_names;
} printer;

static void print_ext(printer *pr, const tc_ext *e) {
  tc_ext_print(pr->b, e, pr->dim_names, 1);
}

static const char *infix_of(tc_op op) {
  switch (op) {
  case TC_OP_ADD: return "+";
  case TC_OP_SUB: return "-";
  case TC_OP_MUL: return "*";
  case TC_OP_DIV: return "/";
  case TC_OP_FLOORDIV: return "//";
  case TC_OP_MOD: return "%";
  default: return NULL;
  }
}

static void print_sx(printer *pr, const tc_sexpr *e, int nested) {
  tc_buf *b = pr->b;
  const char *inf = infix_of(e->op);
  if (inf && e->nargs == 2) {
    if (nested) tc_buf_putc(b, '(');
    print_sx(pr, e->args[0], 1);
    tc_buf_printf(b, " %s ", inf);
    print_sx(pr, e->args[1], 1);
    if (nested) tc_buf_putc(b, ')');
    return;
  }
  switch (e->op) {
  case TC_OP_CONST:
    if (tc_dtype_is_float(e->dtype)) {
      char s[32];
      tc_format_double(s, e->num);
      tc_buf_puts(b, s);
    } else if (e->dtype == TC_DT_BOOL) {
      tc_buf_puts(b, e->inum ? "true" : "false");
    } else {
      tc_buf_printf(b, "%lld", (long long)e->inum);
    }
    if (e->dtype != TC_DT_I64 && e->dtype != TC_DT_F32 &&
        e->dtype != TC_DT_BOOL)
      tc_buf_printf(b, ":%s", tc_dtype_name(e->dtype));
    return;
  case TC_OP_IVAR: tc_buf_printf(b, "i%d", e->var); return;
  case TC_OP_RVAR: tc_buf_printf(b, "r%d", e->var); return;
  case TC_OP_EXTENT: print_ext(pr, e->ext); return;
  case TC_OP_LOAD:
    if (e->ref >= 0 && e->ref < pr->p->bufs.len)
      tc_buf_puts(b, pr->p->bufs.data[e->ref].name);
    else
      tc_buf_printf(b, "?%d", e->ref);
    tc_buf_putc(b, '[');
    for (int i = 0; i < e->nargs; i++) {
      if (i) tc_buf_puts(b, ", ");
      print_sx(pr, e->args[i], 0);
    }
    tc_buf_putc(b, ']');
    return;
  case TC_OP_CAST:
    tc_buf_printf(b, "%s(", tc_dtype_name(e->dtype));
    print_sx(pr, e->args[0], 0);
    tc_buf_putc(b, ')');
    return;
  case TC_OP_REDUCE:
    if (e->nargs == 3) {
      tc_buf_printf(b, "%s(r%d in ", tc_op_name(e->red), e->var);
      print_sx(pr, e->args[1], 1);
      tc_buf_puts(b, "..");
      print_sx(pr, e->args[2], 1);
    } else {
      tc_buf_printf(b, "%s(r%d in 0..", tc_op_name(e->red), e->var);
      print_ext(pr, e->ext);
    }
    tc_buf_puts(b, ": ");
    print_sx(pr, e->args[0], 0);
    tc_buf_putc(b, ')');
    return;
  default:
    tc_buf_printf(b, "%s(", tc_op_name(e->op));
    for (int i = 0; i < e->nargs; i++) {
      if (i) tc_buf_puts(b, ", ");
      print_sx(pr, e->args[i], 0);
    }
    if (e->op == TC_OP_LEAKY_RELU) {
      char s[32];
      tc_format_double(s, e->num);
      tc_buf_printf(b, ", %s", s);
    }
    tc_buf_putc(b, ')');
    return;
  }
}

static void printer_init(printer *pr, tc_buf *b, const tc_loop_prog *p) {
  pr->b = b;
  pr->p = p;
  int n = p->kernel ? p->kernel->dims.len : 0;
  pr->dim_names = tc_xcalloc((size_t)n + 1, sizeof *pr->dim_names);
  for (int i = 0; i < n; i++) pr->dim_names[i] = p->kernel->dims.data[i].name;
}

void tc_loop_print_sexpr(tc_buf *b, const tc_loop_prog *p,
                         const tc_sexpr *e) {
  printer pr;
  printer_init(&pr, b, p);
  print_sx(&pr, e, 0);
  free(pr.dim_names);
}

static void print_shape(printer *pr, const tc_lbuf *x) {
  tc_buf_printf(pr->b, "%s[", tc_dtype_name(x->dtype));
  for (int d = 0; d < x->rank; d++) {
    if (d) tc_buf_puts(pr->b, ", ");
    if (x->shape) print_ext(pr, x->shape[d]);
    else tc_buf_puts(pr->b, "nnz");
  }
  tc_buf_putc(pr->b, ']');
}

static const char *role_name(tc_role r) {
  switch (r) {
  case TC_ROLE_INPUT: return "input";
  case TC_ROLE_WEIGHT: return "weight";
  case TC_ROLE_OUTPUT: return "output";
  }
  return "?";
}

void tc_loop_print(tc_buf *b, const tc_loop_prog *p) {
  printer pr;
  printer_init(&pr, b, p);
  tc_buf_printf(b, "loop program %s:\n  buffers:\n",
                p->kernel ? p->kernel->name : "?");
  for (int i = 0; i < p->bufs.len; i++) {
    const tc_lbuf *x = &p->bufs.data[i];
    tc_buf_printf(b, "    %s: ", x->name);
    print_shape(&pr, x);
    switch (x->kind) {
    case TC_LBUF_ARG:
      tc_buf_printf(b, " %s #%d\n",
                    p->kernel ? role_name(p->kernel->args.data[x->arg].role)
                              : "arg",
                    x->abi);
      break;
    case TC_LBUF_TEMP:
      if (x->local && x->row_of >= 0)
        tc_buf_printf(b, " temp, local in the rows of %s\n", p->bufs.data[x->row_of].name);
      else
        tc_buf_puts(b, x->local ? " temp, local\n" : " temp\n");
      break;
    case TC_LBUF_ALIAS:
      tc_buf_printf(b, " alias of %s\n", p->bufs.data[x->alias].name);
      break;
    case TC_LBUF_CONST: tc_buf_puts(b, " constant\n"); break;
    case TC_LBUF_CREATE: tc_buf_puts(b, " computed at create\n"); break;
    }
  }
  tc_buf_puts(b, "  stages:\n");
  for (int s = 0; s < p->stages.len; s++) {
    const tc_stage *st = &p->stages.data[s];
    const tc_lbuf *o = &p->bufs.data[st->out];
    /* a nest: a header line over its shared loops, its stages below it */
    if (st->nest >= 0 && (s == 0 || p->stages.data[s - 1].nest != st->nest)) {
      tc_buf_printf(b, "    nest %d over ", st->nest);
      for (int d = 0; d < st->shared; d++) {
        tc_buf_printf(b, "%si%d in 0..", d ? ", " : "", d);
        print_ext(&pr, o->shape[d]);
      }
      tc_buf_puts(b, ":\n");
    }
    tc_buf_puts(b, st->nest >= 0 ? "      " : "    ");
    if (st->kind == TC_STAGE_ACCUM) {
      /* "t3 = 0; for i0 in 0..L:  t3[x[i0]] sum= body" */
      tc_buf_printf(b, "%s = ", o->name);
      print_sx(&pr, st->init, 0);
      tc_buf_puts(b, "; ");
      if (st->dom_rank > 0) {
        tc_buf_puts(b, "for ");
        for (int d = 0; d < st->dom_rank; d++) {
          tc_buf_printf(b, "%si%d in 0..", d ? ", " : "", d);
          print_ext(&pr, st->dom[d]);
        }
        tc_buf_puts(b, ":  ");
      }
      tc_buf_printf(b, "%s[", o->name);
      for (int d = 0; d < o->rank; d++) {
        if (d) tc_buf_puts(b, ", ");
        print_sx(&pr, st->idx[d], 0);
      }
      tc_buf_printf(b, "] %s= ", tc_op_name(st->red));
      print_sx(&pr, st->body, 0);
      tc_buf_printf(b, "  # %s, checked", st->what ? st->what : "?");
      if (st->loc.file) tc_buf_printf(b, ", %s:%d", st->loc.file, st->loc.line);
      tc_buf_putc(b, '\n');
      continue;
    }
    if (o->rank > 0) {
      tc_buf_puts(b, "for ");
      for (int d = 0; d < o->rank; d++) {
        tc_buf_printf(b, "%si%d in 0..", d ? ", " : "", d);
        print_ext(&pr, o->shape[d]);
      }
      tc_buf_puts(b, ":  ");
    }
    tc_buf_printf(b, "%s[", o->name);
    for (int d = 0; d < o->rank; d++) tc_buf_printf(b, "%si%d", d ? ", " : "", d);
    tc_buf_puts(b, "] = ");
    print_sx(&pr, st->body, 0);
    tc_buf_printf(b, "  # %s", st->what ? st->what : "?");
    if (st->checked) tc_buf_puts(b, ", checked");
    if (st->loc.file) tc_buf_printf(b, ", %s:%d", st->loc.file, st->loc.line);
    if (st->sched) {
      const tc_schedule *sc = st->sched;
      if (sc->node < 0)
        tc_buf_puts(b, ", schedule (chosen):");
      else
        tc_buf_printf(b, ", schedule (line %d):", sc->loc.line);
      for (int i = 0; i < sc->ntile; i++) tc_buf_printf(b, "%s%d", i ? "x" : " tile ", sc->tile[i]);
      if (sc->vectorize) tc_buf_printf(b, " vectorize %d", sc->vectorize);
      if (sc->unroll) tc_buf_printf(b, " unroll %d", sc->unroll);
      if (sc->has_parallel) tc_buf_printf(b, " parallel %d", sc->parallel);
    }
    if (st->gemm) {
      const tc_gemm *gm = st->gemm;
      if (gm->conv)
        tc_buf_printf(b, ", GEMM template (convolution %s of %s by %s%s",
                      gm->conv[7] ? "NHWC" : "NCHW", p->bufs.data[gm->aload->ref].name,
                      p->bufs.data[gm->bload->ref].name, gm->b_weight ? ", packed at create" : "");
      else
        tc_buf_printf(b, ", GEMM template (A %s%s, B %s%s%s", p->bufs.data[gm->aload->ref].name,
                      gm->a_trans ? " transposed" : "", p->bufs.data[gm->bload->ref].name,
                      gm->b_trans ? " transposed" : "", gm->b_weight ? ", packed at create" : "");
      if (!gm->plain) {
        tc_buf_puts(b, "; epilogue ");
        print_sx(&pr, gm->epi, 0);
      }
      tc_buf_putc(b, ')');
    }
    /* (a tiled transpose: along its first tiled axis, emit/c.c) */
    if (st->vec)
      tc_buf_printf(b, ", vector along i%d",
                    st->sched && st->sched->node < 0 ? o->rank - st->sched->ntile : o->rank - 1);
    if (st->vec && st->vec_why) tc_buf_printf(b, " (%s)", st->vec_why);
    else if (st->vec_why) tc_buf_printf(b, ", scalar: %s", st->vec_why);
    tc_buf_putc(b, '\n');
  }
  free(pr.dim_names);
}

/* ---- verifying --------------------------------------------------------- */

typedef struct verifier {
  const tc_loop_prog *p;
  const tc_stage *s;
  int sidx;
  tc_diag *d;
  int *bound; /* rvar id -> how many enclosing REDUCEs bind it */
} verifier;

static int vfail(verifier *v, const tc_sexpr *e, const char *what) {
  return tc_diag_at(v->d, v->s->loc, "internal error: loop IR of kernel %s, "
                    "stage %d (%s): %s (op %s)",
                    v->p->kernel ? v->p->kernel->name : "?", v->sidx,
                    v->s->what ? v->s->what : "?", what, tc_op_name(e->op));
}

static int verify_sx(verifier *v, const tc_sexpr *e) {
  const tc_loop_prog *p = v->p;
  if ((unsigned)e->op >= TC_OP_COUNT) return vfail(v, e, "bad op");
  int ar = tc_op_arity(e->op);
  if (ar >= 0 && e->op != TC_OP_LOAD && e->nargs != ar &&
      !(e->op == TC_OP_REDUCE && e->nargs == 3))
    return vfail(v, e, "wrong operand count");
  switch (e->op) {
  case TC_OP_IVAR: {
    int rank = v->s->kind == TC_STAGE_ACCUM ? v->s->dom_rank
                                            : p->bufs.data[v->s->out].rank;
    if (e->var < 0 || e->var >= rank)
      return vfail(v, e, "index variable beyond the stage's rank");
    return 0;
  }
  case TC_OP_RVAR:
    if (e->var < 0 || e->var >= p->nrvars || !v->bound[e->var])
      return vfail(v, e, "reduction variable used outside its reduction");
    return 0;
  case TC_OP_EXTENT:
    if (!e->ext) return vfail(v, e, "extent without value");
    return 0;
  case TC_OP_CONST:
    return 0;
  case TC_OP_LOAD: {
    if (e->ref < 0 || e->ref >= p->bufs.len)
      return vfail(v, e, "load of an unknown buffer");
    const tc_lbuf *x = &p->bufs.data[e->ref];
    if (e->nargs != x->rank) return vfail(v, e, "load with wrong index count");
    if (e->dtype != x->dtype) return vfail(v, e, "load of the wrong dtype");
    break;
  }
  case TC_OP_REDUCE:
    if (e->var < 0 || e->var >= p->nrvars) return vfail(v, e, "bad rvar id");
    if (v->bound[e->var]) return vfail(v, e, "rvar bound inside itself");
    if (e->nargs == 3) {
      /* the bounds are evaluated outside the loop: they may not use the
         rvar, and are i64 */
      for (int i = 1; i < 3; i++) {
        if (!e->args[i] || e->args[i]->dtype != TC_DT_I64)
          return vfail(v, e, "reduction bound missing or not i64");
        if (verify_sx(v, e->args[i])) return -1;
      }
    } else if (!e->ext) {
      return vfail(v, e, "reduction without extent");
    }
    switch (e->red) {
    case TC_OP_SUM: case TC_OP_PROD: case TC_OP_MAX: case TC_OP_MIN:
      if (e->dtype != e->args[0]->dtype)
        return vfail(v, e, "reduction of another dtype");
      break;
    case TC_OP_ARGMAX: case TC_OP_ARGMIN:
      if (e->dtype != TC_DT_I64) return vfail(v, e, "argmax not i64");
      break;
    default:
      return vfail(v, e, "unknown reduction");
    }
    v->bound[e->var]++;
    if (verify_sx(v, e->args[0])) return -1;
    v->bound[e->var]--;
    return 0;
  default:
    break;
  }
  for (int i = 0; i < e->nargs; i++)
    if (!e->args[i] || verify_sx(v, e->args[i])) return e->args[i] ? -1 : vfail(v, e, "null operand");
  if (e->op == TC_OP_LOAD) {
    for (int i = 0; i < e->nargs; i++)
      if (e->args[i]->dtype != TC_DT_I64) return vfail(v, e, "index not i64");
    return 0;
  }
  switch (tc_op_class_of(e->op)) {
  case TC_OPC_BINARY:
    if (e->args[0]->dtype != e->dtype || e->args[1]->dtype != e->dtype)
      return vfail(v, e, "operand dtypes differ from the result's");
    break;
  case TC_OPC_UNARY:
    if (e->op != TC_OP_CAST && e->args[0]->dtype != e->dtype)
      return vfail(v, e, "operand dtype differs from the result's");
    break;
  case TC_OPC_CMP:
    if (e->dtype != TC_DT_BOOL) return vfail(v, e, "comparison not bool");
    if (e->nargs == 2 && e->args[0]->dtype != e->args[1]->dtype)
      return vfail(v, e, "compared dtypes differ");
    break;
  case TC_OPC_TERNARY:
    if (e->op == TC_OP_WHERE) {
      if (e->args[0]->dtype != TC_DT_BOOL) return vfail(v, e, "where cond not bool");
      if (e->args[1]->dtype != e->dtype || e->args[2]->dtype != e->dtype)
        return vfail(v, e, "where branches of another dtype");
    } else {
      for (int i = 0; i < 3; i++)
        if (e->args[i]->dtype != e->dtype) return vfail(v, e, "clamp dtypes differ");
    }
    break;
  default:
    return vfail(v, e, "op not allowed in a loop body");
  }
  return 0;
}

/* 1 when e loads only weights, constants and buffers computed at create
   (what P_create has). */
static int reads_create_only(const tc_loop_prog *p, const tc_sexpr *e) {
  if (e->op == TC_OP_LOAD) {
    const tc_lbuf *x = &p->bufs.data[tc_loop_base_buf(p, e->ref)];
    if (!(x->kind == TC_LBUF_CONST || x->kind == TC_LBUF_CREATE ||
          (x->kind == TC_LBUF_ARG && p->kernel &&
           p->kernel->args.data[x->arg].role == TC_ROLE_WEIGHT)))
      return 0;
  }
  for (int i = 0; i < e->nargs; i++)
    if (!reads_create_only(p, e->args[i])) return 0;
  return 1;
}

int tc_loop_verify(const tc_loop_prog *p, tc_diag *d) {
  verifier v = {p, NULL, 0, d, tc_xcalloc((size_t)p->nrvars + 1, sizeof(int))};
  int rc = 0;
  tc_stage dummy = {0};
  v.s = &dummy;
  for (int i = 0; i < p->bufs.len && !rc; i++) {
    const tc_lbuf *x = &p->bufs.data[i];
    if (x->rank < 0 || x->rank > TC_MAX_RANK || !x->name)
      rc = tc_diag_at(d, (tc_loc){0}, "internal error: loop IR buffer %d malformed", i);
    else if (!x->shape && x->rank &&
             !(x->kind == TC_LBUF_ARG &&
               (x->format == TC_FMT_CSR_COL || x->format == TC_FMT_CSR_VAL)))
      rc = tc_diag_at(d, (tc_loc){0}, "internal error: loop IR buffer %s has no shape", x->name);
    else if (x->kind == TC_LBUF_CONST &&
             (x->rank != 1 || (tc_dtype_is_float(x->dtype) ? !x->fvals : !x->ivals)))
      rc = tc_diag_at(d, (tc_loc){0}, "internal error: loop IR constant %s malformed", x->name);
    else if (x->kind == TC_LBUF_ALIAS &&
             (x->alias < 0 || x->alias >= p->bufs.len ||
              p->bufs.data[x->alias].kind == TC_LBUF_ALIAS ||
              p->bufs.data[x->alias].dtype != x->dtype))
      rc = tc_diag_at(d, (tc_loc){0}, "internal error: loop IR alias %s malformed", x->name);
  }
  for (int s = 0; s < p->stages.len && !rc; s++) {
    v.s = &p->stages.data[s];
    v.sidx = s;
    const tc_stage *st = v.s;
    if (st->out < 0 || st->out >= p->bufs.len ||
        p->bufs.data[st->out].kind == TC_LBUF_ALIAS ||
        p->bufs.data[st->out].kind == TC_LBUF_CONST ||
        (!p->bufs.data[st->out].shape && p->bufs.data[st->out].rank > 0)) {
      rc = tc_diag_at(d, st->loc, "internal error: stage %d writes no buffer", s);
      break;
    }
    if (!st->body) {
      rc = tc_diag_at(d, st->loc, "internal error: stage %d has no body", s);
      break;
    }
    if (verify_sx(&v, st->body)) { rc = -1; break; }
    if (st->kind == TC_STAGE_ACCUM) {
      const tc_lbuf *o = &p->bufs.data[st->out];
      if (!(st->red == TC_OP_SUM || st->red == TC_OP_MAX || st->red == TC_OP_MIN) ||
          !st->init || st->init->op != TC_OP_CONST || st->init->dtype != o->dtype ||
          st->dom_rank < 0 || st->dom_rank > TC_MAX_RANK || (st->dom_rank && !st->dom) ||
          !st->idx) {
        rc = tc_diag_at(d, st->loc, "internal error: accumulate stage %d malformed", s);
        break;
      }
      for (int i = 0; i < o->rank && !rc; i++) {
        if (!st->idx[i] || st->idx[i]->dtype != TC_DT_I64)
          rc = tc_diag_at(d, st->loc, "internal error: stage %d index %d not i64", s, i);
        else if (verify_sx(&v, st->idx[i]))
          rc = -1;
      }
      if (rc) break;
    }
    if (st->body->dtype != p->bufs.data[st->out].dtype)
      rc = vfail(&v, st->body, "body dtype differs from its buffer's");
    else if (p->bufs.data[st->out].kind == TC_LBUF_CREATE &&
             (st->kind != TC_STAGE_MAP || st->checked || !reads_create_only(p, st->body)))
      rc = tc_diag_at(d, st->loc, "internal error: stage %d computed at create reads what "
                      "P_run is given, or may fail", s);
  }
  free(v.bound);
  return rc ? -1 : 0;
}
