/*
 * ops3_test.c: lowering of the operations of issue 3 (convolution,
 * pooling, sparse, indexing, quantization) and the quantized-operation
 * pattern (passes/quant.c).  Each test states the program it ran and what
 * it expected.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/lang.h"
#include "passes/passes.h"
#include "passes_tests.h"

/* The module of DSL text `src` (t.lua), decomposed, dce'd and run through
   the quant pass, verified after each. */
static tc_module *load_q(const char *src) {
  tc_diag d = {0};
  tcL_options o = {0};
  tc_module *m = tcL_load_string(src, "t.lua", &o, &d);
  ck_assert_msg(m != NULL, "loading\n%s\nfailed: %s", src, d.msg);
  ck_assert_msg(tcP_decompose(m, &d) == 0 && tcP_dce(m, &d) == 0, "decompose/dce failed: %s",
                d.msg);
  ck_assert_msg(tcP_quant(m, &d) == 0, "quant of\n%s\nfailed: %s", src, d.msg);
  ck_assert_msg(tc_graph_verify(m, &d) == 0, "the graph of\n%s\nafter quant does not verify: %s",
                src, d.msg);
  return m;
}

static int count(const tc_kernel *k, tc_op op) {
  int n = 0;
  for (int i = 0; i < k->nodes.len; i++) n += k->nodes.data[i].op == op;
  return n;
}

static const tc_node *find(const tc_kernel *k, tc_op op) {
  for (int i = 0; i < k->nodes.len; i++)
    if (k->nodes.data[i].op == op) return &k->nodes.data[i];
  return NULL;
}

/* The loop IR of src's first kernel (after quant) as text; it verifies. */
static char *lowered(const char *src) {
  tc_module *m = load_q(src);
  tc_diag d = {0};
  tc_loop_prog *p = tcP_lower(m, m->kernels.data[0], &d);
  ck_assert_msg(p != NULL, "lowering\n%s\nfailed: %s", src, d.msg);
  ck_assert_msg(tc_loop_verify(p, &d) == 0, "the loop IR of\n%s\ndoes not verify: %s", src, d.msg);
  tc_buf b = {0};
  tc_loop_print(&b, p);
  tc_loop_free(p);
  tc_module_free(m);
  return tc_buf_steal(&b);
}

static void expect_in(const char *src, const char *got, const char *want) {
  ck_assert_msg(strstr(got, want) != NULL, "lowering\n%s\ngave\n%s\nwhich lacks\n%s", src, got,
                want);
}

/* ---- the quantized pattern ------------------------------------------------ */

static const char linear_src[] =
    "local B = dim('B')\n"
    "local qx = input('qx', u8, {B, 16})\n"
    "local qw = weight('qw', i8, {8, 16})\n"
    "local b = weight('b', f32, {8})\n"
    "local r = input('r', f32, {B, 8})\n"
    "local y = relu(linear(dequantize(qx, 0.05, 128), dequantize(qw, 0.02, 0), b)) + r\n"
    "output('q', quantize(y, 0.04, 10, u8))\n";

START_TEST(test_quant_linear_recognized) {
  tc_module *m = load_q(linear_src);
  const tc_kernel *k = m->kernels.data[0];
  const tc_node *f = find(k, TC_OP_QUANTIZED);
  ck_assert_msg(f && count(k, TC_OP_QUANTIZED) == 1,
                "dequantize -> linear -> relu -> add -> quantize in\n%s\ngave %d quantized nodes, "
                "expected 1", linear_src, count(k, TC_OP_QUANTIZED));
  ck_assert_msg(count(k, TC_OP_LINEAR) + count(k, TC_OP_DEQUANTIZE) + count(k, TC_OP_RELU) +
                        count(k, TC_OP_ADD) + count(k, TC_OP_QUANTIZE) == 0,
                "the float nodes the quantized op replaces should be gone");
  ck_assert_msg(f->ints[TCP_Q_OP] == TC_OP_LINEAR && f->ints[TCP_Q_ACT] == TC_OP_RELU &&
                    f->ints[TCP_Q_HAS_BIAS] == 1 && f->ints[TCP_Q_PRE_ADD] == 0 &&
                    f->ints[TCP_Q_POST_ADD] == 1 && f->ints[TCP_Q_ACC] == TC_DT_I32 &&
                    f->ints[TCP_Q_ZX] == 128 && f->ints[TCP_Q_ZO] == 10 && f->nin == 4 &&
                    f->dtype == TC_DT_U8,
                "the quantized node's attributes: op %lld act %lld bias %lld pre %lld post %lld "
                "acc %lld zx %lld zo %lld nin %d",
                (long long)f->ints[TCP_Q_OP], (long long)f->ints[TCP_Q_ACT],
                (long long)f->ints[TCP_Q_HAS_BIAS], (long long)f->ints[TCP_Q_PRE_ADD],
                (long long)f->ints[TCP_Q_POST_ADD], (long long)f->ints[TCP_Q_ACC],
                (long long)f->ints[TCP_Q_ZX], (long long)f->ints[TCP_Q_ZO], f->nin);
  tc_buf b = {0};
  tc_graph_print(&b, m);
  ck_assert_msg(strstr(b.data, "quantized(%0, %1, %2, %3, linear, bias, relu, add, acc=i32") != NULL,
                "the printed graph shows the quantized op:\n%s", b.data);
  tc_buf_free(&b);
  tc_module_free(m);
}
END_TEST

