/*
 * graph_test.c: the graphs the front end builds: dtypes (with Lua numbers
 * as weak scalars), shapes of every shape function, compute bodies,
 * schedules, kernels and source lines.
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "lang_tests.h"

/* Declarations every case below may use. */
#define DECLS                                 \
  "local B, N = dim('B'), dim('N')\n"         \
  "local xf = input('xf', f32, {B, 4})\n"     \
  "local xi = input('xi', i32, {B, 4})\n"     \
  "local xb = input('xb', bf16, {4})\n"       \
  "local xd = input('xd', f64, {4})\n"        \
  "local xu = input('xu', u8, {4})\n"         \
  "local v = input('v', f32, {4})\n"          \
  "local m = input('m', f32, {3, 4})\n"       \
  "local t3 = input('t3', f32, {2, 3, 4})\n"  \
  "local idx = input('idx', i64, {N})\n"      \
  "local w = weight('w', f32, {8, 4})\n"

typedef struct type_case {
  const char *expr;
  const char *want; /* the dtype and shape of output y */
} type_case;

static const type_case types[] = {
    /* Lua numbers are weak (spec/dsl.md, Expressions) */
    {"xi * 0.5", "f32[B, 4]"},
    {"xf * 2", "f32[B, 4]"},
    {"xi * 2", "i32[B, 4]"},
    {"2 * xi", "i32[B, 4]"},
    {"xb + 1.0", "bf16[4]"},
    {"xb + 1", "bf16[4]"},
    {"xd * 0.5", "f64[4]"},
    {"xu + 1", "u8[4]"},
    {"xu * 1.5", "f32[4]"},
    {"xi / 2", "f32[B, 4]"},
    {"xi // 2", "i32[B, 4]"},
    {"xi % 3", "i32[B, 4]"},
    {"-xi", "i32[B, 4]"},
    {"xi ^ 2", "i32[B, 4]"},
    {"maximum(xi, 0.5)", "f32[B, 4]"},
    {"clamp(xi, 0, 6)", "i32[B, 4]"},
    {"clamp(xf, nil, 6)", "f32[B, 4]"},
    {"where(gt(xi, 0), xi, 1.5)", "f32[B, 4]"},
    {"where(gt(xi, 0), xi, 1)", "i32[B, 4]"},
    {"cast(eq(xi, 1), u8)", "u8[B, 4]"},
    {"cast(logical_and(gt(xf, 0), lt(xf, 1)), i8)", "i8[B, 4]"},
    /* PyTorch promotion between tensors */
    {"xb + v", "f32[4]"},
    {"xi + xf", "f32[B, 4]"},
    {"xd + v", "f64[4]"},
    /* functions */
    {"exp(xi)", "f32[B, 4]"},
    {"relu(xi)", "i32[B, 4]"},
    {"xf:gelu_tanh()", "f32[B, 4]"},
    {"leaky_relu(xf, 0.2)", "f32[B, 4]"},
    {"cast(xf, i64)", "i64[B, 4]"},
    /* reductions */
    {"sum(xf)", "f32[]"},
    {"sum(xf, 1)", "f32[B]"},
    {"sum(xf, -1, true)", "f32[B, 1]"},
    {"xf:sum({0, 1}, true)", "f32[1, 1]"},
    {"sum(xi)", "i64[]"},
    {"prod(xi, 0)", "i64[4]"},
    {"mean(xi, 1)", "f32[B]"},
    {"max(xi, 1)", "i32[B]"},
    {"min(xf, {0})", "f32[4]"},
    {"argmax(xf, 1)", "i64[B]"},
    {"argmin(xf, 0, true)", "i64[1, 4]"},
    /* normalizations */
    {"softmax(xf, -1)", "f32[B, 4]"},
    {"log_softmax(xi, 1)", "f32[B, 4]"},
    {"layer_norm(xf, 1, v, v, 1e-5)", "f32[B, 4]"},
    {"layer_norm(t3, 2)", "f32[2, 3, 4]"},
    {"rms_norm(xf, v)", "f32[B, 4]"},
    {"batch_norm(t3, input('mu', f32, {3}), input('var', f32, {3}))", "f32[2, 3, 4]"},
    /* shapes */
    {"reshape(xf, {-1})", "f32[B * 4]"},
    {"reshape(m, {2, -1, 2})", "f32[2, 3, 2]"},
    {"reshape(m, {4, 3})", "f32[4, 3]"},
    {"flatten(t3)", "f32[24]"},
    {"flatten(t3, 1)", "f32[2, 12]"},
    {"t3:flatten(0, 1)", "f32[6, 4]"},
    {"permute(t3, {2, 0, 1})", "f32[4, 2, 3]"},
    {"transpose(t3, 0, -1)", "f32[4, 3, 2]"},
    {"expand(v, {3, 4})", "f32[3, 4]"},
    {"expand(reshape(v, {4, 1}), {-1, N})", "f32[4, N]"},
    {"squeeze(reshape(v, {1, 4, 1}))", "f32[4]"},
    {"squeeze(reshape(v, {1, 4, 1}), -1)", "f32[1, 4]"},
    {"unsqueeze(v, 0)", "f32[1, 4]"},
    {"unsqueeze(v, -1)", "f32[4, 1]"},
    {"slice(m, 1, 1, 3)", "f32[3, 2]"},
    {"slice(m, 1, -3, nil, 2)", "f32[3, 2]"},
    {"slice(m, 0, 0, 100)", "f32[3, 4]"},
    /* bounds at the ends of the integers clamp as Python's do */
    {"slice(m, 0, math.mininteger, math.maxinteger)", "f32[3, 4]"},
    {"slice(m, 0, math.mininteger, math.mininteger)", "f32[0, 4]"},
    {"slice(m, 1, 1, nil, math.maxinteger)", "f32[3, 1]"},
    {"concat({m, m, reshape(v, {1, 4})}, 0)", "f32[7, 4]"},
    {"concat({xf, xf}, -1)", "f32[B, 8]"},
    {"pad(m, {1, 1, 0, 2}, 0)", "f32[5, 6]"},
    /* linear algebra (torch.matmul's 1-D rules) */
    {"matmul(m, transpose(m, 0, 1))", "f32[3, 3]"},
    {"matmul(m, v)", "f32[3]"},
    {"matmul(v, transpose(m, 0, 1))", "f32[3]"},
    {"matmul(v, v)", "f32[]"},
    {"matmul(t3, transpose(m, 0, 1))", "f32[2, 3, 3]"},
    {"matmul(reshape(v, {1, 1, 4}), t3:transpose(1, 2))", "f32[2, 1, 3]"},
    {"linear(xf, w)", "f32[B, 8]"},
    {"linear(xf, w, input('bias', f32, {8}))", "f32[B, 8]"},
    {"einsum('bij, bjk -> bik', t3, reshape(m, {1, 4, 3}):expand({2, 4, 3}))", "f32[2, 3, 3]"},
    /* extents as i64 scalars */
    {"xf * B", "f32[B, 4]"},
    {"B * 2 + 1 + xi", "i64[B, 4]"},
    {"cast(B // 2, f32)", "f32[]"},
    /* compute */
    {"compute({B, 8}, function(i, j) local k = rvar(4) return sum(k, xf(i, k) * w(j, k)) end)",
     "f32[B, 8]"},
    {"compute({N, 4}, function(i, j) return m(idx(i), j) end)", "f32[N, 4]"},
    {"compute({4, 4}, function(i, j) return where(le(j, i), v(j), 0) end)", "f32[4, 4]"},
    {"compute({4}, function(i) return where(lt(i - 1, 0), 0, v(i - 1)) end)", "f32[4]"},
    {"compute({B}, function(i) local k = rvar(4) return max(k, xi(i, k)) end)", "i32[B]"},
    {"compute({B}, function(i) local k = rvar(4) return sum(k, xi(i, k)) end)", "i64[B]"},
    {"compute({B - 1}, function(i) return xf(i + 1, 0) - xf(i, 0) end)", "f32[B - 1]"},
    {"compute({3}, function(i) return cast(i, f32) * 0.5 end)", "f32[3]"},
    {"compute({3}, function(i) return i * N end)", "i64[3]"},
    {"compute({2}, function(i) return exp(m(i, 0)):relu() end)", "f32[2]"},
    {"compute({4}, function(i) return sum(xf)() + v(i) end)", "f32[4]"},
    {"compute({}, function() return 1.5 end)", "f32[]"},
    /* numbers and extents as outputs */
    {"3", "i64[]"},
    {"B", "i64[]"},
    /* convolution and pooling (issue 3) */
    {"conv2d(input('x4', f32, {B, 3, 8, 8}), weight('k4', f32, {6, 3, 3, 3}), nil, "
     "{padding = 1})", "f32[B, 6, 8, 8]"},
    {"input('x4', f32, {1, 8, 9, 3}):conv2d(weight('k4', f32, {3, 2, 1, 6}), nil, "
     "{stride = {2, 1}, dilation = 2, groups = 3, layout = 'NHWC'})", "f32[1, 2, 7, 6]"},
    {"conv2d(input('x4', i8, {1, 2, 5, 5}), weight('k4', i8, {4, 2, 3, 3}), "
     "weight('b4', i8, {4}), {stride = 2})", "i8[1, 4, 2, 2]"},
    {"conv2d(input('x4', f32, {1, 2, N, 5}), weight('k4', f32, {4, 2, 3, 3}))",
     "f32[1, 4, N - 2, 3]"},
    {"max_pool2d(input('x4', f32, {1, 2, 7, 7}), 2)", "f32[1, 2, 3, 3]"},
    {"max_pool2d(input('x4', u8, {1, 2, 7, 7}), {3, 2}, {stride = 1, padding = {1, 0}})",
     "u8[1, 2, 7, 6]"},
    {"avg_pool2d(input('x4', i32, {1, 2, 7, 7}), 3, {stride = 2, padding = 1})",
     "f32[1, 2, 4, 4]"},
    {"global_avg_pool2d(input('x4', f32, {B, 2, 7, 7}))", "f32[B, 2, 1, 1]"},
    /* sparse and indexing */
    {"spmm(csr('A', f32, {N, 4}), xf:transpose(0, 1), 'sum')", "f32[N, B]"},
    {"spmm(csr('A', f64, {N, 4}, {index = i32, values = false}), m:transpose(0, 1), 'max')",
     "f64[N, 3]"},
    {"spmm(csr('A', i32, {3, 4}), input('xx', i32, {4, 2}), 'mean')", "f32[3, 2]"},
    {"gather(xf, 1, input('gi', i32, {B, 2}))", "f32[B, 2]"},
    {"xf:index_select(0, idx)", "f32[N, 4]"},
    {"index_select(m, -1, idx)", "f32[3, N]"},
    {"scatter(m, input('si', i64, {3}), 0, N, 'sum')", "f32[N, 4]"},
    {"scatter(xi, input('si', i32, {4}), 1, 7, 'sum')", "i64[B, 7]"},
    {"scatter(xi, input('si', i32, {4}), -1, 7, 'max')", "i32[B, 7]"},
    /* quantization */
    {"quantize(xf, 0.1, 128, u8)", "u8[B, 4]"},
    {"xi:quantize(0.5, -3, i8)", "i8[B, 4]"},
    {"dequantize(xu, 0.1, 3)", "f32[4]"},
    {"quantize_per_channel(m, {0.1, 0.2, 0.3}, {0, 1, 2}, 0, i8)", "i8[3, 4]"},
    {"dequantize_per_channel(quantize_per_channel(xf, weight('s', f32, {4}), "
     "weight('z', i32, {4}), 1, u8), weight('s2', f32, {4}), {1, 2, 3, 4}, -1)",
     "f32[B, 4]"},
    {"matmul(xb, reshape(xb, {4, 1}))", "bf16[1]"},
};

