-- NCHW convolutions of several groups of more than one channel, through
-- the GEMM template (passes/gemm.c match_conv; emit/c.c emit_conv_fields):
-- each image's group a batch matrix of its own (the group's rows of w,
-- planes of x and planes of y), the epilogue's rows from the group's first
-- output channel. Windows with padding, stride and dilation (B gathered),
-- 1x1 (B read in place), bias, activations, a residual, a batch norm
-- folded at create, dynamic sizes, and groups of fewer than 4 output
-- channels (which stay loops when gathered). Then NHWC groups (nhwc_*):
-- the same batch matrices, a group's channels of each pixel; groups of 2,
-- 4 or 8 channels in and out are vector loops instead, a group's input
-- channels permuted from the vector of the output channels' own (a lane
-- group, tensorc/loop.h: nhwc_lane_groups, nhwc_g_small, nhwc_g_1x1).
-- e2e: N=1,2 H=9,16 W=11,20
-- threads: N=4 H=40 W=40
kernel("g2")
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, 8, H, W})
local w = weight("w", f32, {12, 4, 3, 3})
local b = weight("b", f32, {12})
output("y", relu(conv2d(x, w, b, {padding = 1, groups = 2})))
kernel("g4_strided")
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, 12, H, W})
local w = weight("w", f32, {20, 3, 3, 3})
output("y", conv2d(x, w, nil, {stride = 2, padding = {1, 2}, dilation = {1, 2}, groups = 4}))
kernel("g1x1")
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, 16, H, W})
local w = weight("w", f32, {24, 4, 1, 1})
local r = input("r", f32, {N, 24, H, W})
output("y", sigmoid(conv2d(x, w, nil, {groups = 4}) + r))
kernel("g_bn")
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, 18, H, W})
local w = weight("w", f32, {30, 6, 3, 3})
local m, v = weight("m", f32, {30}), weight("v", f32, {30})
local g, be = weight("g", f32, {30}), weight("be", f32, {30})
output("y", relu6(batch_norm(conv2d(x, w, nil, {padding = 1, groups = 3}), m, v * v + 0.5, g, be, 1e-5)))
kernel("g_wide")
-- 70 output channels a group: rows of 14, 14, 14, 14 and 14 in each batch
-- matrix; 40 input channels a group
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, 80, H, W})
local w = weight("w", f32, {140, 40, 3, 3})
output("y", conv2d(x, w, nil, {padding = 1, groups = 2}))
kernel("g_small")
-- 2 output channels a group: a loop, not the template (the direct kernel,
-- which takes groups of 2, needs static sizes)
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, 8, H, W})
local w = weight("w", f32, {8, 2, 3, 3})
output("y", conv2d(x, w, nil, {padding = 1, groups = 4}))
kernel("g_q8")
-- a u8 output: the sums in an f32 buffer of their own (y.acc), the
-- quantize and the residual in the epilogue
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, 8, H, W})
local w = weight("w", f32, {8, 4, 3, 3})
output("y", quantize(conv2d(x, w, nil, {padding = 1, groups = 2}) + x, 0.05, 3, u8))
kernel("g_bigk")
-- 96 input channels a group: K = 864, above TC_GEMM_KC_MAX (two blocks of k)
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, 192, H, W})
local w = weight("w", f32, {20, 96, 3, 3})
local b = weight("b", f32, {20})
output("y", cast(relu(conv2d(x, w, b, {padding = 1, groups = 2})), bf16))
kernel("nhwc_g4")
-- NHWC groups of 2 or more input and output channels through the
-- template (4 and 8 here): each group a batch matrix of its own, its
-- channels of each pixel of x (a pixel's stride all the groups'
-- channels), its columns of w packed at create, its channels of y; the
-- epilogue's columns from the group's first output channel
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, H, W, 16})
local w = weight("w", f32, {3, 3, 4, 32})
local b = weight("b", f32, {32})
output("y", relu(conv2d(x, w, b, {padding = 1, groups = 4, layout = "NHWC"})))
kernel("nhwc_g_strided")
-- 3 groups of 5 input and 7 output channels: columns of w and y not a
-- multiple of anything; stride, dilation, uneven padding
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, H + 4, W + 4, 15})
local w = weight("w", f32, {3, 2, 5, 21})
output("y", conv2d(x, w, nil, {stride = {2, 1}, padding = {1, 2}, dilation = {2, 1}, groups = 3,
                               layout = "NHWC"}))
kernel("nhwc_g_residual")
-- w an input (each task packs a group's columns from its first), a residual
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, H, W, 8})
local w = input("w", f32, {1, 3, 4, 16})
local r = input("r", f32, {N, H, W, 16})
output("y", tanh(conv2d(x, w, nil, {padding = {0, 1}, groups = 2, layout = "NHWC"}) * 0.5 + r))
kernel("nhwc_g_q8")
-- a per-channel scale and shift (broadcast along the rows), a u8 output
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, H, W, 12})
local w = weight("w", f32, {3, 3, 6, 16})
local s, t = weight("s", f32, {16}), weight("t", f32, {16})
output("y", quantize(conv2d(x, w, nil, {padding = 1, groups = 2, layout = "NHWC"}) * s + t,
                     0.05, 3, u8))
