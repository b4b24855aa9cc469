-- NCHW conv2d run as NHWC with the input read in place (docs/gemm.md,
-- amode 2): rather than P_run copying the whole image to NHWC first, each
-- task of the GEMM template copies the input rows of its band of output
-- rows, then computes the band.  Images of more than one band (about
-- 256 KiB of input rows each: 19 x 64 x 70 floats make 2 at one thread),
-- 19 channels (AVX-512: 16 + 3; AVX2: 8 + 8 + 3) and widths off the
-- vector lengths, stride 2 and (2, 1), dilation, asymmetric padding,
-- output rows that read only padding, two convolutions of one input
-- (their NHWC copy is then shared, made once by P_run: the old path), and
-- crops of the input fused into its copy (the old path too: x is larger
-- than the copy).  At the thread-count step's size, 19 x 128 x 128 floats
-- make 5 bands at one thread and 6 at two and three.
-- e2e: N=1,2,1,1 H=64,9,3,1 W=70,13,2,17
-- threads: N=1 H=128 W=128
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
kernel("crop")
-- e2e[crop]: N=1,2,2 H=20,9,64 W=33,13,70
local N, H, W = dim("N"), dim("H"), dim("W")
local x = input("x", f32, {N, 19, H, W})
local w = weight("w", f32, {21, 19, 3, 3})
local w16 = weight("w16", f32, {21, 16, 3, 3})
output("y", conv2d(slice(x, 3, 0, W - 1), w, nil, {stride = 2, padding = 1}))
output("y2", conv2d(slice(x, 2, 0, H - 1), w, nil, {stride = 2, padding = 1}))
output("y3", conv2d(slice(x, 1, 0, 16), w16, nil, {stride = 2, padding = 1}))
