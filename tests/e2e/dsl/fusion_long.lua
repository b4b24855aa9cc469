-- A long elementwise chain: fusion stops at a node budget per stage
-- (passes/fuse.c, FUSE_MAX_NODES), so the chain becomes a series of
-- bounded stages, one temporary apart, that still compute the reference's
-- values.  (The iteration is a contraction: rounding errors die out.)
-- e2e: N=1,7,33
local N = dim("N")
local x = input("x", f32, {N, 2})
local y = x
for n = 1, 400 do y = sin(y) * 0.5 + x end
output("y", y)
