/*
 * npyio.h: a tiny, self-contained .npy reader and writer for the end-to-end
 * tools (harness.c, npycmp.c).
 *
 * Why not rt/npy.c: the harness is compiled together with generated code
 * under ASan/UBSan, outside the library, and must not depend on the parts
 * of tensorc it is testing.  Header-only (static functions) because each
 * tool is one translation unit built by tests/e2e/run.sh.
 *
 * Reads versions 1, 2 and 3, C order, the dtypes of spec/abi.md
 * (<f4 <f8 <u2 |i1 |u1 <i4 <i8; also |b1); writes version 1.0.
 */
#ifndef TC_E2E_NPYIO_H
#define TC_E2E_NPYIO_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NPYIO_MAX_RANK 8

typedef struct npy_array {
  char descr[8];   /* "<f4" */
  int rank;
  int64_t shape[NPYIO_MAX_RANK];
  int64_t count;   /* elements */
  size_t itemsize; /* bytes of one element */
  void *data;      /* malloc'd, exactly count*itemsize bytes; NULL if empty */
} npy_array;

/* The element size of a supported descr, or 0. */
static inline size_t npy_descr_size(const char *d) {
  static const struct { const char *d; size_t n; } t[] = {
      {"<f4", 4}, {"<f8", 8}, {"<u2", 2}, {"|i1", 1}, {"|u1", 1},
      {"<i4", 4}, {"<i8", 8}, {"|b1", 1}};
  size_t i;
  for (i = 0; i < sizeof t / sizeof t[0]; i++)
    if (strcmp(d, t[i].d) == 0) return t[i].n;
  return 0;
}

/* Find 'key': in a header dict and return a pointer just after the colon,
   or NULL. */
static inline const char *npy_find_key(const char *h, const char *key) {
  char pat[32];
  const char *p;
  snprintf(pat, sizeof pat, "'%s'", key);
  p = strstr(h, pat);
  if (!p) return NULL;
  p = strchr(p + strlen(pat), ':');
  return p ? p + 1 : NULL;
}

/* Read `path` into *a.  Returns 0, or -1 with a message in err. */
static inline int npy_read(const char *path, npy_array *a, char *err, size_t errlen) {
  unsigned char pre[12];
  size_t hlen, nbytes;
  char *h = NULL;
  const char *p;
  FILE *f;
  int major;
  memset(a, 0, sizeof *a);
  f = fopen(path, "rb");
  if (!f) {
    snprintf(err, errlen, "%s: cannot open", path);
    return -1;
  }
  if (fread(pre, 1, 8, f) != 8 || memcmp(pre, "\x93NUMPY", 6) != 0) {
    snprintf(err, errlen, "%s: not a .npy file", path);
    goto fail;
  }
  major = pre[6];
  if (major == 1) {
    if (fread(pre + 8, 1, 2, f) != 2) goto broken;
    hlen = (size_t)pre[8] | (size_t)pre[9] << 8;
  } else if (major == 2 || major == 3) {
    if (fread(pre + 8, 1, 4, f) != 4) goto broken;
    hlen = (size_t)pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 |
           (size_t)pre[11] << 24;
    if (hlen > (1u << 20)) goto broken;
  } else {
    snprintf(err, errlen, "%s: unsupported .npy version %d", path, major);
    goto fail;
  }
  h = malloc(hlen + 1);
  if (!h || fread(h, 1, hlen, f) != hlen) goto broken;
  h[hlen] = 0;
  /* descr */
  p = npy_find_key(h, "descr");
  if (!p) goto broken;
  while (*p == ' ') p++;
  if (*p != '\'' || !strchr(p + 1, '\'') || strchr(p + 1, '\'') - (p + 1) >= 8)
    goto broken;
  memcpy(a->descr, p + 1, (size_t)(strchr(p + 1, '\'') - (p + 1)));
  a->itemsize = npy_descr_size(a->descr);
  if (!a->itemsize) {
    snprintf(err, errlen, "%s: unsupported dtype '%s'", path, a->descr);
    goto fail;
  }
  p = npy_find_key(h, "fortran_order");
  if (!p) goto broken;
  while (*p == ' ') p++;
  if (strncmp(p, "False", 5) != 0) {
    snprintf(err, errlen, "%s: Fortran order is not supported", path);
    goto fail;
  }
  p = npy_find_key(h, "shape");
  if (!p) goto broken;
  while (*p == ' ') p++;
  if (*p++ != '(') goto broken;
  a->count = 1;
  for (;;) {
    char *end;
    long long v;
    while (*p == ' ' || *p == ',') p++;
    if (*p == ')') break;
    v = strtoll(p, &end, 10);
    if (end == p || v < 0 || a->rank == NPYIO_MAX_RANK) goto broken;
    if (v && a->count > INT64_MAX / v) goto broken;
    a->shape[a->rank++] = v;
    a->count *= v;
    p = end;
    if (*p == 'L') p++;
  }
  nbytes = (size_t)a->count * a->itemsize;
  if (nbytes) {
    a->data = malloc(nbytes);
    if (!a->data || fread(a->data, 1, nbytes, f) != nbytes) goto broken;
  }
  free(h);
  fclose(f);
  return 0;
broken:
  snprintf(err, errlen, "%s: broken .npy file", path);
fail:
  free(h);
  free(a->data);
  a->data = NULL;
  fclose(f);
  return -1;
}

/* Write a version 1.0 file.  Returns 0, or -1 with a message in err. */
static inline int npy_write(const char *path, const char *descr, int rank,
                     const int64_t *shape, const void *data, int64_t count,
                     size_t itemsize, char *err, size_t errlen) {
  char h[512];
  int n, i, total;
  FILE *f;
  n = snprintf(h, sizeof h, "{'descr': '%s', 'fortran_order': False, 'shape': (",
               descr);
  for (i = 0; i < rank; i++)
    n += snprintf(h + n, sizeof h - (size_t)n, "%lld%s", (long long)shape[i],
                  rank == 1 ? "," : (i + 1 < rank ? ", " : ""));
  n += snprintf(h + n, sizeof h - (size_t)n, "), }");
  /* magic(6) + version(2) + len(2) + header, padded with spaces to a
     multiple of 64, ending in '\n' */
  total = 10 + n + 1;
  total = (total + 63) / 64 * 64;
  while (10 + n < total - 1) h[n++] = ' ';
  h[n++] = '\n';
  f = fopen(path, "wb");
  if (!f) {
    snprintf(err, errlen, "%s: cannot create", path);
    return -1;
  }
  fwrite("\x93NUMPY\x01\x00", 1, 8, f);
  fputc(n & 0xff, f);
  fputc(n >> 8, f);
  fwrite(h, 1, (size_t)n, f);
  if (count) fwrite(data, itemsize, (size_t)count, f);
  if (fclose(f) != 0) {
    snprintf(err, errlen, "%s: write failed", path);
    return -1;
  }
  return 0;
}

#endif
