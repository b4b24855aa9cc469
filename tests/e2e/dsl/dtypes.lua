-- The same chain on every dtype of arguments: f64 end to end, i8 and u8
-- storage with i32 arithmetic, i64 reductions.  max and min over an empty
-- axis are TC_EINVAL, hence the failing case N=0.
-- e2e: N=1,7,17,33,100
-- e2e-fail: N=0
local N = dim("N")
local d = input("d", f64, {N})
local b = input("b", i8, {N})
local u = input("u", u8, {N})
local l = input("l", i64, {N})
output("d_chain", tanh(d * 2) + exp(d) * 1e-3)
output("d_sum", sum(d * d))
output("b_wide", cast(b, i32) * 1000 + cast(u, i32))
output("u_max", max(u))
output("b_min", min(b))
output("l_prod", prod(l % 3 + 1))
output("l_mean", mean(cast(l % 1000, f64)))
