/*
 * vmath.c: f32 vector math for the intrinsics targets (vmath.h): the text
 * of the static functions written into the generated C.  docs/math.md
 * gives each one's method, measured error, subnormal policy and special
 * values; tests/emit/vmath_test.c checks them against double libm.
 *
 * Both ISAs have the 13 public functions of tcE_vmfn and a few kernels
 * they share (exp's reduction and polynomial, log1p's polynomial, a
 * reciprocal, ...).  Each text lists the units it calls; tcE_vmath_write
 * writes those first, each once.  The polynomials were fitted for
 * relative error (Lawson's iteration toward minimax in 30-digit
 * arithmetic), coefficients rounded to float one at a time with the rest
 * refitted.
 */
#include "vmath.h"

#include "../tensorc/ops.h"

#include <assert.h>

/* ORDER VMFN: the public functions (tcE_vmfn) then the kernels. */
enum {
  VM_EXP_REDUCE = TCE_VM_COUNT, /* x = n ln 2 + r */
  VM_EXPM1_POLY,                /* (e^r - 1) / r */
  VM_LOG1P_POLY,                /* log(1 + f), f in [-0.25, 0.5] */
  VM_RECIP,                     /* 1 / b */
  VM_DIV,                       /* a / b (AVX-512) */
  VM_MUL_POW2,                  /* p 2^n through the exponent bits (AVX2) */
  VM_LDEXP,                     /* v 2^n as two factors (AVX2) */
  VM_LOG_REDUCE,                /* x = 2^k m (AVX2) */
  VM_LOG_SPECIAL,               /* log at 0, below 0, inf, NaN (AVX2) */
  VM_UNIT_COUNT
};

static const char *const vm_names[TCE_VISA_COUNT][TCE_VM_COUNT] = {
    [TCE_VISA_AVX2] = {"tc_exp_avx2", "tc_exp2_avx2", "tc_expm1_avx2", "tc_log_avx2",
                       "tc_log2_avx2", "tc_log1p_avx2", "tc_tanh_avx2", "tc_sigmoid_avx2",
                       "tc_silu_avx2", "tc_softplus_avx2", "tc_erf_avx2", "tc_gelu_avx2",
                       "tc_gelu_tanh_avx2"},
    [TCE_VISA_AVX512] = {"tc_exp_avx512", "tc_exp2_avx512", "tc_expm1_avx512", "tc_log_avx512",
                         "tc_log2_avx512", "tc_log1p_avx512", "tc_tanh_avx512",
                         "tc_sigmoid_avx512", "tc_silu_avx512", "tc_softplus_avx512",
                         "tc_erf_avx512", "tc_gelu_avx512", "tc_gelu_tanh_avx512"},
};
_Static_assert(TCE_VM_COUNT == 13, "ORDER VMFN: a name for each function");

/* A function's text and the units it calls (-1 ends the list); a NULL
   text: the ISA has no such kernel. */
typedef struct vm_text {
  signed char deps[5];
  const char *text;
} vm_text;

