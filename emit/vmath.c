/* TEMPORARY STUB written by the lead so that the tree links while the
   vector math is being written.  Whoever implements emit/vmath.h:
   replace this whole file. */
#include "vmath.h"

#include "../tensorc/ops.h"

#include <stdio.h>

static const char *const names[TCE_VM_COUNT] = {
    "exp", "exp2", "expm1", "log", "log2", "log1p", "tanh",
    "sigmoid", "silu", "softplus", "erf", "gelu", "gelu_tanh"};

const char *tcE_vmath_name(tcE_visa isa, tcE_vmfn fn) {
  static char buf[TCE_VISA_COUNT][TCE_VM_COUNT][32];
  if (!buf[isa][fn][0])
    snprintf(buf[isa][fn], 32, "tc_%s_%s", names[fn], isa == TCE_VISA_AVX512 ? "avx512" : "avx2");
  return buf[isa][fn];
}

tcE_vmfn tcE_vmath_of_op(int op) {
  (void)op;
  return TCE_VM_COUNT;
}

void tcE_vmath_write(tc_buf *out, const char used[TCE_VISA_COUNT][TCE_VM_COUNT]) {
  (void)out;
  (void)used;
}
