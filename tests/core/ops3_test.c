/* ops3_test.c: the graph IR of issue 3's ops: convolution and pooling
   shapes (static and symbolic, with the run-time checks they record),
   csr arguments and the ABI's flat list of arrays, spmm, gather,
   index_select, scatter and quantization dtypes, and their printing. */
#include <inttypes.h>

#include "core_tests.h"

static int mk(tfx *f, tc_op op, int nin, const int *in, int nints, const int64_t *ints) {
  tc_node p = {0};
  p.op = op;
  p.nin = nin;
  p.in = in;
  p.nints = nints;
  p.ints = ints;
  return tc_graph_make(f->k, f->ar, &p, tloc(20), &f->d);
}

static int wt(tfx *f, const char *name, tc_dtype t, int64_t a, int64_t b, int64_t c, int64_t d) {
  const tc_ext *s[4] = {tcn(f, a), tcn(f, b), tcn(f, c), tcn(f, d)};
  int rank = d >= 0 ? 4 : c >= 0 ? 3 : b >= 0 ? 2 : 1;
  int id = tc_graph_arg(f->k, f->ar, name, TC_ROLE_WEIGHT, t, rank, s, tloc(4), &f->d);
  ck_assert_msg(id >= 0, "weight %s: %s", name, f->d.msg);
  return id;
}

/* The kernel's checks as text, "a == b; divisible(c, d)". */
static const char *checks_text(tfx *f) {
  static char out[1024];
  tc_buf b = {0};
  for (int i = 0; i < f->k->checks.len; i++) {
    const tc_check *c = &f->k->checks.data[i];
    if (i) tc_buf_puts(&b, "; ");
    if (c->kind == TC_CHECK_DIVISIBLE) tc_buf_puts(&b, "divisible(");
    tc_kernel_ext_print(&b, f->k, c->a);
    tc_buf_puts(&b, c->kind == TC_CHECK_EQ ? " == " : ", ");
    tc_kernel_ext_print(&b, f->k, c->b);
    if (c->kind == TC_CHECK_DIVISIBLE) tc_buf_putc(&b, ')');
  }
  snprintf(out, sizeof out, "%s", b.data ? b.data : "");
  tc_buf_free(&b);
  return out;
}

START_TEST(conv2d_shapes_and_checks) {
  tfx f = tfx_new();
  const tc_ext *N = tdim(&f, "N"), *H = tdim(&f, "H");
  int x = tin(&f, "x", TC_DT_F32, 4, N, tcn(&f, 4), H, tcn(&f, 9));
  int w = wt(&f, "w", TC_DT_F32, 6, 2, 3, 2);
  int b = wt(&f, "b", TC_DT_F32, 6, -1, -1, -1);
  int in[3] = {x, w, b};
  int64_t a[9] = {2, 1, 1, 0, 1, 2, 2, 0, 1};
  int y = mk(&f, TC_OP_CONV2D, 3, in, 9, a);
  ck_shape(&f, y, "[N, 6, (H - 1)//2 + 1, 7]");
  ck_assert_msg(strcmp(checks_text(&f), "max(H - 1, 0) == H - 1") == 0,
                "conv2d over a symbolic height: expected the check that the window fits, got "
                "\"%s\"", checks_text(&f));
  ck_assert_msg(f.k->nodes.data[y].dtype == TC_DT_F32, "conv2d f32: dtype");
  /* NHWC, i32 input promoted with an f32 weight */
  int xh = tin(&f, "xh", TC_DT_I32, 4, tcn(&f, 1), tcn(&f, 5), tcn(&f, 5), tcn(&f, 3));
  int wh = wt(&f, "wh", TC_DT_F32, 3, 3, 3, 4);
  int inh[2] = {xh, wh};
  int64_t ah[9] = {1, 1, 1, 1, 1, 1, 1, 1, 0};
  int yh = mk(&f, TC_OP_CONV2D, 2, inh, 9, ah);
  ck_shape(&f, yh, "[1, 5, 5, 4]");
  ck_assert_msg(f.k->nodes.data[yh].dtype == TC_DT_F32 &&
                    f.k->nodes.data[f.k->nodes.data[yh].in[0]].op == TC_OP_CAST,
                "conv2d of i32 x with f32 w: x is cast to f32");
  /* a symbolic channel count with groups: divisible checks */
  const tc_ext *C = tdim(&f, "C");
  int xc = tin(&f, "xc", TC_DT_F32, 4, tcn(&f, 1), C, tcn(&f, 5), tcn(&f, 5));
  int inc[2] = {xc, w};
  int64_t ac[9] = {1, 1, 0, 0, 1, 1, 3, 0, 0};
  int yc = mk(&f, TC_OP_CONV2D, 2, inc, 9, ac);
  ck_shape(&f, yc, "[1, 6, 3, 4]");
  ck_assert_msg(strstr(checks_text(&f), "divisible(C, 3)") &&
                    strstr(checks_text(&f), "2 == C//3"),
                "conv2d with groups 3 over C channels: expected divisible(C, 3) and 2 == C//3, "
                "got \"%s\"", checks_text(&f));
  ck_verified(&f);
  ck_error(&f, mk(&f, TC_OP_CONV2D, 2, inh, 9, (int64_t[9]){1, 1, 0, 0, 1, 1, 2, 1, 0}),
           "t.lua:20: conv2d: groups = 2 does not divide the 3 input channels of x");
  ck_error(&f, mk(&f, TC_OP_CONV2D, 2, inh, 9, (int64_t[9]){1, 1, 0, 0, 3, 1, 1, 1, 0}),
           "t.lua:20: conv2d: the kernel spans 7 along the height (dilation 3), more than "
           "the padded input's 5 + 0");
  tfx_free(&f);
}
END_TEST

