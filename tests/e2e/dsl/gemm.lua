-- The GEMM template (docs/gemm.md) on awkward sizes: M, N, K of 1, 7, 17,
-- 33, 100 and more than one block of k (KC = 256), B prepacked as a weight
-- (linear's w [out, in] and matmul's [K, N]), B an input, A transposed,
-- batches with broadcast operands, and every epilogue the template fuses:
-- bias, activations, a residual add or multiply, a clamp.
-- e2e: M=1,7,17,33,100,0 K=1,17,33,100,300,5 N=1,7,17,33,100,3
-- e2e: M=15 K=0 N=40
-- (B's rows a multiple of 16 floats: an input B read in place, its last
-- panel of 16 columns packed)
-- e2e: M=33 K=300 N=48
-- (k = 0 with such a B: it has no elements, may be NULL, and is not read
-- in place; clang's UBSan flags any offset applied to it)
-- e2e: M=15 K=0 N=48
-- threads: M=300 K=64 N=200
kernel("ffn")
local M = dim("M")
local x = input("x", f32, {M, 33})
local w = weight("w", f32, {40, 33})
local b = weight("b", f32, {40})
local r = input("r", f32, {M, 40})
output("y_gelu", gelu(linear(x, w, b)))
output("y_gelu_tanh", gelu_tanh(linear(x, w, b)))
output("y_silu", silu(linear(x, w)))
output("y_res", relu(linear(x, w, b) + r))
output("y_resmul", sigmoid(linear(x, w, b)) * r)
output("y_misc", clamp(leaky_relu(hardswish(linear(x, w, b)), 0.1), -1, 2))
kernel("wide")
-- K over one block (KC = 256) and N over one panel of both ISAs
local M = dim("M")
local x = input("x", f32, {M, 300})
local w = weight("w", f32, {300, 70})
local b = weight("b", f32, {70})
output("y", tanh(matmul(x, w) + b))
kernel("rows8")
-- 8 rows a tile where tc_gemm_cost rates them cheaper than 14 (M of 16
-- and 24; 17, 33, 100 and 128 on 14 rows and the tail kernels), B packed
-- at create, 140 columns (a last panel of 12), K over one block
-- e2e[rows8]: M=1,16,17,24,33,100,128,14
-- threads[rows8]: M=128
local M = dim("M")
local x = input("x", f32, {M, 300})
local w = weight("w", f32, {140, 300})
local b = weight("b", f32, {140})
output("y", gelu(linear(x, w, b)))
output("z", linear(x, w) * 0.5)
kernel("mm")
local M, K, N = dim("M"), dim("K"), dim("N")
local a = input("a", f32, {M, K})
local at = input("at", f32, {K, M})
local bt = input("bt", f32, {N, K})
local b = input("b", f32, {K, N})
output("c", matmul(a, b))
output("c_at", einsum("km,kn->mn", at, b))
output("c_bt", einsum("mk,nk->mn", a, bt))
output("c_tt", einsum("km,nk->mn", at, bt))
output("c_t", einsum("mk,kn->nm", a, b))
kernel("bmm")
local M, K, N = dim("M"), dim("K"), dim("N")
local a = input("a", f32, {3, M, K})
local b = input("b", f32, {3, K, N})
local w = weight("w", f32, {2, 1, 5, 6})
local x = input("x", f32, {M, 5})
output("c", matmul(a, b) * 0.5)
output("c_w", matmul(x, w))
kernel("kdim")
-- a weight as B while K is a dim (the checks make K its extent)
-- e2e[kdim]: M=1,17,0 K=20,20,20
-- threads[kdim]: M=3000 K=20
local M, K = dim("M"), dim("K")
local a = input("a", f32, {M, K})
local b = weight("b", f32, {20, 30})
local w = weight("w", f32, {30, 20})
output("y", matmul(a, b))
output("z", linear(a, w))
