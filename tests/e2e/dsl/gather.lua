-- Data-dependent indexing in compute: rows of a table picked by an index
-- tensor (an embedding lookup), and a two-level gather.  An index out of
-- range makes the kernel return TC_EINDEX, never read out of bounds.
-- e2e: N=1,7,17,33,100 V=1,5,17,8,3
-- san: N=7 V=5 ints=0:5
-- san: N=33 V=17 ints=0:17
-- san: N=7 V=5 ints=5:9 rc=-3
-- san: N=7 V=5 ints=-3:0 rc=-3
kernel("lookup")
local N, V = dim("N"), dim("V")
local tbl = input("tbl", f32, {V, 4})
local idx = input("idx", i64, {N})
output("rows", compute({N, 4}, function(i, f) return tbl(idx(i), f) * 2 end))
kernel("twolevel")
local N, V = dim("N"), dim("V")
local x = input("x", f32, {V})
local p = input("p", i32, {V})
local q = input("q", i32, {N})
output("y", compute({N}, function(i) return x(p(q(i))) + x(q(i)) end))
