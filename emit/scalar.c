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
 *   - reductions accumulate in the value type (f32 sums in float);
 *   - f32 exp, log, tanh, erf, sigmoid, gelu, ... call static helpers
 *     written here rather than libm, so that gcc vectorizes their loops
 *     (docs/math.md); f64 calls libm.
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

/* ORDER HELPER: each f32 math helper, then the helpers it calls (written
   before it), up to TCE_H_COUNT. */
static const tcE_helper math_deps[][6] = {
    {TCE_H_MATH_INLINE, TCE_H_COUNT},
    {TCE_H_SELECTF, TCE_H_MATH_INLINE, TCE_H_COUNT},
    {TCE_H_EXPM1_KERNELF, TCE_H_MATH_INLINE, TCE_H_COUNT},
    {TCE_H_EXP_KERNELF, TCE_H_EXPM1_KERNELF, TCE_H_COUNT},
    {TCE_H_EXPF, TCE_H_EXP_KERNELF, TCE_H_SELECTF, TCE_H_COUNT},
    {TCE_H_EXP2F, TCE_H_EXP_KERNELF, TCE_H_SELECTF, TCE_H_COUNT},
    {TCE_H_EXPM1F, TCE_H_EXPM1_KERNELF, TCE_H_SELECTF, TCE_H_COUNT},
    {TCE_H_LOG1P_KERNELF, TCE_H_MATH_INLINE, TCE_H_COUNT},
    {TCE_H_LOGF, TCE_H_LOG1P_KERNELF, TCE_H_SELECTF, TCE_H_INFF, TCE_H_NANF, TCE_H_COUNT},
    {TCE_H_LOG2F, TCE_H_LOG1P_KERNELF, TCE_H_SELECTF, TCE_H_INFF, TCE_H_NANF, TCE_H_COUNT},
    {TCE_H_LOG1PF, TCE_H_LOG1P_KERNELF, TCE_H_SELECTF, TCE_H_INFF, TCE_H_NANF, TCE_H_COUNT},
    {TCE_H_TANHF, TCE_H_EXP_KERNELF, TCE_H_SELECTF, TCE_H_COUNT},
    {TCE_H_SIGMOIDF, TCE_H_EXPF, TCE_H_COUNT},
    {TCE_H_MUL_SIGMOIDF, TCE_H_EXP_KERNELF, TCE_H_SELECTF, TCE_H_COUNT},
    {TCE_H_SILUF, TCE_H_MUL_SIGMOIDF, TCE_H_COUNT},
    {TCE_H_GELU_TANHF, TCE_H_MUL_SIGMOIDF, TCE_H_SELECTF, TCE_H_COUNT},
    {TCE_H_SOFTPLUSF, TCE_H_EXPF, TCE_H_LOG1PF, TCE_H_SELECTF, TCE_H_COUNT},
    {TCE_H_NORMAL_TAIL_MULF, TCE_H_EXP_KERNELF, TCE_H_SELECTF, TCE_H_COUNT},
    {TCE_H_ERFF, TCE_H_NORMAL_TAIL_MULF, TCE_H_SELECTF, TCE_H_COUNT},
    {TCE_H_GELUF, TCE_H_NORMAL_TAIL_MULF, TCE_H_SELECTF, TCE_H_COUNT},
};

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
  default:
    for (size_t i = 0; i < sizeof math_deps / sizeof math_deps[0]; i++)
      if (math_deps[i][0] == h)
        for (const tcE_helper *d = &math_deps[i][1]; *d != TCE_H_COUNT; d++) tcE_use_helper(g, *d);
    break;
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

/* f32 and bf16 (computed in float): these ops call a math helper
   (docs/math.md) instead of libm, whose calls stop gcc from vectorizing
   the loop.  f64 keeps libm. */
