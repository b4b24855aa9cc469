/*
 * ops.h: the one list of operation kinds.  It feeds the enum tc_op, the
 * name table, and the tables of the interpreter and the emitters (each of
 * which has a static_assert on TC_OP_COUNT beside its table).
 *
 * The same codes name graph nodes (tc_node.op) and scalar expressions
 * (tc_sexpr.op): an elementwise op is the same op in both.
 *
 * X(ENUM, "name", class, arity)
 *   class: LEAF    a graph leaf or a scalar leaf
 *          UNARY   elementwise, 1 operand
 *          BINARY  elementwise, 2 operands
 *          TERNARY elementwise, 3 operands (where, clamp)
 *          CMP     elementwise comparison or logic, result bool
 *          REDUCE  a reduction over axes
 *          OTHER   everything else (attributes described in graph.h)
 *   arity: number of operands, -1 when it varies.
 *
 * Elementwise operands always share one dtype ("the compute dtype"): the
 * constructors insert casts (PyTorch promotion) so no consumer of the IR
 * deals with mixed dtypes.  The result has that dtype, except CMP ops
 * (bool) and CAST.
 */
#ifndef TC_OPS_H
#define TC_OPS_H

/* ORDER OP */
#define TC_OPS(X)                                                        \
  /* leaves */                                                           \
  X(CONST, "const", LEAF, 0)   /* scalar constant: num / inum */         \
  X(INPUT, "input", LEAF, 0)   /* graph: a dense input; arg */           \
  X(WEIGHT, "weight", LEAF, 0) /* graph: a weight; arg */                \
  X(IVAR, "ivar", LEAF, 0)     /* sexpr: index variable `var` (i64) */   \
  X(RVAR, "rvar", LEAF, 0)     /* sexpr: reduction variable `var` */     \
  X(EXTENT, "extent", LEAF, 0) /* sexpr: the i64 value of `ext` */       \
  X(LOAD, "load", LEAF, -1)    /* sexpr: ref[args...] (i64 indices) */   \
  /* unary elementwise */                                                \
  X(ABS, "abs", UNARY, 1)                                                \
  X(NEG, "neg", UNARY, 1)                                                \
  X(EXP, "exp", UNARY, 1)                                                \
  X(EXP2, "exp2", UNARY, 1)                                              \
  X(LOG, "log", UNARY, 1)                                                \
  X(LOG2, "log2", UNARY, 1)                                              \
  X(LOG1P, "log1p", UNARY, 1)                                            \
  X(EXPM1, "expm1", UNARY, 1)                                            \
  X(SQRT, "sqrt", UNARY, 1)                                              \
  X(RSQRT, "rsqrt", UNARY, 1)                                            \
  X(RECIPROCAL, "reciprocal", UNARY, 1)                                  \
  X(SIN, "sin", UNARY, 1)                                                \
  X(COS, "cos", UNARY, 1)                                                \
  X(TANH, "tanh", UNARY, 1)                                              \
  X(SIGMOID, "sigmoid", UNARY, 1)                                        \
  X(ERF, "erf", UNARY, 1)                                                \
  X(FLOOR, "floor", UNARY, 1)                                            \
  X(CEIL, "ceil", UNARY, 1)                                              \
  X(ROUND, "round", UNARY, 1) /* half to even */                        \
  X(TRUNC, "trunc", UNARY, 1)                                            \
  X(SIGN, "sign", UNARY, 1)                                              \
  X(RELU, "relu", UNARY, 1)                                              \
  X(RELU6, "relu6", UNARY, 1)                                            \
  X(SILU, "silu", UNARY, 1)                                              \
  X(GELU, "gelu", UNARY, 1)           /* erf form */                     \
  X(GELU_TANH, "gelu_tanh", UNARY, 1) /* tanh approximation */           \
  X(SOFTPLUS, "softplus", UNARY, 1)                                      \
  X(HARDSWISH, "hardswish", UNARY, 1)                                    \
  X(LEAKY_RELU, "leaky_relu", UNARY, 1) /* slope in `num` */            \
  X(CAST, "cast", UNARY, 1) /* to the node's dtype */                    \
  /* binary elementwise */                                               \
  X(ADD, "add", BINARY, 2)                                               \
  X(SUB, "sub", BINARY, 2)                                               \
  X(MUL, "mul", BINARY, 2)                                               \
  X(DIV, "div", BINARY, 2)           /* floats only (ints are cast) */   \
  X(FLOORDIV, "floordiv", BINARY, 2) /* floor division */               \
  X(MOD, "mod", BINARY, 2)           /* floor modulo */                 \
  X(MAXIMUM, "maximum", BINARY, 2)   /* NaN-propagating */              \
  X(MINIMUM, "minimum", BINARY, 2)   /* NaN-propagating */              \
  X(POW, "pow", BINARY, 2)                                               \
  /* comparison and logic: result bool */                                \
  X(EQ, "eq", CMP, 2)                                                    \
  X(NE, "ne", CMP, 2)                                                    \
  X(LT, "lt", CMP, 2)                                                    \
  X(LE, "le", CMP, 2)                                                    \
  X(GT, "gt", CMP, 2)                                                    \
  X(GE, "ge", CMP, 2)                                                    \
  X(LOGICAL_AND, "logical_and", CMP, 2) /* operands bool */             \
  X(LOGICAL_OR, "logical_or", CMP, 2)   /* operands bool */             \
  X(LOGICAL_NOT, "logical_not", CMP, 1) /* operand bool */              \
  /* ternary elementwise */                                              \
  X(WHERE, "where", TERNARY, 3) /* cond (bool), a, b; lazy in sexprs */  \
  X(CLAMP, "clamp", TERNARY, 3) /* x, lo, hi */                          \
  /* reductions */                                                       \
  X(SUM, "sum", REDUCE, 1)                                               \
  X(MEAN, "mean", REDUCE, 1)                                             \
  X(MAX, "max", REDUCE, 1) /* NaN-propagating */                         \
  X(MIN, "min", REDUCE, 1)                                               \
  X(PROD, "prod", REDUCE, 1)                                             \
  X(ARGMAX, "argmax", REDUCE, 1) /* i64; first index on ties */          \
  X(ARGMIN, "argmin", REDUCE, 1)                                         \
  /* sexpr reduction: args[0] reduced over rvar `var` (extent `ext`) */  \
  X(REDUCE, "reduce", OTHER, 1)                                          \
  /* normalizations */                                                   \
  X(SOFTMAX, "softmax", OTHER, 1)                                        \
  X(LOG_SOFTMAX, "log_softmax", OTHER, 1)                                \
  X(LAYER_NORM, "layer_norm", OTHER, -1)                                 \
  X(RMS_NORM, "rms_norm", OTHER, -1)                                     \
  X(BATCH_NORM, "batch_norm", OTHER, -1)                                 \
  /* shapes */                                                           \
  X(RESHAPE, "reshape", OTHER, 1)                                        \
  X(PERMUTE, "permute", OTHER, 1)                                        \
  X(EXPAND, "expand", OTHER, 1)                                          \
  X(SLICE, "slice", OTHER, 1)                                            \
  X(CONCAT, "concat", OTHER, -1)                                         \
  X(PAD, "pad", OTHER, 1)                                                \
  /* linear algebra */                                                   \
  X(MATMUL, "matmul", OTHER, 2)                                          \
  X(LINEAR, "linear", OTHER, -1)                                         \
  X(EINSUM, "einsum", OTHER, -1)                                         \
  /* index notation */                                                   \
  X(COMPUTE, "compute", OTHER, -1)                                       \
  /* convolution and pooling (issue 3) */                                \
  X(CONV2D, "conv2d", OTHER, -1) /* x, w [, b] */                        \
  X(MAX_POOL2D, "max_pool2d", OTHER, 1)                                  \
  X(AVG_POOL2D, "avg_pool2d", OTHER, 1)                                  \
  /* sparse and indexing */                                              \
  X(CSR, "csr", LEAF, 0)       /* graph: a csr input; arg */             \
  X(SPMM, "spmm", OTHER, 2)    /* a (CSR node), x */                     \
  X(GATHER, "gather", OTHER, 2)             /* x, index */               \
  X(INDEX_SELECT, "index_select", OTHER, 2) /* x, index */               \
  X(SCATTER, "scatter", OTHER, 2)           /* src, index */             \
  /* quantization */                                                     \
  X(QUANTIZE, "quantize", OTHER, 1)                                      \
  X(DEQUANTIZE, "dequantize", OTHER, 1)                                  \
  X(QUANTIZE_PER_CHANNEL, "quantize_per_channel", OTHER, 3)              \
  X(DEQUANTIZE_PER_CHANNEL, "dequantize_per_channel", OTHER, 3)          \
  /* graph: a constant 1-D tensor written as a Lua array */              \
  X(LITERAL, "literal", LEAF, 0)                                          \
  /* graph: a quantized matmul/linear/conv2d with its epilogue, made by */ \
  /* passes/quant.c (never by the front end; see passes/passes.h) */      \
  X(QUANTIZED, "quantized", OTHER, -1)

typedef enum tc_op {
#define X(e, n, c, a) TC_OP_##e,
  TC_OPS(X)
#undef X
  TC_OP_COUNT
} tc_op;

typedef enum tc_op_class {
  TC_OPC_LEAF,
  TC_OPC_UNARY,
  TC_OPC_BINARY,
  TC_OPC_TERNARY,
  TC_OPC_CMP,
  TC_OPC_REDUCE,
  TC_OPC_OTHER
} tc_op_class;

const char *tc_op_name(tc_op op); /* "add" */
tc_op_class tc_op_class_of(tc_op op);
int tc_op_arity(tc_op op); /* -1 when it varies */
/* Elementwise: UNARY, BINARY, TERNARY or CMP. */
int tc_op_is_elementwise(tc_op op);

#endif
