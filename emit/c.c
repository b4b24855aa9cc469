/*
 * c.c: the shared C writer.  It writes what spec/abi.md specifies (the
 * header, the context, the typed and generic entry points, the
 * self-description and P_shape), the validation at the top of P_run, and
 * the loop nests of a loop program; per-target files (emit/scalar.c)
 * supply how single values are computed.
 *
 * Layout of a kernel's P_run:
 *   1. ctx non-NULL, every dim >= 0;
 *   2. every extent the program uses, evaluated once with overflow checks
 *      (a negative extent is TC_EINVAL), then the kernel's runtime checks;
 *   3. element counts of the arguments (overflow: TC_EINVAL) and the
 *      pointer checks (a pointer to a non-empty array must not be NULL);
 *   4. temporaries, malloc'd, freed on every path after this point;
 *   5. one loop nest per stage, in order, with a comment naming the DSL
 *      line it came from.
 * Expressions are written one temporary per scalar-expression node
 * ("const float v3 = v1 * v2;"): tcc overflows on deep expressions, and it
 * reads well.  Shared subexpressions are computed once per scope.
 */
#include "cgen.h"
#include "gemm.h"
#include "vec.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tcE_line(tcE_cg *g, const char *fmt, ...) {
  for (int i = 0; i < g->indent; i++) tc_buf_puts(g->o, "  ");
  va_list ap;
  va_start(ap, fmt);
  tc_buf_vprintf(g->o, fmt, ap);
  va_end(ap);
}

/* ---- names ------------------------------------------------------------- */

/* The generated code's own identifiers must not collide with the user's
   (dims and arguments are C identifiers of the user's choosing).  A family
   of names is a base followed by digits ("v3"); a base is lengthened with
   '_' until no user name belongs to its family. */
typedef struct names {
  const tc_kernel *k;
  char i[16], r[16], v[16], t[16], e[16], n[16];
  char rc[16], ctx[16], c[16];
  char **arg, **dim; /* C names of the arguments and dims (malloc'd) */
  /* csr arguments: part[a][f] is the C name of part f (tc_format ROWPTR,
     COL, VAL) of argument a, part[a][0] its nnz variable; NULL for dense
     arguments */
  char *(*part)[4];
} names;

/* Identifiers of libc, libm and the ABI that generated code uses: a user's
   dim or argument of that name would hide them (or be replaced by a
   macro), so it gets another C name. */
static int reserved(const char *u, const char *P) {
  static const char *const words[] = {
      "free", "malloc", "calloc", "memcpy", "memset", "size_t", "NULL", "int8_t",
      "uint8_t", "int16_t", "uint16_t", "int32_t", "uint32_t", "int64_t", "uint64_t",
      "fabs", "exp", "exp2", "log", "log2", "log1p", "expm1", "sqrt", "sin", "cos",
      "tanh", "erf", "floor", "ceil", "nearbyint", "trunc", "pow", "fmod", "fabsf",
      "expf", "exp2f", "logf", "log2f", "log1pf", "expm1f", "sqrtf", "sinf", "cosf",
      "tanhf", "erff", "floorf", "ceilf", "nearbyintf", "truncf", "powf", "fmodf",
      "copysign", "copysignf", "tc_arg_info", "tc_kernel_info", "done",
      /* the macros of <math.h>, <stdlib.h>, <string.h> and <stdint.h> (and
         a few common extensions): the generated code includes these headers,
         so a parameter called NAN would be replaced by the preprocessor.
         (INT*, UINT*, SIZE_* are reserved below as prefixes.) */
      "NAN", "INFINITY", "HUGE_VAL", "HUGE_VALF", "HUGE_VALL", "FP_NAN",
      "FP_INFINITE", "FP_ZERO", "FP_NORMAL", "FP_SUBNORMAL", "FP_FAST_FMA",
      "FP_FAST_FMAF", "FP_FAST_FMAL", "FP_ILOGB0", "FP_ILOGBNAN",
      "math_errhandling", "MATH_ERRNO", "MATH_ERREXCEPT", "fpclassify",
      "isfinite", "isinf", "isnan", "isnormal", "signbit", "isgreater",
      "isgreaterequal", "isless", "islessequal", "islessgreater", "isunordered",
      "M_E", "M_LOG2E", "M_LOG10E", "M_LN2", "M_LN10", "M_PI", "M_PI_2",
      "M_PI_4", "M_1_PI", "M_2_PI", "M_2_SQRTPI", "M_SQRT2", "M_SQRT1_2",
      "M_El", "M_LOG2El", "M_LOG10El", "M_LN2l", "M_LN10l", "M_PIl", "M_PI_2l",
      "M_PI_4l", "M_1_PIl", "M_2_PIl", "M_2_SQRTPIl", "M_SQRT2l", "M_SQRT1_2l",
      "MAXFLOAT", "HUGE", "DOMAIN", "SING", "OVERFLOW", "UNDERFLOW", "TLOSS",
      "PLOSS", "X_TLOSS", "FP_INT_UPWARD", "FP_INT_DOWNWARD",
      "FP_INT_TOWARDZERO", "FP_INT_TONEARESTFROMZERO", "FP_INT_TONEAREST",
      "EXIT_SUCCESS", "EXIT_FAILURE", "RAND_MAX", "MB_CUR_MAX", "WEXITSTATUS",
      "WTERMSIG", "WSTOPSIG", "WIFEXITED", "WIFSIGNALED", "WIFSTOPPED",
      "WNOHANG", "WUNTRACED", "WCOREDUMP", "WIFCONTINUED", "alloca",
      "errno", "assert", "offsetof", "PTRDIFF_MIN", "PTRDIFF_MAX",
      "SIG_ATOMIC_MIN", "SIG_ATOMIC_MAX", "WCHAR_MIN", "WCHAR_MAX", "WINT_MIN",
      "WINT_MAX", "bool", "true", "false", "strdupa", "strndupa"};
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
    if (!strcmp(u, words[i])) return 1;
  size_t n = strlen(P);
  /* '_': <immintrin.h> (_mm512_add_ps, _MM_FROUND_NO_EXC, _CMP_GT_OQ) and
     the C implementation's own names */
  return !strncmp(u, "TC_", 3) || !strncmp(u, "tc_", 3) || !strncmp(u, "INT", 3) ||
         !strncmp(u, "UINT", 4) || u[0] == '_' || !strncmp(u, "FP_", 3) ||
         !strncmp(u, "SIZE_", 5) ||
         (!strncmp(u, P, n) && u[n] == '_');
}

static int user_name_taken(const tc_kernel *k, const char *s) {
  for (int j = 0; j < k->args.len; j++)
    if (!strcmp(k->args.data[j].name, s)) return 1;
  for (int j = 0; j < k->dims.len; j++)
    if (!strcmp(k->dims.data[j].name, s)) return 1;
  return 0;
}

/* u itself, or when that is reserved, "u_" + u (or "w_" + u when P is
   "u"), lengthened by '_' until no user name is the same. */
static char *safe_name(const tc_kernel *k, const char *u, const char *P) {
  if (!reserved(u, P)) return tc_xstrdup(u);
  tc_buf b = {0};
  tc_buf_printf(&b, "%s_%s", strcmp(P, "u") ? "u" : "w", u);
  while (user_name_taken(k, b.data)) tc_buf_putc(&b, '_');
  assert(!reserved(b.data, P));
  return tc_buf_steal(&b);
}

static int user_name_matches(const tc_kernel *k, const char *base, int family) {
  size_t n = strlen(base);
  for (int pass = 0; pass < 2; pass++) {
    int cnt = pass ? k->args.len : k->dims.len;
    for (int j = 0; j < cnt; j++) {
      const char *u = pass ? k->args.data[j].name : k->dims.data[j].name;
      if (strncmp(u, base, n)) continue;
      if (!family && u[n] == 0) return 1;
      if (family && u[n] >= '0' && u[n] <= '9') {
        const char *c = u + n;
        while (*c >= '0' && *c <= '9') c++;
        if (!*c) return 1;
      }
    }
  }
  return 0;
}

static void pick(const tc_kernel *k, char out[16], const char *base, int family) {
  snprintf(out, 16, "%s", base);
  while (user_name_matches(k, out, family) && strlen(out) < 14) strcat(out, "_");
}

static void names_free(names *nm) {
  for (int j = 0; j < nm->k->args.len; j++)
    for (int f = 0; f < 4; f++) free(nm->part[j][f]);
  free(nm->part);
  for (int j = 0; j < nm->k->args.len; j++) free(nm->arg[j]);
  for (int j = 0; j < nm->k->dims.len; j++) free(nm->dim[j]);
  free(nm->arg);
  free(nm->dim);
}

static void names_init(names *nm, const tc_kernel *k, const char *P) {
  nm->k = k;
  nm->arg = tc_xcalloc((size_t)k->args.len + 1, sizeof *nm->arg);
  nm->dim = tc_xcalloc((size_t)k->dims.len + 1, sizeof *nm->dim);
  for (int j = 0; j < k->args.len; j++) nm->arg[j] = safe_name(k, k->args.data[j].name, P);
  for (int j = 0; j < k->dims.len; j++) nm->dim[j] = safe_name(k, k->dims.data[j].name, P);
  /* "A_rowptr", "A_col", "A_val" (spec/abi.md) and "A_nnz", lengthened
     with '_' if the user named something so */
  nm->part = tc_xcalloc((size_t)k->args.len + 1, sizeof *nm->part);
  for (int j = 0; j < k->args.len; j++) {
    if (!k->args.data[j].csr) continue;
    static const char *const suffix[4] = {"nnz", "rowptr", "col", "val"};
    for (int f = 0; f < 4; f++) {
      tc_buf b = {0};
      tc_buf_printf(&b, "%s_%s", nm->arg[j], suffix[f]);
      while (user_name_taken(k, b.data)) tc_buf_putc(&b, '_');
      nm->part[j][f] = tc_buf_steal(&b);
    }
  }
  pick(k, nm->i, "i", 1);
  pick(k, nm->r, "r", 1);
  pick(k, nm->v, "v", 1);
  pick(k, nm->t, "t", 1);
  pick(k, nm->e, "e", 1);
  pick(k, nm->n, "n", 1);
  pick(k, nm->rc, "rc", 0);
  pick(k, nm->ctx, "ctx", 0);
  pick(k, nm->c, "c", 0);
}

/* ---- per-kernel state ------------------------------------------------- */

typedef struct ext_tab {
  const tc_ext **ext;
  char **name;
  char *nonneg; /* a check that it is >= 0 was written (or not needed) */
  int len, cap;
  int dims_array; /* dims are named dims[i] (P_shape), not by their names */
} ext_tab;

typedef struct memo {
  const tc_sexpr *e;
  char *name;
} memo;

/* The deepest nest of reductions around a window's WHERE, and the most
   such WHEREs, that a strip of columns tests (strip_loop). */
enum { TCE_STRIP_DEPTH = 4, TCE_STRIP_WHERES = 8, TCE_STRIP_MAX = 6 };

/* A reduction's vectors for a strip's columns (strip_values). */
typedef struct strip_memo {
  const tc_sexpr *e;
  const char *v[TCE_STRIP_MAX];
} strip_memo;

/* A vector loaded in a strip: its address and mask, its variable. */
typedef struct strip_load {
  const char *key, *v;
} strip_load;

/* A condition on integers (a window's padding) inside REDUCEs
   encl[0..n-1]: a WHERE's (w) or a conjunct of one whose other conjuncts
   are on the lanes (w NULL). */
typedef struct strip_where {
  const tc_sexpr *w, *cond;
  int lane; /* cond is on the lanes: tested for each whole vector */
  const tc_sexpr *encl[TCE_STRIP_DEPTH];
  int n;
} strip_where;

typedef struct kemit {
  tcE_cg *g;
  const tc_module *m;
  const tc_kernel *k;
  const tc_loop_prog *p;
  const char *P;
  names nm;
  tc_arena ar;     /* strings of this kernel */
  ext_tab ext;
  int next_e;
  char **count;    /* buffer id -> C expression of its element count */
  char *read;      /* buffer id -> loaded somewhere */
  int has_temps;   /* temporaries allocated with malloc (then rc, done:) */
  char *on_stack;  /* buffer id -> a temporary declared as an array */
  int64_t *in_scratch; /* buffer id -> its offset in the context's scratch, or -1 */
  int64_t scratch; /* bytes of the context's scratch (plan_temps, every variant) */
  int *shared_of;  /* buffer id -> its writer's shared loops (local rows) */
  int *nchw_src;   /* buffer id -> nchw_source's answer for the template's variants */
  unsigned zero_ivars; /* bit d: i<d> is 0, its axis of extent 1 has no loop */
  /* A stage of a nest whose row the next reduction reads: written inside
     the reduction's lane loop (emit_nest), its index i<pre_axis>. */
  const tc_stage *pre;
  int pre_axis;
  /* the stage being written */
  const tc_stage *s;
  int nv;          /* next v<N> */
  int nfail;       /* fail() statements written so far */
  /* the stages of the loop nest being written (one stage: first == last) */
  int nest_first, nest_last;
  TC_VEC(memo) memos;
  /* REDUCEs whose "of nothing" check was written before the stage's
     loops (hoist_empty_checks) */
  TC_VEC(const tc_sexpr *) hoisted;
  /* outlined loop nests for tc_parallel_for (pool_wrap): where P_run's
     text starts (they go before it), how many, and whether the hook was
     declared */
  size_t run_at;
  int npool;
  int pool_decl;
  int ngemm;       /* GEMM epilogue functions written (emit_gemm_stage) */
  /* The intrinsics ISA of the P_run being written, when vec is 1: its
     innermost loops over f32 run in vectors where they can
     (vec_stage_ok).  attr is the target attribute its functions carry
     ("TC_TARGET_AVX512 "), or "". */
  int vec;
  tcE_visa visa;
  const char *attr;
  /* 1 while P_create's stages are written: no parallel loops */
  int serial;
  /* target x86-64: P_run is written once per ISA, as static functions
     P_run_<suffix>, and a P_run choosing one by ctx->tc_isa */
  int multi;
  const char *run_suffix; /* "_avx512", or "" for the one P_run */
  TC_VEC(memo) vmemos; /* vector values of the loop being written */
  int vmemo_floor;     /* vmemo_find looks at vmemos[vmemo_floor..] only */
  int vwhere;          /* inside a branch of emit_vwhere_int: loads masked */
  /* the scalar condition (a C expression) that holds where the loads of
     that branch read anything, or NULL: loads address buffer[0] when it
     does not (a masked load whose lanes all lie off the mask, in the
     padding, may still cost an assist when its address is far outside
     the buffer: AMD's Zen 5, 2x on a depthwise convolution) */
  const char *vwhere_ok;
  /* the variable whose consecutive values are a vector's lanes (IVAR or
     RVAR, and its id), and the C expression of lane 0's value */
  tc_op lane_op;
  int lane_var;
  const char *lane_base;
  int lane_aligned; /* lane_base a multiple of the lanes (a loop from 0): emit_vgroup */
  const char *lane_mask;  /* the mask of the lanes that exist */
  /* Windows computed a strip of columns at once (strip_loop): the C
     expression standing for i<d> (copy u's column), for RVARs (an
     unrolled loop's value), and the WHEREs whose conditions the strip
     tested (taken without their masks inside it). */
  const char *ivar_as[TC_MAX_RANK];
  int nrvar_as;
  struct {
    int var;
    const char *s;
  } rvar_as[TCE_STRIP_DEPTH];
  int strip_j, strip_u, ndrop;
  strip_where drop[TCE_STRIP_WHERES];
  /* while a strip is written: i<strip_j> is strip_col + strip_off in
     the index arithmetic (strip_index), and the loads written in scope,
     by address (strip_loads) */
  const char *strip_col;
  int strip_off;
  int strip_lane_at;  /* the lane var is lane_base + this in indices, or -1 */
  int strip_lanes_in; /* the conditions on the lanes hold (strip_known) */
  TC_VEC(strip_load) strip_loads;
  TC_VEC(strip_memo) strip_memos; /* reductions written in scope */
  /* buffer id -> the vector holding the current element of a local
     buffer (emit_nest_vector), or NULL */
  const char **vlocal;
} kemit;

