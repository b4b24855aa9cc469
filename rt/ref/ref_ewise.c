/*
 * ref_ewise.c: the reference interpreter's elementwise functions and
 * conversions, written for clarity and for agreement with NumPy/PyTorch
 * rather than for speed.  One table indexed by tc_op gives, per op, a
 * function on doubles and (where the op means something on integers) a
 * function on int64 values; integer arithmetic wraps, done in uint64 so it
 * is never undefined behaviour.
 */
#include <assert.h>
#include <math.h>
#include <string.h>

#include "ref_internal.h"

/* ---- rounding and conversion ------------------------------------------- */

double tcR_ref_round(tc_dtype t, double v) {
  switch (t) {
  case TC_DT_F64:
    return v;
  case TC_DT_F32:
    return (double)(float)v;
  case TC_DT_BF16:
    return (double)tc_bf16_to_f32(tc_bf16_from_f32((float)v));
  default:
    assert(!"tcR_ref_round: not a float dtype");
    return v;
  }
}

int64_t tcR_ref_wrap(tc_dtype t, int64_t v) {
  uint64_t u = (uint64_t)v;
  switch (t) {
  case TC_DT_I8:
    return (int64_t)(int8_t)(uint8_t)u; /* gcc/clang: modulo 2^8 */
  case TC_DT_U8:
    return (int64_t)(u & 0xffu);
  case TC_DT_I32:
    return (int64_t)(int32_t)(uint32_t)u;
  case TC_DT_I64:
    return v;
  case TC_DT_BOOL:
    return v != 0;
  default:
    assert(!"tcR_ref_wrap: not an integer dtype");
    return v;
  }
}

/* The saturating float-to-integer conversion of the DSL's cast: round
   toward zero, clamp to the target's range, NaN gives 0.  The bounds are
   compared as doubles before converting, so no conversion overflows. */
static int64_t float_to_int(double v, tc_dtype t) {
  if (isnan(v)) return 0;
  double lo, hi;
  int64_t ilo, ihi;
  switch (t) {
  case TC_DT_I8: ilo = INT8_MIN, ihi = INT8_MAX; break;
  case TC_DT_U8: ilo = 0, ihi = UINT8_MAX; break;
  case TC_DT_I32: ilo = INT32_MIN, ihi = INT32_MAX; break;
  default: ilo = INT64_MIN, ihi = INT64_MAX; break;
  }
  lo = (double)ilo;
  hi = (double)ihi; /* INT64_MAX rounds up to 2^63, which is out of range */
  if (v <= lo) return ilo;
  if (v >= hi) return ihi;
  return (int64_t)v;
}

tcR_scalar tcR_ref_convert(tc_dtype from, tcR_scalar v, tc_dtype to) {
  tcR_scalar r = {0, 0};
  int ff = tc_dtype_is_float(from), tf = tc_dtype_is_float(to);
  if (ff && tf)
    r.f = tcR_ref_round(to, v.f);
  else if (ff && to == TC_DT_BOOL)
    r.i = v.f != 0; /* NaN is nonzero, as in PyTorch */
  else if (ff)
    r.i = float_to_int(v.f, to);
  else if (tf)
    r.f = tcR_ref_round(to, (double)v.i);
  else
    r.i = tcR_ref_wrap(to, v.i);
  return r;
}

/* ---- float functions ----------------------------------------------------- */

typedef double (*fn_f)(const double *a, double num);
typedef int (*fn_i)(const int64_t *a, double num, int64_t *out);

static double relu6_d(double x) {
  if (isnan(x)) return x;
  return x < 0 ? 0 : x > 6 ? 6 : x;
}
static double sigmoid_d(double x) {
  /* Both branches avoid exp overflow to inf / inf. */
  if (x >= 0) return 1 / (1 + exp(-x));
  double e = exp(x);
  return e / (1 + e);
}
/* Round half to even, exact for every double (no dependence on the
   current rounding mode). */
