-- Kernels with two outputs from one fused loop, an output that is an input
-- and one that is a weight (both copied), an output used again after
-- output() returns it, and an argument that is never read.
-- e2e: N=0,1,7,17,33,100
kernel("two")
local N = dim("N")
local x = input("x", f32, {N, 5})
local e = exp(x - max(x, 1, true))
local s = output("s", sum(e, 1))          -- output returns its value
output("p", e / unsqueeze(s, 1))
kernel("copy")
local N = dim("N")
local x = input("x", f32, {N})
local w = weight("w", f32, {3, 2})
local unused = input("unused", i32, {N})
output("x_again", x)
output("w_again", w)
output("twice", x * 2)
kernel("fixed")                            -- no dims at all
local a = input("a", f64, {2, 3})
local b = weight("b", f64, {3})
output("c", a * b)
-- e2e[fixed]:
