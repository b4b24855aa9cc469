/*
 * scalar.c: the scalar C99 target: how one value of each dtype is
 * computed, loaded, stored and reduced, and the static helpers this
 * needs.  The code it writes compiles under gcc/clang -std=c99 -pedantic
 * and under tcc, and has no undefined behaviour for any input:
 *   - integer + - * and negation wrap (computed in unsigned types);
 *   - float -> integer conversions saturate (NaN gives 0);
 *   - bf16 values are held in float and rounded to nearest even on store;
 *   - maximum/minimum and max/min reductions propagate NaN;
 *   - round is nearbyint (half to even under the default rounding mode);
 *   - reductions accumulate in the value type (f32 sums in float).
 */
#include "cgen.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

const char *tcE_value_ctype(tc_dtype t) {
  switch (t) {
  case TC_DT_BF16: return "float";
  case TC_DT_BOOL: return "int";
  default: return tc_dtype_ctype(t);
  }
}

void tcE_use_libm(tcE_cg *g, const char *fn) {
  for (int i = 0; i < g->libm.len; i++)
    if (!strcmp(g->libm.data[i], fn)) return;
  TC_VEC_PUSH(g->libm, fn);
}

void tcE_use_helper(tcE_cg *g, tcE_helper h) {
  g->helpers[h] = 1;
  switch (h) {
  case TCE_H_BF16_ROUND:
    g->helpers[TCE_H_BF16_LOAD] = g->helpers[TCE_H_BF16_STORE] = 1;
    break;
  case TCE_H_DIVMODF:
    tcE_use_libm(g, "fmodf");
    tcE_use_libm(g, "floorf");
    tcE_use_libm(g, "copysignf");
    break;
  case TCE_H_DIVMOD:
    tcE_use_libm(g, "fmod");
    tcE_use_libm(g, "floor");
    tcE_use_libm(g, "copysign");
    break;
  case TCE_H_FLOORDIVF: case TCE_H_FMOD_FLOORF: tcE_use_helper(g, TCE_H_DIVMODF); break;
  case TCE_H_FLOORDIV: case TCE_H_FMOD_FLOOR: tcE_use_helper(g, TCE_H_DIVMOD); break;
  default: break;
  }
}

static int is_f64(tc_dtype t) { return t == TC_DT_F64; }

/* ---- literals ---------------------------------------------------------- */

void tcE_scalar_literal(tcE_cg *g, tc_buf *out, tc_dtype t, double num,
                        int64_t inum) {
  if (tc_dtype_is_float(t)) {
    if (t == TC_DT_BF16) num = tc_bf16_to_f32(tc_bf16_from_f32((float)num));
    else if (t == TC_DT_F32) num = (float)num;
    if (num != num) {
      tcE_use_helper(g, is_f64(t) ? TCE_H_NAN : TCE_H_NANF);
      tc_buf_puts(out, is_f64(t) ? "tc_nan()" : "tc_nanf()");
      return;
    }
    if (num == HUGE_VAL || num == -HUGE_VAL) {
      tcE_use_helper(g, is_f64(t) ? TCE_H_INF : TCE_H_INFF);
      tc_buf_printf(out, "%s%s%s", num < 0 ? "(-" : "",
                    is_f64(t) ? "tc_inf()" : "tc_inff()", num < 0 ? ")" : "");
      return;
    }
    char s[32];
    tc_format_double(s, num);
    int neg = s[0] == '-';
    tc_buf_printf(out, neg ? "(%s%s)" : "%s%s", s, is_f64(t) ? "" : "f");
    return;
  }
  switch (t) {
  case TC_DT_I64:
    if (inum == INT64_MIN)
      tc_buf_puts(out, "(-INT64_C(9223372036854775807) - 1)");
    else if (inum >= INT32_MIN + 1 && inum <= INT32_MAX)
      tc_buf_printf(out, inum < 0 ? "(%lld)" : "%lld", (long long)inum);
    else
      tc_buf_printf(out, inum < 0 ? "(-INT64_C(%lld))" : "INT64_C(%lld)",
                    (long long)(inum < 0 ? -inum : inum));
    return;
  case TC_DT_I32:
    if (inum == INT32_MIN) tc_buf_puts(out, "(-2147483647 - 1)");
    else tc_buf_printf(out, inum < 0 ? "(%lld)" : "%lld", (long long)inum);
    return;
  case TC_DT_BOOL:
    tc_buf_puts(out, inum ? "1" : "0");
    return;
  default:
    tc_buf_printf(out, inum < 0 ? "(%lld)" : "%lld", (long long)inum);
    return;
  }
}

