-- conv3x3g32_nchw.lua: relu(conv2d(x, w, b)) of ResNeXt-50's grouped 3x3
-- layer at 56x56: 128 -> 128 channels in 32 groups of 4, padding 1, NCHW
-- tensors.  w [Cout, Cin / 32, kh, kw] and b are weights; N is given at run
-- time.  (bench/gemm/workloads.c allocates these sizes too, and checks at
-- run time that they match the kernel's.)
local N = dim("N")
local x = input("x", f32, {N, 128, 56, 56})
local w = weight("w", f32, {128, 4, 3, 3})
local b = weight("b", f32, {128})
output("y", relu(conv2d(x, w, b, {padding = 1, groups = 32})))
