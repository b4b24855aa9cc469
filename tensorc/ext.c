/*
 * ext.c: extents.  The constructors keep extents in a canonical form so
 * that tc_ext_equal, a structural comparison, recognizes as many equal
 * extents as it cheaply can:
 *   - constants are folded (unless the result would overflow int64, in
 *     which case the expression is kept and tc_ext_eval reports it);
 *   - the constant of a sum or a product is its right operand, and a
 *     constant added to a sum is merged with the sum's constant, so
 *     "N - 4 + 4" is "N" and "4 * N * 2" is "N * 8";
 *   - a negative constant added is written as a subtraction ("N - 4");
 *   - the two non-constant operands of + * max min are ordered by
 *     ext_cmp, so "N * M" and "M * N" are one extent;
 *   - max and min are folded where an operand is known non-negative
 *     (every dim is: a negative dim is rejected before any extent is
 *     evaluated).
 */
#include "ext.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>

const tc_ext *tc_ext_const(tc_arena *ar, int64_t v) {
  tc_ext *e = tc_arena_alloc(ar, sizeof *e);
  e->kind = TC_EXT_CONST;
  e->value = v;
  return e;
}

const tc_ext *tc_ext_dim(tc_arena *ar, int dim) {
  assert(dim >= 0);
  tc_ext *e = tc_arena_alloc(ar, sizeof *e);
  e->kind = TC_EXT_DIM;
  e->dim = dim;
  return e;
}

int tc_ext_is_const(const tc_ext *e, int64_t *v) {
  if (e->kind != TC_EXT_CONST)
    return 0;
  if (v)
    *v = e->value;
  return 1;
}

/* A total order on extents (kind, then value or dim, then operands), used
   to put commutative operands in one order. */
static int ext_cmp(const tc_ext *a, const tc_ext *b) {
  if (a == b)
    return 0;
  if (a->kind != b->kind)
    return a->kind < b->kind ? -1 : 1;
  switch (a->kind) {
  case TC_EXT_CONST:
    return a->value < b->value ? -1 : a->value > b->value;
  case TC_EXT_DIM:
    return a->dim < b->dim ? -1 : a->dim > b->dim;
  default: {
    int c = ext_cmp(a->a, b->a);
    return c ? c : ext_cmp(a->b, b->b);
  }
  }
}

int tc_ext_equal(const tc_ext *a, const tc_ext *b) {
  return ext_cmp(a, b) == 0;
}

/* 1 when e is >= 0 for every non-negative value of the dims. */
static int ext_nonneg(const tc_ext *e) {
  switch (e->kind) {
  case TC_EXT_CONST:
    return e->value >= 0;
  case TC_EXT_DIM:
    return 1;
  case TC_EXT_ADD:
  case TC_EXT_MUL:
  case TC_EXT_MIN:
    return ext_nonneg(e->a) && ext_nonneg(e->b);
  case TC_EXT_FLOORDIV:
    return ext_nonneg(e->a); /* b > 0 or evaluation fails */
  case TC_EXT_MAX:
    return ext_nonneg(e->a) || ext_nonneg(e->b);
  case TC_EXT_SUB:
    /* a - min(a, x) and a - min(x, a) are >= 0 */
    return e->b->kind == TC_EXT_MIN &&
           (tc_ext_equal(e->b->a, e->a) || tc_ext_equal(e->b->b, e->a));
  }
  return 0;
}

static const tc_ext *mk(tc_arena *ar, tc_ext_kind kind, const tc_ext *a,
                        const tc_ext *b) {
  tc_ext *e = tc_arena_alloc(ar, sizeof *e);
  e->kind = kind;
  e->a = a;
  e->b = b;
  return e;
}

/* x + c, merged with a constant term of x, written as x - |c| when c < 0. */
static const tc_ext *add_const(tc_arena *ar, const tc_ext *x, int64_t c) {
  int64_t v;
  if (tc_ext_is_const(x, &v) && !__builtin_add_overflow(v, c, &v))
    return tc_ext_const(ar, v);
  if ((x->kind == TC_EXT_ADD || x->kind == TC_EXT_SUB) &&
      tc_ext_is_const(x->b, &v)) {
    int64_t sum;
    int bad = x->kind == TC_EXT_ADD ? __builtin_add_overflow(v, c, &sum)
                                    : __builtin_sub_overflow(c, v, &sum);
    if (!bad)
      return add_const(ar, x->a, sum);
  }
  if (c == 0)
    return x;
  if (c < 0 && c != INT64_MIN)
    return mk(ar, TC_EXT_SUB, x, tc_ext_const(ar, -c));
  return mk(ar, TC_EXT_ADD, x, tc_ext_const(ar, c));
}

