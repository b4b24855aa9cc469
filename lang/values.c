/*
 * values.c: the DSL's values.  Four kinds share one userdata type (and so
 * one metatable, which gives them operators and method syntax):
 *
 *   tensor   a node of the kernel's graph
 *   sexpr    a scalar expression: an index variable, an element read
 *            A(i, k), or arithmetic on them, inside a compute body
 *   extent   a dim or + - * // of dims: usable in shapes, and as an i64
 *            scalar in expressions
 *   rvar     a reduction variable (rvar(K))
 *
 * Lua numbers become constants when they meet these values (spec/dsl.md,
 * "Expressions": a Lua integer takes the other operand's dtype, a Lua
 * float takes it when it is a float, else f32).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang_int.h"

/* ---- making values ------------------------------------------------------- */

tcL_value *tcL_push_value(lua_State *L, tcL_kind kind) {
  tcL_value *v = lua_newuserdatauv(L, sizeof *v, 0);
  memset(v, 0, sizeof *v);
  v->kind = kind;
  v->kserial = tcL_ctx_of(L)->kserial;
  luaL_setmetatable(L, TCL_VALUE_MT);
  return v;
}

void tcL_push_tensor(lua_State *L, int node) {
  tcL_push_value(L, TCL_TENSOR)->node = node;
}

struct tcL_sexpr_size {
  const tc_sexpr *e;
  int depth;
  int64_t size;
};

static size_t sx_slot(const tcL_ctx *c, const tc_sexpr *e) {
  size_t h = ((uintptr_t)e >> 4) * 0x9E3779B97F4A7C15u;
  size_t i = h & (c->sx_cap - 1);
  while (c->sx[i].e && c->sx[i].e != e) i = (i + 1) & (c->sx_cap - 1);
  return i;
}

static void sx_insert(tcL_ctx *c, const tc_sexpr *e, int depth, int64_t size) {
  if (2 * (c->sx_len + 1) > c->sx_cap) {
    struct tcL_sexpr_size *old = c->sx;
    size_t old_cap = c->sx_cap;
    c->sx_cap = old_cap ? 2 * old_cap : 256;
    c->sx = tc_xcalloc(c->sx_cap, sizeof *c->sx);
    for (size_t i = 0; i < old_cap; i++)
      if (old[i].e) c->sx[sx_slot(c, old[i].e)] = old[i];
    free(old);
  }
  size_t i = sx_slot(c, e);
  if (!c->sx[i].e) c->sx_len++;
  c->sx[i] = (struct tcL_sexpr_size){e, depth, size};
}

/* The depth and tree size of e (sizes saturate at just above the limit).
   Operands that reached Lua before are in the table; the nodes a
   constructor adds around them (casts, index casts) are few, so the
   recursion is shallow. */
static void sx_measure(tcL_ctx *c, const tc_sexpr *e, int *depth, int64_t *size,
                       size_t *bytes) {
  if (c->sx_cap) {
    size_t i = sx_slot(c, e);
    if (c->sx[i].e) {
      *depth = c->sx[i].depth;
      *size = c->sx[i].size;
      return;
    }
  }
  int d = 0;
  int64_t n = 1;
  for (int a = 0; a < e->nargs; a++) {
    int da;
    int64_t na;
    sx_measure(c, e->args[a], &da, &na, bytes);
    if (da > d) d = da;
    n += na;
    if (n > TCL_SEXPR_MAX_SIZE) n = TCL_SEXPR_MAX_SIZE + 1;
  }
  *depth = d + 1;
  *size = n;
  *bytes += sizeof *e + (size_t)e->nargs * sizeof *e->args + 2 * sizeof *c->sx;
  sx_insert(c, e, *depth, *size);
}

