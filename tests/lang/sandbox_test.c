/*
 * sandbox_test.c: the DSL's sandbox (spec/dsl.md, "A DSL file"): exactly
 * the listed globals, --unsafe-lua lifting it, and the bounds on running
 * time and memory.
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "lang_tests.h"

/* A line that makes the file a valid module, appended to snippets. */
#define VALID "output('y', input('x', f32, {1}))\n"

/* Every global of a safe state, checked from inside the DSL itself: the
   chunk fails naming the first global that should not be there, or the
   first that is missing. */
START_TEST(test_globals_are_exactly_the_spec) {
  const char *src =
      "local allowed = {}\n"
      "for name in string.gmatch([[assert error ipairs next pairs pcall print select\n"
      "  setmetatable getmetatable rawequal rawget rawset rawlen tonumber tostring\n"
      "  type xpcall math string table utf8\n"
      "  kernel dim input weight csr output f32 f64 bf16 i8 u8 i32 i64 bool\n"
      "  abs neg exp exp2 log log2 log1p expm1 sqrt rsqrt reciprocal sin cos tanh\n"
      "  sigmoid erf floor ceil round trunc sign relu relu6 silu gelu gelu_tanh\n"
      "  softplus hardswish maximum minimum pow leaky_relu clamp eq ne lt le gt ge\n"
      "  logical_and logical_or logical_not where cast sum mean max min prod argmax\n"
      "  argmin softmax log_softmax layer_norm rms_norm batch_norm reshape flatten\n"
      "  permute transpose expand squeeze unsqueeze slice concat pad matmul linear\n"
      "  einsum conv2d max_pool2d avg_pool2d global_avg_pool2d compute rvar spmm\n"
      "  gather index_select scatter quantize dequantize quantize_per_channel\n"
      "  dequantize_per_channel schedule]], '%S+') do allowed[name] = true end\n"
      "for name in pairs(_ENV) do\n"
      "  if not allowed[name] then error('unexpected global ' .. name) end\n"
      "end\n"
      "for name in pairs(allowed) do\n"
      "  if _ENV[name] == nil then error('missing global ' .. name) end\n"
      "end\n" VALID;
  tc_module_free(lt_load_ok(src, NULL));
}
END_TEST

/* The names spec/dsl.md removes, one by one. */
static const char *const removed[] = {
    "io", "os", "package", "require", "load", "loadfile", "dofile",
    "collectgarbage", "debug", "string.dump", "('').dump", "_G"};

START_TEST(test_removed_name_is_absent) {
  char src[256];
  snprintf(src, sizeof src, "assert(%s == nil, [[%s is present]])\n" VALID, removed[_i],
           removed[_i]);
  tc_module_free(lt_load_ok(src, NULL));
}
END_TEST

START_TEST(test_unsafe_lua_gives_the_libraries_back) {
  tcL_options opt = {0};
  opt.unsafe_lua = 1;
  char src[256];
  snprintf(src, sizeof src, "assert(%s ~= nil, [[%s is absent]])\n" VALID, removed[_i],
           removed[_i]);
  tc_module_free(lt_load_ok(src, &opt));
}
END_TEST

/* Precompiled chunks could crash the VM: only text is loaded, even by
   the DSL file's own code in --unsafe-lua mode through the front end. */
START_TEST(test_binary_chunk_is_rejected) {
  const char src[] = "\x1bLua\x54";
  tc_diag d = {0};
  tc_module *m = lt_load(src, NULL, &d);
  ck_assert_msg(!m && strstr(d.msg, "t.lua:") == d.msg && strstr(d.msg, "binary"),
                "loading a binary chunk: expected an error 't.lua: ... binary ...', got %s",
                m ? "(no error)" : d.msg);
  tc_module_free(m);
}
END_TEST

START_TEST(test_dsl_values_keep_their_metatable) {
  tc_module_free(lt_load_ok(
      "local x = input('x', f32, {1})\n"
      "assert(getmetatable(x) == 'tensorc value', 'metatable is visible')\n"
      "assert(not pcall(setmetatable, x, {}), 'setmetatable worked on a tensor')\n"
      "output('y', x)\n",
      NULL));
}
END_TEST

START_TEST(test_infinite_loop_hits_instruction_limit) {
  tcL_options opt = {0};
  opt.instruction_limit = 1000000;
  LT_EXPECT_ERROR("local x = input('x', f32, {4})\nwhile true do end\n", &opt,
                  "t.lua:2: instruction limit exceeded (the DSL file runs too long)");
}
END_TEST

/* A pcall in the loop cannot swallow the limit for ever. */
START_TEST(test_pcall_cannot_swallow_instruction_limit) {
  tcL_options opt = {0};
  opt.instruction_limit = 1000000;
  LT_EXPECT_ERROR("local x = input('x', f32, {4})\n"
                  "while true do pcall(function() while true do end end) end\n",
                  &opt, "t.lua:2: instruction limit exceeded (the DSL file runs too long)");
}
END_TEST

START_TEST(test_default_instruction_limit_allows_real_files) {
  /* 10^5 loop iterations are nothing next to the default limit of 10^9 */
  tc_module_free(lt_load_ok("local s = 0\nfor i = 1, 100000 do s = s + i end\n"
                            "assert(s == 5000050000)\n" VALID,
                            NULL));
}
END_TEST

