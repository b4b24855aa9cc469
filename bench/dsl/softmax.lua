-- softmax.lua: softmax over the rows of a 4096 x 1024 f32 matrix.
-- (bench/ew/workloads.c allocates these sizes too, and checks at run time
-- that they match the kernel's.)
local x = input("x", f32, {4096, 1024})
output("y", softmax(x, -1))
