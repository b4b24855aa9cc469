-- Depthwise convolutions computed a strip of output columns at once
-- (emit/c.c strip_loop): NHWC windows with the channels in lanes, the
-- padding's conditions tested at the strip's corners, the innermost
-- window loop unrolled (or kept, above 8 taps), the columns whose windows
-- reach the padding and a row's last ones through the plain loop.
-- Channel tails, stride, dilation, uneven padding, no padding, epilogues
-- (bias, activations, a residual, a bf16 output, the sum used twice), and
-- NCHW (the strip along the rows, the columns' padding tested for each
-- whole vector, a mask for the others). A u8 output and a channel
-- multiplier, which stay scalar loops, for the results' sake.
-- e2e: N=1,2 H=5,12 W=3,13,20
-- threads: N=2 H=40 W=40
kernel("dw")
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, H, W, 20})
local w = weight("w", f32, {3, 3, 1, 20})
local b = weight("b", f32, {20})
output("y", relu(conv2d(x, w, b, {padding = 1, groups = 20, layout = "NHWC"})))
kernel("dw_static")
-- 13 columns: strips at 1 and (AVX2) 5, the others through the plain loop
local x = input("x", f32, {2, 7, 13, 32})
local w = weight("w", f32, {3, 3, 1, 32})
output("y", conv2d(x, w, nil, {padding = 1, groups = 32, layout = "NHWC"}))
kernel("dw_dilated")
-- 5x5, stride 2, dilation 2, padding 2 and 3
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, H + 8, W + 8, 24})
local w = weight("w", f32, {5, 5, 1, 24})
local b = weight("b", f32, {24})
output("y", silu(conv2d(x, w, b, {stride = 2, padding = {2, 3}, dilation = 2, groups = 24,
                                  layout = "NHWC"})))
kernel("dw_1x9")
-- 9 taps along the row: the window loop kept, not unrolled
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, H, W, 16})
local w = weight("w", f32, {1, 9, 1, 16})
output("y", conv2d(x, w, nil, {padding = {0, 4}, groups = 16, layout = "NHWC"}))
kernel("dw_valid")
-- no padding: no condition but the strip's columns
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, H + 2, W + 2, 17})
local w = weight("w", f32, {3, 3, 1, 17})
output("y", conv2d(x, w, nil, {groups = 17, layout = "NHWC"}))
kernel("dw_residual")
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, H, W, 16})
local w = weight("w", f32, {3, 3, 1, 16})
local b = weight("b", f32, {16})
output("y", gelu(conv2d(x, w, b, {padding = 1, groups = 16, layout = "NHWC"})) + x)
kernel("dw_bf16")
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, H, W, 16})
local w = weight("w", f32, {3, 3, 1, 16})
output("y", cast(relu6(conv2d(x, w, nil, {padding = 1, groups = 16, layout = "NHWC"})), bf16))
kernel("dw_q8")
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, H, W, 16})
local w = weight("w", f32, {3, 3, 1, 16})
output("y", quantize(conv2d(x, w, nil, {padding = 1, groups = 16, layout = "NHWC"}), 0.05, 3, u8))
kernel("dw_mult")
-- two output channels an input channel
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, H, W, 8})
local w = weight("w", f32, {3, 3, 1, 16})
output("y", conv2d(x, w, nil, {padding = 1, groups = 8, layout = "NHWC"}))
kernel("dw_nchw")
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, 12, H, W})
local w = weight("w", f32, {12, 1, 3, 3})
local b = weight("b", f32, {12})
output("y", relu(conv2d(x, w, b, {padding = {1, 2}, groups = 12})))
kernel("dw_twice")
-- the sum read twice by the epilogue: computed once in the strip too
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, H, W, 16})
local w = weight("w", f32, {3, 3, 1, 16})
local c = conv2d(x, w, nil, {padding = 1, groups = 16, layout = "NHWC"})
output("y", c * sigmoid(c))
