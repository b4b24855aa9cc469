-- int8_linear.lua: an int8 linear layer written the way PyTorch's PT2E
-- quantization exports it: the float input is quantized to u8, every op
-- reads dequantized values, and the result is quantized again:
--
--   xq = quantize(x, 0.02, 128, u8)
--   y  = relu(linear(dequantize(xq), dequantize_per_channel(wq), b))
--   q  = quantize(y, 0.05, 0, u8)
--
-- tensorc recognizes dequantize -> linear -> relu -> quantize and runs it
-- as one integer operation (u8 x i8 products summed in i32, then scaled,
-- biased, activated and requantized in f32); see `tensorc ir
-- examples/int8_linear.lua --after quant` and docs/quantization.md.  The
-- result equals the float reference of the same graph within one
-- quantization step (what --check allows for quantized outputs).
--
--   tensorc run examples/int8_linear.lua --dim B=64 --check
--
-- e2e: B=1,7,17,33,100
-- demo: B=256
local B = dim("B")
local x = input("x", f32, {B, 64})
local wq = weight("wq", i8, {32, 64})
local w_scales = weight("w_scales", f32, {32})
local w_zero_points = weight("w_zero_points", i32, {32})
local b = weight("b", f32, {32})
local xq = quantize(x, 0.02, 128, u8)
local w = dequantize_per_channel(wq, abs(w_scales) * 0.01 + 0.001, w_zero_points * 0, 0)
local y = relu(linear(dequantize(xq, 0.02, 128), w, b))
output("q", quantize(y, 0.05, 0, u8))
