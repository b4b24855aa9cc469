/*
 * promote.h: the dtype rules of elementwise operations, shared by the
 * graph constructors (graph.c) and the scalar expression constructors
 * (sexpr.c) so that a tensor op and the same op in a compute body agree.
 * Internal to the core.
 *
 * Promotion is PyTorch's, by category bool < integer < float:
 *   - across categories the higher one wins (i32 + f32 is f32, bool + u8
 *     is u8);
 *   - floats: bf16 < f32 < f64, the wider wins (bf16 + f32 is f32);
 *   - integers: the wider wins; a signed and an unsigned of equal width
 *     (i8 + u8) give i32, because PyTorch's answer, int16, is not a dtype
 *     here.
 */
#ifndef TC_PROMOTE_H
#define TC_PROMOTE_H

#include "ops.h"
#include "tc.h"

/* The common dtype of a and b (TC_DT_NONE is the identity). */
tc_dtype tc_dtype_promote(tc_dtype a, tc_dtype b);

/* The dtypes of an elementwise op (not CAST) whose n operands have the
   dtypes in[]: fills want[i], the dtype operand i must be cast to, and
   returns the result's dtype.  Beyond promotion:
   - float functions (exp ... hardswish, leaky_relu) and `/` compute
     integer and bool operands in f32;
   - arithmetic on bool (add, neg, maximum, clamp, ...) computes in i64;
   - comparisons compare in the promoted dtype and give bool;
   - logical_and/or/not take bool operands (nonzero is true);
   - where takes a bool condition and promotes a and b. */
tc_dtype tc_elementwise_dtypes(tc_op op, int n, const tc_dtype *in,
                               tc_dtype *want);

/* 1 when `op` computes only on floats (integer operands are cast to f32). */
int tc_op_is_float_only(tc_op op);

/* Convert a constant value of dtype `from` (num for floats, inum for
   integers and bool) to dtype `to`, with cast()'s semantics: float to
   integer rounds toward zero and saturates (NaN gives 0), integers wrap
   to the target's width, anything nonzero is a true bool, f32 and bf16
   values are rounded to their precision.  Sets both *num and *inum. */
void tc_value_convert(tc_dtype from, double num, int64_t inum, tc_dtype to,
                      double *onum, int64_t *oinum);

#endif
