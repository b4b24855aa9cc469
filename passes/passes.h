/*
 * passes.h: the passes, each a function from IR to IR in its own file.
 * The order they run in is one list, in tensorc/cli/pipeline.c.
 */
#ifndef TC_PASSES_H
#define TC_PASSES_H

#include "../tensorc/graph.h"
#include "../tensorc/loop.h"

/* passes/decompose.c: rewrites softmax, log_softmax, layer_norm,
   rms_norm and batch_norm of every kernel into primitive ops (reductions
   with keepdim, elementwise ops, reshape), keeping each node's DSL
   location.  linear, einsum and mean stay: lowering makes one stage of
   each.  The node arrays are rebuilt in topological order and every node
   id (operands, compute bodies' LOADs, arguments, schedules) renumbered,
   so node ids held from before the pass are stale.  Expects a graph that
   passes tc_graph_verify and leaves one.  Returns 0 (it cannot fail on a
   verified graph), or -1 with an error in d. */
int tcP_decompose(tc_module *m, tc_diag *d);

/* passes/fold.c: batch_norm(conv2d(x, w [, b]), mean, var [, gamma]
   [, beta]) becomes conv2d(x, w * s, (b - mean) * s + beta) with s =
   rsqrt(var + eps) [* gamma] per output channel, when the conv2d is f32
   NCHW, has no other reader, and w, b, mean, var, gamma, beta depend on
   weights and constants only (rules at the top of fold.c): the new
   weights and bias are then values of the weights, which the precompute
   pass has P_create compute.  Runs before decompose (it matches the
   batch_norm node).  The node arrays are rebuilt and renumbered as
   decompose does.  Returns 0. */
int tcP_fold(tc_module *m, tc_diag *d);

/* passes/nhwc.c: an f32 NCHW conv2d with one group, a weight of static
   shape that depends on weights and constants only, and a window larger
   than 1x1, a stride other than 1 or padding, without schedule() hints on
   it or its input, becomes permute(conv2d(permute(x, {0, 2, 3, 1}),
   permute(w, {2, 3, 1, 0}), b, NHWC), {0, 3, 1, 2}) (rules at the top of
   nhwc.c): the GEMM template's NHWC form reads the input in place, the
   NCHW form gathers it.  Runs after fold and quant.  The node arrays are
   rebuilt and renumbered as decompose does.  Returns 0. */
int tcP_nhwc(tc_module *m, tc_diag *d);

/* passes/dce.c: drops every node no output depends on (inputs and weights
   stay: they are arguments), renumbering the rest as decompose does.
   Returns 0. */
int tcP_dce(tc_module *m, tc_diag *d);

/* passes/quant.c: recognizes, in every kernel,

     quantize(E(op(dequantize(qx), dequantize[_per_channel](qw) [, b])))

   where op is matmul (w of rank 2), linear or conv2d, and E is an
   epilogue of elementwise f32 steps matching [add] [activation] [add]
   (an add's other operand broadcasts to op's result; an activation is
   one of relu relu6 sigmoid tanh silu gelu gelu_tanh hardswish softplus
   leaky_relu), and replaces the quantize with one QUANTIZED node (below)
   computed in integers.  qx and qw are u8 or i8, dequantized per tensor
   (qw also per output channel: axis 0 of linear's and NCHW conv's w, the
   last axis of matmul's and NHWC conv's), the quantize is per tensor.
   Not recognized: any float intermediate (op's result, each epilogue
   step) with another consumer or that is an output, other dtypes than f32,
   other epilogue shapes.  The dequantize nodes may have other consumers:
   they stay for them.  Nodes the rewrite leaves without consumers are
   dropped (as tcP_dce).  The reference interpreter never sees QUANTIZED:
   it runs the graph before this pass.  Returns 0.

   QUANTIZED node: dtype = the quantize's (U8 or I8), shape = op's result's;
     in  = qx, qw [, w_scales (F32 [C]), w_zero_points (int [C])]
           [, b (op's own bias)] [, pre-add operand] [, post-add operand]
     ints[TCP_Q_*] below, then for conv2d its 9 ints (graph.h CONV2D)
     vals = {sx, sw (per tensor), so, activation slope}
   Arithmetic (docs/quantization.md):
     acc = sum over the reduction of (qx - zx) * (qw - zw[c])  in the
           accumulator dtype: I32 when K * max|qx - zx| * max|qw - zw|
           fits (K a constant), else I64, so it never overflows;
     y   = f32(acc) * (sx * sw[c]) [+ b[c]] [+ pre] [act] [+ post]   in f32;
     q   = sat(round_half_even(y / so) + zo), NaN giving zo. */
