/*
 * lang.h: the Lua front end.  Runs a DSL file (spec/dsl.md) in a sandbox
 * and builds the graph IR of its module.
 */
#ifndef TC_LANG_H
#define TC_LANG_H

#include "../tensorc/graph.h"

typedef struct tcL_options {
  int unsafe_lua;          /* lift the sandbox (--unsafe-lua) */
  size_t memory_limit;     /* bytes the Lua state and the graph it builds may
                              hold; 0: default (256 MiB) */
  int64_t instruction_limit; /* Lua VM instructions; 0: default (10^9) */
  const char *module_name; /* --name, or NULL for the file's stem */
} tcL_options;

/* Run the DSL file at `path` (named `path` in messages) and return its
   module, or NULL with "FILE:LINE: message" in d.  The result passes
   tc_graph_verify. */
tc_module *tcL_load_file(const char *path, const tcL_options *opt, tc_diag *d);
/* The same for DSL text held in memory; `chunkname` is the file name used
   in messages and for the default module name. */
tc_module *tcL_load_string(const char *src, const char *chunkname,
                           const tcL_options *opt, tc_diag *d);

/* A REPL session: one Lua state in which lines are run one after another.
   Kernels accumulate in the session's module; declaring a kernel whose
   name exists replaces it. */
typedef struct tcL_session tcL_session;
/* A new session whose file name in messages is "stdin" and whose module
   is named opt->module_name or "repl".  NULL (with the reason on stderr)
   only when the Lua state cannot be made. */
tcL_session *tcL_session_new(const tcL_options *opt);
/* Run one chunk (a line or several).  Returns 0, or -1 with the error in d
   (the session stays usable).  Values of expressions typed alone
   ("= x" or "x") are printed to stdout as Lua's REPL does. */
int tcL_session_eval(tcL_session *s, const char *chunk, tc_diag *d);
/* The module built so far (owned by the session; valid until the next
   eval).  NULL when no kernel was declared yet. */
const tc_module *tcL_session_module(tcL_session *s);
void tcL_session_free(tcL_session *s);

/* The module name for a file path: its stem with characters outside
   [A-Za-z0-9_] turned into '_' and 'm' put in front of a leading digit
   (malloc'd). */
char *tcL_module_name_from_path(const char *path);

#endif
