-- colsum.lua: a reduction over the rows (axis 0) of an affine map of a
-- 4096 x 1024 f32 matrix: every output element sums a strided column, so
-- the inner loop must run along the rows of x, not down its columns.
-- (bench/ew/workloads.c allocates these sizes too, and checks at run time
-- that they match the kernel's.)
local x = input("x", f32, {4096, 1024})
local scale = input("scale", f32, {1024})
local bias = input("bias", f32, {1024})
output("y", sum(x * scale + bias, 0))
