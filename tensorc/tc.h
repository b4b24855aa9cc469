/*
 * tc.h: what every stage of tensorc shares: dtypes, source locations,
 * diagnostics, growable buffers and an arena.  The core (tensorc/, outside
 * cli/) includes nothing from the other folders; every other folder may
 * include this file.
 *
 * Naming: the core uses tc_<thing>_<verb>; the stages use a one-letter
 * prefix: tcL_ (lang/), tcP_ (passes/), tcE_ (emit/), tcR_ (rt/).
 */
#ifndef TC_TC_H
#define TC_TC_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Return codes of generated kernels (spec/abi.md), shared by the reference
   interpreter so that both report errors the same way. */
#define TC_OK 0
#define TC_EINVAL (-1)
#define TC_ENOMEM (-2)
#define TC_EINDEX (-3)

/* ---- dtypes ------------------------------------------------------------
   ORDER DTYPE: the enum values of the first seven equal spec/abi.md's
   enum tc_dtype.  X(ENUM, dsl name, C type, npy descr, size in bytes). */
#define TC_DTYPES(X)                                  \
  X(F32, "f32", "float", "<f4", 4)                    \
  X(F64, "f64", "double", "<f8", 8)                   \
  X(BF16, "bf16", "uint16_t", "<u2", 2)               \
  X(I8, "i8", "int8_t", "|i1", 1)                     \
  X(U8, "u8", "uint8_t", "|u1", 1)                    \
  X(I32, "i32", "int32_t", "<i4", 4)                  \
  X(I64, "i64", "int64_t", "<i8", 8)                  \
  X(BOOL, "bool", "uint8_t", "|b1", 1)

typedef enum tc_dtype {
  TC_DT_NONE = 0,
#define X(e, n, c, npy, sz) TC_DT_##e,
  TC_DTYPES(X)
#undef X
  TC_DT_COUNT
} tc_dtype;

const char *tc_dtype_name(tc_dtype t);  /* "f32"; "?" for an invalid value */
const char *tc_dtype_ctype(tc_dtype t); /* "float" */
const char *tc_dtype_npy(tc_dtype t);   /* "<f4" */
int tc_dtype_size(tc_dtype t);          /* bytes of one element */
/* The dtype named `name` ("f32"), or TC_DT_NONE. `bool` is not an argument
   dtype but is found here. */
tc_dtype tc_dtype_from_name(const char *name);
int tc_dtype_is_float(tc_dtype t);  /* f32 f64 bf16 */
int tc_dtype_is_int(tc_dtype t);    /* i8 u8 i32 i64 (not bool) */
int tc_dtype_is_signed(tc_dtype t); /* i8 i32 i64 and the floats */

/* bf16 <-> f32, round to nearest even (NaN stays a quiet NaN). */
uint16_t tc_bf16_from_f32(float f);
float tc_bf16_to_f32(uint16_t h);

/* ---- source locations and diagnostics ---------------------------------- */

/* A place in a DSL file.  `file` is the name as given on the command line;
   it points into the module's arena.  line 0 means "unknown". */
typedef struct tc_loc {
  const char *file;
  int line;
} tc_loc;

/* The first error of an operation, formatted for the user as
   "FILE:LINE: message" (or "message" without a location). */
typedef struct tc_diag {
  int set;
  char msg[1024];
} tc_diag;

/* Record an error unless one is already recorded (the first error wins).
   Returns -1 so callers can write `return tc_diag_at(d, loc, ...)`. */
int tc_diag_at(tc_diag *d, tc_loc loc, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
int tc_diag_vat(tc_diag *d, tc_loc loc, const char *fmt, va_list ap);

/* ---- memory ------------------------------------------------------------ */

/* malloc/calloc/realloc/strdup that abort with a message when memory runs
   out: the compiler treats that as fatal (exit status 2). */
void *tc_xmalloc(size_t n);
void *tc_xcalloc(size_t n, size_t size);
void *tc_xrealloc(void *p, size_t n);
char *tc_xstrdup(const char *s);

/* An arena: many small allocations freed together.  The IR of a module
   lives in one. */
typedef struct tc_arena {
  struct tc_arena_block *head;
} tc_arena;

void *tc_arena_alloc(tc_arena *a, size_t n); /* zeroed, 16-byte aligned */
char *tc_arena_strdup(tc_arena *a, const char *s);
void tc_arena_free(tc_arena *a);

/* A growable array: `TC_VEC(int) v = {0}; TC_VEC_PUSH(v, 3);`. */
#define TC_VEC(T) struct { T *data; int len, cap; }
#define TC_VEC_PUSH(v, x)                                                 \
  do {                                                                    \
    if ((v).len == (v).cap) {                                             \
      (v).cap = (v).cap ? 2 * (v).cap : 8;                                \
      (v).data = tc_xrealloc((v).data, (size_t)(v).cap * sizeof *(v).data); \
    }                                                                     \
    (v).data[(v).len++] = (x);                                            \
  } while (0)
#define TC_VEC_FREE(v) (free((v).data), (v).data = NULL, (v).len = (v).cap = 0)

/* A growable string. */
typedef struct tc_buf {
  char *data; /* always NUL-terminated once anything was written */
  size_t len, cap;
} tc_buf;

void tc_buf_puts(tc_buf *b, const char *s);
void tc_buf_putc(tc_buf *b, char c);
void tc_buf_printf(tc_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void tc_buf_vprintf(tc_buf *b, const char *fmt, va_list ap);
char *tc_buf_steal(tc_buf *b); /* the string (caller frees); b is emptied */
void tc_buf_free(tc_buf *b);

/* Print a double so that it reads back as the same value, as a C literal
   ("1.0", "0x1.8p+1" is never used; "1e-05", "INFINITY" is the caller's
   business).  Writes at most 32 bytes. */
void tc_format_double(char out[32], double v);

/* 64-bit FNV-1a, for cache keys. */
uint64_t tc_hash64(const void *data, size_t n, uint64_t seed);

#endif