/* x * c, merged with a constant factor of x. */
static const tc_ext *mul_const(tc_arena *ar, const tc_ext *x, int64_t c) {
  int64_t v;
  if (tc_ext_is_const(x, &v) && !__builtin_mul_overflow(v, c, &v))
    return tc_ext_const(ar, v);
  if (c == 0)
    return tc_ext_const(ar, 0);
  if (c == 1)
    return x;
  if (x->kind == TC_EXT_MUL && tc_ext_is_const(x->b, &v) &&
      !__builtin_mul_overflow(v, c, &v))
    return mul_const(ar, x->a, v);
  return mk(ar, TC_EXT_MUL, x, tc_ext_const(ar, c));
}

static int64_t floordiv64(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0)))
    q--;
  return q;
}

const tc_ext *tc_ext_binary(tc_arena *ar, tc_ext_kind kind, const tc_ext *a,
                            const tc_ext *b) {
  assert(a && b);
  int64_t va = 0, vb = 0;
  int ca = tc_ext_is_const(a, &va), cb = tc_ext_is_const(b, &vb);
  switch (kind) {
  case TC_EXT_ADD:
    if (ca && !cb)
      return tc_ext_binary(ar, kind, b, a);
    if (cb)
      return add_const(ar, a, vb);
    /* lift constant terms out so that they meet and fold */
    if ((a->kind == TC_EXT_ADD || a->kind == TC_EXT_SUB) &&
        tc_ext_is_const(a->b, NULL))
      return tc_ext_binary(ar, a->kind, tc_ext_binary(ar, kind, a->a, b), a->b);
    if ((b->kind == TC_EXT_ADD || b->kind == TC_EXT_SUB) &&
        tc_ext_is_const(b->b, NULL))
      return tc_ext_binary(ar, b->kind, tc_ext_binary(ar, kind, a, b->a), b->b);
    if (ext_cmp(a, b) > 0)
      return mk(ar, kind, b, a);
    return mk(ar, kind, a, b);
  case TC_EXT_SUB:
    if (tc_ext_equal(a, b))
      return tc_ext_const(ar, 0);
    if (cb && vb != INT64_MIN)
      return add_const(ar, a, -vb);
    if (ca && cb) /* only INT64_MIN is left here */
      break;
    /* (x + c) - y is (x - y) + c, so that "N + 1 - N" folds */
    if ((a->kind == TC_EXT_ADD || a->kind == TC_EXT_SUB) &&
        tc_ext_is_const(a->b, NULL))
      return tc_ext_binary(ar, a->kind, tc_ext_binary(ar, kind, a->a, b), a->b);
    /* x - (y + c) is (x - y) - c and x - (y - c) is (x - y) + c */
    if ((b->kind == TC_EXT_ADD || b->kind == TC_EXT_SUB) &&
        tc_ext_is_const(b->b, NULL))
      return tc_ext_binary(ar, b->kind == TC_EXT_ADD ? TC_EXT_SUB : TC_EXT_ADD,
                           tc_ext_binary(ar, kind, a, b->a), b->b);
    return mk(ar, kind, a, b);
  case TC_EXT_MUL:
    if (ca && !cb)
      return tc_ext_binary(ar, kind, b, a);
    if (cb)
      return mul_const(ar, a, vb);
    if (ext_cmp(a, b) > 0)
      return mk(ar, kind, b, a);
    return mk(ar, kind, a, b);
  case TC_EXT_FLOORDIV:
    if (cb && vb > 0) {
      if (ca)
        return tc_ext_const(ar, floordiv64(va, vb));
      if (vb == 1)
        return a;
      /* (x * c1) // c2 is x * (c1 / c2) when c2 divides c1, and
         x // (c2 / c1) when c1 > 0 divides c2 */
      int64_t f;
      if (a->kind == TC_EXT_MUL && tc_ext_is_const(a->b, &f)) {
        if (f % vb == 0)
          return mul_const(ar, a->a, f / vb);
        if (f > 0 && vb % f == 0)
          return tc_ext_binary(ar, kind, a->a, tc_ext_const(ar, vb / f));
      }
      /* (x // c1) // c2 is x // (c1 * c2) for positive c1, c2 */
      if (a->kind == TC_EXT_FLOORDIV && tc_ext_is_const(a->b, &f) && f > 0 &&
          !__builtin_mul_overflow(f, vb, &f))
        return tc_ext_binary(ar, kind, a->a, tc_ext_const(ar, f));
    }
    return mk(ar, kind, a, b);
  case TC_EXT_MAX:
  case TC_EXT_MIN:
    if (ca && cb)
      return tc_ext_const(ar, kind == TC_EXT_MAX ? (va > vb ? va : vb)
                                                 : (va < vb ? va : vb));
    if (tc_ext_equal(a, b))
      return a;
    if (ca && !cb)
      return tc_ext_binary(ar, kind, b, a);
    if (cb && vb == 0 && ext_nonneg(a))
      return kind == TC_EXT_MAX ? a : b;
    if (!cb && ext_cmp(a, b) > 0)
      return mk(ar, kind, b, a);
    return mk(ar, kind, a, b);
  default:
    assert(!"tc_ext_binary: not a binary kind");
  }
  return mk(ar, kind, a, b);
}