/* ---- elementwise ------------------------------------------------------- */

/* A float op as a template: $0 $1 $2 operands, $s the slope, @ the libm
   suffix ("f" or ""), # the literal suffix.  `fns` lists the libm
   functions used (base names, space separated). */
typedef struct ftmpl {
  tc_op op;
  const char *text;
  const char *fns;
} ftmpl;

static const ftmpl float_ops[] = {
    {TC_OP_ABS, "fabs@($0)", "fabs"},
    {TC_OP_NEG, "(-$0)", ""},
    {TC_OP_EXP, "exp@($0)", "exp"},
    {TC_OP_EXP2, "exp2@($0)", "exp2"},
    {TC_OP_LOG, "log@($0)", "log"},
    {TC_OP_LOG2, "log2@($0)", "log2"},
    {TC_OP_LOG1P, "log1p@($0)", "log1p"},
    {TC_OP_EXPM1, "expm1@($0)", "expm1"},
    {TC_OP_SQRT, "sqrt@($0)", "sqrt"},
    {TC_OP_RSQRT, "1.0# / sqrt@($0)", "sqrt"},
    {TC_OP_RECIPROCAL, "1.0# / $0", ""},
    {TC_OP_SIN, "sin@($0)", "sin"},
    {TC_OP_COS, "cos@($0)", "cos"},
    {TC_OP_TANH, "tanh@($0)", "tanh"},
    {TC_OP_SIGMOID, "1.0# / (1.0# + exp@(-$0))", "exp"},
    {TC_OP_ERF, "erf@($0)", "erf"},
    {TC_OP_FLOOR, "floor@($0)", "floor"},
    {TC_OP_CEIL, "ceil@($0)", "ceil"},
    {TC_OP_ROUND, "nearbyint@($0)", "nearbyint"},
    {TC_OP_TRUNC, "trunc@($0)", "trunc"},
    {TC_OP_SIGN, "$0 > 0.0# ? 1.0# : ($0 < 0.0# ? -1.0# : $0)", ""},
    {TC_OP_RELU, "$0 < 0.0# ? 0.0# : $0", ""},
    {TC_OP_RELU6, "$0 < 0.0# ? 0.0# : ($0 > 6.0# ? 6.0# : $0)", ""},
    {TC_OP_SILU, "$0 / (1.0# + exp@(-$0))", "exp"},
    {TC_OP_GELU, "0.5# * $0 * (1.0# + erf@($0 * 0.70710678118654752#))", "erf"},
    {TC_OP_GELU_TANH,
     "0.5# * $0 * (1.0# + tanh@(0.79788456080286536# * ($0 + 0.044715# * $0 * $0 * $0)))",
     "tanh"},
    {TC_OP_SOFTPLUS, "$0 > 20.0# ? $0 : log1p@(exp@($0))", "log1p exp"},
    /* the formula itself, as the reference: hardswish(-inf) is -inf * 0,
       NaN (relu6 of NaN stays NaN: both comparisons are false) */
    {TC_OP_HARDSWISH,
     "$0 * ($0 + 3.0# < 0.0# ? 0.0# : ($0 + 3.0# > 6.0# ? 6.0# : $0 + 3.0#)) / 6.0#", ""},
    {TC_OP_LEAKY_RELU, "$0 > 0.0# ? $0 : $0 * $s", ""},
    {TC_OP_ADD, "$0 + $1", ""},
    {TC_OP_SUB, "$0 - $1", ""},
    {TC_OP_MUL, "$0 * $1", ""},
    {TC_OP_DIV, "$0 / $1", ""},
    {TC_OP_MAXIMUM, "$0 > $1 || $0 != $0 ? $0 : $1", ""},
    {TC_OP_MINIMUM, "$0 < $1 || $0 != $0 ? $0 : $1", ""},
    {TC_OP_POW, "pow@($0, $1)", "pow"},
    {TC_OP_CLAMP, "$2 < ($0 < $1 ? $1 : $0) ? $2 : ($0 < $1 ? $1 : $0)", ""},
};