START_TEST(test_quant_second_consumer_not_recognized) {
  static const char *const srcs[] = {
      /* the linear's float result is also an output */
      "local B = dim('B')\n"
      "local qx = input('qx', u8, {B, 8})\n"
      "local qw = weight('qw', i8, {4, 8})\n"
      "local y = linear(dequantize(qx, 0.05, 128), dequantize(qw, 0.02, 0))\n"
      "output('q', quantize(y, 0.04, 10, u8))\n"
      "output('f', y)\n",
      /* the relu's result feeds a second op */
      "local B = dim('B')\n"
      "local qx = input('qx', u8, {B, 8})\n"
      "local qw = weight('qw', i8, {4, 8})\n"
      "local y = relu(linear(dequantize(qx, 0.05, 128), dequantize(qw, 0.02, 0)))\n"
      "output('q', quantize(y, 0.04, 10, u8))\n"
      "output('s', sum(y))\n",
      /* per-channel weights on the input-channel axis */
      "local B = dim('B')\n"
      "local qx = input('qx', u8, {B, 3})\n"
      "local qw = weight('qw', i8, {4, 3})\n"
      "local w = dequantize_per_channel(qw, {0.1, 0.2, 0.3}, {0, 0, 0}, 1)\n"
      "output('q', quantize(linear(dequantize(qx, 0.05, 128), w), 0.04, 10, u8))\n",
      /* an epilogue op that is not an activation */
      "local B = dim('B')\n"
      "local qx = input('qx', u8, {B, 8})\n"
      "local qw = weight('qw', i8, {4, 8})\n"
      "local y = exp(linear(dequantize(qx, 0.05, 128), dequantize(qw, 0.02, 0)))\n"
      "output('q', quantize(y, 0.04, 10, u8))\n",
      /* x is not dequantized */
      "local B = dim('B')\n"
      "local x = input('x', f32, {B, 8})\n"
      "local qw = weight('qw', i8, {4, 8})\n"
      "output('q', quantize(linear(x, dequantize(qw, 0.02, 0)), 0.04, 10, u8))\n",
  };
  for (size_t i = 0; i < sizeof srcs / sizeof srcs[0]; i++) {
    tc_module *m = load_q(srcs[i]);
    const tc_kernel *k = m->kernels.data[0];
    ck_assert_msg(count(k, TC_OP_QUANTIZED) == 0 && count(k, TC_OP_QUANTIZE) == 1,
                  "the broken pattern\n%s\nwas rewritten (%d quantized nodes), expected none",
                  srcs[i], count(k, TC_OP_QUANTIZED));
    tc_module_free(m);
  }
}
END_TEST

