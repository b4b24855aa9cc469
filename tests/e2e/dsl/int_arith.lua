-- Integer arithmetic: floor division and floor modulo with negative
-- operands (Lua's and Python's semantics), wraparound of i8, u8 and i32.
-- e2e: N=0,1,7,17,33,100
-- san: N=17 ints=-50:50
-- san: N=33 ints=-128:128
local N = dim("N")
local a = input("a", i32, {N})
local b = input("b", i32, {N})
local l = input("l", i64, {N})
local c = input("c", i8, {N})
local u = input("u", u8, {N})
local nz = where(eq(b, 0), 3, b)        -- never zero, often negative
output("fdiv", a // nz)
output("fmod", a % nz)
output("fdiv_c", a // -3)
output("fmod_c", a % -3)
output("fdiv_p", l // 7)
output("fmod_p", l % 7)
output("wrap8", c * 100 + 27)
output("wrapu8", u * 200 - 1)
output("wrap32", a * 2147483647)
output("neg", -c)
