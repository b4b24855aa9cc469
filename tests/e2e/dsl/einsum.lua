-- einsum in NumPy's explicit form: batched matmul, transpose, dot, matrix
-- vector, outer product, trace-free sum over two indices.
-- e2e: B=1,2,3,1,2 I=1,7,17,33,4 J=1,3,5,2,0 K=1,4,9,16,3
local B, I, J, K = dim("B"), dim("I"), dim("J"), dim("K")
local a = input("a", f32, {B, I, K})
local b = input("b", f32, {B, K, J})
local m = input("m", f32, {I, J})
local v = input("v", f32, {J})
local u = input("u", f32, {I})
output("bmm", einsum("bik,bkj->bij", a, b))
output("tr", einsum("ij->ji", m))
output("dot", einsum("j,j->", v, v))
output("mv", einsum("ij,j->i", m, v))
output("outer", einsum("i,j->ij", u, v))
output("rowsum", einsum("bik->bi", a))