static void expand_tmpl(tcE_cg *g, tc_buf *out, const ftmpl *t, tc_dtype dt,
                        const char *const *a, double num) {
  const char *suf = is_f64(dt) ? "" : "f";
  for (const char *c = t->text; *c; c++) {
    if (*c == '$' && c[1] == 's') {
      tcE_scalar_literal(g, out, dt, num, 0);
      c++;
    } else if (*c == '$') {
      tc_buf_puts(out, a[c[1] - '0']);
      c++;
    } else if (*c == '@' || *c == '#') {
      tc_buf_puts(out, suf);
    } else {
      tc_buf_putc(out, *c);
    }
  }
  /* the libm functions, with the suffix of this dtype */
  const char *f = t->fns;
  while (*f) {
    char name[32];
    int n = 0;
    while (*f && *f != ' ' && n < 24) name[n++] = *f++;
    while (*f == ' ') f++;
    name[n] = 0;
    strcat(name, suf);
    /* the names must outlive g: find the interned copy */
    static const char *const known[] = {
        "fabs", "fabsf", "exp", "expf", "exp2", "exp2f", "log", "logf",
        "log2", "log2f", "log1p", "log1pf", "expm1", "expm1f", "sqrt", "sqrtf",
        "sin", "sinf", "cos", "cosf", "tanh", "tanhf", "erf", "erff",
        "floor", "floorf", "ceil", "ceilf", "nearbyint", "nearbyintf",
        "trunc", "truncf", "pow", "powf", "fmod", "fmodf", "copysign", "copysignf"};
    const char *interned = NULL;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
      if (!strcmp(known[i], name)) interned = known[i];
    assert(interned);
    tcE_use_libm(g, interned);
  }
}

static const char *uint_of(tc_dtype t) {
  return t == TC_DT_I64 ? "uint64_t" : "uint32_t";
}

/* Integer ops.  i8 and u8 values are promoted to int, where + - * cannot
   overflow, and converting back wraps; i32 and i64 go through unsigned. */
