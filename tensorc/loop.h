/*
 * loop.h: the loop IR, what lowering produces and the emitters print.
 *
 * A loop program (tc_loop_prog) belongs to one kernel.  It holds buffers
 * and an ordered list of stages, in the style of TVM's compute stages:
 *
 *   stage s:  for i0 in 0..E0, ..., i(r-1) in 0..E(r-1):
 *               out[i0, ..., i(r-1)] = body
 *
 * where E are the extents of the stage's output buffer (a stage always
 * writes its whole buffer) and body is a scalar expression (tc_sexpr,
 * graph.h) in which
 *   - IVAR d is the loop index i<d> (i64);
 *   - LOAD reads buffer `ref` (a buffer id of this program, not a node id)
 *     at its i64 index operands, one per axis of the buffer;
 *   - REDUCE reduces args[0] over the reduction variable `var` ranging
 *     over 0..ext-1 with `red` one of SUM, PROD, MAX, MIN (NaN-propagating)
 *     or, internal to the loop IR, ARGMAX/ARGMIN (result i64: the first
 *     index of the largest/smallest value, a NaN counting as the largest
 *     for ARGMAX and the smallest for ARGMIN, so the first NaN wins as in
 *     PyTorch).  REDUCEs nest; rvar ids are unique within one program;
 *   - WHERE is lazy: the branch not selected is not evaluated.
 *
 * A REDUCE may instead carry a data-dependent range (tc_loop_sx_reduce_range):
 * nargs 3, args[1] = lo and args[2] = hi (i64, evaluated once, before the
 * loop), ext NULL or a constant bound on hi - lo; the rvar ranges over lo..hi-1, and an empty range gives
 * the reduction's identity (0, 1, -inf or the dtype's minimum for MAX, ...)
 * rather than an error: the sparse ops guard empty rows themselves.
 *
 * A second kind of stage accumulates (TC_STAGE_ACCUM), for scatter:
 *
 *   stage s:  out[...] = init                       (every element)
 *             for i0 in 0..D0, ..., i(n-1) in 0..D(n-1):
 *               out[idx0, ..., idx(r-1)] red= body
 *
 * where D are the stage's own domain extents (dom), idx one i64 index
 * expression per axis of out (they may read buffers: the scattered
 * indices), red one of SUM, MAX, MIN (NaN-propagating), and IVAR d is i<d>
 * of the domain.  Every idx is checked against out's extent (TC_EINDEX),
 * as soon as the loops it uses are open: with the scattered axis as the
 * outermost domain axis every index value is validated even when the
 * other extents are 0.
 *
 * Buffers are contiguous row-major.  An ALIAS buffer is another buffer
 * seen with a different shape of the same element count (a free reshape).
 * A CONST buffer is a rank-1 table of values known at compile time (a
 * LITERAL node).  A CREATE buffer (set by passes/precompute.c) holds a
 * value that depends on the weights and constants only: the one stage
 * writing it runs in P_create, reads only weights, CONST and other
 * CREATE buffers, cannot fail, and is not part of P_run.  A csr argument
 * is up to three ARG buffers, one per ABI part (format ROWPTR, COL, VAL:
 * rank 1, index dtype for rowptr and col);
 * the col and val parts have no shape (shape NULL): their length, nnz, is
 * rowptr[rows], which the kernel validates before any stage runs
 * (rowptr[0] == 0, never decreasing, every col in [0, cols): TC_EINDEX).
 *
 * The printed form (tc_loop_print) is what `tensorc ir --after lower`
 * shows and what tests compare.
 */
#ifndef TC_LOOP_H
#define TC_LOOP_H

#include "graph.h"

typedef enum tc_lbuf_kind {
  TC_LBUF_ARG,   /* a kernel argument (weight, input or output) */
  TC_LBUF_TEMP,  /* an intermediate the kernel allocates while it runs */
  TC_LBUF_ALIAS, /* buffer `alias` with this buffer's shape */
  TC_LBUF_CONST, /* a rank-1 table of constants: fvals or ivals */
  TC_LBUF_CREATE /* a value of the weights and constants alone, of static
                    shape: computed once by P_create into the kernel's
                    context, read there by P_run (the `precompute` pass) */
} tc_lbuf_kind;

