-- Scalars: inputs and outputs of shape {}, Lua numbers in every position,
-- and reductions to a scalar.
-- e2e: N=0,1,7,100
local N = dim("N")
local s = input("s", f32, {})
local k = input("k", i64, {})
local v = input("v", f32, {N})
output("s2", s * s + 1)
output("k3", k * 3 - 7)
output("sv", v * s + 2)
output("mean_v", mean(v) * 1)
output("sum_k", sum(v) + cast(k, f32))
output("lit", 1.5 + s * 0)
