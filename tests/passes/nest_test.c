/*
 * nest_test.c: the chunk and nest passes (passes/chunk.c, passes/nest.c)
 * on small DSL programs.  Each test runs decompose, lower, fuse, chunk and
 * nest and checks the shape of the program: which stages share a nest,
 * which temporaries became rows on the stack, which reductions were split
 * into chunks (the transformation happened, or was rightly refused).  The
 * e2e suite checks that these programs still compute what the reference
 * interpreter computes (tests/e2e/dsl/nest.lua, chunk.lua, and every
 * example) and that they give the same bytes at 1, 2 and 3 threads.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/lang.h"
#include "passes/passes.h"
#include "passes_tests.h"

typedef struct nested {
  int stages;  /* stages left */
  int nests;   /* distinct nest ids */
  int in_nest; /* stages in some nest */
  int temps;   /* TEMP buffers */
  int local;   /* of them, local */
  int shared;  /* the first nest's shared axes (0: none) */
  char *ir;
} nested;

static nested nest_src(const char *src) {
  tc_diag d = {0};
  tc_module *m = tcT_load(src);
  tc_loop_prog *p = tcT_lower(m, 0);
  ck_assert(tcP_fuse(p, &d) == 0);
  ck_assert(tcP_chunk(p, &d) == 0);
  ck_assert_msg(tc_loop_verify(p, &d) == 0, "after chunk:\n%s\ndoes not verify: %s", src, d.msg);
  ck_assert(tcP_nest(p, &d) == 0);
  ck_assert_msg(tc_loop_verify(p, &d) == 0, "after nest:\n%s\ndoes not verify: %s", src, d.msg);
  nested n = {0};
  n.stages = p->stages.len;
  int last = -1;
  for (int s = 0; s < p->stages.len; s++) {
    const tc_stage *st = &p->stages.data[s];
    if (st->nest < 0) continue;
    n.in_nest++;
    if (st->nest != last) n.nests++;
    if (n.shared == 0) n.shared = st->shared;
    last = st->nest;
  }
  for (int b = 0; b < p->bufs.len; b++) {
    n.temps += p->bufs.data[b].kind == TC_LBUF_TEMP;
    n.local += p->bufs.data[b].local;
  }
  tc_buf b = {0};
  tc_loop_print(&b, p);
  n.ir = tc_buf_steal(&b);
  tc_loop_free(p);
  tc_module_free(m);
  return n;
}