static void int_op(tcE_cg *g, tc_buf *out, tc_op op, tc_dtype t,
                   const char *const *a) {
  const char *ct = tc_dtype_ctype(t);
  int wide = t == TC_DT_I32 || t == TC_DT_I64;
  int is_unsigned = t == TC_DT_U8;
  switch (op) {
  case TC_OP_ADD: case TC_OP_SUB: case TC_OP_MUL: {
    const char *o = op == TC_OP_ADD ? "+" : op == TC_OP_SUB ? "-" : "*";
    if (wide)
      tc_buf_printf(out, "(%s)((%s)%s %s (%s)%s)", ct, uint_of(t), a[0], o, uint_of(t), a[1]);
    else
      tc_buf_printf(out, "(%s)(%s %s %s)", ct, a[0], o, a[1]);
    return;
  }
  case TC_OP_NEG:
    if (wide) tc_buf_printf(out, "(%s)(0u - (%s)%s)", ct, uint_of(t), a[0]);
    else tc_buf_printf(out, "(%s)(-%s)", ct, a[0]);
    return;
  case TC_OP_ABS:
    if (is_unsigned) tc_buf_puts(out, a[0]);
    else if (wide) tc_buf_printf(out, "%s < 0 ? (%s)(0u - (%s)%s) : %s", a[0], ct, uint_of(t), a[0], a[0]);
    else tc_buf_printf(out, "(%s)(%s < 0 ? -%s : %s)", ct, a[0], a[0], a[0]);
    return;
  case TC_OP_SIGN:
    if (is_unsigned) tc_buf_printf(out, "(%s)(%s > 0)", ct, a[0]);
    else tc_buf_printf(out, "(%s)((%s > 0) - (%s < 0))", ct, a[0], a[0]);
    return;
  case TC_OP_RELU:
    if (is_unsigned) tc_buf_puts(out, a[0]);
    else tc_buf_printf(out, "%s < 0 ? 0 : %s", a[0], a[0]);
    return;
  case TC_OP_RELU6:
    if (is_unsigned) tc_buf_printf(out, "%s > 6 ? 6 : %s", a[0], a[0]);
    else tc_buf_printf(out, "%s < 0 ? 0 : (%s > 6 ? 6 : %s)", a[0], a[0], a[0]);
    return;
  case TC_OP_FLOOR: case TC_OP_CEIL: case TC_OP_ROUND: case TC_OP_TRUNC:
    tc_buf_puts(out, a[0]);
    return;
  case TC_OP_FLOORDIV: case TC_OP_MOD:
    tcE_use_helper(g, op == TC_OP_MOD ? TCE_H_MOD_I64 : TCE_H_FLOORDIV_I64);
    if (t == TC_DT_I64)
      tc_buf_printf(out, "%s(%s, %s)", op == TC_OP_MOD ? "tc_mod_i64" : "tc_floordiv_i64", a[0], a[1]);
    else
      tc_buf_printf(out, "(%s)%s(%s, %s)", ct, op == TC_OP_MOD ? "tc_mod_i64" : "tc_floordiv_i64",
                    a[0], a[1]);
    return;
  case TC_OP_POW:
    tcE_use_helper(g, TCE_H_IPOW_I64);
    if (t == TC_DT_I64) tc_buf_printf(out, "tc_ipow_i64(%s, %s)", a[0], a[1]);
    else tc_buf_printf(out, "(%s)tc_ipow_i64(%s, %s)", ct, a[0], a[1]);
    return;
  case TC_OP_MAXIMUM:
    tc_buf_printf(out, "%s > %s ? %s : %s", a[0], a[1], a[0], a[1]);
    return;
  case TC_OP_MINIMUM:
    tc_buf_printf(out, "%s < %s ? %s : %s", a[0], a[1], a[0], a[1]);
    return;
  case TC_OP_CLAMP:
    tc_buf_printf(out, "%s < (%s < %s ? %s : %s) ? %s : (%s < %s ? %s : %s)",
                  a[2], a[0], a[1], a[1], a[0], a[2], a[0], a[1], a[1], a[0]);
    return;
  default:
    /* The graph constructors cast integers to float for every other op. */
    assert(!"integer op without a scalar form");
    tc_buf_puts(out, a[0]);
    return;
  }
}

static void cast_op(tcE_cg *g, tc_buf *out, tc_dtype t, tc_dtype at, const char *a) {
  if (t == at || (t == TC_DT_F32 && at == TC_DT_BF16)) {
    tc_buf_puts(out, a);
  } else if (t == TC_DT_BOOL) {
    tc_buf_printf(out, "%s != 0", a);
  } else if (at == TC_DT_BOOL) {
    tc_buf_printf(out, "(%s)%s", tcE_value_ctype(t), a);
  } else if (tc_dtype_is_float(at) && tc_dtype_is_int(t)) {
    static const struct { tc_dtype t; tcE_helper h; const char *fn; } sat[] = {
        {TC_DT_I8, TCE_H_SAT_I8, "tc_sat_i8"}, {TC_DT_U8, TCE_H_SAT_U8, "tc_sat_u8"},
        {TC_DT_I32, TCE_H_SAT_I32, "tc_sat_i32"}, {TC_DT_I64, TCE_H_SAT_I64, "tc_sat_i64"}};
    for (size_t i = 0; i < sizeof sat / sizeof sat[0]; i++)
      if (sat[i].t == t) {
        tcE_use_helper(g, sat[i].h);
        tc_buf_printf(out, "%s((double)%s)", sat[i].fn, a);
      }
  } else if (t == TC_DT_BF16) {
    /* from f64 this rounds twice (to f32, then to bf16) */
    tcE_use_helper(g, TCE_H_BF16_ROUND);
    tc_buf_printf(out, at == TC_DT_F32 ? "tc_bf16_round(%s)" : "tc_bf16_round((float)%s)", a);
  } else {
    tc_buf_printf(out, "(%s)%s", tcE_value_ctype(t), a);
  }
}

