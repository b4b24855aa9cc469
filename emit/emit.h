/*
 * emit.h: the C writers.  From a module's loop IR they write the C of
 * spec/abi.md: M.h (the shared ABI definitions and the prototypes) and M.c
 * (the kernels).
 */
#ifndef TC_EMIT_H
#define TC_EMIT_H

#include "../tensorc/graph.h"
#include "../tensorc/loop.h"

typedef enum tcE_target {
  TCE_TARGET_SCALAR, /* plain C99; compiles under tcc */
  TCE_TARGET_AVX2,   /* AVX2 + FMA intrinsics */
  TCE_TARGET_AVX512, /* AVX-512 F, BW, DQ, VL intrinsics */
  TCE_TARGET_X86_64, /* the three above in one file, one chosen at P_create
                        by CPUID (TENSORC_ISA overrides) */
  TCE_TARGET_COUNT
} tcE_target;

typedef struct tcE_options {
  const char *module_name; /* M: the module's name or --name */
  const char *prefix;      /* --prefix, or NULL */
  tcE_target target;
  int single_file;         /* 1: the header's text is put in the source
                              instead of #include "M.h" (for the JITs) */
} tcE_options;

/* M.h: the ABI's shared definitions and every kernel's prototypes.
   Malloc'd; deterministic. */
char *tcE_emit_header(const tc_module *m, const tcE_options *opt);
/* M.c (or, with single_file, the header's text followed by the source):
   every kernel of m, progs[i] being the loop program of m->kernels.data[i]
   (from tcP_lower).  Only the scalar target exists so far (opt->target is
   not consulted).  Malloc'd and byte-identical for the same input; NULL
   with an error in d. */
char *tcE_emit_source(const tc_module *m, const tc_loop_prog *const *progs,
                      const tcE_options *opt, tc_diag *d);

#endif
