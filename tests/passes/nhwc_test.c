/*
 * nhwc_test.c: an NCHW conv2d run as an NHWC one between permutes
 * (passes/nhwc.c): which convolutions are rewritten, what the rewrite
 * makes, and what precompute, fusion, schedule and the GEMM pass then do
 * with it.  That the rewritten kernels compute what the reference
 * interpreter does is tests/e2e/dsl/conv_nchw_nhwc.lua's job.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/lang.h"
#include "passes/passes.h"
#include "passes_tests.h"

static const char head[] =
    "local N, H, W = dim('N'), dim('H'), dim('W')\n"
    "local x = input('x', f32, {N, 4, H, W})\n"
    "local w = weight('w', f32, {8, 4, 3, 3})\n"
    "local b = weight('b', f32, {8})\n";

/* The module of src after fold, nhwc, decompose and dce; verified. */
static tc_module *load_nhwc(const char *src) { return tcT_load_rewritten(src, 1); }

/* The number of NHWC conv2d nodes of src's first kernel after nhwc. */
static int nhwc_convs(const char *src) {
  tc_module *m = load_nhwc(src);
  const tc_kernel *k = m->kernels.data[0];
  int n = 0;
  for (int i = 0; i < k->nodes.len; i++) {
    const tc_node *c = &k->nodes.data[i];
    n += c->op == TC_OP_CONV2D && c->ints[7] != 0;
  }
  tc_module_free(m);
  return n;
}

START_TEST(test_nhwc_rewrites) {
  char src[2048];
  snprintf(src, sizeof src,
           "%slocal r = input('r', f32, {N, 8, H, W})\n"
           "output('y', relu(conv2d(x, w, b, {padding = 1}) + r))\n",
           head);
  tc_module *m = load_nhwc(src);
  tc_buf b = {0};
  tc_graph_print(&b, m);
  ck_assert_msg(strstr(b.data, "permute(%0, perm=[0, 2, 3, 1]) : f32[N, H, W, 4]   # t.lua:6, "
                               "permute (the input of the conv2d of line 6 to NHWC)"),
                "%s", b.data);
  ck_assert_msg(strstr(b.data, "permute(%1, perm=[2, 3, 1, 0]) : f32[3, 3, 4, 8]   # t.lua:6, "
                               "permute (the weights of the conv2d of line 6 to [kh, kw, Cin, "
                               "Cout])"),
                "%s", b.data);
  ck_assert_msg(strstr(b.data, "groups=1, NHWC, bias) : f32[N, H, W, 8]   # t.lua:6, conv2d (an "
                               "NCHW conv2d run as NHWC)"),
                "%s", b.data);
  ck_assert_msg(strstr(b.data, "perm=[0, 3, 1, 2]) : f32[N, 8, H, W]   # t.lua:6, permute (the "
                               "result of the conv2d of line 6 back to NCHW)"),
                "%s", b.data);
  tc_buf_free(&b);
  /* the loop program: the weight's permute at create, the input's a
     tiled transpose, the convolution on the template (B packed at
     create, the bias its epilogue), the residual and the relu fused into
     the copy back, tiled too */
  tc_diag d = {0};
  tc_loop_prog *p = tcT_lower(m, 0);
  ck_assert(tcP_precompute(p, &d) == 0);
  ck_assert(tcP_fuse(p, &d) == 0);
  ck_assert(tcP_schedule(p, &d) == 0);
  ck_assert(tcP_gemm(p, &d) == 0);
  ck_assert(tcP_chunk(p, &d) == 0);
  ck_assert(tcP_nest(p, &d) == 0);
  ck_assert_msg(tc_loop_verify(p, &d) == 0, "%s", d.msg);
  tc_loop_print(&b, p);
  ck_assert_msg(strstr(b.data, "t5: f32[3, 3, 4, 8] computed at create"), "%s", b.data);
  ck_assert_msg(strstr(b.data, "t4[i0, i1, i2, i3] = x[i0, i3, i1, i2]  # permute (the input of "
                               "the conv2d of line 6 to NHWC), t.lua:6, schedule (chosen): tile "
                               "32x32"),
                "%s", b.data);
  ck_assert_msg(strstr(b.data, "GEMM template (convolution NHWC of t4 by t5, packed at create; "
                               "epilogue t6[i0, i1, i2, i3] + b[i3])"),
                "%s", b.data);
  ck_assert_msg(strstr(b.data, "y[i0, i1, i2, i3] = relu(t6[i0, i2, i3, i1] + r[i0, i1, i2, i3])  "
                               "# permute (the result of the conv2d of line 6 back to NCHW) + "
                               "add + relu, t.lua:6, schedule (chosen): tile 32x1x32"),
                "%s", b.data);
  tc_buf_free(&b);
  tc_loop_free(p);
  tc_module_free(m);
  /* a batch_norm folds first; strides, dilations, a 1x1 window with
     padding or a stride are taken; two convolutions of one input and one
     weight share their permutes */
  snprintf(src, sizeof src,
           "%slocal m, v = weight('m', f32, {8}), weight('v', f32, {8})\n"
           "output('y', batch_norm(conv2d(x, w, b, {stride = 2, dilation = {1, 2}}), m, v, nil, "
           "nil, 1e-5))\n",
           head);
  m = load_nhwc(src);
  tc_graph_print(&b, m);
  ck_assert_msg(strstr(b.data, "conv2d (an NCHW conv2d run as NHWC; the batch_norm of line 6 "
                               "folded into its weights and bias)"),
                "%s", b.data);
  tc_buf_free(&b);
  tc_module_free(m);
  snprintf(src, sizeof src,
           "%slocal w1 = weight('w1', f32, {8, 4, 1, 1})\n"
           "output('y', conv2d(x, w1, nil, {padding = 1}))\n"
           "output('z', conv2d(x, w1, nil, {stride = 2}))\n",
           head);
  ck_assert_int_eq(nhwc_convs(src), 2);
  m = load_nhwc(src);
  int np = 0;
  const tc_kernel *k = m->kernels.data[0];
  for (int i = 0; i < k->nodes.len; i++) np += k->nodes.data[i].op == TC_OP_PERMUTE;
  ck_assert_int_eq(np, 4); /* x, w1, and the two results */
  tc_module_free(m);
}
END_TEST

