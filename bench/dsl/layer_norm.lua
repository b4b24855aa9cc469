-- layer_norm.lua: layer_norm over the rows of a 4096 x 1024 f32 matrix,
-- with a learned scale and shift (weights, handed over at create time).
-- (bench/ew/workloads.c allocates these sizes too, and checks at run time
-- that they match the kernel's.)
local x = input("x", f32, {4096, 1024})
local gamma = weight("gamma", f32, {1024})
local beta = weight("beta", f32, {1024})
output("y", layer_norm(x, 1, gamma, beta, 1e-5))
