-- sgemm_512.lua: c = a @ b, 512 x 512 x 512 f32 (issue 6).  b is a weight:
-- handed over once at create, where tensorc may prepack it; only the run
-- is timed.  (bench/gemm/workloads.c allocates these sizes too, and checks
-- at run time that they match the kernel's.)
local a = input("a", f32, {512, 512})
local b = weight("b", f32, {512, 512})
output("c", matmul(a, b))
