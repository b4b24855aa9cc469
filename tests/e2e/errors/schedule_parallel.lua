-- parallel loops that can fail (a bounds-checked compute body) are refused.
-- error: 6: schedule: parallel: the loops of this tensor can fail
local x = input("x", f32, {8})
local i = input("i", i64, {8})
local y = compute({8}, function(j) return x(i(j)) end)
schedule(y, { parallel = 0 })
output("y", y)
