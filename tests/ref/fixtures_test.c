/*
 * fixtures_test.c: the reference interpreter against NumPy.  Each folder
 * of tests/fixtures (written by scripts/make_fixtures.py) holds a DSL file,
 * its inputs and weights as .npy files, NumPy's outputs as
 * expect_<name>.npy and the dims in case.txt.  Every fixture is loaded
 * with the front end, run with tcR_ref_run and compared:
 *
 *   integers   exactly;
 *   f64        |got - want| <= 1e-12 |want| + 1e-12;
 *   f32        |got - want| <= 1e-6 |want| + 1e-6  (NumPy rounds once at
 *              the end, the interpreter after every node);
 *   bf16       |got - want| <= 2^-7 |want| + 1e-6  (one bf16 step);
 *   NaN must meet NaN, and an infinity the same infinity.
 *
 * A fixture with a pending.txt uses DSL functions the front end may not
 * have yet: a failure to load it is reported on stderr and tolerated (a
 * result, once it loads, is checked like any other).  Delete the
 * `pending=` of the case in scripts/make_fixtures.py when the front end
 * catches up.
 *
 * The fixtures folder is $TC_FIXTURES, else tests/fixtures.
 */
#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../lang/lang.h"
#include "../../rt/rt.h"
#include "ref_tests.h"

static const char *fixtures_dir(void) {
  const char *d = getenv("TC_FIXTURES");
  return d && *d ? d : "tests/fixtures";
}

static int is_fixture(const struct dirent *e) {
  if (e->d_name[0] == '.') return 0;
  char p[1024];
  struct stat st;
  snprintf(p, sizeof p, "%s/%s/case.lua", fixtures_dir(), e->d_name);
  return stat(p, &st) == 0;
}

/* The fixtures' names, sorted; *n of them (caller frees with free_list). */
static struct dirent **list_fixtures(int *n) {
  struct dirent **names = NULL;
  *n = scandir(fixtures_dir(), &names, is_fixture, alphasort);
  if (*n < 0) *n = 0;
  return names;
}
static void free_list(struct dirent **names, int n) {
  for (int i = 0; i < n; i++) free(names[i]);
  free(names);
}

/* Read case.txt ("NAME=VALUE" lines) into dims, in k's dim order. */
static void read_dims(const char *dir, const tc_kernel *k, int64_t *dims) {
  char p[1100], line[256];
  snprintf(p, sizeof p, "%s/case.txt", dir);
  FILE *f = fopen(p, "r");
  ck_assert_msg(f != NULL, "%s is missing", p);
  int *seen = calloc((size_t)k->dims.len + 1, sizeof *seen);
  while (fgets(line, sizeof line, f)) {
    char *eq = strchr(line, '=');
    if (!eq) continue;
    *eq = '\0';
    int found = 0;
    for (int i = 0; i < k->dims.len; i++)
      if (strcmp(k->dims.data[i].name, line) == 0) {
        dims[i] = strtoll(eq + 1, NULL, 10);
        seen[i] = found = 1;
      }
    ck_assert_msg(found, "%s names dim %s, which the kernel does not declare", p, line);
  }
  fclose(f);
  for (int i = 0; i < k->dims.len; i++)
    ck_assert_msg(seen[i], "%s does not give dim %s", p, k->dims.data[i].name);
  free(seen);
}

static double elem(const tcR_array *a, int64_t i) {
  switch (a->dtype) {
  case TC_DT_F32: return ((const float *)a->data)[i];
  case TC_DT_F64: return ((const double *)a->data)[i];
  case TC_DT_BF16: return tc_bf16_to_f32(((const uint16_t *)a->data)[i]);
  case TC_DT_I8: return ((const int8_t *)a->data)[i];
  case TC_DT_U8: return ((const uint8_t *)a->data)[i];
  case TC_DT_I32: return ((const int32_t *)a->data)[i];
  default: return 0; /* i64 compared as integers */
  }
}

/* Compare got with want; on mismatch, format what differed into msg and
   return the number of differing elements. */
