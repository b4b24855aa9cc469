/* util.c: dtypes, diagnostics, memory, strings and hashing (tensorc/tc.h). */
#include "tc.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- dtypes ---- */

static const struct {
  const char *name, *ctype, *npy;
  int size;
} dtype_info[TC_DT_COUNT] = {
    [TC_DT_NONE] = {"?", "?", "?", 0},
#define X(e, n, c, npy, sz) [TC_DT_##e] = {n, c, npy, sz},
    TC_DTYPES(X)
#undef X
};

static int dtype_valid(tc_dtype t) { return t > TC_DT_NONE && t < TC_DT_COUNT; }

const char *tc_dtype_name(tc_dtype t) { return dtype_valid(t) ? dtype_info[t].name : "?"; }
const char *tc_dtype_ctype(tc_dtype t) { return dtype_valid(t) ? dtype_info[t].ctype : "?"; }
const char *tc_dtype_npy(tc_dtype t) { return dtype_valid(t) ? dtype_info[t].npy : "?"; }
int tc_dtype_size(tc_dtype t) { return dtype_valid(t) ? dtype_info[t].size : 0; }

tc_dtype tc_dtype_from_name(const char *name) {
  for (int t = TC_DT_NONE + 1; t < TC_DT_COUNT; t++)
    if (strcmp(name, dtype_info[t].name) == 0) return (tc_dtype)t;
  return TC_DT_NONE;
}

int tc_dtype_is_float(tc_dtype t) {
  return t == TC_DT_F32 || t == TC_DT_F64 || t == TC_DT_BF16;
}
int tc_dtype_is_int(tc_dtype t) {
  return t == TC_DT_I8 || t == TC_DT_U8 || t == TC_DT_I32 || t == TC_DT_I64;
}
int tc_dtype_is_signed(tc_dtype t) {
  return tc_dtype_is_float(t) || t == TC_DT_I8 || t == TC_DT_I32 || t == TC_DT_I64;
}

uint16_t tc_bf16_from_f32(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40); /* quiet NaN */
  u += 0x7fffu + ((u >> 16) & 1u); /* round to nearest, ties to even */
  return (uint16_t)(u >> 16);
}

float tc_bf16_to_f32(uint16_t h) {
  uint32_t u = (uint32_t)h << 16;
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

/* ---- diagnostics ---- */

int tc_diag_vat(tc_diag *d, tc_loc loc, const char *fmt, va_list ap) {
  if (!d || d->set) return -1;
  d->set = 1;
  int n = 0;
  if (loc.file && loc.line > 0)
    n = snprintf(d->msg, sizeof d->msg, "%s:%d: ", loc.file, loc.line);
  else if (loc.file)
    n = snprintf(d->msg, sizeof d->msg, "%s: ", loc.file);
  if (n < 0 || (size_t)n >= sizeof d->msg) n = 0;
  vsnprintf(d->msg + n, sizeof d->msg - (size_t)n, fmt, ap);
  return -1;
}

int tc_diag_at(tc_diag *d, tc_loc loc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  tc_diag_vat(d, loc, fmt, ap);
  va_end(ap);
  return -1;
}

/* ---- memory ---- */

static void out_of_memory(size_t n) {
  fprintf(stderr, "tensorc: out of memory (%zu bytes)\n", n);
  exit(2);
}

void *tc_xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) out_of_memory(n);
  return p;
}

void *tc_xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p) out_of_memory(n * size);
  return p;
}

void *tc_xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) out_of_memory(n);
  return q;
}

char *tc_xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  return memcpy(tc_xmalloc(n), s, n);
}

struct tc_arena_block {
  struct tc_arena_block *next;
  size_t used, size;
  _Alignas(16) unsigned char data[];
};

enum { ARENA_BLOCK = 64 * 1024 };

void *tc_arena_alloc(tc_arena *a, size_t n) {
  n = (n + 15) & ~(size_t)15;
  struct tc_arena_block *b = a->head;
  if (!b || b->size - b->used < n) {
    size_t size = n > ARENA_BLOCK ? n : ARENA_BLOCK;
    b = tc_xmalloc(sizeof *b + size);
    b->next = a->head;
    b->used = 0;
    b->size = size;
    a->head = b;
  }
  void *p = b->data + b->used;
  b->used += n;
  memset(p, 0, n);
  return p;
}

char *tc_arena_strdup(tc_arena *a, const char *s) {
  size_t n = strlen(s) + 1;
  return memcpy(tc_arena_alloc(a, n), s, n);
}

void tc_arena_free(tc_arena *a) {
  struct tc_arena_block *b = a->head;
  while (b) {
    struct tc_arena_block *next = b->next;
    free(b);
    b = next;
  }
  a->head = NULL;
}

/* ---- strings ---- */

static void buf_reserve(tc_buf *b, size_t extra) {
  if (b->len + extra + 1 <= b->cap) return;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + extra + 1) cap *= 2;
  b->data = tc_xrealloc(b->data, cap);
  b->cap = cap;
}

void tc_buf_puts(tc_buf *b, const char *s) {
  size_t n = strlen(s);
  buf_reserve(b, n);
  memcpy(b->data + b->len, s, n + 1);
  b->len += n;
}

void tc_buf_putc(tc_buf *b, char c) {
  buf_reserve(b, 1);
  b->data[b->len++] = c;
  b->data[b->len] = '\0';
}

void tc_buf_vprintf(tc_buf *b, const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  assert(n >= 0);
  buf_reserve(b, (size_t)n);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  b->len += (size_t)n;
}

void tc_buf_printf(tc_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  tc_buf_vprintf(b, fmt, ap);
  va_end(ap);
}

char *tc_buf_steal(tc_buf *b) {
  char *s = b->data ? b->data : tc_xstrdup("");
  b->data = NULL;
  b->len = b->cap = 0;
  return s;
}

void tc_buf_free(tc_buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

void tc_format_double(char out[32], double v) {
  /* The shortest %.*g that reads back exactly, with a '.' or an exponent
     so that it is a floating literal in C. */
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(out, 32, "%.*g", prec, v);
    if (strtod(out, NULL) == v) break;
  }
  if (!strpbrk(out, ".eEn")) strcat(out, ".0");
}

uint64_t tc_hash64(const void *data, size_t n, uint64_t seed) {
  const unsigned char *p = data;
  uint64_t h = 0xcbf29ce484222325ull ^ seed;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  return h;
}
