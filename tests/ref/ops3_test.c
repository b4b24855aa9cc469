/*
 * ops3_test.c: the interpreter's convolution and pooling against explicit
 * loops written here (a second, independent statement of what they mean,
 * on random data and many shapes), and hostile data for the sparse and
 * indexing ops: CSR matrices with empty rows, a rowptr that does not start
 * at 0 or decreases, columns out of range, and negative or huge indices,
 * which must give TC_EINDEX (or TC_EINVAL for missing arrays), never a
 * read out of bounds.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lang/lang.h"
#include "../../rt/rt.h"
#include "ref_tests.h"

static tc_module *load(const char *src) {
  tcL_options opt = {0};
  tc_diag d = {0};
  tc_module *m = tcL_load_string(src, "t.lua", &opt, &d);
  ck_assert_msg(m != NULL, "loading\n%s\nfailed: %s", src, d.msg);
  return m;
}

static float *random_floats(tcR_rng *r, int64_t n) {
  float *p = malloc((size_t)(n ? n : 1) * sizeof *p);
  for (int64_t i = 0; i < n; i++) p[i] = (float)(2 * tcR_rng_uniform(r) - 1);
  return p;
}

/* ---- conv2d ------------------------------------------------------------- */

typedef struct conv_cfg {
  int n, c, h, w, co, kh, kw, sh, sw, ph, pw, dh, dw, groups, nhwc, bias;
} conv_cfg;

static const conv_cfg convs[] = {
    {1, 1, 5, 5, 1, 3, 3, 1, 1, 0, 0, 1, 1, 1, 0, 0},
    {2, 3, 7, 6, 4, 3, 2, 2, 1, 1, 0, 1, 2, 1, 0, 1},
    {1, 4, 6, 9, 6, 2, 3, 1, 3, 1, 2, 2, 1, 2, 0, 1},
    {2, 6, 5, 5, 6, 3, 3, 2, 2, 1, 1, 1, 1, 6, 0, 1}, /* depthwise */
    {1, 6, 8, 3, 12, 1, 1, 3, 1, 0, 1, 1, 1, 3, 0, 0},
    {2, 3, 7, 6, 4, 3, 2, 2, 1, 1, 0, 1, 2, 1, 1, 1}, /* NHWC */
    {1, 4, 6, 9, 6, 2, 3, 1, 3, 1, 2, 2, 1, 2, 1, 0},
    {2, 5, 4, 4, 5, 3, 3, 1, 1, 2, 2, 2, 2, 5, 1, 1}, /* NHWC depthwise */
    {1, 2, 1, 1, 3, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1}, /* 1x1 image */
};

START_TEST(conv2d_matches_explicit_loop) {
  const conv_cfg *c = &convs[_i];
  int cg = c->c / c->groups;
  int ho = (c->h + 2 * c->ph - c->dh * (c->kh - 1) - 1) / c->sh + 1;
  int wo = (c->w + 2 * c->pw - c->dw * (c->kw - 1) - 1) / c->sw + 1;
  char src[1024];
  snprintf(src, sizeof src,
           "kernel('k')\nlocal N = dim('N')\n"
           "local x = input('x', f32, {N, %d, %d, %d})\n"
           "local w = weight('w', f32, {%d, %d, %d, %d})\n"
           "local b = weight('b', f32, {%d})\n"
           "output('y', conv2d(x, w, %s, {stride = {%d, %d}, padding = {%d, %d}, "
           "dilation = {%d, %d}, groups = %d, layout = '%s'}))\n",
           c->nhwc ? c->h : c->c, c->nhwc ? c->w : c->h, c->nhwc ? c->c : c->w,
           c->nhwc ? c->kh : c->co, c->nhwc ? c->kw : cg, c->nhwc ? cg : c->kh,
           c->nhwc ? c->co : c->kw, c->co, c->bias ? "b" : "nil", c->sh, c->sw, c->ph, c->pw,
           c->dh, c->dw, c->groups, c->nhwc ? "NHWC" : "NCHW");
  tc_module *m = load(src);
  tcR_rng r;
  tcR_rng_seed(&r, 1000 + (uint64_t)_i);
  int64_t nx = (int64_t)c->n * c->c * c->h * c->w, nw = (int64_t)c->co * cg * c->kh * c->kw;
  int64_t ny = (int64_t)c->n * c->co * ho * wo;
  float *x = random_floats(&r, nx), *w = random_floats(&r, nw), *b = random_floats(&r, c->co);
  float *y = calloc((size_t)ny, sizeof *y);
  const void *weights[2] = {w, b};
  const void *inputs[1] = {x};
  void *outputs[1] = {y};
  int64_t dims[1] = {c->n};
  int rc = tcR_ref_run(m->kernels.data[0], dims, weights, inputs, outputs);
  ck_assert_msg(rc == TC_OK, "%s: tcR_ref_run returned %d, expected TC_OK", src, rc);
  int per = c->co / c->groups;
  for (int n = 0; n < c->n; n++)
    for (int o = 0; o < c->co; o++)
      for (int i = 0; i < ho; i++)
        for (int j = 0; j < wo; j++) {
          double s = c->bias ? b[o] : 0;
          int g = o / per;
          for (int q = 0; q < cg; q++)
            for (int u = 0; u < c->kh; u++)
              for (int v = 0; v < c->kw; v++) {
                int ih = i * c->sh - c->ph + u * c->dh, iw = j * c->sw - c->pw + v * c->dw;
                if (ih < 0 || ih >= c->h || iw < 0 || iw >= c->w) continue;
                int ch = g * cg + q;
                double xv = c->nhwc ? x[((n * c->h + ih) * c->w + iw) * c->c + ch]
                                    : x[((n * c->c + ch) * c->h + ih) * c->w + iw];
                double wv = c->nhwc ? w[((u * c->kw + v) * cg + q) * c->co + o]
                                    : w[((o * cg + q) * c->kh + u) * c->kw + v];
                s += xv * wv;
              }
          double got = c->nhwc ? y[((n * ho + i) * wo + j) * c->co + o]
                               : y[((n * c->co + o) * ho + i) * wo + j];
          ck_assert_msg(fabs(got - s) <= 1e-6 * fabs(s) + 1e-6,
                        "%s: y at n=%d o=%d i=%d j=%d is %.9g, the explicit loop gives %.9g",
                        src, n, o, i, j, got, s);
        }
  free(x);
  free(w);
  free(b);
  free(y);
  tc_module_free(m);
}
END_TEST

