/*
 * stress.c: the GEMM template's run-time code (emit/gemm.c, docs/gemm.md)
 * driven directly.  It includes the file tensorc writes for
 * tests/emit/gemm/stress.lua (the Makefile builds it with the tensorc of
 * the tree, so the template under test is always the current one), fills
 * tc_gemm descriptors by hand and runs tc_gemm_avx2 and tc_gemm_avx512 on
 * them, against a double-precision reference.  The e2e kernels reach the
 * template only through the shapes their DSL files happen to have; this
 * goes through the edges of its blocking on purpose:
 *   - k in even blocks of at most KC (tc_gemm_kc, KC up to
 *     TC_GEMM_KC_MAX = 768, from the descriptor's kcb): k = 0 (C is the
 *     epilogue of zeros), 1, 17, just below, at and just above 768, and
 *     2 * 768 + 1, under kcb 64, the default and 768;
 *   - B's panels in even blocks of at most NCP (from bkp / KC, clamped to
 *     4..64): n of 7 panels under a small bkp (NCP 4) and a large one,
 *     and all in one block when a task's rows of A times KC exceed the
 *     L2 the blocking assumes,
 *     B packed at create (bmode 0, tc_gemm_pack_b) or read in place
 *     (bmode 1), A in place or transposed (packed per micro-panel);
 *   - NHWC convolutions (amode 1), and NCHW ones copied to NHWC by each
 *     task (amode 2), whose blocks of k are whole window positions of c
 *     channels when c <= KC, and runs of one position's channels when
 *     c > 768 (c = 1 to 800); NHWC groups, each image's group a batch
 *     matrix (a group's channels of each pixel, its columns of B);
 *   - NCHW convolutions as the GEMM of the gathered windows (bmode 2) and
 *     through the direct kernel (bmode 3), its A packed at create
 *     (tc_gemm_direct_pack_<isa> into tc_gemm.ap) or by the call; Cout not
 *     a multiple of the kernel's rows nor of TC_GEMM_DIRECT_ROWS (64);
 *     dilations that make whole tiles of 32 grid positions thrown-away
 *     columns, and the AVX-512 kernel's epilogue called once a group of
 *     TC_GEMM_DIRECT_GROUP tiles, over their valid positions only; on
 *     two threads, images split evenly (or 16 or more) run whole on one
 *     thread each, the others tile by tile on both.
 * Every case runs with one OpenMP thread and with two (above
 * TC_GEMM_MIN_PAR multiply-adds the call is cut into tasks) and checks:
 *   - every element of C against the reference, to 1e-3 relative: the
 *     epilogue is C = 2 * C + 1000, so that one run before the last block
 *     of k was summed, or twice, or never, shows in the value;
 *   - that the epilogue covered each element exactly once (a counter per
 *     element), and was never called outside C;
 *   - that nothing was written to the guard columns past n in each row
 *     of C (ldc = n + 3);
 *   - that both thread counts give the same bits (the template sums every
 *     element in one order whatever the tasks).
 * An ISA is run only when tc_pick_isa (the generated file's choice at
 * create: avx2 and fma; avx512f, bw, dq and vl) would pick it, so that the
 * test passes on a CPU without AVX-512; what is skipped is printed.  Exit
 * status 0 when every case run passed, else 1 (the failures printed);
 * with -v, each case is printed as it starts.
 */
#include "gemm_stress.c"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef _OPENMP
#error "tests/emit/gemm/stress.c is built with -fopenmp (its cases run on 1 and 2 threads)"
#endif

/* The values past n in each row of C, which nothing may write. */
#define GUARD_COLS 3
#define GUARD (-7777.0f)

/* C of a case: nmat matrices of m rows of ldc floats, and per element how
   many times the epilogue covered it. */
typedef struct stress_out {
  const char *what; /* the case, for messages */
  float *c;
  int *touched;
  int64_t nmat, m, n, ldc;
  int bad_calls; /* epilogue calls outside C (atomic) */
  int64_t inner;  /* batch axis 1's extent (NHWC groups), or 0 for one axis */
} stress_out;

