-- softmax.lua: a numerically stable softmax over the last axis, twice: with
-- the library function, and written out by hand from max, exp and sum (the
-- two must agree).  Shows reductions with keepdim feeding a broadcast.
--
--   tensorc run examples/softmax.lua --kernel softmax --dim B=32 --dim T=1000 --check
--
-- e2e: B=0,1,7,17,33,100 T=1,2,7,17,100,33
-- demo: B=32 T=1000
kernel("softmax")
local B, T = dim("B"), dim("T")
local x = input("x", f32, {B, T})
output("y", softmax(x, -1))

kernel("by_hand")
local B, T = dim("B"), dim("T")
local x = input("x", f32, {B, T})
local e = exp(x - max(x, -1, true))  -- subtract the row max: exp cannot overflow
output("y", e / sum(e, -1, true))
