/* misc_test.c: arguments and outputs, scalar expressions and compute,
   the ABI helpers, the printer and the verifier. */
#include <inttypes.h>

#include "core_tests.h"

START_TEST(args_and_outputs) {
  tfx f = tfx_new();
  const tc_ext *N = tdim(&f, "N");
  const tc_ext *s[2] = {N, tcn(&f, 4)};
  ck_error(&f, tc_graph_arg(f.k, f.ar, "w", TC_ROLE_WEIGHT, TC_DT_F32, 2, s,
                            tloc(5), &f.d),
           "t.lua:5: weight shapes must be integers: w has extent N at axis 0 "
           "(weights are handed over before any dim is known)");
  ck_error(&f, tc_graph_arg(f.k, f.ar, "b", TC_ROLE_INPUT, TC_DT_BOOL, 2, s,
                            tloc(5), &f.d),
           "t.lua:5: input b: bool is not an argument dtype");
  const tc_ext *big[9];
  for (int i = 0; i < 9; i++)
    big[i] = tcn(&f, 1);
  ck_error(&f, tc_graph_arg(f.k, f.ar, "r", TC_ROLE_INPUT, TC_DT_F32, 9, big,
                            tloc(5), &f.d),
           "t.lua:5: input r: rank 9 exceeds the maximum of 8");
  int w = tc_graph_arg(f.k, f.ar, "w", TC_ROLE_WEIGHT, TC_DT_F32, 1, s + 1,
                       tloc(6), &f.d);
  int x = tin(&f, "x", TC_DT_F32, 2, N, tcn(&f, 4), NULL, NULL);
  ck_assert_msg(f.k->nodes.data[w].op == TC_OP_WEIGHT &&
                    f.k->args.data[f.k->nodes.data[w].arg].node == w,
                "a weight node points at its argument and back");
  int c = tc_graph_elementwise(f.k, f.ar, TC_OP_GT, 2, (int[]){x, w}, 0,
                               tloc(7), &f.d);
  ck_error(&f, tc_graph_output(f.k, f.ar, "y", c, tloc(8), &f.d),
           "t.lua:8: output y: cast a bool result before output (bool is not "
           "an argument dtype)");
  int y = tc_graph_elementwise(f.k, f.ar, TC_OP_ADD, 2, (int[]){x, w}, 0,
                               tloc(7), &f.d);
  int o = tc_graph_output(f.k, f.ar, "y", y, tloc(8), &f.d);
  ck_assert_msg(o >= 0 && f.k->args.data[o].role == TC_ROLE_OUTPUT &&
                    f.k->args.data[o].node == y && f.k->args.data[o].rank == 2,
                "the output argument takes the node's shape");
  ck_assert_msg(tc_graph_output(f.k, f.ar, "xcopy", x, tloc(9), &f.d) >= 0,
                "an input may be an output");

  /* ABI order: weights, inputs, outputs */
  int idx[8];
  int n = tc_kernel_abi_args(f.k, idx);
  ck_assert_msg(n == 4 && strcmp(f.k->args.data[idx[0]].name, "w") == 0 &&
                    strcmp(f.k->args.data[idx[1]].name, "x") == 0 &&
                    strcmp(f.k->args.data[idx[2]].name, "y") == 0 &&
                    strcmp(f.k->args.data[idx[3]].name, "xcopy") == 0,
                "ABI order is w, x, y, xcopy");
  ck_assert_msg(tc_kernel_count_role(f.k, TC_ROLE_OUTPUT) == 2 &&
                    tc_kernel_count_role(f.k, TC_ROLE_WEIGHT) == 1,
                "two outputs, one weight");
  int64_t shape[2], dims[1] = {5};
  ck_assert_msg(tc_kernel_arg_shape(f.k, o, dims, shape) == TC_OK &&
                    shape[0] == 5 && shape[1] == 4,
                "y's shape for N = 5 is [5, 4]");
  ck_assert_msg(tc_kernel_check_dims(f.k, (int64_t[]){-1}) == TC_EINVAL,
                "a negative dim is TC_EINVAL");
  ck_assert_msg(tc_kernel_check_dims(f.k, (int64_t[]){INT64_MAX / 2}) ==
                    TC_EINVAL,
                "N * 4 elements overflowing int64 is TC_EINVAL");
  ck_assert_msg(tc_kernel_check_dims(f.k, dims) == TC_OK, "N = 5 is fine");
  ck_verified(&f);
  tfx_free(&f);
}
END_TEST