START_TEST(test_quant_variants_recognized) {
  static const struct {
    const char *src;
    tc_op op;
    int per_channel, pre, act, post;
  } cases[] = {
      {"local B = dim('B')\n"
       "local qx = input('qx', i8, {B, 16})\n"
       "local qw = weight('qw', i8, {16, 6})\n"
       "local bias = weight('bias', f32, {6})\n"
       "local w = dequantize_per_channel(qw, {1, 2, 3, 4, 5, 6}, {0, 0, 0, 0, 0, 0}, 1)\n"
       "output('q', quantize(gelu(matmul(dequantize(qx, 0.1, -3), w) + bias), 0.05, 0, i8))\n",
       TC_OP_MATMUL, 1, 1, TC_OP_GELU, 0},
      {"local N, H = dim('N'), dim('H')\n"
       "local qx = input('qx', u8, {N, 2, H, 5})\n"
       "local qw = weight('qw', i8, {4, 2, 3, 3})\n"
       "local b = weight('b', f32, {4})\n"
       "local y = conv2d(dequantize(qx, 0.05, 100), dequantize(qw, 0.1, 0), b, {padding = 1})\n"
       "output('q', quantize(y, 0.1, 0, u8))\n",
       TC_OP_CONV2D, 0, 0, -1, 0},
      /* the residual first, the chain second; the dequantized x also
         feeds the residual (it stays for it) */
      {"local B = dim('B')\n"
       "local qx = input('qx', u8, {B, 4})\n"
       "local qw = weight('qw', i8, {4, 4})\n"
       "local x = dequantize(qx, 0.05, 128)\n"
       "output('q', quantize(x + leaky_relu(linear(x, dequantize(qw, 0.02, 0)), 0.1), 0.04, 10, u8))\n",
       TC_OP_LINEAR, 0, 0, TC_OP_LEAKY_RELU, 1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    tc_module *m = load_q(cases[i].src);
    const tc_kernel *k = m->kernels.data[0];
    const tc_node *f = find(k, TC_OP_QUANTIZED);
    ck_assert_msg(f != NULL, "the pattern in\n%s\nwas not recognized", cases[i].src);
    ck_assert_msg(f->ints[TCP_Q_OP] == cases[i].op &&
                      f->ints[TCP_Q_PER_CHANNEL] == cases[i].per_channel &&
                      f->ints[TCP_Q_PRE_ADD] == cases[i].pre && f->ints[TCP_Q_ACT] == cases[i].act &&
                      f->ints[TCP_Q_POST_ADD] == cases[i].post,
                  "the quantized node of\n%s\nhas op %lld per_channel %lld pre %lld act %lld post "
                  "%lld, expected %d %d %d %d %d",
                  cases[i].src, (long long)f->ints[TCP_Q_OP],
                  (long long)f->ints[TCP_Q_PER_CHANNEL], (long long)f->ints[TCP_Q_PRE_ADD],
                  (long long)f->ints[TCP_Q_ACT], (long long)f->ints[TCP_Q_POST_ADD],
                  (int)cases[i].op, cases[i].per_channel, cases[i].pre, cases[i].act,
                  cases[i].post);
    tc_module_free(m);
  }
}
END_TEST

START_TEST(test_quant_accumulator_widens) {
  /* 70000 * 255 * 128 > 2^31: an i32 sum could overflow, so i64 */
  static const char src[] =
      "local B = dim('B')\n"
      "local qx = input('qx', u8, {B, 70000})\n"
      "local qw = weight('qw', i8, {2, 70000})\n"
      "output('q', quantize(linear(dequantize(qx, 0.05, 0), dequantize(qw, 0.02, 0)), 0.04, 0, u8))\n";
  tc_module *m = load_q(src);
  const tc_node *f = find(m->kernels.data[0], TC_OP_QUANTIZED);
  ck_assert_msg(f && f->ints[TCP_Q_ACC] == TC_DT_I64,
                "a linear over K = 70000 u8 x i8 products should accumulate in i64, got %s",
                f ? tc_dtype_name((tc_dtype)f->ints[TCP_Q_ACC]) : "no quantized node");
  tc_module_free(m);
  char *ir = lowered(linear_src);
  expect_in(linear_src, ir,
            "q[i0, i1] = u8(where(eq(");
  expect_in(linear_src, ir, "sum(r0 in 0..16: (i32(qx[i0, r0]) - 128:i32) * i32(qw[i1, r0]))");
  free(ir);
}
END_TEST

/* ---- lowering ---------------------------------------------------------------- */

START_TEST(test_lower_spmm) {
  static const char src[] =
      "local N, M = dim('N'), dim('M')\n"
      "local A = csr('A', f32, {N, M}, {index = i32})\n"
      "local x = input('x', f32, {M, 3})\n"
      "output('y', spmm(A, x, 'max'))\n";
  char *ir = lowered(src);
  expect_in(src, ir, "A.rowptr: i32[N + 1] input #0\n    A.col: i32[nnz] input #0\n"
                     "    A.val: f32[nnz] input #0\n");
  expect_in(src, ir,
            "y[i0, i1] = where(gt(i64(A.rowptr[i0 + 1]), i64(A.rowptr[i0])), "
            "max(r0 in i64(A.rowptr[i0])..i64(A.rowptr[i0 + 1]): A.val[r0] * x[i64(A.col[r0]), "
            "i1]), 0.0)  # spmm");
  free(ir);
}
END_TEST

START_TEST(test_lower_scatter_accumulates) {
  static const char src[] =
      "local N, M = dim('N'), dim('M')\n"
      "local src = input('src', f32, {2, N})\n"
      "local idx = input('idx', i64, {N})\n"
      "output('y', scatter(src, idx, 1, M, 'max'))\n";
  char *ir = lowered(src);
  expect_in(src, ir, "t2_max = -inf; for i0 in 0..N, i1 in 0..2:  t2_max[i1, idx[i0]] max= src[i1, i0]  # scatter, checked");
  expect_in(src, ir, "t2_count = 0; for i0 in 0..N:  t2_count[idx[i0]] sum= 1  # scatter, checked");
  expect_in(src, ir, "y[i0, i1] = where(gt(t2_count[i1], 0), t2_max[i0, i1], 0.0)  # scatter");
  free(ir);
}
END_TEST

START_TEST(test_lower_conv_and_pool) {
  static const char src[] =
      "local N = dim('N')\n"
      "local x = input('x', f32, {N, 4, 5, 5})\n"
      "local w = weight('w', f32, {2, 2, 3, 3})\n"
      "output('y', conv2d(x, w, nil, {padding = 1, groups = 2}))\n"
      "output('m', max_pool2d(x, 2))\n";
  char *ir = lowered(src);
  /* padding is a lazy where around the product; output channel co of
     2 groups of 1 reads input channels 2 co + r0 */
  expect_in(src, ir, "y[i0, i1, i2, i3] = sum(r0 in 0..2: sum(r1 in 0..3: sum(r2 in 0..3: "
                     "where(logical_and(logical_and(ge((i2 - 1) + r1, 0), lt((i2 - 1) + r1, 5)), "
                     "logical_and(ge((i3 - 1) + r2, 0), lt((i3 - 1) + r2, 5))), "
                     "x[i0, (i1 * 2) + r0, (i2 - 1) + r1, (i3 - 1) + r2] * w[i1, r0, r1, r2], 0.0))))");
  expect_in(src, ir, "m[i0, i1, i2, i3] = max(r3 in 0..2: max(r4 in 0..2: x[i0, i1, (i2 * 2) + r3, (i3 * 2) + r4]))");
  free(ir);
}
END_TEST

START_TEST(test_verify_rejects_bad_accumulate) {
  /* an accumulate stage whose index is not i64 is a bug lowering made */
  tc_loop_prog *p = tc_loop_new(NULL, NULL);
  static const tc_ext *const *no_shape = NULL;
  tc_arena ar = {0};
  const tc_ext *four = tc_ext_const(&ar, 4);
  tc_lbuf out;
  memset(&out, 0, sizeof out);
  out.name = "o";
  out.kind = TC_LBUF_TEMP;
  out.dtype = TC_DT_F32;
  out.rank = 1;
  out.shape = &four;
  out.node = -1;
  (void)no_shape;
  int o = tc_loop_add_buf(p, &out);
  const tc_sexpr *idx[1] = {tc_loop_sx_const(p, TC_DT_I32, 0, 1)};
  tc_stage s;
  memset(&s, 0, sizeof s);
  s.out = o;
  s.body = tc_loop_sx_const(p, TC_DT_F32, 1, 0);
  s.what = "bad";
  s.kind = TC_STAGE_ACCUM;
  s.red = TC_OP_SUM;
  s.init = tc_loop_sx_const(p, TC_DT_F32, 0, 0);
  s.dom_rank = 1;
  s.dom = &four;
  s.idx = idx;
  tc_loop_add_stage(p, &s);
  tc_diag d = {0};
  ck_assert_msg(tc_loop_verify(p, &d) != 0 && strstr(d.msg, "not i64"),
                "an accumulate stage indexed by an i32 passed tc_loop_verify (%s)", d.msg);
  /* and accepted once the index is i64 */
  idx[0] = tc_loop_sx_int(p, 1);
  tc_diag d2 = {0};
  ck_assert_msg(tc_loop_verify(p, &d2) == 0, "a well-formed accumulate stage was refused: %s",
                d2.msg);
  tc_loop_free(p);
  tc_arena_free(&ar);
}
END_TEST

void add_ops3_tests(Suite *s) {
  TCase *tq = tcase_create("quant");
  tcase_add_test(tq, test_quant_linear_recognized);
  tcase_add_test(tq, test_quant_second_consumer_not_recognized);
  tcase_add_test(tq, test_quant_variants_recognized);
  tcase_add_test(tq, test_quant_accumulator_widens);
  suite_add_tcase(s, tq);
  TCase *tl = tcase_create("lower_ops3");
  tcase_add_test(tl, test_lower_spmm);
  tcase_add_test(tl, test_lower_scatter_accumulates);
  tcase_add_test(tl, test_lower_conv_and_pool);
  tcase_add_test(tl, test_verify_rejects_bad_accumulate);
  suite_add_tcase(s, tl);
}
