/*
 * passes_test.c: decomposition and lowering (passes/decompose.c,
 * passes/lower.c) and the loop IR (tensorc/loop.c), on small DSL programs.
 * Each test states the program it ran and the IR it expected.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/lang.h"
#include "passes/passes.h"
#include "passes_tests.h"

tc_module *tcT_load(const char *src) {
  tc_diag d = {0};
  tcL_options o = {0};
  tc_module *m = tcL_load_string(src, "t.lua", &o, &d);
  ck_assert_msg(m != NULL, "loading\n%s\nfailed: %s", src, d.msg);
  ck_assert_msg(tcP_decompose(m, &d) == 0, "decompose of\n%s\nfailed: %s", src, d.msg);
  ck_assert_msg(tc_graph_verify(m, &d) == 0,
                "the graph of\n%s\nafter decompose does not verify: %s", src, d.msg);
  return m;
}

tc_module *tcT_load_rewritten(const char *src, int nhwc) {
  tc_diag d = {0};
  tcL_options o = {0};
  tc_module *m = tcL_load_string(src, "t.lua", &o, &d);
  ck_assert_msg(m != NULL, "loading\n%s\nfailed: %s", src, d.msg);
  ck_assert(tcP_fold(m, &d) == 0);
  if (nhwc) ck_assert(tcP_nhwc(m, &d) == 0);
  ck_assert_msg(tc_graph_verify(m, &d) == 0, "after %s:\n%s\ndoes not verify: %s",
                nhwc ? "nhwc" : "fold", src, d.msg);
  ck_assert(tcP_decompose(m, &d) == 0);
  ck_assert(tcP_dce(m, &d) == 0);
  ck_assert_msg(tc_graph_verify(m, &d) == 0, "after decompose and dce:\n%s\ndoes not verify: %s",
                src, d.msg);
  return m;
}

tc_loop_prog *tcT_lower(tc_module *m, int kernel) {
  tc_diag d = {0};
  tc_loop_prog *p = tcP_lower(m, m->kernels.data[kernel], &d);
  ck_assert_msg(p != NULL, "lowering kernel %d failed: %s", kernel, d.msg);
  ck_assert_msg(tc_loop_verify(p, &d) == 0, "loop IR does not verify: %s", d.msg);
  return p;
}

static char *print_prog(const tc_loop_prog *p) {
  tc_buf b = {0};
  tc_loop_print(&b, p);
  return tc_buf_steal(&b);
}

/* Lower src's first kernel and compare the printed loop IR. */
static void expect_ir(const char *src, const char *want) {
  tc_module *m = tcT_load(src);
  tc_loop_prog *p = tcT_lower(m, 0);
  char *got = print_prog(p);
  ck_assert_msg(!strcmp(got, want), "lowering\n%s\ngave\n%s\nexpected\n%s", src, got, want);
  free(got);
  tc_loop_free(p);
  tc_module_free(m);
}

static int count_op(const tc_kernel *k, tc_op op) {
  int n = 0;
  for (int i = 0; i < k->nodes.len; i++) n += k->nodes.data[i].op == op;
  return n;
}

START_TEST(test_lower_linear_relu) {
  expect_ir("local B = dim('B')\n"
            "local x = input('x', f32, {B, 4})\n"
            "local w = weight('w', f32, {3, 4})\n"
            "output('y', relu(linear(x, w)))\n",
            "loop program t:\n"
            "  buffers:\n"
            "    w: f32[3, 4] weight #0\n"
            "    x: f32[B, 4] input #1\n"
            "    y: f32[B, 3] output #2\n"
            "    t2: f32[B, 3] temp\n"
            "  stages:\n"
            "    for i0 in 0..B, i1 in 0..3:  t2[i0, i1] = sum(r0 in 0..4: x[i0, r0] * w[i1, r0])"
            "  # linear, t.lua:4\n"
            "    for i0 in 0..B, i1 in 0..3:  y[i0, i1] = relu(t2[i0, i1])  # relu, t.lua:4\n");
}
END_TEST

