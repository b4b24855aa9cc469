-- sumexp.lua: the row-wise sum of exponentials, shifted by the row max
-- (the denominator of softmax, and log-sum-exp without the log), over
-- 4096 x 1024 f32.
-- (bench/ew/workloads.c allocates these sizes too, and checks at run time
-- that they match the kernel's.)
local x = input("x", f32, {4096, 1024})
output("y", sum(exp(x - max(x, -1, true)), -1))
