-- A reduction variable used outside a reduction that binds it.
-- error: 7: outside
local N = dim("N")
local x = input("x", f32, {N})
local k = rvar(N)
output("y", compute({N}, function(i)
  return x(k)
end))
