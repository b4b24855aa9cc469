/*
 * cli_test.c: the `tensorc` command as a user meets it, run as a
 * subprocess ($TENSORC, set by the Makefile to build/tensorc): exit
 * statuses, messages, files written or not, the data interface of `run`,
 * `ir --after` for every pass, and the REPL with piped input.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------ */

static const char *tensorc(void) {
  const char *t = getenv("TENSORC");
  return t && t[0] ? t : "build/tensorc";
}

/* A scratch directory per test, removed at the end of the test. */
static char scratch[256];

static void setup(void) {
  snprintf(scratch, sizeof scratch, "/tmp/tensorc-cli-test-XXXXXX");
  ck_assert_msg(mkdtemp(scratch) != NULL, "mkdtemp failed");
  /* cc's cache in the scratch directory: tests never touch ~/.cache. */
  char cache[300];
  snprintf(cache, sizeof cache, "%s/cache", scratch);
  setenv("TENSORC_CACHE", cache, 1);
}

static void teardown(void) {
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
  if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", scratch);
}

/* scratch/name (static buffer rotation: up to 4 live at once). */
static const char *in_scratch(const char *name) {
  static char bufs[4][512];
  static int next;
  char *b = bufs[next++ % 4];
  snprintf(b, 512, "%s/%s", scratch, name);
  return b;
}

static void write_text(const char *name, const char *text) {
  FILE *f = fopen(in_scratch(name), "w");
  ck_assert_msg(f != NULL, "cannot write %s", name);
  fputs(text, f);
  fclose(f);
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return strdup("");
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = malloc((size_t)n + 1);
  size_t got = fread(s, 1, (size_t)n, f);
  s[got] = '\0';
  fclose(f);
  return s;
}

static int exists(const char *name) { return access(in_scratch(name), F_OK) == 0; }

/* The result of one command. */
typedef struct result {
  int status;
  char *out, *err;
  char cmd[2048];
} result;

/* Runs `$TENSORC ARGS` (a shell fragment) in the scratch directory, with
   `input` (or /dev/null) on stdin. */
static result run(const char *input, const char *fmt, ...) {
  result r = {0};
  char args[1536];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(args, sizeof args, fmt, ap);
  va_end(ap);
  if (input) write_text("stdin.txt", input);
  snprintf(r.cmd, sizeof r.cmd, "tensorc %s", args);
  char sh[4096];
  char abs_tensorc[1024];
  if (tensorc()[0] == '/' || !realpath(tensorc(), abs_tensorc))
    snprintf(abs_tensorc, sizeof abs_tensorc, "%s", tensorc());
  snprintf(sh, sizeof sh, "cd '%s' && '%s' %s <%s >out.txt 2>err.txt", scratch,
           abs_tensorc, args, input ? "stdin.txt" : "/dev/null");
  int st = system(sh);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.out = slurp(in_scratch("out.txt"));
  r.err = slurp(in_scratch("err.txt"));
  return r;
}

static void result_free(result *r) {
  free(r->out);
  free(r->err);
}

#define EXPECT_STATUS(r, want)                                                  \
  ck_assert_msg((r).status == (want),                                           \
                "`%s` exited %d, expected %d\nstdout: %s\nstderr: %s", (r).cmd,   \
                (r).status, (want), (r).out, (r).err)
#define EXPECT_IN(r, stream, text)                                              \
  ck_assert_msg(strstr((r).stream, (text)) != NULL,                             \
                "`%s`: expected \"%s\" in " #stream "\nstdout: %s\nstderr: %s",  \
                (r).cmd, (text), (r).out, (r).err)

/* A .npy file of version 1.0 (descr such as "<f4", shape text such as
   "(4,)"), with `nbytes` bytes of data. */
static void write_npy(const char *name, const char *descr, const char *shape,
                      const void *data, size_t nbytes) {
  char dict[200];
  int n = snprintf(dict, sizeof dict,
                   "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape);
  size_t total = (10 + (size_t)n + 1 + 63) / 64 * 64;
  FILE *f = fopen(in_scratch(name), "wb");
  ck_assert(f != NULL);
  fwrite("\x93NUMPY\x01\x00", 1, 8, f);
  unsigned short hlen = (unsigned short)(total - 10);
  fwrite(&hlen, 2, 1, f);
  fwrite(dict, 1, (size_t)n, f);
  for (size_t i = 10 + (size_t)n; i < total - 1; i++) fputc(' ', f);
  fputc('\n', f);
  fwrite(data, 1, nbytes, f);
  fclose(f);
}

/* The DSL files the tests use. */
static const char relu2_lua[] =
    "local N = dim(\"N\")\n"
    "local x = input(\"x\", f32, {N})\n"
    "output(\"y\", relu(x) * 2)\n";

static const char two_lua[] =
    "kernel(\"scale\")\n"
    "local N = dim(\"N\")\n"
    "local x = input(\"x\", f32, {N})\n"
    "local z = input(\"z\", f32, {N})\n"
    "output(\"y\", x * 3 + z)\n"
    "kernel(\"neg\")\n"
    "local M = dim(\"M\")\n"
    "local a = input(\"a\", f32, {M, 4})\n"
    "output(\"b\", -a)\n";

static const char gather_lua[] =
    "local N = dim(\"N\")\n"
    "local x = input(\"x\", f32, {5})\n"
    "local idx = input(\"idx\", i64, {N})\n"
    "output(\"y\", compute({N}, function(i) return x(idx(i)) end))\n";

/* ---- basics ------------------------------------------------------------- */

START_TEST(help_and_version) {
  result r = run(NULL, "--help");
  EXPECT_STATUS(r, 0);
  EXPECT_IN(r, out, "usage: tensorc");
  result_free(&r);
  r = run(NULL, "--version");
  EXPECT_STATUS(r, 0);
  EXPECT_IN(r, out, "tensorc ");
  result_free(&r);
  const char *cmds[] = {"build", "run", "ir", "repl"};
  for (int i = 0; i < 4; i++) {
    r = run(NULL, "%s --help", cmds[i]);
    EXPECT_STATUS(r, 0);
    EXPECT_IN(r, out, "usage: tensorc");
    result_free(&r);
    r = run(NULL, "help %s", cmds[i]);
    EXPECT_STATUS(r, 0);
    EXPECT_IN(r, out, cmds[i]);
    result_free(&r);
  }
}
END_TEST

START_TEST(usage_errors) {
  result r = run(NULL, "frobnicate x.lua");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "unknown command 'frobnicate'");
  result_free(&r);
  r = run(NULL, "--frob");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "unknown option '--frob'");
  result_free(&r);
  write_text("relu2.lua", relu2_lua);
  r = run(NULL, "run relu2.lua --frob");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "unknown option '--frob'");
  result_free(&r);
  r = run(NULL, "build relu2.lua -o out --target");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "--target needs a value");
  result_free(&r);
  r = run(NULL, "build relu2.lua -o out --target avx9000");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "unknown target 'avx9000'");
  result_free(&r);
  r = run(NULL, "run relu2.lua --jit gcc");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "--jit must be tcc or cc");
  result_free(&r);
  r = run(NULL, "run relu2.lua --dim N");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "NAME=VALUE");
  result_free(&r);
  r = run(NULL, "");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "usage");
  result_free(&r);
  /* --name and --prefix become C identifiers: with kernel() calls nothing
     else checks them, and the C would not compile */
  write_text("two.lua", two_lua);
  r = run(NULL, "build two.lua -o out --name 'a b'");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "--name 'a b' is not a C identifier");
  ck_assert_msg(!exists("out/a b.c"), "`%s` wrote out/a b.c", r.cmd);
  result_free(&r);
  r = run(NULL, "build two.lua -o out --prefix x-y");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "--prefix 'x-y' is not a C identifier");
  ck_assert_msg(!exists("out/two.c"), "`%s` wrote out/two.c", r.cmd);
  result_free(&r);
  r = run(NULL, "ir two.lua --prefix 9x");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "--prefix '9x' is not a C identifier");
  result_free(&r);
}
END_TEST