START_TEST(pool_shapes) {
  tfx f = tfx_new();
  int x = tin(&f, "x", TC_DT_I32, 4, tcn(&f, 2), tcn(&f, 3), tcn(&f, 7), tcn(&f, 6));
  int64_t a[6] = {3, 2, 2, 2, 1, 0};
  int mp = mk(&f, TC_OP_MAX_POOL2D, 1, &x, 6, a);
  ck_shape(&f, mp, "[2, 3, 4, 3]");
  ck_assert_msg(f.k->nodes.data[mp].dtype == TC_DT_I32, "max_pool2d keeps i32");
  int ap = mk(&f, TC_OP_AVG_POOL2D, 1, &x, 6, a);
  ck_assert_msg(f.k->nodes.data[ap].dtype == TC_DT_F32, "avg_pool2d of i32 gives f32");
  ck_verified(&f);
  ck_error(&f, mk(&f, TC_OP_MAX_POOL2D, 1, &x, 6, (int64_t[6]){2, 2, 2, 2, 2, 0}),
           "t.lua:20: max_pool2d: padding 2 is more than half the kernel size 2 (as PyTorch "
           "requires)");
  tfx_free(&f);
}
END_TEST

START_TEST(csr_abi_parts) {
  tfx f = tfx_new();
  const tc_ext *N = tdim(&f, "N");
  wt(&f, "w", TC_DT_F32, 3, 4, -1, -1);
  int x = tin(&f, "x", TC_DT_F32, 2, tcn(&f, 7), tcn(&f, 3), NULL, NULL);
  int A = tc_graph_csr(f.k, f.ar, "A", TC_DT_F32, TC_DT_I64, 1, N, tcn(&f, 7), tloc(5), &f.d);
  int P = tc_graph_csr(f.k, f.ar, "P", TC_DT_BF16, TC_DT_I32, 0, tcn(&f, 2), tcn(&f, 7),
                       tloc(6), &f.d);
  ck_assert_msg(A >= 0 && P >= 0, "tc_graph_csr: %s", f.d.msg);
  int in[2] = {A, x};
  int64_t red = TC_OP_SUM;
  int y = mk(&f, TC_OP_SPMM, 2, in, 1, &red);
  ck_shape(&f, y, "[N, 3]");
  ck_assert_msg(tc_graph_output(f.k, f.ar, "y", y, tloc(7), &f.d) >= 0, "output: %s", f.d.msg);
  ck_verified(&f);
  ck_assert_msg(tc_kernel_abi_args(f.k, NULL) == 5, "abi args count the csr arguments once");
  tc_abi_part parts[16];
  int n = tc_kernel_abi_parts(f.k, parts);
  static const struct {
    const char *name;
    tc_format fmt;
    tc_dtype t;
  } want[] = {{"w", TC_FMT_DENSE, TC_DT_F32},       {"x", TC_FMT_DENSE, TC_DT_F32},
              {"A.rowptr", TC_FMT_CSR_ROWPTR, TC_DT_I64}, {"A.col", TC_FMT_CSR_COL, TC_DT_I64},
              {"A.val", TC_FMT_CSR_VAL, TC_DT_F32}, {"P.rowptr", TC_FMT_CSR_ROWPTR, TC_DT_I32},
              {"P.col", TC_FMT_CSR_COL, TC_DT_I32}, {"y", TC_FMT_DENSE, TC_DT_F32}};
  ck_assert_msg(n == 8, "tc_kernel_abi_parts: %d arrays, expected 8 (P is pattern-only)", n);
  for (int i = 0; i < n; i++)
    ck_assert_msg(strcmp(parts[i].name, want[i].name) == 0 && parts[i].format == want[i].fmt &&
                      parts[i].dtype == want[i].t,
                  "ABI array %d: got %s (format %d, %s), expected %s (format %d, %s)", i,
                  parts[i].name, parts[i].format, tc_dtype_name(parts[i].dtype), want[i].name,
                  want[i].fmt, tc_dtype_name(want[i].t));
  int64_t dims[1] = {5}, shape[4];
  ck_assert_msg(tc_kernel_part_shape(f.k, &parts[2], dims, shape) == TC_OK && shape[0] == 6,
                "A.rowptr with N = 5 has N + 1 = 6 entries");
  ck_assert_msg(tc_kernel_part_shape(f.k, &parts[3], dims, shape) == TC_EINVAL,
                "A.col's length is known only from rowptr: TC_EINVAL");
  ck_assert_msg(parts[3].rank == 1 && !parts[3].shape && parts[3].rows == f.k->args.data[2].shape[0],
                "A.col: rank 1, no shape, rows of A");
  ck_assert_msg(tc_kernel_part_shape(f.k, &parts[1], dims, shape) == TC_OK && shape[0] == 7 &&
                    shape[1] == 3,
                "x's shape through its part");
  /* nothing but spmm reads a csr matrix */
  ck_error(&f, tc_graph_elementwise(f.k, f.ar, TC_OP_NEG, 1, &A, 0, tloc(8), &f.d),
           "t.lua:8: neg: A is a csr matrix, which only spmm reads");
  ck_error(&f, tc_graph_output(f.k, f.ar, "z", P, tloc(9), &f.d),
           "t.lua:9: output z: P is a csr matrix, which cannot be an output (only spmm reads "
           "it)");
  ck_error(&f, tc_graph_reduce(f.k, f.ar, TC_OP_SUM, A, -1, NULL, 0, tloc(9), &f.d),
           "t.lua:9: sum: A is a csr matrix, which only spmm reads");
  ck_assert_msg(tc_sexpr_load(f.k, f.ar, A, 0, NULL, tloc(9), &f.d) == NULL &&
                    strstr(f.d.msg, "A is a csr matrix"),
                "a compute body cannot read A: %s", f.d.msg);
  memset(&f.d, 0, sizeof f.d);
  int pin[2] = {P, x};
  int64_t mean = TC_OP_MEAN;
  int yp = mk(&f, TC_OP_SPMM, 2, pin, 1, &mean);
  ck_assert_msg(yp >= 0 && f.k->nodes.data[yp].dtype == TC_DT_F32,
                "spmm of a bf16 pattern with f32 x: f32 (%s)", f.d.msg);
  tc_buf b = {0};
  tc_graph_print(&b, f.m);
  ck_assert_msg(strstr(b.data, "input A: csr f32[N, 7] index i64;") &&
                    strstr(b.data, "input P: csr bf16[2, 7] index i32 pattern;") &&
                    strstr(b.data, "= spmm(%2, %1, sum) : f32[N, 3]"),
                "the printed kernel shows the csr arguments and spmm:\n%s", b.data);
  tc_buf_free(&b);
  tfx_free(&f);
}
END_TEST