START_TEST(test_nhwc_refused) {
  char src[2048];
  /* a 1x1 window of stride 1 without padding (the template reads x in
     place), grouped, not f32, the weight an input (weights have static shapes),
     a schedule() hint on the convolution or on its input, NHWC already */
  snprintf(src, sizeof src,
           "%slocal w1 = weight('w1', f32, {8, 4, 1, 1})\n"
           "output('y', conv2d(x, w1, b))\n",
           head);
  ck_assert_int_eq(nhwc_convs(src), 0);
  snprintf(src, sizeof src,
           "%slocal wg = weight('wg', f32, {8, 2, 3, 3})\n"
           "output('y', conv2d(x, wg, b, {groups = 2}))\n",
           head);
  ck_assert_int_eq(nhwc_convs(src), 0);
  ck_assert_int_eq(nhwc_convs("local x = input('x', f64, {1, 4, 5, 5})\n"
                              "local w = weight('w', f64, {8, 4, 3, 3})\n"
                              "output('y', conv2d(x, w))\n"),
                   0);
  snprintf(src, sizeof src,
           "%slocal wi = input('wi', f32, {8, 4, 3, 3})\n"
           "output('y', conv2d(x, wi, b))\n",
           head);
  ck_assert_int_eq(nhwc_convs(src), 0);
  snprintf(src, sizeof src,
           "%slocal c = conv2d(x, w, b)\n"
           "schedule(c, {tile = {8, 8}})\n"
           "output('y', relu(c))\n",
           head);
  ck_assert_int_eq(nhwc_convs(src), 0);
  snprintf(src, sizeof src,
           "%slocal x2 = x * 2\n"
           "schedule(x2, {vectorize = 8})\n"
           "output('y', conv2d(x2, w, b))\n",
           head);
  ck_assert_int_eq(nhwc_convs(src), 0);
  /* NHWC already: as it was (one NHWC conv2d, no permute) */
  ck_assert_int_eq(nhwc_convs("local x = input('x', f32, {1, 5, 5, 4})\n"
                              "local w = weight('w', f32, {3, 3, 4, 8})\n"
                              "output('y', conv2d(x, w, nil, {layout = 'NHWC'}))\n"),
                   1);
  /* without one that applies, the graph is left as it is: a control */
  snprintf(src, sizeof src, "%soutput('y', conv2d(x, w, b))\n", head);
  ck_assert_int_eq(nhwc_convs(src), 1);
}
END_TEST