static double round_even(double x) {
  double r = floor(x), d = x - r;
  if (d > 0.5 || (d == 0.5 && fmod(r, 2) != 0)) r += 1;
  if (r == 0) r = copysign(0.0, x); /* round(-0.4) is -0.0, as in NumPy */
  return isfinite(x) ? r : x;
}
/* NumPy's npy_divmod (numpy/core/src/npymath/npy_math_internal.h.src):
   the floor quotient and the remainder with the divisor's sign, as Python
   defines them; division by zero gives a / b and NaN. */
static double divmod_d(double a, double b, double *modulus) {
  double mod = fmod(a, b);
  if (b == 0) {
    *modulus = mod;
    return a / b;
  }
  double div = (a - mod) / b;
  if (mod != 0) {
    if ((b < 0) != (mod < 0)) {
      mod += b;
      div -= 1.0;
    }
  } else {
    mod = copysign(0, b);
  }
  double floordiv;
  if (div != 0) {
    floordiv = floor(div);
    if (div - floordiv > 0.5) floordiv += 1.0;
  } else {
    floordiv = copysign(0, a / b);
  }
  *modulus = mod;
  return floordiv;
}

static double f_abs(const double *a, double n) { return fabs(a[0]); }
static double f_neg(const double *a, double n) { return -a[0]; }
static double f_exp(const double *a, double n) { return exp(a[0]); }
static double f_exp2(const double *a, double n) { return exp2(a[0]); }
static double f_log(const double *a, double n) { return log(a[0]); }
static double f_log2(const double *a, double n) { return log2(a[0]); }
static double f_log1p(const double *a, double n) { return log1p(a[0]); }
static double f_expm1(const double *a, double n) { return expm1(a[0]); }
static double f_sqrt(const double *a, double n) { return sqrt(a[0]); }
static double f_rsqrt(const double *a, double n) { return 1 / sqrt(a[0]); }
static double f_reciprocal(const double *a, double n) { return 1 / a[0]; }
static double f_sin(const double *a, double n) { return sin(a[0]); }
static double f_cos(const double *a, double n) { return cos(a[0]); }
static double f_tanh(const double *a, double n) { return tanh(a[0]); }
static double f_sigmoid(const double *a, double n) { return sigmoid_d(a[0]); }
static double f_erf(const double *a, double n) { return erf(a[0]); }
static double f_floor(const double *a, double n) { return floor(a[0]); }
static double f_ceil(const double *a, double n) { return ceil(a[0]); }
static double f_round(const double *a, double n) { return round_even(a[0]); }
static double f_trunc(const double *a, double n) { return trunc(a[0]); }
/* NumPy's sign: NaN stays NaN, zeros keep their sign. */
static double f_sign(const double *a, double n) {
  return a[0] > 0 ? 1.0 : a[0] < 0 ? -1.0 : a[0];
}
static double f_relu(const double *a, double n) {
  return isnan(a[0]) ? a[0] : a[0] > 0 ? a[0] : 0.0;
}
static double f_relu6(const double *a, double n) { return relu6_d(a[0]); }
static double f_silu(const double *a, double n) { return a[0] * sigmoid_d(a[0]); }
/* 0.5 x (1 + erf(x/sqrt2)) written with erfc, which keeps its accuracy
   where 1 + erf(..) cancels (x very negative). */
