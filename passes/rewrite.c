/* rewrite.c: pointer maps and node-array rebuilding (passes/rewrite.h). */
#include "rewrite.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static size_t slot_of(const tcP_ptrmap *m, const void *key) {
  size_t h = (size_t)(((uintptr_t)key >> 4) * 0x9e3779b97f4a7c15ull);
  size_t i = h & (m->cap - 1);
  while (m->keys[i] && m->keys[i] != key) i = (i + 1) & (m->cap - 1);
  return i;
}

const void *tcP_ptrmap_get(const tcP_ptrmap *m, const void *key) {
  if (!m->cap) return NULL;
  size_t i = slot_of(m, key);
  return m->keys[i] ? m->vals[i] : NULL;
}

void tcP_ptrmap_put(tcP_ptrmap *m, const void *key, const void *val) {
  assert(key);
  if (2 * (m->len + 1) > m->cap) {
    tcP_ptrmap old = *m;
    m->cap = old.cap ? 2 * old.cap : 64;
    m->keys = tc_xcalloc(m->cap, sizeof *m->keys);
    m->vals = tc_xcalloc(m->cap, sizeof *m->vals);
    m->len = 0;
    for (size_t i = 0; i < old.cap; i++)
      if (old.keys[i]) tcP_ptrmap_put(m, old.keys[i], old.vals[i]);
    free(old.keys);
    free(old.vals);
  }
  size_t i = slot_of(m, key);
  if (!m->keys[i]) m->len++;
  m->keys[i] = key;
  m->vals[i] = val;
}

void tcP_ptrmap_free(tcP_ptrmap *m) {
  free(m->keys);
  free(m->vals);
  memset(m, 0, sizeof *m);
}

void tcP_rebuild_begin(tcP_rebuild *r, tc_module *m, tc_kernel *k) {
  memset(r, 0, sizeof *r);
  r->m = m;
  r->k = k;
  r->map = tc_xmalloc(((size_t)k->nodes.len + 1) * sizeof *r->map);
  for (int i = 0; i < k->nodes.len; i++) r->map[i] = -1;
}

/* A copy of body e whose LOADs name the new ids (shared subtrees stay
   shared: `done` maps old subtrees to their copies). */
static const tc_sexpr *copy_body(tcP_rebuild *r, tcP_ptrmap *done, const tc_sexpr *e) {
  const tc_sexpr *seen = tcP_ptrmap_get(done, e);
  if (seen) return seen;
  const tc_sexpr *out = e;
  if (e->nargs > 0 || e->op == TC_OP_LOAD) {
    tc_sexpr *x = tc_arena_alloc(&r->m->arena, sizeof *x);
    *x = *e;
    x->args = tc_arena_alloc(&r->m->arena, (size_t)(e->nargs ? e->nargs : 1) * sizeof *x->args);
    for (int i = 0; i < e->nargs; i++) x->args[i] = copy_body(r, done, e->args[i]);
    if (e->op == TC_OP_LOAD) {
      x->ref = r->map[e->ref];
      assert(x->ref >= 0);
    }
    out = x;
  }
  tcP_ptrmap_put(done, e, out);
  return out;
}

tc_node tcP_rebuild_renumber(tcP_rebuild *r, const tc_node *n) {
  tc_node c = *n;
  if (!r->shifted) return c; /* every id so far is unchanged */
  int *in = tc_arena_alloc(&r->m->arena, (size_t)(n->nin ? n->nin : 1) * sizeof *in);
  for (int j = 0; j < n->nin; j++) {
    in[j] = r->map[n->in[j]];
    assert(in[j] >= 0 && "an operand was dropped");
  }
  c.in = in;
  if (n->body) {
    tcP_ptrmap done = {0};
    c.body = copy_body(r, &done, n->body);
    tcP_ptrmap_free(&done);
  }
  return c;
}

int tcP_rebuild_push(tcP_rebuild *r, tc_node n) {
  TC_VEC_PUSH(r->out, n);
  return r->out.len - 1;
}

void tcP_rebuild_map(tcP_rebuild *r, int old, int id) {
  r->map[old] = id;
  if (id != old) r->shifted = 1;
}

void tcP_rebuild_finish(tcP_rebuild *r) {
  tc_kernel *k = r->k;
  for (int a = 0; a < k->args.len; a++) {
    k->args.data[a].node = r->map[k->args.data[a].node];
    assert(k->args.data[a].node >= 0);
  }
  int ns = 0;
  for (int s = 0; s < k->schedules.len; s++) {
    tc_schedule sc = k->schedules.data[s];
    sc.node = r->map[sc.node];
    if (sc.node >= 0) k->schedules.data[ns++] = sc;
  }
  k->schedules.len = ns;
  TC_VEC_FREE(k->nodes);
  k->nodes.data = r->out.data;
  k->nodes.len = r->out.len;
  k->nodes.cap = r->out.cap;
  free(r->map);
  r->map = NULL;
  memset(&r->out, 0, sizeof r->out);
}

int tcP_scheduled(const tc_kernel *k, int node) {
  for (int i = 0; i < k->schedules.len; i++)
    if (k->schedules.data[i].node == node) return 1;
  return 0;
}

int tcP_static_shape(const tc_node *x) {
  int64_t v;
  for (int d = 0; d < x->rank; d++)
    if (!tc_ext_is_const(x->shape[d], &v)) return 0;
  return 1;
}

char *tcP_weights_only(const tc_kernel *k) {
  int nn = k->nodes.len;
  char *wo = tc_xcalloc((size_t)nn + 1, 1);
  for (int i = 0; i < nn; i++) {
    const tc_node *x = &k->nodes.data[i];
    if (x->op == TC_OP_WEIGHT || x->op == TC_OP_CONST || x->op == TC_OP_LITERAL) {
      wo[i] = 1;
    } else if (x->op != TC_OP_INPUT && x->op != TC_OP_CSR && x->nin > 0) {
      wo[i] = 1;
      for (int j = 0; j < x->nin; j++) wo[i] &= wo[x->in[j]];
    }
  }
  return wo;
}
