/*
 * vec.h: the intrinsics of the AVX2 and AVX-512 targets (emit/vec.c), as
 * C expressions over f32 vectors.  Internal to emit/.
 *
 * Operands are names of vector variables (safe to repeat); a mask is the
 * ISA's mask type (__mmask16 for AVX-512, a __m256 of all-ones lanes for
 * AVX2), or NULL for every lane (a whole vector: plain loads and stores).
 */
#ifndef TC_EMIT_VEC_H
#define TC_EMIT_VEC_H

#include "../tensorc/loop.h"
#include "vmath.h"

const char *tcE_vec_type(tcE_visa isa);      /* "__m512" */
const char *tcE_vec_mask_type(tcE_visa isa); /* "__mmask16" */
const char *tcE_vec_attr(tcE_visa isa);      /* "TC_TARGET_AVX512" */
const char *tcE_vec_suffix(tcE_visa isa);    /* "avx512" */
int tcE_vec_lanes(tcE_visa isa);             /* f32 lanes: 16 */

/* 1 when f32 op `op` has a vector form here (tcE_vec_op or tcE_vec_cmp). */
int tcE_vec_has_op(tc_op op);
int tcE_vec_is_cmp(tc_op op);

void tcE_vec_set1(tc_buf *out, tcE_visa isa, const char *scalar);
/* The mask of lanes [0, min(n, lanes)) (n an int64_t expression); sets
   used[isa] (the helper it calls). */
void tcE_vec_tail_mask(tc_buf *out, tcE_visa isa, const char *n, char used[TCE_VISA_COUNT]);
/* Masked load of the lanes at addr (lanes off the mask are not read). */
void tcE_vec_load(tc_buf *out, tcE_visa isa, const char *addr, const char *mask);
/* Vector v with lane l replaced by its lane (l // k) * k + r (r a C
   integer expression in [0, k), k dividing the lanes): a permute. */
void tcE_vec_lane_group(tc_buf *out, tcE_visa isa, const char *v, int64_t k, const char *r);
/* Masked store, a statement. */
void tcE_vec_store(tc_buf *out, tcE_visa isa, const char *addr, const char *mask,
                   const char *v);
/* f32 op (not a CMP) on vectors a[0..2]; `slope` is LEAKY_RELU's as a
   literal; a math function sets used[its vmath fn]. */
void tcE_vec_op(tc_buf *out, tcE_visa isa, tc_op op, const char *const *a, const char *slope,
                char used[TCE_VM_COUNT]);
/* ADD or SUB (op) of a product a * b and c, in one rounding: a * b + c,
   a * b - c, or (mul_second: the product is the second operand of SUB)
   c - a * b. */
void tcE_vec_fma(tc_buf *out, tcE_visa isa, tc_op op, int mul_second, const char *a,
                 const char *b, const char *c);
/* A CMP op on two vectors: a mask. */
void tcE_vec_cmp(tc_buf *out, tcE_visa isa, tc_op op, const char *a, const char *b);
/* m ? t : f, lane by lane. */
void tcE_vec_blend(tc_buf *out, tcE_visa isa, const char *m, const char *t, const char *f);
void tcE_vec_mask_or(tc_buf *out, tcE_visa isa, const char *a, const char *b);
/* Reductions in lanes: `acc = acc (red) x` on the lanes of mask m (the
   others keep acc), a statement; the same for two whole accumulators, an
   expression; and the horizontal reduction of one accumulator to a float
   in the scalar target's fixed tree, an expression calling a helper that
   tcE_vec_hred_write writes (used[isa][red] records it). red: SUM, PROD,
   MAX, MIN (NaN-propagating, as the scalar target's lanes). */
void tcE_vec_red_step(tc_buf *out, tcE_visa isa, tc_op red, const char *acc, const char *x,
                      const char *m);
void tcE_vec_red_combine(tc_buf *out, tcE_visa isa, tc_op red, const char *acc, const char *x);
void tcE_vec_hred(tc_buf *out, tcE_visa isa, tc_op red, const char *v, char used[4]);
void tcE_vec_hred_write(tc_buf *out, const char used[TCE_VISA_COUNT][4]);
/* bf16 vectors (held in f32 lanes): a load of the elements at addr in
   the lanes of mask (NULL: every lane), a store rounding to nearest
   even, a round (a cast to bf16); used[isa][] records the helpers they
   call (TCE_VBF16_COUNT of them, the u8/i8 stores' below included),
   tcE_vec_bf16_write writes those. */
#define TCE_VBF16_COUNT 11
void tcE_vec_load_bf16(tc_buf *out, tcE_visa isa, const char *addr, const char *mask,
                       char used[TCE_VISA_COUNT][TCE_VBF16_COUNT]);
void tcE_vec_store_bf16(tc_buf *out, tcE_visa isa, const char *addr, const char *mask,
                        const char *v, char used[TCE_VISA_COUNT][TCE_VBF16_COUNT]);
void tcE_vec_round_bf16(tc_buf *out, tcE_visa isa, const char *v,
                        char used[TCE_VISA_COUNT][TCE_VBF16_COUNT]);
void tcE_vec_bf16_write(tc_buf *out, const char used[TCE_VISA_COUNT][TCE_VBF16_COUNT]);
/* A store of f32 vector v to the u8 or i8 (dtype t) elements at addr in
   the lanes of mask (NULL: every lane), each converted as a cast does:
   toward zero, saturating, NaN to 0 (a quantize's last step). */
void tcE_vec_store_q8(tc_buf *out, tcE_visa isa, tc_dtype t, const char *addr,
                      const char *mask, const char *v,
                      char used[TCE_VISA_COUNT][TCE_VBF16_COUNT]);
/* The in-register transposes of the tiled transposes (emit/c.c), for
   each ISA in used: tc_transpose_avx512(v) and tc_transpose_avx2(v), v
   the rows of a lanes x lanes matrix of f32, transposed in place. */
void tcE_vec_transpose_write(tc_buf *out, const char used[TCE_VISA_COUNT]);
/* <immintrin.h>, the TC_TARGET_* macros and the tail-mask helpers of the
   ISAs used. */
void tcE_vec_prelude(tc_buf *out, const char used_isa[TCE_VISA_COUNT],
                     const char used_tail[TCE_VISA_COUNT]);

#endif
