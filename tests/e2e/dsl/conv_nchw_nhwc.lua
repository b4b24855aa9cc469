-- NCHW conv2d run as NHWC between permutes (passes/nhwc.c, docs/gemm.md):
-- the input copied to NHWC by a tiled transpose, the weight permuted at
-- create, the result copied back to NCHW with the epilogue after the
-- convolution (activation, residual) fused into that copy.  Padding,
-- stride, dilation, a 1x1 window with padding or a stride, a residual, a
-- batch_norm folded first, static H or W of 1; and two that
-- keep the NCHW template (a weight that is an input, a 1x1 window of
-- stride 1 without padding).
-- e2e: N=1,2,1,2 H=1,7,17,9 W=1,5,33,40
-- threads: N=2 H=40 W=40
kernel("pad_residual")
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, 20, H, W})
local w = weight("w", f32, {33, 20, 3, 3})
local b = weight("b", f32, {33})
local r = input("r", f32, {N, 33, H, W})
output("y", relu(conv2d(x, w, b, {padding = 1}) + r))
kernel("stride_dilation")
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, 7, H, W})
local w = weight("w", f32, {16, 7, 3, 3})
output("y", conv2d(x, w, nil, {stride = {2, 1}, padding = 2, dilation = {2, 1}}))
output("y2", sigmoid(conv2d(x, w, nil, {stride = 3, padding = {1, 2}})))
kernel("one_by_one")
-- 1x1 windows with padding, or a stride: rewritten; without either: the
-- NCHW template reads x in place
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, 24, H, W})
local w = weight("w", f32, {40, 24, 1, 1})
local b = weight("b", f32, {40})
output("pad", conv2d(x, w, b, {padding = 1}))
output("stride", tanh(conv2d(x, w, b, {stride = 2})))
output("plain", conv2d(x, w, b) * 2)
kernel("batch_norm")
-- folded into the NCHW weights and bias first, then permuted at create
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, 12, H, W})
local w = weight("w", f32, {18, 12, 3, 3})
local b = weight("b", f32, {18})
local m, v = weight("m", f32, {18}), weight("v", f32, {18})
local g, be = weight("g", f32, {18}), weight("be", f32, {18})
output("y", relu(batch_norm(conv2d(x, w, b, {padding = 1}), m, v * v + 0.5, g, be, 1e-5)))
kernel("static_h1")
-- static H of 1 (and W of 1 below)
-- e2e[static_h1]: N=1,3
-- threads[static_h1]: N=400
local N = dim("N")
local x = input("x", f32, {N, 9, 1, 13})
local w = weight("w", f32, {17, 9, 3, 3})
local b = weight("b", f32, {17})
output("y", relu(conv2d(x, w, b, {padding = 1})))
local x1 = input("x1", f32, {N, 9, 21, 1})
output("y1", conv2d(x1, w, nil, {padding = {1, 1}, stride = {2, 1}}))
kernel("weight_input")
-- the weight an input: not rewritten (the NCHW template gathers x)
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, 8, H, W})
local w = input("w", f32, {12, 8, 3, 3})
output("y", conv2d(x, w, nil, {padding = 1}))
