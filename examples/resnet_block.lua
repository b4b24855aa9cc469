-- resnet_block.lua: a ResNet basic block for inference, NCHW:
--
--   y = relu(bn2(conv3x3(relu(bn1(conv3x3(x))))) + x)
--
-- with the batch norms in inference form (running mean and variance,
-- gamma and beta: weights handed over once).  Each batch_norm is folded
-- into the weights and bias of the convolution before it, computed once
-- by P_create (`tensorc ir examples/resnet_block.lua --after fold`), so
-- each convolution's epilogue is its bias and relu; the residual add
-- reads x again.  C = 16 channels, H x W images of any size (padding 1
-- keeps the size).
--
--   tensorc run examples/resnet_block.lua --dim N=2 --dim H=32 --dim W=32 --check
--
-- e2e: N=1,2,1,1,2 H=1,7,17,33,5 W=1,5,17,9,100
-- demo: N=4 H=32 W=32
local N, H, W = dim("N"), dim("H"), dim("W")
local C = 16
local x = input("x", f32, {N, C, H, W})
local w1 = weight("w1", f32, {C, C, 3, 3})
local w2 = weight("w2", f32, {C, C, 3, 3})
local function bn(name)
  return weight(name .. "_mean", f32, {C}), weight(name .. "_var", f32, {C}),
         weight(name .. "_gamma", f32, {C}), weight(name .. "_beta", f32, {C})
end
local m1, v1, g1, b1 = bn("bn1")
local m2, v2, g2, b2 = bn("bn2")
-- the generated variances are in [-1, 1): abs keeps rsqrt finite
local h = relu(batch_norm(conv2d(x, w1, nil, {padding = 1}), m1, abs(v1) + 0.5, g1, b1, 1e-5))
local y = batch_norm(conv2d(h, w2, nil, {padding = 1}), m2, abs(v2) + 0.5, g2, b2, 1e-5)
output("y", relu(y + x))
