/*
 * fold_test.c: a batch_norm folded into the conv2d before it
 * (passes/fold.c), and the values of the weights alone computed at
 * create (passes/precompute.c): which graphs are rewritten, what the
 * rewrite makes, which buffers become CREATE and what fusion and the
 * GEMM pass then do with them.  That the folded kernels compute what the
 * reference interpreter does is tests/e2e/dsl/conv_bn.lua's job.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/lang.h"
#include "passes/passes.h"
#include "passes_tests.h"

static const char conv_bn[] =
    "local N, H, W = dim('N'), dim('H'), dim('W')\n"
    "local x = input('x', f32, {N, 4, H, W})\n"
    "local w = weight('w', f32, {8, 4, 3, 3})\n"
    "local b = weight('b', f32, {8})\n"
    "local m, v = weight('m', f32, {8}), weight('v', f32, {8})\n"
    "local g, be = weight('g', f32, {8}), weight('be', f32, {8})\n";

/* The module of src with fold, then decompose, run; verified. */
static tc_module *load_folded(const char *src) { return tcT_load_rewritten(src, 0); }

static char *graph_of(const tc_module *m) {
  tc_buf b = {0};
  tc_graph_print(&b, m);
  return tc_buf_steal(&b);
}

static int count_op(const tc_kernel *k, tc_op op) {
  int n = 0;
  for (int i = 0; i < k->nodes.len; i++) n += k->nodes.data[i].op == op;
  return n;
}

/* 1 when the graph of src, folded, still computes a batch norm after its
   convolution (decompose's sub of the mean from the conv's result). */
static int bn_stays(const char *src) {
  tc_module *m = load_folded(src);
  const tc_kernel *k = m->kernels.data[0];
  int stays = 0;
  for (int i = 0; i < k->nodes.len; i++) {
    const tc_node *n = &k->nodes.data[i];
    if (n->op == TC_OP_SUB && n->nin == 2 && k->nodes.data[n->in[0]].op == TC_OP_CONV2D)
      stays = 1;
  }
  tc_module_free(m);
  return stays;
}

START_TEST(test_fold_rewrites) {
  char src[2048];
  snprintf(src, sizeof src,
           "%soutput('y', relu(batch_norm(conv2d(x, w, b, {padding = 1}), m, v, g, be, 1e-5)))\n",
           conv_bn);
  tc_module *m = load_folded(src);
  const tc_kernel *k = m->kernels.data[0];
  char *ir = graph_of(m);
  /* one convolution, now with the folded bias, its weights w * s */
  ck_assert_msg(count_op(k, TC_OP_CONV2D) == 1, "%s", ir);
  ck_assert_msg(strstr(ir, "groups=1, bias) : f32[N, 8, H, W]   # t.lua:7, conv2d (the "
                           "batch_norm of line 7 folded into its weights and bias)"),
                "folding\n%s\ngave\n%s", src, ir);
  ck_assert_msg(strstr(ir, ": f32[8, 4, 3, 3]   # t.lua:7, mul (the weights of the conv2d of "
                           "line 7 times batch_norm's scale)"),
                "%s", ir);
  ck_assert_msg(strstr(ir, "add (the bias of the conv2d of line 7 with batch_norm folded in)"),
                "%s", ir);
  /* the result: relu of the convolution */
  const tc_node *y = &k->nodes.data[k->args.data[k->args.len - 1].node];
  ck_assert_msg(y->op == TC_OP_RELU && k->nodes.data[y->in[0]].op == TC_OP_CONV2D, "%s", ir);
  free(ir);
  tc_module_free(m);
}
END_TEST

START_TEST(test_fold_refused) {
  char src[2048];
  /* folded: without the conv's bias, without gamma and beta, grouped */
  snprintf(src, sizeof src, "%soutput('y', batch_norm(conv2d(x, w), m, v, nil, nil, 1e-5))\n",
           conv_bn);
  ck_assert_msg(!bn_stays(src), "not folded:\n%s", src);
  snprintf(src, sizeof src,
           "%slocal wg = weight('wg', f32, {8, 2, 3, 3})\n"
           "output('y', batch_norm(conv2d(x, wg, nil, {groups = 2}), m, v, g, be, 1e-5))\n",
           conv_bn);
  ck_assert_msg(!bn_stays(src), "not folded:\n%s", src);
  /* not folded: the mean an input, the conv read twice or an output, the
     weight an input, NHWC (axis 1 is not the output channel) */
  snprintf(src, sizeof src,
           "%slocal mi = input('mi', f32, {8})\n"
           "output('y', batch_norm(conv2d(x, w), mi, v, g, be, 1e-5))\n",
           conv_bn);
  ck_assert_msg(bn_stays(src), "folded:\n%s", src);
  snprintf(src, sizeof src,
           "%slocal c = conv2d(x, w)\n"
           "output('y', batch_norm(c, m, v, g, be, 1e-5) + c)\n",
           conv_bn);
  ck_assert_msg(bn_stays(src), "folded:\n%s", src);
  snprintf(src, sizeof src,
           "%slocal c = conv2d(x, w)\n"
           "output('c', c)\n"
           "output('y', batch_norm(c, m, v, g, be, 1e-5))\n",
           conv_bn);
  ck_assert_msg(bn_stays(src), "folded:\n%s", src);
  snprintf(src, sizeof src,
           "%slocal wi = input('wi', f32, {8, 4, 3, 3})\n"
           "output('y', batch_norm(conv2d(x, wi), m, v, g, be, 1e-5))\n",
           conv_bn);
  ck_assert_msg(bn_stays(src), "folded:\n%s", src);
  snprintf(src, sizeof src,
           "local N = dim('N')\n"
           "local x = input('x', f32, {N, 6, 5, 4})\n"
           "local w = weight('w', f32, {3, 3, 4, 8})\n"
           "local m, v = weight('m', f32, {6}), weight('v', f32, {6})\n"
           "output('y', batch_norm(conv2d(x, w, nil, {padding = 1, layout = 'NHWC'}), m, v, nil, "
           "nil, 1e-5))\n");
  ck_assert_msg(bn_stays(src), "folded:\n%s", src);
}
END_TEST

