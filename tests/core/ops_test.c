/* ops_test.c: shape and dtype inference of every OTHER op made with
   tc_graph_make, with its error messages. */
#include <inttypes.h>

#include "core_tests.h"

/* A proto of op with operands in[0..nin-1]. */
static tc_node proto(tc_op op, int nin, const int *in) {
  tc_node p;
  memset(&p, 0, sizeof p);
  p.op = op;
  p.nin = nin;
  p.in = in;
  return p;
}

static int make(tfx *f, const tc_node *p) {
  return tc_graph_make(f->k, f->ar, p, tloc(30), &f->d);
}

static tc_dtype dt(tfx *f, int id) { return f->k->nodes.data[id].dtype; }

START_TEST(softmax_axis_and_dtype) {
  tfx f = tfx_new();
  int x = tin(&f, "x", TC_DT_I32, 2, tcn(&f, 3), tcn(&f, 4), NULL, NULL);
  tc_node p = proto(TC_OP_SOFTMAX, 1, (int[]){x});
  p.axis = -1;
  int s = make(&f, &p);
  ck_shape(&f, s, "[3, 4]");
  ck_assert_msg(f.k->nodes.data[s].axis == 1, "axis -1 normalized to 1");
  ck_assert_msg(dt(&f, s) == TC_DT_F32 &&
                    dt(&f, f.k->nodes.data[s].in[0]) == TC_DT_F32,
                "softmax of i32 computes in f32");
  p.op = TC_OP_LOG_SOFTMAX;
  p.axis = 2;
  ck_error(&f, make(&f, &p),
           "t.lua:30: log_softmax: axis 2 out of range for a tensor of rank 2");
  ck_verified(&f);
  tfx_free(&f);
}
END_TEST

START_TEST(norms) {
  tfx f = tfx_new();
  const tc_ext *B = tdim(&f, "B"), *M = tdim(&f, "M");
  int x = tin(&f, "x", TC_DT_F32, 3, B, tcn(&f, 4), tcn(&f, 8), NULL);
  int g = tin(&f, "g", TC_DT_F32, 2, tcn(&f, 4), tcn(&f, 8), NULL, NULL);
  int g8 = tin(&f, "g8", TC_DT_F32, 1, tcn(&f, 8), NULL, NULL, NULL);
  int gm = tin(&f, "gm", TC_DT_BF16, 1, M, NULL, NULL, NULL);
  tc_node p = proto(TC_OP_LAYER_NORM, 3, (int[]){x, g, g});
  p.nints = 3;
  p.ints = (int64_t[]){2, 1, 1};
  p.num = 1e-5;
  int ln = make(&f, &p);
  ck_shape(&f, ln, "[B, 4, 8]");
  p = proto(TC_OP_LAYER_NORM, 2, (int[]){x, g8});
  p.nints = 3;
  p.ints = (int64_t[]){2, 1, 0};
  ck_error(&f, make(&f, &p),
           "t.lua:30: layer_norm: gamma must have shape [4, 8], got [8]");
  p.ints = (int64_t[]){4, 1, 0};
  ck_error(&f, make(&f, &p), "t.lua:30: layer_norm: cannot normalize the last "
                             "4 axes of a tensor of rank 3");
  /* symbolic gamma: a run-time check, and bf16 + f32 gives f32 */
  p = proto(TC_OP_LAYER_NORM, 2, (int[]){x, gm});
  p.nints = 3;
  p.ints = (int64_t[]){1, 0, 1};
  int before = f.k->checks.len;
  int l2 = make(&f, &p);
  ck_assert_msg(l2 >= 0 && f.k->checks.len == before + 1,
                "beta of shape [M] against x's last extent 8: one check "
                "expected (%s)", f.d.msg);
  ck_assert_msg(dt(&f, l2) == TC_DT_F32, "layer_norm of f32 with bf16 beta is f32");

  p = proto(TC_OP_RMS_NORM, 2, (int[]){x, g8});
  p.nints = 1;
  p.ints = (int64_t[]){1};
  ck_shape(&f, make(&f, &p), "[B, 4, 8]");
  p.in = (int[]){x, g};
  ck_error(&f, make(&f, &p),
           "t.lua:30: rms_norm: gamma must have shape [8], got [4, 8]");

  int img = tin(&f, "img", TC_DT_F32, 4, B, tcn(&f, 3), tcn(&f, 5), tcn(&f, 5));
  int c3 = tin(&f, "c3", TC_DT_F32, 1, tcn(&f, 3), NULL, NULL, NULL);
  int c4 = tin(&f, "c4", TC_DT_F32, 1, tcn(&f, 4), NULL, NULL, NULL);
  p = proto(TC_OP_BATCH_NORM, 5, (int[]){img, c3, c3, c3, c3});
  p.nints = 2;
  p.ints = (int64_t[]){1, 1};
  ck_shape(&f, make(&f, &p), "[B, 3, 5, 5]");
  p = proto(TC_OP_BATCH_NORM, 3, (int[]){img, c3, c4});
  p.nints = 2;
  p.ints = (int64_t[]){0, 0};
  ck_error(&f, make(&f, &p),
           "t.lua:30: batch_norm: var must have shape [3], got [4]");
  p.in = (int[]){c3, c3, c3};
  ck_error(&f, make(&f, &p), "t.lua:30: batch_norm: x must have rank >= 2 "
                             "(channels at axis 1), got 1");
  ck_verified(&f);
  tfx_free(&f);
}
END_TEST

