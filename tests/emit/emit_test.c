/*
 * emit_test.c: the C writer (emit/).  Golden files of generated C, the
 * generated C compiled by gcc, clang and tcc without warnings for programs
 * using every op, determinism, and a few kernels run against values worked
 * out by hand (under ASan and UBSan).
 *
 * Golden files live in tests/emit/golden/NAME.{c,h}.  After a deliberate
 * change of the generated code, regenerate them with
 *     UPDATE_GOLDEN=1 build/test_emit
 * (run from the repository's root) and review the diff.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emit/emit.h"
#include "emit_tests.h"
#include "lang/lang.h"
#include "passes/passes.h"

#define GOLDEN_DIR "tests/emit/golden"

typedef struct generated {
  char *h, *c;
  char module[64];
} generated;

/* Compile DSL text `src` (file NAME.lua) through the pipeline to C. */
static generated generate(const char *name, const char *src, int single_file) {
  tc_diag d = {0};
  tcL_options o = {0};
  char file[128];
  snprintf(file, sizeof file, "%s.lua", name);
  tc_module *m = tcL_load_string(src, file, &o, &d);
  ck_assert_msg(m != NULL, "loading %s failed: %s", file, d.msg);
  ck_assert_msg(tcP_decompose(m, &d) == 0, "decompose of %s failed: %s", file, d.msg);
  ck_assert_msg(tcP_quant(m, &d) == 0, "quant of %s failed: %s", file, d.msg);
  tc_loop_prog *progs[16];
  ck_assert(m->kernels.len <= 16);
  for (int i = 0; i < m->kernels.len; i++) {
    progs[i] = tcP_lower(m, m->kernels.data[i], &d);
    ck_assert_msg(progs[i] != NULL, "lowering %s failed: %s", file, d.msg);
    ck_assert_msg(tcP_fuse(progs[i], &d) == 0, "fusing %s failed: %s", file, d.msg);
    ck_assert_msg(tcP_chunk(progs[i], &d) == 0, "chunking %s failed: %s", file, d.msg);
    ck_assert_msg(tcP_nest(progs[i], &d) == 0, "nesting %s failed: %s", file, d.msg);
  }
  tcE_options eo = {NULL, NULL, TCE_TARGET_SCALAR, single_file};
  generated g;
  g.h = tcE_emit_header(m, &eo);
  g.c = tcE_emit_source(m, (const tc_loop_prog *const *)progs, &eo, &d);
  ck_assert_msg(g.c != NULL, "emitting %s failed: %s", file, d.msg);
  snprintf(g.module, sizeof g.module, "%s", m->name);
  for (int i = 0; i < m->kernels.len; i++) tc_loop_free(progs[i]);
  tc_module_free(m);
  return g;
}

static void generated_free(generated *g) {
  free(g->h);
  free(g->c);
}

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

/* A fresh temporary directory (left behind on failure, for a look). */
static char *tmpdir(void) {
  char *t = strdup("/tmp/tc_emit_XXXXXX");
  ck_assert_msg(mkdtemp(t) != NULL, "mkdtemp failed");
  return t;
}

static void write_pair(const char *dir, const generated *g) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s.h", dir, g->module);
  spit(path, g->h);
  snprintf(path, sizeof path, "%s/%s.c", dir, g->module);
  spit(path, g->c);
}

/* Run a shell command; its output is returned (malloc'd) in *out. */
static int run(const char *cmd, char **out) {
  char full[2048];
  char *log = strdup("/tmp/tc_emit_log_XXXXXX");
  int fd = mkstemp(log);
  ck_assert(fd >= 0);
  close(fd);
  snprintf(full, sizeof full, "(%s) > %s 2>&1", cmd, log);
  int rc = system(full);
  *out = slurp(log);
  unlink(log);
  free(log);
  return rc;
}

static int have(const char *tool) {
  char cmd[256];
  snprintf(cmd, sizeof cmd, "command -v %s > /dev/null 2>&1", tool);
  return system(cmd) == 0;
}

/* ---- golden files ------------------------------------------------------ */

static const emit_program golden[] = {
    {"mlp",
     "local B = dim('B')\n"
     "local x = input('x', f32, {B, 4})\n"
     "local w = weight('w', f32, {3, 4})\n"
     "local b = weight('b', f32, {3})\n"
     "output('y', softmax(relu(linear(x, w, b)), 1))\n"},
    {"gather",
     "local N = dim('N')\n"
     "local M = dim('M')\n"
     "local x = input('x', f32, {M})\n"
     "local idx = input('idx', i32, {N})\n"
     "output('y', compute({N}, function(i) return where(lt(idx(i), 0), 0, x(idx(i))) end))\n"
     "output('s', sum(reshape(x, {1, M}), 1))\n"},
    {"bf16",
     "local x = input('x', bf16, {4})\n"
     "local n = input('n', i64, {4})\n"
     "output('y', cast(x * 2, f32) + 1)\n"
     "output('a', argmax(x, 0))\n"
     "output('q', n // 3)\n"},
    {"spmm",
     "local N, M = dim('N'), dim('M')\n"
     "local A = csr('A', f32, {N, M}, {index = i32})\n"
     "local x = input('x', f32, {M, 4})\n"
     "output('y', spmm(A, x, 'mean'))\n"},
    {"qlinear",
     "local B = dim('B')\n"
     "local qx = input('qx', u8, {B, 8})\n"
     "local qw = weight('qw', i8, {4, 8})\n"
     "local b = weight('b', f32, {4})\n"
     "local y = relu(linear(dequantize(qx, 0.05, 128), dequantize(qw, 0.02, 0), b))\n"
     "output('q', quantize(y, 0.04, 10, u8))\n"},
};

static void check_golden(const char *name, const char *ext, const char *got) {
  char path[256];
  snprintf(path, sizeof path, "%s/%s.%s", GOLDEN_DIR, name, ext);
  if (getenv("UPDATE_GOLDEN")) {
    mkdir(GOLDEN_DIR, 0777);
    spit(path, got);
    return;
  }
  char *want = slurp(path);
  ck_assert_msg(want != NULL, "golden file %s is missing (run with UPDATE_GOLDEN=1 from the "
                "repository root)", path);
  if (strcmp(want, got)) {
    /* show where they first differ */
    size_t i = 0, line = 1;
    while (want[i] && want[i] == got[i]) line += want[i++] == '\n';
    ck_abort_msg("generated %s.%s differs from %s at line %zu:\nexpected: %.80s\ngot:      %.80s\n"
                 "(UPDATE_GOLDEN=1 regenerates the golden files)",
                 name, ext, path, line, want + i, got + i);
  }
  free(want);
}

START_TEST(test_golden) {
  const emit_program *p = &golden[_i];
  generated g = generate(p->name, p->src, 0);
  check_golden(p->name, "h", g.h);
  check_golden(p->name, "c", g.c);
  generated_free(&g);
}
END_TEST

/* ---- compilers --------------------------------------------------------- */

static void compile_all(const char *cc, int single_file) {
  char *dir = tmpdir();
  for (const emit_program *p = emit_programs; p->name; p++) {
    generated g = generate(p->name, p->src, single_file);
    write_pair(dir, &g);
    char cmd[1024], *out;
    snprintf(cmd, sizeof cmd, "cd %s && %s -c %s.c -o %s.o", dir, cc, g.module, g.module);
    int rc = run(cmd, &out);
    ck_assert_msg(rc == 0, "`%s` on the C of program %s failed:\n%s\nsource:\n%s", cmd, p->name,
                  out, p->src);
    free(out);
    generated_free(&g);
  }
  char cmd[600], *out;
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  run(cmd, &out);
  free(out);
  free(dir);
}

