-- dw3x3_nchw.lua: relu(conv2d(x, w, b)) of a depthwise 3x3 layer of
-- MobileNetV2 (its expansion to 144 channels at 56x56): groups = channels,
-- padding 1, NCHW tensors.  w [C, 1, kh, kw] and b are weights; N is given
-- at run time.  (bench/gemm/workloads.c allocates these sizes too, and
-- checks at run time that they match the kernel's.)
local N = dim("N")
local x = input("x", f32, {N, 144, 56, 56})
local w = weight("w", f32, {144, 1, 3, 3})
local b = weight("b", f32, {144})
output("y", relu(conv2d(x, w, b, {padding = 1, groups = 144})))