static const vm_text vm_texts[TCE_VISA_COUNT][VM_UNIT_COUNT] = {
    [TCE_VISA_AVX2] = {
        [VM_EXP_REDUCE] = {{-1},
            "/* exp's reduction, as tc_exp_reduce_avx512. */\n"
            "TC_VMATH_INLINE TC_TARGET_AVX2 __m256 tc_exp_reduce_avx2(__m256 x, __m256 *n) {\n"
            "  const __m256 shift = _mm256_set1_ps(12582912.0f);\n"
            "  __m256 k = _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269502f), shift);\n"
            "  *n = _mm256_sub_ps(k, shift);\n"
            "  x = _mm256_fnmadd_ps(*n, _mm256_set1_ps(0.693147123f), x);\n"
            "  return _mm256_fnmadd_ps(*n, _mm256_set1_ps(5.76999888e-08f), x);\n"
            "}\n"},
        [VM_EXPM1_POLY] = {{-1},
            "/* (e^r - 1) / r for |r| <= 0.3466, as tc_expm1_poly_avx512. */\n"
            "TC_VMATH_INLINE TC_TARGET_AVX2 __m256 tc_expm1_poly_avx2(__m256 r) {\n"
            "  __m256 p = _mm256_set1_ps(0.00138888636f);\n"
            "  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.0083690742f));\n"
            "  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.0416671373f));\n"
            "  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.166665062f));\n"
            "  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.49999997f));\n"
            "  return _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));\n"
            "}\n"},
        [VM_LOG1P_POLY] = {{-1},
            "/* log(1 + f) for f in [-0.25, 0.5], as tc_log1p_poly_avx512. */\n"
            "TC_VMATH_INLINE TC_TARGET_AVX2 __m256 tc_log1p_poly_avx2(__m256 f) {\n"
            "  __m256 p = _mm256_set1_ps(0.0541310646f);\n"
            "  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(-0.12067242f));\n"
            "  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(0.149839103f));\n"
            "  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(-0.168228298f));\n"
            "  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(0.199770793f));\n"
            "  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(-0.249934405f));\n"
            "  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(0.333335489f));\n"
            "  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(-0.500000596f));\n"
            "  return _mm256_fmadd_ps(_mm256_mul_ps(f, f), p, f);\n"
            "}\n"},
        [VM_RECIP] = {{-1},
            "/* 1 / b for b >= 1: rcp (1.5 2^-12) and a Newton step (2^-23). */\n"
            "TC_VMATH_INLINE TC_TARGET_AVX2 __m256 tc_recip_avx2(__m256 b) {\n"
            "  __m256 r = _mm256_rcp_ps(b);\n"
            "  return _mm256_fmadd_ps(_mm256_fnmadd_ps(b, r, _mm256_set1_ps(1.0f)), r, r);\n"
            "}\n"},
        [VM_MUL_POW2] = {{-1},
            "/* p 2^n for p in [0.5, 2) (or NaN) and n an integer: n added to the\n"
            "   exponent bits, valid where the result is a normal float (the callers\n"
            "   flush or clamp the rest; a NaN n converts to 0x80000000, which adds 0). */\n"
            "TC_VMATH_INLINE TC_TARGET_AVX2 __m256 tc_mul_pow2_avx2(__m256 p, __m256 n) {\n"
            "  __m256i e = _mm256_slli_epi32(_mm256_cvtps_epi32(n), 23);\n"
            "  return _mm256_castsi256_ps(_mm256_add_epi32(_mm256_castps_si256(p), e));\n"
            "}\n"},
        [VM_LDEXP] = {{-1},
            "/* v 2^n for n an integer in [-252, 254], as two normal factors 2^(n/2):\n"
            "   a subnormal result is rounded twice, a normal one once. */\n"
            "TC_VMATH_INLINE TC_TARGET_AVX2 __m256 tc_ldexp_avx2(__m256 v, __m256 n) {\n"
            "  __m256i i = _mm256_cvtps_epi32(n), h = _mm256_srai_epi32(i, 1), b = _mm256_set1_epi32(127);\n"
            "  __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(h, b), 23));\n"
            "  __m256 s2;\n"
            "  s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_sub_epi32(i, h), b), 23));\n"
            "  return _mm256_mul_ps(_mm256_mul_ps(v, s1), s2);\n"
            "}\n"},
        [VM_LOG_REDUCE] = {{-1},
            "/* x = 2^k m, m in [0.75, 1.5), for x positive and finite (subnormal x\n"
            "   scaled by 2^23 first): adding 0.5 to the significand's bits carries into\n"
            "   the exponent when it is 1.5 or more.  Returns m, and k in *k. */\n"
            "TC_VMATH_INLINE TC_TARGET_AVX2 __m256 tc_log_reduce_avx2(__m256 x, __m256 *k) {\n"
            "  __m256 sub = _mm256_cmp_ps(x, _mm256_set1_ps(1.17549435e-38f), _CMP_LT_OQ);\n"
            "  __m256 y = _mm256_blendv_ps(x, _mm256_mul_ps(x, _mm256_set1_ps(8388608.0f)), sub);\n"
            "  __m256i u = _mm256_castps_si256(y);\n"
            "  u = _mm256_add_epi32(u, _mm256_set1_epi32(0x00400000));\n"
            "  *k = _mm256_sub_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(u, 23)), _mm256_set1_ps(127.0f));\n"
            "  *k = _mm256_sub_ps(*k, _mm256_and_ps(sub, _mm256_set1_ps(23.0f)));\n"
            "  u = _mm256_and_si256(u, _mm256_set1_epi32(0x007fffff));\n"
            "  u = _mm256_add_epi32(u, _mm256_set1_epi32(0x3f400000));\n"
            "  return _mm256_castsi256_ps(u);\n"
            "}\n"},
        [VM_LOG_SPECIAL] = {{-1},
            "/* y, log(x) of positive finite x, completed as libm: -inf at +-0, NaN below\n"
            "   0 (all-ones bits), x itself at +inf and NaN. */\n"
            "TC_VMATH_INLINE TC_TARGET_AVX2 __m256 tc_log_special_avx2(__m256 y, __m256 x) {\n"
            "  const __m256 inf = _mm256_castsi256_ps(_mm256_set1_epi32(0x7f800000));\n"
            "  y = _mm256_blendv_ps(y, _mm256_sub_ps(_mm256_setzero_ps(), inf),\n"
            "                       _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_EQ_OQ));\n"
            "  y = _mm256_or_ps(y, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ));\n"
            "  return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, inf, _CMP_NLT_UQ));\n"
            "}\n"},
        [TCE_VM_EXP] = {{VM_EXP_REDUCE, VM_EXPM1_POLY, VM_MUL_POW2, -1},
            "/* exp x = 2^n e^r, 2^n added to the exponent bits; inf above 88.7228317\n"
            "   (the largest x whose exp is finite) and 0 below -87.3365402 (the\n"
            "   smallest whose exp is normal: subnormal results flush to 0). */\n"
            "TC_VMATH_INLINE TC_TARGET_AVX2 __m256 tc_exp_avx2(__m256 x) {\n"
            "  __m256 n, r = tc_exp_reduce_avx2(x, &n);\n"
            "  __m256 y = tc_mul_pow2_avx2(_mm256_fmadd_ps(tc_expm1_poly_avx2(r), r, _mm256_set1_ps(1.0f)), n);\n"
            "  y = _mm256_blendv_ps(y, _mm256_castsi256_ps(_mm256_set1_epi32(0x7f800000)),\n"
            "                       _mm256_cmp_ps(x, _mm256_set1_ps(88.7228317f), _CMP_GT_OQ));\n"
            "  return _mm256_andnot_ps(_mm256_cmp_ps(x, _mm256_set1_ps(-87.3365402f), _CMP_LT_OQ), y);\n"
            "}\n"},
        [TCE_VM_EXP2] = {{VM_MUL_POW2, -1},
            "/* 2^x = 2^n 2^r as tc_exp2_avx512; inf from 128 on, 0 below -126. */\n"
            "TC_VMATH_INLINE TC_TARGET_AVX2 __m256 tc_exp2_avx2(__m256 x) {\n"
            "  __m256 n = _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);\n"
            "  __m256 r = _mm256_sub_ps(x, n), p = _mm256_set1_ps(0.00015353359f);\n"
            "  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.0013398875f));\n"
            "  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.00961843692f));\n"
            "  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.0555033237f));\n"
            "  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.240226477f));\n"
            "  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.693147182f));\n"
            "  p = tc_mul_pow2_avx2(_mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f)), n);\n"
            "  p = _mm256_blendv_ps(p, _mm256_castsi256_ps(_mm256_set1_epi32(0x7f800000)),\n"
            "                       _mm256_cmp_ps(x, _mm256_set1_ps(128.0f), _CMP_GE_OQ));\n"
            "  return _mm256_andnot_ps(_mm256_cmp_ps(x, _mm256_set1_ps(-126.0f), _CMP_LT_OQ), p);\n"
            "}\n"},
        [TCE_VM_EXPM1] = {{VM_EXP_REDUCE, VM_EXPM1_POLY, VM_MUL_POW2, -1},
            "/* expm1 x = 2 (h q - (1/2 - h)), h = 2^(n - 1), as tc_expm1_avx512; x\n"
            "   clamped to [-30, 89]. */\n"
            "TC_VMATH_INLINE TC_TARGET_AVX2 __m256 tc_expm1_avx2(__m256 x) {\n"
            "  __m256 n, r, q, h;\n"
            "  x = _mm256_max_ps(_mm256_set1_ps(-30.0f), _mm256_min_ps(_mm256_set1_ps(89.0f), x));\n"
            "  r = tc_exp_reduce_avx2(x, &n);\n"
            "  q = _mm256_mul_ps(r, tc_expm1_poly_avx2(r));\n"
            "  h = tc_mul_pow2_avx2(_mm256_set1_ps(0.5f), n);\n"
            "  q = _mm256_fmsub_ps(h, q, _mm256_sub_ps(_mm256_set1_ps(0.5f), h));\n"
            "  return _mm256_add_ps(q, q);\n"
            "}\n"},
        [TCE_VM_LOG] = {{VM_LOG_REDUCE, VM_LOG1P_POLY, VM_LOG_SPECIAL, -1},
            "/* log x = k ln 2 + log(1 + f), m = 1 + f, as tc_log_avx512. */\n"
            "TC_VMATH_INLINE TC_TARGET_AVX2 __m256 tc_log_avx2(__m256 x) {\n"
            "  __m256 k, y = tc_log1p_poly_avx2(_mm256_sub_ps(tc_log_reduce_avx2(x, &k), _mm256_set1_ps(1.0f)));\n"
            "  y = _mm256_fmadd_ps(k, _mm256_set1_ps(5.76999888e-08f), y);\n"
            "  y = _mm256_fmadd_ps(k, _mm256_set1_ps(0.693147123f), y);\n"
            "  return tc_log_special_avx2(y, x);\n"
            "}\n"},
        [TCE_VM_LOG2] = {{VM_LOG_REDUCE, VM_LOG_SPECIAL, -1},
            "/* log2 x = k + log2(1 + f), as tc_log2_avx512. */\n"
            "TC_VMATH_INLINE TC_TARGET_AVX2 __m256 tc_log2_avx2(__m256 x) {\n"
            "  __m256 k, f = _mm256_sub_ps(tc_log_reduce_avx2(x, &k), _mm256_set1_ps(1.0f));\n"
            "  __m256 p = _mm256_set1_ps(0.0780946165f);\n"
            "  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(-0.1740935f));\n"
            "  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(0.216172144f));\n"
            "  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(-0.242702127f));\n"
            "  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(0.288208336f));\n"
            "  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(-0.360579133f));\n"
            "  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(0.48090145f));\n"
            "  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(-0.721348405f));\n"
            "  p = _mm256_mul_ps(_mm256_mul_ps(f, f), p);\n"
            "  p = _mm256_fmadd_ps(f, _mm256_set1_ps(1.92596303e-08f), p);\n"
            "  p = _mm256_fmadd_ps(f, _mm256_set1_ps(1.44269502f), p);\n"
            "  return tc_log_special_avx2(_mm256_add_ps(p, k), x);\n"
            "}\n"},
        [TCE_VM_LOG1P] = {{VM_LOG1P_POLY, VM_LOG_SPECIAL, -1},
            "/* log1p x = log(u + c), u = 1 + x rounded, c its rounding error, as\n"
            "   tc_log1p_avx512; u is never subnormal, and 2^-k is clamped to 2^-126\n"
            "   (c 2^-k is then far below m - 1's last bit). */\n"
            "TC_VMATH_INLINE TC_TARGET_AVX2 __m256 tc_log1p_avx2(__m256 x) {\n"
            "  const __m256 one = _mm256_set1_ps(1.0f);\n"
            "  __m256 u = _mm256_add_ps(one, x);\n"
            "  __m256 c = _mm256_sub_ps(_mm256_min_ps(x, one), _mm256_sub_ps(u, _mm256_max_ps(x, one)));\n"
            "  __m256i b = _mm256_add_epi32(_mm256_castps_si256(u), _mm256_set1_epi32(0x00400000));\n"
            "  __m256i e = _mm256_srli_epi32(b, 23); /* k + 127 */\n"
            "  __m256i s = _mm256_sub_epi32(_mm256_set1_epi32(254), _mm256_min_epi32(e, _mm256_set1_epi32(253)));\n"
            "  __m256 nk = _mm256_sub_ps(_mm256_set1_ps(127.0f), _mm256_cvtepi32_ps(e));\n"
            "  __m256 m = _mm256_castsi256_ps(_mm256_add_epi32(_mm256_and_si256(b, _mm256_set1_epi32(0x007fffff)),\n"
            "                                                  _mm256_set1_epi32(0x3f400000)));\n"
            "  __m256 y = _mm256_mul_ps(c, _mm256_castsi256_ps(_mm256_slli_epi32(s, 23)));\n"
            "  y = tc_log1p_poly_avx2(_mm256_sub_ps(y, _mm256_sub_ps(one, m)));\n"
            "  y = _mm256_fnmadd_ps(nk, _mm256_set1_ps(5.76999888e-08f), y);\n"
            "  y = _mm256_fnmadd_ps(nk, _mm256_set1_ps(0.693147123f), y);\n"
            "  return tc_log_special_avx2(y, u);\n"
            "}\n"},
        [TCE_VM_TANH] = {{VM_EXP_REDUCE, VM_EXPM1_POLY, VM_MUL_POW2, -1},
            "/* tanh |x|: an odd polynomial below 0.625, 1 - e F(e) above, e =\n"
            "   exp(-2|x|), as tc_tanh_avx512; then the sign of x. */\n"
            "TC_VMATH_INLINE TC_TARGET_AVX2 __m256 tc_tanh_avx2(__m256 x) {\n"
            "  const __m256 sign = _mm256_set1_ps(-0.0f);\n"
            "  __m256 a = _mm256_min_ps(_mm256_set1_ps(10.0f), _mm256_andnot_ps(sign, x));\n"
            "  __m256 z = _mm256_mul_ps(a, a), p = _mm256_set1_ps(-0.00566492695f), n, r, e, f;\n"
            "  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(0.0206042249f));\n"
            "  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-0.0537293591f));\n"
            "  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(0.133313224f));\n"
            "  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-0.333332777f));\n"
            "  p = _mm256_fmadd_ps(_mm256_mul_ps(a, z), p, a);\n"
            "  r = tc_exp_reduce_avx2(_mm256_mul_ps(a, _mm256_set1_ps(-2.0f)), &n);\n"
            "  e = tc_mul_pow2_avx2(_mm256_fmadd_ps(tc_expm1_poly_avx2(r), r, _mm256_set1_ps(1.0f)), n);\n"
            "  f = _mm256_set1_ps(0.805446506f);\n"
            "  f = _mm256_fmadd_ps(f, e, _mm256_set1_ps(-1.61312592f));\n"
            "  f = _mm256_fmadd_ps(f, e, _mm256_set1_ps(1.93130851f));\n"
            "  f = _mm256_fmadd_ps(f, e, _mm256_set1_ps(-1.99346411f));\n"
            "  f = _mm256_fmadd_ps(f, e, _mm256_set1_ps(1.99969697f));\n"
            "  f = _mm256_fmadd_ps(f, e, _mm256_set1_ps(-1.99999464f));\n"
            "  f = _mm256_fmadd_ps(f, e, _mm256_set1_ps(2.0f));\n"
            "  p = _mm256_blendv_ps(p, _mm256_fnmadd_ps(e, f, _mm256_set1_ps(1.0f)),\n"
            "                       _mm256_cmp_ps(a, _mm256_set1_ps(0.625f), _CMP_GE_OQ));\n"
            "  return _mm256_or_ps(p, _mm256_and_ps(x, sign));\n"
            "}\n"},
        [TCE_VM_SIGMOID] = {{VM_EXP_REDUCE, VM_EXPM1_POLY, VM_MUL_POW2, -1},
            "/* sigmoid x = 1 / (1 + e) for x >= 0 and e / (1 + e) for x < 0, e =\n"
            "   exp(-|x|) (flushed to 0 where subnormal, below -87.3365402). */\n"
            "TC_VMATH_INLINE TC_TARGET_AVX2 __m256 tc_sigmoid_avx2(__m256 x) {\n"
            "  __m256 a = _mm256_or_ps(x, _mm256_set1_ps(-0.0f)), n, r, e;\n"
            "  r = tc_exp_reduce_avx2(a, &n);\n"
            "  e = tc_mul_pow2_avx2(_mm256_fmadd_ps(tc_expm1_poly_avx2(r), r, _mm256_set1_ps(1.0f)), n);\n"
            "  e = _mm256_andnot_ps(_mm256_cmp_ps(a, _mm256_set1_ps(-87.3365402f), _CMP_LT_OQ), e);\n"
            "  r = _mm256_blendv_ps(_mm256_set1_ps(1.0f), e, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ));\n"
            "  return _mm256_div_ps(r, _mm256_add_ps(e, _mm256_set1_ps(1.0f)));\n"
            "}\n"},
        [TCE_VM_SILU] = {{VM_EXP_REDUCE, VM_EXPM1_POLY, VM_LDEXP, -1},
            "/* silu x = x / (1 + e) for x >= 0 and x e / (1 + e) for x < 0, e =\n"
            "   exp(-|x|) = 2^n p, x e as (x p) 2^n, as tc_silu_avx512; -inf gives NaN. */\n"
            "TC_VMATH_INLINE TC_TARGET_AVX2 __m256 tc_silu_avx2(__m256 x) {\n"
            "  __m256 a = _mm256_max_ps(_mm256_set1_ps(-110.0f), _mm256_or_ps(x, _mm256_set1_ps(-0.0f)));\n"
            "  __m256 n, r, p, e, num;\n"
            "  r = tc_exp_reduce_avx2(a, &n);\n"
            "  p = _mm256_fmadd_ps(tc_expm1_poly_avx2(r), r, _mm256_set1_ps(1.0f));\n"
            "  e = tc_ldexp_avx2(p, n);\n"
            "  num = _mm256_blendv_ps(x, tc_ldexp_avx2(_mm256_mul_ps(a, p), n),\n"
            "                         _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ));\n"
            "  r = _mm256_div_ps(num, _mm256_add_ps(e, _mm256_set1_ps(1.0f)));\n"
            "  return _mm256_blendv_ps(r, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fc00000)),\n"
            "                          _mm256_cmp_ps(x, _mm256_set1_ps(-3.40282347e38f), _CMP_LT_OQ));\n"
            "}\n"},
        [TCE_VM_SOFTPLUS] = {{VM_EXP_REDUCE, VM_EXPM1_POLY, VM_MUL_POW2, VM_LOG1P_POLY, -1},
            "/* softplus x = max(x, 0) + log1p(e), e = exp(-|x|), as\n"
            "   tc_softplus_avx512 (u = 1 + e is in [1, 2]). */\n"
            "TC_VMATH_INLINE TC_TARGET_AVX2 __m256 tc_softplus_avx2(__m256 x) {\n"
            "  const __m256 one = _mm256_set1_ps(1.0f);\n"
            "  __m256 a = _mm256_or_ps(x, _mm256_set1_ps(-0.0f)), n, r, e, u, c, nk, m, y;\n"
            "  __m256i b, k;\n"
            "  r = tc_exp_reduce_avx2(a, &n);\n"
            "  e = tc_mul_pow2_avx2(_mm256_fmadd_ps(tc_expm1_poly_avx2(r), r, one), n);\n"
            "  e = _mm256_andnot_ps(_mm256_cmp_ps(a, _mm256_set1_ps(-87.3365402f), _CMP_LT_OQ), e);\n"
            "  u = _mm256_add_ps(one, e);\n"
            "  c = _mm256_sub_ps(e, _mm256_sub_ps(u, one));\n"
            "  b = _mm256_add_epi32(_mm256_castps_si256(u), _mm256_set1_epi32(0x00400000));\n"
            "  k = _mm256_srli_epi32(b, 23); /* k + 127, k 0 or 1 */\n"
            "  nk = _mm256_sub_ps(_mm256_set1_ps(127.0f), _mm256_cvtepi32_ps(k));\n"
            "  m = _mm256_castsi256_ps(_mm256_add_epi32(_mm256_and_si256(b, _mm256_set1_epi32(0x007fffff)),\n"
            "                                           _mm256_set1_epi32(0x3f400000)));\n"
            "  b = _mm256_slli_epi32(_mm256_sub_epi32(_mm256_set1_epi32(254), k), 23); /* 2^-k */\n"
            "  c = _mm256_mul_ps(c, _mm256_castsi256_ps(b));\n"
            "  y = tc_log1p_poly_avx2(_mm256_add_ps(c, _mm256_sub_ps(m, one)));\n"
            "  y = _mm256_fnmadd_ps(nk, _mm256_set1_ps(5.76999888e-08f), y);\n"
            "  y = _mm256_fnmadd_ps(nk, _mm256_set1_ps(0.693147123f), y);\n"
            "  return _mm256_add_ps(_mm256_max_ps(_mm256_setzero_ps(), x), y);\n"
            "}\n"},
        [TCE_VM_ERF] = {{VM_EXP_REDUCE, VM_EXPM1_POLY, VM_MUL_POW2, -1},
            "/* erf x: x + x P(x^2) below 0.875, sign(x) (1 - exp(-a^2 + G(a))) above,\n"
            "   a = min(|x|, 4), as tc_erf_avx512. */\n"
            "TC_VMATH_INLINE TC_TARGET_AVX2 __m256 tc_erf_avx2(__m256 x) {\n"
            "  const __m256 sign = _mm256_set1_ps(-0.0f);\n"
            "  __m256 a = _mm256_min_ps(_mm256_set1_ps(4.0f), _mm256_andnot_ps(sign, x));\n"
            "  __m256 z = _mm256_mul_ps(x, x), s, p, g, n, r, y;\n"
            "  p = _mm256_set1_ps(-0.000620325038f);\n"
            "  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(0.00503218034f));\n"
            "  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-0.0267914627f));\n"
            "  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(0.112824552f));\n"
            "  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-0.376125515f));\n"
            "  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(0.128379166f));\n"
            "  p = _mm256_fmadd_ps(x, p, x);\n"
            "  s = _mm256_sub_ps(a, _mm256_set1_ps(2.4375f));\n"
            "  g = _mm256_set1_ps(0.000200998111f);\n"
            "  g = _mm256_fmadd_ps(g, s, _mm256_set1_ps(-0.000152711786f));\n"
            "  g = _mm256_fmadd_ps(g, s, _mm256_set1_ps(0.002645934f));\n"
            "  g = _mm256_fmadd_ps(g, s, _mm256_set1_ps(-0.0112387342f));\n"
            "  g = _mm256_fmadd_ps(g, s, _mm256_set1_ps(0.05821082f));\n"
            "  g = _mm256_fmadd_ps(g, s, _mm256_set1_ps(-0.359838694f));\n"
            "  g = _mm256_fmadd_ps(g, s, _mm256_set1_ps(-1.53455412f));\n"
            "  r = tc_exp_reduce_avx2(_mm256_fnmadd_ps(a, a, g), &n);\n"
            "  y = tc_mul_pow2_avx2(_mm256_fmadd_ps(tc_expm1_poly_avx2(r), r, _mm256_set1_ps(1.0f)), n);\n"
            "  y = _mm256_or_ps(_mm256_sub_ps(_mm256_set1_ps(1.0f), y), _mm256_and_ps(x, sign));\n"
            "  return _mm256_blendv_ps(p, y, _mm256_cmp_ps(a, _mm256_set1_ps(0.875f), _CMP_GE_OQ));\n"
            "}\n"},
        [TCE_VM_GELU] = {{VM_EXP_REDUCE, VM_RECIP, VM_LDEXP, -1},
            "/* gelu x = x Q(|x|) for x <= 0 and x - x Q(x) for x > 0, as\n"
            "   tc_gelu_avx512 (-0 below -13.1462460); -inf gives NaN. */\n"
            "TC_VMATH_INLINE TC_TARGET_AVX2 __m256 tc_gelu_avx2(__m256 x) {\n"
            "  const __m256 tiny = _mm256_cmp_ps(x, _mm256_set1_ps(-13.1462460f), _CMP_LT_OQ);\n"
            "  __m256 xc = _mm256_andnot_ps(tiny, _mm256_max_ps(_mm256_set1_ps(-14.5f),\n"
            "                                                 _mm256_min_ps(_mm256_set1_ps(14.5f), x)));\n"
            "  __m256 b = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), xc), u, v, hi, lo, n, r, p, xp, xpl, q, d;\n"
            "  u = _mm256_set1_ps(0.0114648733f);\n"
            "  u = _mm256_fmadd_ps(u, b, _mm256_set1_ps(0.101901658f));\n"
            "  u = _mm256_fmadd_ps(u, b, _mm256_set1_ps(0.42571187f));\n"
            "  u = _mm256_fmadd_ps(u, b, _mm256_set1_ps(0.95326966f));\n"
            "  u = _mm256_fmadd_ps(u, b, _mm256_set1_ps(1.0f));\n"
            "  v = _mm256_set1_ps(0.0114554055f);\n"
            "  v = _mm256_fmadd_ps(v, b, _mm256_set1_ps(0.102259606f));\n"
            "  v = _mm256_fmadd_ps(v, b, _mm256_set1_ps(0.397220463f));\n"
            "  v = _mm256_fmadd_ps(v, b, _mm256_set1_ps(0.797884583f));\n"
            "  v = _mm256_fmadd_ps(b, u, v); /* the denominator b U + V */\n"
            "  lo = _mm256_mul_ps(b, _mm256_set1_ps(-0.5f));\n"
            "  hi = _mm256_mul_ps(b, lo);\n"
            "  lo = _mm256_fmsub_ps(b, lo, hi);\n"
            "  r = _mm256_add_ps(tc_exp_reduce_avx2(hi, &n), lo);\n"
            "  p = _mm256_set1_ps(0.000554085492f);\n"
            "  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.00333877755f));\n"
            "  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.0166227828f));\n"
            "  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.0664897399f));\n"
            "  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.199471128f));\n"
            "  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.398942292f));\n"
            "  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.398942292f));\n"
            "  xp = _mm256_mul_ps(xc, p);\n"
            "  xpl = _mm256_fmsub_ps(xc, p, xp);\n"
            "  d = tc_recip_avx2(v);\n"
            "  q = _mm256_mul_ps(_mm256_mul_ps(xp, u), d);\n"
            "  r = _mm256_fnmadd_ps(xp, _mm256_sub_ps(u, _mm256_set1_ps(1.0f)), _mm256_fmsub_ps(v, q, xp));\n"
            "  r = _mm256_fnmadd_ps(xpl, u, r); /* v q - x p U, exactly but for one rounding */\n"
            "  q = tc_ldexp_avx2(_mm256_fnmadd_ps(r, d, q), n);\n"
            "  q = _mm256_blendv_ps(q, _mm256_sub_ps(x, q), _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GT_OQ));\n"
            "  q = _mm256_blendv_ps(q, _mm256_set1_ps(-0.0f), tiny);\n"
            "  return _mm256_blendv_ps(q, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fc00000)),\n"
            "                          _mm256_cmp_ps(x, _mm256_set1_ps(-3.40282347e38f), _CMP_LT_OQ));\n"
            "}\n"},
        [TCE_VM_GELU_TANH] = {{VM_EXPM1_POLY, VM_LDEXP, -1},
            "/* gelu_tanh x = x sigmoid(2u), |2u| = h + l and its reduction as\n"
            "   tc_gelu_tanh_avx512 (-0 below -10.1006365); -inf gives NaN. */\n"
            "TC_VMATH_INLINE TC_TARGET_AVX2 __m256 tc_gelu_tanh_avx2(__m256 x) {\n"
            "  const __m256 c1 = _mm256_set1_ps(1.59576917f), c3 = _mm256_set1_ps(0.0713548139f);\n"
            "  const __m256 sh = _mm256_set1_ps(12582912.0f);\n"
            "  const __m256 tiny = _mm256_cmp_ps(x, _mm256_set1_ps(-10.1006365f), _CMP_LT_OQ);\n"
            "  __m256 xc = _mm256_andnot_ps(tiny, _mm256_max_ps(_mm256_set1_ps(-12.0f),\n"
            "                                                 _mm256_min_ps(_mm256_set1_ps(12.0f), x)));\n"
            "  __m256 a = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), xc), s, m, q, ql, h, l, n, r, p, e, num;\n"
            "  s = _mm256_mul_ps(a, a);\n"
            "  m = _mm256_mul_ps(c3, s);\n"
            "  q = _mm256_add_ps(c1, m);\n"
            "  ql = _mm256_fmadd_ps(_mm256_set1_ps(2.39883247e-09f), s, _mm256_set1_ps(-4.53406805e-08f));\n"
            "  ql = _mm256_fmadd_ps(c3, _mm256_fmsub_ps(a, a, s), ql);\n"
            "  ql = _mm256_add_ps(ql, _mm256_fmsub_ps(c3, s, m));\n"
            "  ql = _mm256_add_ps(ql, _mm256_add_ps(_mm256_sub_ps(_mm256_max_ps(c1, m), q), _mm256_min_ps(c1, m)));\n"
            "  h = _mm256_mul_ps(a, q);\n"
            "  l = _mm256_fmadd_ps(a, ql, _mm256_fmsub_ps(a, q, h));\n"
            "  n = _mm256_sub_ps(_mm256_fmadd_ps(h, _mm256_set1_ps(-1.44269502f), sh), sh);\n"
            "  r = _mm256_sub_ps(_mm256_fnmsub_ps(n, _mm256_set1_ps(0.693147123f), h),\n"
            "                    _mm256_fmadd_ps(n, _mm256_set1_ps(5.76999888e-08f), l));\n"
            "  p = _mm256_fmadd_ps(tc_expm1_poly_avx2(r), r, _mm256_set1_ps(1.0f));\n"
            "  e = tc_ldexp_avx2(p, n);\n"
            "  num = _mm256_blendv_ps(x, tc_ldexp_avx2(_mm256_mul_ps(xc, p), n),\n"
            "                         _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ));\n"
            "  r = _mm256_div_ps(num, _mm256_add_ps(e, _mm256_set1_ps(1.0f)));\n"
            "  r = _mm256_blendv_ps(r, _mm256_set1_ps(-0.0f), tiny);\n"
            "  return _mm256_blendv_ps(r, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fc00000)),\n"
            "                          _mm256_cmp_ps(x, _mm256_set1_ps(-3.40282347e38f), _CMP_LT_OQ));\n"
            "}\n"},
    },
    [TCE_VISA_AVX512] = {
        [VM_EXP_REDUCE] = {{-1},
            "/* exp's reduction: x = n ln 2 + r with n = round(x / ln 2) (adding\n"
            "   1.5 * 2^23 rounds), |r| <= 0.3466 for |x| <= 104; ln 2 = L1 + L2 with L1\n"
            "   of 24 bits just below ln 2, so that x - n L1 is exact and a zero x keeps\n"
            "   its sign.  Returns r, and n in *n. */\n"
            "TC_VMATH_INLINE TC_TARGET_AVX512 __m512 tc_exp_reduce_avx512(__m512 x, __m512 *n) {\n"
            "  const __m512 shift = _mm512_set1_ps(12582912.0f);\n"
            "  __m512 k = _mm512_fmadd_ps(x, _mm512_set1_ps(1.44269502f), shift);\n"
            "  *n = _mm512_sub_ps(k, shift);\n"
            "  x = _mm512_fnmadd_ps(*n, _mm512_set1_ps(0.693147123f), x);\n"
            "  return _mm512_fnmadd_ps(*n, _mm512_set1_ps(5.76999888e-08f), x);\n"
            "}\n"},
        [VM_EXPM1_POLY] = {{-1},
            "/* (e^r - 1) / r for |r| <= 0.3466: degree 5, relative error 2^-25.4\n"
            "   (so that r times it is expm1 r, and 1 + r times it exp r). */\n"
            "TC_VMATH_INLINE TC_TARGET_AVX512 __m512 tc_expm1_poly_avx512(__m512 r) {\n"
            "  __m512 p = _mm512_set1_ps(0.00138888636f);\n"
            "  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.0083690742f));\n"
            "  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.0416671373f));\n"
            "  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.166665062f));\n"
            "  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.49999997f));\n"
            "  return _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));\n"
            "}\n"},
        [VM_LOG1P_POLY] = {{-1},
            "/* log(1 + f) for f in [-0.25, 0.5]: f + f^2 P(f), P of degree 7 (relative\n"
            "   error 2^-24.7); -0 stays -0. */\n"
            "TC_VMATH_INLINE TC_TARGET_AVX512 __m512 tc_log1p_poly_avx512(__m512 f) {\n"
            "  __m512 p = _mm512_set1_ps(0.0541310646f);\n"
            "  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(-0.12067242f));\n"
            "  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(0.149839103f));\n"
            "  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(-0.168228298f));\n"
            "  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(0.199770793f));\n"
            "  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(-0.249934405f));\n"
            "  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(0.333335489f));\n"
            "  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(-0.500000596f));\n"
            "  return _mm512_fmadd_ps(_mm512_mul_ps(f, f), p, f);\n"
            "}\n"},
        [VM_RECIP] = {{-1},
            "/* 1 / b for b >= 1: rcp14 (2^-14) and a Newton step. */\n"
            "TC_VMATH_INLINE TC_TARGET_AVX512 __m512 tc_recip_avx512(__m512 b) {\n"
            "  __m512 r = _mm512_rcp14_ps(b);\n"
            "  return _mm512_fmadd_ps(_mm512_fnmadd_ps(b, r, _mm512_set1_ps(1.0f)), r, r);\n"
            "}\n"},
        [VM_DIV] = {{-1},
            "/* a / b for finite a and b >= 1, within about half an ulp: the quotient by\n"
            "   rcp14, corrected once by its residual (the order keeps the sign of a\n"
            "   zero a). */\n"
            "TC_VMATH_INLINE TC_TARGET_AVX512 __m512 tc_div_avx512(__m512 a, __m512 b) {\n"
            "  __m512 r = _mm512_rcp14_ps(b);\n"
            "  __m512 q = _mm512_mul_ps(a, r);\n"
            "  return _mm512_fnmadd_ps(_mm512_fmsub_ps(b, q, a), r, q);\n"
            "}\n"},
        [TCE_VM_EXP] = {{VM_EXP_REDUCE, VM_EXPM1_POLY, -1},
            "/* exp x = 2^n e^r, 2^n applied by scalef (which rounds a subnormal result\n"
            "   once, and overflows to inf); x clamped to [-104, 104] first, where the\n"
            "   result is already 0 and inf (NaN passes the clamps). */\n"
            "TC_VMATH_INLINE TC_TARGET_AVX512 __m512 tc_exp_avx512(__m512 x) {\n"
            "  __m512 n, r;\n"
            "  x = _mm512_max_ps(_mm512_set1_ps(-104.0f), _mm512_min_ps(_mm512_set1_ps(104.0f), x));\n"
            "  r = tc_exp_reduce_avx512(x, &n);\n"
            "  return _mm512_scalef_ps(_mm512_fmadd_ps(tc_expm1_poly_avx512(r), r, _mm512_set1_ps(1.0f)), n);\n"
            "}\n"},
        [TCE_VM_EXP2] = {{-1},
            "/* 2^x = 2^n 2^r, n = round(x), r = x - n exact, 2^r = 1 + r P(r) with P of\n"
            "   degree 5 (relative error 2^-25.9); x clamped to [-152, 152]. */\n"
            "TC_VMATH_INLINE TC_TARGET_AVX512 __m512 tc_exp2_avx512(__m512 x) {\n"
            "  __m512 n, r, p;\n"
            "  x = _mm512_max_ps(_mm512_set1_ps(-152.0f), _mm512_min_ps(_mm512_set1_ps(152.0f), x));\n"
            "  n = _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);\n"
            "  r = _mm512_sub_ps(x, n);\n"
            "  p = _mm512_set1_ps(0.00015353359f);\n"
            "  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.0013398875f));\n"
            "  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.00961843692f));\n"
            "  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.0555033237f));\n"
            "  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.240226477f));\n"
            "  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.693147182f));\n"
            "  return _mm512_scalef_ps(_mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f)), n);\n"
            "}\n"},
        [TCE_VM_EXPM1] = {{VM_EXP_REDUCE, VM_EXPM1_POLY, -1},
            "/* expm1 x = 2 (h q - (1/2 - h)), h = 2^(n - 1), q = expm1 r: no\n"
            "   cancellation near 0 (n = 0: q itself), and 2^(n - 1) is a float for every\n"
            "   n up to 128; x clamped to [-104, 89] (expm1 89 is inf, expm1 -104 is -1). */\n"
            "TC_VMATH_INLINE TC_TARGET_AVX512 __m512 tc_expm1_avx512(__m512 x) {\n"
            "  __m512 n, r, q, h;\n"
            "  x = _mm512_max_ps(_mm512_set1_ps(-104.0f), _mm512_min_ps(_mm512_set1_ps(89.0f), x));\n"
            "  r = tc_exp_reduce_avx512(x, &n);\n"
            "  q = _mm512_mul_ps(r, tc_expm1_poly_avx512(r));\n"
            "  h = _mm512_scalef_ps(_mm512_set1_ps(0.5f), n);\n"
            "  q = _mm512_fmsub_ps(h, q, _mm512_sub_ps(_mm512_set1_ps(0.5f), h));\n"
            "  return _mm512_add_ps(q, q);\n"
            "}\n"},
        [TCE_VM_LOG] = {{VM_LOG1P_POLY, -1},
            "/* log x = k ln 2 + log(1 + f): x = 2^k m, m = 1 + f in [0.75, 1.5) by\n"
            "   getmant, k by getexp (subnormal x included); ln 2 in two parts.  fixupimm\n"
            "   sets log 0 = -inf, log +inf = +inf, log 1 = +0 and NaN for negative x and\n"
            "   NaN. */\n"
            "TC_VMATH_INLINE TC_TARGET_AVX512 __m512 tc_log_avx512(__m512 x) {\n"
            "  __m512 m = _mm512_getmant_ps(x, _MM_MANT_NORM_p75_1p5, _MM_MANT_SIGN_zero);\n"
            "  __m512 k = _mm512_sub_ps(_mm512_getexp_ps(x), _mm512_getexp_ps(m));\n"
            "  __m512 y = tc_log1p_poly_avx512(_mm512_sub_ps(m, _mm512_set1_ps(1.0f)));\n"
            "  y = _mm512_fmadd_ps(k, _mm512_set1_ps(5.76999888e-08f), y);\n"
            "  y = _mm512_fmadd_ps(k, _mm512_set1_ps(0.693147123f), y);\n"
            "  return _mm512_fixupimm_ps(y, x, _mm512_set1_epi32(0x03538422), 0);\n"
            "}\n"},
        [TCE_VM_LOG2] = {{-1},
            "/* log2 x = k + log2(1 + f), reduced as in tc_log_avx512; log2(1 + f) =\n"
            "   f log2(e) + f^2 P(f) (P of degree 7, relative error 2^-24.9), f log2(e)\n"
            "   with log2(e) in two parts. */\n"
            "TC_VMATH_INLINE TC_TARGET_AVX512 __m512 tc_log2_avx512(__m512 x) {\n"
            "  __m512 m = _mm512_getmant_ps(x, _MM_MANT_NORM_p75_1p5, _MM_MANT_SIGN_zero);\n"
            "  __m512 k = _mm512_sub_ps(_mm512_getexp_ps(x), _mm512_getexp_ps(m));\n"
            "  __m512 f = _mm512_sub_ps(m, _mm512_set1_ps(1.0f));\n"
            "  __m512 p = _mm512_set1_ps(0.0780946165f);\n"
            "  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(-0.1740935f));\n"
            "  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(0.216172144f));\n"
            "  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(-0.242702127f));\n"
            "  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(0.288208336f));\n"
            "  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(-0.360579133f));\n"
            "  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(0.48090145f));\n"
            "  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(-0.721348405f));\n"
            "  p = _mm512_mul_ps(_mm512_mul_ps(f, f), p);\n"
            "  p = _mm512_fmadd_ps(f, _mm512_set1_ps(1.92596303e-08f), p);\n"
            "  p = _mm512_fmadd_ps(f, _mm512_set1_ps(1.44269502f), p);\n"
            "  return _mm512_fixupimm_ps(_mm512_add_ps(p, k), x, _mm512_set1_epi32(0x03538422), 0);\n"
            "}\n"},
        [TCE_VM_LOG1P] = {{VM_LOG1P_POLY, -1},
            "/* log1p x = log(u + c), u = 1 + x rounded and c its rounding error\n"
            "   (exact): u = 2^k m as in tc_log_avx512, log(u + c) = k ln 2 +\n"
            "   log(1 + f), f = m - 1 + c 2^-k.  fixupimm on u: -1 gives -inf, below -1\n"
            "   NaN; -0 stays -0. */\n"
            "TC_VMATH_INLINE TC_TARGET_AVX512 __m512 tc_log1p_avx512(__m512 x) {\n"
            "  const __m512 one = _mm512_set1_ps(1.0f);\n"
            "  __m512 u = _mm512_add_ps(one, x);\n"
            "  __m512 c = _mm512_sub_ps(_mm512_min_ps(x, one), _mm512_sub_ps(u, _mm512_max_ps(x, one)));\n"
            "  __m512 m = _mm512_getmant_ps(u, _MM_MANT_NORM_p75_1p5, _MM_MANT_SIGN_zero);\n"
            "  __m512 nk = _mm512_sub_ps(_mm512_getexp_ps(m), _mm512_getexp_ps(u));\n"
            "  __m512 y = tc_log1p_poly_avx512(_mm512_sub_ps(_mm512_scalef_ps(c, nk), _mm512_sub_ps(one, m)));\n"
            "  y = _mm512_fnmadd_ps(nk, _mm512_set1_ps(5.76999888e-08f), y);\n"
            "  y = _mm512_fnmadd_ps(nk, _mm512_set1_ps(0.693147123f), y);\n"
            "  return _mm512_fixupimm_ps(y, u, _mm512_set1_epi32(0x03530422), 0);\n"
            "}\n"},
        [TCE_VM_TANH] = {{VM_EXP_REDUCE, VM_EXPM1_POLY, -1},
            "/* tanh |x|: below 0.625 an odd polynomial a + a^3 P(a^2) (relative error\n"
            "   2^-27, no cancellation near 0); above, 1 - e F(e) with e = exp(-2|x|)\n"
            "   and F(e) = 2 / (1 + e) a polynomial on [0, 0.2865] (degree 6, 2^-25.6):\n"
            "   no division.  |x| clamped to 10 (tanh 10 rounds to 1); then the sign of\n"
            "   x, which keeps -0. */\n"
            "TC_VMATH_INLINE TC_TARGET_AVX512 __m512 tc_tanh_avx512(__m512 x) {\n"
            "  __m512 a = _mm512_min_ps(_mm512_set1_ps(10.0f), _mm512_abs_ps(x));\n"
            "  __m512 z = _mm512_mul_ps(a, a), p = _mm512_set1_ps(-0.00566492695f), n, r, e, f;\n"
            "  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(0.0206042249f));\n"
            "  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(-0.0537293591f));\n"
            "  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(0.133313224f));\n"
            "  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(-0.333332777f));\n"
            "  p = _mm512_fmadd_ps(_mm512_mul_ps(a, z), p, a);\n"
            "  r = tc_exp_reduce_avx512(_mm512_mul_ps(a, _mm512_set1_ps(-2.0f)), &n);\n"
            "  e = _mm512_scalef_ps(_mm512_fmadd_ps(tc_expm1_poly_avx512(r), r, _mm512_set1_ps(1.0f)), n);\n"
            "  f = _mm512_set1_ps(0.805446506f);\n"
            "  f = _mm512_fmadd_ps(f, e, _mm512_set1_ps(-1.61312592f));\n"
            "  f = _mm512_fmadd_ps(f, e, _mm512_set1_ps(1.93130851f));\n"
            "  f = _mm512_fmadd_ps(f, e, _mm512_set1_ps(-1.99346411f));\n"
            "  f = _mm512_fmadd_ps(f, e, _mm512_set1_ps(1.99969697f));\n"
            "  f = _mm512_fmadd_ps(f, e, _mm512_set1_ps(-1.99999464f));\n"
            "  f = _mm512_fmadd_ps(f, e, _mm512_set1_ps(2.0f));\n"
            "  p = _mm512_mask_mov_ps(p, _mm512_cmp_ps_mask(a, _mm512_set1_ps(0.625f), _CMP_GE_OQ),\n"
            "                         _mm512_fnmadd_ps(e, f, _mm512_set1_ps(1.0f)));\n"
            "  return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(\n"
            "      _mm512_castps_si512(p), _mm512_castps_si512(x), _mm512_set1_epi32((int)0x80000000u), 0xf8));\n"
            "}\n"},
        [TCE_VM_SIGMOID] = {{VM_EXP_REDUCE, VM_EXPM1_POLY, VM_RECIP, -1},
            "/* sigmoid x = 1 / (1 + e) for x >= 0 and e / (1 + e) for x < 0, e =\n"
            "   exp(-|x|) in (0, 1]: no exp overflows, no NaN for large |x|. */\n"
            "TC_VMATH_INLINE TC_TARGET_AVX512 __m512 tc_sigmoid_avx512(__m512 x) {\n"
            "  __m512 a = _mm512_max_ps(_mm512_set1_ps(-104.0f), _mm512_or_ps(x, _mm512_set1_ps(-0.0f)));\n"
            "  __m512 n, r, e;\n"
            "  r = tc_exp_reduce_avx512(a, &n);\n"
            "  e = _mm512_scalef_ps(_mm512_fmadd_ps(tc_expm1_poly_avx512(r), r, _mm512_set1_ps(1.0f)), n);\n"
            "  r = tc_recip_avx512(_mm512_add_ps(e, _mm512_set1_ps(1.0f)));\n"
            "  return _mm512_mask_mul_ps(r, _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ), r, e);\n"
            "}\n"},
        [TCE_VM_SILU] = {{VM_EXP_REDUCE, VM_EXPM1_POLY, VM_DIV, -1},
            "/* silu x = x sigmoid(x) = x / (1 + e) for x >= 0 and x e / (1 + e) for\n"
            "   x < 0, e = exp(-|x|) = 2^n p: x e as scalef(x p, n), so that results\n"
            "   near FLT_MIN keep their digits; |x| clamped to 110 (where x e rounds to\n"
            "   0).  fixupimm: -inf gives NaN (-inf * 0, as x sigmoid(x)), +inf +inf,\n"
            "   +-0 x. */\n"
            "TC_VMATH_INLINE TC_TARGET_AVX512 __m512 tc_silu_avx512(__m512 x) {\n"
            "  __m512 a = _mm512_range_ps(x, _mm512_set1_ps(110.0f), 14); /* -min(|x|, 110) */\n"
            "  __m512 n, r, p, e, num;\n"
            "  r = tc_exp_reduce_avx512(a, &n);\n"
            "  p = _mm512_fmadd_ps(tc_expm1_poly_avx512(r), r, _mm512_set1_ps(1.0f));\n"
            "  e = _mm512_scalef_ps(p, n);\n"
            "  num = _mm512_mask_scalef_ps(x, _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ),\n"
            "                              _mm512_mul_ps(a, p), n);\n"
            "  r = tc_div_avx512(num, _mm512_add_ps(e, _mm512_set1_ps(1.0f)));\n"
            "  return _mm512_fixupimm_ps(r, x, _mm512_set1_epi32(0x00530122), 0);\n"
            "}\n"},
        [TCE_VM_SOFTPLUS] = {{VM_EXP_REDUCE, VM_EXPM1_POLY, VM_LOG1P_POLY, -1},
            "/* softplus x = max(x, 0) + log1p(e), e = exp(-|x|) in (0, 1]: u = 1 + e\n"
            "   and its rounding error c, then log(u + c) as in tc_log1p_avx512. */\n"
            "TC_VMATH_INLINE TC_TARGET_AVX512 __m512 tc_softplus_avx512(__m512 x) {\n"
            "  const __m512 one = _mm512_set1_ps(1.0f);\n"
            "  __m512 a = _mm512_max_ps(_mm512_set1_ps(-104.0f), _mm512_or_ps(x, _mm512_set1_ps(-0.0f)));\n"
            "  __m512 n, r, e, u, c, m, nk, y;\n"
            "  r = tc_exp_reduce_avx512(a, &n);\n"
            "  e = _mm512_scalef_ps(_mm512_fmadd_ps(tc_expm1_poly_avx512(r), r, one), n);\n"
            "  u = _mm512_add_ps(one, e);\n"
            "  c = _mm512_sub_ps(e, _mm512_sub_ps(u, one));\n"
            "  m = _mm512_getmant_ps(u, _MM_MANT_NORM_p75_1p5, _MM_MANT_SIGN_zero);\n"
            "  nk = _mm512_sub_ps(_mm512_getexp_ps(m), _mm512_getexp_ps(u));\n"
            "  y = tc_log1p_poly_avx512(_mm512_add_ps(_mm512_scalef_ps(c, nk), _mm512_sub_ps(m, one)));\n"
            "  y = _mm512_fnmadd_ps(nk, _mm512_set1_ps(5.76999888e-08f), y);\n"
            "  y = _mm512_fnmadd_ps(nk, _mm512_set1_ps(0.693147123f), y);\n"
            "  return _mm512_add_ps(_mm512_max_ps(_mm512_setzero_ps(), x), y);\n"
            "}\n"},
        [TCE_VM_ERF] = {{VM_EXP_REDUCE, VM_EXPM1_POLY, -1},
            "/* erf x: below 0.875 x + x P(x^2) (degree 5, relative error 2^-25.9);\n"
            "   above, sign(x) (1 - erfc a), a = min(|x|, 4), erfc a = exp(-a^2 + G(a))\n"
            "   with G a polynomial in a - 2.4375 (degree 6) and a^2 exact inside the\n"
            "   FMA. */\n"
            "TC_VMATH_INLINE TC_TARGET_AVX512 __m512 tc_erf_avx512(__m512 x) {\n"
            "  __m512 a = _mm512_min_ps(_mm512_set1_ps(4.0f), _mm512_abs_ps(x));\n"
            "  __m512 z = _mm512_mul_ps(x, x), s, p, g, n, r, y;\n"
            "  p = _mm512_set1_ps(-0.000620325038f);\n"
            "  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(0.00503218034f));\n"
            "  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(-0.0267914627f));\n"
            "  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(0.112824552f));\n"
            "  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(-0.376125515f));\n"
            "  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(0.128379166f));\n"
            "  p = _mm512_fmadd_ps(x, p, x);\n"
            "  s = _mm512_sub_ps(a, _mm512_set1_ps(2.4375f));\n"
            "  g = _mm512_set1_ps(0.000200998111f);\n"
            "  g = _mm512_fmadd_ps(g, s, _mm512_set1_ps(-0.000152711786f));\n"
            "  g = _mm512_fmadd_ps(g, s, _mm512_set1_ps(0.002645934f));\n"
            "  g = _mm512_fmadd_ps(g, s, _mm512_set1_ps(-0.0112387342f));\n"
            "  g = _mm512_fmadd_ps(g, s, _mm512_set1_ps(0.05821082f));\n"
            "  g = _mm512_fmadd_ps(g, s, _mm512_set1_ps(-0.359838694f));\n"
            "  g = _mm512_fmadd_ps(g, s, _mm512_set1_ps(-1.53455412f));\n"
            "  r = tc_exp_reduce_avx512(_mm512_fnmadd_ps(a, a, g), &n);\n"
            "  y = _mm512_scalef_ps(_mm512_fmadd_ps(tc_expm1_poly_avx512(r), r, _mm512_set1_ps(1.0f)), n);\n"
            "  y = _mm512_sub_ps(_mm512_set1_ps(1.0f), y);\n"
            "  y = _mm512_castsi512_ps(_mm512_ternarylogic_epi32(_mm512_castps_si512(y), _mm512_castps_si512(x),\n"
            "                                                    _mm512_set1_epi32((int)0x80000000u), 0xf8));\n"
            "  return _mm512_mask_mov_ps(p, _mm512_cmp_ps_mask(a, _mm512_set1_ps(0.875f), _CMP_GE_OQ), y);\n"
            "}\n"},
        [TCE_VM_GELU] = {{VM_EXP_REDUCE, -1},
            "/* gelu x = x Phi(x): x Q(|x|) for x <= 0 (no 1 + erf to cancel) and\n"
            "   x - x Q(x) for x > 0, Q(b) = erfc(b / sqrt 2) / 2 =\n"
            "   exp(-b^2 / 2) / sqrt(2 pi) * U / (b U + V), U and V polynomials in b\n"
            "   (the Mills ratio as 1 / (b + V / U), relative error 2^-24.3).  -b^2 / 2\n"
            "   is split exactly into hi + lo; exp(r) / sqrt(2 pi) is one polynomial;\n"
            "   x Q is formed with the rounding errors of x p and of U carried into the\n"
            "   quotient's correction, and 2^n applied last.  x clamped to 14.5 (x Q\n"
            "   rounds to 0 there), -0 below -13.1462460 (a subnormal exact result).\n"
            "   fixupimm: -inf gives NaN (-inf * 0), +inf +inf,\n"
            "   +-0 x. */\n"
            "TC_VMATH_INLINE TC_TARGET_AVX512 __m512 tc_gelu_avx512(__m512 x) {\n"
            "  /* below -13.1462460 |gelu x| < FLT_MIN: -0, computed from x = 0 (a\n"
            "     subnormal anywhere costs a microcode assist for the whole vector) */\n"
            "  const __mmask16 tiny = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-13.1462460f), _CMP_LT_OQ);\n"
            "  __m512 xc = _mm512_maskz_mov_ps((__mmask16)~tiny, _mm512_range_ps(x, _mm512_set1_ps(14.5f), 2));\n"
            "  __m512 b = _mm512_abs_ps(xc), u, v, hi, lo, n, r, p, xp, xpl, q, d;\n"
            "  u = _mm512_set1_ps(0.0114648733f);\n"
            "  u = _mm512_fmadd_ps(u, b, _mm512_set1_ps(0.101901658f));\n"
            "  u = _mm512_fmadd_ps(u, b, _mm512_set1_ps(0.42571187f));\n"
            "  u = _mm512_fmadd_ps(u, b, _mm512_set1_ps(0.95326966f));\n"
            "  u = _mm512_fmadd_ps(u, b, _mm512_set1_ps(1.0f));\n"
            "  v = _mm512_set1_ps(0.0114554055f);\n"
            "  v = _mm512_fmadd_ps(v, b, _mm512_set1_ps(0.102259606f));\n"
            "  v = _mm512_fmadd_ps(v, b, _mm512_set1_ps(0.397220463f));\n"
            "  v = _mm512_fmadd_ps(v, b, _mm512_set1_ps(0.797884583f));\n"
            "  v = _mm512_fmadd_ps(b, u, v); /* the denominator b U + V */\n"
            "  lo = _mm512_mul_ps(b, _mm512_set1_ps(-0.5f));\n"
            "  hi = _mm512_mul_ps(b, lo);\n"
            "  lo = _mm512_fmsub_ps(b, lo, hi);\n"
            "  r = _mm512_add_ps(tc_exp_reduce_avx512(hi, &n), lo);\n"
            "  p = _mm512_set1_ps(0.000554085492f);\n"
            "  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.00333877755f));\n"
            "  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.0166227828f));\n"
            "  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.0664897399f));\n"
            "  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.199471128f));\n"
            "  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.398942292f));\n"
            "  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.398942292f));\n"
            "  xp = _mm512_mul_ps(xc, p);\n"
            "  xpl = _mm512_fmsub_ps(xc, p, xp);\n"
            "  d = _mm512_rcp14_ps(v);\n"
            "  q = _mm512_mul_ps(_mm512_mul_ps(xp, u), d);\n"
            "  r = _mm512_fnmadd_ps(xp, _mm512_sub_ps(u, _mm512_set1_ps(1.0f)), _mm512_fmsub_ps(v, q, xp));\n"
            "  r = _mm512_fnmadd_ps(xpl, u, r); /* v q - x p U, exactly but for one rounding */\n"
            "  q = _mm512_scalef_ps(_mm512_fnmadd_ps(r, d, q), n);\n"
            "  q = _mm512_mask_sub_ps(q, _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ), x, q);\n"
            "  q = _mm512_mask_mov_ps(q, tiny, _mm512_set1_ps(-0.0f));\n"
            "  return _mm512_fixupimm_ps(q, x, _mm512_set1_epi32(0x00530122), 0);\n"
            "}\n"},
        [TCE_VM_GELU_TANH] = {{VM_EXPM1_POLY, VM_DIV, -1},
            "/* gelu_tanh x = 0.5 x (1 + tanh(u)) = x sigmoid(2u), u = sqrt(2/pi) (x +\n"
            "   0.044715 x^3), as tc_silu_avx512 does x sigmoid(x).  |2u| = a q, a =\n"
            "   |x|, q = c1 + c3 a^2, is formed as a sum h + l of two floats, the\n"
            "   constants split in two, each product's and the sum's rounding error\n"
            "   kept (in one float the cubic's rounding, times |2u| up to 90, would\n"
            "   cost dozens of ulps);\n"
            "   -|2u| = n ln 2 + r.  x clamped to 12 (where the result is x), -0 below\n"
            "   -10.1006365 (a subnormal exact result). */\n"
            "TC_VMATH_INLINE TC_TARGET_AVX512 __m512 tc_gelu_tanh_avx512(__m512 x) {\n"
            "  const __m512 c1 = _mm512_set1_ps(1.59576917f), c3 = _mm512_set1_ps(0.0713548139f);\n"
            "  const __m512 sh = _mm512_set1_ps(12582912.0f);\n"
            "  /* below -10.1006365 |gelu_tanh x| < FLT_MIN: -0, computed from x = 0 */\n"
            "  const __mmask16 tiny = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-10.1006365f), _CMP_LT_OQ);\n"
            "  __m512 xc = _mm512_maskz_mov_ps((__mmask16)~tiny, _mm512_range_ps(x, _mm512_set1_ps(12.0f), 2));\n"
            "  __m512 a = _mm512_abs_ps(xc), s, m, q, ql, h, l, n, r, p, e, num;\n"
            "  /* q + ql: a^2 = s + (a a - s), c3 s = m + (c3 s - m), c1 + m by Fast2Sum\n"
            "     (the larger of the two first), and the constants' low halves */\n"
            "  s = _mm512_mul_ps(a, a);\n"
            "  m = _mm512_mul_ps(c3, s);\n"
            "  q = _mm512_add_ps(c1, m);\n"
            "  ql = _mm512_fmadd_ps(_mm512_set1_ps(2.39883247e-09f), s, _mm512_set1_ps(-4.53406805e-08f));\n"
            "  ql = _mm512_fmadd_ps(c3, _mm512_fmsub_ps(a, a, s), ql);\n"
            "  ql = _mm512_add_ps(ql, _mm512_fmsub_ps(c3, s, m));\n"
            "  ql = _mm512_add_ps(ql, _mm512_add_ps(_mm512_sub_ps(_mm512_max_ps(c1, m), q), _mm512_min_ps(c1, m)));\n"
            "  /* h + l = a (q + ql) */\n"
            "  h = _mm512_mul_ps(a, q);\n"
            "  l = _mm512_fmadd_ps(a, ql, _mm512_fmsub_ps(a, q, h));\n"
            "  /* n = round(-h / ln 2); r = (-h - n L1) - (l + n L2), ln 2 = L1 + L2 as\n"
            "     in tc_exp_reduce_avx512 (-h - n L1 exact; r rounded once, but for\n"
            "     l + n L2's rounding, below 2^-38) */\n"
            "  n = _mm512_sub_ps(_mm512_fmadd_ps(h, _mm512_set1_ps(-1.44269502f), sh), sh);\n"
            "  r = _mm512_sub_ps(_mm512_fnmsub_ps(n, _mm512_set1_ps(0.693147123f), h),\n"
            "                    _mm512_fmadd_ps(n, _mm512_set1_ps(5.76999888e-08f), l));\n"
            "  p = _mm512_fmadd_ps(tc_expm1_poly_avx512(r), r, _mm512_set1_ps(1.0f));\n"
            "  e = _mm512_scalef_ps(p, n);\n"
            "  num = _mm512_mask_scalef_ps(x, _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ),\n"
            "                              _mm512_mul_ps(xc, p), n);\n"
            "  r = tc_div_avx512(num, _mm512_add_ps(e, _mm512_set1_ps(1.0f)));\n"
            "  r = _mm512_mask_mov_ps(r, tiny, _mm512_set1_ps(-0.0f));\n"
            "  return _mm512_fixupimm_ps(r, x, _mm512_set1_epi32(0x00530122), 0);\n"
            "}\n"},
    },
};

