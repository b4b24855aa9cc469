-- conv1d.lua: operations the library lacks, written in index notation.
--
-- Kernel `conv1d`: a 1-D convolution over a sequence of length L with Cin
-- input and Cout output channels, kernel size 5, "same" zero padding (2 on
-- each side).  The padding is a where(): the read in the branch that is
-- not selected is never performed, so x(c, p) is never read out of bounds.
--
-- Kernel `bmv`: a batched matrix-vector product, one matrix per batch
-- entry, with a reduction variable over the shared extent.
--
--   tensorc run examples/conv1d.lua --kernel conv1d --dim L=1000 --check
--
-- e2e: L=1,2,7,17,33,100 B=0,1,3,7,2,5 N=1,7,17,4,33,2
-- demo: L=1000 B=16 N=64
kernel("conv1d")
local L = dim("L")
local Cin, Cout, KW, PAD = 8, 16, 5, 2
local x = input("x", f32, {Cin, L})
local w = weight("w", f32, {Cout, Cin, KW})
local bias = weight("bias", f32, {Cout})
local c, t = rvar(Cin), rvar(KW)
output("y", compute({Cout, L}, function(o, i)
  local p = i + t - PAD                       -- the input position read
  local inside = logical_and(ge(p, 0), lt(p, L))
  return bias(o) + sum(c, sum(t, where(inside, x(c, p), 0) * w(o, c, t)))
end))

kernel("bmv")
local B, N = dim("B"), dim("N")
local A = input("A", f32, {B, N, N})
local v = input("v", f32, {B, N})
local k = rvar(N)
output("y", compute({B, N}, function(b, i)
  return sum(k, A(b, i, k) * v(b, k))
end))