static int reshape(tfx *f, int x, int rank, const tc_ext *s0, const tc_ext *s1) {
  const tc_ext *s[2] = {s0, s1};
  tc_node p = proto(TC_OP_RESHAPE, 1, (int[]){x});
  p.rank = rank;
  p.shape = s;
  return make(f, &p);
}

START_TEST(reshape_static_and_inferred) {
  tfx f = tfx_new();
  int x = tin(&f, "x", TC_DT_F32, 1, tcn(&f, 6), NULL, NULL, NULL);
  ck_shape(&f, reshape(&f, x, 2, NULL, tcn(&f, 3)), "[2, 3]");
  ck_shape(&f, reshape(&f, x, 2, tcn(&f, 3), tcn(&f, 2)), "[3, 2]");
  ck_error(&f, reshape(&f, x, 2, NULL, tcn(&f, 4)),
           "t.lua:30: reshape: cannot reshape a tensor of shape [6] (6 "
           "elements) into [-1, 4]");
  ck_error(&f, reshape(&f, x, 1, tcn(&f, 7), NULL),
           "t.lua:30: reshape: cannot reshape a tensor of shape [6] into [7]: "
           "the element counts differ");
  ck_error(&f, reshape(&f, x, 2, NULL, NULL),
           "t.lua:30: reshape: only one extent may be -1");
  ck_error(&f, reshape(&f, x, 2, NULL, tcn(&f, 0)),
           "t.lua:30: reshape: cannot infer the -1 extent of [-1, 0] from a "
           "tensor of shape [6]: the other extents have product 0");
  ck_assert_msg(f.k->checks.len == 0, "static reshapes record no check");
  ck_verified(&f);
  tfx_free(&f);
}
END_TEST

