/* rt_tests.h: the suites of the rt test runner (tests/rt/main.c). */
#ifndef TC_TESTS_RT_H
#define TC_TESTS_RT_H

#include <check.h>

Suite *rt_jit_suite(void); /* jit_test.c: libtcc, cc + cache, the pool */

#endif
