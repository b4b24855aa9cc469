/* graph_test.c: elementwise broadcasting and promotion, casts and
   reductions. */
#include <inttypes.h>
#include <math.h>

#include "core_tests.h"
#include "../../tensorc/promote.h"

static int ew2(tfx *f, tc_op op, int a, int b) {
  int in[2] = {a, b};
  return tc_graph_elementwise(f->k, f->ar, op, 2, in, 0, tloc(10), &f->d);
}

static int ew1(tfx *f, tc_op op, int a) {
  return tc_graph_elementwise(f->k, f->ar, op, 1, &a, 0, tloc(10), &f->d);
}

static tc_dtype dt(tfx *f, int id) { return f->k->nodes.data[id].dtype; }

/* Operand i of node id (after any inserted cast) has dtype want. */
#define ck_operand_dtype(f, id, i, want)                                     \
  ck_assert_msg(dt(f, (f)->k->nodes.data[id].in[i]) == (want),              \
                "operand %d of %s: expected %s, got %s", i, #id,             \
                tc_dtype_name(want),                                        \
                tc_dtype_name(dt(f, (f)->k->nodes.data[id].in[i])))

#define ck_dtype(f, id, want)                                               \
  ck_assert_msg((id) >= 0 && dt(f, id) == (want),                           \
                "%s: expected dtype %s, got %s (diag: %s)", #id,            \
                tc_dtype_name(want), (id) >= 0 ? tc_dtype_name(dt(f, id)) : "-", \
                (f)->d.msg)

START_TEST(broadcast_static) {
  tfx f = tfx_new();
  int a = tin(&f, "a", TC_DT_F32, 2, tcn(&f, 3), tcn(&f, 4), NULL, NULL);
  int b = tin(&f, "b", TC_DT_F32, 1, tcn(&f, 4), NULL, NULL, NULL);
  int c = tin(&f, "c", TC_DT_F32, 2, tcn(&f, 3), tcn(&f, 1), NULL, NULL);
  int e = tin(&f, "e", TC_DT_F32, 2, tcn(&f, 1), tcn(&f, 4), NULL, NULL);
  int s = tin(&f, "s", TC_DT_F32, 0, NULL, NULL, NULL, NULL);
  int x = ew2(&f, TC_OP_ADD, a, b);
  ck_shape(&f, x, "[3, 4]");
  int y = ew2(&f, TC_OP_MUL, c, e);
  ck_shape(&f, y, "[3, 4]");
  int z = ew2(&f, TC_OP_SUB, s, a);
  ck_shape(&f, z, "[3, 4]");
  int w = ew1(&f, TC_OP_EXP, s);
  ck_shape(&f, w, "[]");
  ck_assert_msg(f.k->checks.len == 0, "static shapes need no run-time check");
  int bad = tin(&f, "bad", TC_DT_F32, 1, tcn(&f, 5), NULL, NULL, NULL);
  ck_error(&f, ew2(&f, TC_OP_ADD, a, bad),
           "t.lua:10: add: shapes [3, 4] and [5] cannot be broadcast");
  ck_verified(&f);
  tfx_free(&f);
}
END_TEST

START_TEST(broadcast_symbolic) {
  tfx f = tfx_new();
  const tc_ext *N = tdim(&f, "N"), *M = tdim(&f, "M");
  int a = tin(&f, "a", TC_DT_F32, 2, N, tcn(&f, 4), NULL, NULL);
  int b = tin(&f, "b", TC_DT_F32, 1, M, NULL, NULL, NULL);
  int one = tin(&f, "one", TC_DT_F32, 2, tcn(&f, 1), tcn(&f, 4), NULL, NULL);
  int x = ew2(&f, TC_OP_ADD, a, one);
  ck_shape(&f, x, "[N, 4]");
  ck_assert_msg(f.k->checks.len == 0, "N against 1 needs no check");
  /* [N, 4] + [M]: the 4 and M must be equal at run time; the result keeps
     the constant */
  int y = ew2(&f, TC_OP_ADD, a, b);
  ck_shape(&f, y, "[N, 4]");
  ck_assert_msg(f.k->checks.len == 1 && f.k->checks.data[0].kind == TC_CHECK_EQ,
                "4 vs M: expected one TC_CHECK_EQ, got %d checks",
                f.k->checks.len);
  ck_assert_msg(f.k->checks.data[0].loc.line == 10,
                "the check carries the op's line");
  /* the same pair again is not recorded twice */
  ew2(&f, TC_OP_MUL, b, a);
  ck_assert_msg(f.k->checks.len == 1, "duplicate check recorded (%d checks)",
                f.k->checks.len);
  int64_t ok[2] = {7, 4}, bad[2] = {7, 5};
  ck_assert_msg(tc_kernel_check_dims(f.k, ok) == TC_OK,
                "N=7, M=4 satisfies M == 4");
  ck_assert_msg(tc_kernel_check_dims(f.k, bad) == TC_EINVAL,
                "N=7, M=5 violates M == 4: expected TC_EINVAL");
  ck_verified(&f);
  tfx_free(&f);
}
END_TEST

