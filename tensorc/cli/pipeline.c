/*
 * pipeline.c: the order of the passes, in one table.
 *
 *   parse      the DSL file, run in the sandbox, becomes the graph IR (lang/)
 *   verify     the graph IR's invariants (tensorc/graph.h)
 *   fold       a batch_norm after a conv2d folded into the convolution's
 *              weights and bias (passes/fold.c)
 *   decompose  composite ops into primitive ones (passes/decompose.c)
 *   dce        nodes that reach no output are dropped (passes/dce.c)
 *   quant      dequantize -> matmul|linear|conv2d -> epilogue -> quantize
 *              becomes one integer QUANTIZED node (passes/quant.c)
 *   nhwc       an NCHW f32 conv2d with a window larger than 1x1 (or a
 *              stride, or padding) run as an NHWC one between permutes
 *              (passes/nhwc.c)
 *   lower      one loop program per kernel (passes/lower.c)
 *   precompute values of the weights alone computed once, by P_create
 *              (passes/precompute.c)
 *   fuse       elementwise stages inlined into their reader (passes/fuse.c)
 *   schedule   schedule() hints attached to their stages, or rejected at
 *              their line (passes/schedule.c)
 *   gemm       contractions (matmul, linear, einsum) and their epilogues
 *              marked for the GEMM template (passes/gemm.c)
 *   chunk      small-output reductions split along the reduced axis into
 *              fixed-size chunks (passes/chunk.c)
 *   nest       stages over the same rows share one loop nest, their
 *              temporaries shrink to a row (passes/nest.c)
 *   emit       the C text of spec/abi.md (emit/)
 *
 * `tensorc ir FILE --after PASS` prints the IR after any of them.  In debug
 * builds (without NDEBUG) the verifiers also run after every pass that
 * rewrites an IR, so a pass that breaks an invariant is caught where it
 * did so.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef int (*cli_pass_fn)(cli_compile *c, tc_diag *d);

static int pass_parse(cli_compile *c, tc_diag *d);
static int pass_verify(cli_compile *c, tc_diag *d);
static int pass_fold(cli_compile *c, tc_diag *d);
static int pass_decompose(cli_compile *c, tc_diag *d);
static int pass_dce(cli_compile *c, tc_diag *d);
static int pass_quant(cli_compile *c, tc_diag *d);
static int pass_nhwc(cli_compile *c, tc_diag *d);
static int pass_lower(cli_compile *c, tc_diag *d);
static int pass_precompute(cli_compile *c, tc_diag *d);
static int pass_fuse(cli_compile *c, tc_diag *d);
static int pass_schedule(cli_compile *c, tc_diag *d);
static int pass_gemm(cli_compile *c, tc_diag *d);
static int pass_chunk(cli_compile *c, tc_diag *d);
static int pass_nest(cli_compile *c, tc_diag *d);
static int pass_vectorize(cli_compile *c, tc_diag *d);
static int pass_emit(cli_compile *c, tc_diag *d);

/* THE PIPELINE.  Each pass returns CLI_OK, CLI_EUSER or CLI_EINTERNAL. */
static const struct cli_pass {
  const char *name;
  cli_ir_kind kind; /* what `ir --after` prints */
  cli_pass_fn run;
} passes[] = {
    {"parse", CLI_IR_GRAPH, pass_parse},
    {"verify", CLI_IR_GRAPH, pass_verify},
    {"fold", CLI_IR_GRAPH, pass_fold},
    {"decompose", CLI_IR_GRAPH, pass_decompose},
    {"dce", CLI_IR_GRAPH, pass_dce},
    {"quant", CLI_IR_GRAPH, pass_quant},
    {"nhwc", CLI_IR_GRAPH, pass_nhwc},
    {"lower", CLI_IR_LOOP, pass_lower},
    {"precompute", CLI_IR_LOOP, pass_precompute},
    {"fuse", CLI_IR_LOOP, pass_fuse},
    {"schedule", CLI_IR_LOOP, pass_schedule},
    {"gemm", CLI_IR_LOOP, pass_gemm},
    {"chunk", CLI_IR_LOOP, pass_chunk},
    {"nest", CLI_IR_LOOP, pass_nest},
    {"vectorize", CLI_IR_LOOP, pass_vectorize},
    {"emit", CLI_IR_C, pass_emit},
};
#define NPASSES ((int)(sizeof passes / sizeof passes[0]))