enum {
  TCP_Q_OP,          /* MATMUL, LINEAR or CONV2D */
  TCP_Q_PER_CHANNEL, /* 1: w_scales and w_zero_points operands */
  TCP_Q_HAS_BIAS,    /* op's own bias operand */
  TCP_Q_PRE_ADD,     /* an add before the activation */
  TCP_Q_ACT,         /* the activation's op, or -1 */
  TCP_Q_POST_ADD,    /* an add after the activation */
  TCP_Q_ACC,         /* the accumulator's dtype: I32 or I64 */
  TCP_Q_ZX,          /* the zero points of x, w (per tensor) and the output */
  TCP_Q_ZW,
  TCP_Q_ZO,
  TCP_Q_CONV,        /* conv2d: its 9 ints start here */
  TCP_Q_NINTS = TCP_Q_CONV + 9
};
enum { TCP_Q_SX, TCP_Q_SW, TCP_Q_SO, TCP_Q_SLOPE, TCP_Q_NVALS };
int tcP_quant(tc_module *m, tc_diag *d);

/* passes/lower.c: the loop program of kernel k of module m (decomposed
   first): one stage per live graph node except inputs, weights, constants
   (inlined where read) and reshapes (aliases); nodes that reach no output
   are dropped.  Stages writing an output's node write into the output
   argument; other outputs get copy stages.  The result passes
   tc_loop_verify and refers to m and k, which must outlive it (free it
   with tc_loop_free).  NULL with an error in d (an op lowering does not
   support, such as argmax over several axes). */
tc_loop_prog *tcP_lower(const tc_module *m, const tc_kernel *k, tc_diag *d);

/* passes/precompute.c: the TEMP buffers whose one stage reads only
   weights, constants and such buffers, cannot fail and uses no dim
   become CREATE buffers (tensorc/loop.h): P_create computes them once,
   P_run reads them from the context.  Rules at the top of precompute.c.
   Runs after lowering, before fusion.  Returns 0. */
int tcP_precompute(tc_loop_prog *p, tc_diag *d);

/* passes/fuse.c: vertical fusion on the loop program of one kernel: an
   elementwise stage that cannot fail and whose temporary has one reader
   is inlined into that reader (TVM's compute_inline) when the reader is
   an unchecked MAP stage and the work does not grow (the rules are at the
   top of fuse.c); the temporaries left unwritten are dropped and the
   buffers renumbered.  Results and return codes of the kernel are those
   of the program before.  Expects and leaves a program that passes
   tc_loop_verify.  Returns 0. */
int tcP_fuse(tc_loop_prog *p, tc_diag *d);

/* The largest max pool window the loop passes treat as one: fuse
   recomputes a cheap producer inside MAX/MIN reductions whose extents
   multiply to at most this, and schedule tiles a transposing stage whose
   MAX/MIN reductions are each at most this long. */
enum { TCP_WINDOW_MAX = 16 };

/* passes/schedule.c: attaches each schedule() hint of the kernel to the
   stage computing the scheduled tensor (tc_stage.sched), or fails with an
   error at the hint's line when the hints cannot be honoured (a tensor
   without loops of its own, a scatter, parallel loops that can fail).
   Rules at the top of schedule.c.  Returns 0, or -1 with the error in d. */
int tcP_schedule(tc_loop_prog *p, tc_diag *d);

/* passes/gemm.c: describes each contraction the emitter writes with its
   GEMM template (tc_stage.gemm: matmul, linear, einsum, batched matmul,
   with the elementwise epilogue fusion put around the sum); rules at the
   top of gemm.c.  Changes no body.  Returns 0. */
int tcP_gemm(tc_loop_prog *p, tc_diag *d);
/* 1 when stage s's body holds one REDUCE (or several equal ones) and
   that is a contraction or convolution the template takes (gemm.c's
   rules, but the epilogue's): what fusion may put (more) epilogue
   around. */
int tcP_gemm_product(const tc_loop_prog *p, const tc_stage *s);
/* 1 when stage s, read with a contraction put in it, can be its
   epilogue: an f32 output, or a bf16, u8 or i8 one (a cast, a
   quantize), a body that computes in vectors along the last axis (for
   u8 and i8, under the final cast) and cannot fail. */
int tcP_gemm_epilogue_ok(const tc_loop_prog *p, const tc_stage *s);

/* passes/chunk.c: a reduction whose output is small (or which walks down
   columns) is split into a stage of partial results over chunks of the
   reduced axis, of a size fixed by the shapes (never by the thread
   count), and a stage combining them in chunk order; rules at the top of
   chunk.c.  Results are the same for every thread count.  Returns 0. */
int tcP_chunk(tc_loop_prog *p, tc_diag *d);

/* passes/nest.c: consecutive MAP stages that cannot fail and visit the
   same rows (each reads only the current iteration of what the others
   write) get one loop nest: tc_stage.nest and .shared.  A temporary that
   lives within one iteration of its nest's shared loops, with static
   extents after them that fit the stack budget, becomes local
   (tc_lbuf.local).  Rules at the top of nest.c.  Results are bitwise
   those of the program before.  Returns 0. */
int tcP_nest(tc_loop_prog *p, tc_diag *d);

/* Marks the stages whose innermost loop runs in vectors on the
   intrinsics targets (tc_stage.vec), and why the others do not
   (tc_stage.vec_why): passes/vectorize.c. */
int tcP_vectorize(tc_loop_prog *p, tc_diag *d);

#endif
