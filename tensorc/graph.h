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
  int64_t inum;   /* CONST (for integer and bool dtypes); REDUCE: 1 when an
                     empty range gives the identity, not TC_EINVAL */
  int var;        /* IVAR: axis of the enclosing compute; RVAR/REDUCE: rvar id */
  tc_op red;      /* REDUCE: SUM, MAX, MIN or PROD; args[0] is the body */
  const tc_ext *ext; /* EXTENT: its value; REDUCE: the rvar's extent */
  int ref;        /* LOAD: the node id read (graph IR) or buffer id (loop IR) */
  tc_loc loc;     /* where the DSL made it */
};

/* Roles of an argument (ORDER ROLE: equal to spec/abi.md's tc_role). */
typedef enum tc_role { TC_ROLE_INPUT = 1, TC_ROLE_WEIGHT, TC_ROLE_OUTPUT } tc_role;

/* A kernel argument.  A csr argument (spec/dsl.md `csr`) is one tc_arg
   here, with csr set, and 2 or 3 arrays in the ABI (tc_kernel_abi_parts). */
typedef struct tc_arg {
  const char *name;
  tc_role role;
  tc_dtype dtype; /* csr: the dtype of its values (also when pattern-only) */
  int rank;
  const tc_ext **shape; /* csr: {rows, cols} */
  int node;  /* INPUT/WEIGHT/csr: its node; OUTPUT: the node it returns */
  tc_loc loc;
  /* csr arguments only (role INPUT, rank 2): */
  int csr;
  tc_dtype index_dtype;      /* of rowptr and col: I32 or I64 */
  int has_values;            /* 0: pattern-only, every value is 1, no val array */
  const tc_ext *rowptr_len;  /* rows + 1 */
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
   fails.  (An extent that must merely be >= 0, such as the part of a
   padded input a convolution's window spans, is recorded as the EQ check
   max(e, 0) == e: evaluating e fails when it is negative.) */
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
  int has_parallel; /* parallel was given: `parallel` is then an axis (0 too) */
  tc_loc loc;
} tc_schedule;

