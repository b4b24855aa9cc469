-- conv3x3_nchw.lua: relu(conv2d(x, w, b)) of ResNet-50's 3x3 layer at
-- 56x56, 64 -> 64 channels, padding 1, NCHW tensors (issue 6).  w [Cout,
-- Cin, kh, kw] and b are weights (tensorc may pack w at create); N is given
-- at run time (the bench runs N = 1 unless told: gemm -n).
-- (bench/gemm/workloads.c allocates these sizes too, and checks at run time
-- that they match the kernel's.)
local N = dim("N")
local x = input("x", f32, {N, 64, 56, 56})
local w = weight("w", f32, {64, 64, 3, 3})
local b = weight("b", f32, {64})
output("y", relu(conv2d(x, w, b, {padding = 1})))