typedef struct tc_lbuf {
  const char *name;   /* arguments: their DSL name ("A.col" for a csr
                         part); others "t<node>" */
  tc_lbuf_kind kind;
  tc_dtype dtype;
  int rank;
  const tc_ext *const *shape; /* NULL for csr col and val parts */
  int arg;    /* ARG: index into kernel->args */
  int abi;    /* ARG: position in the ABI (tc_kernel_abi_args order) */
  int alias;  /* ALIAS: the buffer seen; always a non-alias buffer */
  int node;   /* the graph node whose value it holds, or -1 */
  tc_format format; /* ARG: DENSE, or the csr part it is */
  /* TEMP only, set by the `nest` pass: 1 when every stage writing or
     reading the buffer is in one nest and touches only the element of
     the current iteration of its shared loops (a row).  The buffer then
     lives inside that iteration: its extents are shape[shared..rank-1]
     (shared is the nest's), the leading `shared` indices of its loads and
     stores are dropped, and it costs no allocation (static extents). */
  int local;
  /* Local buffers only: -1, or the id of an output buffer whose current
     row holds this buffer (set by the nest pass when the output's stage,
     later in the nest, reads it only at the element it writes and is its
     last reader: the row is computed in place, with no array of its
     own). */
  int row_of;
  const double *fvals;  /* CONST of a float dtype: shape[0] values */
  const int64_t *ivals; /* CONST of an integer dtype */
} tc_lbuf;

typedef enum tc_stage_kind {
  TC_STAGE_MAP = 0, /* out[i...] = body over all of out */
  TC_STAGE_ACCUM    /* out = init; over dom: out[idx...] red= body */
} tc_stage_kind;

/* A contraction the emitter writes with its GEMM template (set by the
   `gemm` pass, passes/gemm.c, on a MAP stage of rank r >= 2 with an f32,
   bf16, u8 or i8 output).  The stage's body holds one REDUCE, `reduce` (or several equal
   ones: one value):
     sum(k in 0..K: A[..., i, k] * B[..., k, j])
   where i = i<r-2>, j = i<r-1>, k the REDUCE's rvar; with a_trans A is
   indexed [..., k, i], with b_trans B is indexed [..., j, k] (linear's w).
   An operand's leading indices are the output's batch axes i0..i<r-3>,
   aligned from the right as in NumPy broadcasting: each is the IVAR of
   that axis, or the constant 0 on an axis of extent 1, and missing
   leading axes broadcast.  The rest of the body, applied to each
   element's sum, is the epilogue: `epi` is the body with the REDUCE
   replaced by a load of buffer `acc` at [i0, ..., i<r-1>] (the sum,
   stored there first), and computes in vectors along j (tc_loop_vec_ok;
   for a u8 or i8 output, epi is the cast of such an f32 expression, the
   store converting).  `acc` is the output itself when that is f32, else
   an f32 TEMP of the output's shape which only the template writes and
   only the epilogue reads (a scalar target allocates none).  The
   body itself stays as it was: targets without the template (scalar C)
   compute it as any stage. */
typedef struct tc_gemm {
  const tc_sexpr *reduce;
  const tc_sexpr *aload, *bload; /* the two LOADs of the product */
  int a_trans, b_trans;
  const tc_sexpr *epi;
  int acc;       /* the f32 buffer the sums are accumulated in */
  int plain;     /* 1 when the body is the REDUCE alone (no epilogue) */
  int b_weight;  /* 1 when B is a weight, or a CREATE buffer, without
                    batch axes: packed once, by P_create; for a
                    convolution, when w is (as B of an NHWC one, as A
                    of the direct kernel: tc_loop_conv_direct) */
  /* A convolution (the stage's conv ints; reduce is then the outermost of
     the three REDUCEs, over input channels, kh and kw, and aload, bload
     the input x and the weight w): the template's implicit GEMM, per
     image, with K = Cin * kh * kw:
       NHWC: A = x's windows (rows: output pixels), B = w as [K, Cout]
             (a weight: packed at create);
       NCHW: A = w as [Cout, K], B = x's windows (columns: output pixels,
             gathered block by block); with groups (conv[6] > 1, NCHW
             only), per image and group, K = Cin / groups * kh * kw and
             A the group's Cout / groups rows of w. */
  const int64_t *conv;
} tc_gemm;