/* ---- pooling --------------------------------------------------------------- */

typedef struct pool_cfg {
  int max, n, c, h, w, kh, kw, sh, sw, ph, pw;
} pool_cfg;

static const pool_cfg pools[] = {
    {1, 1, 2, 5, 5, 2, 2, 2, 2, 0, 0}, {1, 2, 3, 7, 6, 3, 3, 2, 2, 1, 1},
    {1, 1, 1, 4, 9, 3, 5, 1, 2, 1, 2}, {0, 1, 2, 5, 5, 2, 2, 2, 2, 0, 0},
    {0, 2, 3, 7, 6, 3, 3, 2, 2, 1, 1}, {0, 1, 1, 4, 9, 3, 5, 1, 2, 1, 2},
    {0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0},
};

START_TEST(pool_matches_explicit_loop) {
  const pool_cfg *c = &pools[_i];
  int ho = (c->h + 2 * c->ph - c->kh) / c->sh + 1, wo = (c->w + 2 * c->pw - c->kw) / c->sw + 1;
  char src[512];
  snprintf(src, sizeof src,
           "kernel('k')\nlocal x = input('x', f32, {%d, %d, %d, %d})\n"
           "output('y', %s(x, {%d, %d}, {stride = {%d, %d}, padding = {%d, %d}}))\n",
           c->n, c->c, c->h, c->w, c->max ? "max_pool2d" : "avg_pool2d", c->kh, c->kw, c->sh,
           c->sw, c->ph, c->pw);
  tc_module *m = load(src);
  tcR_rng r;
  tcR_rng_seed(&r, 2000 + (uint64_t)_i);
  int64_t nx = (int64_t)c->n * c->c * c->h * c->w, ny = (int64_t)c->n * c->c * ho * wo;
  float *x = random_floats(&r, nx), *y = calloc((size_t)ny, sizeof *y);
  const void *inputs[1] = {x};
  void *outputs[1] = {y};
  int rc = tcR_ref_run(m->kernels.data[0], NULL, NULL, inputs, outputs);
  ck_assert_msg(rc == TC_OK, "%s: tcR_ref_run returned %d, expected TC_OK", src, rc);
  for (int p = 0; p < c->n * c->c; p++)
    for (int i = 0; i < ho; i++)
      for (int j = 0; j < wo; j++) {
        double s = c->max ? -INFINITY : 0;
        for (int u = 0; u < c->kh; u++)
          for (int v = 0; v < c->kw; v++) {
            int ih = i * c->sh - c->ph + u, iw = j * c->sw - c->pw + v;
            if (ih < 0 || ih >= c->h || iw < 0 || iw >= c->w) continue; /* padding */
            double e = x[(p * c->h + ih) * c->w + iw];
            s = c->max ? (e > s ? e : s) : s + e;
          }
        if (!c->max) s /= c->kh * c->kw; /* padding counts (count_include_pad) */
        double got = y[(p * ho + i) * wo + j];
        ck_assert_msg(fabs(got - s) <= 1e-6 * fabs(s) + 1e-7,
                      "%s: y at plane %d, (%d, %d) is %.9g, the explicit loop gives %.9g", src,
                      p, i, j, got, s);
      }
  free(x);
  free(y);
  tc_module_free(m);
}
END_TEST

