/*
 * dce.c: dead code elimination on the graph.  A node is live when an
 * output depends on it (through operands; a compute node's operands are
 * every node its body reads); inputs and weights stay whatever happens,
 * since they are arguments of the kernel's ABI.  The rest is dropped and
 * the node array renumbered (passes/rewrite.h); schedule hints on dropped
 * nodes go with them.  Lowering skips dead nodes by itself, so this pass
 * is for readers of the graph IR (`tensorc ir --after dce`) and for later
 * graph passes, which then see only what matters.
 */
#include "rewrite.h"

#include <stdlib.h>

int tcP_dce(tc_module *m, tc_diag *d) {
  (void)d;
  for (int ki = 0; ki < m->kernels.len; ki++) {
    tc_kernel *k = m->kernels.data[ki];
    int nn = k->nodes.len;
    char *live = tc_xcalloc((size_t)nn + 1, 1);
    for (int a = 0; a < k->args.len; a++) live[k->args.data[a].node] = 1;
    /* operands come before their users: one backward sweep suffices */
    for (int i = nn - 1; i >= 0; i--)
      if (live[i])
        for (int j = 0; j < k->nodes.data[i].nin; j++) live[k->nodes.data[i].in[j]] = 1;
    tcP_rebuild r;
    tcP_rebuild_begin(&r, m, k);
    for (int i = 0; i < nn; i++) {
      if (!live[i]) {
        tcP_rebuild_map(&r, i, -1);
        continue;
      }
      tc_node n = tcP_rebuild_renumber(&r, &k->nodes.data[i]);
      tcP_rebuild_map(&r, i, tcP_rebuild_push(&r, n));
    }
    tcP_rebuild_finish(&r);
    free(live);
  }
  return 0;
}
