/*
 * vec.c: the intrinsics targets, AVX2 and AVX-512: how one f32 vector op
 * is written for each.  emit/c.c decides which loops run in vectors and
 * writes their structure; this file supplies the intrinsics, as scalar.c
 * supplies the scalar C.  Every function of the generated code that uses
 * them carries the ISA's target attribute (TC_TARGET_AVX512 /
 * TC_TARGET_AVX2), so the file compiles with a plain `cc -O2`.
 *
 * Semantics are those of the scalar target, bit for bit where IEEE
 * arithmetic fixes the result: maximum/minimum propagate NaN as
 * `a > b || a != a ? a : b` does, relu keeps -0 and NaN, comparisons are
 * ordered (false on NaN) except `!=`.  Math functions (exp, tanh, ...) call
 * emit/vmath.c's vector helpers, within 4 ulp (docs/math.md).
 */
#include "vec.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* ORDER TCE_VISA: AVX2, AVX512 */
static const struct {
  const char *vt, *mt, *attr, *pfx, *suffix;
  int lanes;
} isas[TCE_VISA_COUNT] = {
    {"__m256", "__m256", "TC_TARGET_AVX2", "_mm256", "avx2", 8},
    {"__m512", "__mmask16", "TC_TARGET_AVX512", "_mm512", "avx512", 16},
};

const char *tcE_vec_type(tcE_visa isa) { return isas[isa].vt; }
const char *tcE_vec_mask_type(tcE_visa isa) { return isas[isa].mt; }
const char *tcE_vec_attr(tcE_visa isa) { return isas[isa].attr; }
const char *tcE_vec_suffix(tcE_visa isa) { return isas[isa].suffix; }
int tcE_vec_lanes(tcE_visa isa) { return isas[isa].lanes; }

void tcE_vec_set1(tc_buf *out, tcE_visa isa, const char *scalar) {
  tc_buf_printf(out, "%s_set1_ps(%s)", isas[isa].pfx, scalar);
}

void tcE_vec_tail_mask(tc_buf *out, tcE_visa isa, const char *n, char used[TCE_VISA_COUNT]) {
  used[isa] = 1;
  tc_buf_printf(out, "tc_tail_%s(%s)", isas[isa].suffix, n);
}

void tcE_vec_load(tc_buf *out, tcE_visa isa, const char *addr, const char *mask) {
  if (!mask)
    tc_buf_printf(out, "%s_loadu_ps(%s)", isas[isa].pfx, addr);
  else if (isa == TCE_VISA_AVX512)
    tc_buf_printf(out, "_mm512_maskz_loadu_ps(%s, %s)", mask, addr);
  else
    tc_buf_printf(out, "_mm256_maskload_ps(%s, _mm256_castps_si256(%s))", addr, mask);
}

void tcE_vec_lane_group(tc_buf *out, tcE_visa isa, const char *v, int64_t k, const char *r) {
  int lanes = tcE_vec_lanes(isa), z = isa == TCE_VISA_AVX512;
  char *end;
  long long c = strtoll(r, &end, 10);
  int lit = *r && !*end; /* r a literal: one constant index vector */
  if (z)
    tc_buf_puts(out, "_mm512_permutexvar_ps(");
  else
    tc_buf_printf(out, "_mm256_permutevar8x32_ps(%s, ", v);
  if (!lit) tc_buf_printf(out, "%s_add_epi32(", isas[isa].pfx);
  tc_buf_printf(out, "%s_setr_epi32(", isas[isa].pfx);
  for (int l = 0; l < lanes; l++)
    tc_buf_printf(out, "%s%lld", l ? ", " : "", (long long)(l / k * k + (lit ? c : 0)));
  tc_buf_puts(out, ")");
  if (!lit) tc_buf_printf(out, ", %s_set1_epi32((int)(%s)))", isas[isa].pfx, r);
  if (z)
    tc_buf_printf(out, ", %s)", v);
  else
    tc_buf_puts(out, ")");
}

void tcE_vec_store(tc_buf *out, tcE_visa isa, const char *addr, const char *mask,
                   const char *v) {
  if (!mask)
    tc_buf_printf(out, "%s_storeu_ps(%s, %s);", isas[isa].pfx, addr, v);
  else if (isa == TCE_VISA_AVX512)
    tc_buf_printf(out, "_mm512_mask_storeu_ps(%s, %s, %s);", addr, mask, v);
  else
    tc_buf_printf(out, "_mm256_maskstore_ps(%s, _mm256_castps_si256(%s), %s);", addr, mask, v);
}

/* The compare predicate of a CMP op. */
static const char *cmp_pred(tc_op op) {
  switch (op) {
  case TC_OP_LT: return "_CMP_LT_OQ";
  case TC_OP_LE: return "_CMP_LE_OQ";
  case TC_OP_GT: return "_CMP_GT_OQ";
  case TC_OP_GE: return "_CMP_GE_OQ";
  case TC_OP_EQ: return "_CMP_EQ_OQ";
  case TC_OP_NE: return "_CMP_NEQ_UQ";
  default: return NULL;
  }
}

