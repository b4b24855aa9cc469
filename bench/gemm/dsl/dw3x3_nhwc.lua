-- dw3x3_nhwc.lua: dw3x3_nchw.lua with NHWC tensors: x [N, H, W, C],
-- w [kh, kw, 1, C] (layout = "NHWC"), y NHWC.
-- (bench/gemm/workloads.c allocates these sizes too, and checks at run time
-- that they match the kernel's.)
local N = dim("N")
local x = input("x", f32, {N, 56, 56, 144})
local w = weight("w", f32, {3, 3, 1, 144})
local b = weight("b", f32, {144})
output("y", relu(conv2d(x, w, b, {padding = 1, groups = 144, layout = "NHWC"})))
