-- softmax and log_softmax on both axes, layer_norm over one and two axes
-- (with and without gamma/beta), rms_norm, and batch_norm in NCHW.
-- e2e: N=1,7,17,33,100 C=1,3,8,5,64
-- (an empty axis: softmax's rows are empty, its row maximum must not
-- fail the kernel as a user's max over nothing does)
-- e2e[soft]: N=1,7,17,33,100,3,0 C=1,3,8,5,64,0,4
kernel("soft")
local N, C = dim("N"), dim("C")
local x = input("x", f32, {N, C})
output("sm1", softmax(x * 4, -1))
output("sm0", softmax(x, 0))
output("lsm1", log_softmax(x * 4, 1))
output("lsm0", log_softmax(x, 0))
output("sm_big", softmax(x * 200, -1))    -- exp(200) overflows f32: must be stable
output("lsm_big", log_softmax(x * 200, -1))
kernel("layer")
local N = dim("N")
local x = input("x", f32, {N, 6, 8})
local g = weight("g", f32, {8})
local b = weight("b", f32, {8})
local g2 = weight("g2", f32, {6, 8})
output("ln1", layer_norm(x, 1, g, b, 1e-5))
output("ln2", layer_norm(x, 2, g2, nil, 1e-5))
output("ln_plain", layer_norm(x, 1, nil, nil, 1e-6))
output("rms", rms_norm(x, g, 1e-6))
kernel("batch")
local N = dim("N")
local x = input("x", f32, {N, 4, 3, 5})
local mu = weight("mu", f32, {4})
local var = weight("var", f32, {4})
local g = weight("gamma", f32, {4})
local b = weight("beta", f32, {4})
output("bn", batch_norm(x, mu, var * var + 0.5, g, b, 1e-5))
