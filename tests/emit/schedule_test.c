/*
 * schedule_test.c: the loops emit/c.c writes for a stage with schedule()
 * hints (docs/fusion.md, "Schedules"): the tile loops and the clamped
 * loops within a tile, the innermost loop in blocks of `vectorize`
 * iterations, `unroll` copies of the body, and the OpenMP pragma (and
 * the pool's call) on the loops of axes 0..parallel.  A change that
 * ignored a hint would still compute the same results (tests/e2e/dsl/
 * schedule.lua cannot see it); it fails here.
 *
 * Each case compiles a one-stage kernel through the whole pipeline and
 * compares the skeleton of its functions (P_run, and the function a
 * parallel nest is outlined to for the pool: emit/c.c, pool_wrap): the
 * lines that make the loops (the for headers, the index and tile-end
 * definitions, the pragma, the calls of tc_parallel_for and tc_omp_for)
 * and one `y[...] = ...` per copy of the body, the emitter's v<N> names
 * renumbered in order of appearance, so that the expected text does not
 * depend on how many temporaries the body needs.
 */
#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit/emit.h"
#include "emit_tests.h"
#include "lang/lang.h"
#include "passes/passes.h"

/* The C source of DSL text src (module h, one kernel) for target t,
   through the passes of tensorc/cli/pipeline.c, each required to
   succeed. */
static char *compile(const char *src, tcE_target t) {
  static const struct {
    const char *name;
    int (*run)(tc_loop_prog *, tc_diag *);
  } loop_passes[] = {{"precompute", tcP_precompute}, {"fuse", tcP_fuse},
                     {"schedule", tcP_schedule},     {"gemm", tcP_gemm},
                     {"chunk", tcP_chunk},           {"nest", tcP_nest},
                     {"vectorize", tcP_vectorize}};
  tc_diag d = {0};
  tcL_options o = {0};
  tc_module *m = tcL_load_string(src, "h.lua", &o, &d);
  ck_assert_msg(m != NULL, "loading\n%s\nfailed: %s", src, d.msg);
  ck_assert_msg(tcP_fold(m, &d) == 0 && tcP_decompose(m, &d) == 0 && tcP_dce(m, &d) == 0 &&
                    tcP_quant(m, &d) == 0 && tcP_nhwc(m, &d) == 0,
                "the graph passes of\n%s\nfailed: %s", src, d.msg);
  ck_assert(m->kernels.len == 1);
  tc_loop_prog *p = tcP_lower(m, m->kernels.data[0], &d);
  ck_assert_msg(p != NULL, "lowering\n%s\nfailed: %s", src, d.msg);
  for (size_t i = 0; i < sizeof loop_passes / sizeof loop_passes[0]; i++)
    ck_assert_msg(loop_passes[i].run(p, &d) == 0, "%s of\n%s\nfailed: %s", loop_passes[i].name,
                  src, d.msg);
  tcE_options eo = {NULL, NULL, t, 0};
  char *c = tcE_emit_source(m, (const tc_loop_prog *const *)&p, &eo, &d);
  ck_assert_msg(c != NULL, "emitting\n%s\nfailed: %s", src, d.msg);
  tc_loop_free(p);
  tc_module_free(m);
  return c;
}

/* 1 when line (its indentation skipped) starts with one of the loop
   lines the skeleton keeps. */
static int loop_line(const char *line) {
  static const char *const kept[] = {"for (",       "int64_t ",         "const int64_t ",
                                     "#pragma omp", "tc_parallel_for(", "tc_omp_for("};
  while (*line == ' ') line++;
  for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
    if (!strncmp(line, kept[i], strlen(kept[i]))) return 1;
  return 0;
}

/* The name of the kernel function whose definition line is `line` (h_run,
   or h_pool<N>: a parallel nest outlined for the pool, and on the
   intrinsics targets for OpenMP too), written to name; 0 for any other
   line. */
static int function_start(const char *line, int len, char *name, size_t size) {
  if (len < 2 || line[0] == ' ' || line[0] == '#' || line[len - 1] != '{') return 0;
  const char *f = strstr(line, " h_");
  if (!f || f > line + len) return 0;
  f++;
  size_t n = strcspn(f, "(");
  int pool = !strncmp(f, "h_pool", 6) && n > 6 && strspn(f + 6, "0123456789") == n - 6;
  if (!pool && !(n == 5 && !strncmp(f, "h_run", 5))) return 0;
  snprintf(name, size, "%.*s", (int)n, f);
  return 1;
}

