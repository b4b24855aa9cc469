-- Pooling: max_pool2d (padding never wins, NaN propagates), avg_pool2d
-- (padding counted as zeros, PyTorch's default), global_avg_pool2d, on
-- awkward sizes, f32, i32 and bf16.
-- e2e: N=1,2,1,2,1 H=1,7,17,33,100 W=1,5,17,9,3
kernel("maxp")
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, 3, H, W})
output("y", max_pool2d(x, 3, {stride = 2, padding = 1}))
kernel("avgp")
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, 3, H, W})
output("y", avg_pool2d(x, {3, 2}, {stride = {1, 2}, padding = {1, 1}}))
kernel("maxi")
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", i32, {N, 2, H, W})
output("y", max_pool2d(x, {2, 3}, {stride = 1, padding = {1, 1}}))
kernel("avgbf")
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", bf16, {N, 2, H, W})
output("y", avg_pool2d(x, 2, {stride = 1, padding = 1}))
kernel("global")
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, 4, H, W})
output("y", global_avg_pool2d(x))
