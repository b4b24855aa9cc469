/*
 * math_test.c: the f32 math helpers the emitter prints into generated C
 * (emit/scalar.c, docs/math.md).  Their text comes from the emitter
 * (tcE_use_helper, tcE_scalar_prelude), never from a copy:
 *   - accuracy: tests/emit/math/sweep.c compares them with double libm
 *     over a dense subset of all floats and the special values, built by
 *     gcc as the bench builds kernels (-O3 -march=native: vectorized, FMA
 *     contracted), by gcc -std=c99 -O2 (scalar, no contraction) and by tcc;
 *   - vectorization: gcc must vectorize a loop calling each of them, a
 *     loop chaining several, and a reduction (-fopt-info-vec), so that an
 *     edit that brings back a branch or a call fails here.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emit/cgen.h"
#include "emit_tests.h"

/* The helpers an op can call, and their C names. */
static const struct {
  tcE_helper h;
  const char *fn;
} math_fns[] = {
    {TCE_H_EXPF, "tc_expf"},           {TCE_H_EXP2F, "tc_exp2f"},
    {TCE_H_EXPM1F, "tc_expm1f"},       {TCE_H_LOGF, "tc_logf"},
    {TCE_H_LOG2F, "tc_log2f"},         {TCE_H_LOG1PF, "tc_log1pf"},
    {TCE_H_TANHF, "tc_tanhf"},         {TCE_H_SIGMOIDF, "tc_sigmoidf"},
    {TCE_H_SILUF, "tc_siluf"},         {TCE_H_SOFTPLUSF, "tc_softplusf"},
    {TCE_H_GELU_TANHF, "tc_gelu_tanhf"}, {TCE_H_ERFF, "tc_erff"},
    {TCE_H_GELUF, "tc_geluf"},
};
enum { NMATH = sizeof math_fns / sizeof math_fns[0] };

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

/* Run a shell command; its output (malloc'd) in *out. */
static int run(const char *cmd, char **out) {
  char full[4096];
  char log[] = "/tmp/tc_math_log_XXXXXX";
  int fd = mkstemp(log);
  ck_assert(fd >= 0);
  close(fd);
  snprintf(full, sizeof full, "(%s) > %s 2>&1", cmd, log);
  int rc = system(full);
  *out = slurp(log);
  unlink(log);
  return rc;
}

static int have(const char *tool) {
  char cmd[256];
  snprintf(cmd, sizeof cmd, "command -v %s > /dev/null 2>&1", tool);
  return system(cmd) == 0;
}

/* A fresh folder holding tc_math.c: the includes a generated file starts
   with, then every math helper as the emitter prints it.  Malloc'd. */
static char *math_dir(void) {
  char *dir = strdup("/tmp/tc_math_XXXXXX");
  ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp failed");
  tcE_cg g;
  memset(&g, 0, sizeof g);
  for (int i = 0; i < NMATH; i++) tcE_use_helper(&g, math_fns[i].h);
  tc_buf b = {0};
  tc_buf_puts(&b, "#include <stdint.h>\n#include <stdlib.h>\n#include <string.h>\n");
  tcE_scalar_prelude(&g, &b);
  ck_assert_msg(g.libm.len == 0, "the f32 math helpers call libm (%s)", g.libm.data[0]);
  TC_VEC_FREE(g.libm);
  char path[512];
  snprintf(path, sizeof path, "%s/tc_math.c", dir);
  spit(path, b.data);
  tc_buf_free(&b);
  return dir;
}

static void rm_dir(char *dir) {
  char cmd[600], *out;
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  run(cmd, &out);
  free(out);
  free(dir);
}

/* ---- accuracy ------------------------------------------------------------ */

/* Build tests/emit/math/sweep.c with `cc` and run it at `stride`. */
static void sweep(const char *cc, int stride) {
  char *dir = math_dir(), cmd[2048], *out;
  snprintf(cmd, sizeof cmd, "%s -I%s tests/emit/math/sweep.c -lm -o %s/sweep && %s/sweep %d", cc,
           dir, dir, dir, stride);
  int rc = run(cmd, &out);
  ck_assert_msg(rc == 0, "`%s` failed (a helper beyond its bound in docs/math.md, or "
                "not libm's at a special value):\n%s", cmd, out);
  free(out);
  rm_dir(dir);
}

START_TEST(test_math_accuracy_vector) {
  /* as bench/ builds kernels: vectorized, with FMA contraction */
  sweep("gcc -std=gnu99 -O3 -march=native -Wall -Wextra -Werror", 8191);
}
END_TEST

START_TEST(test_math_accuracy_scalar) {
  /* ISO C: no contraction; a coarser stride, the code being scalar */
  sweep("gcc -std=c99 -O2 -Wall -Wextra -pedantic -Werror", 65521);
}
END_TEST

