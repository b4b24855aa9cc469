-- A module of several kernels that reuse the same names (N, x, y) and
-- different dtypes; each becomes its own P_ prefix multi_<kernel>.
-- e2e: N=0,1,7,17,33,100
kernel("scale")
local N = dim("N")
local x = input("x", f32, {N})
output("y", x * 3 + 1)
kernel("count")
local N = dim("N")
local x = input("x", i32, {N})
output("y", sum(cast(gt(x, 0), i64)))
kernel("wide")
local N = dim("N")
local x = input("x", f64, {N, 2})
local w = weight("w", f64, {2})
output("y", x * w)
output("z", sum(x * w, -1))
