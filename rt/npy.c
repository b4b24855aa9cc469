/*
 * npy.c: reading and writing NumPy's .npy files, the data interface of
 * `tensorc run --data` (spec/abi.md).  Reads versions 1.0, 2.0 and 3.0 of
 * little-endian, C-ordered arrays of the seven argument dtypes; writes
 * version 1.0 through a temporary file and a rename, so a reader never
 * sees a half-written file.  A file is trusted for nothing: every size in
 * its header is checked against the file's real size before anything is
 * allocated.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rt.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "npy.c assumes a little-endian host (the files are little-endian)"
#endif

static const char npy_magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

/* Format "path: message" into err; returns -1. */
static int npy_fail(char *err, size_t errlen, const char *path,
                    const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static int npy_fail(char *err, size_t errlen, const char *path,
                    const char *fmt, ...) {
  if (!err || errlen == 0) return -1;
  int n = snprintf(err, errlen, "%s: ", path);
  if (n < 0 || (size_t)n >= errlen) return -1;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
  va_end(ap);
  return -1;
}

/* Release the data of a; a becomes an empty array. */
void tcR_array_free(tcR_array *a) {
  if (!a) return;
  free(a->data);
  memset(a, 0, sizeof *a);
}

/* ---- parsing the header ------------------------------------------------
   The header is the repr of a Python dict, e.g.
     {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
   Keys may come in any order; strings use ' or ". */

typedef struct npy_parser {
  const char *p, *end;
} npy_parser;

static void skip_space(npy_parser *ps) {
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
                             *ps->p == '\n' || *ps->p == '\r'))
    ps->p++;
}

static int accept_char(npy_parser *ps, char c) {
  skip_space(ps);
  if (ps->p < ps->end && *ps->p == c) {
    ps->p++;
    return 1;
  }
  return 0;
}

/* A quoted string into out (at most outlen-1 characters).  0 on error. */
static int parse_string(npy_parser *ps, char *out, size_t outlen) {
  skip_space(ps);
  if (ps->p >= ps->end || (*ps->p != '\'' && *ps->p != '"')) return 0;
  char q = *ps->p++;
  size_t n = 0;
  while (ps->p < ps->end && *ps->p != q) {
    if (*ps->p == '\\' || n + 1 >= outlen) return 0;
    out[n++] = *ps->p++;
  }
  if (ps->p >= ps->end) return 0;
  ps->p++;
  out[n] = '\0';
  return 1;
}

static int parse_word(npy_parser *ps, const char *w) {
  skip_space(ps);
  size_t n = strlen(w);
  if ((size_t)(ps->end - ps->p) >= n && memcmp(ps->p, w, n) == 0) {
    ps->p += n;
    return 1;
  }
  return 0;
}

/* A shape tuple: (), (5,), (3, 4).  Returns NULL or an error message. */
static const char *parse_shape(npy_parser *ps, int *rank, int64_t *shape) {
  if (!accept_char(ps, '(')) return "the shape is not a tuple";
  *rank = 0;
  for (;;) {
    if (accept_char(ps, ')')) return NULL;
    skip_space(ps);
    if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
      return "the shape holds something other than non-negative integers";
    int64_t v = 0;
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
      int digit = *ps->p++ - '0';
      if (v > (INT64_MAX - digit) / 10) return "an extent of the shape overflows int64";
      v = v * 10 + digit;
    }
    if (ps->p < ps->end && *ps->p == 'L') ps->p++; /* Python 2's long */
    if (*rank == TC_MAX_RANK) return "the shape has more than 8 axes";
    shape[(*rank)++] = v;
    if (accept_char(ps, ',')) continue;
    if (accept_char(ps, ')')) return NULL;
    return "the shape tuple is malformed";
  }
}

/* The dtype of a descr among the seven argument dtypes, or TC_DT_NONE. */
static tc_dtype dtype_of_descr(const char *descr) {
  for (int t = TC_DT_NONE + 1; t < TC_DT_COUNT; t++)
    if (t != TC_DT_BOOL && strcmp(descr, tc_dtype_npy((tc_dtype)t)) == 0)
      return (tc_dtype)t;
  return TC_DT_NONE;
}

/* Parse the header dict into a (dtype, rank, shape).  Returns NULL or an
   error message. */