START_TEST(missing_file) {
  result r = run(NULL, "run nowhere/missing.lua --dim N=3");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "missing.lua");
  result_free(&r);
  r = run(NULL, "build nowhere/missing.lua -o out");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "missing.lua");
  ck_assert_msg(!exists("out/missing.c"), "build of a missing file wrote out/missing.c");
  result_free(&r);
}
END_TEST

START_TEST(syntax_error_names_the_line) {
  write_text("bad.lua", "local N = dim(\"N\")\nlocal x = = 3\n");
  result r = run(NULL, "build bad.lua -o out");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "bad.lua:2:");
  ck_assert_msg(!exists("out/bad.c") && !exists("out/bad.h"),
                "build of a DSL file with a syntax error wrote output files");
  result_free(&r);
  r = run(NULL, "run bad.lua");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "bad.lua:2:");
  result_free(&r);
  r = run(NULL, "ir bad.lua --after parse");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "bad.lua:2:");
  result_free(&r);
}
END_TEST

/* A DSL error found while the chunk runs (a shape mismatch): no files. */
START_TEST(build_bad_dsl_writes_nothing) {
  write_text("mismatch.lua",
             "local x = input(\"x\", f32, {3})\n"
             "local z = input(\"z\", f32, {4})\n"
             "output(\"y\", x + z)\n");
  result r = run(NULL, "build mismatch.lua -o out");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "mismatch.lua:3:");
  ck_assert_msg(!exists("out/mismatch.c") && !exists("out/mismatch.h"),
                "`%s` failed but wrote output files", r.cmd);
  result_free(&r);
}
END_TEST

/* A failed build leaves an earlier pair of the same name as it was. */
START_TEST(failed_build_keeps_old_files) {
  write_text("relu2.lua", relu2_lua);
  result r = run(NULL, "build relu2.lua -o out");
  EXPECT_STATUS(r, 0);
  result_free(&r);
  char *before = slurp(in_scratch("out/relu2.c"));
  write_text("broken.lua", "output(\"y\", nosuch(1))\n");
  r = run(NULL, "build broken.lua -o out --name relu2");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "broken.lua:1:");
  result_free(&r);
  char *after = slurp(in_scratch("out/relu2.c"));
  ck_assert_msg(strcmp(before, after) == 0,
                "a failed build --name relu2 changed out/relu2.c");
  free(before);
  free(after);
}
END_TEST

START_TEST(kernels_lists_names_and_dims) {
  write_text("two.lua", two_lua);
  result r = run(NULL, "kernels two.lua");
  EXPECT_STATUS(r, 0);
  ck_assert_msg(strcmp(r.out, "scale N\nneg M\n") == 0,
                "`%s` printed '%s', expected 'scale N\\nneg M\\n'", r.cmd, r.out);
  result_free(&r);
  r = run(NULL, "kernels nowhere.lua");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "nowhere.lua");
  result_free(&r);
}
END_TEST

/* ---- build -------------------------------------------------------------- */

START_TEST(build_writes_a_compilable_pair) {
  write_text("relu2.lua", relu2_lua);
  result r = run(NULL, "build relu2.lua -o out/deep");
  EXPECT_STATUS(r, 0);
  result_free(&r);
  ck_assert_msg(exists("out/deep/relu2.c") && exists("out/deep/relu2.h"),
                "build relu2.lua -o out/deep did not write relu2.c and relu2.h");
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "cd '%s/out/deep' && gcc -std=c99 -Wall -Wextra -pedantic -Werror -c relu2.c "
           "-o relu2.o 2>&1", scratch);
  ck_assert_msg(system(cmd) == 0, "the generated relu2.c does not compile with %s", cmd);
  r = run(NULL, "build relu2.lua -o out --name other --prefix pre");
  EXPECT_STATUS(r, 0);
  result_free(&r);
  ck_assert_msg(exists("out/other.c") && exists("out/other.h"),
                "--name other did not write other.c/other.h");
  char *h = slurp(in_scratch("out/other.h"));
  ck_assert_msg(strstr(h, "pre_run") || strstr(h, "pre_relu2_run"),
                "--prefix pre: no pre*_run in other.h");
  free(h);
}
END_TEST

/* An NCHW convolution of stride 1 with few input channels and a wide
   output runs on the GEMM template's direct kernel (bmode 3, docs/gemm.md)
   on both vector targets, its weight packed by P_create; with a max pool
   after it, through NHWC (the pool fuses into the copy back).  That its results are right is
   tests/e2e/dsl/conv_direct.lua's job. */
