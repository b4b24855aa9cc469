-- spmm with sum, mean, max and min over csr matrices with i64 and i32
-- indices, with values and pattern-only; rows without entries give 0.
-- The san lines hand the kernels hostile matrices: every row empty (valid),
-- a decreasing rowptr, rowptr[0] != 0, a col out of range and a negative
-- col: the kernel returns TC_EINDEX (-3) and reads nothing out of bounds.
-- e2e: N=1,7,17,33,100 M=1,5,17,8,3 F=1,3,2,7,5
-- san: N=7 M=5 F=3
-- san: N=33 M=8 F=7
-- san: N=7 M=5 F=3 csr=empty
-- san: N=7 M=5 F=3 csr=decreasing rc=-3
-- san: N=1 M=5 F=3 csr=decreasing rc=-3
-- san: N=7 M=5 F=3 csr=rowptr0 rc=-3
-- san: N=7 M=5 F=3 csr=colrange rc=-3
-- san: N=7 M=5 F=3 csr=colneg rc=-3
kernel("sum64")
local N, M, F = dim("N"), dim("M"), dim("F")
local A = csr("A", f32, {N, M})
local x = input("x", f32, {M, F})
output("y", spmm(A, x, "sum"))
kernel("mean32")
local N, M, F = dim("N"), dim("M"), dim("F")
local A = csr("A", f32, {N, M}, {index = i32})
local x = input("x", f32, {M, F})
output("y", spmm(A, x, "mean"))
kernel("max_pattern")
local N, M, F = dim("N"), dim("M"), dim("F")
local A = csr("A", f32, {N, M}, {values = false})
local x = input("x", f32, {M, F})
output("y", spmm(A, x, "max"))
kernel("min_f64")
local N, M, F = dim("N"), dim("M"), dim("F")
local A = csr("A", f64, {N, M}, {index = i32})
local x = input("x", f64, {M, F})
output("y", spmm(A, x, "min"))
kernel("sum_i32")
local N, M, F = dim("N"), dim("M"), dim("F")
local A = csr("A", i32, {N, M}, {values = false, index = i32})
local x = input("x", i32, {M, F})
output("y", spmm(A, x, "sum"))
kernel("two")
local N, M, F = dim("N"), dim("M"), dim("F")
local A = csr("A", f32, {N, M})
local B = csr("B", bf16, {M, N}, {index = i32})
local x = input("x", f32, {M, F})
local h = spmm(A, x, "sum")
output("y", spmm(B, relu(h), "mean"))