static char *kstr(kemit *kx, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static char *kstr(kemit *kx, const char *fmt, ...) {
  tc_buf b = {0};
  va_list ap;
  va_start(ap, fmt);
  tc_buf_vprintf(&b, fmt, ap);
  va_end(ap);
  char *s = tc_arena_strdup(&kx->ar, b.data ? b.data : "");
  tc_buf_free(&b);
  return s;
}

/* The statement that fails with code `code` from inside P_run. */
static const char *fail(kemit *kx, const char *code) {
  kx->nfail++;
  if (!kx->has_temps) return kstr(kx, "return %s;", code);
  return kstr(kx, "{ %s = %s; goto done; }", kx->nm.rc, code);
}

/* ---- extents ----------------------------------------------------------- */

static void ext_tab_free(ext_tab *t) {
  free(t->ext);
  free(t->name);
  free(t->nonneg);
  memset(t, 0, sizeof *t);
}

static int ext_find(const ext_tab *t, const tc_ext *e) {
  for (int i = 0; i < t->len; i++)
    if (tc_ext_equal(t->ext[i], e)) return i;
  return -1;
}

/* 1 when e cannot be negative, the dims being >= 0. */
static int ext_nonneg(const tc_ext *e) {
  int64_t v;
  switch (e->kind) {
  case TC_EXT_CONST: return e->value >= 0;
  case TC_EXT_DIM: return 1;
  case TC_EXT_MAX:
    return ext_nonneg(e->a) || ext_nonneg(e->b);
  case TC_EXT_ADD:
  case TC_EXT_MUL:
  case TC_EXT_MIN:
    return ext_nonneg(e->a) && ext_nonneg(e->b);
  case TC_EXT_FLOORDIV:
    return ext_nonneg(e->a) && tc_ext_is_const(e->b, &v) && v > 0;
  default: return 0;
  }
}

/* The C expression of extent e; statements computing it (with overflow
   checks failing by `on_fail`) are written first when it is not known
   yet.  `top`: e is used as an extent (not only inside another), so it
   must be >= 0. */
static const char *ext_get(kemit *kx, ext_tab *t, const tc_ext *e, int top,
                           const char *on_fail) {
  int i = ext_find(t, e);
  if (i < 0) {
    char *name;
    int nonneg = 0;
    int64_t v;
    if (tc_ext_is_const(e, &v)) {
      tc_buf b = {0};
      tcE_scalar_literal(kx->g, &b, TC_DT_I64, 0, v);
      name = tc_arena_strdup(&kx->ar, b.data);
      tc_buf_free(&b);
      nonneg = v >= 0;
    } else if (e->kind == TC_EXT_DIM) {
      name = t->dims_array ? kstr(kx, "dims[%d]", e->dim)
                           : kstr(kx, "%s", kx->nm.dim[e->dim]);
      nonneg = 1; /* dims are checked first */
    } else {
      const char *a = ext_get(kx, t, e->a, 0, on_fail);
      const char *b = ext_get(kx, t, e->b, 0, on_fail);
      name = kstr(kx, "%s%d", kx->nm.e, kx->next_e++);
      nonneg = ext_nonneg(e);
      switch (e->kind) {
      case TC_EXT_ADD:
      case TC_EXT_SUB:
      case TC_EXT_MUL: {
        tcE_helper h = e->kind == TC_EXT_ADD   ? TCE_H_EXT_ADD
                       : e->kind == TC_EXT_SUB ? TCE_H_EXT_SUB
                                               : TCE_H_EXT_MUL;
        const char *fn = e->kind == TC_EXT_ADD   ? "tc_ext_add"
                         : e->kind == TC_EXT_SUB ? "tc_ext_sub"
                                                 : "tc_ext_mul";
        tcE_use_helper(kx->g, h);
        tcE_line(kx->g, "int64_t %s;\n", name);
        tcE_line(kx->g, "if (%s(%s, %s, &%s)) %s\n", fn, a, b, name, on_fail);
        break;
      }
      case TC_EXT_FLOORDIV:
        tcE_use_helper(kx->g, TCE_H_EXT_FLOORDIV);
        if (!tc_ext_is_const(e->b, &v) || v <= 0)
          tcE_line(kx->g, "if (%s <= 0) %s\n", b, on_fail);
        tcE_line(kx->g, "const int64_t %s = tc_ext_floordiv(%s, %s);\n", name, a, b);
        break;
      case TC_EXT_MAX:
      case TC_EXT_MIN:
        tcE_line(kx->g, "const int64_t %s = %s %s %s ? %s : %s;\n", name, a,
                 e->kind == TC_EXT_MAX ? ">" : "<", b, a, b);
        break;
      default:
        assert(!"extent kind");
      }
    }
    if (t->len == t->cap) {
      t->cap = t->cap ? 2 * t->cap : 16;
      t->ext = tc_xrealloc(t->ext, (size_t)t->cap * sizeof *t->ext);
      t->name = tc_xrealloc(t->name, (size_t)t->cap * sizeof *t->name);
      t->nonneg = tc_xrealloc(t->nonneg, (size_t)t->cap);
    }
    t->ext[t->len] = e;
    t->name[t->len] = name;
    t->nonneg[t->len] = (char)nonneg;
    i = t->len++;
  }
  if (top && !t->nonneg[i]) {
    tcE_line(kx->g, "if (%s < 0) %s\n", t->name[i], on_fail);
    t->nonneg[i] = 1;
  }
  return t->name[i];
}

/* An extent already evaluated by the prologue. */
static const char *ext_name(kemit *kx, const tc_ext *e) {
  int i = ext_find(&kx->ext, e);
  assert(i >= 0 && "extent not evaluated in the prologue");
  return kx->ext.name[i];
}

/* Extents in expressions are plain i64 values (N - 1 may be -1), while
   the range of a reduction is an extent and must not be negative. */
static void collect_sx_exts(kemit *kx, const tc_sexpr *e, const char *on_fail) {
  if (e->op == TC_OP_EXTENT || (e->op == TC_OP_REDUCE && e->ext))
    ext_get(kx, &kx->ext, e->ext, e->op == TC_OP_REDUCE, on_fail);
  for (int i = 0; i < e->nargs; i++) collect_sx_exts(kx, e->args[i], on_fail);
}

/* ---- headers ----------------------------------------------------------- */

static const char *abi_dtype(tc_dtype t) {
  switch (t) {
  case TC_DT_F32: return "TC_F32";
  case TC_DT_F64: return "TC_F64";
  case TC_DT_BF16: return "TC_BF16";
  case TC_DT_I8: return "TC_I8";
  case TC_DT_U8: return "TC_U8";
  case TC_DT_I32: return "TC_I32";
  case TC_DT_I64: return "TC_I64";
  default: return "0";
  }
}

static const char *abi_role(tc_role r) {
  switch (r) {
  case TC_ROLE_INPUT: return "TC_INPUT";
  case TC_ROLE_WEIGHT: return "TC_WEIGHT";
  case TC_ROLE_OUTPUT: return "TC_OUTPUT";
  }
  return "0";
}

static const char abi_block[] =
    "#ifndef TENSORC_ABI_V1\n"
    "#define TENSORC_ABI_V1\n"
    "#define TC_OK 0\n"
    "#define TC_EINVAL (-1)\n"
    "#define TC_ENOMEM (-2)\n"
    "#define TC_EINDEX (-3)\n"
    "#define TC_DERIVED INT64_MIN\n"
    "\n"
    "enum tc_dtype { TC_F32 = 1, TC_F64, TC_BF16, TC_I8, TC_U8, TC_I32, TC_I64 };\n"
    "enum tc_role  { TC_INPUT = 1, TC_WEIGHT, TC_OUTPUT };\n"
    "enum tc_format { TC_DENSE = 0, TC_CSR_ROWPTR, TC_CSR_COL, TC_CSR_VAL };\n"
    "\n"
    "typedef struct tc_arg_info {\n"
    "  const char *name;        /* \"x\"; for CSR parts \"A.rowptr\", \"A.col\", \"A.val\" */\n"
    "  int role, dtype, format, rank;\n"
    "  const int64_t *csr_shape; /* CSR parts: {rows, cols}, encoded as shape is;\n"
    "                               NULL for dense arguments */\n"
    "  const int64_t *shape;    /* shape[d] >= 0: a fixed extent;\n"
    "                              shape[d] == TC_DERIVED: computed from the dims\n"
    "                                (e.g. a conv output), ask P_shape;\n"
    "                              other shape[d] < 0: the value of dims[-shape[d] - 1];\n"
    "                              NULL for CSR col and val parts (rank 1), whose\n"
    "                              length is rowptr[rows] */\n"
    "} tc_arg_info;\n"
    "\n"
    "typedef struct tc_kernel_info {\n"
    "  const char *name;        /* \"M_K\" */\n"
    "  int ndims;  const char *const *dim_names;\n"
    "  int nargs;  const tc_arg_info *args;   /* weights, inputs, outputs,\n"
    "                                            each group in declaration order */\n"
    "} tc_kernel_info;\n"
    "#endif /* TENSORC_ABI_V1 */\n";

/* "const float *x" / "float *y"; for a csr argument its parts,
   "const int64_t *A_rowptr, const int64_t *A_col, const float *A_val" */
static void param(tc_buf *b, const tc_arg *a, const char *cname) {
  tc_buf_printf(b, "%s%s *%s", a->role == TC_ROLE_OUTPUT ? "" : "const ",
                tc_dtype_ctype(a->dtype), cname);
}

static void params(tc_buf *b, const tc_arg *a, const names *nm, int j) {
  if (!a->csr) {
    param(b, a, nm->arg[j]);
    return;
  }
  const char *it = tc_dtype_ctype(a->index_dtype);
  tc_buf_printf(b, "const %s *%s, const %s *%s", it, nm->part[j][TC_FMT_CSR_ROWPTR], it,
                nm->part[j][TC_FMT_CSR_COL]);
  if (a->has_values)
    tc_buf_printf(b, ", const %s *%s", tc_dtype_ctype(a->dtype), nm->part[j][TC_FMT_CSR_VAL]);
}

/* "int P_create(P_ctx **ctx, const float *w1, ...)" */
static void create_signature(tc_buf *b, const tc_kernel *k, const char *P,
                             const names *nm, int na, const int *abi) {
  tc_buf_printf(b, "int %s_create(%s_ctx **%s", P, P, nm->ctx);
  for (int j = 0; j < na; j++) {
    const tc_arg *a = &k->args.data[abi[j]];
    if (a->role != TC_ROLE_WEIGHT) continue;
    tc_buf_puts(b, ", ");
    param(b, a, nm->arg[abi[j]]);
  }
  tc_buf_puts(b, ")");
}

/* "int P_run(const P_ctx *ctx, int64_t B, const float *x, float *y)" */
static void run_signature(tc_buf *b, const tc_kernel *k, const char *P, const char *suffix,
                          const names *nm, int na, const int *abi) {
  tc_buf_printf(b, "int %s_run%s(const %s_ctx *%s", P, suffix, P, nm->ctx);
  for (int d = 0; d < k->dims.len; d++) tc_buf_printf(b, ", int64_t %s", nm->dim[d]);
  for (int j = 0; j < na; j++) {
    const tc_arg *a = &k->args.data[abi[j]];
    if (a->role == TC_ROLE_WEIGHT) continue;
    tc_buf_puts(b, ", ");
    params(b, a, nm, abi[j]);
  }
  tc_buf_puts(b, ")");
}

static void kernel_decls(tc_buf *b, const tc_module *m, const tc_kernel *k,
                         const char *P) {
  names nm;
  names_init(&nm, k, P);
  int *abi = tc_xmalloc(((size_t)k->args.len + 1) * sizeof(int));
  int na = tc_kernel_abi_args(k, abi);
  tc_buf_printf(b, "/* kernel %s (%s:%d) */\n", k->name,
                k->loc.file ? k->loc.file : (m->file ? m->file : "?"), k->loc.line);
  tc_buf_printf(b, "typedef struct %s_ctx %s_ctx;\n", P, P);
  create_signature(b, k, P, &nm, na, abi);
  tc_buf_printf(b, ";\nvoid %s_destroy(%s_ctx *%s);\n", P, P, nm.ctx);
  run_signature(b, k, P, "", &nm, na, abi);
  tc_buf_puts(b, ";\n");
  free(abi);
  tc_buf_printf(b, "const tc_kernel_info *%s_info(void);\n", P);
  tc_buf_printf(b, "int %s_create_v(%s_ctx **ctx, const void *const *weights);\n", P, P);
  tc_buf_printf(b,
                "int %s_run_v(const %s_ctx *ctx, const int64_t *dims,\n"
                "    const void *const *inputs, void *const *outputs);\n", P, P);
  tc_buf_printf(b, "int %s_shape(int arg, const int64_t *dims, int64_t *shape);\n", P);
  names_free(&nm);
}

static char *guard_of(const char *M) {
  char *g = tc_xmalloc(strlen(M) + 16);
  size_t n = 0;
  for (const char *c = M; *c; c++)
    g[n++] = (char)(*c >= 'a' && *c <= 'z' ? *c - 'a' + 'A' : *c);
  strcpy(g + n, "_TENSORC_H");
  return g;
}

static const char *module_M(const tc_module *m, const tcE_options *opt) {
  return opt && opt->module_name ? opt->module_name : m->name;
}

/* What the generated code uses of libc.  In a single file compiled by
   libtcc these few declarations replace <stdint.h>, <stdlib.h> and
   <string.h>, which would triple the time of an in-process compile
   (about 1.5 ms instead of 0.5 ms for a small kernel).  The values are
   those of x86-64 and aarch64 Linux (LP64), where tensorc's runtime runs. */
static const char tcc_libc[] =
    "#if defined(__TINYC__) && defined(__LP64__)\n"
    "typedef signed char int8_t;\n"
    "typedef unsigned char uint8_t;\n"
    "typedef short int16_t;\n"
    "typedef unsigned short uint16_t;\n"
    "typedef int int32_t;\n"
    "typedef unsigned int uint32_t;\n"
    "typedef long int64_t;\n"
    "typedef unsigned long uint64_t;\n"
    "typedef unsigned long size_t;\n"
    "#define INT8_MIN (-128)\n"
    "#define INT8_MAX 127\n"
    "#define UINT8_MAX 255\n"
    "#define INT32_MIN (-2147483647 - 1)\n"
    "#define INT32_MAX 2147483647\n"
    "#define INT64_MIN (-9223372036854775807L - 1)\n"
    "#define INT64_MAX 9223372036854775807L\n"
    "#define SIZE_MAX 18446744073709551615UL\n"
    "#define INT64_C(c) c##L\n"
    "#define UINT64_C(c) c##UL\n"
    "#define NULL ((void *)0)\n"
    "void *malloc(size_t);\n"
    "void *calloc(size_t, size_t);\n"
    "void free(void *);\n"
    "void *memcpy(void *, const void *, size_t);\n"
    "void *memset(void *, int, size_t);\n"
    "#else\n"
    "#include <stdint.h>\n"
    "#include <stdlib.h>\n"
    "#include <string.h>\n"
    "#endif\n";

/* M.h; with its #include <stdint.h> when `includes`. */
static char *emit_header(const tc_module *m, const tcE_options *opt,
                         int includes) {
  tc_buf b = {0};
  const char *M = module_M(m, opt);
  char *guard = guard_of(M);
  tc_buf_printf(&b, "/* %s.h: generated by tensorc from %s.  Do not edit. */\n", M,
                m->file ? m->file : M);
  tc_buf_printf(&b, "#ifndef %s\n#define %s\n\n%s", guard, guard,
                includes ? "#include <stdint.h>\n\n" : "");
  tc_buf_puts(&b, "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n");
  tc_buf_puts(&b, abi_block);
  for (int i = 0; i < m->kernels.len; i++) {
    char *P = tc_kernel_cname(m, m->kernels.data[i], opt ? opt->prefix : NULL);
    tc_buf_putc(&b, '\n');
    kernel_decls(&b, m, m->kernels.data[i], P);
    free(P);
  }
  tc_buf_puts(&b, "\n#ifdef __cplusplus\n}\n#endif\n\n");
  tc_buf_printf(&b, "#endif /* %s */\n", guard);
  free(guard);
  return tc_buf_steal(&b);
}

char *tcE_emit_header(const tc_module *m, const tcE_options *opt) {
  return emit_header(m, opt, 1);
}

/* ---- the self-description ---------------------------------------------- */

/* An extent as tc_arg_info encodes it. */
static void info_extent(tc_buf *b, const tc_ext *e) {
  int64_t v;
  if (tc_ext_is_const(e, &v)) tc_buf_printf(b, "%lld", (long long)v);
  else if (e->kind == TC_EXT_DIM) tc_buf_printf(b, "-%d", e->dim + 1);
  else tc_buf_puts(b, "TC_DERIVED");
}

static const char *abi_format(tc_format f) {
  switch (f) {
  case TC_FMT_CSR_ROWPTR: return "TC_CSR_ROWPTR";
  case TC_FMT_CSR_COL: return "TC_CSR_COL";
  case TC_FMT_CSR_VAL: return "TC_CSR_VAL";
  default: return "TC_DENSE";
  }
}

/* The ABI's arrays (tc_kernel_abi_parts): malloc'd, count in *n. */
static tc_abi_part *abi_parts(const tc_kernel *k, int *n) {
  *n = tc_kernel_abi_parts(k, NULL);
  tc_abi_part *parts = tc_xcalloc((size_t)*n + 1, sizeof *parts);
  tc_kernel_abi_parts(k, parts);
  return parts;
}

/* P_info: one tc_arg_info per array of the ABI (a csr argument's parts
   each get one).  The static tables are named tc_P_...: under P_... they
   could collide with another kernel's exported functions (kernels x and
   x_kernel: x's table x_kernel_info and x_kernel's function of that name). */
static void emit_info(kemit *kx, tc_buf *b) {
  const tc_kernel *k = kx->k;
  const char *P = kx->P;
  int np;
  tc_abi_part *parts = abi_parts(k, &np);
  for (int j = 0; j < np; j++) {
    const tc_abi_part *a = &parts[j];
    if (a->rows) {
      tc_buf_printf(b, "static const int64_t tc_%s_csr_%d[] = {", P, j);
      info_extent(b, a->rows);
      tc_buf_puts(b, ", ");
      info_extent(b, a->cols);
      tc_buf_puts(b, "};\n");
    }
    if (a->rank == 0 || !a->shape) continue;
    tc_buf_printf(b, "static const int64_t tc_%s_shape_%d[] = {", P, j);
    for (int d = 0; d < a->rank; d++) {
      if (d) tc_buf_puts(b, ", ");
      info_extent(b, a->shape[d]);
    }
    tc_buf_puts(b, "};\n");
  }
  tc_buf_printf(b, "static const tc_arg_info tc_%s_args[] = {\n", P);
  for (int j = 0; j < np; j++) {
    const tc_abi_part *a = &parts[j];
    tc_buf_printf(b, "    {\"%s\", %s, %s, %s, %d, ", a->name, abi_role(a->role),
                  abi_dtype(a->dtype), abi_format(a->format), a->rank);
    if (a->rows) tc_buf_printf(b, "tc_%s_csr_%d, ", P, j);
    else tc_buf_puts(b, "NULL, ");
    if (a->rank && a->shape) tc_buf_printf(b, "tc_%s_shape_%d},\n", P, j);
    else tc_buf_puts(b, "NULL},\n");
  }
  tc_buf_puts(b, "};\n");
  free(parts);
  if (k->dims.len) {
    tc_buf_printf(b, "static const char *const tc_%s_dim_names[] = {", P);
    for (int d = 0; d < k->dims.len; d++)
      tc_buf_printf(b, "%s\"%s\"", d ? ", " : "", k->dims.data[d].name);
    tc_buf_puts(b, "};\n");
  }
  tc_buf_printf(b, "static const tc_kernel_info tc_%s_info_table = {\"%s\", %d, %s%s%s, %d, tc_%s_args};\n\n",
                P, P, k->dims.len, k->dims.len ? "tc_" : "", k->dims.len ? P : "NULL",
                k->dims.len ? "_dim_names" : "", np, P);
  tc_buf_printf(b, "const tc_kernel_info *%s_info(void) { return &tc_%s_info_table; }\n", P, P);
}

/* P_shape: each argument's extents evaluated from dims[]. */
static void emit_shape_fn(kemit *kx) {
  tcE_cg *g = kx->g;
  const tc_kernel *k = kx->k;
  tcE_line(g, "\nint %s_shape(int arg, const int64_t *dims, int64_t *shape) {\n", kx->P);
  g->indent = 1;
  if (k->dims.len) {
    tcE_line(g, "if (!dims) return TC_EINVAL;\n");
    for (int d = 0; d < k->dims.len; d++) tcE_line(g, "if (dims[%d] < 0) return TC_EINVAL;\n", d);
  } else {
    tcE_line(g, "(void)dims;\n");
  }
  tcE_line(g, "switch (arg) {\n");
  int np;
  tc_abi_part *parts = abi_parts(k, &np);
  for (int j = 0; j < np; j++) {
    const tc_abi_part *a = &parts[j];
    tcE_line(g, "case %d: /* %s */\n", j, a->name);
    g->indent = 2;
    if (a->format == TC_FMT_CSR_COL || a->format == TC_FMT_CSR_VAL) {
      /* their length is rowptr[rows] */
      tcE_line(g, "return TC_EINVAL;\n");
      g->indent = 1;
      continue;
    }
    if (a->rank > 0) {
      tcE_line(g, "if (!shape) return TC_EINVAL;\n");
      ext_tab t = {0};
      t.dims_array = 1;
      int save_e = kx->next_e;
      kx->next_e = 0;
      int opened = 0;
      for (int d = 0; d < a->rank; d++) {
        int64_t v;
        if (!tc_ext_is_const(a->shape[d], &v) && a->shape[d]->kind != TC_EXT_DIM && !opened) {
          tcE_line(g, "{\n");
          g->indent++;
          opened = 1;
        }
        const char *s = ext_get(kx, &t, a->shape[d], 1, "return TC_EINVAL;");
        tcE_line(g, "shape[%d] = %s;\n", d, s);
      }
      if (opened) {
        g->indent--;
        tcE_line(g, "}\n");
      }
      kx->next_e = save_e;
      ext_tab_free(&t);
    }
    tcE_line(g, "return TC_OK;\n");
    g->indent = 1;
  }
  free(parts);
  tcE_line(g, "default:\n");
  tcE_line(g, "  return TC_EINVAL;\n");
  tcE_line(g, "}\n");
  g->indent = 0;
  tcE_line(g, "}\n");
}

/* ---- create, destroy, the generic entry points ------------------------ */

static int64_t const_count(const tc_arg *a) {
  int64_t n = 1, v;
  for (int d = 0; d < a->rank; d++) {
    int ok = tc_ext_is_const(a->shape[d], &v);
    assert(ok && "weights have integer shapes");
    (void)ok;
    n *= v;
  }
  return n;
}

static int gemm_stage(const kemit *kx, const tc_stage *s);
static void mark_stage_reads(kemit *kx, const tc_stage *s);
static void mark_reads(kemit *kx, const tc_sexpr *e);
static const char *buf_cname(kemit *kx, int b);
static void emit_stage(kemit *kx, const tc_stage *s);
static void emit_const_table(kemit *kx, int b);
static void collect_sx_exts(kemit *kx, const tc_sexpr *e, const char *on_fail);
static void reset_run_state(kemit *kx);
static int64_t plan_temps(kemit *kx, int vec, char *on_stack, int64_t *off);

/* The stage writing buffer b when b is computed at create
   (passes/precompute.c), else NULL. */
static const tc_stage *create_writer(const tc_loop_prog *p, int b) {
  if (p->bufs.data[b].kind != TC_LBUF_CREATE) return NULL;
  for (int s = 0; s < p->stages.len; s++)
    if (p->stages.data[s].out == b) return &p->stages.data[s];
  assert(!"a buffer computed at create has its stage");
  return NULL;
}

/* P_create's part of the program: the buffers computed at create
   (passes/precompute.c) allocated in context c, then their stages, in
   program order, written as the scalar target's P_run would write them
   but serial (they run once; P_create has no thread pool).  They read
   the weights as P_create was given them, and cannot fail. */
static void emit_create_stages(kemit *kx, const char *c) {
  tcE_cg *g = kx->g;
  const tc_loop_prog *p = kx->p;
  int any = 0;
  for (int b = 0; b < p->bufs.len; b++) any |= p->bufs.data[b].kind == TC_LBUF_CREATE;
  if (!any) return;
  tcE_line(g, "/* values of the weights alone: computed once, here; P_run reads them */\n");
  for (int b = 0; b < p->bufs.len; b++) {
    const tc_lbuf *x = &p->bufs.data[b];
    if (x->kind != TC_LBUF_CREATE) continue;
    int64_t n = 1, v;
    for (int d = 0; d < x->rank; d++) {
      int ok = tc_ext_is_const(x->shape[d], &v);
      assert(ok && "a buffer computed at create has a static shape");
      (void)ok;
      n *= v;
    }
    kx->count[b] = kstr(kx, "%lld", (long long)n);
    const char *t = buf_cname(kx, b);
    tcE_line(g, "%s->%s = (%s *)malloc(%lld * sizeof *%s->%s);\n", c, t,
             tc_dtype_ctype(x->dtype), (long long)(n > 0 ? n : 1), c, t);
    tcE_line(g, "if (!%s->%s) {\n", c, t);
    tcE_line(g, "  %s_destroy(%s);\n", kx->P, c);
    tcE_line(g, "  return TC_ENOMEM;\n");
    tcE_line(g, "}\n");
  }
  tcE_line(g, "{\n");
  g->indent++;
  for (int b = 0; b < p->bufs.len; b++)
    if (p->bufs.data[b].kind == TC_LBUF_CREATE)
      tcE_line(g, "%s *const %s = %s->%s;\n", tc_dtype_ctype(p->bufs.data[b].dtype),
               buf_cname(kx, b), c, buf_cname(kx, b));
  /* the constant tables they read, and their extents (all static) */
  memset(kx->read, 0, (size_t)p->bufs.len + 1);
  for (int s = 0; s < p->stages.len; s++)
    if (p->bufs.data[p->stages.data[s].out].kind == TC_LBUF_CREATE)
      mark_reads(kx, p->stages.data[s].body);
  for (int b = 0; b < p->bufs.len; b++)
    if (p->bufs.data[b].kind == TC_LBUF_CONST && kx->read[b]) emit_const_table(kx, b);
  for (int b = 0; b < p->bufs.len; b++) {
    const tc_lbuf *x = &p->bufs.data[b];
    int64_t v;
    for (int d = 0; x->shape && d < x->rank; d++)
      if (tc_ext_is_const(x->shape[d], &v)) ext_get(kx, &kx->ext, x->shape[d], 1, NULL);
  }
  int vsave = kx->vec, nfail = kx->nfail;
  kx->vec = 0;
  kx->serial = 1;
  for (int s = 0; s < p->stages.len; s++) {
    const tc_stage *st = &p->stages.data[s];
    if (p->bufs.data[st->out].kind != TC_LBUF_CREATE) continue;
    collect_sx_exts(kx, st->body, NULL);
    emit_stage(kx, st);
  }
  assert(kx->nfail == nfail && "a stage computed at create cannot fail");
  (void)nfail;
  kx->vec = vsave;
  kx->serial = 0;
  g->indent--;
  tcE_line(g, "}\n");
  reset_run_state(kx);
}


/* The convolution's extents as a GEMM (tc_gemm.conv): K (with groups, a
   group's), and the output channels Cout (all groups': a group's GEMM has
   Cout / groups columns in NHWC, rows in NCHW). */
static void conv_gemm_k(const kemit *kx, const tc_gemm *gm, int64_t *K, int64_t *Cout) {
  const tc_lbuf *W = &kx->p->bufs.data[gm->bload->ref];
  int64_t e[4];
  for (int d = 0; d < 4; d++) {
    int ok = tc_ext_is_const(W->shape[d], &e[d]);
    assert(ok && "a convolution's window is static");
    (void)ok;
  }
  *K = gm->conv[7] ? e[0] * e[1] * e[2] : e[1] * e[2] * e[3];
  *Cout = gm->conv[7] ? e[3] : e[0];
}

/* The C expression of weight buffer b in P_create (context c): the
   argument, or a value computed at create just before. */
static const char *weight_src(kemit *kx, const char *c, int b) {
  return kx->p->bufs.data[b].kind == TC_LBUF_CREATE ? kstr(kx, "%s->%s", c, buf_cname(kx, b))
                                                    : kx->nm.arg[kx->p->bufs.data[b].arg];
}

/* P_create's allocation of c->tc_pack<s>, n floats, filled by the
   statement call, when the context runs ISA v (or always, when the file
   has that variant alone). */
static void emit_pack_block(kemit *kx, const char *c, int s, tcE_visa v, int64_t n,
                            const char *call) {
  tcE_cg *g = kx->g;
  g->gemm[v] = 1;
  if (kx->multi)
    tcE_line(g, "if (%s->tc_isa == %d) { /* %s */\n", c, v == TCE_VISA_AVX512 ? 2 : 1,
             tcE_vec_suffix(v));
  else
    tcE_line(g, "{\n");
  tcE_line(g, "  %s->tc_pack%d = (float *)malloc(%lld * sizeof(float));\n", c, s,
           (long long)(n > 0 ? n : 1));
  tcE_line(g, "  if (!%s->tc_pack%d) {\n", c, s);
  tcE_line(g, "    %s_destroy(%s);\n", kx->P, c);
  tcE_line(g, "    return TC_ENOMEM;\n");
  tcE_line(g, "  }\n");
  tcE_line(g, "  %s;\n", call);
  tcE_line(g, "}\n");
}

/* Floats of one NHWC group's B packed at create: its per columns in
   panels of the ISA's width, K rows (emit_prepack writes the groups
   this far apart, emit_conv_fields's b_bs[1] reads them so). */
static int64_t group_panels(tcE_visa v, int64_t per, int64_t K) {
  const int64_t nr = tcE_gemm_nr(v);
  return (per + nr - 1) / nr * nr * K;
}

/* P_create's packing of the weight of GEMM stage st (number s, b_weight)
   into c->tc_pack<s>, for the ISA the context runs: B in panels
   (tc_gemm_pack_b), or an NCHW convolution's w for the direct kernel
   (tc_gemm_direct_pack_<isa>). */
static void emit_prepack(kemit *kx, const tc_stage *st, int s, const char *c) {
  const tc_gemm *gm = st->gemm;
  const tc_lbuf *B = &kx->p->bufs.data[gm->bload->ref];
  const int direct = gm->conv && !gm->conv[7]; /* w [Cout, C, kh, kw] as A [Cout, K] */
  int64_t K, N, rs, cs;
  if (gm->conv) { /* NHWC: w [kh, kw, C, Cout] is B [K, Cout] */
    conv_gemm_k(kx, gm, &K, &N);
    rs = N;
    cs = 1;
  } else { /* B [K, N], or [N, K] transposed: a weight's shape is static (K and N may be
              dims the run-time checks make equal to it) */
    int64_t d0, d1;
    int ok = tc_ext_is_const(B->shape[0], &d0) && tc_ext_is_const(B->shape[1], &d1);
    assert(ok && "weights have integer shapes");
    (void)ok;
    K = gm->b_trans ? d1 : d0;
    N = gm->b_trans ? d0 : d1;
    /* B[k][j] at w[k * rs + j * cs] */
    rs = gm->b_trans ? 1 : d1;
    cs = gm->b_trans ? d1 : 1;
  }
  const char *w = weight_src(kx, c, tc_loop_base_buf(kx->p, gm->bload->ref));
  for (int v = TCE_VISA_COUNT - 1; v >= 0; v--) {
    if (!kx->multi && !(kx->vec && kx->visa == (tcE_visa)v)) continue;
    if (direct) { /* with groups, each group's rows packed as its batch matrix's */
      const int64_t groups = gm->conv[6], per = N / groups;
      const char *sfx = tcE_vec_suffix((tcE_visa)v);
      emit_pack_block(kx, c, s, (tcE_visa)v, N * K,
                      groups > 1
                          ? kstr(kx,
                                 "for (int64_t t = 0; t < %lld; t++)\n"
                                 "      tc_gemm_direct_pack_%s(%s->tc_pack%d + t * %lld, %s + t * %lld, "
                                 "%lld, %lld, %lld)",
                                 (long long)groups, sfx, c, s, (long long)(per * K), w,
                                 (long long)(per * K), (long long)per, (long long)K, (long long)K)
                          : kstr(kx, "tc_gemm_direct_pack_%s(%s->tc_pack%d, %s, %lld, %lld, %lld)",
                                 sfx, c, s, w, (long long)N, (long long)K, (long long)K));
      continue;
    }
    int nr = tcE_gemm_nr((tcE_visa)v);
    if (gm->conv && gm->conv[6] > 1) { /* NHWC groups: each group's columns packed as its matrix's */
      const int64_t groups = gm->conv[6], per = N / groups, size = group_panels((tcE_visa)v, per, K);
      emit_pack_block(kx, c, s, (tcE_visa)v, groups * size,
                      kstr(kx,
                           "for (int64_t t = 0; t < %lld; t++)\n"
                           "      tc_gemm_pack_b(%s->tc_pack%d + t * %lld, %s + t * %lld, %lld, 1, 0, "
                           "%lld, 0, %lld, %lld, %d)",
                           (long long)groups, c, s, (long long)size, w, (long long)per,
                           (long long)rs, (long long)K, (long long)per, (long long)per, nr));
      continue;
    }
    emit_pack_block(kx, c, s, (tcE_visa)v, (N + nr - 1) / nr * nr * K,
                    kstr(kx, "tc_gemm_pack_b(%s->tc_pack%d, %s, %lld, %lld, 0, %lld, 0, %lld, %lld, %d)", c,
                         s, w, (long long)rs, (long long)cs, (long long)K, (long long)N, (long long)N,
                         nr));
  }
}

static void emit_ctx_fns(kemit *kx, int na, const int *abi) {
  tcE_cg *g = kx->g;
  const tc_kernel *k = kx->k;
  const char *P = kx->P, *ctx = kx->nm.ctx, *c = kx->nm.c;
  int vec_ctx = kx->multi || kx->vec; /* a variant with the GEMM template */
  const tc_loop_prog *p = kx->p;
  /* The weights a variant reads as they are, kx->read as P_run sees it:
     raw for the vector variants (which read a GEMM's B from its panels
     only), scalar for the scalar one.  copy[j] for ABI argument j: 1
     when the context keeps a copy, 2 when only the scalar variant of
     target x86-64 reads it, 0 when only P_create reads it (packed, or
     read by values computed at create).  A weight without elements keeps
     its member, NULL. */
  char *raw = tc_xcalloc((size_t)p->bufs.len + 1, 1);
  char *scalar = tc_xcalloc((size_t)p->bufs.len + 1, 1);
  char *copy = tc_xcalloc((size_t)na + 1, 1);
  int vsave = kx->vec;
  for (int v = 0; v < 2; v++) {
    kx->vec = v;
    memset(kx->read, 0, (size_t)p->bufs.len + 1);
    for (int s = 0; s < p->stages.len; s++) mark_stage_reads(kx, &p->stages.data[s]);
    memcpy(v ? raw : scalar, kx->read, (size_t)p->bufs.len + 1);
  }
  memset(kx->read, 0, (size_t)p->bufs.len + 1);
  kx->vec = vsave;
  int nw = 0;
  for (int j = 0; j < na; j++) {
    if (k->args.data[abi[j]].role != TC_ROLE_WEIGHT) continue;
    int b = 0;
    while (b < p->bufs.len && !(p->bufs.data[b].kind == TC_LBUF_ARG && p->bufs.data[b].arg == abi[j]))
      b++;
    if (b == p->bufs.len || const_count(&k->args.data[abi[j]]) == 0 ||
        (vec_ctx ? raw[b] : scalar[b]))
      copy[j] = 1;
    else if (kx->multi && scalar[b]) copy[j] = 2;
  }
  /* the scratch of P_run's temporaries: the largest any variant needs */
  kx->scratch = 0;
  for (int v = 0; v < 2; v++) {
    if (!kx->multi && v != kx->vec) continue;
    int64_t bytes = plan_temps(kx, v, kx->on_stack, kx->in_scratch);
    if (bytes > kx->scratch) kx->scratch = bytes;
  }
  tcE_line(g, "\nstruct %s_ctx {\n", P);
  for (int j = 0; j < na; j++) {
    const tc_arg *a = &k->args.data[abi[j]];
    if (a->role != TC_ROLE_WEIGHT || !copy[j]) continue;
    tcE_line(g, "  %s *%s; /* a copy of the weight */\n", tc_dtype_ctype(a->dtype), kx->nm.arg[abi[j]]);
    nw++;
  }
  int ncreate = 0;
  for (int b = 0; b < p->bufs.len; b++) {
    const tc_stage *w = create_writer(p, b);
    if (!w) continue;
    tcE_line(g, "  %s *%s; /* %s:%d: %s, computed at create */\n",
             tc_dtype_ctype(p->bufs.data[b].dtype), buf_cname(kx, b),
             w->loc.file ? w->loc.file : "?", w->loc.line, w->what ? w->what : "?");
    ncreate++;
  }
  int ngemm = 0, npack = 0;
  for (int s = 0; vec_ctx && s < p->stages.len; s++) {
    const tc_stage *st = &p->stages.data[s];
    ngemm += st->gemm != NULL;
    npack += st->gemm && st->gemm->b_weight;
    if (st->gemm && st->gemm->b_weight)
      tcE_line(g, "  float *tc_pack%d; /* %s in the GEMM template's %s (%s:%d) */\n", s,
               p->bufs.data[st->gemm->bload->ref].name,
               st->gemm->conv && !st->gemm->conv[7] ? "direct kernel's layout" : "panels",
               st->loc.file ? st->loc.file : "?", st->loc.line);
  }
  if (ngemm) tcE_line(g, "  int64_t tc_kc, tc_bkp; /* the GEMM template's blocking (tc_gemm_blocking) */\n");
  if (kx->scratch)
    tcE_line(g, "  char *tc_scratch; /* P_run's temporaries, %lld bytes; its first int: taken */\n",
             (long long)kx->scratch);
  if (kx->multi)
    tcE_line(g, "  int tc_isa; /* the variant P_run runs (tc_pick_isa) */\n");
  else if (!nw && !ncreate && !ngemm && !kx->scratch)
    tcE_line(g, "  char unused; /* C wants a member; the kernel has no weights */\n");
  tcE_line(g, "};\n\n");

  tcE_line(g, "void %s_destroy(%s_ctx *%s) {\n", P, P, ctx);
  if (nw || ncreate || npack || kx->scratch) {
    tcE_line(g, "  if (!%s) return;\n", ctx);
    if (kx->scratch) tcE_line(g, "  free(%s->tc_scratch);\n", ctx);
    for (int j = 0; j < na; j++)
      if (copy[j]) tcE_line(g, "  free(%s->%s);\n", ctx, kx->nm.arg[abi[j]]);
    for (int b = 0; b < p->bufs.len; b++)
      if (p->bufs.data[b].kind == TC_LBUF_CREATE) tcE_line(g, "  free(%s->%s);\n", ctx, buf_cname(kx, b));
    for (int s = 0; vec_ctx && s < p->stages.len; s++)
      if (p->stages.data[s].gemm && p->stages.data[s].gemm->b_weight)
        tcE_line(g, "  free(%s->tc_pack%d);\n", ctx, s);
  }
  tcE_line(g, "  free(%s);\n}\n\n", ctx);

  create_signature(g->o, k, P, &kx->nm, na, abi);
  tc_buf_puts(g->o, " {\n");
  g->indent = 1;
  tcE_line(g, "%s_ctx *%s;\n", P, c);
  tcE_line(g, "if (!%s) return TC_EINVAL;\n", ctx);
  for (int j = 0; j < na; j++) {
    const tc_arg *a = &k->args.data[abi[j]];
    if (a->role == TC_ROLE_WEIGHT && const_count(a) > 0)
      tcE_line(g, "if (!%s) return TC_EINVAL;\n", kx->nm.arg[abi[j]]);
    else if (a->role == TC_ROLE_WEIGHT) /* no elements: never read (may be NULL) */
      tcE_line(g, "(void)%s;\n", kx->nm.arg[abi[j]]);
  }
  tcE_line(g, "%s = (%s_ctx *)calloc(1, sizeof *%s);\n", c, P, c);
  tcE_line(g, "if (!%s) return TC_ENOMEM;\n", c);
  if (kx->multi) {
    g->multi_isa = 1;
    tcE_line(g, "%s->tc_isa = tc_pick_isa();\n", c);
  }
  if (kx->scratch) {
    tcE_line(g, "%s->tc_scratch = (char *)calloc(1, %lld); /* free: its flag is 0 */\n", c,
             (long long)kx->scratch);
    tcE_line(g, "if (!%s->tc_scratch) {\n", c);
    tcE_line(g, "  %s_destroy(%s);\n", P, c);
    tcE_line(g, "  return TC_ENOMEM;\n");
    tcE_line(g, "}\n");
  }
  for (int j = 0; j < na; j++) {
    const tc_arg *a = &k->args.data[abi[j]];
    if (!copy[j]) continue;
    int64_t n = const_count(a);
    if (n == 0) continue; /* stays NULL: a pointer to nothing is never read */
    const char *w = kx->nm.arg[abi[j]];
    int in = copy[j] == 2;
    if (in) {
      tcE_line(g, "if (%s->tc_isa == 0) { /* only the scalar variant reads it as it is */\n", c);
      g->indent++;
    }
    tcE_line(g, "%s->%s = (%s *)malloc(%lld * sizeof *%s->%s);\n", c, w,
             tc_dtype_ctype(a->dtype), (long long)n, c, w);
    tcE_line(g, "if (!%s->%s) {\n", c, w);
    tcE_line(g, "  %s_destroy(%s);\n", P, c);
    tcE_line(g, "  return TC_ENOMEM;\n");
    tcE_line(g, "}\n");
    tcE_line(g, "memcpy(%s->%s, %s, %lld * sizeof *%s->%s);\n", c, w, w, (long long)n, c, w);
    if (in) {
      g->indent--;
      tcE_line(g, "}\n");
    }
  }
  free(copy);
  emit_create_stages(kx, c);
  if (ngemm) {
    if (kx->multi)
      tcE_line(g, "if (%s->tc_isa) tc_gemm_blocking(%s->tc_isa == 2 ? %d : %d, %s->tc_isa == 2 ? %d : %d, &%s->tc_kc, &%s->tc_bkp);\n",
               c, c, tcE_gemm_nr(TCE_VISA_AVX512), tcE_gemm_nr(TCE_VISA_AVX2), c,
               tcE_gemm_mr(TCE_VISA_AVX512), tcE_gemm_mr(TCE_VISA_AVX2), c, c);
    else
      tcE_line(g, "tc_gemm_blocking(%d, %d, &%s->tc_kc, &%s->tc_bkp);\n", tcE_gemm_nr(kx->visa),
               tcE_gemm_mr(kx->visa), c, c);
  }
  for (int s = 0; vec_ctx && s < p->stages.len; s++)
    if (p->stages.data[s].gemm && p->stages.data[s].gemm->b_weight)
      emit_prepack(kx, &p->stages.data[s], s, c);
  /* values computed at create that the variant P_run runs does not read
     (a GEMM's B, now in its panels; what only other such values needed) */
  for (int b = 0; b < p->bufs.len; b++) {
    if (p->bufs.data[b].kind != TC_LBUF_CREATE) continue;
    int vr = vec_ctx && raw[b], sr = scalar[b];
    const char *when = NULL;
    if (!kx->multi)
      when = (kx->vec ? vr : sr) ? NULL : "";
    else
      when = vr && sr ? NULL
             : vr     ? kstr(kx, "if (%s->tc_isa == 0) ", c)
             : sr     ? kstr(kx, "if (%s->tc_isa != 0) ", c)
                      : "";
    if (!when) continue;
    const char *t = buf_cname(kx, b);
    tcE_line(g, "%s{ /* %s: not read by P_run */\n", when, p->bufs.data[b].name);
    tcE_line(g, "  free(%s->%s);\n", c, t);
    tcE_line(g, "  %s->%s = NULL;\n", c, t);
    tcE_line(g, "}\n");
  }
  free(raw);
  free(scalar);
  tcE_line(g, "*%s = %s;\n", ctx, c);
  tcE_line(g, "return TC_OK;\n");
  g->indent = 0;
  tcE_line(g, "}\n\n");

  /* create_v */
  tcE_line(g, "int %s_create_v(%s_ctx **ctx, const void *const *weights) {\n", P, P);
  if (tc_kernel_count_role(k, TC_ROLE_WEIGHT)) {
    tcE_line(g, "  if (!weights) return TC_EINVAL;\n");
    tcE_line(g, "  return %s_create(ctx", P);
    int w = 0;
    for (int j = 0; j < na; j++) {
      const tc_arg *a = &k->args.data[abi[j]];
      if (a->role != TC_ROLE_WEIGHT) continue;
      tc_buf_printf(g->o, ", (const %s *)weights[%d]", tc_dtype_ctype(a->dtype), w++);
    }
    tc_buf_puts(g->o, ");\n");
  } else {
    tcE_line(g, "  (void)weights;\n");
    tcE_line(g, "  return %s_create(ctx);\n", P);
  }
  tcE_line(g, "}\n");
}

static void emit_run_v(kemit *kx, int na, const int *abi) {
  tcE_cg *g = kx->g;
  const tc_kernel *k = kx->k;
  int nin = 0;
  for (int j = 0; j < na; j++)
    if (k->args.data[abi[j]].role == TC_ROLE_INPUT) nin++;
  tcE_line(g, "\nint %s_run_v(const %s_ctx *ctx, const int64_t *dims,\n", kx->P, kx->P);
  tcE_line(g, "    const void *const *inputs, void *const *outputs) {\n");
  g->indent = 1;
  tcE_line(g, "if (%s%s!outputs) return TC_EINVAL;\n", k->dims.len ? "!dims || " : "",
           nin ? "!inputs || " : "");
  if (!k->dims.len) tcE_line(g, "(void)dims;\n");
  if (!nin) tcE_line(g, "(void)inputs;\n");
  tcE_line(g, "return %s_run(ctx", kx->P);
  for (int d = 0; d < k->dims.len; d++) tc_buf_printf(g->o, ", dims[%d]", d);
  int i = 0, o = 0;
  for (int j = 0; j < na; j++) {
    const tc_arg *a = &k->args.data[abi[j]];
    if (a->role == TC_ROLE_INPUT && a->csr) {
      const char *it = tc_dtype_ctype(a->index_dtype);
      tc_buf_printf(g->o, ",\n      (const %s *)inputs[%d], (const %s *)inputs[%d]", it, i,
                    it, i + 1);
      i += 2;
      if (a->has_values)
        tc_buf_printf(g->o, ", (const %s *)inputs[%d]", tc_dtype_ctype(a->dtype), i++);
    } else if (a->role == TC_ROLE_INPUT)
      tc_buf_printf(g->o, ",\n      (const %s *)inputs[%d]", tc_dtype_ctype(a->dtype), i++);
    else if (a->role == TC_ROLE_OUTPUT)
      tc_buf_printf(g->o, ",\n      (%s *)outputs[%d]", tc_dtype_ctype(a->dtype), o++);
  }
  tc_buf_puts(g->o, ");\n");
  g->indent = 0;
  tcE_line(g, "}\n");
}

/* ---- stages ------------------------------------------------------------ */

static char *new_v(kemit *kx) { return kstr(kx, "%s%d", kx->nm.v, kx->nv++); }

/* The variable already holding e's value in this scope, or NULL (equal
   trees count: the DSL makes a new node for every call, so `idx(i)`
   written twice is two equal trees). */
static const char *memo_find(kemit *kx, const tc_sexpr *e) {
  for (int i = kx->memos.len - 1; i >= 0; i--)
    if (tc_loop_sx_equal(kx->memos.data[i].e, e)) return kx->memos.data[i].name;
  return NULL;
}

static const char *memo_put(kemit *kx, const tc_sexpr *e, char *name) {
  memo mm = {e, name};
  TC_VEC_PUSH(kx->memos, mm);
  return name;
}

/* The C name of buffer b, and (for an alias) the buffer that holds it. */
static const char *buf_cname(kemit *kx, int b) {
  const tc_lbuf *x = &kx->p->bufs.data[b];
  if (x->kind == TC_LBUF_ALIAS) {
    b = x->alias;
    x = &kx->p->bufs.data[b];
  }
  if (x->kind == TC_LBUF_ARG && x->format != TC_FMT_DENSE)
    return kx->nm.part[x->arg][x->format];
  if (x->kind == TC_LBUF_ARG) return kx->nm.arg[x->arg];
  /* temporaries and constants are t<node>; the extra temporaries of a
     node (scatter's) are numbered after every node */
  return kstr(kx, "%s%d", kx->nm.t, x->node >= 0 ? x->node : kx->k->nodes.len + b);
}

/* 1 when s is one parenthesized expression "(...)". */
static int wrapped(const char *s) {
  if (s[0] != '(') return 0;
  int depth = 0;
  for (const char *c = s; *c; c++) {
    depth += (*c == '(') - (*c == ')');
    if (depth == 0) return c[1] == 0;
  }
  return 0;
}

/* Row-major offset of idx[] in a buffer of this shape:
   ((i0 * E1 + i1) * E2 + i2). */
static char *linear(kemit *kx, const tc_lbuf *x, const char *const *idx) {
  if (x->local) { /* a row of its nest: the shared indices are implicit */
    int k = kx->shared_of[x - kx->p->bufs.data];
    tc_lbuf row = *x;
    row.local = 0;
    row.rank = x->rank - k;
    row.shape = x->shape + k;
    return linear(kx, &row, idx + k);
  }
  if (x->rank == 0) return kstr(kx, "0");
  tc_buf b = {0};
  tc_buf_puts(&b, idx[0]);
  int is_zero = !strcmp(idx[0], "0");
  for (int d = 1; d < x->rank; d++) {
    const char *E = ext_name(kx, x->shape[d]);
    if (is_zero) {
      b.len = 0;
      tc_buf_puts(&b, idx[d]);
      is_zero = !strcmp(idx[d], "0");
      continue;
    }
    char *prev = tc_buf_steal(&b);
    if (!strcmp(E, "1")) {
      tc_buf_puts(&b, prev);
    } else {
      int paren = strchr(prev, ' ') != NULL && !wrapped(prev);
      tc_buf_printf(&b, "%s%s%s * %s", paren ? "(" : "", prev, paren ? ")" : "", E);
    }
    if (strcmp(idx[d], "0")) tc_buf_printf(&b, " + %s", idx[d]);
    free(prev);
  }
  char *s = tc_arena_strdup(&kx->ar, b.data);
  tc_buf_free(&b);
  return s;
}

static const char *emit_sx(kemit *kx, const tc_sexpr *e, int in_index);
static int vec_sx_ok(kemit *kx, const tc_stage *s, const tc_sexpr *e, tc_op op, int ax);
static const char *emit_vsx(kemit *kx, const tc_sexpr *e, const char *m);
static const char *vdef(kemit *kx, const tc_sexpr *e, const char *type, tc_buf *expr);
static int whole_vectors(const char *lo, const char *E, int step);
static const char *vec_mask(kemit *kx, int whole, const char *left);
static int vsplit_begin(kemit *kx, int whole, const char *left, int lanes);
static void vsplit_next(kemit *kx);
static void vsplit_end(kemit *kx, int n);

static int is_index_arith(const tc_sexpr *e) {
  return e->dtype == TC_DT_I64 &&
         (e->op == TC_OP_ADD || e->op == TC_OP_SUB || e->op == TC_OP_MUL);
}

static const char *emit_load(kemit *kx, const tc_sexpr *e) {
  const tc_lbuf *x = &kx->p->bufs.data[e->ref];
  const char *idx[TC_MAX_RANK];
  for (int d = 0; d < e->nargs; d++) {
    idx[d] = emit_sx(kx, e->args[d], 1);
    if (kx->s->checked && x->shape &&
        !tc_loop_index_in_range(kx->p, kx->s, e->args[d], x->shape[d], kx->s->body))
      tcE_line(kx->g, "if ((uint64_t)%s >= (uint64_t)%s) %s\n", idx[d],
               ext_name(kx, x->shape[d]), fail(kx, "TC_EINDEX"));
  }
  kx->read[x->kind == TC_LBUF_ALIAS ? x->alias : e->ref] = 1;
  char *elem = kstr(kx, "%s[%s]", buf_cname(kx, e->ref), linear(kx, x, idx));
  tc_buf v = {0};
  tcE_scalar_load(kx->g, &v, e->dtype, elem);
  char *name = new_v(kx);
  tcE_line(kx->g, "const %s %s = %s;\n", tcE_value_ctype(e->dtype), name, v.data);
  tc_buf_free(&v);
  return name;
}

/* The condition of a WHERE as a C expression without statements, when it
   compares leaves (or index arithmetic of leaves in an unchecked stage),
   so that a chain of WHEREs (concat) reads "if ... else if ... else";
   NULL otherwise. */
static const char *inline_operand(kemit *kx, const tc_sexpr *e) {
  switch (e->op) {
  case TC_OP_CONST: case TC_OP_IVAR: case TC_OP_RVAR: case TC_OP_EXTENT:
    return emit_sx(kx, e, 1);
  default:
    if (!kx->s->checked && is_index_arith(e) && inline_operand(kx, e->args[0]) &&
        inline_operand(kx, e->args[1]))
      return emit_sx(kx, e, 1);
    return NULL;
  }
}

static const char *inline_cond(kemit *kx, const tc_sexpr *c) {
  if (tc_op_class_of(c->op) != TC_OPC_CMP || c->nargs != 2 ||
      c->args[0]->dtype != TC_DT_I64)
    return NULL;
  const char *a = inline_operand(kx, c->args[0]), *b = a ? inline_operand(kx, c->args[1]) : NULL;
  if (!b) return NULL;
  tc_buf x = {0};
  const char *ab[2] = {a, b};
  tcE_scalar_op(kx->g, &x, c->op, c->dtype, c->args[0]->dtype, ab, 0);
  char *s = tc_arena_strdup(&kx->ar, x.data);
  tc_buf_free(&x);
  return s;
}

/* Lazy: the branch not taken performs none of its reads. */
static const char *emit_where(kemit *kx, const tc_sexpr *e) {
  tcE_cg *g = kx->g;
  const char *c = inline_cond(kx, e->args[0]);
  if (!c) c = emit_sx(kx, e->args[0], 0);
  char *name = new_v(kx);
  tcE_line(g, "%s %s;\n", tcE_value_ctype(e->dtype), name);
  tcE_line(g, "if (%s) {\n", c);
  for (;;) {
    g->indent++;
    int save = kx->memos.len;
    tcE_line(g, "%s = %s;\n", name, emit_sx(kx, e->args[1], 0));
    kx->memos.len = save;
    g->indent--;
    const tc_sexpr *other = e->args[2];
    const char *c2 = other->op == TC_OP_WHERE ? inline_cond(kx, other->args[0]) : NULL;
    if (!c2) break;
    tcE_line(g, "} else if (%s) {\n", c2);
    e = other;
  }
  tcE_line(g, "} else {\n");
  g->indent++;
  int save = kx->memos.len;
  tcE_line(g, "%s = %s;\n", name, emit_sx(kx, e->args[2], 0));
  kx->memos.len = save;
  g->indent--;
  tcE_line(g, "}\n");
  return name;
}

/* Lanes of the vectorizable reductions below (TC_LOOP_RED_LANES, loop.h):
   two AVX-512 vectors of f32 (four AVX2 ones), enough independent sums to
   hide the latency of a vector add while a row streams from L1. */
#define TCE_RED_LANES TC_LOOP_RED_LANES

/* The stack P_run may give its temporaries of static size; larger ones
   are allocated when it runs. */
#define TCE_STACK_TEMP_BYTES 65536

/* A float SUM, PROD, MAX or MIN over a contiguous run (a row) is computed
   in TCE_RED_LANES interleaved partial results (tc_loop_reduce_in_lanes
   says which, loop.h): element r goes to lane r % LANES, in order of r;
   the lanes are then combined pairwise in a fixed tree (lane l with lane
   l + w, for w = LANES/2, ..., 1).  This reassociates the reduction (as
   `omp simd reduction` does) but in one fixed way: the result does not
   depend on the compiler's vectorization, the target or the thread
   count.  MAX and MIN keep propagating NaN, per lane and when combined. */

/* acc = acc (red) x as one select or update, which vectorizes. */
static const char *lane_step(kemit *kx, tc_op red, const char *acc, const char *x) {
  if (red == TC_OP_MAX || red == TC_OP_MIN)
    return kstr(kx, "%s = %s %s %s || %s != %s ? %s : %s;", acc, x, red == TC_OP_MAX ? ">" : "<",
                acc, x, x, x, acc);
  return kstr(kx, "%s %s= %s;", acc, red == TC_OP_SUM ? "+" : "*", x);
}

/* 1 when e uses rvar `var` other than in loads of buffer b. */
static int rvar_used_beside(const tc_sexpr *e, int var, int b) {
  if (e->op == TC_OP_LOAD && e->ref == b) return 0;
  if (e->op == TC_OP_RVAR && e->var == var) return 1;
  for (int i = 0; i < e->nargs; i++)
    if (rvar_used_beside(e->args[i], var, b)) return 1;
  return 0;
}

/* 1 when e uses a loop variable i<d>, d >= k. */
static int uses_ivar_from(const tc_sexpr *e, int k) {
  if (e->op == TC_OP_IVAR && e->var >= k) return 1;
  for (int i = 0; i < e->nargs; i++)
    if (uses_ivar_from(e->args[i], k)) return 1;
  return 0;
}

/* Every load of buffer b in e is known to hold value `name`. */
static void memo_loads(kemit *kx, const tc_sexpr *e, int b, const char *name) {
  if (e->op == TC_OP_LOAD && e->ref == b) {
    memo_put(kx, e, (char *)name);
    return;
  }
  for (int i = 0; i < e->nargs; i++) memo_loads(kx, e->args[i], b, name);
}

/* The vector loop's lanes for emit_vsx: consecutive values of variable
   var (op IVAR or RVAR) from C expression base on, `aligned` when base is
   a vector loop's variable stepping from 0 (a multiple of the lanes:
   emit_vgroup). */
static void lanes_at(kemit *kx, tc_op op, int var, const char *base, int aligned) {
  kx->lane_op = op;
  kx->lane_var = var;
  kx->lane_base = base;
  kx->lane_aligned = aligned;
}

/* 1 when the lanes of REDUCE e (tc_loop_reduce_in_lanes), and the row of kx->pre
   computed in its loop, run in vectors. */
static int vec_lanes_ok(kemit *kx, const tc_sexpr *e) {
  if (!kx->vec || kx->s->checked || e->dtype != TC_DT_F32 ||
      !vec_sx_ok(kx, kx->s, e->args[0], TC_OP_RVAR, e->var))
    return 0;
  const tc_stage *a = kx->pre;
  return !a || (a->kind == TC_STAGE_MAP && !a->checked &&
                kx->p->bufs.data[a->out].dtype == TC_DT_F32 &&
                vec_sx_ok(kx, a, a->body, TC_OP_IVAR, kx->pre_axis) &&
                !tc_loop_has_lane_group(a->body, TC_OP_IVAR, kx->pre_axis));
}

/* Loads of buffer b in e are known to hold vector v. */
static void vmemo_loads(kemit *kx, const tc_sexpr *e, int b, const char *v) {
  if (e->op == TC_OP_LOAD && e->ref == b) {
    memo mm = {e, (char *)v};
    TC_VEC_PUSH(kx->vmemos, mm);
    return;
  }
  for (int i = 0; i < e->nargs; i++) vmemo_loads(kx, e->args[i], b, v);
}

/* emit_reduce_lanes in vectors: the TCE_RED_LANES lanes are
   TCE_RED_LANES / L vector accumulators of L lanes, element r going to
   lane r % TCE_RED_LANES as in the scalar lanes, the last block's missing
   elements masked off, and the lanes combined in the same tree: the
   result is bitwise the scalar target's. */
static const char *emit_reduce_lanes_vec(kemit *kx, const tc_sexpr *e, const char *lo,
                                         const char *E) {
  tcE_cg *g = kx->g;
  tcE_visa isa = kx->visa;
  const char *vt = tcE_vec_type(isa);
  int L = tcE_vec_lanes(isa), parts = TCE_RED_LANES / L;
  const char *acc[TCE_RED_LANES];
  tc_buf init = {0}, b = {0};
  tcE_scalar_reduce_init(g, &init, e->red, e->dtype);
  tcE_line(g, "/* %s in %d lanes, combined in a fixed order (docs/fusion.md) */\n",
           tc_op_name(e->red), TCE_RED_LANES);
  for (int j = 0; j < parts; j++) {
    acc[j] = new_v(kx);
    tcE_vec_set1(&b, isa, init.data);
    tcE_line(g, "%s %s = %s;\n", vt, acc[j], b.data);
    b.len = 0;
  }
  tc_buf_free(&init);
  const char *blk = new_v(kx);
  tcE_line(g, "for (int64_t %s = %s; %s < %s; %s += %d) {\n", blk, lo, blk, E, blk, TCE_RED_LANES);
  g->indent++;
  int save = kx->memos.len;
  const tc_stage *a = kx->pre;
  kx->pre = NULL;
  int nbody = vsplit_begin(kx, whole_vectors(lo, E, TCE_RED_LANES),
                           kstr(kx, "%s - %s", E, blk), TCE_RED_LANES);
  for (int k = 0; k < nbody; k++) {
    if (k) vsplit_next(kx);
    kx->memos.len = save;
    for (int j = 0; j < parts; j++) {
      const char *base = j ? kstr(kx, "%s + %d", blk, j * L) : blk;
      kx->vmemos.len = 0;
      const char *left = j ? kstr(kx, "%s - (%s)", E, base) : kstr(kx, "%s - %s", E, base);
      const char *m = vec_mask(kx, k == 0, left);
      if (a) { /* the producing stage's elements first, stored in its row */
        const tc_lbuf *ab = &kx->p->bufs.data[a->out];
        const char *aidx[TC_MAX_RANK];
        for (int d = 0; d < ab->rank; d++) aidx[d] = kstr(kx, "%s%d", kx->nm.i, d);
        aidx[kx->pre_axis] = base;
        lanes_at(kx, TC_OP_IVAR, kx->pre_axis, base, 0);
        const tc_stage *sv = kx->s;
        kx->s = a;
        const char *av = emit_vsx(kx, a->body, m);
        kx->s = sv;
        tcE_vec_store(&b, isa, kstr(kx, "&%s[%s]", buf_cname(kx, a->out), linear(kx, ab, aidx)), m,
                      av);
        tcE_line(g, "%s\n", b.data);
        b.len = 0;
        kx->vmemos.len = 0;
        vmemo_loads(kx, e->args[0], a->out, av);
      }
      lanes_at(kx, TC_OP_RVAR, e->var, base, 0);
      const char *x = emit_vsx(kx, e->args[0], m);
      tcE_vec_red_step(&b, isa, e->red, acc[j], x, m);
      tcE_line(g, "%s\n", b.data);
      b.len = 0;
    }
  }
  vsplit_end(kx, nbody);
  kx->vmemos.len = 0;
  kx->memos.len = save;
  g->indent--;
  tcE_line(g, "}\n");
  /* the levels across accumulators, then within one */
  for (int w = parts / 2; w > 0; w /= 2)
    for (int j = 0; j < w; j++) {
      tcE_vec_red_combine(&b, isa, e->red, acc[j], acc[j + w]);
      tcE_line(g, "%s = %s;\n", acc[j], b.data);
      b.len = 0;
    }
  tcE_vec_hred(&b, isa, e->red, acc[0], g->hred[isa]);
  const char *r = vdef(kx, NULL, "float", &b);
  return r;
}

static const char *emit_reduce_lanes(kemit *kx, const tc_sexpr *e, const char *lo,
                                     const char *E) {
  if (vec_lanes_ok(kx, e)) return emit_reduce_lanes_vec(kx, e, lo, E);
  tcE_cg *g = kx->g;
  const char *r = kstr(kx, "%s%d", kx->nm.r, e->var);
  const char *ct = tcE_value_ctype(e->dtype);
  char *acc = new_v(kx), *lane = new_v(kx), *blk = new_v(kx), *m = new_v(kx);
  tc_buf init = {0};
  tcE_scalar_reduce_init(g, &init, e->red, e->dtype);
  tcE_line(g, "/* %s in %d lanes, combined in a fixed order (docs/fusion.md) */\n",
           tc_op_name(e->red), TCE_RED_LANES);
  tcE_line(g, "%s %s[%d];\n", ct, acc, TCE_RED_LANES);
  tcE_line(g, "for (int %s = 0; %s < %d; %s++) %s[%s] = %s;\n", lane, lane, TCE_RED_LANES, lane,
           acc, lane, init.data);
  tc_buf_free(&init);
  tcE_line(g, "for (int64_t %s = %s; %s < %s; %s += %d) {\n", blk, lo, blk, E, blk, TCE_RED_LANES);
  g->indent++;
  int64_t nE;
  if (!strcmp(lo, "0") && tc_ext_is_const(e->ext, &nE) && nE % TCE_RED_LANES == 0) {
    /* whole blocks: a loop of constant trip count */
    tcE_line(g, "for (int %s = 0; %s < %d; %s++) {\n", lane, lane, TCE_RED_LANES, lane);
  } else {
    tcE_line(g, "const int %s = %s - %s < %d ? (int)(%s - %s) : %d;\n", m, E, blk,
             TCE_RED_LANES, E, blk, TCE_RED_LANES);
    tcE_line(g, "for (int %s = 0; %s < %s; %s++) {\n", lane, lane, m, lane);
  }
  g->indent++;
  int save = kx->memos.len;
  if (kx->pre) { /* the producing stage's element first, then the reduction's */
    const tc_stage *a = kx->pre;
    kx->pre = NULL;
    const tc_lbuf *ab = &kx->p->bufs.data[a->out];
    const char *iv = kstr(kx, "%s%d", kx->nm.i, kx->pre_axis), *aidx[TC_MAX_RANK];
    for (int d = 0; d < ab->rank; d++) aidx[d] = kstr(kx, "%s%d", kx->nm.i, d);
    tcE_line(g, "const int64_t %s = %s + %s;\n", iv, blk, lane);
    const char *av = emit_sx(kx, a->body, 0);
    tc_buf sv = {0};
    tcE_scalar_store(g, &sv, ab->dtype, av);
    tcE_line(g, "%s[%s] = %s;\n", buf_cname(kx, a->out), linear(kx, ab, aidx), sv.data);
    tc_buf_free(&sv);
    int memo = ab->dtype == TC_DT_F32 || ab->dtype == TC_DT_F64; /* stored as computed */
    if (memo) memo_loads(kx, e->args[0], a->out, av);
    if (!memo || rvar_used_beside(e->args[0], e->var, a->out))
      tcE_line(g, "const int64_t %s = %s;\n", r, iv);
  } else {
    tcE_line(g, "const int64_t %s = %s + %s;\n", r, blk, lane);
  }
  const char *x = emit_sx(kx, e->args[0], 0);
  tcE_line(g, "%s\n", lane_step(kx, e->red, kstr(kx, "%s[%s]", acc, lane), x));
  kx->memos.len = save;
  g->indent--;
  tcE_line(g, "}\n");
  g->indent--;
  tcE_line(g, "}\n");
  /* one loop a level, of constant trip count: gcc then keeps the lanes in
     registers (a loop over the levels made it spill them in the main loop
     and combine them one by one) */
  for (int w = TCE_RED_LANES / 2; w > 0; w /= 2)
    tcE_line(g, "for (int %s = 0; %s < %d; %s++) %s\n", lane, lane, w, lane,
             lane_step(kx, e->red, kstr(kx, "%s[%s]", acc, lane),
                       kstr(kx, "%s[%s + %d]", acc, lane, w)));
  return kstr(kx, "%s[0]", acc);
}

/* A MAX, MIN, ARGMAX or ARGMIN over a range of E elements that may be
   empty fails (TC_EINVAL) unless its check was hoisted out of the loops
   (hoist_empty_checks). */
static void reduce_empty_check(kemit *kx, const tc_sexpr *e, const char *E) {
  int64_t v;
  int hoisted = 0;
  for (int i = 0; i < kx->hoisted.len; i++) hoisted |= kx->hoisted.data[i] == e;
  if ((e->red == TC_OP_MAX || e->red == TC_OP_MIN || e->red == TC_OP_ARGMAX ||
       e->red == TC_OP_ARGMIN) &&
      e->nargs != 3 && !e->inum && !(tc_ext_is_const(e->ext, &v) && v > 0) && !hoisted)
    tcE_line(kx->g, "if (%s == 0) %s /* %s of nothing */\n", E, fail(kx, "TC_EINVAL"),
             tc_op_name(e->red));
}

static const char *emit_reduce_seq(kemit *kx, const tc_sexpr *e, const char *lo, const char *E);

/* 1 when ARGMAX/ARGMIN e (over a whole row: not a range) runs in vector
   lanes: an intrinsics target, an unchecked stage, a body of f32 values
   computed in vectors along the row. */
static int argbest_vec_ok(kemit *kx, const tc_sexpr *e) {
  return kx->vec && !kx->s->checked && !kx->pre && e->nargs == 1 &&
         (e->red == TC_OP_ARGMAX || e->red == TC_OP_ARGMIN) && e->args[0]->dtype == TC_DT_F32 &&
         vec_sx_ok(kx, kx->s, e->args[0], TC_OP_RVAR, e->var);
}

/* ARGMAX/ARGMIN of a row in TCE_RED_LANES lanes, bitwise the scalar
   result: each lane keeps the best value it saw and its (32-bit) index,
   taking an element when it is better (a NaN beats any number; on a tie
   the earlier element stays) or when the lane has none yet; the lanes'
   results are then combined by the same order, the smaller index winning
   ties, which gives the first index of the extreme (of the first NaN).
   Rows of 2^31 elements or more take the scalar loop. */
static const char *emit_argbest_vec(kemit *kx, const tc_sexpr *e, const char *E) {
  tcE_cg *g = kx->g;
  tcE_visa isa = kx->visa;
  int z = isa == TCE_VISA_AVX512, L = tcE_vec_lanes(isa), parts = TCE_RED_LANES / L;
  const char *P = z ? "_mm512" : "_mm256", *vt = tcE_vec_type(isa), *it = z ? "__m512i" : "__m256i";
  const char *cmp = e->red == TC_OP_ARGMAX ? "_CMP_GT_OQ" : "_CMP_LT_OQ";
  const char *res = new_v(kx);
  int64_t nE;
  int guard = !(tc_ext_is_const(e->ext, &nE) && nE <= INT32_MAX);
  tcE_line(g, "int64_t %s;\n", res);
  if (guard) {
    tcE_line(g, "if (%s <= 2147483647) {\n", E);
    g->indent++;
  } else {
    tcE_line(g, "{\n");
    g->indent++;
  }
  tcE_line(g, "/* %s in %d lanes: each lane's best value and index */\n", tc_op_name(e->red),
           TCE_RED_LANES);
  const char *bv[TCE_RED_LANES], *bi[TCE_RED_LANES];
  for (int j = 0; j < parts; j++) {
    bv[j] = new_v(kx);
    bi[j] = new_v(kx);
    tcE_line(g, "%s %s = %s_setzero_ps();\n", vt, bv[j], P);
    tcE_line(g, "%s %s = %s_set1_epi32(-1);\n", it, bi[j], P);
  }
  const char *iota = new_v(kx), *blk = new_v(kx);
  if (z)
    tcE_line(g, "const __m512i %s = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, "
                "13, 14, 15);\n", iota);
  else
    tcE_line(g, "const __m256i %s = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);\n", iota);
  tcE_line(g, "for (int64_t %s = 0; %s < %s; %s += %d) {\n", blk, blk, E, blk, TCE_RED_LANES);
  g->indent++;
  int save = kx->memos.len;
  for (int j = 0; j < parts; j++) {
    const char *base = j ? kstr(kx, "%s + %d", blk, j * L) : blk;
    const char *left = j ? kstr(kx, "%s - (%s)", E, base) : kstr(kx, "%s - %s", E, base);
    kx->vmemos.len = 0;
    const char *m = vec_mask(kx, 0, left);
    lanes_at(kx, TC_OP_RVAR, e->var, base, 0);
    const char *x = emit_vsx(kx, e->args[0], m), *ri = new_v(kx), *up = new_v(kx);
    tcE_line(g, "const %s %s = %s_add_epi32(%s_set1_epi32((int)(%s)), %s);\n", it, ri, P, P, base,
             iota);
    if (z)
      tcE_line(g,
               "const __mmask16 %s = (__mmask16)(%s & (_mm512_cmp_ps_mask(%s, %s, %s) | "
               "(_mm512_cmp_ps_mask(%s, %s, _CMP_UNORD_Q) & _mm512_cmp_ps_mask(%s, %s, "
               "_CMP_ORD_Q)) | _mm512_cmpeq_epi32_mask(%s, _mm512_set1_epi32(-1))));\n",
               up, m, x, bv[j], cmp, x, x, bv[j], bv[j], bi[j]);
    else
      tcE_line(g,
               "const __m256 %s = _mm256_and_ps(%s, _mm256_or_ps(_mm256_or_ps(_mm256_cmp_ps(%s, %s, "
               "%s), _mm256_and_ps(_mm256_cmp_ps(%s, %s, _CMP_UNORD_Q), _mm256_cmp_ps(%s, %s, "
               "_CMP_ORD_Q))), _mm256_castsi256_ps(_mm256_cmpeq_epi32(%s, "
               "_mm256_set1_epi32(-1)))));\n",
               up, m, x, bv[j], cmp, x, x, bv[j], bv[j], bi[j]);
    if (z) {
      tcE_line(g, "%s = _mm512_mask_blend_ps(%s, %s, %s);\n", bv[j], up, bv[j], x);
      tcE_line(g, "%s = _mm512_mask_blend_epi32(%s, %s, %s);\n", bi[j], up, bi[j], ri);
    } else {
      tcE_line(g, "%s = _mm256_blendv_ps(%s, %s, %s);\n", bv[j], bv[j], x, up);
      tcE_line(g, "%s = _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(%s), "
                  "_mm256_castsi256_ps(%s), %s));\n", bi[j], bi[j], ri, up);
    }
  }
  kx->vmemos.len = 0;
  kx->memos.len = save;
  g->indent--;
  tcE_line(g, "}\n");
  /* the lanes combined: any order gives the same (value, index) */
  const char *vals = new_v(kx), *ids = new_v(kx), *l = new_v(kx), *x = new_v(kx), *i = new_v(kx);
  const char *bvs = new_v(kx), *bis = new_v(kx), *c = e->red == TC_OP_ARGMAX ? ">" : "<";
  tcE_line(g, "float %s[%d];\n", vals, TCE_RED_LANES);
  tcE_line(g, "int32_t %s[%d];\n", ids, TCE_RED_LANES);
  for (int j = 0; j < parts; j++) {
    tcE_line(g, "%s_storeu_ps(%s + %d, %s);\n", P, vals, j * L, bv[j]);
    tcE_line(g, "%s_storeu_si%d((void *)(%s + %d), %s);\n", P, z ? 512 : 256, ids, j * L,
             bi[j]);
  }
  tcE_line(g, "float %s = 0.0f;\n", bvs);
  tcE_line(g, "int32_t %s = -1;\n", bis);
  tcE_line(g, "for (int %s = 0; %s < %d; %s++) {\n", l, l, TCE_RED_LANES, l);
  tcE_line(g, "  const float %s = %s[%s];\n", x, vals, l);
  tcE_line(g, "  const int32_t %s = %s[%s];\n", i, ids, l);
  tcE_line(g, "  if (%s >= 0 && (%s < 0 || (%s != %s ? %s == %s || %s < %s\n", i, bis, x, x, bvs,
           bvs, i, bis);
  tcE_line(g, "      : %s == %s && (%s %s %s || (%s == %s && %s < %s))))) {\n", bvs, bvs, x, c,
           bvs, x, bvs, i, bis);
  tcE_line(g, "    %s = %s;\n", bvs, x);
  tcE_line(g, "    %s = %s;\n", bis, i);
  tcE_line(g, "  }\n");
  tcE_line(g, "}\n");
  tcE_line(g, "%s = %s;\n", res, bis);
  g->indent--;
  if (guard) {
    tcE_line(g, "} else {\n");
    g->indent++;
    const char *seq = emit_reduce_seq(kx, e, "0", E);
    tcE_line(g, "%s = %s;\n", res, seq);
    g->indent--;
  }
  tcE_line(g, "}\n");
  return res;
}

/* The bounds of REDUCE e (its range's, evaluated once, or 0 and its
   extent): returns the end, *lo the start, after the "of nothing" check
   (reduce_empty_check). */
static const char *reduce_bounds(kemit *kx, const tc_sexpr *e, const char **lo) {
  const char *E;
  *lo = "0";
  if (e->nargs == 3) {
    /* a data-dependent range: its identity when empty (loop.h) */
    *lo = emit_sx(kx, e->args[1], 0);
    E = emit_sx(kx, e->args[2], 0);
  } else {
    E = ext_name(kx, e->ext);
  }
  reduce_empty_check(kx, e, E);
  return E;
}

static const char *emit_reduce(kemit *kx, const tc_sexpr *e) {
  const char *lo, *E = reduce_bounds(kx, e, &lo);
  if (tc_loop_reduce_in_lanes(e)) return emit_reduce_lanes(kx, e, lo, E);
  if (argbest_vec_ok(kx, e)) return emit_argbest_vec(kx, e, E);
  return emit_reduce_seq(kx, e, lo, E);
}

/* REDUCE e over lo..E-1 in order (the reduction variable's loop). */
static const char *emit_reduce_seq(kemit *kx, const tc_sexpr *e, const char *lo, const char *E) {
  tcE_cg *g = kx->g;
  const tc_sexpr *body = e->args[0];
  const char *r = kstr(kx, "%s%d", kx->nm.r, e->var);
  int arg = e->red == TC_OP_ARGMAX || e->red == TC_OP_ARGMIN;
  char *acc = new_v(kx), *best = NULL;
  tc_buf init = {0};
  if (arg) {
    best = new_v(kx);
    tcE_scalar_reduce_init(g, &init, TC_OP_SUM, body->dtype);
    tcE_line(g, "int64_t %s = 0;\n", acc);
    tcE_line(g, "%s %s = %s;\n", tcE_value_ctype(body->dtype), best, init.data);
  } else {
    tcE_scalar_reduce_init(g, &init, e->red, e->dtype);
    tcE_line(g, "%s %s = %s;\n", tcE_value_ctype(e->dtype), acc, init.data);
  }
  tc_buf_free(&init);
  tcE_line(g, "for (int64_t %s = %s; %s < %s; %s++) {\n", r, lo, r, E, r);
  g->indent++;
  int save = kx->memos.len;
  const char *x = emit_sx(kx, body, 0);
  if (arg) {
    const char *c = e->red == TC_OP_ARGMAX ? ">" : "<";
    /* the first extreme wins; a NaN beats any number (the first NaN) */
    if (tc_dtype_is_float(body->dtype))
      tcE_line(g, "if (%s == 0 || %s %s %s || (%s != %s && %s == %s)) {\n", r, x, c, best,
               x, x, best, best);
    else
      tcE_line(g, "if (%s == 0 || %s %s %s) {\n", r, x, c, best);
    tcE_line(g, "  %s = %s;\n", best, x);
    tcE_line(g, "  %s = %s;\n", acc, r);
    tcE_line(g, "}\n");
  } else {
    tcE_scalar_reduce_step(g, e->red, e->dtype, acc, x);
  }
  kx->memos.len = save;
  g->indent--;
  tcE_line(g, "}\n");
  return acc;
}

/* The C expression (a name or a literal) of e's value, after writing the
   statements computing it.  in_index: e is (part of) an index of a load
   in a stage whose indices are in range by construction, where i64
   arithmetic cannot overflow and is written inline. */
static const char *strip_index(kemit *kx, const tc_sexpr *e);

static const char *emit_sx(kemit *kx, const tc_sexpr *e, int in_index) {
  tc_buf b = {0};
  switch (e->op) {
  case TC_OP_CONST:
    tcE_scalar_literal(kx->g, &b, e->dtype, e->num, e->inum);
    break;
  case TC_OP_IVAR: /* "0" for an axis of extent 1 written without a loop */
    if (e->var < TC_MAX_RANK && kx->ivar_as[e->var]) return kx->ivar_as[e->var];
    if (e->var < TC_MAX_RANK && (kx->zero_ivars >> e->var & 1)) return "0";
    return kstr(kx, "%s%d", kx->nm.i, e->var);
  case TC_OP_RVAR:
    for (int i = kx->nrvar_as - 1; i >= 0; i--)
      if (kx->rvar_as[i].var == e->var) return kx->rvar_as[i].s;
    return kstr(kx, "%s%d", kx->nm.r, e->var);
  case TC_OP_EXTENT: return ext_name(kx, e->ext);
  default: break;
  }
  if (b.data) {
    char *s = tc_arena_strdup(&kx->ar, b.data);
    tc_buf_free(&b);
    return s;
  }
  const char *known = memo_find(kx, e);
  if (known) return known;
  if (in_index && !kx->s->checked && is_index_arith(e)) {
    if (kx->strip_col) return strip_index(kx, e);
    const char *a = emit_sx(kx, e->args[0], 1), *c = emit_sx(kx, e->args[1], 1);
    const char *o = e->op == TC_OP_ADD ? "+" : e->op == TC_OP_SUB ? "-" : "*";
    return kstr(kx, "(%s %s %s)", a, o, c);
  }
  const char *name;
  switch (e->op) {
  case TC_OP_LOAD: name = emit_load(kx, e); break;
  case TC_OP_WHERE: name = emit_where(kx, e); break;
  case TC_OP_REDUCE: name = emit_reduce(kx, e); break;
  default: {
    const char *a[3] = {NULL, NULL, NULL};
    assert(e->nargs <= 3);
    for (int i = 0; i < e->nargs; i++) a[i] = emit_sx(kx, e->args[i], 0);
    if ((e->op == TC_OP_FLOORDIV || e->op == TC_OP_MOD) && !tc_dtype_is_float(e->dtype)) {
      const tc_sexpr *d = e->args[1];
      if (!(d->op == TC_OP_CONST && d->inum != 0))
        tcE_line(kx->g, "if (%s == 0) %s /* integer division by zero */\n", a[1],
                 fail(kx, "TC_EINVAL"));
    }
    tcE_scalar_op(kx->g, &b, e->op, e->dtype, e->nargs ? e->args[0]->dtype : e->dtype, a,
                  e->num);
    if (!strcmp(b.data, a[0])) { /* a no-op, such as bf16 -> f32 */
      tc_buf_free(&b);
      name = a[0];
      break;
    }
    char *v = new_v(kx);
    tcE_line(kx->g, "const %s %s = %s;\n", tcE_value_ctype(e->dtype), v, b.data);
    tc_buf_free(&b);
    name = v;
  }
  }
  return memo_put(kx, e, (char *)name);
}

/* The largest index variable e uses, or -1. */
static int max_ivar(const tc_sexpr *e) {
  int m = e->op == TC_OP_IVAR ? e->var : -1;
  for (int i = 0; i < e->nargs; i++) {
    int x = max_ivar(e->args[i]);
    if (x > m) m = x;
  }
  return m;
}

/* An accumulating stage (loop.h): out = init, then over the domain
   out[idx] red= body.  Each index is computed, and checked against out's
   extent, in the outermost loop where all its variables are known. */
/* buffer b at offset off red= x: the element loaded into a variable of
   dtype t, the step, the store (rounding a bf16 element once). */
static void accumulate(kemit *kx, int b, const char *off, tc_op red, tc_dtype t,
                       const char *x) {
  tcE_cg *g = kx->g;
  const tc_lbuf *o = &kx->p->bufs.data[b];
  const char *out = buf_cname(kx, b);
  char *acc = new_v(kx);
  tc_buf ld = {0}, st = {0};
  tcE_scalar_load(g, &ld, o->dtype, kstr(kx, "%s[%s]", out, off));
  tcE_line(g, "%s %s = %s;\n", tcE_value_ctype(o->dtype), acc, ld.data);
  tcE_scalar_reduce_step(g, red, t, acc, x);
  tcE_scalar_store(g, &st, o->dtype, acc);
  tcE_line(g, "%s[%s] = %s;\n", out, off, st.data);
  tc_buf_free(&ld);
  tc_buf_free(&st);
}

static void emit_accum_stage(kemit *kx, const tc_stage *s) {
  tcE_cg *g = kx->g;
  const tc_lbuf *o = &kx->p->bufs.data[s->out];
  const char *out = buf_cname(kx, s->out);
  int base = g->indent;
  tc_buf lit = {0}, st = {0};
  tcE_scalar_literal(g, &lit, o->dtype, s->init->num, s->init->inum);
  tcE_scalar_store(g, &st, o->dtype, lit.data);
  const char *i0 = kstr(kx, "%s0", kx->nm.i);
  tcE_line(g, "for (int64_t %s = 0; %s < %s; %s++) %s[%s] = %s;\n", i0, i0,
           kx->count[s->out], i0, out, i0, st.data);
  tc_buf_free(&lit);
  tc_buf_free(&st);
  const char *idx[TC_MAX_RANK];
  int done[TC_MAX_RANK] = {0};
  for (int depth = 0; depth <= s->dom_rank; depth++) {
    if (depth > 0) {
      const char *iv = kstr(kx, "%s%d", kx->nm.i, depth - 1);
      tcE_line(g, "for (int64_t %s = 0; %s < %s; %s++) {\n", iv, iv,
               ext_name(kx, s->dom[depth - 1]), iv);
      g->indent++;
    }
    for (int d = 0; d < o->rank; d++) {
      if (done[d] || max_ivar(s->idx[d]) >= depth) continue;
      done[d] = 1;
      idx[d] = emit_sx(kx, s->idx[d], 0);
      if (!tc_loop_index_in_range(kx->p, s, s->idx[d], o->shape[d], s->body))
        tcE_line(g, "if ((uint64_t)%s >= (uint64_t)%s) %s\n", idx[d],
                 ext_name(kx, o->shape[d]), fail(kx, "TC_EINDEX"));
    }
  }
  accumulate(kx, s->out, linear(kx, o, idx), s->red, o->dtype, emit_sx(kx, s->body, 0));
  while (g->indent > base) {
    g->indent--;
    tcE_line(g, "}\n");
  }
}

/* ---- parallel loops ------------------------------------------------------ */

/* The least work (in scalar-expression nodes evaluated, a load or an add
   counting 1) a loop nest needs before it is split across threads,
   measured with `make -C bench chunk` (bench/ew/chunk.c; the table is in
   bench/README.md) on a quiet machine: 2 threads were 1.5x as fast as one
   from 16K elements of the `chain` loop (9 nodes an element, 147K
   nodes), and 1.2x from 32 rows of 1024 of the softmax row loop (360K
   nodes; break-even at 8 rows).  The threshold sits between the two, a
   power of two. */
#define TCE_PAR_MIN_WORK 262144.0

/* An amount of work: the constant v, or (sym) the C expression
   s * k + v of type double, where s is a product of extents and
   parenthesized sums, so that the test reads "(double)C * 3.0 + 4.0". */
typedef struct work {
  int sym;
  double v, k;
  const char *s;
} work;

static work work_const(double v) { return (work){0, v, 1, NULL}; }

/* s * k, without the constant term. */
static const char *work_term(kemit *kx, work w) {
  return w.k == 1 ? w.s : kstr(kx, "%s * %.1f", w.s, w.k);
}

static const char *work_str(kemit *kx, work w) {
  if (!w.sym) return kstr(kx, "%.1f", w.v);
  return w.v == 0 ? work_term(kx, w) : kstr(kx, "%s + %.1f", work_term(kx, w), w.v);
}

static work work_op(kemit *kx, work a, work b, char op) {
  if (!a.sym && !b.sym) return work_const(op == '*' ? a.v * b.v : a.v + b.v);
  if (b.sym && !a.sym) { /* the constant second */
    work t = a;
    a = b;
    b = t;
  }
  if (op == '+') {
    if (!b.sym) return (work){1, a.v + b.v, a.k, a.s};
    if (!strcmp(a.s, b.s)) return (work){1, a.v + b.v, a.k + b.k, a.s}; /* B*3 + B*4 */
    return (work){1, a.v + b.v, 1,
                  kstr(kx, "(%s + %s)", work_term(kx, a), work_term(kx, b))};
  }
  if (!b.sym) return b.v == 0 ? work_const(0) : (work){1, a.v * b.v, a.k * b.v, a.s};
  /* a product of two sums: each a factor, its coefficient kept outside
     when it has no constant term */
  const char *fa = a.v == 0 ? a.s : kstr(kx, "(%s)", work_str(kx, a));
  const char *fb = b.v == 0 ? b.s : kstr(kx, "(%s)", work_str(kx, b));
  double k = (a.v == 0 ? a.k : 1) * (b.v == 0 ? b.k : 1);
  return (work){1, 0, k, kstr(kx, "%s * %s", fa, fb)};
}

static work work_ext(kemit *kx, const tc_ext *e) {
  int64_t v;
  if (tc_ext_is_const(e, &v)) return work_const((double)v);
  return (work){1, 0, 1, kstr(kx, "(double)%s", ext_name(kx, e))};
}

/* The nodes evaluated for one element of a stage with body e. */
static work sx_work(kemit *kx, const tc_sexpr *e) {
  if (e->op == TC_OP_REDUCE) {
    work body = sx_work(kx, e->args[0]);
    /* a data-dependent range: its length is unknown; count it as one */
    work n = e->ext ? work_ext(kx, e->ext) : work_const(1);
    return work_op(kx, work_const(1), work_op(kx, n, body, '*'), '+');
  }
  work w = work_const(1);
  for (int i = 0; i < e->nargs; i++) w = work_op(kx, w, sx_work(kx, e->args[i]), '+');
  return w;
}

/* Inserts `text` into the output at offset `at`. */
static void insert_text(tcE_cg *g, size_t at, const char *text) {
  char *tail = tc_xstrdup(g->o->data + at);
  g->o->len = at;
  g->o->data[at] = 0;
  tc_buf_puts(g->o, text);
  tc_buf_puts(g->o, tail);
  free(tail);
}

static int needs_empty_check(const tc_sexpr *e) {
  int64_t v;
  return e->op == TC_OP_REDUCE && e->nargs != 3 && !e->inum &&
         (e->red == TC_OP_MAX || e->red == TC_OP_MIN || e->red == TC_OP_ARGMAX ||
          e->red == TC_OP_ARGMIN) &&
         !(tc_ext_is_const(e->ext, &v) && v > 0);
}

/* Collects into kx->hoisted the REDUCEs needing an "of nothing" check
   that every element of the stage evaluates: not inside a REDUCE's body
   or a WHERE's branch.  Returns 0 when another such REDUCE sits where it
   is evaluated only sometimes. */
static int collect_empty_checks(kemit *kx, const tc_sexpr *e, int always) {
  int ok = 1;
  if (needs_empty_check(e)) {
    if (!always) return 0;
    TC_VEC_PUSH(kx->hoisted, e);
  }
  for (int i = 0; i < e->nargs; i++) {
    int sometimes = (e->op == TC_OP_WHERE && i > 0) || (e->op == TC_OP_REDUCE && i == 0);
    ok &= collect_empty_checks(kx, e->args[i], always && !sometimes);
  }
  return ok;
}

/* The "max of nothing" checks of a MAP stage, written before its loops
   rather than inside them, so that the nest has no way out and can run
   parallel.  Only where this keeps the return code: the stage has no other
   failure (unchecked, no integer division by a variable) that could come
   first, every element evaluates the REDUCE, and the check applies only
   when the stage has elements. */
static void hoist_empty_checks(kemit *kx, const tc_stage *s) {
  /* appends to kx->hoisted: a nest hoists the checks of all its stages */
  int base = kx->hoisted.len;
  if (s->checked || tc_loop_sx_may_divide_by_zero(s->body)) return;
  if (!collect_empty_checks(kx, s->body, 1)) {
    kx->hoisted.len = base;
    return;
  }
  const char *n = kx->count[s->out];
  int lit = n[0] >= '0' && n[0] <= '9';
  if (lit && !strcmp(n, "0")) { /* never evaluated */
    kx->hoisted.len = base;
    return;
  }
  for (int i = base; i < kx->hoisted.len; i++) {
    const tc_sexpr *e = kx->hoisted.data[i];
    const char *E = ext_name(kx, e->ext);
    int dup = 0;
    /* the same extent checked for this stage already (another stage of a
       nest has another element count: its check stays) */
    for (int j = base; j < i; j++) dup |= tc_ext_equal(kx->hoisted.data[j]->ext, e->ext);
    if (dup) continue;
    if (lit)
      tcE_line(kx->g, "if (%s == 0) %s /* %s of nothing */\n", E, fail(kx, "TC_EINVAL"),
               tc_op_name(e->red));
    else
      tcE_line(kx->g, "if (%s > 0 && %s == 0) %s /* %s of nothing */\n", n, E,
               fail(kx, "TC_EINVAL"), tc_op_name(e->red));
  }
}

/* How the outlined copy of a loop nest (pool_wrap) gets identifier `id`
   of P_run: 1 and its C type in *type when it is passed in the argument
   struct, 0 when it is not a local of P_run (a local of the nest, a
   function, a keyword), -1 when it cannot be passed (a csr part). */
static int pool_capture(kemit *kx, const char *id, const char **type) {
  const tc_loop_prog *p = kx->p;
  for (int b = 0; b < p->bufs.len; b++) {
    const tc_lbuf *x = &p->bufs.data[b];
    if (x->kind == TC_LBUF_ALIAS) continue;
    if (x->kind == TC_LBUF_ARG && x->format != TC_FMT_DENSE) {
      for (int f = 0; f < 4; f++)
        if (kx->nm.part[x->arg][f] && !strcmp(kx->nm.part[x->arg][f], id)) return -1;
      continue;
    }
    if (strcmp(buf_cname(kx, b), id)) continue;
    if (x->local) return 0; /* an array declared inside the nest */
    int out = 0;
    for (int s = kx->nest_first; s <= kx->nest_last; s++)
      out |= !strcmp(buf_cname(kx, kx->p->stages.data[s].out), id);
    *type = kstr(kx, "%s%s *", out ? "" : "const ", tc_dtype_ctype(x->dtype));
    return 1;
  }
  for (int j = 0; j < kx->k->dims.len; j++)
    if (!strcmp(kx->nm.dim[j], id)) {
      *type = "int64_t";
      return 1;
    }
  for (int i = 0; i < kx->ext.len; i++)
    if (!strcmp(kx->ext.name[i], id)) {
      *type = "int64_t";
      return 1;
    }
  return 0;
}

/* Collects into ids/types the identifiers of P_run that text uses (each
   once, in order of first use).  Returns 0 when one cannot be passed. */
static int pool_scan(kemit *kx, const char *text, const char **ids, const char **types, int *n,
                     int max) {
  const char *c = text;
  while (*c) {
    if (c[0] == '/' && c[1] == '*') { /* a comment: its words are not code */
      const char *end = strstr(c + 2, "*/");
      c = end ? end + 2 : c + strlen(c);
      continue;
    }
    if (*c >= '0' && *c <= '9') {
      while ((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
             *c == '_' || *c == '.')
        c++;
      continue;
    }
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || *c == '_')) {
      c++;
      continue;
    }
    const char *st = c;
    while ((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
           *c == '_')
      c++;
    const char *id = kstr(kx, "%.*s", (int)(c - st), st);
    const char *type = NULL;
    int r = pool_capture(kx, id, &type);
    if (r < 0) return 0;
    if (r == 0) continue;
    int dup = 0;
    for (int i = 0; i < *n; i++) dup |= !strcmp(ids[i], id);
    if (dup) continue;
    if (*n == max) return 0;
    ids[*n] = id;
    types[*n] = type;
    ++*n;
  }
  return 1;
}

/* A loop that pool_wrap splits, read from its header (pool_loop_read):
   "for (int64_t var = 0; var < ext; var++) {", or "var += step" for a
   loop over tiles or vectors; cnt is its number of iterations, as C. */
typedef struct pool_loop {
  const char *var, *ext, *cnt;
  int step;
} pool_loop;

/* 1 when C text s is a decimal literal. */
static int is_digits(const char *s) { return *s && strspn(s, "0123456789") == strlen(s); }

/* C expression s as an operand of * / %: in parentheses when it has an
   operator (the expressions here have spaces around theirs). */
static const char *operand(kemit *kx, const char *s) {
  return strchr(s, ' ') ? kstr(kx, "(%s)", s) : s;
}

/* Reads the loop header the line at `line` holds (indented, the form
   above: how the emitter opens the loops a parallel nest starts with)
   into *l.  Returns 0 when the line is not such a header. */
static int pool_loop_read(kemit *kx, const char *line, pool_loop *l) {
  static const char head[] = "for (int64_t ";
  const char *nl = strchr(line, '\n');
  while (*line == ' ') line++;
  if (!nl || strncmp(line, head, sizeof head - 1)) return 0;
  const char *v = line + sizeof head - 1, *ve = strstr(v, " = 0; ");
  if (!ve || ve > nl) return 0;
  size_t vn = (size_t)(ve - v);
  const char *c = ve + 6; /* "var < ext; var++) {" */
  if (strncmp(c, v, vn) || strncmp(c + vn, " < ", 3)) return 0;
  const char *e = c + vn + 3, *ee = strstr(e, "; ");
  if (!ee || ee > nl || strncmp(ee + 2, v, vn)) return 0;
  c = ee + 2 + vn;
  int step = 1, used = 0;
  if (strncmp(c, "++) {\n", 6) &&
      (sscanf(c, " += %d) {%n", &step, &used) != 1 || c + used != nl || step < 1))
    return 0;
  l->var = kstr(kx, "%.*s", (int)vn, v);
  l->ext = kstr(kx, "%.*s", (int)(ee - e), e);
  l->step = step;
  if (step == 1)
    l->cnt = l->ext;
  else if (is_digits(l->ext))
    l->cnt = kstr(kx, "%lld", (atoll(l->ext) + step - 1) / step);
  else
    l->cnt = kstr(kx, "(%s / %d + (%s %% %d != 0))", l->ext, step, l->ext, step); /* (no overflow) */
  return 1;
}

/* The product of the counts of loops L[from..n-1] as C ("1" for none),
   its literal factors folded into one. */
static const char *pool_count_product(kemit *kx, const pool_loop *L, int from, int n) {
  const char *one = NULL, *prod = NULL; /* a symbolic count; their product */
  int64_t lit = 1;
  int nsym = 0;
  for (int i = from; i < n; i++) {
    if (is_digits(L[i].cnt)) {
      lit *= atoll(L[i].cnt); /* (part of pool_wrap's total: no overflow) */
      continue;
    }
    const char *f = operand(kx, L[i].cnt);
    prod = nsym++ ? kstr(kx, "%s * %s", prod, f) : f;
    one = L[i].cnt;
  }
  if (nsym == 0) return kstr(kx, "%lld", (long long)lit);
  if (lit == 1) return nsym == 1 ? one : prod;
  return kstr(kx, "%s * %lld", prod, (long long)lit);
}

/* Wraps the loop nest written from offset `at` for the parallel paths:
   `omp` is the OpenMP pragma block to put above it, which collapses its
   first `nsplit` loops (at least 1; each opened by a header of the form
   pool_loop_read reads, each iteration of them writing its own elements).
   Under TENSORC_POOL without _OPENMP, the nest runs through
   tc_parallel_for (spec/abi.md), and on the intrinsics targets under
   OpenMP through tc_omp_for: a copy of it becomes a static function
   before P_run, taking a struct of the pointers and extents it uses, and
   running over [lo, hi) of the iterations of those nsplit loops taken as
   one (the same iteration space as the collapse(); one loop of them
   keeps its header, several are stepped through as an odometer from lo's
   indices); `cond` (NULL: always) says when the work is worth the
   threads, else the function runs on all of them on the calling thread.
   Each iteration writes its own elements with the same code as the
   serial loop, so any split gives bitwise the same result. */
static void pool_wrap(kemit *kx, size_t at, const char *omp, int nsplit, const char *cond) {
  tcE_cg *g = kx->g;
  const char *nest = kstr(kx, "%s", g->o->data + at);
  /* the split loops' headers, the body inside them, the lines closing them */
  pool_loop L[2 * TC_MAX_RANK];
  assert(nsplit >= 1 && nsplit <= 2 * TC_MAX_RANK);
  const char *body = nest;
  for (int i = 0; i < nsplit; i++) {
    int read = pool_loop_read(kx, body, &L[i]);
    assert(read && "a parallel nest opens with the loops its pragma collapses");
    (void)read;
    body = strchr(body, '\n') + 1;
  }
  size_t blen = strlen(body);
  for (int i = 0; i < nsplit; i++) {
    assert(blen >= 2 && body[blen - 1] == '\n' && body[blen - 2] == '}');
    blen--;
    while (blen > 0 && body[blen - 1] != '\n') blen--;
  }
  body = kstr(kx, "%.*s", (int)blen, body);
  /* their number of iterations: total is the product of the literal
     counts, S[0..ns-1] are the others */
  const char *S[2 * TC_MAX_RANK];
  int64_t total = 1;
  int ns = 0, overflow = 0;
  for (int i = 0; i < nsplit; i++) {
    if (is_digits(L[i].cnt))
      overflow |= __builtin_mul_overflow(total, (int64_t)atoll(L[i].cnt), &total);
    else
      S[ns++] = L[i].cnt;
  }
  enum { MAXCAP = 64 };
  const char *ids[MAXCAP], *types[MAXCAP];
  int n = 0;
  const names *nm = &kx->nm;
  const char *pa = kstr(kx, "%s5", nm->n), *plo = kstr(kx, "%s6", nm->n),
             *phi = kstr(kx, "%s7", nm->n), *ps = kstr(kx, "%s8", nm->n),
             *pf = kstr(kx, "%s9", nm->n);
  /* something to split: not a constant count below 2 (nor one too large,
     which only an empty nest can have) */
  int several = !overflow && (ns ? total > 0 : total >= 2);
  /* the function's loop over [lo, hi): the split loop's own header, or
     the indices of iteration lo of several */
  const char *vars = L[0].var; /* "i0, i1 and i2" */
  for (int i = 1; i < nsplit; i++)
    vars = kstr(kx, "%s%s %s", vars, i + 1 < nsplit ? "," : " and", L[i].var);
  tc_buf head = {0};
  if (several && nsplit == 1 && L[0].step == 1) {
    tc_buf_printf(&head, "  for (int64_t %s = %s; %s < %s; %s++) {\n", L[0].var, plo, L[0].var,
                  phi, L[0].var);
  } else if (several && nsplit == 1) {
    tc_buf_printf(&head, "  for (int64_t %s = %s * %d; %s < %s * %d && %s < %s; %s += %d) {\n",
                  L[0].var, plo, L[0].step, L[0].var, phi, L[0].step, L[0].var, L[0].ext,
                  L[0].var, L[0].step);
  } else if (several) {
    tc_buf_printf(&head,
                  "  /* loops %s as one over their iterations [%s, %s): the\n"
                  "     indices of iteration %s, then stepped as the nested loops step them */\n",
                  vars, plo, phi, plo);
    tc_buf_printf(&head, "  if (%s >= %s) return; /* (then a count may be 0: no division) */\n",
                  plo, phi);
    for (int i = 0; i < nsplit; i++) {
      const char *below = pool_count_product(kx, L, i + 1, nsplit);
      const char *v = plo;
      if (strcmp(below, "1")) v = kstr(kx, "%s / %s", plo, operand(kx, below));
      if (i > 0) v = kstr(kx, "%s %% %s", v, operand(kx, L[i].cnt));
      if (L[i].step != 1) v = kstr(kx, "%s * %d", operand(kx, v), L[i].step);
      tc_buf_printf(&head, "  int64_t %s = %s;\n", L[i].var, v);
    }
    tc_buf_printf(&head, "  for (int64_t %s = %s; %s < %s; %s++) {\n", pf, plo, pf, phi, pf);
  }
  int ok = several && pool_scan(kx, body, ids, types, &n, MAXCAP) &&
           pool_scan(kx, head.data, ids, types, &n, MAXCAP) && n > 0;
  if (!ok) {
    tc_buf_free(&head);
    /* intrinsics targets: clang does not give OpenMP's outlined body the
       function's target attribute (gcc does), so under clang a nest with
       intrinsics in it stays serial; one in scalar code keeps its pragma */
    if (!kx->vec || !strstr(nest, "_mm")) {
      insert_text(g, at, omp);
    } else {
      assert(!strncmp(omp, "#ifdef _OPENMP\n", 15));
      insert_text(g, at, kstr(kx, "#if defined(_OPENMP) && !defined(__clang__)\n%s", omp + 15));
    }
    return;
  }
  const char *fn = kstr(kx, "%s_pool%d", kx->P, kx->npool++);
  tc_buf b = {0};
  int ind = g->indent;
#define IND(k)                                                  \
  do {                                                          \
    for (int i_ = 0; i_ < (k); i_++) tc_buf_puts(&b, "  ");     \
  } while (0)
  /* the call site: the struct, the number of iterations, and how the
     function runs on all of them: split by `split` when worth it */
  const char *cnt = pf; /* computed below */
  if (ns == 0)
    cnt = kstr(kx, "%lld", (long long)total);
  else if (ns == 1 && total == 1)
    cnt = S[0];
#define CALL(split)                                                                 \
  do {                                                                              \
    IND(ind + 1);                                                                   \
    if (cond)                                                                       \
      tc_buf_printf(&b, "if (%s) %s(%s, %s, &%s);\n", cond, split, cnt, fn, ps);    \
    else                                                                            \
      tc_buf_printf(&b, "%s(%s, %s, &%s);\n", split, cnt, fn, ps);                  \
    if (cond) {                                                                     \
      IND(ind + 1);                                                                 \
      tc_buf_printf(&b, "else %s(&%s, 0, %s);\n", fn, ps, cnt);                     \
    }                                                                               \
  } while (0)
  if (!kx->vec) tc_buf_puts(&b, "#if defined(TENSORC_POOL) && !defined(_OPENMP)\n");
  IND(ind);
  tc_buf_puts(&b, "{\n");
  IND(ind + 1);
  tc_buf_printf(&b, "%s_args %s = {", fn, ps);
  for (int i = 0; i < n; i++) tc_buf_printf(&b, "%s%s", i ? ", " : "", ids[i]);
  tc_buf_puts(&b, "};\n");
  if (cnt == pf) {
    /* the product of the counts, checked: it overflows only when the loops
       inside have no iterations (the element counts were checked), and
       then there is nothing to run */
    for (int i = 0; i < ns; i++) S[i] = operand(kx, S[i]);
    IND(ind + 1);
    tc_buf_printf(&b, "/* the iterations of loops %s: %s, or 0 when that overflows\n", vars,
                  pool_count_product(kx, L, 0, nsplit));
    IND(ind + 1);
    tc_buf_puts(&b, "   (only a nest with empty inner loops can: its element counts passed) */\n");
    IND(ind + 1);
    if (ns == 1) {
      tc_buf_printf(&b, "const int64_t %s = %s > INT64_MAX / %lld ? 0 : %s * %lld;\n", pf, S[0],
                    (long long)total, S[0], (long long)total);
    } else {
      tc_buf_printf(&b, "int64_t %s = %s;\n", pf, S[0]);
      for (int i = 1; i < ns; i++) {
        IND(ind + 1);
        tc_buf_printf(&b, "%s = %s > 0 && %s > INT64_MAX / %s ? 0 : %s * %s;\n", pf, S[i], pf,
                      S[i], pf, S[i]);
      }
      if (total > 1) {
        IND(ind + 1);
        tc_buf_printf(&b, "%s = %s > INT64_MAX / %lld ? 0 : %s * %lld;\n", pf, pf,
                      (long long)total, pf, (long long)total);
      }
    }
  }
  if (kx->vec) {
    /* intrinsics targets run the function under OpenMP too (tc_omp_for):
       clang does not give OpenMP's outlined body the function's target
       attribute */
    kx->g->omp_for = 1;
    tc_buf_puts(&b, "#if defined(_OPENMP)\n");
    CALL("tc_omp_for");
    tc_buf_puts(&b, "#elif defined(TENSORC_POOL)\n");
    CALL("tc_parallel_for");
    tc_buf_puts(&b, "#else\n");
    IND(ind + 1);
    tc_buf_printf(&b, "%s(&%s, 0, %s);\n", fn, ps, cnt);
    tc_buf_puts(&b, "#endif\n");
    IND(ind);
    tc_buf_puts(&b, "}\n");
    /* the nest itself is the function's */
    g->o->len = at;
    g->o->data[at] = 0;
    tc_buf_puts(g->o, b.data);
  } else {
    CALL("tc_parallel_for");
    IND(ind);
    tc_buf_puts(&b, "}\n#else\n");
    tc_buf_puts(&b, omp);
    insert_text(g, at, b.data);
    tc_buf_puts(g->o, "#endif\n");
  }
#undef CALL
  b.len = 0;
  if (b.data) b.data[0] = 0;
  /* the function, before P_run */
  if (!kx->pool_decl) {
    kx->pool_decl = 1;
    tc_buf_puts(&b,
                "#ifdef TENSORC_POOL\n"
                "void tc_parallel_for(int64_t n, void (*body)(void *arg, int64_t lo, int64_t hi),\n"
                "                     void *arg);\n"
                "#endif\n\n");
  }
  if (!kx->vec) tc_buf_puts(&b, "#if defined(TENSORC_POOL) && !defined(_OPENMP)\n");
  tc_buf_printf(&b, "typedef struct %s_args {\n", fn);
  for (int i = 0; i < n; i++) {
    int ptr = types[i][strlen(types[i]) - 1] == '*';
    tc_buf_printf(&b, "  %s%s%s;\n", types[i], ptr ? "" : " ", ids[i]);
  }
  tc_buf_printf(&b, "} %s_args;\n\n", fn);
  tc_buf_printf(&b, "static %svoid %s(void *%s, int64_t %s, int64_t %s) {\n", kx->attr, fn, pa,
                plo, phi);
  tc_buf_printf(&b, "  const %s_args *%s = (const %s_args *)%s;\n", fn, ps, fn, pa);
  for (int i = 0; i < n; i++) {
    int ptr = types[i][strlen(types[i]) - 1] == '*';
    if (ptr)
      tc_buf_printf(&b, "  %sconst %s = %s->%s;\n", types[i], ids[i], ps, ids[i]);
    else
      tc_buf_printf(&b, "  const %s %s = %s->%s;\n", types[i], ids[i], ps, ids[i]);
  }
  tc_buf_puts(&b, head.data);
  tc_buf_free(&head);
  /* the body inside the split loops, re-indented to two levels */
  size_t strip = (size_t)(ind + nsplit - 2) * 2;
  for (const char *l = body; *l;) {
    const char *e = strchr(l, '\n');
    size_t len = e ? (size_t)(e - l) : strlen(l);
    size_t sk = 0;
    while (sk < strip && sk < len && l[sk] == ' ') sk++;
    tc_buf_printf(&b, "%.*s\n", (int)(len - sk), l + sk);
    if (!e) break;
    l = e + 1;
  }
  if (nsplit > 1) {
    /* the odometer: the innermost split loop steps, a loop at its end
       restarts and the one outside it steps */
    tc_buf_puts(&b, "    /* the next iteration's indices */\n");
    for (int i = nsplit - 1; i >= 0; i--) {
      const pool_loop *l = &L[i];
      for (int k = 0; k < nsplit - i; k++) tc_buf_puts(&b, "  ");
      if (i == 0 && l->step == 1)
        tc_buf_printf(&b, "  %s++;\n", l->var);
      else if (i == 0)
        tc_buf_printf(&b, "  %s += %d;\n", l->var, l->step);
      else if (l->step == 1)
        tc_buf_printf(&b, "  if (++%s == %s) {\n", l->var, l->ext);
      else
        tc_buf_printf(&b, "  if ((%s += %d) >= %s) {\n", l->var, l->step, l->ext);
      if (i > 0) {
        for (int k = 0; k < nsplit - i + 1; k++) tc_buf_puts(&b, "  ");
        tc_buf_printf(&b, "  %s = 0;\n", l->var);
      }
    }
    for (int i = 1; i < nsplit; i++) {
      for (int k = 0; k < nsplit - i; k++) tc_buf_puts(&b, "  ");
      tc_buf_puts(&b, "  }\n");
    }
  }
  tc_buf_puts(&b, kx->vec ? "  }\n}\n\n" : "  }\n}\n#endif\n\n");
#undef IND
  insert_text(g, kx->run_at, b.data);
  kx->run_at += b.len;
  tc_buf_free(&b);
}

/* The comment above a stage's loops: its DSL line and ops. */
static void stage_comment(kemit *kx, const tc_stage *s, const char *suffix) {
  tcE_line(kx->g, "/* %s:%d: %s%s */\n", s->loc.file ? s->loc.file : "?", s->loc.line,
           s->what ? s->what : "?", suffix);
}

/* ---- vector loops (intrinsics targets) --------------------------------- */

/* 1 when e is the lane variable (op IVAR or RVAR, id var). */
static int is_lane(const tc_sexpr *e, tc_op op, int var) { return e->op == op && e->var == var; }

/* e computes in vectors along lane variable (op, ax) (tc_loop_vec_ok). */
static int vec_sx_ok(kemit *kx, const tc_stage *s, const tc_sexpr *e, tc_op op, int ax) {
  return tc_loop_vec_ok(kx->p, s, e, op, ax, 0, NULL, NULL);
}

/* 1 when the innermost loop of MAP stage s (axis rank-1, a loop of its
   own: at least `from`) runs in vectors: an intrinsics target, and the
   `vectorize` pass said so (passes/vectorize.c). */
static int vec_stage_ok(kemit *kx, const tc_stage *s, int from) {
  const tc_lbuf *o = &kx->p->bufs.data[s->out];
  int ax = o->rank - 1;
  return kx->vec && s->vec && ax >= from && vec_sx_ok(kx, s, s->body, TC_OP_IVAR, ax);
}

static const char *vmemo_find(kemit *kx, const tc_sexpr *e) {
  for (int i = kx->vmemos.len - 1; i >= kx->vmemo_floor; i--)
    if (tc_loop_sx_equal(kx->vmemos.data[i].e, e)) return kx->vmemos.data[i].name;
  return NULL;
}

/* Writes `const <vector> v = <expr>;` and returns v. */
static const char *vdef(kemit *kx, const tc_sexpr *e, const char *type, tc_buf *expr) {
  char *v = new_v(kx);
  tcE_line(kx->g, "const %s %s = %s;\n", type, v, expr->data);
  tc_buf_free(expr);
  if (e) {
    memo mm = {e, v};
    TC_VEC_PUSH(kx->vmemos, mm);
  }
  return v;
}

static const char *emit_vsx(kemit *kx, const tc_sexpr *e, const char *m);

/* Op e without a vector form, on vectors a[]: each operand stored to an
   array, the scalar target's expression for each lane, the results
   loaded back (bitwise the scalar target's values). */
static const char *emit_lane_by_lane(kemit *kx, const tc_sexpr *e, const char *const *a) {
  tcE_cg *g = kx->g;
  tcE_visa isa = kx->visa;
  int L = tcE_vec_lanes(isa);
  const char *P = isa == TCE_VISA_AVX512 ? "_mm512" : "_mm256";
  const char *arr[3] = {NULL, NULL, NULL}, *el[3];
  tcE_line(g, "/* %s has no vector form: lane by lane */\n", tc_op_name(e->op));
  /* a constant operand stays a literal, as in the scalar code (gcc folds
     powf(x, 2.0f) to x * x there) */
  for (int i = 0; i < e->nargs; i++)
    if (e->args[i]->op != TC_OP_CONST) arr[i] = new_v(kx);
  const char *res = new_v(kx), *lane = new_v(kx);
  for (int i = 0; i < e->nargs; i++) {
    if (!arr[i]) {
      tc_buf lit = {0};
      tcE_scalar_literal(g, &lit, e->args[i]->dtype, e->args[i]->num, e->args[i]->inum);
      el[i] = kstr(kx, "%s", lit.data);
      tc_buf_free(&lit);
      continue;
    }
    tcE_line(g, "float %s[%d];\n", arr[i], L);
    tcE_line(g, "%s_storeu_ps(%s, %s);\n", P, arr[i], a[i]);
    el[i] = kstr(kx, "%s[%s]", arr[i], lane);
  }
  tcE_line(g, "float %s[%d];\n", res, L);
  tc_buf b = {0};
  tcE_scalar_op(g, &b, e->op, e->dtype, e->nargs ? e->args[0]->dtype : e->dtype, el, e->num);
  tcE_line(g, "for (int %s = 0; %s < %d; %s++) %s[%s] = %s;\n", lane, lane, L, lane, res, lane,
           b.data);
  b.len = 0;
  tc_buf_printf(&b, "%s_loadu_ps(%s)", P, res);
  return vdef(kx, e, tcE_vec_type(isa), &b);
}

/* `for (r = from; r < to; r++) acc = red(acc, body at r)` of REDUCE e in
   vectors (mask m), the body's values scoped to the loop. */
static void vred_rows(kemit *kx, const tc_sexpr *e, const char *m, const char *acc, const char *r,
                      const char *from, const char *to) {
  tcE_cg *g = kx->g;
  tc_buf b = {0};
  tcE_line(g, "for (int64_t %s = %s; %s < %s; %s++) {\n", r, from, r, to, r);
  g->indent++;
  int save = kx->memos.len, vsave = kx->vmemos.len, lsave = kx->strip_loads.len;
  const char *x = emit_vsx(kx, e->args[0], m);
  tcE_vec_red_combine(&b, kx->visa, e->red, acc, x);
  tcE_line(g, "%s = %s;\n", acc, b.data);
  tc_buf_free(&b);
  kx->memos.len = save;
  kx->vmemos.len = vsave;
  kx->strip_loads.len = lsave;
  g->indent--;
  tcE_line(g, "}\n");
}

/* A vertical reduction: each lane reduces its own element over r in
   order, as the scalar loop does (bitwise the same result).  The "max of
   nothing" check is the scalar one (reduce_empty_check). */
static const char *emit_vreduce(kemit *kx, const tc_sexpr *e, const char *m) {
  tcE_cg *g = kx->g;
  tcE_visa isa = kx->visa;
  const char *lo, *E = reduce_bounds(kx, e, &lo);
  const char *r = kstr(kx, "%s%d", kx->nm.r, e->var), *acc = new_v(kx);
  tc_buf init = {0}, b = {0};
  tcE_scalar_reduce_init(g, &init, e->red, e->dtype);
  tcE_vec_set1(&b, isa, init.data);
  tcE_line(g, "%s %s = %s;\n", tcE_vec_type(isa), acc, b.data);
  tc_buf_free(&init);
  tc_buf_free(&b);
  vred_rows(kx, e, m, acc, r, lo, E);
  memo mm = {e, (char *)acc};
  TC_VEC_PUSH(kx->vmemos, mm);
  return acc;
}

/* 1 when C expression s is a nonnegative integer literal, its value in *v. */
static int is_int_literal(const char *s, int64_t *v) {
  if (!is_digits(s) || strlen(s) > 18) return 0;
  *v = atoll(s);
  return 1;
}

/* 1 when a loop from lo to E (C literals or expressions) by `step` has
   whole vectors only: both are constants, E - lo a multiple of step. */
static int whole_vectors(const char *lo, const char *E, int step) {
  const char *digits = "0123456789";
  if (strspn(lo, digits) != strlen(lo) || strspn(E, digits) != strlen(E)) return 0;
  long long n = atoll(E) - atoll(lo);
  return n >= 0 && n % step == 0;
}

/* A vector loop whose vectors are not known to be whole writes its body
   twice: for a whole vector (no mask, the hot path) and for the last,
   partial one (a tail mask), as
     if (left >= lanes) { ... } else { ... }
   vsplit_begin opens it and returns the number of bodies to write (1 when
   every vector is whole), vsplit_next separates them, vsplit_end closes
   it.  Body k is whole when k == 0. */
static int vsplit_begin(kemit *kx, int whole, const char *left, int lanes) {
  if (whole) return 1;
  tcE_line(kx->g, "if (%s >= %d) { /* whole vectors */\n", left, lanes);
  kx->g->indent++;
  return 2;
}

static void vsplit_next(kemit *kx) {
  kx->g->indent--;
  tcE_line(kx->g, "} else { /* the last, partial vector */\n");
  kx->g->indent++;
}

static void vsplit_end(kemit *kx, int n) {
  if (n < 2) return;
  kx->g->indent--;
  tcE_line(kx->g, "}\n");
}

/* The mask of a vector with `left` elements left from its first lane:
   NULL for a whole vector (emit/vec.h: every lane), else a variable
   holding the tail mask. */
static const char *vec_mask(kemit *kx, int whole, const char *left) {
  if (whole) return NULL;
  tc_buf b = {0};
  tcE_vec_tail_mask(&b, kx->visa, left, kx->g->vec_tail);
  return vdef(kx, NULL, tcE_vec_mask_type(kx->visa), &b);
}

/* The vector variable holding e (vec_sx_ok) for the lanes of the lane
   variable from kx->lane_base on, mask m the lanes that exist. */
/* Index ix, the lane variable plus an index without it
   (tc_loop_lane_plus), at the first lane: kx->lane_base plus the rest. */
static const char *lane_index_rest(kemit *kx, const tc_sexpr *ix) {
  if (is_lane(ix, kx->lane_op, kx->lane_var)) return NULL;
  const tc_sexpr *a = ix->args[0], *b = ix->args[1];
  int left = ix->op == TC_OP_SUB || tc_loop_lane_plus(a, kx->lane_op, kx->lane_var);
  const char *r = lane_index_rest(kx, left ? a : b), *o = emit_sx(kx, left ? b : a, 1);
  if (ix->op == TC_OP_SUB) return r ? kstr(kx, "(%s) - %s", r, o) : kstr(kx, "-%s", o);
  return r ? kstr(kx, "(%s) + %s", r, o) : o;
}

static const char *lane_index(kemit *kx, const tc_sexpr *ix) {
  if (kx->strip_col && kx->strip_lane_at < 0) { /* in a strip: as strip_index writes it */
    kx->strip_lane_at = 0;
    const char *s = strip_index(kx, ix);
    kx->strip_lane_at = -1;
    return s;
  }
  const char *r = lane_index_rest(kx, ix);
  return r ? kstr(kx, "%s + (%s)", kx->lane_base, r) : kx->lane_base;
}

/* The mask (a C expression) of the lanes for which bool c holds
   (tc_loop_vec_ok's conditions of a WHERE that are not comparisons of
   floats). */
static int strip_known(const kemit *kx, const tc_sexpr *c);

static const char *lane_cond_mask(kemit *kx, const tc_sexpr *c) {
  tcE_visa isa = kx->visa;
  int z = isa == TCE_VISA_AVX512;
  const char *all = z ? "(__mmask16)0xFFFF" : "_mm256_castsi256_ps(_mm256_set1_epi32(-1))";
  const char *none = z ? "(__mmask16)0" : "_mm256_setzero_ps()";
  if (strip_known(kx, c)) return all; /* tested for the strip */
  if (!tc_loop_uses_lane(c, kx->lane_op, kx->lane_var))
    return kstr(kx, "(%s ? %s : %s)", emit_sx(kx, c, 1), all, none);
  if (c->op == TC_OP_LOGICAL_AND) {
    const char *a = lane_cond_mask(kx, c->args[0]), *b = lane_cond_mask(kx, c->args[1]);
    return z ? kstr(kx, "(__mmask16)(%s & %s)", a, b) : kstr(kx, "_mm256_and_ps(%s, %s)", a, b);
  }
  /* (lane + rest) OP bound, the lane variable on the left: lane l holds
     when l OP bound - (base + rest), so the lanes from or below t */
  int lane_left = tc_loop_lane_plus(c->args[0], kx->lane_op, kx->lane_var);
  tc_op op = c->op;
  if (!lane_left)
    op = op == TC_OP_LT ? TC_OP_GT : op == TC_OP_LE ? TC_OP_GE : op == TC_OP_GT ? TC_OP_LT : TC_OP_LE;
  const char *at = lane_index(kx, c->args[lane_left ? 0 : 1]);
  const char *bound = emit_sx(kx, c->args[lane_left ? 1 : 0], 1);
  const char *t = kstr(kx, "%s - (%s)%s", bound, at, op == TC_OP_LE || op == TC_OP_GT ? " + 1" : "");
  kx->g->vec_tail[isa] = 1;
  const char *below = z ? kstr(kx, "tc_tail_avx512(%s)", t)
                        : kstr(kx, "tc_tail_avx2(%s < 0 ? 0 : %s)", t, t); /* lanes l < t */
  if (op == TC_OP_LT || op == TC_OP_LE) return below;
  return z ? kstr(kx, "(__mmask16)~%s", below) : kstr(kx, "_mm256_andnot_ps(%s, %s)", below, all);
}

/* 1 when WHERE e's condition is on integers (emit_vwhere_int's, below). */
static int where_int(const tc_sexpr *e) {
  const tc_sexpr *c = e->args[0];
  return tc_op_class_of(c->op) != TC_OPC_CMP ||
         !(c->args[0]->dtype == TC_DT_F32 || c->args[0]->dtype == TC_DT_BF16);
}

/* WHERE e on a condition that is not a comparison of floats (integers:
   the padding of a convolution or a pool), holding for all lanes or none
   or for a range of them (tc_loop_vec_ok): its mask (within m), each
   branch's vector loads under it (so that the lanes the scalar code would
   not read read nothing), the values blended; the branches' values are
   not reused outside them. */
static const char *emit_vwhere_int(kemit *kx, const tc_sexpr *e, const char *m) {
  tcE_visa isa = kx->visa;
  int z = isa == TCE_VISA_AVX512;
  tc_buf b = {0};
  const char *c = lane_cond_mask(kx, e->args[0]);
  if (!m)
    tc_buf_puts(&b, c);
  else if (z)
    tc_buf_printf(&b, "(__mmask16)(%s & %s)", c, m);
  else
    tc_buf_printf(&b, "_mm256_and_ps(%s, %s)", c, m);
  const char *tm = vdef(kx, NULL, tcE_vec_mask_type(isa), &b);
  /* (written where it is used: a false branch is mostly a constant) */
  const char *ones = "_mm256_castsi256_ps(_mm256_set1_epi32(-1))";
  const char *fm = z ? (m ? kstr(kx, "(__mmask16)(~%s & %s)", tm, m) : kstr(kx, "(__mmask16)~%s", tm))
                     : kstr(kx, "_mm256_andnot_ps(%s, %s)", tm, m ? m : ones);
  int floor = kx->vmemo_floor, vsave = kx->vmemos.len;
  /* a condition on no lane: each branch's loads address the buffer's
     start when it reads nothing (kx->vwhere_ok) */
  const char *ok = kx->vwhere_ok, *sc = NULL;
  if (!tc_loop_uses_lane(e->args[0], kx->lane_op, kx->lane_var)) sc = emit_sx(kx, e->args[0], 1);
  kx->vmemo_floor = vsave;
  kx->vwhere++;
  if (sc) kx->vwhere_ok = ok ? kstr(kx, "%s && %s", ok, sc) : sc;
  const char *t = emit_vsx(kx, e->args[1], tm);
  kx->vmemos.len = kx->vmemo_floor = vsave;
  if (sc) kx->vwhere_ok = ok ? kstr(kx, "%s && !%s", ok, sc) : kstr(kx, "!%s", sc);
  const char *f = emit_vsx(kx, e->args[2], fm);
  kx->vwhere_ok = ok;
  kx->vwhere--;
  kx->vmemos.len = vsave;
  kx->vmemo_floor = floor;
  tcE_vec_blend(&b, isa, tm, t, f);
  return vdef(kx, e, tcE_vec_type(isa), &b);
}

/* The vector a strip keeps under key (NULL when there is none, or no
   strip), made known to the node memo as e (NULL: not by node). */
static const char *strip_memo_get(kemit *kx, const char *key, const tc_sexpr *e) {
  for (int i = key ? kx->strip_loads.len - 1 : -1; i >= 0; i--)
    if (!strcmp(kx->strip_loads.data[i].key, key)) {
      if (e) {
        memo mm = {e, (char *)kx->strip_loads.data[i].v};
        TC_VEC_PUSH(kx->vmemos, mm);
      }
      return kx->strip_loads.data[i].v;
    }
  return NULL;
}

/* Keeps vector v under key for the strip (nothing when key is NULL). */
static void strip_memo_put(kemit *kx, const char *key, const char *v) {
  if (!key) return;
  strip_load l = {key, v};
  TC_VEC_PUSH(kx->strip_loads, l);
}

/* The address of load e's element with `last` (C) as its last index. */
static const char *vload_addr(kemit *kx, const tc_sexpr *e, const char *last) {
  const tc_lbuf *x = &kx->p->bufs.data[e->ref];
  const char *idx[TC_MAX_RANK];
  for (int d = 0; d + 1 < e->nargs; d++) idx[d] = emit_sx(kx, e->args[d], 1);
  idx[e->nargs - 1] = last;
  kx->read[x->kind == TC_LBUF_ALIAS ? x->alias : e->ref] = 1;
  const char *nm = buf_cname(kx, e->ref);
  /* under a where() on integers the lanes not taken may index outside x
     (a window in the padding): the address computed as an integer, as
     no pointer may be, the masked load reading none of them (under a
     condition on no lane, the buffer's first element) */
  const char *off = linear(kx, x, idx);
  if (kx->vwhere && kx->vwhere_ok) off = kstr(kx, "%s ? %s : 0", kx->vwhere_ok, off);
  return kx->vwhere ? kstr(kx, "(const %s *)((uintptr_t)%s + (uintptr_t)(%s) * sizeof *%s)",
                           tc_dtype_ctype(x->dtype), nm, off, nm)
                    : kstr(kx, "&%s[%s]", nm, off);
}

/* The vector of load e (its lanes of mask m) with `last` (C) as its last
   index, that of the first lane of consecutive ones; known to the node
   memo as key_e (NULL: not by node). */
static const char *emit_vload(kemit *kx, const tc_sexpr *e, const char *last, const char *m,
                              const tc_sexpr *key_e) {
  tcE_visa isa = kx->visa;
  tc_buf b = {0};
  const tc_lbuf *x = &kx->p->bufs.data[e->ref];
  const char *addr = vload_addr(kx, e, last);
  /* in a strip, a vector loaded for one column or window position
     serves the others that load it (strip_index writes equal indices
     alike) */
  const char *key = kx->strip_col ? kstr(kx, "%s %s", addr, m ? m : "") : NULL;
  const char *known = strip_memo_get(kx, key, key_e);
  if (known) return known;
  if (x->dtype == TC_DT_BF16)
    tcE_vec_load_bf16(&b, isa, addr, m, kx->g->vbf16);
  else
    tcE_vec_load(&b, isa, addr, m);
  const char *v = vdef(kx, key_e, tcE_vec_type(isa), &b);
  strip_memo_put(kx, key, v);
  return v;
}

/* Load e whose last index is the lane group ((k // K) * K) + r
   (tc_loop_lane_group), each vector starting at a multiple of the lanes
   (kx->lane_aligned).  K below the lanes: the vector at the lanes' own
   indices k, its lane l then taking element (l // K) * K + r.  K a
   multiple of them: each vector inside one group, the element its first
   lane reads for every lane, broadcast (bf16: loaded as one lane, under
   the mask of the first lane and permuted); under a where() on no lane
   the branch not taken reads nothing, as emit_vload's. */
static const char *emit_vgroup(kemit *kx, const tc_sexpr *e, const tc_sexpr *k, int64_t K,
                               const tc_sexpr *r, const char *m) {
  assert(kx->lane_aligned && "a lane group in a vector loop not from 0");
  int lanes = tcE_vec_lanes(kx->visa), one = K >= lanes;
  const char *first = kx->visa == TCE_VISA_AVX512
                          ? "(__mmask16)1"
                          : "_mm256_castsi256_ps(_mm256_setr_epi32(-1, 0, 0, 0, 0, 0, 0, 0))";
  /* the group's element: the lanes' base rounded down to the group's
     start, plus r (one string for every column of a strip, whose
     broadcasts are then shared as its loads are) */
  const char *base = kx->lane_base; /* (aligned: a loop's variable) */
  const char *at = !one ? NULL
                   : r  ? kstr(kx, "(%s & -%lld) + %s", base, (long long)K, emit_sx(kx, r, 1))
                        : kstr(kx, "(%s & -%lld)", base, (long long)K);
  if (one && e->dtype == TC_DT_F32) {
    const char *addr = vload_addr(kx, e, at);
    const char *key = kx->strip_col ? kstr(kx, "one %s", addr) : NULL;
    const char *known = strip_memo_get(kx, key, e);
    if (known) return known;
    tc_buf b = {0};
    const char *x = addr[0] == '&' ? addr + 1 : kstr(kx, "*%s", addr);
    /* under a where() on no lane the branch may read nothing (x may have
       no elements, NULL): nor does the broadcast */
    assert((!kx->vwhere || kx->vwhere_ok) && "a lane group under a where() on the lanes");
    if (kx->vwhere) x = kstr(kx, "(%s ? %s : 0.0f)", kx->vwhere_ok, x);
    tcE_vec_set1(&b, kx->visa, x);
    const char *g = vdef(kx, e, tcE_vec_type(kx->visa), &b);
    strip_memo_put(kx, key, g);
    return g;
  }
  if (one && m) /* (lane 0 of a where()'s mask on no lane: its condition) */
    first = kx->visa == TCE_VISA_AVX512 ? kstr(kx, "(__mmask16)(%s & 1)", m)
                                        : kstr(kx, "_mm256_and_ps(%s, %s)", m, first);
  const char *v = one ? emit_vload(kx, e, at, first, NULL)
                      : emit_vload(kx, e, lane_index(kx, k), m, NULL);
  const char *rs = one ? "0" : r ? emit_sx(kx, r, 1) : "0";
  if (one) K = lanes; /* (every lane from lane 0) */
  const char *key = kx->strip_col ? kstr(kx, "%s group %lld + %s", v, (long long)K, rs) : NULL;
  const char *known = strip_memo_get(kx, key, e);
  if (known) return known;
  tc_buf b = {0};
  tcE_vec_lane_group(&b, kx->visa, v, K, rs);
  const char *g = vdef(kx, e, tcE_vec_type(kx->visa), &b);
  strip_memo_put(kx, key, g);
  return g;
}

static const char *emit_vsx(kemit *kx, const tc_sexpr *e, const char *m) {
  const char *known = vmemo_find(kx, e);
  if (known) return known;
  tcE_visa isa = kx->visa;
  const char *vt = tcE_vec_type(isa);
  tc_buf b = {0};
  switch (e->op) {
  case TC_OP_CONST: {
    tc_buf lit = {0};
    tcE_scalar_literal(kx->g, &lit, e->dtype, e->num, 0);
    tcE_vec_set1(&b, isa, lit.data);
    tc_buf_free(&lit);
    return vdef(kx, e, vt, &b);
  }
  case TC_OP_LOAD: {
    if (kx->vlocal[e->ref]) return kx->vlocal[e->ref]; /* a nest's local element */
    int64_t K = 0;
    const tc_sexpr *last = e->nargs ? e->args[e->nargs - 1] : NULL, *r = NULL, *k;
    if (last && (k = tc_loop_lane_group(last, kx->lane_op, kx->lane_var, &K, &r)) != NULL)
      return emit_vgroup(kx, e, k, K, r, m);
    if (!last || !(is_lane(last, kx->lane_op, kx->lane_var) ||
                   (kx->lane_op == TC_OP_IVAR && tc_loop_lane_plus(last, kx->lane_op, kx->lane_var)))) {
      /* one value for all lanes (a rank-0 tensor's too) */
      tcE_vec_set1(&b, isa, emit_sx(kx, e, 0));
      return vdef(kx, e, vt, &b);
    }
    return emit_vload(kx, e, lane_index(kx, last), m, e);
  }
  case TC_OP_REDUCE: return emit_vreduce(kx, e, m);
  case TC_OP_WHERE: {
    const tc_sexpr *c = e->args[0];
    if (where_int(e)) return emit_vwhere_int(kx, e, m);
    const char *ca = emit_vsx(kx, c->args[0], m), *cb = emit_vsx(kx, c->args[1], m);
    tcE_vec_cmp(&b, isa, c->op, ca, cb);
    const char *cm = vdef(kx, c, tcE_vec_mask_type(isa), &b);
    const char *t = emit_vsx(kx, e->args[1], m), *f = emit_vsx(kx, e->args[2], m);
    tcE_vec_blend(&b, isa, cm, t, f);
    return vdef(kx, e, vt, &b);
  }
  case TC_OP_CAST: { /* between f32 and bf16 (vec_sx_ok) */
    const char *a = emit_vsx(kx, e->args[0], m);
    if (e->dtype != TC_DT_BF16 || e->args[0]->dtype == TC_DT_BF16) return a; /* exact */
    tcE_vec_round_bf16(&b, isa, a, kx->g->vbf16);
    return vdef(kx, e, vt, &b);
  }
  default: {
    const char *a[3] = {NULL, NULL, NULL};
    assert(e->nargs <= 3);
    /* a * b + c (and -) in one FMA: one rounding, as a hand-written loop
       compiled with contraction has it (docs/simd.md) */
    if ((e->op == TC_OP_ADD || e->op == TC_OP_SUB)) {
      int k = e->args[0]->op == TC_OP_MUL ? 0 : e->args[1]->op == TC_OP_MUL ? 1 : -1;
      if (k >= 0 && e->args[k]->dtype == e->dtype) {
        const tc_sexpr *mul = e->args[k];
        const char *x = emit_vsx(kx, mul->args[0], m), *y = emit_vsx(kx, mul->args[1], m);
        const char *c = emit_vsx(kx, e->args[1 - k], m);
        tcE_vec_fma(&b, isa, e->op, k == 1, x, y, c);
        return vdef(kx, e, vt, &b);
      }
    }
    int lanewise = !tcE_vec_has_op(e->op);
    for (int i = 0; i < e->nargs; i++) /* lane by lane, a constant stays a literal */
      if (!(lanewise && e->args[i]->op == TC_OP_CONST)) a[i] = emit_vsx(kx, e->args[i], m);
    if (lanewise) return emit_lane_by_lane(kx, e, a);
    tc_buf slope = {0};
    if (e->op == TC_OP_LEAKY_RELU) tcE_scalar_literal(kx->g, &slope, e->dtype, e->num, 0);
    tcE_vec_op(&b, isa, e->op, a, slope.data, kx->g->vmath[isa]);
    tc_buf_free(&slope);
    return vdef(kx, e, vt, &b);
  }
  }
}

/* Stores vector v to buffer b at idx (the lanes of mask m; NULL: all),
   rounding to bf16 for a bf16 buffer, converting as a cast does for a u8
   or i8 one (a GEMM epilogue's: tc_gemm.epi). */
static void vec_store_out(kemit *kx, int b, const char *const *idx, const char *m,
                          const char *v) {
  tc_buf st = {0};
  const tc_lbuf *o = &kx->p->bufs.data[b];
  const char *addr = kstr(kx, "&%s[%s]", buf_cname(kx, b), linear(kx, o, idx));
  if (o->dtype == TC_DT_BF16)
    tcE_vec_store_bf16(&st, kx->visa, addr, m, v, kx->g->vbf16);
  else if (o->dtype == TC_DT_U8 || o->dtype == TC_DT_I8)
    tcE_vec_store_q8(&st, kx->visa, o->dtype, addr, m, v, kx->g->vbf16);
  else
    tcE_vec_store(&st, kx->visa, addr, m, v);
  tcE_line(kx->g, "%s\n", st.data);
  tc_buf_free(&st);
}

/* The loop over i<ax> (ax: the last axis of stage s's output) from lo to
   hi (C expressions) by the ISA's lanes, storing `body` (vec_sx_ok; for a
   u8 or i8 output, the cast of such an f32 expression, which the store
   makes) to the output, the last, partial vector under a mask (no scalar
   tail, for static and symbolic extents alike); the loops outside are
   open, their variables in idx. */
static void vector_loop(kemit *kx, const tc_stage *s, const tc_sexpr *body, const char **idx,
                        const char *lo, const char *hi) {
  tcE_cg *g = kx->g;
  const tc_lbuf *o = &kx->p->bufs.data[s->out];
  int ax = o->rank - 1, lanes = tcE_vec_lanes(kx->visa);
  if (o->dtype == TC_DT_U8 || o->dtype == TC_DT_I8) {
    assert(body->op == TC_OP_CAST && body->args[0]->dtype == TC_DT_F32);
    body = body->args[0]; /* vec_store_out converts */
  }
  idx[ax] = kstr(kx, "%s%d", kx->nm.i, ax);
  g->vec_isa[kx->visa] = 1;
  tcE_line(g, "for (int64_t %s = %s; %s < %s; %s += %d) {\n", idx[ax], lo, idx[ax], hi, idx[ax],
           lanes);
  g->indent++;
  const char *left = kstr(kx, "%s - %s", hi, idx[ax]);
  int save = kx->memos.len, nbody = vsplit_begin(kx, whole_vectors(lo, hi, lanes), left, lanes);
  for (int k = 0; k < nbody; k++) {
    if (k) vsplit_next(kx);
    kx->memos.len = save;
    const char *m = vec_mask(kx, k == 0, left);
    kx->vmemos.len = 0;
    lanes_at(kx, TC_OP_IVAR, ax, idx[ax], !strcmp(lo, "0"));
    vec_store_out(kx, s->out, idx, m, emit_vsx(kx, body, m));
  }
  vsplit_end(kx, nbody);
  kx->vmemos.len = 0;
  kx->memos.len = save;
  g->indent--;
  tcE_line(g, "}\n");
}

/* The innermost loop of stage s in vectors (vec_stage_ok), over its whole
   last axis. */
static void emit_vector_loop(kemit *kx, const tc_stage *s, const char **idx) {
  const tc_lbuf *o = &kx->p->bufs.data[s->out];
  vector_loop(kx, s, s->body, idx, "0", ext_name(kx, o->shape[o->rank - 1]));
}


/* The first REDUCE in e (depth first), or NULL. */
static const tc_sexpr *find_reduce_sx(const tc_sexpr *e) {
  if (e->op == TC_OP_REDUCE) return e;
  for (int i = 0; i < e->nargs; i++) {
    const tc_sexpr *r = find_reduce_sx(e->args[i]);
    if (r) return r;
  }
  return NULL;
}

/* ---- windows: a strip of columns at once ------------------------------- */

/* A vector stage whose reductions slide a window along its next-to-last
   axis J (a depthwise convolution in NHWC: the window's rows and
   columns, the channels in lanes) computes U consecutive columns i<J>
   at once wherever their windows lie inside the input.  Each reduction
   keeps U accumulators; what does not depend on i<J> (the weights) is
   loaded once for the U columns; a short innermost loop of constant
   extent is unrolled, and the indices written as sums of terms, so that
   each input vector is loaded once for the U windows it falls in
   (strip_loads).  The padding's conditions (WHEREs on
   integers, affine in i<J> and the reduction variables) are tested
   before the strip, at the corners of its box of columns and window
   positions: an affine comparison holds over a box when it holds at its
   corners.  Inside, the branches they guard are taken without masks (no
   load touches the padding).  Columns whose windows reach the padding,
   and the last ones of a row, run the plain vector loop.  Each value is
   computed by the same operations in the same order either way (bitwise
   the plain loop's result).  Depthwise 3x3, 144 channels at 56x56, one
   thread: 2.7x the plain loop in NHWC, 2.3x in NCHW (docs/simd.md). */

/* Columns a strip computes: six on AVX-512 (3 U + 3 of its 32 vector
   registers for a 3-wide window: U accumulators, the row's inner sums,
   U + 2 input vectors and a weight), four on AVX2 (16 registers).  Eight
   on AVX-512 measured slower: 0.96x NHWC, 0.64x NCHW (depthwise 3x3 at
   56 x 56, one thread, A/B harness both orders; 54 inner rows are 6
   strips of 8 and 6 plain rows). */
static int strip_width(tcE_visa isa) { return isa == TCE_VISA_AVX512 ? 6 : 4; }

/* The fewest iterations of the loops outside a strip's (strip_plan). */
#define TCE_STRIP_MIN_OUTER 8

/* The longest innermost reduction the strip unrolls (its loop over the
   window's columns).  Unrolling a 3x3 window's rows too, so that a row
   of input would serve the three window rows it is in, made it slower:
   0.76x NHWC, 0.77x NCHW (depthwise 3x3 at 56x56, one thread). */
#define TCE_STRIP_UNROLL 8

/* A box of index values: the variables i<d> for the bits d of iv, and
   those of the reductions box[0..n-1]. */

/* 1 when e uses a variable of the box. */
static int strip_dep(const tc_sexpr *e, unsigned iv, const tc_sexpr *const *box, int n) {
  for (int d = 0; d < TC_MAX_RANK; d++)
    if ((iv >> d & 1) && tc_loop_uses_lane(e, TC_OP_IVAR, d)) return 1;
  for (int i = 0; i < n; i++)
    if (tc_loop_uses_lane(e, TC_OP_RVAR, box[i]->var)) return 1;
  return 0;
}

/* 1 when integer e is affine in the box's variables (the others are
   constants over a strip). */
static int strip_affine(const tc_sexpr *e, unsigned iv, const tc_sexpr *const *box, int n) {
  if (!strip_dep(e, iv, box, n) || e->op == TC_OP_IVAR || e->op == TC_OP_RVAR) return 1;
  switch (e->op) {
  case TC_OP_ADD:
  case TC_OP_SUB:
    return strip_affine(e->args[0], iv, box, n) && strip_affine(e->args[1], iv, box, n);
  case TC_OP_NEG: return strip_affine(e->args[0], iv, box, n);
  case TC_OP_MUL:
    return (!strip_dep(e->args[0], iv, box, n) && strip_affine(e->args[1], iv, box, n)) ||
           (!strip_dep(e->args[1], iv, box, n) && strip_affine(e->args[0], iv, box, n));
  default: return 0;
  }
}

/* 1 when condition c holds over the box when it holds at the box's
   corners: a conjunction of orderings of affine integers. */
static int strip_cond(const tc_sexpr *c, unsigned iv, const tc_sexpr *const *box, int n) {
  if (!strip_dep(c, iv, box, n)) return 1;
  switch (c->op) {
  case TC_OP_LOGICAL_AND:
    return strip_cond(c->args[0], iv, box, n) && strip_cond(c->args[1], iv, box, n);
  case TC_OP_LT:
  case TC_OP_LE:
  case TC_OP_GT:
  case TC_OP_GE:
    return !tc_dtype_is_float(c->args[0]->dtype) && strip_affine(c->args[0], iv, box, n) &&
           strip_affine(c->args[1], iv, box, n);
  default: return 0;
  }
}

/* 1 when e loads something that does not depend on i<j>. */
static int strip_shared_load(const tc_sexpr *e, int j) {
  if (e->op == TC_OP_LOAD) return !tc_loop_uses_lane(e, TC_OP_IVAR, j);
  for (int i = 0; i < e->nargs; i++)
    if (strip_shared_load(e->args[i], j)) return 1;
  return 0;
}

/* Records the parts of WHERE w's condition c (inside REDUCEs
   encl[0..n-1]) that a strip along i<j> can test: c when it holds over a
   box when it holds at the corners and uses no lane (then w is taken
   without a mask), else such conjuncts of c that depend on the strip,
   tested for each strip, and those on the lanes, tested for each whole
   vector (then known to hold there). */
static void strip_conds(kemit *kx, const tc_sexpr *w, const tc_sexpr *c, int j,
                        const tc_sexpr **encl, int n) {
  unsigned iv = 1u << j, lane = 1u << kx->lane_var;
  int lanes = strip_dep(c, lane, NULL, 0);
  if (kx->ndrop == TCE_STRIP_WHERES || !strip_dep(c, iv | lane, encl, n)) return;
  if (lanes && c->op == TC_OP_LOGICAL_AND) {
    strip_conds(kx, NULL, c->args[0], j, encl, n);
    strip_conds(kx, NULL, c->args[1], j, encl, n);
    return;
  }
  if (!strip_cond(c, lanes ? iv | lane : iv, encl, n)) return;
  strip_where *d = &kx->drop[kx->ndrop++];
  d->w = lanes ? NULL : w;
  d->cond = c;
  d->lane = lanes;
  d->n = n;
  memcpy(d->encl, encl, (size_t)n * sizeof *encl);
}

/* Scans e (inside REDUCEs encl[0..n-1]) for the strip along i<j>: the
   WHEREs it can test go to kx->drop; returns 0 when a reduction that
   depends on i<j> is not of a constant extent (or nests too deep), else
   1, and sets *gain when one of them loads something shared by the
   strip's columns. */
static int strip_scan(kemit *kx, const tc_sexpr *e, int j, const tc_sexpr **encl, int n,
                      int *gain) {
  if (!tc_loop_uses_lane(e, TC_OP_IVAR, j)) return 1; /* computed once for the strip */
  if (e->op == TC_OP_LOAD) return 1;
  if (e->op == TC_OP_REDUCE) {
    int64_t v;
    if (e->nargs == 3 || !tc_ext_is_const(e->ext, &v) || v <= 0 || n == TCE_STRIP_DEPTH)
      return 0;
    *gain |= strip_shared_load(e->args[0], j);
    encl[n] = e;
    return strip_scan(kx, e->args[0], j, encl, n + 1, gain);
  }
  if (e->op == TC_OP_WHERE && where_int(e)) strip_conds(kx, e, e->args[0], j, encl, n);
  int from = e->op == TC_OP_WHERE && where_int(e); /* (a condition is no vector) */
  for (int i = from; i < e->nargs; i++)
    if (!strip_scan(kx, e->args[i], j, encl, n, gain)) return 0;
  return 1;
}

/* The strip's width for stage s (loops from `from` on, in vectors along
   its last axis), or 0 when it has none: its next-to-last axis J slides
   a window (a reduction of constant extent depending on i<J> that loads
   something not depending on it), J has at least two columns and a loop
   outside it.  Fills kx->drop with the WHEREs the strip tests. */
static int strip_plan(kemit *kx, const tc_stage *s, int from) {
  const tc_lbuf *o = &kx->p->bufs.data[s->out];
  int j = o->rank - 2, u = strip_width(kx->visa), gain = 0;
  int64_t v;
  kx->ndrop = 0;
  if (from != 0 || o->rank < 3 || s->checked) return 0;
  if (tc_ext_is_const(o->shape[j], &v) && v < u) u = (int)v;
  if (u < 2) return 0;
  /* the loops outside the strip's are the parallel ones: not when they
     are known to have fewer than TCE_STRIP_MIN_OUTER iterations (one
     image's 1 x W layer would run on one thread) */
  int64_t outer = 1;
  int known = 1;
  for (int d = 0; d < j; d++) {
    if (tc_ext_is_const(o->shape[d], &v)) outer *= v;
    else known = 0;
  }
  if (known && outer < TCE_STRIP_MIN_OUTER) return 0;
  const tc_sexpr *encl[TCE_STRIP_DEPTH];
  kx->lane_var = o->rank - 1; /* (strip_scan keeps the lanes' conditions) */
  kx->lane_op = TC_OP_IVAR;
  if (!strip_scan(kx, s->body, j, encl, 0, &gain) || !gain) {
    kx->ndrop = 0;
    return 0;
  }
  return u;
}

/* Index e (integer arithmetic) as constant c plus sum of coef[i] *
   atom[i]: the strip's column and the unrolled reductions' values
   folded into c, so that equal indices of different columns and window
   positions are written alike (the loads they address written once). */
enum { TCE_AFFINE_TERMS = 8 };
typedef struct affine {
  int64_t c;
  int n;
  const char *atom[TCE_AFFINE_TERMS];
  int64_t coef[TCE_AFFINE_TERMS];
} affine;

static void affine_term(affine *a, const char *atom, int64_t coef) {
  for (int i = 0; i < a->n; i++)
    if (!strcmp(a->atom[i], atom)) {
      a->coef[i] += coef;
      return;
    }
  if (a->n == TCE_AFFINE_TERMS) { /* (a->n < TCE_AFFINE_TERMS: callers) */
    a->n = -1;
    return;
  }
  a->atom[a->n] = atom;
  a->coef[a->n++] = coef;
}

/* a->c += k * v; a->n becomes -1 when that overflows. */
static void affine_const(affine *a, int64_t k, int64_t v) {
  if (__builtin_mul_overflow(k, v, &v) || __builtin_add_overflow(a->c, v, &a->c)) a->n = -1;
}

/* Adds scale * e to a; a->n becomes -1 when it has too many terms (or
   its constants overflow). */
static void affine_add(kemit *kx, affine *a, const tc_sexpr *e, int64_t scale) {
  int64_t v;
  if (a->n < 0) return;
  if (e->op == TC_OP_CONST && !tc_dtype_is_float(e->dtype)) {
    affine_const(a, scale, e->inum);
  } else if (e->op == TC_OP_IVAR && e->var == kx->strip_j) {
    affine_term(a, kx->strip_col, scale);
    affine_const(a, scale, kx->strip_off);
  } else if (e->op == TC_OP_IVAR && e->var == kx->lane_var && kx->strip_lane_at >= 0) {
    affine_term(a, kx->lane_base, scale);
    affine_const(a, scale, kx->strip_lane_at);
  } else if (is_index_arith(e) && e->op != TC_OP_MUL) {
    affine_add(kx, a, e->args[0], scale);
    affine_add(kx, a, e->args[1], e->op == TC_OP_SUB ? -scale : scale);
  } else if (is_index_arith(e) && (e->args[0]->op == TC_OP_CONST || e->args[1]->op == TC_OP_CONST)) {
    int k = e->args[0]->op == TC_OP_CONST ? 0 : 1;
    if (__builtin_mul_overflow(scale, e->args[k]->inum, &v))
      a->n = -1;
    else
      affine_add(kx, a, e->args[1 - k], v);
  } else if (e->op == TC_OP_NEG && !tc_dtype_is_float(e->dtype)) {
    affine_add(kx, a, e->args[0], -scale);
  } else if (is_index_arith(e)) { /* a product of two non-constants: an atom */
    const char *l = strip_index(kx, e->args[0]), *r = strip_index(kx, e->args[1]);
    affine_term(a, kstr(kx, "(%s * %s)", l, r), scale);
  } else {
    const char *s = emit_sx(kx, e, 1); /* an unrolled RVAR's value, or an atom */
    if (is_int_literal(s, &v))
      affine_const(a, scale, v);
    else
      affine_term(a, s, scale);
  }
}

/* emit_sx's inline index arithmetic while a strip is written. */
static const char *strip_index(kemit *kx, const tc_sexpr *e) {
  affine a = {0};
  affine_add(kx, &a, e, 1);
  if (a.n < 0 && is_index_arith(e)) { /* (not expected of a window's index) */
    const char *l = strip_index(kx, e->args[0]), *r = strip_index(kx, e->args[1]);
    const char *o = e->op == TC_OP_ADD ? "+" : e->op == TC_OP_SUB ? "-" : "*";
    return kstr(kx, "(%s %s %s)", l, o, r);
  }
  if (a.n < 0) return emit_sx(kx, e, 1);
  tc_buf b = {0};
  for (int i = 0; i < a.n; i++) {
    int64_t k = a.coef[i];
    if (k == 0) continue;
    const char *sign = k < 0 ? (b.len ? " - " : "-") : (b.len ? " + " : "");
    if (k < 0) k = -k;
    if (k == 1)
      tc_buf_printf(&b, "%s%s", sign, a.atom[i]);
    else
      tc_buf_printf(&b, "%s%lld * %s", sign, (long long)k, a.atom[i]);
  }
  if (!b.len)
    tc_buf_printf(&b, "%lld", (long long)a.c);
  else if (a.c)
    tc_buf_printf(&b, " %s %lld", a.c < 0 ? "-" : "+", (long long)(a.c < 0 ? -a.c : a.c));
  const char *s = is_digits(b.data) || !strpbrk(b.data, " ") ? kstr(kx, "%s", b.data)
                                                              : kstr(kx, "(%s)", b.data);
  tc_buf_free(&b);
  return s;
}

static int strip_dropped(const kemit *kx, const tc_sexpr *e) {
  for (int i = 0; i < kx->ndrop; i++)
    if (kx->drop[i].w == e) return 1;
  return 0;
}

/* 1 when condition c is a conjunct the strip being written tested. */
static int strip_known(const kemit *kx, const tc_sexpr *c) {
  for (int i = 0; kx->strip_col && i < kx->ndrop; i++)
    if (!kx->drop[i].w && kx->drop[i].cond == c && (!kx->drop[i].lane || kx->strip_lanes_in))
      return 1;
  return 0;
}

/* 1 when every conjunct of condition c is known to hold in the strip. */
static int strip_all_known(const kemit *kx, const tc_sexpr *c) {
  if (strip_known(kx, c)) return 1;
  return c->op == TC_OP_LOGICAL_AND && strip_all_known(kx, c->args[0]) &&
         strip_all_known(kx, c->args[1]);
}

static void strip_values(kemit *kx, const tc_sexpr *e, const char *m, const char **out);

/* REDUCE e for the strip's columns: U accumulators, its loop unrolled
   when short. */
static void strip_reduce(kemit *kx, const tc_sexpr *e, const char *m, const char **out) {
  tcE_cg *g = kx->g;
  tcE_visa isa = kx->visa;
  int U = kx->strip_u;
  int64_t E = 0;
  tc_ext_is_const(e->ext, &E); /* (strip_scan) */
  tc_buf init = {0}, b = {0};
  tcE_scalar_reduce_init(g, &init, e->red, e->dtype);
  tcE_vec_set1(&b, isa, init.data);
  const char *acc[TCE_STRIP_MAX], *x[TCE_STRIP_MAX];
  for (int u = 0; u < U; u++) {
    acc[u] = new_v(kx);
    tcE_line(g, "%s %s = %s;\n", tcE_vec_type(isa), acc[u], b.data);
  }
  tc_buf_free(&init);
  int unroll = E <= TCE_STRIP_UNROLL && !find_reduce_sx(e->args[0]);
  const char *r = kstr(kx, "%s%d", kx->nm.r, e->var);
  int lsave = kx->strip_loads.len; /* (a loop's loads are its own) */
  if (!unroll) {
    tcE_line(g, "for (int64_t %s = 0; %s < %lld; %s++) {\n", r, r, (long long)E, r);
    g->indent++;
  }
  for (int64_t k = 0; k < (unroll ? E : 1); k++) {
    if (unroll) {
      kx->rvar_as[kx->nrvar_as].var = e->var;
      kx->rvar_as[kx->nrvar_as++].s = kstr(kx, "%lld", (long long)k);
    }
    int save = kx->memos.len, vsave = kx->vmemos.len, rsave = kx->strip_memos.len;
    strip_values(kx, e->args[0], m, x);
    for (int u = 0; u < U; u++) {
      b.len = 0;
      tcE_vec_red_combine(&b, isa, e->red, acc[u], x[u]);
      tcE_line(g, "%s = %s;\n", acc[u], b.data);
    }
    kx->memos.len = save;
    kx->vmemos.len = vsave;
    kx->strip_memos.len = rsave;
    if (unroll) kx->nrvar_as--;
  }
  tc_buf_free(&b);
  if (!unroll) {
    kx->strip_loads.len = lsave;
    g->indent--;
    tcE_line(g, "}\n");
  }
  for (int u = 0; u < U; u++) out[u] = acc[u];
}

/* The vectors of e for the strip's U columns (out[u]: i<J> the strip's
   first plus u), mask m the lanes that exist. */
static void strip_values(kemit *kx, const tc_sexpr *e, const char *m, const char **out) {
  int U = kx->strip_u, j = kx->strip_j;
  if (!tc_loop_uses_lane(e, TC_OP_IVAR, j)) { /* the same for every column */
    const char *v = emit_vsx(kx, e, m);
    for (int u = 0; u < U; u++) out[u] = v;
    return;
  }
  if (e->op == TC_OP_REDUCE) { /* (an equal one in scope: its accumulators) */
    for (int i = kx->strip_memos.len - 1; i >= 0; i--)
      if (tc_loop_sx_equal(kx->strip_memos.data[i].e, e)) {
        memcpy(out, kx->strip_memos.data[i].v, (size_t)U * sizeof *out);
        return;
      }
    strip_reduce(kx, e, m, out);
    strip_memo mm = {e, {NULL}};
    memcpy(mm.v, out, (size_t)U * sizeof *out);
    TC_VEC_PUSH(kx->strip_memos, mm);
    return;
  }
  if (e->op == TC_OP_WHERE && where_int(e) &&
      (strip_dropped(kx, e) || strip_all_known(kx, e->args[0]))) {
    strip_values(kx, e->args[1], m, out);
    return;
  }
  /* each column in turn, the vectors emit_vsx reads for e given: its
     vector operands (none for a load or a WHERE on integers), a
     product's when e adds one (an FMA) */
  const tc_sexpr *op[4];
  const char *a[4][TCE_STRIP_MAX];
  int n = 0;
  if (e->op != TC_OP_LOAD && !(e->op == TC_OP_WHERE && where_int(e)))
    for (int i = 0; i < e->nargs; i++) {
      const tc_sexpr *x = e->args[i];
      if ((e->op == TC_OP_ADD || e->op == TC_OP_SUB) && x->op == TC_OP_MUL && x->dtype == e->dtype) {
        op[n++] = x->args[0];
        op[n++] = x->args[1];
      } else {
        op[n++] = x;
      }
    }
  for (int i = 0; i < n; i++) {
    if (op[i]->dtype == TC_DT_F32 || op[i]->dtype == TC_DT_BF16)
      strip_values(kx, op[i], m, a[i]);
    else
      a[i][0] = NULL;
  }
  const char *base = kx->ivar_as[j];
  for (int u = 0; u < U; u++) {
    int save = kx->memos.len, vsave = kx->vmemos.len;
    kx->ivar_as[j] = kstr(kx, "(%s + %d)", base, u);
    kx->strip_off = u;
    for (int i = 0; i < n; i++)
      if (a[i][0]) {
        memo mm = {op[i], (char *)a[i][u]};
        TC_VEC_PUSH(kx->vmemos, mm);
      }
    out[u] = emit_vsx(kx, e, m);
    kx->memos.len = save;
    kx->vmemos.len = vsave;
  }
  kx->ivar_as[j] = base;
  kx->strip_off = 0;
}

/* The conditions of a strip's test, each written once (strip_if). */
typedef TC_VEC(const char *) strip_conds_t;

static void strip_cond_add(strip_conds_t *t, const char *a) {
  for (int i = 0; i < t->len; i++)
    if (!strcmp(t->data[i], a)) return;
  TC_VEC_PUSH(*t, a);
}

/* Adds to t the atoms of condition c (strip_cond) at the corner the
   overrides set. */
static void strip_atoms(kemit *kx, const tc_sexpr *c, const strip_where *d, strip_conds_t *t) {
  unsigned iv = 1u << kx->strip_j | (d->lane ? 1u << kx->lane_var : 0);
  int dep = strip_dep(c, iv, d->encl, d->n);
  if (dep && c->op == TC_OP_LOGICAL_AND) {
    strip_atoms(kx, c->args[0], d, t);
    strip_atoms(kx, c->args[1], d, t);
    return;
  }
  if (!dep) {
    strip_cond_add(t, emit_sx(kx, c, 0));
    return;
  }
  const char *o = c->op == TC_OP_LT ? "<" : c->op == TC_OP_LE ? "<=" : c->op == TC_OP_GT ? ">" : ">=";
  strip_cond_add(t, kstr(kx, "%s %s %s", strip_index(kx, c->args[0]), o, strip_index(kx, c->args[1])));
}

/* Writes `if (...) {` testing that the strip of columns from i<J> = `col`
   on lies inside the windows' bounds (lane 0: the columns exist, and each
   tested condition not on the lanes holds) or that the vector of lanes
   from kx->lane_base on does (lane 1: each condition on the lanes holds):
   at every corner of the box of the strip's columns, the vector's lanes
   and the reductions' variables (index arithmetic written inline; a
   condition that depends on none of them computed once, before), four
   conditions a line. */
static void strip_if(kemit *kx, const char *col, const char *E, int lane) {
  int U = kx->strip_u, j = kx->strip_j, L = tcE_vec_lanes(kx->visa), a = kx->lane_var;
  strip_conds_t t = {0};
  if (!lane) TC_VEC_PUSH(t, kstr(kx, "%s + %d <= %s", col, U, E));
  assert(kx->nrvar_as == 0);
  for (int i = 0; i < kx->ndrop; i++) {
    const strip_where *d = &kx->drop[i];
    if (d->lane != lane) continue;
    for (int c = 0; c < 1 << (d->n + 2); c++) {
      if (!lane && (c & 2)) continue; /* (not on the lanes) */
      kx->strip_off = c & 1 ? U - 1 : 0;
      kx->ivar_as[j] = kstr(kx, "(%s + %d)", col, kx->strip_off);
      if (lane) {
        kx->strip_lane_at = c & 2 ? L - 1 : 0;
        kx->ivar_as[a] = kstr(kx, "(%s + %d)", kx->lane_base, kx->strip_lane_at);
      }
      for (int k = 0; k < d->n; k++) {
        int64_t E = 0;
        tc_ext_is_const(d->encl[k]->ext, &E);
        kx->rvar_as[k].var = d->encl[k]->var;
        kx->rvar_as[k].s = kstr(kx, "%lld", (long long)(c >> (k + 2) & 1 ? E - 1 : 0));
      }
      kx->nrvar_as = d->n;
      int save = kx->memos.len; /* (a value memoized at one corner is not another's) */
      strip_atoms(kx, d->cond, d, &t);
      kx->memos.len = save;
      kx->nrvar_as = 0;
    }
  }
  kx->ivar_as[j] = kx->ivar_as[a] = NULL;
  kx->strip_off = 0;
  kx->strip_lane_at = -1;
  if (!t.len) TC_VEC_PUSH(t, "1");
  for (int i = 0; i < t.len; i += 4) {
    tc_buf line = {0};
    for (int k = i; k < i + 4 && k < t.len; k++)
      tc_buf_printf(&line, "%s%s", k > i ? " && " : "", t.data[k]);
    tcE_line(kx->g, "%s%s%s\n", i ? "    " : "if (", line.data, i + 4 < t.len ? " &&" : ") {");
    tc_buf_free(&line);
  }
  TC_VEC_FREE(t);
}

/* The strip's U vectors of stage s (body: its value), stored; the
   vector's lanes under mask m (NULL: all of them). */
static void strip_body(kemit *kx, const tc_stage *s, const tc_sexpr *body, const char **idx,
                       const char *m, const char *col, int save) {
  int j = kx->strip_j;
  const char *v[TCE_STRIP_MAX];
  kx->memos.len = save;
  kx->vmemos.len = 0;
  kx->strip_loads.len = 0;
  kx->strip_memos.len = 0;
  kx->ivar_as[j] = col;
  strip_values(kx, body, m, v);
  kx->ivar_as[j] = NULL;
  for (int u = 0; u < kx->strip_u; u++) {
    idx[j] = kstr(kx, "(%s + %d)", col, u);
    vec_store_out(kx, s->out, idx, m, v[u]);
  }
  idx[j] = col;
}

/* The loop over i<J> (J: the next-to-last axis of stage s's output) of
   a stage strip_plan gave width U, inside the loops over the axes before
   (their variables in idx): strips of U columns, then the plain vector
   loop for a column that cannot start one. */
static void strip_loop(kemit *kx, const tc_stage *s, const char **idx, int U) {
  tcE_cg *g = kx->g;
  const tc_lbuf *o = &kx->p->bufs.data[s->out];
  int j = o->rank - 2, ax = o->rank - 1, lanes = tcE_vec_lanes(kx->visa);
  const tc_sexpr *body = s->body;
  if (o->dtype == TC_DT_U8 || o->dtype == TC_DT_I8) {
    assert(body->op == TC_OP_CAST && body->args[0]->dtype == TC_DT_F32);
    body = body->args[0]; /* vec_store_out converts */
  }
  const char *E = ext_name(kx, o->shape[j]), *hi = ext_name(kx, o->shape[ax]);
  const char *col = idx[j] = kstr(kx, "%s%d", kx->nm.i, j);
  kx->strip_j = j;
  kx->strip_u = U;
  tcE_line(g, "for (int64_t %s = 0; %s < %s;) {\n", col, col, E);
  g->indent++;
  tcE_line(g, "/* %d columns at once where their windows are inside the input (the\n", U);
  tcE_line(g, "   padding's conditions at the corners of the columns and windows) */\n");
  int save = kx->memos.len, on_lanes = 0;
  for (int i = 0; i < kx->ndrop; i++) on_lanes |= kx->drop[i].lane;
  kx->strip_col = col;
  kx->strip_off = 0;
  kx->strip_lane_at = -1;
  strip_if(kx, col, E, 0);
  g->indent++;
  idx[ax] = kstr(kx, "%s%d", kx->nm.i, ax);
  g->vec_isa[kx->visa] = 1;
  tcE_line(g, "for (int64_t %s = 0; %s < %s; %s += %d) {\n", idx[ax], idx[ax], hi, idx[ax],
           lanes);
  g->indent++;
  const char *left = kstr(kx, "%s - %s", hi, idx[ax]);
  int nbody = vsplit_begin(kx, whole_vectors("0", hi, lanes), left, lanes);
  for (int k = 0; k < nbody; k++) {
    if (k) vsplit_next(kx);
    kx->memos.len = save;
    const char *m = vec_mask(kx, k == 0, left);
    int msave = kx->memos.len;
    lanes_at(kx, TC_OP_IVAR, ax, idx[ax], 1);
    if (k == 0 && on_lanes) { /* a whole vector: its lanes' windows inside the row? */
      tcE_line(g, "/* every lane's window inside the input */\n");
      strip_if(kx, col, E, 1);
      g->indent++;
      kx->strip_lanes_in = 1;
      strip_body(kx, s, body, idx, m, col, msave);
      kx->strip_lanes_in = 0;
      g->indent--;
      tcE_line(g, "} else {\n");
      g->indent++;
      strip_body(kx, s, body, idx, m, col, msave);
      g->indent--;
      tcE_line(g, "}\n");
    } else {
      strip_body(kx, s, body, idx, m, col, msave);
    }
  }
  vsplit_end(kx, nbody);
  kx->vmemos.len = 0;
  kx->memos.len = save;
  kx->strip_loads.len = 0;
  kx->strip_col = NULL;
  g->indent--;
  tcE_line(g, "}\n");
  tcE_line(g, "%s += %d;\n", col, U);
  tcE_line(g, "continue;\n");
  g->indent--;
  tcE_line(g, "}\n");
  vector_loop(kx, s, s->body, idx, "0", hi);
  tcE_line(g, "%s++;\n", col);
  g->indent--;
  tcE_line(g, "}\n");
  kx->ndrop = 0;
}

/* Writes the loops of stage s over its axes from..rank-1 (the loops of
   the axes before are open, their variables in idx), an axis of extent
   1 (but axis 0) without a loop, and the body storing its element;
   closes the loops it opened.  Returns their number, a strip loop and
   the vector loop inside counting as one (strip: it may write one,
   strip_loop). */
static int emit_loops_and_body(kemit *kx, const tc_stage *s, int from, const char **idx,
                               int strip) {
  tcE_cg *g = kx->g;
  const tc_lbuf *o = &kx->p->bufs.data[s->out];
  int base = g->indent, nloops = 0, vec = vec_stage_ok(kx, s, from);
  int U = vec && strip ? strip_plan(kx, s, from) : 0;
  for (int d = from; d < o->rank - vec - (U > 0); d++) {
    const char *E = ext_name(kx, o->shape[d]);
    if (d > 0 && !strcmp(E, "1")) { /* a kept dim (t[i0, 0] of a row's sum): no loop */
      idx[d] = "0";
      kx->zero_ivars |= 1u << d;
      continue;
    }
    idx[d] = kstr(kx, "%s%d", kx->nm.i, d);
    tcE_line(g, "for (int64_t %s = 0; %s < %s; %s++) {\n", idx[d], idx[d], E, idx[d]);
    g->indent++;
    nloops++;
  }
  if (U) {
    strip_loop(kx, s, idx, U);
    nloops++;
  } else if (vec) {
    emit_vector_loop(kx, s, idx);
    nloops++;
  } else {
    const char *v = emit_sx(kx, s->body, 0);
    tc_buf st = {0};
    tcE_scalar_store(g, &st, o->dtype, v);
    tcE_line(g, "%s[%s] = %s;\n", buf_cname(kx, s->out), linear(kx, o, idx), st.data);
    tc_buf_free(&st);
  }
  kx->zero_ivars = 0;
  while (g->indent > base) {
    g->indent--;
    tcE_line(g, "}\n");
  }
  return nloops;
}

/* The work of stage s (nodes evaluated, over all its elements). */
static work stage_work(kemit *kx, const tc_stage *s) {
  const tc_lbuf *o = &kx->p->bufs.data[s->out];
  work w = sx_work(kx, s->body);
  for (int d = 0; d < o->rank; d++) w = work_op(kx, w, work_ext(kx, o->shape[d]), '*');
  return w;
}

/* Makes the loop nest written from offset `at` a parallel loop: an OpenMP
   pragma collapsing its first `collapse` loops (0 or 1: the outer one),
   under if(cond) when cond is given, and the pool's outlined form, split
   over the same iterations (pool_wrap, which reads the loops' headers). */
static void par_loop(kemit *kx, size_t at, int collapse, const char *cond) {
  if (kx->serial) return;
  tc_buf b = {0};
  tc_buf_puts(&b, "#ifdef _OPENMP\n");
  for (int i = 0; i < kx->g->indent; i++) tc_buf_puts(&b, "  ");
  tc_buf_puts(&b, "#pragma omp parallel for schedule(static)");
  if (collapse > 1) tc_buf_printf(&b, " collapse(%d)", collapse);
  if (cond) tc_buf_printf(&b, " if(%s)", cond);
  tc_buf_puts(&b, "\n#endif\n");
  pool_wrap(kx, at, b.data, collapse > 1 ? collapse : 1, cond);
  tc_buf_free(&b);
}

/* The run-time test of work w against TCE_PAR_MIN_WORK, or NULL when w is
   a constant (decided at compile time). */
static const char *par_cond(kemit *kx, work w) {
  return w.sym ? kstr(kx, "%s >= %.1f", work_str(kx, w), TCE_PAR_MIN_WORK) : NULL;
}

/* After a MAP stage's loop nest was written from offset `at`: makes its
   outer loops an OpenMP parallel loop when that is safe and worth it.
   Safe: the nest writes each element of its output once, from one
   iteration, and has no way out (no fail(): a goto or return cannot leave
   a parallel loop; such nests stay serial).  Worth it: the nest's work
   reaches TCE_PAR_MIN_WORK, decided here for static shapes and by an
   if() clause at run time otherwise.  All loops but the innermost are
   collapsed, so that a short outer extent still splits and the innermost
   loop stays a plain vectorizable loop.  Results do not depend on the
   thread count: each element is computed by the same code whichever
   thread runs it. */
static void parallelize(kemit *kx, const tc_stage *s, size_t at, int nfail_before,
                        int nloops) {
  const tc_lbuf *o = &kx->p->bufs.data[s->out];
  if (o->rank == 0 || kx->nfail != nfail_before) return;
  work w = stage_work(kx, s);
  if (!w.sym && w.v < TCE_PAR_MIN_WORK) return;
  par_loop(kx, at, nloops - 1, par_cond(kx, w));
}

/* ---- reductions over an outer axis ------------------------------------- */

/* Output elements a tile of the interchanged loop (below) covers: its
   accumulators stay in L1 while the rows stream by. */
#define TCE_RED_TILE 1024

/* A MAP stage out[i...] = red(r in 0..E: body) whose loads walk down
   columns (r indexes a row, the innermost variable the column), such as
   sum(x, 0): its innermost loop would stride through memory.  Emitted
   with the r loop outside a tile of the innermost variable, each element
   of out accumulating in place.  Every element still sees the same
   values in the same order (r ascending), so the result is bitwise that
   of the plain nest; only dtypes whose values are stored as they are
   computed qualify (not bf16, not bool), and only stages that cannot fail
   (a failure must not come later than it would). */
/* 1 when the bounds of range REDUCE e use no reduction variable and no
   loop variable but the outer ones (i0 .. i(rank-2)): they can be
   evaluated outside the tile loop. */
static int bounds_outer(const tc_sexpr *e, int rank) {
  if (e->op == TC_OP_RVAR || e->op == TC_OP_REDUCE || e->op == TC_OP_LOAD) return 0;
  if (e->op == TC_OP_IVAR && e->var >= rank - 1) return 0;
  for (int i = 0; i < e->nargs; i++)
    if (!bounds_outer(e->args[i], rank)) return 0;
  return 1;
}

static int range_outer(const tc_sexpr *e, int rank) {
  return bounds_outer(e->args[1], rank) && bounds_outer(e->args[2], rank);
}

static int interchange_ok(kemit *kx, const tc_stage *s) {
  const tc_lbuf *o = &kx->p->bufs.data[s->out];
  const tc_sexpr *e = s->body;
  if (o->rank == 0 || s->checked || e->op != TC_OP_REDUCE ||
      !(e->nargs == 1 || (e->nargs == 3 && range_outer(e, o->rank))) ||
      !(e->red == TC_OP_SUM || e->red == TC_OP_PROD || e->red == TC_OP_MAX ||
        e->red == TC_OP_MIN) ||
      e->dtype != o->dtype || o->dtype == TC_DT_BF16 || o->dtype == TC_DT_BOOL ||
      tc_loop_sx_may_divide_by_zero(e) || (needs_empty_check(e) && kx->hoisted.len == 0))
    return 0;
  return tc_loop_walks_down_columns(e->args[0], e->var, o->rank - 1);
}

/* Inside a vector loop over `var` up to `hi`, in body k of vsplit_begin:
   its mask (kx->lane_mask) and the lane variable's state for emit_vsx. */
static void vec_tile_step(kemit *kx, int k, const char *hi, const char *var) {
  const char *left = kstr(kx, "%s - %s", hi, var);
  kx->lane_mask = vec_mask(kx, k == 0, left);
  kx->vmemos.len = 0;
  /* (interchanged tiles start at multiples of TCE_RED_TILE) */
  lanes_at(kx, TC_OP_IVAR, kx->p->bufs.data[kx->s->out].rank - 1, var, 1);
}

/* Rows a vector's accumulator stays in a register across in the
   interchanged nest: it is loaded and stored once per TCE_RED_ROWS rows
   rather than once per row (1.3x on sum(x * scale + bias, 0), the colsum
   workload of bench/ew), and still sees them one by one, in order. */
#define TCE_RED_ROWS 8

/* The vector loop over the tile [lo, hi) of the interchanged nest below,
   index `off` of `out` at the tile variable: each vector of out loads its
   accumulator, combines the body at row r (rb NULL), or at the rows
   TCE_RED_ROWS from rb on in order, and stores it back. */
static void interchanged_vloop(kemit *kx, const tc_sexpr *e, const char *out, const char *off,
                               const char *lo, const char *hi, int whole, const char *r,
                               const char *rb) {
  tcE_cg *g = kx->g;
  tcE_visa isa = kx->visa;
  int lanes = tcE_vec_lanes(isa);
  const char *j = kstr(kx, "%s%d", kx->nm.i, kx->p->bufs.data[kx->s->out].rank - 1);
  const char *left = kstr(kx, "%s - %s", hi, j);
  tcE_line(g, "for (int64_t %s = %s; %s < %s; %s += %d) {\n", j, lo, j, hi, j, lanes);
  g->indent++;
  int save = kx->memos.len;
  int nbody = vsplit_begin(kx, whole, left, lanes);
  for (int bk = 0; bk < nbody; bk++) {
    if (bk) vsplit_next(kx);
    kx->memos.len = save;
    vec_tile_step(kx, bk, hi, j);
    const char *addr = kstr(kx, "&%s[%s]", out, off), *m = kx->lane_mask;
    tc_buf b = {0};
    tcE_vec_load(&b, isa, addr, m);
    if (!rb) {
      const char *x = emit_vsx(kx, e->args[0], m);
      const char *acc = vdef(kx, NULL, tcE_vec_type(isa), &b);
      tcE_vec_red_combine(&b, isa, e->red, acc, x);
      const char *v = vdef(kx, NULL, tcE_vec_type(isa), &b);
      tcE_vec_store(&b, isa, addr, m, v);
    } else {
      const char *acc = new_v(kx);
      tcE_line(g, "%s %s = %s;\n", tcE_vec_type(isa), acc, b.data);
      tc_buf_free(&b);
      vred_rows(kx, e, m, acc, r, rb, kstr(kx, "%s + %d", rb, TCE_RED_ROWS));
      tcE_vec_store(&b, isa, addr, m, acc);
    }
    tcE_line(g, "%s\n", b.data);
    tc_buf_free(&b);
  }
  vsplit_end(kx, nbody);
  kx->vmemos.len = 0;
  kx->memos.len = save;
  g->indent--;
  tcE_line(g, "}\n");
}

static void emit_interchanged_stage(kemit *kx, const tc_stage *s) {
  tcE_cg *g = kx->g;
  const tc_lbuf *o = &kx->p->bufs.data[s->out];
  const tc_sexpr *e = s->body;
  int k = o->rank, base = g->indent;
  const char *out = buf_cname(kx, s->out);
  const char *idx[TC_MAX_RANK];
  const char *lo = kstr(kx, "%s1", kx->nm.n), *hi = kstr(kx, "%s2", kx->nm.n);
  const char *last = ext_name(kx, o->shape[k - 1]);
  /* parallel over the outer variables and the tiles: each writes its own
     elements of out */
  work w = stage_work(kx, s);
  int par = w.sym || w.v >= TCE_PAR_MIN_WORK;
  size_t at = g->o->len;
  for (int d = 0; d + 1 < k; d++) {
    idx[d] = kstr(kx, "%s%d", kx->nm.i, d);
    tcE_line(g, "for (int64_t %s = 0; %s < %s; %s++) {\n", idx[d], idx[d],
             ext_name(kx, o->shape[d]), idx[d]);
    g->indent++;
  }
  idx[k - 1] = kstr(kx, "%s%d", kx->nm.i, k - 1);
  int64_t nlast;
  int tiled = !(tc_ext_is_const(o->shape[k - 1], &nlast) && nlast <= TCE_RED_TILE);
  if (tiled) {
    tcE_line(g, "for (int64_t %s = 0; %s < %s; %s += %d) {\n", lo, lo, last, lo, TCE_RED_TILE);
    g->indent++;
    tcE_line(g, "const int64_t %s = %s - %s > %d ? %s + %d : %s;\n", hi, last, lo, TCE_RED_TILE,
             lo, TCE_RED_TILE, last);
  } else { /* one tile */
    lo = "0";
    hi = last;
  }
  /* a chunk's rows (passes/chunk.c), inside the loops a collapse() takes */
  const char *rlo = NULL, *rhi = NULL;
  if (e->nargs == 3) {
    rlo = emit_sx(kx, e->args[1], 0);
    rhi = emit_sx(kx, e->args[2], 0);
  }
  const char *off = linear(kx, o, idx);
  /* in vectors along the tile: each element still accumulates its rows
     in order, bitwise as the scalar loop does */
  int vec = kx->vec && s->vec && vec_sx_ok(kx, s, e->args[0], TC_OP_IVAR, k - 1);
  const char *j = idx[k - 1], *step = vec ? kstr(kx, "%d", tcE_vec_lanes(kx->visa)) : NULL;
  tc_buf init = {0}, st = {0};
  tcE_scalar_reduce_init(g, &init, e->red, e->dtype);
  int whole = vec && whole_vectors(lo, hi, tcE_vec_lanes(kx->visa));
  const char *left = kstr(kx, "%s - %s", hi, j);
  if (vec) {
    tcE_line(g, "for (int64_t %s = %s; %s < %s; %s += %s) {\n", j, lo, j, hi, j, step);
    g->indent++;
    tcE_vec_set1(&st, kx->visa, init.data);
    int nbody = vsplit_begin(kx, whole, left, tcE_vec_lanes(kx->visa));
    for (int bk = 0; bk < nbody; bk++) {
      if (bk) vsplit_next(kx);
      vec_tile_step(kx, bk, hi, j);
      tc_buf sb = {0};
      tcE_vec_store(&sb, kx->visa, kstr(kx, "&%s[%s]", out, off), kx->lane_mask, st.data);
      tcE_line(g, "%s\n", sb.data);
      tc_buf_free(&sb);
    }
    vsplit_end(kx, nbody);
    g->indent--;
    tcE_line(g, "}\n");
  } else {
    tcE_scalar_store(g, &st, o->dtype, init.data);
    tcE_line(g, "for (int64_t %s = %s; %s < %s; %s++) %s[%s] = %s;\n", j, lo, j, hi, j, out, off,
             st.data);
  }
  tc_buf_free(&init);
  tc_buf_free(&st);
  const char *r = kstr(kx, "%s%d", kx->nm.r, e->var);
  if (!rlo) {
    rlo = "0";
    rhi = ext_name(kx, e->ext);
  }
  int save = kx->memos.len;
  if (vec) {
    /* TCE_RED_ROWS rows at a time, then the rows left one by one.  With
       static bounds, the blocks end at a literal and a loop over no rows
       is not written (gcc warns of one it can see never runs); else the
       block variable lives in a scope of its own (another stage of the
       function may have a variable of the same name). */
    int64_t nrows, a, z;
    int few = tc_ext_is_const(e->ext, &nrows) && nrows < TCE_RED_ROWS;
    int lit = is_int_literal(rlo, &a) && is_int_literal(rhi, &z);
    const char *rb = new_v(kx), *from = rlo;
    if (lit) {
      int64_t end = a + (z > a ? (z - a) / TCE_RED_ROWS * TCE_RED_ROWS : 0);
      if (end > a) {
        tcE_line(g, "/* %d rows at a time, each accumulator in a register */\n", TCE_RED_ROWS);
        tcE_line(g, "for (int64_t %s = %lld; %s < %lld; %s += %d) {\n", rb, (long long)a, rb,
                 (long long)end, rb, TCE_RED_ROWS);
        g->indent++;
        interchanged_vloop(kx, e, out, off, lo, hi, whole, r, rb);
        g->indent--;
        tcE_line(g, "}\n");
      }
      from = kstr(kx, "%lld", (long long)end);
      if (end < z) {
        tcE_line(g, "for (int64_t %s = %s; %s < %s; %s++) {\n", r, from, r, rhi, r);
        g->indent++;
        interchanged_vloop(kx, e, out, off, lo, hi, whole, r, NULL);
      }
    } else {
      if (!few) {
        tcE_line(g, "{ /* %d rows at a time, each accumulator in a register */\n", TCE_RED_ROWS);
        g->indent++;
        tcE_line(g, "int64_t %s = %s;\n", rb, rlo);
        tcE_line(g, "for (; %s + %d <= %s; %s += %d) {\n", rb, TCE_RED_ROWS, rhi, rb,
                 TCE_RED_ROWS);
        g->indent++;
        interchanged_vloop(kx, e, out, off, lo, hi, whole, r, rb);
        g->indent--;
        tcE_line(g, "}\n");
        from = rb;
      }
      tcE_line(g, "for (int64_t %s = %s; %s < %s; %s++) {\n", r, from, r, rhi, r);
      g->indent++;
      interchanged_vloop(kx, e, out, off, lo, hi, whole, r, NULL);
    }
  } else {
    tcE_line(g, "for (int64_t %s = %s; %s < %s; %s++) {\n", r, rlo, r, rhi, r);
    g->indent++;
    tcE_line(g, "for (int64_t %s = %s; %s < %s; %s++) {\n", j, lo, j, hi, j);
    g->indent++;
    accumulate(kx, s->out, off, e->red, e->dtype, emit_sx(kx, e->args[0], 0));
  }
  kx->memos.len = save;
  while (g->indent > base) {
    g->indent--;
    tcE_line(g, "}\n");
  }
  int nloops = k - 1 + tiled; /* the outer loops and the tiles */
  if (!par || nloops == 0) return;
  par_loop(kx, at, nloops, par_cond(kx, w));
}

/* One loop of a scheduled nest: `var` from 0 to `hi` by `step`. */
typedef struct sloop {
  const char *var, *hi;
  int step;
} sloop;

/* The body of a scheduled stage for one value of the innermost index,
   named `var` (declared = val when val is given), in its own block, or
   the body of loop `head`. */
static void sched_body(kemit *kx, const tc_stage *s, const char **idx, int d, const char *var,
                       const char *val, const char *head) {
  tcE_cg *g = kx->g;
  const tc_lbuf *o = &kx->p->bufs.data[s->out];
  if (head)
    tcE_line(g, "%s {\n", head);
  else
    tcE_line(g, "{\n");
  g->indent++;
  if (val) tcE_line(g, "const int64_t %s = %s;\n", var, val);
  idx[d] = var;
  kx->memos.len = 0;
  const char *v = emit_sx(kx, s->body, 0);
  tc_buf st = {0};
  tcE_scalar_store(g, &st, o->dtype, v);
  tcE_line(g, "%s[%s] = %s;\n", buf_cname(kx, s->out), linear(kx, o, idx), st.data);
  tc_buf_free(&st);
  kx->memos.len = 0;
  g->indent--;
  tcE_line(g, "}\n");
}

/* 1 when scheduled stage s is a transpose tiled by passes/schedule.c
   (no hints of the user's) whose f32 body computes in vectors along its
   first tiled axis, the one its transposed read is contiguous along:
   the vectorize pass said so, and the target has vectors. */
static int transposed_vec_ok(kemit *kx, const tc_stage *s) {
  const tc_lbuf *o = &kx->p->bufs.data[s->out];
  const tc_schedule *sc = s->sched;
  return kx->vec && s->vec && sc->node < 0 && sc->ntile >= 2 && o->dtype == TC_DT_F32 &&
         s->body->dtype == TC_DT_F32 &&
         vec_sx_ok(kx, s, s->body, TC_OP_IVAR, o->rank - sc->ntile);
}

/* The tile [alo, ahi) x [rlo, rhi) of axes a and R-1 of transposed stage
   s (transposed_vec_ok; the other indices fixed, in idx) in blocks of
   lanes x lanes elements: for each index r of the block, its elements
   along a as one vector (the body in vectors along a, the lanes past ahi
   masked), the block transposed in registers (tc_transpose_ISA), and
   each of its vectors, now along R-1, stored to a row of the output (the
   lanes past rhi masked).  A partial block computes only its rows. */
static void emit_transposed_tile(kemit *kx, const tc_stage *s, const char **idx, int a,
                                 const char *alo, const char *ahi, const char *rlo,
                                 const char *rhi) {
  tcE_cg *g = kx->g;
  const tc_lbuf *o = &kx->p->bufs.data[s->out];
  int R = o->rank, L = tcE_vec_lanes(kx->visa);
  const char *VT = tcE_vec_type(kx->visa);
  /* (the body's loads name the indices i<d>: the block's first index
     along a, and its index along R-1) */
  const char *va = kstr(kx, "%s%d", kx->nm.i, a), *vr = new_v(kx), *nr = new_v(kx);
  const char *t = new_v(kx);
  const char *q = new_v(kx), *l = new_v(kx);
  g->vec_isa[kx->visa] = 1;
  g->vtrans[kx->visa] = 1;
  tcE_line(g, "for (int64_t %s = %s; %s < %s; %s += %d) {\n", va, alo, va, ahi, va, L);
  g->indent++;
  int save = kx->memos.len;
  kx->vmemos.len = 0;
  const char *ma = vec_mask(kx, 0, kstr(kx, "%s - %s", ahi, va));
  tcE_line(g, "for (int64_t %s = %s; %s < %s; %s += %d) {\n", vr, rlo, vr, rhi, vr, L);
  g->indent++;
  tcE_line(g, "const int64_t %s = %s - %s < %d ? %s - %s : %d; /* rows of the block */\n", nr,
           rhi, vr, L, rhi, vr, L);
  tcE_line(g, "%s %s[%d];\n", VT, t, L);
  tcE_line(g, "for (int64_t %s = 0; %s < %s; %s++) {\n", q, q, nr, q);
  g->indent++;
  idx[R - 1] = kstr(kx, "%s%d", kx->nm.i, R - 1);
  tcE_line(g, "const int64_t %s = %s + %s;\n", idx[R - 1], vr, q);
  idx[a] = va;
  kx->memos.len = save;
  int vsave = kx->vmemos.len;
  lanes_at(kx, TC_OP_IVAR, a, va, 0);
  const char *v = emit_vsx(kx, s->body, ma);
  tcE_line(g, "%s[%s] = %s;\n", t, q, v);
  kx->vmemos.len = vsave;
  kx->memos.len = save;
  g->indent--;
  tcE_line(g, "}\n");
  tcE_line(g, "for (int64_t %s = %s; %s < %d; %s++) %s[%s] = %s_setzero_ps();\n", q, nr, q, L,
           q, t, q, kx->visa == TCE_VISA_AVX512 ? "_mm512" : "_mm256");
  tcE_line(g, "tc_transpose_%s(%s);\n", tcE_vec_suffix(kx->visa), t);
  const char *mr = vec_mask(kx, 0, nr);
  tcE_line(g, "for (int64_t %s = 0; %s < %d && %s < %s - %s; %s++) {\n", l, l, L, l, ahi, va, l);
  g->indent++;
  idx[a] = new_v(kx);
  tcE_line(g, "const int64_t %s = %s + %s;\n", idx[a], va, l);
  idx[R - 1] = vr;
  vec_store_out(kx, s->out, idx, mr, kstr(kx, "%s[%s]", t, l));
  g->indent--;
  tcE_line(g, "}\n");
  g->indent--;
  tcE_line(g, "}\n");
  kx->vmemos.len = 0;
  kx->memos.len = save;
  g->indent--;
  tcE_line(g, "}\n");
}

/* A MAP stage with schedule() hints (passes/schedule.c says what each
   means): the untiled axes' loops, the tile loops, the loops within a
   tile; the innermost of them in blocks of vectorize * unroll iterations
   (unroll copies of a loop of `vectorize` iterations), the rest after
   them; parallel over the loops of axes 0..parallel, or, without that
   hint, when the work is worth it, over the outer loops but the last
   flattened into one (over the outermost loop when there are two). */
static void emit_scheduled_stage(kemit *kx, const tc_stage *s) {
  tcE_cg *g = kx->g;
  const tc_lbuf *o = &kx->p->bufs.data[s->out];
  const tc_schedule *sc = s->sched;
  int R = o->rank, nt = sc->ntile, ft = R - nt, base = g->indent;
  int w = sc->vectorize > 1 ? sc->vectorize : 1, u = sc->unroll > 1 ? sc->unroll : 1;
  const char *idx[TC_MAX_RANK];
  sloop loops[2 * TC_MAX_RANK];
  int n = 0;
  if (sc->node < 0) /* passes/schedule.c chose it */
    tcE_line(g, "/* schedule (a transpose, tiled):");
  else
    tcE_line(g, "/* schedule (%s:%d):", sc->loc.file ? sc->loc.file : "?", sc->loc.line);
  if (nt) {
    tc_buf_puts(g->o, " tile");
    for (int i = 0; i < nt; i++) tc_buf_printf(g->o, "%s%d", i ? "x" : " ", sc->tile[i]);
  }
  if (sc->vectorize) tc_buf_printf(g->o, " vectorize %d", sc->vectorize);
  if (sc->unroll) tc_buf_printf(g->o, " unroll %d", sc->unroll);
  if (sc->has_parallel) tc_buf_printf(g->o, " parallel %d", sc->parallel);
  tc_buf_puts(g->o, " */\n");
  if (R == 0) { /* nothing to tile or split (the pass allows no hint here) */
    tcE_line(g, "{\n");
    g->indent++;
    sched_body(kx, s, idx, 0, NULL, NULL, NULL);
    g->indent--;
    tcE_line(g, "}\n");
    return;
  }
  /* the outer loops: untiled axes (but the innermost), then the tiles */
  const char *tv[TC_MAX_RANK] = {0};
  for (int d = 0; d < R; d++) {
    idx[d] = kstr(kx, "%s%d", kx->nm.i, d);
    const char *E = ext_name(kx, o->shape[d]);
    if (d < ft && !(nt == 0 && d == R - 1)) loops[n++] = (sloop){idx[d], E, 1};
  }
  for (int d = ft; d < R; d++) {
    const char *E = ext_name(kx, o->shape[d]);
    tv[d] = new_v(kx);
    loops[n++] = (sloop){tv[d], E, sc->tile[d - ft]};
  }
  /* without a parallel hint, the outer loops but the last are one loop
     over their iterations (each recovered by / and %), so that a short
     outermost extent (N = 1) still splits over the threads */
  work wk = stage_work(kx, s);
  int par = !sc->has_parallel && n > 0 && (wk.sym || wk.v >= TCE_PAR_MIN_WORK);
  int nflat = par && n >= 3 ? n - 1 : 0;
  const char *flat = NULL, *flat_n = NULL;
  size_t at = g->o->len;
  if (nflat) {
    const char *cnt[2 * TC_MAX_RANK];
    flat = new_v(kx);
    for (int i = 0; i < nflat; i++) {
      const sloop *l = &loops[i];
      int digits = strspn(l->hi, "0123456789") == strlen(l->hi);
      if (l->step == 1)
        cnt[i] = l->hi;
      else if (digits)
        cnt[i] = kstr(kx, "%lld", (atoll(l->hi) + l->step - 1) / l->step);
      else
        cnt[i] = kstr(kx, "(%s / %d + (%s %% %d != 0))", l->hi, l->step, l->hi, l->step);
      flat_n = i ? kstr(kx, "%s * %s", flat_n, cnt[i]) : cnt[i];
    }
    if (strchr(flat_n, ' ')) flat_n = kstr(kx, "(%s)", flat_n);
    tcE_line(g, "for (int64_t %s = 0; %s < %s; %s++) {\n", flat, flat, flat_n, flat);
    g->indent++;
    const char *below = NULL; /* the product of the counts after loop i */
    for (int i = nflat - 1; i >= 0; i--) {
      const sloop *l = &loops[i];
      const char *v = flat;
      if (below) v = kstr(kx, strchr(below, ' ') ? "%s / (%s)" : "%s / %s", flat, below);
      if (i) v = kstr(kx, below ? "(%s) %% %s" : "%s %% %s", v, cnt[i]);
      if (l->step != 1) v = kstr(kx, "(%s) * %d", v, l->step);
      tcE_line(g, "const int64_t %s = %s;\n", l->var, v);
      below = below ? kstr(kx, "%s * %s", cnt[i], below) : cnt[i];
    }
  }
  int nfail = kx->nfail;
  for (int i = nflat; i < n; i++) {
    const sloop *l = &loops[i];
    if (l->step == 1)
      tcE_line(g, "for (int64_t %s = 0; %s < %s; %s++) {\n", l->var, l->var, l->hi, l->var);
    else
      tcE_line(g, "for (int64_t %s = 0; %s < %s; %s += %d) {\n", l->var, l->var, l->hi, l->var,
               l->step);
    g->indent++;
  }
  /* within a tile: each tiled axis's end, computed once; then the loops
     of the tiled axes but the last, and the innermost loop; for a
     transpose in vectors, the loops of the axes between the first tiled
     axis and the last, and blocks of lanes x lanes elements over those
     two (emit_transposed_tile) */
  const char *in = idx[R - 1], *end[TC_MAX_RANK] = {0};
  for (int d = ft; d < R; d++) {
    const char *E = ext_name(kx, o->shape[d]);
    int T = sc->tile[d - ft];
    end[d] = new_v(kx);
    tcE_line(g, "const int64_t %s = %s - %s > %d ? %s + %d : %s;\n", end[d], E, tv[d], T, tv[d],
             T, E);
  }
  int tvec = transposed_vec_ok(kx, s);
  for (int d = tvec ? ft + 1 : ft; d < R - 1; d++) {
    tcE_line(g, "for (int64_t %s = %s; %s < %s; %s++) {\n", idx[d], tv[d], idx[d], end[d],
             idx[d]);
    g->indent++;
  }
  const char *lo = nt ? tv[R - 1] : "0", *hi = nt ? end[R - 1] : ext_name(kx, o->shape[R - 1]);
  int B = w * u;
  if (tvec) {
    emit_transposed_tile(kx, s, idx, ft, tv[ft], end[ft], lo, hi);
  } else if (B == 1) {
    sched_body(kx, s, idx, R - 1, in, NULL,
               kstr(kx, "for (int64_t %s = %s; %s < %s; %s++)", in, lo, in, hi, in));
  } else {
    const char *j = new_v(kx);
    tcE_line(g, "int64_t %s = %s;\n", j, lo);
    tcE_line(g, "for (; %s - %s >= %d; %s += %d) {\n", hi, j, B, j, B);
    g->indent++;
    for (int c = 0; c < u; c++) {
      if (w > 1) {
        const char *l = new_v(kx);
        sched_body(kx, s, idx, R - 1, in,
                   c ? kstr(kx, "%s + %d + %s", j, c * w, l) : kstr(kx, "%s + %s", j, l),
                   kstr(kx, "for (int %s = 0; %s < %d; %s++)", l, l, w, l));
      } else {
        sched_body(kx, s, idx, R - 1, in, c ? kstr(kx, "%s + %d", j, c) : j, NULL);
      }
    }
    g->indent--;
    tcE_line(g, "}\n");
    sched_body(kx, s, idx, R - 1, in, j, kstr(kx, "for (; %s < %s; %s++)", j, hi, j));
  }
  while (g->indent > base) {
    g->indent--;
    tcE_line(g, "}\n");
  }
  /* parallel: the loops of axes 0..a are the first a + 1 loops opened
     (the innermost plain loop follows them directly when it is one of
     them) */
  if (kx->nfail != nfail) return;
  int nloops = 0;
  const char *cond = NULL;
  if (sc->has_parallel) {
    nloops = sc->parallel + 1;
  } else if (par) {
    cond = par_cond(kx, wk);
    nloops = 1;
  }
  if (nloops == 0) return;
  par_loop(kx, at, nflat ? 1 : nloops, cond);
}

/* ---- the GEMM template (emit/gemm.c, docs/gemm.md) ------------------- */

/* 1 when stage s is written as a call of the GEMM template: a contraction
   (passes/gemm.c) on an intrinsics target. */
static int gemm_stage(const kemit *kx, const tc_stage *s) {
  return s->gemm && kx->vec && kx->p->bufs.data[s->out].rank - 2 <= 6;
}

/* 1 when e loads buffer b (or a view of it). */
static int loads_buf(const tc_loop_prog *p, const tc_sexpr *e, int b) {
  if (e->op == TC_OP_LOAD && tc_loop_base_buf(p, e->ref) == b) return 1;
  for (int i = 0; i < e->nargs; i++)
    if (loads_buf(p, e->args[i], b)) return 1;
  return 0;
}

/* 1 when stage s (written as this variant writes it) reads buffer b. */
static int stage_reads(const kemit *kx, const tc_stage *s, int b) {
  const tc_loop_prog *p = kx->p;
  if (gemm_stage(kx, s))
    return loads_buf(p, s->gemm->aload, b) || (!s->gemm->b_weight && loads_buf(p, s->gemm->bload, b)) ||
           loads_buf(p, s->gemm->epi, b);
  if (loads_buf(p, s->body, b)) return 1;
  if (s->kind == TC_STAGE_ACCUM)
    for (int d = 0; d < p->bufs.data[s->out].rank; d++)
      if (loads_buf(p, s->idx[d], b)) return 1;
  return 0;
}

/* The buffer x when TEMP b is passes/nhwc.c's NHWC copy of the NCHW input
   x of a convolution that the intrinsics variants write with the template,
   else -1 (find_nchw_source, once a kernel: nchw_source reads its answer).  The template then reads x itself (amode 2: each task copies the
   input rows its output rows read, in cache, rather than P_run copying
   the whole image first): b's stage is not written and b not allocated.
   b must be written by one stage alone in its nest, b[n][h][w][c] =
   x[n][c][h][w] with x of b's extents, and read by nothing but that
   convolution's A; x must not be written between the two.  (The permute
   is passes/nhwc.c's, or a user's permute(x, {0, 2, 3, 1}) feeding an
   NHWC convolution.) */
static int find_nchw_source(const kemit *kx, int b) {
  const tc_loop_prog *p = kx->p;
  const tc_lbuf *t = &p->bufs.data[b];
  static const int perm[4] = {0, 3, 1, 2};
  if (t->kind != TC_LBUF_TEMP || t->local || t->rank != 4 || t->dtype != TC_DT_F32)
    return -1;
  int w = -1, r = -1;
  for (int s = 0; s < p->stages.len; s++) {
    const tc_stage *st = &p->stages.data[s];
    if (st->out == b) {
      if (w >= 0) return -1;
      w = s;
    } else if (stage_reads(kx, st, b)) {
      if (r >= 0) return -1;
      r = s;
    }
  }
  if (w < 0 || r < w) return -1;
  const tc_stage *ws = &p->stages.data[w], *rs = &p->stages.data[r];
  if (ws->kind != TC_STAGE_MAP || ws->gemm || ws->body->op != TC_OP_LOAD || ws->body->nargs != 4)
    return -1;
  if (ws->nest >= 0 && ((w > 0 && p->stages.data[w - 1].nest == ws->nest) ||
                        (w + 1 < p->stages.len && p->stages.data[w + 1].nest == ws->nest)))
    return -1;
  for (int d = 0; d < 4; d++)
    if (ws->body->args[d]->op != TC_OP_IVAR || ws->body->args[d]->var != perm[d]) return -1;
  int x = tc_loop_base_buf(p, ws->body->ref);
  const tc_lbuf *xr = &p->bufs.data[ws->body->ref];
  if (xr->rank != 4 || p->bufs.data[x].dtype != TC_DT_F32) return -1;
  /* x's extents are b's: a prefix slice fused into the permute
     (slice(x, 3, 0, W - 1)) loads a larger x with these same indices, and
     the template would read x with b's strides */
  for (int d = 0; d < 4; d++)
    if (!tc_ext_equal(xr->shape[d], t->shape[perm[d]])) return -1;
  for (int s = w + 1; s < r; s++)
    if (p->stages.data[s].out == x) return -1;
  const tc_gemm *gm = rs->gemm;
  if (!gemm_stage(kx, rs) || !gm->conv || !gm->conv[7] || gm->conv[6] > 1 || gm->aload->ref != b ||
      (!gm->b_weight && loads_buf(p, gm->bload, b)) || loads_buf(p, gm->epi, b))
    return -1;
  return x;
}

/* find_nchw_source's answer for this variant (none for the scalar one). */
static int nchw_source(const kemit *kx, int b) { return kx->vec ? kx->nchw_src[b] : -1; }


/* The row-major stride of axis t of buffer x, as a C expression (the
   extents were evaluated by the prologue, and their product, x's element
   count, was checked for overflow). */
static const char *stride_of(kemit *kx, const tc_lbuf *x, int t) {
  int64_t c = 1, v;
  tc_buf b = {0};
  for (int d = t + 1; d < x->rank; d++) {
    if (tc_ext_is_const(x->shape[d], &v)) c *= v;
    else tc_buf_printf(&b, "%s%s", b.len ? " * " : "", ext_name(kx, x->shape[d]));
  }
  const char *r = b.len ? (c == 1 ? kstr(kx, "%s", b.data) : kstr(kx, "%lld * %s", (long long)c, b.data))
                        : kstr(kx, "%lld", (long long)c);
  tc_buf_free(&b);
  return r;
}

/* The stride of operand load ld along the output's batch axis d (0 when
   it broadcasts along it). */
static const char *gemm_batch_stride(kemit *kx, const tc_sexpr *ld, int d) {
  for (int t = 0; t + 2 < ld->nargs; t++)
    if (ld->args[t]->op == TC_OP_IVAR && ld->args[t]->var == d)
      return stride_of(kx, &kx->p->bufs.data[ld->ref], t);
  return "0";
}

/* 1 when an NCHW convolution's epilogue e (output o) uses the pixel
   indices i2, i3 only as the last two indices of loads of buffers whose
   last two extents are o's (the output itself, a residual of its shape):
   then a pixel's elements are i2 * OW + i3 from its row of every such
   buffer, and a tile's columns run through all of them as i3 alone (i2 0),
   not row by row of the output. */
static int flat_pixels(const tc_loop_prog *p, const tc_sexpr *e, const tc_lbuf *o) {
  if (e->op == TC_OP_IVAR) return e->var != 2 && e->var != 3;
  if (e->op == TC_OP_LOAD && e->nargs >= 2) {
    const tc_sexpr *a = e->args[e->nargs - 2], *b = e->args[e->nargs - 1];
    if (a->op == TC_OP_IVAR && a->var == 2 && b->op == TC_OP_IVAR && b->var == 3) {
      const tc_lbuf *x = &p->bufs.data[e->ref];
      if (!tc_ext_equal(x->shape[x->rank - 2], o->shape[2]) ||
          !tc_ext_equal(x->shape[x->rank - 1], o->shape[3]))
        return 0;
      for (int t = 0; t + 2 < e->nargs; t++)
        if (!flat_pixels(p, e->args[t], o)) return 0;
      return 1;
    }
  }
  for (int t = 0; t < e->nargs; t++)
    if (!flat_pixels(p, e->args[t], o)) return 0;
  return 1;
}

/* Writes, before P_run, the function applying stage s's epilogue to a
   tile of its output (the sums already there), and returns its name; its
   argument struct's type is NAME_args, its members in *ids. */
static const char *gemm_epilogue(kemit *kx, const tc_stage *s, const char **ids, int *nids,
                                 int max) {
  tcE_cg *g = kx->g;
  const tc_lbuf *o = &kx->p->bufs.data[s->out];
  const names *nm = &kx->nm;
  int r = o->rank;
  const char *fn = kstr(kx, "%s_epi%d_%s", kx->P, kx->ngemm++, tcE_vec_suffix(kx->visa));
  const char *pa = kstr(kx, "%s5", nm->n), *pb = kstr(kx, "%s6", nm->n),
             *pi = kstr(kx, "%s7", nm->n), *pj = kstr(kx, "%s8", nm->n),
             *pm = kstr(kx, "%s9", nm->n), *pn = kstr(kx, "%s10", nm->n),
             *ps = kstr(kx, "%s11", nm->n);
  tc_buf *save = g->o;
  int save_indent = g->indent, save_memos = kx->memos.len;
  tc_buf body = {0};
  g->o = &body;
  g->indent = 1;
  const char *idx[TC_MAX_RANK];
  for (int d = 0; d < r; d++) idx[d] = kstr(kx, "%s%d", nm->i, d);
  const int64_t *cv = s->gemm->conv;
  /* the tile's rows and columns in the output's indices: a matmul's rows
     are i<r-2> (after the batch axes bi), its columns i<r-1>; an NHWC
     convolution's rows are output pixels (i1, i2) of image i0, its
     columns channels i3; an NCHW one's rows are channels i1, its columns
     pixels (i2, i3), a run of columns along each output row */
  const char *q = kstr(kx, "%s12", nm->n), *qlo = kstr(kx, "%s13", nm->n),
             *qhi = kstr(kx, "%s14", nm->n);
  const char *OW = cv ? ext_name(kx, o->shape[cv[7] ? 2 : 3]) : NULL;
  const char *vlo = pj, *vhi = kstr(kx, "%s + %s", pj, pn);
  if (cv) tcE_line(g, "const int64_t %s = %s[0];\n", idx[0], pb);
  else
    for (int d = 0; d + 2 < r; d++) tcE_line(g, "const int64_t %s = %s[%d];\n", idx[d], pb, d);
  int opened = 0;
  /* with groups, batch index 1 is the group: its channels (NHWC: the
     tile's columns; NCHW: its rows) from its first */
  const char *first = NULL;
  if (cv && cv[6] > 1) {
    int64_t K, Cout;
    conv_gemm_k(kx, s->gemm, &K, &Cout);
    first = kstr(kx, "%s[1] * %lld", pb, (long long)(Cout / cv[6]));
  }
  if (cv && cv[7]) { /* NHWC */
    tcE_line(g, "for (int64_t %s = %s; %s < %s + %s; %s++) {\n", q, pi, q, pi, pm, q);
    g->indent++;
    tcE_line(g, "const int64_t %s = %s / %s, %s = %s %% %s;\n", idx[1], q, OW, idx[2], q, OW);
    opened = 1;
    if (first) {
      vlo = kstr(kx, "(%s + %s)", pj, first);
      vhi = kstr(kx, "%s + %s", vlo, pn);
    }
  } else {
    const char *row = cv ? idx[1] : idx[r - 2];
    const char *lo = first ? kstr(kx, "(%s + %s)", pi, first) : pi;
    tcE_line(g, "for (int64_t %s = %s; %s < %s + %s; %s++) {\n", row, lo, row, lo, pm, row);
    g->indent++;
    opened = 1;
    if (cv && !s->checked && flat_pixels(kx->p, s->gemm->epi, o)) {
      /* NCHW, the pixels as one run: i3 over all of the tile's columns
         (1.06x faster for 1x1 256 -> 64 at 56 x 56 with bias and relu,
         A/B harness, one thread, than a run per output row, which cuts a
         tile's columns at the rows' ends into whole and partial vectors) */
      idx[2] = "0";
      kx->zero_ivars |= 1u << 2;
    } else if (cv) { /* NCHW: the columns, a run along each output row */
      tcE_line(g, "for (int64_t %s = %s; %s < %s + %s;) {\n", q, pj, q, pj, pn);
      g->indent++;
      tcE_line(g, "const int64_t %s = %s / %s, %s = %s %% %s;\n", idx[2], q, OW, qlo, q, OW);
      tcE_line(g, "const int64_t %s = %s - %s < %s + %s - %s ? %s : %s + %s + %s - %s;\n", qhi, OW,
               qlo, pj, pn, q, OW, qlo, pj, pn, q);
      vlo = qlo;
      vhi = qhi;
      opened = 2;
    }
  }
  vector_loop(kx, s, s->gemm->epi, idx, vlo, vhi);
  kx->zero_ivars = 0;
  if (opened == 2) {
    tcE_line(g, "%s += %s - %s;\n", q, qhi, qlo);
    g->indent--;
    tcE_line(g, "}\n");
  }
  g->indent--;
  tcE_line(g, "}\n");
  g->o = save;
  g->indent = save_indent;
  kx->memos.len = save_memos;

  const char *types[64];
  int ok = pool_scan(kx, body.data, ids, types, nids, max);
  assert(ok && "an epilogue reads dense buffers and extents only");
  (void)ok;
  tc_buf f = {0};
  tc_buf_printf(&f, "typedef struct %s_args {\n", fn);
  for (int i = 0; i < *nids; i++) {
    int ptr = types[i][strlen(types[i]) - 1] == '*';
    tc_buf_printf(&f, "  %s%s%s;\n", types[i], ptr ? "" : " ", ids[i]);
  }
  if (!*nids) tc_buf_puts(&f, "  char unused;\n");
  tc_buf_printf(&f, "} %s_args;\n\n", fn);
  tc_buf_printf(&f, "/* %s:%d: the epilogue of %s on rows [%s, %s + %s) x columns [%s, %s + %s)\n"
                    "   of batch index %s, their sums in %s. */\n",
                s->loc.file ? s->loc.file : "?", s->loc.line, s->what ? s->what : "?", pi, pi,
                pm, pj, pj, pn, pb, kx->p->bufs.data[s->gemm->acc].name);
  tc_buf_printf(&f,
                "static %svoid %s(const void *%s, const int64_t *%s, int64_t %s, int64_t %s,\n"
                "    int64_t %s, int64_t %s) {\n",
                kx->attr, fn, pa, pb, pi, pj, pm, pn);
  tc_buf_printf(&f, "  const %s_args *%s = (const %s_args *)%s;\n", fn, ps, fn, pa);
  if (r == 2 && !cv) tc_buf_printf(&f, "  (void)%s;\n", pb);
  if (!*nids) tc_buf_printf(&f, "  (void)%s;\n", ps);
  for (int i = 0; i < *nids; i++) {
    int ptr = types[i][strlen(types[i]) - 1] == '*';
    if (ptr)
      tc_buf_printf(&f, "  %sconst %s = %s->%s;\n", types[i], ids[i], ps, ids[i]);
    else
      tc_buf_printf(&f, "  const %s %s = %s->%s;\n", types[i], ids[i], ps, ids[i]);
  }
  tc_buf_puts(&f, body.data);
  tc_buf_puts(&f, "}\n\n");
  insert_text(g, kx->run_at, f.data);
  kx->run_at += f.len;
  tc_buf_free(&f);
  tc_buf_free(&body);
  return fn;
}

/* The fields of GEMM descriptor v for convolution stage s: per image, an
   implicit GEMM (tc_gemm.conv, docs/gemm.md). */
static void emit_conv_fields(kemit *kx, const tc_stage *s, const char *v, int pre) {
  tcE_cg *g = kx->g;
  const tc_loop_prog *p = kx->p;
  const tc_gemm *gm = s->gemm;
  const tc_lbuf *o = &p->bufs.data[s->out], *X = &p->bufs.data[gm->aload->ref];
  const tc_lbuf *W = &p->bufs.data[gm->bload->ref];
  const int64_t *a = gm->conv;
  int nhwc = a[7] != 0, src = nhwc ? nchw_source(kx, gm->aload->ref) : -1;
  int64_t K, Cout;
  conv_gemm_k(kx, gm, &K, &Cout);
  /* extents: x [N, C, H, W] or [N, H, W, C]; y likewise; w static */
  const char *H = ext_name(kx, X->shape[nhwc ? 1 : 2]), *Wd = ext_name(kx, X->shape[nhwc ? 2 : 3]);
  const char *C = ext_name(kx, X->shape[nhwc ? 3 : 1]);
  const char *OH = ext_name(kx, o->shape[nhwc ? 1 : 2]), *OW = ext_name(kx, o->shape[nhwc ? 2 : 3]);
  const char *x = buf_cname(kx, gm->aload->ref), *w = buf_cname(kx, gm->bload->ref);
  const char *pix = kstr(kx, "%s * %s", OH, OW);
  int64_t kh = 0, kw = 0;
  tc_ext_is_const(W->shape[nhwc ? 0 : 2], &kh);
  tc_ext_is_const(W->shape[nhwc ? 1 : 3], &kw);
  if (nhwc) { /* rows: output pixels; columns: output channels (a group's) */
    tcE_line(g, "%s.m = %s;\n", v, pix);
    tcE_line(g, "%s.n = %lld;\n", v, (long long)(Cout / a[6]));
    tcE_line(g, "%s.k = %lld;\n", v, (long long)K);
    /* the input's NHWC copy, or (amode 2) the NCHW image it copies */
    tcE_line(g, "%s.amode = %d;\n", v, src >= 0 ? 2 : 1);
    tcE_line(g, "%s.a = %s;\n", v, src >= 0 ? buf_cname(kx, src) : x);
    if (pre) {
      tcE_line(g, "%s.bp = %s->tc_pack%d;\n", v, kx->nm.ctx, (int)(s - p->stages.data));
    } else {
      tcE_line(g, "%s.bmode = 1;\n", v);
      tcE_line(g, "%s.b = %s;\n", v, w);
      tcE_line(g, "%s.b_rs = %lld;\n", v, (long long)Cout);
      tcE_line(g, "%s.b_cs = 1;\n", v);
    }
    tcE_line(g, "%s.ldc = %lld;\n", v, (long long)Cout);
  } else { /* rows: output channels (w's rows); columns: output pixels */
    tcE_line(g, "%s.m = %lld;\n", v, (long long)(Cout / a[6]));
    tcE_line(g, "%s.n = %s;\n", v, pix);
    tcE_line(g, "%s.k = %lld;\n", v, (long long)K);
    if (pre) /* the direct kernel's, packed by P_create (P_run may keep no copy of w) */
      tcE_line(g, "%s.ap = %s->tc_pack%d;\n", v, kx->nm.ctx, (int)(s - p->stages.data));
    else
      tcE_line(g, "%s.a = %s;\n", v, w);
    tcE_line(g, "%s.a_rs = %lld;\n", v, (long long)K);
    tcE_line(g, "%s.a_cs = 1;\n", v);
    if (kh == 1 && kw == 1 && a[0] == 1 && a[1] == 1 && a[2] == 0 && a[3] == 0) {
      /* a 1x1 window, stride 1, no padding: B is the image itself, [C, H W] */
      tcE_line(g, "%s.bmode = 1;\n", v);
      tcE_line(g, "%s.b = %s;\n", v, x);
      tcE_line(g, "%s.b_rs = %s;\n", v, pix);
      tcE_line(g, "%s.b_cs = 1;\n", v);
    } else {
      /* the direct kernel reads a padded copy of the image in place; else
         B's windows are gathered block by block */
      tcE_line(g, "%s.bmode = %d;\n", v, tc_loop_conv_direct(kx->p, s->gemm, s->out) ? 3 : 2);
      tcE_line(g, "%s.b = %s;\n", v, x);
    }
    tcE_line(g, "%s.ldc = %s;\n", v, pix);
  }
  tcE_line(g, "%s.c = %s;\n", v, buf_cname(kx, gm->acc));
  tcE_line(g, "%s.cv.h = %s;\n", v, H);
  tcE_line(g, "%s.cv.w = %s;\n", v, Wd);
  if (a[6] > 1) /* a group's input channels */
    tcE_line(g, "%s.cv.c = %lld;\n", v, (long long)(K / (kh * kw)));
  else
    tcE_line(g, "%s.cv.c = %s;\n", v, C);
  tcE_line(g, "%s.cv.cs = %s;\n", v, C); /* (NHWC: a pixel's channels, all groups') */
  tcE_line(g, "%s.cv.ow = %s;\n", v, OW);
  tcE_line(g, "%s.cv.kh = %lld;\n", v, (long long)kh);
  tcE_line(g, "%s.cv.kw = %lld;\n", v, (long long)kw);
  static const char *const f[6] = {"sh", "sw", "ph", "pw", "dh", "dw"};
  for (int i = 0; i < 6; i++) tcE_line(g, "%s.cv.%s = %lld;\n", v, f[i], (long long)a[i]);
  /* one batch axis: the image; and with groups, each group a batch
     matrix of its own: in NCHW its rows of w, planes of x and planes of
     y; in NHWC its channels of each pixel of x, columns of w (or its
     panels packed at create) and channels of each pixel of y */
  tcE_line(g, "%s.nb = %d;\n", v, a[6] > 1 ? 2 : 1);
  tcE_line(g, "%s.bext[0] = %s;\n", v, ext_name(kx, o->shape[0]));
  tcE_line(g, "%s.%s_bs[0] = %s;\n", v, nhwc ? "a" : "b", stride_of(kx, X, 0));
  tcE_line(g, "%s.c_bs[0] = %s;\n", v, stride_of(kx, o, 0));
  if (a[6] > 1 && nhwc) {
    const int64_t per = Cout / a[6];
    tcE_line(g, "%s.bext[1] = %lld;\n", v, (long long)a[6]);
    tcE_line(g, "%s.a_bs[1] = %lld;\n", v, (long long)(K / (kh * kw)));
    tcE_line(g, "%s.b_bs[1] = %lld;\n", v, (long long)(pre ? group_panels(kx->visa, per, K) : per));
    tcE_line(g, "%s.c_bs[1] = %lld;\n", v, (long long)per);
  } else if (a[6] > 1) {
    tcE_line(g, "%s.bext[1] = %lld;\n", v, (long long)a[6]);
    tcE_line(g, "%s.a_bs[1] = %lld;\n", v, (long long)(Cout / a[6] * K));
    tcE_line(g, "%s.b_bs[1] = %lld * %s;\n", v, (long long)(K / (kh * kw)), stride_of(kx, X, 1));
    tcE_line(g, "%s.c_bs[1] = %lld * %s;\n", v, (long long)(Cout / a[6]), stride_of(kx, o, 1));
  }
}

/* Stage s (gemm_stage) as a call of the template's entry point. */
static void emit_gemm_stage(kemit *kx, const tc_stage *s) {
  tcE_cg *g = kx->g;
  const tc_loop_prog *p = kx->p;
  const tc_gemm *gm = s->gemm;
  const tc_lbuf *o = &p->bufs.data[s->out];
  const tc_lbuf *A = &p->bufs.data[gm->aload->ref], *B = &p->bufs.data[gm->bload->ref];
  int r = o->rank, ra = gm->aload->nargs, rb = gm->bload->nargs;
  tcE_visa isa = kx->visa;
  const char *sfx = tcE_vec_suffix(isa);
  g->gemm[isa] = 1;
  g->vec_isa[isa] = 1;
  g->vec_tail[isa] = 1;
  g->vtrans[isa] = 1; /* amode 2's copies (tc_gemm_nhwc_rows) */
  g->omp_for = 1;
  const char *ids[64];
  int nids = 0;
  const char *epi = gm->plain ? NULL : gemm_epilogue(kx, s, ids, &nids, 64);
  int pre = gm->b_weight;
  int src = gm->conv ? nchw_source(kx, gm->aload->ref) : -1;
  kx->read[src >= 0 ? src : tc_loop_base_buf(p, gm->aload->ref)] = 1;
  if (!pre) kx->read[tc_loop_base_buf(p, gm->bload->ref)] = 1;
  int direct = gm->conv && tc_loop_conv_direct(kx->p, s->gemm, s->out);
  tcE_line(g, "/* GEMM template: %s%d x %d %s micro-kernels%s%s%s */\n",
           direct ? "the image read in place by the direct " : "",
           direct ? tcE_gemm_direct_mr(isa) : tcE_gemm_mr(isa),
           tcE_gemm_nr(isa), isa == TCE_VISA_AVX512 ? "AVX-512" : "AVX2",
           src >= 0 ? kstr(kx, ", %s read as NCHW rows copied by each task", p->bufs.data[src].name)
                    : "",
           pre ? kstr(kx, ", %s packed at create", B->name) : "",
           !epi ? "" : gm->acc != s->out
                    ? kstr(kx, ", the epilogue on each tile (its sums in %s)",
                           p->bufs.data[gm->acc].name)
                    : ", the epilogue on each tile");
  tcE_line(g, "{\n");
  g->indent++;
  const char *ea = NULL;
  if (epi) {
    ea = new_v(kx);
    tc_buf init = {0};
    for (int i = 0; i < nids; i++) tc_buf_printf(&init, "%s%s", i ? ", " : "", ids[i]);
    tcE_line(g, "const %s_args %s = {%s};\n", epi, ea, nids ? init.data : "0");
    tc_buf_free(&init);
  }
  const char *v = new_v(kx);
  tcE_line(g, "tc_gemm %s = {0};\n", v);
  if (!gm->conv) {
    tcE_line(g, "%s.m = %s;\n", v, ext_name(kx, o->shape[r - 2]));
    tcE_line(g, "%s.n = %s;\n", v, ext_name(kx, o->shape[r - 1]));
    tcE_line(g, "%s.k = %s;\n", v, ext_name(kx, gm->reduce->ext));
  }
  if (gm->conv) {
    emit_conv_fields(kx, s, v, pre);
  } else {
    const char *a_row = stride_of(kx, A, ra - 2), *a_col = stride_of(kx, A, ra - 1);
    tcE_line(g, "%s.a = %s;\n", v, buf_cname(kx, gm->aload->ref));
    tcE_line(g, "%s.a_rs = %s;\n", v, gm->a_trans ? a_col : a_row);
    tcE_line(g, "%s.a_cs = %s;\n", v, gm->a_trans ? a_row : a_col);
    if (pre) {
      tcE_line(g, "%s.bp = %s->tc_pack%d;\n", v, kx->nm.ctx, (int)(s - p->stages.data));
    } else {
      const char *b_row = stride_of(kx, B, rb - 2), *b_col = stride_of(kx, B, rb - 1);
      tcE_line(g, "%s.bmode = 1;\n", v);
      tcE_line(g, "%s.b = %s;\n", v, buf_cname(kx, gm->bload->ref));
      tcE_line(g, "%s.b_rs = %s;\n", v, gm->b_trans ? b_col : b_row);
      tcE_line(g, "%s.b_cs = %s;\n", v, gm->b_trans ? b_row : b_col);
    }
    tcE_line(g, "%s.c = %s;\n", v, buf_cname(kx, gm->acc)); /* the output, or its f32 sums */
    tcE_line(g, "%s.ldc = %s;\n", v, stride_of(kx, o, r - 2));
    if (r > 2) tcE_line(g, "%s.nb = %d;\n", v, r - 2);
    for (int d = 0; d + 2 < r; d++) {
      tcE_line(g, "%s.bext[%d] = %s;\n", v, d, ext_name(kx, o->shape[d]));
      const char *sa = gemm_batch_stride(kx, gm->aload, d), *sb = gemm_batch_stride(kx, gm->bload, d);
      if (strcmp(sa, "0")) tcE_line(g, "%s.a_bs[%d] = %s;\n", v, d, sa);
      if (strcmp(sb, "0") && !pre) tcE_line(g, "%s.b_bs[%d] = %s;\n", v, d, sb);
      tcE_line(g, "%s.c_bs[%d] = %s;\n", v, d, stride_of(kx, o, d));
    }
  }
  tcE_line(g, "%s.kcb = %s->tc_kc;\n", v, kx->nm.ctx);
  tcE_line(g, "%s.bkp = %s->tc_bkp;\n", v, kx->nm.ctx);
  if (epi) {
    tcE_line(g, "%s.epi = %s;\n", v, epi);
    tcE_line(g, "%s.epi_arg = &%s;\n", v, ea);
  }
  tcE_line(g, "if (tc_gemm_%s(&%s) != 0) %s\n", sfx, v, fail(kx, "TC_ENOMEM"));
  g->indent--;
  tcE_line(g, "}\n");
}

static void emit_stage(kemit *kx, const tc_stage *s) {
  tcE_cg *g = kx->g;
  const tc_lbuf *o = &kx->p->bufs.data[s->out];
  kx->s = s;
  kx->nest_first = kx->nest_last = (int)(s - kx->p->stages.data);
  kx->nv = 0;
  kx->hoisted.len = 0;
  kx->memos.len = 0;
  tc_buf_putc(g->o, '\n');
  stage_comment(kx, s, "");
  if (s->kind == TC_STAGE_ACCUM) {
    emit_accum_stage(kx, s);
    return;
  }
  if (gemm_stage(kx, s)) {
    emit_gemm_stage(kx, s);
    return;
  }
  int base = g->indent;
  if (o->rank == 0) {
    tcE_line(g, "{\n");
    g->indent++;
  }
  const char *idx[TC_MAX_RANK];
  hoist_empty_checks(kx, s);
  if (s->sched) {
    emit_scheduled_stage(kx, s);
    if (o->rank == 0) {
      g->indent--;
      tcE_line(g, "}\n");
    }
    return;
  }
  if (interchange_ok(kx, s)) {
    emit_interchanged_stage(kx, s);
    return;
  }
  size_t at = g->o->len;
  int nfail = kx->nfail;
  int nloops = emit_loops_and_body(kx, s, 0, idx, 1);
  while (g->indent > base) { /* the block of a rank-0 stage */
    g->indent--;
    tcE_line(g, "}\n");
  }
  parallelize(kx, s, at, nfail, nloops);
}

/* 1 when every load of buffer t in e reads row [i0, ..., i(k-1)] at
   element `var` (t[i0, ..., i(k-1), r]), an axis of extent 1 read at 0. */
static int loads_own_row(const tc_loop_prog *p, const tc_sexpr *e, int t, int k, int var) {
  if (e->op == TC_OP_LOAD && e->ref == t) {
    for (int d = 0; d < k; d++)
      if (!tc_loop_index_is_ivar(p, t, d, e->args[d])) return 0;
    return e->args[k]->op == TC_OP_RVAR && e->args[k]->var == var;
  }
  for (int i = 0; i < e->nargs; i++)
    if (!loads_own_row(p, e->args[i], t, k, var)) return 0;
  return 1;
}

/* 1 when e loads buffer t outside its subexpression r. */
static int reads_outside(const tc_sexpr *e, int t, const tc_sexpr *r) {
  if (e == r) return 0;
  if (e->op == TC_OP_LOAD && e->ref == t) return 1;
  for (int i = 0; i < e->nargs; i++)
    if (reads_outside(e->args[i], t, r)) return 1;
  return 0;
}

/* Stage b of a nest sharing k loops reduces, in lanes, the row stage a
   (just before it) writes: a[i0.., i_k] over i_k, b = f(red(r: ..a[i0.., r]..))
   with b's other axes of extent 1.  Then a's element is computed inside
   the reduction's lane loop (a softmax's exponentials and their sum in
   one pass over the row, as a hand-written one does); every value and
   the order of the reduction stay the same.  Returns the REDUCE, or
   NULL. */
static const tc_sexpr *row_reduction_of(kemit *kx, const tc_stage *a, const tc_stage *b,
                                        int k) {
  const tc_loop_prog *p = kx->p;
  const tc_lbuf *ao = &p->bufs.data[a->out], *bo = &p->bufs.data[b->out];
  int64_t one;
  if (ao->rank != k + 1 || !strcmp(ext_name(kx, ao->shape[k]), "1")) return NULL;
  for (int d = k; d < bo->rank; d++)
    if (!tc_ext_is_const(bo->shape[d], &one) || one != 1) return NULL;
  if (tc_loop_sx_count_reduces(b->body) != 1 || uses_ivar_from(b->body, k)) return NULL;
  const tc_sexpr *r = find_reduce_sx(b->body);
  if (!tc_loop_reduce_in_lanes(r) || r->nargs != 1 || !tc_ext_equal(r->ext, ao->shape[k])) return NULL;
  if (needs_empty_check(r)) {
    int hoisted = 0;
    for (int i = 0; i < kx->hoisted.len; i++) hoisted |= kx->hoisted.data[i] == r;
    if (!hoisted) return NULL;
  }
  if (!loads_own_row(p, r->args[0], a->out, k, r->var)) return NULL;
  if (reads_outside(b->body, a->out, r)) return NULL; /* a's row read elsewhere in b */
  return r;
}

/* 1 when the nest first..last shares every loop of its stages (no stage
   has a loop of its own: several outputs over one iteration space) and
   the vectorize pass put each in vectors: the last shared loop then runs
   in vectors, the stages one after the other inside it. */
static int nest_vec_ok(kemit *kx, int first, int last) {
  if (!kx->vec) return 0;
  for (int s = first; s <= last; s++) {
    const tc_stage *st = &kx->p->stages.data[s];
    const tc_lbuf *o = &kx->p->bufs.data[st->out];
    if (!st->vec || o->rank != st->shared ||
        !vec_sx_ok(kx, st, st->body, TC_OP_IVAR, o->rank - 1))
      return 0;
  }
  return 1;
}

/* The nest of nest_vec_ok: the shared loops, the last by vectors (whole
   ones, then the last, partial one: vsplit_begin), each stage's vector
   computed and stored in turn.  A local buffer's element is the vector
   itself, read by the later stages (kx->vlocal), never stored. */
static void emit_nest_vector(kemit *kx, int first, int last, const char **idx) {
  tcE_cg *g = kx->g;
  const tc_loop_prog *p = kx->p;
  const tc_lbuf *o0 = &p->bufs.data[p->stages.data[first].out];
  int k = o0->rank, lanes = tcE_vec_lanes(kx->visa), base = g->indent;
  for (int d = 0; d < k; d++) {
    const char *E = ext_name(kx, o0->shape[d]);
    idx[d] = kstr(kx, "%s%d", kx->nm.i, d);
    tcE_line(g, "for (int64_t %s = 0; %s < %s; %s += %d) {\n", idx[d], idx[d], E, idx[d],
             d == k - 1 ? lanes : 1);
    g->indent++;
  }
  const char *E = ext_name(kx, o0->shape[k - 1]), *left = kstr(kx, "%s - %s", E, idx[k - 1]);
  g->vec_isa[kx->visa] = 1;
  int nbody = vsplit_begin(kx, whole_vectors("0", E, lanes), left, lanes);
  for (int bk = 0; bk < nbody; bk++) {
    if (bk) vsplit_next(kx);
    kx->memos.len = 0;
    kx->vmemos.len = 0;
    const char *m = vec_mask(kx, bk == 0, left);
    lanes_at(kx, TC_OP_IVAR, k - 1, idx[k - 1], 1);
    for (int s = first; s <= last; s++) {
      const tc_stage *st = &p->stages.data[s];
      const tc_lbuf *o = &p->bufs.data[st->out];
      kx->s = st;
      stage_comment(kx, st, "");
      const char *v = emit_vsx(kx, st->body, m);
      if (o->local) { /* its loads in the later stages are v (rounded as stored) */
        if (o->dtype == TC_DT_BF16) {
          tc_buf b = {0};
          tcE_vec_round_bf16(&b, kx->visa, v, g->vbf16);
          v = vdef(kx, NULL, tcE_vec_type(kx->visa), &b);
        }
        kx->vlocal[st->out] = v;
        continue;
      }
      vec_store_out(kx, st->out, idx, m, v);
    }
    for (int s = first; s <= last; s++) kx->vlocal[p->stages.data[s].out] = NULL;
  }
  vsplit_end(kx, nbody);
  kx->memos.len = 0;
  kx->vmemos.len = 0;
  while (g->indent > base) {
    g->indent--;
    tcE_line(g, "}\n");
  }
}

/* The stages first..last of one nest (passes/nest.c): the shared loops
   once, the nest's local buffers declared inside them, then each stage's
   remaining loops in program order.  The "max of nothing" checks of all
   the stages come before the nest, so that it has no way out and can run
   parallel; it then splits over its shared loops, each iteration writing
   its own rows with the same code, so results do not depend on the
   thread count. */
static void emit_nest(kemit *kx, int first, int last) {
  tcE_cg *g = kx->g;
  const tc_loop_prog *p = kx->p;
  const tc_stage *s0 = &p->stages.data[first];
  const tc_lbuf *o0 = &p->bufs.data[s0->out];
  int k = s0->shared, base = g->indent;
  kx->nest_first = first;
  kx->nest_last = last;
  kx->nv = 0;
  kx->hoisted.len = 0;
  /* the DSL lines and ops, once each */
  tc_buf c = {0};
  for (int s = first; s <= last; s++) {
    const tc_stage *st = &p->stages.data[s];
    int seen = 0;
    for (int t = first; t < s; t++) {
      const tc_stage *u = &p->stages.data[t];
      seen |= u->loc.line == st->loc.line && u->loc.file == st->loc.file;
    }
    if (!seen)
      tc_buf_printf(&c, "%s%s:%d", c.len ? ", " : "", st->loc.file ? st->loc.file : "?",
                    st->loc.line);
  }
  tc_buf_putc(g->o, '\n');
  tcE_line(g, "/* %s: one loop nest over the rows of %d stages */\n", c.data, last - first + 1);
  tc_buf_free(&c);
  for (int s = first; s <= last; s++) {
    kx->s = &p->stages.data[s];
    hoist_empty_checks(kx, kx->s);
  }
  size_t at = g->o->len;
  int nfail = kx->nfail;
  const char *idx[TC_MAX_RANK];
  if (nest_vec_ok(kx, first, last)) { /* every loop shared: the last one in vectors */
    emit_nest_vector(kx, first, last, idx);
    if (kx->nfail != nfail) return;
    work w = work_const(0);
    for (int s = first; s <= last; s++) w = work_op(kx, w, stage_work(kx, &p->stages.data[s]), '+');
    if (!w.sym && w.v < TCE_PAR_MIN_WORK) return;
    par_loop(kx, at, k - 1, par_cond(kx, w));
    return;
  }
  for (int d = 0; d < k; d++) {
    idx[d] = kstr(kx, "%s%d", kx->nm.i, d);
    tcE_line(g, "for (int64_t %s = 0; %s < %s; %s++) {\n", idx[d], idx[d],
             ext_name(kx, o0->shape[d]), idx[d]);
    g->indent++;
  }
  for (int s = first; s <= last; s++) {
    const tc_lbuf *x = &p->bufs.data[p->stages.data[s].out];
    if (!x->local) continue;
    if (x->row_of >= 0) { /* the current row of an output (passes/nest.c) */
      const tc_lbuf *y = &p->bufs.data[x->row_of];
      const char *at0[TC_MAX_RANK];
      for (int d = 0; d < y->rank; d++) at0[d] = d < k ? idx[d] : "0";
      tcE_line(g, "%s *const %s = %s + %s; /* a row of %s, turned into it in place */\n",
               tc_dtype_ctype(x->dtype), buf_cname(kx, p->stages.data[s].out),
               buf_cname(kx, x->row_of), linear(kx, y, at0), buf_cname(kx, x->row_of));
      continue;
    }
    int64_t n = 1;
    for (int d = k; d < x->rank; d++) {
      int64_t v = 0;
      int ok = tc_ext_is_const(x->shape[d], &v);
      assert(ok);
      (void)ok;
      n *= v;
    }
    tcE_line(g, "%s %s[%lld];\n", tc_dtype_ctype(x->dtype), buf_cname(kx, p->stages.data[s].out),
             (long long)(n > 0 ? n : 1));
  }
  int inner_all = 1; /* every stage has loops of its own inside */
  work w = work_const(0);
  for (int s = first; s <= last; s++) {
    const tc_stage *st = &p->stages.data[s];
    const tc_lbuf *o = &p->bufs.data[st->out];
    kx->s = st;
    kx->memos.len = 0;
    inner_all &= o->rank > k;
    w = work_op(kx, w, stage_work(kx, st), '+');
    stage_comment(kx, st, "");
    if (s < last && row_reduction_of(kx, st, &p->stages.data[s + 1], k)) {
      /* st's row computed inside the next stage's reduction loop */
      const tc_stage *b = &p->stages.data[s + 1];
      const tc_lbuf *bo = &p->bufs.data[b->out];
      w = work_op(kx, w, stage_work(kx, b), '+');
      stage_comment(kx, b, ", in the same loop");
      kx->s = b;
      for (int d = k; d < bo->rank; d++) idx[d] = "0"; /* axes of extent 1 */
      kx->pre = st;
      kx->pre_axis = k;
      const char *v = emit_sx(kx, b->body, 0);
      kx->pre = NULL;
      tc_buf sv = {0};
      tcE_scalar_store(g, &sv, bo->dtype, v);
      tcE_line(g, "%s[%s] = %s;\n", buf_cname(kx, b->out), linear(kx, bo, idx), sv.data);
      tc_buf_free(&sv);
      s++;
      continue;
    }
    emit_loops_and_body(kx, st, k, idx, 0);
  }
  kx->memos.len = 0;
  while (g->indent > base) {
    g->indent--;
    tcE_line(g, "}\n");
  }
  if (kx->nfail != nfail || (!w.sym && w.v < TCE_PAR_MIN_WORK)) return;
  int collapse = inner_all ? k : k - 1;
  par_loop(kx, at, collapse, par_cond(kx, w));
}

/* Marks the buffers the stages read (arguments never read get (void)). */
static void mark_reads(kemit *kx, const tc_sexpr *e) {
  if (e->op == TC_OP_LOAD) {
    const tc_lbuf *x = &kx->p->bufs.data[e->ref];
    kx->read[x->kind == TC_LBUF_ALIAS ? x->alias : e->ref] = 1;
  }
  for (int i = 0; i < e->nargs; i++) mark_reads(kx, e->args[i]);
}

static void mark_stage_reads(kemit *kx, const tc_stage *s) {
  if (kx->p->bufs.data[s->out].kind == TC_LBUF_CREATE) return; /* P_create's */
  if (gemm_stage(kx, s)) { /* the template reads A, B unless packed, and the epilogue's loads */
    int x = nchw_source(kx, s->gemm->aload->ref);
    if (x >= 0)
      kx->read[x] = 1;
    else
      mark_reads(kx, s->gemm->aload);
    if (!s->gemm->b_weight) mark_reads(kx, s->gemm->bload);
    mark_reads(kx, s->gemm->epi);
    return;
  }
  mark_reads(kx, s->body);
  if (s->kind == TC_STAGE_ACCUM)
    for (int d = 0; d < kx->p->bufs.data[s->out].rank; d++) mark_reads(kx, s->idx[d]);
}

/* A constant table, declared at the top of P_run.  Finite values make a
   static table; a table holding an infinity or a NaN is initialized when
   P_run starts (those are not constant expressions without <math.h>). */
static void emit_const_table(kemit *kx, int b) {
  tcE_cg *g = kx->g;
  const tc_lbuf *x = &kx->p->bufs.data[b];
  int64_t n = 0;
  int ok = tc_ext_is_const(x->shape[0], &n);
  assert(ok);
  (void)ok;
  int finite = 1;
  if (x->fvals)
    for (int64_t i = 0; i < n; i++)
      if (!(x->fvals[i] - x->fvals[i] == 0)) finite = 0;
  tcE_line(g, "%sconst %s %s[%lld] = {", finite ? "static " : "", tc_dtype_ctype(x->dtype),
           buf_cname(kx, b), (long long)(n ? n : 1));
  for (int64_t i = 0; i < (n ? n : 1); i++) {
    tc_buf_puts(g->o, i ? (i % 8 ? ", " : ",\n      ") : "");
    if (!n) {
      tc_buf_puts(g->o, "0");
    } else if (x->dtype == TC_DT_BF16) {
      tc_buf_printf(g->o, "0x%04x", (unsigned)tc_bf16_from_f32((float)x->fvals[i]));
    } else if (x->fvals) {
      tcE_scalar_literal(g, g->o, x->dtype, x->fvals[i], 0);
    } else {
      tcE_scalar_literal(g, g->o, x->dtype, 0, x->ivals[i]);
    }
  }
  tc_buf_puts(g->o, "};\n");
}

/* 1 when TEMP b is not allocated by this variant: the f32 sums of a GEMM
   stage with a converted output (tc_gemm.acc) that the variant computes
   without the template (the scalar one), or an NHWC copy the template
   does without (nchw_source).  Nothing writes or reads it. */
static int unused_temp(const kemit *kx, int b) {
  const tc_loop_prog *p = kx->p;
  for (int s = 0; s < p->stages.len; s++) {
    const tc_stage *st = &p->stages.data[s];
    if (st->gemm && st->gemm->acc == b && st->out != b) return !gemm_stage(kx, st);
  }
  return nchw_source(kx, b) >= 0; /* the template reads the NCHW input instead */
}

/* ---- where P_run's temporaries live ---------------------------------- */

/* A temporary of static size lives on P_run's stack while it fits in
   TCE_STACK_TEMP_BYTES (in buffer order), else in the context's scratch,
   allocated once by P_create: no malloc in P_run for static shapes.
   Temporaries whose lifetimes do not overlap share its bytes.  Several
   threads may run one context at once (spec/abi.md): a call takes the
   scratch with an atomic exchange, and a call that finds it taken (or
   code compiled by tcc, which has no atomics) allocates its own for the
   call.  Temporaries of symbolic size are allocated for the call. */

/* Each temporary's offset in the scratch is a multiple of this (a cache
   line); the first line holds the flag saying the scratch is taken. */
#define TCE_SCRATCH_ALIGN 64

/* Bytes of temporary b when its size is static, else -1 (a zero extent
   counts as 1, as the stack's arrays need one element). */
static int64_t static_bytes(const tc_lbuf *x) {
  int64_t n = tc_dtype_size(x->dtype), v;
  for (int d = 0; d < x->rank; d++) {
    if (!tc_ext_is_const(x->shape[d], &v)) return -1;
    v = v > 0 ? v : 1;
    if (n > INT64_MAX / 4 / v) return -1; /* too large for any scratch: left to malloc */
    n *= v;
  }
  return n;
}

/* Sets on_stack[b] and off[b] (the scratch offset, or -1) of every
   temporary of the variant (vector code when `vec`) and returns the
   scratch's bytes (0: none).  A temporary is live from the first stage
   touching it to the last, widened to whole nests (a nest's stages run
   row by row, interleaved); the largest are placed first, each at the
   lowest offset clear of every placed one whose lifetime overlaps its
   own. */
static int64_t plan_temps(kemit *kx, int vec, char *on_stack, int64_t *off) {
  const tc_loop_prog *p = kx->p;
  int vsave = kx->vec, nb = p->bufs.len;
  kx->vec = vec;
  int64_t stack_used = 0, total = 0;
  int *first = tc_xmalloc(((size_t)nb + 1) * sizeof *first);
  int *last = tc_xmalloc(((size_t)nb + 1) * sizeof *last);
  int64_t *size = tc_xmalloc(((size_t)nb + 1) * sizeof *size);
  int *order = tc_xmalloc(((size_t)nb + 1) * sizeof *order);
  int n = 0;
  for (int b = 0; b < nb; b++) {
    const tc_lbuf *x = &p->bufs.data[b];
    on_stack[b] = 0;
    off[b] = -1;
    if (x->kind != TC_LBUF_TEMP || x->local || unused_temp(kx, b)) continue;
    int64_t bytes = static_bytes(x);
    if (bytes >= 0 && bytes <= TCE_STACK_TEMP_BYTES - stack_used) {
      stack_used += bytes;
      on_stack[b] = 1;
      continue;
    }
    if (bytes < 0) continue; /* symbolic: allocated for the call */
    first[b] = p->stages.len;
    last[b] = -1;
    size[b] = (bytes + TCE_SCRATCH_ALIGN - 1) / TCE_SCRATCH_ALIGN * TCE_SCRATCH_ALIGN;
    order[n++] = b;
  }
  /* lifetimes: the stages (not P_create's) reading or writing each one,
     each stage's reads marked once */
  for (int s = 0; s < p->stages.len && n; s++) {
    const tc_stage *st = &p->stages.data[s];
    if (p->bufs.data[st->out].kind == TC_LBUF_CREATE) continue;
    memset(kx->read, 0, (size_t)nb + 1);
    mark_stage_reads(kx, st);
    int lo = s, hi = s, nest = st->nest;
    while (nest >= 0 && lo > 0 && p->stages.data[lo - 1].nest == nest) lo--;
    while (nest >= 0 && hi + 1 < p->stages.len && p->stages.data[hi + 1].nest == nest) hi++;
    for (int i = 0; i < n; i++) {
      int b = order[i];
      if (st->out != b && !(st->gemm && st->gemm->acc == b) && !kx->read[b]) continue;
      if (lo < first[b]) first[b] = lo;
      if (hi > last[b]) last[b] = hi;
    }
  }
  memset(kx->read, 0, (size_t)nb + 1);
  /* largest first (ties: buffer order), each at the lowest free offset */
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && size[order[j]] > size[order[j - 1]]; j--) {
      int t = order[j];
      order[j] = order[j - 1];
      order[j - 1] = t;
    }
  for (int i = 0; i < n; i++) {
    int b = order[i];
    int64_t at = TCE_SCRATCH_ALIGN; /* after the flag's line */
    for (int moved = 1; moved && at >= 0;) {
      moved = 0;
      for (int j = 0; j < i && at >= 0; j++) {
        int c = order[j];
        if (off[c] < 0 || last[c] < first[b] || last[b] < first[c]) continue; /* not together */
        if (at < off[c] + size[c] && off[c] < at + size[b]) {
          at = off[c] + size[c];
          moved = 1;
          if (at > INT64_MAX / 2 - size[b]) at = -1; /* absurd sizes: left to malloc */
        }
      }
    }
    off[b] = at;
    if (at >= 0 && at + size[b] > total) total = at + size[b];
  }
  free(first);
  free(last);
  free(size);
  free(order);
  kx->vec = vsave;
  return total;
}