const char *tcE_vmath_name(tcE_visa isa, tcE_vmfn fn) {
  assert(isa < TCE_VISA_COUNT && fn < TCE_VM_COUNT);
  return vm_names[isa][fn];
}

tcE_vmfn tcE_vmath_of_op(int op) {
  switch (op) {
  case TC_OP_EXP: return TCE_VM_EXP;
  case TC_OP_EXP2: return TCE_VM_EXP2;
  case TC_OP_EXPM1: return TCE_VM_EXPM1;
  case TC_OP_LOG: return TCE_VM_LOG;
  case TC_OP_LOG2: return TCE_VM_LOG2;
  case TC_OP_LOG1P: return TCE_VM_LOG1P;
  case TC_OP_TANH: return TCE_VM_TANH;
  case TC_OP_SIGMOID: return TCE_VM_SIGMOID;
  case TC_OP_SILU: return TCE_VM_SILU;
  case TC_OP_SOFTPLUS: return TCE_VM_SOFTPLUS;
  case TC_OP_ERF: return TCE_VM_ERF;
  case TC_OP_GELU: return TCE_VM_GELU;
  case TC_OP_GELU_TANH: return TCE_VM_GELU_TANH;
  default: return TCE_VM_COUNT;
  }
}

/* Writes unit u of isa after the units it calls, unless done[u]. */
static void write_unit(tc_buf *out, tcE_visa isa, int u, char done[VM_UNIT_COUNT]) {
  const vm_text *t = &vm_texts[isa][u];
  if (done[u]) return;
  done[u] = 1;
  assert(t->text && "a function calls a kernel its ISA lacks");
  for (const signed char *d = t->deps; *d >= 0; d++) write_unit(out, isa, *d, done);
  tc_buf_putc(out, '\n');
  tc_buf_puts(out, t->text);
}