/* The epilogue, C = 2 * C + 1000 over the block it is given; counts the
   calls per element and the calls outside C (which touch nothing). */
static void stress_epi(const void *arg, const int64_t *bi, int64_t i0, int64_t j0, int64_t mr,
                       int64_t nr) {
  stress_out *o = (stress_out *)arg;
  const int64_t mat = o->inner ? bi[0] * o->inner + bi[1] : bi[0];
  if (mat < 0 || mat >= o->nmat || (o->inner && (bi[1] < 0 || bi[1] >= o->inner)) || i0 < 0 ||
      j0 < 0 || mr <= 0 || nr <= 0 || i0 + mr > o->m || j0 + nr > o->n) {
    if (__atomic_fetch_add(&o->bad_calls, 1, __ATOMIC_RELAXED) == 0)
      printf("FAIL %s: epilogue called on batch %lld, rows [%lld, +%lld), columns [%lld, +%lld) "
             "of a %lld x %lld C\n",
             o->what, (long long)mat, (long long)i0, (long long)mr, (long long)j0, (long long)nr,
             (long long)o->m, (long long)o->n);
    return;
  }
  for (int64_t i = i0; i < i0 + mr; i++)
    for (int64_t j = j0; j < j0 + nr; j++) {
      const int64_t at = (mat * o->m + i) * o->ldc + j;
      o->c[at] = 2 * o->c[at] + 1000;
      __atomic_add_fetch(&o->touched[at], 1, __ATOMIC_RELAXED);
    }
}

/* A deterministic stream of values in [-1, 1], multiples of 1/1000. */
static float next_value(uint64_t *state) {
  *state = *state * 6364136223846793005u + 1442695040888963407u;
  return (float)((int64_t)(*state >> 33) % 2001 - 1000) / 1000.0f;
}

static float *random_floats(uint64_t *state, int64_t n) {
  float *p = malloc((size_t)(n > 0 ? n : 1) * sizeof *p);
  for (int64_t i = 0; i < n; i++) p[i] = next_value(state);
  return p;
}

/* What a run of the whole test has seen. */
typedef struct stress {
  uint64_t rng;
  int verbose; /* -v: each case printed as it starts (to find one that crashes) */
  int cases, failures;
} stress;

static int run_isa(int isa, const tc_gemm *g) { return isa == 2 ? tc_gemm_avx512(g) : tc_gemm_avx2(g); }

/* Compares C (o) with ref (nmat x m x n, before the epilogue) after a run
   on `threads` threads that returned rc; prints the first mismatch.
   Returns whether all matched. */
static int check_out(const stress_out *o, const double *ref, int threads, int rc) {
  if (rc != 0) {
    printf("FAIL %s, %d threads: tc_gemm returned %d\n", o->what, threads, rc);
    return 0;
  }
  if (o->bad_calls) return 0; /* (printed by stress_epi) */
  for (int64_t b = 0; b < o->nmat; b++)
    for (int64_t i = 0; i < o->m; i++)
      for (int64_t j = 0; j < o->ldc; j++) {
        const int64_t at = (b * o->m + i) * o->ldc + j;
        const double want = j < o->n ? 2 * ref[(b * o->m + i) * o->n + j] + 1000 : GUARD;
        const char *wrong = NULL;
        if (j >= o->n)
          wrong = o->c[at] != GUARD ? "a guard column past n written" : NULL;
        else if (o->touched[at] != 1)
          wrong = "epilogue not applied exactly once";
        else if (!(fabs(o->c[at] - want) <= 1e-3 * (1 + fabs(want))))
          wrong = "wrong value";
        if (wrong) {
          printf("FAIL %s, %d threads: %s: C[%lld][%lld][%lld] = %.9g, want %.9g (epilogue applied "
                 "%d times)\n",
                 o->what, threads, wrong, (long long)b, (long long)i, (long long)j, o->c[at], want,
                 o->touched[at]);
          return 0;
        }
      }
  return 1;
}

