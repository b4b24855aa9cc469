/* ext_test.c: extents: folding, canonical forms, equality, evaluation and
   printing. */
#include <inttypes.h>

#include "core_tests.h"

#define ADD(a, b) tc_ext_binary(f.ar, TC_EXT_ADD, a, b)
#define SUB(a, b) tc_ext_binary(f.ar, TC_EXT_SUB, a, b)
#define MUL(a, b) tc_ext_binary(f.ar, TC_EXT_MUL, a, b)
#define FDIV(a, b) tc_ext_binary(f.ar, TC_EXT_FLOORDIV, a, b)
#define MAX(a, b) tc_ext_binary(f.ar, TC_EXT_MAX, a, b)
#define MIN(a, b) tc_ext_binary(f.ar, TC_EXT_MIN, a, b)

/* e is the constant want. */
#define ck_const(e, want)                                                   \
  do {                                                                      \
    int64_t v_ = -12345;                                                    \
    ck_assert_msg(tc_ext_is_const(e, &v_) && v_ == (want),                  \
                  "%s: expected the constant %" PRId64 ", got %s", #e,      \
                  (int64_t)(want), text_ext(&f, e));                        \
  } while (0)

#define ck_text(e, want)                                                    \
  ck_assert_msg(strcmp(text_ext(&f, e), want) == 0,                         \
                "%s: expected \"%s\", got \"%s\"", #e, want, text_ext(&f, e))

START_TEST(fold_constants) {
  tfx f = tfx_new();
  ck_const(ADD(tcn(&f, 2), tcn(&f, 3)), 5);
  ck_const(SUB(tcn(&f, 2), tcn(&f, 3)), -1);
  ck_const(MUL(tcn(&f, 6), tcn(&f, 7)), 42);
  ck_const(FDIV(tcn(&f, 7), tcn(&f, 2)), 3);
  ck_const(FDIV(tcn(&f, -7), tcn(&f, 2)), -4); /* floor, as in the DSL */
  ck_const(MAX(tcn(&f, -7), tcn(&f, 2)), 2);
  ck_const(MIN(tcn(&f, -7), tcn(&f, 2)), -7);
  /* an overflowing fold is kept as an expression and fails at eval */
  const tc_ext *big = MUL(tcn(&f, INT64_MAX), tcn(&f, 2));
  ck_assert_msg(!tc_ext_is_const(big, NULL),
                "INT64_MAX * 2 must not fold to a wrapped constant");
  int64_t v;
  ck_assert_msg(tc_ext_eval(big, NULL, &v) == TC_EINVAL,
                "eval of INT64_MAX * 2 must be TC_EINVAL");
  tfx_free(&f);
}
END_TEST

START_TEST(simplify_identities) {
  tfx f = tfx_new();
  const tc_ext *N = tdim(&f, "N"), *M = tdim(&f, "M");
  ck_assert_msg(tc_ext_equal(ADD(N, tcn(&f, 0)), N), "N + 0 is N");
  ck_assert_msg(tc_ext_equal(ADD(tcn(&f, 0), N), N), "0 + N is N");
  ck_assert_msg(tc_ext_equal(SUB(N, tcn(&f, 0)), N), "N - 0 is N");
  ck_assert_msg(tc_ext_equal(MUL(N, tcn(&f, 1)), N), "N * 1 is N");
  ck_assert_msg(tc_ext_equal(MUL(tcn(&f, 1), N), N), "1 * N is N");
  ck_const(MUL(N, tcn(&f, 0)), 0);
  ck_const(SUB(MUL(N, M), MUL(M, N)), 0);
  ck_assert_msg(tc_ext_equal(FDIV(N, tcn(&f, 1)), N), "N // 1 is N");
  ck_assert_msg(tc_ext_equal(ADD(SUB(N, tcn(&f, 4)), tcn(&f, 4)), N),
                "N - 4 + 4 is N, got %s",
                text_ext(&f, ADD(SUB(N, tcn(&f, 4)), tcn(&f, 4))));
  ck_assert_msg(tc_ext_equal(MUL(MUL(tcn(&f, 4), N), tcn(&f, 2)),
                             MUL(N, tcn(&f, 8))),
                "4 * N * 2 is N * 8");
  ck_assert_msg(tc_ext_equal(MUL(N, M), MUL(M, N)), "N * M is M * N");
  ck_assert_msg(tc_ext_equal(ADD(N, M), ADD(M, N)), "N + M is M + N");
  ck_assert_msg(!tc_ext_equal(N, M), "N is not M");
  ck_assert_msg(tc_ext_equal(FDIV(MUL(N, tcn(&f, 4)), tcn(&f, 4)), N),
                "N * 4 // 4 is N");
  ck_assert_msg(tc_ext_equal(SUB(ADD(N, tcn(&f, 1)), N), tcn(&f, 1)),
                "N + 1 - N is 1, got %s",
                text_ext(&f, SUB(ADD(N, tcn(&f, 1)), N)));
  ck_assert_msg(tc_ext_equal(FDIV(MUL(N, tcn(&f, 2)), tcn(&f, 4)),
                             FDIV(N, tcn(&f, 2))),
                "N * 2 // 4 is N // 2");
  ck_assert_msg(tc_ext_equal(FDIV(FDIV(N, tcn(&f, 2)), tcn(&f, 3)),
                             FDIV(N, tcn(&f, 6))),
                "N // 2 // 3 is N // 6");
  ck_assert_msg(tc_ext_equal(MAX(N, tcn(&f, 0)), N), "max(N, 0) is N");
  ck_const(MIN(N, tcn(&f, 0)), 0);
  ck_text(ADD(N, tcn(&f, -3)), "N - 3");
  ck_text(ADD(tcn(&f, 5), N), "N + 5");
  tfx_free(&f);
}
END_TEST

START_TEST(eval_values_and_errors) {
  tfx f = tfx_new();
  const tc_ext *W = tdim(&f, "W"), *N = tdim(&f, "N");
  int64_t v, dims[2] = {9, 3};
  /* (W - 3)//2 + 1 for W = 9 is 4 */
  const tc_ext *conv = ADD(FDIV(SUB(W, tcn(&f, 3)), tcn(&f, 2)), tcn(&f, 1));
  ck_assert_msg(tc_ext_eval(conv, dims, &v) == TC_OK && v == 4,
                "(W - 3)//2 + 1 with W = 9: expected 4, got %" PRId64, v);
  /* a negative result is an error, a negative intermediate is not:
     (N - 5)//2 + 3 with N = 2 is (-3)//2 + 3 = -2 + 3 = 1 */
  const tc_ext *e = ADD(FDIV(SUB(N, tcn(&f, 5)), tcn(&f, 2)), tcn(&f, 3));
  ck_assert_msg(tc_ext_eval(e, (int64_t[]){0, 2}, &v) == TC_OK && v == 1,
                "(N - 5)//2 + 3 with N = 2: expected 1 (floor division)");
  ck_assert_msg(tc_ext_eval(SUB(N, tcn(&f, 5)), dims, &v) == TC_EINVAL,
                "N - 5 with N = 3 is negative: expected TC_EINVAL");
  /* overflow */
  const tc_ext *sq = MUL(MUL(W, W), MUL(W, W));
  ck_assert_msg(tc_ext_eval(sq, (int64_t[]){(int64_t)1 << 15, 0}, &v) ==
                        TC_OK && v == (int64_t)1 << 60,
                "W^4 with W = 2^15: expected 2^60");
  ck_assert_msg(tc_ext_eval(sq, (int64_t[]){(int64_t)1 << 16, 0}, &v) ==
                    TC_EINVAL,
                "W^4 with W = 2^16 (2^64) overflows: expected TC_EINVAL");
  ck_assert_msg(tc_ext_eval(MUL(MUL(W, W), W), (int64_t[]){(int64_t)1 << 22, 0},
                            &v) == TC_EINVAL,
                "W^3 with W = 2^22 (2^66) overflows: expected TC_EINVAL");
  ck_assert_msg(tc_ext_eval(ADD(W, tcn(&f, INT64_MAX)), dims, &v) == TC_EINVAL,
                "W + INT64_MAX overflows: expected TC_EINVAL");
  /* division by a non-positive extent (only made internally) */
  ck_assert_msg(tc_ext_eval(FDIV(W, N), (int64_t[]){9, 0}, &v) == TC_EINVAL,
                "W // N with N = 0: expected TC_EINVAL");
  ck_assert_msg(tc_ext_eval(FDIV(W, N), (int64_t[]){9, 2}, &v) == TC_OK && v == 4,
                "W // N with 9, 2: expected 4");
  tfx_free(&f);
}
END_TEST

START_TEST(print_dsl_and_c) {
  tfx f = tfx_new();
  const tc_ext *W = tdim(&f, "W"), *N = tdim(&f, "N");
  const char *names[] = {"W", "N"};
  const tc_ext *conv = ADD(FDIV(SUB(W, tcn(&f, 3)), tcn(&f, 2)), tcn(&f, 1));
  ck_text(conv, "(W - 3)//2 + 1");
  tc_buf b = {0};
  tc_ext_print(&b, conv, names, 0);
  ck_assert_msg(strcmp(b.data, "(tc_fdiv(W - 3, 2) + 1)") == 0,
                "C text of (W - 3)//2 + 1: got \"%s\"", b.data);
  tc_buf_free(&b);
  ck_text(MUL(ADD(W, N), tcn(&f, 2)), "(W + N) * 2");
  ck_text(SUB(W, ADD(N, tcn(&f, 1))), "W - N - 1");
  ck_text(SUB(W, MUL(N, tcn(&f, 2))), "W - N * 2");
  ck_text(MAX(SUB(W, N), tcn(&f, 0)), "max(W - N, 0)");
  ck_text(MUL(W, FDIV(N, tcn(&f, 2))), "W * (N//2)");
  tc_ext_print(&b, MIN(W, N), names, 0);
  ck_assert_msg(strcmp(b.data, "tc_min64(W, N)") == 0,
                "C text of min(W, N): got \"%s\"", b.data);
  tc_buf_free(&b);
  tc_ext_print(&b, W, NULL, 1);
  ck_assert_msg(strcmp(b.data, "d0") == 0, "a dim without names: got \"%s\"",
                b.data);
  tc_buf_free(&b);
  tfx_free(&f);
}
END_TEST


/* Every simplification keeps the value: random extent trees over two dims
   are evaluated against a naive evaluator of the unsimplified tree. */
typedef struct raw {
  int kind; /* -1 const, -2 dim, else tc_ext_kind */
  int64_t v;
  int a, b;
} raw;

static int naive(const raw *r, int i, const int64_t *dims, int64_t *out) {
  if (r[i].kind == -1) { *out = r[i].v; return 0; }
  if (r[i].kind == -2) { *out = dims[r[i].v]; return 0; }
  int64_t a, b;
  if (naive(r, r[i].a, dims, &a) || naive(r, r[i].b, dims, &b))
    return -1;
  switch (r[i].kind) {
  case TC_EXT_ADD: *out = a + b; return 0;
  case TC_EXT_SUB: *out = a - b; return 0;
  case TC_EXT_MUL: *out = a * b; return 0;
  case TC_EXT_FLOORDIV:
    if (b <= 0) return -1;
    *out = a / b - ((a % b != 0) && (a < 0));
    return 0;
  case TC_EXT_MAX: *out = a > b ? a : b; return 0;
  default: *out = a < b ? a : b; return 0;
  }
}

START_TEST(simplify_keeps_values) {
  tfx f = tfx_new();
  const tc_ext *dim[2] = {tdim(&f, "N"), tdim(&f, "M")};
  unsigned seed = 12345;
  for (int trial = 0; trial < 3000; trial++) {
    raw r[16];
    const tc_ext *e[16];
    int n = 0;
    for (; n < 16; n++) {
      seed = seed * 1103515245u + 12345u;
      unsigned pick = (seed >> 16) % 10;
      if (n < 3 || pick < 3) {
        if (pick % 2) {
          r[n] = (raw){-1, (int64_t)((seed >> 8) % 7) - 1, 0, 0};
          e[n] = tcn(&f, r[n].v);
        } else {
          r[n] = (raw){-2, (seed >> 8) % 2, 0, 0};
          e[n] = dim[r[n].v];
        }
      } else {
        int kind = TC_EXT_ADD + (int)((seed >> 4) % 6);
        int a = (int)((seed >> 12) % n), b = (int)((seed >> 20) % n);
        if (kind == TC_EXT_FLOORDIV) { /* divisors are positive constants */
          r[n] = (raw){-1, 1 + (int64_t)((seed >> 9) % 4), 0, 0};
          e[n] = tcn(&f, r[n].v);
          b = n++;
          if (n == 16) break;
        }
        r[n] = (raw){kind, 0, a, b};
        e[n] = tc_ext_binary(f.ar, (tc_ext_kind)kind, e[a], e[b]);
      }
    }
    int last = n - 1;
    for (int64_t x = 0; x < 5; x++)
      for (int64_t y = 0; y < 5; y++) {
        int64_t dims[2] = {x, y}, want, got;
        if (naive(r, last, dims, &want) < 0)
          continue;
        int rc = tc_ext_eval(e[last], dims, &got);
        ck_assert_msg(want < 0 ? rc == TC_EINVAL : (rc == TC_OK && got == want),
                      "trial %d, N=%" PRId64 " M=%" PRId64 ": %s evaluates to %"
                      PRId64 " (rc %d), expected %" PRId64, trial, x, y,
                      text_ext(&f, e[last]), got, rc, want);
      }
  }
  tfx_free(&f);
}
END_TEST

Suite *core_ext_suite(void) {
  Suite *s = suite_create("core_ext");
  TCase *tc = tcase_create("ext");
  tcase_add_test(tc, fold_constants);
  tcase_add_test(tc, simplify_identities);
  tcase_add_test(tc, eval_values_and_errors);
  tcase_add_test(tc, print_dsl_and_c);
  tcase_add_test(tc, simplify_keeps_values);
  suite_add_tcase(s, tc);
  return s;
}
