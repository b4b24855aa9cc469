/*
 * npy_test.c: .npy reading and writing (rt/npy.c) and the random number
 * generator (rt/rng.c).  Hostile files are written byte by byte; each must
 * be refused with a message naming the file and what was wrong.
 */
#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../rt/rt.h"
#include "ref_tests.h"

/* A fresh directory for one test (each test runs in its own process). */
static char tmpdir[64];
static void make_tmpdir(void) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/tc_ref_npyXXXXXX");
  ck_assert_msg(mkdtemp(tmpdir) != NULL, "mkdtemp failed");
}
static void remove_tmpdir(void) {
  DIR *d = opendir(tmpdir);
  if (!d) return;
  struct dirent *e;
  char p[512];
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
      snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
      unlink(p);
    }
  closedir(d);
  rmdir(tmpdir);
}
static int count_files(void) {
  DIR *d = opendir(tmpdir);
  int n = 0;
  struct dirent *e;
  while (d && (e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
  if (d) closedir(d);
  return n;
}

static void write_bytes(const char *path, const void *p, size_t n) {
  FILE *f = fopen(path, "wb");
  ck_assert_msg(f != NULL, "cannot create %s", path);
  ck_assert(fwrite(p, 1, n, f) == n);
  fclose(f);
}

/* A .npy file of version `major` with header dict `dict` (padded to 64
   with spaces and '\n'), followed by `ndata` bytes of data. */
static void write_npy(const char *path, int major, const char *dict,
                      const void *data, size_t ndata) {
  unsigned char buf[4096];
  size_t pre = major == 1 ? 10 : 12, n = strlen(dict);
  size_t total = (pre + n + 1 + 63) / 64 * 64, hlen = total - pre;
  memcpy(buf, "\x93NUMPY", 6);
  buf[6] = (unsigned char)major;
  buf[7] = 0;
  buf[8] = (unsigned char)(hlen & 0xff);
  buf[9] = (unsigned char)(hlen >> 8);
  if (major != 1) buf[10] = buf[11] = 0;
  memcpy(buf + pre, dict, n);
  memset(buf + pre + n, ' ', hlen - n - 1);
  buf[total - 1] = '\n';
  ck_assert(total + ndata <= sizeof buf);
  if (ndata) memcpy(buf + total, data, ndata);
  write_bytes(path, buf, total + ndata);
}

static const char *tmp_path(const char *name) {
  static char p[256]; /* test-local: each test is its own process */
  snprintf(p, sizeof p, "%s/%s", tmpdir, name);
  return p;
}

START_TEST(npy_roundtrip_every_dtype) {
  make_tmpdir();
  static const tc_dtype dts[] = {TC_DT_F32, TC_DT_F64, TC_DT_BF16, TC_DT_I8,
                                 TC_DT_U8, TC_DT_I32, TC_DT_I64};
  for (size_t t = 0; t < sizeof dts / sizeof dts[0]; t++) {
    /* shapes: (2, 3), (5,), (), (0, 3) */
    static const int ranks[] = {2, 1, 0, 2};
    static const int64_t shapes[][2] = {{2, 3}, {5, 0}, {0, 0}, {0, 3}};
    for (int s = 0; s < 4; s++) {
      tcR_array a = {0}, b = {0};
      a.dtype = dts[t];
      a.rank = ranks[s];
      a.count = 1;
      for (int d = 0; d < a.rank; d++) {
        a.shape[d] = shapes[s][d];
        a.count *= a.shape[d];
      }
      int sz = tc_dtype_size(a.dtype);
      unsigned char *data = malloc((size_t)(a.count ? a.count : 1) * (size_t)sz);
      for (int64_t i = 0; i < a.count * sz; i++) data[i] = (unsigned char)(i * 37 + t);
      a.data = a.count ? data : NULL;
      char err[512] = "";
      const char *p = tmp_path("rt.npy");
      ck_assert_msg(tcR_npy_write(p, &a, err, sizeof err) == 0,
                    "writing %s rank %d: %s", tc_dtype_name(a.dtype), a.rank, err);
      ck_assert_msg(tcR_npy_read(p, &b, err, sizeof err) == 0,
                    "reading back %s rank %d: %s", tc_dtype_name(a.dtype), a.rank, err);
      ck_assert_msg(b.dtype == a.dtype && b.rank == a.rank && b.count == a.count,
                    "round trip of %s rank %d gave dtype %s rank %d count %lld",
                    tc_dtype_name(a.dtype), a.rank, tc_dtype_name(b.dtype), b.rank,
                    (long long)b.count);
      for (int d = 0; d < a.rank; d++) ck_assert_int_eq(b.shape[d], a.shape[d]);
      if (a.count)
        ck_assert_msg(memcmp(a.data, b.data, (size_t)(a.count * sz)) == 0,
                      "round trip of %s changed the data", tc_dtype_name(a.dtype));
      else
        ck_assert_msg(b.data == NULL, "an empty array has data NULL");
      /* The header: 64-byte aligned data, '\n' before it. */
      FILE *f = fopen(p, "rb");
      unsigned char h[10];
      ck_assert(fread(h, 1, 10, f) == 10);
      size_t hlen = h[8] | (size_t)h[9] << 8;
      ck_assert_msg((10 + hlen) % 64 == 0, "header of %zu bytes is not padded to 64",
                    10 + hlen);
      ck_assert_msg(h[6] == 1 && h[7] == 0, "version written is %d.%d, expected 1.0",
                    h[6], h[7]);
      fseek(f, (long)(10 + hlen - 1), SEEK_SET);
      ck_assert_msg(fgetc(f) == '\n', "header does not end with a newline");
      fclose(f);
      free(data);
      tcR_array_free(&b);
    }
  }
  ck_assert_msg(count_files() == 1, "a temporary file was left behind");
  remove_tmpdir();
}
END_TEST

START_TEST(npy_header_text) {
  make_tmpdir();
  int32_t v[5] = {1, 2, 3, 4, 5};
  tcR_array a = {.dtype = TC_DT_I32, .rank = 1, .shape = {5}, .data = v, .count = 5};
  char err[256];
  ck_assert(tcR_npy_write(tmp_path("h.npy"), &a, err, sizeof err) == 0);
  FILE *f = fopen(tmp_path("h.npy"), "rb");
  char buf[128] = {0};
  ck_assert(fread(buf, 1, 127, f) == 127);
  fclose(f);
  const char *want = "{'descr': '<i4', 'fortran_order': False, 'shape': (5,), }";
  ck_assert_msg(strncmp(buf + 10, want, strlen(want)) == 0,
                "header is \"%.60s\", expected \"%s\"", buf + 10, want);
  remove_tmpdir();
}
END_TEST

/* Versions 2.0 and 3.0 (4-byte header length), keys in another order,
   double quotes. */
START_TEST(npy_read_versions) {
  make_tmpdir();
  float v[4] = {1, -2, 3.5f, 0};
  for (int major = 1; major <= 3; major++) {
    write_npy(tmp_path("v.npy"), major,
              "{\"shape\": (2, 2), \"fortran_order\": False, \"descr\": \"<f4\"}", v,
              sizeof v);
    tcR_array a;
    char err[256] = "";
    ck_assert_msg(tcR_npy_read(tmp_path("v.npy"), &a, err, sizeof err) == 0,
                  "version %d.0 refused: %s", major, err);
    ck_assert(a.dtype == TC_DT_F32 && a.rank == 2 && a.shape[0] == 2 && a.count == 4);
    ck_assert(memcmp(a.data, v, sizeof v) == 0);
    tcR_array_free(&a);
  }
  /* <u2 is read as bf16 */
  uint16_t h[2] = {0x3f80, 0xc000};
  write_npy(tmp_path("b.npy"), 1, "{'descr': '<u2', 'fortran_order': False, 'shape': (2,), }",
            h, sizeof h);
  tcR_array a;
  char err[256];
  ck_assert(tcR_npy_read(tmp_path("b.npy"), &a, err, sizeof err) == 0);
  ck_assert_msg(a.dtype == TC_DT_BF16, "<u2 read as %s, expected bf16", tc_dtype_name(a.dtype));
  tcR_array_free(&a);
  remove_tmpdir();
}
END_TEST

/* Each hostile file: the bytes, and a word the message must contain. */
static void expect_refused(const char *name, const char *want) {
  tcR_array a;
  char err[512] = "";
  const char *p = tmp_path(name);
  int rc = tcR_npy_read(p, &a, err, sizeof err);
  ck_assert_msg(rc == -1, "%s was accepted, expected an error about '%s'", name, want);
  ck_assert_msg(strstr(err, p) != NULL, "message \"%s\" does not name the file %s", err, p);
  ck_assert_msg(strstr(err, want) != NULL, "message \"%s\" for %s lacks '%s'", err, name,
                want);
  ck_assert_msg(a.data == NULL && a.count == 0, "a refused read left data behind");
}

START_TEST(npy_hostile_files) {
  make_tmpdir();
  float v[6] = {0};
  write_bytes(tmp_path("empty.npy"), "", 0);
  expect_refused("empty.npy", "magic");
  write_bytes(tmp_path("magic.npy"), "\x93NUMPZ\x01\x00\x10\x00{}", 12);
  expect_refused("magic.npy", "magic");
  write_bytes(tmp_path("version.npy"), "\x93NUMPY\x04\x00\x10\x00{}", 12);
  expect_refused("version.npy", "version");
  write_bytes(tmp_path("hdrtrunc.npy"), "\x93NUMPY\x01\x00\xe8\x03{'descr'", 18);
  expect_refused("hdrtrunc.npy", "truncated header");
  write_npy(tmp_path("fortran.npy"), 1,
            "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", v, 24);
  expect_refused("fortran.npy", "Fortran");
  static const char *const bad_dtypes[] = {"<f2", ">f4", "|b1", "<u4", "<c8", "O"};
  for (size_t i = 0; i < sizeof bad_dtypes / sizeof bad_dtypes[0]; i++) {
    char dict[128];
    snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (2,), }",
             bad_dtypes[i]);
    write_npy(tmp_path("dtype.npy"), 1, dict, v, 8);
    expect_refused("dtype.npy", "unsupported dtype");
  }
  write_npy(tmp_path("short.npy"), 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
            v, 20);
  expect_refused("short.npy", "announces 24 data bytes but the file holds 20");
  write_npy(tmp_path("long.npy"), 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }",
            v, 24);
  expect_refused("long.npy", "announces 20 data bytes but the file holds 24");
  write_npy(tmp_path("huge.npy"), 1,
            "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", v, 8);
  expect_refused("huge.npy", "overflows");
  write_npy(tmp_path("huge2.npy"), 1,
            "{'descr': '<f8', 'fortran_order': False, 'shape': (2305843009213693952,), }", v, 8);
  expect_refused("huge2.npy", "overflows");
  write_npy(tmp_path("big.npy"), 1,
            "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000,), }", v, 8);
  expect_refused("big.npy", "announces 8000000000 data bytes");
  write_npy(tmp_path("neg.npy"), 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }",
            v, 8);
  expect_refused("neg.npy", "shape");
  write_npy(tmp_path("rank9.npy"), 1,
            "{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1), }", v, 4);
  expect_refused("rank9.npy", "more than 8 axes");
  write_npy(tmp_path("noshape.npy"), 1, "{'descr': '<f4', 'fortran_order': False}", v, 4);
  expect_refused("noshape.npy", "lacks");
  write_npy(tmp_path("garbage.npy"), 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} x",
            v, 8);
  expect_refused("garbage.npy", "after its dict");
  write_npy(tmp_path("notdict.npy"), 1, "[1, 2]", v, 8);
  expect_refused("notdict.npy", "not a Python dict");
  expect_refused("missing.npy", "cannot open");
  remove_tmpdir();
}
END_TEST

