-- reshape (with -1), flatten, permute, transpose, expand, squeeze and
-- unsqueeze, each followed by arithmetic so the view is really read.
-- e2e: N=0,1,7,17,33,100
kernel("views")
local N = dim("N")
local x = input("x", f32, {N, 2, 3})
output("r", reshape(x, {N, 6}) * 2)
output("rneg", reshape(x, {-1, 3}) + 1)
output("rall", reshape(x, {N * 6}) - 1)
output("fl", flatten(x) * 3)
output("fl12", flatten(x, 1, 2) + 0.5)
output("pm", permute(x, {2, 0, 1}) * 1)
output("tr", transpose(x, 0, 2) + 0)
output("trneg", x:transpose(-1, -2) * 2)
output("us", unsqueeze(x, 1) + 1)
output("usneg", unsqueeze(x, -1) + 1)
output("sq", squeeze(unsqueeze(x, 0), 0) * 2)
kernel("expand")
local N, M = dim("N"), dim("M")
local c = input("c", f32, {N, 1})
local r = input("r", f32, {1, M})
output("ex", expand(c, {N, M}) + expand(r, {N, M}))
output("ex3", expand(r, {3, N, M}) * 2)
-- e2e[expand]: N=0,1,7,17,33,100 M=2,1,5,3,0,4