void tcL_push_sexpr(lua_State *L, const tc_sexpr *se, int cserial) {
  tcL_ctx *c = tcL_ctx_of(L);
  int depth;
  int64_t size;
  size_t bytes = 0;
  sx_measure(c, se, &depth, &size, &bytes);
  /* the expression's new nodes live in the module's arena, outside the Lua
     state: count them against the memory limit (a body that loops making
     values would otherwise grow without bound), and their table entries */
  tcL_account(L, bytes);
  if (depth > TCL_SEXPR_MAX_DEPTH)
    tcL_error(L, "this scalar expression is nested more than %d levels deep "
              "(build a long chain from tensors, or reduce with rvar)",
              TCL_SEXPR_MAX_DEPTH);
  if (size > TCL_SEXPR_MAX_SIZE)
    tcL_error(L, "this scalar expression has more than %d nodes counted as a "
              "tree (an operand used twice counts twice)", TCL_SEXPR_MAX_SIZE);
  tcL_value *v = tcL_push_value(L, TCL_SEXPR);
  v->se = se;
  v->cserial = cserial;
}

void tcL_push_ext(lua_State *L, const tc_ext *e) {
  tcL_push_value(L, TCL_EXT)->ext = e;
}

tcL_value *tcL_test_value(lua_State *L, int idx) {
  return luaL_testudata(L, idx, TCL_VALUE_MT);
}

const tc_node *tcL_node(lua_State *L, int id) {
  tcL_ctx *c = tcL_ctx_of(L);
  return &c->k->nodes.data[id];
}

void tcL_push_node(lua_State *L, int id) {
  tcL_ctx *c = tcL_ctx_of(L);
  if (id < 0) {
    if (!c->diag.set) tcL_error(L, "internal error: a graph constructor failed silently");
    tcL_raise_diag(L);
  }
  const tc_node *n = tcL_node(L, id);
  /* The graph lives outside the Lua state: count it against the limit so
     that a loop making nodes stops at the memory limit too. */
  tcL_account(L, sizeof *n + (size_t)(n->rank + n->nin + n->nints) * 8 + 64);
  tcL_push_tensor(L, id);
}

static const char *kind_name(tcL_kind kind) {
  switch (kind) {
  case TCL_TENSOR: return "a tensor";
  case TCL_SEXPR: return "a scalar expression";
  case TCL_EXT: return "an extent";
  case TCL_RVAR: return "an rvar";
  }
  return "?";
}

const char *tcL_describe(lua_State *L, int idx) {
  tcL_value *v = tcL_test_value(L, idx);
  if (v) return kind_name(v->kind);
  switch (lua_type(L, idx)) {
  case LUA_TNONE:
  case LUA_TNIL: return "nil";
  case LUA_TNUMBER: return "a number";
  case LUA_TSTRING: return "a string";
  case LUA_TTABLE: return "a table";
  case LUA_TFUNCTION: return "a function";
  case LUA_TBOOLEAN: return "a boolean";
  default: return luaL_typename(L, idx);
  }
}

void tcL_check_owner(lua_State *L, const tcL_value *v, const char *fn) {
  tcL_ctx *c = tcL_ctx_of(L);
  if (c->finished) tcL_error(L, "%s: the DSL file has finished running: no more DSL calls", fn);
  if (v->kserial == c->kserial && c->k) return;
  int64_t dummy;
  if (v->kind == TCL_EXT && tc_ext_is_const(v->ext, &dummy)) return;
  tcL_error(L, "%s: %s of another kernel is used here (each kernel has its own values)",
            fn, kind_name(v->kind));
}

/* The dtype of a value (owner checked). */
static tc_dtype value_dtype(lua_State *L, const tcL_value *v) {
  switch (v->kind) {
  case TCL_TENSOR: return tcL_node(L, v->node)->dtype;
  case TCL_SEXPR: return v->se->dtype;
  default: return TC_DT_I64;
  }
}

/* ---- constants ------------------------------------------------------------ */

/* The dtype of a Lua number meeting operands of dtype `other` (NONE when
   there are none): spec/dsl.md, PyTorch's rule for Python scalars. */
