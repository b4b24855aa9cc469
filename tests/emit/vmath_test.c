/*
 * vmath_test.c: the f32 vector math of the intrinsics targets (emit/vmath.c,
 * docs/math.md).  The functions' text comes from the emitter
 * (tcE_vmath_write), never from a copy:
 *   - what tcE_vmath_write and tcE_vmath_of_op return: every function
 *     once, its kernels before it, nothing unused, the same bytes twice;
 *   - each function alone comes with the kernels it calls, written first;
 *   - warnings: all of them in one file compile under gcc -std=c99 -Wall
 *     -Wextra -pedantic -Werror -O2 with no -m flag, and under clang when
 *     it is installed;
 *   - accuracy: tests/emit/vmath/sweep.c compares both ISAs' functions with
 *     double libm over a dense subset of all floats and the special values,
 *     built by gcc -O2 and by clang -O2, with no -m flag (the target
 *     attributes must suffice).  An ISA the CPU lacks is skipped, with a
 *     message.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "emit/vmath.h"
#include "emit_tests.h"
#include "tensorc/ops.h"

static const char *const isa_name[TCE_VISA_COUNT] = {"avx2", "avx512"};

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  rewind(f);
  char *s = malloc((size_t)n + 1);
  size_t got = fread(s, 1, (size_t)n, f);
  s[got] = 0;
  fclose(f);
  return s;
}

static void spit(const char *path, const char *text) {
  FILE *f = fopen(path, "wb");
  ck_assert_msg(f != NULL, "cannot write %s", path);
  fputs(text, f);
  fclose(f);
}

/* Run a shell command; its output (malloc'd) in *out; its exit status. */
static int run(const char *cmd, char **out) {
  char full[4096];
  char log[] = "/tmp/tc_vmath_log_XXXXXX";
  int fd = mkstemp(log);
  ck_assert(fd >= 0);
  close(fd);
  snprintf(full, sizeof full, "(%s) > %s 2>&1", cmd, log);
  int rc = system(full);
  *out = slurp(log);
  unlink(log);
  return rc != -1 && WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static int have(const char *tool) {
  char cmd[256];
  snprintf(cmd, sizeof cmd, "command -v %s > /dev/null 2>&1", tool);
  return system(cmd) == 0;
}

static char *fresh_dir(void) {
  char *dir = strdup("/tmp/tc_vmath_XXXXXX");
  ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp failed");
  return dir;
}

static void rm_dir(char *dir) {
  char cmd[600], *out;
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  run(cmd, &out);
  free(out);
  free(dir);
}

/* tcE_vmath_write's text for the functions set in used.  Malloc'd. */
static char *vmath_text(const char used[TCE_VISA_COUNT][TCE_VM_COUNT]) {
  tc_buf b = {0};
  tcE_vmath_write(&b, used);
  return b.data ? tc_buf_steal(&b) : strdup("");
}

/* How many times s occurs in text. */
static int count(const char *text, const char *s) {
  int n = 0;
  for (const char *p = text; (p = strstr(p, s)) != NULL; p += strlen(s)) n++;
  return n;
}

/* ---- the emitter's side ---------------------------------------------------- */

START_TEST(test_vmath_of_op) {
  static const struct { tc_op op; tcE_vmfn fn; const char *avx512; } ops[] = {
      {TC_OP_EXP, TCE_VM_EXP, "tc_exp_avx512"},
      {TC_OP_EXP2, TCE_VM_EXP2, "tc_exp2_avx512"},
      {TC_OP_EXPM1, TCE_VM_EXPM1, "tc_expm1_avx512"},
      {TC_OP_LOG, TCE_VM_LOG, "tc_log_avx512"},
      {TC_OP_LOG2, TCE_VM_LOG2, "tc_log2_avx512"},
      {TC_OP_LOG1P, TCE_VM_LOG1P, "tc_log1p_avx512"},
      {TC_OP_TANH, TCE_VM_TANH, "tc_tanh_avx512"},
      {TC_OP_SIGMOID, TCE_VM_SIGMOID, "tc_sigmoid_avx512"},
      {TC_OP_SILU, TCE_VM_SILU, "tc_silu_avx512"},
      {TC_OP_SOFTPLUS, TCE_VM_SOFTPLUS, "tc_softplus_avx512"},
      {TC_OP_ERF, TCE_VM_ERF, "tc_erf_avx512"},
      {TC_OP_GELU, TCE_VM_GELU, "tc_gelu_avx512"},
      {TC_OP_GELU_TANH, TCE_VM_GELU_TANH, "tc_gelu_tanh_avx512"},
  };
  int mapped = 0;
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    ck_assert_msg(tcE_vmath_of_op(ops[i].op) == ops[i].fn, "tcE_vmath_of_op(%s) = %d, want %d",
                  tc_op_name(ops[i].op), tcE_vmath_of_op(ops[i].op), ops[i].fn);
    ck_assert_str_eq(tcE_vmath_name(TCE_VISA_AVX512, ops[i].fn), ops[i].avx512);
  }
  ck_assert_str_eq(tcE_vmath_name(TCE_VISA_AVX2, TCE_VM_GELU_TANH), "tc_gelu_tanh_avx2");
  for (int op = 0; op < TC_OP_COUNT; op++) mapped += tcE_vmath_of_op(op) != TCE_VM_COUNT;
  ck_assert_msg(mapped == TCE_VM_COUNT, "%d ops map to vector math, want %d", mapped, TCE_VM_COUNT);
}
END_TEST