void tcE_vmath_write(tc_buf *out, const char used[TCE_VISA_COUNT][TCE_VM_COUNT]) {
  static const char *const target[TCE_VISA_COUNT] = {
      [TCE_VISA_AVX2] = "#ifndef TC_TARGET_AVX2\n"
                        "#define TC_TARGET_AVX2 __attribute__((target(\"avx2,fma\")))\n"
                        "#endif\n",
      [TCE_VISA_AVX512] = "#ifndef TC_TARGET_AVX512\n"
                          "#define TC_TARGET_AVX512 "
                          "__attribute__((target(\"avx512f,avx512bw,avx512dq,avx512vl,avx2,fma\")))\n"
                          "#endif\n",
  };
  int any[TCE_VISA_COUNT] = {0}, some = 0;
  for (int isa = 0; isa < TCE_VISA_COUNT; isa++)
    for (int f = 0; f < TCE_VM_COUNT; f++)
      if (used[isa][f]) any[isa] = some = 1;
  if (!some) return;
  tc_buf_puts(out, "\n/* Vector math (docs/math.md): f32 functions of one vector, straight-line\n"
                   "   code (no branches, calls or tables) forced inline, each marked with its\n"
                   "   ISA's target attribute. */\n"
                   "#ifndef TC_VMATH_INLINE\n"
                   "#define TC_VMATH_INLINE static inline __attribute__((always_inline))\n"
                   "#endif\n");
  for (int isa = 0; isa < TCE_VISA_COUNT; isa++)
    if (any[isa]) tc_buf_puts(out, target[isa]);
  for (int isa = 0; isa < TCE_VISA_COUNT; isa++) {
    char done[VM_UNIT_COUNT] = {0};
    for (int f = 0; f < TCE_VM_COUNT; f++)
      if (used[isa][f]) write_unit(out, (tcE_visa)isa, f, done);
  }
}