static void emit_run(kemit *kx, int na, const int *abi) {
  tcE_cg *g = kx->g;
  const tc_kernel *k = kx->k;
  const tc_loop_prog *p = kx->p;
  const names *nm = &kx->nm;
  tc_buf_putc(g->o, '\n');
  kx->run_at = g->o->len;
  if (kx->run_suffix[0]) tc_buf_puts(g->o, "static ");
  tc_buf_puts(g->o, kx->attr);
  run_signature(g->o, k, kx->P, kx->run_suffix, nm, na, abi);
  tc_buf_puts(g->o, " {\n");
  g->indent = 1;
  /* where the temporaries live (plan_temps) */
  int64_t scratch = plan_temps(kx, kx->vec, kx->on_stack, kx->in_scratch);
  assert(scratch <= kx->scratch);
  for (int b = 0; b < p->bufs.len; b++) {
    const tc_lbuf *x = &p->bufs.data[b];
    if (x->kind == TC_LBUF_TEMP && !x->local && !kx->on_stack[b] && !unused_temp(kx, b))
      kx->has_temps = 1;
  }
  for (int s = 0; s < p->stages.len; s++) mark_stage_reads(kx, &p->stages.data[s]);
  if (kx->has_temps) tcE_line(g, "int %s = TC_OK;\n", nm->rc);
  if (scratch) {
    tcE_line(g, "char *%s20 = NULL; /* the temporaries' scratch */\n", nm->n);
    tcE_line(g, "int %s21 = 1;      /* 1: this call's own, 0: the context's */\n", nm->n);
  }
  for (int b = 0; b < p->bufs.len; b++) {
    const tc_lbuf *x = &p->bufs.data[b];
    if (x->kind == TC_LBUF_TEMP && !x->local && !kx->on_stack[b] && !unused_temp(kx, b))
      tcE_line(g, "%s *%s = NULL;\n", tc_dtype_ctype(x->dtype), buf_cname(kx, b));
  }
  for (int b = 0; b < p->bufs.len; b++)
    if (p->bufs.data[b].kind == TC_LBUF_CONST) emit_const_table(kx, b);
  /* csr rowptr and col are always read: by the validation below */
  for (int b = 0; b < p->bufs.len; b++) {
    const tc_lbuf *x = &p->bufs.data[b];
    if (x->kind == TC_LBUF_ARG && k->args.data[x->arg].role == TC_ROLE_INPUT && !kx->read[b] &&
        x->format != TC_FMT_CSR_ROWPTR && x->format != TC_FMT_CSR_COL)
      tcE_line(g, "(void)%s; /* never read */\n", buf_cname(kx, b));
  }
  tcE_line(g, "if (!%s) return TC_EINVAL;\n", nm->ctx);
  for (int b = 0; b < p->bufs.len; b++) {
    const tc_lbuf *x = &p->bufs.data[b];
    if (x->kind == TC_LBUF_ARG && k->args.data[x->arg].role == TC_ROLE_WEIGHT && kx->read[b])
      tcE_line(g, "const %s *%s = %s->%s;\n", tc_dtype_ctype(x->dtype), nm->arg[x->arg], nm->ctx,
               nm->arg[x->arg]);
    else if (x->kind == TC_LBUF_CREATE && kx->read[b]) /* computed by P_create */
      tcE_line(g, "const %s *%s = %s->%s;\n", tc_dtype_ctype(x->dtype), buf_cname(kx, b),
               nm->ctx, buf_cname(kx, b));
  }
  for (int d = 0; d < k->dims.len; d++)
    tcE_line(g, "if (%s < 0) return TC_EINVAL;\n", nm->dim[d]);
  /* 2. extents and checks */
  const char *ret = "return TC_EINVAL;";
  for (int b = 0; b < p->bufs.len; b++)
    for (int d = 0; p->bufs.data[b].shape && d < p->bufs.data[b].rank; d++)
      ext_get(kx, &kx->ext, p->bufs.data[b].shape[d], 1, ret);
  for (int s = 0; s < p->stages.len; s++) {
    const tc_stage *st = &p->stages.data[s];
    collect_sx_exts(kx, st->body, ret);
    if (st->kind != TC_STAGE_ACCUM) continue;
    for (int d = 0; d < st->dom_rank; d++) ext_get(kx, &kx->ext, st->dom[d], 1, ret);
    for (int d = 0; d < p->bufs.data[st->out].rank; d++) collect_sx_exts(kx, st->idx[d], ret);
  }
  for (int a = 0; a < k->args.len; a++)
    if (k->args.data[a].csr)
      for (int d = 0; d < 2; d++) ext_get(kx, &kx->ext, k->args.data[a].shape[d], 1, ret);
  for (int c = 0; c < k->checks.len; c++) {
    const tc_check *ck = &k->checks.data[c];
    /* a check the extents' simplification made trivial (max(W, 0) == W
       of a window that fits): evaluating the extents checked them */
    if (ck->kind == TC_CHECK_EQ && tc_ext_equal(ck->a, ck->b)) {
      ext_get(kx, &kx->ext, ck->a, 1, ret);
      continue;
    }
    const char *a = ext_get(kx, &kx->ext, ck->a, 1, ret);
    const char *b = ext_get(kx, &kx->ext, ck->b, 1, ret);
    if (ck->kind == TC_CHECK_EQ)
      tcE_line(g, "if (%s != %s) return TC_EINVAL; /* %s:%d */\n", a, b,
               ck->loc.file ? ck->loc.file : "?", ck->loc.line);
    else
      tcE_line(g, "if (%s <= 0 || %s %% %s != 0) return TC_EINVAL; /* %s:%d */\n", b, a, b,
               ck->loc.file ? ck->loc.file : "?", ck->loc.line);
  }
  /* 3. element counts and pointers */
  for (int b = 0; b < p->bufs.len; b++) {
    const tc_lbuf *x = &p->bufs.data[b];
    if (x->kind == TC_LBUF_ALIAS) continue;
    if (x->format == TC_FMT_CSR_COL || x->format == TC_FMT_CSR_VAL) { /* validated below */
      kx->count[b] = (char *)nm->part[x->arg][0];
      continue;
    }
    /* the product as an extent: equal counts are computed once, and
       ext_get checks the multiplications for overflow */
    const tc_ext *cnt = tc_ext_const(&kx->ar, 1);
    for (int d = 0; d < x->rank; d++) cnt = tc_ext_binary(&kx->ar, TC_EXT_MUL, cnt, x->shape[d]);
    int64_t cst;
    int all_const = tc_ext_is_const(cnt, &cst);
    kx->count[b] = (char *)ext_get(kx, &kx->ext, cnt, 1, ret);
    if (x->kind == TC_LBUF_ARG && k->args.data[x->arg].role != TC_ROLE_WEIGHT) {
      if (all_const && cst > 0) tcE_line(g, "if (!%s) return TC_EINVAL;\n", buf_cname(kx, b));
      else if (!all_const)
        tcE_line(g, "if (%s > 0 && !%s) return TC_EINVAL;\n", kx->count[b], buf_cname(kx, b));
    }
  }
  /* csr arguments: rowptr starts at 0 and never decreases, nnz is
     rowptr[rows], and every col is in [0, cols) (spec/abi.md) */
  for (int a = 0; a < k->args.len; a++) {
    const tc_arg *x = &k->args.data[a];
    if (!x->csr) continue;
    const char *rows = ext_name(kx, x->shape[0]), *cols = ext_name(kx, x->shape[1]);
    const char *rp = nm->part[a][TC_FMT_CSR_ROWPTR], *col = nm->part[a][TC_FMT_CSR_COL];
    const char *nnz = nm->part[a][0], *n = kstr(kx, "%s0", nm->n);
    tcE_line(g, "/* %s: rowptr starts at 0 and never decreases; every col is in [0, %s) */\n",
             x->name, cols);
    tcE_line(g, "if (%s[0] != 0) return TC_EINDEX;\n", rp);
    tcE_line(g, "for (int64_t %s = 0; %s < %s; %s++)\n", n, n, rows, n);
    tcE_line(g, "  if (%s[%s + 1] < %s[%s]) return TC_EINDEX;\n", rp, n, rp, n);
    tcE_line(g, "const int64_t %s = %s[%s];\n", nnz, rp, rows);
    if (x->has_values)
      tcE_line(g, "if (%s > 0 && (!%s || !%s)) return TC_EINVAL;\n", nnz, col,
               nm->part[a][TC_FMT_CSR_VAL]);
    else
      tcE_line(g, "if (%s > 0 && !%s) return TC_EINVAL;\n", nnz, col);
    tcE_line(g, "for (int64_t %s = 0; %s < %s; %s++)\n", n, n, nnz, n);
    tcE_line(g, "  if ((uint64_t)%s[%s] >= (uint64_t)%s) return TC_EINDEX;\n", col, n, cols);
  }
  /* 4. temporaries */
  if (scratch) {
    const char *sc = kstr(kx, "%s20", nm->n), *own = kstr(kx, "%s21", nm->n);
    tcE_line(g, "/* the context's scratch, unless another call holds it (tcc: no atomics) */\n");
    tc_buf_puts(g->o, "#if defined(__GNUC__)\n");
    tcE_line(g, "if (!__atomic_exchange_n((int *)%s->tc_scratch, 1, __ATOMIC_ACQUIRE)) {\n",
             nm->ctx);
    tcE_line(g, "  %s = %s->tc_scratch;\n", sc, nm->ctx);
    tcE_line(g, "  %s = 0;\n", own);
    tcE_line(g, "}\n");
    tc_buf_puts(g->o, "#endif\n");
    tcE_line(g, "if (!%s) %s = (char *)malloc(%lld);\n", sc, sc, (long long)scratch);
    tcE_line(g, "if (!%s) %s\n", sc, fail(kx, "TC_ENOMEM"));
  }
  for (int b = 0; b < p->bufs.len; b++) {
    const tc_lbuf *x = &p->bufs.data[b];
    if (x->kind != TC_LBUF_TEMP || x->local || unused_temp(kx, b)) continue;
    const char *t = buf_cname(kx, b), *n = kx->count[b];
    if (kx->on_stack[b]) {
      tcE_line(g, "%s %s[%s];\n", tc_dtype_ctype(x->dtype), t, strcmp(n, "0") ? n : "1");
      continue;
    }
    if (kx->in_scratch[b] >= 0) {
      tcE_line(g, "%s = (%s *)(%s20 + %lld); /* %s elements */\n", t, tc_dtype_ctype(x->dtype),
               nm->n, (long long)kx->in_scratch[b], n);
      continue;
    }
    int lit = n[0] >= '0' && n[0] <= '9';
    if (!lit)
      tcE_line(g, "if ((uint64_t)%s > SIZE_MAX / sizeof *%s) %s\n", n, t, fail(kx, "TC_ENOMEM"));
    if (lit && strcmp(n, "0"))
      tcE_line(g, "%s = (%s *)malloc(%s * sizeof *%s);\n", t, tc_dtype_ctype(x->dtype), n, t);
    else if (lit)
      tcE_line(g, "%s = (%s *)malloc(1);\n", t, tc_dtype_ctype(x->dtype));
    else
      tcE_line(g, "%s = (%s *)malloc(%s > 0 ? (size_t)%s * sizeof *%s : 1);\n", t,
               tc_dtype_ctype(x->dtype), n, n, t);
    tcE_line(g, "if (!%s) %s\n", t, fail(kx, "TC_ENOMEM"));
  }
  /* 5. stages (those computed at create ran in P_create) */
  for (int s = 0; s < p->stages.len;) {
    if (p->bufs.data[p->stages.data[s].out].kind == TC_LBUF_CREATE) {
      s++;
      continue;
    }
    int e = s;
    while (p->stages.data[s].nest >= 0 && e + 1 < p->stages.len &&
           p->stages.data[e + 1].nest == p->stages.data[s].nest)
      e++;
    if (e == s && nchw_source(kx, p->stages.data[s].out) >= 0) {
      const tc_stage *st = &p->stages.data[s];
      tc_buf_putc(g->o, '\n');
      stage_comment(kx, st, "");
      tcE_line(g, "/* not written: the GEMM template below reads %s as NCHW, each task\n",
               buf_cname(kx, tc_loop_base_buf(p, st->body->ref)));
      tcE_line(g, "   copying the rows it reads to NHWC */\n");
      s++;
      continue;
    }
    if (e > s)
      emit_nest(kx, s, e);
    else
      emit_stage(kx, &p->stages.data[s]);
    s = e + 1;
  }
  if (kx->has_temps) {
    tc_buf_putc(g->o, '\n');
    g->indent = 0;
    tcE_line(g, "done:\n");
    g->indent = 1;
    for (int b = 0; b < p->bufs.len; b++)
      if (p->bufs.data[b].kind == TC_LBUF_TEMP && !p->bufs.data[b].local && !kx->on_stack[b] &&
          kx->in_scratch[b] < 0 && !unused_temp(kx, b))
        tcE_line(g, "free(%s);\n", buf_cname(kx, b));
    if (scratch) {
      tcE_line(g, "if (%s21)\n", nm->n);
      tcE_line(g, "  free(%s20);\n", nm->n);
      tc_buf_puts(g->o, "#if defined(__GNUC__)\n");
      tcE_line(g, "else\n");
      tcE_line(g, "  __atomic_store_n((int *)%s20, 0, __ATOMIC_RELEASE);\n", nm->n);
      tc_buf_puts(g->o, "#endif\n");
    }
    tcE_line(g, "return %s;\n", nm->rc);
  } else {
    tc_buf_putc(g->o, '\n');
    tcE_line(g, "return TC_OK;\n");
  }
  g->indent = 0;
  tcE_line(g, "}\n");
}

