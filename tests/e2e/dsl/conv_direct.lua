-- NCHW convolutions of stride 1 that the GEMM template's direct kernel
-- computes in place (emit/gemm.c, bmode 3; tensorc/loop.h's
-- tc_conv_direct: few input channels, an output at least 16 wide for a
-- 3x3 window): a zero-padded copy of each image, the output pixels on a
-- grid of the width plus one side's padding (a row's right padding is the
-- next row's left), its extra columns thrown away at the store.
-- Tiles of 32 grid positions that span two or more rows (narrow images),
-- output channels that are not a multiple of the kernels' rows (8 and 6)
-- nor of the 64 rows finished together, dilation, no padding, windows of
-- 5x5 and 1x3, more padding than the window needs (the grid as wide as
-- the output), epilogues reading tensors broadcast along the pixels, a
-- residual, an image of one row, batches of images, a
-- batch norm folded into the weight at create (the direct kernel then packs
-- the folded weight), a weight that another output also reads, a
-- reshaped weight (packed from the buffer it views), and grouped
-- convolutions (each image's group a batch matrix).
-- e2e: N=1,2
-- threads: N=16
-- threads[one_row]: N=64
-- tol: rtol=1e-4 atol=1e-4
kernel("k3")
local N = dim("N")
local x = input("x", f32, {N, 5, 23, 33})
local w = weight("w", f32, {9, 5, 3, 3})
local b = weight("b", f32, {9})
output("y", relu(conv2d(x, w, b, {padding = 1})))
kernel("narrow")
local N = dim("N")
local x = input("x", f32, {N, 3, 7, 17})
local w = weight("w", f32, {17, 3, 3, 3})
output("y", conv2d(x, w, nil, {padding = 1}))
kernel("dil")
local N = dim("N")
local x = input("x", f32, {N, 4, 20, 40})
local w = weight("w", f32, {6, 4, 3, 3})
local b = weight("b", f32, {6})
output("y", conv2d(x, w, b, {padding = 2, dilation = 2}))
kernel("nopad")
local N = dim("N")
local x = input("x", f32, {N, 2, 12, 50})
local w = weight("w", f32, {7, 2, 5, 5})
output("y", tanh(conv2d(x, w)))
kernel("bcast")
local N = dim("N")
local x = input("x", f32, {N, 4, 9, 24})
local w = weight("w", f32, {11, 4, 3, 3})
local col, row, pix = input("col", f32, {24}), input("row", f32, {9, 1}), input("pix", f32, {9, 24})
output("y", conv2d(x, w, nil, {padding = 1}) * col + pix)
output("y2", tanh(conv2d(x, w, nil, {padding = 1}) + row))
kernel("overpad")
local N = dim("N")
local x = input("x", f32, {N, 3, 6, 21})
local w = weight("w", f32, {5, 3, 3, 3})
output("y", conv2d(x, w, nil, {padding = {1, 3}}))
kernel("row")
local N = dim("N")
local x = input("x", f32, {N, 6, 9, 30})
local w = weight("w", f32, {5, 6, 1, 3})
local b = weight("b", f32, {5})
output("y", conv2d(x, w, b, {padding = {0, 1}}))
kernel("wide")
local N = dim("N")
local x = input("x", f32, {N, 4, 16, 20})
local w = weight("w", f32, {70, 4, 3, 3})
local b = weight("b", f32, {70})
output("y", relu(conv2d(x, w, b, {padding = 1})))
kernel("res")
local N = dim("N")
local x = input("x", f32, {N, 8, 18, 18})
local r = input("r", f32, {N, 8, 18, 18})
local w = weight("w", f32, {8, 8, 3, 3})
output("y", relu(conv2d(x, w, nil, {padding = 1}) + r))
kernel("one_row")
local N = dim("N")
local x = input("x", f32, {N, 3, 1, 40})
local w = weight("w", f32, {10, 3, 3, 3})
output("y", conv2d(x, w, nil, {padding = 1}))

kernel("bn")
local N = dim("N")
local x = input("x", f32, {N, 6, 14, 30})
local w = weight("w", f32, {10, 6, 3, 3})
local m, v = weight("m", f32, {10}), weight("v", f32, {10})
local g, be = weight("g", f32, {10}), weight("be", f32, {10})
output("y", relu(batch_norm(conv2d(x, w, nil, {padding = 1}), m, v * v + 0.5, g, be, 1e-5)))

kernel("shared_w")
local N = dim("N")
local x = input("x", f32, {N, 5, 12, 24})
local w = weight("w", f32, {9, 5, 3, 3})
output("y", conv2d(x, w, nil, {padding = 1}))
output("s", sum(w, {1, 2, 3}))

kernel("reshaped_w")
local N = dim("N")
local x = input("x", f32, {N, 3, 10, 40})
local w0 = weight("w", f32, {10, 27})
output("y", conv2d(x, reshape(w0, {10, 3, 3, 3}), nil, {padding = 1}))

kernel("grouped")
-- 2 groups of 4 input and 6 output channels: each image's group a batch
-- matrix of the direct kernel, w packed at create group by group
local N = dim("N")
local x = input("x", f32, {N, 8, 14, 30})
local w = weight("w", f32, {12, 4, 3, 3})
local b = weight("b", f32, {12})
output("y", relu(conv2d(x, w, b, {padding = 1, groups = 2})))

kernel("grouped_res")
-- 4 groups of 3 input and 4 output channels, a residual
local N = dim("N")
local x = input("x", f32, {N, 12, 9, 20})
local r = input("r", f32, {N, 16, 9, 20})
local w = weight("w", f32, {16, 3, 3, 3})
output("y", conv2d(x, w, nil, {padding = 1, groups = 4}) + r)

kernel("grouped_input_w")
-- the weight an input: packed by each call, for each batch matrix whose
-- group differs from the last's
local N = dim("N")
local x = input("x", f32, {N, 6, 10, 24})
local w = input("w", f32, {8, 3, 3, 3})
output("y", conv2d(x, w, nil, {padding = 1, groups = 2}))

kernel("grouped_two")
-- 2 output channels a group: taken by the direct kernel (the gather
-- leaves groups of fewer than 4 to loops)
local N = dim("N")
local x = input("x", f32, {N, 8, 9, 20})
local w = weight("w", f32, {8, 2, 3, 3})
local b = weight("b", f32, {8})
output("y", relu(conv2d(x, w, b, {padding = 1, groups = 4})))
