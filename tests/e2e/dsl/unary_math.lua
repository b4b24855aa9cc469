-- Every transcendental unary function on f32, in one fused kernel; inputs are
-- moved into each function's domain first (x is uniform in [-1, 1)).
-- e2e: N=0,1,7,17,33,100
local N = dim("N")
local x = input("x", f32, {N})
local pos = abs(x) + 0.25            -- in [0.25, 1.25): a domain for log, sqrt
output("y_exp", exp(x))
output("y_exp2", exp2(x * 3))
output("y_log", log(pos))
output("y_log2", log2(pos))
output("y_log1p", log1p(x * 0.9))
output("y_expm1", expm1(x))
output("y_sqrt", sqrt(pos))
output("y_rsqrt", rsqrt(pos))
output("y_reciprocal", reciprocal(pos))
output("y_sin", sin(x * 3))
output("y_cos", cos(x * 3))
output("y_tanh", tanh(x * 3))
output("y_sigmoid", sigmoid(x * 6))
output("y_erf", erf(x * 2))
output("y_method", x:exp():tanh())   -- x:f() is f(x)
