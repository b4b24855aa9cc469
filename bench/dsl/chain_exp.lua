-- chain_exp.lua: the chain of chain.lua with exp and tanh added, so that
-- arithmetic rather than the memory bus bounds it (with scalar expf/tanhf,
-- about 40 ns an element): it measures how the work scales with threads.
-- (bench/ew/workloads.c allocates these sizes too, and checks at run time
-- that they match the kernel's.)
local N = 16 * 1024 * 1024
local a = input("a", f32, {N})
local b = input("b", f32, {N})
local c = input("c", f32, {N})
local d = input("d", f32, {N})
output("y", exp(tanh(maximum(a * b + c, 0) * d)))