/* ---- hostile CSR --------------------------------------------------------------- */

/* spmm(A, x, reduce) for A 4 x 3 with the given rowptr and col (i64 or
   i32), values all 2, x[j, f] = j + 1 + 10 f; returns the code and fills
   y (4 x 2). */
static int run_spmm(const char *reduce, const char *index, const int64_t *rowptr,
                    const int64_t *col, int nnz, int null_col, float *y) {
  char src[512];
  snprintf(src, sizeof src,
           "kernel('k')\nlocal A = csr('A', f32, {4, 3}, {index = %s})\n"
           "local x = input('x', f32, {3, 2})\noutput('y', spmm(A, x, '%s'))\n",
           index, reduce);
  tc_module *m = load(src);
  int32_t rp32[5], col32[16];
  for (int i = 0; i < 5; i++) rp32[i] = (int32_t)rowptr[i];
  for (int i = 0; i < nnz; i++) col32[i] = (int32_t)col[i];
  float val[16], x[6];
  for (int i = 0; i < 16; i++) val[i] = 2;
  for (int j = 0; j < 3; j++)
    for (int f = 0; f < 2; f++) x[j * 2 + f] = (float)(j + 1 + 10 * f);
  int i32 = strcmp(index, "i32") == 0;
  const void *inputs[4] = {i32 ? (const void *)rp32 : rowptr,
                           null_col ? NULL : i32 ? (const void *)col32 : col, val, x};
  void *outputs[1] = {y};
  int rc = tcR_ref_run(m->kernels.data[0], NULL, NULL, inputs, outputs);
  tc_module_free(m);
  return rc;
}

START_TEST(csr_valid_with_empty_rows) {
  /* rows 0 and 2 are empty; row 1 has cols 0 and 2; row 3 has col 1 */
  const int64_t rowptr[5] = {0, 0, 2, 2, 3}, col[3] = {0, 2, 1};
  static const char *const idx[] = {"i64", "i32"};
  for (int t = 0; t < 2; t++) {
    float y[8];
    int rc = run_spmm("sum", idx[t], rowptr, col, 3, 0, y);
    ck_assert_msg(rc == TC_OK, "spmm sum with empty rows (%s): returned %d", idx[t], rc);
    const float want[8] = {0, 0, 2 * (1 + 3), 2 * (11 + 13), 0, 0, 2 * 2, 2 * 12};
    for (int i = 0; i < 8; i++)
      ck_assert_msg(y[i] == want[i], "spmm sum (%s): y[%d] = %g, expected %g", idx[t], i,
                    y[i], want[i]);
    rc = run_spmm("max", idx[t], rowptr, col, 3, 0, y);
    ck_assert_msg(rc == TC_OK && y[0] == 0 && y[2] == 6 && y[4] == 0,
                  "spmm max (%s): rc %d, y = %g %g %g, expected 0 6 0 (empty rows give 0)",
                  idx[t], rc, y[0], y[2], y[4]);
    rc = run_spmm("mean", idx[t], rowptr, col, 3, 0, y);
    ck_assert_msg(rc == TC_OK && y[0] == 0 && y[2] == 4,
                  "spmm mean (%s): rc %d, y = %g %g, expected 0 4", idx[t], rc, y[0], y[2]);
  }
}
END_TEST

START_TEST(csr_bad_rowptr_and_col_are_eindex) {
  static const struct {
    const char *what;
    int64_t rowptr[5], col[4];
    int nnz, null_col, want;
  } cases[] = {
      {"rowptr[0] = 1", {1, 1, 2, 2, 3}, {0, 1, 2}, 3, 0, TC_EINDEX},
      {"rowptr[0] = -1", {-1, 0, 2, 2, 3}, {0, 1, 2, 0}, 4, 0, TC_EINDEX},
      {"a decreasing rowptr", {0, 2, 1, 2, 3}, {0, 1, 2}, 3, 0, TC_EINDEX},
      {"col = cols", {0, 1, 2, 2, 3}, {0, 3, 2}, 3, 0, TC_EINDEX},
      {"col = -1", {0, 1, 2, 2, 3}, {0, 1, -1}, 3, 0, TC_EINDEX},
      {"col = INT64_MAX", {0, 1, 2, 2, 3}, {INT64_MAX, 1, 2}, 3, 0, TC_EINDEX},
      {"a NULL col with entries", {0, 1, 2, 2, 3}, {0, 1, 2}, 3, 1, TC_EINVAL},
      {"a NULL col without entries", {0, 0, 0, 0, 0}, {0}, 0, 1, TC_OK},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    float y[8];
    int rc = run_spmm("sum", "i64", cases[i].rowptr, cases[i].col, cases[i].nnz,
                      cases[i].null_col, y);
    ck_assert_msg(rc == cases[i].want, "spmm with %s: returned %d, expected %d",
                  cases[i].what, rc, cases[i].want);
  }
  /* i32: a column that i64 would hold but is out of range */
  const int64_t rowptr[5] = {0, 1, 1, 1, 1}, col[1] = {INT32_MIN};
  float y[8];
  int rc = run_spmm("min", "i32", rowptr, col, 1, 0, y);
  ck_assert_msg(rc == TC_EINDEX, "spmm with an i32 col of INT32_MIN: returned %d, expected "
                "TC_EINDEX", rc);
}
END_TEST

