-- bmm.lua: a batched matmul, c[i] = a[i] @ b[i] for 8 pairs of 128 x 64
-- and 64 x 128 f32 matrices (issue 6).  Both are inputs: nothing can be
-- prepacked.  (bench/gemm/workloads.c allocates these sizes too, and
-- checks at run time that they match the kernel's.)
local a = input("a", f32, {8, 128, 64})
local b = input("b", f32, {8, 64, 128})
output("c", matmul(a, b))