static tc_dtype weak_dtype(int is_int, tc_dtype other) {
  if (other == TC_DT_NONE || other == TC_DT_BOOL) return is_int ? TC_DT_I64 : TC_DT_F32;
  if (tc_dtype_is_float(other)) return other;
  return is_int ? other : TC_DT_F32;
}

/* A rough PyTorch promotion, enough to pick the dtype of Lua numbers; the
   graph constructors do the real promotion. */
static tc_dtype promote(tc_dtype a, tc_dtype b) {
  if (a == TC_DT_NONE) return b;
  if (b == TC_DT_NONE || a == b) return a;
  int fa = tc_dtype_is_float(a), fb = tc_dtype_is_float(b);
  if (fa != fb) return fa ? a : b;
  if (fa) {
    if (a == TC_DT_F64 || b == TC_DT_F64) return TC_DT_F64;
    return TC_DT_F32; /* f32 with bf16 */
  }
  if (a == TC_DT_BOOL) return b;
  if (b == TC_DT_BOOL) return a;
  int sa = tc_dtype_size(a), sb = tc_dtype_size(b);
  if (sa == sb) return TC_DT_I32; /* i8 with u8: PyTorch gives i16 */
  return sa > sb ? a : b;
}

/* The Lua number or boolean at idx as (dtype, num, inum). */
static void constant_of(lua_State *L, int idx, tc_dtype other, tc_dtype *t,
                        double *num, int64_t *inum) {
  if (lua_type(L, idx) == LUA_TBOOLEAN) {
    *t = TC_DT_BOOL;
    *inum = lua_toboolean(L, idx);
    *num = (double)*inum;
    return;
  }
  int is_int = lua_isinteger(L, idx);
  *t = weak_dtype(is_int, other);
  if (is_int) {
    *inum = lua_tointeger(L, idx);
    *num = (double)*inum;
    /* As PyTorch, a Python integer that the other operand's dtype cannot
       hold is an error rather than a silent wrap. */
    int64_t lo = INT64_MIN, hi = INT64_MAX;
    switch (*t) {
    case TC_DT_I8: lo = INT8_MIN, hi = INT8_MAX; break;
    case TC_DT_U8: lo = 0, hi = UINT8_MAX; break;
    case TC_DT_I32: lo = INT32_MIN, hi = INT32_MAX; break;
    default: break;
    }
    if (*inum < lo || *inum > hi)
      tcL_error(L, "the number %lld does not fit in %s, the dtype of the other operand "
                   "(cast the tensor first)", (long long)*inum, tc_dtype_name(*t));
  } else {
    *num = lua_tonumber(L, idx);
    /* A float stored in an integer dtype (never chosen by weak_dtype, but
       kept well defined): truncate within range. */
    *inum = (*num > -9.2e18 && *num < 9.2e18) ? (int64_t)*num : 0;
  }
}

static int const_node(lua_State *L, int idx, tc_dtype other) {
  tcL_ctx *c = tcL_ctx_of(L);
  tc_kernel *k = tcL_kernel(L);
  tc_dtype t;
  double num;
  int64_t inum;
  constant_of(L, idx, other, &t, &num, &inum);
  int id = tc_graph_const(k, &c->m->arena, t, num, inum, tcL_where(L));
  if (id < 0) tcL_error(L, "internal error: cannot make a constant");
  tcL_account(L, sizeof(tc_node) + 64);
  return id;
}

static const tc_sexpr *const_sexpr(lua_State *L, int idx, tc_dtype other) {
  tcL_ctx *c = tcL_ctx_of(L);
  tc_dtype t;
  double num;
  int64_t inum;
  constant_of(L, idx, other, &t, &num, &inum);
  return tc_sexpr_const(&c->m->arena, t, num, inum, tcL_where(L));
}

/* ---- conversions ----------------------------------------------------------- */

