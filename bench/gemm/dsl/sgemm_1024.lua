-- sgemm_1024.lua: c = a @ b, 1024 x 1024 x 1024 f32 (issue 6).  b is a weight:
-- handed over once at create, where tensorc may prepack it; only the run
-- is timed.  (bench/gemm/workloads.c allocates these sizes too, and checks
-- at run time that they match the kernel's.)
local a = input("a", f32, {1024, 1024})
local b = weight("b", f32, {1024, 1024})
output("c", matmul(a, b))
