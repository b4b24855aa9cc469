/*
 * gemm.h: the GEMM template's run-time code (emit/gemm.c).  Internal to
 * emit/.
 */
#ifndef TC_EMIT_GEMM_H
#define TC_EMIT_GEMM_H

#include "vec.h"

/* The columns of a B panel (the micro-kernel's width) and the rows of
   the largest micro-kernel on an ISA. */
int tcE_gemm_nr(tcE_visa isa);
int tcE_gemm_mr(tcE_visa isa);
/* The rows of the largest direct kernel (bmode 3) on an ISA. */
int tcE_gemm_direct_mr(tcE_visa isa);

/* Writes, when some ISA is used, the template's shared types and B
   packer (tc_gemm, tc_gemm_pack_b), then per ISA used its micro-kernels
   and its entry point `int tc_gemm_<isa>(const tc_gemm *)`.  Needs the
   vector prelude (tail masks of the ISAs: the caller marks them used)
   and, under OpenMP, tc_omp_for before it. */
void tcE_gemm_write(tc_buf *out, const char used[TCE_VISA_COUNT]);

#endif
