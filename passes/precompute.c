/*
 * precompute.c: values of the weights alone, computed once at create.
 *
 * Weights are handed over once, to P_create, and never change: a stage
 * whose every load reads a weight, a constant table or another such value
 * gives the same result on every call of P_run.  Its buffer becomes a
 * CREATE buffer (tensorc/loop.h): P_create computes it into the kernel's
 * context after copying the weights, and P_run reads it there instead of
 * computing it again.  Examples: rsqrt(var + eps) of a batch_norm, the
 * weights and bias of a convolution with a batch_norm folded into them
 * (passes/fold.c), a transposed or dequantized weight.
 *
 * Taken, in program order (so that a chain is taken whole): a MAP stage,
 * unchecked, writing a TEMP buffer that no other stage writes, of static
 * shape, whose graph node has no schedule() hints (they ask for P_run's
 * loops), and whose body
 *   - loads only weights, CONST buffers and buffers already taken
 *     (through aliases too);
 *   - cannot fail (P_create reports only TC_EINVAL and TC_ENOMEM): no
 *     integer division by a variable, every REDUCE over a static range,
 *     not empty for MAX, MIN, ARGMAX and ARGMIN;
 *   - uses no dim (an EXTENT that is not a constant).
 * A stage writing an output is not taken: P_run writes every output.
 *
 * Runs after lowering and before fusion: fusion inlines only TEMP
 * producers, so a value computed at create is never recomputed inside a
 * stage of P_run, and the GEMM pass packs a CREATE B at create as it does
 * a weight.
 */
#include "passes.h"

#include <stdlib.h>

/* 1 when b (seen through an alias) is something P_create has. */
static int create_buf(const tc_loop_prog *p, int b) {
  const tc_lbuf *x = &p->bufs.data[tc_loop_base_buf(p, b)];
  if (x->kind == TC_LBUF_CONST || x->kind == TC_LBUF_CREATE) return 1;
  return x->kind == TC_LBUF_ARG && x->format == TC_FMT_DENSE &&
         p->kernel->args.data[x->arg].role == TC_ROLE_WEIGHT;
}

/* 1 when body e can run in P_create (the rules above). */
static int create_body(const tc_loop_prog *p, const tc_sexpr *e) {
  int64_t v;
  switch (e->op) {
  case TC_OP_LOAD:
    if (!create_buf(p, e->ref)) return 0;
    break;
  case TC_OP_EXTENT:
    if (!tc_ext_is_const(e->ext, &v)) return 0;
    break;
  case TC_OP_REDUCE:
    if (e->nargs != 1 || !e->ext || !tc_ext_is_const(e->ext, &v)) return 0;
    if (v <= 0 && e->red != TC_OP_SUM && e->red != TC_OP_PROD) return 0; /* "max of nothing" */
    break;
  default:
    break;
  }
  for (int i = 0; i < e->nargs; i++)
    if (!create_body(p, e->args[i])) return 0;
  return 1;
}

static int scheduled(const tc_kernel *k, int node) {
  for (int i = 0; i < k->schedules.len; i++)
    if (node >= 0 && k->schedules.data[i].node == node) return 1;
  return 0;
}

int tcP_precompute(tc_loop_prog *p, tc_diag *d) {
  (void)d;
  if (!p->kernel) return 0;
  int *writers = tc_xcalloc((size_t)p->bufs.len + 1, sizeof *writers);
  for (int s = 0; s < p->stages.len; s++) writers[p->stages.data[s].out]++;
  for (int s = 0; s < p->stages.len; s++) {
    const tc_stage *st = &p->stages.data[s];
    tc_lbuf *o = &p->bufs.data[st->out];
    int ok = st->kind == TC_STAGE_MAP && !st->checked && o->kind == TC_LBUF_TEMP &&
             writers[st->out] == 1 && !scheduled(p->kernel, o->node) &&
             !tc_loop_sx_may_divide_by_zero(st->body) && create_body(p, st->body);
    for (int d2 = 0; ok && d2 < o->rank; d2++) {
      int64_t v;
      ok = tc_ext_is_const(o->shape[d2], &v);
    }
    if (ok) o->kind = TC_LBUF_CREATE;
  }
  free(writers);
  return 0;
}
