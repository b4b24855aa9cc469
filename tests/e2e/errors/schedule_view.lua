-- A schedule on a tensor that has no loops of its own (a view).
-- error: 5: schedule: this tensor has no loops of its own
local x = input("x", f32, {4, 6})
local v = reshape(x, {6, 4})
schedule(v, { tile = {2, 2} })
output("y", v + 1)
