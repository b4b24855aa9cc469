-- chain.lua: the elementwise chain of issue 4, over 16M f32.
--
-- Memory-bound: four inputs read and one output written, three flops an
-- element.  Fused, it is one pass over memory (5 x 64 MiB); unfused, every
-- op is a pass that writes a full 64 MiB temporary.
-- (bench/ew/workloads.c allocates these sizes too, and checks at run time
-- that they match the kernel's.)
local N = 16 * 1024 * 1024
local a = input("a", f32, {N})
local b = input("b", f32, {N})
local c = input("c", f32, {N})
local d = input("d", f32, {N})
output("y", maximum(a * b + c, 0) * d)