START_TEST(test_compile_gcc) {
  compile_all("gcc -std=c99 -Wall -Wextra -pedantic -Werror", 0);
}
END_TEST

START_TEST(test_compile_gcc_o2) {
  /* some warnings (maybe-uninitialized, overflow) appear only when optimizing */
  compile_all("gcc -std=c99 -O2 -Wall -Wextra -pedantic -Werror", 0);
}
END_TEST

START_TEST(test_compile_clang) {
  if (!have("clang")) return;
  compile_all("clang -std=c99 -Wall -Wextra -pedantic -Werror", 0);
}
END_TEST

START_TEST(test_compile_tcc) {
  ck_assert_msg(have("tcc"), "tcc is not installed (PLATFORM.md: apt-get install tcc)");
  compile_all("tcc -Werror", 0);
}
END_TEST

START_TEST(test_compile_tcc_single_file) {
  ck_assert_msg(have("tcc"), "tcc is not installed");
  compile_all("tcc -Werror", 1);
}
END_TEST

/* ---- determinism ------------------------------------------------------- */

START_TEST(test_deterministic) {
  for (const emit_program *p = emit_programs; p->name; p++) {
    generated a = generate(p->name, p->src, 0), b = generate(p->name, p->src, 0);
    ck_assert_msg(!strcmp(a.c, b.c) && !strcmp(a.h, b.h),
                  "emitting program %s twice gave different text", p->name);
    generated_free(&a);
    generated_free(&b);
  }
}
END_TEST

START_TEST(test_exports_only_prefixed) {
  /* M.c exports only P_* symbols: everything else is static. */
  char *dir = tmpdir();
  generated g = generate("mlp", golden[0].src, 0);
  write_pair(dir, &g);
  char cmd[1024], *out;
  snprintf(cmd, sizeof cmd,
           "cd %s && gcc -std=c99 -c mlp.c -o mlp.o && nm -g --defined-only mlp.o | "
           "awk '{print $3}' | grep -v '^mlp_' || true",
           dir);
  int rc = run(cmd, &out);
  ck_assert_msg(rc == 0 && out && out[0] == 0, "mlp.c exports symbols other than mlp_*:\n%s", out);
  free(out);
  generated_free(&g);
  free(dir);
}
END_TEST

/* ---- running generated code -------------------------------------------- */

/* Build NAME.c with main_c under ASan+UBSan and run it; main_c returns 0
   when every value is as expected and prints what differs otherwise. */
static void build_and_run(const char *name, const char *src, const char *main_c) {
  char *dir = tmpdir();
  generated g = generate(name, src, 0);
  write_pair(dir, &g);
  char path[512];
  snprintf(path, sizeof path, "%s/main.c", dir);
  spit(path, main_c);
  char cmd[1024], *out;
  snprintf(cmd, sizeof cmd,
           "cd %s && gcc -std=c99 -Wall -Wextra -pedantic -Werror -g "
           "-fsanitize=address,undefined -fno-sanitize-recover=all %s.c main.c -lm -o run && ./run",
           dir, g.module);
  int rc = run(cmd, &out);
  ck_assert_msg(rc == 0, "running program %s:\n%s\nwith main.c in %s failed:\n%s", name, src, dir,
                out);
  free(out);
  generated_free(&g);
  free(dir);
}

START_TEST(test_run_mlp) {
  static const char main_c[] =
      "#include \"mlp.h\"\n"
      "#include <math.h>\n"
      "#include <stdio.h>\n"
      "int main(void) {\n"
      "  float w[12], b[3], x[8], y[6], want[6];\n"
      "  mlp_ctx *c;\n"
      "  int i, r, o, k, bad = 0;\n"
      "  for (i = 0; i < 12; i++) w[i] = (float)(i % 5) * 0.25f - 0.5f;\n"
      "  for (i = 0; i < 3; i++) b[i] = 0.1f * (float)i;\n"
      "  for (i = 0; i < 8; i++) x[i] = (float)(i % 3) - 1.0f + 0.5f * (float)i;\n"
      "  if (mlp_create(&c, w, b)) return 1;\n"
      "  w[0] = 100.0f; /* the ctx holds a copy */\n"
      "  w[0] = -0.5f;\n"
      "  if (mlp_run(c, 2, x, y)) { printf(\"run failed\\n\"); return 1; }\n"
      "  for (r = 0; r < 2; r++) {\n"
      "    float t[3], m = -1e30f, s = 0;\n"
      "    for (o = 0; o < 3; o++) {\n"
      "      float a = 0;\n"
      "      for (k = 0; k < 4; k++) a += x[r * 4 + k] * w[o * 4 + k];\n"
      "      a += b[o];\n"
      "      t[o] = a < 0 ? 0 : a;\n"
      "      if (t[o] > m) m = t[o];\n"
      "    }\n"
      "    for (o = 0; o < 3; o++) { t[o] = expf(t[o] - m); s += t[o]; }\n"
      "    for (o = 0; o < 3; o++) want[r * 3 + o] = t[o] / s;\n"
      "  }\n"
      "  for (i = 0; i < 6; i++)\n"
      "    if (fabsf(y[i] - want[i]) > 1e-6f) { printf(\"y[%d] = %g, want %g\\n\", i, y[i], want[i]); bad = 1; }\n"
      "  if (mlp_run(c, 2, NULL, y) != TC_EINVAL) { printf(\"NULL x accepted\\n\"); bad = 1; }\n"
      "  if (mlp_run(c, -1, x, y) != TC_EINVAL) { printf(\"B = -1 accepted\\n\"); bad = 1; }\n"
      "  if (mlp_run(c, 0, NULL, NULL) != TC_OK) { printf(\"B = 0 with NULL refused\\n\"); bad = 1; }\n"
      "  if (mlp_run(c, INT64_MAX / 2, x, y) != TC_EINVAL) { printf(\"overflowing B accepted\\n\"); bad = 1; }\n"
      "  if (mlp_run(NULL, 2, x, y) != TC_EINVAL) { printf(\"NULL ctx accepted\\n\"); bad = 1; }\n"
      "  {\n"
      "    int64_t dims[1] = {7}, shape[2] = {0, 0};\n"
      "    int rc = mlp_shape(3, dims, shape);\n"
      "    if (rc || shape[0] != 7 || shape[1] != 3) { printf(\"mlp_shape(y) = %d {%lld, %lld}\\n\", rc, (long long)shape[0], (long long)shape[1]); bad = 1; }\n"
      "    if (mlp_info()->nargs != 4 || mlp_info()->args[3].shape[0] != -1 || mlp_info()->args[0].role != TC_WEIGHT) { printf(\"mlp_info wrong\\n\"); bad = 1; }\n"
      "  }\n"
      "  mlp_destroy(c);\n"
      "  return bad;\n"
      "}\n";
  build_and_run("mlp", golden[0].src, main_c);
}
END_TEST