START_TEST(reshape_symbolic) {
  tfx f = tfx_new();
  const tc_ext *N = tdim(&f, "N"), *M = tdim(&f, "M");
  int x = tin(&f, "x", TC_DT_F32, 2, N, tcn(&f, 4), NULL, NULL);
  int v = tin(&f, "v", TC_DT_F32, 1, N, NULL, NULL, NULL);
  /* [N, 4] -> [-1] is [N * 4]; -> [4, N] has the same count: no check */
  ck_shape(&f, reshape(&f, x, 1, NULL, NULL), "[N * 4]");
  ck_shape(&f, reshape(&f, x, 2, tcn(&f, 4), N), "[4, N]");
  int flat = reshape(&f, x, 1, NULL, NULL);
  ck_shape(&f, reshape(&f, flat, 2, NULL, tcn(&f, 4)), "[N, 4]");
  ck_assert_msg(f.k->checks.len == 0, "N*4 // 4 is exact: no check, got %d",
                f.k->checks.len);
  /* [N] -> [-1, 4]: [N//4, 4] and N divisible by 4 at run time */
  ck_shape(&f, reshape(&f, v, 2, NULL, tcn(&f, 4)), "[N//4, 4]");
  ck_assert_msg(f.k->checks.len == 1 &&
                    f.k->checks.data[0].kind == TC_CHECK_DIVISIBLE,
                "[N] -> [-1, 4] records TC_CHECK_DIVISIBLE");
  ck_assert_msg(tc_kernel_check_dims(f.k, (int64_t[]){8, 0}) == TC_OK,
                "N = 8 is divisible by 4");
  ck_assert_msg(tc_kernel_check_dims(f.k, (int64_t[]){6, 0}) == TC_EINVAL,
                "N = 6 is not divisible by 4: expected TC_EINVAL");
  /* [N] -> [M]: equal counts checked at run time */
  ck_shape(&f, reshape(&f, v, 1, M, NULL), "[M]");
  ck_assert_msg(f.k->checks.len == 2 && f.k->checks.data[1].kind == TC_CHECK_EQ,
                "[N] -> [M] records TC_CHECK_EQ");
  ck_verified(&f);
  tfx_free(&f);
}
END_TEST

START_TEST(permute_and_expand) {
  tfx f = tfx_new();
  const tc_ext *A = tdim(&f, "A"), *M = tdim(&f, "M");
  int x = tin(&f, "x", TC_DT_F32, 3, A, tcn(&f, 2), tcn(&f, 3), NULL);
  tc_node p = proto(TC_OP_PERMUTE, 1, (int[]){x});
  p.nints = 3;
  p.ints = (int64_t[]){-1, 0, 1};
  int t = make(&f, &p);
  ck_shape(&f, t, "[3, A, 2]");
  ck_assert_msg(f.k->nodes.data[t].ints[0] == 2, "perm -1 normalized to 2");
  p.ints = (int64_t[]){0, 1, -3};
  ck_error(&f, make(&f, &p), "t.lua:30: permute: axis 0 appears twice");
  p.nints = 2;
  ck_error(&f, make(&f, &p), "t.lua:30: permute: expected 3 axes for a tensor "
                             "of rank 3, got 2");

  int c = tin(&f, "c", TC_DT_I8, 2, tcn(&f, 3), tcn(&f, 1), NULL, NULL);
  const tc_ext *s[3] = {tcn(&f, 2), tcn(&f, 3), tcn(&f, 4)};
  p = proto(TC_OP_EXPAND, 1, (int[]){c});
  p.rank = 3;
  p.shape = s;
  ck_shape(&f, make(&f, &p), "[2, 3, 4]");
  const tc_ext *keep[2] = {NULL, M};
  p.rank = 2;
  p.shape = keep;
  ck_shape(&f, make(&f, &p), "[3, M]");
  const tc_ext *bad[2] = {tcn(&f, 4), tcn(&f, 5)};
  p.shape = bad;
  ck_error(&f, make(&f, &p), "t.lua:30: expand: cannot expand a tensor of "
                             "shape [3, 1] to [4, 5]: axis 0 is neither equal "
                             "nor 1");
  const tc_ext *lead[3] = {NULL, tcn(&f, 3), tcn(&f, 1)};
  p.rank = 3;
  p.shape = lead;
  ck_error(&f, make(&f, &p),
           "t.lua:30: expand: -1 is not allowed for the new leading axis 0");
  p.rank = 1;
  ck_error(&f, make(&f, &p),
           "t.lua:30: expand: cannot expand a tensor of shape [3, 1] to rank 1");
  ck_verified(&f);
  tfx_free(&f);
}
END_TEST

