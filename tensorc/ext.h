/*
 * ext.h: extents, the sizes of tensor axes.  An extent is an integer, a
 * dim (a symbolic int64 given at run time) or an expression of extents.
 * Extents are immutable and live in a module's arena; the constructors
 * fold constants and simplify (x + 0, 1 * x, ...), so two extents that are
 * structurally equal after construction are known to be equal.
 */
#ifndef TC_EXT_H
#define TC_EXT_H

#include "tc.h"

typedef enum tc_ext_kind {
  TC_EXT_CONST,    /* value */
  TC_EXT_DIM,      /* dims[dim] */
  TC_EXT_ADD,      /* a + b */
  TC_EXT_SUB,      /* a - b */
  TC_EXT_MUL,      /* a * b */
  TC_EXT_FLOORDIV, /* a // b, b > 0 (the DSL allows only a positive constant b) */
  TC_EXT_MAX,      /* max(a, b): internal, from slice clamping */
  TC_EXT_MIN       /* min(a, b): internal */
} tc_ext_kind;

typedef struct tc_ext tc_ext;
struct tc_ext {
  tc_ext_kind kind;
  int64_t value;        /* CONST */
  int dim;              /* DIM: index into the kernel's dims */
  const tc_ext *a, *b;  /* operands */
};

const tc_ext *tc_ext_const(tc_arena *ar, int64_t v);
const tc_ext *tc_ext_dim(tc_arena *ar, int dim);
/* a OP b, simplified: constants folded, x+0, x-0, x*1, x*0, x//1, x-x,
   constant terms and factors merged ("N - 4 + 4" is N), operands of the
   commutative kinds put in one order, max(x, 0) of a non-negative x.
   FLOORDIV by a non-constant b is allowed internally (reshape with -1);
   evaluation fails when b <= 0. */
const tc_ext *tc_ext_binary(tc_arena *ar, tc_ext_kind kind, const tc_ext *a,
                            const tc_ext *b);

/* 1 and sets *v when e is a constant. */
int tc_ext_is_const(const tc_ext *e, int64_t *v);
/* Structural equality (after the constructors' simplification). */
int tc_ext_equal(const tc_ext *a, const tc_ext *b);
/* Evaluate with the given dim values.  Returns TC_OK, or TC_EINVAL when
   the arithmetic overflows int64, a divisor is <= 0, or the result is
   negative.  Only the result's sign is checked: intermediate values may be
   negative (slice bounds are clamped with max after a subtraction), and
   // rounds toward minus infinity as in the DSL. */
int tc_ext_eval(const tc_ext *e, const int64_t *dims, int64_t *out);
/* Append the extent as DSL or C text, naming dim i by dim_names[i] (or
   "d<i>" when dim_names is NULL).
   DSL text (dsl != 0): "(W - 3)//2 + 1", "max(N - 1, 0)".
   C text (dsl == 0): parenthesized as a whole, "((W - 3)//2 + 1)" is
   written "(tc_fdiv(W - 3, 2) + 1)" because C's / truncates toward zero;
   max/min are tc_max64(a, b)/tc_min64(a, b).  The emitter defines
     static int64_t tc_fdiv(int64_t a, int64_t b);  floor division, b > 0
     static int64_t tc_max64(int64_t a, int64_t b);
     static int64_t tc_min64(int64_t a, int64_t b);
   in every file that uses extents. */
void tc_ext_print(tc_buf *b, const tc_ext *e, const char *const *dim_names,
                  int dsl);

#endif
