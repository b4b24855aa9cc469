/*
 * vectorize_test.c: the vectorize pass (passes/vectorize.c): which
 * stages' innermost loops run in vectors on the intrinsics targets, and
 * the reason printed for those that stay scalar.  That the vector code
 * computes what the reference interpreter does is the e2e suite's job
 * (every case on every target, tests/e2e/run.sh step 6).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit/vec.h"
#include "lang/lang.h"
#include "passes/passes.h"
#include "passes_tests.h"

/* The program of src after the loop passes, printed. */
static char *vectorized(const char *src) {
  tc_diag d = {0};
  tc_module *m = tcT_load(src);
  tc_loop_prog *p = tcT_lower(m, 0);
  ck_assert(tcP_fuse(p, &d) == 0);
  ck_assert(tcP_schedule(p, &d) == 0);
  ck_assert(tcP_chunk(p, &d) == 0);
  ck_assert(tcP_nest(p, &d) == 0);
  ck_assert(tcP_vectorize(p, &d) == 0);
  ck_assert_msg(tc_loop_verify(p, &d) == 0, "after vectorize:\n%s\ndoes not verify: %s", src,
                d.msg);
  tc_buf b = {0};
  tc_loop_print(&b, p);
  tc_loop_free(p);
  tc_module_free(m);
  return tc_buf_steal(&b);
}

static void expect(const char *src, const char *want) {
  char *ir = vectorized(src);
  ck_assert_msg(strstr(ir, want) != NULL, "vectorizing\n%s\ngave\n%s\nwithout \"%s\"", src, ir,
                want);
  free(ir);
}

START_TEST(test_vectorize_elementwise) {
  /* symbolic extents: the tail is masked */
  expect("local N = dim('N')\n"
         "local a, b = input('a', f32, {N}), input('b', f32, {N})\n"
         "output('y', where(gt(a, b), gelu(a), maximum(a * b + 1, 0)))\n",
         "vector along i0");
  /* a broadcast operand is one value for every lane */
  expect("local B, C = dim('B'), dim('C')\n"
         "local x, s = input('x', f32, {B, C}), input('s', f32, {B, 1})\n"
         "output('y', x * s)\n",
         "vector along i1");
  /* softmax: the exponentials and the scaling in vectors, the row
     reductions in vector lanes */
  char *ir = vectorized("local B, C = dim('B'), dim('C')\n"
                        "local x = input('x', f32, {B, C})\n"
                        "output('y', softmax(x, -1))\n");
  ck_assert_msg(strstr(ir, "sub + exp, t.lua:3, vector along i1") &&
                    strstr(ir, "its max over r0 in vector lanes") &&
                    strstr(ir, "its sum over r1 in vector lanes"),
                "%s", ir);
  free(ir);
  /* ops without a vector form, lane by lane in an otherwise vector loop */
  expect("local N = dim('N')\n"
         "local a = input('a', f32, {N})\n"
         "output('y', sin(a) * 2 + pow(a, a))\n",
         "vector along i0 (sin, pow lane by lane)");
  /* a matmul along its output's columns: each lane sums its own column */
  expect("local a, b = input('a', f32, {8, 32}), input('b', f32, {32, 64})\n"
         "output('y', matmul(a, b))\n",
         "vector along i1");
  /* a depthwise NHWC convolution along its channels, its bias and relu in
     the same loop: the padding's where() is one condition for all lanes */
  expect("local N = dim('N')\n"
         "local x = input('x', f32, {N, 9, 9, 40})\n"
         "local w, b = weight('w', f32, {3, 3, 1, 40}), weight('b', f32, {40})\n"
         "output('y', relu(conv2d(x, w, b, {groups = 40, padding = 1, layout = 'NHWC'})))\n",
         "conv2d + relu, t.lua:4, vector along i3");
  /* a transpose, tiled: vectors along the read's contiguous axis, each
     block transposed in registers; NHWC -> NCHW likewise along C */
  expect("local x = input('x', f32, {64, 64})\n"
         "output('y', transpose(x, 0, 1) + 1)\n",
         "tile 32x32, vector along i0 (a transpose: blocks of vectors transposed in registers)");
  expect("local N = dim('N')\n"
         "local x = input('x', f32, {N, 7, 9, 40})\n"
         "output('y', relu(permute(x, {0, 3, 1, 2}) * 2))\n",
         "tile 32x1x32, vector along i1 (a transpose: blocks of vectors transposed in registers)");
  /* in NCHW the padding along the rows holds for a range of lanes: a
     mask, the window's row read shifted */
  expect("local N = dim('N')\n"
         "local x = input('x', f32, {N, 8, 9, 40})\n"
         "local w = weight('w', f32, {8, 1, 3, 3})\n"
         "output('y', conv2d(x, w, nil, {groups = 8, padding = 1}))\n",
         "conv2d, t.lua:4, vector along i3");
  /* NHWC groups of 4 channels: a group's input channels are the lanes of
     the output channels' own vector, permuted (a lane group); 24
     channels, so that AVX-512's second vector is partial; groups of 16:
     one element for a vector's lanes */
  expect("local N = dim('N')\n"
         "local x = input('x', f32, {N, 9, 9, 24})\n"
         "local w = weight('w', f32, {3, 3, 4, 24})\n"
         "output('y', conv2d(x, w, nil, {groups = 6, padding = 1, layout = 'NHWC'}))\n",
         "conv2d, t.lua:4, vector along i3");
  expect("local N = dim('N')\n"
         "local x = input('x', f32, {N, 9, 9, 32})\n"
         "local w = weight('w', f32, {3, 3, 16, 32})\n"
         "output('y', conv2d(x, w, nil, {groups = 2, padding = 1, layout = 'NHWC'}))\n",
         "conv2d, t.lua:4, vector along i3");
  /* a reader that would not compute in vectors (an i32 cast) stays out of
     its loop (passes/fuse.c): the convolution keeps its vectors */
  char *ir2 = vectorized("local N = dim('N')\n"
                         "local x = input('x', f32, {N, 9, 9, 16})\n"
                         "local w = weight('w', f32, {3, 3, 4, 16})\n"
                         "output('y', cast(conv2d(x, w, nil, {groups = 4, padding = 1, layout = 'NHWC'}), i32))\n");
  ck_assert_msg(strstr(ir2, "# conv2d, t.lua:4, vector along i3") &&
                    strstr(ir2, "# cast, t.lua:4, scalar: its output is not f32"),
                "%s", ir2);
  free(ir2);
}
END_TEST