START_TEST(cname_rules) {
  tc_module *m = tc_module_new("mlp", "mlp.lua");
  tc_kernel *k = tc_kernel_new(m, "mlp", tloc(1));
  char *s = tc_kernel_cname(m, k, NULL);
  ck_assert_msg(strcmp(s, "mlp") == 0, "one kernel named as the module: "
                "expected mlp, got %s", s);
  free(s);
  s = tc_kernel_cname(m, k, "X");
  ck_assert_msg(strcmp(s, "X") == 0, "--prefix X: expected X, got %s", s);
  free(s);
  tc_kernel *k2 = tc_kernel_new(m, "relu", tloc(9));
  s = tc_kernel_cname(m, k, NULL);
  ck_assert_msg(strcmp(s, "mlp_mlp") == 0, "two kernels: expected mlp_mlp, "
                "got %s", s);
  free(s);
  s = tc_kernel_cname(m, k2, "X");
  ck_assert_msg(strcmp(s, "X_relu") == 0, "expected X_relu, got %s", s);
  free(s);
  ck_assert_msg(tc_module_find_kernel(m, "relu") == k2 &&
                    tc_module_find_kernel(m, "nope") == NULL,
                "find_kernel finds relu and not nope");
  tc_module_free(m);
  m = tc_module_new("ops", "ops.lua");
  k = tc_kernel_new(m, "gelu", tloc(1));
  s = tc_kernel_cname(m, k, NULL);
  ck_assert_msg(strcmp(s, "ops_gelu") == 0, "one kernel not named as the "
                "module: expected ops_gelu, got %s", s);
  free(s);
  tc_module_free(m);
}
END_TEST

/* A matmul as a compute: C[i, j] = sum(k, A[i, k] * B[k, j]). */
static int matmul_compute(tfx *f, int a, int b, const tc_ext *M,
                          const tc_ext *K, const tc_ext *N) {
  tc_rvar rv = {K, tloc(11)};
  TC_VEC_PUSH(f->k->rvars, rv);
  int r = f->k->rvars.len - 1;
  const tc_sexpr *i = tc_sexpr_ivar(f->ar, 0, tloc(12));
  const tc_sexpr *j = tc_sexpr_ivar(f->ar, 1, tloc(12));
  const tc_sexpr *k = tc_sexpr_rvar(f->ar, r, tloc(12));
  const tc_sexpr *la = tc_sexpr_load(f->k, f->ar, a, 2,
                                     (const tc_sexpr *[]){i, k}, tloc(13), &f->d);
  const tc_sexpr *lb = tc_sexpr_load(f->k, f->ar, b, 2,
                                     (const tc_sexpr *[]){k, j}, tloc(13), &f->d);
  const tc_sexpr *prod = tc_sexpr_elementwise(
      f->ar, TC_OP_MUL, 2, (const tc_sexpr *[]){la, lb}, 0, tloc(13), &f->d);
  const tc_sexpr *sum =
      tc_sexpr_reduce(f->k, f->ar, TC_OP_SUM, r, prod, tloc(13), &f->d);
  ck_assert_msg(sum != NULL, "building the body: %s", f->d.msg);
  return tc_graph_compute(f->k, f->ar, 2, (const tc_ext *[]){M, N}, sum,
                          tloc(14), &f->d);
}

