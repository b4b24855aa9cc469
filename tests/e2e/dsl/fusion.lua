-- Longer fused chains: elementwise around a reduction (a normalization
-- written by hand), a reduction feeding a broadcast, and a value used by
-- several consumers.
-- e2e: B=1,7,17,33,100,0 C=1,3,16,33,5,4
-- e2e: B=1000 C=257
local B, C = dim("B"), dim("C")
local x = input("x", f32, {B, C})
local g = input("g", f32, {C})
local mu = mean(x, -1, true)
local xc = x - mu
local var = mean(xc * xc, -1, true)
local y = xc * rsqrt(var + 1e-5) * g
output("norm", y)
output("gated", silu(y) * sigmoid(x))
output("resid", maximum(y + x, 0) - minimum(y, x) / 2)
output("rowmax", max(y, 1))
