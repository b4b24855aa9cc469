/*
 * main.c: the runner of tests/lang, the Lua front end.
 */
#include <check.h>
#include <stdlib.h>

#include "lang_tests.h"

int main(void) {
  SRunner *sr = srunner_create(lang_sandbox_suite());
  srunner_add_suite(sr, lang_errors_suite());
  srunner_add_suite(sr, lang_graph_suite());
  srunner_add_suite(sr, lang_session_suite());
  srunner_add_suite(sr, lang_fuzz_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
