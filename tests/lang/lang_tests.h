/*
 * lang_tests.h: the suites of tests/lang (the Lua front end) and the
 * helpers they share.
 */
#ifndef TC_LANG_TESTS_H
#define TC_LANG_TESTS_H

#include <check.h>

#include "../../lang/lang.h"

Suite *lang_sandbox_suite(void);
Suite *lang_errors_suite(void);
Suite *lang_graph_suite(void);
Suite *lang_session_suite(void);
Suite *lang_fuzz_suite(void);

/* Load DSL text named "t.lua" with default options (or *opt). */
tc_module *lt_load(const char *src, const tcL_options *opt, tc_diag *d);

/* Load src and check that it fails with exactly the message `want`. */
#define LT_EXPECT_ERROR(src, opt, want)                                       \
  do {                                                                        \
    tc_diag d_ = {0};                                                         \
    tc_module *m_ = lt_load((src), (opt), &d_);                               \
    ck_assert_msg(!m_ && strcmp(d_.msg, (want)) == 0,                         \
                  "loading the DSL text\n---\n%s\n---\nexpected the error\n"  \
                  "  %s\ngot\n  %s",                                          \
                  (src), (want), m_ ? "(no error)" : d_.msg);                 \
    tc_module_free(m_);                                                       \
  } while (0)

/* Load src and check that it succeeds; returns the module. */
tc_module *lt_load_ok(const char *src, const tcL_options *opt);

/* "f32[B, 4]": the dtype and shape of argument `name` of kernel `kernel`
   (NULL: the first kernel), malloc'd; NULL when there is no such
   argument. */
char *lt_arg_type(const tc_module *m, const char *kernel, const char *name);

/* Run f(arg) with stdout going to a string (malloc'd). */
char *lt_capture_stdout(void (*f)(void *), void *arg);

#endif