/* Runs g (everything set but C and the epilogue) on isa with 1 and with 2
   threads into an nmat x m x n C with guard columns (with two batch axes,
   matrix bi[0] * bext[1] + bi[1]), checks each against ref, and checks
   the two give the same bits. */
static void run_case(stress *s, int isa, tc_gemm *g, int64_t nmat, const double *ref,
                     const char *what) {
  const int64_t m = g->m, n = g->n, ldc = n + GUARD_COLS, size = nmat * m * ldc;
  stress_out o = {what, malloc((size_t)size * sizeof(float)), malloc((size_t)size * sizeof(int)),
                  nmat, m, n, ldc, 0, g->nb == 2 ? g->bext[1] : 0};
  float *first = malloc((size_t)size * sizeof(float));
  int ok = 1;
  g->c = o.c;
  g->ldc = ldc;
  g->c_bs[g->nb - 1] = m * ldc;
  if (g->nb == 2) g->c_bs[0] = g->bext[1] * m * ldc;
  g->epi = stress_epi;
  g->epi_arg = &o;
  s->cases++;
  if (s->verbose) printf("%s\n", what);
  for (int threads = 1; threads <= 2 && ok; threads++) {
    for (int64_t e = 0; e < size; e++) o.c[e] = e % ldc < n ? 0.0f : GUARD;
    memset(o.touched, 0, (size_t)size * sizeof(int));
    omp_set_num_threads(threads);
    ok = check_out(&o, ref, threads, run_isa(isa, g));
    if (ok && threads == 1) memcpy(first, o.c, (size_t)size * sizeof(float));
    if (ok && threads == 2 && memcmp(first, o.c, (size_t)size * sizeof(float))) {
      printf("FAIL %s: 1 and 2 threads give different bits\n", what);
      ok = 0;
    }
  }
  s->failures += !ok;
  free(o.c);
  free(o.touched);
  free(first);
}

/* ---- plain GEMMs (amode 0, bmode 0 and 1) ---------------------------------------- */

/* C (m x n) = A (m x k, or k x m when trans) B (k x n); B packed into panels
   (bmode 0) or read in place (1); blocking kcb, bkp. */
static void gemm_case(stress *s, int isa, int64_t m, int64_t n, int64_t k, int bmode, int trans,
                      int64_t kcb, int64_t bkp) {
  const int NR = isa == 2 ? 32 : 16;
  float *a = random_floats(&s->rng, m * k), *b = random_floats(&s->rng, k * n), *bp = NULL;
  double *ref = malloc((size_t)(m * n) * sizeof *ref);
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++) {
      double sum = 0;
      for (int64_t kk = 0; kk < k; kk++)
        sum += (double)(trans ? a[kk * m + i] : a[i * k + kk]) * b[kk * n + j];
      ref[i * n + j] = sum;
    }
  tc_gemm g = {0};
  g.m = m, g.n = n, g.k = k;
  g.a = a, g.a_rs = trans ? 1 : k, g.a_cs = trans ? m : 1;
  if (bmode == 0) {
    bp = malloc((size_t)((n + NR - 1) / NR * NR * (k > 0 ? k : 1)) * sizeof *bp);
    tc_gemm_pack_b(bp, b, n, 1, 0, k, 0, n, n, NR);
    g.bp = bp;
  } else {
    g.bmode = 1, g.b = b, g.b_rs = n, g.b_cs = 1;
  }
  g.kcb = kcb, g.bkp = bkp, g.nb = 1, g.bext[0] = 1;
  char what[200];
  snprintf(what, sizeof what, "avx%d gemm m %lld n %lld k %lld bmode %d%s kcb %lld bkp %lld",
           isa == 2 ? 512 : 2, (long long)m, (long long)n, (long long)k, bmode,
           trans ? " A transposed" : "", (long long)kcb, (long long)bkp);
  run_case(s, isa, &g, 1, ref, what);
  free(a), free(b), free(bp), free(ref);
}

/* ---- convolutions ------------------------------------------------------------------ */

/* A convolution of nimg images h x w x cin to cout channels, window kh x kw,
   stride st, padding p, dilation d (the same along both axes). */
