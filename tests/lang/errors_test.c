/*
 * errors_test.c: every kind of bad input gives one message "FILE:LINE:
 * message" with the line of the user's file that made the offending call
 * (spec/dsl.md, "A DSL file").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lang_tests.h"

typedef struct error_case {
  const char *what;
  const char *src;
  const char *want;
} error_case;

static const error_case cases[] = {
    /* Lua itself */
    {"a syntax error", "kernel('a')\nlocal x = = 1\n", "t.lua:2: unexpected symbol near '='"},
    {"a syntax error at the end", "kernel('a')\n\nlocal function f()\n",
     "t.lua:4: 'end' expected (to close 'function' at line 3) near <eof>"},
    {"a runtime error", "local t = nil\nlocal y = t.x\n",
     "t.lua:2: attempt to index a nil value (local 't')"},
    {"an unknown function", "local x = input('x', f32, {4})\nfoo(x)\n",
     "t.lua:2: attempt to call a nil value (global 'foo')"},
    {"error() in the file", "local a = input('a', f32, {1})\nerror('boom')\n", "t.lua:2: boom"},
    {"error() with a table", "local a = input('a', f32, {1})\nerror({})\n",
     "t.lua:2: error object is a table value"},
    {"a DSL error caught and raised again keeps its line",
     "local ok, e = pcall(sum, input('x', f32, {2}), 5)\nlocal y = 1\nerror(e, 0)\n",
     "t.lua:1: sum: axis 5 out of range for a tensor of rank 1"},
    {"error() at level 2 names the caller",
     "local function f() error('lvl2', 2) end\nlocal a = input('a', f32, {1})\n\nf()\n",
     "t.lua:4: lvl2"},
    /* arguments */
    {"a wrong argument type", "input('x', f32, 4)\n",
     "t.lua:1: input: expected a shape (a list of extents such as {N, 4}), got a number"},
    {"a wrong arity", "local x = input('x', f32, {4})\noutput('y', relu(x, 1))\n",
     "t.lua:2: relu: expected 1 argument, got 2"},
    {"an unknown dtype", "local x = input('x', 'f16', {4})\n",
     "t.lua:1: input: unknown dtype 'f16' (expected one of f32 f64 bf16 i8 u8 i32 i64)"},
    {"a bool argument", "local x = input('x', bool, {4})\n",
     "t.lua:1: input: bool is not an argument dtype (use u8 for masks)"},
    {"a negative extent", "local x = input('x', f32, {4, -2})\n",
     "t.lua:1: input: shape entry 1: an extent must be >= 0, got -2"},
    {"a weight of symbolic shape", "local N = dim('N')\nlocal x = weight('x', f32, {N})\n",
     "t.lua:2: weight shapes must be integers: x has extent N at axis 0 (weights are handed "
     "over before any dim is known)"},
    {"a tensor compared with <", "local x = input('x', f32, {4})\nlocal y = x < x\n",
     "t.lua:2: Lua's comparison operators cannot compare tensors; use lt(a, b), le(a, b), "
     "gt(a, b), ge(a, b), eq(a, b) or ne(a, b)"},
    {"an unknown method", "local x = input('x', f32, {4})\nlocal y = x:foo()\n",
     "t.lua:2: a tensor has no field or method 'foo'"},
    {"a string in arithmetic", "local x = input('x', f32, {4})\nlocal y = x + 'a'\n",
     "t.lua:2: '+': argument 2: expected a tensor or a number, got a string"},
    {"a number the other operand's dtype cannot hold",
     "local x = input('x', u8, {4})\nlocal y = x + 1\nlocal z = x - 256\n",
     "t.lua:3: the number 256 does not fit in u8, the dtype of the other operand (cast the "
     "tensor first)"},
    /* shapes */
    {"mismatched shapes",
     "local a = input('a', f32, {3})\nlocal b = input('b', f32, {4})\noutput('y', a + b)\n",
     "t.lua:3: add: shapes [3] and [4] cannot be broadcast"},
    {"an axis out of range", "local a = input('a', f32, {3})\noutput('y', sum(a, 2))\n",
     "t.lua:2: sum: axis 2 out of range for a tensor of rank 1"},
    {"a negative axis out of range", "local a = input('a', f32, {3})\noutput('y', a:softmax(-2))\n",
     "t.lua:2: softmax: axis -2 out of range for a tensor of rank 1"},
    {"matmul inner extents",
     "local a = input('a', f32, {2, 3})\nlocal b = input('b', f32, {4, 5})\n"
     "output('y', matmul(a, b))\n",
     "t.lua:3: matmul: inner dimensions differ: a is [2, 3], b is [4, 5]"},
    {"argmax without an axis", "local a = input('a', f32, {3})\noutput('y', argmax(a))\n",
     "t.lua:2: argmax: expected at least 2 arguments, got 1"},
    {"bool output", "local x = input('x', f32, {4})\noutput('y', eq(x, 1))\n",
     "t.lua:2: output y: cast a bool result before output (bool is not an argument dtype)"},
    /* names and kernels */
    {"a duplicate name", "local a = input('a', f32, {3})\nlocal b = input('a', f32, {3})\n",
     "t.lua:2: input: the name 'a' is already used by the input at line 1"},
    {"a dim named like an input", "local a = input('a', f32, {3})\nlocal N = dim('a')\n",
     "t.lua:2: dim: the name 'a' is already used by the input at line 1"},
    {"an output named like a dim",
     "local N = dim('N')\nlocal a = input('a', f32, {N})\noutput('N', a)\n",
     "t.lua:3: output: the name 'N' is already used by the dim at line 1"},
    {"a C keyword", "local a = input('while', f32, {3})\n",
     "t.lua:1: input: name 'while' is a C keyword"},
    {"a C11 keyword", "kernel('_Atomic')\n", "t.lua:1: kernel: kernel name '_Atomic' is a C keyword"},
    {"a tc_ name", "kernel('tc_x')\n",
     "t.lua:1: kernel: kernel name 'tc_x' begins with tc_, which is reserved"},
    {"not an identifier", "kernel('k')\nlocal x = dim('2x')\n",
     "t.lua:2: dim: name '2x' is not a C identifier"},
    {"a duplicate kernel", "kernel('a')\noutput('y', input('x', f32, {1}))\nkernel('a')\n",
     "t.lua:3: kernel: a kernel named 'a' is already declared at line 1"},
    {"a kernel without outputs, then another",
     "kernel('a')\nlocal x = input('x', f32, {1})\nkernel('b')\noutput('y', input('x', f32, {1}))\n",
     "t.lua:1: kernel 'a' has no outputs (declare them with output(name, expr))"},
    {"a kernel without outputs at the end",
     "kernel('a')\nlocal x = input('x', f32, {1})\noutput('y', x)\nkernel('b')\nlocal z = 1\n",
     "t.lua:4: kernel 'b' has no outputs (declare them with output(name, expr))"},
    {"an empty file", "-- nothing\n",
     "t.lua: the file declares no kernel (no input, output or kernel() call)"},
    {"kernel() after another DSL call", "local x = input('x', f32, {1})\nkernel('k')\n",
     "t.lua:2: kernel: kernel() must be called before any other DSL function (line 1 used one)"},
    {"a value of another kernel",
     "kernel('a')\nlocal x = input('x', f32, {1})\noutput('y', x)\nkernel('b')\noutput('z', x + 1)\n",
     "t.lua:5: '+': a tensor of another kernel is used here (each kernel has its own values)"},
    {"a dim of another kernel",
     "kernel('a')\nlocal N = dim('N')\noutput('y', input('x', f32, {N}))\nkernel('b')\n"
     "local x = input('x', f32, {N})\n",
     "t.lua:5: input: shape entry 0: an extent of another kernel is used here (each kernel has "
     "its own values)"},
    /* where the line comes from */
    {"an error inside a user helper names the helper's line",
     "local function helper(x)\n  return x + input('b', f32, {5})\nend\n"
     "local a = input('a', f32, {4})\noutput('y', helper(a))\n",
     "t.lua:2: add: shapes [4] and [5] cannot be broadcast"},
    {"an error raised in the prelude names the user's line",
     "local a = input('a', f32, {4})\n\noutput('y', squeeze(a, 0))\n",
     "t.lua:3: squeeze: axis 0 has extent 4, not 1"},
    {"an error of a C function called by the prelude names the user's line",
     "local a = input('a', f32, {1, 1, 1, 1, 1, 1, 1, 1})\nlocal b = unsqueeze(a, 0)\n",
     "t.lua:2: reshape: a shape of rank 9 is more than the maximum rank 8"},
    {"a Lua runtime error inside the prelude names the user's line",
     "local a = input('a', f32, {4})\nlocal b = transpose(a, 0, 'x')\n",
     "t.lua:2: transpose: expected an axis (an integer), got x"},
    {"an axis out of range in the prelude",
     "local a = input('a', f32, {4})\nlocal b = a:unsqueeze(2)\n",
     "t.lua:2: unsqueeze: axis 2 is out of range (-2 to 1)"},
    {"a tail call to the prelude leaves no frame: the caller's line",
     "local function f(a)\n  return squeeze(a, 0)\nend\nlocal a = input('a', f32, {4})\n"
     "output('y', f(a))\n",
     "t.lua:5: squeeze: axis 0 has extent 4, not 1"},
    {"an error in a compute body names the body's line",
     "local x = input('x', f32, {4})\noutput('y', compute({4}, function(i)\n"
     "  local z = nil\n  return z.w\nend))\n",
     "t.lua:4: attempt to index a nil value (local 'z')"},
    {"a Lua stack overflow", "local function f(n) return 1 + f(n + 1) end\n"
     "local x = input('x', f32, {1})\nf(1)\n", "t.lua:1: stack overflow"},
    {"a C stack overflow through compute",
     "local x = input('x', f32, {1})\nlocal function f(n)\n"
     "  return compute({1}, function(i) return f(n + 1)(0) end)\nend\nf(1)\n",
     "t.lua:3: C stack overflow"},
    {"a finalizer", "local x = input('x', f32, {1})\nsetmetatable({}, {__gc = print})\n",
     "t.lua:2: setmetatable: finalizers (__gc) are not available in the DSL sandbox"},
    {"kernel() inside a compute body",
     "local x = input('x', f32, {1})\noutput('y', compute({1}, function(i)\n"
     "  kernel('b')\n  return x(i)\nend))\n",
     "t.lua:3: kernel: kernel() cannot be called inside a compute body"},
    /* index notation */
    {"an rvar outside its reduction",
     "local x = input('x', f32, {4})\nlocal k = rvar(4)\n"
     "output('y', compute({4}, function(i) return x(k) end))\n",
     "t.lua:3: reduction variable r0 is used outside a reduction that binds it"},
    {"an rvar bound inside itself",
     "local x = input('x', f32, {4})\nlocal k = rvar(4)\noutput('y', compute({4}, function(i)\n"
     "  return sum(k, sum(k, x(k)))\nend))\n",
     "t.lua:4: sum: reduction variable r0 is bound again inside the reduction that binds it"},
    {"a whole tensor in a body",
     "local x = input('x', f32, {4})\noutput('y', compute({4}, function(i)\n"
     "  return x(i) + x\nend))\n",
     "t.lua:3: '+': a whole tensor of rank 1 is used where a scalar is needed; use x(i, ...) "
     "to read an element"},
    {"a whole tensor returned by a body",
     "local x = input('x', f32, {4})\noutput('y', compute({4}, function(i)\n  return x\nend))\n",
     "t.lua:2: compute: the function returned a whole tensor; return a scalar expression, "
     "using x(i, ...) to read an element"},
    {"an element read outside compute", "local x = input('x', f32, {4})\noutput('y', x(1))\n",
     "t.lua:2: x(i, ...) reads an element and is only allowed inside a compute body"},
    {"a read with too few indices",
     "local x = input('x', f32, {4, 4})\noutput('y', compute({4}, function(i)\n"
     "  return x(i)\nend))\n",
     "t.lua:3: element read: a tensor of rank 2 takes 2 indices, got 1"},
    {"a float index",
     "local x = input('x', f32, {4})\noutput('y', compute({4}, function(i)\n"
     "  return x(x(i))\nend))\n",
     "t.lua:3: index 0 of x is f32; indices must be integers (cast them)"},
    {"an index variable of another compute",
     "local x = input('x', f32, {4})\nlocal saved\n"
     "output('a', compute({4}, function(i) saved = i return x(i) end))\n"
     "output('b', compute({4}, function(j)\n  return x(saved)\nend))\n",
     "t.lua:5: element read: index 0: this scalar expression uses the index variables of "
     "another compute (they mean something only in their own body)"},
    {"mean over an rvar",
     "local x = input('x', f32, {4})\nlocal k = rvar(4)\noutput('y', compute({1}, function(i)\n"
     "  return mean(k, x(k))\nend))\n",
     "t.lua:4: mean: an rvar reduction is one of sum, max, min, prod (write sum(k, e) / K for "
     "a mean)"},
    {"max of a scalar expression with axes",
     "local x = input('x', f32, {4})\noutput('y', compute({4}, function(i)\n"
     "  return max(x(i), 0)\nend))\n",
     "t.lua:3: max: a scalar expression has no axes; inside compute, reduce over an rvar "
     "(max(k, e)) or take maximum(a, b)"},
    /* convolution, pooling, sparse, indexing, quantization (issue 3) */
    {"conv2d: unknown layout 'NCWH' (expected \"NCHW\" or \"NHWC\")",
     "local x = input('x', f32, {1, 1, 4, 4})\n\nconv2d(x, x, nil, {layout = 'NCWH'})\n",
     "t.lua:3: conv2d: unknown layout 'NCWH' (expected \"NCHW\" or \"NHWC\")"},
    {"conv2d: groups = 3 does not divide the 4 input channels of x",
     "local x = input('x', f32, {1, 4, 5, 5})\nlocal w = weight('w', f32, {6, 2, 3, 3})\nconv2d(x, w, nil, {groups = 3})\n",
     "t.lua:3: conv2d: groups = 3 does not divide the 4 input channels of x"},
    {"conv2d: x [1, 4, 5, 5] has 4 input channels and groups = 2, ",
     "local x = input('x', f32, {1, 4, 5, 5})\nlocal w = weight('w', f32, {6, 1, 3, 3})\nconv2d(x, w, nil, {groups = 2})\n",
     "t.lua:3: conv2d: x [1, 4, 5, 5] has 4 input channels and groups = 2, so w [6, 1, 3, 3] needs 2 input channels per group at axis 1, got 1"},
    {"conv2d: the kernel spans 3 along the height, mo",
     "local x = input('x', f32, {1, 4, 2, 2})\nlocal w = weight('w', f32, {6, 4, 3, 3})\nconv2d(x, w)\n",
     "t.lua:3: conv2d: the kernel spans 3 along the height, more than the padded input's 2 + 0"},
    {"conv2d: stride must be >= 1, got 0",
     "local x = input('x', f32, {1, 4, 5, 5})\nlocal w = weight('w', f32, {6, 4, 3, 3})\nconv2d(x, w, nil, {stride = 0})\n",
     "t.lua:3: conv2d: stride must be >= 1, got 0"},
    {"conv2d: unknown option 'strides' (options: stride, padding, ",
     "local x = input('x', f32, {1, 4, 5, 5})\nlocal w = weight('w', f32, {6, 4, 3, 3})\nconv2d(x, w, nil, {strides = 2})\n",
     "t.lua:3: conv2d: unknown option 'strides' (options: stride, padding, dilation, groups, layout)"},
    {"conv2d: the bias must have shape [6] (the output channels), ",
     "local x = input('x', f32, {1, 4, 5, 5})\nlocal w = weight('w', f32, {6, 4, 3, 3})\nconv2d(x, w, weight('b', f32, {4}))\n",
     "t.lua:3: conv2d: the bias must have shape [6] (the output channels), got [4]"},
    {"conv2d: x must have rank 4 (NCHW), got shape [4, 5, 5]",
     "local x = input('x', f32, {4, 5, 5})\nlocal w = weight('w', f32, {6, 4, 3, 3})\nconv2d(x, w)\n",
     "t.lua:3: conv2d: x must have rank 4 (NCHW), got shape [4, 5, 5]"},
    {"max_pool2d: padding 2 is more than half the kernel size 2 (a",
     "local x = input('x', f32, {1, 4, 5, 5})\nmax_pool2d(x, 2, {padding = 2})\n",
     "t.lua:2: max_pool2d: padding 2 is more than half the kernel size 2 (as PyTorch requires)"},
    {"avg_pool2d: the kernel size must be an integer or a pair {h,",
     "local x = input('x', f32, {1, 4, 5, 5})\navg_pool2d(x, {2, 2, 2})\n",
     "t.lua:2: avg_pool2d: the kernel size must be an integer or a pair {h, w}, got a table"},
    {"max_pool2d: the kernel spans 7 along the height",
     "local x = input('x', f32, {1, 4, 5, 5})\nmax_pool2d(x, 7)\n",
     "t.lua:2: max_pool2d: the kernel spans 7 along the height, more than the padded input's 5 + 0"},
    {"global_avg_pool2d: x must have rank 4 (NCHW), got rank 3",
     "local x = input('x', f32, {4, 5, 5})\nglobal_avg_pool2d(x)\n",
     "t.lua:2: global_avg_pool2d: x must have rank 4 (NCHW), got rank 3"},
    {"spmm: a is [4, 5], so x must have shape [5, F], got [4, 3]",
     "local A = csr('A', f32, {4, 5})\nlocal x = input('x', f32, {4, 3})\nspmm(A, x, 'sum')\n",
     "t.lua:3: spmm: a is [4, 5], so x must have shape [5, F], got [4, 3]"},
    {"spmm: unknown reduction 'avg' (expected sum, mean, max or mi",
     "local A = csr('A', f32, {4, 5})\nlocal x = input('x', f32, {5, 3})\nspmm(A, x, 'avg')\n",
     "t.lua:3: spmm: unknown reduction 'avg' (expected sum, mean, max or min)"},
    {"spmm: a must be a csr argument (declared with csr(name, dtyp",
     "local x = input('x', f32, {5, 3})\nspmm(x, x, 'sum')\n",
     "t.lua:2: spmm: a must be a csr argument (declared with csr(name, dtype, shape)), got a dense tensor"},
    {"add: A is a csr matrix, which only spmm reads",
     "local A = csr('A', f32, {4, 5})\noutput('y', A + 1)\n",
     "t.lua:2: add: A is a csr matrix, which only spmm reads"},
    {"output y: A is a csr matrix, which cannot be an output (only",
     "local A = csr('A', f32, {4, 5})\noutput('y', A)\n",
     "t.lua:2: output y: A is a csr matrix, which cannot be an output (only spmm reads it)"},
    {"csr: index must be i32 or i64, got i8",
     "local A = csr('A', f32, {4, 5}, {index = i8})\n",
     "t.lua:1: csr: index must be i32 or i64, got i8"},
    {"csr: a csr matrix has a shape {rows, cols}, got rank 3",
     "local A = csr('A', f32, {4, 5, 6})\n",
     "t.lua:1: csr: a csr matrix has a shape {rows, cols}, got rank 3"},
    {"csr: unknown option 'value' (options: index, values)",
     "local A = csr('A', f32, {4, 5}, {value = false})\n",
     "t.lua:1: csr: unknown option 'value' (options: index, values)"},
    {"A is a csr matrix, which only spmm reads (its elements canno",
     "local A = csr('A', f32, {4, 5})\noutput('y', compute({4}, function(i) return A(i, 0) end))\n",
     "t.lua:2: A is a csr matrix, which only spmm reads (its elements cannot be read in a compute body)"},
    {"gather: index must be i32 or i64, got f32 (cast it)",
     "local x = input('x', f32, {4, 3})\nlocal i = input('i', f32, {4, 3})\ngather(x, 0, i)\n",
     "t.lua:3: gather: index must be i32 or i64, got f32 (cast it)"},
    {"gather: index must have the rank of x ([4, 3]), got shape [4",
     "local x = input('x', f32, {4, 3})\nlocal i = input('i', i64, {4})\ngather(x, 0, i)\n",
     "t.lua:3: gather: index must have the rank of x ([4, 3]), got shape [4]"},
    {"gather: index [2, 5] is larger than x [4, 3] at axis 1 (only",
     "local x = input('x', f32, {4, 3})\nlocal i = input('i', i64, {2, 5})\ngather(x, 0, i)\n",
     "t.lua:3: gather: index [2, 5] is larger than x [4, 3] at axis 1 (only the gathered axis 0 may be)"},
    {"index_select: axis 2 out of range for a tensor of rank 2",
     "local x = input('x', f32, {4, 3})\nlocal i = input('i', i64, {2, 2})\nindex_select(x, 2, i)\n",
     "t.lua:3: index_select: axis 2 out of range for a tensor of rank 2"},
    {"index_select: index must have rank 1, got shape [2, 2]",
     "local x = input('x', f32, {4, 3})\nlocal i = input('i', i64, {2, 2})\nindex_select(x, 1, i)\n",
     "t.lua:3: index_select: index must have rank 1, got shape [2, 2]"},
    {"scatter: index must have shape [4] (one entry per slice of s",
     "local x = input('x', f32, {4, 3})\nlocal i = input('i', i64, {3})\nscatter(x, i, 0, 5, 'sum')\n",
     "t.lua:3: scatter: index must have shape [4] (one entry per slice of src [4, 3] along axis 0), got [3]"},
    {"scatter: unknown reduction 'prod' (expected sum, mean, max o",
     "local x = input('x', f32, {4, 3})\nlocal i = input('i', i64, {4})\nscatter(x, i, 0, 5, 'prod')\n",
     "t.lua:3: scatter: unknown reduction 'prod' (expected sum, mean, max or min)"},
    {"scatter: index must be i32 or i64, got u8 (cast it)",
     "local x = input('x', f32, {4, 3})\nlocal i = input('i', u8, {4})\nscatter(x, i, 0, 5, 'sum')\n",
     "t.lua:3: scatter: index must be i32 or i64, got u8 (cast it)"},
    {"quantize: the quantized dtype must be u8 or i8, got i32",
     "local x = input('x', f32, {4})\nquantize(x, 0.1, 0, i32)\n",
     "t.lua:2: quantize: the quantized dtype must be u8 or i8, got i32"},
    {"quantize: zero_point 300 is outside the range of u8 (0 to 25",
     "local x = input('x', f32, {4})\nquantize(x, 0.1, 300, u8)\n",
     "t.lua:2: quantize: zero_point 300 is outside the range of u8 (0 to 255)"},
    {"quantize: scale must be a positive finite f32 number, got 0",
     "local x = input('x', f32, {4})\nquantize(x, 0, 0, u8)\n",
     "t.lua:2: quantize: scale must be a positive finite f32 number, got 0"},
    {"quantize: expected the zero point (an integer), got a number",
     "local x = input('x', f32, {4})\nquantize(x, 0.1, 0.5, u8)\n",
     "t.lua:2: quantize: expected the zero point (an integer), got a number"},
    {"dequantize: q must be a quantized integer tensor (u8, i8 or ",
     "local x = input('x', f32, {4})\ndequantize(x, 0.1, 0)\n",
     "t.lua:2: dequantize: q must be a quantized integer tensor (u8, i8 or i32), got f32"},
    {"quantize_per_channel: scales must have shape [3] (the extent",
     "local x = input('x', f32, {4, 3})\nquantize_per_channel(x, {0.1, 0.2}, {0, 0}, 1, i8)\n",
     "t.lua:2: quantize_per_channel: scales must have shape [3] (the extent of axis 1 of [4, 3]), got [2]"},
    {"quantize_per_channel: entry 2 of zero_points must be an inte",
     "local x = input('x', f32, {4, 3})\nquantize_per_channel(x, {0.1, 0.2, 0.3}, {0, 0.5, 0}, 1, i8)\n",
     "t.lua:2: quantize_per_channel: entry 2 of zero_points must be an integer, got a number"},
    {"quantize_per_channel: zero_points must be integers, got f32",
     "local x = input('x', f32, {4, 3})\nquantize_per_channel(x, {0.1, 0.2, 0.3}, weight('z', f32, {3}), 1, i8)\n",
     "t.lua:2: quantize_per_channel: zero_points must be integers, got f32"},
    /* schedules */
    {"a schedule of an input", "local x = input('x', f32, {4})\nschedule(x, {tile = {4}})\n",
     "t.lua:2: schedule: x is not computed by the kernel; schedule a tensor it computes"},
    {"a tile longer than the rank",
     "local y = output('y', relu(input('x', f32, {4})))\nschedule(y, {tile = {4, 4}})\n",
     "t.lua:2: schedule: tile has 2 sizes but the tensor has rank 1"},
    {"vectorize not a power of two",
     "local y = output('y', relu(input('x', f32, {4})))\nschedule(y, {vectorize = 3})\n",
     "t.lua:2: schedule: vectorize must be a power of two, got 3"},
    {"parallel beyond the rank",
     "local y = output('y', relu(input('x', f32, {4})))\nschedule(y, {parallel = 1})\n",
     "t.lua:2: schedule: parallel names axis 1, but the tensor has rank 1"},
    {"an unknown schedule key",
     "local y = output('y', relu(input('x', f32, {4})))\nschedule(y, {foo = 1})\n",
     "t.lua:2: schedule: unknown hint 'foo' (expected tile, vectorize, parallel or unroll)"},
    {"a negative unroll",
     "local y = output('y', relu(input('x', f32, {4})))\nschedule(y, {unroll = -1})\n",
     "t.lua:2: schedule: unroll must be a positive integer, got -1"},
    {"a second schedule",
     "local y = output('y', relu(input('x', f32, {4})))\nschedule(y, {unroll = 2})\n"
     "schedule(y, {unroll = 4})\n",
     "t.lua:3: schedule: this tensor already has a schedule (line 2)"},
};

