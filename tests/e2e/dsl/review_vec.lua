-- Tiled transposes in vectors (emit/c.c emit_transposed_tile), cases the
-- vectorize decision takes beyond a plain permute: a pad (a where() on
-- the lane index and on the tile's other index), a concat (a where() whose
-- false branch reads at the lane index minus an extent), a slice (the
-- lane index plus an offset), a 3-D rotation with a middle axis and a
-- rotation along axis R-2, NCHW -> NHWC with a bias along the lanes and
-- a padding; and a strided slice, which stays scalar.  Extents below, at
-- and past a vector and a tile.  Then the GEMM template's 8-row tiles
-- (M = 16 and 24, where tc_gemm_cost rates them cheaper than 14 rows; 17,
-- 33, 100 and 128 now run on 14), written for 8 x 48
-- tiles that were measured and dropped (docs/gemm.md): thread ranges of
-- panels not a multiple of 3, K over several blocks, batches, an NHWC
-- convolution's segments.
-- e2e: N=1,3,16,17,40 M=1,8,9,33,20 C=1,3,17,35,2 H=1,2,3,1,5 W=1,5,17,2,33
kernel("padt")
local N, M = dim("N"), dim("M")
local x = input("x", f32, {N, M})
output("y", permute(pad(x, {3, 2, 1, 5}, 0.5), {1, 0}))
kernel("catt")
local N, M = dim("N"), dim("M")
local x = input("x", f32, {N, M})
local z = input("z", f32, {N, 7})
output("y", permute(concat({x, z}, 1), {1, 0}) * 2)
kernel("slicet")
local N, M = dim("N"), dim("M")
local x = input("x", f32, {N, M})
output("y", transpose(slice(x, 1, 3, M), 0, 1) + 1)
output("s", transpose(slice(x, 1, 0, M, 2), 0, 1) + 1)
kernel("rot3")
local N, M = dim("N"), dim("M")
local x = input("x", f32, {N, 3, M})
output("y", permute(x, {2, 1, 0}) - 1)
output("w", permute(x, {1, 2, 0}) * 3)
kernel("nchw2nhwc")
local N, C, H, W = dim("N"), dim("C"), dim("H"), dim("W")
local x = input("x", f32, {N, C, H, W})
local b = input("b", f32, {C})
output("y", permute(x, {0, 2, 3, 1}) + b)
output("z", permute(pad(x, {0, 0, 0, 0, 1, 1, 2, 2}, 0), {0, 2, 3, 1}))
output("u", permute(pad(x, {0, 0, 1, 2, 0, 0, 0, 0}, -1), {0, 3, 2, 1}))
kernel("more")
-- a concat along the tile's other axis (a where() the same for every
-- lane), two transposed reads compared, pow computed lane by lane, a
-- 5-D
-- rotation with two middle axes, a broadcast along the other axis, an
-- integer input (scalar)
-- e2e[more]: N=1,0,17,33,5 M=3,7,0,16,40
local N, M = dim("N"), dim("M")
local x = input("x", f32, {N, M})
local z = input("z", f32, {5, M})
local q = input("q", f32, {N, M})
local c = input("c", f32, {N})
local k = input("k", i32, {N, M})
local v = input("v", f32, {2, M, 3, 2, N})
output("cat0", permute(concat({x, z}, 0), {1, 0}) + 1)
output("cmp", where(lt(transpose(x, 0, 1), transpose(q, 0, 1)), pow(transpose(q, 0, 1), 3), transpose(x, 0, 1) / 4))
output("rot5", permute(v, {0, 4, 1, 2, 3}) + 0.25)
output("bc", transpose(x, 0, 1) - c)
output("ki", cast(transpose(k, 0, 1), f32) * 0.5)
kernel("reshp")
-- a reshape then a rotation: the lane index plus a product of the others
-- (in vectors), or times an extent (scalar); a bf16 output (scalar)
-- e2e[reshp]: N=1,5,33 M=2,17,3 K=1,9,20
local N, M, K = dim("N"), dim("M"), dim("K")
local x = input("x", f32, {N, M * K})
local r = reshape(x, {N, M, K})
output("p120", permute(r, {1, 2, 0}) * 2)
output("p210", permute(r, {2, 1, 0}) - 1)
output("hb", cast(permute(r, {1, 2, 0}), bf16))
kernel("smt")
-- a transposed read of a softmax's buffers (the kernel's own)
-- e2e[smt]: N=1,17,40 M=1,33,20
local N, M = dim("N"), dim("M")
local x = input("x", f32, {N, M})
output("sm", transpose(softmax(x, 1), 0, 1) * 2)
kernel("gemm48")
-- 8-row tiles over B packed at create (M of 16 and 24; 14-row ones at 17,
-- 33, 100, 128): 240 columns (at 2 threads each thread's panels are 4),
-- 40, 80 per batch matrix, K over three blocks (acc), a residual in the
-- epilogue
-- e2e[gemm48]: M=1,16,17,24,33,100,128
-- threads[gemm48]: M=24
local M = dim("M")
local x = input("x", f32, {M, 70})
local w = weight("w", f32, {70, 240})
local b = weight("b", f32, {240})
local r = input("r", f32, {M, 240})
output("y", relu(matmul(x, w) + b) + r)
local xk = input("xk", f32, {M, 600})
local wk = weight("wk", f32, {600, 40})
output("z", matmul(xk, wk))
local xb = input("xb", f32, {2, M, 70})
local wb = weight("wb", f32, {70, 80})
output("bt", matmul(xb, wb) * 0.5)
kernel("nhwc48")
-- an NHWC convolution on 8-row tiles (16 and 24 pixels an image: 7 x 7
-- and 7 x 11; 14-row ones otherwise): 80 output channels, a 5 x 5 window
-- of 24 channels (blocks of 10, 10 and 5 window positions), stride 2, a
-- residual
-- e2e[nhwc48]: N=1,3,1,1,2 H=11,3,3,7,7 W=5,7,16,7,11
-- threads[nhwc48]: N=4 H=7 W=11
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, H, W, 24})
local w = weight("w", f32, {5, 5, 24, 80})
local b = weight("b", f32, {80})
local y = conv2d(x, w, b, {stride = 2, padding = 2, layout = "NHWC"})
output("y", silu(y) + y)
