/*
 * fuse_test.c: vertical fusion (passes/fuse.c) on small DSL programs.
 * Each test lowers a program, fuses it, and checks how many stages and
 * temporaries are left (the fusion happened, or was rightly refused); the
 * e2e suite checks that fused kernels still compute what the reference
 * interpreter computes (tests/e2e/dsl/fusion*.lua).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lang/lang.h"
#include "passes/passes.h"
#include "passes_tests.h"

typedef struct fused {
  int stages, temps;
  char *ir; /* the printed program after fuse */
} fused;

/* Load src (t.lua), decompose, lower its first kernel, fuse. */
static fused fuse_src(const char *src) {
  tc_diag d = {0};
  tcL_options o = {0};
  tc_module *m = tcL_load_string(src, "t.lua", &o, &d);
  ck_assert_msg(m != NULL, "loading\n%s\nfailed: %s", src, d.msg);
  ck_assert_msg(tcP_decompose(m, &d) == 0, "decompose of\n%s\nfailed: %s", src, d.msg);
  tc_loop_prog *p = tcP_lower(m, m->kernels.data[0], &d);
  ck_assert_msg(p != NULL, "lowering\n%s\nfailed: %s", src, d.msg);
  ck_assert_msg(tcP_fuse(p, &d) == 0, "fusing\n%s\nfailed: %s", src, d.msg);
  ck_assert_msg(tc_loop_verify(p, &d) == 0, "the fused program of\n%s\ndoes not verify: %s",
                src, d.msg);
  fused f = {p->stages.len, 0, NULL};
  for (int b = 0; b < p->bufs.len; b++) f.temps += p->bufs.data[b].kind == TC_LBUF_TEMP;
  tc_buf b = {0};
  tc_loop_print(&b, p);
  f.ir = tc_buf_steal(&b);
  tc_loop_free(p);
  tc_module_free(m);
  return f;
}

static void expect_counts(const char *src, int stages, int temps) {
  fused f = fuse_src(src);
  ck_assert_msg(f.stages == stages && f.temps == temps,
                "fusing\n%s\nleft %d stages and %d temporaries, expected %d and %d:\n%s", src,
                f.stages, f.temps, stages, temps, f.ir);
  free(f.ir);
}

START_TEST(test_fuse_chain) {
  const char *src = "local N = dim('N')\n"
                    "local a, b = input('a', f32, {N}), input('b', f32, {N})\n"
                    "local c, d = input('c', f32, {N}), input('d', f32, {N})\n"
                    "output('y', maximum(a * b + c, 0) * d)\n";
  fused f = fuse_src(src);
  const char *want = "loop program t:\n"
                     "  buffers:\n"
                     "    a: f32[N] input #0\n"
                     "    b: f32[N] input #1\n"
                     "    c: f32[N] input #2\n"
                     "    d: f32[N] input #3\n"
                     "    y: f32[N] output #4\n"
                     "  stages:\n"
                     "    for i0 in 0..N:  y[i0] = maximum((a[i0] * b[i0]) + c[i0], 0.0) * d[i0]"
                     "  # mul + add + maximum + mul, t.lua:4\n";
  ck_assert_msg(!strcmp(f.ir, want), "fusing\n%s\ngave\n%s\nexpected\n%s", src, f.ir, want);
  free(f.ir);
}
END_TEST

/* A broadcast operand and a cheap broadcast producer both inline. */
START_TEST(test_fuse_broadcast) {
  expect_counts("local N = dim('N')\n"
                "local x = input('x', f32, {N, 3})\n"
                "local b = input('b', f32, {1, 3})\n"
                "output('y', relu(x * 2 + (b - 1)))\n",
                1, 0);
}
END_TEST

/* An expensive producer read by a broadcast stays: exp(b) once per
   element of b, not once per element of y. */
START_TEST(test_fuse_expensive_broadcast_stays) {
  expect_counts("local N = dim('N')\n"
                "local x = input('x', f32, {N, 3})\n"
                "local b = input('b', f32, {3})\n"
                "output('y', x + exp(b))\n",
                2, 1);
}
END_TEST

