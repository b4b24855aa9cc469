/*
 * cgen.h: what the shared C writer (emit/c.c) and the per-target files
 * (emit/scalar.c) tell each other.  Internal to emit/.
 *
 * The generated file may only hold static helpers it uses (gcc warns about
 * unused static functions, and the product has no dead code), so writers
 * record what they use in a tcE_cg and the helpers are written last, in
 * front of the kernels.
 */
#ifndef TC_EMIT_CGEN_H
#define TC_EMIT_CGEN_H

#include "emit.h"
#include "vec.h"

/* ORDER HELPER: the static helpers a generated file may contain. */
typedef enum tcE_helper {
  TCE_H_BF16_LOAD,    /* float tc_bf16_load(uint16_t) */
  TCE_H_BF16_STORE,   /* uint16_t tc_bf16_store(float), nearest even */
  TCE_H_BF16_ROUND,   /* float tc_bf16_round(float) */
  TCE_H_INFF,         /* float tc_inff(void) */
  TCE_H_NANF,         /* float tc_nanf(void) */
  TCE_H_INF,          /* double tc_inf(void) */
  TCE_H_NAN,          /* double tc_nan(void) */
  TCE_H_SAT_I8,       /* int8_t tc_sat_i8(double): NaN -> 0, saturating */
  TCE_H_SAT_U8,
  TCE_H_SAT_I32,
  TCE_H_SAT_I64,
  TCE_H_FLOORDIV_I64, /* floor division, b != 0, INT64_MIN // -1 wraps */
  TCE_H_MOD_I64,      /* floor modulo, b != 0 */
  TCE_H_IPOW_I64,     /* integer power, wrapping */
  TCE_H_DIVMODF,      /* float tc_divmodf(a, b, *mod): NumPy's npy_divmod */
  TCE_H_DIVMOD,       /* the same in double */
  TCE_H_FLOORDIVF,    /* float floor division (via tc_divmodf) */
  TCE_H_FLOORDIV,     /* double floor division */
  TCE_H_FMOD_FLOORF,  /* float floor modulo (via tc_divmodf) */
  TCE_H_FMOD_FLOOR,   /* double floor modulo */
  /* f32 math (docs/math.md): vectorizable, straight-line; the kernels and
     tc_selectf are what the others share */
  TCE_H_MATH_INLINE,  /* the TC_MATH_INLINE macro */
  TCE_H_SELECTF,      /* float tc_selectf(int c, float a, float b) */
  TCE_H_EXPM1_KERNELF,
  TCE_H_EXP_KERNELF,
  TCE_H_EXPF,
  TCE_H_EXP2F,
  TCE_H_EXPM1F,
  TCE_H_LOG1P_KERNELF,
  TCE_H_LOGF,
  TCE_H_LOG2F,
  TCE_H_LOG1PF,
  TCE_H_TANHF,
  TCE_H_SIGMOIDF,
  TCE_H_MUL_SIGMOIDF,
  TCE_H_SILUF,
  TCE_H_GELU_TANHF,
  TCE_H_SOFTPLUSF,
  TCE_H_NORMAL_TAIL_MULF,
  TCE_H_ERFF,
  TCE_H_GELUF,
  TCE_H_EXT_ADD,      /* int tc_ext_add(a, b, *r): 1 on int64 overflow */
  TCE_H_EXT_SUB,
  TCE_H_EXT_MUL,
  TCE_H_EXT_FLOORDIV, /* int64_t tc_ext_floordiv(a, b), b > 0 */
  TCE_H_COUNT
} tcE_helper;

/* What a generated file uses, and where it is written. */
typedef struct tcE_cg {
  tc_buf *o;                  /* the text being written */
  int indent;                 /* of the statements written next */
  char helpers[TCE_H_COUNT];  /* 1: the helper is used */
  /* libm functions used ("expf"), each once, in order of first use */
  TC_VEC(const char *) libm;
  /* intrinsics targets (emit/vec.c): the ISAs the file uses, and the
     vector math functions of each */
  char vec_isa[TCE_VISA_COUNT];
  char vec_tail[TCE_VISA_COUNT]; /* its tail-mask helper is used */
  char vmath[TCE_VISA_COUNT][TCE_VM_COUNT];
  char hred[TCE_VISA_COUNT][4]; /* horizontal reductions (tcE_vec_hred) */
  char vbf16[TCE_VISA_COUNT][TCE_VBF16_COUNT]; /* bf16 helpers (emit/vec.c) */
  char vtrans[TCE_VISA_COUNT]; /* in-register transposes (tcE_vec_transpose_write) */
  int omp_for;   /* tc_omp_for is used (emit/c.c's pool_wrap) */
  char gemm[TCE_VISA_COUNT]; /* the GEMM template's code of an ISA (emit/gemm.c) */
  int multi_isa; /* tc_pick_isa is used (target x86-64) */
} tcE_cg;

/* Write the indentation, then printf. */
void tcE_line(tcE_cg *g, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void tcE_use_libm(tcE_cg *g, const char *fn);
/* Record that the generated file uses helper h, and what h uses. */
void tcE_use_helper(tcE_cg *g, tcE_helper h);

/* ---- per target (emit/scalar.c) ----------------------------------------
   Values are held in C variables of tcE_value_ctype (bf16 as float);
   operand strings are C expressions already of that type (names or
   literals), safe to repeat. */

const char *tcE_value_ctype(tc_dtype t);
/* A literal of dtype t (num for floats, inum otherwise), as a C expression
   of tcE_value_ctype(t). */
void tcE_scalar_literal(tcE_cg *g, tc_buf *out, tc_dtype t, double num,
                        int64_t inum);
/* The C expression of elementwise op `op` (UNARY, BINARY, CMP, CLAMP or
   CAST) with operand dtype `at` and result dtype `t`; `num` is the
   LEAKY_RELU slope.  Integer FLOORDIV/MOD assume a nonzero divisor (the
   caller checks). */
void tcE_scalar_op(tcE_cg *g, tc_buf *out, tc_op op, tc_dtype t, tc_dtype at,
                   const char *const *a, double num);
/* Value (tcE_value_ctype) <-> stored element. */
void tcE_scalar_load(tcE_cg *g, tc_buf *out, tc_dtype t, const char *elem);
void tcE_scalar_store(tcE_cg *g, tc_buf *out, tc_dtype t, const char *val);
/* Accumulator of a reduction: its initial value, and the statement(s)
   updating `acc` with `v` (SUM PROD MAX MIN). */
void tcE_scalar_reduce_init(tcE_cg *g, tc_buf *out, tc_op red, tc_dtype t);
void tcE_scalar_reduce_step(tcE_cg *g, tc_op red, tc_dtype t, const char *acc,
                            const char *v);
/* The helpers and libm declarations g uses, as C text. */
void tcE_scalar_prelude(tcE_cg *g, tc_buf *out);

#endif