static void set_isa(kemit *kx, tcE_visa isa) {
  kx->g->vec_isa[isa] = 1;
  kx->vec = 1;
  kx->visa = isa;
  kx->attr = kstr(kx, "%s ", tcE_vec_attr(isa));
}

/* What emit_run builds up, cleared before it writes another variant. */
static void reset_run_state(kemit *kx) {
  const tc_loop_prog *p = kx->p;
  ext_tab_free(&kx->ext);
  kx->next_e = 0;
  kx->has_temps = 0;
  kx->nv = 0;
  kx->nfail = 0;
  kx->zero_ivars = 0;
  kx->memos.len = 0;
  kx->vmemos.len = 0;
  kx->hoisted.len = 0;
  memset(kx->count, 0, ((size_t)p->bufs.len + 1) * sizeof *kx->count);
  memset(kx->read, 0, (size_t)p->bufs.len + 1);
  memset(kx->on_stack, 0, (size_t)p->bufs.len + 1);
}

/* Target x86-64: P_run calls the variant P_create chose. */
static void emit_run_dispatch(kemit *kx, int na, const int *abi) {
  tcE_cg *g = kx->g;
  const tc_kernel *k = kx->k;
  const names *nm = &kx->nm;
  tc_buf args = {0};
  tc_buf_puts(&args, nm->ctx);
  for (int d = 0; d < k->dims.len; d++) tc_buf_printf(&args, ", %s", nm->dim[d]);
  for (int j = 0; j < na; j++) {
    const tc_arg *a = &k->args.data[abi[j]];
    if (a->role == TC_ROLE_WEIGHT) continue;
    if (a->csr) {
      char *const *pt = nm->part[abi[j]];
      tc_buf_printf(&args, ", %s, %s", pt[TC_FMT_CSR_ROWPTR], pt[TC_FMT_CSR_COL]);
      if (a->has_values) tc_buf_printf(&args, ", %s", pt[TC_FMT_CSR_VAL]);
    } else {
      tc_buf_printf(&args, ", %s", nm->arg[abi[j]]);
    }
  }
  tc_buf_putc(g->o, '\n');
  run_signature(g->o, k, kx->P, "", nm, na, abi);
  tc_buf_puts(g->o, " {\n");
  tcE_line(g, "  if (!%s) return TC_EINVAL;\n", nm->ctx);
  tcE_line(g, "  switch (%s->tc_isa) {\n", nm->ctx);
  tcE_line(g, "  case 2: return %s_run_avx512(%s);\n", kx->P, args.data);
  tcE_line(g, "  case 1: return %s_run_avx2(%s);\n", kx->P, args.data);
  tcE_line(g, "  default: return %s_run_scalar(%s);\n", kx->P, args.data);
  tcE_line(g, "  }\n");
  tcE_line(g, "}\n");
  tc_buf_free(&args);
}

