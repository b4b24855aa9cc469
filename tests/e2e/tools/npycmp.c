/*
 * npycmp.c: compare two .npy files for the end-to-end tests.
 *
 *   npycmp [--rtol R] [--atol A] A.npy B.npy [A2.npy B2.npy ...]
 *
 * Compares each pair (several pairs in one process: the SIMD target step
 * of run.sh compares every output of a run at once).  The files of a pair
 * must have the same dtype and shape.  Integer (and bool)
 * elements must be equal; floating ones (f32, f64, and bf16, which the ABI
 * stores as <u2: no tensorc dtype is a 16-bit integer) must satisfy
 * |a - b| <= atol + rtol * |b|, with NaN equal only to NaN and infinities
 * equal only to themselves.  Defaults: rtol 1e-4, atol 1e-5 (two
 * compilations of one kernel may differ by reassociation, never by more);
 * for bf16 rtol is at least 2^-7, one unit in the last place, since an f32
 * difference of reassociation may round to neighbouring bf16 values.
 *
 * Exit status 0 when every pair matches, 1 when some differ (for each, the
 * first differing element and the largest error are printed), 2 on a usage
 * or file error.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npyio.h"

static double bf16_to_double(uint16_t h) {
  uint32_t u = (uint32_t)h << 16;
  float f;
  memcpy(&f, &u, 4);
  return f;
}

/* Element i of a as a double; *isfloat tells whether the dtype is a
   floating one. */
static double elem(const npy_array *a, int64_t i, int *isfloat) {
  const char *d = a->descr;
  *isfloat = 1;
  if (strcmp(d, "<f4") == 0) return ((const float *)a->data)[i];
  if (strcmp(d, "<f8") == 0) return ((const double *)a->data)[i];
  if (strcmp(d, "<u2") == 0)
    return bf16_to_double(((const uint16_t *)a->data)[i]);
  *isfloat = 0;
  if (strcmp(d, "|i1") == 0) return ((const int8_t *)a->data)[i];
  if (strcmp(d, "|u1") == 0 || strcmp(d, "|b1") == 0)
    return ((const uint8_t *)a->data)[i];
  if (strcmp(d, "<i4") == 0) return ((const int32_t *)a->data)[i];
  return (double)((const int64_t *)a->data)[i];
}

/* Compare one pair; returns 0 (equal), 1 (different) or 2 (file error). */
static int compare(const char *pa, const char *pb, double rtol, double atol) {
  double maxerr = 0;
  int d, isfloat, bad = 0;
  int64_t k, first = -1;
  npy_array a, b;
  char err[8192];
  if (npy_read(pa, &a, err, sizeof err) != 0) {
    fprintf(stderr, "npycmp: %s\n", err);
    return 2;
  }
  if (npy_read(pb, &b, err, sizeof err) != 0) {
    fprintf(stderr, "npycmp: %s\n", err);
    free(a.data);
    return 2;
  }
  if (strcmp(a.descr, b.descr) != 0 || a.rank != b.rank) {
    fprintf(stderr, "npycmp: %s is %s of rank %d, %s is %s of rank %d\n",
            pa, a.descr, a.rank, pb, b.descr, b.rank);
    bad = 1;
    goto out;
  }
  for (d = 0; d < a.rank; d++)
    if (a.shape[d] != b.shape[d]) {
      fprintf(stderr, "npycmp: %s and %s differ in extent %d: %lld vs %lld\n",
              pa, pb, d, (long long)a.shape[d], (long long)b.shape[d]);
      bad = 1;
      goto out;
    }
  if (strcmp(a.descr, "<u2") == 0 && rtol < 0x1p-7) rtol = 0x1p-7;
  for (k = 0; k < a.count; k++) {
    double x = elem(&a, k, &isfloat), y = elem(&b, k, &isfloat);
    int ok;
    if (!isfloat) ok = x == y;
    else if (isnan(x) || isnan(y)) ok = isnan(x) && isnan(y);
    else if (isinf(x) || isinf(y)) ok = x == y;
    else {
      double e = fabs(x - y);
      ok = e <= atol + rtol * fabs(y);
      if (e > maxerr) maxerr = e;
    }
    if (!ok) {
      if (first < 0) {
        first = k;
        fprintf(stderr, "npycmp: %s and %s differ at flat index %lld: %.9g "
                "vs %.9g (rtol %g, atol %g)\n", pa, pb, (long long)k, x, y,
                rtol, atol);
      }
      bad++;
    }
  }
  if (bad)
    fprintf(stderr, "npycmp: %d of %lld elements differ; largest absolute "
            "error %g\n", bad, (long long)a.count, maxerr);
out:
  free(a.data);
  free(b.data);
  return bad ? 1 : 0;
}

int main(int argc, char **argv) {
  double rtol = 1e-4, atol = 1e-5;
  int i, st = 0;
  for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
    if (strcmp(argv[i], "--rtol") == 0 && i + 1 < argc) rtol = atof(argv[++i]);
    else if (strcmp(argv[i], "--atol") == 0 && i + 1 < argc) atol = atof(argv[++i]);
    else break;
  }
  if (argc - i < 2 || (argc - i) % 2 != 0) {
    fprintf(stderr, "usage: npycmp [--rtol R] [--atol A] A.npy B.npy [A2.npy B2.npy ...]\n");
    return 2;
  }
  for (; i < argc; i += 2) {
    int r = compare(argv[i], argv[i + 1], rtol, atol);
    if (r > st) st = r;
  }
  return st;
}
