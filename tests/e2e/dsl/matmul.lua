-- matmul in all of torch.matmul's forms: 2-D, 1-D on either side, 1-D with
-- 1-D, batched, and batch dims that broadcast; with a fused epilogue.
-- e2e: M=1,7,17,33,100,0 K=1,5,16,3,64,4 N=1,3,17,40,7,5 B=1,2,3,1,2,2
-- e2e: M=3 K=0 N=4 B=2
-- e2e: M=257 K=130 N=67 B=1
-- threads[mm1]: K=1040 N=600
kernel("mm2")
local M, K, N = dim("M"), dim("K"), dim("N")
local a = input("a", f32, {M, K})
local b = input("b", f32, {K, N})
local bias = input("bias", f32, {N})
output("c", matmul(a, b))
output("c_relu", relu(matmul(a, b) + bias))
kernel("mm1")
local K, N = dim("K"), dim("N")
local v = input("v", f32, {K})
local w = input("w", f32, {K})
local b = input("b", f32, {K, N})
local bt = input("bt", f32, {N, K})
output("vm", matmul(v, b))        -- {N}
output("mv", matmul(bt, v))       -- {N}
output("dot", matmul(v, w))       -- {}
kernel("bmm")
local B, M, K, N = dim("B"), dim("M"), dim("K"), dim("N")
local a = input("a", f32, {B, M, K})
local b = input("b", f32, {B, K, N})
local w = input("w", f32, {K, N})
local h = input("h", f32, {3, 1, K, N})
output("bb", matmul(a, b))        -- {B, M, N}
output("bw", matmul(a, w))        -- {B, M, N}
output("bh", matmul(a, h))        -- {3, B, M, N}: batch dims broadcast