/* Evaluation without the final sign check: intermediate values may be
   negative (slice clamping subtracts before it takes a max). */
static int ext_eval(const tc_ext *e, const int64_t *dims, int64_t *out) {
  int64_t a, b;
  switch (e->kind) {
  case TC_EXT_CONST:
    *out = e->value;
    return TC_OK;
  case TC_EXT_DIM:
    *out = dims[e->dim];
    return TC_OK;
  default:
    break;
  }
  if (ext_eval(e->a, dims, &a) != TC_OK || ext_eval(e->b, dims, &b) != TC_OK)
    return TC_EINVAL;
  switch (e->kind) {
  case TC_EXT_ADD:
    return __builtin_add_overflow(a, b, out) ? TC_EINVAL : TC_OK;
  case TC_EXT_SUB:
    return __builtin_sub_overflow(a, b, out) ? TC_EINVAL : TC_OK;
  case TC_EXT_MUL:
    return __builtin_mul_overflow(a, b, out) ? TC_EINVAL : TC_OK;
  case TC_EXT_FLOORDIV:
    if (b <= 0)
      return TC_EINVAL;
    *out = floordiv64(a, b);
    return TC_OK;
  case TC_EXT_MAX:
    *out = a > b ? a : b;
    return TC_OK;
  case TC_EXT_MIN:
    *out = a < b ? a : b;
    return TC_OK;
  default:
    assert(!"ext_eval: bad kind");
    return TC_EINVAL;
  }
}

int tc_ext_eval(const tc_ext *e, const int64_t *dims, int64_t *out) {
  int64_t v;
  if (ext_eval(e, dims, &v) != TC_OK || v < 0)
    return TC_EINVAL;
  *out = v;
  return TC_OK;
}

/* Precedence for parenthesizing: + - are 1, * and DSL // are 2, atoms and
   calls are 3. */
static int ext_prec(const tc_ext *e, int dsl) {
  switch (e->kind) {
  case TC_EXT_ADD:
  case TC_EXT_SUB:
    return 1;
  case TC_EXT_MUL:
    return 2;
  case TC_EXT_FLOORDIV:
    return dsl ? 2 : 3;
  case TC_EXT_CONST:
    return e->value < 0 ? 0 : 3;
  default:
    return 3;
  }
}

static void ext_print(tc_buf *b, const tc_ext *e, const char *const *names,
                      int dsl, int min_prec) {
  int paren = ext_prec(e, dsl) < min_prec;
  if (paren)
    tc_buf_putc(b, '(');
  switch (e->kind) {
  case TC_EXT_CONST:
    tc_buf_printf(b, "%" PRId64, e->value);
    break;
  case TC_EXT_DIM:
    if (names)
      tc_buf_puts(b, names[e->dim]);
    else
      tc_buf_printf(b, "d%d", e->dim);
    break;
  case TC_EXT_ADD:
  case TC_EXT_SUB:
  case TC_EXT_MUL:
    ext_print(b, e->a, names, dsl, ext_prec(e, dsl));
    tc_buf_puts(b, e->kind == TC_EXT_ADD   ? " + "
                   : e->kind == TC_EXT_SUB ? " - "
                                           : " * ");
    ext_print(b, e->b, names, dsl, ext_prec(e, dsl) + 1);
    break;
  case TC_EXT_FLOORDIV:
    if (dsl) {
      ext_print(b, e->a, names, dsl, 2);
      tc_buf_puts(b, "//");
      ext_print(b, e->b, names, dsl, 3);
      break;
    }
    /* in C, a call: */
    /* fall through */
  case TC_EXT_MAX:
  case TC_EXT_MIN:
    tc_buf_puts(b, e->kind == TC_EXT_FLOORDIV ? (dsl ? "" : "tc_fdiv(")
                   : e->kind == TC_EXT_MAX    ? (dsl ? "max(" : "tc_max64(")
                                              : (dsl ? "min(" : "tc_min64("));
    ext_print(b, e->a, names, dsl, 0);
    tc_buf_puts(b, ", ");
    ext_print(b, e->b, names, dsl, 0);
    tc_buf_putc(b, ')');
    break;
  }
  if (paren)
    tc_buf_putc(b, ')');
}

void tc_ext_print(tc_buf *b, const tc_ext *e, const char *const *dim_names,
                  int dsl) {
  /* C text is parenthesized as a whole so that it can be pasted anywhere */
  ext_print(b, e, dim_names, dsl, dsl ? 0 : 3);
}
