/*
 * interp_test.c: the reference interpreter on graphs built in C with the
 * tc_graph_* constructors (independent of the front end): error codes,
 * and values where NumPy fixtures cannot reach (ENOMEM, overflow,
 * wrapping at the int64 limits, accuracy of gelu far out).
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../rt/rt.h"
#include "ref_tests.h"

/* A kernel under construction. */
typedef struct T {
  tc_module *m;
  tc_kernel *k;
  tc_arena *ar;
  tc_diag d;
} T;

static const tc_loc L = {"t.lua", 1};

static void t_init(T *t) {
  memset(t, 0, sizeof *t);
  t->m = tc_module_new("t", "t.lua");
  t->k = tc_kernel_new(t->m, "t", L);
  t->ar = &t->m->arena;
}
static void t_free(T *t) { tc_module_free(t->m); }

static const tc_ext *t_dim(T *t, const char *name) {
  tc_dim dm = {name, L};
  TC_VEC_PUSH(t->k->dims, dm);
  return tc_ext_dim(t->ar, t->k->dims.len - 1);
}
static const tc_ext *C(T *t, int64_t v) { return tc_ext_const(t->ar, v); }

static int ok(T *t, int id) {
  ck_assert_msg(id >= 0, "building the test graph failed: %s", t->d.msg);
  return id;
}
static int t_input(T *t, const char *name, tc_dtype dt, int rank, const tc_ext *e0,
                   const tc_ext *e1) {
  const tc_ext *shape[2] = {e0, e1};
  return ok(t, tc_graph_arg(t->k, t->ar, name, TC_ROLE_INPUT, dt, rank, shape, L, &t->d));
}
static void t_output(T *t, const char *name, int node) {
  ok(t, tc_graph_output(t->k, t->ar, name, node, L, &t->d));
}
static int t_ew(T *t, tc_op op, int a, int b) {
  int in[2] = {a, b};
  return ok(t, tc_graph_elementwise(t->k, t->ar, op, b < 0 ? 1 : 2, in, 0, L, &t->d));
}
static int t_cast(T *t, int x, tc_dtype dt) {
  return ok(t, tc_graph_cast(t->k, t->ar, x, dt, L, &t->d));
}
static int t_reduce(T *t, tc_op op, int x, int axis) {
  int64_t ax = axis;
  return ok(t, tc_graph_reduce(t->k, t->ar, op, x, axis < 0 ? -1 : 1, &ax, 0, L, &t->d));
}

/* ---- error codes ------------------------------------------------------- */

START_TEST(negative_dim_is_einval) {
  T t;
  t_init(&t);
  const tc_ext *N = t_dim(&t, "N");
  int x = t_input(&t, "x", TC_DT_F32, 1, N, NULL);
  t_output(&t, "y", t_ew(&t, TC_OP_RELU, x, -1));
  int64_t dims[1] = {-1};
  float in[1] = {0}, out[1];
  const void *ins[1] = {in};
  void *outs[1] = {out};
  int rc = tcR_ref_run(t.k, dims, NULL, ins, outs);
  ck_assert_msg(rc == TC_EINVAL, "relu with N = -1 returned %d, expected TC_EINVAL", rc);
  t_free(&t);
}
END_TEST

START_TEST(failed_check_is_einval) {
  T t;
  t_init(&t);
  const tc_ext *N = t_dim(&t, "N"), *M = t_dim(&t, "M");
  int x = t_input(&t, "x", TC_DT_F32, 1, N, NULL);
  int y = t_input(&t, "y", TC_DT_F32, 1, M, NULL);
  t_output(&t, "z", t_ew(&t, TC_OP_ADD, x, y));
  ck_assert_msg(t.k->checks.len >= 1, "x{N} + y{M} recorded no check");
  float a[4] = {1, 2, 3, 4}, b[4] = {1, 1, 1, 1}, z[4];
  const void *ins[2] = {a, b};
  void *outs[1] = {z};
  int64_t bad[2] = {3, 4}, good[2] = {4, 4};
  int rc = tcR_ref_run(t.k, bad, NULL, ins, outs);
  ck_assert_msg(rc == TC_EINVAL, "x{N} + y{M} with N=3, M=4 returned %d, expected TC_EINVAL", rc);
  rc = tcR_ref_run(t.k, good, NULL, ins, outs);
  ck_assert_msg(rc == TC_OK && z[3] == 5, "x{N} + y{M} with N=M=4 returned %d, z[3] = %g", rc,
                z[3]);
  t_free(&t);
}
END_TEST

