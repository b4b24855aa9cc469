-- Fixed inner extents of a matmul that differ are an error at build time.
-- error: 5: inner
local a = input("a", f32, {3, 4})
local b = input("b", f32, {5, 2})
output("y", matmul(a, b))
