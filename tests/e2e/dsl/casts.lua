-- cast between every pair of dtype families: float to int rounds toward
-- zero and saturates (NaN gives 0), float to bf16 rounds to nearest even,
-- int to float, widening and narrowing of ints (wraps).
-- e2e: N=0,1,7,17,33,100
local N = dim("N")
local x = input("x", f32, {N})
local i = input("i", i64, {N})
local big = x * 3e9                          -- beyond i32's range
output("f_i32", cast(x * 1000, i32))
output("f_i32_sat", cast(big, i32))
output("f_i8_sat", cast(x * 300, i8))
output("f_u8_sat", cast(x * 300, u8))
output("f_i64", cast(big * 1e10, i64))
output("nan_i32", cast(sqrt(x - 2), i32))    -- NaN -> 0
output("f_bf16", cast(x * 3.14159, bf16))
output("bf16_f32", cast(cast(x, bf16), f32) - x)
output("f_f64", cast(x, f64) * 1e-3)
output("i_f32", cast(i * 123457, f32))
output("i_i8", cast(i * 77, i8))
output("i_u8", cast(i - 1, u8))
output("i_bf16", cast(i * 1001, bf16))