static double f_gelu(const double *a, double n) {
  return 0.5 * a[0] * erfc(-a[0] * M_SQRT1_2);
}
static double f_gelu_tanh(const double *a, double n) {
  double x = a[0];
  double k = sqrt(2.0 / M_PI);
  return 0.5 * x * (1 + tanh(k * (x + 0.044715 * x * x * x)));
}
/* PyTorch's softplus with beta 1 and threshold 20. */
static double f_softplus(const double *a, double n) {
  return a[0] > 20 ? a[0] : log1p(exp(a[0]));
}
static double f_hardswish(const double *a, double n) {
  return a[0] * relu6_d(a[0] + 3) / 6;
}
static double f_leaky_relu(const double *a, double slope) {
  return a[0] > 0 ? a[0] : a[0] * slope;
}
static double f_add(const double *a, double n) { return a[0] + a[1]; }
static double f_sub(const double *a, double n) { return a[0] - a[1]; }
static double f_mul(const double *a, double n) { return a[0] * a[1]; }
static double f_div(const double *a, double n) { return a[0] / a[1]; }
static double f_floordiv(const double *a, double n) {
  double m;
  return divmod_d(a[0], a[1], &m);
}
static double f_mod(const double *a, double n) {
  double m;
  divmod_d(a[0], a[1], &m);
  return m;
}
static double f_maximum(const double *a, double n) {
  if (isnan(a[0]) || isnan(a[1])) return NAN;
  return a[0] > a[1] ? a[0] : a[1];
}
static double f_minimum(const double *a, double n) {
  if (isnan(a[0]) || isnan(a[1])) return NAN;
  return a[0] < a[1] ? a[0] : a[1];
}
static double f_pow(const double *a, double n) { return pow(a[0], a[1]); }
static double f_eq(const double *a, double n) { return a[0] == a[1]; }
static double f_ne(const double *a, double n) { return a[0] != a[1]; }
static double f_lt(const double *a, double n) { return a[0] < a[1]; }
static double f_le(const double *a, double n) { return a[0] <= a[1]; }
static double f_gt(const double *a, double n) { return a[0] > a[1]; }
static double f_ge(const double *a, double n) { return a[0] >= a[1]; }
static double f_and(const double *a, double n) { return a[0] != 0 && a[1] != 0; }
static double f_or(const double *a, double n) { return a[0] != 0 || a[1] != 0; }
static double f_not(const double *a, double n) { return a[0] == 0; }
/* torch.clamp: min(max(x, lo), hi), NaN propagating. */
static double f_clamp(const double *a, double n) {
  double m[2] = {a[0], a[1]};
  double t[2] = {f_maximum(m, 0), a[2]};
  return f_minimum(t, 0);
}

/* ---- integer functions (wrapping; results wrapped by the caller) ------- */

static int i_abs(const int64_t *a, double n, int64_t *o) {
  *o = a[0] < 0 ? (int64_t)(0 - (uint64_t)a[0]) : a[0];
  return TC_OK;
}
static int i_neg(const int64_t *a, double n, int64_t *o) {
  *o = (int64_t)(0 - (uint64_t)a[0]);
  return TC_OK;
}
static int i_ident(const int64_t *a, double n, int64_t *o) {
  *o = a[0];
  return TC_OK;
}
static int i_sign(const int64_t *a, double n, int64_t *o) {
  *o = (a[0] > 0) - (a[0] < 0);
  return TC_OK;
}
static int i_relu(const int64_t *a, double n, int64_t *o) {
  *o = a[0] > 0 ? a[0] : 0;
  return TC_OK;
}
static int i_relu6(const int64_t *a, double n, int64_t *o) {
  *o = a[0] < 0 ? 0 : a[0] > 6 ? 6 : a[0];
  return TC_OK;
}
static int i_add(const int64_t *a, double n, int64_t *o) {
  *o = (int64_t)((uint64_t)a[0] + (uint64_t)a[1]);
  return TC_OK;
}
static int i_sub(const int64_t *a, double n, int64_t *o) {
  *o = (int64_t)((uint64_t)a[0] - (uint64_t)a[1]);
  return TC_OK;
}
static int i_mul(const int64_t *a, double n, int64_t *o) {
  *o = (int64_t)((uint64_t)a[0] * (uint64_t)a[1]);
  return TC_OK;
}
/* Floor division and floor modulo; INT64_MIN // -1 wraps to INT64_MIN
   (C's / would be undefined there). */
static int i_floordiv(const int64_t *a, double n, int64_t *o) {
  int64_t x = a[0], y = a[1];
  if (y == 0) return TC_EINVAL;
  if (y == -1) return i_neg(a, n, o);
  int64_t q = x / y;
  if ((x % y != 0) && ((x < 0) != (y < 0))) q -= 1;
  *o = q;
  return TC_OK;
}
static int i_mod(const int64_t *a, double n, int64_t *o) {
  int64_t x = a[0], y = a[1];
  if (y == 0) return TC_EINVAL;
  if (y == -1) {
    *o = 0;
    return TC_OK;
  }
  int64_t r = x % y;
  if (r != 0 && ((r < 0) != (y < 0))) r += y;
  *o = r;
  return TC_OK;
}
static int i_maximum(const int64_t *a, double n, int64_t *o) {
  *o = a[0] > a[1] ? a[0] : a[1];
  return TC_OK;
}
static int i_minimum(const int64_t *a, double n, int64_t *o) {
  *o = a[0] < a[1] ? a[0] : a[1];
  return TC_OK;
}
/* Integer power by squaring (wrapping).  A negative exponent gives the
   integer part of 1/x^-e: 1 for x = 1, +-1 for x = -1, else 0; x = 0 with
   a negative exponent is a division by zero. */
