-- Operations of the specification not implemented yet fail at their line.
-- error: 5: conv2d
local x = input("x", f32, {1, 3, 8, 8})
local w = weight("w", f32, {4, 3, 3, 3})
output("y", conv2d(x, w))