/* Python's len(range(L)[start:stop:step]) and the first index taken;
   has_* = 0 means None. */
static void py_slice(int64_t L, int has_start, int64_t start, int has_stop,
                     int64_t stop, int64_t step, int64_t *first, int64_t *len) {
  int64_t s = has_start ? start : 0, e = has_stop ? stop : L;
  if (s < 0) { s += L; if (s < 0) s = 0; } else if (s > L) s = L;
  if (e < 0) { e += L; if (e < 0) e = 0; } else if (e > L) e = L;
  int64_t n = 0;
  for (int64_t i = s; i < e; i += step)
    n++; /* count, not a formula: an independent reference */
  *first = s;
  *len = n;
}

static int slice(tfx *f, int x, int has_start, int64_t start, int has_stop,
                 int64_t stop, int64_t step) {
  const tc_ext **ex = tc_arena_alloc(f->ar, 2 * sizeof *ex);
  ex[0] = has_start ? tc_ext_const(f->ar, start < 0 ? -start : start) : NULL;
  ex[1] = has_stop ? tc_ext_const(f->ar, stop < 0 ? -stop : stop) : NULL;
  tc_node p = proto(TC_OP_SLICE, 1, (int[]){x});
  p.axis = -1;
  p.exts = ex;
  p.nints = 3;
  p.ints = (int64_t[]){step, has_start && start < 0, has_stop && stop < 0};
  return make(f, &p);
}

START_TEST(slice_matches_python) {
  tfx f = tfx_new();
  const tc_ext *N = tdim(&f, "N");
  int sym = tin(&f, "sym", TC_DT_F32, 2, tcn(&f, 2), N, NULL, NULL);
  int fixed[8];
  for (int L = 0; L < 8; L++) {
    char name[16];
    snprintf(name, sizeof name, "x%d", L);
    fixed[L] = tin(&f, name, TC_DT_F32, 1, tcn(&f, L), NULL, NULL, NULL);
  }
  for (int hs = 0; hs < 2; hs++)
    for (int he = 0; he < 2; he++)
      for (int64_t st = -9; st <= 9; st += hs ? 1 : 19)
        for (int64_t sp = -9; sp <= 9; sp += he ? 1 : 19)
          for (int64_t step = 1; step <= 3; step++) {
            int y = slice(&f, sym, hs, st, he, sp, step);
            ck_assert_msg(y >= 0, "slice failed: %s", f.d.msg);
            /* copied out: the slices below grow (and move) k->nodes */
            const tc_ext *sym_len = f.k->nodes.data[y].shape[1];
            const tc_ext *sym_start = f.k->nodes.data[y].exts[0];
            for (int64_t L = 0; L < 8; L++) {
              int64_t first, len, got_len, got_first;
              py_slice(L, hs, st, he, sp, step, &first, &len);
              int64_t dims[1] = {L};
              ck_assert_msg(tc_ext_eval(sym_len, dims, &got_len) == TC_OK &&
                                tc_ext_eval(sym_start, dims, &got_first) ==
                                    TC_OK,
                            "slice extents evaluate");
              ck_assert_msg(got_len == len && (len == 0 || got_first == first),
                            "range(%" PRId64 ")[%s%" PRId64 ":%s%" PRId64
                            ":%" PRId64 "]: expected start %" PRId64
                            " length %" PRId64 ", got %" PRId64 " %" PRId64
                            " (length %s)",
                            L, hs ? "" : "None~", st, he ? "" : "None~", sp,
                            step, first, len, got_first, got_len,
                            text_ext(&f, sym_len));
              /* and on a static extent, which must fold to constants */
              int z = slice(&f, fixed[L], hs, st, he, sp, step);
              const tc_node *zn = &f.k->nodes.data[z];
              int64_t cl, cs;
              ck_assert_msg(tc_ext_is_const(zn->shape[0], &cl) && cl == len &&
                                tc_ext_is_const(zn->exts[0], &cs) &&
                                (len == 0 || cs == first),
                            "static slice of length %" PRId64 ": expected %"
                            PRId64, L, len);
            }
          }
  /* a few cases written out from Python */
  ck_shape(&f, slice(&f, fixed[7], 1, 2, 1, -1, 3), "[2]"); /* [2, 5] */
  ck_shape(&f, slice(&f, fixed[5], 1, -100, 1, 100, 1), "[5]");
  ck_shape(&f, slice(&f, fixed[5], 1, 3, 1, 1, 1), "[0]");
  ck_shape(&f, slice(&f, fixed[5], 1, -2, 0, 0, 1), "[2]");
  ck_shape(&f, slice(&f, sym, 1, 0, 0, 0, 1), "[2, N]");
  /* a step near INT64_MAX: x[1::huge] has one element (the length formula
     must not overflow while evaluating it) */
  {
    int y = slice(&f, sym, 1, 1, 0, 0, INT64_MAX);
    const tc_ext *len = f.k->nodes.data[y].shape[1];
    for (int64_t L = 0; L < 4; L++) {
      int64_t dims[1] = {L}, got;
      ck_assert_msg(tc_ext_eval(len, dims, &got) == TC_OK && got == (L > 1),
                    "range(%" PRId64 ")[1::INT64_MAX]: expected length %d",
                    L, L > 1);
    }
    ck_shape(&f, slice(&f, fixed[5], 1, 1, 0, 0, INT64_MAX), "[1]");
    ck_shape(&f, slice(&f, fixed[5], 1, -INT64_MAX, 1, INT64_MAX, INT64_MAX), "[1]");
  }
  ck_error(&f, slice(&f, sym, 0, 0, 0, 0, 0),
           "t.lua:30: slice: step must be >= 1, got 0");
  ck_verified(&f);
  tfx_free(&f);
}
END_TEST

