/*
 * jit_latency.c: how long the in-process compilers take, from C text to a
 * callable kernel.  For each DSL file given, the C is generated once
 * (single-file scalar target), then compiled
 *   - by libtcc, N times: median and minimum;
 *   - by cc into an empty cache directory (cold), then again (from the
 *     cache), N times each: median.
 * Usage: jit_latency [-n N] FILE.lua...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/common/bench_common.h"
#include "emit/emit.h"
#include "lang/lang.h"
#include "passes/passes.h"
#include "rt/rt.h"

/* The single-file C of every kernel of `path`, or NULL. */
static char *generate(const char *path) {
  tc_diag d = {0};
  tcL_options lo = {0};
  tc_module *m = tcL_load_file(path, &lo, &d);
  if (!m || tcP_decompose(m, &d) != 0 || tcP_dce(m, &d) != 0) {
    fprintf(stderr, "%s\n", d.msg);
    return NULL;
  }
  int nk = m->kernels.len;
  tc_loop_prog **progs = tc_xcalloc((size_t)nk, sizeof *progs);
  char *src = NULL;
  for (int i = 0; i < nk; i++)
    if (!(progs[i] = tcP_lower(m, m->kernels.data[i], &d))) goto done;
  tcE_options eo = {.module_name = m->name, .target = TCE_TARGET_SCALAR,
                    .single_file = 1};
  src = tcE_emit_source(m, (const tc_loop_prog *const *)progs, &eo, &d);
done:
  if (!src) fprintf(stderr, "%s\n", d.msg);
  for (int i = 0; i < nk; i++) tc_loop_free(progs[i]);
  free(progs);
  tc_module_free(m);
  return src;
}

int main(int argc, char **argv) {
  int n = 21, first = 1;
  if (argc > 2 && strcmp(argv[1], "-n") == 0) {
    n = atoi(argv[2]);
    first = 3;
  }
  if (n < 1 || first >= argc) {
    fprintf(stderr, "usage: jit_latency [-n N] FILE.lua...\n");
    return 1;
  }
  char cache[] = "/tmp/tensorc-bench-XXXXXX";
  if (!mkdtemp(cache)) return 2;
  setenv("TENSORC_CACHE", cache, 1);
  tcR_tcc_warmup();
  double *t = tc_xcalloc((size_t)n, sizeof *t);
  char err[4096];
  printf("%-28s %12s %12s %12s %12s\n", "file", "tcc med ms", "tcc min ms",
         "cc cold ms", "cc cache ms");
  for (int f = first; f < argc; f++) {
    char *src = generate(argv[f]);
    if (!src) return 1;
    for (int i = 0; i < n; i++) {
      double t0 = tcR_now();
      tcR_lib *lib = tcR_jit_tcc(src, err, sizeof err);
      t[i] = tcR_now() - t0;
      if (!lib) {
        fprintf(stderr, "%s: tcc: %s\n", argv[f], err);
        return 1;
      }
      tcR_lib_free(lib);
    }
    double tcc_med = bench_median(t, n), tcc_min = t[0];
    int cached = 0;
    double t0 = tcR_now();
    tcR_lib *lib = tcR_jit_cc(src, "-O2", &cached, err, sizeof err);
    double cold = tcR_now() - t0;
    if (!lib || cached) {
      fprintf(stderr, "%s: cc: %s\n", argv[f], lib ? "unexpected cache hit" : err);
      return 1;
    }
    tcR_lib_free(lib);
    for (int i = 0; i < n; i++) {
      t0 = tcR_now();
      lib = tcR_jit_cc(src, "-O2", &cached, err, sizeof err);
      t[i] = tcR_now() - t0;
      if (!lib || !cached) {
        fprintf(stderr, "%s: cc: %s\n", argv[f], lib ? "cache miss" : err);
        return 1;
      }
      tcR_lib_free(lib);
    }
    printf("%-28s %12.3f %12.3f %12.1f %12.3f\n", argv[f], 1e3 * tcc_med,
           1e3 * tcc_min, 1e3 * cold, 1e3 * bench_median(t, n));
    free(src);
  }
  free(t);
  char cmd[256];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", cache);
  return system(cmd) == 0 ? 0 : 2;
}