int cli_pass_count(void) { return NPASSES; }
const char *cli_pass_name(int i) { return i >= 0 && i < NPASSES ? passes[i].name : NULL; }
int cli_pass_find(const char *name) {
  for (int i = 0; i < NPASSES; i++)
    if (strcmp(passes[i].name, name) == 0) return i;
  return -1;
}

/* ---- the passes ----------------------------------------------------------- */

static int pass_parse(cli_compile *c, tc_diag *d) {
  if (c->preloaded) {
    c->module = c->preloaded;
    c->preloaded = NULL;
  } else {
    c->module = tcL_load_file(c->path, &c->lang, d);
  }
  if (!c->module) {
    if (!d->set) cli_error(d, "%s: could not be loaded", c->path);
    return CLI_EUSER;
  }
  return CLI_OK;
}

/* A failed graph verification is a bug of whatever built the graph. */
static int verify_graph(const tc_module *m, const char *after, tc_diag *d) {
  tc_diag vd = {0};
  if (tc_graph_verify(m, &vd) == 0) return CLI_OK;
  cli_error(d, "internal error: invalid graph IR after %s: %s",
             after, vd.msg);
  return CLI_EINTERNAL;
}

static int pass_verify(cli_compile *c, tc_diag *d) {
  return verify_graph(c->module, "parse", d);
}

static int pass_fold(cli_compile *c, tc_diag *d) {
  if (tcP_fold(c->module, d) != 0) return CLI_EUSER;
#ifndef NDEBUG
  return verify_graph(c->module, "fold", d);
#else
  return CLI_OK;
#endif
}

static int pass_decompose(cli_compile *c, tc_diag *d) {
  if (tcP_decompose(c->module, d) != 0) return CLI_EUSER;
#ifndef NDEBUG
  return verify_graph(c->module, "decompose", d);
#else
  return CLI_OK;
#endif
}

static int pass_dce(cli_compile *c, tc_diag *d) {
  if (tcP_dce(c->module, d) != 0) return CLI_EUSER;
#ifndef NDEBUG
  return verify_graph(c->module, "dce", d);
#else
  return CLI_OK;
#endif
}

static int pass_quant(cli_compile *c, tc_diag *d) {
  if (tcP_quant(c->module, d) != 0) return CLI_EUSER;
#ifndef NDEBUG
  return verify_graph(c->module, "quant", d);
#else
  return CLI_OK;
#endif
}

static int pass_nhwc(cli_compile *c, tc_diag *d) {
  if (tcP_nhwc(c->module, d) != 0) return CLI_EUSER;
#ifndef NDEBUG
  return verify_graph(c->module, "nhwc", d);
#else
  return CLI_OK;
#endif
}

/* The module as lower and emit see it: whole, or (with c->kernel) a
   shallow view holding only that kernel.  The view shares everything with
   the module and is never freed; it is made after the graph passes, which
   may allocate in the module's arena. */
static int select_kernel(cli_compile *c, tc_diag *d) {
  if (!c->kernel) {
    c->selected = c->module;
    return CLI_OK;
  }
  tc_kernel *k = tc_module_find_kernel(c->module, c->kernel);
  if (!k) {
    tc_buf names = {0};
    for (int i = 0; i < c->module->kernels.len; i++)
      tc_buf_printf(&names, "%s%s", i ? ", " : "",
                    c->module->kernels.data[i]->name);
    cli_error(d, "%s: no kernel named '%s' (kernels: %s)",
               c->module->file ? c->module->file : "module", c->kernel,
               names.data ? names.data : "none");
    tc_buf_free(&names);
    return CLI_EUSER;
  }
  c->view = *c->module;
  c->view.kernels.data = &c->view_kernel;
  c->view_kernel = k;
  c->view.kernels.len = c->view.kernels.cap = 1;
  c->selected = &c->view;
  return CLI_OK;
}

