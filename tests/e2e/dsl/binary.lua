-- Binary arithmetic with NumPy broadcasting and Lua numbers on either side:
-- + - * / and maximum, minimum, pow on f32.
-- e2e: N=0,1,7,17,33,100 M=1,3,4,5,2,8
local N, M = dim("N"), dim("M")
local a = input("a", f32, {N, M})
local row = input("row", f32, {M})       -- broadcasts over N
local col = input("col", f32, {N, 1})    -- broadcasts over M
local s = input("s", f32, {})            -- a scalar tensor
output("add", a + row)
output("sub", col - a)
output("mul", a * col * s)
output("div", a / (abs(row) + 0.5))
output("lua_left", 2 - a * 0.5)
output("lua_right", (a + 1) / 4)
output("outer", col * row)               -- {N,1} x {M} -> {N,M}
output("maxi", maximum(a, row))
output("mini", minimum(col, 0))
output("powr", pow(abs(a) + 0.1, row))
output("pow2", pow(a, 2))
