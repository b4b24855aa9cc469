/*
 * main.c: the runner of tests/ref: the reference interpreter, .npy files
 * and random numbers.  The fixtures are found in $TC_FIXTURES, else
 * tests/fixtures (make runs the runners from the repository's root).
 */
#include <stdlib.h>

#include "ref_tests.h"

int main(void) {
  SRunner *sr = srunner_create(ref_npy_suite());
  srunner_add_suite(sr, ref_interp_suite());
  srunner_add_suite(sr, ref_fixtures_suite());
  srunner_add_suite(sr, ref_ops3_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