START_TEST(compute_and_sexprs) {
  tfx f = tfx_new();
  const tc_ext *M = tdim(&f, "M"), *K = tdim(&f, "K");
  int a = tin(&f, "A", TC_DT_F32, 2, M, K, NULL, NULL);
  int b = tin(&f, "B", TC_DT_I32, 2, K, tcn(&f, 8), NULL, NULL);
  int c = matmul_compute(&f, a, b, M, K, tcn(&f, 8));
  ck_shape(&f, c, "[M, 8]");
  const tc_node *n = &f.k->nodes.data[c];
  ck_assert_msg(n->dtype == TC_DT_F32 && n->nin == 2 && n->in[0] == a &&
                    n->in[1] == b,
                "compute of f32 * i32 is f32 and lists both loads");
  tc_buf buf = {0};
  tc_sexpr_print(&buf, n->body, f.k);
  ck_assert_msg(strcmp(buf.data, "sum(r0 in 0..K: A[i0, r0] * cast(B[r0, i1], "
                                 "f32))") == 0,
                "body printed as \"%s\"", buf.data);
  tc_buf_free(&buf);

  /* integer sums are i64; a cast of a constant folds */
  const tc_sexpr *li = tc_sexpr_load(
      f.k, f.ar, b, 2,
      (const tc_sexpr *[]){tc_sexpr_rvar(f.ar, 0, tloc(15)),
                           tc_sexpr_const(f.ar, TC_DT_I32, 0, 3, tloc(15))},
      tloc(15), &f.d);
  ck_assert_msg(li && li->args[1]->op == TC_OP_CONST &&
                    li->args[1]->dtype == TC_DT_I64 && li->args[1]->inum == 3,
                "an i32 constant index is folded to an i64 constant");
  const tc_sexpr *si = tc_sexpr_reduce(f.k, f.ar, TC_OP_SUM, 0, li, tloc(15), &f.d);
  ck_assert_msg(si && si->dtype == TC_DT_I64 && si->args[0]->dtype == TC_DT_I64,
                "sum of i32 is i64 with its body cast");
  ck_assert_msg(tc_sexpr_reduce(f.k, f.ar, TC_OP_MAX, 0, si, tloc(16), &f.d) ==
                    NULL &&
                    strcmp(f.d.msg, "t.lua:16: max: reduction variable r0 is "
                                    "bound again inside the reduction that "
                                    "binds it") == 0,
                "binding r0 inside itself: got \"%s\"", f.d.msg);
  memset(&f.d, 0, sizeof f.d);

  /* loads: rank and index dtype */
  const tc_sexpr *i0 = tc_sexpr_ivar(f.ar, 0, tloc(17));
  ck_assert_msg(tc_sexpr_load(f.k, f.ar, a, 1, &i0, tloc(17), &f.d) == NULL &&
                    strcmp(f.d.msg, "t.lua:17: A has rank 2 but is read with "
                                    "1 index") == 0,
                "A(i) of a rank-2 A: got \"%s\"", f.d.msg);
  memset(&f.d, 0, sizeof f.d);
  const tc_sexpr *fl = tc_sexpr_const(f.ar, TC_DT_F32, 1.5, 0, tloc(17));
  ck_assert_msg(tc_sexpr_load(f.k, f.ar, a, 2, (const tc_sexpr *[]){i0, fl},
                              tloc(17), &f.d) == NULL &&
                    strcmp(f.d.msg, "t.lua:17: index 1 of A is f32; indices "
                                    "must be integers (cast them)") == 0,
                "A(i, 1.5): got \"%s\"", f.d.msg);
  memset(&f.d, 0, sizeof f.d);

  /* an rvar outside its reduction, an ivar beyond the rank */
  const tc_sexpr *free_r = tc_sexpr_load(
      f.k, f.ar, a, 2, (const tc_sexpr *[]){i0, tc_sexpr_rvar(f.ar, 0, tloc(18))},
      tloc(18), &f.d);
  ck_error(&f, tc_graph_compute(f.k, f.ar, 1, (const tc_ext *[]){M}, free_r,
                                tloc(19), &f.d),
           "t.lua:18: reduction variable r0 is used outside a reduction that "
           "binds it");
  const tc_sexpr *i1 = tc_sexpr_ivar(f.ar, 1, tloc(20));
  ck_error(&f, tc_graph_compute(f.k, f.ar, 1, (const tc_ext *[]){M}, i1,
                                tloc(21), &f.d),
           "t.lua:20: compute: index variable 1 is not an axis of this compute "
           "(rank 1): index variables belong to the compute that made them");

  /* promotion in bodies as in the graph: i32 / i32 is f32 */
  const tc_sexpr *q = tc_sexpr_elementwise(
      f.ar, TC_OP_DIV, 2, (const tc_sexpr *[]){li, li}, 0, tloc(22), &f.d);
  ck_assert_msg(q->dtype == TC_DT_F32 && q->args[0]->op == TC_OP_CAST,
                "i32 / i32 in a body is f32 with cast operands");
  ck_verified(&f);
  tfx_free(&f);
}
END_TEST

