-- conv3x3s2_nchw.lua: relu(conv2d(x, w, b)) of ResNet-50's 3x3 layer with
-- stride 2 that takes 56x56 to 28x28, 128 -> 128 channels, padding 1, NCHW
-- tensors (issue 6).  w and b are weights; N is given at run time (the
-- bench runs N = 1 unless told: gemm -n).
-- (bench/gemm/workloads.c allocates these sizes too, and checks at run time
-- that they match the kernel's.)
local N = dim("N")
local x = input("x", f32, {N, 128, 56, 56})
local w = weight("w", f32, {128, 128, 3, 3})
local b = weight("b", f32, {128})
output("y", relu(conv2d(x, w, b, {padding = 1, stride = 2})))