void tcE_scalar_op(tcE_cg *g, tc_buf *out, tc_op op, tc_dtype t, tc_dtype at,
                   const char *const *a, double num) {
  if (op == TC_OP_CAST) {
    cast_op(g, out, t, at, a[0]);
    return;
  }
  if (tc_op_class_of(op) == TC_OPC_CMP) {
    static const struct { tc_op op; const char *c; } cmps[] = {
        {TC_OP_EQ, "=="}, {TC_OP_NE, "!="}, {TC_OP_LT, "<"}, {TC_OP_LE, "<="},
        {TC_OP_GT, ">"}, {TC_OP_GE, ">="}, {TC_OP_LOGICAL_AND, "&&"},
        {TC_OP_LOGICAL_OR, "||"}};
    if (op == TC_OP_LOGICAL_NOT) {
      tc_buf_printf(out, "!%s", a[0]);
      return;
    }
    for (size_t i = 0; i < sizeof cmps / sizeof cmps[0]; i++)
      if (cmps[i].op == op) tc_buf_printf(out, "%s %s %s", a[0], cmps[i].c, a[1]);
    return;
  }
  if (tc_dtype_is_float(t)) {
    /* floor division and modulo: NumPy's npy_divmod, as rt/ref computes
       them (not floor(a / b), which rounds the quotient first) */
    if (op == TC_OP_MOD) {
      tcE_use_helper(g, is_f64(t) ? TCE_H_FMOD_FLOOR : TCE_H_FMOD_FLOORF);
      tc_buf_printf(out, "%s(%s, %s)", is_f64(t) ? "tc_fmod_floor" : "tc_fmod_floorf", a[0], a[1]);
      return;
    }
    if (op == TC_OP_FLOORDIV) {
      tcE_use_helper(g, is_f64(t) ? TCE_H_FLOORDIV : TCE_H_FLOORDIVF);
      tc_buf_printf(out, "%s(%s, %s)", is_f64(t) ? "tc_floordiv" : "tc_floordivf", a[0], a[1]);
      return;
    }
    for (size_t i = 0; i < sizeof float_ops / sizeof float_ops[0]; i++)
      if (float_ops[i].op == op) {
        expand_tmpl(g, out, &float_ops[i], t, a, num);
        return;
      }
    assert(!"float op without a scalar form");
    return;
  }
  int_op(g, out, op, t, a);
}

void tcE_scalar_load(tcE_cg *g, tc_buf *out, tc_dtype t, const char *elem) {
  if (t == TC_DT_BF16) {
    tcE_use_helper(g, TCE_H_BF16_LOAD);
    tc_buf_printf(out, "tc_bf16_load(%s)", elem);
  } else {
    tc_buf_puts(out, elem);
  }
}

void tcE_scalar_store(tcE_cg *g, tc_buf *out, tc_dtype t, const char *val) {
  if (t == TC_DT_BF16) {
    tcE_use_helper(g, TCE_H_BF16_STORE);
    tc_buf_printf(out, "tc_bf16_store(%s)", val);
  } else if (t == TC_DT_BOOL) {
    tc_buf_printf(out, "(uint8_t)%s", val);
  } else {
    tc_buf_puts(out, val);
  }
}

/* ---- reductions -------------------------------------------------------- */

void tcE_scalar_reduce_init(tcE_cg *g, tc_buf *out, tc_op red, tc_dtype t) {
  int fl = tc_dtype_is_float(t);
  switch (red) {
  case TC_OP_SUM: tcE_scalar_literal(g, out, t, 0, 0); return;
  case TC_OP_PROD: tcE_scalar_literal(g, out, t, 1, 1); return;
  case TC_OP_MAX:
  case TC_OP_MIN: {
    int mx = red == TC_OP_MAX;
    if (fl) {
      tcE_scalar_literal(g, out, t, mx ? -HUGE_VAL : HUGE_VAL, 0);
      return;
    }
    int64_t lo = 0, hi = 0;
    switch (t) {
    case TC_DT_I8: lo = INT8_MIN; hi = INT8_MAX; break;
    case TC_DT_U8: lo = 0; hi = UINT8_MAX; break;
    case TC_DT_I32: lo = INT32_MIN; hi = INT32_MAX; break;
    case TC_DT_I64: lo = INT64_MIN; hi = INT64_MAX; break;
    default: lo = 0; hi = 1; break;
    }
    tcE_scalar_literal(g, out, t, 0, mx ? lo : hi);
    return;
  }
  default:
    assert(!"not a reduction");
  }
}

