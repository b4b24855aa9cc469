/*
 * lang_int.h: what the files of the Lua front end share (not a public
 * header: only the files of lang/ include it).
 *
 *   lang/state.c     the Lua state: sandbox, limits, error messages,
 *                    loading files and strings, REPL sessions
 *   lang/values.c    DSL values (tensors, scalar expressions, extents,
 *                    rvars) as userdata, their operators and conversions
 *   lang/builtins.c  the DSL's functions (kernel, input, sum, compute...)
 *   lang/prelude.lua the DSL functions that are compositions of others
 *
 * All state of one run lives in a tcL_ctx, reachable from the lua_State as
 * the user data of its allocator (lua_getallocf), so nothing is global.
 */
#ifndef TC_LANG_INT_H
#define TC_LANG_INT_H

#include <lauxlib.h>
#include <lua.h>

#include "lang.h"

/* The state of one run: a file, a string, or a REPL session. */
typedef struct tcL_ctx {
  tc_module *m;
  const char *file;   /* the DSL file as named by the user (in m's arena) */
  char *source;       /* "@" + file: the Lua source name of the user's chunks */
  const char *default_kernel; /* the name of an implicit kernel (in m's arena) */
  int session;        /* a REPL session (kernels may be replaced) */
  lua_State *L;       /* the state (for the allocator, to stop the VM) */
  /* Limits. */
  size_t mem_used, mem_limit;
  int mem_exceeded;
  int mem_line;          /* the user's line when the memory limit was hit, or 0 */
  int64_t insn_count, insn_limit;
  /* The kernel being declared, and a serial number that every value made
     in it carries, so that a value used in another kernel is caught (and
     values of a replaced kernel never reach freed memory). */
  tc_kernel *k;
  int kserial, nserial;
  int implicit_kernel;   /* k was made by a DSL call without kernel() */
  int implicit_line;     /* the line of that call */
  /* compute bodies being evaluated: depth and the current one's serial */
  int compute_depth, compute_serial, ncompute;
  int last_line;         /* the last user line seen (for frameless tail calls) */
  int finished;          /* the file has run: no more DSL calls (finalizers
                            of --unsafe-lua code run at lua_close) */
  tc_diag diag;          /* errors of the graph constructors */
  tc_module *retired;    /* kernels replaced in a session, freed at the end */
  /* The depth and tree size of every scalar expression handed to Lua
     (values.c, tcL_push_sexpr): an open-addressing table keyed by the
     expression's address, malloc'd */
  struct tcL_sexpr_size *sx;
  size_t sx_len, sx_cap;
} tcL_ctx;

/* Bounds on a scalar expression (a compute body and its parts).  Every
   later stage walks these trees recursively, and without memoization: the
   depth bounds the C stack they use, the size counted as a tree (a shared
   operand once per use) their time: e = e + e doubled 40 times is only 41
   values but 2^41 nodes to a walk. */
#define TCL_SEXPR_MAX_DEPTH 1000
#define TCL_SEXPR_MAX_SIZE (1 << 20)

/* The kinds of DSL values (one userdata type with this struct). */
typedef enum tcL_kind {
  TCL_TENSOR, /* a node of the graph */
  TCL_SEXPR,  /* a scalar expression, inside a compute body */
  TCL_EXT,    /* an extent: a dim or arithmetic of dims */
  TCL_RVAR    /* a reduction variable */
} tcL_kind;

typedef struct tcL_value {
  tcL_kind kind;
  int kserial;           /* the kernel it belongs to */
  int node;              /* TENSOR */
  const tc_sexpr *se;    /* SEXPR */
  int cserial;           /* SEXPR: the compute whose index variables it uses (0: none) */
  const tc_ext *ext;     /* EXT */
  int rvar;              /* RVAR: index into k->rvars */
} tcL_value;

#define TCL_VALUE_MT "tensorc.value"
#define TCL_PRELUDE_SOURCE "=[tensorc prelude]"

/* ---- state.c ---- */