START_TEST(build_picks_the_direct_conv) {
  write_text("cd.lua", "kernel('plain')\n"
                       "local x = input('x', f32, {1, 16, 20, 40})\n"
                       "local w = weight('w', f32, {8, 16, 3, 3})\n"
                       "output('y', relu(conv2d(x, w, nil, {padding = 1})))\n"
                       "kernel('pooled')\n"
                       "local x = input('x', f32, {1, 16, 20, 40})\n"
                       "local w = weight('w', f32, {8, 16, 3, 3})\n"
                       "output('y', max_pool2d(conv2d(x, w, nil, {padding = 1}), 2))\n");
  static const char *const targets[] = {"avx512", "avx2"};
  for (int t = 0; t < 2; t++) {
    result r = run(NULL, "build cd.lua -o %s --target %s", targets[t], targets[t]);
    EXPECT_STATUS(r, 0);
    result_free(&r);
    char path[64];
    snprintf(path, sizeof path, "%s/cd.c", targets[t]);
    char *c = slurp(in_scratch(path));
    const char *first = strstr(c, ".bmode = 3;"), *pooled = strstr(c, "int cd_pooled_run");
    ck_assert_msg(first && pooled && first < pooled,
                  "--target %s: the first kernel does not use the direct kernel (bmode 3)",
                  targets[t]);
    ck_assert_msg(!strstr(pooled, ".bmode = 3;") && strstr(pooled, "permute"),
                  "--target %s: the pooled kernel is not run through NHWC", targets[t]);
    /* the weight packed by P_create, the only copy the context keeps */
    char pack[64];
    snprintf(pack, sizeof pack, "tc_gemm_direct_pack_%s(c->tc_pack", targets[t]);
    const char *packed = strstr(c, pack), *ctx = strstr(c, "struct cd_plain_ctx {");
    const char *ap = strstr(c, ".ap = ctx->tc_pack");
    ck_assert_msg(packed && packed < pooled && ap && ap < pooled,
                  "--target %s: the direct kernel's weight is not packed by P_create", targets[t]);
    const char *end = ctx ? strstr(ctx, "};") : NULL;
    const char *copy = ctx ? strstr(ctx, "a copy of the weight") : NULL;
    ck_assert_msg(end && (!copy || copy > end),
                  "--target %s: the context keeps a copy of the packed weight", targets[t]);
    free(c);
  }
}
END_TEST

/* An NCHW convolution run as NHWC reads its input in place (amode 2: each
   task of the template copies the rows it reads) when the NHWC copy has
   no other reader; two convolutions of one input share the copy P_run
   makes (amode 1). */
START_TEST(build_reads_the_nchw_input_in_place) {
  write_text("nb.lua", "kernel('one')\n"
                       "local x = input('x', f32, {1, 16, 20, 40})\n"
                       "local w = weight('w', f32, {8, 16, 3, 3})\n"
                       "output('y', relu(conv2d(x, w, nil, {stride = 2, padding = 1})))\n"
                       "kernel('two')\n"
                       "local x = input('x', f32, {1, 16, 20, 40})\n"
                       "local w = weight('w', f32, {8, 16, 3, 3})\n"
                       "local v = weight('v', f32, {8, 16, 3, 3})\n"
                       "output('y', conv2d(x, w, nil, {stride = 2}) + conv2d(x, v, nil, {stride = 2}))\n");
  static const char *const targets[] = {"avx512", "avx2"};
  for (int t = 0; t < 2; t++) {
    result r = run(NULL, "build nb.lua -o %s --target %s", targets[t], targets[t]);
    EXPECT_STATUS(r, 0);
    result_free(&r);
    char path[64];
    snprintf(path, sizeof path, "%s/nb.c", targets[t]);
    char *c = slurp(in_scratch(path));
    const char *one = strstr(c, "int nb_one_run"), *two = strstr(c, "int nb_two_run");
    ck_assert(one && two && one < two);
    const char *a2 = strstr(one, ".amode = 2;");
    ck_assert_msg(a2 && a2 < two, "--target %s: kernel one does not read x in place", targets[t]);
    ck_assert_msg(strstr(one, "not written: the GEMM template below reads x as NCHW"),
                  "--target %s: kernel one does not say why its permute is gone", targets[t]);
    ck_assert_msg(!strstr(two, ".amode = 2;") && strstr(two, ".amode = 1;"),
                  "--target %s: kernel two does not share the NHWC copy", targets[t]);
    free(c);
  }
  /* the scalar variant of a multi-ISA file keeps the copy */
  result r = run(NULL, "build nb.lua -o multi --target x86-64");
  EXPECT_STATUS(r, 0);
  result_free(&r);
  char *c = slurp(in_scratch("multi/nb.c"));
  char *scalar = strstr(c, "static int nb_one_run_scalar("), *end = strstr(c, "\nint nb_one_run(");
  ck_assert(scalar && end && scalar < end && strstr(c, ".amode = 2;"));
  *end = 0;
  ck_assert_msg(strstr(scalar, "permute (the input of the conv2d") && !strstr(scalar, "not written"),
                "the scalar variant does not copy x to NHWC");
  free(c);
}
END_TEST

/* ---- ir ----------------------------------------------------------------- */

START_TEST(ir_after_every_pass) {
  write_text("two.lua", two_lua);
  const char *passes[] = {"parse", "verify", "decompose", "lower", "emit"};
  for (int i = 0; i < 5; i++) {
    result r = run(NULL, "ir two.lua --after %s", passes[i]);
    EXPECT_STATUS(r, 0);
    ck_assert_msg(strlen(r.out) > 10, "`%s` printed nothing", r.cmd);
    EXPECT_IN(r, out, "neg");
    result_free(&r);
  }
  result r = run(NULL, "ir two.lua --after emit --kernel scale");
  EXPECT_STATUS(r, 0);
  EXPECT_IN(r, out, "two_scale_run");
  ck_assert_msg(strstr(r.out, "two_neg_run") == NULL,
                "`%s` printed kernel neg too", r.cmd);
  result_free(&r);
  r = run(NULL, "ir two.lua");
  EXPECT_STATUS(r, 0);
  EXPECT_IN(r, out, "== after parse ==");
  EXPECT_IN(r, out, "== after emit ==");
  result_free(&r);
  r = run(NULL, "ir two.lua --after nosuchpass");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "unknown pass 'nosuchpass'");
  result_free(&r);
  r = run(NULL, "ir two.lua --kernel nosuch --after lower");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "no kernel named 'nosuch'");
  result_free(&r);
}
END_TEST

/* ---- ir --dot ----------------------------------------------------------- */

/* What `ir --dot` drew, read back from its text (one statement a line, as
   tensorc/cli/dot.c writes it): each node's id, label and innermost
   cluster ("" outside any), and the number of loop-nest clusters. */
typedef struct dot_node {
  char id[32], cluster[48], label[160];
} dot_node;

typedef struct dot_graph {
  dot_node nodes[64];
  int n, nclusters;
} dot_graph;