/* The result dtype of op applied to fresh inputs of dtypes ta, tb. */
static tc_dtype promoted(tc_op op, tc_dtype ta, tc_dtype tb, tc_dtype *opnd) {
  tfx f = tfx_new();
  int a = tin(&f, "a", ta == TC_DT_BOOL ? TC_DT_I32 : ta, 1, tcn(&f, 2), NULL, NULL, NULL);
  int b = tin(&f, "b", tb == TC_DT_BOOL ? TC_DT_I32 : tb, 1, tcn(&f, 2), NULL, NULL, NULL);
  if (ta == TC_DT_BOOL)
    a = tc_graph_cast(f.k, f.ar, a, TC_DT_BOOL, tloc(4), &f.d);
  if (tb == TC_DT_BOOL)
    b = tc_graph_cast(f.k, f.ar, b, TC_DT_BOOL, tloc(4), &f.d);
  int x = tc_op_arity(op) == 1 ? ew1(&f, op, a) : ew2(&f, op, a, b);
  ck_assert_msg(x >= 0, "%s failed: %s", tc_op_name(op), f.d.msg);
  tc_dtype t = dt(&f, x);
  if (opnd)
    *opnd = dt(&f, f.k->nodes.data[x].in[0]);
  for (int i = 0; i < f.k->nodes.data[x].nin; i++)
    ck_assert_msg(dt(&f, f.k->nodes.data[x].in[i]) ==
                      dt(&f, f.k->nodes.data[x].in[0]) ||
                      op == TC_OP_WHERE,
                  "%s(%s, %s): operands not cast to one dtype", tc_op_name(op),
                  tc_dtype_name(ta), tc_dtype_name(tb));
  ck_verified(&f);
  tfx_free(&f);
  return t;
}