START_TEST(concat_and_pad) {
  tfx f = tfx_new();
  const tc_ext *N = tdim(&f, "N"), *M = tdim(&f, "M");
  int a = tin(&f, "a", TC_DT_F32, 2, tcn(&f, 2), N, NULL, NULL);
  int b = tin(&f, "b", TC_DT_I32, 2, tcn(&f, 3), M, NULL, NULL);
  int c = tin(&f, "c", TC_DT_F32, 2, tcn(&f, 2), tcn(&f, 4), NULL, NULL);
  tc_node p = proto(TC_OP_CONCAT, 2, (int[]){a, b});
  p.axis = 0;
  int y = make(&f, &p);
  ck_shape(&f, y, "[5, N]");
  ck_assert_msg(dt(&f, y) == TC_DT_F32 &&
                    dt(&f, f.k->nodes.data[y].in[1]) == TC_DT_F32,
                "concat of f32 and i32 casts to f32");
  ck_assert_msg(f.k->checks.len == 1, "N vs M recorded as a check");
  int e = tin(&f, "e", TC_DT_I32, 2, tcn(&f, 3), tcn(&f, 4), NULL, NULL);
  p = proto(TC_OP_CONCAT, 2, (int[]){b, e});
  p.axis = -1;
  ck_shape(&f, make(&f, &p), "[3, M + 4]");
  p.axis = 0;
  p.in = (int[]){c, tin(&f, "d", TC_DT_F32, 2, tcn(&f, 2), tcn(&f, 5), NULL, NULL)};
  ck_error(&f, make(&f, &p), "t.lua:30: concat: tensor 2 has shape [2, 5], "
                             "which does not match [2, 4] outside axis 0");

  int i = tin(&f, "i", TC_DT_I32, 2, tcn(&f, 3), N, NULL, NULL);
  p = proto(TC_OP_PAD, 1, (int[]){i});
  p.nints = 4;
  p.ints = (int64_t[]){1, 2, 0, 3};
  p.num = 2.7;
  int pd = make(&f, &p);
  ck_shape(&f, pd, "[6, N + 3]");
  ck_assert_msg(f.k->nodes.data[pd].inum == 2,
                "an i32 pad value of 2.7 is converted to 2, got %" PRId64,
                f.k->nodes.data[pd].inum);
  p.ints = (int64_t[]){1, -2, 0, 3};
  ck_error(&f, make(&f, &p), "t.lua:30: pad: pads must be >= 0, got -2 for axis 0");
  p.nints = 2;
  ck_error(&f, make(&f, &p), "t.lua:30: pad: expected 4 pads (a pair for each "
                             "axis) for a tensor of rank 2, got 2");
  ck_verified(&f);
  tfx_free(&f);
}
END_TEST

