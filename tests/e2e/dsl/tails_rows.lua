-- Vector tails of reductions (issue 5): along the rows (the reduced axis
-- is the vector axis: lanes combined horizontally) and down the columns
-- (the vector runs along the kept axis), at every row length 1..33 and at
-- 1000 and 4097, N given at run time: sum, mean, prod, max, min, argmax and
-- argmin (ties: the first index) of f32, i32 and bf16; and at 1..33 on
-- special values (specials=1): max, min and argmax propagate NaN (the
-- first NaN wins).  A tail padded with the wrong value shows in maxneg and
-- minpos (every element negative, or positive).
-- e2e: R=3 N=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,1000,4097
-- san: R=3 N=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,1000,4097
-- san: R=2 N=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33 specials=1
-- tol: rtol=1e-4 atol=1e-4
kernel("rows")
local R, N = dim("R"), dim("N")
local x = input("x", f32, {R, N})
local i = input("i", i32, {R, N})
local h = input("h", bf16, {R, N})
output("sum", sum(x, -1))
output("mean", mean(x, -1))
output("prod", prod(x * 0.5 + 1, -1))
output("max", max(x, -1))
output("min", min(x, -1))
output("maxneg", max(x - 2, -1))
output("minpos", min(x + 2, -1))
output("argmax", argmax(x, -1))
output("argmin", argmin(x, -1))
output("argmax_ties", argmax(floor(x * 2), -1))
output("argmin_ties", argmin(floor(x * 2), -1, true))
output("sumexp", sum(exp(x), -1, true))  -- a producer fused into the reduction
output("col_sum", sum(x, 0))
output("col_mean", mean(x, 0))
output("col_max", max(x, 0))
output("col_minpos", min(x + 2, 0))
output("col_argmax", argmax(x, 0))
output("col_argmin_ties", argmin(floor(x * 2), 0))
output("i_sum", sum(i, -1))              -- i64
output("i_max", max(i, -1))
output("i_min", min(i, -1))
output("i_argmax", argmax(i, -1))        -- ties: the first index
output("h_sum", sum(h, -1))
output("h_max", max(h, -1))
output("h_argmax", argmax(h, -1))
