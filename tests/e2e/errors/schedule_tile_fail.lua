-- Tiles would change which failing element is found first.
-- error: 6: schedule: tile: the loops of this tensor can fail
local N = dim("N")
local D = input("D", i32, {N, N})
local y = compute({N, N}, function(i, j) return 1 // D(i, j) end)
schedule(y, { tile = {2, 2} })
output("y", y)
