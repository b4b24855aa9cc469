/*
 * jit_test.c: the JIT drivers (libtcc in memory, cc + cache + dlopen) and
 * the tc_parallel_for hook.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../rt/rt.h"
#include "rt_tests.h"

/* A function pointer out of a library's void * (PLATFORM.md: memcpy). */
typedef int (*int_fn)(int);
static int_fn get_int_fn(tcR_lib *lib, const char *name) {
  void *p = tcR_lib_sym(lib, name);
  int_fn f = NULL;
  if (p) memcpy(&f, &p, sizeof f);
  return f;
}

/* ---- libtcc ------------------------------------------------------------ */

START_TEST(tcc_compiles_and_calls) {
  char err[1024];
  tcR_tcc_warmup();
  const char *src =
      "double sqrt(double);\n"
      "static int twice(int x) { return 2 * x; }\n"
      "int f(int x) { return twice(x) + (int)sqrt(16.0); }\n";
  tcR_lib *lib = tcR_jit_tcc(src, err, sizeof err);
  ck_assert_msg(lib != NULL, "tcR_jit_tcc on a valid source failed: %s", err);
  int_fn f = get_int_fn(lib, "f");
  ck_assert_msg(f != NULL, "symbol f not found after tcR_jit_tcc");
  ck_assert_msg(f(3) == 10, "f(3) = 2*3 + sqrt(16) should be 10, got %d", f(3));
  ck_assert_msg(tcR_lib_sym(lib, "twice") == NULL,
                "a static function must not be exported, but 'twice' was");
  ck_assert_msg(tcR_lib_sym(lib, "nope") == NULL, "unknown symbol found");
  tcR_lib_free(lib);
}
END_TEST

/* Code compiled by libtcc sees TENSORC_POOL and can call tc_parallel_for. */
START_TEST(tcc_provides_the_pool) {
  char err[1024];
  const char *src =
      "#include <stdint.h>\n"
      "#ifndef TENSORC_POOL\n#error TENSORC_POOL not defined\n#endif\n"
      "void tc_parallel_for(int64_t n, void (*body)(void *, int64_t, int64_t), void *arg);\n"
      "static void add(void *arg, int64_t lo, int64_t hi) {\n"
      "  int *a = arg; for (int64_t i = lo; i < hi; i++) a[i] += (int)i; }\n"
      "int f(int n) { int a[1000] = {0}; int s = 0;\n"
      "  tc_parallel_for(n, add, a);\n"
      "  for (int i = 0; i < n; i++) s += a[i]; return s; }\n";
  tcR_lib *lib = tcR_jit_tcc(src, err, sizeof err);
  ck_assert_msg(lib != NULL, "tcc compile with tc_parallel_for failed: %s", err);
  int_fn f = get_int_fn(lib, "f");
  ck_assert_msg(f && f(1000) == 999 * 1000 / 2,
                "sum over tc_parallel_for(1000) should be %d", 999 * 1000 / 2);
  tcR_lib_free(lib);
}
END_TEST

START_TEST(tcc_reports_errors) {
  char err[1024];
  tcR_lib *lib = tcR_jit_tcc("#line 7 \"k.c\"\nint f(int x) { return x + ; }\n",
                             err, sizeof err);
  ck_assert_msg(lib == NULL, "a syntax error compiled");
  ck_assert_msg(strstr(err, "k.c:7") != NULL,
                "tcc's message should name k.c:7, got '%s'", err);
  /* -Werror: an undeclared function is an error at compile time. */
  lib = tcR_jit_tcc("int f(int x) { return undeclared_fn(x); }\n", err,
                    sizeof err);
  ck_assert_msg(lib == NULL, "a call to an undeclared function compiled");
  ck_assert_msg(strstr(err, "undeclared_fn") != NULL,
                "the message should name undeclared_fn, got '%s'", err);
}
END_TEST

/* $TENSORC_TCC_DIR is where libtcc looks for libtcc1.a and its headers. */
START_TEST(tcc_dir_override) {
  char err[1024];
  setenv("TENSORC_TCC_DIR", "/nonexistent-tcc-dir", 1);
  tcR_lib *lib = tcR_jit_tcc("int f(int x) { return x; }\n", err, sizeof err);
  unsetenv("TENSORC_TCC_DIR");
  ck_assert_msg(lib == NULL, "compiled with TENSORC_TCC_DIR=/nonexistent-tcc-dir");
  ck_assert_msg(strstr(err, "/nonexistent-tcc-dir/libtcc1.a") != NULL,
                "the message should name /nonexistent-tcc-dir/libtcc1.a, got '%s'", err);
  lib = tcR_jit_tcc("int f(int x) { return x; }\n", err, sizeof err);
  ck_assert_msg(lib != NULL, "without TENSORC_TCC_DIR the compile failed: %s", err);
  tcR_lib_free(lib);
}
END_TEST

