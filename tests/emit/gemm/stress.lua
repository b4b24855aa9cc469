-- stress.lua: a small NCHW convolution, only so that the file tensorc
-- writes for it (for the default target, x86-64) holds the GEMM template
-- of both ISAs: tc_gemm, tc_gemm_pack_b, tc_gemm_avx2, tc_gemm_avx512 and
-- tc_gemm_direct_pack_<isa>.  tests/emit/gemm/stress.c includes that file
-- (the Makefile writes it with the freshly built tensorc) and drives the
-- template on descriptors of its own; this kernel is never run.
local N = dim("N")
local x = input("x", f32, {N, 3, 8, 8})
local w = weight("w", f32, {4, 3, 3, 3})
output("y", conv2d(x, w, nil, {padding = 1}))
