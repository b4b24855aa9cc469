-- Row nests (passes/nest.c): softmax, log_softmax, layer_norm, rms_norm
-- with static rows (their temporaries become rows on the stack) and
-- symbolic ones (full-size temporaries visited a row at a time), sibling
-- outputs sharing an intermediate (horizontal fusion), kept dims of
-- extent 1, rows of 1 and of more than the 32 reduction lanes, and a
-- 3-D tensor whose nest shares two axes.
-- e2e: N=1,7,17,33,100 C=1,3,31,33,100
kernel("rows_static")
local N = dim("N")
local x = input("x", f32, {N, 77})
local g = weight("g", f32, {77})
local b = weight("b", f32, {77})
output("sm", softmax(x * 3, -1))
output("lsm", log_softmax(x * 3, -1))
output("ln", layer_norm(x, 1, g, b, 1e-5))
output("rms", rms_norm(x, g, 1e-6))
output("se", sum(exp(x - max(x, -1, true)), -1))
kernel("rows_symbolic")
local N, C = dim("N"), dim("C")
local x = input("x", f32, {N, C})
output("sm", softmax(x * 3, -1))
output("ln", layer_norm(x, 1, nil, nil, 1e-5))
output("mx", max(x, -1, true) + min(x, -1, true))
kernel("siblings")
local N, C = dim("N"), dim("C")
local a = input("a", f32, {N, C})
local b = input("b", f32, {C})
local t = tanh(a * b)
output("y", t + 1)
output("z", t * t - a)
output("w", sum(t, -1))
kernel("rows3d")
local N = dim("N")
local x = input("x", f64, {N, 5, 40})
output("sm", softmax(x, -1))
output("mean", mean(x, -1, true) * x)
-- Two maxima over rows of different lengths in one nest: each keeps its
-- own "max of nothing" check (an empty row of b is an error even when a's
-- check passes), and an argument named like a word of the generated
-- comments ("a", "sum") is not captured by the pool's outlined loops.
-- e2e[empty_max]: N=3 K=2 C=5
-- e2e-fail[empty_max]: N=2 K=0 C=0
kernel("empty_max")
local N, K, C = dim("N"), dim("K"), dim("C")
local a = input("a", f32, {N, K, C})
local b = input("b", f32, {N, C})
output("ma", max(a, -1))
output("mb", max(b, -1))
kernel("words")
local N = dim("N")
local sum_ = input("sum", f32, {N, 100})
local a = input("a", f32, {7})
output("y", sum(sum_, -1))
output("z", a + 1)
