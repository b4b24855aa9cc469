/*
 * passes.h: the passes, each a function from IR to IR in its own file.
 * The order they run in is one list, in tensorc/cli/pipeline.c.
 */
#ifndef TC_PASSES_H
#define TC_PASSES_H

#include "../tensorc/graph.h"
#include "../tensorc/loop.h"

/* passes/decompose.c: rewrites composite ops (softmax, log_softmax,
   layer_norm, rms_norm, batch_norm, linear, einsum, ...) of every kernel
   into the primitive ops that lowering handles, keeping each node's DSL
   location.  Returns 0, or -1 with an error in d. */
int tcP_decompose(tc_module *m, tc_diag *d);

/* passes/lower.c: one loop program per kernel (one stage per graph node
   for now).  NULL with an error in d. */
tc_loop_prog *tcP_lower(const tc_module *m, const tc_kernel *k, tc_diag *d);

#endif
