/*
 * rewrite.h: what passes that rewrite a kernel's graph share (internal to
 * passes/).
 *
 * Nodes live in an array in topological order and refer to each other by
 * index, so a pass that inserts or drops nodes rebuilds the array: it
 * walks the old nodes in order, pushes their replacements, and records
 * where each old node went; every reference (operands, compute bodies'
 * LOADs, arguments, schedules) is then renumbered.
 */
#ifndef TC_PASSES_REWRITE_H
#define TC_PASSES_REWRITE_H

#include "passes.h"

/* A map from pointers to pointers (open addressing; grows). */
typedef struct tcP_ptrmap {
  const void **keys, **vals;
  size_t cap, len;
} tcP_ptrmap;

/* The value stored for key, or NULL. */
const void *tcP_ptrmap_get(const tcP_ptrmap *m, const void *key);
void tcP_ptrmap_put(tcP_ptrmap *m, const void *key, const void *val);
void tcP_ptrmap_free(tcP_ptrmap *m);

typedef struct tcP_rebuild {
  tc_module *m;
  tc_kernel *k;
  TC_VEC(tc_node) out; /* the new node array */
  int *map;            /* old id -> new id, -1 for a dropped node */
  int shifted;         /* some old id maps to another id */
} tcP_rebuild;

/* Start rebuilding k's node array (all old ids map to -1). */
void tcP_rebuild_begin(tcP_rebuild *r, tc_module *m, tc_kernel *k);
/* A copy of old node n with its operands and compute body renumbered
   (every node it refers to must have been mapped). */
tc_node tcP_rebuild_renumber(tcP_rebuild *r, const tc_node *n);
/* Append a node to the new array; returns its id. */
int tcP_rebuild_push(tcP_rebuild *r, tc_node n);
/* Record that old node `old` is now node `id` (-1: dropped). */
void tcP_rebuild_map(tcP_rebuild *r, int old, int id);
/* Install the new array: arguments renumbered (they must not refer to a
   dropped node), schedules renumbered or, on a dropped node, removed. */
void tcP_rebuild_finish(tcP_rebuild *r);

/* Helpers of the graph rewrites (fold.c, nhwc.c). */
/* 1 when node `node` of k has schedule() hints. */
int tcP_scheduled(const tc_kernel *k, int node);
/* 1 when every extent of x is a constant. */
int tcP_static_shape(const tc_node *x);
/* For each node of k, 1 when it depends on weights and constants only
   (its value is known at create); free() the array. */
char *tcP_weights_only(const tc_kernel *k);

#endif
