-- bf16 arguments: arithmetic computed in f32 and rounded when stored,
-- reductions accumulating in f32, and a bf16 linear layer.
-- e2e: N=0,1,7,17,33,100
local N = dim("N")
local x = input("x", bf16, {N, 8})
local y = input("y", bf16, {N, 8})
local w = weight("w", bf16, {4, 8})
local s = input("s", f32, {8})
output("sum2", x + y)
output("chain", gelu(x * y + 1))
output("rsum", sum(x, 1))
output("rmax", max(x, 1))
output("lin", linear(x, w))
output("mixed", x * s)                       -- f32
