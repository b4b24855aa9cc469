-- conv3x3s2_nhwc.lua: conv3x3s2_nchw.lua with NHWC tensors: x [N, H, W,
-- C], w [kh, kw, Cin, Cout] (layout = "NHWC"), y NHWC.
-- (bench/gemm/workloads.c allocates these sizes too, and checks at run time
-- that they match the kernel's.)
local N = dim("N")
local x = input("x", f32, {N, 56, 56, 128})
local w = weight("w", f32, {3, 3, 128, 128})
local b = weight("b", f32, {128})
output("y", relu(conv2d(x, w, b, {padding = 1, stride = 2, layout = "NHWC"})))