static const char sem_src[] =
    "local N = dim('N')\n"
    "local x = input('x', f32, {N})\n"
    "local a = input('a', i64, {N})\n"
    "local b = input('b', i64, {N})\n"
    "local idx = input('idx', i64, {N})\n"
    "output('am', argmax(x, 0))\n"
    "output('rd', round(x))\n"
    "output('ci', cast(x, i32))\n"
    "output('cu', cast(x, u8))\n"
    "output('mx', max(x, 0))\n"
    "output('fd', a // b)\n"
    "output('md', a % b)\n"
    "output('g', compute({N}, function(i) return x(idx(i)) end))\n"
    "output('bf', cast(x, bf16))\n"
    "output('mn', mean(x))\n"
    "output('mxm', maximum(x, 0))\n";

START_TEST(test_run_semantics) {
  static const char main_c[] =
      "#include \"sem.h\"\n"
      "#include <math.h>\n"
      "#include <stdio.h>\n"
      "#include <string.h>\n"
      "#define N 8\n"
      "static float bits(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }\n"
      "int main(void) {\n"
      "  float nan = bits(0x7fc00000u);\n"
      "  float x[N] = {1.5f, 0, 2.5f, 0, -0.5f, 3e10f, -3e10f, 0.5f};\n"
      "  int64_t a[N] = {7, -7, 7, -7, INT64_MIN, 5, 0, 1}, b[N] = {2, 2, -2, -2, -1, 1, 3, 1};\n"
      "  int64_t idx[N] = {7, 6, 5, 4, 3, 2, 1, 0};\n"
      "  int64_t am, fd[N], md[N];\n"
      "  float rd[N], mx, g[N], mn, mxm[N];\n"
      "  int32_t ci[N];\n"
      "  uint8_t cu[N];\n"
      "  uint16_t bf[N];\n"
      "  int i, bad = 0, rc;\n"
      "  const float want_rd[N] = {2, 0, 2, 0, -0.0f, 3e10f, -3e10f, 0};\n"
      "  const int32_t want_ci[N] = {1, 0, 2, 0, 0, INT32_MAX, INT32_MIN, 0};\n"
      "  const uint8_t want_cu[N] = {1, 0, 2, 0, 0, 255, 0, 0};\n"
      "  const int64_t want_fd[N] = {3, -4, -4, 3, INT64_MIN, 5, 0, 1}, want_md[N] = {1, 1, -1, -1, 0, 0, 0, 0};\n"
      "  sem_ctx *c;\n"
      "  x[1] = nan; x[3] = nan;\n"
      "  if (sem_create(&c)) return 1;\n"
      "  rc = sem_run(c, N, x, a, b, idx, &am, rd, ci, cu, &mx, fd, md, g, bf, &mn, mxm);\n"
      "  if (rc) { printf(\"run: %d\\n\", rc); return 1; }\n"
      "  if (am != 1) { printf(\"argmax = %lld, want 1 (the first NaN)\\n\", (long long)am); bad = 1; }\n"
      "  if (mx == mx) { printf(\"max = %g, want NaN\\n\", mx); bad = 1; }\n"
      "  if (mn == mn) { printf(\"mean = %g, want NaN\\n\", mn); bad = 1; }\n"
      "  for (i = 0; i < N; i++) {\n"
      "    if (i != 1 && i != 3 && rd[i] != want_rd[i]) { printf(\"round(%g) = %g, want %g\\n\", x[i], rd[i], want_rd[i]); bad = 1; }\n"
      "    if (ci[i] != want_ci[i]) { printf(\"i32(%g) = %d, want %d\\n\", x[i], ci[i], want_ci[i]); bad = 1; }\n"
      "    if (cu[i] != want_cu[i]) { printf(\"u8(%g) = %d, want %d\\n\", x[i], cu[i], want_cu[i]); bad = 1; }\n"
      "    if (fd[i] != want_fd[i]) { printf(\"%lld // %lld = %lld, want %lld\\n\", (long long)a[i], (long long)b[i], (long long)fd[i], (long long)want_fd[i]); bad = 1; }\n"
      "    if (md[i] != want_md[i]) { printf(\"%lld %% %lld = %lld, want %lld\\n\", (long long)a[i], (long long)b[i], (long long)md[i], (long long)want_md[i]); bad = 1; }\n"
      "    if (memcmp(&g[i], &x[N - 1 - i], 4)) { printf(\"g[%d] = %g, want %g\\n\", i, g[i], x[N - 1 - i]); bad = 1; }\n"
      "    if ((i == 1 || i == 3) != (mxm[i] != mxm[i])) { printf(\"maximum(%g, 0) = %g\\n\", x[i], mxm[i]); bad = 1; }\n"
      "  }\n"
      "  if (bf[0] != 0x3fc0 || bf[1] != 0x7fc0) { printf(\"bf16 = %04x %04x\\n\", bf[0], bf[1]); bad = 1; }\n"
      "  /* ties to even: 1 + 2^-8 -> 1.0; 1 + 3 * 2^-8 -> 1 + 2^-6 */\n"
      "  x[0] = 1.00390625f; x[2] = 1.01171875f;\n"
      "  rc = sem_run(c, N, x, a, b, idx, &am, rd, ci, cu, &mx, fd, md, g, bf, &mn, mxm);\n"
      "  if (rc || bf[0] != 0x3f80 || bf[2] != 0x3f82) { printf(\"bf16 ties: %04x %04x\\n\", bf[0], bf[2]); bad = 1; }\n"
      "  idx[3] = N;\n"
      "  rc = sem_run(c, N, x, a, b, idx, &am, rd, ci, cu, &mx, fd, md, g, bf, &mn, mxm);\n"
      "  if (rc != TC_EINDEX) { printf(\"index %d out of range gave %d, want TC_EINDEX\\n\", N, rc); bad = 1; }\n"
      "  idx[3] = -1;\n"
      "  rc = sem_run(c, N, x, a, b, idx, &am, rd, ci, cu, &mx, fd, md, g, bf, &mn, mxm);\n"
      "  if (rc != TC_EINDEX) { printf(\"index -1 gave %d, want TC_EINDEX\\n\", rc); bad = 1; }\n"
      "  idx[3] = 4; b[2] = 0;\n"
      "  rc = sem_run(c, N, x, a, b, idx, &am, rd, ci, cu, &mx, fd, md, g, bf, &mn, mxm);\n"
      "  if (rc != TC_EINVAL) { printf(\"division by zero gave %d, want TC_EINVAL\\n\", rc); bad = 1; }\n"
      "  rc = sem_run(c, 0, NULL, NULL, NULL, NULL, &am, NULL, NULL, NULL, &mx, NULL, NULL, NULL, NULL, &mn, NULL);\n"
      "  if (rc != TC_EINVAL) { printf(\"argmax of nothing gave %d, want TC_EINVAL\\n\", rc); bad = 1; }\n"
      "  sem_destroy(c);\n"
      "  return bad;\n"
      "}\n";
  build_and_run("sem", sem_src, main_c);
}
END_TEST

/* Float // and % are NumPy's npy_divmod, as rt/ref computes them (1.0 // 0.1
   is 9, not floor(1.0 / 0.1) = 10; inf // 0.75 is NaN; a zero remainder has
   the sign of b), and hardswish is x * relu6(x + 3) / 6 (-inf gives NaN). */
static const char fdiv_src[] =
    "local x = input('x', f32, {6})\n"
    "local w = input('w', f64, {6})\n"
    "output('y', x // 0.1)\n"
    "output('m', x % 0.75)\n"
    "output('h', hardswish(x))\n"
    "output('y64', w // 0.1)\n"
    "output('m64', w % 0.75)\n";