START_TEST(test_lower_broadcast_and_const) {
  expect_ir("local N = dim('N')\n"
            "local x = input('x', f32, {N, 3})\n"
            "local b = input('b', f32, {1, 3})\n"
            "output('y', x * 2 + b)\n",
            "loop program t:\n"
            "  buffers:\n"
            "    x: f32[N, 3] input #0\n"
            "    b: f32[1, 3] input #1\n"
            "    y: f32[N, 3] output #2\n"
            "    t3: f32[N, 3] temp\n"
            "  stages:\n"
            "    for i0 in 0..N, i1 in 0..3:  t3[i0, i1] = x[i0, i1] * 2.0  # mul, t.lua:4\n"
            "    for i0 in 0..N, i1 in 0..3:  y[i0, i1] = t3[i0, i1] + b[0, i1]  # add, t.lua:4\n");
}
END_TEST

START_TEST(test_lower_dead_code_and_copies) {
  /* z is never output: no stage; an input output and a twice-output node
     are copies. */
  const char *src = "local x = input('x', f32, {4})\n"
                    "local z = exp(x)\n"
                    "local y = x + 1\n"
                    "output('a', y)\n"
                    "output('b', y)\n"
                    "output('c', x)\n";
  tc_module *m = tcT_load(src);
  tc_loop_prog *p = tcT_lower(m, 0);
  char *got = print_prog(p);
  const char *want = "loop program t:\n"
                     "  buffers:\n"
                     "    x: f32[4] input #0\n"
                     "    a: f32[4] output #1\n"
                     "    b: f32[4] output #2\n"
                     "    c: f32[4] output #3\n"
                     "  stages:\n"
                     "    for i0 in 0..4:  a[i0] = x[i0] + 1.0  # add, t.lua:3\n"
                     "    for i0 in 0..4:  b[i0] = a[i0]  # copy, t.lua:5\n"
                     "    for i0 in 0..4:  c[i0] = x[i0]  # copy, t.lua:6\n";
  ck_assert_msg(!strcmp(got, want), "lowering\n%s\ngave\n%s\nexpected\n%s", src, got, want);
  free(got);
  tc_loop_free(p);
  tc_module_free(m);
}
END_TEST

START_TEST(test_lower_reshape_is_alias) {
  const char *src = "local N = dim('N')\n"
                    "local x = input('x', f32, {N, 6})\n"
                    "output('y', exp(reshape(x, {-1, 3})))\n";
  tc_module *m = tcT_load(src);
  tc_loop_prog *p = tcT_lower(m, 0);
  int aliases = 0;
  for (int i = 0; i < p->bufs.len; i++) aliases += p->bufs.data[i].kind == TC_LBUF_ALIAS;
  ck_assert_msg(aliases == 1 && p->stages.len == 1,
                "reshape in\n%s\nshould be one alias and one stage; got %d aliases, %d stages",
                src, aliases, p->stages.len);
  tc_loop_free(p);
  tc_module_free(m);
}
END_TEST

START_TEST(test_lower_shapes) {
  expect_ir("local x = input('x', f32, {2, 6})\n"
            "local y = input('y', f32, {1, 6})\n"
            "output('p', permute(x, {1, 0}))\n"
            "output('s', slice(x, 1, 1, 5, 2))\n"
            "output('c', concat({x, y}, 0))\n"
            "output('d', pad(x, {1, 0, 0, 2}, 0))\n",
            "loop program t:\n"
            "  buffers:\n"
            "    x: f32[2, 6] input #0\n"
            "    y: f32[1, 6] input #1\n"
            "    p: f32[6, 2] output #2\n"
            "    s: f32[2, 2] output #3\n"
            "    c: f32[3, 6] output #4\n"
            "    d: f32[3, 8] output #5\n"
            "  stages:\n"
            "    for i0 in 0..6, i1 in 0..2:  p[i0, i1] = x[i1, i0]  # permute, t.lua:3\n"
            "    for i0 in 0..2, i1 in 0..2:  s[i0, i1] = x[i0, 1 + (i1 * 2)]  # slice, t.lua:4\n"
            "    for i0 in 0..3, i1 in 0..6:  c[i0, i1] = where(lt(i0, 2), x[i0, i1], y[i0 - 2, i1])"
            "  # concat, t.lua:5\n"
            "    for i0 in 0..3, i1 in 0..8:  d[i0, i1] = where(logical_and(logical_and(ge(i0 - 1, 0), "
            "lt(i0 - 1, 2)), lt(i1, 6)), x[i0 - 1, i1], 0.0)  # pad, t.lua:6\n");
}
END_TEST

