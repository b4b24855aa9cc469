-- An error inside a helper function of the user's names the helper's line.
-- error: 5: broadcast
local N = dim("N")
local function addup(a, b)
  local s = a + b
  return s
end
output("y", addup(input("a", f32, {N, 2}), input("b", f32, {N, 3})))