typedef struct conv {
  int64_t nimg, h, w, cin, cout, kh, kw, st, p, d;
} conv;

static int64_t conv_oh(const conv *v) { return (v->h + 2 * v->p - v->d * (v->kh - 1) - 1) / v->st + 1; }
static int64_t conv_ow(const conv *v) { return (v->w + 2 * v->p - v->d * (v->kw - 1) - 1) / v->st + 1; }

/* Whether the case has output pixels (else it is a mistake in the list,
   counted as a failure rather than skipped). */
static int conv_has_output(stress *s, const conv *v, const char *what) {
  if (conv_oh(v) > 0 && conv_ow(v) > 0) return 1;
  printf("FAIL %s: the case has no output pixels\n", what);
  s->failures++;
  return 0;
}

static tc_gemm_conv conv_desc(const conv *v) {
  return (tc_gemm_conv){v->h,  v->w,  v->cin, conv_ow(v), v->kh, v->kw, v->st,
                        v->st, v->p,  v->p,   v->d,       v->d,  v->cin};
}

/* Where the layouts put an element: the image x[b][ci][ih][iw] (NCHW) or
   x[b][ih][iw][ci] (NHWC); the weight wt[co][ci][a][bb] (as an NCHW
   convolution's A) or wt[a][bb][ci][co] (as an NHWC one's B). */
static int64_t x_at(const conv *v, int nchw, int64_t b, int64_t ci, int64_t ih, int64_t iw) {
  return nchw ? ((b * v->cin + ci) * v->h + ih) * v->w + iw : ((b * v->h + ih) * v->w + iw) * v->cin + ci;
}
static int64_t w_at(const conv *v, int co_first, int64_t co, int64_t ci, int64_t a, int64_t bb) {
  return co_first ? ((co * v->cin + ci) * v->kh + a) * v->kw + bb
                  : ((a * v->kw + bb) * v->cin + ci) * v->cout + co;
}

/* The reference: channel co of output pixel (y, xo) of image b. */
static double conv_ref(const conv *v, const float *x, int nchw, const float *wt, int co_first,
                       int64_t b, int64_t y, int64_t xo, int64_t co) {
  double sum = 0;
  for (int64_t a = 0; a < v->kh; a++)
    for (int64_t bb = 0; bb < v->kw; bb++) {
      const int64_t ih = y * v->st - v->p + a * v->d, iw = xo * v->st - v->p + bb * v->d;
      if (ih < 0 || ih >= v->h || iw < 0 || iw >= v->w) continue;
      for (int64_t ci = 0; ci < v->cin; ci++)
        sum += (double)x[x_at(v, nchw, b, ci, ih, iw)] * wt[w_at(v, co_first, co, ci, a, bb)];
    }
  return sum;
}

static void conv_what(char *what, size_t size, int isa, const char *kind, const conv *v,
                      const char *how) {
  snprintf(what, size, "avx%d %s %lld x %lldx%lldx%lld -> %lld, window %lldx%lld stride %lld pad %lld "
           "dilation %lld, %s",
           isa == 2 ? 512 : 2, kind, (long long)v->nimg, (long long)v->cin, (long long)v->h,
           (long long)v->w, (long long)v->cout, (long long)v->kh, (long long)v->kw, (long long)v->st,
           (long long)v->p, (long long)v->d, how);
}

/* The GEMM of an image's windows, C = windows x weight (M = output pixels,
   N = cout): amode 1 (NHWC image) or 2 (NCHW image, copied to NHWC by the
   tasks), the weight [kh][kw][cin][cout] packed (bmode 0) or not (1). */