/* 1 when an NCHW f32 convolution (with groups: each image's group a batch
   matrix, cin a group's input channels) is computed by the GEMM
   template's direct kernel (emit/gemm.c, bmode 3): B read in place from
   a zero-padded copy of the image, the output pixels on a grid of the
   width plus one side's padding, the grid's extra columns a row (at most
   (kw - 1) * dw) thrown away at the store.  Rather than as NHWC between
   permutes (passes/nhwc.c, which asks this too): for stride 1 and a
   window larger than 1x1, when the window rows of cin input channels for
   a tile of 32 pixels fit in 32 KiB of L1 and the output width ow is at
   least 8 times (kw - 1) * dw (the extra columns before the grid lost
   one side's padding, 2026-11-27: at most that many now).
   bench/gemm-study/nchw_direct measured it 1.12-1.18x the NHWC path on
   3x3 64 -> 64 at 56 x 56, and slower at stride 2. */
static inline int tc_conv_direct(int64_t sh, int64_t sw, int64_t cin, int64_t kh, int64_t kw,
                                 int64_t dw, int64_t ow) {
  if (sh != 1 || sw != 1 || kh * kw < 2 || cin <= 0 || ow <= 0 || cin > 4096 || kh > 64 ||
      kw > 64 || dw > 64)
    return 0;
  return cin * kh * (32 + (kw - 1) * dw) * 4 <= 32768 && ow >= 8 * (kw - 1) * dw;
}

typedef struct tc_stage {
  int out;               /* the buffer written, never an ALIAS */
  const tc_sexpr *body;  /* of the buffer's dtype */
  /* 1: the body's loads come from a user's compute body and must be
     bounds checked (TC_EINDEX) unless provably in range
     (tc_loop_index_in_range); 0: every index is in range by
     construction (library ops). */
  int checked;
  const char *what;      /* the graph op it came from ("matmul", "copy") */
  tc_loc loc;            /* the DSL line that made it */
  /* TC_STAGE_ACCUM only (zero for MAP stages): */
  tc_stage_kind kind;
  tc_op red;             /* SUM, MAX or MIN */
  const tc_sexpr *init;  /* a CONST of out's dtype */
  int dom_rank;
  const tc_ext *const *dom;     /* the domain's extents */
  const tc_sexpr *const *idx;   /* out->rank i64 index expressions */
  /* Set by the `nest` pass (passes/nest.c); before it nest is -1 for
     every stage (lowering sets it) and shared 0.  Stages with the same
     nest id are consecutive and run in one loop nest: their outer
     `shared` loops (axes 0..shared-1 of each stage's output, of equal
     extents) are common, and inside one iteration of them each stage runs
     its remaining loops in program order. */
  int nest;
  int shared;
  /* The schedule() hints of the tensor this stage computes (set by the
     `schedule` pass, passes/schedule.c), or NULL: the emitter writes its
     loops as they ask. */
  const tc_schedule *sched;
  /* The graph nodes (ids in `kernel`, as it was lowered) whose values the
     stage computes: lowering sets the node it implements (each of the
     stages of a multi-stage op, such as scatter, gets that op's node; a
     copy into an output, the node copied), and fusion appends the nodes
     of each producer inlined into it (consumer's first).  Allocated in
     the program's arena; NULL and 0 for a stage made elsewhere.  For
     pictures of the program (`tensorc ir --dot`): not printed. */
  const int *nodes;
  int nnodes;
  /* Set by the `vectorize` pass (passes/vectorize.c): 1 when the stage's
     innermost loop runs in vectors on the intrinsics targets, else 0 and
     vec_why says why (for `tensorc ir --after vectorize`; NULL before the
     pass).  With vec 1, vec_why lists the ops computed lane by lane, or
     is NULL. */
  int vec;
  const char *vec_why;
  /* Set by the `gemm` pass: the contraction the stage is, written with
     the GEMM template on the intrinsics targets; NULL otherwise. */
  const tc_gemm *gemm;
  /* Set by lowering on the stage of an f32 conv2d (and kept by fusion on
     the reader it puts the convolution in): the CONV2D node's ints
     (graph.h: strides, pads, dilations, groups, nhwc, has_bias); its
     operands are the loads of the REDUCEs' product.  NULL otherwise. */
  const int64_t *conv;
} tc_stage;

