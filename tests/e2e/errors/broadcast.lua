-- Shapes that do not broadcast are an error at the line of the operation.
-- error: 6: broadcast
local N = dim("N")
local a = input("a", f32, {N, 4})
local b = input("b", f32, {N, 5})
output("c", a + b)
