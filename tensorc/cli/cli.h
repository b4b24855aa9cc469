/*
 * cli.h: the command-line driver's own declarations, shared by the files
 * of tensorc/cli/ and by nothing else.  The driver is the one place that
 * wires the stages together: lang -> passes -> emit -> rt.
 *
 * Exit statuses: 0 success, 1 a user error (a message "FILE:LINE: ..."
 * or "tensorc: ..." was printed), 2 an internal error (a bug in tensorc).
 */
#ifndef TC_CLI_H
#define TC_CLI_H

#include <stdio.h>

#include "../../emit/emit.h"
#include "../../lang/lang.h"
#include "../../passes/passes.h"
#include "../../rt/rt.h"
#include "../graph.h"
#include "../loop.h"

#ifndef TC_VERSION
#define TC_VERSION "0.0.0-dev"
#endif

enum { CLI_OK = 0, CLI_EUSER = 1, CLI_EINTERNAL = 2 };

/* ---- the ABI's self-description, as generated headers define it -------
   (spec/abi.md "Describing itself"; the layouts must stay identical). */
#define CLI_DERIVED INT64_MIN
enum { CLI_ROLE_INPUT = 1, CLI_ROLE_WEIGHT, CLI_ROLE_OUTPUT };
enum { CLI_DENSE = 0, CLI_CSR_ROWPTR, CLI_CSR_COL, CLI_CSR_VAL };

typedef struct cli_arg_info {
  const char *name;
  int role, dtype, format, rank;
  const int64_t *csr_shape;
  const int64_t *shape;
} cli_arg_info;

typedef struct cli_kernel_info {
  const char *name;
  int ndims;
  const char *const *dim_names;
  int nargs;
  const cli_arg_info *args;
} cli_kernel_info;

/* ---- pipeline.c ---------------------------------------------------------- */

/* What a pass leaves behind, for `tensorc ir --after`. */
typedef enum cli_ir_kind { CLI_IR_GRAPH, CLI_IR_LOOP, CLI_IR_C } cli_ir_kind;

/* One compilation: a module through the passes of pipeline.c. */
typedef struct cli_compile {
  /* inputs */
  const char *path;          /* the DSL file (parse loads it) ... */
  tc_module *preloaded;      /* ... or a module already built (the REPL);
                                taken over either way, unless borrowed */
  int borrowed;              /* the module belongs to someone else (a REPL
                                session) and is not freed */
  tcL_options lang;
  const char *kernel;        /* lower and emit only this kernel, or NULL */
  tcE_options emit;          /* module_name is filled in from the module */
  /* results */
  tc_module *module;         /* owned */
  tc_module view;            /* the module seen with only `kernel` */
  tc_kernel *view_kernel;    /* the view's one kernel */
  const tc_module *selected; /* &view or module: what lower and emit see */
  tc_loop_prog **progs;      /* one per kernel of *selected */
  char *header, *source;     /* emit */
} cli_compile;

/* The number and names of the passes, in order ("parse", ..., "emit"). */
int cli_pass_count(void);
const char *cli_pass_name(int i);
/* The index of pass `name`, or -1. */
int cli_pass_find(const char *name);

/* Runs the passes up to and including pass `last` (cli_pass_count() - 1
   for all).  When dump is not NULL, the IR after each pass from `first_dump`
   on is appended to it (graph IR, loop IR or C text by the pass's kind),
   headed "== after PASS ==" when `headers`.  Returns CLI_OK, or CLI_EUSER /
   CLI_EINTERNAL with the message in d. */
int cli_compile_run(cli_compile *c, int last, int first_dump, int headers,
                    tc_buf *dump, tc_diag *d);
void cli_compile_free(cli_compile *c);

/* The C text of kernel `kernel` of module m for a JIT (single file),
   through the whole pipeline, which rewrites m; m is taken over (freed)
   unless `borrowed`.  NULL with d set and *status the exit status on
   failure. */
char *cli_compile_for_jit(tc_module *m, int borrowed, const char *kernel,
                          tcE_target target, const char *prefix, int *status,
                          tc_diag *d);

/* ---- targets (pipeline.c) ----------------------------------------------- */

/* The target of `tensorc build` and `tensorc ir` without --target.  The ABI
   (spec/abi.md) says scalar until the SIMD emitters exist, x86-64 after:
   every variant in one file, which compiles with a plain `cc -O2` and picks
   the best the running CPU has.  This is the one place that says it. */