typedef struct tc_loop_prog {
  const tc_module *module;
  const tc_kernel *kernel;
  TC_VEC(tc_lbuf) bufs;
  TC_VEC(tc_stage) stages;
  int nrvars;     /* rvar ids used are < nrvars */
  tc_arena arena; /* sexprs, shapes and names made for this program */
} tc_loop_prog;

/* An empty program for kernel k of module m (both must outlive it). */
tc_loop_prog *tc_loop_new(const tc_module *m, const tc_kernel *k);
void tc_loop_free(tc_loop_prog *p);

/* Append a buffer / a stage; return its id.  A stage added is in no
   nest (nest -1, shared 0). */
int tc_loop_add_buf(tc_loop_prog *p, const tc_lbuf *b);
int tc_loop_add_stage(tc_loop_prog *p, const tc_stage *s);

/* Scalar expression constructors for the loop IR: no promotion and no
   checks (lowering builds well-typed trees; tc_loop_verify checks them).
   The result is allocated in p's arena. */
const tc_sexpr *tc_loop_sx(tc_loop_prog *p, tc_op op, tc_dtype t, int nargs,
                           const tc_sexpr *const *args, tc_loc loc);
const tc_sexpr *tc_loop_sx_int(tc_loop_prog *p, int64_t v);           /* i64 */
const tc_sexpr *tc_loop_sx_const(tc_loop_prog *p, tc_dtype t, double num,
                                 int64_t inum);
const tc_sexpr *tc_loop_sx_ivar(tc_loop_prog *p, int axis);
const tc_sexpr *tc_loop_sx_rvar(tc_loop_prog *p, int rvar);
const tc_sexpr *tc_loop_sx_extent(tc_loop_prog *p, const tc_ext *e);
const tc_sexpr *tc_loop_sx_load(tc_loop_prog *p, int buf,
                                const tc_sexpr *const *idx);
/* a OP b on i64 index expressions, folding constants and 0/1. */
const tc_sexpr *tc_loop_sx_iop(tc_loop_prog *p, tc_op op, const tc_sexpr *a,
                               const tc_sexpr *b);
/* A fresh rvar id, to be used in a body and then bound by
   tc_loop_sx_reduce. */
int tc_loop_new_rvar(tc_loop_prog *p);
/* REDUCE (red: SUM PROD MAX MIN ARGMAX ARGMIN) of `body` over rvar `rvar`
   ranging over 0..e-1; the result has dtype t. */
const tc_sexpr *tc_loop_sx_reduce(tc_loop_prog *p, tc_op red, tc_dtype t,
                                  int rvar, const tc_ext *e,
                                  const tc_sexpr *body, tc_loc loc);
/* REDUCE over a data-dependent range lo..hi-1 (i64 expressions; see
   above); the result has dtype t. */
const tc_sexpr *tc_loop_sx_reduce_range(tc_loop_prog *p, tc_op red, tc_dtype t,
                                        int rvar, const tc_sexpr *lo,
                                        const tc_sexpr *hi,
                                        const tc_sexpr *body, tc_loc loc);