START_TEST(test_vmath_write_once_in_order) {
  char used[TCE_VISA_COUNT][TCE_VM_COUNT];
  memset(used, 0, sizeof used);
  char *none = vmath_text((const char(*)[TCE_VM_COUNT])used);
  ck_assert_msg(none[0] == 0, "nothing used, but tcE_vmath_write wrote:\n%s", none);
  free(none);

  /* one function: it and its kernels, the macros of its ISA only */
  used[TCE_VISA_AVX512][TCE_VM_SIGMOID] = 1;
  char *one = vmath_text((const char(*)[TCE_VM_COUNT])used);
  ck_assert_msg(strstr(one, "__m512 tc_sigmoid_avx512(") && strstr(one, "#define TC_TARGET_AVX512") &&
                    !strstr(one, "TC_TARGET_AVX2") && !strstr(one, "tc_exp_avx512(") &&
                    !strstr(one, "tc_log1p_poly_avx512("),
                "tcE_vmath_write for sigmoid alone wrote:\n%s", one);
  ck_assert_msg(strstr(one, "tc_exp_reduce_avx512(__m512") < strstr(one, "__m512 tc_sigmoid_avx512("),
                "a kernel written after its caller:\n%s", one);
  free(one);

  /* everything: each function once, every call after its callee's text */
  memset(used, 1, sizeof used);
  char *all = vmath_text((const char(*)[TCE_VM_COUNT])used);
  char *again = vmath_text((const char(*)[TCE_VM_COUNT])used);
  ck_assert_msg(!strcmp(all, again), "tcE_vmath_write is not deterministic");
  ck_assert_int_eq(count(all, "#define TC_VMATH_INLINE"), 1);
  ck_assert_int_eq(count(all, "#define TC_TARGET_AVX512"), 1);
  ck_assert_int_eq(count(all, "#define TC_TARGET_AVX2"), 1);
  for (int isa = 0; isa < TCE_VISA_COUNT; isa++)
    for (int f = 0; f < TCE_VM_COUNT; f++) {
      char def[64];
      const char *name = tcE_vmath_name((tcE_visa)isa, (tcE_vmfn)f);
      snprintf(def, sizeof def, " %s(__m", name);
      ck_assert_msg(count(all, def) == 1, "%s is defined %d times", name, count(all, def));
    }
  free(all);
  free(again);

  /* each function alone: every tc_ function its text calls is defined in
     it, before the call */
  for (int isa = 0; isa < TCE_VISA_COUNT; isa++)
    for (int f = 0; f < TCE_VM_COUNT; f++) {
      memset(used, 0, sizeof used);
      used[isa][f] = 1;
      char *text = vmath_text((const char(*)[TCE_VM_COUNT])used);
      for (const char *p = text; (p = strstr(p, "tc_")) != NULL; p++) {
        char name[64], def[80];
        int n = 0;
        while (n < 63 && (p[n] == '_' || (p[n] >= 'a' && p[n] <= 'z') || (p[n] >= '0' && p[n] <= '9')))
          name[n] = p[n], n++;
        name[n] = 0;
        if (p[n] != '(' || (p > text && p[-1] != ' ' && p[-1] != '(')) continue; /* not a call */
        snprintf(def, sizeof def, " %s(__m", name);
        const char *d = strstr(text, def);
        ck_assert_msg(d != NULL && d <= p, "%s alone: %s is called but not defined before:\n%s",
                      tcE_vmath_name((tcE_visa)isa, (tcE_vmfn)f), name, text);
      }
      free(text);
    }
}
END_TEST

/* ---- warnings ---------------------------------------------------------------- */