static int64_t compare(const tcR_array *got, const tcR_array *want, char *msg, size_t len) {
  int64_t bad = 0;
  double rtol = 0, atol = 0;
  switch (got->dtype) {
  case TC_DT_F64: rtol = atol = 1e-12; break;
  case TC_DT_F32: rtol = atol = 1e-6; break;
  case TC_DT_BF16: rtol = 1.0 / 128; atol = 1e-6; break;
  default: break;
  }
  for (int64_t i = 0; i < got->count; i++) {
    int differs;
    char gs[64], ws[64];
    if (got->dtype == TC_DT_I64) {
      int64_t g = ((const int64_t *)got->data)[i], w = ((const int64_t *)want->data)[i];
      differs = g != w;
      snprintf(gs, sizeof gs, "%lld", (long long)g);
      snprintf(ws, sizeof ws, "%lld", (long long)w);
    } else {
      double g = elem(got, i), w = elem(want, i);
      if (isnan(w) || isnan(g))
        differs = isnan(w) != isnan(g);
      else if (isinf(w) || isinf(g))
        differs = g != w;
      else
        differs = fabs(g - w) > rtol * fabs(w) + atol;
      snprintf(gs, sizeof gs, "%.9g", g);
      snprintf(ws, sizeof ws, "%.9g", w);
    }
    if (differs && bad++ == 0)
      snprintf(msg, len, "element %lld is %s, expected %s", (long long)i, gs, ws);
  }
  return bad;
}

