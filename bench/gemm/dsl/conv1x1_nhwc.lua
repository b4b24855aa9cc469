-- conv1x1_nhwc.lua: conv1x1_nchw.lua with NHWC tensors: x [N, H, W, C],
-- w [1, 1, Cin, Cout] (layout = "NHWC"), y NHWC.
-- (bench/gemm/workloads.c allocates these sizes too, and checks at run time
-- that they match the kernel's.)
local N = dim("N")
local x = input("x", f32, {N, 56, 56, 256})
local w = weight("w", f32, {1, 1, 256, 64})
local b = weight("b", f32, {64})
output("y", relu(conv2d(x, w, b, {layout = "NHWC"})))