START_TEST(int_division_by_zero_is_einval) {
  for (int mod = 0; mod < 2; mod++) {
    T t;
    t_init(&t);
    int x = t_input(&t, "x", TC_DT_I32, 1, C(&t, 3), NULL);
    int y = t_input(&t, "y", TC_DT_I32, 1, C(&t, 3), NULL);
    t_output(&t, "z", t_ew(&t, mod ? TC_OP_MOD : TC_OP_FLOORDIV, x, y));
    int32_t a[3] = {-7, 7, -7}, b[3] = {2, -2, 0}, z[3];
    const void *ins[2] = {a, b};
    void *outs[1] = {z};
    int rc = tcR_ref_run(t.k, NULL, NULL, ins, outs);
    ck_assert_msg(rc == TC_EINVAL, "i32 %s by 0 returned %d, expected TC_EINVAL",
                  mod ? "%" : "//", rc);
    b[2] = 3;
    rc = tcR_ref_run(t.k, NULL, NULL, ins, outs);
    ck_assert_int_eq(rc, TC_OK);
    if (mod)
      ck_assert_msg(z[0] == 1 && z[1] == -1 && z[2] == 2, "-7%%2, 7%%-2, -7%%3 gave %d %d %d",
                    z[0], z[1], z[2]);
    else
      ck_assert_msg(z[0] == -4 && z[1] == -4 && z[2] == -3, "-7//2, 7//-2, -7//3 gave %d %d %d",
                    z[0], z[1], z[2]);
    t_free(&t);
  }
}
END_TEST

START_TEST(int64_limits_wrap) {
  T t;
  t_init(&t);
  int x = t_input(&t, "x", TC_DT_I64, 1, C(&t, 2), NULL);
  int y = t_input(&t, "y", TC_DT_I64, 1, C(&t, 2), NULL);
  t_output(&t, "q", t_ew(&t, TC_OP_FLOORDIV, x, y));
  t_output(&t, "r", t_ew(&t, TC_OP_MOD, x, y));
  t_output(&t, "s", t_ew(&t, TC_OP_ADD, x, x));
  t_output(&t, "n", t_ew(&t, TC_OP_NEG, x, -1));
  int64_t a[2] = {INT64_MIN, INT64_MAX}, b[2] = {-1, -1}, q[2], r[2], s[2], n[2];
  const void *ins[2] = {a, b};
  void *outs[4] = {q, r, s, n};
  ck_assert_int_eq(tcR_ref_run(t.k, NULL, NULL, ins, outs), TC_OK);
  ck_assert_msg(q[0] == INT64_MIN && r[0] == 0, "INT64_MIN // -1 gave %lld rem %lld",
                (long long)q[0], (long long)r[0]);
  ck_assert(q[1] == -INT64_MAX && r[1] == 0);
  ck_assert_msg(s[0] == 0 && s[1] == -2, "INT64 additions did not wrap: %lld %lld",
                (long long)s[0], (long long)s[1]);
  ck_assert(n[0] == INT64_MIN && n[1] == -INT64_MAX);
  t_free(&t);
}
END_TEST