/* The kernel's functions in source c, in the order of the file: for h_run
   and each h_pool<N>, a line with its name and colon, then its body. */
static char *kernel_functions(const char *c) {
  tc_buf kept = {0};
  int in = 0; /* inside a kernel function */
  for (const char *l = c; *l;) {
    const char *nl = strchr(l, '\n');
    int len = nl ? (int)(nl - l) : (int)strlen(l);
    char name[64];
    if (function_start(l, len, name, sizeof name)) {
      in = 1;
      tc_buf_printf(&kept, "%s:\n", name);
    } else if (len == 1 && l[0] == '}') {
      in = 0;
    } else if (in) {
      tc_buf_printf(&kept, "%.*s\n", len, l);
    }
    l += len + (nl != NULL);
  }
  return tc_buf_steal(&kept);
}

/* The skeleton of the kernel's functions fns (kernel_functions; see the
   top of the file): the names, the loop lines as written, the stores to y
   cut after the `=`; the v<N> names renumbered v0, v1, ... in order of
   appearance. */
static char *skeleton(const char *fns) {
  tc_buf kept = {0};
  for (const char *l = fns; *l;) {
    const char *nl = strchr(l, '\n');
    int len = (int)(nl - l);
    const char *text = l + strspn(l, " "), *eq = strstr(l, " = ");
    if (len > 0 && l[0] != ' ' && l[0] != '#' && l[len - 1] == ':')
      tc_buf_printf(&kept, "%.*s\n", len, l);
    else if (!strncmp(text, "y[", 2) && eq && eq < nl)
      tc_buf_printf(&kept, "%.*s= ...\n", (int)(eq + 1 - l), l);
    else if (loop_line(l))
      tc_buf_printf(&kept, "%.*s\n", len, l);
    l = nl + 1;
  }
  /* renumber: old[k] is the number renamed v<k> */
  long old[64];
  int nold = 0;
  tc_buf out = {0};
  const char *s = kept.data ? kept.data : "";
  for (const char *q = s; *q;) {
    int word_start = q == s || !(isalnum((unsigned char)q[-1]) || q[-1] == '_');
    if (word_start && q[0] == 'v' && isdigit((unsigned char)q[1])) {
      char *after;
      long n = strtol(q + 1, &after, 10);
      if (!isalnum((unsigned char)*after) && *after != '_') {
        int k = 0;
        while (k < nold && old[k] != n) k++;
        if (k == nold) {
          ck_assert(nold < 64);
          old[nold++] = n;
        }
        tc_buf_printf(&out, "v%d", k);
        q = after;
        continue;
      }
    }
    tc_buf_putc(&out, *q++);
  }
  tc_buf_free(&kept);
  return tc_buf_steal(&out);
}

/* The C of a stage y = exp(x) + 1 over x of the given shape, scheduled
   with `hints` (none when NULL), for a target, against its expected
   skeleton.  The shapes are small: without a parallel hint no loop is
   worth threads (TCE_PAR_MIN_WORK), so any pragma is the hint's. */
typedef struct sched_case {
  const char *what;  /* the property checked */
  const char *shape; /* x's shape, a Lua table */
  const char *hints; /* the table given to schedule(), or NULL */
  tcE_target target;
  const char *want;  /* the skeleton of its functions */
} sched_case;