START_TEST(test_run_float_floordiv) {
  static const char main_c[] =
      "#include \"fdiv.h\"\n"
      "#include <math.h>\n"
      "#include <stdio.h>\n"
      "int main(void) {\n"
      "  float x[6] = {1.0f, 0.3f, 0, 0, -1.5f, 7.0f}, y[6], m[6], h[6];\n"
      "  double w[6] = {1.0, 0.3, 0, 0, -1.5, 7.0}, y64[6], m64[6];\n"
      "  int bad = 0, rc;\n"
      "  fdiv_ctx *c;\n"
      "  x[2] = (float)INFINITY; x[3] = -(float)INFINITY; w[2] = INFINITY; w[3] = -INFINITY;\n"
      "  if (fdiv_create(&c)) return 1;\n"
      "  rc = fdiv_run(c, x, w, y, m, h, y64, m64);\n"
      "  if (rc) { printf(\"run: %d\\n\", rc); return 1; }\n"
      "  if (y[0] != 9.0f) { printf(\"1.0f // 0.1f = %g, want 9\\n\", y[0]); bad = 1; }\n"
      "  if (y64[0] != 9.0) { printf(\"1.0 // 0.1 = %g, want 9\\n\", y64[0]); bad = 1; }\n"
      "  if (y[1] != 3.0f) { printf(\"0.3f // 0.1f = %g, want 3\\n\", y[1]); bad = 1; }\n"
      "  if (y64[1] != 2.0) { printf(\"0.3 // 0.1 = %g, want 2\\n\", y64[1]); bad = 1; }\n"
      "  if (!isnan(y[2]) || !isnan(y[3]) || !isnan(y64[2]) || !isnan(y64[3])) {\n"
      "    printf(\"+-inf // 0.1 = %g %g %g %g, want NaN\\n\", y[2], y[3], y64[2], y64[3]); bad = 1; }\n"
      "  if (!isnan(m[2]) || !isnan(m64[3])) { printf(\"inf %% 0.75 = %g %g, want NaN\\n\", m[2], m64[3]); bad = 1; }\n"
      "  if (m[4] != 0 || signbit(m[4]) || m64[4] != 0 || signbit(m64[4])) {\n"
      "    printf(\"-1.5 %% 0.75 = %g %g, want +0\\n\", m[4], m64[4]); bad = 1; }\n"
      "  if (m[5] != 0.25f || m64[5] != 0.25) { printf(\"7 %% 0.75 = %g %g, want 0.25\\n\", m[5], m64[5]); bad = 1; }\n"
      "  if (!isnan(h[3])) { printf(\"hardswish(-inf) = %g, want NaN\\n\", h[3]); bad = 1; }\n"
      "  if (!isinf(h[2]) || h[2] < 0) { printf(\"hardswish(inf) = %g, want inf\\n\", h[2]); bad = 1; }\n"
      "  if (h[5] != 7.0f || h[4] != -1.5f * 1.5f / 6.0f) { printf(\"hardswish = %g %g\\n\", h[4], h[5]); bad = 1; }\n"
      "  fdiv_destroy(c);\n"
      "  return bad;\n"
      "}\n";
  build_and_run("fdiv", fdiv_src, main_c);
}
END_TEST

/* spmm, scatter and quantize on values worked out by hand, and the
   hostile csr matrices of spec/abi.md, under ASan+UBSan. */
static const char ops3_src[] =
    "local N, M = dim('N'), dim('M')\n"
    "local A = csr('A', f32, {N, M}, {index = i32})\n"
    "local x = input('x', f32, {M, 2})\n"
    "local src = input('src', f32, {4})\n"
    "local idx = input('idx', i64, {4})\n"
    "local v = input('v', f32, {6})\n"
    "output('s', spmm(A, x, 'sum'))\n"
    "output('mn', spmm(A, x, 'mean'))\n"
    "output('mx', spmm(A, x, 'max'))\n"
    "output('sc', scatter(src, idx, 0, 3, 'max'))\n"
    "output('sm', scatter(src, idx, 0, 3, 'mean'))\n"
    "output('q', quantize(v, 0.5, 10, u8))\n";

START_TEST(test_run_ops3) {
  static const char main_c[] =
      "#include \"ops3.h\"\n"
      "#include <stdio.h>\n"
      "#include <string.h>\n"
      "static float bits(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }\n"
      "int main(void) {\n"
      "  /* A = [[2, 0, 1], [0, 0, 0], [0, -1, 0]]: row 1 is empty */\n"
      "  int32_t rowptr[4] = {0, 2, 2, 3}, col[3] = {0, 2, 1};\n"
      "  float val[3] = {2, 1, -1}, x[6] = {1, 2, 3, 4, 5, 6};\n"
      "  float src[4] = {1, 5, -2, 7}, v[6];\n"
      "  int64_t idx[4] = {2, 0, 2, 0};\n"
      "  float s[6], mn[6], mx[6], sc[3], sm[3];\n"
      "  uint8_t q[6];\n"
      "  const float ws[6] = {7, 10, 0, 0, -3, -4}, wmn[6] = {3.5f, 5, 0, 0, -3, -4};\n"
      "  const float wmx[6] = {5, 6, 0, 0, -3, -4}, wsc[3] = {7, 0, 1}, wsm[3] = {6, 0, -0.5f};\n"
      "  const uint8_t wq[6] = {12, 10, 10, 255, 0, 12};\n"
      "  ops3_ctx *c;\n"
      "  int i, rc, bad = 0;\n"
      "  /* / 0.5: 2.5, 0.5 and 1.5 round half to even to 2, 0 and 2; NaN gives the\n"
      "     zero point, +-inf saturate */\n"
      "  v[0] = 1.25f; v[1] = 0.25f; v[5] = 0.75f;\n"
      "  v[2] = bits(0x7fc00000u); v[3] = bits(0x7f800000u); v[4] = -bits(0x7f800000u);\n"
      "  if (ops3_create(&c)) return 1;\n"
      "  rc = ops3_run(c, 3, 3, rowptr, col, val, x, src, idx, v, s, mn, mx, sc, sm, q);\n"
      "  if (rc) { printf(\"run: %d\\n\", rc); return 1; }\n"
      "  for (i = 0; i < 6; i++) {\n"
      "    if (s[i] != ws[i]) { printf(\"spmm sum [%d] = %g, want %g\\n\", i, s[i], ws[i]); bad = 1; }\n"
      "    if (mn[i] != wmn[i]) { printf(\"spmm mean [%d] = %g, want %g\\n\", i, mn[i], wmn[i]); bad = 1; }\n"
      "    if (mx[i] != wmx[i]) { printf(\"spmm max [%d] = %g, want %g\\n\", i, mx[i], wmx[i]); bad = 1; }\n"
      "    if (q[i] != wq[i]) { printf(\"quantize(%g) = %d, want %d\\n\", v[i], q[i], wq[i]); bad = 1; }\n"
      "  }\n"
      "  for (i = 0; i < 3; i++) {\n"
      "    if (sc[i] != wsc[i]) { printf(\"scatter max [%d] = %g, want %g\\n\", i, sc[i], wsc[i]); bad = 1; }\n"
      "    if (sm[i] != wsm[i]) { printf(\"scatter mean [%d] = %g, want %g\\n\", i, sm[i], wsm[i]); bad = 1; }\n"
      "  }\n"
      "  rowptr[0] = 1;\n"
      "  if ((rc = ops3_run(c, 3, 3, rowptr, col, val, x, src, idx, v, s, mn, mx, sc, sm, q)) != TC_EINDEX) { printf(\"rowptr[0] = 1 gave %d\\n\", rc); bad = 1; }\n"
      "  rowptr[0] = 0; rowptr[2] = 1;\n"
      "  if ((rc = ops3_run(c, 3, 3, rowptr, col, val, x, src, idx, v, s, mn, mx, sc, sm, q)) != TC_EINDEX) { printf(\"decreasing rowptr gave %d\\n\", rc); bad = 1; }\n"
      "  rowptr[2] = 2; col[2] = 3;\n"
      "  if ((rc = ops3_run(c, 3, 3, rowptr, col, val, x, src, idx, v, s, mn, mx, sc, sm, q)) != TC_EINDEX) { printf(\"col = cols gave %d\\n\", rc); bad = 1; }\n"
      "  col[2] = -1;\n"
      "  if ((rc = ops3_run(c, 3, 3, rowptr, col, val, x, src, idx, v, s, mn, mx, sc, sm, q)) != TC_EINDEX) { printf(\"col = -1 gave %d\\n\", rc); bad = 1; }\n"
      "  col[2] = 1; idx[3] = 3;\n"
      "  if ((rc = ops3_run(c, 3, 3, rowptr, col, val, x, src, idx, v, s, mn, mx, sc, sm, q)) != TC_EINDEX) { printf(\"scatter index 3 of 3 gave %d\\n\", rc); bad = 1; }\n"
      "  idx[3] = 0;\n"
      "  if ((rc = ops3_run(c, 3, 3, rowptr, NULL, val, x, src, idx, v, s, mn, mx, sc, sm, q)) != TC_EINVAL) { printf(\"NULL col gave %d\\n\", rc); bad = 1; }\n"
      "  if (ops3_shape(1, (const int64_t[]){3, 3}, (int64_t[1]){0}) != TC_EINVAL) { printf(\"P_shape(A.col) is not TC_EINVAL\\n\"); bad = 1; }\n"
      "  if (ops3_info()->args[2].format != TC_CSR_VAL || ops3_info()->args[0].csr_shape[0] != -1 || strcmp(ops3_info()->args[1].name, \"A.col\")) { printf(\"P_info of the csr parts is wrong\\n\"); bad = 1; }\n"
      "  ops3_destroy(c);\n"
      "  return bad;\n"
      "}\n";
  build_and_run("ops3", ops3_src, main_c);
}
END_TEST

