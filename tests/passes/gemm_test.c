/*
 * gemm_test.c: the gemm pass (passes/gemm.c) and the fusion rule that
 * puts a contraction's elementwise consumers around it (passes/fuse.c):
 * which stages the GEMM template takes, how it sees their operands, what
 * their epilogue is, and which stay ordinary stages.  That the template
 * computes what the reference interpreter does is the e2e suite's job
 * (tests/e2e/dsl/gemm.lua, matmul.lua, linear.lua, einsum.lua on every
 * target).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/lang.h"
#include "passes/passes.h"
#include "passes_tests.h"

/* The program of src after the loop passes up to gemm, and its stage
   count. */
static char *after_gemm(const char *src, int *nstages) {
  tc_diag d = {0};
  tc_module *m = tcT_load(src);
  tc_loop_prog *p = tcT_lower(m, 0);
  ck_assert(tcP_fuse(p, &d) == 0);
  ck_assert(tcP_schedule(p, &d) == 0);
  ck_assert(tcP_gemm(p, &d) == 0);
  ck_assert_msg(tc_loop_verify(p, &d) == 0, "after gemm:\n%s\ndoes not verify: %s", src, d.msg);
  if (nstages) *nstages = p->stages.len;
  tc_buf b = {0};
  tc_loop_print(&b, p);
  tc_loop_free(p);
  tc_module_free(m);
  return tc_buf_steal(&b);
}

/* src gives one stage, and its line holds `want`. */
static void expect_one(const char *src, const char *want) {
  int n = 0;
  char *ir = after_gemm(src, &n);
  ck_assert_msg(n == 1 && strstr(ir, want) != NULL, "gemm of\n%s\ngave\n%s\nwithout \"%s\"", src,
                ir, want);
  free(ir);
}

static void expect_none(const char *src) {
  char *ir = after_gemm(src, NULL);
  ck_assert_msg(strstr(ir, "GEMM template") == NULL, "gemm of\n%s\ngave a template:\n%s", src, ir);
  free(ir);
}

START_TEST(test_gemm_operands) {
  expect_one("local M = dim('M')\n"
             "local a, b = input('a', f32, {M, 8}), input('b', f32, {8, 5})\n"
             "output('y', matmul(a, b))\n",
             "GEMM template (A a, B b)");
  /* linear: w [out, in] is B transposed, a weight packed at create */
  expect_one("local x = input('x', f32, {30, 8})\n"
             "local w = weight('w', f32, {5, 8})\n"
             "output('y', linear(x, w))\n",
             "GEMM template (A x, B w transposed, packed at create)");
  /* transposed A, and an output transposed (A and B change places) */
  expect_one("local a, b = input('a', f32, {8, 30}), input('b', f32, {8, 5})\n"
             "output('y', einsum('km,kn->mn', a, b))\n",
             "GEMM template (A a transposed, B b)");
  expect_one("local a, b = input('a', f32, {30, 8}), input('b', f32, {8, 5})\n"
             "output('y', einsum('mk,kn->nm', a, b))\n",
             "GEMM template (A b transposed, B a transposed)");
  /* batches, one operand broadcast; a weight with batch axes is read as
     it is */
  expect_one("local a, b = input('a', f32, {4, 30, 8}), input('b', f32, {8, 5})\n"
             "output('y', matmul(a, b))\n",
             "GEMM template (A a, B b)");
  expect_one("local x = input('x', f32, {30, 8})\n"
             "local w = weight('w', f32, {2, 8, 5})\n"
             "output('y', matmul(x, w))\n",
             "GEMM template (A x, B w)");
}
END_TEST

