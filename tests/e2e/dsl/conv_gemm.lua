-- conv2d through the GEMM template (docs/gemm.md): NCHW (the weight as A,
-- the input's windows gathered into B) and NHWC (the input's windows as A's
-- rows, the weight packed at create as B), with more channels than a block
-- of k (256), strides, padding, dilation, 1x1 windows, and the epilogue
-- (bias, activation, a residual) fused per tile.
-- e2e: N=1,2,1,1,2 H=1,7,17,33,9 W=1,5,17,9,40
-- (96 pixels: a 1x1 NCHW input read in place as B)
-- e2e: N=2 H=8 W=12
-- threads: N=2 H=40 W=40
kernel("nchw")
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, 20, H, W})
local w = weight("w", f32, {33, 20, 3, 3})
local b = weight("b", f32, {33})
local r = input("r", f32, {N, 33, H, W})
output("y", relu(conv2d(x, w, b, {padding = 1}) + r))
output("y2", conv2d(x, w, nil, {padding = {2, 1}, dilation = {2, 1}}))
kernel("nchw_bcast")
-- epilogues reading tensors broadcast along the output's pixels: one
-- value a column ({W}), a row ({H, 1}), a pixel ({H, W}: its elements one
-- run, as the output's)
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, 12, H, W})
local w = weight("w", f32, {10, 12, 1, 1})
local w3 = weight("w3", f32, {10, 12, 3, 3})
local col, row, pix = input("col", f32, {W}), input("row", f32, {H, 1}), input("pix", f32, {H, W})
output("y", conv2d(x, w) * col + pix)
output("y2", relu(conv2d(x, w3, nil, {padding = 1}) - row))
kernel("nchw_1x1")
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, 40, H, W})
local w = weight("w", f32, {24, 40, 1, 1})
output("y", sigmoid(conv2d(x, w)))
kernel("nhwc")
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, H, W, 300})
local w = weight("w", f32, {3, 3, 300, 17})
local b = weight("b", f32, {17})
output("y", silu(conv2d(x, w, b, {stride = 2, padding = 1, layout = "NHWC"})))
kernel("nhwc_rows8")
-- 16 or 32 pixels (8 rows a tile) by 96 output channels, each block of k
-- several window positions of 40 channels
-- e2e[nhwc_rows8]: N=1,2,1,1 H=4,4,3,4 W=4,4,5,8
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, H, W, 40})
local w = weight("w", f32, {3, 3, 40, 96})
local b = weight("b", f32, {96})
output("y", relu(conv2d(x, w, b, {padding = 1, layout = "NHWC"})))
kernel("nhwc_windows")
-- NHWC with few channels: a block of k holds several whole window positions
-- (at most 256 values and 16 positions: 5 x 5 of 40 channels makes blocks
-- of 6, 6, 6, 6, 1 positions), the tile of C kept in registers across them
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, H, W, 40})
local w = weight("w", f32, {5, 5, 40, 20})
local r = input("r", f32, {N, H, W, 20})
output("y", conv2d(x, w, nil, {padding = {2, 4}, dilation = {1, 2}, layout = "NHWC"}) - r)
kernel("nhwc_c1")
-- one input channel: 16 window positions of one value, then 9
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, H, W, 1})
local w = weight("w", f32, {5, 5, 1, 33})
local b = weight("b", f32, {33})
output("y", tanh(conv2d(x, w, b, {stride = {1, 2}, padding = 2, layout = "NHWC"})))
kernel("nhwc_1x1")
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, H, W, 24})
local w = input("w", f32, {1, 1, 24, 40})
output("y", conv2d(x, w, nil, {layout = "NHWC"}) * 2)
kernel("cdyn")
-- the input channels a dim (the weight an input): loops, not the template
-- e2e[cdyn]: N=1,2 H=5,7 W=5,3 C=4,1
-- threads[cdyn]: N=2 H=40 W=40 C=8
local N, H, W, C = dim("N"), dim("H"), dim("W"), dim("C")
local x = input("x", f32, {N, H, W, C})
local w = input("w", f32, {3, 3, C, 8})
output("y", conv2d(x, w, nil, {padding = 1, layout = "NHWC"}))