/* Elementwise producers of a reduction's operand inline into the
   REDUCE, which reads each element once. */
START_TEST(test_fuse_into_reduction) {
  const char *src = "local R, C = dim('R'), dim('C')\n"
                    "local x = input('x', f32, {R, C})\n"
                    "local s, b = input('s', f32, {C}), input('b', f32, {C})\n"
                    "output('y', sum(exp(x * s + b), 0))\n";
  expect_counts(src, 1, 0);
}
END_TEST

/* A cheap producer read inside a max pool's window (at most 16 values)
   is recomputed there: relu under a 3x3 pool of stride 2 (each element
   in up to 4 windows) fuses; not under a 5x5 window, nor an expensive
   one (exp), nor under an average pool (a sum: matmuls are sums too). */
START_TEST(test_fuse_into_pool_window) {
  const char *head = "local N, H, W = dim('N'), dim('H'), dim('W')\n"
                     "local x = input('x', f32, {N, 4, H, W})\n";
  char src[512];
  snprintf(src, sizeof src, "%soutput('y', max_pool2d(relu(x * 2), 3, {stride = 2}))\n", head);
  expect_counts(src, 1, 0);
  snprintf(src, sizeof src, "%soutput('y', max_pool2d(relu(x * 2), 5, {stride = 2}))\n", head);
  expect_counts(src, 2, 1);
  snprintf(src, sizeof src, "%soutput('y', max_pool2d(exp(x), 2))\n", head);
  expect_counts(src, 2, 1);
  snprintf(src, sizeof src, "%soutput('y', avg_pool2d(relu(x), 3, {stride = 2}))\n", head);
  expect_counts(src, 2, 1);
}
END_TEST

/* A matmul reads each element of its operand once per output row: an
   expensive producer would be recomputed, so it stays. */
START_TEST(test_fuse_matmul_operand_stays) {
  expect_counts("local M, K, N = dim('M'), dim('K'), dim('N')\n"
                "local a = input('a', f32, {M, K})\n"
                "local w = input('w', f32, {K, N})\n"
                "output('y', matmul(tanh(a), w))\n",
                2, 1);
}
END_TEST

/* Equal loads count as one: the emitter computes t[i] once. */
START_TEST(test_fuse_equal_loads) {
  expect_counts("local N = dim('N')\n"
                "local x = input('x', f32, {N})\n"
                "local t = exp(x) * 2\n"
                "output('y', t * t)\n",
                1, 0);
}
END_TEST

/* A value with two readers stays; a reduction producer stays. */
START_TEST(test_fuse_shared_and_reduce_stay) {
  /* softmax: max, exp(x - max) (the sub inlined), sum, 1 / sum, mul */
  expect_counts("local B, C = dim('B'), dim('C')\n"
                "local x = input('x', f32, {B, C})\n"
                "output('y', softmax(x, -1))\n",
                5, 4);
  /* shared and expensive: computed once */
  expect_counts("local N = dim('N')\n"
                "local x = input('x', f32, {N})\n"
                "local t = exp(x)\n"
                "output('y', t + 1)\n"
                "output('z', t * 2)\n",
                3, 1);
  /* shared, cheap, but its 4 loads repeated twice would cost more than
     storing and reading it (8 > 4 + 1 + 2) */
  expect_counts("local N = dim('N')\n"
                "local a, b = input('a', f32, {N}), input('b', f32, {N})\n"
                "local c, d = input('c', f32, {N}), input('d', f32, {N})\n"
                "local t = a * b + c * d\n"
                "output('y', t + 1)\n"
                "output('z', t * 2)\n",
                3, 1);
}
END_TEST

/* A tiny producer with several readers is recomputed in each of them
   (layer_norm's x - mean): no temporary, and the readers' own rules still
   apply (a reader that may not inline keeps it for all). */