static void windows_case(stress *s, int isa, conv v, int amode, int bmode, int64_t kcb, int64_t bkp) {
  const int NR = isa == 2 ? 32 : 16;
  const int64_t oh = conv_oh(&v), ow = conv_ow(&v), K = v.kh * v.kw * v.cin, M = oh * ow, N = v.cout;
  const int nchw = amode == 2;
  char what[300], how[80];
  snprintf(how, sizeof how, "bmode %d kcb %lld bkp %lld", bmode, (long long)kcb, (long long)bkp);
  conv_what(what, sizeof what, isa, nchw ? "NCHW windows (amode 2)" : "NHWC windows (amode 1)", &v, how);
  if (!conv_has_output(s, &v, what)) return;
  float *x = random_floats(&s->rng, v.nimg * v.h * v.w * v.cin), *wt = random_floats(&s->rng, K * N);
  float *bp = NULL;
  double *ref = malloc((size_t)(v.nimg * M * N) * sizeof *ref);
  for (int64_t b = 0; b < v.nimg; b++)
    for (int64_t i = 0; i < M; i++)
      for (int64_t j = 0; j < N; j++)
        ref[(b * M + i) * N + j] = conv_ref(&v, x, nchw, wt, 0, b, i / ow, i % ow, j);
  tc_gemm g = {0};
  g.m = M, g.n = N, g.k = K, g.amode = amode, g.a = x;
  if (bmode == 0) {
    bp = malloc((size_t)((N + NR - 1) / NR * NR * K) * sizeof *bp);
    tc_gemm_pack_b(bp, wt, N, 1, 0, K, 0, N, N, NR);
    g.bp = bp;
  } else {
    g.bmode = 1, g.b = wt, g.b_rs = N, g.b_cs = 1;
  }
  g.cv = conv_desc(&v);
  g.nb = 1, g.bext[0] = v.nimg, g.a_bs[0] = v.h * v.w * v.cin;
  g.kcb = kcb, g.bkp = bkp;
  run_case(s, isa, &g, v.nimg, ref, what);
  free(x), free(wt), free(bp), free(ref);
}

/* An NHWC convolution of `groups` groups (v: cin and cout in all), each
   image's group a batch matrix (axis 1): a group's channels of each pixel
   (amode 1, cv.c its channels, cv.cs all of them), its columns of the
   weight [kh][kw][cin / groups][cout] packed group by group (bmode 0, at
   b_bs[1] from the last group's) or read in place (1). */
static void nhwc_groups_case(stress *s, int isa, conv v, int64_t groups, int bmode, int64_t kcb) {
  const int NR = isa == 2 ? 32 : 16;
  const int64_t cg = v.cin / groups, per = v.cout / groups;
  const int64_t oh = conv_oh(&v), ow = conv_ow(&v), K = v.kh * v.kw * cg, M = oh * ow;
  const int64_t panels = (per + NR - 1) / NR * NR * K;
  char what[300], how[80];
  snprintf(how, sizeof how, "%lld groups, bmode %d kcb %lld", (long long)groups, bmode, (long long)kcb);
  conv_what(what, sizeof what, isa, "NHWC groups (amode 1)", &v, how);
  if (!conv_has_output(s, &v, what)) return;
  float *x = random_floats(&s->rng, v.nimg * v.h * v.w * v.cin);
  float *wt = random_floats(&s->rng, v.kh * v.kw * cg * v.cout), *bp = NULL;
  double *ref = malloc((size_t)(v.nimg * groups * M * per) * sizeof *ref);
  for (int64_t b = 0; b < v.nimg; b++)
    for (int64_t gr = 0; gr < groups; gr++)
      for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < per; j++) {
          double sum = 0;
          for (int64_t a = 0; a < v.kh; a++)
            for (int64_t bb = 0; bb < v.kw; bb++) {
              const int64_t ih = i / ow * v.st - v.p + a * v.d, iw = i % ow * v.st - v.p + bb * v.d;
              if (ih < 0 || ih >= v.h || iw < 0 || iw >= v.w) continue;
              for (int64_t ci = 0; ci < cg; ci++)
                sum += (double)x[((b * v.h + ih) * v.w + iw) * v.cin + gr * cg + ci] *
                       wt[((a * v.kw + bb) * cg + ci) * v.cout + gr * per + j];
            }
          ref[((b * groups + gr) * M + i) * per + j] = sum;
        }
  tc_gemm g = {0};
  g.m = M, g.n = per, g.k = K, g.amode = 1, g.a = x;
  if (bmode == 0) {
    bp = malloc((size_t)(groups * panels) * sizeof *bp);
    for (int64_t gr = 0; gr < groups; gr++)
      tc_gemm_pack_b(bp + gr * panels, wt + gr * per, v.cout, 1, 0, K, 0, per, per, NR);
    g.bp = bp;
    g.b_bs[1] = panels;
  } else { /* on a cache line, as frameworks allocate: B's rows may be read in place */
    const size_t bytes = (size_t)(v.kh * v.kw * cg * v.cout) * sizeof *wt;
    float *al = aligned_alloc(64, (bytes + 63) / 64 * 64);
    memcpy(al, wt, bytes);
    free(wt);
    wt = al;
    g.bmode = 1, g.b = wt, g.b_rs = v.cout, g.b_cs = 1;
    g.b_bs[1] = per;
  }
  g.cv = conv_desc(&v);
  g.cv.c = cg;
  g.nb = 2, g.bext[0] = v.nimg, g.bext[1] = groups;
  g.a_bs[0] = v.h * v.w * v.cin, g.a_bs[1] = cg;
  g.kcb = kcb, g.bkp = 8192;
  run_case(s, isa, &g, v.nimg * groups, ref, what);
  free(x), free(wt), free(bp), free(ref);
}

