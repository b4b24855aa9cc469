-- gelu.lua: exact gelu, 0.5 x (1 + erf(x / sqrt 2)), over 16M f32 (issue 5:
-- a compute-heavy elementwise op).  One input read, one output written, and
-- a few dozen flops an element in between: bound by arithmetic, not memory,
-- unless it is vectorized well.  bench/Makefile builds it three times: for
-- TCFLAGS' target (tensorc) and twice for the scalar target (tc-scalar,
-- tc-autovec).  (bench/ew/workloads.c allocates these sizes too, and checks
-- at run time that they match the kernel's.)
local N = 16 * 1024 * 1024
local x = input("x", f32, {N})
output("y", gelu(x))