static int pass_lower(cli_compile *c, tc_diag *d) {
  int rc = select_kernel(c, d);
  if (rc != CLI_OK) return rc;
  int n = c->selected->kernels.len;
  c->progs = tc_xcalloc((size_t)n + 1, sizeof *c->progs);
  for (int i = 0; i < n; i++) {
    c->progs[i] = tcP_lower(c->selected, c->selected->kernels.data[i], d);
    if (!c->progs[i]) return CLI_EUSER;
#ifndef NDEBUG
    tc_diag vd = {0};
    if (tc_loop_verify(c->progs[i], &vd) != 0) {
      cli_error(d,
                 "internal error: invalid loop IR after lower (kernel %s): %s",
                 c->selected->kernels.data[i]->name, vd.msg);
      return CLI_EINTERNAL;
    }
#endif
  }
  return CLI_OK;
}

/* Runs loop pass fn on every kernel's program, verifying it after. */
static int loop_pass(cli_compile *c, tc_diag *d, int (*fn)(tc_loop_prog *, tc_diag *),
                     const char *name) {
  for (int i = 0; i < c->selected->kernels.len; i++) {
    if (fn(c->progs[i], d) != 0) return CLI_EUSER;
#ifndef NDEBUG
    tc_diag vd = {0};
    if (tc_loop_verify(c->progs[i], &vd) != 0) {
      cli_error(d, "internal error: invalid loop IR after %s (kernel %s): %s", name,
                c->selected->kernels.data[i]->name, vd.msg);
      return CLI_EINTERNAL;
    }
#else
    (void)name;
#endif
  }
  return CLI_OK;
}

static int pass_precompute(cli_compile *c, tc_diag *d) {
  return loop_pass(c, d, tcP_precompute, "precompute");
}

static int pass_fuse(cli_compile *c, tc_diag *d) { return loop_pass(c, d, tcP_fuse, "fuse"); }

static int pass_schedule(cli_compile *c, tc_diag *d) {
  return loop_pass(c, d, tcP_schedule, "schedule");
}

static int pass_gemm(cli_compile *c, tc_diag *d) { return loop_pass(c, d, tcP_gemm, "gemm"); }

static int pass_chunk(cli_compile *c, tc_diag *d) { return loop_pass(c, d, tcP_chunk, "chunk"); }

static int pass_nest(cli_compile *c, tc_diag *d) { return loop_pass(c, d, tcP_nest, "nest"); }

static int pass_vectorize(cli_compile *c, tc_diag *d) {
  return loop_pass(c, d, tcP_vectorize, "vectorize");
}

static int pass_emit(cli_compile *c, tc_diag *d) {
  c->emit.module_name = c->module->name;
  if (!c->emit.single_file) c->header = tcE_emit_header(c->selected, &c->emit);
  c->source = tcE_emit_source(c->selected,
                              (const tc_loop_prog *const *)c->progs, &c->emit,
                              d);
  return c->source ? CLI_OK : CLI_EUSER;
}

/* ---- driving ---------------------------------------------------------- */

static void dump_ir(const cli_compile *c, cli_ir_kind kind, tc_buf *b) {
  switch (kind) {
  case CLI_IR_GRAPH:
    if (c->kernel) {
      /* Graph passes run on the whole module; show only the kernel asked
         for, through a view as in select_kernel. */
      tc_kernel *k = tc_module_find_kernel(c->module, c->kernel);
      if (k) {
        tc_module view = *c->module;
        view.kernels.data = &k;
        view.kernels.len = view.kernels.cap = 1;
        tc_graph_print(b, &view);
        break;
      }
    }
    tc_graph_print(b, c->module);
    break;
  case CLI_IR_LOOP:
    for (int i = 0; i < c->selected->kernels.len; i++) tc_loop_print(b, c->progs[i]);
    break;
  case CLI_IR_C:
    if (c->header) {
      tc_buf_printf(b, "/* ---- %s.h ---- */\n", c->module->name);
      tc_buf_puts(b, c->header);
      tc_buf_printf(b, "/* ---- %s.c ---- */\n", c->module->name);
    }
    tc_buf_puts(b, c->source);
    break;
  }
}

