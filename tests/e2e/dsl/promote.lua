-- PyTorch's type promotion: int with float gives the float, int / int is
-- f32, a Lua float with an int tensor is f32, bf16 with f32 is f32, and a
-- Lua integer keeps the tensor's dtype.
-- e2e: N=0,1,7,17,33,100
local N = dim("N")
local f = input("f", f32, {N})
local d = input("d", f64, {N})
local h = input("h", bf16, {N})
local i = input("i", i32, {N})
local l = input("l", i64, {N})
local b = input("b", i8, {N})
local u = input("u", u8, {N})
output("i_times_half", i * 0.5)       -- f32
output("i_plus_f", i + f)             -- f32
output("i_div_i", i / (l * l + 1))    -- true division: f32
output("i_plus_l", i + l)             -- i64
output("b_plus_i", b + i)             -- i32
output("u_times_3", u * 3)            -- u8, wraps
output("b_plus_1", b + 1)             -- i8
output("h_plus_f", h + f)             -- f32
output("h_times_h", h * h)            -- bf16
output("h_times_2", h * 2.5)          -- bf16
output("d_plus_f", d + f)             -- f64
output("l_times_f", l * f)            -- f32
