-- batch_norm after conv2d folded into the convolution's weights and bias
-- at create (passes/fold.c), and values of the weights alone computed by
-- P_create (passes/precompute.c): with and without the conv's bias, with
-- and without gamma and beta, a residual after the batch norm, a grouped
-- convolution; a batch norm whose mean is an input (not folded); a
-- packed B (NHWC, matmul) that is itself computed from weights at create.
-- The variances are v * v + 0.5: the generated weights are in [-1, 1).
-- e2e: N=1,2,1,2 H=1,7,17,9 W=1,5,17,40
-- threads: N=2 H=40 W=40
-- threads[matmul_scaled]: N=3000
kernel("bias_relu")
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, 12, H, W})
local w = weight("w", f32, {20, 12, 3, 3})
local b = weight("b", f32, {20})
local m, v = weight("m", f32, {20}), weight("v", f32, {20})
local g, be = weight("g", f32, {20}), weight("be", f32, {20})
output("y", relu(batch_norm(conv2d(x, w, b, {padding = 1}), m, v * v + 0.5, g, be, 1e-5)))
kernel("nobias")
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, 8, H, W})
local w = weight("w", f32, {16, 8, 1, 1})
local m, v = weight("m", f32, {16}), weight("v", f32, {16})
local g, be = weight("g", f32, {16}), weight("be", f32, {16})
output("y", silu(batch_norm(conv2d(x, w), m, v * v + 0.5, g, be, 1e-3)))
kernel("plain")
-- no gamma, no beta, a stride
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, 6, H, W})
local w = weight("w", f32, {10, 6, 3, 3})
local b = weight("b", f32, {10})
local m, v = weight("m", f32, {10}), weight("v", f32, {10})
output("y", batch_norm(conv2d(x, w, b, {padding = 1, stride = 2}), m, v * v + 0.5, nil, nil, 1e-5))
kernel("residual")
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, 16, H, W})
local w = weight("w", f32, {16, 16, 3, 3})
local m, v = weight("m", f32, {16}), weight("v", f32, {16})
local g, be = weight("g", f32, {16}), weight("be", f32, {16})
output("y", relu(batch_norm(conv2d(x, w, nil, {padding = 1}), m, v * v + 0.5, g, be, 1e-5) + x))
kernel("grouped")
-- depthwise: folded too (axis 0 of w is the output channel)
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, 8, H, W})
local w = weight("w", f32, {8, 1, 3, 3})
local m, v = weight("m", f32, {8}), weight("v", f32, {8})
local g, be = weight("g", f32, {8}), weight("be", f32, {8})
output("y", relu6(batch_norm(conv2d(x, w, nil, {padding = 1, groups = 8}), m, v * v + 0.5, g, be, 1e-5)))
kernel("mean_input")
-- the mean is an input: not folded, the batch norm runs after the conv
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, 6, H, W})
local w = weight("w", f32, {10, 6, 3, 3})
local m = input("m", f32, {10})
local v, g = weight("v", f32, {10}), weight("g", f32, {10})
output("y", relu(batch_norm(conv2d(x, w, nil, {padding = 1}), m, v * v + 0.5, g, nil, 1e-5)))
kernel("conv_read_twice")
-- the conv's result is read twice: not folded
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, 6, H, W})
local w = weight("w", f32, {10, 6, 3, 3})
local m, v = weight("m", f32, {10}), weight("v", f32, {10})
local c = conv2d(x, w, nil, {padding = 1})
output("y", batch_norm(c, m, v * v + 0.5, nil, nil, 1e-5) + c)
kernel("nhwc_scaled")
-- B of the NHWC template computed from weights at create, then packed
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, H, W, 12})
local w = weight("w", f32, {3, 3, 12, 20})
local s = weight("s", f32, {20})
output("y", relu(conv2d(x, w * s, nil, {padding = 1, layout = "NHWC"})))
kernel("matmul_scaled")
-- a matmul's B and bias computed from weights at create
local N = dim("N")
local x = input("x", f32, {N, 24})
local w = weight("w", f32, {24, 40})
local s, b = weight("s", f32, {40}), weight("b", f32, {40})
output("y", gelu(matmul(x, w * abs(s)) + b * 2))
