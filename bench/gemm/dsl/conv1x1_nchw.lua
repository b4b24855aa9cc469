-- conv1x1_nchw.lua: relu(conv2d(x, w, b)) of ResNet-50's 1x1 layer at
-- 56x56 that reduces 256 channels to 64, NCHW tensors (issue 6).  w and b
-- are weights; N is given at run time (the bench runs N = 1 unless told:
-- gemm -n).
-- (bench/gemm/workloads.c allocates these sizes too, and checks at run time
-- that they match the kernel's.)
local N = dim("N")
local x = input("x", f32, {N, 256, 56, 56})
local w = weight("w", f32, {64, 256, 1, 1})
local b = weight("b", f32, {64})
output("y", relu(conv2d(x, w, b)))