static dot_graph dot_read(const char *text) {
  dot_graph g = {0};
  char stack[8][48];
  int depth = 0;
  for (const char *line = text; *line;) {
    const char *end = strchr(line, '\n');
    size_t len = end ? (size_t)(end - line) : strlen(line);
    char l[512];
    snprintf(l, sizeof l, "%.*s", (int)(len < sizeof l ? len : sizeof l - 1), line);
    const char *t = l + strspn(l, " ");
    char name[48];
    if (sscanf(t, "subgraph %47s {", name) == 1) {
      ck_assert_msg(depth < 8, "clusters nested too deep");
      snprintf(stack[depth++], sizeof stack[0], "%s", name);
      /* kernel clusters are cluster_k<K>, loop nests cluster_k<K>_<C> */
      if (strchr(name + strlen("cluster_k"), '_')) g.nclusters++;
    } else if (strcmp(t, "}") == 0 && depth > 0) {
      depth--;
    } else if (strstr(t, " [label=\"") && strncmp(t, "graph ", 6) != 0 &&
               strncmp(t, "node ", 5) != 0 && g.n < 64) {
      dot_node *d = &g.nodes[g.n++];
      sscanf(t, "%31s", d->id);
      snprintf(d->cluster, sizeof d->cluster, "%s", depth ? stack[depth - 1] : "");
      const char *lb = strstr(t, "label=\"") + 7;
      const char *le = strstr(lb, "\"");
      snprintf(d->label, sizeof d->label, "%.*s", le ? (int)(le - lb) : 0, lb);
    }
    line += len + (end != NULL);
  }
  ck_assert_msg(depth == 0, "unbalanced braces in the dot text:\n%s", text);
  return g;
}

/* The absolute path of a file of the repository (tests run at its top). */
static const char *repo_file(const char *rel) {
  static char path[1024];
  ck_assert_msg(realpath(rel, path) != NULL, "cannot find %s (run from the repository)", rel);
  return path;
}

/* Graphviz is no dependency: when `dot` happens to be installed the text
   must be accepted by it, otherwise this checks nothing. */
static void dot_accepts(const char *name) {
  if (system("command -v dot >/dev/null 2>&1") != 0) return;
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "dot -Tsvg '%s' -o /dev/null", in_scratch(name));
  ck_assert_msg(system(cmd) == 0, "graphviz rejects %s", name);
}

/* A fused elementwise chain: every computed node in the one loop nest,
   arguments outside, and the same bytes from two runs and from -o. */
START_TEST(ir_dot_fused_chain_is_one_cluster) {
  const char *chain = repo_file("examples/chain.lua");
  result r = run(NULL, "ir '%s' --dot", chain);
  EXPECT_STATUS(r, 0);
  ck_assert_msg(strncmp(r.out, "digraph \"chain\" {\n", 18) == 0,
                "`%s` does not start a digraph:\n%s", r.cmd, r.out);
  dot_graph g = dot_read(r.out);
  ck_assert_msg(g.nclusters == 1, "`%s`: %d clusters, expected 1 (fused chain)\n%s",
                r.cmd, g.nclusters, r.out);
  int computed = 0, args = 0;
  for (int i = 0; i < g.n; i++) {
    const dot_node *d = &g.nodes[i];
    if (d->label[0] == '%') { /* "%4 mul\n..." */
      computed++;
      ck_assert_msg(strcmp(d->cluster, "cluster_k0_0") == 0,
                    "`%s`: node %s (%s) is outside the fused loop nest\n%s", r.cmd,
                    d->id, d->label, r.out);
    } else {
      args++;
      ck_assert_msg(d->cluster[0] == '\0', "`%s`: argument %s is inside %s", r.cmd,
                    d->id, d->cluster);
    }
  }
  ck_assert_msg(computed >= 5 && args == 5, "`%s`: %d computed nodes, %d arguments\n%s",
                r.cmd, computed, args, r.out);
  EXPECT_IN(r, out, "input a\\nf32[N, M]\\n");
  EXPECT_IN(r, out, "chain.lua:18");
  EXPECT_IN(r, out, "shape=invhouse");
  EXPECT_IN(r, out, "shape=house");
  EXPECT_IN(r, out, " -> k0_out4;");
  EXPECT_IN(r, out, "k0_n0 -> k0_n4;");
  write_text("chain.dot", r.out);
  dot_accepts("chain.dot");

  result again = run(NULL, "ir '%s' --dot", chain);
  EXPECT_STATUS(again, 0);
  ck_assert_msg(strcmp(r.out, again.out) == 0, "two runs of `%s` differ", r.cmd);
  result_free(&again);
  again = run(NULL, "ir '%s' --dot -o pic/chain.dot", chain);
  EXPECT_STATUS(again, 1); /* no directory pic: no file, a message */
  EXPECT_IN(again, err, "pic/chain.dot");
  result_free(&again);
  again = run(NULL, "ir '%s' --dot -o chain2.dot", chain);
  EXPECT_STATUS(again, 0);
  ck_assert_msg(again.out[0] == '\0', "`%s` printed to stdout too", again.cmd);
  char *file = slurp(in_scratch("chain2.dot"));
  ck_assert_msg(strcmp(r.out, file) == 0, "`%s` wrote other text than stdout gets", again.cmd);
  free(file);
  result_free(&again);

  /* unfused: each stage of the chain is a loop nest of its own */
  again = run(NULL, "ir '%s' --dot --after lower", chain);
  EXPECT_STATUS(again, 0);
  g = dot_read(again.out);
  ck_assert_msg(g.nclusters == computed, "`%s`: %d clusters, expected one per stage (%d)",
                again.cmd, g.nclusters, computed);
  result_free(&again);
  result_free(&r);
}
END_TEST

/* A checked gather feeding exp: neither fuses nor shares a nest. */
START_TEST(ir_dot_unfusable_stages_are_two_clusters) {
  write_text("gexp.lua",
             "local N = dim(\"N\")\n"
             "local x = input(\"x\", f32, {5})\n"
             "local idx = input(\"idx\", i64, {N})\n"
             "local g = compute({N}, function(i) return x(idx(i)) end)\n"
             "output(\"y\", exp(g))\n");
  result r = run(NULL, "ir gexp.lua --dot");
  EXPECT_STATUS(r, 0);
  dot_graph g = dot_read(r.out);
  ck_assert_msg(g.nclusters == 2, "`%s`: %d clusters, expected 2\n%s", r.cmd, g.nclusters,
                r.out);
  const char *gather = NULL, *ex = NULL;
  for (int i = 0; i < g.n; i++) {
    if (strstr(g.nodes[i].label, " compute\\n")) gather = g.nodes[i].cluster;
    if (strstr(g.nodes[i].label, " exp\\n")) ex = g.nodes[i].cluster;
  }
  ck_assert_msg(gather && ex && gather[0] && ex[0] && strcmp(gather, ex) != 0,
                "`%s`: compute and exp should be in two clusters\n%s", r.cmd, r.out);
  EXPECT_IN(r, out, "gexp.lua:4");
  EXPECT_IN(r, out, "gexp.lua:5");
  write_text("gexp.dot", r.out);
  dot_accepts("gexp.dot");
  result_free(&r);

  /* several kernels: one digraph, a cluster per kernel; --kernel: one */
  write_text("two.lua", two_lua);
  r = run(NULL, "ir two.lua --dot");
  EXPECT_STATUS(r, 0);
  EXPECT_IN(r, out, "subgraph cluster_k0 {");
  EXPECT_IN(r, out, "label=\"kernel neg\"");
  write_text("two.dot", r.out);
  dot_accepts("two.dot");
  result_free(&r);
  r = run(NULL, "ir two.lua --dot --kernel neg");
  EXPECT_STATUS(r, 0);
  ck_assert_msg(strstr(r.out, "kernel scale") == NULL && strstr(r.out, "cluster_k1") == NULL,
                "`%s` drew another kernel\n%s", r.cmd, r.out);
  result_free(&r);
}
END_TEST