START_TEST(test_vectorize_refused) {
  /* groups of 6 channels are no lane group (not a power of two: a
     vector does not hold whole groups); 4 input and 8 output channels
     neither (a group's inputs are not in its outputs' lanes) */
  expect("local N = dim('N')\n"
         "local x = input('x', f32, {N, 9, 9, 24})\n"
         "local w = weight('w', f32, {3, 3, 6, 24})\n"
         "output('y', conv2d(x, w, nil, {groups = 4, padding = 1, layout = 'NHWC'}))\n",
         "conv2d, t.lua:4, scalar:");
  expect("local N = dim('N')\n"
         "local x = input('x', f32, {N, 9, 9, 16})\n"
         "local w = weight('w', f32, {3, 3, 4, 32})\n"
         "output('y', conv2d(x, w, nil, {groups = 4, padding = 1, layout = 'NHWC'}))\n",
         "conv2d, t.lua:4, scalar:");
  /* not f32 */
  expect("local N = dim('N')\n"
         "local a = input('a', i32, {N})\n"
         "output('y', a * 3)\n",
         "scalar: its output is not f32");
  /* a transposed read, tiled, with a read in the output's layout as
     well: strided along either axis */
  expect("local x, z = input('x', f32, {64, 64}), input('z', f32, {64, 64})\n"
         "output('y', transpose(x, 0, 1) + z)\n",
         "scalar: tiled for a transposed read");
  /* too short */
  expect("local x = input('x', f32, {100, 3})\n"
         "output('y', x * 2)\n",
         "scalar: its innermost loop is too short");
  /* an integer value inside */
  expect("local N = dim('N')\n"
         "local a, k = input('a', f32, {N}), input('k', i32, {N})\n"
         "output('y', a * cast(k, f32))\n",
         "scalar: an operand not of f32 or bf16 (cast)");
  /* a where() whose condition is neither: lanes that hold are not a
     range */
  expect("local N = dim('N')\n"
         "local a, k = input('a', f32, {N}), input('k', i32, {N})\n"
         "output('y', where(logical_or(lt(k, 0), gt(k, 9)), a, 0))\n",
         "scalar: a where() whose condition is neither a comparison of float values nor a "
         "range of lanes");
  /* a user's compute body: its loads are checked */
  expect("local N = dim('N')\n"
         "local a = input('a', f32, {N})\n"
         "output('y', compute({N}, function(i) return a(i) * 2 end))\n",
         "scalar: a compute() body");
}
END_TEST

/* Every op the pass sends to vectors has a vector form in the emitter. */
START_TEST(test_vectorize_ops_have_vector_forms) {
  for (int op = 0; op < TC_OP_COUNT; op++)
    if (tc_loop_op_has_vector((tc_op)op))
      ck_assert_msg(tcE_vec_has_op((tc_op)op), "%s is vectorized by the pass, not by emit/vec.c",
                    tc_op_name((tc_op)op));
}
END_TEST

void add_vectorize_tests(Suite *s) {
  TCase *tc = tcase_create("vectorize");
  tcase_add_test(tc, test_vectorize_elementwise);
  tcase_add_test(tc, test_vectorize_refused);
  tcase_add_test(tc, test_vectorize_ops_have_vector_forms);
  suite_add_tcase(s, tc);
}
