-- Vector tails of elementwise ops (issue 5): every unary function and
-- activation, the binary ops, comparisons, logic, where and clamp, on rows
-- of every length 1..33 (2 * 16 + 1: two AVX-512 f32 vectors and one lane,
-- so every tail of AVX2's 8 lanes and AVX-512's 16) and of 1000 and 4097,
-- N given at run time; and at 1..33 on inputs with special values (san
-- lines with specials=1: NaN, +-inf, +-0, denormals, +-100, exp's edges,
-- halves; see tools/harness.c).  Step 6 of run.sh runs the same cases on
-- every target.  The inputs are R x N (R = 2), and each kernel has a row
-- sum among its outputs: then its outputs share a loop over the rows, and
-- each output's loop over N is vectorized on its own.  (Several
-- elementwise outputs alone make one flat loop, which stays scalar so far:
-- `tensorc ir --after vectorize`.)  `flat` is the 1-D case, one output.
-- tails_static.lua has the static extents, tails_rows.lua the reductions.
-- e2e: R=2 N=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,1000,4097
-- san: R=2 N=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,1000,4097
-- san: R=2 N=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33 specials=1
kernel("unary")
local R, N = dim("R"), dim("N")
local x = input("x", f32, {R, N})
local w = x * 12                        -- [-12, 12), and the specials times 12
output("rowsum", sum(x, -1))            -- a loop over rows (see above)
output("abs", abs(x))
output("neg", -x)
output("exp", exp(w))
output("exp_x", exp(x))                 -- exp(88.7) is finite, exp(100) inf, exp(-100) 0
output("exp2", exp2(w))
output("log", log(abs(w)))
output("log_x", log(x))                 -- NaN below 0, -inf at +-0, denormal inputs
output("log2", log2(abs(w)))
output("log1p", log1p(x))
output("expm1", expm1(x))
output("sqrt", sqrt(x))
output("rsqrt", rsqrt(x))               -- of a denormal: finite (about 1e20)
output("reciprocal", reciprocal(x))     -- of the largest denormal: finite
output("sin", sin(w))
output("cos", cos(w))
output("tanh", tanh(w))
output("tanh_small", tanh(x * 1e-3) * 1e3)  -- near 0 without losing digits
output("sigmoid", sigmoid(w))
output("erf", erf(x * 3))
output("floor", floor(w))
output("ceil", ceil(w))
output("round", round(floor(w * 2) * 0.5))  -- exact halves: to even
output("trunc", trunc(w))
output("sign", sign(x))
output("relu", relu(w))
output("relu6", relu6(w))
output("silu", silu(w))
output("gelu", gelu(w))
output("gelu_tanh", gelu_tanh(w))
output("softplus", softplus(w))
output("hardswish", hardswish(w))
output("leaky_relu", leaky_relu(w, 0.1))
kernel("binary")
local R, N = dim("R"), dim("N")
local a = input("a", f32, {R, N})
local b = input("b", f32, {R, N})
local c = input("c", f32, {R, N})
output("add", a + b)
output("sub", a - b)
output("mul", a * b)
output("div", a / b)
output("fma", a * b + c)
output("chain", maximum(a * b + c, 0) * b)
output("floordiv", a // b)
output("mod", a % b)
output("pow", pow(abs(a) * 4, b * 3))
output("pow2", pow(a, 2))
output("maximum", maximum(a, b))        -- NaN propagates
output("minimum", minimum(a, b))
output("scalar", a * 2.5 - 1)
local i = input("i", i32, {R, N})
output("rowsum", sum(a, -1))            -- a loop over rows (see above)
local fa, fb = floor(a * 2), floor(b * 2)   -- equal often
output("eq", cast(eq(fa, fb), u8))
output("ne", cast(ne(a, b), i32))
output("lt", cast(lt(a, b), f32))
output("le", cast(le(fa, fb), u8))
output("gt", cast(gt(a, b), i8))
output("ge", cast(ge(i, 0), u8))
output("isnan", cast(ne(a, a), u8))
output("and", cast(logical_and(gt(a, 0), lt(b, 0)), u8))
output("or", cast(logical_or(gt(a, 0), lt(b, 0)), f32))
output("not", cast(logical_not(gt(a, b)), u8))
output("where", where(gt(a, b), a, b))  -- a NaN compares false
output("where_nan", where(ne(a, a), 0, a))
output("where_i", where(lt(i, 0), 0, i))
output("clamp", clamp(a, -0.5, 0.5))
output("clamp_i", clamp(i, -2, 2))
kernel("flat")
local N = dim("N")
local a = input("a", f32, {N})
local b = input("b", f32, {N})
output("y", maximum(a * b + 0.5, 0) * exp(a) - b)
