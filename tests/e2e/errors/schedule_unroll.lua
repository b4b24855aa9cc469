-- unroll writes the body out that many times: it is bounded.
-- error: 4: schedule: unroll = 4096 is too large (at most 64)
local x = input("x", f32, {100})
local y = x * 2; schedule(y, { unroll = 4096 })
output("y", y)