void tcE_scalar_reduce_step(tcE_cg *g, tc_op red, tc_dtype t, const char *acc,
                            const char *v) {
  int fl = tc_dtype_is_float(t);
  if (red == TC_OP_MAX || red == TC_OP_MIN) {
    const char *c = red == TC_OP_MAX ? ">" : "<";
    /* Once acc is NaN no comparison replaces it: NaN propagates. */
    if (fl) tcE_line(g, "if (%s %s %s || %s != %s) %s = %s;\n", v, c, acc, v, v, acc, v);
    else tcE_line(g, "if (%s %s %s) %s = %s;\n", v, c, acc, acc, v);
    return;
  }
  if (fl) {
    tcE_line(g, "%s %s= %s;\n", acc, red == TC_OP_SUM ? "+" : "*", v);
    return;
  }
  tc_buf e = {0};
  const char *a[2] = {acc, v};
  int_op(g, &e, red == TC_OP_SUM ? TC_OP_ADD : TC_OP_MUL, t, a);
  tcE_line(g, "%s = %s;\n", acc, e.data);
  tc_buf_free(&e);
}

/* ---- the prelude ------------------------------------------------------- */

static const char *const helper_text[TCE_H_COUNT] = {
    [TCE_H_BF16_LOAD] =
        "/* bf16 is the upper half of an f32. */\n"
        "static float tc_bf16_load(uint16_t h) {\n"
        "  uint32_t u = (uint32_t)h << 16;\n"
        "  float f;\n"
        "  memcpy(&f, &u, sizeof f);\n"
        "  return f;\n"
        "}\n",
    [TCE_H_BF16_STORE] =
        "/* f32 -> bf16, rounding to nearest even; a NaN stays a quiet NaN. */\n"
        "static uint16_t tc_bf16_store(float f) {\n"
        "  uint32_t u;\n"
        "  memcpy(&u, &f, sizeof u);\n"
        "  if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40u);\n"
        "  u += 0x7fffu + ((u >> 16) & 1u);\n"
        "  return (uint16_t)(u >> 16);\n"
        "}\n",
    [TCE_H_BF16_ROUND] =
        "static float tc_bf16_round(float f) { return tc_bf16_load(tc_bf16_store(f)); }\n",
    [TCE_H_INFF] =
        "static float tc_inff(void) {\n"
        "  uint32_t u = 0x7f800000u;\n"
        "  float f;\n"
        "  memcpy(&f, &u, sizeof f);\n"
        "  return f;\n"
        "}\n",
    [TCE_H_NANF] =
        "static float tc_nanf(void) {\n"
        "  uint32_t u = 0x7fc00000u;\n"
        "  float f;\n"
        "  memcpy(&f, &u, sizeof f);\n"
        "  return f;\n"
        "}\n",
    [TCE_H_INF] =
        "static double tc_inf(void) {\n"
        "  uint64_t u = UINT64_C(0x7ff0000000000000);\n"
        "  double f;\n"
        "  memcpy(&f, &u, sizeof f);\n"
        "  return f;\n"
        "}\n",
    [TCE_H_NAN] =
        "static double tc_nan(void) {\n"
        "  uint64_t u = UINT64_C(0x7ff8000000000000);\n"
        "  double f;\n"
        "  memcpy(&f, &u, sizeof f);\n"
        "  return f;\n"
        "}\n",
    [TCE_H_SAT_I8] =
        "/* float -> integer: toward zero, saturating, NaN -> 0. */\n"
        "static int8_t tc_sat_i8(double x) {\n"
        "  if (x != x) return 0;\n"
        "  if (x <= -128.0) return INT8_MIN;\n"
        "  if (x >= 127.0) return INT8_MAX;\n"
        "  return (int8_t)x;\n"
        "}\n",
    [TCE_H_SAT_U8] =
        "static uint8_t tc_sat_u8(double x) {\n"
        "  if (x != x || x <= 0.0) return 0;\n"
        "  if (x >= 255.0) return UINT8_MAX;\n"
        "  return (uint8_t)x;\n"
        "}\n",
    [TCE_H_SAT_I32] =
        "static int32_t tc_sat_i32(double x) {\n"
        "  if (x != x) return 0;\n"
        "  if (x <= -2147483648.0) return INT32_MIN;\n"
        "  if (x >= 2147483647.0) return INT32_MAX;\n"
        "  return (int32_t)x;\n"
        "}\n",
    [TCE_H_SAT_I64] =
        "static int64_t tc_sat_i64(double x) {\n"
        "  if (x != x) return 0;\n"
        "  if (x <= -9223372036854775808.0) return INT64_MIN;\n"
        "  if (x >= 9223372036854775808.0) return INT64_MAX;\n"
        "  return (int64_t)x;\n"
        "}\n",
    [TCE_H_FLOORDIV_I64] =
        "/* Floor division (b != 0); INT64_MIN // -1 wraps to INT64_MIN. */\n"
        "static int64_t tc_floordiv_i64(int64_t a, int64_t b) {\n"
        "  int64_t q;\n"
        "  if (b == -1) return (int64_t)(0u - (uint64_t)a);\n"
        "  q = a / b;\n"
        "  if (a % b != 0 && (a < 0) != (b < 0)) q--;\n"
        "  return q;\n"
        "}\n",
    [TCE_H_MOD_I64] =
        "/* Floor modulo (b != 0): the result has the sign of b. */\n"
        "static int64_t tc_mod_i64(int64_t a, int64_t b) {\n"
        "  int64_t r;\n"
        "  if (b == -1) return 0;\n"
        "  r = a % b;\n"
        "  if (r != 0 && (r < 0) != (b < 0)) r += b;\n"
        "  return r;\n"
        "}\n",
    [TCE_H_IPOW_I64] =
        "/* Integer power, wrapping; a negative exponent gives 1/a truncated. */\n"
        "static int64_t tc_ipow_i64(int64_t a, int64_t e) {\n"
        "  uint64_t r = 1, x = (uint64_t)a;\n"
        "  if (e < 0) return a == 1 ? 1 : a == -1 ? ((e & 1) ? -1 : 1) : 0;\n"
        "  while (e) {\n"
        "    if (e & 1) r *= x;\n"
        "    x *= x;\n"
        "    e >>= 1;\n"
        "  }\n"
        "  return (int64_t)r;\n"
        "}\n",
    [TCE_H_DIVMODF] =
        "/* NumPy's npy_divmod, as rt/ref computes it: the floor quotient and\n"
        "   the remainder with the sign of b (Python's // and %); b == 0 gives\n"
        "   a / b and NaN. */\n"
        "static float tc_divmodf(float a, float b, float *modulus) {\n"
        "  float mod = fmodf(a, b), div, floordiv;\n"
        "  if (b == 0.0f) {\n"
        "    *modulus = mod;\n"
        "    return a / b;\n"
        "  }\n"
        "  div = (a - mod) / b;\n"
        "  if (mod != 0.0f) {\n"
        "    if ((b < 0.0f) != (mod < 0.0f)) {\n"
        "      mod += b;\n"
        "      div -= 1.0f;\n"
        "    }\n"
        "  } else {\n"
        "    mod = copysignf(0.0f, b);\n"
        "  }\n"
        "  if (div != 0.0f) {\n"
        "    floordiv = floorf(div);\n"
        "    if (div - floordiv > 0.5f) floordiv += 1.0f;\n"
        "  } else {\n"
        "    floordiv = copysignf(0.0f, a / b);\n"
        "  }\n"
        "  *modulus = mod;\n"
        "  return floordiv;\n"
        "}\n",
    [TCE_H_DIVMOD] =
        "static double tc_divmod(double a, double b, double *modulus) {\n"
        "  double mod = fmod(a, b), div, floordiv;\n"
        "  if (b == 0.0) {\n"
        "    *modulus = mod;\n"
        "    return a / b;\n"
        "  }\n"
        "  div = (a - mod) / b;\n"
        "  if (mod != 0.0) {\n"
        "    if ((b < 0.0) != (mod < 0.0)) {\n"
        "      mod += b;\n"
        "      div -= 1.0;\n"
        "    }\n"
        "  } else {\n"
        "    mod = copysign(0.0, b);\n"
        "  }\n"
        "  if (div != 0.0) {\n"
        "    floordiv = floor(div);\n"
        "    if (div - floordiv > 0.5) floordiv += 1.0;\n"
        "  } else {\n"
        "    floordiv = copysign(0.0, a / b);\n"
        "  }\n"
        "  *modulus = mod;\n"
        "  return floordiv;\n"
        "}\n",
    [TCE_H_FLOORDIVF] =
        "static float tc_floordivf(float a, float b) {\n"
        "  float m;\n"
        "  return tc_divmodf(a, b, &m);\n"
        "}\n",
    [TCE_H_FLOORDIV] =
        "static double tc_floordiv(double a, double b) {\n"
        "  double m;\n"
        "  return tc_divmod(a, b, &m);\n"
        "}\n",
    [TCE_H_FMOD_FLOORF] =
        "static float tc_fmod_floorf(float a, float b) {\n"
        "  float m;\n"
        "  tc_divmodf(a, b, &m);\n"
        "  return m;\n"
        "}\n",
    [TCE_H_FMOD_FLOOR] =
        "static double tc_fmod_floor(double a, double b) {\n"
        "  double m;\n"
        "  tc_divmod(a, b, &m);\n"
        "  return m;\n"
        "}\n",
    [TCE_H_EXT_ADD] =
        "/* Extent arithmetic: 1 when the result overflows int64. */\n"
        "static int tc_ext_add(int64_t a, int64_t b, int64_t *r) {\n"
        "  if ((b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b)) return 1;\n"
        "  *r = a + b;\n"
        "  return 0;\n"
        "}\n",
    [TCE_H_EXT_SUB] =
        "static int tc_ext_sub(int64_t a, int64_t b, int64_t *r) {\n"
        "  if ((b < 0 && a > INT64_MAX + b) || (b > 0 && a < INT64_MIN + b)) return 1;\n"
        "  *r = a - b;\n"
        "  return 0;\n"
        "}\n",
    [TCE_H_EXT_MUL] =
        "static int tc_ext_mul(int64_t a, int64_t b, int64_t *r) {\n"
        "  if (a != 0 && b != 0) {\n"
        "    if (a > 0 ? (b > 0 ? a > INT64_MAX / b : b < INT64_MIN / a)\n"
        "              : (b > 0 ? a < INT64_MIN / b : a < INT64_MAX / b))\n"
        "      return 1;\n"
        "  }\n"
        "  *r = a * b;\n"
        "  return 0;\n"
        "}\n",
    [TCE_H_EXT_FLOORDIV] =
        "static int64_t tc_ext_floordiv(int64_t a, int64_t b) {\n"
        "  int64_t q = a / b;\n"
        "  if (a % b != 0 && a < 0) q--;\n"
        "  return q;\n"
        "}\n",
};