START_TEST(ir_dot_errors) {
  write_text("bad.lua", "local N = dim(\"N\")\nlocal x = = 3\n");
  result r = run(NULL, "ir bad.lua --dot");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "bad.lua:2:");
  ck_assert_msg(r.out[0] == '\0', "`%s` failed but printed:\n%s", r.cmd, r.out);
  result_free(&r);
  /* -o: no file, and an existing one is left as it was */
  write_text("old.dot", "old\n");
  write_text("mismatch.lua",
             "local x = input(\"x\", f32, {3})\n"
             "local z = input(\"z\", f32, {4})\n"
             "output(\"y\", x + z)\n");
  r = run(NULL, "ir mismatch.lua --dot -o old.dot");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "mismatch.lua:3:");
  result_free(&r);
  char *old = slurp(in_scratch("old.dot"));
  ck_assert_msg(strcmp(old, "old\n") == 0, "a failed `ir --dot -o old.dot` changed old.dot");
  free(old);
  r = run(NULL, "ir bad.lua --dot -o new.dot");
  EXPECT_STATUS(r, 1);
  ck_assert_msg(!exists("new.dot"), "a failed `%s` wrote new.dot", r.cmd);
  result_free(&r);
  write_text("relu2.lua", relu2_lua);
  r = run(NULL, "ir relu2.lua --dot --after decompose");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "--dot draws the loop program");
  result_free(&r);
  r = run(NULL, "ir relu2.lua --dot --kernel nosuch");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "no kernel named 'nosuch'");
  ck_assert_msg(r.out[0] == '\0', "`%s` failed but printed:\n%s", r.cmd, r.out);
  result_free(&r);
  r = run(NULL, "ir relu2.lua --dot -o");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "option -o needs a value");
  result_free(&r);
  r = run(NULL, "ir --help");
  EXPECT_STATUS(r, 0);
  EXPECT_IN(r, out, "--dot");
  result_free(&r);
}
END_TEST

/* ---- run ---------------------------------------------------------------- */

START_TEST(run_checks_with_tcc_and_cc) {
  write_text("two.lua", two_lua);
  result r = run(NULL, "run two.lua --kernel scale --dim N=37 --check");
  EXPECT_STATUS(r, 0);
  EXPECT_IN(r, out, "check y:");
  EXPECT_IN(r, out, ": ok");
  EXPECT_IN(r, err, "generated");
  result_free(&r);
  r = run(NULL, "run two.lua --kernel neg --dim M=3 --check --jit cc --bench 5");
  EXPECT_STATUS(r, 0);
  EXPECT_IN(r, out, "check b:");
  EXPECT_IN(r, out, "median");
  result_free(&r);
  r = run(NULL, "run two.lua --dim N=3");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "--kernel");
  result_free(&r);
  r = run(NULL, "run two.lua --kernel scale");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "dim N");
  result_free(&r);
  r = run(NULL, "run two.lua --kernel scale --dim Q=3");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "no dim 'Q'");
  result_free(&r);
  r = run(NULL, "run two.lua --kernel scale --dim N=3 --jit tcc --target native");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "--jit tcc compiles only --target scalar");
  result_free(&r);
}
END_TEST

/* An f64 output computed in f32 (a sum of f32 squares, then a cast) is
   checked at f32's tolerance: the reference sums in f64. */
START_TEST(run_check_tolerance_of_what_it_computes_in) {
  write_text("wide.lua", "local N = dim('N')\n"
                         "local x = input('x', f32, {N, 1000})\n"
                         "output('y', cast(sum(x * x, 1), f64))\n");
  result r = run(NULL, "run wide.lua --dim N=7 --check");
  EXPECT_STATUS(r, 0);
  EXPECT_IN(r, out, "check y:");
  EXPECT_IN(r, out, ": ok");
  result_free(&r);
}
END_TEST

/* ---- targets ------------------------------------------------------------ */

static const char *const target_names[] = {"scalar", "avx2", "avx512", "native", "x86-64"};
enum { NTARGET_NAMES = 5 };

/* The target `native` must become on this machine, judged by the test's
   own CPU check (the same rule as tensorc's: docs/cli.md). */
static const char *native_here(void) {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
    return "avx512";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "avx2";
#endif
  return "scalar";
}

/* The C of `ir two.lua --after emit --target T` (T NULL: no --target);
   malloc'd. */
static char *emitted(const char *target) {
  result r = target ? run(NULL, "ir two.lua --after emit --target %s", target)
                    : run(NULL, "ir two.lua --after emit");
  EXPECT_STATUS(r, 0);
  free(r.err);
  return r.out;
}

START_TEST(target_names_parse) {
  write_text("two.lua", two_lua);
  for (int i = 0; i < NTARGET_NAMES; i++) {
    result r = run(NULL, "ir two.lua --after emit --target %s", target_names[i]);
    EXPECT_STATUS(r, 0);
    EXPECT_IN(r, out, "two_neg_run");
    result_free(&r);
    r = run(NULL, "build two.lua -o out_%d --target=%s", i, target_names[i]);
    EXPECT_STATUS(r, 0);
    result_free(&r);
  }
  /* native is what this CPU has best: the same C as that target's */
  char *native = emitted("native"), *best = emitted(native_here());
  ck_assert_msg(strcmp(native, best) == 0,
                "--target native does not write the C of --target %s (this CPU's best)",
                native_here());
  free(native);
  free(best);
}
END_TEST

