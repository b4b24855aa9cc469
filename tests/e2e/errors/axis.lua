-- A reduction over an axis that does not exist.
-- error: 5: axis
local N = dim("N")
local a = input("a", f32, {N, 4})
output("c", sum(a, 2))
