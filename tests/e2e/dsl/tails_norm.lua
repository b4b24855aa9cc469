-- Vector tails of softmax, log_softmax, layer_norm and rms_norm (issue 5):
-- at every row length 1..33 and at 1000 and 4097, N given at run time
-- (a gamma and beta of N elements, as inputs: a weight's shape is
-- integers only), and at 1..33 on special values (specials=1: a NaN or an
-- infinity in a row makes it NaN, as in the reference).  Softmax over
-- axis 0 runs its vectors along the kept axis.
-- e2e: R=3 N=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,1000,4097
-- san: R=3 N=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,1000,4097
-- san: R=2 N=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33 specials=1
-- tol: rtol=1e-4 atol=1e-4
kernel("norms")
local R, N = dim("R"), dim("N")
local x = input("x", f32, {R, N})
local g = input("g", f32, {N})
local b = input("b", f32, {N})
output("softmax", softmax(x * 4, -1))
output("log_softmax", log_softmax(x * 4, -1))
output("softmax0", softmax(x, 0))
output("layer_norm", layer_norm(x, 1, g, b, 1e-5))
output("layer_norm_plain", layer_norm(x, 1, nil, nil, 1e-5))
output("rms_norm", rms_norm(x, g, 1e-6))
