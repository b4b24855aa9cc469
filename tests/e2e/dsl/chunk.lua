-- Reductions split along the reduced axis (passes/chunk.c): column sums
-- over more rows than one chunk (256 rows), full reductions over more
-- elements than one chunk (8192), with a last partial chunk, every
-- reduction kind, f32, f64 and integers; and the max of nothing, which
-- must stay an error.
-- e2e: N=1,300,513,9000,20000
-- e2e-fail[full]: N=0
-- e2e-fail[full_f64]: N=0
-- e2e-fail[full_int]: N=0
kernel("full")
local N = dim("N")
local x = input("x", f32, {N})
output("s", sum(x * 2 + 1))
output("mx", max(x))
output("mn", min(x * x))
output("p", prod(x * 0.001 + 1))
kernel("full_f64")
local N = dim("N")
local x = input("x", f64, {N})
output("s", sum(x))
output("mx", max(x))
kernel("full_int")
local N = dim("N")
local x = input("x", i32, {N})
output("s", sum(x))
output("mx", max(x))
kernel("columns")
local x = input("x", f32, {1037, 70})
local s = input("s", f32, {70})
output("cs", sum(x * s, 0))
output("cm", max(x, 0, true))
output("cmean", mean(x, 0))
