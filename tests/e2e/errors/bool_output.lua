-- A bool value must be cast before it is an output.
-- error: 4: bool
local x = input("x", f32, {3})
output("y", gt(x, 0))
