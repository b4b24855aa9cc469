/*
 * graph.h: the graph IR.  A module holds kernels; a kernel is a DAG of
 * tensor operations (tc_node), each with a dtype, a shape of extents and
 * the DSL line that made it.  Compute bodies (index notation) are scalar
 * expression trees (tc_sexpr) that the loop IR reuses.
 *
 * Nodes are stored in a kernel's array in creation order, so every
 * operand id is smaller than the id of the node using it: the array is a
 * topological order.  The constructors (tc_graph_*) validate their
 * operands, infer the result's shape and dtype (NumPy broadcasting,
 * PyTorch promotion, casts inserted), record runtime checks for extents
 * that can only be compared when the dims are known, and report a user
 * error in a tc_diag at the given location.
 */
#ifndef TC_GRAPH_H
#define TC_GRAPH_H

#include "ext.h"
#include "ops.h"
#include "tc.h"

#define TC_MAX_RANK 8

typedef struct tc_sexpr tc_sexpr;

/* A scalar expression: an element of a compute body, and the body of a
   loop-IR stage.  Immutable, arena allocated. */
struct tc_sexpr {
  tc_op op;       /* LEAF kinds, an elementwise op, CAST, WHERE or REDUCE */
  tc_dtype dtype; /* of the result; index expressions are I64 */
  int nargs;
  const tc_sexpr **args; /* operands; for LOAD the indices (i64), one per axis */
  double num;     /* CONST (as a double, for float dtypes); LEAKY_RELU slope */
  int64_t inum;   /* CONST (for integer and bool dtypes) */
  int var;        /* IVAR: axis of the enclosing compute; RVAR/REDUCE: rvar id */
  tc_op red;      /* REDUCE: SUM, MAX, MIN or PROD; args[0] is the body */
  const tc_ext *ext; /* EXTENT: its value; REDUCE: the rvar's extent */
  int ref;        /* LOAD: the node id read (graph IR) or buffer id (loop IR) */
  tc_loc loc;     /* where the DSL made it */
};

/* Roles of an argument (ORDER ROLE: equal to spec/abi.md's tc_role). */
typedef enum tc_role { TC_ROLE_INPUT = 1, TC_ROLE_WEIGHT, TC_ROLE_OUTPUT } tc_role;

/* A kernel argument as the ABI sees it (a csr argument is one tc_arg here
   and 2 or 3 parts in the ABI; issue 3). */
typedef struct tc_arg {
  const char *name;
  tc_role role;
  tc_dtype dtype;
  int rank;
  const tc_ext **shape;
  int node;  /* INPUT/WEIGHT: its node; OUTPUT: the node it returns */
  tc_loc loc;
} tc_arg;

typedef struct tc_dim {
  const char *name;
  tc_loc loc;
} tc_dim;

typedef struct tc_rvar {
  const tc_ext *ext; /* ranges over 0..ext-1 */
  tc_loc loc;
} tc_rvar;

/* A condition on extents that can be decided only when the kernel runs;
   the generated code and the interpreter both return TC_EINVAL when it
   fails. */
typedef enum tc_check_kind {
  TC_CHECK_EQ,        /* a == b */
  TC_CHECK_DIVISIBLE  /* b > 0 and a % b == 0 (reshape with -1) */
} tc_check_kind;

typedef struct tc_check {
  tc_check_kind kind;
  const tc_ext *a, *b;
  tc_loc loc;
} tc_check;

/* A schedule hint, validated by the front end (honoured by later passes). */
typedef struct tc_schedule {
  int node;
  int tile[TC_MAX_RANK], ntile;
  int vectorize, parallel, unroll; /* 0 when not given */
  tc_loc loc;
} tc_schedule;

