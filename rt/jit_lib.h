/*
 * jit_lib.h: private to rt/jit_*.c.  A compiled library is either code
 * that libtcc relocated into our own pages (its symbols copied out before
 * the compiler state was deleted) or a shared object opened with dlopen;
 * tcR_lib_sym and tcR_lib_free handle both.
 */
#ifndef TC_RT_JIT_LIB_H
#define TC_RT_JIT_LIB_H

#include <stddef.h>

typedef enum tcR_lib_kind { TCR_LIB_TCC = 1, TCR_LIB_DL } tcR_lib_kind;

typedef struct tcR_lib_symbol {
  char *name;
  void *addr;
} tcR_lib_symbol;

struct tcR_lib {
  tcR_lib_kind kind;
  /* TCR_LIB_TCC: the pages holding code and data, and the global symbols */
  void *mem;
  size_t memlen;
  tcR_lib_symbol *syms;
  int nsyms;
  struct TCCState *tcc; /* kept only by a libtcc without caller buffers */
  /* TCR_LIB_DL */
  void *dl;
};

#endif