void tcE_scalar_prelude(tcE_cg *g, tc_buf *out) {
  if (g->libm.len > 0) {
    tc_buf_puts(out, "#ifdef __TINYC__\n"
                     "/* tcc compiles faster without <math.h>: the libm "
                     "functions used */\n");
    for (int i = 0; i < g->libm.len; i++) {
      const char *f = g->libm.data[i];
      size_t n = strlen(f);
      int fl = f[n - 1] == 'f' && strcmp(f, "erf") != 0;
      const char *t = fl ? "float" : "double";
      if (!strcmp(f, "pow") || !strcmp(f, "powf") || !strcmp(f, "fmod") ||
          !strcmp(f, "fmodf") || !strcmp(f, "copysign") || !strcmp(f, "copysignf"))
        tc_buf_printf(out, "%s %s(%s, %s);\n", t, f, t, t);
      else
        tc_buf_printf(out, "%s %s(%s);\n", t, f, t);
    }
    tc_buf_puts(out, "#else\n#include <math.h>\n#endif\n");
  }
  for (int h = 0; h < TCE_H_COUNT; h++) {
    if (!g->helpers[h]) continue;
    assert(helper_text[h] && "ORDER HELPER: every helper has its text");
    tc_buf_putc(out, '\n');
    tc_buf_puts(out, helper_text[h]);
  }
}