/* A csr argument no output depends on is neither read nor validated (as
   in the generated code, which lowers only what the outputs need). */
START_TEST(unused_csr_is_not_validated) {
  tc_module *m = load("kernel('k')\nlocal A = csr('A', f32, {2, 2})\n"
                      "local x = input('x', f32, {2})\noutput('y', x + 1)\n");
  int64_t rowptr[3] = {5, 1, 0}, col[1] = {-7};
  float val[1] = {0}, x[2] = {1, 2}, y[2];
  const void *inputs[4] = {rowptr, col, val, x};
  void *outputs[1] = {y};
  int rc = tcR_ref_run(m->kernels.data[0], NULL, NULL, inputs, outputs);
  ck_assert_msg(rc == TC_OK && y[0] == 2 && y[1] == 3,
                "an unused csr with a broken rowptr: returned %d (y = %g %g), expected TC_OK "
                "and y = 2 3", rc, y[0], y[1]);
  tc_module_free(m);
}
END_TEST

/* ---- hostile indices ------------------------------------------------------------- */

START_TEST(bad_indices_are_eindex) {
  static const char *const srcs[] = {
      "output('y', gather(x, 0, input('i', i64, {2, 3})))\n",
      "output('y', index_select(x, 1, input('i', i64, {6})))\n",
      "output('y', scatter(x, input('i', i64, {4}), 0, 5, 'sum'))\n",
      "output('y', scatter(x, input('i', i64, {4}), 0, 5, 'max'))\n",
  };
  static const int64_t bad[] = {-1, 4, 5, INT64_MAX, INT64_MIN, -4};
  for (size_t s = 0; s < sizeof srcs / sizeof srcs[0]; s++) {
    char src[512];
    snprintf(src, sizeof src, "kernel('k')\nlocal x = input('x', f32, {4, 3})\n%s", srcs[s]);
    tc_module *m = load(src);
    const tc_kernel *k = m->kernels.data[0];
    int64_t oshape[2];
    ck_assert(tc_kernel_arg_shape(k, 2, NULL, oshape) == TC_OK);
    float x[12] = {0}, y[64];
    int64_t idx[6] = {0, 1, 2, 0, 1, 2};
    const void *inputs[2] = {x, idx};
    void *outputs[1] = {y};
    int rc = tcR_ref_run(k, NULL, NULL, inputs, outputs);
    ck_assert_msg(rc == TC_OK, "%s with valid indices: returned %d", src, rc);
    for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
      /* index_select's axis has 3 entries, gather's 4, scatter's size 5 */
      int64_t limit = s == 1 ? 3 : s == 0 ? 4 : 5;
      idx[2] = bad[b];
      rc = tcR_ref_run(k, NULL, NULL, inputs, outputs);
      int want = bad[b] >= 0 && bad[b] < limit ? TC_OK : TC_EINDEX;
      ck_assert_msg(rc == want, "%s with index %lld: returned %d, expected %d", src,
                    (long long)bad[b], rc, want);
    }
    tc_module_free(m);
  }
}
END_TEST

Suite *ref_ops3_suite(void) {
  Suite *s = suite_create("ref_ops3");
  TCase *tl = tcase_create("explicit_loops");
  tcase_set_timeout(tl, 20);
  tcase_add_loop_test(tl, conv2d_matches_explicit_loop, 0,
                      (int)(sizeof convs / sizeof convs[0]));
  tcase_add_loop_test(tl, pool_matches_explicit_loop, 0, (int)(sizeof pools / sizeof pools[0]));
  suite_add_tcase(s, tl);
  TCase *th = tcase_create("hostile");
  tcase_add_test(th, csr_valid_with_empty_rows);
  tcase_add_test(th, csr_bad_rowptr_and_col_are_eindex);
  tcase_add_test(th, bad_indices_are_eindex);
  tcase_add_test(th, unused_csr_is_not_validated);
  suite_add_tcase(s, th);
  return s;
}