static void emit_kernel(tcE_cg *g, const tc_module *m, const tc_kernel *k,
                        const tc_loop_prog *p, const tcE_options *opt) {
  kemit kx = {0};
  kx.g = g;
  kx.m = m;
  kx.k = k;
  kx.p = p;
  char *P = tc_kernel_cname(m, k, opt ? opt->prefix : NULL);
  kx.P = P;
  kx.attr = "";
  kx.run_suffix = "";
  tcE_target target = opt ? opt->target : TCE_TARGET_SCALAR;
  if (target == TCE_TARGET_AVX2 || target == TCE_TARGET_AVX512)
    set_isa(&kx, target == TCE_TARGET_AVX2 ? TCE_VISA_AVX2 : TCE_VISA_AVX512);
  kx.multi = target == TCE_TARGET_X86_64;
  names_init(&kx.nm, k, P);
  kx.count = tc_xcalloc((size_t)p->bufs.len + 1, sizeof *kx.count);
  kx.read = tc_xcalloc((size_t)p->bufs.len + 1, 1);
  kx.on_stack = tc_xcalloc((size_t)p->bufs.len + 1, 1);
  kx.in_scratch = tc_xcalloc((size_t)p->bufs.len + 1, sizeof *kx.in_scratch);
  kx.shared_of = tc_xcalloc((size_t)p->bufs.len + 1, sizeof *kx.shared_of);
  kx.vlocal = tc_xcalloc((size_t)p->bufs.len + 1, sizeof *kx.vlocal);
  for (int s = 0; s < p->stages.len; s++)
    kx.shared_of[p->stages.data[s].out] = p->stages.data[s].shared;
  kx.nchw_src = tc_xmalloc(((size_t)p->bufs.len + 1) * sizeof *kx.nchw_src);
  int vsave = kx.vec;
  kx.vec = 1; /* (the answer of every intrinsics variant) */
  for (int b = 0; b < p->bufs.len; b++) kx.nchw_src[b] = find_nchw_source(&kx, b);
  kx.vec = vsave;
  int *abi = tc_xmalloc(((size_t)k->args.len + 1) * sizeof(int));
  int na = tc_kernel_abi_args(k, abi);

  tc_buf_printf(g->o, "\n/* ---- kernel %s ---- */\n\n", P);
  emit_info(&kx, g->o);
  emit_ctx_fns(&kx, na, abi);
  if (kx.multi) {
    /* ORDER TCE_VISA: the variants, best first (v = -1: the scalar one) */
    for (int v = TCE_VISA_COUNT - 1; v >= -1; v--) {
      kx.vec = 0;
      kx.attr = "";
      if (v >= 0) set_isa(&kx, (tcE_visa)v);
      kx.run_suffix = v >= 0 ? kstr(&kx, "_%s", tcE_vec_suffix((tcE_visa)v)) : "_scalar";
      reset_run_state(&kx);
      emit_run(&kx, na, abi);
    }
    emit_run_dispatch(&kx, na, abi);
  } else {
    emit_run(&kx, na, abi);
  }
  emit_run_v(&kx, na, abi);
  emit_shape_fn(&kx);

  free(abi);
  names_free(&kx.nm);
  free(kx.count);
  free(kx.read);
  free(kx.on_stack);
  free(kx.in_scratch);
  free(kx.shared_of);
  free(kx.nchw_src);
  free((void *)kx.vlocal);
  TC_VEC_FREE(kx.memos);
  TC_VEC_FREE(kx.vmemos);
  TC_VEC_FREE(kx.hoisted);
  TC_VEC_FREE(kx.strip_loads);
  TC_VEC_FREE(kx.strip_memos);
  ext_tab_free(&kx.ext);
  tc_arena_free(&kx.ar);
  free(P);
}

