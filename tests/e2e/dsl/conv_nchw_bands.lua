-- NCHW conv2d run as NHWC with the input read in place (docs/gemm.md,
-- amode 2): rather than P_run copying the whole image to NHWC first, each
-- task of the GEMM template copies the input rows of its band of output
-- rows, then computes the band.  Images of more than one band (about
-- 256 KiB of input rows each: 19 x 64 x 70 floats make 2 at one thread),
-- 19 channels (AVX-512: 16 + 3; AVX2: 8 + 8 + 3) and widths off the
-- vector lengths, stride 2 and (2, 1), dilation, asymmetric padding,
-- output rows that read only padding, and two convolutions of one input
-- (their NHWC copy is then shared, made once by P_run: the old path).
-- e2e: N=1,2,1,1 H=64,9,3,1 W=70,13,2,17
-- threads: N=2 H=64 W=64
kernel("s2")
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, 19, H, W})
local w = weight("w", f32, {21, 19, 3, 3})
local b = weight("b", f32, {21})
output("y", relu(conv2d(x, w, b, {stride = 2, padding = 1})))
kernel("dilated")
-- e2e[dilated]: N=1,2,1 H=64,9,5 W=70,13,3
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, 19, H, W})
local w = weight("w", f32, {40, 19, 5, 3})
output("y", conv2d(x, w, nil, {stride = {2, 1}, padding = {3, 0}, dilation = {2, 1}}) * 0.5)
kernel("pad_rows")
-- padding 3 around a 3x3 window of stride 2: the first output row reads
-- padding only
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, 19, H, W})
local w = weight("w", f32, {33, 19, 3, 3})
local b = weight("b", f32, {33})
output("y", sigmoid(conv2d(x, w, b, {stride = 2, padding = 3})))
kernel("shared")
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, 19, H, W})
local w = weight("w", f32, {21, 19, 3, 3})
local w2 = weight("w2", f32, {21, 19, 3, 3})
output("y", conv2d(x, w, nil, {stride = 2, padding = 1}) + conv2d(x, w2, nil, {stride = 2, padding = 1}))
