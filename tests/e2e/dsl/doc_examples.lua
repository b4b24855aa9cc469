-- The examples of docs/dsl.md, as one module, so that the documentation
-- stays true: every snippet there is a kernel here (keep them in sync).
-- e2e: B=0,1,7,17 T=1,7,3,33 N=1,7,17,100 M=1,3,4,2 K=1,5,16,3 L=1,2,9,33
kernel("scale")                                   -- "Files, modules and kernels"
local N = dim("N")
output("y", input("x", f32, {N}) * 3)

kernel("shift")
local N = dim("N")
output("y", input("x", f32, {N}) + 1)

kernel("extents")                                 -- "Arguments": extents
local N = dim("N")
local x = input("x", f32, {N})
local z = input("z", f32, {2 * N})
local t = rvar(3)
output("valid", compute({N - 2}, function(i) return sum(t, x(i + t)) end))
output("strided", compute({(N - 3) // 2 + 1}, function(i) return x(2 * i) end))
output("zz", z * 1)
-- e2e[extents]: N=3,7,17,100

kernel("elementwise")                             -- "Elementwise functions"
local N = dim("N")
local x = input("x", f32, {N}) * 2
local y = where(gt(x, 0), x, 0.01 * x)
output("y", y)
output("mask", cast(logical_and(ge(x, -1), lt(x, 1)), u8))
output("q", cast(clamp(round(x * 127), -128, 127), i8))

kernel("reductions")                              -- "Reductions"
local B, T = dim("B"), dim("T")
local x = input("x", f32, {B, T})
local e = exp(x - max(x, -1, true))
output("p", e / sum(e, -1, true))
output("total", sum(x))
output("best", argmax(x, 1))
-- e2e[reductions]: B=0,1,7,17 T=1,7,3,33

kernel("norm")                                    -- "Normalizations"
local B, T = dim("B"), dim("T")
local x = input("x", f32, {B, T, 768})
local g, b = weight("g", f32, {768}), weight("b", f32, {768})
output("y", layer_norm(x, 1, g, b, 1e-5))
-- e2e[norm]: B=0,1,2 T=1,3,2

kernel("shapes")                                  -- "Shapes"
local N = dim("N")
local x = input("x", f32, {N, 10})
output("odd", slice(x, 1, 1, 10, 2))
output("last3", slice(x, 1, -3, 100))
output("wide", concat({x, x * 2}, 1))
output("padded", pad(x, {0, 0, 1, 1}, 0))

kernel("linalg")                                  -- "Linear algebra"
local B, M = dim("B"), dim("M")
local a = input("a", f32, {B, M, 64})
local w = weight("w", f32, {64, 32})
output("y", relu(matmul(a, w) + input("bias", f32, {32})))
-- e2e[linalg]: B=0,1,7,2 M=1,3,4,2
-- threads[linalg]: B=16 M=16

kernel("index")                                   -- "Index notation"
local M, K, N = dim("M"), dim("K"), dim("N")
local A = input("A", f32, {M, K})
local B = input("B", f32, {K, N})
local X = input("X", f32, {N, N})
local k = rvar(K)
output("C", compute({M, N}, function(i, j)
  return sum(k, A(i, k) * B(k, j))
end))
output("L", compute({N, N}, function(i, j)
  return where(le(j, i), X(i, j), 0)
end))

kernel("conv")                                    -- the 1-D convolution
local L = dim("L")
local Cin, Cout = 3, 4
local x = input("x", f32, {Cin, L})
local w = input("w", f32, {Cout, Cin, 5})
local c, t = rvar(Cin), rvar(5)
output("y", compute({Cout, L}, function(o, i)
  local p = i + t - 2
  return sum(c, sum(t, where(logical_and(ge(p, 0), lt(p, L)), x(c, p), 0) * w(o, c, t)))
end))