/* The same module built twice prints the same text. */
static char *build_and_print(void) {
  tfx f = tfx_new();
  const tc_ext *B = tdim(&f, "B");
  int x = tin(&f, "x", TC_DT_F32, 2, B, tcn(&f, 4), NULL, NULL);
  const tc_ext *ws[2] = {tcn(&f, 3), tcn(&f, 4)};
  int w = tc_graph_arg(f.k, f.ar, "w", TC_ROLE_WEIGHT, TC_DT_F32, 2, ws,
                       tloc(4), &f.d);
  tc_node p;
  memset(&p, 0, sizeof p);
  p.op = TC_OP_LINEAR;
  p.nin = 2;
  p.in = (int[]){x, w};
  p.nints = 1;
  p.ints = (int64_t[]){0};
  int l = tc_graph_make(f.k, f.ar, &p, tloc(5), &f.d);
  int s = tc_graph_reduce(f.k, f.ar, TC_OP_SUM, l, 1, (int64_t[]){-1}, 1,
                          tloc(6), &f.d);
  int h = tc_graph_const(f.k, f.ar, TC_DT_F32, 0.5, 0, tloc(7));
  int y = tc_graph_elementwise(f.k, f.ar, TC_OP_MUL, 2, (int[]){s, h}, 0,
                               tloc(7), &f.d);
  int c = matmul_compute(&f, x, tin(&f, "v", TC_DT_F32, 2, tcn(&f, 4), tcn(&f, 2), NULL, NULL),
                         B, tcn(&f, 4), tcn(&f, 2));
  tc_graph_output(f.k, f.ar, "y", y, tloc(8), &f.d);
  tc_graph_output(f.k, f.ar, "z", c, tloc(9), &f.d);
  ck_assert_msg(!f.d.set, "building the module: %s", f.d.msg);
  ck_verified(&f);
  tc_buf b = {0};
  tc_graph_print(&b, f.m);
  tfx_free(&f);
  return tc_buf_steal(&b);
}

START_TEST(print_is_deterministic) {
  char *a = build_and_print(), *b = build_and_print();
  ck_assert_msg(strcmp(a, b) == 0, "two prints differ:\n%s\n---\n%s", a, b);
  const char *want =
      "module t   # t.lua\n"
      "kernel t(dims B; weight w: f32[3, 4]; input x: f32[B, 4]; input v: "
      "f32[4, 2]; output y: f32[B, 1]; output z: f32[B, 2])   # t.lua:1\n"
      "  %0 = input(x) : f32[B, 4]   # t.lua:3\n"
      "  %1 = weight(w) : f32[3, 4]   # t.lua:4\n"
      "  %2 = linear(%0, %1) : f32[B, 3]   # t.lua:5\n"
      "  %3 = sum(%2, axes=[1], keepdim) : f32[B, 1]   # t.lua:6\n"
      "  %4 = const(0.5) : f32[]   # t.lua:7\n"
      "  %5 = mul(%3, %4) : f32[B, 1]   # t.lua:7\n"
      "  %6 = input(v) : f32[4, 2]   # t.lua:3\n"
      "  %7 = compute(%0, %6) : f32[B, 2] = sum(r0 in 0..4: x[i0, r0] * "
      "v[r0, i1])   # t.lua:14\n"
      "  rvar r0 in 0..4   # t.lua:11\n"
      "  output y = %5   # t.lua:8\n"
      "  output z = %7   # t.lua:9\n"
      "end\n";
  ck_assert_msg(strcmp(a, want) == 0, "expected\n%s\ngot\n%s", want, a);
  free(a);
  free(b);
}
END_TEST