START_TEST(test_gemm_epilogue) {
  /* bias, residual and activation fuse around the sum: one stage */
  expect_one("local M = dim('M')\n"
             "local x, r = input('x', f32, {M, 8}), input('r', f32, {M, 5})\n"
             "local w, b = weight('w', f32, {5, 8}), weight('b', f32, {5})\n"
             "output('y', relu(linear(x, w, b) + r))\n",
             "epilogue relu((y[i0, i1] + b[i1]) + r[i0, i1])");
  expect_one("local x = input('x', f32, {30, 8})\n"
             "local w, b = weight('w', f32, {5, 8}), weight('b', f32, {5})\n"
             "output('y', gelu(linear(x, w, b)))\n",
             "linear + gelu, t.lua:3, GEMM template (A x, B w transposed, packed at create; "
             "epilogue gelu(y[i0, i1] + b[i1]))");
  /* a product read twice by one reader: one sum, its value read twice */
  expect_one("local a, b = input('a', f32, {30, 8}), input('b', f32, {8, 5})\n"
             "local t = matmul(a, b)\n"
             "output('y', t * sigmoid(t))\n",
             "epilogue y[i0, i1] * sigmoid(y[i0, i1])");
  /* read by two stages: the product keeps its own stage */
  int n = 0;
  char *ir = after_gemm("local a, b = input('a', f32, {30, 8}), input('b', f32, {8, 5})\n"
                        "local t = matmul(a, b)\n"
                        "output('y', t + 1)\n"
                        "output('z', t * 2)\n",
                        &n);
  ck_assert_msg(n == 3 && strstr(ir, "GEMM template (A a, B b)"), "%s", ir);
  free(ir);
  /* nor is a reduction of it: the sum over rows stays a stage of its own */
  ir = after_gemm("local a, b = input('a', f32, {30, 8}), input('b', f32, {8, 5})\n"
                  "output('y', sum(matmul(a, b), 0))\n",
                  &n);
  ck_assert_msg(n == 2 && strstr(ir, "GEMM template (A a, B b)"), "%s", ir);
  free(ir);
}
END_TEST

START_TEST(test_gemm_refused) {
  /* matrix-vector products (a row reduction in vector lanes serves them
     better than 32-column panels holding one column) */
  expect_none("local a, v = input('a', f32, {30, 8}), input('v', f32, {8})\n"
              "output('y', matmul(a, v))\n");
  /* one tile of static outputs (3 x 5): the chunk pass splits its sum */
  expect_none("local a, b = input('a', f32, {3, 800}), input('b', f32, {800, 5})\n"
              "output('y', matmul(a, b))\n");
  /* not f32 */
  expect_none("local a, b = input('a', f64, {30, 8}), input('b', f64, {8, 5})\n"
              "output('y', matmul(a, b))\n");
  expect_none("local a, b = input('a', bf16, {30, 8}), input('b', bf16, {8, 5})\n"
              "output('y', matmul(a, b))\n");
  /* a reduction that is not a product of two operands */
  expect_none("local a = input('a', f32, {30, 8})\n"
              "output('y', sum(a * a, -1, true))\n");
  /* a reader the vector code cannot compute (an integer result) is no
     epilogue: the product keeps a stage of its own */
  int n = 0;
  char *ir = after_gemm("local a, b = input('a', f32, {30, 8}), input('b', f32, {8, 5})\n"
                        "output('y', cast(matmul(a, b), i32))\n",
                        &n);
  ck_assert_msg(n == 2 && strstr(ir, "GEMM template (A a, B b)") && !strstr(ir, "epilogue"), "%s",
                ir);
  free(ir);
  /* nor is a reader of a product the template does not take: the chunk
     pass splits that sum */
  ir = after_gemm("local a, b = input('a', f32, {2, 800}), input('b', f32, {800, 3})\n"
                  "output('y', relu(matmul(a, b)) + 1)\n",
                  &n);
  ck_assert_msg(n == 2 && !strstr(ir, "GEMM template"), "%s", ir);
  free(ir);
  /* the user's schedule() hints: its loops are theirs */
  expect_none("local a, b = input('a', f32, {16, 8}), input('b', f32, {8, 16})\n"
              "local y = matmul(a, b)\n"
              "schedule(y, {tile = {4, 4}})\n"
              "output('y', y)\n");
}
END_TEST

