-- A max pool after a convolution (passes/fuse.c: a cheap producer read
-- inside a max pool's window is recomputed there): for NCHW, the relu and
-- the copy back to NCHW (passes/nhwc.c) fuse into the pool, which reads
-- the NHWC result directly as a tiled transpose in vectors along the
-- channels (emit/c.c); windows of 2 and 3 (padded, stride 2: the stem of a
-- ResNet), 4 x 4 (the largest recomputed) and 5 x 5 (not: the relu keeps
-- its copy); a residual read in NCHW (scalar tiles); a pool of a cheap
-- elementwise producer of an input (not a transpose: scalar).  Odd sizes,
-- so that the pools drop rows and columns.  Results must not change.
-- e2e: N=1,2,1,2 H=2,7,17,9 W=2,5,33,40
kernel("pool2")
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, 20, H, W})
local w = weight("w", f32, {33, 20, 3, 3})
local b = weight("b", f32, {33})
output("y", max_pool2d(relu(conv2d(x, w, b, {padding = 1})), 2))
kernel("stem")
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, 3, H, W})
local w = weight("w", f32, {24, 3, 3, 3})
local b = weight("b", f32, {24})
output("y", max_pool2d(relu(conv2d(x, w, b, {stride = 2, padding = 1})), 3,
                       {stride = 2, padding = 1}))
kernel("windows")
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, 8, H, W})
local w = weight("w", f32, {17, 8, 3, 3})
local c = conv2d(x, w, nil, {padding = 2})
output("y4", max_pool2d(relu(c), 4, {stride = 1}))
output("y5", max_pool2d(clamp(c, -1, 1), 5, {stride = 2, padding = 2}))
kernel("residual")
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, 6, H, W})
local w = weight("w", f32, {6, 6, 3, 3})
output("y", max_pool2d(relu(conv2d(x, w, nil, {padding = 1}) + x), 2))
kernel("input_pool")
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, 5, H, W})
output("y", max_pool2d(relu(x * 2 - 1), 2, {stride = 1}))
