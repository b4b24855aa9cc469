-- conv2d in NCHW and NHWC: stride, padding, dilation, groups (depthwise
-- included) and bias, on awkward sizes; every kernel checked against the
-- reference interpreter, and the generated C run under the sanitizers on
-- exactly sized buffers (padding never reads outside x).
-- e2e: N=1,2,1,2,1 H=1,7,17,33,100 W=1,5,17,9,3
-- (the GEMM template's kernels go parallel from 262144 multiply-adds on)
-- threads[nchw]: N=2 H=100 W=100
-- threads[strided]: N=2 H=200 W=200
-- threads[nhwc]: N=2 H=100 W=100
-- threads[depthwise_vec]: N=2 H=100 W=100
-- threads[depthwise_mult]: N=2 H=100 W=100
kernel("nchw")
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, 3, H, W})
local w = weight("w", f32, {4, 3, 3, 3})
local b = weight("b", f32, {4})
output("y", conv2d(x, w, b, {padding = 1}))
kernel("strided")
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, 2, H, W})
local w = weight("w", f32, {3, 2, 3, 2})
output("y", conv2d(x, w, nil, {stride = {2, 3}, padding = {2, 1}, dilation = {2, 1}}))
kernel("groups")
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, 4, H, W})
local w = weight("w", f32, {6, 2, 1, 3})
local b = weight("b", f32, {6})
output("y", conv2d(x, w, b, {groups = 2, padding = {0, 1}}))
kernel("depthwise_nhwc")
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, H, W, 5})
local w = weight("w", f32, {3, 3, 1, 5})
local b = weight("b", f32, {5})
output("y", conv2d(x, w, b, {groups = 5, padding = 1, layout = "NHWC"}))
kernel("depthwise_vec")
-- depthwise NHWC in vectors along the channels (40: two AVX-512 vectors
-- and a masked tail), its padding's where() one condition for all lanes,
-- the bias, the activation and a residual in the convolution's loop
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, H, W, 40})
local w = weight("w", f32, {3, 2, 1, 40})
local b = weight("b", f32, {40})
local y = conv2d(x, w, b, {groups = 40, stride = {2, 1}, padding = {1, 2}, dilation = {1, 2},
                           layout = "NHWC"})
output("y", silu(y) + 1)
kernel("depthwise_mult")
-- two output channels per input channel (a gather along the channels:
-- scalar), NCHW depthwise (the padding's condition differs from lane to
-- lane: scalar)
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, H, W, 6})
local w = weight("w", f32, {3, 3, 1, 12})
output("y", conv2d(x, w, nil, {groups = 6, padding = 1, layout = "NHWC"}))
local xc = input("xc", f32, {N, 6, H, W})
local wc = weight("wc", f32, {6, 1, 3, 3})
output("yc", relu(conv2d(xc, wc, nil, {groups = 6, padding = 1})))
kernel("nhwc")
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, H, W, 3})
local w = weight("w", f32, {2, 2, 3, 4})
output("y", conv2d(x, w, nil, {stride = 1, padding = 1, layout = "NHWC"}))
kernel("ints")
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", i32, {N, 2, H, W})
local w = weight("w", i32, {2, 2, 3, 3})
output("y", conv2d(x, w, nil, {padding = 1}))
kernel("bf")
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", bf16, {N, H, W, 4})
local w = weight("w", bf16, {3, 3, 2, 4})
local b = weight("b", bf16, {4})
output("y", conv2d(x, w, b, {padding = 1, groups = 2, layout = "NHWC"}))
kernel("empty")
-- no output channels: an empty output (and a weight of no elements); the
-- thread-count step runs it at dims of 1
-- e2e[empty]: N=0,0 H=5,1 W=5,1
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, 4, H, W})
local w = weight("w", f32, {0, 4, 3, 3})
output("y", conv2d(x, w, nil, {padding = 1}))