/*
 * A graph node.  Attributes by op:
 *   CONST        rank 0; value in num (floats) or inum (ints, bool)
 *   INPUT WEIGHT arg: index into kernel->args
 *   elementwise  in[] broadcast to shape (each rank <= rank, aligned right,
 *                extents equal or 1); all operands share one dtype except
 *                WHERE's cond (bool); LEAKY_RELU slope in num
 *   CAST         in[0] converted to dtype
 *   SUM..ARGMIN  ints = reduced axes of in[0], ascending, nints of them;
 *                keepdim; SUM/PROD of integers or bool give I64, MEAN of
 *                integers is preceded by a cast to F32 (so MEAN is float)
 *   SOFTMAX LOG_SOFTMAX  axis (>= 0)
 *   LAYER_NORM   in = x [, gamma] [, beta]; ints = {n, has_gamma, has_beta};
 *                num = eps; normalizes the last n axes
 *   RMS_NORM     in = x [, gamma]; ints = {has_gamma}; num = eps; last axis
 *   BATCH_NORM   in = x, mean, var [, gamma] [, beta]; ints = {has_gamma,
 *                has_beta}; num = eps; channel axis 1
 *   RESHAPE      shape is the new shape (a TC_CHECK_EQ of element counts
 *                is recorded when they are not known equal)
 *   PERMUTE      ints = perm: output axis d is input axis ints[d]
 *   EXPAND       in[0] broadcast to shape (as an elementwise operand)
 *   SLICE        axis; exts[0] = start (normalized: 0 <= start <= extent);
 *                ints = {step}; shape[axis] = the number of elements taken
 *   CONCAT       in = the parts; axis
 *   PAD          ints = {before0, after0, before1, ...} (>= 0); num/inum =
 *                the fill value in the node's dtype
 *   MATMUL       in = a [..., M, K], b [..., K, N], both rank >= 2 (the
 *                front end unsqueezes 1-D operands and squeezes the
 *                result); batch dims broadcast; result [batch..., M, N]
 *   LINEAR       in = x [..., IN], w [OUT, IN] [, b [OUT]]; ints = {has_bias}
 *   EINSUM       in = the operands; str = "bik,bkj->bij" (explicit form,
 *                normalized: no spaces)
 *   COMPUTE      body: the scalar expression; in = every node it LOADs
 *                (the LOADs' ref are node ids); shape = the given extents;
 *                the body's IVAR d ranges over 0..shape[d]-1
 */
typedef struct tc_node {
  tc_op op;
  tc_dtype dtype;
  int rank;
  const tc_ext **shape;
  int nin;
  const int *in;
  int nints;
  const int64_t *ints;
  int axis;
  int keepdim;
  double num;
  int64_t inum;
  int next;
  const tc_ext **exts;
  const char *str;
  const tc_sexpr *body;
  int arg;
  tc_loc loc;
} tc_node;

typedef struct tc_kernel {
  const char *name;
  tc_loc loc;       /* the kernel() call */
  TC_VEC(tc_dim) dims;
  TC_VEC(tc_arg) args; /* declaration order within each role; see tc_kernel_abi_arg */
  TC_VEC(tc_node) nodes;
  TC_VEC(tc_rvar) rvars;
  TC_VEC(tc_check) checks;
  TC_VEC(tc_schedule) schedules;
} tc_kernel;

typedef struct tc_module {
  const char *name;  /* C identifier: the file's stem or --name */
  const char *file;  /* the DSL file as named on the command line */
  TC_VEC(tc_kernel *) kernels;
  tc_arena arena;    /* nodes' arrays, extents, sexprs, strings */
} tc_module;

/* ---- modules and kernels ---------------------------------------------- */

tc_module *tc_module_new(const char *name, const char *file);
void tc_module_free(tc_module *m);
/* A new kernel named `name`, appended to m.  The caller checks that the
   name is valid and unique. */
tc_kernel *tc_kernel_new(tc_module *m, const char *name, tc_loc loc);
tc_kernel *tc_module_find_kernel(const tc_module *m, const char *name);

/* Arguments in ABI order: weights, then inputs, then outputs, each group
   in declaration order.  Returns the count; fills idx[] (indices into
   k->args) when idx is not NULL. */
int tc_kernel_abi_args(const tc_kernel *k, int *idx);
int tc_kernel_count_role(const tc_kernel *k, tc_role role);

/* The concrete shape of argument a for these dims.  TC_OK or TC_EINVAL
   (an extent negative or overflowing). */
int tc_kernel_arg_shape(const tc_kernel *k, int a, const int64_t *dims,
                        int64_t *shape);
/* Evaluate every tc_check and every argument's extents: TC_OK or TC_EINVAL. */
int tc_kernel_check_dims(const tc_kernel *k, const int64_t *dims);

/* The C prefix P of a kernel (spec/abi.md): `prefix` (or the module name)
   when the module has one kernel named as the module, else
   "<prefix-or-module>_<kernel>".  Returns a malloc'd string. */
char *tc_kernel_cname(const tc_module *m, const tc_kernel *k,
                      const char *prefix);