START_TEST(empty_reductions) {
  static const tc_op ops[] = {TC_OP_MAX, TC_OP_MIN, TC_OP_ARGMAX, TC_OP_ARGMIN,
                              TC_OP_SUM, TC_OP_PROD, TC_OP_MEAN};
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    T t;
    t_init(&t);
    const tc_ext *N = t_dim(&t, "N");
    int x = t_input(&t, "x", TC_DT_F32, 1, N, NULL);
    int r = t_reduce(&t, ops[i], x, 0);
    t_output(&t, "y", r);
    int64_t dims[1] = {0};
    union { int64_t i; float f; } out = {0}; /* argmax gives i64, the rest f32 */
    const void *ins[1] = {NULL};
    void *outs[1] = {&out};
    int rc = tcR_ref_run(t.k, dims, NULL, ins, outs);
    if (i < 4) {
      ck_assert_msg(rc == TC_EINVAL, "%s over an empty axis returned %d, expected TC_EINVAL",
                    tc_op_name(ops[i]), rc);
    } else {
      ck_assert_msg(rc == TC_OK, "%s over an empty axis returned %d", tc_op_name(ops[i]), rc);
      float v = out.f;
      float want = ops[i] == TC_OP_SUM ? 0.0f : ops[i] == TC_OP_PROD ? 1.0f : NAN;
      ck_assert_msg(isnan(want) ? isnan(v) : v == want, "%s of nothing gave %g, expected %g",
                    tc_op_name(ops[i]), v, want);
    }
    t_free(&t);
  }
}
END_TEST

/* gather(i, j) = tbl(idx(i), j) and shifted(i) = where(i-1 < 0, 0, x(i-1)). */
static void build_gather(T *t, int *tbl_out) {
  const tc_ext *N = t_dim(t, "N");
  int tbl = t_input(t, "tbl", TC_DT_F32, 2, C(t, 3), C(t, 2));
  int idx = t_input(t, "idx", TC_DT_I64, 1, N, NULL);
  const tc_sexpr *i = tc_sexpr_ivar(t->ar, 0, L), *j = tc_sexpr_ivar(t->ar, 1, L);
  const tc_sexpr *row = tc_sexpr_load(t->k, t->ar, idx, 1, &i, L, &t->d);
  ck_assert(row);
  const tc_sexpr *ij[2] = {row, j};
  const tc_sexpr *body = tc_sexpr_load(t->k, t->ar, tbl, 2, ij, L, &t->d);
  ck_assert(body);
  const tc_ext *shape[2] = {N, C(t, 2)};
  t_output(t, "g", ok(t, tc_graph_compute(t->k, t->ar, 2, shape, body, L, &t->d)));
  *tbl_out = tbl;
}

START_TEST(compute_out_of_bounds_is_eindex) {
  T t;
  t_init(&t);
  int tbl;
  build_gather(&t, &tbl);
  float table[6] = {0, 1, 10, 11, 20, 21}, g[4];
  int64_t idx[2] = {2, 0};
  const void *ins[2] = {table, idx};
  void *outs[1] = {g};
  int64_t dims[1] = {2};
  ck_assert_int_eq(tcR_ref_run(t.k, dims, NULL, ins, outs), TC_OK);
  ck_assert_msg(g[0] == 20 && g[1] == 21 && g[2] == 0 && g[3] == 1,
                "gather gave %g %g %g %g, expected 20 21 0 1", g[0], g[1], g[2], g[3]);
  idx[1] = 3;
  int rc = tcR_ref_run(t.k, dims, NULL, ins, outs);
  ck_assert_msg(rc == TC_EINDEX, "gather of row 3 of 3 returned %d, expected TC_EINDEX", rc);
  idx[1] = -1;
  rc = tcR_ref_run(t.k, dims, NULL, ins, outs);
  ck_assert_msg(rc == TC_EINDEX, "gather of row -1 returned %d, expected TC_EINDEX", rc);
  t_free(&t);
}
END_TEST

