/*
 * core_tests.h: the suites of the core test runner (tests/core/main.c)
 * and small helpers that build kernels for them.
 */
#ifndef TC_TESTS_CORE_H
#define TC_TESTS_CORE_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../tensorc/graph.h"

Suite *core_ext_suite(void);    /* ext_test.c: extents */
Suite *core_graph_suite(void);  /* graph_test.c: broadcasting, promotion, reductions */
Suite *core_ops_suite(void);    /* ops_test.c: every OTHER op's shape inference */
Suite *core_misc_suite(void);   /* misc_test.c: sexprs, compute, print, verify, ABI */
Suite *core_ops3_suite(void);   /* ops3_test.c: conv, pools, csr and the ABI parts, indexing, quantization */

/* A module "t" (file t.lua) with one kernel "t", and a diag. */
typedef struct tfx {
  tc_module *m;
  tc_kernel *k;
  tc_arena *ar;
  tc_diag d;
} tfx;

static inline tc_loc tloc(int line) {
  tc_loc l = {"t.lua", line};
  return l;
}

static inline tfx tfx_new(void) {
  tfx f;
  memset(&f, 0, sizeof f);
  f.m = tc_module_new("t", "t.lua");
  f.k = tc_kernel_new(f.m, "t", tloc(1));
  f.ar = &f.m->arena;
  return f;
}

static inline void tfx_free(tfx *f) { tc_module_free(f->m); }

/* A new dim named `name`; returns its extent. */
static inline const tc_ext *tdim(tfx *f, const char *name) {
  tc_dim dm = {tc_arena_strdup(f->ar, name), tloc(2)};
  TC_VEC_PUSH(f->k->dims, dm);
  return tc_ext_dim(f->ar, f->k->dims.len - 1);
}

static inline const tc_ext *tcn(tfx *f, int64_t v) { return tc_ext_const(f->ar, v); }

/* An input of the given dtype and shape (rank extents). */
static inline int tin(tfx *f, const char *name, tc_dtype t, int rank,
                      const tc_ext *s0, const tc_ext *s1, const tc_ext *s2,
                      const tc_ext *s3) {
  const tc_ext *s[4] = {s0, s1, s2, s3};
  int id = tc_graph_arg(f->k, f->ar, name, TC_ROLE_INPUT, t, rank, s, tloc(3),
                        &f->d);
  ck_assert_msg(id >= 0, "tc_graph_arg(%s) failed: %s", name, f->d.msg);
  return id;
}

/* Shape of node id as DSL text, in a static buffer (tests only). */
static inline const char *tshape(tfx *f, int id) {
  static char out[256];
  tc_buf b = {0};
  const tc_node *n = &f->k->nodes.data[id];
  tc_shape_print(&b, f->k, n->rank, n->shape);
  snprintf(out, sizeof out, "%s", b.data);
  tc_buf_free(&b);
  return out;
}

static inline const char *text_ext(tfx *f, const tc_ext *e) {
  static char out[256];
  tc_buf b = {0};
  tc_kernel_ext_print(&b, f->k, e);
  snprintf(out, sizeof out, "%s", b.data);
  tc_buf_free(&b);
  return out;
}

/* The shape of node id is `want`, else fail naming what was built. */
#define ck_shape(f, id, want)                                               \
  ck_assert_msg((id) >= 0 && strcmp(tshape(f, id), want) == 0,              \
                "%s: expected shape %s, got %s (diag: %s)", #id, want,      \
                (id) >= 0 ? tshape(f, id) : "(error)", (f)->d.msg)

/* The expression `call` failed with exactly message `want`. */
#define ck_error(f, call, want)                                             \
  do {                                                                      \
    int r_ = (call);                                                        \
    ck_assert_msg(r_ < 0, "%s: expected the error \"%s\", but it succeeded", \
                  #call, want);                                             \
    ck_assert_msg(strcmp((f)->d.msg, want) == 0,                            \
                  "%s: expected the error\n  \"%s\"\ngot\n  \"%s\"", #call,  \
                  want, (f)->d.msg);                                        \
    memset(&(f)->d, 0, sizeof (f)->d);                                      \
  } while (0)

/* The graph verifies, else fail with the verifier's message. */
#define ck_verified(f)                                                      \
  do {                                                                      \
    tc_diag vd_ = {0};                                                      \
    ck_assert_msg(tc_graph_verify((f)->m, &vd_) == 0,                       \
                  "the graph does not verify: %s", vd_.msg);                \
  } while (0)

#endif
