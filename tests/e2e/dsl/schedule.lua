-- schedule() hints (passes/schedule.c) and the tiling tensorc chooses for
-- transposes: tiles that do and do not divide the extents, vectorize and
-- unroll with remainders, parallel over one or two axes, hints on a
-- reduction and on a tensor that fusion would otherwise inline, and a
-- 3-D permute.  Results must not change.
-- e2e: N=1,7,17,33,100 M=1,5,31,33,70
kernel("hints")
local N, M = dim("N"), dim("M")
local x = input("x", f32, {N, M})
local b = input("b", f32, {M})
local t = permute(x, {1, 0}) * 2
schedule(t, { tile = {8, 16}, parallel = 0 })
local y = exp(x) + b
schedule(y, { vectorize = 16, unroll = 2, parallel = 0 })
local z = y * 3 - x
schedule(z, { tile = {4}, vectorize = 4, parallel = 1 })
local s = sum(x * x, -1)
schedule(s, { unroll = 3 })
local inl = x * 0.5
schedule(inl, { vectorize = 8 })
output("t", t)
output("y", y)
output("z", z)
output("s", s)
output("u", inl + 1)
kernel("auto_transpose")
local N, M = dim("N"), dim("M")
local x = input("x", f64, {N, M})
local w = input("w", f32, {3, N, M})
output("t", permute(x, {1, 0}) + 1)
output("p", permute(w, {2, 0, 1}) * 2)
output("q", transpose(w, 0, 2) - 1)
kernel("static_tiles")
local x = input("x", f32, {64, 96})
local y = permute(x, {1, 0})
schedule(y, { tile = {32, 32}, parallel = 1, unroll = 4 })
output("y", y)
