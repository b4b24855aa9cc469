/* promote.c: dtype promotion and constant conversion (promote.h). */
#include "promote.h"

#include <assert.h>
#include <math.h>

static int category(tc_dtype t) {
  return t == TC_DT_BOOL ? 0 : tc_dtype_is_float(t) ? 2 : 1;
}

/* Width rank within a category: bf16 < f32 < f64; i8/u8 < i32 < i64. */
static int width(tc_dtype t) {
  switch (t) {
  case TC_DT_BF16: return 0;
  case TC_DT_F32: return 1;
  case TC_DT_F64: return 2;
  case TC_DT_I8:
  case TC_DT_U8: return 0;
  case TC_DT_I32: return 1;
  case TC_DT_I64: return 2;
  default: return 0;
  }
}

tc_dtype tc_dtype_promote(tc_dtype a, tc_dtype b) {
  if (a == TC_DT_NONE || a == b)
    return b;
  if (b == TC_DT_NONE)
    return a;
  int ca = category(a), cb = category(b);
  if (ca != cb)
    return ca > cb ? a : b;
  if (width(a) != width(b))
    return width(a) > width(b) ? a : b;
  /* equal width, different dtypes: only i8 and u8 */
  assert((a == TC_DT_I8 && b == TC_DT_U8) || (a == TC_DT_U8 && b == TC_DT_I8));
  return TC_DT_I32;
}

int tc_op_is_float_only(tc_op op) {
  switch (op) {
  case TC_OP_EXP: case TC_OP_EXP2: case TC_OP_LOG: case TC_OP_LOG2:
  case TC_OP_LOG1P: case TC_OP_EXPM1: case TC_OP_SQRT: case TC_OP_RSQRT:
  case TC_OP_RECIPROCAL: case TC_OP_SIN: case TC_OP_COS: case TC_OP_TANH:
  case TC_OP_SIGMOID: case TC_OP_ERF: case TC_OP_SILU: case TC_OP_GELU:
  case TC_OP_GELU_TANH: case TC_OP_SOFTPLUS: case TC_OP_HARDSWISH:
  case TC_OP_LEAKY_RELU: case TC_OP_DIV:
    return 1;
  default:
    return 0;
  }
}

tc_dtype tc_elementwise_dtypes(tc_op op, int n, const tc_dtype *in,
                               tc_dtype *want) {
  assert(tc_op_is_elementwise(op) && op != TC_OP_CAST);
  assert(n == tc_op_arity(op));
  if (op == TC_OP_LOGICAL_AND || op == TC_OP_LOGICAL_OR ||
      op == TC_OP_LOGICAL_NOT) {
    for (int i = 0; i < n; i++)
      want[i] = TC_DT_BOOL;
    return TC_DT_BOOL;
  }
  if (op == TC_OP_WHERE) {
    tc_dtype p = tc_dtype_promote(in[1], in[2]);
    want[0] = TC_DT_BOOL;
    want[1] = want[2] = p;
    return p;
  }
  tc_dtype p = TC_DT_NONE;
  for (int i = 0; i < n; i++)
    p = tc_dtype_promote(p, in[i]);
  int cmp = tc_op_class_of(op) == TC_OPC_CMP;
  if (tc_op_is_float_only(op) && !tc_dtype_is_float(p))
    p = TC_DT_F32;
  else if (!cmp && p == TC_DT_BOOL)
    p = TC_DT_I64;
  for (int i = 0; i < n; i++)
    want[i] = p;
  return cmp ? TC_DT_BOOL : p;
}

/* Round toward zero and saturate into [lo, hi]; NaN gives 0. */
static int64_t sat(double v, double lo, double hi, int64_t ilo, int64_t ihi) {
  if (isnan(v))
    return 0;
  if (v <= lo)
    return ilo;
  if (v >= hi)
    return ihi;
  return (int64_t)v;
}

void tc_value_convert(tc_dtype from, double num, int64_t inum, tc_dtype to,
                      double *onum, int64_t *oinum) {
  int ffrom = tc_dtype_is_float(from);
  if (tc_dtype_is_float(to)) {
    double v = ffrom ? num : (double)inum;
    if (to == TC_DT_F32)
      v = (double)(float)v;
    else if (to == TC_DT_BF16)
      v = (double)tc_bf16_to_f32(tc_bf16_from_f32((float)v));
    *onum = v;
    /* the integer part, for consumers that read inum */
    *oinum = sat(v, -9223372036854775808.0, 9223372036854775807.0, INT64_MIN,
                 INT64_MAX);
    return;
  }
  int64_t r;
  if (to == TC_DT_BOOL) {
    r = ffrom ? num != 0 : inum != 0;
  } else if (ffrom) {
    switch (to) {
    case TC_DT_I8: r = sat(num, -128, 127, -128, 127); break;
    case TC_DT_U8: r = sat(num, 0, 255, 0, 255); break;
    case TC_DT_I32: r = sat(num, -2147483648.0, 2147483647.0, INT32_MIN, INT32_MAX); break;
    default:
      /* 2^63 is exactly representable; anything at or above saturates */
      r = sat(num, -9223372036854775808.0, 9223372036854775807.0, INT64_MIN,
              INT64_MAX);
      break;
    }
  } else {
    uint64_t u = (uint64_t)inum; /* wrap around as C's conversions do */
    switch (to) {
    case TC_DT_I8: r = (int8_t)(uint8_t)u; break;
    case TC_DT_U8: r = (uint8_t)u; break;
    case TC_DT_I32: r = (int32_t)(uint32_t)u; break;
    default: r = inum; break;
    }
  }
  *oinum = r;
  *onum = (double)r;
}