#define CLI_DEFAULT_BUILD_TARGET TCE_TARGET_X86_64

/* The emitter target named `name`: scalar, avx2, avx512, x86-64, or native
   (the best this CPU has: avx512 with AVX-512 F/BW/DQ/VL, else avx2 with
   AVX2 and FMA, else scalar; scalar when tensorc is not built for x86).
   0, or -1 with a message listing the targets in d. */
int cli_target_parse(const char *name, tcE_target *t, tc_diag *d);
/* The name of emitter target t ("avx512"). */
const char *cli_target_name(tcE_target t);
/* 1 when code of target t runs on this CPU (x86-64's picks what it can,
   so it always does on x86), else 0. */
int cli_target_runs_here(tcE_target t);

/* --name and --prefix become parts of C identifiers (and --name a file
   name): 0 when `value` is a C identifier, else -1 with a message naming
   `option`. */
int cli_check_c_name(const char *option, const char *value, tc_diag *d);

/* ---- dot.c -------------------------------------------------------------- */

/* Appends to b the Graphviz digraph of module m's loop programs (progs[i]
   of kernel progs[i]->kernel, lowered or later): the graph nodes that
   reach the programs, operand -> consumer edges, and one cluster per loop
   nest holding the nodes its stages compute (tc_stage.nodes); several
   kernels are a cluster each.  Deterministic (dot.c describes it). */
void cli_dot_print(tc_buf *b, const tc_module *m, const tc_loop_prog *const *progs,
                   int nprogs);

/* ---- build.c ------------------------------------------------------------ */

/* Writes text to `path` all or nothing: to a temporary file next to it,
   then renamed over it.  0, or -1 with a message in d (and no file). */
int cli_write_file(const char *path, const char *text, tc_diag *d);

/* ---- run.c -------------------------------------------------------------- */

typedef enum cli_jit { CLI_JIT_TCC, CLI_JIT_CC } cli_jit;

#define CLI_MAX_DIMS 64

typedef struct cli_run_opts {
  const char *kernel;        /* NULL: the module's only kernel */
  int ndims;                 /* --dim NAME=VALUE */
  const char *dim_names[CLI_MAX_DIMS];
  int64_t dim_values[CLI_MAX_DIMS];
  const char *data_dir;      /* --data DIR, or NULL */
  cli_jit jit;
  const char *target;        /* NULL: scalar for tcc, native for cc */
  uint64_t seed;
  int check;
  int bench;                 /* N runs, 0: no benchmark */
  int summary;               /* print each output's shape and first values */
  int repl;                  /* messages speak of NAME=VALUE, not --dim */
} cli_run_opts;

/* Parses "NAME=VALUE" into o's dims.  0, or -1 with a message in d. */
int cli_run_add_dim(cli_run_opts *o, const char *spec, tc_diag *d);

/* Compiles kernel o->kernel of `m` (taken over unless `borrowed`; the
   pipeline rewrites it) with the chosen JIT, loads or generates its data,
   runs it, and checks it against the reference interpreter on `ref`, a
   module built separately from the same source and left as the DSL made
   it (it also tells which integer inputs are indices).  Messages go to
   stderr, the report to stdout.  Returns an exit status. */
int cli_run_kernel(tc_module *m, int borrowed, const tc_module *ref,
                   const cli_run_opts *o);

/* ---- subcommands (build.c, run.c, main.c, repl.c) ------------------------ */

/* Each takes the arguments after the subcommand's name. */
int cli_cmd_build(int argc, char **argv, const tcL_options *lang);
int cli_cmd_run(int argc, char **argv, const tcL_options *lang);
int cli_cmd_ir(int argc, char **argv, const tcL_options *lang);
int cli_cmd_repl(int argc, char **argv, const tcL_options *lang);

/* Option parsing shared by the subcommands: when argv[*i] is `--name` or
   `--name=VALUE`, stores the value in *value (taking argv[*i + 1] for the
   first form, advancing *i) and returns 1; returns -1 with a message when
   the value is missing; 0 when argv[*i] is another word. */
int cli_opt_value(int argc, char **argv, int *i, const char *name,
                  const char **value, tc_diag *d);
/* Records "tensorc: MESSAGE" in d (unless an error is already there), for
   errors that have no DSL location.  Returns -1. */
int cli_error(tc_diag *d, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Prints the message of d to stderr and returns `status`. */
int cli_fail(const tc_diag *d, int status);

#endif