START_TEST(test_lower_reductions) {
  expect_ir("local N = dim('N')\n"
            "local x = input('x', f32, {N, 5})\n"
            "output('m', mean(x, 1))\n"
            "output('a', argmax(x, 0))\n",
            "loop program t:\n"
            "  buffers:\n"
            "    x: f32[N, 5] input #0\n"
            "    m: f32[N] output #1\n"
            "    a: i64[5] output #2\n"
            "  stages:\n"
            "    for i0 in 0..N:  m[i0] = sum(r0 in 0..5: x[i0, r0]) / 5.0  # mean, t.lua:3\n"
            "    for i0 in 0..5:  a[i0] = argmax(r1 in 0..N: x[r1, i0])  # argmax, t.lua:4\n");
}
END_TEST

START_TEST(test_lower_matmul_broadcast) {
  expect_ir("local B = dim('B')\n"
            "local a = input('a', f32, {B, 2, 3})\n"
            "local b = input('b', f32, {3, 4})\n"
            "output('c', matmul(a, b))\n",
            "loop program t:\n"
            "  buffers:\n"
            "    a: f32[B, 2, 3] input #0\n"
            "    b: f32[3, 4] input #1\n"
            "    c: f32[B, 2, 4] output #2\n"
            "  stages:\n"
            "    for i0 in 0..B, i1 in 0..2, i2 in 0..4:  c[i0, i1, i2] = "
            "sum(r0 in 0..3: a[i0, i1, r0] * b[r0, i2])  # matmul, t.lua:4\n");
}
END_TEST

START_TEST(test_lower_compute_checked) {
  const char *src = "local M = dim('M')\n"
                    "local K = dim('K')\n"
                    "local A = input('A', f32, {M, K})\n"
                    "local k = rvar(K)\n"
                    "output('r', compute({M}, function(i) return sum(k, A(i, k)) + A(i, 0) end))\n";
  tc_module *m = tcT_load(src);
  tc_loop_prog *p = tcT_lower(m, 0);
  ck_assert_msg(p->stages.len == 1 && p->stages.data[0].checked == 1,
                "the compute of\n%s\nshould be one checked stage", src);
  /* i over M and k over K are in range of A's axes; the constant 0 is
     not (K may be 0). */
  const tc_stage *s = &p->stages.data[0];
  const tc_sexpr *add = s->body;
  ck_assert_int_eq(add->op, TC_OP_ADD);
  const tc_sexpr *red = add->args[0], *ld2 = add->args[1];
  ck_assert_int_eq(red->op, TC_OP_REDUCE);
  const tc_sexpr *ld = red->args[0];
  ck_assert_int_eq(ld->op, TC_OP_LOAD);
  const tc_lbuf *A = &p->bufs.data[ld->ref];
  ck_assert_msg(tc_loop_index_in_range(p, s, ld->args[0], A->shape[0], s->body),
                "A(i, k): i over M should be in range of A's axis 0");
  ck_assert_msg(tc_loop_index_in_range(p, s, ld->args[1], A->shape[1], s->body),
                "A(i, k): k over K should be in range of A's axis 1");
  ck_assert_msg(!tc_loop_index_in_range(p, s, ld2->args[1], A->shape[1], s->body),
                "A(i, 0): 0 is not known to be below K");
  tc_loop_free(p);
  tc_module_free(m);
}
END_TEST