START_TEST(matmul_and_linear) {
  tfx f = tfx_new();
  const tc_ext *B = tdim(&f, "B"), *K = tdim(&f, "K");
  int a = tin(&f, "a", TC_DT_F32, 2, tcn(&f, 4), tcn(&f, 5), NULL, NULL);
  int b = tin(&f, "b", TC_DT_F32, 2, tcn(&f, 6), tcn(&f, 7), NULL, NULL);
  tc_node p = proto(TC_OP_MATMUL, 2, (int[]){a, b});
  ck_error(&f, make(&f, &p),
           "t.lua:30: matmul: inner dimensions differ: a is [4, 5], b is [6, 7]");
  int x = tin(&f, "x", TC_DT_I32, 3, B, tcn(&f, 4), tcn(&f, 5), NULL);
  int w = tin(&f, "w", TC_DT_F32, 2, tcn(&f, 5), tcn(&f, 7), NULL, NULL);
  p.in = (int[]){x, w};
  int y = make(&f, &p);
  ck_shape(&f, y, "[B, 4, 7]");
  ck_assert_msg(dt(&f, y) == TC_DT_F32, "i32 @ f32 is f32");
  int u = tin(&f, "u", TC_DT_F32, 4, tcn(&f, 2), tcn(&f, 1), tcn(&f, 4), K);
  int v = tin(&f, "v", TC_DT_F32, 3, tcn(&f, 3), tcn(&f, 5), tcn(&f, 6), NULL);
  p.in = (int[]){u, v};
  ck_shape(&f, make(&f, &p), "[2, 3, 4, 6]");
  ck_assert_msg(f.k->checks.len == 1, "inner K vs 5 recorded as a check");
  int v2 = tin(&f, "v2", TC_DT_F32, 3, tcn(&f, 3), K, tcn(&f, 6), NULL);
  int u2 = tin(&f, "u2", TC_DT_F32, 3, tcn(&f, 2), tcn(&f, 4), K, NULL);
  p.in = (int[]){u2, v2};
  ck_error(&f, make(&f, &p), "t.lua:30: matmul: batch dimensions of a [2, 4, K] "
                             "and b [3, K, 6] cannot be broadcast");
  int vec = tin(&f, "vec", TC_DT_F32, 1, tcn(&f, 5), NULL, NULL, NULL);
  p.in = (int[]){vec, w};
  ck_error(&f, make(&f, &p), "t.lua:30: matmul: a must have rank >= 2, got 1");

  int lx = tin(&f, "lx", TC_DT_F32, 2, B, tcn(&f, 8), NULL, NULL);
  int lw = tin(&f, "lw", TC_DT_F32, 2, tcn(&f, 16), tcn(&f, 8), NULL, NULL);
  int lb = tin(&f, "lb", TC_DT_F32, 1, tcn(&f, 16), NULL, NULL, NULL);
  p = proto(TC_OP_LINEAR, 3, (int[]){lx, lw, lb});
  p.nints = 1;
  p.ints = (int64_t[]){1};
  ck_shape(&f, make(&f, &p), "[B, 16]");
  p.in = (int[]){lx, lw, vec};
  ck_error(&f, make(&f, &p), "t.lua:30: linear: the bias must have shape [out] "
                             "with w of shape [16, 8], got [5]");
  p = proto(TC_OP_LINEAR, 2, (int[]){lx, b});
  p.nints = 1;
  p.ints = (int64_t[]){0};
  ck_error(&f, make(&f, &p), "t.lua:30: linear: x is [B, 8] but w is [6, 7]: "
                             "the last extent of x must equal w's second");
  ck_verified(&f);
  tfx_free(&f);
}
END_TEST

