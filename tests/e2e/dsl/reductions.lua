-- Reductions: sum mean max min prod over one axis, a negative axis, a list
-- of axes and all axes, with and without keepdim; integer sums give i64.
-- e2e: N=1,7,17,33,100 M=1,3,5,4,2
-- e2e: N=0 M=3
-- e2e: N=3 M=0
kernel("sums")
local N, M = dim("N"), dim("M")
local x = input("x", f32, {N, M})
local i = input("i", i32, {N, M})
output("s0", sum(x, 0))
output("s1k", sum(x, 1, true))
output("sall", sum(x))
output("slist", sum(x, {0, 1}, true))
output("sneg", sum(x, -1))
output("m1", mean(x, 1))
output("si", sum(i, 0))                  -- i64
output("p1", prod(x * 0.5 + 1, 1))
output("pi", prod(i % 3 - 1, 1))         -- i64
kernel("extrema")
local N, M = dim("N"), dim("M")
local x = input("x", f32, {N, M})
local i = input("i", i32, {N, M})
output("mx0", max(x, 0))
output("mn1", min(x, -1, true))
output("mxall", max(x))
output("mni", min(i, 1))                 -- keeps i32
output("am1", argmax(x, 1))
output("an0", argmin(x, 0, true))
output("amt", argmax(floor(x * 2), 1))   -- ties: the first index
-- e2e[extrema]: N=1,7,17,33,100 M=1,3,5,4,2
-- e2e-fail[extrema]: N=0,3 M=3,0