/*
 * A graph node.  Attributes by op:
 *   CONST        rank 0; value in num (floats) or inum (ints, bool: 0/1)
 *   INPUT WEIGHT arg: index into kernel->args (whose node points back);
 *                every other node has arg = -1
 *   elementwise  in[] broadcast to shape (each rank <= rank, aligned right,
 *                each extent equal to the result's, or the constant 1, or
 *                symbolic and equal by a TC_CHECK_EQ); all operands share
 *                one dtype (the promoted one, see tensorc/promote.h) except
 *                WHERE's cond (bool); CMP ops give bool; LOGICAL_* take
 *                bool operands; DIV and the float functions (exp ...
 *                hardswish, leaky_relu) take float operands; arithmetic on
 *                bool is done in i64.  LEAKY_RELU slope in num
 *   CAST         in[0] converted to dtype (never to its own dtype)
 *   SUM..ARGMIN  ints = reduced axes of in[0], ascending, nints of them;
 *                keepdim (reduced axes kept as extent 1).  The input
 *                already has the accumulation dtype: SUM/PROD of integers
 *                or bool read a cast to I64 (so their input and result are
 *                both I64), MEAN of integers or bool reads a cast to F32;
 *                MAX/MIN keep the dtype; ARGMAX/ARGMIN have exactly one
 *                axis, any input dtype, an I64 result.  inum 1 on a MAX
 *                made by a pass (softmax's row maximum): an empty axis
 *                gives the identity, not TC_EINVAL (the row is empty too)
 *   SOFTMAX LOG_SOFTMAX  axis (>= 0); float (integer input cast to f32)
 *   LAYER_NORM   in = x [, gamma] [, beta]; ints = {n, has_gamma, has_beta};
 *                num = eps; normalizes the last n axes (1 <= n <= rank);
 *                gamma and beta have the shape of those n axes
 *   RMS_NORM     in = x [, gamma]; ints = {has_gamma}; num = eps; last axis;
 *                gamma has shape [x.shape[-1]]
 *   BATCH_NORM   in = x, mean, var [, gamma] [, beta]; ints = {has_gamma,
 *                has_beta}; num = eps; channel axis 1 (x rank >= 2), the
 *                others have shape [x.shape[1]]
 *                (all norms: operands and result share one float dtype)
 *   RESHAPE      shape is the new shape (a TC_CHECK_EQ of element counts
 *                is recorded when they are not known equal).  Proto: shape
 *                may hold one NULL for the -1 entry; it becomes
 *                total // product(others), with a TC_CHECK_DIVISIBLE
 *                (total, product) unless the division is known exact
 *   PERMUTE      ints = perm: output axis d is input axis ints[d]
 *                (proto: negative axes allowed, normalized here)
 *   EXPAND       in[0] broadcast to shape (as an elementwise operand).
 *                Proto: rank and shape = the target; a NULL entry (the
 *                DSL's -1) keeps the input's extent, not allowed for new
 *                leading axes
 *   SLICE        axis; exts[0] = start (normalized: 0 <= start <= extent);
 *                ints = {step}; shape[axis] = the number of elements taken.
 *                Proto: axis (may be negative); exts[0] = start and
 *                exts[1] = stop, each an extent >= 0 or NULL for Python's
 *                None; ints = {step [, start_negative, stop_negative]}: a
 *                negative flag says the bound is -exts[i] (counts from the
 *                end).  Clamped as Python does: a bound b >= 0 is
 *                min(b, L), a negative -m is max(L - m, 0); the count is
 *                max(0, (stop - start + step - 1) // step); step >= 1
 *   CONCAT       in = the parts (same rank, equal extents outside axis,
 *                one promoted dtype); axis; shape[axis] = the sum
 *   PAD          ints = {before0, after0, before1, ...} (>= 0); num/inum =
 *                the fill value in the node's dtype.  Proto: num = the
 *                fill as a double, converted here with cast()'s rules
 *   MATMUL       in = a [..., M, K], b [..., K, N], both rank >= 2 (the
 *                front end unsqueezes 1-D operands and squeezes the
 *                result); batch dims broadcast; result [batch..., M, N];
 *                a, b and the result share one dtype (bool computes in i64)
 *   LINEAR       in = x [..., IN], w [OUT, IN] [, b [OUT]]; ints = {has_bias};
 *                result [..., OUT]; one dtype
 *   EINSUM       in = the operands; str = "bik,bkj->bij" (explicit form,
 *                normalized: no spaces; letters a-z A-Z; one term per
 *                operand, a letter per axis; equal letters have equal
 *                extents; output letters unique and found in an input);
 *                one dtype
 *   CONV2D       in = x, w [, b]; ints = {stride_h, stride_w, pad_h, pad_w,
 *                dilation_h, dilation_w, groups, nhwc, has_bias} (strides
 *                and dilations >= 1, pads >= 0, groups >= 1).  nhwc = 0: x
 *                [N, C, H, W], w [Cout, C/groups, kh, kw], result [N, Cout,
 *                Ho, Wo]; nhwc = 1: x [N, H, W, C], w [kh, kw, C/groups,
 *                Cout], result [N, Ho, Wo, Cout]; b [Cout].  Ho = (H + 2 pad_h
 *                - dilation_h (kh - 1) - 1) // stride_h + 1 (Wo alike), the
 *                window must fit in the padded input (checked at run time
 *                when symbolic); zero padding.  Output channel o reads the
 *                input channels of group o // (Cout/groups).  One dtype
 *   MAX_POOL2D AVG_POOL2D  in = x [N, C, H, W]; ints = {kh, kw, stride_h,
 *                stride_w, pad_h, pad_w} (kernel and strides >= 1, 0 <= pad
 *                <= kernel/2, as PyTorch requires); result [N, C, Ho, Wo] as
 *                CONV2D with dilation 1.  Max ignores the padding (NaN
 *                propagates); avg divides by kh*kw, padding counted as
 *                zeros (PyTorch's count_include_pad=True).  AVG of
 *                integers reads a cast to F32; MAX keeps the dtype
 *   CSR          a csr argument (arg; k->args[arg].csr): rank 2 [rows,
 *                cols], dtype of its values.  Only SPMM reads it (no
 *                elementwise use, no LOAD, not an output)
 *   SPMM         in = a (a CSR node), x [M, F]; ints = {reduce}: SUM, MEAN,
 *                MAX or MIN; result [rows, F] = for each row i the reduction
 *                over its entries p of val[p] * x[col[p], :] (val[p] = 1 for
 *                a pattern-only matrix, converted to the result's dtype); a
 *                row without entries gives 0.  x and the result share one
 *                dtype: the promotion of a's and x's, F32 for MEAN of
 *                integers
 *   GATHER       in = x, index (I32 or I64, the rank of x); axis; result
 *                shape = index's, dtype = x's: out[i...] = x[i... with the
 *                axis coordinate replaced by index[i...]]; off the axis,
 *                index's extents are <= x's (equal when symbolic)
 *   INDEX_SELECT in = x, index (I32 or I64, rank 1); axis; result = x's
 *                shape with extent len(index) on axis
 *   SCATTER      in = src, index (I32 or I64, rank 1, src.shape[axis]
 *                entries); axis; exts[0] = size; ints = {reduce}: SUM, MEAN,
 *                MAX or MIN; result = src's shape with `size` on axis: entry
 *                j reduces the slices s of src (along axis) with index[s] ==
 *                j; entries no index names are 0.  src already has the
 *                accumulation dtype (as SUM..MIN above: SUM of integers is
 *                I64, MEAN F32, MAX/MIN keep it)
 *   QUANTIZE     in = x (float); num = scale (an f32 value, finite, > 0);
 *                inum = zero_point (within dtype's range); dtype U8 or I8:
 *                q = clamp(round_half_even(x / scale) + zero_point), the
 *                division done in x's dtype (f32 for bf16); NaN gives
 *                zero_point, +inf the dtype's maximum, -inf its minimum
 *   DEQUANTIZE   in = q (an integer dtype); num = scale; inum = zero_point;
 *                result F32: (q - zero_point) * scale, in f32
 *   QUANTIZE_PER_CHANNEL DEQUANTIZE_PER_CHANNEL  in = x or q, scales (F32,
 *                [C]), zero_points (an integer dtype, [C]); axis with
 *                x.shape[axis] = C; channel c uses scales[c] and
 *                zero_points[c] as above.  Proto: dtype = U8 or I8 for
 *                QUANTIZE_PER_CHANNEL
 *   LITERAL      a constant tensor of rank 1 made from a Lua array: vals
 *                (float dtypes) or ints (integer dtypes; nints = the count)
 *                hold shape[0] values
 *   COMPUTE      body: the scalar expression; in = every node it LOADs,
 *                ascending and without repeats (the LOADs' ref are node
 *                ids); shape = the given extents; the body's IVAR d ranges
 *                over 0..shape[d]-1; every RVAR is bound by an enclosing
 *                REDUCE of the body; dtype = the body's
 *   `next` is unused by the constructors (0).
 *
 * Symbolic extents that must be equal are recorded once in k->checks
 * (with the op's loc); a result extent is then taken from the constant
 * side when there is one (the check makes them equal).
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
  const double *vals; /* LITERAL of a float dtype: shape[0] values */
  /* A pass's word on why it made the node ("batch_norm folded into the
     weights of conv2d (line 7)"), or NULL (every node of the DSL).
     Printed by tc_graph_print after the location; lowering names the
     node's stage by it (tc_stage.what), so the generated C says it too. */
  const char *note;
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
   k->args) when idx is not NULL.  A csr argument appears once here; see
   tc_kernel_abi_parts for the arrays the ABI passes. */