static const char *parse_header(const char *h, size_t len, tcR_array *a,
                                char *descr, size_t descrlen) {
  npy_parser ps = {h, h + len};
  int seen_descr = 0, seen_order = 0, seen_shape = 0;
  if (!accept_char(&ps, '{')) return "the header is not a Python dict";
  for (;;) {
    if (accept_char(&ps, '}')) break;
    char key[32];
    if (!parse_string(&ps, key, sizeof key)) return "the header dict is malformed";
    if (!accept_char(&ps, ':')) return "the header dict is malformed";
    if (strcmp(key, "descr") == 0) {
      if (!parse_string(&ps, descr, descrlen))
        return "the header's descr is not a simple dtype string";
      seen_descr = 1;
    } else if (strcmp(key, "fortran_order") == 0) {
      if (parse_word(&ps, "True"))
        return "the array is in Fortran order (only C order is supported)";
      if (!parse_word(&ps, "False")) return "the header's fortran_order is malformed";
      seen_order = 1;
    } else if (strcmp(key, "shape") == 0) {
      const char *msg = parse_shape(&ps, &a->rank, a->shape);
      if (msg) return msg;
      seen_shape = 1;
    } else {
      return "the header has an unknown key";
    }
    if (accept_char(&ps, ',')) continue;
    if (accept_char(&ps, '}')) break;
    return "the header dict is malformed";
  }
  skip_space(&ps);
  while (ps.p < ps.end && *ps.p == '\0') ps.p++; /* some writers pad with NULs */
  if (ps.p != ps.end) return "the header has text after its dict";
  if (!seen_descr || !seen_order || !seen_shape)
    return "the header lacks one of descr, fortran_order, shape";
  return NULL;
}

/* Read the whole of `n` bytes; 0 when the file ends early or fails. */
static int read_full(FILE *f, void *buf, size_t n) {
  return n == 0 || fread(buf, 1, n, f) == n;
}

/* Read the .npy file at path into out (see rt.h). */
int tcR_npy_read(const char *path, tcR_array *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  FILE *f = fopen(path, "rb");
  if (!f) return npy_fail(err, errlen, path, "cannot open: %s", strerror(errno));
  int rc = -1;
  char *header = NULL;
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
    npy_fail(err, errlen, path, "not a regular file");
    goto done;
  }
  unsigned char pre[12];
  if (!read_full(f, pre, 8) || memcmp(pre, npy_magic, 6) != 0) {
    npy_fail(err, errlen, path, "not a .npy file (bad magic)");
    goto done;
  }
  int major = pre[6];
  size_t hlen, hstart;
  if (major == 1) {
    if (!read_full(f, pre + 8, 2)) {
      npy_fail(err, errlen, path, "truncated header");
      goto done;
    }
    hlen = (size_t)pre[8] | (size_t)pre[9] << 8;
    hstart = 10;
  } else if (major == 2 || major == 3) {
    if (!read_full(f, pre + 8, 4)) {
      npy_fail(err, errlen, path, "truncated header");
      goto done;
    }
    hlen = (size_t)pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 |
           (size_t)pre[11] << 24;
    hstart = 12;
  } else {
    npy_fail(err, errlen, path, "unsupported .npy version %d.%d", major, pre[7]);
    goto done;
  }
  if ((uint64_t)st.st_size < hstart + (uint64_t)hlen) {
    npy_fail(err, errlen, path, "truncated header (%zu bytes announced)", hlen);
    goto done;
  }
  header = malloc(hlen + 1);
  if (!header) {
    npy_fail(err, errlen, path, "out of memory");
    goto done;
  }
  if (!read_full(f, header, hlen)) {
    npy_fail(err, errlen, path, "truncated header");
    goto done;
  }
  header[hlen] = '\0';
  char descr[16];
  const char *msg = parse_header(header, hlen, out, descr, sizeof descr);
  if (msg) {
    npy_fail(err, errlen, path, "%s", msg);
    goto done;
  }
  out->dtype = dtype_of_descr(descr);
  if (out->dtype == TC_DT_NONE) {
    npy_fail(err, errlen, path,
             "unsupported dtype '%s' (expected one of <f4 <f8 <u2 |i1 |u1 <i4 <i8)",
             descr);
    goto done;
  }
  int64_t count = 1;
  for (int d = 0; d < out->rank; d++) {
    if (out->shape[d] != 0 && count > INT64_MAX / out->shape[d]) {
      npy_fail(err, errlen, path, "the shape's element count overflows int64");
      goto done;
    }
    count *= out->shape[d];
  }
  int64_t size = tc_dtype_size(out->dtype);
  if (count > INT64_MAX / size) {
    npy_fail(err, errlen, path, "the shape's byte count overflows int64");
    goto done;
  }
  uint64_t want = (uint64_t)(count * size);
  uint64_t have = (uint64_t)st.st_size - hstart - hlen;
  if (have != want) {
    npy_fail(err, errlen, path,
             "the header announces %lld data bytes but the file holds %llu",
             (long long)want, (unsigned long long)have);
    goto done;
  }
  out->count = count;
  if (want > 0) {
    if (want > SIZE_MAX || !(out->data = malloc((size_t)want))) {
      npy_fail(err, errlen, path, "out of memory for %llu bytes",
               (unsigned long long)want);
      goto done;
    }
    if (!read_full(f, out->data, (size_t)want)) {
      npy_fail(err, errlen, path, "read error or truncated data");
      goto done;
    }
  }
  rc = 0;
