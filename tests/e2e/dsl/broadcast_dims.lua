-- A dim never broadcasts: adding {N} to {M} is checked when the kernel
-- runs, and N != M is TC_EINVAL.  Reshape with -1 of an extent that does
-- not divide is TC_EINVAL too.
-- e2e: N=0,1,7,17 M=0,1,7,17
-- e2e-fail: N=3,1,7 M=4,7,1
-- san: N=5 M=5
-- san: N=5 M=6 rc=-1
kernel("add")
local N, M = dim("N"), dim("M")
local a = input("a", f32, {N})
local b = input("b", f32, {M})
output("c", a + b)
kernel("inner")
local N, M = dim("N"), dim("M")
local a = input("a", f32, {3, N})
local b = input("b", f32, {M, 2})
output("c", matmul(a, b))
kernel("rows")
local N = dim("N")
local x = input("x", f32, {N})
output("r", reshape(x, {-1, 4}) + 1)
-- e2e[rows]: N=0,4,8,100
-- e2e-fail[rows]: N=1,5,7
-- san[rows]: N=12
-- san[rows]: N=6 rc=-1
