-- Integer // and % by zero make the kernel return TC_EINVAL (spec/dsl.md),
-- whatever the data: the divisor here is always 0.
-- e2e-fail: N=1,5,17
-- san: N=5 rc=-1
-- san: N=1 rc=-1
kernel("divzero")
local N = dim("N")
local a = input("a", i32, {N})
output("q", a // (a * 0))
kernel("modzero")
local N = dim("N")
local a = input("a", i64, {N})
output("r", a % (a - a))
