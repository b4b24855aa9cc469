-- GEMM and convolution epilogues ending in a conversion (docs/gemm.md): a
-- cast to bf16, a quantize to u8 or i8.  The template accumulates the f32
-- sums in a temporary and converts each tile in its epilogue.  The
-- quantized kernels multiply small integers (floor(x * 4)), so every sum
-- is exact whatever its order and every target must give the same bytes;
-- a scale of 2 puts every odd sum on a tie (round half to even decides
-- it), and sums up to several hundred saturate both dtypes.
-- e2e: M=1,7,17,33,100,0 K=1,17,33,100,300,5 N=1,7,17,33,100,3
-- e2e[lin]: M=1,7,17,33,100,0
-- e2e[conv]: B=1,2,1 H=3,7,12
-- e2e[conv_nhwc]: B=1,2,1 H=3,7,12
-- threads: M=300 K=64 N=200
-- threads[conv]: B=2 H=120
-- threads[conv_nhwc]: B=2 H=120
kernel("lin")
local M = dim("M")
local x = input("x", f32, {M, 33})
local w = weight("w", f32, {40, 33})
local b = weight("b", f32, {40})
output("y_relu", cast(relu(linear(x, w, b)), bf16))
output("y_gelu", cast(gelu(linear(x, w, b)), bf16))
kernel("mm")
local M, K, N = dim("M"), dim("K"), dim("N")
local a = input("a", f32, {M, K})
local b = input("b", f32, {K, N})
local c = input("c", f32, {N})
output("y_bf16", cast(matmul(a, b) * 0.5 + c, bf16))
local ai, bi = floor(a * 4), floor(b * 4)
output("q_u8", quantize(matmul(ai, bi), 2.0, 3, u8))
output("q_i8", quantize(relu(matmul(ai, bi) + floor(c * 4)), 2.0, -5, i8))
output("q_t", quantize(einsum("mk,kn->nm", ai, bi), 0.5, 0, i8))
kernel("conv")
local B, H = dim("B"), dim("H")
local x = input("x", f32, {B, 3, H, 9})
local w = weight("w", f32, {8, 3, 3, 3})
local b = weight("b", f32, {8})
output("y", cast(relu(conv2d(x, w, b, {padding = 1})), bf16))
local xi, wi = floor(x * 4), floor(w * 4)
output("q_u8", quantize(relu(conv2d(xi, wi, nil, {padding = 1})), 2.0, 3, u8))
output("q_i8", quantize(conv2d(xi, wi, nil, {stride = 2}), 2.0, 1, i8))
kernel("conv_nhwc")
local B, H = dim("B"), dim("H")
local x = input("x", f32, {B, H, 9, 3})
local w = weight("w", f32, {3, 3, 3, 20})
local b = weight("b", f32, {20})
output("y", cast(silu(conv2d(x, w, b, {padding = 1, layout = "NHWC"})), bf16))
local xi, wi = floor(x * 4), floor(w * 4)
output("q_u8", quantize(conv2d(xi, wi, nil, {padding = 1, layout = "NHWC"}), 2.0, 128, u8))
output("q_i8", quantize(relu(conv2d(xi, wi, nil, {stride = 2, layout = "NHWC"})), 2.0, -3, i8))
