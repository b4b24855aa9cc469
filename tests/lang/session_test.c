/*
 * session_test.c: REPL sessions (tcL_session_*): lines run one after
 * another in one state, expressions typed alone are printed, kernels
 * accumulate and are replaced by name, errors leave the session usable.
 */
#include <stdlib.h>
#include <string.h>

#include "lang_tests.h"

typedef struct eval_args {
  tcL_session *s;
  const char *chunk;
  tc_diag d;
  int ret;
} eval_args;

static void run_eval(void *p) {
  eval_args *a = p;
  a->ret = tcL_session_eval(a->s, a->chunk, &a->d);
}

/* Evaluate chunk; check its return value and what it printed. */
static void expect_eval(tcL_session *s, const char *chunk, int want_ret, const char *want_out) {
  eval_args a = {s, chunk, {0}, 0};
  char *out = lt_capture_stdout(run_eval, &a);
  ck_assert_msg(a.ret == want_ret, "eval(\"%s\"): expected %s, got %s (%s)", chunk,
                want_ret ? "an error" : "success", a.ret ? "an error" : "success", a.d.msg);
  ck_assert_msg(strcmp(out, want_out) == 0, "eval(\"%s\"): expected the output \"%s\", got \"%s\"",
                chunk, want_out, out);
  free(out);
}

static void expect_eval_error(tcL_session *s, const char *chunk, const char *want_msg) {
  eval_args a = {s, chunk, {0}, 0};
  char *out = lt_capture_stdout(run_eval, &a);
  free(out);
  ck_assert_msg(a.ret == -1 && strcmp(a.d.msg, want_msg) == 0,
                "eval(\"%s\"): expected the error\n  %s\ngot\n  %s", chunk, want_msg,
                a.ret ? a.d.msg : "(no error)");
}

START_TEST(test_session_prints_expressions) {
  tcL_options opt = {0};
  tcL_session *s = tcL_session_new(&opt);
  ck_assert_msg(s != NULL, "tcL_session_new failed");
  ck_assert_msg(tcL_session_module(s) == NULL, "a new session: expected no module yet");
  expect_eval(s, "1 + 1", 0, "2\n");
  expect_eval(s, "= 'a', 3", 0, "a\t3\n");
  expect_eval(s, "local z = 5", 0, "");
  expect_eval(s, "kernel('k')", 0, "");
  expect_eval(s, "B = dim('B')", 0, "");
  expect_eval(s, "x = input('x', f32, {B, 4})", 0, "");
  expect_eval(s, "x", 0, "tensor f32[B, 4]\n");
  expect_eval(s, "x:sum(1)", 0, "tensor f32[B]\n");
  expect_eval(s, "print(B * 2)", 0, "extent B * 2\n");
  expect_eval(s, "y = output('y', relu(x))", 0, "");
  const tc_module *m = tcL_session_module(s);
  ck_assert_msg(m && m->kernels.len == 1 && m->kernels.data[0]->args.len == 2,
                "after kernel('k'), input x and output y: expected one kernel with 2 args");
  tcL_session_free(s);
}
END_TEST

START_TEST(test_session_errors_leave_it_usable) {
  tcL_options opt = {0};
  opt.instruction_limit = 1000000;
  opt.memory_limit = 16 << 20;
  tcL_session *s = tcL_session_new(&opt);
  expect_eval(s, "x = input('x', f32, {4})", 0, "");
  expect_eval_error(s, "foo(", "stdin:1: unexpected symbol near <eof>");
  expect_eval_error(s, "x + input('z', f32, {5})", "stdin:1: add: shapes [4] and [5] cannot be broadcast");
  expect_eval_error(s, "while true do end",
                    "stdin:1: instruction limit exceeded (the DSL file runs too long)");
  expect_eval_error(s, "compute({4}, function(i) return x end)",
                    "stdin:1: compute: the function returned a whole tensor; return a scalar "
                    "expression, using x(i, ...) to read an element");
  expect_eval_error(s, "t = {} for i = 1, 1e9 do t[i] = string.rep('x', 4096) .. i end",
                    "stdin:1: memory limit of 16 MiB exceeded");
  expect_eval(s, "t = nil", 0, "");
  /* the instruction budget is per line, and compute works again */
  expect_eval(s, "for i = 1, 1000 do end", 0, "");
  expect_eval(s, "compute({4}, function(i) return x(i) * 2 end)", 0, "tensor f32[4]\n");
  tcL_session_free(s);
}
END_TEST

START_TEST(test_session_replaces_kernels) {
  tcL_options opt = {0};
  tcL_session *s = tcL_session_new(&opt);
  expect_eval(s, "kernel('a') x = input('x', f32, {4}) output('y', x)", 0, "");
  expect_eval(s, "kernel('b') output('y', input('x', i32, {2}))", 0, "");
  /* a kernel without outputs is allowed while typing */
  expect_eval(s, "kernel('a') x2 = input('x', f64, {3})", 0, "");
  const tc_module *m = tcL_session_module(s);
  ck_assert_msg(m->kernels.len == 2 && strcmp(m->kernels.data[0]->name, "a") == 0 &&
                    strcmp(m->kernels.data[1]->name, "b") == 0,
                "kernel a declared again: expected kernels [a, b], got %d kernels",
                m->kernels.len);
  const tc_kernel *a = m->kernels.data[0];
  ck_assert_msg(a->args.len == 1 && a->args.data[0].dtype == TC_DT_F64,
                "the new kernel a: expected only the f64 input x");
  /* values of the replaced kernel are rejected, not dereferenced */
  expect_eval_error(s, "x + 1",
                    "stdin:1: '+': a tensor of another kernel is used here (each kernel has its "
                    "own values)");
  expect_eval(s, "x", 0, "a tensor of another kernel\n");
  expect_eval(s, "output('z', x2 * 2)", 0, "tensor f64[3]\n");
  tcL_session_free(s);
}
END_TEST

Suite *lang_session_suite(void) {
  Suite *s = suite_create("lang_session");
  TCase *tc = tcase_create("session");
  tcase_set_timeout(tc, 20);
  tcase_add_test(tc, test_session_prints_expressions);
  tcase_add_test(tc, test_session_errors_leave_it_usable);
  tcase_add_test(tc, test_session_replaces_kernels);
  suite_add_tcase(s, tc);
  return s;
}
