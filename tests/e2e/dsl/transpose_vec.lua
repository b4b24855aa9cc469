-- Transposes tiled by tensorc (passes/schedule.c) and computed in vectors
-- along the read's contiguous axis, each block of lanes x lanes transposed
-- in registers (emit/c.c): extents below, at and past a vector and a
-- tile (32), so that blocks are whole, partial along either axis or both;
-- a rotation (NCHW <-> NHWC) with a middle axis; elementwise work on the
-- way (an op computed lane by lane, a value broadcast, a where() on the
-- values); a bf16 input converted; a read in the output's layout as well
-- (strided along either axis: that one stays scalar).  Results must not
-- change.
-- e2e[transpose2d]: N=1,7,16,17,33,100 M=1,5,16,31,33,70
-- e2e[rotate]: N=1,2 M=1,7,17,33
-- e2e[mixed]: N=1,7,17,40 M=1,16,33
-- san: N=3 M=17 specials=1
kernel("transpose2d")
local N, M = dim("N"), dim("M")
local x = input("x", f32, {N, M})
local s = input("s", f32, {1})
output("t", permute(x, {1, 0}) * 2)
output("u", sin(transpose(x, 0, 1)) + s)
output("v", where(gt(transpose(x, 0, 1), 0.25), transpose(x, 0, 1), -1.5))
kernel("rotate")
local N, M = dim("N"), dim("M")
local x = input("x", f32, {N, M, 5, 35})
local c = input("c", f32, {N, 35, M, 5})
output("nchw", relu(permute(x, {0, 3, 1, 2})))
output("nhwc", permute(c, {0, 2, 3, 1}) - 0.5)
kernel("mixed")
local N, M = dim("N"), dim("M")
local xb = input("xb", bf16, {N, M})
local z = input("z", f32, {M, N})
local o = input("o", f32, {N, M})
output("fromb", cast(permute(xb, {1, 0}), f32) * 3)
output("both", permute(z, {1, 0}) + o)