/* The GEMM of an NCHW convolution, C = weight x windows (M = cout, N =
   output pixels): the gathered windows (bmode 2) or the direct kernel
   (bmode 3), its A (the weight [cout][cin][kh][kw]) packed before the call
   into tc_gemm.ap, as P_create does (packed), or by the call. */
static void nchw_case(stress *s, int isa, conv v, int bmode, int packed, int64_t kcb, int64_t bkp) {
  const int64_t oh = conv_oh(&v), ow = conv_ow(&v), K = v.kh * v.kw * v.cin, M = v.cout, N = oh * ow;
  char what[300], how[80];
  snprintf(how, sizeof how, "bmode %d%s kcb %lld", bmode, packed ? ", A packed before (tc_gemm.ap)" : "",
           (long long)kcb);
  conv_what(what, sizeof what, isa, bmode == 3 ? "NCHW direct" : "NCHW gathered", &v, how);
  if (!conv_has_output(s, &v, what)) return;
  float *x = random_floats(&s->rng, v.nimg * v.cin * v.h * v.w), *wt = random_floats(&s->rng, M * K);
  float *ap = NULL;
  double *ref = malloc((size_t)(v.nimg * M * N) * sizeof *ref);
  for (int64_t b = 0; b < v.nimg; b++)
    for (int64_t i = 0; i < M; i++)
      for (int64_t j = 0; j < N; j++)
        ref[(b * M + i) * N + j] = conv_ref(&v, x, 1, wt, 1, b, j / ow, j % ow, i);
  tc_gemm g = {0};
  g.m = M, g.n = N, g.k = K;
  if (packed) {
    ap = malloc((size_t)(M * K) * sizeof *ap);
    if (isa == 2)
      tc_gemm_direct_pack_avx512(ap, wt, M, K, K);
    else
      tc_gemm_direct_pack_avx2(ap, wt, M, K, K);
    g.ap = ap;
  } else {
    g.a = wt;
  }
  g.a_rs = K, g.a_cs = 1;
  g.bmode = bmode, g.b = x;
  g.cv = conv_desc(&v);
  g.nb = 1, g.bext[0] = v.nimg, g.b_bs[0] = v.cin * v.h * v.w;
  g.kcb = kcb, g.bkp = bkp;
  run_case(s, isa, &g, v.nimg, ref, what);
  free(x), free(wt), free(ap), free(ref);
}

/* ---- the cases ------------------------------------------------------------------------ */

#define COUNT(a) ((int)(sizeof(a) / sizeof *(a)))

