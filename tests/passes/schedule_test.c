/*
 * schedule_test.c: the schedule pass (passes/schedule.c) attaches each
 * schedule() hint to the stage that computes the scheduled tensor, and
 * that stage keeps its own loops through fusion, chunking and nesting.
 * Each test runs the loop passes up to nest, in the order of
 * tensorc/cli/pipeline.c, and compares the printed program (the
 * "schedule (line N): ..." of `tensorc ir FILE --after schedule`).
 *
 * What the emitter writes for the hints (the tiles, the blocks of
 * vectorize, the unrolled copies, the parallel loop) is checked in
 * tests/emit/schedule_test.c; rejected hints in tests/lang/errors_test.c
 * and tests/e2e/errors/schedule_*.lua; that results do not change in
 * tests/e2e/dsl/schedule.lua.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/lang.h"
#include "passes/passes.h"
#include "passes_tests.h"

/* The program of src (t.lua) after precompute, fuse, schedule, gemm,
   chunk and nest, printed; each step must succeed and verify. */
static char *scheduled(const char *src) {
  static const struct {
    const char *name;
    int (*run)(tc_loop_prog *, tc_diag *);
  } steps[] = {{"precompute", tcP_precompute}, {"fuse", tcP_fuse}, {"schedule", tcP_schedule},
               {"gemm", tcP_gemm},             {"chunk", tcP_chunk}, {"nest", tcP_nest}};
  tc_diag d = {0};
  tc_module *m = tcT_load(src);
  tc_loop_prog *p = tcT_lower(m, 0);
  for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
    ck_assert_msg(steps[i].run(p, &d) == 0, "%s of\n%s\nfailed: %s", steps[i].name, src, d.msg);
    ck_assert_msg(tc_loop_verify(p, &d) == 0, "after %s:\n%s\ndoes not verify: %s",
                  steps[i].name, src, d.msg);
  }
  tc_buf b = {0};
  tc_loop_print(&b, p);
  tc_loop_free(p);
  tc_module_free(m);
  return tc_buf_steal(&b);
}

/* Each hint alone and all together, on a fused chain (exp + add): the
   chain's one stage carries them, as printed after the schedule pass. */
static const struct {
  const char *hints; /* the table given to schedule() */
  const char *shown; /* what the stage's line ends with */
} each_hint[] = {
    {"tile = {8, 16}", " tile 8x16"},
    {"tile = {16}", " tile 16"},
    {"vectorize = 8", " vectorize 8"},
    {"unroll = 4", " unroll 4"},
    {"parallel = 0", " parallel 0"},
    {"parallel = 1", " parallel 1"},
    {"tile = {8, 16}, vectorize = 4, unroll = 2, parallel = 0",
     " tile 8x16 vectorize 4 unroll 2 parallel 0"},
};

START_TEST(test_schedule_attaches_hints) {
  char src[512], want[512];
  snprintf(src, sizeof src,
           "local N, M = dim('N'), dim('M')\n"
           "local x = input('x', f32, {N, M})\n"
           "local y = exp(x) + 1\n"
           "schedule(y, {%s})\n"
           "output('y', y)\n",
           each_hint[_i].hints);
  snprintf(want, sizeof want,
           "loop program t:\n"
           "  buffers:\n"
           "    x: f32[N, M] input #0\n"
           "    y: f32[N, M] output #1\n"
           "  stages:\n"
           "    for i0 in 0..N, i1 in 0..M:  y[i0, i1] = exp(x[i0, i1]) + 1.0"
           "  # exp + add, t.lua:3, schedule (line 4):%s\n",
           each_hint[_i].shown);
  char *got = scheduled(src);
  ck_assert_msg(!strcmp(got, want), "scheduling\n%s\ngave\n%s\nexpected\n%s", src, got, want);
  free(got);
}
END_TEST

/* Without its hints, t would be fused into u, s nested with the rows of
   y, and the column sum c split into chunks; with them each keeps the
   loops the hints are about. */
START_TEST(test_schedule_keeps_own_loops) {
  static const char plain[] = "local N, M = dim('N'), dim('M')\n"
                              "local x = input('x', f32, {N, M})\n"
                              "local s = sum(x, -1, true)\n"
                              "local t = x * 0.5\n"
                              "output('y', x - s)\n"
                              "output('u', t + 1)\n"
                              "output('c', sum(x, 0))\n";
  static const char hinted[] = "local N, M = dim('N'), dim('M')\n"
                               "local x = input('x', f32, {N, M})\n"
                               "local s = sum(x, -1, true)\n"
                               "schedule(s, {unroll = 4})\n"
                               "local t = x * 0.5\n"
                               "schedule(t, {vectorize = 8})\n"
                               "output('y', x - s)\n"
                               "output('u', t + 1)\n"
                               "local c = sum(x, 0)\n"
                               "schedule(c, {unroll = 2})\n"
                               "output('c', c)\n";
  /* (the premise: the passes do all three without hints) */
  char *got = scheduled(plain);
  ck_assert_msg(strstr(got, "nest 0 over i0 in 0..N:\n"
                            "      for i0 in 0..N, i1 in 0..1:  t1[i0, i1] = sum(") &&
                    strstr(got, "u[i0, i1] = (x[i0, i1] * 0.5) + 1.0") && strstr(got, "c.part"),
                "without hints,\n%s\nshould nest s, fuse t and chunk c; got\n%s", plain, got);
  free(got);
  got = scheduled(hinted);
  const char *want =
      "loop program t:\n"
      "  buffers:\n"
      "    x: f32[N, M] input #0\n"
      "    y: f32[N, M] output #1\n"
      "    u: f32[N, M] output #2\n"
      "    c: f32[M] output #3\n"
      "    t1: f32[N, 1] temp\n"
      "    t3: f32[N, M] temp\n"
      "  stages:\n"
      "    for i0 in 0..N, i1 in 0..1:  t1[i0, i1] = sum(r0 in 0..M: x[i0, r0])"
      "  # sum, t.lua:3, schedule (line 4): unroll 4\n"
      "    for i0 in 0..N, i1 in 0..M:  t3[i0, i1] = x[i0, i1] * 0.5"
      "  # mul, t.lua:5, schedule (line 6): vectorize 8\n"
      "    nest 0 over i0 in 0..N, i1 in 0..M:\n"
      "      for i0 in 0..N, i1 in 0..M:  y[i0, i1] = x[i0, i1] - t1[i0, 0]  # sub, t.lua:7\n"
      "      for i0 in 0..N, i1 in 0..M:  u[i0, i1] = t3[i0, i1] + 1.0  # add, t.lua:8\n"
      "    for i0 in 0..M:  c[i0] = sum(r1 in 0..N: x[r1, i0])"
      "  # sum, t.lua:9, schedule (line 10): unroll 2\n";
  ck_assert_msg(!strcmp(got, want), "scheduling\n%s\ngave\n%s\nexpected\n%s", hinted, got, want);
  free(got);
}
END_TEST

void add_schedule_tests(Suite *s) {
  TCase *tc = tcase_create("schedule");
  tcase_add_loop_test(tc, test_schedule_attaches_hints, 0,
                      (int)(sizeof each_hint / sizeof each_hint[0]));
  tcase_add_test(tc, test_schedule_keeps_own_loops);
  suite_add_tcase(s, tc);
}