START_TEST(test_error_case) {
  const error_case *c = &cases[_i];
  tc_diag d = {0};
  tc_module *m = lt_load(c->src, NULL, &d);
  ck_assert_msg(!m && strcmp(d.msg, c->want) == 0,
                "%s: loading the DSL text\n---\n%s---\nexpected the error\n  %s\ngot\n  %s",
                c->what, c->src, c->want, m ? "(no error)" : d.msg);
  tc_module_free(m);
}
END_TEST

/* The file name is kept as given, and long names are not shortened (Lua
   shortens them in its own messages). */
START_TEST(test_long_file_name_is_kept) {
  const char *name = "some/quite/long/directory/name/that/goes/on/and/on/model_file.lua";
  tcL_options opt = {0};
  tc_diag d = {0};
  tc_module *m = tcL_load_string("kernel('k')\nlocal x = = 2\n", name, &opt, &d);
  char want[512];
  snprintf(want, sizeof want, "%s:2: unexpected symbol near '='", name);
  ck_assert_msg(!m && strcmp(d.msg, want) == 0, "syntax error in %s: expected\n  %s\ngot\n  %s",
                name, want, m ? "(no error)" : d.msg);
  tc_module_free(m);
  tc_diag d2 = {0};
  m = tcL_load_string("kernel('k')\nerror('x')\n", name, &opt, &d2);
  snprintf(want, sizeof want, "%s:2: x", name);
  ck_assert_msg(!m && strcmp(d2.msg, want) == 0, "error() in %s: expected\n  %s\ngot\n  %s",
                name, want, m ? "(no error)" : d2.msg);
  tc_module_free(m);
}
END_TEST