static int i_pow(const int64_t *a, double n, int64_t *o) {
  int64_t x = a[0], e = a[1];
  if (e < 0) {
    if (x == 0) return TC_EINVAL;
    *o = x == 1 ? 1 : x == -1 ? ((e & 1) ? -1 : 1) : 0;
    return TC_OK;
  }
  uint64_t r = 1, b = (uint64_t)x;
  while (e > 0) {
    if (e & 1) r *= b;
    b *= b;
    e >>= 1;
  }
  *o = (int64_t)r;
  return TC_OK;
}
static int i_eq(const int64_t *a, double n, int64_t *o) { *o = a[0] == a[1]; return TC_OK; }
static int i_ne(const int64_t *a, double n, int64_t *o) { *o = a[0] != a[1]; return TC_OK; }
static int i_lt(const int64_t *a, double n, int64_t *o) { *o = a[0] < a[1]; return TC_OK; }
static int i_le(const int64_t *a, double n, int64_t *o) { *o = a[0] <= a[1]; return TC_OK; }
static int i_gt(const int64_t *a, double n, int64_t *o) { *o = a[0] > a[1]; return TC_OK; }
static int i_ge(const int64_t *a, double n, int64_t *o) { *o = a[0] >= a[1]; return TC_OK; }
static int i_and(const int64_t *a, double n, int64_t *o) { *o = a[0] && a[1]; return TC_OK; }
static int i_or(const int64_t *a, double n, int64_t *o) { *o = a[0] || a[1]; return TC_OK; }
static int i_not(const int64_t *a, double n, int64_t *o) { *o = !a[0]; return TC_OK; }
static int i_where(const int64_t *a, double n, int64_t *o) {
  *o = a[0] ? a[1] : a[2];
  return TC_OK;
}
static int i_clamp(const int64_t *a, double n, int64_t *o) {
  int64_t v = a[0] > a[1] ? a[0] : a[1];
  *o = v < a[2] ? v : a[2];
  return TC_OK;
}
static int i_leaky_relu(const int64_t *a, double slope, int64_t *o) {
  /* Not reachable from the DSL (the slope makes the operand float); kept so
     that the table is total for the ops that make sense on integers. */
  *o = a[0] > 0 ? a[0] : float_to_int((double)a[0] * slope, TC_DT_I64);
  return TC_OK;
}

/* ORDER OP: the table every elementwise op goes through.  An op without
   an integer function is computed on doubles when given integers (the
   front end promotes such operands to floats, so this is a fallback). */
typedef struct ewise_entry {
  fn_f f;
  fn_i i;
} ewise_entry;

