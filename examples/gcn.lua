-- gcn.lua: a 2-layer graph convolutional network (Kipf & Welling) for
-- node classification on a graph of N nodes:
--
--   H = relu(A (X W1) + b1),  Y = A (H W2) + b2
--
-- where A is the normalized adjacency D^-1/2 (A + I) D^-1/2, given as a
-- csr input (rowptr, col, val: its values carry the normalization), X the
-- node features [N, 32].  spmm multiplies the sparse A with a dense matrix;
-- the generated code validates rowptr and every col before using them
-- (TC_EINDEX otherwise).
--
--   tensorc run examples/gcn.lua --dim N=1000 --check
--
-- e2e: N=1,7,17,33,100
-- demo: N=2000
local N = dim("N")
local A = csr("A", f32, {N, N})
local X = input("X", f32, {N, 32})
local W1 = weight("W1", f32, {32, 16})
local b1 = weight("b1", f32, {16})
local W2 = weight("W2", f32, {16, 7})
local b2 = weight("b2", f32, {7})
local H = relu(spmm(A, matmul(X, W1), "sum") + b1)
output("Y", spmm(A, matmul(H, W2), "sum") + b2)