/* Compiling a small kernel in memory must stay around a millisecond; the
   bound is loose (a loaded machine, sanitizers) but catches a 10x slip
   such as including <math.h>. */
START_TEST(tcc_is_fast) {
  char err[1024];
  tcR_tcc_warmup();
  const char *src =
      "#include <stdint.h>\n"
      "float expf(float);\n"
      "int f(int n) { float a[64]; for (int i = 0; i < 64; i++) a[i] = expf((float)i * 0.01f);\n"
      "  float s = 0; for (int i = 0; i < 64; i++) s += a[i]; return (int)s + n; }\n";
  double best = 1e9;
  for (int i = 0; i < 5; i++) {
    double t0 = tcR_now();
    tcR_lib *lib = tcR_jit_tcc(src, err, sizeof err);
    double t = tcR_now() - t0;
    ck_assert_msg(lib != NULL, "compile failed: %s", err);
    tcR_lib_free(lib);
    if (t < best) best = t;
  }
  ck_assert_msg(best < 0.05, "tcc compile of a small kernel took %.2f ms",
                best * 1e3);
}
END_TEST

/* ---- cc + cache -------------------------------------------------------- */

/* A fresh cache directory per test. */
static char *fresh_cache(void) {
  char tmpl[] = "/tmp/tensorc-test-cache-XXXXXX";
  char *d = mkdtemp(tmpl);
  ck_assert_msg(d != NULL, "mkdtemp failed");
  setenv("TENSORC_CACHE", d, 1);
  return strdup(d);
}

static void rm_rf(const char *dir) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

/* The one KEY.so in dir (malloc'd path), or NULL; *count = how many. */
static char *find_so(const char *dir, int *count) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "ls '%s'/*.so 2>/dev/null", dir);
  FILE *p = popen(cmd, "r");
  char line[512], *first = NULL;
  *count = 0;
  while (p && fgets(line, sizeof line, p)) {
    line[strcspn(line, "\n")] = '\0';
    if (!first) first = strdup(line);
    (*count)++;
  }
  if (p) pclose(p);
  return first;
}

static const char *cc_src = "int f(int x) { return 3 * x + 1; }\n";

START_TEST(cc_compiles_then_hits_the_cache) {
  char err[4096];
  char *dir = fresh_cache();
  int cached = -1;
  tcR_lib *lib = tcR_jit_cc(cc_src, NULL, &cached, err, sizeof err);
  ck_assert_msg(lib != NULL, "tcR_jit_cc failed: %s", err);
  ck_assert_msg(cached == 0, "first compile into an empty cache reported cached");
  int_fn f = get_int_fn(lib, "f");
  ck_assert_msg(f && f(2) == 7, "f(2) should be 7");
  tcR_lib_free(lib);

  lib = tcR_jit_cc(cc_src, NULL, &cached, err, sizeof err);
  ck_assert_msg(lib != NULL, "second tcR_jit_cc failed: %s", err);
  ck_assert_msg(cached == 1, "second compile of the same source was not cached");
  f = get_int_fn(lib, "f");
  ck_assert_msg(f && f(2) == 7, "cached f(2) should be 7");
  tcR_lib_free(lib);
  int n = 0;
  free(find_so(dir, &n));
  ck_assert_msg(n == 1, "expected one .so in the cache, found %d", n);
  rm_rf(dir);
  free(dir);
}
END_TEST

START_TEST(cc_rebuilds_a_corrupt_entry) {
  char err[4096];
  char *dir = fresh_cache();
  int cached = -1;
  tcR_lib *lib = tcR_jit_cc(cc_src, NULL, &cached, err, sizeof err);
  ck_assert_msg(lib != NULL, "tcR_jit_cc failed: %s", err);
  tcR_lib_free(lib);
  int n = 0;
  char *so = find_so(dir, &n);
  ck_assert_msg(so != NULL, "no .so in the cache after a compile");
  struct stat st;
  ck_assert(stat(so, &st) == 0);
  ck_assert_msg(truncate(so, st.st_size / 2) == 0, "truncate failed");

  lib = tcR_jit_cc(cc_src, NULL, &cached, err, sizeof err);
  ck_assert_msg(lib != NULL, "compile after truncating the .so failed: %s", err);
  ck_assert_msg(cached == 0, "a truncated entry was reported as a cache hit");
  int_fn f = get_int_fn(lib, "f");
  ck_assert_msg(f && f(0) == 1, "rebuilt f(0) should be 1");
  tcR_lib_free(lib);
  struct stat st2;
  ck_assert(stat(so, &st2) == 0);
  ck_assert_msg(st2.st_size == st.st_size,
                "rebuilt .so has %lld bytes, the original %lld",
                (long long)st2.st_size, (long long)st.st_size);
  lib = tcR_jit_cc(cc_src, NULL, &cached, err, sizeof err);
  ck_assert_msg(lib && cached == 1, "the rebuilt entry is not a cache hit");
  tcR_lib_free(lib);
  free(so);
  rm_rf(dir);
  free(dir);
}
END_TEST