START_TEST(test_gemm_conv) {
  /* NCHW: the weight's rows as A, the input's windows as B; bias and
     activation around the window sum */
  expect_one("local x = input('x', f32, {2, 3, 8, 8})\n"
             "local w, b = weight('w', f32, {4, 3, 3, 3}), weight('b', f32, {4})\n"
             "output('y', relu(conv2d(x, w, b, {padding = 1})))\n",
             "GEMM template (convolution NCHW of x by w; epilogue relu(y[i0, i1, i2, i3] + b[i1]))");
  /* NHWC: the weight is B, packed at create */
  expect_one("local x = input('x', f32, {2, 8, 8, 3})\n"
             "local w = weight('w', f32, {3, 3, 3, 4})\n"
             "output('y', conv2d(x, w, nil, {stride = 2, layout = 'NHWC'}))\n",
             "GEMM template (convolution NHWC of x by w, packed at create)");
  /* a residual of the output's shape joins the epilogue */
  expect_one("local x, r = input('x', f32, {1, 3, 8, 8}), input('r', f32, {1, 4, 8, 8})\n"
             "local w = weight('w', f32, {4, 3, 1, 1})\n"
             "output('y', conv2d(x, w) + r)\n",
             "epilogue y[i0, i1, i2, i3] + r[0, i1, i2, i3]");
  /* not yet: groups, other dtypes */
  expect_none("local x = input('x', f32, {1, 4, 8, 8})\n"
              "local w = weight('w', f32, {4, 2, 3, 3})\n"
              "output('y', conv2d(x, w, nil, {groups = 2}))\n");
  expect_none("local x = input('x', f64, {1, 3, 8, 8})\n"
              "local w = weight('w', f64, {4, 3, 3, 3})\n"
              "output('y', conv2d(x, w))\n");
  /* a transposed reader keeps the convolution a stage of its own */
  int n = 0;
  char *ir = after_gemm("local x = input('x', f32, {1, 3, 8, 8})\n"
                        "local w = weight('w', f32, {4, 3, 1, 1})\n"
                        "output('y', permute(conv2d(x, w), {0, 2, 3, 1}) * 2)\n",
                        &n);
  ck_assert_msg(n == 2 && strstr(ir, "GEMM template (convolution NCHW of x by w)"), "%s", ir);
  free(ir);
}
END_TEST

START_TEST(test_gemm_convert) {
  /* a cast to bf16 and a quantize end the epilogue: the sums accumulate
     in an f32 temporary of the output's shape (y.acc), which the
     epilogue converts tile by tile */
  expect_one("local M = dim('M')\n"
             "local x = input('x', f32, {M, 8})\n"
             "local w, b = weight('w', f32, {5, 8}), weight('b', f32, {5})\n"
             "output('y', cast(relu(linear(x, w, b)), bf16))\n",
             "epilogue bf16(relu(y.acc[i0, i1] + b[i1])))");
  expect_one("local a, b = input('a', f32, {30, 8}), input('b', f32, {8, 5})\n"
             "output('y', quantize(matmul(a, b), 0.5, 3, u8))\n",
             "epilogue u8(where(eq(y.acc[i0, i1] / 0.5, y.acc[i0, i1] / 0.5), "
             "round(y.acc[i0, i1] / 0.5), 0.0) + 3.0))");
  expect_one("local x = input('x', f32, {1, 8, 8, 3})\n"
             "local w = weight('w', f32, {3, 3, 3, 4})\n"
             "output('y', quantize(relu(conv2d(x, w, nil, {layout = 'NHWC'})), 0.1, -5, i8))\n",
             "epilogue i8(where(eq(relu(y.acc[i0, i1, i2, i3]) / 0.1");
  /* the temporary is the program's, f32, and the stage's only */
  char *ir = after_gemm("local a, b = input('a', f32, {30, 8}), input('b', f32, {8, 5})\n"
                        "output('y', cast(matmul(a, b), bf16))\n",
                        NULL);
  ck_assert_msg(strstr(ir, "y.acc: f32[30, 5] temp"), "%s", ir);
  free(ir);
  /* a cast to another integer dtype is not a quantize's: the product
     keeps its stage (test_gemm_refused), nor is one whose operand is not
     f32 */
  int n = 0;
  ir = after_gemm("local a, b = input('a', f32, {30, 8}), input('b', f32, {8, 5})\n"
                  "output('y', cast(cast(matmul(a, b), i32), u8))\n",
                  &n);
  ck_assert_msg(!strstr(ir, "epilogue") && !strstr(ir, ".acc"), "%s", ir);
  free(ir);
}
END_TEST

void add_gemm_tests(Suite *s) {
  TCase *tc = tcase_create("gemm");
  tcase_add_test(tc, test_gemm_operands);
  tcase_add_test(tc, test_gemm_epilogue);
  tcase_add_test(tc, test_gemm_refused);
  tcase_add_test(tc, test_gemm_conv);
  tcase_add_test(tc, test_gemm_convert);
  suite_add_tcase(s, tc);
}