/* The ops the vectorize pass sends to vectors (tc_loop_op_has_vector, the
   one list) and the comparisons; tcE_vec_op writes each, math ones through
   emit/vmath.c. */
int tcE_vec_has_op(tc_op op) { return tc_loop_op_has_vector(op) || cmp_pred(op) != NULL; }

int tcE_vec_is_cmp(tc_op op) { return cmp_pred(op) != NULL; }

void tcE_vec_cmp(tc_buf *out, tcE_visa isa, tc_op op, const char *a, const char *b) {
  const char *p = cmp_pred(op);
  assert(p);
  if (isa == TCE_VISA_AVX512)
    tc_buf_printf(out, "_mm512_cmp_ps_mask(%s, %s, %s)", a, b, p);
  else
    tc_buf_printf(out, "_mm256_cmp_ps(%s, %s, %s)", a, b, p);
}

void tcE_vec_blend(tc_buf *out, tcE_visa isa, const char *m, const char *t, const char *f) {
  if (isa == TCE_VISA_AVX512)
    tc_buf_printf(out, "_mm512_mask_blend_ps(%s, %s, %s)", m, f, t);
  else
    tc_buf_printf(out, "_mm256_blendv_ps(%s, %s, %s)", f, t, m);
}

void tcE_vec_mask_or(tc_buf *out, tcE_visa isa, const char *a, const char *b) {
  if (isa == TCE_VISA_AVX512)
    tc_buf_printf(out, "(__mmask16)(%s | %s)", a, b);
  else
    tc_buf_printf(out, "_mm256_or_ps(%s, %s)", a, b);
}

void tcE_vec_op(tc_buf *out, tcE_visa isa, tc_op op, const char *const *a, const char *slope,
                char used[TCE_VM_COUNT]) {
  const char *P = isas[isa].pfx;
  int z = isa == TCE_VISA_AVX512;
  switch (op) {
  case TC_OP_ADD: tc_buf_printf(out, "%s_add_ps(%s, %s)", P, a[0], a[1]); return;
  case TC_OP_SUB: tc_buf_printf(out, "%s_sub_ps(%s, %s)", P, a[0], a[1]); return;
  case TC_OP_MUL: tc_buf_printf(out, "%s_mul_ps(%s, %s)", P, a[0], a[1]); return;
  case TC_OP_DIV: tc_buf_printf(out, "%s_div_ps(%s, %s)", P, a[0], a[1]); return;
  case TC_OP_NEG: tc_buf_printf(out, "%s_xor_ps(%s, %s_set1_ps(-0.0f))", P, a[0], P); return;
  case TC_OP_ABS: tc_buf_printf(out, "%s_andnot_ps(%s_set1_ps(-0.0f), %s)", P, P, a[0]); return;
  case TC_OP_SQRT: tc_buf_printf(out, "%s_sqrt_ps(%s)", P, a[0]); return;
  case TC_OP_RSQRT:
    tc_buf_printf(out, "%s_div_ps(%s_set1_ps(1.0f), %s_sqrt_ps(%s))", P, P, P, a[0]);
    return;
  case TC_OP_RECIPROCAL: tc_buf_printf(out, "%s_div_ps(%s_set1_ps(1.0f), %s)", P, P, a[0]); return;
  /* max(0, x) returns x when x is NaN (the second operand) and when both
     are zeros: relu(-0) is -0, as x < 0 ? 0 : x gives */
  case TC_OP_RELU: tc_buf_printf(out, "%s_max_ps(%s_setzero_ps(), %s)", P, P, a[0]); return;
  case TC_OP_RELU6:
    tc_buf_printf(out, "%s_min_ps(%s_set1_ps(6.0f), %s_max_ps(%s_setzero_ps(), %s))", P, P, P, P,
                  a[0]);
    return;
  case TC_OP_FLOOR: case TC_OP_CEIL: case TC_OP_TRUNC: case TC_OP_ROUND: {
    const char *mode = op == TC_OP_FLOOR  ? "_MM_FROUND_TO_NEG_INF"
                       : op == TC_OP_CEIL ? "_MM_FROUND_TO_POS_INF"
                       : op == TC_OP_TRUNC ? "_MM_FROUND_TO_ZERO"
                                           : "_MM_FROUND_TO_NEAREST_INT";
    if (z)
      tc_buf_printf(out, "_mm512_roundscale_ps(%s, %s | _MM_FROUND_NO_EXC)", a[0], mode);
    else
      tc_buf_printf(out, "_mm256_round_ps(%s, %s | _MM_FROUND_NO_EXC)", a[0], mode);
    return;
  }
  /* a > b || a != a ? a : b (and <): NaN in either operand gives NaN */
  case TC_OP_MAXIMUM: case TC_OP_MINIMUM: {
    const char *p = op == TC_OP_MAXIMUM ? "_CMP_GT_OQ" : "_CMP_LT_OQ";
    if (z)
      tc_buf_printf(out,
                    "_mm512_mask_blend_ps((__mmask16)(_mm512_cmp_ps_mask(%s, %s, %s) | "
                    "_mm512_cmp_ps_mask(%s, %s, _CMP_UNORD_Q)), %s, %s)",
                    a[0], a[1], p, a[0], a[0], a[1], a[0]);
    else
      tc_buf_printf(out,
                    "_mm256_blendv_ps(%s, %s, _mm256_or_ps(_mm256_cmp_ps(%s, %s, %s), "
                    "_mm256_cmp_ps(%s, %s, _CMP_UNORD_Q)))",
                    a[1], a[0], a[0], a[1], p, a[0], a[0]);
    return;
  }
  /* hi < c ? hi : c, with c = x < lo ? lo : x (the scalar template) */
  case TC_OP_CLAMP: {
    tc_buf c = {0};
    if (z)
      tc_buf_printf(&c, "_mm512_mask_blend_ps(_mm512_cmp_ps_mask(%s, %s, _CMP_LT_OQ), %s, %s)",
                    a[0], a[1], a[0], a[1]);
    else
      tc_buf_printf(&c, "_mm256_blendv_ps(%s, %s, _mm256_cmp_ps(%s, %s, _CMP_LT_OQ))", a[0],
                    a[1], a[0], a[1]);
    /* c is repeated: a[] are names, so the expression is pure */
    if (z)
      tc_buf_printf(out, "_mm512_mask_blend_ps(_mm512_cmp_ps_mask(%s, %s, _CMP_LT_OQ), %s, %s)",
                    a[2], c.data, c.data, a[2]);
    else
      tc_buf_printf(out, "_mm256_blendv_ps(%s, %s, _mm256_cmp_ps(%s, %s, _CMP_LT_OQ))", c.data,
                    a[2], a[2], c.data);
    tc_buf_free(&c);
    return;
  }
  /* x > 0 ? x : x * slope */
  case TC_OP_LEAKY_RELU:
    if (z)
      tc_buf_printf(out,
                    "_mm512_mask_blend_ps(_mm512_cmp_ps_mask(%s, _mm512_setzero_ps(), "
                    "_CMP_GT_OQ), _mm512_mul_ps(%s, _mm512_set1_ps(%s)), %s)",
                    a[0], a[0], slope, a[0]);
    else
      tc_buf_printf(out,
                    "_mm256_blendv_ps(_mm256_mul_ps(%s, _mm256_set1_ps(%s)), %s, "
                    "_mm256_cmp_ps(%s, _mm256_setzero_ps(), _CMP_GT_OQ))",
                    a[0], slope, a[0], a[0]);
    return;
  default: {
    tcE_vmfn f = tcE_vmath_of_op(op);
    assert(f != TCE_VM_COUNT);
    used[f] = 1;
    tc_buf_printf(out, "%s(%s)", tcE_vmath_name(isa, f), a[0]);
    return;
  }
  }
}