START_TEST(test_run_where_is_lazy) {
  /* the padding idiom: x(i - 1) is never read for i = 0 */
  static const char src[] =
      "local N = dim('N')\n"
      "local x = input('x', f32, {N})\n"
      "output('y', compute({N}, function(i) return where(lt(i - 1, 0), -1, x(i - 1)) end))\n";
  static const char main_c[] =
      "#include \"lazy.h\"\n"
      "#include <stdio.h>\n"
      "#include <stdlib.h>\n"
      "int main(void) {\n"
      "  float *x = malloc(3 * sizeof *x), *y = malloc(3 * sizeof *y);\n"
      "  lazy_ctx *c;\n"
      "  int rc, bad;\n"
      "  x[0] = 1; x[1] = 2; x[2] = 3;\n"
      "  if (lazy_create(&c)) return 1;\n"
      "  rc = lazy_run(c, 3, x, y);\n"
      "  bad = rc != 0 || y[0] != -1 || y[1] != 1 || y[2] != 2;\n"
      "  if (bad) printf(\"rc %d, y = %g %g %g, want 0, -1 1 2\\n\", rc, y[0], y[1], y[2]);\n"
      "  lazy_destroy(c);\n"
      "  free(x); free(y);\n"
      "  return bad;\n"
      "}\n";
  build_and_run("lazy", src, main_c);
}
END_TEST

START_TEST(test_run_extents_and_checks) {
  /* x + y needs N == M (a runtime check); slice gives an output of
     extent N - 2 (TC_DERIVED in the info, evaluated by P_shape); the
     generic entry points are used throughout. */
  static const char src[] =
      "local N = dim('N')\n"
      "local M = dim('M')\n"
      "local x = input('x', f32, {N})\n"
      "local y = input('y', f32, {M})\n"
      "output('s', x + y)\n"
      "output('d', compute({N - 2}, function(i) return x(i + 2) * 2 end))\n";
  static const char main_c[] =
      "#include \"ext.h\"\n"
      "#include <stdio.h>\n"
      "int main(void) {\n"
      "  const tc_kernel_info *ki = ext_info();\n"
      "  float x[5] = {1, 2, 3, 4, 5}, y[5] = {10, 20, 30, 40, 50}, s[5], d[3];\n"
      "  const void *in[2];\n"
      "  void *out[2];\n"
      "  int64_t dims[2] = {5, 5}, shape[1];\n"
      "  ext_ctx *c;\n"
      "  int rc, bad = 0;\n"
      "  in[0] = x; in[1] = y; out[0] = s; out[1] = d;\n"
      "  if (ki->ndims != 2 || ki->nargs != 4 || ki->args[2].shape[0] != -1 || ki->args[3].shape[0] != TC_DERIVED) {\n"
      "    printf(\"info: ndims %d nargs %d shape(s) %lld shape(d) %lld\\n\", ki->ndims, ki->nargs, (long long)ki->args[2].shape[0], (long long)ki->args[3].shape[0]);\n"
      "    bad = 1;\n"
      "  }\n"
      "  if (ext_shape(3, dims, shape) || shape[0] != 3) { printf(\"P_shape(d) for N = 5: %lld, want 3\\n\", (long long)shape[0]); bad = 1; }\n"
      "  dims[0] = 1;\n"
      "  if (ext_shape(3, dims, shape) != TC_EINVAL) { printf(\"P_shape(d) for N = 1 should be TC_EINVAL\\n\"); bad = 1; }\n"
      "  if (ext_shape(4, dims, shape) != TC_EINVAL) { printf(\"P_shape of a 5th argument should be TC_EINVAL\\n\"); bad = 1; }\n"
      "  if (ext_create_v(&c, NULL)) return 1;\n"
      "  dims[0] = 5;\n"
      "  rc = ext_run_v(c, dims, in, out);\n"
      "  if (rc || s[4] != 55 || d[0] != 6 || d[2] != 10) { printf(\"rc %d s[4] %g d = %g %g\\n\", rc, s[4], d[0], d[2]); bad = 1; }\n"
      "  dims[1] = 4;\n"
      "  if ((rc = ext_run_v(c, dims, in, out)) != TC_EINVAL) { printf(\"N != M gave %d, want TC_EINVAL\\n\", rc); bad = 1; }\n"
      "  dims[0] = dims[1] = 1;\n"
      "  if ((rc = ext_run_v(c, dims, in, out)) != TC_EINVAL) { printf(\"N - 2 < 0 gave %d, want TC_EINVAL\\n\", rc); bad = 1; }\n"
      "  dims[0] = dims[1] = 2;\n"
      "  out[1] = NULL; /* d has 0 elements: NULL is fine */\n"
      "  if ((rc = ext_run_v(c, dims, in, out)) != TC_OK) { printf(\"N = 2 with d NULL gave %d, want TC_OK\\n\", rc); bad = 1; }\n"
      "  if ((rc = ext_run_v(c, NULL, in, out)) != TC_EINVAL) { printf(\"NULL dims gave %d\\n\", rc); bad = 1; }\n"
      "  ext_destroy(c);\n"
      "  ext_destroy(NULL);\n"
      "  return bad;\n"
      "}\n";
  build_and_run("ext", src, main_c);
}
END_TEST

