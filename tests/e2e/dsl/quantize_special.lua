-- NaN and infinities into quantize: NaN gives the zero point, +inf the
-- dtype's maximum, -inf its minimum (graph.h), also per channel; checked
-- against the reference interpreter through both JITs and under the
-- sanitizers.
-- e2e: N=1,7,17,33,100
kernel("special")
local N = dim("N")
local x = input("x", f32, {N})
-- log of [-1, 1): NaN below 0, -inf at 0; 1/x: +-inf at 0
output("a", quantize(log(x), 0.1, 5, u8))
output("b", quantize(1 / (x * 0), 0.1, -5, i8))
output("c", quantize(sqrt(x) / 0, 0.5, 3, i8))
kernel("special_pc")
local N = dim("N")
local x = input("x", f32, {N, 2})
output("q", quantize_per_channel(log(x) * 1e30, {0.5, 2.0}, {1, 250}, 1, u8))