/* The loop program of src after fold .. gemm, printed. */
static char *after_gemm(const char *src) {
  tc_diag d = {0};
  tc_module *m = load_folded(src);
  tc_loop_prog *p = tcT_lower(m, 0);
  ck_assert(tcP_precompute(p, &d) == 0);
  ck_assert_msg(tc_loop_verify(p, &d) == 0, "after precompute:\n%s\ndoes not verify: %s", src,
                d.msg);
  ck_assert(tcP_fuse(p, &d) == 0);
  ck_assert(tcP_schedule(p, &d) == 0);
  ck_assert(tcP_gemm(p, &d) == 0);
  ck_assert(tcP_chunk(p, &d) == 0);
  ck_assert(tcP_nest(p, &d) == 0);
  ck_assert_msg(tc_loop_verify(p, &d) == 0, "after gemm:\n%s\ndoes not verify: %s", src, d.msg);
  tc_buf b = {0};
  tc_loop_print(&b, p);
  tc_loop_free(p);
  tc_module_free(m);
  return tc_buf_steal(&b);
}

START_TEST(test_precompute) {
  char src[2048];
  snprintf(src, sizeof src,
           "%soutput('y', relu(batch_norm(conv2d(x, w, b, {padding = 1}), m, v * v + 0.5, g, be, "
           "1e-5)))\n",
           conv_bn);
  char *ir = after_gemm(src);
  /* the scale (v * v + 0.5 included), the weights and the bias at create,
     each chain fused into one stage; the convolution in P_run, on the
     folded weights, its epilogue the bias and the relu */
  ck_assert_msg(strstr(ir, "    t13: f32[8] computed at create\n"
                           "    t14: f32[8, 1, 1, 1] alias of t13\n"
                           "    t15: f32[8, 4, 3, 3] computed at create\n"
                           "    t18: f32[8] computed at create\n"),
                "%s", ir);
  ck_assert_msg(strstr(ir, "t13[i0] = rsqrt(((v[i0] * v[i0]) + 0.5) + 1e-05) * g[i0]"), "%s", ir);
  ck_assert_msg(strstr(ir, "t18[i0] = ((b[i0] - m[i0]) * t13[i0]) + be[i0]"), "%s", ir);
  ck_assert_msg(strstr(ir, "GEMM template (convolution NCHW of x by t15; epilogue "
                           "relu(y[i0, i1, i2, i3] + t18[i1]))"),
                "%s", ir);
  free(ir);
  /* an input anywhere below: at run time, as before */
  snprintf(src, sizeof src,
           "%slocal mi = input('mi', f32, {8})\n"
           "output('y', batch_norm(conv2d(x, w), mi, v, g, be, 1e-5))\n",
           conv_bn);
  ir = after_gemm(src);
  ck_assert_msg(strstr(ir, "computed at create"), "%s", ir); /* rsqrt(v + eps): weights only */
  ck_assert_msg(strstr(ir, "- t9[i1, 0, 0]) * t13[i1, 0, 0]"), "%s", ir); /* t9: mi reshaped */
  free(ir);
  /* a B computed at create is packed at create */
  ir = after_gemm("local N = dim('N')\n"
                  "local x = input('x', f32, {N, 16})\n"
                  "local w, s = weight('w', f32, {16, 24}), weight('s', f32, {24})\n"
                  "output('y', matmul(x, w * s))\n");
  ck_assert_msg(strstr(ir, "t3: f32[16, 24] computed at create"), "%s", ir);
  ck_assert_msg(strstr(ir, "GEMM template (A x, B t3, packed at create)"), "%s", ir);
  free(ir);
  /* not at create: a compute() body (its loads are checked), here with a
     dim in it */
  ir = after_gemm("local N = dim('N')\n"
                  "local x = input('x', f32, {N, 4})\n"
                  "local w = weight('w', f32, {4})\n"
                  "output('y', x + w * 2)\n"
                  "output('z', x + compute({4}, function(i) return w(i) * N end))\n");
  ck_assert_msg(strstr(ir, "t3: f32[4] computed at create\n    t5: f32[4] temp\n"), "%s", ir);
  ck_assert_msg(strstr(ir, "y[i0, i1] = x[i0, i1] + t3[i1]"), "%s", ir);
  free(ir);
}
END_TEST

void add_fold_tests(Suite *s) {
  TCase *tc = tcase_create("fold");
  tcase_add_test(tc, test_fold_rewrites);
  tcase_add_test(tc, test_fold_refused);
  tcase_add_test(tc, test_precompute);
  suite_add_tcase(s, tc);
}
