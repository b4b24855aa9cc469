/* ref_tests.h: the suites of the reference interpreter's runner
   (tests/ref/main.c). */
#ifndef TC_TESTS_REF_H
#define TC_TESTS_REF_H

#include <check.h>

Suite *ref_npy_suite(void);      /* npy_test.c: .npy round trips, hostile files; rng */
Suite *ref_interp_suite(void);   /* interp_test.c: graphs built in C, error codes */
Suite *ref_fixtures_suite(void); /* fixtures_test.c: tests/fixtures vs NumPy */
Suite *ref_ops3_suite(void);     /* ops3_test.c: conv/pool vs explicit loops; hostile data */

#endif