START_TEST(fixture_matches_numpy) {
  int n;
  struct dirent **names = list_fixtures(&n);
  ck_assert_msg(_i < n, "fixture %d of %d vanished", _i, n);
  const char *name = names[_i]->d_name;
  char dir[1024], p[1400];
  snprintf(dir, sizeof dir, "%s/%s", fixtures_dir(), name);
  snprintf(p, sizeof p, "%s/case.lua", dir);
  tc_diag d = {0};
  tcL_options opt = {0};
  tc_module *m = tcL_load_file(p, &opt, &d);
  struct stat st;
  snprintf(p, sizeof p, "%s/pending.txt", dir);
  if (!m && stat(p, &st) == 0) {
    fprintf(stderr, "note: fixture %s is pending (%s)\n", name, d.msg);
    free_list(names, n);
    return;
  }
  ck_assert_msg(m != NULL, "fixture %s: loading %s failed: %s", name, p, d.msg);
  ck_assert_msg(m->kernels.len == 1, "fixture %s: %d kernels, expected 1", name,
                m->kernels.len);
  const tc_kernel *k = m->kernels.data[0];
  int64_t dims[64] = {0};
  ck_assert(k->dims.len <= 64);
  read_dims(dir, k, dims);

  int na = k->args.len;
  /* csr arguments take up to 3 slots (A.rowptr, A.col, A.val): their
     parts are read into arrs[na + ...] */
  tcR_array *arrs = calloc((size_t)na * 4 + 1, sizeof *arrs);
  const void **weights = calloc((size_t)na * 3 + 1, sizeof *weights);
  const void **inputs = calloc((size_t)na * 3 + 1, sizeof *inputs);
  void **outputs = calloc((size_t)na + 1, sizeof *outputs);
  int nw = 0, ni = 0, no = 0, nparts = 0;
  char err[1024];
  tc_abi_part *parts = calloc((size_t)tc_kernel_abi_parts(k, NULL) + 1, sizeof *parts);
  int npart = tc_kernel_abi_parts(k, parts);
  for (int a = 0; a < na; a++) {
    const tc_arg *arg = &k->args.data[a];
    if (arg->csr) {
      for (int j = 0; j < npart; j++) {
        if (parts[j].arg != a) continue;
        tcR_array *x = &arrs[na + nparts++];
        snprintf(p, sizeof p, "%s/%s.npy", dir, parts[j].name);
        ck_assert_msg(tcR_npy_read(p, x, err, sizeof err) == 0, "fixture %s: %s", name, err);
        ck_assert_msg(x->dtype == parts[j].dtype && x->rank == 1,
                      "fixture %s: %s is %s of rank %d, the kernel wants %s of rank 1", name,
                      p, tc_dtype_name(x->dtype), x->rank, tc_dtype_name(parts[j].dtype));
        inputs[ni++] = x->data;
      }
      continue;
    }
    int64_t shape[TC_MAX_RANK];
    ck_assert_msg(tc_kernel_arg_shape(k, a, dims, shape) == TC_OK,
                  "fixture %s: the shape of %s is invalid for case.txt's dims", name, arg->name);
    if (arg->role == TC_ROLE_OUTPUT) {
      int64_t count = 1;
      for (int dd = 0; dd < arg->rank; dd++) count *= shape[dd];
      arrs[a].dtype = arg->dtype;
      arrs[a].rank = arg->rank;
      memcpy(arrs[a].shape, shape, sizeof shape);
      arrs[a].count = count;
      arrs[a].data = calloc((size_t)(count ? count : 1), (size_t)tc_dtype_size(arg->dtype));
      outputs[no++] = arrs[a].data;
      continue;
    }
    snprintf(p, sizeof p, "%s/%s.npy", dir, arg->name);
    ck_assert_msg(tcR_npy_read(p, &arrs[a], err, sizeof err) == 0, "fixture %s: %s", name, err);
    ck_assert_msg(arrs[a].dtype == arg->dtype && arrs[a].rank == arg->rank,
                  "fixture %s: %s is %s of rank %d, the kernel wants %s of rank %d", name, p,
                  tc_dtype_name(arrs[a].dtype), arrs[a].rank, tc_dtype_name(arg->dtype),
                  arg->rank);
    for (int dd = 0; dd < arg->rank; dd++)
      ck_assert_msg(arrs[a].shape[dd] == shape[dd], "fixture %s: %s has extent %lld at axis %d, "
                    "the kernel wants %lld", name, p, (long long)arrs[a].shape[dd], dd,
                    (long long)shape[dd]);
    if (arg->role == TC_ROLE_WEIGHT)
      weights[nw++] = arrs[a].data;
    else
      inputs[ni++] = arrs[a].data;
  }
  int rc = tcR_ref_run(k, dims, weights, inputs, outputs);
  ck_assert_msg(rc == TC_OK, "fixture %s: tcR_ref_run returned %d, expected TC_OK", name, rc);

  char failures[4096] = "";
  size_t flen = 0;
  int nbad = 0;
  for (int a = 0; a < na; a++) {
    const tc_arg *arg = &k->args.data[a];
    if (arg->role != TC_ROLE_OUTPUT) continue;
    tcR_array want;
    snprintf(p, sizeof p, "%s/expect_%s.npy", dir, arg->name);
    ck_assert_msg(tcR_npy_read(p, &want, err, sizeof err) == 0, "fixture %s: %s", name, err);
    ck_assert_msg(want.dtype == arg->dtype && want.count == arrs[a].count &&
                  want.rank == arg->rank,
                  "fixture %s: output %s is %s[%lld elements, rank %d], expect_%s.npy holds "
                  "%s[%lld, rank %d]", name, arg->name, tc_dtype_name(arg->dtype),
                  (long long)arrs[a].count, arg->rank, arg->name, tc_dtype_name(want.dtype),
                  (long long)want.count, want.rank);
    char msg[256];
    int64_t bad = compare(&arrs[a], &want, msg, sizeof msg);
    if (bad && flen < sizeof failures - 300) {
      nbad++;
      flen += (size_t)snprintf(failures + flen, sizeof failures - flen,
                               "\n  output %s: %lld of %lld elements differ; first: %s",
                               arg->name, (long long)bad, (long long)want.count, msg);
    }
    tcR_array_free(&want);
  }
  ck_assert_msg(nbad == 0, "fixture %s: %d outputs differ from NumPy:%s", name, nbad, failures);
  for (int a = 0; a < na + nparts; a++) tcR_array_free(&arrs[a]);
  free(arrs);
  free(parts);
  free(weights);
  free(inputs);
  free(outputs);
  tc_module_free(m);
  free_list(names, n);
}
END_TEST

START_TEST(fixtures_exist) {
  int n;
  struct dirent **names = list_fixtures(&n);
  free_list(names, n);
  ck_assert_msg(n >= 10, "found %d fixtures under %s, expected at least 10 (run the runner "
                "from the repository's root or set TC_FIXTURES)", n, fixtures_dir());
}
END_TEST

Suite *ref_fixtures_suite(void) {
  Suite *s = suite_create("ref_fixtures");
  TCase *tc = tcase_create("numpy");
  tcase_set_timeout(tc, 20);
  int n;
  struct dirent **names = list_fixtures(&n);
  free_list(names, n);
  tcase_add_test(tc, fixtures_exist);
  tcase_add_loop_test(tc, fixture_matches_numpy, 0, n);
  suite_add_tcase(s, tc);
  return s;
}