START_TEST(promotion_table) {
  static const struct {
    tc_op op;
    tc_dtype a, b, result, operand;
  } cases[] = {
      {TC_OP_ADD, TC_DT_I8, TC_DT_U8, TC_DT_I32, TC_DT_I32}, /* no int16 */
      {TC_OP_ADD, TC_DT_F32, TC_DT_F64, TC_DT_F64, TC_DT_F64},
      {TC_OP_ADD, TC_DT_BF16, TC_DT_F32, TC_DT_F32, TC_DT_F32},
      {TC_OP_ADD, TC_DT_BF16, TC_DT_BF16, TC_DT_BF16, TC_DT_BF16},
      {TC_OP_MUL, TC_DT_I32, TC_DT_F32, TC_DT_F32, TC_DT_F32},
      {TC_OP_MUL, TC_DT_I64, TC_DT_BF16, TC_DT_BF16, TC_DT_BF16},
      {TC_OP_ADD, TC_DT_I8, TC_DT_I64, TC_DT_I64, TC_DT_I64},
      {TC_OP_ADD, TC_DT_U8, TC_DT_U8, TC_DT_U8, TC_DT_U8},
      {TC_OP_ADD, TC_DT_BOOL, TC_DT_I32, TC_DT_I32, TC_DT_I32},
      {TC_OP_ADD, TC_DT_BOOL, TC_DT_BOOL, TC_DT_I64, TC_DT_I64},
      {TC_OP_ADD, TC_DT_BOOL, TC_DT_F32, TC_DT_F32, TC_DT_F32},
      {TC_OP_DIV, TC_DT_I32, TC_DT_I32, TC_DT_F32, TC_DT_F32},
      {TC_OP_DIV, TC_DT_F64, TC_DT_I32, TC_DT_F64, TC_DT_F64},
      {TC_OP_FLOORDIV, TC_DT_I32, TC_DT_I32, TC_DT_I32, TC_DT_I32},
      {TC_OP_MOD, TC_DT_I8, TC_DT_I32, TC_DT_I32, TC_DT_I32},
      {TC_OP_LT, TC_DT_I32, TC_DT_F32, TC_DT_BOOL, TC_DT_F32},
      {TC_OP_EQ, TC_DT_BOOL, TC_DT_BOOL, TC_DT_BOOL, TC_DT_BOOL},
      {TC_OP_LOGICAL_AND, TC_DT_F32, TC_DT_I32, TC_DT_BOOL, TC_DT_BOOL},
      {TC_OP_LOGICAL_NOT, TC_DT_I64, TC_DT_I64, TC_DT_BOOL, TC_DT_BOOL},
      {TC_OP_EXP, TC_DT_I32, TC_DT_I32, TC_DT_F32, TC_DT_F32},
      {TC_OP_SQRT, TC_DT_BOOL, TC_DT_BOOL, TC_DT_F32, TC_DT_F32},
      {TC_OP_TANH, TC_DT_F64, TC_DT_F64, TC_DT_F64, TC_DT_F64},
      {TC_OP_ABS, TC_DT_I8, TC_DT_I8, TC_DT_I8, TC_DT_I8},
      {TC_OP_FLOOR, TC_DT_I32, TC_DT_I32, TC_DT_I32, TC_DT_I32},
      {TC_OP_RELU, TC_DT_U8, TC_DT_U8, TC_DT_U8, TC_DT_U8},
      {TC_OP_NEG, TC_DT_BOOL, TC_DT_BOOL, TC_DT_I64, TC_DT_I64},
      {TC_OP_LEAKY_RELU, TC_DT_I32, TC_DT_I32, TC_DT_F32, TC_DT_F32},
      {TC_OP_MAXIMUM, TC_DT_I32, TC_DT_BF16, TC_DT_BF16, TC_DT_BF16},
      {TC_OP_POW, TC_DT_I32, TC_DT_I64, TC_DT_I64, TC_DT_I64},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    tc_dtype opnd;
    tc_dtype r = promoted(cases[i].op, cases[i].a, cases[i].b, &opnd);
    ck_assert_msg(r == cases[i].result && opnd == cases[i].operand,
                  "%s(%s, %s): expected result %s computed in %s, got %s in %s",
                  tc_op_name(cases[i].op), tc_dtype_name(cases[i].a),
                  tc_dtype_name(cases[i].b), tc_dtype_name(cases[i].result),
                  tc_dtype_name(cases[i].operand), tc_dtype_name(r),
                  tc_dtype_name(opnd));
  }
}
END_TEST

START_TEST(ternary_where_clamp) {
  tfx f = tfx_new();
  const tc_ext *N = tdim(&f, "N");
  int c = tin(&f, "c", TC_DT_F32, 1, N, NULL, NULL, NULL);
  int a = tin(&f, "a", TC_DT_I32, 2, tcn(&f, 3), N, NULL, NULL);
  int b = tin(&f, "b", TC_DT_F64, 0, NULL, NULL, NULL, NULL);
  int in[3] = {c, a, b};
  int w = tc_graph_elementwise(f.k, f.ar, TC_OP_WHERE, 3, in, 0, tloc(5), &f.d);
  ck_shape(&f, w, "[3, N]");
  ck_dtype(&f, w, TC_DT_F64);
  ck_operand_dtype(&f, w, 0, TC_DT_BOOL);
  ck_operand_dtype(&f, w, 1, TC_DT_F64);
  ck_operand_dtype(&f, w, 2, TC_DT_F64);
  int cl = tc_graph_elementwise(f.k, f.ar, TC_OP_CLAMP, 3, in, 0, tloc(5), &f.d);
  ck_dtype(&f, cl, TC_DT_F64);
  ck_operand_dtype(&f, cl, 0, TC_DT_F64);
  ck_operand_dtype(&f, cl, 1, TC_DT_F64);
  ck_verified(&f);
  tfx_free(&f);
}
END_TEST

START_TEST(cast_is_identity_when_same) {
  tfx f = tfx_new();
  int a = tin(&f, "a", TC_DT_F32, 1, tcn(&f, 3), NULL, NULL, NULL);
  ck_assert_msg(tc_graph_cast(f.k, f.ar, a, TC_DT_F32, tloc(5), &f.d) == a,
                "a cast to the same dtype makes no node");
  int c = tc_graph_cast(f.k, f.ar, a, TC_DT_I8, tloc(5), &f.d);
  ck_assert_msg(c == a + 1 && f.k->nodes.data[c].op == TC_OP_CAST,
                "a cast to i8 makes a CAST node");
  ck_shape(&f, c, "[3]");
  tfx_free(&f);
}
END_TEST