int tc_kernel_abi_args(const tc_kernel *k, int *idx);
int tc_kernel_count_role(const tc_kernel *k, tc_role role);

/* The formats of ABI arrays (ORDER FORMAT: equal to spec/abi.md's enum
   tc_format). */
typedef enum tc_format {
  TC_FMT_DENSE = 0,
  TC_FMT_CSR_ROWPTR,
  TC_FMT_CSR_COL,
  TC_FMT_CSR_VAL
} tc_format;

#define TC_ABI_NAME_MAX 256

/* One array of the ABI: a dense argument, or one part of a csr argument. */
typedef struct tc_abi_part {
  int arg;          /* index into k->args */
  tc_format format;
  tc_role role;
  tc_dtype dtype;   /* of the elements: the index dtype for rowptr and col */
  int rank;         /* dense: the argument's; csr parts: 1 */
  const tc_ext *const *shape; /* dense: the argument's; rowptr: {rows + 1};
                                 col and val: NULL (their length is
                                 rowptr[rows], known only at run time) */
  const tc_ext *rows, *cols;  /* csr parts: the matrix's shape; else NULL */
  char name[TC_ABI_NAME_MAX]; /* "x"; "A.rowptr", "A.col", "A.val" */
} tc_abi_part;

/* The ABI's flat list of arrays (spec/abi.md): weights, inputs, outputs,
   each in declaration order, a csr argument as rowptr, col [, val] in
   consecutive slots.  Returns the count; fills parts[] when not NULL. */