static const sched_case cases[] = {
    {"no hints: plain loops, serial", "{20, 40}", NULL, TCE_TARGET_SCALAR,
     "h_run:\n"
     "  for (int64_t i0 = 0; i0 < 20; i0++) {\n"
     "    for (int64_t i1 = 0; i1 < 40; i1++) {\n"
     "      y[i0 * 40 + i1] = ...\n"},
    {"tile: loops over tiles of 8 and 16, loops clamped within them", "{20, 40}",
     "tile = {8, 16}", TCE_TARGET_SCALAR,
     "h_run:\n"
     "  for (int64_t v0 = 0; v0 < 20; v0 += 8) {\n"
     "    for (int64_t v1 = 0; v1 < 40; v1 += 16) {\n"
     "      const int64_t v2 = 20 - v0 > 8 ? v0 + 8 : 20;\n"
     "      const int64_t v3 = 40 - v1 > 16 ? v1 + 16 : 40;\n"
     "      for (int64_t i0 = v0; i0 < v2; i0++) {\n"
     "        for (int64_t i1 = v1; i1 < v3; i1++) {\n"
     "          y[i0 * 40 + i1] = ...\n"},
    {"tile of the last two of three axes: the untiled axis outermost", "{3, 10, 24}",
     "tile = {4, 8}", TCE_TARGET_SCALAR,
     "h_run:\n"
     "  for (int64_t i0 = 0; i0 < 3; i0++) {\n"
     "    for (int64_t v0 = 0; v0 < 10; v0 += 4) {\n"
     "      for (int64_t v1 = 0; v1 < 24; v1 += 8) {\n"
     "        const int64_t v2 = 10 - v0 > 4 ? v0 + 4 : 10;\n"
     "        const int64_t v3 = 24 - v1 > 8 ? v1 + 8 : 24;\n"
     "        for (int64_t i1 = v0; i1 < v2; i1++) {\n"
     "          for (int64_t i2 = v1; i2 < v3; i2++) {\n"
     "            y[(i0 * 10 + i1) * 24 + i2] = ...\n"},
    {"vectorize: blocks of 8, a loop of 8 iterations each, the remainder after", "{20, 40}",
     "vectorize = 8", TCE_TARGET_SCALAR,
     "h_run:\n"
     "  for (int64_t i0 = 0; i0 < 20; i0++) {\n"
     "    int64_t v0 = 0;\n"
     "    for (; 40 - v0 >= 8; v0 += 8) {\n"
     "      for (int v1 = 0; v1 < 8; v1++) {\n"
     "        const int64_t i1 = v0 + v1;\n"
     "        y[i0 * 40 + i1] = ...\n"
     "    for (; v0 < 40; v0++) {\n"
     "      const int64_t i1 = v0;\n"
     "      y[i0 * 40 + i1] = ...\n"},
    {"unroll: three copies of the body a step of 3, the remainder after", "{20, 40}",
     "unroll = 3", TCE_TARGET_SCALAR,
     "h_run:\n"
     "  for (int64_t i0 = 0; i0 < 20; i0++) {\n"
     "    int64_t v0 = 0;\n"
     "    for (; 40 - v0 >= 3; v0 += 3) {\n"
     "        const int64_t i1 = v0;\n"
     "        y[i0 * 40 + i1] = ...\n"
     "        const int64_t i1 = v0 + 1;\n"
     "        y[i0 * 40 + i1] = ...\n"
     "        const int64_t i1 = v0 + 2;\n"
     "        y[i0 * 40 + i1] = ...\n"
     "    for (; v0 < 40; v0++) {\n"
     "      const int64_t i1 = v0;\n"
     "      y[i0 * 40 + i1] = ...\n"},
    {"parallel = 0: the loop of axis 0 parallel, however little the work", "{20, 40}",
     "parallel = 0", TCE_TARGET_SCALAR,
     "h_pool0:\n"
     "  for (int64_t i0 = n6; i0 < n7; i0++) {\n"
     "    for (int64_t i1 = 0; i1 < 40; i1++) {\n"
     "      y[i0 * 40 + i1] = ...\n"
     "h_run:\n"
     "    tc_parallel_for(20, h_pool0, &n8);\n"
     "  #pragma omp parallel for schedule(static)\n"
     "  for (int64_t i0 = 0; i0 < 20; i0++) {\n"
     "    for (int64_t i1 = 0; i1 < 40; i1++) {\n"
     "      y[i0 * 40 + i1] = ...\n"},
    /* (the pool's function splits the loops OpenMP collapses, as one loop
       over their iterations) */
    {"parallel = 1: the loops of axes 0 and 1 collapsed", "{3, 10, 24}", "parallel = 1",
     TCE_TARGET_SCALAR,
     "h_pool0:\n"
     "  int64_t i0 = n6 / 10;\n"
     "  int64_t i1 = n6 % 10;\n"
     "  for (int64_t n9 = n6; n9 < n7; n9++) {\n"
     "    for (int64_t i2 = 0; i2 < 24; i2++) {\n"
     "      y[(i0 * 10 + i1) * 24 + i2] = ...\n"
     "h_run:\n"
     "    tc_parallel_for(30, h_pool0, &n8);\n"
     "  #pragma omp parallel for schedule(static) collapse(2)\n"
     "  for (int64_t i0 = 0; i0 < 3; i0++) {\n"
     "    for (int64_t i1 = 0; i1 < 10; i1++) {\n"
     "      for (int64_t i2 = 0; i2 < 24; i2++) {\n"
     "        y[(i0 * 10 + i1) * 24 + i2] = ...\n"},
    {"all four: tiles of axis 0 parallel, two blocks of 4 a step of 8 within a tile",
     "{20, 40}", "tile = {8, 16}, vectorize = 4, unroll = 2, parallel = 0", TCE_TARGET_SCALAR,
     "h_pool0:\n"
     "  for (int64_t v0 = n6 * 8; v0 < n7 * 8 && v0 < 20; v0 += 8) {\n"
     "    for (int64_t v1 = 0; v1 < 40; v1 += 16) {\n"
     "      const int64_t v2 = 20 - v0 > 8 ? v0 + 8 : 20;\n"
     "      const int64_t v3 = 40 - v1 > 16 ? v1 + 16 : 40;\n"
     "      for (int64_t i0 = v0; i0 < v2; i0++) {\n"
     "        int64_t v4 = v1;\n"
     "        for (; v3 - v4 >= 8; v4 += 8) {\n"
     "          for (int v5 = 0; v5 < 4; v5++) {\n"
     "            const int64_t i1 = v4 + v5;\n"
     "            y[i0 * 40 + i1] = ...\n"
     "          for (int v6 = 0; v6 < 4; v6++) {\n"
     "            const int64_t i1 = v4 + 4 + v6;\n"
     "            y[i0 * 40 + i1] = ...\n"
     "        for (; v4 < v3; v4++) {\n"
     "          const int64_t i1 = v4;\n"
     "          y[i0 * 40 + i1] = ...\n"
     "h_run:\n"
     "    tc_parallel_for(3, h_pool0, &n8);\n"
     "  #pragma omp parallel for schedule(static)\n"
     "  for (int64_t v0 = 0; v0 < 20; v0 += 8) {\n"
     "    for (int64_t v1 = 0; v1 < 40; v1 += 16) {\n"
     "      const int64_t v2 = 20 - v0 > 8 ? v0 + 8 : 20;\n"
     "      const int64_t v3 = 40 - v1 > 16 ? v1 + 16 : 40;\n"
     "      for (int64_t i0 = v0; i0 < v2; i0++) {\n"
     "        int64_t v4 = v1;\n"
     "        for (; v3 - v4 >= 8; v4 += 8) {\n"
     "          for (int v5 = 0; v5 < 4; v5++) {\n"
     "            const int64_t i1 = v4 + v5;\n"
     "            y[i0 * 40 + i1] = ...\n"
     "          for (int v6 = 0; v6 < 4; v6++) {\n"
     "            const int64_t i1 = v4 + 4 + v6;\n"
     "            y[i0 * 40 + i1] = ...\n"
     "        for (; v4 < v3; v4++) {\n"
     "          const int64_t i1 = v4;\n"
     "          y[i0 * 40 + i1] = ...\n"},
    /* (the pool's function: the collapsed loops as one, as above) */
    {"parallel over an untiled axis and a tile loop, collapsed", "{3, 10, 24}",
     "tile = {4, 8}, parallel = 1, vectorize = 4", TCE_TARGET_SCALAR,
     "h_pool0:\n"
     "  int64_t i0 = n6 / 3;\n"
     "  int64_t v0 = (n6 % 3) * 4;\n"
     "  for (int64_t n9 = n6; n9 < n7; n9++) {\n"
     "    for (int64_t v1 = 0; v1 < 24; v1 += 8) {\n"
     "      const int64_t v2 = 10 - v0 > 4 ? v0 + 4 : 10;\n"
     "      const int64_t v3 = 24 - v1 > 8 ? v1 + 8 : 24;\n"
     "      for (int64_t i1 = v0; i1 < v2; i1++) {\n"
     "        int64_t v4 = v1;\n"
     "        for (; v3 - v4 >= 4; v4 += 4) {\n"
     "          for (int v5 = 0; v5 < 4; v5++) {\n"
     "            const int64_t i2 = v4 + v5;\n"
     "            y[(i0 * 10 + i1) * 24 + i2] = ...\n"
     "        for (; v4 < v3; v4++) {\n"
     "          const int64_t i2 = v4;\n"
     "          y[(i0 * 10 + i1) * 24 + i2] = ...\n"
     "h_run:\n"
     "    tc_parallel_for(9, h_pool0, &n8);\n"
     "  #pragma omp parallel for schedule(static) collapse(2)\n"
     "  for (int64_t i0 = 0; i0 < 3; i0++) {\n"
     "    for (int64_t v0 = 0; v0 < 10; v0 += 4) {\n"
     "      for (int64_t v1 = 0; v1 < 24; v1 += 8) {\n"
     "        const int64_t v2 = 10 - v0 > 4 ? v0 + 4 : 10;\n"
     "        const int64_t v3 = 24 - v1 > 8 ? v1 + 8 : 24;\n"
     "        for (int64_t i1 = v0; i1 < v2; i1++) {\n"
     "          int64_t v4 = v1;\n"
     "          for (; v3 - v4 >= 4; v4 += 4) {\n"
     "            for (int v5 = 0; v5 < 4; v5++) {\n"
     "              const int64_t i2 = v4 + v5;\n"
     "              y[(i0 * 10 + i1) * 24 + i2] = ...\n"
     "          for (; v4 < v3; v4++) {\n"
     "            const int64_t i2 = v4;\n"
     "            y[(i0 * 10 + i1) * 24 + i2] = ...\n"},
    /* the intrinsics targets write a scheduled stage's loops as the
       scalar target does (docs/simd.md), in P_run, or in the function
       that OpenMP and the pool run when parallel */
    {"vectorize and unroll on avx2: the scalar target's blocks", "{20, 40}",
     "vectorize = 8, unroll = 2", TCE_TARGET_AVX2,
     "h_run:\n"
     "  for (int64_t i0 = 0; i0 < 20; i0++) {\n"
     "    int64_t v0 = 0;\n"
     "    for (; 40 - v0 >= 16; v0 += 16) {\n"
     "      for (int v1 = 0; v1 < 8; v1++) {\n"
     "        const int64_t i1 = v0 + v1;\n"
     "        y[i0 * 40 + i1] = ...\n"
     "      for (int v2 = 0; v2 < 8; v2++) {\n"
     "        const int64_t i1 = v0 + 8 + v2;\n"
     "        y[i0 * 40 + i1] = ...\n"
     "    for (; v0 < 40; v0++) {\n"
     "      const int64_t i1 = v0;\n"
     "      y[i0 * 40 + i1] = ...\n"},
    {"tile and parallel on avx512: the tiles in the function OpenMP and the pool run",
     "{20, 40}", "tile = {8, 16}, parallel = 0", TCE_TARGET_AVX512,
     "h_pool0:\n"
     "  for (int64_t v0 = n6 * 8; v0 < n7 * 8 && v0 < 20; v0 += 8) {\n"
     "    for (int64_t v1 = 0; v1 < 40; v1 += 16) {\n"
     "      const int64_t v2 = 20 - v0 > 8 ? v0 + 8 : 20;\n"
     "      const int64_t v3 = 40 - v1 > 16 ? v1 + 16 : 40;\n"
     "      for (int64_t i0 = v0; i0 < v2; i0++) {\n"
     "        for (int64_t i1 = v1; i1 < v3; i1++) {\n"
     "          y[i0 * 40 + i1] = ...\n"
     "h_run:\n"
     "    tc_omp_for(3, h_pool0, &n8);\n"
     "    tc_parallel_for(3, h_pool0, &n8);\n"},
};

