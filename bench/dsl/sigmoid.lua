-- sigmoid.lua: y = sigmoid(x) over 16M f32, as gelu.lua (issue 5: a compute-heavy
-- elementwise op, built for TCFLAGS' target and twice for the scalar one).
-- (bench/ew/workloads.c allocates these sizes too, and checks at run time
-- that they match the kernel's.)
local N = 16 * 1024 * 1024
local x = input("x", f32, {N})
output("y", sigmoid(x))