START_TEST(where_guards_reads) {
  T t;
  t_init(&t);
  const tc_ext *N = t_dim(&t, "N");
  int x = t_input(&t, "x", TC_DT_F32, 1, N, NULL);
  const tc_sexpr *i = tc_sexpr_ivar(t.ar, 0, L);
  const tc_sexpr *one = tc_sexpr_const(t.ar, TC_DT_I64, 1, 1, L);
  const tc_sexpr *zero = tc_sexpr_const(t.ar, TC_DT_I64, 0, 0, L);
  const tc_sexpr *im1_args[2] = {i, one};
  const tc_sexpr *im1 = tc_sexpr_elementwise(t.ar, TC_OP_SUB, 2, im1_args, 0, L, &t.d);
  const tc_sexpr *lt_args[2] = {im1, zero};
  const tc_sexpr *cond = tc_sexpr_elementwise(t.ar, TC_OP_LT, 2, lt_args, 0, L, &t.d);
  const tc_sexpr *load = tc_sexpr_load(t.k, t.ar, x, 1, &im1, L, &t.d);
  const tc_sexpr *fzero = tc_sexpr_const(t.ar, TC_DT_F32, 0, 0, L);
  const tc_sexpr *w_args[3] = {cond, fzero, load};
  const tc_sexpr *body = tc_sexpr_elementwise(t.ar, TC_OP_WHERE, 3, w_args, 0, L, &t.d);
  ck_assert_msg(body != NULL, "building where(i-1 < 0, 0, x(i-1)): %s", t.d.msg);
  const tc_ext *shape[1] = {N};
  t_output(&t, "y", ok(&t, tc_graph_compute(t.k, t.ar, 1, shape, body, L, &t.d)));
  float in[3] = {5, 6, 7}, out[3];
  const void *ins[1] = {in};
  void *outs[1] = {out};
  int64_t dims[1] = {3};
  int rc = tcR_ref_run(t.k, dims, NULL, ins, outs);
  ck_assert_msg(rc == TC_OK, "a where-guarded x(i-1) returned %d: the unselected read happened",
                rc);
  ck_assert_msg(out[0] == 0 && out[1] == 5 && out[2] == 6, "shift gave %g %g %g, expected 0 5 6",
                out[0], out[1], out[2]);
  t_free(&t);
}
END_TEST

START_TEST(null_and_overflow_are_einval) {
  T t;
  t_init(&t);
  const tc_ext *N = t_dim(&t, "N"), *M = t_dim(&t, "M");
  int x = t_input(&t, "x", TC_DT_F32, 2, N, M);
  t_output(&t, "y", t_ew(&t, TC_OP_NEG, x, -1));
  float in[4] = {1, 2, 3, 4}, out[4];
  const void *ins[1] = {NULL};
  void *outs[1] = {out};
  int64_t dims[2] = {2, 2};
  int rc = tcR_ref_run(t.k, dims, NULL, ins, outs);
  ck_assert_msg(rc == TC_EINVAL, "a NULL input of 4 elements returned %d, expected TC_EINVAL", rc);
  ins[0] = in;
  void *nullouts[1] = {NULL};
  rc = tcR_ref_run(t.k, dims, NULL, ins, nullouts);
  ck_assert_msg(rc == TC_EINVAL, "a NULL output of 4 elements returned %d, expected TC_EINVAL", rc);
  int64_t huge[2] = {INT64_C(1) << 40, INT64_C(1) << 40};
  rc = tcR_ref_run(t.k, huge, NULL, ins, outs);
  ck_assert_msg(rc == TC_EINVAL, "2^40 x 2^40 elements returned %d, expected TC_EINVAL", rc);
  t_free(&t);
}
END_TEST

START_TEST(allocation_failure_is_enomem) {
#if defined(__SANITIZE_ADDRESS__)
  /* ASan aborts on absurd allocations instead of returning NULL. */
  return;
#else
  T t;
  t_init(&t);
  const tc_ext *N = t_dim(&t, "N");
  int x = t_input(&t, "x", TC_DT_F64, 1, N, NULL);
  t_output(&t, "y", t_ew(&t, TC_OP_NEG, x, -1));
  double in[1] = {0}, out[1];
  const void *ins[1] = {in};
  void *outs[1] = {out};
  int64_t dims[1] = {INT64_C(1) << 58}; /* 2^61 bytes: no machine has them */
  int rc = tcR_ref_run(t.k, dims, NULL, ins, outs);
  ck_assert_msg(rc == TC_ENOMEM, "2^58 doubles returned %d, expected TC_ENOMEM", rc);
  t_free(&t);
#endif
}
END_TEST