/* Every function of both ISAs in one file, as a generated file for target
   x86-64 holds them, each called from a function of its ISA; compiled by
   `cc` at -O2, ISO C, with no -m flag. */
static void no_warnings(const char *cc) {
  char *dir = fresh_dir(), path[512], cmd[2048], *out;
  char used[TCE_VISA_COUNT][TCE_VM_COUNT];
  memset(used, 1, sizeof used);
  char *text = vmath_text((const char(*)[TCE_VM_COUNT])used);
  tc_buf b = {0};
  tc_buf_printf(&b, "#include <immintrin.h>\n%s\n", text);
  for (int isa = 0; isa < TCE_VISA_COUNT; isa++)
    for (int f = 0; f < TCE_VM_COUNT; f++) {
      const char *t = isa == TCE_VISA_AVX512 ? "TC_TARGET_AVX512 __m512" : "TC_TARGET_AVX2 __m256";
      const char *v = isa == TCE_VISA_AVX512 ? "__m512" : "__m256";
      const char *name = tcE_vmath_name((tcE_visa)isa, (tcE_vmfn)f);
      tc_buf_printf(&b, "%s use_%s(%s x);\n%s use_%s(%s x) { return %s(x); }\n", t, name, v, t,
                    name, v, name);
    }
  snprintf(path, sizeof path, "%s/all.c", dir);
  spit(path, b.data);
  snprintf(cmd, sizeof cmd, "%s -std=c99 -Wall -Wextra -pedantic -Werror -O2 -c %s -o %s/all.o", cc,
           path, dir);
  int rc = run(cmd, &out);
  ck_assert_msg(rc == 0, "`%s` failed:\n%s", cmd, out);
  free(out);
  free(text);
  tc_buf_free(&b);
  rm_dir(dir);
}

START_TEST(test_vmath_no_warnings_gcc) { no_warnings("gcc"); }
END_TEST

START_TEST(test_vmath_no_warnings_clang) {
  if (!have("clang")) {
    fprintf(stderr, "vmath: clang is not installed; its warning check is skipped\n");
    return;
  }
  no_warnings("clang");
}
END_TEST

/* ---- accuracy ------------------------------------------------------------------ */

/* Build tests/emit/vmath/sweep.c with `cc` (no -m flag) on the text of
   every function of both ISAs, and run it for each ISA at `stride`. */
static void sweep(const char *cc, int stride) {
  char *dir = fresh_dir(), path[512], cmd[2048], *out;
  char used[TCE_VISA_COUNT][TCE_VM_COUNT];
  memset(used, 1, sizeof used);
  char *text = vmath_text((const char(*)[TCE_VM_COUNT])used);
  snprintf(path, sizeof path, "%s/tc_vmath.c", dir);
  spit(path, text);
  free(text);
  snprintf(cmd, sizeof cmd, "%s -std=c99 -O2 -Wall -Wextra -Werror -I%s tests/emit/vmath/sweep.c -lm -o %s/sweep",
           cc, dir, dir);
  int rc = run(cmd, &out);
  ck_assert_msg(rc == 0, "`%s` failed:\n%s", cmd, out);
  free(out);
  for (int isa = TCE_VISA_COUNT - 1; isa >= 0; isa--) {
    snprintf(cmd, sizeof cmd, "%s/sweep %s %d", dir, isa_name[isa], stride);
    rc = run(cmd, &out);
    if (rc == 77) {
      fprintf(stderr, "vmath: %s", out); /* "skipped: this CPU has no avx512f" */
    } else {
      ck_assert_msg(rc == 0, "`%s` (built by %s) failed: a function beyond its bound in "
                    "docs/math.md, or not libm's at a special value:\n%s", cmd, cc, out);
    }
    free(out);
  }
  rm_dir(dir);
}

START_TEST(test_vmath_accuracy_gcc) { sweep("gcc", 4099); }
END_TEST

START_TEST(test_vmath_accuracy_clang) {
  if (!have("clang")) {
    fprintf(stderr, "vmath: clang is not installed; its accuracy sweep is skipped\n");
    return;
  }
  sweep("clang", 16381);
}
END_TEST

TCase *emit_vmath_tcase(void) {
  TCase *tc = tcase_create("vmath");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_vmath_of_op);
  tcase_add_test(tc, test_vmath_write_once_in_order);
  tcase_add_test(tc, test_vmath_no_warnings_gcc);
  tcase_add_test(tc, test_vmath_no_warnings_clang);
  tcase_add_test(tc, test_vmath_accuracy_gcc);
  tcase_add_test(tc, test_vmath_accuracy_clang);
  return tc;
}