START_TEST(test_fuse_tiny_shared_recomputed) {
  expect_counts("local N = dim('N')\n"
                "local x = input('x', f32, {N})\n"
                "local t = x * 3\n"
                "output('y', t + 1)\n"
                "output('z', t * 2)\n",
                2, 0);
  expect_counts("local B, C = dim('B'), dim('C')\n"
                "local x = input('x', f32, {B, C})\n"
                "local m = mean(x, 1, true)\n"
                "local t = x - m\n"
                "output('v', mean(t * t, 1))\n"
                "output('y', t * 2)\n",
                3, 1);
  /* one reader is a user's compute (checked): t stays for both */
  expect_counts("local N = dim('N')\n"
                "local x = input('x', f32, {N})\n"
                "local t = x * 3\n"
                "output('y', t + 1)\n"
                "output('z', compute({N}, function(i) return t(i) end))\n",
                3, 1);
}
END_TEST

/* A checked stage (a user's compute) keeps its bounds-checked load; an
   integer floordiv (it may divide by zero) is not moved. */
START_TEST(test_fuse_refuses_checked_and_failing) {
  expect_counts("local N = dim('N')\n"
                "local x = input('x', f32, {N})\n"
                "local t = x * 3\n"
                "output('y', compute({N}, function(i) return t(i) + 1 end))\n",
                2, 1);
  expect_counts("local N = dim('N')\n"
                "local x = input('x', i32, {N})\n"
                "local k = input('k', i32, {N})\n"
                "output('y', (x // k) + 1)\n",
                2, 1);
}
END_TEST

/* Fusing twice gives the same program (nothing left to fuse). */
START_TEST(test_fuse_deterministic) {
  const char *src = "local B, C = dim('B'), dim('C')\n"
                    "local x = input('x', f32, {B, C})\n"
                    "local g = input('g', f32, {C})\n"
                    "output('y', layer_norm(x, 1, g, g, 1e-5))\n";
  fused a = fuse_src(src), b = fuse_src(src);
  ck_assert_msg(!strcmp(a.ir, b.ir), "fusing\n%s\ntwice gave\n%s\nand\n%s", src, a.ir, b.ir);
  free(a.ir);
  free(b.ir);
}
END_TEST

/* The nodes of e as a tree, up to cap + 1. */
static int tree_size(const tc_sexpr *e, int cap) {
  int n = 1;
  for (int i = 0; i < e->nargs && n <= cap; i++) n += tree_size(e->args[i], cap - n);
  return n > cap ? cap + 1 : n;
}

/* A chain of 60000 elementwise ops: fusion is bounded by a node budget
   (FUSE_MAX_NODES, 256), so the chain splits into stages of at most that
   many nodes, in about linear time and memory (it once took minutes and
   gigabytes, and crashed on the depth of its recursion). */
START_TEST(test_fuse_long_chain_is_bounded) {
  const char *src = "local x = input('x', f32, {8})\n"
                    "local y = x\n"
                    "for n = 1, 20000 do y = exp(y) * 0.0 + x end\n"
                    "output('y', y)\n";
  tc_diag d = {0};
  tcL_options o = {0};
  tc_module *m = tcL_load_string(src, "t.lua", &o, &d);
  ck_assert_msg(m != NULL, "loading failed: %s", d.msg);
  ck_assert(tcP_decompose(m, &d) == 0);
  tc_loop_prog *p = tcP_lower(m, m->kernels.data[0], &d);
  ck_assert_msg(p != NULL, "lowering failed: %s", d.msg);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  ck_assert(tcP_fuse(p, &d) == 0);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
  ck_assert_msg(tc_loop_verify(p, &d) == 0, "the fused chain does not verify: %s", d.msg);
  int biggest = 0;
  for (int s = 0; s < p->stages.len; s++) {
    int n = tree_size(p->stages.data[s].body, 256);
    if (n > biggest) biggest = n;
  }
  ck_assert_msg(biggest <= 256, "a fused stage has more than 256 nodes");
  /* 100000 nodes in stages of at most 256: more than 390 of them; and
     fusion did happen (not one stage per op) */
  ck_assert_msg(p->stages.len > 390 && p->stages.len < 2000,
                "the chain fused into %d stages", p->stages.len);
  ck_assert_msg(secs < 10, "fusing the chain took %.1f s", secs);
  tc_loop_free(p);
  tc_module_free(m);
}
END_TEST

