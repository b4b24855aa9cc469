/*
 * ref_internal.h: what the files of the reference interpreter (rt/ref)
 * share.  Nothing here is used outside rt/ref.
 *
 * Every value is held wide: floats (f32 f64 bf16) as double, integers and
 * bool as int64_t, always already rounded to the value's dtype (f32 and
 * bf16 rounded as stored, integers wrapped to their width, bool 0/1).
 */
#ifndef TC_REF_INTERNAL_H
#define TC_REF_INTERNAL_H

#include "../rt.h"

/* One scalar: `f` when its dtype is a float, `i` otherwise. */
typedef struct tcR_scalar {
  double f;
  int64_t i;
} tcR_scalar;

/* v rounded to float dtype t (f32: to float; bf16: to float, then to
   nearest even bf16; f64: unchanged). */
double tcR_ref_round(tc_dtype t, double v);
/* v wrapped to integer dtype t (two's complement truncation); bool: 0/1. */
int64_t tcR_ref_wrap(tc_dtype t, int64_t v);
/* Convert a scalar of dtype `from` to dtype `to` with the DSL's cast rules:
   float to integer truncates and saturates (NaN gives 0), to bool is
   "nonzero", integers wrap. */
tcR_scalar tcR_ref_convert(tc_dtype from, tcR_scalar v, tc_dtype to);

/* Apply elementwise op (UNARY, BINARY, TERNARY or CMP, not CAST) to args
   whose dtype is `ct` (WHERE: args[0] is bool, args[1..2] of ct), giving a
   value of dtype `rt` (bool for CMP ops, else ct) in *out.  num is
   LEAKY_RELU's slope.  Returns TC_OK, or TC_EINVAL for an integer // or %
   by zero. */
int tcR_ref_elementwise(tc_op op, tc_dtype ct, tc_dtype rt,
                        const tcR_scalar *args, double num, tcR_scalar *out);

#endif