/* ---- node constructors -------------------------------------------------
   Each returns the new node's id, or -1 with an error in d (at loc).
   Constant operands are made with tc_graph_const first.  "Promote"
   means PyTorch's rule; Lua-number operands are weak (they take the
   other operand's dtype when that is of the same kind), which the front
   end expresses by making the constant with the right dtype. */

int tc_graph_const(tc_kernel *k, tc_arena *ar, tc_dtype t, double num,
                   int64_t inum, tc_loc loc);
int tc_graph_arg(tc_kernel *k, tc_arena *ar, const char *name, tc_role role,
                 tc_dtype t, int rank, const tc_ext *const *shape, tc_loc loc,
                 tc_diag *d);
int tc_graph_output(tc_kernel *k, tc_arena *ar, const char *name, int node,
                    tc_loc loc, tc_diag *d);
/* Elementwise (UNARY, BINARY, TERNARY, CMP) with broadcasting and
   promotion; CAST through tc_graph_cast; LEAKY_RELU takes its slope in num. */
int tc_graph_elementwise(tc_kernel *k, tc_arena *ar, tc_op op, int nin,
                         const int *in, double num, tc_loc loc, tc_diag *d);
int tc_graph_cast(tc_kernel *k, tc_arena *ar, int x, tc_dtype t, tc_loc loc,
                  tc_diag *d);
/* axes: nax entries, possibly negative; nax < 0 means all axes. */
int tc_graph_reduce(tc_kernel *k, tc_arena *ar, tc_op op, int x, int nax,
                    const int64_t *axes, int keepdim, tc_loc loc, tc_diag *d);
/* A node of any other op, with attributes filled in `proto` (op, axis,
   ints, num, str, exts, shape for RESHAPE/EXPAND, ...): validated and
   completed (shape, dtype, casts) by the constructor. */
int tc_graph_make(tc_kernel *k, tc_arena *ar, const tc_node *proto,
                  tc_loc loc, tc_diag *d);
/* A COMPUTE node of the given shape and body. */
int tc_graph_compute(tc_kernel *k, tc_arena *ar, int rank,
                     const tc_ext *const *shape, const tc_sexpr *body,
                     tc_loc loc, tc_diag *d);

/* ---- scalar expression constructors (compute bodies) ------------------ */

const tc_sexpr *tc_sexpr_const(tc_arena *ar, tc_dtype t, double num,
                               int64_t inum, tc_loc loc);
const tc_sexpr *tc_sexpr_ivar(tc_arena *ar, int axis, tc_loc loc);
const tc_sexpr *tc_sexpr_rvar(tc_arena *ar, int rvar, tc_loc loc);
const tc_sexpr *tc_sexpr_extent(tc_arena *ar, const tc_ext *e, tc_loc loc);
/* An element of tensor `node` of kernel k; the indices are cast to i64.
   NULL with an error when the count differs from the node's rank or an
   index is not an integer. */
const tc_sexpr *tc_sexpr_load(tc_kernel *k, tc_arena *ar, int node, int nidx,
                              const tc_sexpr *const *idx, tc_loc loc,
                              tc_diag *d);
/* Elementwise op with promotion (as tc_graph_elementwise). */
const tc_sexpr *tc_sexpr_elementwise(tc_arena *ar, tc_op op, int nargs,
                                     const tc_sexpr *const *args, double num,
                                     tc_loc loc, tc_diag *d);
const tc_sexpr *tc_sexpr_cast(tc_arena *ar, const tc_sexpr *x, tc_dtype t,
                              tc_loc loc);
/* red over rvar (SUM MAX MIN PROD). */
const tc_sexpr *tc_sexpr_reduce(tc_kernel *k, tc_arena *ar, tc_op red, int rvar,
                                const tc_sexpr *body, tc_loc loc, tc_diag *d);

/* ---- printing and checking -------------------------------------------- */

/* The graph IR as text, one node a line:
   "  %3 = add(%1, %2) : f32[B, 768]   # mlp.lua:5" */
void tc_graph_print(tc_buf *b, const tc_module *m);
void tc_sexpr_print(tc_buf *b, const tc_sexpr *e, const tc_kernel *k);
/* Checks the invariants above; an internal error (a bug) is reported in d.
   Returns 0 when the graph is well formed. */
int tc_graph_verify(const tc_module *m, tc_diag *d);

#endif
