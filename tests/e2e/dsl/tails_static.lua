-- Vector tails at static extents (issue 5): every row length n in 1..33,
-- 1000 and 4097, fixed in the kernel (one kernel a group of lengths:
-- s1_8 ... s25_33, s_big; outputs are named after n).  Each n has an
-- elementwise chain reading bf16, casts to bf16 and i8, row sum, max and
-- argmax and a column sum over {3, n}, and an odd n softmax (the vector
-- math at every length is in tails_ew.lua); the last n of a kernel also a
-- layer_norm over {B, n}, B given at run time.  On plain inputs and on
-- special values (specials=1), as tails_ew.lua does for symbolic extents.
-- e2e: B=2
-- san: B=3
-- san: B=2 specials=1
-- tol: rtol=1e-4 atol=1e-4
local function group(name, lengths)
  kernel(name)
  local B = dim("B")
  for _, n in ipairs(lengths) do
    local x = input("x" .. n, f32, {3, n})
    local h = input("h" .. n, bf16, {3, n})
    output("ew" .. n, maximum(x * 2 + 1, 0) * cast(h, f32) - 0.5)
    output("bf" .. n, cast(x * 3, bf16))
    output("i8_" .. n, cast(x * 100, i8))
    output("sum" .. n, sum(x, -1))
    output("max" .. n, max(x, -1))
    output("argmax" .. n, argmax(x, -1))
    output("col" .. n, sum(x, 0))
    if n % 2 == 1 or n > 33 then         -- (softmax's C is large: odd n only)
      output("softmax" .. n, softmax(x, -1))
    end
  end
  local n = lengths[#lengths]
  output("ln" .. n, layer_norm(input("z" .. n, f32, {B, n}), 1, nil, nil, 1e-5))
end
local function range(a, b)
  local t = {}
  for n = a, b do t[#t + 1] = n end
  return t
end
group("s1_8", range(1, 8))
group("s9_16", range(9, 16))
group("s17_24", range(17, 24))
group("s25_33", range(25, 33))
group("s_big", {1000, 4097})