START_TEST(test_output_type) {
  const type_case *c = &types[_i];
  char src[2048];
  snprintf(src, sizeof src, DECLS "output('y', %s)\n", c->expr);
  tc_diag d = {0};
  tc_module *m = lt_load(src, NULL, &d);
  ck_assert_msg(m != NULL, "output('y', %s): expected %s, got the error\n  %s", c->expr,
                c->want, d.msg);
  char *got = lt_arg_type(m, NULL, "y");
  ck_assert_msg(got && strcmp(got, c->want) == 0, "output('y', %s): expected %s, got %s",
                c->expr, c->want, got ? got : "(no output y)");
  free(got);
  tc_module_free(m);
}
END_TEST

START_TEST(test_default_kernel_is_named_after_the_file) {
  tcL_options opt = {0};
  tc_diag d = {0};
  tc_module *m =
      tcL_load_string("output('y', input('x', f32, {1}))\n", "dir/2-layer.mlp.lua", &opt, &d);
  ck_assert_msg(m != NULL, "a file without kernel(): %s", d.msg);
  ck_assert_msg(strcmp(m->name, "m2_layer_mlp") == 0 && m->kernels.len == 1 &&
                    strcmp(m->kernels.data[0]->name, "m2_layer_mlp") == 0,
                "dir/2-layer.mlp.lua: expected module and kernel m2_layer_mlp, got module %s "
                "with %d kernels",
                m->name, m->kernels.len);
  tc_module_free(m);
  /* a module name that cannot be a kernel's */
  tc_diag d3 = {0};
  m = tcL_load_string("\noutput('y', input('x', f32, {1}))\n", "tc_x.lua", &opt, &d3);
  ck_assert_msg(!m && strcmp(d3.msg, "tc_x.lua:2: the kernel name 'tc_x' (the module's name) "
                                     "begins with tc_, which is reserved; call kernel(name) "
                                     "first or choose the module's name with --name") == 0,
                "tc_x.lua without kernel(): got %s", m ? "(no error)" : d3.msg);
  opt.module_name = "net";
  m = tcL_load_string("output('y', input('x', f32, {1}))\n", "a.lua", &opt, &d);
  ck_assert_msg(m && strcmp(m->name, "net") == 0 && strcmp(m->kernels.data[0]->name, "net") == 0,
                "--name net: expected module and kernel 'net'");
  tc_module_free(m);
}
END_TEST

