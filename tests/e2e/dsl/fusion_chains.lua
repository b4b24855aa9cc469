-- Patterns of the fuse pass (passes/fuse.c, docs/fusion.md): each kernel
-- is fused, and must still compute what the reference interpreter does.
-- e2e: N=0,1,7,17,33,100 C=1,3,16,5,33,4
-- e2e: N=300 C=2000
kernel("chain") -- the chain of issue 4, one loop
local N = dim("N")
local a, b = input("a", f32, {N}), input("b", f32, {N})
local c, d = input("c", f32, {N}), input("d", f32, {N})
output("y", maximum(a * b + c, 0) * d)
output("e", exp(tanh(maximum(a * b + c, 0) * d)))
kernel("bcast") -- broadcast operands, cheap broadcast producers inlined
local N, C = dim("N"), dim("C")
local x = input("x", f32, {N, C})
local g = input("g", f32, {C})
local s = input("s", f32, {N, 1})
output("y", relu(x * (g - 1) + s * 2))
output("z", x + exp(g)) -- exp(g) is not recomputed per row: it stays
kernel("colsum") -- producers fused into a reduction over rows
local N, C = dim("N"), dim("C")
local x = input("x", f32, {N, C})
local sc, bi = input("sc", f32, {C}), input("bi", f32, {C})
output("y", sum(x * sc + bi, 0))
output("m", max(abs(x - bi), 1))
kernel("sliced") -- a reader needing only part of the producer
local N, C = dim("N"), dim("C")
local x = input("x", f32, {N, C})
local t = x * 3 - 1
output("y", slice(t, 1, 1, 1000000) + 2)
output("w", where(gt(x, 0), sqrt(abs(x) + 1), -x))
kernel("ints") -- integer chains, casts, and a divisor that may be 0 stays
local N = dim("N")
local i = input("i", i32, {N})
local k = input("k", i64, {N})
output("y", cast(i * 3 + 1, f32) * 0.5)
output("q", (k * k + 1) // 3 - i)