/* An extent used as a tensor: a rank-0 i64 compute node. */
static int ext_node(lua_State *L, const tc_ext *e) {
  tcL_ctx *c = tcL_ctx_of(L);
  tc_kernel *k = tcL_kernel(L);
  tc_loc loc = tcL_where(L);
  const tc_sexpr *se = tc_sexpr_extent(&c->m->arena, e, loc);
  int id = tc_graph_compute(k, &c->m->arena, 0, NULL, se, loc, &c->diag);
  if (id < 0) tcL_raise_diag(L);
  tcL_account(L, sizeof(tc_node) + 64);
  return id;
}

int tcL_to_node(lua_State *L, int idx, const char *fn) {
  tcL_value *v = tcL_test_value(L, idx);
  if (!v) {
    int t = lua_type(L, idx);
    if (t == LUA_TNUMBER || t == LUA_TBOOLEAN) return const_node(L, idx, TC_DT_NONE);
    tcL_error(L, "%s: expected a tensor, got %s", fn, tcL_describe(L, idx));
  }
  tcL_check_owner(L, v, fn);
  switch (v->kind) {
  case TCL_TENSOR: return v->node;
  case TCL_EXT: return ext_node(L, v->ext);
  case TCL_SEXPR:
    tcL_error(L, "%s: a scalar expression of a compute body is used where a tensor is "
                 "needed (it only means something inside its compute)", fn);
  case TCL_RVAR:
    tcL_error(L, "%s: an rvar is used where a tensor is needed (rvars belong in "
                 "compute bodies)", fn);
  }
  return -1;
}

const tc_ext *tcL_to_ext(lua_State *L, int idx, int allow_neg1, const char *fn) {
  tcL_ctx *c = tcL_ctx_of(L);
  tcL_value *v = tcL_test_value(L, idx);
  if (v && v->kind == TCL_EXT) {
    tcL_check_owner(L, v, fn);
    return v->ext;
  }
  int isnum = 0;
  lua_Integer n = lua_tointegerx(L, idx, &isnum);
  if (!v && isnum && lua_type(L, idx) == LUA_TNUMBER) {
    if (n == -1 && allow_neg1) return NULL;
    if (n < 0)
      tcL_error(L, "%s: an extent must be >= 0%s, got %lld", fn,
                allow_neg1 ? " (or -1)" : "", (long long)n);
    return tc_ext_const(&c->m->arena, n);
  }
  tcL_error(L, "%s: expected an extent (an integer >= 0 or a dim), got %s", fn,
            tcL_describe(L, idx));
}

int tcL_to_shape(lua_State *L, int idx, const tc_ext **shape, int allow_neg1,
                 const char *fn) {
  idx = lua_absindex(L, idx);
  if (!lua_istable(L, idx) || tcL_test_value(L, idx))
    tcL_error(L, "%s: expected a shape (a list of extents such as {N, 4}), got %s", fn,
              tcL_describe(L, idx));
  lua_Unsigned n = lua_rawlen(L, idx);
  if (n > TC_MAX_RANK)
    tcL_error(L, "%s: a shape of rank %d is more than the maximum rank %d", fn, (int)n,
              TC_MAX_RANK);
  for (int i = 0; i < (int)n; i++) {
    lua_rawgeti(L, idx, i + 1);
    char what[96];
    snprintf(what, sizeof what, "%s: shape entry %d", fn, i);
    shape[i] = tcL_to_ext(L, -1, allow_neg1, what);
    lua_pop(L, 1);
  }
  return (int)n;
}

