-- Reductions down the columns (emit/c.c's interchanged nest): the rows
-- stream by while each vector of the output accumulates in place, 8 rows
-- at a time with the accumulator in a register (TCE_RED_ROWS), then the
-- rows left one by one.  Row counts around 8 and its multiples, column
-- counts around the vector width (tail masks), and special values (NaN,
-- infinities) through max and min; every kind of reduction, f32, f64 and
-- integers.
-- e2e[cols]: R=1,7,8,9,15,16,17,23,64,100 N=1,15,16,17,33
-- e2e[symbolic_rows]: R=1,7,8,9,16,17,100
-- e2e-fail[symbolic_rows]: R=0
-- e2e[static_rows]:
-- san[cols]: R=1,7,8,9,17,64 N=1,15,17,33
-- san[symbolic_rows]: R=1,8,17
-- san[static_rows]: specials=0
-- san[cols]: R=9,16,17 N=17,33 specials=1
-- tol: rtol=1e-4 atol=1e-4
kernel("cols")
local R, N = dim("R"), dim("N")
local x = input("x", f32, {R, N})
local d = input("d", f64, {R, N})
local i = input("i", i32, {R, N})
output("sum", sum(x * 0.5 + 1, 0))
output("mean", mean(x, 0))
output("prod", prod(x * 0.01 + 1, 0))
output("max", max(x, 0))
output("min", min(x - 2, 0))
output("d_sum", sum(d, 0))
output("d_max", max(d * d, 0))
output("i_sum", sum(i, 0))
output("i_max", max(i, 0))

-- Static shapes, where the stage is the function's own scope (one tile of
-- a rank-1 output): two such stages declare their row blocks apart, and
-- row counts that are multiples of 8 have no loop over the rows left (gcc
-- -O2 -Werror rejected one it could see never runs).  Found by review.
kernel("static_rows")
local s16 = input("s16", f32, {16, 32})
local s17 = input("s17", f32, {17, 40})
local s64 = input("s64", f32, {64, 64})
output("a16", sum(s16, 0))
output("b16", max(s16, 0))
output("a17", sum(s17, 0))
output("b17", min(s17, 0))
output("a64", prod(s64 * 0.01 + 1, 0))
kernel("symbolic_rows")
local R = dim("R")
local y = input("y", f32, {R, 40})
output("a", sum(y, 0))
output("b", max(y, 0))