START_TEST(verify_catches_bugs) {
  tfx f = tfx_new();
  int x = tin(&f, "x", TC_DT_F32, 1, tcn(&f, 3), NULL, NULL, NULL);
  int i = tin(&f, "i", TC_DT_I32, 1, tcn(&f, 3), NULL, NULL, NULL);
  int y = tc_graph_elementwise(f.k, f.ar, TC_OP_ADD, 2, (int[]){x, i}, 0,
                               tloc(5), &f.d);
  ck_verified(&f);
  /* a missing cast: make the add read the i32 input directly */
  ((int *)f.k->nodes.data[y].in)[1] = i;
  tc_diag d = {0};
  ck_assert_msg(tc_graph_verify(f.m, &d) < 0 &&
                    strcmp(d.msg, "t.lua:5: internal error: kernel t, %3 = add: "
                                  "operand 1 is i32, expected f32 (a cast is "
                                  "missing)") == 0,
                "a mixed-dtype add: got \"%s\"", d.msg);
  /* an operand that is not earlier */
  ((int *)f.k->nodes.data[y].in)[1] = y;
  memset(&d, 0, sizeof d);
  ck_assert_msg(tc_graph_verify(f.m, &d) < 0 &&
                    strstr(d.msg, "operand 1 is %3, not an earlier node"),
                "a self-referencing node: got \"%s\"", d.msg);
  ((int *)f.k->nodes.data[y].in)[1] = y - 1;
  /* a constant shape mismatch */
  f.k->nodes.data[y].shape[0] = tcn(&f, 4);
  memset(&d, 0, sizeof d);
  ck_assert_msg(tc_graph_verify(f.m, &d) < 0 &&
                    strstr(d.msg, "operand 0 does not broadcast"),
                "[3] + [3] giving [4]: got \"%s\"", d.msg);
  tfx_free(&f);
}
END_TEST