void tcE_vec_prelude(tc_buf *out, const char used_isa[TCE_VISA_COUNT],
                     const char used_tail[TCE_VISA_COUNT]) {
  if (!used_isa[TCE_VISA_AVX2] && !used_isa[TCE_VISA_AVX512]) return;
  tc_buf_puts(out,
              "\n#include <immintrin.h>\n\n"
              "/* Functions using intrinsics carry their instruction set as a target\n"
              "   attribute: this file needs no -m flag. */\n"
              "#ifndef TC_TARGET_AVX2\n"
              "#define TC_TARGET_AVX2 __attribute__((target(\"avx2,fma\")))\n"
              "#endif\n"
              "#ifndef TC_TARGET_AVX512\n"
              "#define TC_TARGET_AVX512 "
              "__attribute__((target(\"avx512f,avx512bw,avx512dq,avx512vl,avx2,fma\")))\n"
              "#endif\n");
  if (used_tail[TCE_VISA_AVX2])
    tc_buf_puts(out,
                "\n/* Lanes [0, n) of 8 (none for n <= 0, all of them from n = 8 on). */\n"
                "static inline TC_TARGET_AVX2 __m256 tc_tail_avx2(int64_t n) {\n"
                "  const int64_t k = n < 8 ? n : 8;\n"
                "  return _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32((int)k),\n"
                "                                                _mm256_setr_epi32(0, 1, 2, 3, 4, "
                "5, 6, 7)));\n"
                "}\n");
  if (used_tail[TCE_VISA_AVX512])
    tc_buf_puts(out,
                "\n/* Lanes [0, n) of 16 (none for n <= 0, all of them from n = 16 on). */\n"
                "static inline TC_TARGET_AVX512 __mmask16 tc_tail_avx512(int64_t n) {\n"
                "  return n >= 16 ? (__mmask16)0xffff : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1u);\n"
                "}\n");
}

/* ---- reductions in lanes ------------------------------------------------ */

/* acc (red) x, acc and x vectors of width prefix P ("_mm", "_mm256",
   "_mm512"); for MAX/MIN the scalar step `x > acc || x != x ? x : acc`. */