const tc_sexpr *tcL_to_sexpr(lua_State *L, int idx, const char *fn, int *cserial) {
  tcL_ctx *c = tcL_ctx_of(L);
  tcL_value *v = tcL_test_value(L, idx);
  if (!v) {
    int t = lua_type(L, idx);
    if (t == LUA_TNUMBER || t == LUA_TBOOLEAN) return const_sexpr(L, idx, TC_DT_NONE);
    tcL_error(L, "%s: expected a scalar expression or a number, got %s", fn,
              tcL_describe(L, idx));
  }
  tcL_check_owner(L, v, fn);
  if (c->compute_depth == 0)
    tcL_error(L, "%s: %s can be used as a scalar only inside a compute body", fn,
              kind_name(v->kind));
  tc_loc loc = tcL_where(L);
  switch (v->kind) {
  case TCL_SEXPR:
    if (v->cserial && v->cserial != c->compute_serial)
      tcL_error(L, "%s: this scalar expression uses the index variables of another "
                   "compute (they mean something only in their own body)", fn);
    if (v->cserial > *cserial) *cserial = v->cserial;
    return v->se;
  case TCL_RVAR: return tc_sexpr_rvar(&c->m->arena, v->rvar, loc);
  case TCL_EXT: return tc_sexpr_extent(&c->m->arena, v->ext, loc);
  case TCL_TENSOR: {
    const tc_node *n = tcL_node(L, v->node);
    if (n->rank == 0) {
      /* A rank-0 tensor is a scalar: read its one element. */
      const tc_sexpr *se = tc_sexpr_load(c->k, &c->m->arena, v->node, 0, NULL, loc, &c->diag);
      if (!se) tcL_raise_diag(L);
      return se;
    }
    tcL_error(L, "%s: a whole tensor of rank %d is used where a scalar is needed; "
                 "use x(i, ...) to read an element", fn, n->rank);
  }
  }
  return NULL;
}

/* ---- elementwise operations -------------------------------------------- */

int tcL_elementwise(lua_State *L, tc_op op, int first, int n, double num,
                    const char *fn) {
  tcL_ctx *c = tcL_ctx_of(L);
  tc_kernel *k = tcL_kernel(L);
  int scalar = 0, tensor = 0;
  tc_dtype other = TC_DT_NONE;
  for (int i = 0; i < n; i++) {
    int idx = first + i;
    tcL_value *v = tcL_test_value(L, idx);
    if (!v) {
      int t = lua_type(L, idx);
      if (t != LUA_TNUMBER && t != LUA_TBOOLEAN)
        tcL_error(L, "%s: argument %d: expected a tensor or a number, got %s", fn, i + 1,
                  tcL_describe(L, idx));
      continue;
    }
    tcL_check_owner(L, v, fn);
    if (v->kind == TCL_SEXPR || v->kind == TCL_RVAR) scalar = 1;
    if (v->kind == TCL_TENSOR) tensor = 1;
    /* where's condition does not take part in the promotion */
    if (!(op == TC_OP_WHERE && i == 0)) other = promote(other, value_dtype(L, v));
  }
  /* Only extents and numbers: a scalar inside compute, else a tensor. */
  if (!scalar && !tensor && c->compute_depth > 0) scalar = 1;
  tc_loc loc;
  if (scalar) {
    const tc_sexpr *args[3];
    int cs = 0;
    for (int i = 0; i < n; i++) {
      int idx = first + i;
      if (!tcL_test_value(L, idx))
        args[i] = const_sexpr(L, idx, op == TC_OP_WHERE && i == 0 ? TC_DT_NONE : other);
      else
        args[i] = tcL_to_sexpr(L, idx, fn, &cs);
    }
    loc = tcL_where(L);
    const tc_sexpr *r = tc_sexpr_elementwise(&c->m->arena, op, n, args, num, loc, &c->diag);
    if (!r) tcL_raise_diag(L);
    tcL_push_sexpr(L, r, cs);
    return 1;
  }
  int in[3];
  for (int i = 0; i < n; i++) {
    int idx = first + i;
    if (!tcL_test_value(L, idx))
      in[i] = const_node(L, idx, op == TC_OP_WHERE && i == 0 ? TC_DT_NONE : other);
    else
      in[i] = tcL_to_node(L, idx, fn);
  }
  loc = tcL_where(L);
  tcL_push_node(L, tc_graph_elementwise(k, &c->m->arena, op, n, in, num, loc, &c->diag));
  return 1;
}