START_TEST(index_and_quant_dtypes) {
  tfx f = tfx_new();
  const tc_ext *S = tdim(&f, "S");
  int x = tin(&f, "x", TC_DT_I32, 2, tcn(&f, 5), tcn(&f, 3), NULL, NULL);
  int ix = tin(&f, "ix", TC_DT_I32, 1, tcn(&f, 5), NULL, NULL, NULL);
  int fi = tin(&f, "fi", TC_DT_F32, 1, tcn(&f, 5), NULL, NULL, NULL);
  tc_node p = {0};
  p.op = TC_OP_SCATTER;
  int in[2] = {x, ix};
  p.in = in;
  p.nin = 2;
  const tc_ext *size[1] = {S};
  p.exts = size;
  int64_t red = TC_OP_SUM;
  p.ints = &red;
  p.nints = 1;
  int s = tc_graph_make(f.k, f.ar, &p, tloc(30), &f.d);
  ck_shape(&f, s, "[S, 3]");
  ck_assert_msg(f.k->nodes.data[s].dtype == TC_DT_I64, "scatter sum of i32 gives i64");
  red = TC_OP_MEAN;
  s = tc_graph_make(f.k, f.ar, &p, tloc(30), &f.d);
  ck_assert_msg(s >= 0 && f.k->nodes.data[s].dtype == TC_DT_F32, "scatter mean of i32: f32");
  red = TC_OP_MAX;
  s = tc_graph_make(f.k, f.ar, &p, tloc(30), &f.d);
  ck_assert_msg(s >= 0 && f.k->nodes.data[s].dtype == TC_DT_I32, "scatter max keeps i32");
  in[1] = fi;
  ck_error(&f, tc_graph_make(f.k, f.ar, &p, tloc(30), &f.d),
           "t.lua:30: scatter: index must be i32 or i64, got f32 (cast it)");
  tc_node q = {0};
  q.op = TC_OP_QUANTIZE;
  q.in = &x;
  q.nin = 1;
  q.num = 0.1;
  q.inum = -3;
  q.dtype = TC_DT_I8;
  int qx = tc_graph_make(f.k, f.ar, &q, tloc(31), &f.d);
  ck_assert_msg(qx >= 0 && f.k->nodes.data[qx].dtype == TC_DT_I8 &&
                    f.k->nodes.data[f.k->nodes.data[qx].in[0]].dtype == TC_DT_F32 &&
                    f.k->nodes.data[qx].num == (double)0.1f,
                "quantize of i32: x cast to f32, the scale rounded to f32, an i8 result");
  q.op = TC_OP_DEQUANTIZE;
  q.in = &qx;
  int dq = tc_graph_make(f.k, f.ar, &q, tloc(32), &f.d);
  ck_assert_msg(dq >= 0 && f.k->nodes.data[dq].dtype == TC_DT_F32, "dequantize gives f32");
  q.inum = 200;
  ck_error(&f, tc_graph_make(f.k, f.ar, &q, tloc(33), &f.d),
           "t.lua:33: dequantize: zero_point 200 is outside the range of i8 (-128 to 127)");
  double scales[3] = {0.5, 0.25, 1}, zps[3] = {1, -2, 3};
  int sc = tc_graph_literal(f.k, f.ar, TC_DT_F32, 3, scales, tloc(34), &f.d);
  int zp = tc_graph_literal(f.k, f.ar, TC_DT_I64, 3, zps, tloc(34), &f.d);
  int pin[3] = {x, sc, zp};
  tc_node pc = {0};
  pc.op = TC_OP_QUANTIZE_PER_CHANNEL;
  pc.in = pin;
  pc.nin = 3;
  pc.axis = -1;
  pc.dtype = TC_DT_U8;
  int pq = tc_graph_make(f.k, f.ar, &pc, tloc(35), &f.d);
  ck_assert_msg(pq >= 0 && f.k->nodes.data[pq].axis == 1 &&
                    f.k->nodes.data[pq].dtype == TC_DT_U8,
                "quantize_per_channel along -1 of [5, 3]: axis 1, u8 (%s)", f.d.msg);
  pc.axis = 0;
  ck_error(&f, tc_graph_make(f.k, f.ar, &pc, tloc(36), &f.d),
           "t.lua:36: quantize_per_channel: scales must have shape [5] (the extent of axis 0 "
           "of [5, 3]), got [3]");
  ck_verified(&f);
  tfx_free(&f);
}
END_TEST

Suite *core_ops3_suite(void) {
  Suite *s = suite_create("core_ops3");
  TCase *tc = tcase_create("ops3");
  tcase_add_test(tc, conv2d_shapes_and_checks);
  tcase_add_test(tc, pool_shapes);
  tcase_add_test(tc, csr_abi_parts);
  tcase_add_test(tc, index_and_quant_dtypes);
  suite_add_tcase(s, tc);
  return s;
}