int cli_compile_run(cli_compile *c, int last, int first_dump, int headers,
                    tc_buf *dump, tc_diag *d) {
  for (int i = 0; i <= last && i < NPASSES; i++) {
    int rc = passes[i].run(c, d);
    if (rc != CLI_OK) return rc;
    if (dump && i >= first_dump) {
      if (headers) tc_buf_printf(dump, "== after %s ==\n", passes[i].name);
      dump_ir(c, passes[i].kind, dump);
    }
  }
  return CLI_OK;
}

void cli_compile_free(cli_compile *c) {
  if (c->progs) {
    for (int i = 0; c->progs[i]; i++) tc_loop_free(c->progs[i]);
    free(c->progs);
  }
  free(c->header);
  free(c->source);
  if (!c->borrowed) {
    if (c->preloaded) tc_module_free(c->preloaded);
    if (c->module) tc_module_free(c->module);
  }
  memset(c, 0, sizeof *c);
}

char *cli_compile_for_jit(tc_module *m, int borrowed, const char *kernel,
                          tcE_target target, const char *prefix, int *status,
                          tc_diag *d) {
  cli_compile c = {0};
  c.preloaded = m;
  c.borrowed = borrowed;
  c.kernel = kernel;
  c.emit.target = target;
  c.emit.prefix = prefix;
  c.emit.single_file = 1;
  *status = cli_compile_run(&c, NPASSES - 1, NPASSES, 0, NULL, d);
  char *src = NULL;
  if (*status == CLI_OK) {
    src = c.source;
    c.source = NULL;
  }
  cli_compile_free(&c);
  return src;
}

/* ---- targets ---------------------------------------------------------- */

/* ORDER TARGET: every name of spec/abi.md, in the order messages list
   them.  `native` has no fixed emitter target: native_target() decides. */
static const struct {
  const char *name;
  tcE_target target;
} targets[] = {
    {"scalar", TCE_TARGET_SCALAR}, {"avx2", TCE_TARGET_AVX2},
    {"avx512", TCE_TARGET_AVX512}, {"native", TCE_TARGET_COUNT},
    {"x86-64", TCE_TARGET_X86_64},
};
#define NTARGETS ((int)(sizeof targets / sizeof targets[0]))
#define TARGET_LIST "scalar, avx2, avx512, native, x86-64"

/* The ISA extensions an emitter target's code needs, as the generated
   C's target attributes name them (TC_TARGET_AVX512, TC_TARGET_AVX2). */
static int cpu_has(tcE_target t) {
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
  __builtin_cpu_init();
  switch (t) {
  case TCE_TARGET_AVX512:
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
  case TCE_TARGET_AVX2:
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  default:
    return 1;
  }
#else
  /* tensorc itself built for another architecture: only plain C runs
     here. */
  return t == TCE_TARGET_SCALAR;
#endif
}

/* `native`: the best intrinsics target this CPU runs, else scalar. */
static tcE_target native_target(void) {
  if (cpu_has(TCE_TARGET_AVX512)) return TCE_TARGET_AVX512;
  if (cpu_has(TCE_TARGET_AVX2)) return TCE_TARGET_AVX2;
  return TCE_TARGET_SCALAR;
}

int cli_target_parse(const char *name, tcE_target *t, tc_diag *d) {
  for (int i = 0; i < NTARGETS; i++) {
    if (strcmp(targets[i].name, name) != 0) continue;
    *t = targets[i].target == TCE_TARGET_COUNT ? native_target() : targets[i].target;
    return 0;
  }
  cli_error(d, "unknown target '%s' (targets: " TARGET_LIST ")", name);
  return -1;
}

const char *cli_target_name(tcE_target t) {
  for (int i = 0; i < NTARGETS; i++)
    if (targets[i].target == t) return targets[i].name;
  return "?";
}

int cli_target_runs_here(tcE_target t) { return cpu_has(t); }

int cli_check_c_name(const char *option, const char *value, tc_diag *d) {
  int ok = value[0] != '\0' && !(value[0] >= '0' && value[0] <= '9');
  for (const char *c = value; ok && *c; c++)
    ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
         (*c >= '0' && *c <= '9') || *c == '_';
  if (ok) return 0;
  return cli_error(d, "%s '%s' is not a C identifier (letters, digits and _, "
                   "not starting with a digit)", option, value);
}