/* ---- parallel loops ------------------------------------------------------ */

/* A kernel whose loops are large enough to run parallel (emit/c.c,
   TCE_PAR_MIN_WORK), run at 1, 2 and 3 OpenMP threads: the outputs must be
   bitwise the same (docs/fusion.md). */
START_TEST(test_run_threads_bitwise) {
  static const char src[] = "local N = dim('N')\n"
                            "local x = input('x', f32, {N, 1000})\n"
                            "local g = input('g', f32, {1000})\n"
                            "output('y', softmax(x * g, -1))\n"
                            "output('z', maximum(x * 2 + g, 0) * x)\n"
                            "output('s', sum(exp(x) * g, 0))\n";
  static const char main_c[] =
      "#include \"par.h\"\n"
      "#include <stdio.h>\n"
      "#include <stdlib.h>\n"
      "#include <string.h>\n"
      "int main(void) {\n"
      "  enum { N = 700, C = 1000 };\n"
      "  float *x = malloc(sizeof(float) * N * C), *y = malloc(sizeof(float) * N * C);\n"
      "  float *z = malloc(sizeof(float) * N * C), g[C], s[C];\n"
      "  unsigned long long h = 1469598103934665603ull;\n"
      "  unsigned r = 12345u;\n"
      "  const unsigned char *p;\n"
      "  size_t i;\n"
      "  par_ctx *c;\n"
      "  if (!x || !y || !z) return 2;\n"
      "  for (i = 0; i < (size_t)N * C; i++) { r = r * 1103515245u + 12345u; x[i] = (float)(r >> 8) / 16777216.0f * 4 - 2; }\n"
      "  for (i = 0; i < C; i++) g[i] = 0.5f + (float)i / C;\n"
      "  if (par_create(&c) || par_run(c, N, x, g, y, z, s)) { printf(\"run failed\\n\"); return 1; }\n"
      "  for (p = (const unsigned char *)y, i = 0; i < sizeof(float) * N * C; i++) h = (h ^ p[i]) * 1099511628211ull;\n"
      "  for (p = (const unsigned char *)z, i = 0; i < sizeof(float) * N * C; i++) h = (h ^ p[i]) * 1099511628211ull;\n"
      "  for (p = (const unsigned char *)s, i = 0; i < sizeof s; i++) h = (h ^ p[i]) * 1099511628211ull;\n"
      "  printf(\"%016llx %g %g %g\\n\", h, y[C + 3], z[5], s[7]);\n"
      "  par_destroy(c);\n"
      "  free(x); free(y); free(z);\n"
      "  return 0;\n"
      "}\n";
  char *dir = tmpdir();
  generated g = generate("par", src, 0);
  ck_assert_msg(strstr(g.c, "#pragma omp parallel for") != NULL,
                "no parallel loop in the C of\n%s\n(expected one: the loops are large)", src);
  write_pair(dir, &g);
  char path[512];
  snprintf(path, sizeof path, "%s/main.c", dir);
  spit(path, main_c);
  char cmd[1024], *out, *first = NULL;
  snprintf(cmd, sizeof cmd,
           "cd %s && gcc -std=c99 -O2 -fopenmp -Wall -Wextra -pedantic -Werror par.c main.c -lm "
           "-o run",
           dir);
  int rc = run(cmd, &out);
  ck_assert_msg(rc == 0, "building %s/par.c with -fopenmp failed:\n%s", dir, out);
  free(out);
  for (int t = 1; t <= 3; t++) {
    snprintf(cmd, sizeof cmd, "cd %s && OMP_NUM_THREADS=%d ./run", dir, t);
    rc = run(cmd, &out);
    ck_assert_msg(rc == 0 && out && out[0], "running %s at %d threads failed:\n%s", cmd, t, out);
    if (!first) {
      first = out;
      continue;
    }
    ck_assert_msg(!strcmp(first, out),
                  "the outputs of\n%s\nat %d threads (hash, samples: %s) differ from those at 1 "
                  "thread (%s); built in %s",
                  src, t, out, first, dir);
    free(out);
  }
  free(first);
  generated_free(&g);
  free(dir);
}
END_TEST

/* Temporaries of static size too large for the stack live in the
   context's scratch, allocated by P_create (no malloc in P_run while no
   other call holds it), and t1 and t7, never live together, share its
   bytes.  Four threads run one context at once (spec/abi.md allows it):
   one holds the scratch, the others allocate their own, and every result
   equals the one computed alone. */
START_TEST(test_run_scratch) {
  static const char src[] = "local x = input('x', f32, {300, 300})\n"
                            "local t = exp(x * 0.01)\n"
                            "local u = exp(permute(t, {1, 0}) * t * 0.1)\n"
                            "local v = exp(permute(u, {1, 0}) * u * 0.1)\n"
                            "output('z', permute(v, {1, 0}) * v)\n";
  static const char main_c[] =
      "#include \"scr.h\"\n"
      "#include <pthread.h>\n"
      "#include <stdio.h>\n"
      "#include <string.h>\n"
      "enum { N = 300 * 300, T = 4, ROUNDS = 40 };\n"
      "static scr_ctx *c;\n"
      "static float x[T][N], want[T][N], got[T][N];\n"
      "static int bad[T];\n"
      "static void *work(void *arg) {\n"
      "  int t = (int)(size_t)arg;\n"
      "  for (int r = 0; r < ROUNDS; r++)\n"
      "    if (scr_run(c, x[t], got[t]) || memcmp(got[t], want[t], sizeof got[t])) bad[t]++;\n"
      "  return NULL;\n"
      "}\n"
      "int main(void) {\n"
      "  pthread_t th[T];\n"
      "  if (scr_create(&c)) return 1;\n"
      "  for (int t = 0; t < T; t++) {\n"
      "    for (int i = 0; i < N; i++) x[t][i] = (float)((i * 7 + t * 13) % 101) / 50.0f - 1.0f;\n"
      "    if (scr_run(c, x[t], want[t])) return 1;\n"
      "  }\n"
      "  for (int t = 0; t < T; t++) pthread_create(&th[t], NULL, work, (void *)(size_t)t);\n"
      "  for (int t = 0; t < T; t++) pthread_join(th[t], NULL);\n"
      "  for (int t = 0; t < T; t++) if (bad[t]) { printf(\"thread %d: %d bad runs\\n\", t, bad[t]); return 1; }\n"
      "  printf(\"ok %g\\n\", want[1][12345]);\n"
      "  scr_destroy(c);\n"
      "  return 0;\n"
      "}\n";
  generated g = generate("scr", src, 0);
  /* the scratch: allocated at create; in P_run, malloc only when it is taken */
  const char *create = strstr(g.c, "int scr_create(");
  const char *runf = strstr(g.c, "int scr_run(");
  ck_assert_msg(create && runf, "no scr_create or scr_run in\n%s", g.c);
  ck_assert_msg(strstr(create, "->tc_scratch = (char *)calloc(") != NULL,
                "P_create allocates no scratch in\n%s", g.c);
  const char *m1 = strstr(runf, "malloc("), *end = strstr(runf, "\n}\n");
  static const char stand_in[] = "if (!n20) n20 = (char *)malloc(";
  ck_assert_msg(m1 && strstr(runf, "__atomic_exchange_n(") && m1 - runf >= (long)strlen(stand_in) - 7 &&
                    !strncmp(m1 - (strlen(stand_in) - 7), stand_in, strlen(stand_in)),
                "P_run does not take the scratch, or mallocs before its stand-in, in\n%s", runf);
  ck_assert_msg(!strstr(m1 + 1, "malloc(") || strstr(m1 + 1, "malloc(") > end,
                "P_run allocates more than the scratch's stand-in in\n%s", runf);
  /* three temporaries of 360000 bytes, two live at once: two slots */
  ck_assert_msg(strstr(g.c, "P_run's temporaries, 720064 bytes") != NULL,
                "the scratch is not 2 x 360000 bytes (+ its flag's line) in\n%s", g.c);
  char *dir = tmpdir();
  write_pair(dir, &g);
  char path[512];
  snprintf(path, sizeof path, "%s/main.c", dir);
  spit(path, main_c);
  char cmd[1024], *out;
  snprintf(cmd, sizeof cmd,
           "cd %s && gcc -std=c99 -O2 -pthread -Wall -Wextra -pedantic -Werror scr.c main.c -lm "
           "-o run && ./run",
           dir);
  int rc = run(cmd, &out);
  ck_assert_msg(rc == 0 && out && !strncmp(out, "ok ", 3), "%s:\n%s", cmd, out);
  free(out);
  generated_free(&g);
  free(dir);
}
END_TEST