done:
  free(header);
  fclose(f);
  if (rc != 0) tcR_array_free(out);
  return rc;
}

/* ---- writing ------------------------------------------------------------ */

static int write_full(int fd, const void *buf, size_t n) {
  const char *p = buf;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return 0;
    }
    p += w;
    n -= (size_t)w;
  }
  return 1;
}

/* Write a as a version 1.0 .npy file at path (see rt.h). */
int tcR_npy_write_temp(const char *path, const tcR_array *a, char **tmp_out,
                       char *err, size_t errlen) {
  *tmp_out = NULL;
  if (a->dtype <= TC_DT_NONE || a->dtype >= TC_DT_COUNT || a->rank < 0 ||
      a->rank > TC_MAX_RANK)
    return npy_fail(err, errlen, path, "invalid array (dtype or rank)");
  int64_t count = 1;
  for (int d = 0; d < a->rank; d++) {
    if (a->shape[d] < 0 || (a->shape[d] != 0 && count > INT64_MAX / a->shape[d]))
      return npy_fail(err, errlen, path, "invalid array shape");
    count *= a->shape[d];
  }
  int64_t size = tc_dtype_size(a->dtype);
  if (count != a->count || count > INT64_MAX / size || (count > 0 && !a->data))
    return npy_fail(err, errlen, path, "array count does not match its shape");

  /* The header: dict, then spaces, then '\n', so that the data starts at a
     multiple of 64 bytes (what NumPy itself does since 1.x). */
  char dict[256];
  int n = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (",
                   tc_dtype_npy(a->dtype));
  for (int d = 0; d < a->rank; d++)
    n += snprintf(dict + n, sizeof dict - (size_t)n, "%s%lld", d ? ", " : "",
                  (long long)a->shape[d]);
  n += snprintf(dict + n, sizeof dict - (size_t)n, "%s), }", a->rank == 1 ? "," : "");
  size_t total = 10 + (size_t)n + 1;
  total = (total + 63) / 64 * 64;
  size_t hlen = total - 10;
  unsigned char head[10 + 256 + 64];
  memcpy(head, npy_magic, 6);
  head[6] = 1;
  head[7] = 0;
  head[8] = (unsigned char)(hlen & 0xff);
  head[9] = (unsigned char)(hlen >> 8);
  memcpy(head + 10, dict, (size_t)n);
  memset(head + 10 + n, ' ', hlen - (size_t)n - 1);
  head[total - 1] = '\n';

  /* A temporary name next to the target (same file system, so rename is
     atomic); O_EXCL makes concurrent writers pick different names. */
  size_t plen = strlen(path);
  char *tmp = malloc(plen + 64);
  if (!tmp) return npy_fail(err, errlen, path, "out of memory");
  int fd = -1;
  for (int attempt = 0; attempt < 1000 && fd < 0; attempt++) {
    snprintf(tmp, plen + 64, "%s.tmp.%ld.%d", path, (long)getpid(), attempt);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) {
    int e = errno;
    free(tmp);
    return npy_fail(err, errlen, path, "cannot create a temporary file: %s",
                    strerror(e));
  }
  int ok = write_full(fd, head, total) &&
           write_full(fd, a->data, (size_t)(count * size));
  int e = errno;
  if (close(fd) != 0 && ok) {
    ok = 0;
    e = errno;
  }
  if (!ok) {
    unlink(tmp);
    free(tmp);
    return npy_fail(err, errlen, path, "cannot write: %s", strerror(e));
  }
  *tmp_out = tmp;
  return 0;
}

int tcR_npy_commit(const char *path, char *tmp, char *err, size_t errlen) {
  if (!tmp) return 0;
  int rc = 0;
  if (rename(tmp, path) != 0) {
    int e = errno;
    unlink(tmp);
    rc = npy_fail(err, errlen, path, "cannot write: %s", strerror(e));
  }
  free(tmp);
  return rc;
}

void tcR_npy_discard(char *tmp) {
  if (!tmp) return;
  unlink(tmp);
  free(tmp);
}

int tcR_npy_write(const char *path, const tcR_array *a, char *err,
                  size_t errlen) {
  char *tmp;
  if (tcR_npy_write_temp(path, a, &tmp, err, errlen) != 0) return -1;
  return tcR_npy_commit(path, tmp, err, errlen);
}