START_TEST(test_module_name_from_path) {
  static const char *const cases[][2] = {
      {"mlp.lua", "mlp"},           {"a/b/c.d.lua", "c_d"},   {"3x.lua", "m3x"},
      {"/x/y/with-dash", "with_dash"}, {".hidden", "_hidden"}, {"", "m"}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *got = tcL_module_name_from_path(cases[i][0]);
    ck_assert_msg(strcmp(got, cases[i][1]) == 0,
                  "tcL_module_name_from_path(\"%s\"): expected %s, got %s", cases[i][0],
                  cases[i][1], got);
    free(got);
  }
}
END_TEST

START_TEST(test_kernels_and_their_names) {
  tc_module *m = lt_load_ok("kernel('a')\n"
                            "local N = dim('N')\n"
                            "local x = input('x', f32, {N})\n"
                            "output('y', x + 1)\n"
                            "kernel('b')\n"
                            "local N = dim('N')\n"
                            "local x = input('x', i32, {N, 2})\n"
                            "local y = output('y', x * 2)\n"
                            "output('z', y)\n",
                            NULL);
  ck_assert_msg(m->kernels.len == 2, "two kernel() calls: expected 2 kernels, got %d",
                m->kernels.len);
  char *a = lt_arg_type(m, "a", "y"), *b = lt_arg_type(m, "b", "y"), *z = lt_arg_type(m, "b", "z");
  ck_assert_msg(a && b && z && strcmp(a, "f32[N]") == 0 && strcmp(b, "i32[N, 2]") == 0 &&
                    strcmp(z, "i32[N, 2]") == 0,
                "kernels a and b both declare N and x: expected a.y f32[N], b.y and b.z "
                "i32[N, 2], got %s, %s, %s",
                a, b, z);
  free(a);
  free(b);
  free(z);
  const tc_kernel *kb = m->kernels.data[1];
  ck_assert_msg(kb->loc.line == 5 && strcmp(kb->loc.file, "t.lua") == 0,
                "kernel b: expected location t.lua:5, got %s:%d", kb->loc.file, kb->loc.line);
  tc_module_free(m);
}
END_TEST