kernel("nhwc_g_small")
-- 2 input and 2 output channels a group (a lane group: loops in
-- vectors), and 1 input channel with 4 output (loops, lane by lane)
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, H, W, 8})
local w = weight("w", f32, {3, 3, 2, 8})
local w1 = weight("w1", f32, {3, 3, 1, 32})
output("y", conv2d(x, w, nil, {padding = 1, groups = 4, layout = "NHWC"}))
output("y1", conv2d(x, w1, nil, {padding = 1, groups = 8, layout = "NHWC"}))
kernel("nhwc_g_1x1")
-- 1x1 groups: 4 and 8 channels a group through the template, 2 and 2
-- (a lane group) loops
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, H, W, 16})
local w = weight("w", f32, {1, 1, 4, 32})
local w2 = weight("w2", f32, {1, 1, 2, 16})
local b = weight("b", f32, {32})
output("y", relu(conv2d(x, w, b, {groups = 4, layout = "NHWC"})))
output("y2", conv2d(x, w2, nil, {groups = 8, layout = "NHWC"}))
kernel("nhwc_lane_groups")
-- groups of 4, 2 and 8 channels in and out: vector loops, each vector of
-- output channels reading its groups' input channels from the vector at
-- its own channels, permuted.  24 channels (AVX-512's second vector
-- partial); stride, dilation, uneven padding (the strip of columns and
-- the plain loop); a bias, a residual, a bf16 output; w8 an input
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, H + 2, W + 3, 24})
local w4 = weight("w4", f32, {3, 3, 4, 24})
local w2 = weight("w2", f32, {3, 2, 2, 24})
local w8 = input("w8", f32, {1, 1, 8, 24})
local b = weight("b", f32, {24})
local r = input("r", f32, {N, H + 2, W + 4, 24})
output("y4", relu(conv2d(x, w4, b, {stride = {2, 1}, padding = {1, 2}, dilation = {1, 2}, groups = 6,
                                    layout = "NHWC"})))
output("y2", cast(conv2d(x, w2, nil, {padding = 1, groups = 12, layout = "NHWC"}) + r, bf16))
output("y8", sigmoid(conv2d(x, w8, nil, {groups = 3, layout = "NHWC"})))
-- 8 a group in a 3x3 window with padding: on AVX2 a vector inside one
-- group, one element for all its lanes, its address under the padding's
-- where() the buffer's start when the window is outside
local w8b = weight("w8b", f32, {3, 3, 8, 24})
output("y8b", conv2d(x, w8b, nil, {padding = 1, groups = 3, layout = "NHWC"}))
kernel("nhwc_lane_groups_bf16")
-- bf16 groups (the template takes f32 only): of 16 channels, one element
-- for all the lanes of a vector (loaded as one lane and broadcast), and of
-- 4, permuted; stride and uneven padding
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", bf16, {N, H, W, 32})
local w = weight("w", bf16, {3, 3, 16, 32})
local w4 = weight("w4", bf16, {3, 3, 4, 32})
output("y", conv2d(x, w, nil, {padding = 1, groups = 2, layout = "NHWC"}))
output("y4", relu(conv2d(x, w4, nil, {padding = {1, 0}, stride = 2, groups = 8, layout = "NHWC"})))
kernel("nhwc_lane_groups_empty")
-- groups of 8 and 16 channels (one element for all the lanes of a vector)
-- under padding 2 over an input of H - 9 rows: at H = 9 it has none (a
-- NULL pointer may stand for it), every window in the padding, and the
-- broadcast must read nothing
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, H - 9, W, 16})
local w = weight("w", f32, {3, 3, 8, 16})
local xb = input("xb", bf16, {N, H - 9, W, 32})
local wb = weight("wb", bf16, {3, 3, 16, 32})
output("y", conv2d(x, w, nil, {padding = 2, groups = 2, layout = "NHWC"}))
output("yb", conv2d(xb, wb, nil, {padding = 2, groups = 2, layout = "NHWC"}))
kernel("nhwc_lane_groups_wide")
-- e2e[nhwc_lane_groups_wide]: N=1,2 H=5,3 W=7,9
-- bf16 groups of 64 channels (four AVX-512 vectors a group, each one
-- element for all its lanes): stride, dilation, uneven padding
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", bf16, {N, H, W, 128})
local w = weight("w", bf16, {3, 3, 64, 128})
output("y", relu(conv2d(x, w, nil, {padding = {2, 3}, stride = 2, dilation = 2, groups = 2,
                                    layout = "NHWC"})))