char *tcE_emit_source(const tc_module *m, const tc_loop_prog *const *progs,
                      const tcE_options *opt, tc_diag *d) {
  (void)d;
  const char *M = module_M(m, opt);
  tc_buf body = {0};
  tcE_cg g = {0};
  g.o = &body;
  for (int i = 0; i < m->kernels.len; i++)
    emit_kernel(&g, m, m->kernels.data[i], progs[i], opt);

  tc_buf out = {0};
  static const char *const target_names[TCE_TARGET_COUNT] = {"scalar", "avx2", "avx512",
                                                               "x86-64"};
  tcE_target target = opt ? opt->target : TCE_TARGET_SCALAR;
  tc_buf_printf(&out, "/* %s.c: generated by tensorc from %s (target %s).  Do not edit. */\n",
                M, m->file ? m->file : M, target_names[target]);
  if (target != TCE_TARGET_SCALAR)
    /* a * b + c stays two roundings in every function, scalar helpers
       inlined into vector code included, so that the variants of a kernel
       give the same bits (gcc contracts to FMA by default outside ISO
       mode, clang within an expression; docs/simd.md) */
    tc_buf_puts(&out, "#if defined(__clang__)\n"
                      "#pragma STDC FP_CONTRACT OFF\n"
                      "#elif defined(__GNUC__)\n"
                      "#pragma GCC optimize(\"fp-contract=off\")\n"
                      "#endif\n");
  if (opt && opt->single_file) {
    char *h = emit_header(m, opt, 0);
    tc_buf_puts(&out, "\n");
    tc_buf_puts(&out, tcc_libc);
    tc_buf_puts(&out, "\n");
    tc_buf_puts(&out, h);
    free(h);
  } else {
    tc_buf_printf(&out, "#include \"%s.h\"\n", M);
    tc_buf_puts(&out, "\n#include <stdint.h>\n#include <stdlib.h>\n#include <string.h>\n");
  }
  tcE_scalar_prelude(&g, &out);
  tcE_vec_prelude(&out, g.vec_isa, g.vec_tail);
  tcE_vec_hred_write(&out, (const char(*)[4])g.hred);
  tcE_vec_bf16_write(&out, (const char(*)[TCE_VBF16_COUNT])g.vbf16);
  tcE_vec_transpose_write(&out, g.vtrans);
  if (g.multi_isa)
    tc_buf_puts(&out,
                "\n/* The variant of each kernel P_create chooses: 2 AVX-512, 1 AVX2, 0 scalar;\n"
                "   the best this CPU (and its OS) supports, or less if TENSORC_ISA\n"
                "   (scalar, avx2, avx512) asks for less. */\n"
                "static int tc_pick_isa(void) {\n"
                "  int best = 0, want;\n"
                "  const char *e = getenv(\"TENSORC_ISA\");\n"
                "#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))\n"
                "  __builtin_cpu_init();\n"
                "  if (__builtin_cpu_supports(\"avx2\") && __builtin_cpu_supports(\"fma\")) best = 1;\n"
                "  if (best && __builtin_cpu_supports(\"avx512f\") && __builtin_cpu_supports(\"avx512bw\") &&\n"
                "      __builtin_cpu_supports(\"avx512dq\") && __builtin_cpu_supports(\"avx512vl\"))\n"
                "    best = 2;\n"
                "#endif\n"
                "  if (!e) return best;\n"
                "  want = !strcmp(e, \"scalar\") ? 0 : !strcmp(e, \"avx2\") ? 1 : !strcmp(e, \"avx512\") ? 2 : best;\n"
                "  return want < best ? want : best;\n"
                "}\n");
  if (g.omp_for)
    tc_buf_puts(&out,
                "\n#ifdef _OPENMP\n"
                "#include <omp.h>\n\n"
                "/* body on [0, n), one contiguous range a thread (as schedule(static)). */\n"
                "static void tc_omp_for(int64_t n, void (*body)(void *arg, int64_t lo, int64_t hi),\n"
                "                       void *arg) {\n"
                "  #pragma omp parallel\n"
                "  {\n"
                "    const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();\n"
                "    const int64_t q = n / nt, r = n % nt, lo = t * q + (t < r ? t : r);\n"
                "    body(arg, lo, lo + q + (t < r));\n"
                "  }\n"
                "}\n"
                "#endif\n");
  tcE_vmath_write(&out, (const char(*)[TCE_VM_COUNT])g.vmath);
  tcE_gemm_write(&out, g.gemm);
  tc_buf_puts(&out, body.data ? body.data : "");
  tc_buf_free(&body);
  TC_VEC_FREE(g.libm);
  return tc_buf_steal(&out);
}
