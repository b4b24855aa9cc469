-- NaN: maximum, minimum and the max reduction propagate it (as PyTorch's
-- do); casting NaN to an integer gives 0.  sqrt of the negative half of the
-- inputs makes the NaNs.
-- e2e: N=1,7,17,33,100
local N = dim("N")
local x = input("x", f32, {N, 4})
local r = sqrt(x)                        -- NaN where x < 0
output("mx", maximum(r, 0.5))
output("mn", minimum(r, 0.5))
output("rmax", max(r, 1))
output("as_int", cast(r * 10, i32))
output("isnan", cast(ne(r, r), u8))      -- NaN is the one value not equal to itself
