-- layernorm.lua: a transformer's pre-norm, layer_norm over the feature
-- axis with learned gamma and beta (weights, handed over once at create
-- time), followed by a residual add; and the RMSNorm variant.
--
--   tensorc run examples/layernorm.lua --kernel layernorm --dim B=8 --dim T=128 --check
--
-- e2e: B=0,1,2,3,1 T=1,7,17,33,100
-- demo: B=8 T=128
kernel("layernorm")
local B, T = dim("B"), dim("T")
local x = input("x", f32, {B, T, 256})
local gamma = weight("gamma", f32, {256})
local beta = weight("beta", f32, {256})
output("y", layer_norm(x, 1, gamma, beta, 1e-5) + x)

kernel("rmsnorm")
local B, T = dim("B"), dim("T")
local x = input("x", f32, {B, T, 256})
local gamma = weight("gamma", f32, {256})
output("y", rms_norm(x, gamma, 1e-6))
