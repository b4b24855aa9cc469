-- bf16_mlp.lua: a two-layer MLP in bf16, y = linear(gelu(linear(x, w1, b1)),
-- w2, b2), with bf16 arguments, weights and intermediates.  Arithmetic is
-- done in f32 (the linears accumulate in f32) and every stored value is
-- rounded to bf16 (round to nearest even), as PyTorch's bf16 autocast does.
--
--   tensorc run examples/bf16_mlp.lua --dim B=64 --check
--
-- e2e: B=1,7,17,33,100
-- demo: B=256
local B = dim("B")
local x = input("x", bf16, {B, 64})
local w1 = weight("w1", bf16, {128, 64})
local b1 = weight("b1", bf16, {128})
local w2 = weight("w2", bf16, {32, 128})
local b2 = weight("b2", bf16, {32})
output("y", linear(gelu(linear(x, w1, b1)), w2, b2))