START_TEST(test_lower_einsum_and_scalars) {
  expect_ir("local a = input('a', f32, {2, 3})\n"
            "local b = input('b', f32, {3, 4})\n"
            "local s = input('s', f32, {})\n"
            "output('e', einsum('ik,kj->ij', a, b))\n"
            "output('t', compute({2}, function(i) return a(i, 0) * s() end))\n",
            "loop program t:\n"
            "  buffers:\n"
            "    a: f32[2, 3] input #0\n"
            "    b: f32[3, 4] input #1\n"
            "    s: f32[] input #2\n"
            "    e: f32[2, 4] output #3\n"
            "    t: f32[2] output #4\n"
            "  stages:\n"
            "    for i0 in 0..2, i1 in 0..4:  e[i0, i1] = sum(r0 in 0..3: a[i0, r0] * b[r0, i1])"
            "  # einsum, t.lua:4\n"
            "    for i0 in 0..2:  t[i0] = a[i0, 0] * s[]  # compute, checked, t.lua:5\n");
}
END_TEST

START_TEST(test_lower_reshape_chain_output) {
  /* reshape of a reshape aliases the first buffer; an output that is a
     reshape is a copy from the alias */
  expect_ir("local x = input('x', f32, {2, 6})\n"
            "local y = exp(x)\n"
            "output('r', reshape(reshape(y, {3, 4}), {12}))\n",
            "loop program t:\n"
            "  buffers:\n"
            "    x: f32[2, 6] input #0\n"
            "    r: f32[12] output #1\n"
            "    t1: f32[2, 6] temp\n"
            "    t2: f32[3, 4] alias of t1\n"
            "    t3: f32[12] alias of t1\n"
            "  stages:\n"
            "    for i0 in 0..2, i1 in 0..6:  t1[i0, i1] = exp(x[i0, i1])  # exp, t.lua:2\n"
            "    for i0 in 0..12:  r[i0] = t3[i0]  # copy, t.lua:3\n");
}
END_TEST

START_TEST(test_lower_argmin_keepdim) {
  /* the front end casts x to i64 before the sum (a node of its own) */
  expect_ir("local x = input('x', i32, {3, 4})\n"
            "output('a', argmin(x, 1, true))\n"
            "output('s', sum(x, {0, 1}))\n",
            "loop program t:\n"
            "  buffers:\n"
            "    x: i32[3, 4] input #0\n"
            "    a: i64[3, 1] output #1\n"
            "    s: i64[] output #2\n"
            "    t2: i64[3, 4] temp\n"
            "  stages:\n"
            "    for i0 in 0..3, i1 in 0..1:  a[i0, i1] = argmin(r0 in 0..4: x[i0, r0])  # argmin, t.lua:2\n"
            "    for i0 in 0..3, i1 in 0..4:  t2[i0, i1] = i64(x[i0, i1])  # cast, t.lua:3\n"
            "    s[] = sum(r1 in 0..3: sum(r2 in 0..4: t2[r1, r2]))  # sum, t.lua:3\n");
}
END_TEST

START_TEST(test_dce) {
  /* exp(x) and the compute are dead; the unused input w stays */
  const char *src = "local x = input('x', f32, {4})\n"
                    "local w = input('w', f32, {4})\n"
                    "local z = exp(x)\n"
                    "local c = compute({4}, function(i) return z(i) * 2 end)\n"
                    "local y = x + 1\n"
                    "output('y', y * y)\n";
  tc_module *m = tcT_load(src);
  tc_kernel *k = m->kernels.data[0];
  tc_diag d = {0};
  ck_assert_int_eq(tcP_dce(m, &d), 0);
  ck_assert_msg(tc_graph_verify(m, &d) == 0, "graph after dce does not verify: %s", d.msg);
  ck_assert_msg(count_op(k, TC_OP_EXP) == 0 && count_op(k, TC_OP_COMPUTE) == 0,
                "dce kept a dead node of\n%s", src);
  ck_assert_msg(count_op(k, TC_OP_INPUT) == 2, "dce dropped an input of\n%s", src);
  ck_assert_msg(count_op(k, TC_OP_MUL) == 1 && count_op(k, TC_OP_ADD) == 1,
                "dce dropped a live node of\n%s", src);
  const tc_node *out = &k->nodes.data[k->args.data[2].node];
  ck_assert_msg(out->op == TC_OP_MUL && k->nodes.data[out->in[0]].op == TC_OP_ADD,
                "output y should be mul(add(...)) after renumbering, is %s", tc_op_name(out->op));
  tc_loop_prog *p = tcT_lower(m, 0);
  ck_assert_int_eq(p->stages.len, 2);
  tc_loop_free(p);
  tc_module_free(m);
}
END_TEST

