-- An unknown dtype.
-- error: 4: f16
local N = dim("N")
local a = input("a", "f16", {N})
output("c", a)
