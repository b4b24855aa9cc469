-- Kernels whose C prefixes extend one another: x's static tables must not
-- take the names of x_kernel's exported functions (x's info table was
-- once kernel_names_x_kernel_info, the name of x_kernel's P_info).
-- e2e: N=1,7
kernel("x")
local N = dim("N")
local a = input("a", f32, {N})
output("y", a + 1)
kernel("x_kernel")
local N = dim("N")
local a = input("a", f32, {N})
output("y", a * 2)
kernel("x_args")
local a = input("a", f32, {3})
output("y", a - 1)
