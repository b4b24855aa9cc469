-- conv3x3g32_nhwc.lua: conv3x3g32_nchw.lua with NHWC tensors: x [N, H, W, C],
-- w [kh, kw, Cin / 32, Cout] (layout = "NHWC"), y NHWC.
-- (bench/gemm/workloads.c allocates these sizes too, and checks at run time
-- that they match the kernel's.)
local N = dim("N")
local x = input("x", f32, {N, 56, 56, 128})
local w = weight("w", f32, {3, 3, 4, 128})
local b = weight("b", f32, {128})
output("y", relu(conv2d(x, w, b, {padding = 1, groups = 32, layout = "NHWC"})))