static void all_cases(stress *s, int isa) {
  /* KC: from kcb (0: the template's default, 256), at most 768 */
  static const int64_t kcbs[] = {64, 0, 768};

  static const int64_t ks[] = {0, 1, 17, 767, 768, 769, 1537};
  for (int ki = 0; ki < COUNT(ks); ki++)
    for (int bi = 0; bi < COUNT(kcbs); bi++)
      for (int bmode = 0; bmode < 2; bmode++)
        for (int trans = 0; trans < 2; trans++) {
          /* m = 29 and 5: not multiples of the kernels' rows (29 on
             AVX-512: blocks of 14, 8 and 7, tc_gemm_block_rows); n = 200: 7
             panels of 32 (13 of 16), in even blocks of at most NCP, 4 from
             bkp 777, up to 64 from 8192 */
          gemm_case(s, isa, 29, 70, ks[ki], bmode, trans, kcbs[bi], 777);
          gemm_case(s, isa, 5, 200, ks[ki], bmode, trans, kcbs[bi], bi == 1 ? 777 : 8192);
        }

  static const int64_t cs[] = {1, 3, 17, 129, 800};
  for (int ci = 0; ci < COUNT(cs); ci++)
    for (int bi = 0; bi < COUNT(kcbs); bi++)
      for (int bmode = 0; bmode < 2; bmode++) {
        windows_case(s, isa, (conv){2, 7, 9, cs[ci], 40, 3, 3, 1, 1, 1}, 1, bmode, kcbs[bi], 8192);
        windows_case(s, isa, (conv){1, 6, 5, cs[ci], 33, 2, 3, 2, 0, 1}, 1, bmode, kcbs[bi], 500);
        windows_case(s, isa, (conv){2, 9, 7, cs[ci], 20, 3, 3, 1, 1, 1}, 2, bmode, kcbs[bi], 8192);
      }

  /* output pixels (the GEMM's M) of 30 and 15: the last 14 + 2 and 14 + 1
     rows as two blocks (tc_gemm_block_rows); plain GEMMs likewise */
  static const int64_t cs2[] = {3, 129};
  for (int ci = 0; ci < COUNT(cs2); ci++)
    for (int bmode = 0; bmode < 2; bmode++)
      for (int amode = 1; amode <= 2; amode++) {
        windows_case(s, isa, (conv){2, 5, 6, cs2[ci], 40, 3, 3, 1, 1, 1}, amode, bmode, 64, 8192);
        windows_case(s, isa, (conv){1, 3, 5, cs2[ci], 40, 3, 3, 1, 1, 1}, amode, bmode, 0, 8192);
      }
  /* NHWC groups: 4 of 4 and 4 channels (C's columns fewer than a panel's),
     3 of 5 and 33, 2 of 64 and 40 with k in blocks of part of a window
     position (kcb 32 < 64), 2 of 8 and 32 (bmode 1: B's rows of a whole
     panel read in place, a group's from its first column); one image and
     two */
  for (int bmode = 0; bmode < 2; bmode++) {
    nhwc_groups_case(s, isa, (conv){2, 7, 9, 16, 16, 3, 3, 1, 1, 1}, 4, bmode, 0);
    nhwc_groups_case(s, isa, (conv){1, 9, 6, 15, 99, 3, 2, 2, 1, 2}, 3, bmode, 0);
    nhwc_groups_case(s, isa, (conv){2, 5, 5, 128, 80, 3, 3, 1, 1, 1}, 2, bmode, 32);
    nhwc_groups_case(s, isa, (conv){1, 6, 7, 16, 64, 3, 3, 1, 1, 1}, 2, bmode, 0);
  }
  static const int64_t ms[] = {15, 16, 30, 44};
  for (int mi = 0; mi < COUNT(ms); mi++)
    for (int bmode = 0; bmode < 2; bmode++) gemm_case(s, isa, ms[mi], 70, 33, bmode, mi & 1, 64, 777);
  /* a task's rows of A times a block of k above twice B's block (bkp 20:
     100 x 64 > 20 x 2 x NR): with B packed at create, all of the task's
     panels in one block (streamed from L3) */
  for (int bmode = 0; bmode < 2; bmode++) gemm_case(s, isa, 100, 200, 150, bmode, 0, 64, 20);

  /* Cout: 1, not a multiple of the direct kernel's rows (8 on AVX-512, 6
     on AVX2), TC_GEMM_DIRECT_ROWS and across it */
  static const int64_t couts[] = {1, 7, 9, 64, 65, 130};
  for (int oi = 0; oi < COUNT(couts); oi++) {
    const int64_t co = couts[oi];
    for (int packed = 0; packed < 2; packed++) {
      nchw_case(s, isa, (conv){2, 11, 40, 3, co, 3, 3, 1, 1, 1}, 3, packed, 768, 8192);
      nchw_case(s, isa, (conv){1, 3, 80, 2, co, 3, 3, 1, 1, 1}, 3, packed, 768, 8192);
      nchw_case(s, isa, (conv){1, 30, 9, 4, co, 1, 3, 1, 0, 1}, 3, packed, 768, 8192);
      nchw_case(s, isa, (conv){1, 40, 70, 2, co, 3, 3, 1, 1, 1}, 3, packed, 768, 8192);
      nchw_case(s, isa, (conv){1, 9, 300, 2, co, 5, 5, 1, 2, 2}, 3, packed, 768, 8192);
      /* dilation 20 (40): 40 of the 400 (100) grid columns of each row
         thrown away, whole tiles of 32 positions with none valid */
      nchw_case(s, isa, (conv){1, 45, 400, 2, co, 3, 3, 1, 0, 20}, 3, packed, 768, 8192);
      nchw_case(s, isa, (conv){1, 44, 100, 2, co, 2, 2, 1, 0, 40}, 3, packed, 768, 8192);
    }
    /* the grid w + pw wide (a row's right padding the next row's left):
       padding wider than the window needs, a 2 x 1 window on an image one
       column wide, dilation with padding 4 */
    nchw_case(s, isa, (conv){2, 5, 20, 2, co, 3, 3, 1, 3, 1}, 3, 1, 768, 8192);
    nchw_case(s, isa, (conv){1, 3, 1, 2, co, 2, 1, 1, 9, 1}, 3, 0, 768, 8192);
    nchw_case(s, isa, (conv){2, 7, 30, 3, co, 3, 3, 1, 4, 2}, 3, 1, 768, 8192);
    /* 17 images: on two threads each runs whole images (9 and 8), A
       packed at create (tc_gemm_direct_mats_<isa>); 3 images: not evenly
       split, tiles of each image over the threads */
    nchw_case(s, isa, (conv){17, 6, 9, 2, co, 3, 3, 1, 1, 1}, 3, 1, 768, 8192);
    nchw_case(s, isa, (conv){3, 12, 20, 2, co, 3, 3, 1, 1, 1}, 3, 1, 768, 8192);
    nchw_case(s, isa, (conv){2, 11, 40, 3, co, 3, 3, 1, 1, 1}, 2, 0, 64, 777);
    nchw_case(s, isa, (conv){1, 9, 17, 100, co, 3, 3, 2, 1, 1}, 2, 0, 128, 777);
  }
}

int main(int argc, char **argv) {
  static const char *const isa_name[] = {"scalar", "avx2", "avx512"};
  stress s = {.rng = 1, .verbose = argc > 1 && !strcmp(argv[1], "-v")};
  setvbuf(stdout, NULL, _IOLBF, 0); /* what ran before a crash is printed */
  /* tc_pick_isa: the best ISA of this CPU (or less, when TENSORC_ISA says) */
  const int best = tc_pick_isa();
  for (int isa = 2; isa >= 1; isa--) {
    if (isa > best) {
      printf("gemm stress: %s cases skipped (tc_pick_isa picks %s on this CPU%s)\n", isa_name[isa],
             isa_name[best], getenv("TENSORC_ISA") ? " under TENSORC_ISA" : "");
      continue;
    }
    const int before = s.cases;
    all_cases(&s, isa);
    printf("gemm stress: %s: %d cases, each on 1 and 2 threads\n", isa_name[isa], s.cases - before);
  }
  printf("gemm stress: %s (%d of %d cases failed)\n", s.failures ? "FAILED" : "ok", s.failures, s.cases);
  return s.failures != 0;
}