START_TEST(test_math_accuracy_tcc) {
  ck_assert_msg(have("tcc"), "tcc is not installed");
  sweep("tcc -Werror", 262139);
}
END_TEST

/* ---- vectorization --------------------------------------------------------- */

/* One loop a line: line 4 + i calls math_fns[i]; then a loop chaining
   several, a loop over rows and a reduction, whose lines are in *extra.
   The loops run to `n` (a name, or a number for gcc -O2's cost model). */
static char *vec_source(const char *n, int *extra, int *nextra) {
  tc_buf b = {0};
  int line = 4;
  tc_buf_puts(&b, "#include \"tc_math.c\"\n"
                  "/* one loop a line: the test reads the line numbers of -fopt-info-vec */\n"
                  "typedef float *restrict fp;\n");
  for (int i = 0; i < NMATH; i++, line++)
    tc_buf_printf(&b, "void l%d(const float *x, fp y, long n) { long i; for (i = 0; i < %s; i++) "
                      "y[i] = %s(x[i]); }\n", i, n, math_fns[i].fn);
  *nextra = 0;
  extra[(*nextra)++] = line++;
  tc_buf_printf(&b, "void chain(const float *a, const float *b, fp y, long n) { long i; for (i = 0; "
                    "i < %s; i++) y[i] = tc_expf(tc_tanhf(a[i] * b[i])) + tc_geluf(a[i]) * "
                    "tc_logf(b[i]) - tc_sigmoidf(tc_log1pf(a[i])); }\n", n);
  extra[(*nextra)++] = line++;
  tc_buf_printf(&b, "void rows(const float *x, const float *m, fp y, long n) { long i, j; for (i = 0; "
                    "i < n; i++) for (j = 0; j < %s; j++) y[i * 1024 + j] = tc_expf(x[i * 1024 + j] "
                    "- m[i]); }\n", n);
  tc_buf_puts(&b, "float sum(const float *x, long n) { float s = 0; long i;\n"
                  "#pragma omp simd reduction(+:s)\n");
  line += 2;
  extra[(*nextra)++] = line++;
  tc_buf_printf(&b, "  for (i = 0; i < %s; i++) s += tc_expf(x[i] - 1.0f) * tc_siluf(x[i]);\n"
                    "  return s; }\n", n);
  return tc_buf_steal(&b);
}

/* Compile the loops (to `n`) with `cc`: each must be reported vectorized. */
static void vectorized(const char *cc, const char *n) {
  char *dir = math_dir(), path[512], cmd[2048], *out;
  int extra[8], nextra;
  char *src = vec_source(n, extra, &nextra);
  snprintf(path, sizeof path, "%s/loops.c", dir);
  spit(path, src);
  snprintf(cmd, sizeof cmd, "cd %s && %s -fopenmp-simd -fopt-info-vec-optimized -c loops.c", dir,
           cc);
  int rc = run(cmd, &out);
  ck_assert_msg(rc == 0, "`%s` failed:\n%s", cmd, out);
  for (int i = 0; i < NMATH + nextra; i++) {
    int line = i < NMATH ? 4 + i : extra[i - NMATH];
    char want[64];
    snprintf(want, sizeof want, "loops.c:%d:", line);
    const char *p = out;
    int found = 0;
    while (!found && (p = strstr(p, want)) != NULL) {
      const char *eol = strchr(p, '\n');
      const char *v = strstr(p, "loop vectorized");
      found = v && (!eol || v < eol);
      p += strlen(want);
    }
    ck_assert_msg(found, "`%s` did not vectorize the loop on line %d of %s/loops.c (%s); it "
                  "said:\n%s", cmd, line, dir, i < NMATH ? math_fns[i].fn : "several helpers",
                  out);
  }
  free(out);
  free(src);
  rm_dir(dir);
}

START_TEST(test_math_vectorized_native) {
  vectorized("gcc -O3 -march=native", "n");
}
END_TEST

START_TEST(test_math_vectorized_sse2) {
  /* x86-64's baseline: SSE2 only, no blends, no FMA */
  vectorized("gcc -O3", "n");
}
END_TEST

START_TEST(test_math_vectorized_o2) {
  /* gcc 12's -O2 vectorizes only loops that need no epilogue and no alias
     check (its "very cheap" cost model): a known, even trip count */
  vectorized("gcc -O2 -march=native", "1024");
}
END_TEST

TCase *emit_math_tcase(void) {
  TCase *tc = tcase_create("math");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_math_accuracy_vector);
  tcase_add_test(tc, test_math_accuracy_scalar);
  tcase_add_test(tc, test_math_accuracy_tcc);
  tcase_add_test(tc, test_math_vectorized_native);
  tcase_add_test(tc, test_math_vectorized_sse2);
  tcase_add_test(tc, test_math_vectorized_o2);
  return tc;
}
