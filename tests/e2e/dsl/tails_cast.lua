-- Vector tails of casts (issue 5): every width a vector store can have
-- (f64, f32, i32, bf16, i8, u8) on rows of every length 1..33 and of 1000
-- and 4097, N given at run time; f32 <-> bf16 <-> i32 <-> i8 <-> u8, saturating
-- float-to-int (NaN gives 0), bf16 rounded to nearest even in f32 arithmetic,
-- integer wraparound; and at 1..33 on special values (specials=1: NaN,
-- +-inf, denormals; integer limits) as in tails_ew.lua.
-- e2e: R=2 N=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,1000,4097
-- san: R=2 N=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,1000,4097 ints=-300:300
-- san: R=2 N=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33 specials=1
kernel("casts")
local R, N = dim("R"), dim("N")
local x = input("x", f32, {R, N})            -- R x N: see tails_ew.lua
local h = input("h", bf16, {R, N})
local i = input("i", i32, {R, N})
local q = input("q", i8, {R, N})
local u = input("u", u8, {R, N})
output("rowsum", sum(x, -1))             -- a loop over rows (see tails_ew.lua)
output("f_bf16", cast(x * 3, bf16))
output("f_i32", cast(x * 1000, i32))
output("f_i32_sat", cast(x * 3e9, i32))
output("f_i8", cast(x * 300, i8))
output("f_u8", cast(x * 300, u8))
output("f_f64", cast(x, f64) * 1e-3)
output("bf16_f32", cast(h, f32))
output("bf16_i32", cast(h * 100, i32))
output("bf16_i8", cast(h * 100, i8))
output("bf16_arith", h * h + h)          -- bf16: f32 arithmetic, rounded once stored
output("bf16_mixed", h * x)              -- f32
output("i32_f32", cast(i, f32))
output("i32_bf16", cast(i, bf16))
output("i32_i8", cast(i, i8))            -- wraps
output("i32_u8", cast(i, u8))
output("i32_arith", i * 3 + 7)           -- wraps
output("i8_f32", cast(q, f32))
output("i8_i32", cast(q, i32) * 1000)
output("i8_arith", q + q)                -- wraps
output("u8_f32", cast(u, f32) * 0.5)
output("u8_bf16", cast(u, bf16))
output("u8_i32", cast(u, i32) - 128)