int tc_kernel_abi_parts(const tc_kernel *k, tc_abi_part *parts);
/* The concrete shape of an ABI array for these dims: TC_OK, or TC_EINVAL
   for an extent negative or overflowing, and for csr col and val parts
   (their length is rowptr[rows]). */
int tc_kernel_part_shape(const tc_kernel *k, const tc_abi_part *part,
                         const int64_t *dims, int64_t *shape);

/* The concrete shape of argument a for these dims.  TC_OK or TC_EINVAL
   (an extent negative or overflowing). */
int tc_kernel_arg_shape(const tc_kernel *k, int a, const int64_t *dims,
                        int64_t *shape);
/* TC_OK, or TC_EINVAL when a dim is negative, a tc_check fails, or an
   extent of an argument, a node or an rvar is negative or overflows (or
   an element count overflows int64). */
int tc_kernel_check_dims(const tc_kernel *k, const int64_t *dims);

/* The C prefix P of a kernel (spec/abi.md): `prefix` (or the module name)
   when the module has one kernel named as the module, else
   "<prefix-or-module>_<kernel>".  Returns a malloc'd string. */
char *tc_kernel_cname(const tc_module *m, const tc_kernel *k,
                      const char *prefix);

/* ---- node constructors -------------------------------------------------
   Each returns the new node's id, or -1 with an error in d (at loc)
   (tc_graph_output returns the new argument's index).  Operands given as
   node ids must exist (asserted); user errors (shapes, axes, ranks) are
   messages "FUNCTION: what is wrong" naming the operands' shapes.
   Constant operands are made with tc_graph_const first.  "Promote"
   means PyTorch's rule; Lua-number operands are weak (they take the
   other operand's dtype when that is of the same kind), which the front
   end expresses by making the constant with the right dtype. */

int tc_graph_const(tc_kernel *k, tc_arena *ar, tc_dtype t, double num,
                   int64_t inum, tc_loc loc);
/* An INPUT or WEIGHT argument and its node.  The front end has checked
   the name (asserted unique here); errors: a bool dtype, rank >
   TC_MAX_RANK, a negative constant extent, a weight extent that is not a
   constant. */
int tc_graph_arg(tc_kernel *k, tc_arena *ar, const char *name, tc_role role,
                 tc_dtype t, int rank, const tc_ext *const *shape, tc_loc loc,
                 tc_diag *d);