static void step_expr(tc_buf *out, const char *P, tc_op red, const char *acc, const char *x) {
  switch (red) {
  case TC_OP_SUM: tc_buf_printf(out, "%s_add_ps(%s, %s)", P, acc, x); return;
  case TC_OP_PROD: tc_buf_printf(out, "%s_mul_ps(%s, %s)", P, acc, x); return;
  default: {
    const char *p = red == TC_OP_MAX ? "_CMP_GT_OQ" : "_CMP_LT_OQ";
    if (!strcmp(P, "_mm512"))
      tc_buf_printf(out,
                    "_mm512_mask_blend_ps((__mmask16)(_mm512_cmp_ps_mask(%s, %s, %s) | "
                    "_mm512_cmp_ps_mask(%s, %s, _CMP_UNORD_Q)), %s, %s)",
                    x, acc, p, x, x, acc, x);
    else
      tc_buf_printf(out,
                    "%s_blendv_ps(%s, %s, %s_or_ps(%s_cmp_ps(%s, %s, %s), %s_cmp_ps(%s, %s, "
                    "_CMP_UNORD_Q)))",
                    P, acc, x, P, P, x, acc, p, P, x, x);
  }
  }
}

void tcE_vec_red_step(tc_buf *out, tcE_visa isa, tc_op red, const char *acc, const char *x,
                      const char *m) {
  if (!m) {
    tc_buf_printf(out, "%s = ", acc);
    tcE_vec_red_combine(out, isa, red, acc, x);
    tc_buf_putc(out, ';');
    return;
  }
  if (isa == TCE_VISA_AVX512) {
    switch (red) {
    case TC_OP_SUM:
      tc_buf_printf(out, "%s = _mm512_mask_add_ps(%s, %s, %s, %s);", acc, acc, m, acc, x);
      return;
    case TC_OP_PROD:
      tc_buf_printf(out, "%s = _mm512_mask_mul_ps(%s, %s, %s, %s);", acc, acc, m, acc, x);
      return;
    default:
      tc_buf_printf(out,
                    "%s = _mm512_mask_blend_ps((__mmask16)(_mm512_mask_cmp_ps_mask(%s, %s, %s, "
                    "%s) | _mm512_mask_cmp_ps_mask(%s, %s, %s, _CMP_UNORD_Q)), %s, %s);",
                    acc, m, x, acc, red == TC_OP_MAX ? "_CMP_GT_OQ" : "_CMP_LT_OQ", m, x, x,
                    acc, x);
      return;
    }
  }
  tc_buf_printf(out, "%s = _mm256_blendv_ps(%s, ", acc, acc);
  step_expr(out, "_mm256", red, acc, x);
  tc_buf_printf(out, ", %s);", m);
}

void tcE_vec_red_combine(tc_buf *out, tcE_visa isa, tc_op red, const char *acc, const char *x) {
  step_expr(out, isa == TCE_VISA_AVX512 ? "_mm512" : "_mm256", red, acc, x);
}

static int red_index(tc_op red) {
  return red == TC_OP_SUM ? 0 : red == TC_OP_PROD ? 1 : red == TC_OP_MAX ? 2 : 3;
}

static const char *const red_names[4] = {"sum", "prod", "max", "min"};

void tcE_vec_hred(tc_buf *out, tcE_visa isa, tc_op red, const char *v, char used[4]) {
  used[red_index(red)] = 1;
  tc_buf_printf(out, "tc_h%s_%s(%s)", red_names[red_index(red)], isas[isa].suffix, v);
}

void tcE_vec_hred_write(tc_buf *out, const char used[TCE_VISA_COUNT][4]) {
  static const tc_op reds[4] = {TC_OP_SUM, TC_OP_PROD, TC_OP_MAX, TC_OP_MIN};
  for (int isa = TCE_VISA_COUNT - 1; isa >= 0; isa--)
    for (int k = 0; k < 4; k++) {
      if (!used[isa][k]) continue;
      int z = isa == TCE_VISA_AVX512;
      tc_buf_printf(out,
                    "\n/* The %s of the lanes of a, combined pairwise in the fixed order of\n"
                    "   the scalar target's lanes (lane l with lane l + w, w halving). */\n"
                    "static inline %s float tc_h%s_%s(%s a) {\n",
                    red_names[k], isas[isa].attr, red_names[k], isas[isa].suffix, isas[isa].vt);
      const char *y = "a";
      if (z) {
        tc_buf_puts(out, "  const __m256 lo8 = _mm512_castps512_ps256(a), hi8 = "
                         "_mm512_extractf32x8_ps(a, 1);\n  const __m256 y = ");
        step_expr(out, "_mm256", reds[k], "lo8", "hi8");
        tc_buf_puts(out, ";\n");
        y = "y";
      }
      tc_buf_printf(out,
                    "  const __m128 lo4 = _mm256_castps256_ps128(%s), hi4 = "
                    "_mm256_extractf128_ps(%s, 1);\n  const __m128 x4 = ",
                    y, y);
      step_expr(out, "_mm", reds[k], "lo4", "hi4");
      tc_buf_puts(out, ";\n  const __m128 hi2 = _mm_movehl_ps(x4, x4);\n  const __m128 x2 = ");
      step_expr(out, "_mm", reds[k], "x4", "hi2");
      tc_buf_puts(out, ";\n  const __m128 hi1 = _mm_shuffle_ps(x2, x2, 1);\n  const __m128 x1 = ");
      step_expr(out, "_mm", reds[k], "x2", "hi1");
      tc_buf_puts(out, ";\n  return _mm_cvtss_f32(x1);\n}\n");
    }
}