/* The same with a constant bound on hi - lo (held in ext), which the
   emitter uses to estimate the work: the chunks of passes/chunk.c. */
const tc_sexpr *tc_loop_sx_reduce_chunk(tc_loop_prog *p, tc_op red, tc_dtype t,
                                        int rvar, const tc_sexpr *lo,
                                        const tc_sexpr *hi, const tc_ext *bound,
                                        const tc_sexpr *body, tc_loc loc);
/* A copy of e (every field) with operands `args` (e->nargs of them), for
   passes that rewrite bodies. */
const tc_sexpr *tc_loop_sx_copy(tc_loop_prog *p, const tc_sexpr *e,
                                const tc_sexpr *const *args);
/* `e` converted to dtype t (e itself when it has that dtype). */
const tc_sexpr *tc_loop_sx_cast(tc_loop_prog *p, const tc_sexpr *e,
                                tc_dtype t);

/* 1 when e uses reduction variable `rvar`. */
int tc_loop_sx_uses_rvar(const tc_sexpr *e, int rvar);
/* 1 when evaluating e may fail with an integer division by zero: an
   integer FLOORDIV or MOD by anything but a nonzero constant (the
   emitter checks those divisors at run time).  A REDUCE's "max of
   nothing" is not counted. */
int tc_loop_sx_may_divide_by_zero(const tc_sexpr *e);

/* 1 when a and b are the same expression: equal ops, dtypes, operands
   and attributes (what computes one value, and may be computed once). */
int tc_loop_sx_equal(const tc_sexpr *a, const tc_sexpr *b);

/* The number of REDUCE nodes in e (as a tree). */
int tc_loop_sx_count_reduces(const tc_sexpr *e);
/* Buffer b, or the buffer it is an ALIAS of. */
int tc_loop_base_buf(const tc_loop_prog *p, int b);
/* 1 when gm, writing buffer out, is an NCHW convolution the template's
   direct kernel computes (bmode 3): static extents that tc_conv_direct
   accepts. */
int tc_loop_conv_direct(const tc_loop_prog *p, const tc_gemm *gm, int out);
/* 1 when index `ix` of a load of buffer `buf`, on axis d, is the loop
   variable i<d>, or 0 on an axis of extent 1 (its only value). */
int tc_loop_index_is_ivar(const tc_loop_prog *p, int buf, int d, const tc_sexpr *ix);
/* 1 when the body of REDUCE `var` walks down columns: some load is
   indexed [..., r, ..., i<last>] (r before the last index, the stage's
   innermost variable last) and none has r in its last index, another
   reduction variable, or a REDUCE around it (sum(x, 0); a matmul's
   B[r, j] is the other case, r in another index than the last). */
int tc_loop_walks_down_columns(const tc_sexpr *body, int var, int last);

/* The interleaved partial results of a row reduction computed in lanes
   (emit/c.c, docs/fusion.md). */
#define TC_LOOP_RED_LANES 32
/* 1 when REDUCE e is computed in TC_LOOP_RED_LANES lanes combined in a
   fixed tree rather than in order, on every target: a float (not bf16)
   SUM, PROD, MAX or MIN that cannot divide by zero, whose loads use its
   variable only alone in their last index (a contiguous row), with no
   REDUCE or WHERE inside, over a range (a chunk) or an extent not known to
   be below 2 * TC_LOOP_RED_LANES. */
int tc_loop_reduce_in_lanes(const tc_sexpr *e);

/* 1 when e uses the lane variable (op IVAR or RVAR, id var). */
int tc_loop_uses_lane(const tc_sexpr *e, tc_op op, int var);
/* 1 when index e is the lane variable plus (or minus) an index without
   it: its values for consecutive lanes are consecutive. */
int tc_loop_lane_plus(const tc_sexpr *e, tc_op op, int var);