/* Stride 1, few input channels, a wide static output (tc_conv_direct):
   left NCHW for the template's direct kernel, unless a max pool reads it
   through elementwise ops (the pool fuses into the copy back from NHWC);
   a stride of 2 or a narrow output: rewritten. */
START_TEST(test_nhwc_direct) {
  static const char conv[] = "local x = input('x', f32, {1, 16, 20, 40})\n"
                             "local w = weight('w', f32, {8, 16, 3, 3})\n"
                             "local b = weight('b', f32, {8})\n";
  char src[1024];
  snprintf(src, sizeof src, "%soutput('y', relu(conv2d(x, w, b, {padding = 1})))\n", conv);
  ck_assert_int_eq(nhwc_convs(src), 0);
  snprintf(src, sizeof src,
           "%soutput('y', max_pool2d(relu(conv2d(x, w, b, {padding = 1})), 2))\n", conv);
  ck_assert_int_eq(nhwc_convs(src), 1);
  snprintf(src, sizeof src, "%soutput('y', max_pool2d(conv2d(x, w, b), 2))\n", conv);
  ck_assert_int_eq(nhwc_convs(src), 1);
  snprintf(src, sizeof src, "%soutput('y', conv2d(x, w, b, {stride = 2, padding = 1}))\n", conv);
  ck_assert_int_eq(nhwc_convs(src), 1);
  /* an output 12 wide: under 8 times the 2 columns the grid computes for nothing */
  ck_assert_int_eq(nhwc_convs("local x = input('x', f32, {1, 16, 20, 12})\n"
                              "local w = weight('w', f32, {8, 16, 3, 3})\n"
                              "output('y', conv2d(x, w, nil, {padding = 1}))\n"),
                   1);
  /* a value read twice at each of 40 levels after the convolution: the
     search for a pool after it takes one sweep, not 2^40 paths (found by
     review: 30 levels took 16 s) */
  {
    char deep[4096];
    int at = snprintf(deep, sizeof deep, "%slocal a = relu(conv2d(x, w, b, {padding = 1}))\n", conv);
    for (int i = 0; i < 40; i++) at += snprintf(deep + at, sizeof deep - (size_t)at, "a = a * a\n");
    snprintf(deep + at, sizeof deep - (size_t)at, "output('y', a)\n");
    ck_assert_int_eq(nhwc_convs(deep), 0);
  }
  /* 128 input channels: their window rows overflow L1 */
  ck_assert_int_eq(nhwc_convs("local x = input('x', f32, {1, 128, 20, 40})\n"
                              "local w = weight('w', f32, {8, 128, 3, 3})\n"
                              "output('y', conv2d(x, w, nil, {padding = 1}))\n"),
                   1);
}
END_TEST

void add_nhwc_tests(Suite *s) {
  TCase *tc = tcase_create("nhwc");
  tcase_add_test(tc, test_nhwc_rewrites);
  tcase_add_test(tc, test_nhwc_refused);
  tcase_add_test(tc, test_nhwc_direct);
  suite_add_tcase(s, tc);
}