/* ---- bf16 ---------------------------------------------------------------- */

/* The bf16 helpers, and the u8/i8 stores' (VB_Q8_*), each written when
   used (clang warns about an unused static function), after those they
   call.  ORDER TCE_VBF16. */
enum {
  VB_WIDEN, VB_LOAD, VB_LOAD_TAIL, VB_BITS, VB_NARROW, VB_STORE, VB_STORE_TAIL, VB_ROUND,
  VB_Q8_NARROW, VB_Q8_STORE, VB_Q8_STORE_TAIL, VB_COUNT
};
_Static_assert(VB_COUNT == TCE_VBF16_COUNT, "TCE_VBF16_COUNT in vec.h");
static const unsigned short bf16_deps[VB_COUNT] = {
    [VB_LOAD] = 1u << VB_WIDEN, [VB_LOAD_TAIL] = 1u << VB_WIDEN,
    [VB_NARROW] = 1u << VB_BITS, [VB_STORE] = 1u << VB_NARROW | 1u << VB_BITS,
    [VB_STORE_TAIL] = 1u << VB_NARROW | 1u << VB_BITS, [VB_ROUND] = 1u << VB_BITS,
    [VB_Q8_STORE] = 1u << VB_Q8_NARROW, [VB_Q8_STORE_TAIL] = 1u << VB_Q8_NARROW};
