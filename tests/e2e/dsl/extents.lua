-- Extent arithmetic: shapes like N - 2, 2*N and (N - 3)//2 + 1, checked at
-- run time; an extent that is negative is TC_EINVAL (N - 2 for N < 2;
-- at N = 2 both N - 2 and (N - 3)//2 + 1 are 0, as // floors).
-- e2e: N=2,3,4,7,17,33,100
-- e2e-fail: N=0,1
-- san: N=2
-- san: N=3
-- san: N=8
-- san: N=1 rc=-1
local N = dim("N")
local x = input("x", f32, {N})
local z = input("z", f32, {2 * N})
local t = rvar(3)
output("valid", compute({N - 2}, function(i)       -- a 3-tap valid filter
  return sum(t, x(i + t))
end))
output("strided", compute({(N - 3) // 2 + 1}, function(i)
  return x(2 * i) + x(2 * i + 2)
end))
output("halves", reshape(z, {2, N}) * 2)
output("joined", concat({x, x * 2}, 0) + z)
