-- Reads out of bounds in index notation that no where() guards make the
-- kernel return TC_EINDEX (never undefined behaviour): x(i + 1) reads x(N)
-- at the last i.  With N = 0 nothing is read, so that case succeeds.
-- e2e: N=0
-- e2e-fail: N=1,7,100
-- san: N=0
-- san: N=1 rc=-3
-- san: N=7 rc=-3
kernel("ahead")
local N = dim("N")
local x = input("x", f32, {N})
output("y", compute({N}, function(i) return x(i + 1) - x(i) end))
kernel("behind")
local N = dim("N")
local x = input("x", f32, {N, 3})
output("y", compute({N, 3}, function(i, j) return x(i, j - 1) end))
-- e2e[behind]: N=0
-- e2e-fail[behind]: N=1,7,100
-- san[behind]: N=0
-- san[behind]: N=4 rc=-3
