/* ops.c: the tables of the op list (tensorc/ops.h). */
#include "ops.h"

#include <assert.h>

static const char *const op_names[] = {
#define X(e, n, c, a) n,
    TC_OPS(X)
#undef X
};
static_assert(sizeof op_names / sizeof op_names[0] == TC_OP_COUNT, "ORDER OP");

static const unsigned char op_classes[] = {
#define X(e, n, c, a) TC_OPC_##c,
    TC_OPS(X)
#undef X
};
static_assert(sizeof op_classes == TC_OP_COUNT, "ORDER OP");

static const signed char op_arities[] = {
#define X(e, n, c, a) a,
    TC_OPS(X)
#undef X
};
static_assert(sizeof op_arities == TC_OP_COUNT, "ORDER OP");

const char *tc_op_name(tc_op op) {
  return (unsigned)op < TC_OP_COUNT ? op_names[op] : "?";
}

tc_op_class tc_op_class_of(tc_op op) {
  assert((unsigned)op < TC_OP_COUNT);
  return (tc_op_class)op_classes[op];
}

int tc_op_arity(tc_op op) {
  assert((unsigned)op < TC_OP_COUNT);
  return op_arities[op];
}

int tc_op_is_elementwise(tc_op op) {
  tc_op_class c = tc_op_class_of(op);
  return c == TC_OPC_UNARY || c == TC_OPC_BINARY || c == TC_OPC_TERNARY ||
         c == TC_OPC_CMP;
}