#define EXPECT(n, field, want, src)                                                     \
  ck_assert_msg((n).field == (want), "%s: got %d, expected %d, for\n%s\nprogram:\n%s", \
                #field, (n).field, (want), src, (n).ir)

/* softmax: max, exp, sum, its inverse and the product run in one nest
   over the rows; the row maximum, the exponentials, the row sum and its
   inverse live on the stack. */
START_TEST(test_nest_softmax) {
  const char *src = "local x = input('x', f32, {64, 100})\n"
                    "output('y', softmax(x, -1))\n";
  nested n = nest_src(src);
  EXPECT(n, stages, 5, src);
  EXPECT(n, nests, 1, src);
  EXPECT(n, in_nest, 5, src);
  EXPECT(n, shared, 1, src);
  EXPECT(n, temps, 4, src);
  EXPECT(n, local, 4, src);
  ck_assert_msg(strstr(n.ir, "nest 0 over i0 in 0..64:\n") != NULL, "%s", n.ir);
  /* the exponentials are scaled into y in place: they live in y's rows */
  ck_assert_msg(strstr(n.ir, "t3: f32[64, 100] temp, local in the rows of y\n") != NULL, "%s",
                n.ir);
  free(n.ir);
}
END_TEST

/* A row is kept in an output's row only when that output's stage reads
   it at the element it writes and reads it last: here the row sum comes
   after y and reads every element, so e keeps an array of its own. */
START_TEST(test_nest_in_output_refused) {
  const char *src = "local x = input('x', f32, {64, 100})\n"
                    "local e = exp(x)\n"
                    "output('y', e * 2)\n"
                    "output('s', sum(e, -1))\n";
  nested n = nest_src(src);
  EXPECT(n, nests, 1, src);
  ck_assert_msg(strstr(n.ir, "temp, local\n") != NULL && strstr(n.ir, "in the rows") == NULL,
                "%s", n.ir);
  free(n.ir);
}
END_TEST

/* layer_norm and rms_norm: one nest each, no temporary left in memory. */
START_TEST(test_nest_norms) {
  const char *srcs[] = {
      "local x = input('x', f32, {32, 48})\n"
      "local g, b = weight('g', f32, {48}), weight('b', f32, {48})\n"
      "output('y', layer_norm(x, 1, g, b))\n",
      "local x = input('x', f32, {32, 48})\n"
      "local g = weight('g', f32, {48})\n"
      "output('y', rms_norm(x, g))\n",
      "local x = input('x', f32, {32, 48})\n"
      "output('y', log_softmax(x, 1))\n",
  };
  for (size_t i = 0; i < sizeof srcs / sizeof *srcs; i++) {
    nested n = nest_src(srcs[i]);
    EXPECT(n, nests, 1, srcs[i]);
    EXPECT(n, in_nest, n.stages, srcs[i]);
    EXPECT(n, local, n.temps, srcs[i]);
    free(n.ir);
  }
}
END_TEST

/* Symbolic rows: still one nest; the row of exponentials, of unknown
   length, cannot go on the stack but lives in y's rows. */
START_TEST(test_nest_symbolic_rows) {
  const char *src = "local B, C = dim('B'), dim('C')\n"
                    "local x = input('x', f32, {B, C})\n"
                    "output('y', softmax(x, -1))\n";
  nested n = nest_src(src);
  EXPECT(n, nests, 1, src);
  EXPECT(n, in_nest, 5, src);
  EXPECT(n, local, 4, src); /* the [B, 1] max, sum and inverse: a scalar a row */
  ck_assert_msg(strstr(n.ir, "t3: f32[B, C] temp, local in the rows of y\n") != NULL, "%s", n.ir);
  free(n.ir);
}
END_TEST

/* Siblings over one iteration space sharing an input: one loop, the
   shared intermediate a scalar (horizontal fusion). */
START_TEST(test_nest_horizontal) {
  const char *src = "local N = dim('N')\n"
                    "local a, b = input('a', f32, {N}), input('b', f32, {N})\n"
                    "local t = exp(a * b)\n"
                    "output('y', t + 1)\n"
                    "output('z', t * 2)\n";
  nested n = nest_src(src);
  EXPECT(n, stages, 3, src);
  EXPECT(n, nests, 1, src);
  EXPECT(n, in_nest, 3, src);
  EXPECT(n, local, 1, src);
  free(n.ir);
}
END_TEST

/* Refused: a stage reading another row of what the nest writes (a
   transpose), a bounds-checked compute body, a matmul walking down B's
   columns. */
START_TEST(test_nest_refused) {
  const char *srcs[] = {
      "local x = input('x', f32, {16, 16})\n"
      "local t = exp(x)\n"
      "output('y', t + 1)\n"
      "output('z', permute(t, {1, 0}) * 2)\n",
      "local x = input('x', f32, {16, 16})\n"
      "local i = input('i', i64, {16})\n"
      "local t = exp(x)\n"
      "output('u', t + 1)\n"
      "output('y', compute({16}, function(j) return t(i(j), j) end))\n",
      "local x = input('x', f32, {16, 16})\n"
      "local w = input('w', f32, {16, 16})\n"
      "local t = exp(x)\n"
      "output('u', t + 1)\n"
      "output('y', matmul(t, w))\n",
  };
  for (size_t i = 0; i < sizeof srcs / sizeof *srcs; i++) {
    nested n = nest_src(srcs[i]);
    ck_assert_msg(n.in_nest < n.stages, "every stage of\n%s\nwas nested:\n%s", srcs[i], n.ir);
    ck_assert_msg(n.local < n.temps, "t of\n%s\nbecame local:\n%s", srcs[i], n.ir);
    free(n.ir);
  }
}
END_TEST

/* A column sum over many rows is split into chunks of 256 rows, combined
   in order; a full reduction into chunks of 8192 elements; short or
   row-wise reductions are not split. */
START_TEST(test_chunk) {
  const char *col = "local x = input('x', f32, {4096, 64})\n"
                    "output('y', sum(x * 2, 0))\n";
  nested n = nest_src(col);
  EXPECT(n, stages, 2, col);
  ck_assert_msg(strstr(n.ir, "y.part: f32[16, 64] temp") &&
                    strstr(n.ir, "r0 in (i0 * 256)..minimum(4096, (i0 * 256) + 256)") &&
                    strstr(n.ir, "y[i0] = sum(r1 in 0..16: y.part[r1, i0])"),
                "%s", n.ir);
  free(n.ir);
  const char *full = "local N = dim('N')\n"
                     "local x = input('x', f32, {N})\n"
                     "output('s', max(x))\n";
  n = nest_src(full);
  EXPECT(n, stages, 2, full);
  ck_assert_msg(strstr(n.ir, "s.part: f32[(N + 8191)//8192] temp") != NULL, "%s", n.ir);
  free(n.ir);
  const char *no[] = {
      "local x = input('x', f32, {300, 64})\n"
      "output('y', sum(x, 0))\n", /* fewer than 2 chunks of rows */
      "local x = input('x', f32, {4096, 1024})\n"
      "output('y', sum(x, 1))\n", /* along rows: parallel over them */
  };
  for (size_t i = 0; i < sizeof no / sizeof *no; i++) {
    n = nest_src(no[i]);
    ck_assert_msg(strstr(n.ir, ".part") == NULL, "\n%s\nwas chunked:\n%s", no[i], n.ir);
    free(n.ir);
  }
}
END_TEST

void add_nest_tests(Suite *s) {
  TCase *tc = tcase_create("nest");
  tcase_add_test(tc, test_nest_softmax);
  tcase_add_test(tc, test_nest_in_output_refused);
  tcase_add_test(tc, test_nest_norms);
  tcase_add_test(tc, test_nest_symbolic_rows);
  tcase_add_test(tc, test_nest_horizontal);
  tcase_add_test(tc, test_nest_refused);
  tcase_add_test(tc, test_chunk);
  suite_add_tcase(s, tc);
}
