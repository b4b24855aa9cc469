-- Names beginning with tc_ are reserved.
-- error: 3: tc_
local x = input("tc_x", f32, {3})
output("c", x)