/* A csr input `name` (spec/dsl.md) of shape [rows, cols] with values of
   dtype t (also for a pattern-only matrix, has_values = 0, whose values
   are 1), indices of dtype `index` (I32 or I64), and its CSR node.  The
   front end has checked the name.  Errors: a bool dtype, another index
   dtype, a negative constant extent. */
int tc_graph_csr(tc_kernel *k, tc_arena *ar, const char *name, tc_dtype t,
                 tc_dtype index, int has_values, const tc_ext *rows,
                 const tc_ext *cols, tc_loc loc, tc_diag *d);
/* A LITERAL node of dtype t (not bool) holding the n values v (converted
   to t with cast()'s rules). */
int tc_graph_literal(tc_kernel *k, tc_arena *ar, tc_dtype t, int n,
                     const double *v, tc_loc loc, tc_diag *d);
/* An OUTPUT argument returning `node` (its dtype and shape); a bool node
   or a csr matrix is an error.  Returns the argument's index in k->args,
   or -1. */
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
/* A node of any other op, with attributes filled in `proto` (op, in,
   nin, axis, ints, num, str, exts, rank and shape for RESHAPE/EXPAND/
   COMPUTE, body; see "Proto:" above): validated and completed (shape,
   dtype, casts) by the constructor.  The proto's arrays are copied, so
   they may live on the caller's stack.  Elementwise ops, CAST (to
   proto->dtype), reductions (axes in ints, nints < 0 for all; keepdim)
   and CONST are accepted too and go to their own constructors. */
int tc_graph_make(tc_kernel *k, tc_arena *ar, const tc_node *proto,
                  tc_loc loc, tc_diag *d);
/* A COMPUTE node of the given shape and body (see COMPUTE above).
   Errors: an IVAR beyond the rank, an RVAR outside a reduction binding
   it (reported at the sexpr's loc), a negative constant extent. */
int tc_graph_compute(tc_kernel *k, tc_arena *ar, int rank,
                     const tc_ext *const *shape, const tc_sexpr *body,
                     tc_loc loc, tc_diag *d);

/* ---- scalar expression constructors (compute bodies) ------------------ */

/* Leaves: a constant of dtype t (num for floats, inum for integers and
   bool); index variable `axis` of the enclosing compute and reduction
   variable `rvar` (both i64); the i64 value of an extent. */
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
/* x converted to t: x itself when it is of dtype t, a new CONST when x
   is a constant (converted with cast()'s rules), else a CAST. */
const tc_sexpr *tc_sexpr_cast(tc_arena *ar, const tc_sexpr *x, tc_dtype t,
                              tc_loc loc);
/* red over rvar (SUM MAX MIN PROD); rvar must exist in k->rvars.  SUM
   and PROD of integers or bool give i64 (the body is cast).  Binding an
   rvar inside a reduction over the same rvar is an error. */
const tc_sexpr *tc_sexpr_reduce(tc_kernel *k, tc_arena *ar, tc_op red, int rvar,
                                const tc_sexpr *body, tc_loc loc, tc_diag *d);

/* ---- printing and checking -------------------------------------------- */

/* The graph IR as text, one node a line:
   "  %3 = add(%1, %2) : f32[B, 768]   # mlp.lua:5" */
void tc_graph_print(tc_buf *b, const tc_module *m);
void tc_sexpr_print(tc_buf *b, const tc_sexpr *e, const tc_kernel *k);
/* A shape as DSL text, "[B, 768]", with k's dim names (a NULL extent,
   the -1 of a reshape, prints as -1). */
void tc_shape_print(tc_buf *b, const tc_kernel *k, int rank,
                    const tc_ext *const *shape);
/* An extent as DSL text with k's dim names ("(W - 3)//2 + 1"). */
void tc_kernel_ext_print(tc_buf *b, const tc_kernel *k, const tc_ext *e);
/* Checks the invariants above; an internal error (a bug) is reported in d.
   Returns 0 when the graph is well formed. */
int tc_graph_verify(const tc_module *m, tc_diag *d);

#endif