static const char *const bf16_text[TCE_VISA_COUNT][VB_COUNT] = {
    {[VB_WIDEN] =
         "\n/* 8 bf16 widened to f32. */\n"
         "static inline TC_TARGET_AVX2 __m256 tc_widen_bf16_avx2(__m128i h) {\n"
         "  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));\n"
         "}\n",
     [VB_LOAD] =
         "\n/* The 8 bf16 at p, widened to f32. */\n"
         "static inline TC_TARGET_AVX2 __m256 tc_load_bf16_avx2(const uint16_t *p) {\n"
         "  return tc_widen_bf16_avx2(_mm_loadu_si128((const __m128i *)(const void *)p));\n"
         "}\n",
     [VB_LOAD_TAIL] =
         "\n/* The bf16 at p in the lanes of mask m, widened to f32 (the others 0, not\n"
         "   read).  AVX2 has no 16-bit masked load: they are copied. */\n"
         "static inline TC_TARGET_AVX2 __m256 tc_load_bf16_tail_avx2(const uint16_t *p, __m256 m) {\n"
         "  uint16_t b[8] = {0, 0, 0, 0, 0, 0, 0, 0};\n"
         "  const unsigned bits = (unsigned)_mm256_movemask_ps(m); /* any lanes, not only the first */\n"
         "  for (int i = 0; i < 8; i++)\n"
         "    if (bits >> i & 1u) b[i] = p[i];\n"
         "  return tc_widen_bf16_avx2(_mm_loadu_si128((const __m128i *)(const void *)b));\n"
         "}\n",
     [VB_BITS] =
         "\n/* The lanes of v rounded to bf16 (nearest even; a NaN stays a quiet NaN), in\n"
         "   the upper halves of 32-bit lanes, as tc_bf16_store rounds one. */\n"
         "static inline TC_TARGET_AVX2 __m256i tc_bf16_bits_avx2(__m256 v) {\n"
         "  const __m256i u = _mm256_castps_si256(v);\n"
         "  const __m256i odd = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));\n"
         "  const __m256i r = _mm256_add_epi32(u, _mm256_add_epi32(_mm256_set1_epi32(0x7fff), odd));\n"
         "  const __m256i q = _mm256_or_si256(u, _mm256_set1_epi32(0x400000));\n"
         "  return _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(r), _mm256_castsi256_ps(q),\n"
         "                                              _mm256_cmp_ps(v, v, _CMP_UNORD_Q)));\n"
         "}\n",
     [VB_NARROW] =
         "\n/* v rounded to bf16, as 8 uint16_t. */\n"
         "static inline TC_TARGET_AVX2 __m128i tc_narrow_bf16_avx2(__m256 v) {\n"
         "  const __m256i r = _mm256_srli_epi32(tc_bf16_bits_avx2(v), 16);\n"
         "  return _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));\n"
         "}\n",
     [VB_STORE] =
         "\n/* v rounded to bf16, stored to the 8 bf16 at p. */\n"
         "static inline TC_TARGET_AVX2 void tc_store_bf16_avx2(uint16_t *p, __m256 v) {\n"
         "  _mm_storeu_si128((__m128i *)(void *)p, tc_narrow_bf16_avx2(v));\n"
         "}\n",
     [VB_STORE_TAIL] =
         "\n/* v rounded to bf16, stored to the first lanes of prefix mask m at p. */\n"
         "static inline TC_TARGET_AVX2 void tc_store_bf16_tail_avx2(uint16_t *p, __m256 m, __m256 v) {\n"
         "  uint16_t b[8];\n"
         "  _mm_storeu_si128((__m128i *)(void *)b, tc_narrow_bf16_avx2(v));\n"
         "  memcpy(p, b, (size_t)__builtin_popcount((unsigned)_mm256_movemask_ps(m)) * sizeof *b);\n"
         "}\n",
     [VB_ROUND] =
         "\n/* v rounded to bf16 and held in f32 again (a cast to bf16). */\n"
         "static inline TC_TARGET_AVX2 __m256 tc_round_bf16_avx2(__m256 v) {\n"
         "  return _mm256_castsi256_ps(\n"
         "      _mm256_and_si256(tc_bf16_bits_avx2(v), _mm256_set1_epi32((int)0xffff0000u)));\n"
         "}\n",
     [VB_Q8_NARROW] =
         "\n/* v as 8 bytes of u8 (lo 0, hi 255) or i8 (lo -128, hi 127), converted as a\n"
         "   cast does: NaN to 0, clamped to [lo, hi], toward zero (the packs are\n"
         "   then exact). */\n"
         "static inline TC_TARGET_AVX2 __m128i tc_narrow_q8_avx2(__m256 v, float lo, float hi) {\n"
         "  const __m256 z = _mm256_and_ps(v, _mm256_cmp_ps(v, v, _CMP_ORD_Q));\n"
         "  const __m256i i = _mm256_cvttps_epi32(\n"
         "      _mm256_min_ps(_mm256_max_ps(z, _mm256_set1_ps(lo)), _mm256_set1_ps(hi)));\n"
         "  const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(i), _mm256_extracti128_si256(i, 1));\n"
         "  return lo < 0.0f ? _mm_packs_epi16(w, w) : _mm_packus_epi16(w, w);\n"
         "}\n",
     [VB_Q8_STORE] =
         "\n/* v converted (tc_narrow_q8_avx2), stored to the 8 bytes at p. */\n"
         "static inline TC_TARGET_AVX2 void tc_store_q8_avx2(void *p, __m256 v, float lo, float hi) {\n"
         "  _mm_storel_epi64((__m128i *)p, tc_narrow_q8_avx2(v, lo, hi));\n"
         "}\n",
     [VB_Q8_STORE_TAIL] =
         "\n/* v converted (tc_narrow_q8_avx2), stored to the first lanes of prefix mask m\n"
         "   at p. */\n"
         "static inline TC_TARGET_AVX2 void tc_store_q8_tail_avx2(void *p, __m256 m, __m256 v, float lo,\n"
         "                                                      float hi) {\n"
         "  uint8_t b[16];\n"
         "  _mm_storeu_si128((__m128i *)(void *)b, tc_narrow_q8_avx2(v, lo, hi));\n"
         "  memcpy(p, b, (size_t)__builtin_popcount((unsigned)_mm256_movemask_ps(m)));\n"
         "}\n"},
    {[VB_LOAD] =
         "\n/* The bf16 at p in the lanes of m, widened to f32 (others 0, not read). */\n"
         "static inline TC_TARGET_AVX512 __m512 tc_load_bf16_avx512(const uint16_t *p, __mmask16 m) {\n"
         "  return _mm512_castsi512_ps(\n"
         "      _mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, p)), 16));\n"
         "}\n",
     [VB_BITS] =
         "\n/* The lanes of v rounded to bf16 (nearest even; a NaN stays a quiet NaN), in\n"
         "   the upper halves of 32-bit lanes, as tc_bf16_store rounds one. */\n"
         "static inline TC_TARGET_AVX512 __m512i tc_bf16_bits_avx512(__m512 v) {\n"
         "  const __m512i u = _mm512_castps_si512(v);\n"
         "  const __m512i odd = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));\n"
         "  const __m512i r = _mm512_add_epi32(u, _mm512_add_epi32(_mm512_set1_epi32(0x7fff), odd));\n"
         "  return _mm512_mask_mov_epi32(r, _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q),\n"
         "                               _mm512_or_si512(u, _mm512_set1_epi32(0x400000)));\n"
         "}\n",
     [VB_STORE] =
         "\n/* v rounded to bf16, stored to the lanes of m at p. */\n"
         "static inline TC_TARGET_AVX512 void tc_store_bf16_avx512(uint16_t *p, __mmask16 m, __m512 v) {\n"
         "  _mm256_mask_storeu_epi16(p, m, _mm512_cvtepi32_epi16(_mm512_srli_epi32(tc_bf16_bits_avx512(v), 16)));\n"
         "}\n",
     [VB_ROUND] =
         "\n/* v rounded to bf16 and held in f32 again (a cast to bf16). */\n"
         "static inline TC_TARGET_AVX512 __m512 tc_round_bf16_avx512(__m512 v) {\n"
         "  return _mm512_castsi512_ps(\n"
         "      _mm512_and_si512(tc_bf16_bits_avx512(v), _mm512_set1_epi32((int)0xffff0000u)));\n"
         "}\n",
     [VB_Q8_STORE] =
         "\n/* v stored to the u8 (lo 0, hi 255) or i8 (lo -128, hi 127) elements at p in\n"
         "   the lanes of m, converted as a cast does: NaN to 0, clamped to [lo, hi],\n"
         "   toward zero. */\n"
         "static inline TC_TARGET_AVX512 void tc_store_q8_avx512(void *p, __mmask16 m, __m512 v, float lo,\n"
         "                                                      float hi) {\n"
         "  const __m512 z = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(v, v, _CMP_ORD_Q), v);\n"
         "  const __m512 c = _mm512_min_ps(_mm512_max_ps(z, _mm512_set1_ps(lo)), _mm512_set1_ps(hi));\n"
         "  _mm512_mask_cvtepi32_storeu_epi8(p, m, _mm512_cvttps_epi32(c));\n"
         "}\n"}};