static int red(tfx *f, tc_op op, int x, int nax, const int64_t *axes, int keep) {
  return tc_graph_reduce(f->k, f->ar, op, x, nax, axes, keep, tloc(20), &f->d);
}

START_TEST(reductions) {
  tfx f = tfx_new();
  const tc_ext *B = tdim(&f, "B");
  int x = tin(&f, "x", TC_DT_F32, 3, B, tcn(&f, 4), tcn(&f, 5), NULL);
  int xi = tin(&f, "xi", TC_DT_I32, 2, B, tcn(&f, 4), NULL, NULL);
  int s = red(&f, TC_OP_SUM, x, 1, (int64_t[]){-1}, 0);
  ck_shape(&f, s, "[B, 4]");
  ck_assert_msg(f.k->nodes.data[s].nints == 1 && f.k->nodes.data[s].ints[0] == 2,
                "axis -1 of a rank-3 tensor is normalized to 2");
  int sk = red(&f, TC_OP_MAX, x, 2, (int64_t[]){2, 0}, 1);
  ck_shape(&f, sk, "[1, 4, 1]");
  ck_assert_msg(f.k->nodes.data[sk].ints[0] == 0 && f.k->nodes.data[sk].ints[1] == 2,
                "axes are stored ascending");
  int all = red(&f, TC_OP_MEAN, x, -1, NULL, 0);
  ck_shape(&f, all, "[]");
  int si = red(&f, TC_OP_SUM, xi, 1, (int64_t[]){1}, 0);
  ck_dtype(&f, si, TC_DT_I64);
  ck_operand_dtype(&f, si, 0, TC_DT_I64);
  int mi = red(&f, TC_OP_MEAN, xi, 1, (int64_t[]){1}, 0);
  ck_dtype(&f, mi, TC_DT_F32);
  ck_operand_dtype(&f, mi, 0, TC_DT_F32);
  int mx = red(&f, TC_OP_MAX, xi, 1, (int64_t[]){0}, 0);
  ck_dtype(&f, mx, TC_DT_I32);
  int am = red(&f, TC_OP_ARGMAX, x, 1, (int64_t[]){1}, 1);
  ck_dtype(&f, am, TC_DT_I64);
  ck_shape(&f, am, "[B, 1, 5]");
  ck_operand_dtype(&f, am, 0, TC_DT_F32);
  ck_error(&f, red(&f, TC_OP_SUM, xi, 1, (int64_t[]){2}, 0),
           "t.lua:20: sum: axis 2 out of range for a tensor of rank 2");
  ck_error(&f, red(&f, TC_OP_SUM, xi, 1, (int64_t[]){-3}, 0),
           "t.lua:20: sum: axis -3 out of range for a tensor of rank 2");
  ck_error(&f, red(&f, TC_OP_PROD, x, 2, (int64_t[]){1, -2}, 0),
           "t.lua:20: prod: axis -2 is given twice");
  ck_error(&f, red(&f, TC_OP_ARGMIN, x, 2, (int64_t[]){0, 1}, 0),
           "t.lua:20: argmin: takes exactly one axis, got several");
  ck_error(&f, red(&f, TC_OP_ARGMAX, x, -1, NULL, 0),
           "t.lua:20: argmax: takes exactly one axis, got all axes");
  ck_verified(&f);
  tfx_free(&f);
}
END_TEST


START_TEST(promote_is_symmetric_and_closed) {
  for (int a = TC_DT_NONE + 1; a < TC_DT_COUNT; a++)
    for (int b = TC_DT_NONE + 1; b < TC_DT_COUNT; b++) {
      tc_dtype ab = tc_dtype_promote((tc_dtype)a, (tc_dtype)b);
      tc_dtype ba = tc_dtype_promote((tc_dtype)b, (tc_dtype)a);
      ck_assert_msg(ab == ba, "promote(%s, %s) = %s but promote(%s, %s) = %s",
                    tc_dtype_name(a), tc_dtype_name(b), tc_dtype_name(ab),
                    tc_dtype_name(b), tc_dtype_name(a), tc_dtype_name(ba));
      ck_assert_msg((int)ab == a || (int)ab == b || ab == TC_DT_I32,
                    "promote(%s, %s) = %s is neither operand (nor the i32 of "
                    "i8 + u8)", tc_dtype_name(a), tc_dtype_name(b),
                    tc_dtype_name(ab));
    }
}
END_TEST