/* Every node records the user's line, including nodes made by the
   prelude (flatten is a reshape made in lang/prelude.lua). */
START_TEST(test_nodes_record_the_users_line) {
  tc_module *m = lt_load_ok("local x = input('x', f32, {2, 3})\n"
                            "\n"
                            "local y = flatten(x)\n"
                            "local function h(a)\n"
                            "  return a * 2\n"
                            "end\n"
                            "output('y', h(y))\n",
                            NULL);
  const tc_kernel *k = m->kernels.data[0];
  int saw_reshape = 0, saw_mul = 0;
  for (int i = 0; i < k->nodes.len; i++) {
    const tc_node *n = &k->nodes.data[i];
    ck_assert_msg(n->loc.file && strcmp(n->loc.file, "t.lua") == 0,
                  "node %%%d (%s): expected file t.lua, got %s", i, tc_op_name(n->op),
                  n->loc.file ? n->loc.file : "(null)");
    if (n->op == TC_OP_RESHAPE) {
      saw_reshape = 1;
      ck_assert_msg(n->loc.line == 3, "the reshape made by flatten(x) at line 3: got line %d",
                    n->loc.line);
    }
    if (n->op == TC_OP_MUL) {
      saw_mul = 1;
      ck_assert_msg(n->loc.line == 5, "a * 2 in the helper at line 5: got line %d", n->loc.line);
    }
  }
  ck_assert_msg(saw_reshape && saw_mul, "expected a reshape and a mul node");
  tc_module_free(m);
}
END_TEST

