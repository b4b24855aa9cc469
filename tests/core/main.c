/*
 * main.c: the runner of tests/core, the graph IR core (extents, node
 * constructors, scalar expressions, printer, verifier).
 */
#include <check.h>
#include <stdlib.h>

#include "core_tests.h"

int main(void) {
  SRunner *sr = srunner_create(core_ext_suite());
  srunner_add_suite(sr, core_graph_suite());
  srunner_add_suite(sr, core_ops_suite());
  srunner_add_suite(sr, core_misc_suite());
  srunner_add_suite(sr, core_ops3_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
