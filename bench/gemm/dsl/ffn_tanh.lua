-- ffn_tanh.lua: gelu_tanh(x @ w^T + b), as ffn_erf.lua with gelu's tanh
-- form (PyTorch's approximate='tanh').
local M = dim("M")
local x = input("x", f32, {M, 768})
local w = weight("w", f32, {3072, 768})
local b = weight("b", f32, {3072})
output("y", gelu_tanh(linear(x, w, b)))