static int einsum(tfx *f, const char *spec, int nin, const int *in) {
  tc_node p = proto(TC_OP_EINSUM, nin, in);
  p.str = spec;
  return make(f, &p);
}

START_TEST(einsum_parse) {
  tfx f = tfx_new();
  const tc_ext *B = tdim(&f, "B");
  int a = tin(&f, "a", TC_DT_F32, 3, B, tcn(&f, 4), tcn(&f, 5), NULL);
  int b = tin(&f, "b", TC_DT_F32, 3, B, tcn(&f, 5), tcn(&f, 6), NULL);
  int y = einsum(&f, "bik, bkj -> bij", 2, (int[]){a, b});
  ck_shape(&f, y, "[B, 4, 6]");
  ck_assert_msg(y >= 0 && strcmp(f.k->nodes.data[y].str, "bik,bkj->bij") == 0,
                "the spec is stored without spaces");
  ck_shape(&f, einsum(&f, "bij->", 1, (int[]){a}), "[]");
  ck_shape(&f, einsum(&f, "bij->jb", 1, (int[]){b}), "[6, B]");
  ck_error(&f, einsum(&f, "bik,bkj", 2, (int[]){a, b}),
           "t.lua:30: einsum: \"bik,bkj\": only the explicit form with '->' is "
           "supported, e.g. \"ij,jk->ik\"");
  ck_error(&f, einsum(&f, "bik->bik", 2, (int[]){a, b}),
           "t.lua:30: einsum: \"bik->bik\" has 1 operand terms but 2 operands "
           "are given");
  ck_error(&f, einsum(&f, "bik,bkj,ij->bij", 2, (int[]){a, b}),
           "t.lua:30: einsum: \"bik,bkj,ij->bij\" has more operand terms than "
           "the 2 operands given");
  ck_error(&f, einsum(&f, "bi,bkj->bij", 2, (int[]){a, b}),
           "t.lua:30: einsum: \"bi,bkj->bij\": term 1 has 2 letters but operand "
           "1 has shape [B, 4, 5]");
  ck_error(&f, einsum(&f, "b1k,bkj->bj", 2, (int[]){a, b}),
           "t.lua:30: einsum: \"b1k,bkj->bj\": '1' is not a letter (a-z, A-Z)");
  ck_error(&f, einsum(&f, "bik,bij->bk", 2, (int[]){a, b}),
           "t.lua:30: einsum: \"bik,bij->bk\": index 'i' has extent 4 in one "
           "place and 5 in another");
  ck_error(&f, einsum(&f, "bik,bkj->bz", 2, (int[]){a, b}),
           "t.lua:30: einsum: \"bik,bkj->bz\": output index 'z' appears in no "
           "operand");
  ck_error(&f, einsum(&f, "bik,bkj->bb", 2, (int[]){a, b}),
           "t.lua:30: einsum: \"bik,bkj->bb\": output index 'b' appears twice");
  ck_verified(&f);
  tfx_free(&f);
}
END_TEST

Suite *core_ops_suite(void) {
  Suite *s = suite_create("core_ops");
  TCase *tc = tcase_create("ops");
  tcase_set_timeout(tc, 20);
  tcase_add_test(tc, softmax_axis_and_dtype);
  tcase_add_test(tc, norms);
  tcase_add_test(tc, reshape_static_and_inferred);
  tcase_add_test(tc, reshape_symbolic);
  tcase_add_test(tc, permute_and_expand);
  tcase_add_test(tc, slice_matches_python);
  tcase_add_test(tc, concat_and_pad);
  tcase_add_test(tc, matmul_and_linear);
  tcase_add_test(tc, einsum_parse);
  suite_add_tcase(s, tc);
  return s;
}
