-- chain.lua: a fused elementwise chain with broadcasting.
--
-- maximum(a*b + c, 0) * d followed by a gelu: tensorc fuses the whole chain
-- into one loop that reads each input once and writes the result once; `c`
-- (a row vector) and `d` (a column vector) broadcast as in NumPy.
--
--   tensorc run examples/chain.lua --dim N=1000 --dim M=64 --check
--   tensorc build examples/chain.lua -o out     # out/chain.c, out/chain.h
--
-- e2e: N=0,1,7,17,33,100 M=1,3,8,17,33,64
-- demo: N=1000 M=64
local N, M = dim("N"), dim("M")
local a = input("a", f32, {N, M})
local b = input("b", f32, {N, M})
local c = input("c", f32, {M})       -- broadcasts over the rows
local d = input("d", f32, {N, 1})    -- broadcasts over the columns

local y = maximum(a * b + c, 0) * d
output("y", gelu(y) + 0.5 * y)