START_TEST(target_unknown_is_a_user_error) {
  write_text("two.lua", two_lua);
  const char *cmds[] = {"build two.lua -o out --target avx9000",
                        "ir two.lua --target avx9000",
                        "run two.lua --kernel scale --dim N=3 --jit cc --target avx9000",
                        "run two.lua --kernel scale --dim N=3 --target avx9000"};
  for (int i = 0; i < 4; i++) {
    result r = run(NULL, "%s", cmds[i]);
    EXPECT_STATUS(r, 1);
    /* the whole message: an option's error, not the DSL file's */
    ck_assert_msg(strcmp(r.err, "tensorc: unknown target 'avx9000' (targets: scalar, "
                                "avx2, avx512, native, x86-64)\n") == 0,
                  "`%s`: stderr is\n%s", r.cmd, r.err);
    ck_assert_msg(r.out[0] == '\0', "`%s` printed on stdout:\n%s", r.cmd, r.out);
    result_free(&r);
  }
  ck_assert_msg(!exists("out/two.c"), "a build with an unknown target wrote out/two.c");
  result r = run(NULL, "run two.lua --kernel scale --dim N=3 --jit tcc --target avx512");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "tensorc: --jit tcc compiles only --target scalar (libtcc has no "
                    "intrinsics), got --target avx512: use --jit cc");
  result_free(&r);
  /* tcc is the default JIT: the same without --jit */
  r = run(NULL, "run two.lua --kernel scale --dim N=3 --target x86-64");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "--jit tcc compiles only --target scalar");
  result_free(&r);
}
END_TEST

/* CLI_DEFAULT_BUILD_TARGET: x86-64 for build and ir, said by the help. */
START_TEST(target_default_of_build_is_x86_64) {
  write_text("two.lua", two_lua);
  result r = run(NULL, "build two.lua -o dflt");
  EXPECT_STATUS(r, 0);
  result_free(&r);
  r = run(NULL, "build two.lua -o x64 --target x86-64");
  EXPECT_STATUS(r, 0);
  result_free(&r);
  const char *files[] = {"two.c", "two.h"};
  for (int i = 0; i < 2; i++) {
    char a[64], b[64];
    snprintf(a, sizeof a, "dflt/%s", files[i]);
    snprintf(b, sizeof b, "x64/%s", files[i]);
    char *da = slurp(in_scratch(a)), *db = slurp(in_scratch(b));
    ck_assert_msg(da[0] && strcmp(da, db) == 0,
                  "build without --target: %s differs from --target x86-64's", files[i]);
    free(da);
    free(db);
  }
  char *dflt = emitted(NULL), *x64 = emitted("x86-64");
  ck_assert_msg(strcmp(dflt, x64) == 0, "ir without --target is not --target x86-64");
  free(dflt);
  free(x64);
  const char *cmds[] = {"build", "ir"};
  for (int i = 0; i < 2; i++) {
    r = run(NULL, "%s --help", cmds[i]);
    EXPECT_STATUS(r, 0);
    EXPECT_IN(r, out, "default x86-64");
    result_free(&r);
  }
}
END_TEST

/* The number of KEY.so files in the cache directory. */
static int cache_entries(void) {
  char cmd[600];
  snprintf(cmd, sizeof cmd, "ls '%s/cache' | grep -c '\\.so$' > '%s/count.txt'", scratch,
           scratch);
  if (system(cmd) == -1) return -1;
  char *t = slurp(in_scratch("count.txt"));
  int n = atoi(t);
  free(t);
  return n;
}

/* The cache key of --jit cc covers the target: through the C, which names
   its target and differs by it, and through the flags (native adds
   -march=native).  A target compiled again reuses its entry. */
START_TEST(run_cc_cache_per_target) {
  write_text("two.lua", two_lua);
  const char *targets[] = {"scalar", "x86-64", "native", "scalar", "x86-64"};
  const int want[] = {1, 2, 3, 3, 3};
  for (int i = 0; i < 5; i++) {
    result r = run(NULL, "run two.lua --kernel scale --dim N=5 --jit cc --target %s --check",
                   targets[i]);
    EXPECT_STATUS(r, 0);
    EXPECT_IN(r, out, ": ok");
    result_free(&r);
    ck_assert_msg(cache_entries() == want[i],
                  "after --jit cc --target %s (run %d): %d cache entries, expected %d",
                  targets[i], i + 1, cache_entries(), want[i]);
  }
}
END_TEST

START_TEST(run_data_reads_and_writes) {
  write_text("relu2.lua", relu2_lua);
  mkdir(in_scratch("d"), 0755);
  float x[6] = {-1, 0.5f, 2, -3, 4, 0};
  write_npy("d/x.npy", "<f4", "(6,)", x, sizeof x);
  /* N is inferred from x.npy. */
  result r = run(NULL, "run relu2.lua --data d --check");
  EXPECT_STATUS(r, 0);
  result_free(&r);
  ck_assert_msg(exists("d/y.npy"), "run --data d did not write d/y.npy");
  char *y = slurp(in_scratch("d/y.npy"));
  /* The header's text starts after the magic, version and length. */
  ck_assert_msg(y[0] != 0 && strstr(y + 10, "'shape': (6,)") != NULL,
                "d/y.npy should have shape (6,)");
  /* The data are the file's last bytes. */
  float want[6] = {0, 1, 4, 0, 8, 0}, got[6];
  FILE *f = fopen(in_scratch("d/y.npy"), "rb");
  fseek(f, -(long)sizeof got, SEEK_END);
  ck_assert(fread(got, sizeof got, 1, f) == 1);
  fclose(f);
  for (int i = 0; i < 6; i++)
    ck_assert_msg(got[i] == want[i], "y[%d] = %g, expected relu(x)*2 = %g", i, got[i],
                  want[i]);
  free(y);
}
END_TEST

/* Rank-0 arguments: a file of shape (), an output of shape (). */
START_TEST(run_data_scalars) {
  write_text("sc.lua",
             "local s = input(\"s\", f32, {})\n"
             "output(\"t\", s * 3)\n");
  mkdir(in_scratch("d"), 0755);
  float s = 2.5f;
  write_npy("d/s.npy", "<f4", "()", &s, sizeof s);
  result r = run(NULL, "run sc.lua --data d --check");
  EXPECT_STATUS(r, 0);
  EXPECT_IN(r, out, "t: f32[] = [7.5]");
  result_free(&r);
  char *t = slurp(in_scratch("d/t.npy"));
  ck_assert_msg(t[0] != 0 && strstr(t + 10, "'shape': ()") != NULL,
                "d/t.npy should have shape ()");
  free(t);
  float v[2] = {1, 2};
  write_npy("d/s.npy", "<f4", "(2,)", v, sizeof v);
  r = run(NULL, "run sc.lua --data d");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "d/s.npy: rank 1, expected rank 0");
  result_free(&r);
}
END_TEST