static void bf16_use(char *used, int h) {
  used[h] = 1;
  for (int d = 0; d < VB_COUNT; d++)
    if (bf16_deps[h] >> d & 1) used[d] = 1;
}

void tcE_vec_load_bf16(tc_buf *out, tcE_visa isa, const char *addr, const char *mask,
                       char used[TCE_VISA_COUNT][TCE_VBF16_COUNT]) {
  if (isa == TCE_VISA_AVX512) {
    bf16_use(used[isa], VB_LOAD);
    tc_buf_printf(out, "tc_load_bf16_avx512(%s, %s)", addr, mask ? mask : "(__mmask16)0xffff");
  } else if (mask) {
    bf16_use(used[isa], VB_LOAD_TAIL);
    tc_buf_printf(out, "tc_load_bf16_tail_avx2(%s, %s)", addr, mask);
  } else {
    bf16_use(used[isa], VB_LOAD);
    tc_buf_printf(out, "tc_load_bf16_avx2(%s)", addr);
  }
}

void tcE_vec_store_bf16(tc_buf *out, tcE_visa isa, const char *addr, const char *mask,
                        const char *v, char used[TCE_VISA_COUNT][TCE_VBF16_COUNT]) {
  if (isa == TCE_VISA_AVX512) {
    bf16_use(used[isa], VB_STORE);
    tc_buf_printf(out, "tc_store_bf16_avx512(%s, %s, %s);", addr,
                  mask ? mask : "(__mmask16)0xffff", v);
  } else if (mask) {
    bf16_use(used[isa], VB_STORE_TAIL);
    tc_buf_printf(out, "tc_store_bf16_tail_avx2(%s, %s, %s);", addr, mask, v);
  } else {
    bf16_use(used[isa], VB_STORE);
    tc_buf_printf(out, "tc_store_bf16_avx2(%s, %s);", addr, v);
  }
}

void tcE_vec_round_bf16(tc_buf *out, tcE_visa isa, const char *v,
                        char used[TCE_VISA_COUNT][TCE_VBF16_COUNT]) {
  bf16_use(used[isa], VB_ROUND);
  tc_buf_printf(out, "tc_round_bf16_%s(%s)", isas[isa].suffix, v);
}

void tcE_vec_bf16_write(tc_buf *out, const char used[TCE_VISA_COUNT][TCE_VBF16_COUNT]) {
  for (int isa = TCE_VISA_COUNT - 1; isa >= 0; isa--)
    for (int h = 0; h < VB_COUNT; h++)
      if (used[isa][h] && bf16_text[isa][h]) tc_buf_puts(out, bf16_text[isa][h]);
}

void tcE_vec_store_q8(tc_buf *out, tcE_visa isa, tc_dtype t, const char *addr,
                      const char *mask, const char *v,
                      char used[TCE_VISA_COUNT][TCE_VBF16_COUNT]) {
  assert(t == TC_DT_U8 || t == TC_DT_I8);
  const char *lim = t == TC_DT_U8 ? "0.0f, 255.0f" : "-128.0f, 127.0f";
  if (isa == TCE_VISA_AVX512) {
    bf16_use(used[isa], VB_Q8_STORE);
    tc_buf_printf(out, "tc_store_q8_avx512(%s, %s, %s, %s);", addr,
                  mask ? mask : "(__mmask16)0xffff", v, lim);
  } else if (mask) {
    bf16_use(used[isa], VB_Q8_STORE_TAIL);
    tc_buf_printf(out, "tc_store_q8_tail_avx2(%s, %s, %s, %s);", addr, mask, v, lim);
  } else {
    bf16_use(used[isa], VB_Q8_STORE);
    tc_buf_printf(out, "tc_store_q8_avx2(%s, %s, %s);", addr, v, lim);
  }
}

