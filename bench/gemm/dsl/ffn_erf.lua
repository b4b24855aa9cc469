-- ffn_erf.lua: a transformer's FFN layer, gelu(x @ w^T + b) with the exact
-- (erf) gelu, for x of M rows of 768 and w of 3072 x 768 (issue 6).  w and
-- b are weights (prepacked at create if tensorc will); M is given at run
-- time: the bench runs M = 1, 32 and 128.  ffn_tanh.lua is the same with
-- gelu's tanh form.
local M = dim("M")
local x = input("x", f32, {M, 768})
local w = weight("w", f32, {3072, 768})
local b = weight("b", f32, {3072})
output("y", gelu(linear(x, w, b)))
