-- conv_pool_nchw.lua: a ResNet-style 3x3 convolution, relu and 2x2 max
-- pool in NCHW (64 -> 64 channels at 56x56), for the A/B harness only
-- (bench/gemm/ab/ab.sh conv_pool_nchw ...): the pool fused into the copy
-- back from NHWC (docs/fusion.md) against what a tensorc build did before.
local N = dim("N")
local x = input("x", f32, {N, 64, 56, 56})
local w = weight("w", f32, {64, 64, 3, 3})
local b = weight("b", f32, {64})
output("y", max_pool2d(relu(conv2d(x, w, b, {padding = 1})), 2))