START_TEST(npy_write_failure_leaves_nothing) {
  make_tmpdir();
  float v[2] = {1, 2};
  tcR_array a = {.dtype = TC_DT_F32, .rank = 1, .shape = {2}, .data = v, .count = 2};
  char err[512] = "", p[300];
  snprintf(p, sizeof p, "%s/no/such/dir/x.npy", tmpdir);
  ck_assert_msg(tcR_npy_write(p, &a, err, sizeof err) == -1,
                "writing into a missing directory succeeded");
  ck_assert_msg(strstr(err, p) != NULL, "message \"%s\" does not name the file", err);
  tcR_array bad = a;
  bad.count = 3;
  ck_assert_msg(tcR_npy_write(tmp_path("bad.npy"), &bad, err, sizeof err) == -1,
                "an array whose count contradicts its shape was written");
  ck_assert_msg(count_files() == 0, "a failed write left %d files", count_files());
  /* Overwriting an existing file replaces it whole. */
  ck_assert(tcR_npy_write(tmp_path("x.npy"), &a, err, sizeof err) == 0);
  a.shape[0] = 1;
  a.count = 1;
  ck_assert(tcR_npy_write(tmp_path("x.npy"), &a, err, sizeof err) == 0);
  tcR_array b;
  ck_assert(tcR_npy_read(tmp_path("x.npy"), &b, err, sizeof err) == 0);
  ck_assert_msg(b.count == 1, "overwritten file holds %lld elements", (long long)b.count);
  tcR_array_free(&b);
  remove_tmpdir();
}
END_TEST

