-- A C keyword is not a valid name.
-- error: 3: keyword
local x = input("int", f32, {3})
output("c", x)