START_TEST(reshape_not_divisible_is_einval) {
  T t;
  t_init(&t);
  const tc_ext *N = t_dim(&t, "N");
  int x = t_input(&t, "x", TC_DT_F32, 1, N, NULL);
  const tc_ext *shape[2] = {NULL, C(&t, 4)}; /* reshape(x, {-1, 4}) */
  int in[1] = {x};
  tc_node proto = {0};
  proto.op = TC_OP_RESHAPE;
  proto.nin = 1;
  proto.in = in;
  proto.rank = 2;
  proto.shape = shape;
  t_output(&t, "y", ok(&t, tc_graph_make(t.k, t.ar, &proto, L, &t.d)));
  float a[8] = {0, 1, 2, 3, 4, 5, 6, 7}, y[8];
  const void *ins[1] = {a};
  void *outs[1] = {y};
  int64_t six[1] = {6}, eight[1] = {8};
  int rc = tcR_ref_run(t.k, six, NULL, ins, outs);
  ck_assert_msg(rc == TC_EINVAL, "reshape({-1, 4}) of 6 elements returned %d, expected TC_EINVAL",
                rc);
  rc = tcR_ref_run(t.k, eight, NULL, ins, outs);
  ck_assert_msg(rc == TC_OK && y[7] == 7, "reshape({-1, 4}) of 8 elements returned %d", rc);
  t_free(&t);
}
END_TEST

/* ---- values ------------------------------------------------------------ */

/* y_op = op(x) for f64 x: runs and returns the outputs in out[op][i]. */
START_TEST(float_functions_at_the_edges) {
  T t;
  t_init(&t);
  int x = t_input(&t, "x", TC_DT_F64, 1, C(&t, 6), NULL);
  static const tc_op ops[] = {TC_OP_GELU, TC_OP_ROUND, TC_OP_SOFTPLUS, TC_OP_SIGMOID,
                              TC_OP_SIGN, TC_OP_HARDSWISH};
  enum { NOPS = sizeof ops / sizeof ops[0] };
  for (int j = 0; j < NOPS; j++) {
    char name[16];
    snprintf(name, sizeof name, "y%d", j);
    t_output(&t, tc_arena_strdup(t.ar, name), t_ew(&t, ops[j], x, -1));
  }
  double in[6] = {-10, 0.5, 1.5, 2.5, -0.5, 30}, out[NOPS][6];
  const void *ins[1] = {in};
  void *outs[NOPS];
  for (int j = 0; j < NOPS; j++) outs[j] = out[j];
  ck_assert_int_eq(tcR_ref_run(t.k, NULL, NULL, ins, outs), TC_OK);
  /* gelu(-10) = -5 erfc(10/sqrt2) = -7.619853024160593e-23: the naive
     0.5x(1 + erf(..)) gives 0. */
  ck_assert_msg(fabs(out[0][0] / -7.619853024160593e-23 - 1) < 1e-10,
                "gelu(-10) = %.17g, expected -7.619853024160593e-23", out[0][0]);
  double want_round[6] = {-10, 0, 2, 2, -0.0, 30};
  for (int i = 0; i < 6; i++)
    ck_assert_msg(out[1][i] == want_round[i], "round(%g) = %g, expected %g (half to even)",
                  in[i], out[1][i], want_round[i]);
  ck_assert_msg(signbit(out[1][4]), "round(-0.5) lost the sign of zero");
  ck_assert_msg(out[2][5] == 30, "softplus(30) = %.17g, expected 30 (threshold 20)", out[2][5]);
  ck_assert_msg(fabs(out[2][0] / 4.539889921686465e-05 - 1) < 1e-12,
                "softplus(-10) = %.17g", out[2][0]);
  ck_assert_msg(fabs(out[3][0] / 4.5397868702434395e-05 - 1) < 1e-12,
                "sigmoid(-10) = %.17g", out[3][0]);
  ck_assert(out[4][0] == -1 && out[4][1] == 1);
  ck_assert_msg(out[5][0] == -0.0 && out[5][5] == 30 && out[5][1] == 0.5 * 3.5 / 6,
                "hardswish gave %g %g %g", out[5][0], out[5][5], out[5][1]);
  t_free(&t);
}
END_TEST