START_TEST(run_data_errors_name_the_file) {
  write_text("relu2.lua", relu2_lua);
  mkdir(in_scratch("d"), 0755);
  double x64[4] = {1, 2, 3, 4};
  write_npy("d/x.npy", "<f8", "(4,)", x64, sizeof x64);
  result r = run(NULL, "run relu2.lua --data d");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "d/x.npy");
  EXPECT_IN(r, err, "<f4");
  ck_assert_msg(!exists("d/y.npy"), "a failed run wrote d/y.npy");
  result_free(&r);

  float x2[4] = {1, 2, 3, 4};
  write_npy("d/x.npy", "<f4", "(2, 2)", x2, sizeof x2);
  r = run(NULL, "run relu2.lua --data d");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "d/x.npy");
  result_free(&r);

  write_text("d/x.npy", "this is not a npy file at all");
  r = run(NULL, "run relu2.lua --data d");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "d/x.npy");
  ck_assert_msg(!exists("d/y.npy"), "a failed run wrote d/y.npy");
  result_free(&r);

  /* --dim against the file. */
  write_npy("d/x.npy", "<f4", "(4,)", x2, sizeof x2);
  r = run(NULL, "run relu2.lua --data d --dim N=5");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "d/x.npy");
  EXPECT_IN(r, err, "N = 5");
  result_free(&r);
}
END_TEST

START_TEST(run_dims_conflict_between_files) {
  write_text("two.lua", two_lua);
  mkdir(in_scratch("d"), 0755);
  float a[6] = {0}, b[7] = {0};
  write_npy("d/x.npy", "<f4", "(6,)", a, sizeof a);
  write_npy("d/z.npy", "<f4", "(7,)", b, sizeof b);
  result r = run(NULL, "run two.lua --kernel scale --data d");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "d/z.npy");
  EXPECT_IN(r, err, "d/x.npy");
  result_free(&r);
  write_npy("d/z.npy", "<f4", "(6,)", b, 6 * sizeof(float));
  r = run(NULL, "run two.lua --kernel scale --data d --check");
  EXPECT_STATUS(r, 0);
  result_free(&r);
}
END_TEST

/* Outputs are written all or nothing: when one cannot be written, none
   is (spec/dsl.md: on an error tensorc writes no output file). */
START_TEST(run_data_outputs_all_or_nothing) {
  write_text("yz.lua",
             "local N = dim(\"N\")\n"
             "local x = input(\"x\", f32, {N})\n"
             "output(\"y\", x * 2)\n"
             "output(\"z\", x + 1)\n");
  mkdir(in_scratch("d"), 0755);
  float x[3] = {1, 2, 3};
  write_npy("d/x.npy", "<f4", "(3,)", x, sizeof x);
  mkdir(in_scratch("d/z.npy"), 0755); /* z cannot be written */
  result r = run(NULL, "run yz.lua --data d");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "d/z.npy");
  ck_assert_msg(!exists("d/y.npy"), "a run that could not write z still wrote d/y.npy");
  result_free(&r);
  /* and no temporary file is left behind */
  r = run(NULL, "run yz.lua --data d --dim N=3 >/dev/null 2>&1; ls d");
  ck_assert_msg(strcmp(r.out, "x.npy\nz.npy\n") == 0, "d holds:\n%s", r.out);
  result_free(&r);
}
END_TEST

/* --data names a folder that must exist: a typo is an error, not a folder
   without files (which would generate every input). */
START_TEST(run_data_dir_must_exist) {
  write_text("relu2.lua", relu2_lua);
  result r = run(NULL, "run relu2.lua --data nodir --dim N=3");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "--data nodir: No such file or directory");
  ck_assert_msg(strstr(r.err, "generated") == NULL, "it generated inputs:\n%s", r.err);
  result_free(&r);
  write_text("file", "x");
  r = run(NULL, "run relu2.lua --data file --dim N=3");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "--data file: not a directory");
  result_free(&r);
}
END_TEST

/* Dims too large for memory are the user's error (exit 1, a message
   naming the argument), not an internal one (exit 2). */
START_TEST(run_huge_dims) {
  write_text("relu2.lua", relu2_lua);
  result r = run(NULL, "run relu2.lua --dim N=9223372036854775807");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "'x' is too large to allocate");
  result_free(&r);
  r = run(NULL, "run relu2.lua --dim N=4611686018427387904 --check");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "'x' is too large to allocate");
  result_free(&r);
}
END_TEST

/* CSR parts from files: rows is inferred from rowptr's length, and a col
   or val file shorter than rowptr's nnz is an error naming it (the kernel
   and the reference would read past its end). */
START_TEST(run_csr_files) {
  write_text("sp.lua",
             "local N = dim(\"N\")\n"
             "local M = dim(\"M\")\n"
             "local A = csr(\"A\", f32, {N, M})\n"
             "local x = input(\"x\", f32, {M, 2})\n"
             "output(\"y\", spmm(A, x, \"sum\"))\n");
  mkdir(in_scratch("d"), 0755);
  long long rowptr[3] = {0, 2, 2}, col[2] = {0, 1};
  float val[2] = {1, 2}, x[6] = {1, 1, 1, 1, 1, 1};
  write_npy("d/A.rowptr.npy", "<i8", "(3,)", rowptr, sizeof rowptr);
  write_npy("d/A.col.npy", "<i8", "(2,)", col, sizeof col);
  write_npy("d/A.val.npy", "<f4", "(2,)", val, sizeof val);
  write_npy("d/x.npy", "<f4", "(3, 2)", x, sizeof x);
  result r = run(NULL, "run sp.lua --data d --check");
  EXPECT_STATUS(r, 0);
  EXPECT_IN(r, out, "y: f32[2, 2] = [3, 3, 0, 0]");
  result_free(&r);
  r = run(NULL, "run sp.lua --data d --dim N=3");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "d/A.rowptr.npy: 'A.rowptr' has 3 entries (rows + 1), but dim N = 3");
  result_free(&r);
  unlink(in_scratch("d/y.npy"));
  long long long_rowptr[3] = {0, 2, 3};
  write_npy("d/A.rowptr.npy", "<i8", "(3,)", long_rowptr, sizeof long_rowptr);
  r = run(NULL, "run sp.lua --data d --check");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "d/A.col.npy: 2 entries, but d/A.rowptr.npy ends with nnz = 3");
  ck_assert_msg(!exists("d/y.npy"), "a failed run wrote d/y.npy");
  result_free(&r);
}
END_TEST

/* Generated indices stay in range; an index file out of range makes the
   kernel fail: exit 1, no output. */
START_TEST(run_indices) {
  write_text("gather.lua", gather_lua);
  result r = run(NULL, "run gather.lua --dim N=50 --check --seed 7");
  EXPECT_STATUS(r, 0);
  EXPECT_IN(r, out, ": ok");
  result_free(&r);
  mkdir(in_scratch("d"), 0755);
  long long idx[3] = {0, 9, 1};
  write_npy("d/idx.npy", "<i8", "(3,)", idx, sizeof idx);
  r = run(NULL, "run gather.lua --data d --check");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "TC_EINDEX");
  ck_assert_msg(!exists("d/y.npy"), "a kernel error still wrote d/y.npy");
  result_free(&r);
}
END_TEST

