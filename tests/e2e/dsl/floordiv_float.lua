-- Float // and % are NumPy's (npy_divmod), as the reference computes them:
-- 1.0 // 0.1 is 9 (the remainder is 0.1 - 1e-9), where floor(1.0 / 0.1) is
-- 10; a zero remainder takes the sign of the divisor.
-- e2e: N=1,7,33
local N = dim("N")
local x = input("x", f32, {N})
local w = input("w", f64, {N})
output("fd", x // 0.1)
output("fd3", x // -0.3)
output("md", x % 0.1)
output("md3", x % -0.75)
output("wfd", w // 0.1)
output("wmd", w % 0.1)
output("xx", x // x)
output("hs", hardswish(x * 1e38 * 1e38))  -- +-inf: -inf gives NaN, as x * relu6(x + 3) / 6
