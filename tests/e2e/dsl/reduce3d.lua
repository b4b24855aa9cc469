-- Reductions over the middle axis and over two of three axes of a 3-D
-- tensor, fused with elementwise work before and after.
-- e2e: B=1,2,3,1 N=1,7,17,100 C=1,3,16,5
local B, N, C = dim("B"), dim("N"), dim("C")
local x = input("x", f32, {B, N, C})
output("mid", sum(exp(x), 1))
output("two", max(x * x, {0, 2}, true))
output("norm", sqrt(sum(x * x, -1, true)) + 1)
output("var", mean((x - mean(x, 1, true)) * (x - mean(x, 1, true)), 1))