/* ---- operators ----------------------------------------------------------- */

/* Extent arithmetic: `a OP b` where both are extents or Lua integers (one
   at least an extent) stays an extent when the result is one (spec: + - *
   of extents, // by a positive integer).  Returns 1 with the extent
   pushed, or 0 to fall back on scalar arithmetic. */
static int ext_arith(lua_State *L, tc_ext_kind kind) {
  tcL_ctx *c = tcL_ctx_of(L);
  const tc_ext *e[2];
  int64_t iv[2];
  int isint[2], anyext = 0;
  for (int i = 0; i < 2; i++) {
    tcL_value *v = tcL_test_value(L, i + 1);
    isint[i] = 0;
    if (v && v->kind == TCL_EXT) {
      tcL_check_owner(L, v, "extent arithmetic");
      e[i] = v->ext;
      anyext = 1;
    } else if (!v && lua_isinteger(L, i + 1)) {
      iv[i] = lua_tointeger(L, i + 1);
      isint[i] = 1;
      e[i] = NULL;
    } else {
      return 0;
    }
  }
  if (!anyext) return 0;
  tc_arena *ar = &c->m->arena;
  switch (kind) {
  case TC_EXT_ADD:
  case TC_EXT_SUB:
    break; /* tc_ext_binary writes N + -1 as N - 1 */
  case TC_EXT_MUL:
    if ((isint[0] && iv[0] < 0) || (isint[1] && iv[1] < 0)) return 0;
    break;
  case TC_EXT_FLOORDIV:
    if (isint[0] || !isint[1] || iv[1] <= 0) return 0;
    break;
  default: return 0;
  }
  for (int i = 0; i < 2; i++)
    if (isint[i]) e[i] = tc_ext_const(ar, iv[i]);
  tcL_push_ext(L, tc_ext_binary(ar, kind, e[0], e[1]));
  return 1;
}

/* The arithmetic metamethods.  `ext` says whether the operator has an
   extent form (+ - * //), tried first. */
#define ARITH(name, op, ext, ek, sym)                               \
  static int name(lua_State *L) {                                   \
    if ((ext) && ext_arith(L, ek)) return 1;                        \
    return tcL_elementwise(L, op, 1, 2, 0, "'" sym "'");            \
  }
ARITH(m_add, TC_OP_ADD, 1, TC_EXT_ADD, "+")
ARITH(m_sub, TC_OP_SUB, 1, TC_EXT_SUB, "-")
ARITH(m_mul, TC_OP_MUL, 1, TC_EXT_MUL, "*")
ARITH(m_idiv, TC_OP_FLOORDIV, 1, TC_EXT_FLOORDIV, "//")
ARITH(m_div, TC_OP_DIV, 0, TC_EXT_CONST, "/")
ARITH(m_mod, TC_OP_MOD, 0, TC_EXT_CONST, "%")
ARITH(m_pow, TC_OP_POW, 0, TC_EXT_CONST, "^")
#undef ARITH

static int m_unm(lua_State *L) {
  return tcL_elementwise(L, TC_OP_NEG, 1, 1, 0, "unary '-'");
}

static int m_compare(lua_State *L) {
  return tcL_error(L, "Lua's comparison operators cannot compare tensors; use lt(a, b), "
                      "le(a, b), gt(a, b), ge(a, b), eq(a, b) or ne(a, b)");
}

/* a == b: the same value.  Extents compare by structure (N * 2 == 2 * N
   after simplification), everything else by identity; eq(a, b) builds
   the elementwise comparison. */
