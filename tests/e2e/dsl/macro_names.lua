-- Arguments and dims named as macros of <math.h>, <stdlib.h>, <string.h>,
-- <stdint.h> and <errno.h>/<assert.h>: the generated C includes those
-- headers, so these names get other C names (u_NAN, ...).
-- e2e: RAND_MAX=1,7,33 EXIT_SUCCESS=3
local R, E = dim("RAND_MAX"), dim("EXIT_SUCCESS")
local a = input("NAN", f32, {R})
local b = input("INFINITY", f32, {R})
local c = input("errno", f32, {R, E})
local d = input("assert", f32, {E})
local e = input("M_PI", f32, {R})
local f = input("HUGE_VAL", f32, {R})
local g = input("FP_NAN", f32, {R})
local h = input("math_errhandling", f32, {R})
local i = input("MB_CUR_MAX", f32, {R})
local j = input("EXIT_FAILURE", f32, {R})
local k = input("NULL", f32, {R})
output("y", exp(a) + b * e + f - g + h * i - j + k)
output("z", c * d)
output("INT64_C", sum(c, 1))
