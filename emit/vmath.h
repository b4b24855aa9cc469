/*
 * vmath.h: f32 vector math for the intrinsics targets (emit/vmath.c).
 * Internal to emit/.
 *
 * Each function is a static helper written into the generated C, taking
 * and returning one vector: __m512 for AVX-512 (16 lanes), __m256 for
 * AVX2 (8 lanes), named tc_<fn>_<isa> ("tc_exp_avx512").  They are
 * straight-line (no branches, calls or tables), forced inline, and carry
 * the ISA's target attribute (TC_TARGET_AVX512 / TC_TARGET_AVX2, defined
 * by tcE_vmath_write), so a file holding them compiles with a plain
 * `cc -O2` and no -m flag.  docs/math.md gives each one's method and
 * maximum error.
 */
#ifndef TC_EMIT_VMATH_H
#define TC_EMIT_VMATH_H

#include "../tensorc/tc.h"

typedef enum tcE_visa {
  TCE_VISA_AVX2,   /* AVX2 + FMA, __m256 */
  TCE_VISA_AVX512, /* AVX-512 F/BW/DQ/VL, __m512 */
  TCE_VISA_COUNT
} tcE_visa;

typedef enum tcE_vmfn {
  TCE_VM_EXP, TCE_VM_EXP2, TCE_VM_EXPM1, TCE_VM_LOG, TCE_VM_LOG2, TCE_VM_LOG1P,
  TCE_VM_TANH, TCE_VM_SIGMOID, TCE_VM_SILU, TCE_VM_SOFTPLUS, TCE_VM_ERF,
  TCE_VM_GELU, TCE_VM_GELU_TANH,
  TCE_VM_COUNT
} tcE_vmfn;

/* The C name of fn for isa ("tc_exp_avx512"). */
const char *tcE_vmath_name(tcE_visa isa, tcE_vmfn fn);
/* The vmath function computing graph op `op` on f32 (TC_OP_EXP ...), or
   TCE_VM_COUNT when op has none. */
tcE_vmfn tcE_vmath_of_op(int op);
/* Appends to out: the TC_TARGET_* and TC_VMATH_INLINE macros (once), then
   for each isa, the functions with used[isa][fn] set and those they call,
   each once, callees first, in a fixed order (deterministic output). */
void tcE_vmath_write(tc_buf *out, const char used[TCE_VISA_COUNT][TCE_VM_COUNT]);

#endif