START_TEST(value_conversion) {
  static const struct {
    tc_dtype from;
    double num;
    int64_t inum;
    tc_dtype to;
    double want_num;
    int64_t want_inum;
  } cases[] = {
      {TC_DT_F32, 300.7, 0, TC_DT_U8, 255, 255},      /* saturates */
      {TC_DT_F32, -3.9, 0, TC_DT_U8, 0, 0},
      {TC_DT_F64, -3.9, 0, TC_DT_I8, -3, -3},         /* toward zero */
      {TC_DT_F64, -1e20, 0, TC_DT_I32, INT32_MIN, INT32_MIN},
      {TC_DT_F64, 1e300, 0, TC_DT_I64, (double)INT64_MAX, INT64_MAX},
      {TC_DT_F32, NAN, 0, TC_DT_I32, 0, 0},           /* NaN gives 0 */
      {TC_DT_I64, 0, 300, TC_DT_I8, 44, 44},          /* integers wrap */
      {TC_DT_I64, 0, -1, TC_DT_U8, 255, 255},
      {TC_DT_I64, 0, 5000000000, TC_DT_I32, 705032704, 705032704},
      {TC_DT_F32, 0.5, 0, TC_DT_BOOL, 1, 1},
      {TC_DT_I32, 0, 0, TC_DT_BOOL, 0, 0},
      {TC_DT_I64, 0, 16777217, TC_DT_F32, 16777216, 16777216}, /* f32 rounding */
      {TC_DT_F64, 1.00390625, 0, TC_DT_BF16, 1.0, 1}, /* bf16: 8 mantissa bits */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    double num;
    int64_t inum;
    tc_value_convert(cases[i].from, cases[i].num, cases[i].inum, cases[i].to,
                     &num, &inum);
    ck_assert_msg(num == cases[i].want_num && inum == cases[i].want_inum,
                  "case %zu: %s (%g, %" PRId64 ") to %s: expected (%g, %" PRId64
                  "), got (%g, %" PRId64 ")", i, tc_dtype_name(cases[i].from),
                  cases[i].num, cases[i].inum, tc_dtype_name(cases[i].to),
                  cases[i].want_num, cases[i].want_inum, num, inum);
  }
}
END_TEST

START_TEST(make_dispatches) {
  tfx f = tfx_new();
  int x = tin(&f, "x", TC_DT_I32, 2, tcn(&f, 3), tcn(&f, 4), NULL, NULL);
  tc_node p;
  memset(&p, 0, sizeof p);
  p.op = TC_OP_EXP;
  p.nin = 1;
  p.in = &x;
  int e = tc_graph_make(f.k, f.ar, &p, tloc(40), &f.d);
  ck_dtype(&f, e, TC_DT_F32);
  p.op = TC_OP_SUM;
  p.nints = 1;
  p.ints = (int64_t[]){0};
  p.keepdim = 1;
  int s = tc_graph_make(f.k, f.ar, &p, tloc(40), &f.d);
  ck_shape(&f, s, "[1, 4]");
  ck_dtype(&f, s, TC_DT_I64);
  p.nints = -1;
  p.keepdim = 0;
  ck_shape(&f, tc_graph_make(f.k, f.ar, &p, tloc(40), &f.d), "[]");
  p.op = TC_OP_CAST;
  p.dtype = TC_DT_U8;
  ck_dtype(&f, tc_graph_make(f.k, f.ar, &p, tloc(40), &f.d), TC_DT_U8);
  ck_verified(&f);
  tfx_free(&f);
}
END_TEST

Suite *core_graph_suite(void) {
  Suite *s = suite_create("core_graph");
  TCase *tc = tcase_create("graph");
  tcase_add_test(tc, broadcast_static);
  tcase_add_test(tc, broadcast_symbolic);
  tcase_add_test(tc, promotion_table);
  tcase_add_test(tc, ternary_where_clamp);
  tcase_add_test(tc, cast_is_identity_when_same);
  tcase_add_test(tc, reductions);
  tcase_add_test(tc, promote_is_symmetric_and_closed);
  tcase_add_test(tc, value_conversion);
  tcase_add_test(tc, make_dispatches);
  suite_add_tcase(s, tc);
  return s;
}
