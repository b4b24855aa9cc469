-- linear with and without bias (x @ w^T + b, w as [out, in]), on 2-D and
-- 3-D inputs, with the weights handed over at create time.
-- e2e: B=0,1,7,17,33,100 T=1,3,1,2,1,1
-- threads: B=2000 T=2
local B, T = dim("B"), dim("T")
local x = input("x", f32, {B, 24})
local x3 = input("x3", f32, {B, T, 24})
local w = weight("w", f32, {10, 24})
local b = weight("b", f32, {10})
output("y", linear(x, w, b))
output("y_nobias", linear(x, w))
output("y3", tanh(linear(x3, w, b)))
