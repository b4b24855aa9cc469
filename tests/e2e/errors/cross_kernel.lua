-- A value of one kernel cannot be used in another.
-- error: 7: kernel
kernel("one")
local x = input("x", f32, {3})
output("y", x * 2)
kernel("two")
output("y", x + 1)