void tcE_vec_fma(tc_buf *out, tcE_visa isa, tc_op op, int mul_second, const char *a,
                 const char *b, const char *c) {
  /* a * b + c, a * b - c, c - a * b */
  const char *f = op == TC_OP_ADD ? "fmadd" : mul_second ? "fnmadd" : "fmsub";
  tc_buf_printf(out, "%s_%s_ps(%s, %s, %s)", isas[isa].pfx, f, a, b, c);
}

/* ---- in-register transposes (the tiled transposes of emit/c.c) ---------- */

void tcE_vec_transpose_write(tc_buf *out, const char used[TCE_VISA_COUNT]) {
  if (used[TCE_VISA_AVX512])
    tc_buf_puts(out,
                "\n/* v[0..16) the rows of a 16 x 16 matrix, transposed in place (lane j of\n"
                "   v[i] becomes lane i of v[j]): pairs of rows interleaved, then pairs of\n"
                "   pairs, then 128-bit lanes gathered in two steps. */\n"
                "static inline TC_TARGET_AVX512 void tc_transpose_avx512(__m512 *v) {\n"
                "  __m512 t[16], u[16];\n"
                "  for (int i = 0; i < 16; i += 2) { /* t[i], t[i + 1]: rows i, i + 1 interleaved */\n"
                "    t[i] = _mm512_unpacklo_ps(v[i], v[i + 1]);\n"
                "    t[i + 1] = _mm512_unpackhi_ps(v[i], v[i + 1]);\n"
                "  }\n"
                "  for (int i = 0; i < 16; i += 4) { /* u[i + c]: rows i..i+3, column c of each 128 bits */\n"
                "    u[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));\n"
                "    u[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));\n"
                "    u[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));\n"
                "    u[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));\n"
                "  }\n"
                "  for (int c = 0; c < 4; c++) { /* column 4 k + c from the k-th 128 bits of u[c + 4 g] */\n"
                "    const __m512 x0 = _mm512_shuffle_f32x4(u[c], u[c + 4], 0x44);\n"
                "    const __m512 x1 = _mm512_shuffle_f32x4(u[c], u[c + 4], 0xee);\n"
                "    const __m512 y0 = _mm512_shuffle_f32x4(u[c + 8], u[c + 12], 0x44);\n"
                "    const __m512 y1 = _mm512_shuffle_f32x4(u[c + 8], u[c + 12], 0xee);\n"
                "    v[c] = _mm512_shuffle_f32x4(x0, y0, 0x88);\n"
                "    v[c + 4] = _mm512_shuffle_f32x4(x0, y0, 0xdd);\n"
                "    v[c + 8] = _mm512_shuffle_f32x4(x1, y1, 0x88);\n"
                "    v[c + 12] = _mm512_shuffle_f32x4(x1, y1, 0xdd);\n"
                "  }\n"
                "}\n");
  if (used[TCE_VISA_AVX2])
    tc_buf_puts(out,
                "\n/* v[0..8) the rows of an 8 x 8 matrix, transposed in place (lane j of\n"
                "   v[i] becomes lane i of v[j]): pairs of rows interleaved, then pairs of\n"
                "   pairs, then the 128-bit halves exchanged. */\n"
                "static inline TC_TARGET_AVX2 void tc_transpose_avx2(__m256 *v) {\n"
                "  __m256 t[8], u[8];\n"
                "  for (int i = 0; i < 8; i += 2) { /* t[i], t[i + 1]: rows i, i + 1 interleaved */\n"
                "    t[i] = _mm256_unpacklo_ps(v[i], v[i + 1]);\n"
                "    t[i + 1] = _mm256_unpackhi_ps(v[i], v[i + 1]);\n"
                "  }\n"
                "  for (int i = 0; i < 8; i += 4) { /* u[i + c]: rows i..i+3, column c of each 128 bits */\n"
                "    u[i] = _mm256_castpd_ps(_mm256_unpacklo_pd(_mm256_castps_pd(t[i]), _mm256_castps_pd(t[i + 2])));\n"
                "    u[i + 1] = _mm256_castpd_ps(_mm256_unpackhi_pd(_mm256_castps_pd(t[i]), _mm256_castps_pd(t[i + 2])));\n"
                "    u[i + 2] = _mm256_castpd_ps(_mm256_unpacklo_pd(_mm256_castps_pd(t[i + 1]), _mm256_castps_pd(t[i + 3])));\n"
                "    u[i + 3] = _mm256_castpd_ps(_mm256_unpackhi_pd(_mm256_castps_pd(t[i + 1]), _mm256_castps_pd(t[i + 3])));\n"
                "  }\n"
                "  for (int c = 0; c < 4; c++) { /* columns c and 4 + c: the low and high halves */\n"
                "    v[c] = _mm256_permute2f128_ps(u[c], u[c + 4], 0x20);\n"
                "    v[c + 4] = _mm256_permute2f128_ps(u[c], u[c + 4], 0x31);\n"
                "  }\n"
                "}\n");
}
