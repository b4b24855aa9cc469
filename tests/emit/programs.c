/*
 * programs.c: DSL programs that together use every op lowering and the
 * scalar emitter handle; tests/emit compiles the C generated for each.
 */
#include <stddef.h>

#include "emit_tests.h"

const emit_program emit_programs[] = {
    {"ew",
     "local N = dim(\"N\")\n"
     "local x = input(\"x\", f32, {N, 3})\n"
     "local y = input(\"y\", f32, {3})\n"
     "local z = x + y * 2 - x / 3\n"
     "local u = abs(neg(exp(exp2(log(log2(log1p(expm1(sqrt(rsqrt(reciprocal(z)))))))))))\n"
     "local v = sin(cos(tanh(sigmoid(erf(floor(ceil(round(trunc(sign(relu(relu6(silu(gelu(gelu_tanh(softplus(hardswish(u)))))))))))))))))\n"
     "local w = maximum(v, minimum(x, y)) + pow(x, y) + leaky_relu(x, 0.1) + clamp(x, -1, 1)\n"
     "local c = where(logical_and(lt(x, y), logical_or(ge(x, 0), logical_not(eq(x, y)))), w, x // y + x % y)\n"
     "output(\"o\", c)\n"
     "output(\"ne\", cast(logical_and(ne(x, y), le(x, 1)), i32))\n"
     "output(\"gt\", cast(gt(x, y), f64))\n"},
    {"ints",
     "local N = dim(\"N\")\n"
     "local a = input(\"a\", i32, {N})\n"
     "local b = input(\"b\", i32, {N})\n"
     "local c = input(\"c\", i64, {N})\n"
     "local d = input(\"d\", u8, {N})\n"
     "local e = input(\"e\", i8, {N})\n"
     "output(\"q\", a // b + a % b - a * b)\n"
     "output(\"r\", c // 3 + c % 7 + neg(c) + abs(c))\n"
     "output(\"s\", maximum(d, d * 2) + abs(d) + sign(d) + relu(d))\n"
     "output(\"t\", minimum(e, neg(e)) + relu6(e) + sign(e) + abs(e))\n"
     "output(\"f\", cast(cast(a, f32) * 0.5, i64))\n"
     "output(\"g\", cast(cast(c, f64), u8))\n"
     "output(\"h\", cast(cast(c, f32), i8))\n"
     "output(\"pw\", pow(a, b))\n"},
    {"red",
     "local N = dim(\"N\")\n"
     "local M = dim(\"M\")\n"
     "local x = input(\"x\", f32, {N, M, 4})\n"
     "local xi = input(\"xi\", i32, {N, M})\n"
     "output(\"s\", sum(x, {0, 2}))\n"
     "output(\"m\", mean(x, -1, true))\n"
     "output(\"mx\", max(x, 1))\n"
     "output(\"mn\", min(x))\n"
     "output(\"p\", prod(x, 2))\n"
     "output(\"am\", argmax(x, 1))\n"
     "output(\"ai\", argmin(xi, 0, true))\n"
     "output(\"si\", sum(xi))\n"
     "output(\"ls\", log_softmax(x, 2))\n"
     "output(\"sm\", softmax(x, 0))\n"},
    {"shp",
     "local N = dim(\"N\")\n"
     "local x = input(\"x\", f32, {N, 6})\n"
     "local y = input(\"y\", f32, {2, 6})\n"
     "local r = reshape(x, {-1, 3})\n"
     "output(\"r\", r)\n"
     "output(\"p\", permute(x, {1, 0}))\n"
     "output(\"t\", transpose(reshape(x, {N, 2, 3}), 1, 2))\n"
     "output(\"e\", expand(y, {3, 2, 6}))\n"
     "output(\"sl\", slice(x, 1, 1, 5, 2))\n"
     "output(\"sl2\", slice(x, 0, -2, N))\n"
     "output(\"c\", concat({x, y, x}, 0))\n"
     "output(\"pd\", pad(x, {1, 0, 2, 3}, -1.5))\n"
     "output(\"fl\", flatten(unsqueeze(x, 0)))\n"
     "output(\"sq\", squeeze(reshape(x, {N, 1, 6}), 1))\n"
     "output(\"cp\", x)\n"},
    {"la",
     "local B = dim(\"B\")\n"
     "local a = input(\"a\", f32, {B, 2, 3, 4})\n"
     "local b = input(\"b\", f32, {2, 4, 5})\n"
     "local w = weight(\"w\", f32, {5, 4})\n"
     "local bias = weight(\"bias\", f32, {5})\n"
     "output(\"mm\", matmul(a, b))\n"
     "output(\"l\", linear(a, w, bias))\n"
     "output(\"l2\", linear(a, w))\n"
     "output(\"es\", einsum(\"bhik,hkj->bhij\", a, b))\n"
     "output(\"ln\", layer_norm(a, 2, nil, nil, 1e-5))\n"
     "output(\"rn\", rms_norm(a, weight(\"g\", f32, {4}), 1e-6))\n"
     "output(\"bn\", batch_norm(a, weight(\"mu\", f32, {2}), weight(\"var\", f32, {2}), weight(\"ga\", f32, {2}), weight(\"be\", f32, {2}), 1e-5))\n"},
    {"comp",
     "local M = dim(\"M\")\n"
     "local K = dim(\"K\")\n"
     "local N = dim(\"N\")\n"
     "local A = input(\"A\", f32, {M, K})\n"
     "local B = input(\"B\", f32, {K, N})\n"
     "local idx = input(\"idx\", i64, {N})\n"
     "local k = rvar(K)\n"
     "local C = compute({M, N}, function(i, j) return sum(k, A(i, k) * B(k, j)) end)\n"
     "output(\"C\", C)\n"
     "output(\"tri\", compute({M, M}, function(i, j) return where(le(j, i), A(i, 0), 0) end))\n"
     "output(\"g\", compute({M, N}, function(i, j) return A(i, idx(j)) end))\n"
     "output(\"sh\", compute({M, K}, function(i, j) return where(lt(j - 1, 0), 0, A(i, j - 1)) end))\n"
     "output(\"dv\", compute({N}, function(i) return idx(i) // (idx(i) - 1) end))\n"},
    {"bf",
     "local N = dim(\"N\")\n"
     "local x = input(\"x\", bf16, {N})\n"
     "local y = input(\"y\", f64, {N})\n"
     "output(\"a\", x * 2 + 1)\n"
     "output(\"b\", cast(y, bf16))\n"
     "output(\"c\", sum(x))\n"
     "output(\"d\", cast(x, i32))\n"},
    {"nodims",
     "local x = input(\"x\", f32, {4})\n"
     "local c = input(\"c\", f32, {})\n"
     "output(\"y\", x + c)\n"
     "output(\"s\", sum(x))\n"
     "output(\"k\", reshape(c, {1}))\n"},
    {"multi",
     "kernel(\"first\")\n"
     "local x = input(\"x\", f32, {3})\n"
     "output(\"y\", x * 2)\n"
     "output(\"z\", x * 2)\n"
     "kernel(\"second\")\n"
     "local N = dim(\"N\")\n"
     "local i0 = input(\"i0\", f32, {N})\n"
     "local v1 = input(\"v1\", f32, {N})\n"
     "output(\"ctx\", i0 + v1)\n"},
    /* user names that are libc, libm or stdint names, or in the
       generated code's own families (i0, P_run) */
    {"names",
     "local free = dim(\"free\")\n"
     "local INT64_MAX = input(\"INT64_MAX\", f32, {free})\n"
     "local expf = weight(\"expf\", f32, {2})\n"
     "local done = input(\"done\", f32, {free, 2})\n"
     "local k = rvar(2)\n"
     "output(\"names_run\", exp(done * expf) + reshape(INT64_MAX, {free, 1}))\n"
     "output(\"i0\", compute({free}, function(i) return sum(k, done(i, k)) end))\n"},
    /* issue 3: convolution, pooling, sparse, indexing, quantization */
    {"conv",
     "local N, H, W = dim(\"N\"), dim(\"H\"), dim(\"W\")\n"
     "local x = input(\"x\", f32, {N, 4, H, W})\n"
     "local w = weight(\"w\", f32, {6, 2, 3, 3})\n"
     "local b = weight(\"b\", f32, {6})\n"
     "local xh = input(\"xh\", bf16, {N, H, W, 3})\n"
     "local wh = weight(\"wh\", bf16, {2, 2, 1, 3})\n"
     "output(\"y\", conv2d(x, w, b, {stride = 2, padding = 1, dilation = {1, 2}, groups = 2}))\n"
     "output(\"z\", conv2d(xh, wh, nil, {groups = 3, layout = \"NHWC\"}))\n"
     "output(\"m\", max_pool2d(x, 3, {stride = 2, padding = 1}))\n"
     "output(\"a\", avg_pool2d(x, 2))\n"
     "output(\"g\", global_avg_pool2d(x))\n"},
    {"sparse",
     "local N, M, F = dim(\"N\"), dim(\"M\"), dim(\"F\")\n"
     "local A = csr(\"A\", f32, {N, M})\n"
     "local P = csr(\"P\", bf16, {N, M}, {index = i32, values = false})\n"
     "local U = csr(\"U\", f32, {N, M})\n"
     "local x = input(\"x\", f32, {M, F})\n"
     "output(\"s\", spmm(A, x, \"sum\"))\n"
     "output(\"m\", spmm(A, x, \"mean\"))\n"
     "output(\"hi\", spmm(P, x, \"max\"))\n"
     "output(\"lo\", spmm(P, x, \"min\"))\n"},
    {"indexing",
     "local N, M = dim(\"N\"), dim(\"M\")\n"
     "local x = input(\"x\", f32, {M, 3})\n"
     "local i = input(\"i\", i64, {N})\n"
     "local j = input(\"j\", i32, {N, 3})\n"
     "local b = input(\"b\", bf16, {N, 2})\n"
     "local k = input(\"k\", i64, {M})\n"
     "output(\"g\", gather(x, 0, j))\n"
     "output(\"s\", index_select(x, 0, i))\n"
     "output(\"ssum\", scatter(x, k, 0, N, \"sum\"))\n"
     "output(\"smean\", scatter(b, i, 0, M, \"mean\"))\n"
     "output(\"smax\", scatter(cast(b, i32), i, 0, M, \"max\"))\n"
     "output(\"smin\", scatter(b, i, 0, 5, \"min\"))\n"},
    {"quant",
     "local N = dim(\"N\")\n"
     "local x = input(\"x\", f32, {N, 3})\n"
     "local q = input(\"q\", u8, {N, 3})\n"
     "output(\"a\", quantize(x, 0.1, 3, i8))\n"
     "output(\"b\", dequantize(q, 0.5, 128))\n"
     "output(\"c\", quantize_per_channel(x, {0.1, 0.2, 1e30}, {0, 1, 2}, 1, u8))\n"
     "output(\"d\", dequantize_per_channel(q, {0.5, 0.25, 2}, {1, 2, 3}, 1))\n"
     "output(\"e\", x * cast(reshape(dequantize_per_channel(q, {1, 2, 3}, {0, 0, 0}, 1), {N, 3}), f32))\n"},
    {"qconv",
     "local N, H = dim(\"N\"), dim(\"H\")\n"
     "local qx = input(\"qx\", u8, {N, 2, H, 5})\n"
     "local qw = weight(\"qw\", i8, {4, 2, 3, 3})\n"
     "local r = input(\"r\", f32, {N, 4, H, 5})\n"
     "local w = dequantize_per_channel(qw, {0.1, 0.2, 0.3, 0.4}, {0, 0, 0, 0}, 0)\n"
     "local y = relu(conv2d(dequantize(qx, 0.05, 128), w, nil, {padding = 1}))\n"
     "output(\"q\", quantize(y + r, 0.1, 0, i8))\n"},
    {NULL, NULL},
};