START_TEST(test_decompose_softmax) {
  const char *src = "local x = input('x', f32, {2, 3})\n"
                    "output('y', softmax(x, 1))\n"
                    "output('z', log_softmax(x, 0))\n";
  tc_module *m = tcT_load(src);
  const tc_kernel *k = m->kernels.data[0];
  ck_assert_msg(count_op(k, TC_OP_SOFTMAX) == 0 && count_op(k, TC_OP_LOG_SOFTMAX) == 0,
                "decompose left a softmax in\n%s", src);
  ck_assert_msg(count_op(k, TC_OP_MAX) == 2 && count_op(k, TC_OP_SUM) == 2 &&
                    count_op(k, TC_OP_EXP) == 2 && count_op(k, TC_OP_LOG) == 1,
                "softmax + log_softmax should give 2 max, 2 sum, 2 exp, 1 log; got %d %d %d %d",
                count_op(k, TC_OP_MAX), count_op(k, TC_OP_SUM), count_op(k, TC_OP_EXP),
                count_op(k, TC_OP_LOG));
  /* locations are kept */
  for (int i = 0; i < k->nodes.len; i++)
    if (k->nodes.data[i].op == TC_OP_EXP)
      ck_assert_msg(k->nodes.data[i].loc.line == 2 || k->nodes.data[i].loc.line == 3,
                    "exp node %d has line %d, expected 2 or 3", i, k->nodes.data[i].loc.line);
  tc_loop_prog *p = tcT_lower(m, 0);
  ck_assert_msg(p->stages.len == 12,
                "softmax (6 stages) + log_softmax (6) gave %d stages", p->stages.len);
  tc_loop_free(p);
  tc_module_free(m);
}
END_TEST

START_TEST(test_decompose_norms) {
  const char *src = "local N = dim('N')\n"
                    "local x = input('x', f32, {N, 2, 3, 3})\n"
                    "local g = weight('g', f32, {3})\n"
                    "local c = weight('c', f32, {2})\n"
                    "local h = input('h', f32, {N, 4})\n"
                    "output('a', layer_norm(x, 2, nil, nil, 1e-5))\n"
                    "output('b', rms_norm(x, g, 1e-6))\n"
                    "output('d', batch_norm(x, c, c, c, c, 1e-5))\n"
                    "local k = rvar(4)\n"
                    "local q = exp(h)\n"
                    "output('e', compute({N}, function(i) return sum(k, q(i, k)) end))\n";
  tc_module *m = tcT_load(src);
  const tc_kernel *k = m->kernels.data[0];
  ck_assert_msg(count_op(k, TC_OP_LAYER_NORM) + count_op(k, TC_OP_RMS_NORM) +
                        count_op(k, TC_OP_BATCH_NORM) ==
                    0,
                "decompose left a norm in\n%s", src);
  ck_assert_msg(count_op(k, TC_OP_RSQRT) == 3, "3 norms should give 3 rsqrt, got %d",
                count_op(k, TC_OP_RSQRT));
  /* the compute body's LOAD names q = exp(h), made after the norms, by
     its new id */
  int h = k->args.data[3].node;
  for (int i = 0; i < k->nodes.len; i++)
    if (k->nodes.data[i].op == TC_OP_COMPUTE) {
      const tc_sexpr *ld = k->nodes.data[i].body->args[0];
      ck_assert_msg(ld->op == TC_OP_LOAD, "compute body should be a load");
      const tc_node *q = &k->nodes.data[ld->ref];
      ck_assert_msg(q->op == TC_OP_EXP && q->in[0] == h,
                    "compute's load should read exp(h) (h = node %d) after renumbering, "
                    "reads node %d (%s)", h, ld->ref, tc_op_name(q->op));
    }
  tc_loop_prog *p = tcT_lower(m, 0);
  tc_loop_free(p);
  tc_module_free(m);
}
END_TEST

