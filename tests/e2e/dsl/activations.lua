-- The activation functions, on inputs spread over [-6, 6) so that every
-- piece of relu6, hardswish, softplus and the gelus is exercised.
-- e2e: N=0,1,7,17,33,100 M=1,3,4,5,8,2
local N, M = dim("N"), dim("M")
local x = input("x", f32, {N, M}) * 6
output("y_relu", relu(x))
output("y_relu6", relu6(x))
output("y_silu", silu(x))
output("y_gelu", gelu(x))
output("y_gelu_tanh", gelu_tanh(x))
output("y_softplus", softplus(x))
output("y_hardswish", hardswish(x))
output("y_leaky", leaky_relu(x, 0.1))
output("y_clamp", clamp(x, -2, 3.5))
output("y_sigmoid", sigmoid(x))