/* The pool hook of the -DTENSORC_POOL builds below: it splits [0, n) into
   chunks of 1, 2, 3, ... iterations from the end, counts its calls, and
   keeps the largest n. */
#define UNEVEN_POOL_HOOK                                                                      \
  "#ifdef TENSORC_POOL\n"                                                                   \
  "static int calls;\n"                                                                     \
  "static int64_t most;\n"                                                                  \
  "void tc_parallel_for(int64_t n, void (*body)(void *arg, int64_t lo, int64_t hi), void *arg);\n" \
  "/* chunks of 1, 2, 3, ... iterations from the end of [0, n) */\n"                       \
  "void tc_parallel_for(int64_t n, void (*body)(void *arg, int64_t lo, int64_t hi), void *arg) {\n" \
  "  int64_t hi = n, k = 1;\n"                                                              \
  "  calls++;\n"                                                                            \
  "  if (n > most) most = n;\n"                                                             \
  "  while (hi > 0) {\n"                                                                    \
  "    int64_t lo = hi - k > 0 ? hi - k : 0;\n"                                             \
  "    body(arg, lo, hi);\n"                                                                \
  "    hi = lo;\n"                                                                          \
  "    k++;\n"                                                                              \
  "  }\n"                                                                                   \
  "}\n"                                                                                     \
  "#endif\n"

/* Builds module M (M.c, written in dir) with main_c serially and with
   -DTENSORC_POOL under ASan and UBSan (main_c's hook of tc_parallel_for
   splitting [0, n) as it likes), runs both, and requires the same output
   (a hash and samples of the results). */
static void pool_same_as_serial(const char *dir, const char *module, const char *src,
                                const char *main_c) {
  char path[512];
  snprintf(path, sizeof path, "%s/main.c", dir);
  spit(path, main_c);
  static const char *const flags[2] = {"", "-DTENSORC_POOL -fsanitize=address,undefined "
                                           "-fno-sanitize-recover=all"};
  char *outs[2];
  for (int i = 0; i < 2; i++) {
    char cmd[1024], *out;
    snprintf(cmd, sizeof cmd,
             "cd %s && gcc -std=c99 -O2 %s -Wall -Wextra -pedantic -Werror %s.c main.c -lm "
             "-o run%d && ./run%d",
             dir, flags[i], module, i, i);
    int rc = run(cmd, &out);
    ck_assert_msg(rc == 0 && out && out[0], "%s failed:\n%s", cmd, out);
    outs[i] = out;
  }
  ck_assert_msg(!strcmp(outs[0], outs[1]),
                "the outputs of\n%s\nbuilt with -DTENSORC_POOL (hash, samples: %s) differ from "
                "the serial build's (%s); built in %s",
                src, outs[1], outs[0], dir);
  free(outs[0]);
  free(outs[1]);
}

/* Built with -DTENSORC_POOL, the parallel loops of a large static program
   run through tc_parallel_for (spec/abi.md); with a hook that splits
   [0, n) into uneven chunks run in reverse order, the outputs are bitwise
   those of the serial build.  Two parallel loops: z and the softmax share
   one nest over the rows of x (passes/nest.c), the column sum is the
   other. */
START_TEST(test_run_pool_bitwise) {
  static const char src[] = "local x = input('x', f32, {700, 1000})\n"
                            "local g = input('g', f32, {1000})\n"
                            "local d = input('d', f32, {700, 1})\n"
                            "output('z', gelu(maximum(x * g + g, 0) * d) + 0.5 * x)\n"
                            "output('y', softmax(x * g, -1))\n"
                            "output('s', sum(exp(x) * g, 0))\n";
  static const char main_c[] =
      "#include \"pool.h\"\n"
      "#include <stdio.h>\n"
      "#include <stdlib.h>\n"
      "#include <string.h>\n"
      UNEVEN_POOL_HOOK
      "int main(void) {\n"
      "  enum { N = 700, C = 1000 };\n"
      "  float *x = malloc(sizeof(float) * N * C), *y = malloc(sizeof(float) * N * C);\n"
      "  float *z = malloc(sizeof(float) * N * C), g[C], d[N], s[C];\n"
      "  unsigned long long h = 1469598103934665603ull;\n"
      "  unsigned r = 12345u;\n"
      "  const unsigned char *p;\n"
      "  size_t i;\n"
      "  pool_ctx *c;\n"
      "  if (!x || !y || !z) return 2;\n"
      "  for (i = 0; i < (size_t)N * C; i++) { r = r * 1103515245u + 12345u; x[i] = (float)(r >> 8) / 16777216.0f * 4 - 2; }\n"
      "  for (i = 0; i < C; i++) g[i] = 0.5f + (float)i / C;\n"
      "  for (i = 0; i < N; i++) d[i] = 1.5f - (float)i / N;\n"
      "  if (pool_create(&c) || pool_run(c, x, g, d, z, y, s)) { printf(\"run failed\\n\"); return 1; }\n"
      "  for (p = (const unsigned char *)y, i = 0; i < sizeof(float) * N * C; i++) h = (h ^ p[i]) * 1099511628211ull;\n"
      "  for (p = (const unsigned char *)z, i = 0; i < sizeof(float) * N * C; i++) h = (h ^ p[i]) * 1099511628211ull;\n"
      "  for (p = (const unsigned char *)s, i = 0; i < sizeof s; i++) h = (h ^ p[i]) * 1099511628211ull;\n"
      "  printf(\"%016llx %g %g %g\\n\", h, y[C + 3], z[5], s[7]);\n"
      "  pool_destroy(c);\n"
      "  free(x); free(y); free(z);\n"
      "#ifdef TENSORC_POOL\n"
      "  if (calls < 2) { printf(\"tc_parallel_for called %d times\\n\", calls); return 3; }\n"
      "#endif\n"
      "  return 0;\n"
      "}\n";
  char *dir = tmpdir();
  generated g = generate("pool", src, 0);
  ck_assert_msg(strstr(g.c, "tc_parallel_for(") != NULL &&
                    strstr(g.c, "#if defined(TENSORC_POOL) && !defined(_OPENMP)") != NULL,
                "no call to tc_parallel_for in the C of\n%s\n(expected one: the loops are large)",
                src);
  write_pair(dir, &g);
  pool_same_as_serial(dir, "pool", src, main_c);
  generated_free(&g);
  free(dir);
}
END_TEST