START_TEST(rng_is_deterministic) {
  tcR_rng a, b, c;
  tcR_rng_seed(&a, 42);
  tcR_rng_seed(&b, 42);
  tcR_rng_seed(&c, 43);
  int differ = 0;
  for (int i = 0; i < 1000; i++) {
    uint64_t x = tcR_rng_next(&a), y = tcR_rng_next(&b), z = tcR_rng_next(&c);
    ck_assert_msg(x == y, "seed 42 gave two different sequences at draw %d", i);
    differ += x != z;
  }
  ck_assert_msg(differ > 990, "seeds 42 and 43 gave the same values %d times", 1000 - differ);
  /* Reference value: xoshiro256** seeded by splitmix64(0). */
  tcR_rng r;
  tcR_rng_seed(&r, 0);
  ck_assert_msg(r.s[0] == 0xe220a8397b1dcdafULL, "splitmix64(0) gave %llx",
                (unsigned long long)r.s[0]);
  double sum = 0, lo = 1, hi = 0;
  for (int i = 0; i < 100000; i++) {
    double u = tcR_rng_uniform(&r);
    ck_assert_msg(u >= 0 && u < 1, "uniform gave %g, outside [0, 1)", u);
    sum += u;
    lo = u < lo ? u : lo;
    hi = u > hi ? u : hi;
  }
  ck_assert_msg(fabs(sum / 100000 - 0.5) < 0.01, "mean of 100000 uniforms is %g", sum / 100000);
  ck_assert(lo < 0.001 && hi > 0.999);
  double t0 = tcR_now(), t1 = tcR_now();
  ck_assert_msg(t1 >= t0 && t0 > 0, "tcR_now went backwards: %g then %g", t0, t1);
}
END_TEST

Suite *ref_npy_suite(void) {
  Suite *s = suite_create("ref_npy");
  TCase *tc = tcase_create("npy");
  tcase_add_test(tc, npy_roundtrip_every_dtype);
  tcase_add_test(tc, npy_header_text);
  tcase_add_test(tc, npy_read_versions);
  tcase_add_test(tc, npy_hostile_files);
  tcase_add_test(tc, npy_write_failure_leaves_nothing);
  tcase_add_test(tc, rng_is_deterministic);
  suite_add_tcase(s, tc);
  return s;
}