/* the targets the cases use, by tcE_target (ORDER tcE_target) */
static const char *const target_names[] = {"scalar", "avx2", "avx512"};

START_TEST(test_schedule_loops) {
  const sched_case *k = &cases[_i];
  const char *tname = target_names[k->target];
  char src[512];
  snprintf(src, sizeof src,
           "local x = input('x', f32, %s)\n"
           "local y = exp(x) + 1\n"
           "%s%s%s"
           "output('y', y)\n",
           k->shape, k->hints ? "schedule(y, {" : "", k->hints ? k->hints : "",
           k->hints ? "})\n" : "");
  char *c = compile(src, k->target);
  char *fns = kernel_functions(c);
  ck_assert_msg(fns && strstr(fns, "h_run:\n"), "no h_run in the C of\n%s", src);
  char *got = skeleton(fns);
  /* (Check's messages are short: the functions go to stderr) */
  if (strcmp(got, k->want)) fprintf(stderr, "the kernel of\n%s\nis\n%s\n", src, fns);
  ck_assert_msg(!strcmp(got, k->want),
                "%s (target %s): the loops of the kernel\n%s\nwere\n%s\nexpected\n%s", k->what,
                tname, src, got, k->want);
  /* the stage computes in the scalar C that the hints shaped, on every
     target (passes/vectorize.c leaves it scalar) */
  ck_assert_msg(!strstr(fns, "_mm256_") && !strstr(fns, "_mm512_"),
                "%s (target %s): the kernel of\n%s\nuses intrinsics; a scheduled stage is "
                "written in scalar C",
                k->what, tname, src);
  free(fns);
  free(got);
  free(c);
}
END_TEST

TCase *emit_schedule_tcase(void) {
  TCase *tc = tcase_create("schedule");
  tcase_add_loop_test(tc, test_schedule_loops, 0, (int)(sizeof cases / sizeof cases[0]));
  return tc;
}
