-- sage.lua: a GraphSAGE layer with mean aggregation (Hamilton et al.):
--
--   h_i = relu(W_self x_i + W_neigh mean_{j in N(i)} x_j + b)
--
-- The neighbourhoods are a pattern-only csr matrix (no values: every entry
-- is 1) with i32 indices; spmm with "mean" averages the neighbours'
-- features, and a node without neighbours gets 0 (as PyG does).
--
--   tensorc run examples/sage.lua --dim N=1000 --check
--
-- e2e: N=1,7,17,33,100
-- threads: N=6400
-- demo: N=2000
local N = dim("N")
local A = csr("A", f32, {N, N}, {index = i32, values = false})
local x = input("x", f32, {N, 24})
local w_self = weight("w_self", f32, {32, 24})
local w_neigh = weight("w_neigh", f32, {32, 24})
local b = weight("b", f32, {32})
output("h", relu(linear(x, w_self, b) + linear(spmm(A, x, "mean"), w_neigh)))
