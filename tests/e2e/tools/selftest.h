/*
 * selftest.h: a module written by hand in the form `tensorc build` writes
 * (spec/abi.md), to test the e2e tools themselves: run.sh builds the
 * harness with it and checks that the harness passes it, and that it
 * fails it when a bug is compiled in (selftest.c, -DSELFTEST_BUG=...).
 *
 * Kernel selftest: dim N, weight w f32[4], inputs x f32[N], idx i64[N],
 * output y f32[N, 2] with y[i][0] = x[i] * w[i % 4], y[i][1] = x[idx[i]].
 */
#ifndef TC_E2E_SELFTEST_H
#define TC_E2E_SELFTEST_H
#include <stdint.h>
#ifndef TENSORC_ABI_V1
#define TENSORC_ABI_V1
#define TC_OK 0
#define TC_EINVAL (-1)
#define TC_ENOMEM (-2)
#define TC_EINDEX (-3)
#define TC_DERIVED INT64_MIN
enum tc_dtype { TC_F32 = 1, TC_F64, TC_BF16, TC_I8, TC_U8, TC_I32, TC_I64 };
enum tc_role  { TC_INPUT = 1, TC_WEIGHT, TC_OUTPUT };
enum tc_format { TC_DENSE = 0, TC_CSR_ROWPTR, TC_CSR_COL, TC_CSR_VAL };
typedef struct tc_arg_info { const char *name; int role, dtype, format, rank; const int64_t *csr_shape; const int64_t *shape; } tc_arg_info;
typedef struct tc_kernel_info { const char *name; int ndims; const char *const *dim_names; int nargs; const tc_arg_info *args; } tc_kernel_info;
#endif
typedef struct selftest_ctx selftest_ctx;
int selftest_create(selftest_ctx **ctx, const float *w);
void selftest_destroy(selftest_ctx *ctx);
int selftest_run(const selftest_ctx *ctx, int64_t N, const float *x, const int64_t *idx, float *y);
const tc_kernel_info *selftest_info(void);
int selftest_create_v(selftest_ctx **ctx, const void *const *weights);
int selftest_run_v(const selftest_ctx *ctx, const int64_t *dims, const void *const *inputs, void *const *outputs);
int selftest_shape(int arg, const int64_t *dims, int64_t *shape);
#endif
