-- A kernel without outputs is an error at its kernel() line.
-- error: 3: output
kernel("empty")
local x = input("x", f32, {3})
kernel("full")
output("y", input("x", f32, {3}))