/* tc_stage.nodes: lowering gives each stage the node it implements (the
   stages of a scatter all get it; a copy, the node copied), and fusion
   gives the consumer its own list followed by its producers'. */
static void nodes_text(tc_buf *b, const tc_loop_prog *p) {
  for (int s = 0; s < p->stages.len; s++) {
    const tc_stage *st = &p->stages.data[s];
    tc_buf_puts(b, s ? " |" : "");
    for (int i = 0; i < st->nnodes; i++) tc_buf_printf(b, " %d", st->nodes[i]);
  }
}

START_TEST(test_fuse_stage_nodes) {
  const char *src = "local N = dim('N')\n"
                    "local a, b = input('a', f32, {N}), input('b', f32, {N})\n"
                    "local idx = input('idx', i64, {N})\n"
                    "local y = relu(a * b + 1)\n"          /* %3 mul, %5 add, %6 relu */
                    "output('y', y)\n"
                    "output('z', y)\n"                     /* a copy of %6 */
                    "output('s', scatter(a, idx, 0, 4, 'max'))\n"; /* %7: 3 stages */
  tc_diag d = {0};
  tcL_options o = {0};
  tc_module *m = tcL_load_string(src, "t.lua", &o, &d);
  ck_assert_msg(m != NULL, "loading failed: %s", d.msg);
  ck_assert(tcP_decompose(m, &d) == 0);
  tc_loop_prog *p = tcP_lower(m, m->kernels.data[0], &d);
  ck_assert_msg(p != NULL, "lowering failed: %s", d.msg);
  tc_buf b = {0}, ir = {0};
  nodes_text(&b, p);
  tc_loop_print(&ir, p);
  const char *want = " 3 | 5 | 6 | 7 | 7 | 7 | 6";
  ck_assert_msg(!strcmp(b.data, want), "stage nodes after lower: '%s', expected '%s'\n%s",
                b.data, want, ir.data);
  ck_assert(tcP_fuse(p, &d) == 0);
  b.len = 0, ir.len = 0;
  nodes_text(&b, p);
  tc_loop_print(&ir, p);
  want = " 6 5 3 | 7 | 7 | 7 | 6";
  ck_assert_msg(!strcmp(b.data, want), "stage nodes after fuse: '%s', expected '%s'\n%s",
                b.data, want, ir.data);
  tc_buf_free(&b);
  tc_buf_free(&ir);
  tc_loop_free(p);
  tc_module_free(m);
}
END_TEST

void add_fuse_tests(Suite *s) {
  TCase *tc = tcase_create("fuse");
  tcase_add_test(tc, test_fuse_chain);
  tcase_add_test(tc, test_fuse_broadcast);
  tcase_add_test(tc, test_fuse_into_pool_window);
  tcase_add_test(tc, test_fuse_expensive_broadcast_stays);
  tcase_add_test(tc, test_fuse_into_reduction);
  tcase_add_test(tc, test_fuse_matmul_operand_stays);
  tcase_add_test(tc, test_fuse_equal_loads);
  tcase_add_test(tc, test_fuse_shared_and_reduce_stay);
  tcase_add_test(tc, test_fuse_tiny_shared_recomputed);
  tcase_add_test(tc, test_fuse_refuses_checked_and_failing);
  tcase_add_test(tc, test_fuse_deterministic);
  tcase_add_test(tc, test_fuse_stage_nodes);
  suite_add_tcase(s, tc);
  TCase *tl = tcase_create("fuse_long");
  tcase_set_timeout(tl, 60);
  tcase_add_test(tl, test_fuse_long_chain_is_bounded);
  suite_add_tcase(s, tl);
}