START_TEST(test_missing_file) {
  tcL_options opt = {0};
  tc_diag d = {0};
  tc_module *m = tcL_load_file("/nonexistent/x.lua", &opt, &d);
  ck_assert_msg(!m && strcmp(d.msg, "/nonexistent/x.lua: cannot open the file") == 0,
                "loading a missing file: got %s", m ? "(no error)" : d.msg);
}
END_TEST

/* A DSL file on disk: a "#!" first line is skipped and the line numbers
   stay those of the file. */
START_TEST(test_load_file_with_shebang) {
  char path[] = "/tmp/lang_testXXXXXX.lua";
  int fd = mkstemps(path, 4);
  ck_assert_msg(fd >= 0, "mkstemps failed");
  const char *src = "#!/usr/bin/env tensorc\nkernel('k')\nlocal x = = 1\n";
  ck_assert_msg(write(fd, src, strlen(src)) == (ssize_t)strlen(src), "write failed");
  close(fd);
  tcL_options opt = {0};
  tc_diag d = {0};
  tc_module *m = tcL_load_file(path, &opt, &d);
  char want[256];
  snprintf(want, sizeof want, "%s:3: unexpected symbol near '='", path);
  ck_assert_msg(!m && strcmp(d.msg, want) == 0, "a file with #! and a syntax error on line 3: "
                "expected\n  %s\ngot\n  %s", want, m ? "(no error)" : d.msg);
  /* the same file, fixed, loads; its module is named after the file */
  src = "#!/usr/bin/env tensorc\noutput('y', input('x', f32, {1}))\n";
  FILE *f = fopen(path, "w");
  ck_assert_msg(f && fputs(src, f) >= 0 && fclose(f) == 0, "rewriting %s failed", path);
  tc_diag d2 = {0};
  m = tcL_load_file(path, &opt, &d2);
  unlink(path);
  ck_assert_msg(m != NULL, "the fixed file: %s", d2.msg);
  char *stem = tcL_module_name_from_path(path);
  ck_assert_msg(strcmp(m->name, stem) == 0 && m->kernels.data[0]->args.data[0].loc.line == 2,
                "the fixed file: expected module %s with x declared at line 2", stem);
  free(stem);
  tc_module_free(m);
}
END_TEST

/* A pcall in the user's code may catch a DSL error and go on; the state
   (here: the compute depth) is as before the failed call. */
START_TEST(test_pcall_of_failed_compute_recovers) {
  tc_module *m = lt_load_ok(
      "local x = input('x', f32, {4})\n"
      "local ok, err = pcall(compute, {4}, function(i) return x end)\n"
      "assert(not ok and err:find('t.lua:2: compute:', 1, true) == 1, err)\n"
      "output('y', x + 1)\n",
      NULL);
  tc_module_free(m);
}
END_TEST

Suite *lang_errors_suite(void) {
  Suite *s = suite_create("lang_errors");
  TCase *tc = tcase_create("messages");
  tcase_add_loop_test(tc, test_error_case, 0, (int)(sizeof cases / sizeof cases[0]));
  tcase_add_test(tc, test_long_file_name_is_kept);
  tcase_add_test(tc, test_missing_file);
  tcase_add_test(tc, test_load_file_with_shebang);
  tcase_add_test(tc, test_pcall_of_failed_compute_recovers);
  suite_add_tcase(s, tc);
  return s;
}