static int m_eq(lua_State *L) {
  tcL_value *a = tcL_test_value(L, 1), *b = tcL_test_value(L, 2);
  int same = 0;
  if (a && b && a->kind == b->kind && a->kserial == b->kserial) {
    switch (a->kind) {
    case TCL_TENSOR: same = a->node == b->node; break;
    case TCL_SEXPR: same = a->se == b->se; break;
    case TCL_EXT: same = tc_ext_equal(a->ext, b->ext); break;
    case TCL_RVAR: same = a->rvar == b->rvar; break;
    }
  }
  lua_pushboolean(L, same);
  return 1;
}

static int m_len(lua_State *L) {
  return tcL_error(L, "'#' does not apply to DSL values; use x.shape or x.rank");
}

static int m_concat(lua_State *L) {
  return tcL_error(L, "'..' does not apply to DSL values; use tostring(x)");
}

static int m_newindex(lua_State *L) {
  return tcL_error(L, "DSL values are immutable");
}

/* T(i, j, ...): one element of T, inside a compute body. */
static int m_call(lua_State *L) {
  tcL_ctx *c = tcL_ctx_of(L);
  tcL_value *v = tcL_test_value(L, 1);
  if (v->kind != TCL_TENSOR)
    tcL_error(L, "%s cannot be called (only a tensor can: T(i, ...) reads an element)",
              kind_name(v->kind));
  tcL_check_owner(L, v, "element read");
  if (c->compute_depth == 0)
    tcL_error(L, "x(i, ...) reads an element and is only allowed inside a compute body");
  int n = lua_gettop(L) - 1;
  int rank = tcL_node(L, v->node)->rank;
  if (n != rank)
    tcL_error(L, "element read: a tensor of rank %d takes %d indices, got %d", rank, rank, n);
  const tc_sexpr *idx[TC_MAX_RANK];
  int cs = 0;
  for (int i = 0; i < n; i++) {
    char what[64];
    snprintf(what, sizeof what, "element read: index %d", i);
    if (lua_type(L, i + 2) == LUA_TNUMBER && !lua_isinteger(L, i + 2))
      tcL_error(L, "%s: an index must be an integer, got %g", what, lua_tonumber(L, i + 2));
    idx[i] = tcL_to_sexpr(L, i + 2, what, &cs);
  }
  const tc_sexpr *r =
      tc_sexpr_load(c->k, &c->m->arena, v->node, n, idx, tcL_where(L), &c->diag);
  if (!r) tcL_raise_diag(L);
  tcL_push_sexpr(L, r, cs);
  return 1;
}

/* The names of the current kernel's dims, for printing extents. */
static const char *const *dim_names(lua_State *L) {
  tcL_ctx *c = tcL_ctx_of(L);
  int n = c->k ? c->k->dims.len : 0;
  const char **names = lua_newuserdatauv(L, sizeof *names * (size_t)(n + 1), 0);
  for (int i = 0; i < n; i++) names[i] = c->k->dims.data[i].name;
  names[n] = NULL;
  return names;
}

static void print_shape(lua_State *L, tc_buf *b, int id) {
  const char *const *names = dim_names(L); /* allocates: take n after it */
  const tc_node *n = tcL_node(L, id);
  tc_buf_puts(b, tc_dtype_name(n->dtype));
  tc_buf_putc(b, '[');
  for (int i = 0; i < n->rank; i++) {
    if (i) tc_buf_puts(b, ", ");
    tc_ext_print(b, n->shape[i], names, 1);
  }
  tc_buf_putc(b, ']');
  lua_pop(L, 1);
}