START_TEST(cc_key_depends_on_flags) {
  char err[4096];
  char *dir = fresh_cache();
  int cached = -1;
  tcR_lib *lib = tcR_jit_cc(cc_src, "-O1", &cached, err, sizeof err);
  ck_assert_msg(lib != NULL, "tcR_jit_cc -O1 failed: %s", err);
  tcR_lib_free(lib);
  lib = tcR_jit_cc(cc_src, "-O3", &cached, err, sizeof err);
  ck_assert_msg(lib != NULL, "tcR_jit_cc -O3 failed: %s", err);
  ck_assert_msg(cached == 0, "other flags hit the cache entry of -O1");
  tcR_lib_free(lib);
  int n = 0;
  free(find_so(dir, &n));
  ck_assert_msg(n == 2, "expected two cache entries (-O1, -O3), found %d", n);
  rm_rf(dir);
  free(dir);
}
END_TEST

START_TEST(cc_reports_errors) {
  char err[4096];
  char *dir = fresh_cache();
  int cached = -1;
  tcR_lib *lib = tcR_jit_cc("int f(int x) { return x + ; }\n", NULL, &cached,
                            err, sizeof err);
  ck_assert_msg(lib == NULL, "a syntax error compiled with cc");
  ck_assert_msg(strstr(err, "error") != NULL,
                "cc's stderr should be in err, got '%s'", err);
  int n = 0;
  free(find_so(dir, &n));
  ck_assert_msg(n == 0, "a failed compile left %d .so files in the cache", n);
  rm_rf(dir);
  free(dir);
}
END_TEST

/* ---- tc_parallel_for --------------------------------------------------- */

typedef struct cover {
  int64_t n;
  unsigned char *hits;
} cover;

static void mark(void *arg, int64_t lo, int64_t hi) {
  cover *c = arg;
  ck_assert_msg(0 <= lo && lo <= hi && hi <= c->n, "range [%lld, %lld) outside [0, %lld)",
                (long long)lo, (long long)hi, (long long)c->n);
  for (int64_t i = lo; i < hi; i++) c->hits[i]++;
}

START_TEST(parallel_for_covers_once) {
  const int64_t ns[] = {0, 1, 2, 3, 7, 64, 1000, 100003};
  const char *threads[] = {NULL, "1", "3", "16"};
  for (size_t t = 0; t < sizeof threads / sizeof *threads; t++) {
    if (threads[t])
      setenv("TENSORC_NUM_THREADS", threads[t], 1);
    else
      unsetenv("TENSORC_NUM_THREADS");
    for (size_t i = 0; i < sizeof ns / sizeof *ns; i++) {
      cover c = {ns[i], calloc((size_t)ns[i] + 1, 1)};
      tc_parallel_for(ns[i], mark, &c);
      for (int64_t j = 0; j < ns[i]; j++)
        ck_assert_msg(c.hits[j] == 1,
                      "tc_parallel_for(%lld) with %s threads ran index %lld %d times",
                      (long long)ns[i], threads[t] ? threads[t] : "default",
                      (long long)j, c.hits[j]);
      free(c.hits);
    }
  }
  unsetenv("TENSORC_NUM_THREADS");
}
END_TEST

Suite *rt_jit_suite(void) {
  Suite *s = suite_create("rt_jit");
  TCase *tc = tcase_create("tcc");
  tcase_add_test(tc, tcc_compiles_and_calls);
  tcase_add_test(tc, tcc_provides_the_pool);
  tcase_add_test(tc, tcc_reports_errors);
  tcase_add_test(tc, tcc_is_fast);
  tcase_add_test(tc, tcc_dir_override);
  suite_add_tcase(s, tc);
  tc = tcase_create("cc");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, cc_compiles_then_hits_the_cache);
  tcase_add_test(tc, cc_rebuilds_a_corrupt_entry);
  tcase_add_test(tc, cc_key_depends_on_flags);
  tcase_add_test(tc, cc_reports_errors);
  suite_add_tcase(s, tc);
  tc = tcase_create("pool");
  tcase_add_test(tc, parallel_for_covers_once);
  suite_add_tcase(s, tc);
  return s;
}
