-- parallel over the innermost loop, which vectorize splits into blocks.
-- error: 4: schedule: parallel = 0 makes the innermost loop parallel
local x = input("x", f32, {100})
local y = x * 2; schedule(y, { vectorize = 8, parallel = 0 })
output("y", y)
