-- Rounding and sign functions on f32 and f64, including exact halves for
-- round (half to even) and negative zero.
-- e2e: N=0,1,7,17,33,100
local N = dim("N")
local x = input("x", f32, {N})
local d = input("d", f64, {N})
local halves = floor(x * 8) * 0.5    -- k/2 for integers k: many exact halves
output("y_abs", abs(x))
output("y_neg", neg(x))
output("y_unm", -x)
output("y_floor", floor(x * 5))
output("y_ceil", ceil(x * 5))
output("y_round", round(halves))
output("y_round_f", round(x * 5))
output("y_trunc", trunc(x * 5))
output("y_sign", sign(floor(x * 2)))  -- also exactly 0
output("d_round", round(floor(d * 8) * 0.5))
output("d_abs", abs(d))
output("d_sign", sign(d))
