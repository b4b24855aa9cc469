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

/* passes/dce.c: drops every node no output depends on (inputs and weights
   stay: they are arguments), renumbering the rest as decompose does.
   Returns 0. */
int tcP_dce(tc_module *m, tc_diag *d);

/* passes/lower.c: the loop program of kernel k of module m (decomposed
   first): one stage per live graph node except inputs, weights, constants
   (inlined where read) and reshapes (aliases); nodes that reach no output
   are dropped.  Stages writing an output's node write into the output
   argument; other outputs get copy stages.  The result passes
   tc_loop_verify and refers to m and k, which must outlive it (free it
   with tc_loop_free).  NULL with an error in d (an op lowering does not
   support, such as argmax over several axes). */
tc_loop_prog *tcP_lower(const tc_module *m, const tc_kernel *k, tc_diag *d);

#endif