static int m_tostring(lua_State *L) {
  tcL_ctx *c = tcL_ctx_of(L);
  tcL_value *v = tcL_test_value(L, 1);
  if (v->kserial != c->kserial || !c->k) {
    lua_pushfstring(L, "%s of another kernel", kind_name(v->kind));
    return 1;
  }
  tc_buf b = {0};
  switch (v->kind) {
  case TCL_TENSOR:
    tc_buf_puts(&b, "tensor ");
    print_shape(L, &b, v->node);
    break;
  case TCL_SEXPR:
    tc_buf_printf(&b, "scalar %s ", tc_dtype_name(v->se->dtype));
    tc_sexpr_print(&b, v->se, c->k);
    break;
  case TCL_EXT:
    tc_buf_puts(&b, "extent ");
    tc_ext_print(&b, v->ext, dim_names(L), 1);
    lua_pop(L, 1);
    break;
  case TCL_RVAR:
    tc_buf_puts(&b, "rvar over ");
    tc_ext_print(&b, c->k->rvars.data[v->rvar].ext, dim_names(L), 1);
    lua_pop(L, 1);
    break;
  }
  lua_pushstring(L, b.data ? b.data : "");
  tc_buf_free(&b);
  return 1;
}

/* Push an extent as a Lua integer when it is constant, else as a value. */
static void push_extent(lua_State *L, const tc_ext *e) {
  int64_t v;
  if (tc_ext_is_const(e, &v))
    lua_pushinteger(L, v);
  else
    tcL_push_ext(L, e);
}

/* x.name: a method (upvalue 1 is the methods table), or one of the
   properties dtype, rank and shape. */
static int m_index(lua_State *L) {
  tcL_ctx *c = tcL_ctx_of(L);
  tcL_value *v = tcL_test_value(L, 1);
  const char *key = lua_tostring(L, 2);
  if (lua_type(L, 2) != LUA_TSTRING)
    tcL_error(L, "%s cannot be indexed with %s (x(i, ...) reads an element)",
              kind_name(v->kind), tcL_describe(L, 2));
  lua_pushvalue(L, 2);
  if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 1;
  lua_pop(L, 1);
  int owned = v->kserial == c->kserial && c->k;
  if (owned && (v->kind == TCL_TENSOR || v->kind == TCL_SEXPR) && strcmp(key, "dtype") == 0) {
    lua_pushstring(L, tc_dtype_name(value_dtype(L, v)));
    return 1;
  }
  if (owned && v->kind == TCL_TENSOR) {
    /* The shape array lives in the arena; the node may move when Lua
       allocates, so only its fields are kept. */
    const tc_node *n = tcL_node(L, v->node);
    int rank = n->rank;
    const tc_ext *const *shape = n->shape;
    if (strcmp(key, "rank") == 0) {
      lua_pushinteger(L, rank);
      return 1;
    }
    if (strcmp(key, "shape") == 0) {
      lua_createtable(L, rank, 0);
      for (int i = 0; i < rank; i++) {
        push_extent(L, shape[i]);
        lua_rawseti(L, -2, i + 1);
      }
      return 1;
    }
  }
  return tcL_error(L, "%s has no field or method '%s'", kind_name(v->kind), key);
}

void tcL_open_values(lua_State *L) {
  static const luaL_Reg meta[] = {
      {"__add", m_add},       {"__sub", m_sub},           {"__mul", m_mul},
      {"__div", m_div},       {"__idiv", m_idiv},         {"__mod", m_mod},
      {"__pow", m_pow},       {"__unm", m_unm},           {"__lt", m_compare},     {"__eq", m_eq},
      {"__le", m_compare},    {"__len", m_len},           {"__concat", m_concat},
      {"__newindex", m_newindex}, {"__call", m_call},     {"__tostring", m_tostring},
      {NULL, NULL}};
  luaL_newmetatable(L, TCL_VALUE_MT);
  luaL_setfuncs(L, meta, 0);
  /* getmetatable(x) gives this string, and the metatable stays ours. */
  lua_pushliteral(L, "tensorc value");
  lua_setfield(L, -2, "__metatable");
  lua_newtable(L); /* the methods, filled by the prelude */
  lua_pushvalue(L, -1);
  lua_pushcclosure(L, m_index, 1);
  lua_setfield(L, -3, "__index");
  lua_remove(L, -2); /* leave the methods table */
}