START_TEST(test_output_returns_its_expression) {
  tc_module *m = lt_load_ok("local x = input('x', f32, {4})\n"
                            "local y = output('y', relu(x))\n"
                            "output('z', y + 1)\n"
                            "output('c', x)\n",
                            NULL);
  const tc_kernel *k = m->kernels.data[0];
  ck_assert_msg(tc_kernel_count_role(k, TC_ROLE_OUTPUT) == 3, "expected 3 outputs, got %d",
                tc_kernel_count_role(k, TC_ROLE_OUTPUT));
  const tc_arg *z = &k->args.data[2];
  const tc_node *zn = &k->nodes.data[z->node];
  ck_assert_msg(strcmp(z->name, "z") == 0 && zn->op == TC_OP_ADD &&
                    k->nodes.data[zn->in[0]].op == TC_OP_RELU,
                "output z = y + 1 with y = output('y', relu(x)): expected add(relu(x), 1)");
  tc_module_free(m);
}
END_TEST

START_TEST(test_schedule_is_stored) {
  tc_module *m = lt_load_ok("local x = input('x', f32, {64, 256})\n"
                            "local y = output('y', relu(x))\n"
                            "schedule(y, {tile = {64, 256}, vectorize = 16, parallel = 0, "
                            "unroll = 4})\n",
                            NULL);
  const tc_kernel *k = m->kernels.data[0];
  ck_assert_msg(k->schedules.len == 1, "expected one schedule, got %d", k->schedules.len);
  const tc_schedule *s = &k->schedules.data[0];
  ck_assert_msg(s->node == k->args.data[1].node && s->ntile == 2 && s->tile[0] == 64 &&
                    s->tile[1] == 256 && s->vectorize == 16 && s->has_parallel &&
                    s->parallel == 0 && s->unroll == 4 && s->loc.line == 3,
                "schedule(y, {tile = {64, 256}, vectorize = 16, parallel = 0, unroll = 4}) "
                "at line 3: stored node %d tile %d x [%d, %d] vectorize %d parallel %d/%d "
                "unroll %d line %d",
                s->node, s->ntile, s->tile[0], s->tile[1], s->vectorize, s->has_parallel,
                s->parallel, s->unroll, s->loc.line);
  tc_module_free(m);
}
END_TEST

START_TEST(test_compute_body) {
  tc_module *m = lt_load_ok("local M, K, N = dim('M'), dim('K'), dim('N')\n"
                            "local A = input('A', f32, {M, K})\n"
                            "local B = input('B', f32, {K, N})\n"
                            "local k = rvar(K)\n"
                            "local C = compute({M, N}, function(i, j)\n"
                            "  return sum(k, A(i, k) * B(k, j))\n"
                            "end)\n"
                            "output('C', C)\n",
                            NULL);
  const tc_kernel *k = m->kernels.data[0];
  const tc_node *c = &k->nodes.data[k->args.data[2].node];
  ck_assert_msg(c->op == TC_OP_COMPUTE && c->nin == 2 && c->body && c->body->op == TC_OP_REDUCE &&
                    c->body->red == TC_OP_SUM && c->body->var == 0 && c->loc.line == 5,
                "C = compute(sum(k, A(i, k) * B(k, j))): expected a COMPUTE node at line 5 "
                "reading A and B whose body is a sum over r0");
  const tc_sexpr *mul = c->body->args[0];
  ck_assert_msg(mul->op == TC_OP_MUL && mul->args[0]->op == TC_OP_LOAD &&
                    mul->args[0]->args[0]->op == TC_OP_IVAR &&
                    mul->args[0]->args[1]->op == TC_OP_RVAR && mul->loc.line == 6,
                "A(i, k) * B(k, j): expected mul(load(A, i0, r0), ...) at line 6");
  ck_assert_msg(k->rvars.len == 1 && k->rvars.data[0].loc.line == 4,
                "rvar(K) at line 4: expected one rvar");
  tc_module_free(m);
}
END_TEST