static const ewise_entry ewise_table[] = {
    [TC_OP_ABS] = {f_abs, i_abs},
    [TC_OP_NEG] = {f_neg, i_neg},
    [TC_OP_EXP] = {f_exp, NULL},
    [TC_OP_EXP2] = {f_exp2, NULL},
    [TC_OP_LOG] = {f_log, NULL},
    [TC_OP_LOG2] = {f_log2, NULL},
    [TC_OP_LOG1P] = {f_log1p, NULL},
    [TC_OP_EXPM1] = {f_expm1, NULL},
    [TC_OP_SQRT] = {f_sqrt, NULL},
    [TC_OP_RSQRT] = {f_rsqrt, NULL},
    [TC_OP_RECIPROCAL] = {f_reciprocal, NULL},
    [TC_OP_SIN] = {f_sin, NULL},
    [TC_OP_COS] = {f_cos, NULL},
    [TC_OP_TANH] = {f_tanh, NULL},
    [TC_OP_SIGMOID] = {f_sigmoid, NULL},
    [TC_OP_ERF] = {f_erf, NULL},
    [TC_OP_FLOOR] = {f_floor, i_ident},
    [TC_OP_CEIL] = {f_ceil, i_ident},
    [TC_OP_ROUND] = {f_round, i_ident},
    [TC_OP_TRUNC] = {f_trunc, i_ident},
    [TC_OP_SIGN] = {f_sign, i_sign},
    [TC_OP_RELU] = {f_relu, i_relu},
    [TC_OP_RELU6] = {f_relu6, i_relu6},
    [TC_OP_SILU] = {f_silu, NULL},
    [TC_OP_GELU] = {f_gelu, NULL},
    [TC_OP_GELU_TANH] = {f_gelu_tanh, NULL},
    [TC_OP_SOFTPLUS] = {f_softplus, NULL},
    [TC_OP_HARDSWISH] = {f_hardswish, NULL},
    [TC_OP_LEAKY_RELU] = {f_leaky_relu, i_leaky_relu},
    [TC_OP_ADD] = {f_add, i_add},
    [TC_OP_SUB] = {f_sub, i_sub},
    [TC_OP_MUL] = {f_mul, i_mul},
    [TC_OP_DIV] = {f_div, NULL},
    [TC_OP_FLOORDIV] = {f_floordiv, i_floordiv},
    [TC_OP_MOD] = {f_mod, i_mod},
    [TC_OP_MAXIMUM] = {f_maximum, i_maximum},
    [TC_OP_MINIMUM] = {f_minimum, i_minimum},
    [TC_OP_POW] = {f_pow, i_pow},
    [TC_OP_EQ] = {f_eq, i_eq},
    [TC_OP_NE] = {f_ne, i_ne},
    [TC_OP_LT] = {f_lt, i_lt},
    [TC_OP_LE] = {f_le, i_le},
    [TC_OP_GT] = {f_gt, i_gt},
    [TC_OP_GE] = {f_ge, i_ge},
    [TC_OP_LOGICAL_AND] = {f_and, i_and},
    [TC_OP_LOGICAL_OR] = {f_or, i_or},
    [TC_OP_LOGICAL_NOT] = {f_not, i_not},
    [TC_OP_WHERE] = {NULL, i_where}, /* special-cased: the cond is bool */
    [TC_OP_CLAMP] = {f_clamp, i_clamp},
    [TC_OP_COUNT - 1] = {NULL, NULL}, /* the last op: sizes the table */
};
static_assert(sizeof ewise_table / sizeof ewise_table[0] == TC_OP_COUNT,
              "ORDER OP: ewise_table must have one entry per op");

int tcR_ref_elementwise(tc_op op, tc_dtype ct, tc_dtype rt,
                        const tcR_scalar *args, double num, tcR_scalar *out) {
  assert((unsigned)op < TC_OP_COUNT && op != TC_OP_CAST);
  const ewise_entry *e = &ewise_table[op];
  int nargs = tc_op_arity(op);
  assert(nargs >= 1 && nargs <= 3);
  tcR_scalar r = {0, 0};
  int cmp = tc_op_class_of(op) == TC_OPC_CMP;
  if (op == TC_OP_WHERE) {
    r = args[0].i ? args[1] : args[2];
    *out = tcR_ref_convert(ct, r, rt);
    return TC_OK;
  }
  if (!tc_dtype_is_float(ct) && e->i) {
    int64_t a[3], v;
    for (int j = 0; j < nargs; j++) a[j] = args[j].i;
    int rc = e->i(a, num, &v);
    if (rc != TC_OK) return rc;
    r.i = v;
    *out = tcR_ref_convert(cmp ? TC_DT_BOOL : TC_DT_I64, r, rt);
    return TC_OK;
  }
  assert(e->f && "an elementwise op without a function in ewise_table");
  double a[3];
  for (int j = 0; j < nargs; j++)
    a[j] = tc_dtype_is_float(ct) ? args[j].f : (double)args[j].i;
  r.f = e->f(a, num);
  if (cmp) {
    r.i = r.f != 0;
    *out = tcR_ref_convert(TC_DT_BOOL, r, rt);
  } else {
    *out = tcR_ref_convert(TC_DT_F64, r, rt);
  }
  return TC_OK;
}
