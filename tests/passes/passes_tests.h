/* passes_tests.h: what the files of tests/passes share. */
#ifndef TC_TESTS_PASSES_H
#define TC_TESTS_PASSES_H

#include <check.h>

#include "tensorc/loop.h"

/* tests/passes/passes_test.c: the module of DSL text `src` (named t.lua),
   decomposed and verified; the loop program of its kernel `kernel`,
   lowered and verified (both fail the test on an error). */
tc_module *tcT_load(const char *src);
/* The same with the graph rewrites before decompose: fold, then (nhwc
   1) nhwc; dce after decompose; verified after each step. */
tc_module *tcT_load_rewritten(const char *src, int nhwc);
tc_loop_prog *tcT_lower(tc_module *m, int kernel);

/* tests/passes/ops3_test.c: the quant pass and the lowering of issue 3's
   operations. */
void add_ops3_tests(Suite *s);

/* tests/passes/fuse_test.c: vertical fusion (passes/fuse.c). */
void add_fuse_tests(Suite *s);

/* tests/passes/nest_test.c: the chunk and nest passes. */
void add_nest_tests(Suite *s);
/* gemm_test.c: the gemm pass and the fusion of epilogues. */
void add_gemm_tests(Suite *s);
/* vectorize_test.c */
void add_vectorize_tests(Suite *s);
/* fold_test.c: the fold and precompute passes. */
void add_fold_tests(Suite *s);
/* nhwc_test.c: NCHW convolutions run as NHWC (passes/nhwc.c). */
void add_nhwc_tests(Suite *s);
/* schedule_test.c: the schedule pass attaches the schedule() hints. */
void add_schedule_tests(Suite *s);

#endif