/* When index e is a lane group, ((k // K) * K) + r (or without r), k the
   lane variable (an IVAR; op, var), K a power of two from 2 to
   TC_LOOP_LANE_GROUP_MAX and r an index without k: returns k's node and
   sets *group to K and *r to r (NULL when absent); else NULL.  A vector
   of consecutive k from a multiple of its lanes reads, for lane l,
   element (l // K) * K + r of the vector at the lanes' own indices when
   K is below the lanes, else (a vector inside one group) one element for
   every lane. */
#define TC_LOOP_LANE_GROUP_MAX 1024
const tc_sexpr *tc_loop_lane_group(const tc_sexpr *e, tc_op op, int var, int64_t *group,
                                   const tc_sexpr **r);
/* 1 when a load in e has a lane group as its last index. */
int tc_loop_has_lane_group(const tc_sexpr *e, tc_op op, int var);

/* 1 when f32 op `op` has a vector form on every intrinsics target
   (emit/vec.c): arithmetic, comparisons, min/max, rounding, and the f32
   math of emit/vmath.c. */
int tc_loop_op_has_vector(tc_op op);
/* 1 when e, in the body of stage s, computes in vectors whose lanes are
   consecutive values of the lane variable (op IVAR or RVAR, id var);
   "f32" below means f32 or bf16 (held in f32, rounded when stored or
   cast, as on the scalar target), casts between them included:
   f32 constants; f32 loads whose last index is the lane variable, or
   (an IVAR) the lane variable plus an index without it (contiguous
   lanes), or that do not use it (one value for every lane), or a lane
   group (tc_loop_lane_group) in a stage's plain vector loop along its
   last axis, of a constant extent that is a multiple of K and at most
   the load's last extent, r known to lie in [0, K) (not under a WHERE
   on the lanes);
   f32 ops (those without a vector form, tc_loop_op_has_vector, computed
   lane by lane); WHEREs on a comparison of f32 values, or on a condition
   that holds for all lanes or none (it does not use the lane variable) or
   for a range of them (a conjunction of such conditions and of
   comparisons of the lane variable plus an index with an index), a mask
   for the branches' loads; f32
   SUM/PROD/MAX/MIN REDUCEs along another variable, each lane reducing its
   own element in order (the lane variable an IVAR).  Both branches of a
   WHERE on f32 values are computed, so a load inside one must be in range
   whatever the condition (tc_loop_index_in_range); under a WHERE of one
   condition for all lanes the vector loads are masked by it (in_where 2),
   and only loads of one value must be in range.  Otherwise 0, and
   (when why is not NULL) *why says what stops it and *bad is the node. */
int tc_loop_vec_ok(const tc_loop_prog *p, const tc_stage *s, const tc_sexpr *e, tc_op op,
                   int var, int in_where, const char **why, const tc_sexpr **bad);

/* 1 when index expression `idx` (of a load in stage s, whose rvars range
   over their REDUCE's extents) is known to lie in 0..extent-1: a bare IVAR
   of the stage over an extent equal to `extent`, a bare RVAR of such an
   extent, or a constant below a constant extent. */
int tc_loop_index_in_range(const tc_loop_prog *p, const tc_stage *s,
                           const tc_sexpr *idx, const tc_ext *extent,
                           const tc_sexpr *body);

/* The program as text, one stage a line, deterministic:
     buffers:
       x: f32[B, 768] input #0
       t3: f32[B, 768] temp
     for i0 in 0..B, i1 in 0..768:  t3[i0, i1] = sum(r0 in 0..K: ...)  # mlp.lua:5 */
void tc_loop_print(tc_buf *b, const tc_loop_prog *p);
/* The body alone, in the same notation. */
void tc_loop_print_sexpr(tc_buf *b, const tc_loop_prog *p,
                         const tc_sexpr *e);

/* Checks the invariants stated above (buffer ids, ranks of loads, index
   dtypes, operand dtypes, rvars bound where used, stage dtypes); a failure
   is a bug, reported in d.  Returns 0 when well formed. */
int tc_loop_verify(const tc_loop_prog *p, tc_diag *d);

#endif