START_TEST(test_table_bomb_hits_memory_limit) {
  tcL_options opt = {0};
  opt.memory_limit = 16 << 20;
  LT_EXPECT_ERROR("local t = {}\nfor i = 1, 1e9 do t[i] = string.rep('x', 1000) .. i end\n",
                  &opt, "t.lua:2: memory limit of 16 MiB exceeded");
}
END_TEST

START_TEST(test_string_bomb_hits_memory_limit) {
  tcL_options opt = {0};
  opt.memory_limit = 16 << 20;
  LT_EXPECT_ERROR("local s = string.rep('x', 1 << 30)\n", &opt,
                  "t.lua:1: memory limit of 16 MiB exceeded");
}
END_TEST

/* The graph lives outside Lua's heap but counts against the limit. */
START_TEST(test_node_bomb_hits_memory_limit) {
  tcL_options opt = {0};
  opt.memory_limit = 8 << 20;
  LT_EXPECT_ERROR("local x = input('x', f32, {4})\nfor i = 1, 1e9 do x = x + 1 end\n",
                  &opt, "t.lua:2: memory limit of 8 MiB exceeded");
}
END_TEST

/* Scalar expressions of a compute body live outside Lua's heap too. */
START_TEST(test_scalar_expression_bomb_hits_memory_limit) {
  tcL_options opt = {0};
  opt.memory_limit = 8 << 20;
  LT_EXPECT_ERROR("local x = input('x', f32, {4})\noutput('y', compute({4}, function(i)\n"
                  "  for n = 1, 1e9 do local t = x(i) + 1 end\n  return x(i)\nend))\n",
                  &opt, "t.lua:3: memory limit of 8 MiB exceeded");
}
END_TEST

/* Every later stage walks a scalar expression recursively, as a tree:
   its depth and its tree size are bounded (a crash of the C stack and an
   exponential walk otherwise). */
START_TEST(test_scalar_expression_depth_and_size_are_bounded) {
  LT_EXPECT_ERROR("local x = input('x', f32, {4})\noutput('y', compute({4}, function(i)\n"
                  "  local e = x(i)\n  for n = 1, 100000 do e = e * 0.5 + x(i) end\n"
                  "  return e\nend))\n",
                  NULL, "t.lua:4: this scalar expression is nested more than 1000 levels deep "
                  "(build a long chain from tensors, or reduce with rvar)");
  LT_EXPECT_ERROR("local x = input('x', f32, {4})\noutput('y', compute({4}, function(i)\n"
                  "  local e = x(i)\n  for n = 1, 60 do e = e + e end\n"
                  "  return e\nend))\n",
                  NULL, "t.lua:4: this scalar expression has more than 1048576 nodes counted "
                  "as a tree (an operand used twice counts twice)");
  /* just under both bounds: fine */
  tc_module_free(lt_load_ok("local x = input('x', f32, {4})\noutput('y', compute({4}, function(i)\n"
                            "  local e = x(i)\n  for n = 1, 490 do e = e * 0.5 + x(i) end\n"
                            "  for n = 1, 8 do e = e + e end\n  return e\nend))\n",
                            NULL));
}
END_TEST

/* A memory error caught by pcall is still reported as the limit. */
START_TEST(test_pcall_cannot_hide_memory_limit) {
  tcL_options opt = {0};
  opt.memory_limit = 16 << 20;
  opt.instruction_limit = 10000000;
  LT_EXPECT_ERROR("local t = {}\n"
                  "while true do pcall(function() t[#t + 1] = string.rep('x', 1 << 20) end) end\n",
                  &opt, "t.lua:2: memory limit of 16 MiB exceeded");
}
END_TEST

Suite *lang_sandbox_suite(void) {
  Suite *s = suite_create("lang_sandbox");
  TCase *tc = tcase_create("globals");
  tcase_add_test(tc, test_globals_are_exactly_the_spec);
  int n = (int)(sizeof removed / sizeof removed[0]);
  tcase_add_loop_test(tc, test_removed_name_is_absent, 0, n);
  tcase_add_loop_test(tc, test_unsafe_lua_gives_the_libraries_back, 0, n - 1); /* not _G */
  tcase_add_test(tc, test_binary_chunk_is_rejected);
  tcase_add_test(tc, test_dsl_values_keep_their_metatable);
  suite_add_tcase(s, tc);
  tc = tcase_create("limits");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_infinite_loop_hits_instruction_limit);
  tcase_add_test(tc, test_pcall_cannot_swallow_instruction_limit);
  tcase_add_test(tc, test_default_instruction_limit_allows_real_files);
  tcase_add_test(tc, test_table_bomb_hits_memory_limit);
  tcase_add_test(tc, test_string_bomb_hits_memory_limit);
  tcase_add_test(tc, test_node_bomb_hits_memory_limit);
  tcase_add_test(tc, test_pcall_cannot_hide_memory_limit);
  tcase_add_test(tc, test_scalar_expression_bomb_hits_memory_limit);
  tcase_add_test(tc, test_scalar_expression_depth_and_size_are_bounded);
  suite_add_tcase(s, tc);
  return s;
}