/* The context of L. */
tcL_ctx *tcL_ctx_of(lua_State *L);
/* The location of the innermost call made by the user's code: the first
   stack frame whose source is a user chunk.  A tail call leaves no frame;
   then the last user line seen is used. */
tc_loc tcL_where(lua_State *L);
/* Raise "FILE:LINE: message" (LINE as tcL_where), a message the message
   handler passes through unchanged.  Never returns. */
int tcL_error(lua_State *L, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3), noreturn))
#endif
    ;
/* Raise the error held in ctx->diag (a graph constructor's) and clear it. */
int tcL_raise_diag(lua_State *L)
#if defined(__GNUC__)
    __attribute__((noreturn))
#endif
    ;
/* The message handler of every protected call: turns any error value into
   a string "FILE:LINE: message" located in the user's code. */
int tcL_msgh(lua_State *L);
/* Account for memory the graph uses outside the Lua state; raises the
   memory limit error when the total goes over it. */
void tcL_account(lua_State *L, size_t bytes);

/* ---- values.c ---- */

/* Make the metatable of DSL values; leaves its methods table (x:f(...))
   on the stack. */

void tcL_open_values(lua_State *L);
tcL_value *tcL_push_value(lua_State *L, tcL_kind kind);
void tcL_push_tensor(lua_State *L, int node);
void tcL_push_sexpr(lua_State *L, const tc_sexpr *se, int cserial);
void tcL_push_ext(lua_State *L, const tc_ext *e);
/* The value at idx, or NULL when it is not a DSL value. */
tcL_value *tcL_test_value(lua_State *L, int idx);
/* Check that a value belongs to the current kernel. */
void tcL_check_owner(lua_State *L, const tcL_value *v, const char *fn);
/* The argument at idx as a tensor node id: a tensor, a Lua number (a
   constant of dtype `weak` or per the spec's rule when weak is NONE), a
   boolean, or an extent (a rank-0 i64 tensor). */
int tcL_to_node(lua_State *L, int idx, const char *fn);
/* The argument at idx as an extent; allow_neg1 accepts -1 (returned as
   NULL) for reshape and expand. */
const tc_ext *tcL_to_ext(lua_State *L, int idx, int allow_neg1, const char *fn);
/* A shape given as a Lua array of extents; returns the rank.  -1 entries
   (allow_neg1) are NULL. */
int tcL_to_shape(lua_State *L, int idx, const tc_ext **shape, int allow_neg1,
                 const char *fn);
/* The argument as a scalar expression inside the current compute. */
const tc_sexpr *tcL_to_sexpr(lua_State *L, int idx, const char *fn, int *cserial);
/* An elementwise op over the `n` arguments starting at stack index
   `first`, on tensors or (inside compute) on scalar expressions; pushes
   the result. */
int tcL_elementwise(lua_State *L, tc_op op, int first, int n, double num,
                    const char *fn);
/* A node made by a graph constructor: raise its error when id < 0, else
   account for it and push it as a tensor value. */
void tcL_push_node(lua_State *L, int id);
/* The rank and shape of node `id` of the current kernel. */
const tc_node *tcL_node(lua_State *L, int id);
/* Describe the Lua value at idx for messages ("a string", "a tensor"). */
const char *tcL_describe(lua_State *L, int idx);

/* ---- builtins.c ---- */

/* Register the DSL's functions in the table on top of the stack, and
   those that take a tensor first in the methods table at `methods`. */
void tcL_open_builtins(lua_State *L, int methods);
/* The kernel to add nodes to: the current one, or an implicit one named
   after the module when no kernel() was called. */
tc_kernel *tcL_kernel(lua_State *L);
/* The checks made at the end of a file (the file declares a kernel, the
   last kernel has outputs); a failure goes to ctx->diag.  Returns 0 or -1. */
int tcL_finish(lua_State *L);

/* The embedded lang/prelude.lua (build/gen/prelude_lua.c). */
extern const char tcL_prelude_lua[];

#endif
