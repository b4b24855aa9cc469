/*
 * jit_tcc.c: compile C text in memory with libtcc.
 *
 * The code is relocated into pages we own, the global symbols are copied
 * out, and the compiler state is deleted at once: a compiled kernel then
 * costs a few KB instead of libtcc's whole state (PLATFORM.md).  This file
 * also holds tcR_lib_sym and tcR_lib_free, which serve the libraries of
 * both JITs (rt/jit_lib.h).
 */
#include <dlfcn.h>
#include <libtcc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "jit_lib.h"
#include "rt.h"

/* Where tcc's messages go while it compiles: appended, one a line, to the
   caller's err buffer. */
typedef struct tcc_errors {
  char *buf;
  size_t len, cap;
} tcc_errors;

static void on_tcc_error(void *opaque, const char *msg) {
  tcc_errors *e = opaque;
  if (!e->buf || e->cap == 0) return;
  int n = snprintf(e->buf + e->len, e->cap - e->len, "%s%s",
                   e->len ? "\n" : "", msg);
  if (n > 0) e->len += (size_t)n;
  if (e->len >= e->cap) e->len = e->cap - 1; /* truncated: keep the first */
}

/* Symbols are gathered while the compiler state still exists. */
typedef struct symbol_list {
  tcR_lib_symbol *data;
  int len, cap;
} symbol_list;

static void on_tcc_symbol(void *ctx, const char *name, const void *val) {
  symbol_list *l = ctx;
  if (!name || !name[0] || strchr(name, '@')) return; /* PLT stubs */
  if (l->len == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 16;
    l->data = tc_xrealloc(l->data, (size_t)l->cap * sizeof *l->data);
  }
  l->data[l->len].name = tc_xstrdup(name);
  l->data[l->len].addr = (void *)val;
  l->len++;
}

/* A fresh libtcc state for memory output with our options, or NULL. */
static TCCState *tcc_state_new(tcc_errors *errs) {
  TCCState *s = tcc_new();
  if (!s) return NULL;
  const char *libdir = getenv("TENSORC_TCC_DIR");
  if (libdir && libdir[0]) tcc_set_lib_path(s, libdir);
  tcc_set_error_func(s, errs, on_tcc_error);
  /* Without -Werror an unknown function is an implicit declaration that
     fails only at relocation, with a worse message. */
  tcc_set_options(s, "-Werror");
  tcc_set_output_type(s, TCC_OUTPUT_MEMORY);
  tcc_define_symbol(s, "TENSORC_POOL", "1");
  return s;
}

/* Compiles one trivial function so that libtcc's internal lock is first
   initialized on the calling thread (its first initialization is racy). */
void tcR_tcc_warmup(void) {
  char err[256];
  tcR_lib *lib = tcR_jit_tcc("int tc_warmup(void) { return 0; }\n", err,
                             sizeof err);
  tcR_lib_free(lib);
}

/* Compile `src` in memory: -Werror, libm linked, tc_parallel_for provided
   and TENSORC_POOL defined (spec/abi.md).  Returns a library whose symbols
   tcR_lib_sym finds, or NULL with tcc's messages in err. */
tcR_lib *tcR_jit_tcc(const char *src, char *err, size_t errlen) {
  tcc_errors errs = {err, 0, errlen};
  if (err && errlen) err[0] = '\0';
  TCCState *s = tcc_state_new(&errs);
  if (!s) {
    if (err && errlen) snprintf(err, errlen, "libtcc: cannot create a compiler");
    return NULL;
  }
  void *pool_fn;
  void (*fn)(int64_t, void (*)(void *, int64_t, int64_t), void *) =
      tc_parallel_for;
  memcpy(&pool_fn, &fn, sizeof pool_fn);
  tcR_lib *lib = NULL;
  void *mem = MAP_FAILED;
  size_t memlen = 0;
  symbol_list syms = {0};

  if (tcc_compile_string(s, src) != 0) goto fail;
  tcc_add_library(s, "m");
  tcc_add_symbol(s, "tc_parallel_for", pool_fn);

#ifdef TCC_RELOCATE_AUTO
  /* This libtcc (0.9.27) relocates into a caller's buffer: size it, map
     it, and the compiler state can go. */
  int size = tcc_relocate(s, NULL);
  if (size < 0) goto fail;
  long page = sysconf(_SC_PAGESIZE);
  memlen = ((size_t)size + (size_t)page - 1) / (size_t)page * (size_t)page;
  if (memlen == 0) memlen = (size_t)page;
  /* libtcc itself makes the text pages executable after copying. */
  mem = mmap(NULL, memlen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
             -1, 0);
  if (mem == MAP_FAILED) {
    on_tcc_error(&errs, "libtcc: cannot map memory for the code");
    goto fail;
  }
  if (tcc_relocate(s, mem) < 0) goto fail;
  tcc_list_symbols(s, &syms, on_tcc_symbol);
  tcc_delete(s);
  s = NULL;
#else
  /* Newer libtcc owns the code's memory: the state lives as long as the
     library. */
  if (tcc_relocate(s) < 0) goto fail;
  tcc_list_symbols(s, &syms, on_tcc_symbol);
#endif

  lib = tc_xcalloc(1, sizeof *lib);
  lib->kind = TCR_LIB_TCC;
  lib->mem = mem;
  lib->memlen = memlen;
  lib->syms = syms.data;
  lib->nsyms = syms.len;
  lib->tcc = s;
  return lib;

fail:
  if (errs.len == 0) on_tcc_error(&errs, "libtcc: compilation failed");
  tcc_delete(s);
  if (mem != MAP_FAILED) munmap(mem, memlen);
  for (int i = 0; i < syms.len; i++) free(syms.data[i].name);
  free(syms.data);
  return NULL;
}

/* The address of the global symbol `name` in lib, or NULL. */
void *tcR_lib_sym(tcR_lib *lib, const char *name) {
  if (!lib) return NULL;
  if (lib->kind == TCR_LIB_DL) return dlsym(lib->dl, name);
  for (int i = 0; i < lib->nsyms; i++)
    if (strcmp(lib->syms[i].name, name) == 0) return lib->syms[i].addr;
  return NULL;
}

/* Unload lib (NULL is allowed).  Every pointer obtained from it dies. */
void tcR_lib_free(tcR_lib *lib) {
  if (!lib) return;
  if (lib->kind == TCR_LIB_DL) {
    if (lib->dl) dlclose(lib->dl);
  } else {
    for (int i = 0; i < lib->nsyms; i++) free(lib->syms[i].name);
    free(lib->syms);
    if (lib->mem) munmap(lib->mem, lib->memlen);
    if (lib->tcc) tcc_delete(lib->tcc);
  }
  free(lib);
}