START_TEST(compute_operands_and_print) {
  tfx f = tfx_new();
  const tc_ext *N = tdim(&f, "N");
  int a = tin(&f, "a", TC_DT_F32, 1, N, NULL, NULL, NULL);
  int b = tin(&f, "b", TC_DT_F32, 1, N, NULL, NULL, NULL);
  const tc_sexpr *i = tc_sexpr_ivar(f.ar, 0, tloc(50));
  /* b read before a, a read twice: in[] is {a, b} */
  const tc_sexpr *lb = tc_sexpr_load(f.k, f.ar, b, 1, &i, tloc(50), &f.d);
  const tc_sexpr *prev = tc_sexpr_elementwise(
      f.ar, TC_OP_SUB, 2,
      (const tc_sexpr *[]){i, tc_sexpr_const(f.ar, TC_DT_I64, 0, 1, tloc(50))},
      0, tloc(50), &f.d);
  const tc_sexpr *la = tc_sexpr_load(f.k, f.ar, a, 1, &prev, tloc(50), &f.d);
  const tc_sexpr *la2 = tc_sexpr_load(f.k, f.ar, a, 1, &i, tloc(50), &f.d);
  const tc_sexpr *cond = tc_sexpr_elementwise(
      f.ar, TC_OP_LT, 2,
      (const tc_sexpr *[]){prev, tc_sexpr_const(f.ar, TC_DT_I64, 0, 0, tloc(50))},
      0, tloc(50), &f.d);
  const tc_sexpr *pad = tc_sexpr_elementwise(
      f.ar, TC_OP_WHERE, 3,
      (const tc_sexpr *[]){cond, tc_sexpr_const(f.ar, TC_DT_F32, 0, 0, tloc(50)), la},
      0, tloc(50), &f.d);
  const tc_sexpr *sum3 = tc_sexpr_elementwise(
      f.ar, TC_OP_ADD, 2,
      (const tc_sexpr *[]){tc_sexpr_elementwise(f.ar, TC_OP_ADD, 2,
                                                (const tc_sexpr *[]){lb, pad}, 0,
                                                tloc(50), &f.d),
                           tc_sexpr_elementwise(f.ar, TC_OP_LEAKY_RELU, 1, &la2,
                                                0.25, tloc(50), &f.d)},
      0, tloc(50), &f.d);
  const tc_sexpr *body = tc_sexpr_elementwise(
      f.ar, TC_OP_MUL, 2,
      (const tc_sexpr *[]){sum3, tc_sexpr_extent(
                                     f.ar, tc_ext_binary(f.ar, TC_EXT_SUB, N,
                                                         tcn(&f, 1)),
                                     tloc(50))},
      0, tloc(50), &f.d);
  int c = tc_graph_compute(f.k, f.ar, 1, &N, body, tloc(51), &f.d);
  ck_assert_msg(c >= 0 && f.k->nodes.data[c].nin == 2 &&
                    f.k->nodes.data[c].in[0] == a && f.k->nodes.data[c].in[1] == b,
                "compute reading b, a, a lists {a, b} (%s)", f.d.msg);
  tc_buf buf = {0};
  tc_sexpr_print(&buf, body, f.k);
  const char *want = "((b[i0] + where(lt(i0 - 1, 0), 0.0, a[i0 - 1])) + "
                     "leaky_relu(a[i0], 0.25)) * cast(N - 1, f32)";
  ck_assert_msg(strcmp(buf.data, want) == 0, "expected\n  %s\ngot\n  %s", want,
                buf.data);
  tc_buf_free(&buf);
  ck_verified(&f);
  tfx_free(&f);
}
END_TEST

START_TEST(check_dims_covers_rvars_and_nodes) {
  tfx f = tfx_new();
  const tc_ext *N = tdim(&f, "N");
  tc_rvar rv = {tc_ext_binary(f.ar, TC_EXT_SUB, N, tcn(&f, 3)), tloc(60)};
  TC_VEC_PUSH(f.k->rvars, rv);
  ck_assert_msg(tc_kernel_check_dims(f.k, (int64_t[]){2}) == TC_EINVAL,
                "an rvar over N - 3 with N = 2 is TC_EINVAL");
  ck_assert_msg(tc_kernel_check_dims(f.k, (int64_t[]){3}) == TC_OK,
                "an rvar over N - 3 with N = 3 is empty, not an error");
  int x = tin(&f, "x", TC_DT_F32, 1, N, NULL, NULL, NULL);
  const tc_ext *shape[1] = {tc_ext_binary(f.ar, TC_EXT_SUB, N, tcn(&f, 5))};
  tc_node p;
  memset(&p, 0, sizeof p);
  p.op = TC_OP_EXPAND;
  p.nin = 1;
  p.in = &x;
  p.rank = 1;
  p.shape = shape;
  ck_assert_msg(tc_graph_make(f.k, f.ar, &p, tloc(61), &f.d) >= 0, "%s", f.d.msg);
  ck_assert_msg(tc_kernel_check_dims(f.k, (int64_t[]){4}) == TC_EINVAL,
                "an intermediate of extent N - 5 with N = 4 is TC_EINVAL");
  tfx_free(&f);
}
END_TEST

Suite *core_misc_suite(void) {
  Suite *s = suite_create("core_misc");
  TCase *tc = tcase_create("misc");
  tcase_add_test(tc, args_and_outputs);
  tcase_add_test(tc, cname_rules);
  tcase_add_test(tc, compute_and_sexprs);
  tcase_add_test(tc, print_is_deterministic);
  tcase_add_test(tc, verify_catches_bugs);
  tcase_add_test(tc, compute_operands_and_print);
  tcase_add_test(tc, check_dims_covers_rvars_and_nodes);
  suite_add_tcase(s, tc);
  return s;
}