/* The pool splits the iterations of all the loops OpenMP collapses, not
   only the outermost: at B = 1, the row nest of y and the softmax
   (passes/nest.c) runs through tc_parallel_for over its B * H rows, the
   outlined function stepping i0 and i1 on from iteration lo; with the
   hook of test_run_pool_bitwise (uneven chunks in reverse order) the
   outputs are bitwise the serial build's.  At B = 0 and H = 0 there are
   no iterations (the function must not divide by a count of 0).  (The
   tiled loops of a schedule() are split likewise: tests/e2e/dsl/
   pool_collapse.lua.) */
START_TEST(test_run_pool_collapse) {
  static const char src[] = "local B, H = dim('B'), dim('H')\n"
                            "local x = input('x', f32, {B, H, 300})\n"
                            "output('y', exp(x) * 2 + x)\n"
                            "output('s', softmax(x * 0.5, -1))\n";
  static const char main_c[] =
      "#include \"coll.h\"\n"
      "#include <stdio.h>\n"
      "#include <stdlib.h>\n"
      "#include <string.h>\n"
      UNEVEN_POOL_HOOK
      "int main(void) {\n"
      "  enum { H = 200, W = 300 };\n"
      "  float *x = malloc(sizeof(float) * H * W), *y = malloc(sizeof(float) * H * W);\n"
      "  float *s = malloc(sizeof(float) * H * W);\n"
      "  unsigned long long h = 1469598103934665603ull;\n"
      "  unsigned r = 12345u;\n"
      "  const unsigned char *p;\n"
      "  size_t i;\n"
      "  coll_ctx *c;\n"
      "  if (!x || !y || !s) return 2;\n"
      "  for (i = 0; i < (size_t)H * W; i++) { r = r * 1103515245u + 12345u; x[i] = (float)(r >> 8) / 16777216.0f * 4 - 2; }\n"
      "  if (coll_create(&c) || coll_run(c, 1, H, x, y, s)) { printf(\"run failed\\n\"); return 1; }\n"
      "  for (p = (const unsigned char *)y, i = 0; i < sizeof(float) * H * W; i++) h = (h ^ p[i]) * 1099511628211ull;\n"
      "  for (p = (const unsigned char *)s, i = 0; i < sizeof(float) * H * W; i++) h = (h ^ p[i]) * 1099511628211ull;\n"
      "  printf(\"%016llx %g %g\\n\", h, y[W + 3], s[5]);\n"
      "  if (coll_run(c, 0, H, x, y, s) || coll_run(c, 1, 0, x, y, s)) { printf(\"empty runs failed\\n\"); return 1; }\n"
      "  coll_destroy(c);\n"
      "  free(x); free(y); free(s);\n"
      "#ifdef TENSORC_POOL\n"
      "  if (calls < 1 || most != H) { printf(\"tc_parallel_for: %d calls, at most %lld iterations (want %d)\\n\", calls, (long long)most, H); return 3; }\n"
      "#endif\n"
      "  return 0;\n"
      "}\n";
  char *dir = tmpdir();
  generated g = generate("coll", src, 0);
  write_pair(dir, &g);
  ck_assert_msg(strstr(g.c, "int64_t i0 = n6 / H;") != NULL &&
                    strstr(g.c, "if (++i1 == H) {") != NULL,
                "the outlined nest of\n%s\nshould step i0 and i1 on from iteration n6 of "
                "B * H; got %s/coll.c",
                src, dir);
  pool_same_as_serial(dir, "coll", src, main_c);
  generated_free(&g);
  free(dir);
}
END_TEST

/* A softmax over rows is one loop nest (passes/nest.c): its exponentials
   are stored in y's row and summed in the same loop, in lanes, and y is
   scaled in place; nothing is allocated. */
START_TEST(test_softmax_one_pass) {
  const char *src = "local B = dim('B')\n"
                    "local x = input('x', f32, {B, 1000})\n"
                    "output('y', softmax(x, -1))\n";
  generated g = generate("sm", src, 0);
  ck_assert_msg(strstr(g.c, "one loop nest over the rows of 5 stages") &&
                    strstr(g.c, "sum, in the same loop") &&
                    strstr(g.c, "float *const t3 = y + i0 * 1000;") && !strstr(g.c, "malloc("),
                "the C of\n%s\nshould be one nest, exp and sum in one loop, in y's rows, "
                "without malloc; got:\n%s",
                src, g.c);
  generated_free(&g);
}
END_TEST

/* The "max of nothing" check of a row max over symbolic extents is made
   once, before the loops, so that they can run parallel; a stage that
   may fail inside its loops (a checked load) stays serial. */
START_TEST(test_parallel_hoists_empty_check) {
  static const char src[] = "local B, C = dim('B'), dim('C')\n"
                            "local x = input('x', f32, {B, C})\n"
                            "output('m', max(x, 1))\n"
                            "output('c', compute({B}, function(i) return x(i, i) end))\n";
  generated g = generate("hoist", src, 0);
  const char *chk = strstr(g.c, "if (B > 0 && C == 0)");
  const char *omp = strstr(g.c, "#pragma omp parallel for");
  ck_assert_msg(chk && omp && chk < omp && !strstr(omp + 1, "#pragma omp"),
                "the C of\n%s\nshould check C == 0 once before the one parallel loop (the max), "
                "the checked compute staying serial; got:\n%s",
                src, g.c);
  generated_free(&g);
}
END_TEST

int main(void) {
  Suite *s = suite_create("emit");
  TCase *tg = tcase_create("golden");
  tcase_add_loop_test(tg, test_golden, 0, (int)(sizeof golden / sizeof golden[0]));
  tcase_add_test(tg, test_deterministic);
  tcase_add_test(tg, test_parallel_hoists_empty_check);
  tcase_add_test(tg, test_softmax_one_pass);
  suite_add_tcase(s, tg);
  TCase *tc = tcase_create("compile");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_compile_gcc);
  tcase_add_test(tc, test_compile_gcc_o2);
  tcase_add_test(tc, test_compile_clang);
  tcase_add_test(tc, test_compile_tcc);
  tcase_add_test(tc, test_compile_tcc_single_file);
  tcase_add_test(tc, test_exports_only_prefixed);
  suite_add_tcase(s, tc);
  TCase *tr = tcase_create("run");
  tcase_set_timeout(tr, 120);
  tcase_add_test(tr, test_run_mlp);
  tcase_add_test(tr, test_run_semantics);
  tcase_add_test(tr, test_run_float_floordiv);
  tcase_add_test(tr, test_run_ops3);
  tcase_add_test(tr, test_run_where_is_lazy);
  tcase_add_test(tr, test_run_extents_and_checks);
  tcase_add_test(tr, test_run_threads_bitwise);
  tcase_add_test(tr, test_run_pool_bitwise);
  tcase_add_test(tr, test_run_scratch);
  tcase_add_test(tr, test_run_pool_collapse);
  suite_add_tcase(s, tr);
  suite_add_tcase(s, emit_math_tcase());
  suite_add_tcase(s, emit_vmath_tcase());
  suite_add_tcase(s, emit_schedule_tcase());
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
