/*
 * fuzz_test.c: every DSL function called with every combination of bad
 * (and good) arguments, outside and inside a compute body, in pcall: no
 * call may crash or trip an assertion, whatever the arguments (the
 * sanitizer build, make test-san, runs this too).
 */
#include "lang_tests.h"

static const char fuzz_src[] =
    "local B = dim('B')\n"
    "local x = input('x', f32, {B, 4})\n"
    "local y = input('y', i32, {4})\n"
    "local z = input('z', bf16, {})\n"
    "local k = rvar(4)\n"
    "local names = {}\n"
    "for name in string.gmatch([[abs neg exp sqrt relu gelu leaky_relu clamp maximum pow eq lt logical_and\n"
    "  logical_not where cast sum mean max min prod argmax argmin softmax log_softmax layer_norm rms_norm\n"
    "  batch_norm reshape flatten permute transpose expand squeeze unsqueeze slice concat pad matmul\n"
    "  linear einsum compute rvar schedule dim input weight output conv2d spmm csr gather index_select\n"
    "  scatter quantize dequantize quantize_per_channel dequantize_per_channel max_pool2d avg_pool2d\n"
    "  global_avg_pool2d]], '%S+') do\n"
    "  names[#names + 1] = name\n"
    "end\n"
    "local pool = {false, 0, 1, -1, 2.5, 'x', 'f32', {}, {1, 2}, {-1}, {B, 4}, {x, y}, x, y, z, B, B * 2, k,\n"
    "  true, function(i, j) return i end, function(i) return x end, math.huge, 1 << 62,\n"
    "  csr('A', f32, {4, B}), input('x4', f32, {1, 2, 5, 5}), {stride = 2, groups = 2}, 'sum', 'i8'}\n"
    "local n = #pool\n"
    "local ncalls, nok = 0, 0\n"
    "local function try(f, ...)\n"
    "  ncalls = ncalls + 1\n"
    "  if pcall(f, ...) then nok = nok + 1 end\n"
    "end\n"
    "local function fuzz(scalar)\n"
    "  for _, name in ipairs(names) do\n"
    "    local f = _ENV[name]\n"
    "    try(f)\n"
    "    for a = 1, n do\n"
    "      try(f, scalar or pool[a])\n"
    "      for b = 1, n do\n"
    "        try(f, scalar or pool[a], pool[b])\n"
    "        for c = 1, n, 3 do try(f, pool[a], pool[b], pool[c]) end\n"
    "        try(f, pool[a], nil, pool[b])\n"
    "      end\n"
    "    end\n"
    "  end\n"
    "end\n"
    "fuzz()\n"
    "local r = compute({4}, function(i)\n"
    "  pool[#pool + 1] = i\n"
    "  pool[#pool + 1] = x(0, i)\n"
    "  n = #pool\n"
    "  fuzz()\n"
    "  fuzz(i)\n"
    "  return i\n"
    "end)\n"
    "assert(nok > 1000 and nok < ncalls, \"calls \" .. ncalls .. \", successful \" .. nok)\n"
    "output('out', cast(r, f32))\n";

START_TEST(test_bad_arguments_never_crash) {
  tcL_options opt = {0};
  opt.instruction_limit = (int64_t)1 << 40;
  tc_module_free(lt_load_ok(fuzz_src, &opt));
}
END_TEST

Suite *lang_fuzz_suite(void) {
  Suite *s = suite_create("lang_fuzz");
  TCase *tc = tcase_create("arguments");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_bad_arguments_never_crash);
  suite_add_tcase(s, tc);
  return s;
}