/* ---- repl --------------------------------------------------------------- */

START_TEST(repl_piped) {
  /* Each line is its own chunk, so locals do not survive a line: the
     session uses globals. */
  result r = run("kernel(\"k\")\n"
                 "N = dim(\"N\")\n"
                 "x = input(\"x\", f32, {N})\n"
                 "output(\"y\", exp(x) + 1)\n"
                 ":kernels\n"
                 ":c k\n"
                 ":check k N=9\n"
                 ":run k N=3\n"
                 ":target\n"
                 ":quit\n",
                 "repl");
  EXPECT_STATUS(r, 0);
  EXPECT_IN(r, out, "input  x: f32[N]");
  EXPECT_IN(r, out, "_run(");
  EXPECT_IN(r, out, "check y:");
  EXPECT_IN(r, out, ": ok");
  EXPECT_IN(r, out, "y: f32[3] = [");
  EXPECT_IN(r, out, "target scalar");
  ck_assert_msg(strstr(r.out, "tc>") == NULL, "piped repl printed a prompt:\n%s", r.out);
  result_free(&r);

  /* :target: another target's C, run with cc; a bad name is an error. */
  r = run("kernel(\"k\")\n"
          "N = dim(\"N\")\n"
          "x = input(\"x\", f32, {N})\n"
          "output(\"y\", exp(x) + 1)\n"
          ":target avx9000\n"
          ":target x86-64\n"
          ":target\n"
          ":c k\n"
          ":check k N=9\n"
          ":bench k N=9 3\n",
          "repl");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "tensorc: unknown target 'avx9000'");
  EXPECT_IN(r, out, "target x86-64");
  EXPECT_IN(r, out, "_run(");
  EXPECT_IN(r, out, ": ok");
  EXPECT_IN(r, out, "us (cc)");
  result_free(&r);

  /* A bad line is reported and the session goes on; the status says so. */
  r = run("local x = = 1\n"
          "kernel(\"k\")\n"
          "x = input(\"x\", f32, {3})\n"
          "output(\"y\", x + nosuch)\n"
          "output(\"y\", x * 2)\n"
          ":ir k lower\n"
          ":frob\n",
          "repl");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "stdin:");
  EXPECT_IN(r, err, "unknown command ':frob'");
  ck_assert_msg(strlen(r.out) > 0, "`:ir k lower` printed nothing");
  result_free(&r);

  /* A kernel declared again replaces the old one; :bench and :ir. */
  r = run("kernel(\"k\")\n"
          "x = input(\"x\", f32, {3})\n"
          "output(\"y\", x + 1)\n"
          "kernel(\"k\")\n"
          "x = input(\"x\", f32, {4})\n"
          "output(\"y\", x * 2)\n"
          ":run k\n"
          ":bench k 3\n"
          ":ir k\n",
          "repl");
  EXPECT_STATUS(r, 0);
  EXPECT_IN(r, out, "y: f32[4] = [");
  EXPECT_IN(r, out, "bench k: 3 runs");
  EXPECT_IN(r, out, "== after parse ==");
  EXPECT_IN(r, out, "== after emit ==");
  result_free(&r);

  /* A count of runs that does not fit an int is an error, not some other
     count (atoi wrapped 99999999999 into a run of 1.2 billion); a kernel
     without outputs yet has nothing to run; dims are NAME=VALUE here. */
  r = run("kernel(\"k\")\n"
          "N = dim(\"N\")\n"
          "x = input(\"x\", f32, {N})\n"
          ":run k N=2\n"
          "output(\"y\", x + 1)\n"
          ":bench k N=2 99999999999\n"
          ":run k N=-1\n",
          "repl");
  EXPECT_STATUS(r, 1);
  EXPECT_IN(r, err, "kernel k has no outputs yet");
  EXPECT_IN(r, err, ":bench: the number of runs must be 1 to 100000000, got '99999999999'");
  EXPECT_IN(r, err, "tensorc: N=-1: the value must be an integer >= 0");
  ck_assert_msg(strstr(r.out, "bench k") == NULL, "it ran the benchmark:\n%s", r.out);
  result_free(&r);

  /* A chunk over several lines. */
  r = run("kernel(\"t\")\n"
          "function f(v)\n"
          "  return v * 2\n"
          "end\n"
          "output(\"y\", f(input(\"x\", f32, {4})))\n"
          ":check t\n",
          "repl");
  EXPECT_STATUS(r, 0);
  EXPECT_IN(r, out, ": ok");
  result_free(&r);
}
END_TEST

static Suite *cli_suite(void) {
  Suite *s = suite_create("cli");
  TCase *tc = tcase_create("cli");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, help_and_version);
  tcase_add_test(tc, usage_errors);
  tcase_add_test(tc, missing_file);
  tcase_add_test(tc, syntax_error_names_the_line);
  tcase_add_test(tc, build_bad_dsl_writes_nothing);
  tcase_add_test(tc, build_writes_a_compilable_pair);
  tcase_add_test(tc, failed_build_keeps_old_files);
  tcase_add_test(tc, kernels_lists_names_and_dims);
  tcase_add_test(tc, ir_after_every_pass);
  tcase_add_test(tc, ir_dot_fused_chain_is_one_cluster);
  tcase_add_test(tc, ir_dot_unfusable_stages_are_two_clusters);
  tcase_add_test(tc, ir_dot_errors);
  tcase_add_test(tc, run_checks_with_tcc_and_cc);
  tcase_add_test(tc, run_check_tolerance_of_what_it_computes_in);
  tcase_add_test(tc, target_names_parse);
  tcase_add_test(tc, target_unknown_is_a_user_error);
  tcase_add_test(tc, target_default_of_build_is_x86_64);
  tcase_add_test(tc, run_cc_cache_per_target);
  tcase_add_test(tc, run_data_reads_and_writes);
  tcase_add_test(tc, run_data_scalars);
  tcase_add_test(tc, run_data_errors_name_the_file);
  tcase_add_test(tc, run_dims_conflict_between_files);
  tcase_add_test(tc, run_indices);
  tcase_add_test(tc, run_data_outputs_all_or_nothing);
  tcase_add_test(tc, run_data_dir_must_exist);
  tcase_add_test(tc, run_huge_dims);
  tcase_add_test(tc, run_csr_files);
  tcase_add_test(tc, repl_piped);
  tcase_add_test(tc, build_picks_the_direct_conv);
  tcase_add_test(tc, build_reads_the_nchw_input_in_place);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(cli_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
