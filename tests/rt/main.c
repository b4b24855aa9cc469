/*
 * main.c: the runner of tests/rt.  Suites of other rt files are added to
 * the list below (declared in rt_tests.h).
 */
#include <check.h>
#include <stdlib.h>

#include "rt_tests.h"

int main(void) {
  SRunner *sr = srunner_create(rt_jit_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