static const struct {
  tc_op op;
  const char *fn;
  tcE_helper h;
} f32_math[] = {
    {TC_OP_EXP, "tc_expf", TCE_H_EXPF},
    {TC_OP_EXP2, "tc_exp2f", TCE_H_EXP2F},
    {TC_OP_EXPM1, "tc_expm1f", TCE_H_EXPM1F},
    {TC_OP_LOG, "tc_logf", TCE_H_LOGF},
    {TC_OP_LOG2, "tc_log2f", TCE_H_LOG2F},
    {TC_OP_LOG1P, "tc_log1pf", TCE_H_LOG1PF},
    {TC_OP_TANH, "tc_tanhf", TCE_H_TANHF},
    {TC_OP_SIGMOID, "tc_sigmoidf", TCE_H_SIGMOIDF},
    {TC_OP_SILU, "tc_siluf", TCE_H_SILUF},
    {TC_OP_SOFTPLUS, "tc_softplusf", TCE_H_SOFTPLUSF},
    {TC_OP_ERF, "tc_erff", TCE_H_ERFF},
    {TC_OP_GELU, "tc_geluf", TCE_H_GELUF},
    {TC_OP_GELU_TANH, "tc_gelu_tanhf", TCE_H_GELU_TANHF},
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
    for (size_t i = 0; !is_f64(t) && i < sizeof f32_math / sizeof f32_math[0]; i++)
      if (f32_math[i].op == op) {
        tcE_use_helper(g, f32_math[i].h);
        tc_buf_printf(out, "%s(%s)", f32_math[i].fn, a[0]);
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
    [TCE_H_MATH_INLINE] =
        "/* The f32 math helpers below are straight-line code (no calls, no\n"
        "   branches, no tables) so that gcc and clang vectorize the loops that use\n"
        "   them; they are forced inline because a call would stop that.\n"
        "   docs/math.md lists their methods and errors. */\n"
        "#if defined(__GNUC__)\n"
        "#define TC_MATH_INLINE static inline __attribute__((always_inline))\n"
        "#else\n"
        "#define TC_MATH_INLINE static inline\n"
        "#endif\n",
    [TCE_H_SELECTF] =
        "/* c ? a : b on the bits: unlike ?: with a constant operand, this does not\n"
        "   let the compiler specialise the code that follows for that constant\n"
        "   (gcc then moves work under a condition, which stops the vectorizer). */\n"
        "TC_MATH_INLINE float tc_selectf(int c, float a, float b) {\n"
        "  uint32_t ua, ub, m = 0u - (uint32_t)(c != 0);\n"
        "  memcpy(&ua, &a, sizeof ua);\n"
        "  memcpy(&ub, &b, sizeof ub);\n"
        "  ua = (ua & m) | (ub & ~m);\n"
        "  memcpy(&a, &ua, sizeof a);\n"
        "  return a;\n"
        "}\n",
    [TCE_H_EXPM1_KERNELF] =
        "/* exp(r) - 1 for |r| <= 0.4505: a minimax polynomial, relative error below\n"
        "   2^-28. */\n"
        "TC_MATH_INLINE float tc_expm1_kernelf(float r) {\n"
        "  float p = 0.000197861547f;\n"
        "  p = p * r + 0.00139634148f;\n"
        "  p = p * r + 0.00833366718f;\n"
        "  p = p * r + 0.0416661501f;\n"
        "  p = p * r + 0.166666642f;\n"
        "  p = p * r + 0.5f;\n"
        "  return r + r * r * p;\n"
        "}\n",
    [TCE_H_EXP_KERNELF] =
        "/* m exp(hi + lo), for hi in [-105, 90] or NaN and |lo| <= 0.1.\n"
        "   exp(hi + lo) = 2^n exp(r): n = round(hi / ln 2) (from the bits of\n"
        "   1.5 * 2^23 + hi / ln 2), r = hi + lo - n ln 2 with ln 2 in two parts\n"
        "   (n times the first is exact).  2^n is applied last, as two factors, so\n"
        "   that m exp(hi + lo) keeps its digits where exp(hi + lo) alone would be\n"
        "   subnormal, and a subnormal result is rounded once. */\n"
        "TC_MATH_INLINE float tc_exp_kernelf(float hi, float lo, float m) {\n"
        "  float k = hi * 1.44269502f + 12582912.0f;\n"
        "  float n = k - 12582912.0f, s1, s2;\n"
        "  float r = (hi - n * 0.693145752f) - (n * 1.42860677e-6f - lo);\n"
        "  uint32_t b, b1, b2;\n"
        "  m = m + m * tc_expm1_kernelf(r);\n"
        "  memcpy(&b, &k, sizeof b);\n"
        "  b = b - 0x4b400000u + 300u; /* n + 300, in [149, 430] */\n"
        "  b1 = ((b >> 1) - 23u) << 23; /* 2^n1, n1 = floor(n / 2) */\n"
        "  b2 = (b - (b >> 1) - 23u) << 23; /* 2^n2, n2 = n - n1 */\n"
        "  memcpy(&s1, &b1, sizeof s1);\n"
        "  memcpy(&s2, &b2, sizeof s2);\n"
        "  return m * s1 * s2;\n"
        "}\n",
    [TCE_H_EXPF] =
        "/* exp x: below -104 it rounds to 0 and above 89 to inf, and so does exp\n"
        "   of the bound (NaN passes the clamps). */\n"
        "TC_MATH_INLINE float tc_expf(float x) {\n"
        "  x = tc_selectf(x < -104.0f, -104.0f, x);\n"
        "  x = tc_selectf(x > 89.0f, 89.0f, x);\n"
        "  return tc_exp_kernelf(x, 0.0f, 1.0f);\n"
        "}\n",
    [TCE_H_EXP2F] =
        "/* 2^x = exp(x ln 2), x ln 2 taken exactly as hi + lo: x = h + (x - h)\n"
        "   with h its first 12 bits, ln 2 = L1 + L2 with L1 of 12 bits (so that\n"
        "   h L1 and (x - h) L1 are exact). */\n"
        "TC_MATH_INLINE float tc_exp2f(float x) {\n"
        "  float h;\n"
        "  uint32_t u;\n"
        "  x = tc_selectf(x < -151.0f, -151.0f, x);\n"
        "  x = tc_selectf(x > 129.0f, 129.0f, x);\n"
        "  memcpy(&u, &x, sizeof u);\n"
        "  u &= 0xfffff000u;\n"
        "  memcpy(&h, &u, sizeof h);\n"
        "  return tc_exp_kernelf(h * 0.693115234f, (x - h) * 0.693115234f + x * 3.19461833e-5f, 1.0f);\n"
        "}\n",
    [TCE_H_EXPM1F] =
        "/* exp(x) - 1 = 2^n (exp(r) - 1) + 2^n - 1 (n, r as in tc_exp_kernelf),\n"
        "   computed as twice its half so that 2^(n - 1) is a float for every n up\n"
        "   to 128.  Below -30 the result rounds to -1; for |x| < 2^-25 it is x. */\n"
        "TC_MATH_INLINE float tc_expm1f(float x) {\n"
        "  float c, k, n, e, h;\n"
        "  uint32_t b;\n"
        "  c = tc_selectf(x < -30.0f, -30.0f, x);\n"
        "  c = tc_selectf(c > 89.0f, 89.0f, c);\n"
        "  k = c * 1.44269502f + 12582912.0f;\n"
        "  n = k - 12582912.0f;\n"
        "  e = tc_expm1_kernelf((c - n * 0.693145752f) - n * 1.42860677e-6f);\n"
        "  memcpy(&b, &k, sizeof b);\n"
        "  b = (b - 0x4b400000u + 126u) << 23; /* 2^(n - 1), n in [-44, 128] */\n"
        "  memcpy(&h, &b, sizeof h);\n"
        "  e = 2.0f * (h * e + (h - 0.5f));\n"
        "  return tc_selectf((x > -2.98023224e-8f) & (x < 2.98023224e-8f), x, e);\n"
        "}\n",
    [TCE_H_LOG1P_KERNELF] =
        "/* log(1 + f) - f for f in [sqrt(1/2) - 1, sqrt(2) - 1]: a minimax\n"
        "   polynomial, relative error (to log(1 + f)) below 2^-27. */\n"
        "TC_MATH_INLINE float tc_log1p_kernelf(float f) {\n"
        "  float z = f * f, p = -0.0763788149f;\n"
        "  p = p * f + 0.127647385f;\n"
        "  p = p * f + -0.131603017f;\n"
        "  p = p * f + 0.142012969f;\n"
        "  p = p * f + -0.166233093f;\n"
        "  p = p * f + 0.20001249f;\n"
        "  p = p * f + -0.250008225f;\n"
        "  p = p * f + 0.333333313f;\n"
        "  return f * z * p - 0.5f * z;\n"
        "}\n",
    [TCE_H_LOGF] =
        "/* log x = k ln 2 + log(m) for x = 2^k m, m in [sqrt(1/2), sqrt(2))\n"
        "   (subnormal x scaled by 2^23 first); ln 2 in two parts (k times the first\n"
        "   is exact), k from the bits of 1.5 * 2^23 + k. */\n"
        "TC_MATH_INLINE float tc_logf(float x) {\n"
        "  int sub = x < 1.17549435e-38f;\n"
        "  float y = tc_selectf(sub, x * 8388608.0f, x), f, k, r;\n"
        "  uint32_t u, e;\n"
        "  memcpy(&u, &y, sizeof u);\n"
        "  u += 0x00cafb0du; /* 0x3f800000 - 0x3f3504f3: m's exponent is 0 or -1 */\n"
        "  e = 0x4b400000u - 128u + (u >> 23) - 23u * (uint32_t)sub;\n"
        "  u = (u & 0x007fffffu) + 0x3f3504f3u;\n"
        "  memcpy(&f, &u, sizeof f);\n"
        "  memcpy(&k, &e, sizeof k);\n"
        "  f -= 1.0f;\n"
        "  k -= 12582912.0f;\n"
        "  r = (f + (tc_log1p_kernelf(f) + k * -2.12194440e-4f)) + k * 0.693359375f;\n"
        "  r = tc_selectf(x < 0.0f, tc_nanf(), tc_selectf(x == 0.0f, -tc_inff(), r));\n"
        "  return tc_selectf((x == tc_inff()) | (x != x), x, r);\n"
        "}\n",
    [TCE_H_LOG2F] =
        "/* log2 x = k + log(m) log2(e), reduced as in tc_logf; log2(e) is taken as\n"
        "   1 + 0.4427..., so that the large terms k + f + ... add exactly. */\n"
        "TC_MATH_INLINE float tc_log2f(float x) {\n"
        "  int sub = x < 1.17549435e-38f;\n"
        "  float y = tc_selectf(sub, x * 8388608.0f, x), f, k, t, r;\n"
        "  uint32_t u, e;\n"
        "  memcpy(&u, &y, sizeof u);\n"
        "  u += 0x00cafb0du;\n"
        "  e = 0x4b400000u - 128u + (u >> 23) - 23u * (uint32_t)sub;\n"
        "  u = (u & 0x007fffffu) + 0x3f3504f3u;\n"
        "  memcpy(&f, &u, sizeof f);\n"
        "  memcpy(&k, &e, sizeof k);\n"
        "  f -= 1.0f;\n"
        "  k -= 12582912.0f;\n"
        "  t = tc_log1p_kernelf(f);\n"
        "  r = (((t * 0.442695041f + f * 0.442695041f) + t) + f) + k;\n"
        "  r = tc_selectf(x < 0.0f, tc_nanf(), tc_selectf(x == 0.0f, -tc_inff(), r));\n"
        "  return tc_selectf((x == tc_inff()) | (x != x), x, r);\n"
        "}\n",
    [TCE_H_LOG1PF] =
        "/* log1p x = log(u + c), u = 1 + x rounded and c its rounding error\n"
        "   (exact): with u = 2^k m as in tc_logf, log(u + c) = k ln 2 +\n"
        "   log(1 + f), f = m - 1 + c 2^-k. */\n"
        "TC_MATH_INLINE float tc_log1pf(float x) {\n"
        "  float u = 1.0f + x, f, k, s, r;\n"
        "  float c = tc_selectf(x > 1.0f, 1.0f - (u - x), x - (u - 1.0f));\n"
        "  uint32_t b, e, t;\n"
        "  memcpy(&b, &u, sizeof b);\n"
        "  b += 0x00cafb0du;\n"
        "  e = b >> 23; /* k + 128 */\n"
        "  t = 0x4b400000u - 128u + e;\n"
        "  memcpy(&k, &t, sizeof k);\n"
        "  k -= 12582912.0f;\n"
        "  b = (b & 0x007fffffu) + 0x3f3504f3u;\n"
        "  memcpy(&f, &b, sizeof f);\n"
        "  t = (255u - (e < 254u ? e : 254u)) << 23; /* 2^-k (k <= 126) */\n"
        "  memcpy(&s, &t, sizeof s);\n"
        "  f = (f - 1.0f) + c * s;\n"
        "  r = (f + (tc_log1p_kernelf(f) + k * -2.12194440e-4f)) + k * 0.693359375f;\n"
        "  r = tc_selectf(x < -1.0f, tc_nanf(), tc_selectf(x == -1.0f, -tc_inff(), r));\n"
        "  return tc_selectf((x == 0.0f) | (x == tc_inff()) | (x != x), x, r);\n"
        "}\n",
    [TCE_H_TANHF] =
        "/* tanh |x|: an odd polynomial below 0.625 (relative error below 2^-27),\n"
        "   else (1 - e) / (1 + e) with e = exp(-2|x|) (from 9 on, 1); then the sign\n"
        "   of x (which keeps -0). */\n"
        "TC_MATH_INLINE float tc_tanhf(float x) {\n"
        "  float a, z, p = -0.00566492695f, e;\n"
        "  uint32_t u, s;\n"
        "  memcpy(&u, &x, sizeof u);\n"
        "  s = u & 0x80000000u;\n"
        "  u ^= s;\n"
        "  memcpy(&a, &u, sizeof a);\n"
        "  z = a * a;\n"
        "  p = p * z + 0.0206042249f;\n"
        "  p = p * z + -0.0537293591f;\n"
        "  p = p * z + 0.133313224f;\n"
        "  p = p * z + -0.333332777f;\n"
        "  p = a + a * z * p;\n"
        "  e = tc_exp_kernelf(-2.0f * tc_selectf(a > 9.0f, 9.0f, a), 0.0f, 1.0f);\n"
        "  e = tc_selectf(a < 0.625f, p, (1.0f - e) / (1.0f + e));\n"
        "  memcpy(&u, &e, sizeof u);\n"
        "  u |= s;\n"
        "  memcpy(&e, &u, sizeof e);\n"
        "  return e;\n"
        "}\n",
    [TCE_H_SIGMOIDF] =
        "/* sigmoid x = 1 / (1 + e) for x >= 0 and e / (1 + e) for x < 0, with\n"
        "   e = exp(-|x|) (which never overflows). */\n"
        "TC_MATH_INLINE float tc_sigmoidf(float x) {\n"
        "  float e = tc_expf(x < 0.0f ? x : -x);\n"
        "  return tc_selectf(x < 0.0f, e, 1.0f) / (1.0f + e);\n"
        "}\n",
    [TCE_H_MUL_SIGMOIDF] =
        "/* m sigmoid(hi + lo), for |lo| <= 0.1, as tc_sigmoidf but with the last\n"
        "   product and quotient in double (one rounding); below -20, where\n"
        "   sigmoid is exp(hi + lo) to float precision, m goes into the exp before\n"
        "   its last scaling (so that m sigmoid keeps its digits where sigmoid alone\n"
        "   is subnormal); below -104 it is m * 0 (NaN for m infinite, as\n"
        "   x * sigmoid(x)). */\n"
        "TC_MATH_INLINE float tc_mul_sigmoidf(float m, float hi, float lo) {\n"
        "  int neg = hi < 0.0f, far = hi < -20.0f;\n"
        "  float v = neg ? hi : -hi, e, y;\n"
        "  v = tc_selectf(v < -104.0f, -104.0f, v);\n"
        "  e = tc_exp_kernelf(v, neg ? lo : -lo, tc_selectf(far, m, 1.0f));\n"
        "  y = (float)((double)m * tc_selectf(neg, e, 1.0f) / (1.0 + (double)e));\n"
        "  return tc_selectf(hi < -104.0f, m * 0.0f, tc_selectf(far, e, y));\n"
        "}\n",
    [TCE_H_SILUF] =
        "/* silu x = x sigmoid(x) */\n"
        "TC_MATH_INLINE float tc_siluf(float x) { return tc_mul_sigmoidf(x, x, 0.0f); }\n",
    [TCE_H_GELU_TANHF] =
        "/* gelu_tanh x = 0.5 x (1 + tanh(u)) = x sigmoid(2u), u = sqrt(2/pi) (x +\n"
        "   0.044715 x^3): 2u in double, where the cubic loses no digits, from x\n"
        "   clamped to +-10^4 (2u is then far beyond +-104 already), then split into\n"
        "   two floats, the second one 0 where 2u is beyond +-200. */\n"
        "TC_MATH_INLINE float tc_gelu_tanhf(float x) {\n"
        "  float c = tc_selectf(x < -1e4f, -1e4f, tc_selectf(x > 1e4f, 1e4f, x)), hi, lo;\n"
        "  double d = (double)c;\n"
        "  d = 1.5957691216057308 * d * (1.0 + 0.044715 * d * d);\n"
        "  hi = (float)d;\n"
        "  lo = (float)(d - (double)hi);\n"
        "  lo = tc_selectf((hi < -200.0f) | (hi > 200.0f), 0.0f, lo);\n"
        "  return tc_mul_sigmoidf(x, hi, lo);\n"
        "}\n",
    [TCE_H_SOFTPLUSF] =
        "/* softplus x = log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)) */\n"
        "TC_MATH_INLINE float tc_softplusf(float x) {\n"
        "  return tc_selectf(x > 0.0f, x, 0.0f) + tc_log1pf(tc_expf(x < 0.0f ? x : -x));\n"
        "}\n",
    [TCE_H_NORMAL_TAIL_MULF] =
        "/* m Q(a) for a >= 0 (or NaN), Q(a) = erfc(a / sqrt 2) / 2 the upper tail\n"
        "   of the standard normal distribution: Q(a) = exp(-a^2 / 2) W(a), with\n"
        "   W(a) = t P(t), t = 1 / (1 + 0.3 a), P a polynomial (relative error below\n"
        "   2^-28), computed in double.  -a^2 / 2 goes into the exp as hi + lo with\n"
        "   hi exact (a = h + (a - h), h its first 12 bits; from a = 14 on, the exp\n"
        "   of 14); m goes in before the exp's last scaling, so that m Q(a) keeps\n"
        "   its digits where Q(a) alone would be subnormal. */\n"
        "TC_MATH_INLINE float tc_normal_tail_mulf(float m, float a) {\n"
        "  double t = 1.0 / (1.0 + 0.3 * (double)a), p = -0.02061264497058728;\n"
        "  float h, hi, lo;\n"
        "  uint32_t u;\n"
        "  p = p * t + 0.11237487391889202;\n"
        "  p = p * t + -0.22806561052203531;\n"
        "  p = p * t + 0.1915794514801355;\n"
        "  p = p * t + -0.079245720447999018;\n"
        "  p = p * t + 0.096057094969644055;\n"
        "  p = p * t + 0.07842578537069618;\n"
        "  p = p * t + 0.11022729056788008;\n"
        "  p = p * t + 0.11957284389289013;\n"
        "  p = p * t + 0.11968663402264208;\n"
        "  memcpy(&u, &a, sizeof u);\n"
        "  u &= 0xfffff000u;\n"
        "  memcpy(&h, &u, sizeof h);\n"
        "  hi = -0.5f * h * h;\n"
        "  lo = -0.5f * ((a - h) * (a + h));\n"
        "  lo = tc_selectf(hi < -98.0f, 0.0f, lo);\n"
        "  hi = tc_selectf(hi < -98.0f, -98.0f, hi);\n"
        "  return tc_exp_kernelf(hi, lo, (float)((double)m * p * t));\n"
        "}\n",
    [TCE_H_ERFF] =
        "/* erf x: an odd polynomial below 0.875 (relative error below 2^-30), else\n"
        "   sign(x) (1 - erfc(|x|)), erfc(|x|) = 2 Q(|x| sqrt 2). */\n"
        "TC_MATH_INLINE float tc_erff(float x) {\n"
        "  float a = x < 0.0f ? -x : x, z = x * x, p = 7.87116005e-05f, q;\n"
        "  p = p * z + -0.00080269482f;\n"
        "  p = p * z + 0.00519096665f;\n"
        "  p = p * z + -0.0268553682f;\n"
        "  p = p * z + 0.112836227f;\n"
        "  p = p * z + -0.376126289f;\n"
        "  p = p * z + 0.128379166f;\n"
        "  q = 1.0f - tc_normal_tail_mulf(2.0f, a * 1.41421354f);\n"
        "  return tc_selectf(a < 0.875f, x + x * p, x < 0.0f ? -q : q);\n"
        "}\n",
    [TCE_H_GELUF] =
        "/* gelu x = x Phi(x) = x Q(-x) for x <= 0 (no 1 + erf(..) to cancel) and\n"
        "   x - x Q(x) for x > 0; below -14 it is x * 0 (NaN for -inf), above 14 x. */\n"
        "TC_MATH_INLINE float tc_geluf(float x) {\n"
        "  float q = tc_normal_tail_mulf(x, x < 0.0f ? -x : x);\n"
        "  q = tc_selectf(x > 0.0f, x - q, q);\n"
        "  q = tc_selectf(x > 14.0f, x, q);\n"
        "  return tc_selectf(x < -14.0f, x * 0.0f, q);\n"
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
