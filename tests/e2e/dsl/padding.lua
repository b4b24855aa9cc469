-- where-guarded reads: the read in the unselected branch is never made, so
-- this is how zero padding is written (spec/dsl.md).  A 3-tap stencil with
-- padding 1 and a 2-D 3x3 box filter with padding on both axes.
-- e2e: N=1,2,7,17,33,100 M=1,5,3,4,9,2
kernel("stencil")
local N = dim("N")
local x = input("x", f32, {N})
local w = weight("w", f32, {3})
local t = rvar(3)
output("y", compute({N}, function(i)
  local p = i + t - 1
  return sum(t, where(logical_and(ge(p, 0), lt(p, N)), x(p), 0) * w(t))
end))
output("shift", compute({N}, function(i)
  return where(lt(i - 1, 0), 0, x(i - 1))
end))
kernel("box")
local N, M = dim("N"), dim("M")
local x = input("x", f32, {N, M})
local di, dj = rvar(3), rvar(3)
output("y", compute({N, M}, function(i, j)
  local p, q = i + di - 1, j + dj - 1
  local inside = logical_and(logical_and(ge(p, 0), lt(p, N)),
                             logical_and(ge(q, 0), lt(q, M)))
  return sum(di, sum(dj, where(inside, x(p, q), 0))) / 9
end))