/* An extent used in a tensor expression is a rank-0 i64 tensor. */
START_TEST(test_extent_as_scalar) {
  tc_module *m = lt_load_ok("local N = dim('N')\n"
                            "local x = input('x', f32, {N})\n"
                            "output('y', x / N)\n",
                            NULL);
  const tc_kernel *k = m->kernels.data[0];
  int found = 0;
  for (int i = 0; i < k->nodes.len; i++) {
    const tc_node *n = &k->nodes.data[i];
    if (n->op == TC_OP_COMPUTE && n->rank == 0 && n->dtype == TC_DT_I64 &&
        n->body->op == TC_OP_EXTENT)
      found = 1;
  }
  ck_assert_msg(found, "x / N: expected N as a rank-0 i64 COMPUTE node whose body is the extent");
  tc_module_free(m);
}
END_TEST

START_TEST(test_tostring_of_values) {
  tc_module *m = lt_load_ok(
      "local B = dim('B')\n"
      "local x = input('x', f32, {B, 768})\n"
      "assert(tostring(x) == 'tensor f32[B, 768]', tostring(x))\n"
      "assert(tostring((B - 3) // 2 + 1) == 'extent (B - 3)//2 + 1', tostring((B - 3) // 2 + 1))\n"
      "assert(x.dtype == 'f32' and x.rank == 2 and x.shape[1] == B and x.shape[2] == 768)\n"
      "assert(tostring(rvar(B)) == 'rvar over B', tostring(rvar(B)))\n"
      "output('y', x)\n",
      NULL);
  tc_module_free(m);
}
END_TEST

START_TEST(test_verified_graph) {
  /* a representative file: an MLP block with a residual and a norm */
  tc_module *m = lt_load_ok("kernel('block')\n"
                            "local B = dim('B')\n"
                            "local x = input('x', f32, {B, 16})\n"
                            "local w1 = weight('w1', f32, {64, 16})\n"
                            "local b1 = weight('b1', f32, {64})\n"
                            "local w2 = weight('w2', f32, {16, 64})\n"
                            "local g = weight('g', f32, {16})\n"
                            "local h = linear(x, w1, b1):gelu()\n"
                            "local y = layer_norm(x + linear(h, w2), 1, g, nil, 1e-5)\n"
                            "output('y', y)\n",
                            NULL);
  tc_diag d = {0};
  ck_assert_msg(tc_graph_verify(m, &d) == 0, "the MLP block: tc_graph_verify failed: %s", d.msg);
  tc_module_free(m);
}
END_TEST

Suite *lang_graph_suite(void) {
  Suite *s = suite_create("lang_graph");
  TCase *tc = tcase_create("types");
  tcase_add_loop_test(tc, test_output_type, 0, (int)(sizeof types / sizeof types[0]));
  suite_add_tcase(s, tc);
  tc = tcase_create("structure");
  tcase_add_test(tc, test_default_kernel_is_named_after_the_file);
  tcase_add_test(tc, test_module_name_from_path);
  tcase_add_test(tc, test_kernels_and_their_names);
  tcase_add_test(tc, test_nodes_record_the_users_line);
  tcase_add_test(tc, test_output_returns_its_expression);
  tcase_add_test(tc, test_schedule_is_stored);
  tcase_add_test(tc, test_compute_body);
  tcase_add_test(tc, test_extent_as_scalar);
  tcase_add_test(tc, test_tostring_of_values);
  tcase_add_test(tc, test_verified_graph);
  suite_add_tcase(s, tc);
  return s;
}