START_TEST(test_verify_rejects_bad_load) {
  tc_module *m = tcT_load("local x = input('x', f32, {4})\noutput('y', x + 1)\n");
  tc_loop_prog *p = tcT_lower(m, 0);
  /* a load of the rank-1 input with two indices */
  const tc_sexpr *idx[2] = {tc_loop_sx_ivar(p, 0), tc_loop_sx_ivar(p, 0)};
  tc_sexpr *ld = (tc_sexpr *)tc_loop_sx_load(p, 0, idx);
  ld->nargs = 2;
  tc_stage s = {.out = 1, .body = ld, .what = "bad"};
  tc_loop_add_stage(p, &s);
  tc_diag d = {0};
  ck_assert_msg(tc_loop_verify(p, &d) != 0, "a load with 2 indices of a rank-1 buffer verified");
  ck_assert_msg(strstr(d.msg, "index count") != NULL, "verifier said: %s", d.msg);
  tc_loop_free(p);
  tc_module_free(m);
}
END_TEST

START_TEST(test_verify_rejects_free_rvar) {
  tc_module *m = tcT_load("local x = input('x', f32, {4})\noutput('y', x + 1)\n");
  tc_loop_prog *p = tcT_lower(m, 0);
  int r = tc_loop_new_rvar(p);
  const tc_sexpr *idx[1] = {tc_loop_sx_rvar(p, r)};
  tc_stage s = {.out = 1, .body = tc_loop_sx_load(p, 0, idx), .what = "bad"};
  tc_loop_add_stage(p, &s);
  tc_diag d = {0};
  ck_assert_msg(tc_loop_verify(p, &d) != 0, "an rvar outside its reduction verified");
  tc_loop_free(p);
  tc_module_free(m);
}
END_TEST

START_TEST(test_print_deterministic) {
  const char *src = "local N = dim('N')\n"
                    "local x = input('x', f32, {N, 3})\n"
                    "output('y', softmax(x * 2, 1))\n";
  char *first = NULL;
  for (int rep = 0; rep < 2; rep++) {
    tc_module *m = tcT_load(src);
    tc_loop_prog *p = tcT_lower(m, 0);
    char *s = print_prog(p);
    if (!first) first = s;
    else {
      ck_assert_msg(!strcmp(first, s), "printing the loop IR twice differed:\n%s\n---\n%s", first, s);
      free(s);
    }
    tc_loop_free(p);
    tc_module_free(m);
  }
  free(first);
}
END_TEST

int main(void) {
  Suite *s = suite_create("passes");
  TCase *tc = tcase_create("lower");
  tcase_add_test(tc, test_lower_linear_relu);
  tcase_add_test(tc, test_lower_broadcast_and_const);
  tcase_add_test(tc, test_lower_dead_code_and_copies);
  tcase_add_test(tc, test_lower_reshape_is_alias);
  tcase_add_test(tc, test_lower_shapes);
  tcase_add_test(tc, test_lower_reductions);
  tcase_add_test(tc, test_lower_matmul_broadcast);
  tcase_add_test(tc, test_lower_compute_checked);
  tcase_add_test(tc, test_lower_einsum_and_scalars);
  tcase_add_test(tc, test_lower_reshape_chain_output);
  tcase_add_test(tc, test_lower_argmin_keepdim);
  suite_add_tcase(s, tc);
  TCase *td = tcase_create("decompose");
  tcase_add_test(td, test_decompose_softmax);
  tcase_add_test(td, test_decompose_norms);
  tcase_add_test(td, test_dce);
  suite_add_tcase(s, td);
  TCase *tv = tcase_create("loop");
  tcase_add_test(tv, test_verify_rejects_bad_load);
  tcase_add_test(tv, test_verify_rejects_free_rvar);
  tcase_add_test(tv, test_print_deterministic);
  suite_add_tcase(s, tv);
  add_ops3_tests(s);
  add_fuse_tests(s);
  add_nest_tests(s);
  add_vectorize_tests(s);
  add_gemm_tests(s);
  add_fold_tests(s);
  add_nhwc_tests(s);
  add_schedule_tests(s);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