START_TEST(casts_saturate_and_round) {
  T t;
  t_init(&t);
  int x = t_input(&t, "x", TC_DT_F32, 1, C(&t, 6), NULL);
  t_output(&t, "a", t_cast(&t, x, TC_DT_I8));
  t_output(&t, "b", t_cast(&t, x, TC_DT_I64));
  t_output(&t, "c", t_cast(&t, x, TC_DT_BF16));
  t_output(&t, "d", t_cast(&t, x, TC_DT_U8));
  float in[6] = {300.7f, -300.7f, NAN, -1e20f, 1.00390625f /* 1 + 2^-8: a tie */, -2.9f};
  int8_t a[6];
  int64_t b[6];
  uint16_t c[6];
  uint8_t d[6];
  const void *ins[1] = {in};
  void *outs[4] = {a, b, c, d};
  ck_assert_int_eq(tcR_ref_run(t.k, NULL, NULL, ins, outs), TC_OK);
  ck_assert_msg(a[0] == 127 && a[1] == -128 && a[2] == 0 && a[3] == -128 && a[5] == -2,
                "f32 -> i8 gave %d %d %d %d %d", a[0], a[1], a[2], a[3], a[5]);
  ck_assert_msg(b[3] == INT64_MIN && b[2] == 0 && b[0] == 300,
                "f32 -> i64 gave %lld %lld %lld", (long long)b[3], (long long)b[2],
                (long long)b[0]);
  ck_assert_msg(c[4] == 0x3f80, "bf16(1 + 2^-8) = %#x, expected 0x3f80 (tie to even)", c[4]);
  ck_assert_msg(d[0] == 255 && d[1] == 0 && d[5] == 0, "f32 -> u8 gave %d %d %d", d[0], d[1],
                d[5]);
  t_free(&t);
}
END_TEST

START_TEST(broadcast_and_reduce_axes) {
  T t;
  t_init(&t);
  int a = t_input(&t, "a", TC_DT_F32, 2, C(&t, 3), C(&t, 1));
  int b = t_input(&t, "b", TC_DT_F32, 1, C(&t, 4), NULL);
  int s = t_ew(&t, TC_OP_ADD, a, b); /* {3, 4} */
  t_output(&t, "s", s);
  t_output(&t, "r0", t_reduce(&t, TC_OP_SUM, s, 0));
  t_output(&t, "am", t_reduce(&t, TC_OP_ARGMAX, s, 1));
  float av[3] = {0, 10, 20}, bv[4] = {1, 3, 3, 2}, sv[12], r0[4];
  int64_t am[3];
  const void *ins[2] = {av, bv};
  void *outs[3] = {sv, r0, am};
  ck_assert_int_eq(tcR_ref_run(t.k, NULL, NULL, ins, outs), TC_OK);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 4; j++)
      ck_assert_msg(sv[i * 4 + j] == av[i] + bv[j], "{3,1} + {4} at (%d, %d) = %g", i, j,
                    sv[i * 4 + j]);
  ck_assert_msg(r0[1] == 39 && r0[3] == 36, "sum over axis 0 gave %g %g", r0[1], r0[3]);
  ck_assert_msg(am[0] == 1 && am[2] == 1, "argmax with a tie at 1, 2 gave %lld",
                (long long)am[0]);
  t_free(&t);
}
END_TEST

Suite *ref_interp_suite(void) {
  Suite *s = suite_create("ref_interp");
  TCase *tc = tcase_create("errors");
  tcase_add_test(tc, negative_dim_is_einval);
  tcase_add_test(tc, failed_check_is_einval);
  tcase_add_test(tc, int_division_by_zero_is_einval);
  tcase_add_test(tc, empty_reductions);
  tcase_add_test(tc, compute_out_of_bounds_is_eindex);
  tcase_add_test(tc, reshape_not_divisible_is_einval);
  tcase_add_test(tc, null_and_overflow_are_einval);
  tcase_add_test(tc, allocation_failure_is_enomem);
  suite_add_tcase(s, tc);
  TCase *tv = tcase_create("values");
  tcase_add_test(tv, int64_limits_wrap);
  tcase_add_test(tv, where_guards_reads);
  tcase_add_test(tv, float_functions_at_the_edges);
  tcase_add_test(tv, casts_saturate_and_round);
  tcase_add_test(tv, broadcast_and_reduce_axes);
  suite_add_tcase(s, tv);
  return s;
}
