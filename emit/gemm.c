/*
 * gemm.c: the GEMM template's run-time code, written into generated files
 * that hold a contraction (passes/gemm.c marks them; emit/c.c writes each
 * one as a call to tc_gemm_<isa>).  docs/gemm.md explains the design and
 * bench/gemm-study/NOTES.md the measurements behind its numbers.
 *
 * BLIS's structure, simplified where measurement allowed it:
 *   - B is packed into panels of NR columns, k-major (element (k, j) of
 *     panel p at p*K*NR + k*NR + j), zero-padded to NR: by P_create when B
 *     is a weight, else per block by the task that needs it;
 *   - A is read in place when its rows are contiguous (the micro-kernel
 *     takes a row stride; reading A directly measured as fast as packing
 *     it), else (a transposed A) one MR x KC micro-panel is packed at a
 *     time onto the stack;
 *   - the micro-kernel keeps an MR x NR tile of C in registers (AVX-512
 *     14 x 32 in 28 zmm, AVX2 6 x 16 in 12 ymm), one broadcast of A and
 *     NR/lanes loads of B per k: all run at the FMA peak from L1;
 *     rows past the edge repeat the last row (never stored), columns past
 *     it are zeros of the packing (masked at the store);
 *   - blocking: k in even blocks of at most KC = 768 values (an MR x KC
 *     micro-panel of A in L1, read once for each panel of B), blocks of at
 *     most NCP panels (a KC x NCP*NR block of B in L2) visited by every row
 *     block of the task (with B packed at create, all of the task's panels
 *     when its rows of A times KC would not fit L2: B streams from L3);
 *   - C is accumulated in memory across KC blocks; after the last one the
 *     epilogue (a function the kernel's file writes, or none) runs over
 *     the tile while it is in L1;
 *   - threads: the output of each batch matrix is cut into tasks, a
 *     contiguous range of row blocks by a range of panels, enough for the
 *     threads there are (tc_omp_for, or tc_parallel_for under
 *     TENSORC_POOL).  Every element is summed by one task in the same
 *     order (k ascending, blocks of KC in order), so results are bitwise
 *     the same for every thread count.
 */
#include "gemm.h"

#include <assert.h>

/* The micro-kernels' rows, largest first; the driver calls the smallest
   that covers the rows left.  (AVX-512: 14 x 32 uses 28 of the 32 zmm as
   accumulators; AVX2: 6 x 16, 12 of 16 ymm.) */
static const int mr_avx512[] = {14, 8, 4, 2, 1};
static const int mr_avx2[] = {6, 4, 2, 1};

/* The micro-kernels' rows of an ISA, and (in *n) how many kernels. */
static const int *kernel_rows(tcE_visa isa, int *n) {
  int z = isa == TCE_VISA_AVX512;
  *n = z ? (int)(sizeof mr_avx512 / sizeof *mr_avx512) : (int)(sizeof mr_avx2 / sizeof *mr_avx2);
  return z ? mr_avx512 : mr_avx2;
}

int tcE_gemm_nr(tcE_visa isa) { return isa == TCE_VISA_AVX512 ? 32 : 16; }
int tcE_gemm_mr(tcE_visa isa) { return isa == TCE_VISA_AVX512 ? 14 : 6; }

static void shared_part(tc_buf *o) {
  tc_buf_puts(o,
              "\n/* ---- the GEMM template (docs/gemm.md) ---- */\n\n"
              "#include <stdio.h> /* tc_gemm_blocking reads sysfs */\n\n"
              "/* Blocks of k (KC) and of B's panels (NCP) come from the CPU's caches\n"
              "   (tc_gemm_blocking, at create) and k (tc_gemm_kc); KC is at most\n"
              "   TC_GEMM_KC_MAX, which bounds the chains of sums in registers (the\n"
              "   rounding error the tests allow). */\n"
              "#define TC_GEMM_KC_MAX 768\n"
              "#define TC_GEMM_MAXB 6  /* batch axes */\n"
              "#define TC_GEMM_SEGS 16 /* window positions of a block of k (tc_gemm_kblock) */\n"
              "/* Less work than this (multiply-adds) runs on the calling thread. */\n"
              "#define TC_GEMM_MIN_PAR 262144\n"
              "/* amode 2 cuts an image into bands of output rows whose input rows take\n"
              "   about this much as NHWC (each copied, then used, while in L2). */\n"
              "#define TC_GEMM_BAND_BYTES (256 * 1024)\n\n"
              "/* A convolution's extents (input h x w x c, output width ow, window\n"
              "   kh x kw, strides, paddings, dilations). */\n"
              "typedef struct tc_gemm_conv {\n"
              "  int64_t h, w, c, ow, kh, kw, sh, sw, ph, pw, dh, dw;\n"
              "  int64_t cs; /* amode 1 and 2: a pixel's channels in the image (c but with NHWC groups) */\n"
              "} tc_gemm_conv;\n\n"
              "/* out[b][i][j] = epi(sum(k < K: A[b][i][k] * B[b][k][j])) for every batch\n"
              "   index b (axes bext[], row-major), i < m, j < n. */\n"
              "typedef struct tc_gemm {\n"
              "  int64_t m, n, k;\n"
              "  /* amode 0: A[i][k] at a[i * a_rs + k * a_cs]; 1: an NHWC convolution's\n"
              "     windows: row i the output pixel i, k = (kh * KW + kw) * c + ci, the\n"
              "     image at a; 2: the same of an NCHW image at a, each task copying the\n"
              "     input rows its output rows read to NHWC first (tc_gemm_nhwc_rows) */\n"
              "  int amode;\n"
              "  const float *a; int64_t a_rs, a_cs;\n"
              "  const float *ap; /* bmode 3: A packed by P_create (tc_gemm_direct_pack_<isa>), or NULL */\n"
              "  /* bmode 0: B in panels at bp (tc_gemm_pack_b, by P_create; a batch\n"
              "     matrix's at b_bs from the last's: NHWC groups); 1: B[k][j]\n"
              "     at b[k * b_rs + j * b_cs]; 2: an NCHW convolution's windows: column\n"
              "     j the output pixel j, k = (ci * KH + kh) * KW + kw, the image at b;\n"
              "     3: the same, of stride 1, read in place from a padded copy of the\n"
              "     image by the direct kernel (tc_gemm_direct_<isa>) */\n"
              "  int bmode;\n"
              "  const float *b; int64_t b_rs, b_cs;\n"
              "  const float *bp;\n"
              "  float *c; int64_t ldc;                /* C[i][j] at c[i * ldc + j] */\n"
              "  tc_gemm_conv cv;                      /* amode 1 and 2, bmode 2 and 3 */\n"
              "  int64_t kcb, bkp;                     /* blocking (tc_gemm_blocking) */\n"
              "  int nb;                               /* batch axes */\n"
              "  int64_t bext[TC_GEMM_MAXB], a_bs[TC_GEMM_MAXB], b_bs[TC_GEMM_MAXB], c_bs[TC_GEMM_MAXB];\n"
              "  /* applied to rows [i0, i0 + mr) x columns [j0, j0 + nr) of batch\n"
              "     index bi once their sums are in C; NULL: none */\n"
              "  void (*epi)(const void *arg, const int64_t *bi, int64_t i0, int64_t j0, int64_t mr,\n"
              "              int64_t nr);\n"
              "  const void *epi_arg;\n"
              "} tc_gemm;\n\n"
              "/* How a call is cut into tasks: per batch matrix, mt row ranges of\n"
              "   rows_t rows by nt panel ranges of panels_t panels. */\n"
              "typedef struct tc_gemm_grid {\n"
              "  const tc_gemm *g;\n"
              "  int64_t mr, mt, nt, rows_t, panels_t; /* mr: rows of the main micro-kernel */\n"
              "  int failed; /* a task's scratch could not be allocated (set atomically) */\n"
              "} tc_gemm_grid;\n\n"
              "/* The row of A a padded window position reads. */\n"
              "static const float tc_gemm_zeros[TC_GEMM_KC_MAX];\n\n"
              "/* The blocking for micro-kernels of mr x nr: at most KC values of k, so\n"
              "   that a micro-panel of A (mr x KC floats), read once for each panel of\n"
              "   B, takes up to 7/8 of the L1 data cache while B's panels stream\n"
              "   through from L2; and a block of B of half of L2, as panels times\n"
              "   values of k (bkp: a task takes bkp / kc panels a block).  Sizes from\n"
              "   Linux's sysfs (48 KiB and 2 MiB when it says nothing).  The results\n"
              "   depend on KC (the order of the sums), never on the threads. */\n"
              "static void tc_gemm_blocking(int nr, int mr, int64_t *kc, int64_t *bkp) {\n"
              "  int64_t size[3] = {0, 48 * 1024, 2048 * 1024};\n"
              "#ifdef __linux__\n"
              "  for (int i = 0; i < 8; i++) {\n"
              "    char path[96], type[16] = \"\";\n"
              "    int level = 0;\n"
              "    long kib = 0;\n"
              "    FILE *f;\n"
              "    snprintf(path, sizeof path, \"/sys/devices/system/cpu/cpu0/cache/index%d/level\", i);\n"
              "    if (!(f = fopen(path, \"r\"))) break;\n"
              "    if (fscanf(f, \"%d\", &level) != 1) level = 0;\n"
              "    fclose(f);\n"
              "    snprintf(path, sizeof path, \"/sys/devices/system/cpu/cpu0/cache/index%d/type\", i);\n"
              "    if ((f = fopen(path, \"r\"))) {\n"
              "      if (fscanf(f, \"%15s\", type) != 1) type[0] = 0;\n"
              "      fclose(f);\n"
              "    }\n"
              "    snprintf(path, sizeof path, \"/sys/devices/system/cpu/cpu0/cache/index%d/size\", i);\n"
              "    if ((f = fopen(path, \"r\"))) {\n"
              "      if (fscanf(f, \"%ldK\", &kib) != 1) kib = 0;\n"
              "      fclose(f);\n"
              "    }\n"
              "    if ((level == 1 && !strcmp(type, \"Data\")) || (level == 2 && strcmp(type, \"Instruction\")))\n"
              "      if (kib >= 16 && kib <= 65536) size[level] = kib * 1024;\n"
              "  }\n"
              "#endif\n"
              "  *kc = size[1] * 7 / 8 / (mr * (int64_t)sizeof(float)) / 16 * 16;\n"
              "  *kc = *kc < 64 ? 64 : *kc > TC_GEMM_KC_MAX ? TC_GEMM_KC_MAX : *kc;\n"
              "  *bkp = size[2] / 2 / (nr * (int64_t)sizeof(float));\n"
              "}\n\n"
              "/* Columns [j0, j0 + nc) of rows [k0, k0 + kc) of B (B[k][j] at\n"
              "   b[k * rs + j * cs], n columns in all) as panels of nr columns:\n"
              "   element (k, j) of panel p at dst[(p * kc + k) * nr + j], columns\n"
              "   from n on zero. */\n"
              "static void tc_gemm_pack_b(float *dst, const float *b, int64_t rs, int64_t cs,\n"
              "                           int64_t k0, int64_t kc, int64_t j0, int64_t nc, int64_t n,\n"
              "                           int nr) {\n"
              "  for (int64_t p = 0; p * nr < nc; p++) {\n"
              "    const int64_t c0 = j0 + p * nr, w = n - c0 < nr ? n - c0 : nr; /* columns there */\n"
              "    for (int64_t k = 0; k < kc; k++) {\n"
              "      float *d = dst + (p * kc + k) * nr;\n"
              "      const float *s = b + (k0 + k) * rs + c0 * cs;\n"
              "      if (cs == 1) {\n"
              "        memcpy(d, s, (size_t)w * sizeof *d);\n"
              "      } else {\n"
              "        for (int64_t j = 0; j < w; j++) d[j] = s[j * cs];\n"
              "      }\n"
              "      for (int64_t j = w; j < nr; j++) d[j] = 0.0f;\n"
              "    }\n"
              "  }\n"
              "}\n\n"
              "/* The same for bmode 1 and 2 (b: this batch matrix's B). */\n"
              "static void tc_gemm_pack(const tc_gemm *g, const float *b, float *dst, int64_t k0,\n"
              "                         int64_t kc, int64_t j0, int64_t nc, int nr) {\n"
              "  const tc_gemm_conv *v = &g->cv;\n"
              "  if (g->bmode == 1) {\n"
              "    tc_gemm_pack_b(dst, b, g->b_rs, g->b_cs, k0, kc, j0, nc, g->n, nr);\n"
              "    return;\n"
              "  }\n"
              "  /* B[k][j] = x[ci][ih][iw] of output pixel j = (oh, ow), 0 in the padding;\n"
              "     k = (ci * KH + kh) * KW + kw counted up from k0 */\n"
              "  const int64_t win = v->kh * v->kw;\n"
              "  if (kc <= 0) return; /* (k is 0: no window, nothing to pack) */\n"
              "  for (int64_t p = 0; p * nr < nc; p++) {\n"
              "    const int64_t q0 = j0 + p * nr, oh0 = q0 / v->ow, ow0 = q0 % v->ow;\n"
              "    int64_t ci = k0 / win, kh = k0 % win / v->kw, kw = k0 % v->kw;\n"
              "    for (int64_t kk = 0; kk < kc; kk++) {\n"
              "      const int64_t off = kw * v->dw - v->pw;\n"
              "      float *d = dst + (p * kc + kk) * nr;\n"
              "      int64_t j = 0, q = q0, oh = oh0, ow = ow0;\n"
              "      while (j < nr) {\n"
              "        /* a run of output pixels along one output row (or past the end) */\n"
              "        int64_t run = nr - j < v->ow - ow ? nr - j : v->ow - ow;\n"
              "        if (q >= g->n) run = nr - j;\n"
              "        else if (run > g->n - q) run = g->n - q;\n"
              "        const int64_t ih = oh * v->sh + kh * v->dh - v->ph;\n"
              "        if (q >= g->n || ih < 0 || ih >= v->h) {\n"
              "          memset(d + j, 0, (size_t)run * sizeof *d);\n"
              "        } else if (v->sw == 1) { /* x's row, shifted: zeros, a copy, zeros */\n"
              "          const float *xr = b + (ci * v->h + ih) * v->w + ow + off;\n"
              "          int64_t t0 = -(ow + off), t1 = v->w - (ow + off);\n"
              "          t0 = t0 < 0 ? 0 : t0 > run ? run : t0;\n"
              "          t1 = t1 > run ? run : t1 < t0 ? t0 : t1;\n"
              "          memset(d + j, 0, (size_t)t0 * sizeof *d);\n"
              "          memcpy(d + j + t0, xr + t0, (size_t)(t1 - t0) * sizeof *d);\n"
              "          memset(d + j + t1, 0, (size_t)(run - t1) * sizeof *d);\n"
              "        } else {\n"
              "          const float *xr = b + (ci * v->h + ih) * v->w;\n"
              "          for (int64_t t = 0; t < run; t++) {\n"
              "            const int64_t iw = (ow + t) * v->sw + off;\n"
              "            d[j + t] = iw >= 0 && iw < v->w ? xr[iw] : 0.0f;\n"
              "          }\n"
              "        }\n"
              "        j += run;\n"
              "        q += run;\n"
              "        ow += run;\n"
              "        if (ow >= v->ow) {\n"
              "          ow = 0;\n"
              "          oh++;\n"
              "        }\n"
              "      }\n"
              "      if (++kw == v->kw) {\n"
              "        kw = 0;\n"
              "        if (++kh == v->kh) {\n"
              "          kh = 0;\n"
              "          ci++;\n"
              "        }\n"
              "      }\n"
              "    }\n"
              "  }\n"
              "}\n\n"
              "/* The block of k from pc: kc values (at most KC), or, for an NHWC\n"
              "   convolution, ns whole window positions of kc = c channels each (at\n"
              "   most KC values in all and TC_GEMM_SEGS positions, and only with B\n"
              "   packed: the micro-kernel keeps the tile of C in registers across\n"
              "   them), or the rest of one position's channels. */\n"
              "static int64_t tc_gemm_kblock(const tc_gemm *g, int64_t pc, int64_t KC, int64_t *ns) {\n"
              "  int64_t kc = g->k - pc < KC ? g->k - pc : KC;\n"
              "  *ns = 1;\n"
              "  if (g->amode != 0 && kc > 0) {\n"
              "    const int64_t c = g->cv.c, left = c - pc % c;\n"
              "    if (kc > left) kc = left;\n"
              "    if (kc == c && g->bmode == 0) {\n"
              "      const int64_t whole = (g->k - pc) / c, most = KC / c < TC_GEMM_SEGS ? KC / c : TC_GEMM_SEGS;\n"
              "      *ns = whole < most ? whole : most;\n"
              "    }\n"
              "  }\n"
              "  return kc;\n"
              "}\n\n"
              "/* KC for this GEMM: k in as few blocks of at most kmax values as it\n"
              "   takes (tc_gemm_blocking), of even sizes: multiples of 16, or of whole\n"
              "   window positions (at most TC_GEMM_SEGS) for an NHWC convolution with\n"
              "   B packed (tc_gemm_kblock).  (K = 1024 in two blocks of 512 rather\n"
              "   than 768 and 256; 49 positions of 3 channels as 13, 13, 13 and 10\n"
              "   rather than 16, 16, 16 and 1.) */\n"
              "static int64_t tc_gemm_kc(const tc_gemm *g, int64_t kmax) {\n"
              "  const int whole = g->amode != 0 && g->bmode == 0 && g->cv.c > 0 && g->cv.c <= kmax;\n"
              "  const int64_t unit = whole ? g->cv.c : 16;\n"
              "  int64_t per = kmax / unit;\n"
              "  if (whole && per > TC_GEMM_SEGS) per = TC_GEMM_SEGS;\n"
              "  if (g->k <= per * unit) return per * unit;\n"
              "  const int64_t units = (g->k + unit - 1) / unit, blocks = (units + per - 1) / per;\n"
              "  return (units + blocks - 1) / blocks * unit;\n"
              "}\n\n"
              "/* Points ar[s * mr + i] at the rows [i0, i0 + rows) of A (a: this batch\n"
              "   matrix's) for the ns segments of kc values of k from k0 (tc_gemm_kblock:\n"
              "   ns > 1 only for an NHWC convolution's whole window positions), rows\n"
              "   past `rows` repeating the last (they are never stored).  An NHWC\n"
              "   convolution's rows: each row's window origin computed once, the\n"
              "   positions stepped through; a holds the image's rows from hb on (amode\n"
              "   2: a task's copy; else hb is 0).  A transposed A, or one whose rows\n"
              "   would evict each other from L1, is packed into ap. */\n"
              "static void tc_gemm_rows(const tc_gemm *g, const float *a, int64_t hb, int64_t i0,\n"
              "                         int64_t rows, int64_t k0, int64_t kc, int64_t ns, int mr,\n"
              "                         const float **ar, float *ap) {\n"
              "  if (kc <= 0) { /* k is 0: nothing is read, and a may be NULL */\n"
              "    for (int i = 0; i < mr; i++) ar[i] = tc_gemm_zeros;\n"
              "    return;\n"
              "  }\n"
              "  if (g->amode != 0) {\n"
              "    const tc_gemm_conv *v = &g->cv;\n"
              "    int64_t ih0[16], iw0[16]; /* rows <= mr <= 14 */\n"
              "    int64_t oh = i0 / v->ow, ow = i0 % v->ow;\n"
              "    for (int64_t i = 0; i < rows; i++) {\n"
              "      ih0[i] = oh * v->sh - v->ph;\n"
              "      iw0[i] = ow * v->sw - v->pw;\n"
              "      if (++ow == v->ow) {\n"
              "        ow = 0;\n"
              "        oh++;\n"
              "      }\n"
              "    }\n"
              "    /* the first segment's window position (kh, kw) and channel ci (0\n"
              "       when ns > 1: whole positions) */\n"
              "    const int64_t pos = k0 / v->c, ci = k0 % v->c;\n"
              "    int64_t kh = pos / v->kw, kw = pos % v->kw;\n"
              "    for (int64_t s = 0; s < ns; s++) {\n"
              "      const int64_t dh = kh * v->dh, dw = kw * v->dw;\n"
              "      const float **r = ar + s * mr;\n"
              "      for (int64_t i = 0; i < rows; i++) {\n"
              "        const int64_t ih = ih0[i] + dh, iw = iw0[i] + dw;\n"
              "        r[i] = ih >= 0 && ih < v->h && iw >= 0 && iw < v->w\n"
              "                   ? a + ((ih - hb) * v->w + iw) * v->cs + ci : tc_gemm_zeros;\n"
              "      }\n"
              "      for (int64_t i = rows; i < mr; i++) r[i] = r[rows - 1];\n"
              "      if (++kw == v->kw) {\n"
              "        kw = 0;\n"
              "        kh++;\n"
              "      }\n"
              "    }\n"
              "    return;\n"
              "  }\n"
              "  if (g->a_cs == 1 && (g->a_rs & 1023) != 0) {\n"
              "    for (int64_t i = 0; i < rows; i++) ar[i] = a + (i0 + i) * g->a_rs + k0;\n"
              "  } else { /* transposed, or rows 4 KiB apart (all in one set of L1) */\n"
              "    for (int64_t i = 0; i < rows; i++) {\n"
              "      const float *s = a + (i0 + i) * g->a_rs + k0 * g->a_cs;\n"
              "      for (int64_t k = 0; k < kc; k++) ap[i * kc + k] = s[k * g->a_cs];\n"
              "      ar[i] = ap + i * kc;\n"
              "    }\n"
              "  }\n"
              "  for (int64_t i = rows; i < mr; i++) ar[i] = ar[rows - 1];\n"
              "}\n\n"
              "/* Batch matrix r of g (its batch axes row-major): its index bi and the\n"
              "   offsets of its A, B and C from g->a, g->b and g->c. */\n"
              "static void tc_gemm_batch(const tc_gemm *g, int64_t r, int64_t *bi, int64_t *ao,\n"
              "                          int64_t *bo, int64_t *co) {\n"
              "  *ao = *bo = *co = 0;\n"
              "  for (int d = g->nb - 1; d >= 0; d--) {\n"
              "    bi[d] = r % g->bext[d];\n"
              "    r /= g->bext[d];\n"
              "    *ao += bi[d] * g->a_bs[d];\n"
              "    *bo += bi[d] * g->b_bs[d];\n"
              "    *co += bi[d] * g->c_bs[d];\n"
              "  }\n"
              "}\n\n"
              "#ifdef TENSORC_POOL\n"
              "void tc_parallel_for(int64_t n, void (*body)(void *arg, int64_t lo, int64_t hi),\n"
              "                     void *arg);\n"
              "#endif\n\n"
              "/* bmode 3, an NCHW convolution of stride 1 read in place (the direct\n"
              "   kernel, tensorc/loop.h's tc_conv_direct): one batch matrix's image\n"
              "   (with groups, its group's channels) at a time is copied with its zero\n"
              "   padding into img, hg rows of wg values a channel;\n"
              "   the output pixels are then the positions of a grid of wg columns a\n"
              "   row (q = oh * wg + ow, the last wg - ow of each row computed and\n"
              "   thrown away), so that for every k = (ci * KH + kh) * KW + kw the B row\n"
              "   of a tile of grid positions from q0 is img[off[k] + q0 ...], one\n"
              "   contiguous run.  A row's pw zeros on the right are the next row's on\n"
              "   the left (wg = w + pw, or ow if wider): a window running past a row's\n"
              "   end reads them, and the grid has max((kw - 1) * dw - pw, 0) extra\n"
              "   columns, 1 for 3x3 with padding 1 (w + 2 pw made it 2: 1.02x faster on\n"
              "   3x3 64 -> 64 at 56 x 56, A/B harness, one and two threads).  Tasks are\n"
              "   tiles of grid positions, each for every row of A (the output\n"
              "   channels). */\n"
              "#define TC_GEMM_DIRECT_ROWS 64 /* rows of C stored and finished together */\n"
              "#define TC_GEMM_DIRECT_GROUP 8 /* AVX-512: tiles a call of the epilogue covers */\n"
              "typedef struct tc_gemm_direct {\n"
              "  const tc_gemm *g;\n"
              "  const float *x;       /* this image */\n"
              "  float *img;           /* its padded copy */\n"
              "  float *c;             /* this image's C */\n"
              "  const int64_t *bi;    /* its batch index, for the epilogue */\n"
              "  const int64_t *off;   /* k -> the offset of B's row k in img */\n"
              "  const float *ap;      /* A packed by blocks of the kernels' rows */\n"
              "  int64_t hg, wg, q;    /* img's rows and columns; grid positions */\n"
              "} tc_gemm_direct;\n\n"
              "/* Batch matrices a thread runs whole (tc_gemm_direct_mats_<isa>). */\n"
              "typedef struct tc_gemm_direct_mats {\n"
              "  tc_gemm_direct d;     /* the call's (each thread its own image) */\n"
              "  int64_t size, ntile;  /* an image's floats; the tiles */\n"
              "  int failed;           /* a thread could not allocate its image */\n"
              "} tc_gemm_direct_mats;\n\n"
              "/* Channels [lo, hi) of the image into img, with their padding. */\n"
              "static void tc_gemm_direct_pad(void *arg, int64_t lo, int64_t hi) {\n"
              "  const tc_gemm_direct *d = (const tc_gemm_direct *)arg;\n"
              "  const tc_gemm_conv *v = &d->g->cv;\n"
              "  for (int64_t ci = lo; ci < hi; ci++)\n"
              "    for (int64_t r = 0; r < d->hg; r++) {\n"
              "      float *dr = d->img + (ci * d->hg + r) * d->wg;\n"
              "      const int64_t ih = r - v->ph;\n"
              "      if (ih < 0 || ih >= v->h) {\n"
              "        memset(dr, 0, (size_t)d->wg * sizeof *dr);\n"
              "        continue;\n"
              "      }\n"
              "      memset(dr, 0, (size_t)v->pw * sizeof *dr);\n"
              "      memcpy(dr + v->pw, d->x + (ci * v->h + ih) * v->w, (size_t)v->w * sizeof *dr);\n"
              "      memset(dr + v->pw + v->w, 0, (size_t)(d->wg - v->pw - v->w) * sizeof *dr);\n"
              "    }\n"
              "}\n");
}

/* The prefetch of row i's columns from j of a tile of C; past nr, C may
   end: those columns only when the tile has them. */
static void prefetch_c(tc_buf *o, int j) {
  if (j)
    tc_buf_printf(o, "    if (nr > %d) _mm_prefetch((const char *)(c + i * ldc + %d), _MM_HINT_T0);\n",
                  j, j);
  else
    tc_buf_puts(o, "    _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);\n");
}

/* The micro-kernel of `mr` rows: C[0..rows) x [0..nr) = (acc ? C + : )
   A[0..rows) x [0..kc) * B panel, rows = min(mr, rows) of the call. */
static void kernel(tc_buf *o, tcE_visa isa, int mr) {
  int z = isa == TCE_VISA_AVX512, L = z ? 16 : 8, NV = tcE_gemm_nr(isa) / L;
  const char *sfx = tcE_vec_suffix(isa), *P = z ? "_mm512" : "_mm256", *T = z ? "__m512" : "__m256";
  int NR = NV * L;
  int MR = tcE_gemm_mr(isa);
  tc_buf_printf(o,
                "\n/* C[0, rows) x [0, nr) (+)= A[0, rows) x [0, ns * kc) * B, rows <= %d, in\n"
                "   ns segments of kc values of k: segment s reads A's rows at\n"
                "   ar[s * %d + i] (k contiguous; an NHWC convolution's window positions),\n"
                "   B's rows of %d columns ldb apart (a packed panel: ldb = %d).  The tile\n"
                "   stays in registers across the segments. */\n",
                mr, MR, NR, NR);
  tc_buf_printf(o,
                "static TC_TARGET_%s void tc_gemm_%s_%dx%d(int64_t ns, int64_t kc,\n"
                "    const float *const *ar, const float *b, int64_t ldb, float *c, int64_t ldc,\n"
                "    int64_t rows, int64_t nr, int acc) {\n",
                z ? "AVX512" : "AVX2", sfx, mr, NR);
  /* the tile of C on its way to L1 while the k loop runs */
  tc_buf_puts(o, "  for (int64_t i = 0; i < rows; i++) {\n");
  for (int v = 0; v < NV; v += 64 / (4 * L) > 0 ? 64 / (4 * L) : 1) prefetch_c(o, v * L);
  tc_buf_puts(o, "  }\n");
  for (int i = 0; i < mr; i++) {
    tc_buf_printf(o, "  %s", T);
    for (int v = 0; v < NV; v++)
      tc_buf_printf(o, "%sc%d_%d = %s_setzero_ps()", v ? ", " : " ", i, v, P);
    tc_buf_puts(o, ";\n");
  }
  tc_buf_puts(o, "  for (int64_t s = 0; s < ns; s++) {\n");
  tc_buf_puts(o, "    const float *bs = b + s * kc * ldb; /* (segments: B packed) */\n");
  for (int i = 0; i < mr; i++) tc_buf_printf(o, "    const float *a%d = ar[s * %d + %d];\n", i, MR, i);
  tc_buf_puts(o, "    for (int64_t k = 0; k < kc; k++) {\n");
  /* B's row 16 steps of k ahead on its way to L1, 64 for the kernels of 4
     rows or fewer (a step in 4 cycles, not 8-14: at M = 1 the weight
     streams from L3 1.04x faster, A/B harness): rows read in place (a
     strided B) are not found by the hardware prefetchers (the address
     computed as an integer: past B's end for the last rows, where a
     prefetch is harmless but a pointer would not be valid C) */
  const int ahead = mr <= 4 ? 64 : 16;
  for (int v = 0; v * L < NR; v += 64 / (4 * L) > 0 ? 64 / (4 * L) : 1)
    tc_buf_printf(o,
                  "      _mm_prefetch((const char *)((uintptr_t)bs + (uintptr_t)((k + %d) * ldb + %d) * 4u),\n"
                  "                   _MM_HINT_T0);\n",
                  ahead, v * L);
  for (int v = 0; v < NV; v++)
    tc_buf_printf(o, "      const %s b%d = %s_loadu_ps(bs + k * ldb + %d);\n", T, v, P, v * L);
  for (int i = 0; i < mr; i++) {
    tc_buf_printf(o, "      {\n        const %s x = %s_set1_ps(a%d[k]);\n", T, P, i);
    for (int v = 0; v < NV; v++)
      tc_buf_printf(o, "        c%d_%d = %s_fmadd_ps(x, b%d, c%d_%d);\n", i, v, P, v, i, v);
    tc_buf_puts(o, "      }\n");
  }
  tc_buf_puts(o, "    }\n  }\n");
  if (z) {
    for (int v = 0; v < NV; v++)
      tc_buf_printf(o, "  const __mmask16 m%d = tc_tail_avx512(nr - %d);\n", v, v * L);
  } else {
    for (int v = 0; v < NV; v++)
      tc_buf_printf(o, "  const __m256i m%d = _mm256_castps_si256(tc_tail_avx2(nr - %d));\n", v,
                    v * L);
  }
  for (int i = 0; i < mr; i++) {
    if (i)
      tc_buf_printf(o, "  if (rows > %d) {\n", i);
    else
      tc_buf_puts(o, "  {\n");
    tc_buf_printf(o, "    float *ci = c + %d * ldc;\n", i);
    tc_buf_puts(o, "    if (acc) {\n");
    for (int v = 0; v < NV; v++)
      if (z)
        tc_buf_printf(o, "      c%d_%d = _mm512_add_ps(_mm512_maskz_loadu_ps(m%d, ci + %d), c%d_%d);\n",
                      i, v, v, v * L, i, v);
      else
        tc_buf_printf(o, "      c%d_%d = _mm256_add_ps(_mm256_maskload_ps(ci + %d, m%d), c%d_%d);\n",
                      i, v, v * L, v, i, v);
    tc_buf_puts(o, "    }\n");
    for (int v = 0; v < NV; v++)
      if (z)
        tc_buf_printf(o, "    _mm512_mask_storeu_ps(ci + %d, m%d, c%d_%d);\n", v * L, v, i, v);
      else
        tc_buf_printf(o, "    _mm256_maskstore_ps(ci + %d, m%d, c%d_%d);\n", v * L, v, i, v);
    tc_buf_puts(o, "  }\n");
  }
  tc_buf_puts(o, "}\n");
}

/* The call of the micro-kernel covering `rows` (the smallest one that
   does), at indentation ind. */
static void dispatch(tc_buf *o, tcE_visa isa, const char *ind) {
  int NR = tcE_gemm_nr(isa);
  int nmr;
  const int *mrs = kernel_rows(isa, &nmr);
  for (int q = nmr - 1; q >= 0; q--) {
    if (q == 0)
      tc_buf_printf(o, "%selse\n", ind);
    else
      tc_buf_printf(o, "%s%sif (rows <= %d)\n", ind, q == nmr - 1 ? "" : "else ", mrs[q]);
    tc_buf_printf(o, "%s  tc_gemm_%s_%dx%d(ns, kc, ar, bp, ldb, cij, g->ldc, rows, nr, pc > 0);\n", ind,
                  tcE_vec_suffix(isa), mrs[q], NR);
  }
}

/* The direct kernel's rows, largest first (bmode 3): 8 x 32 measured
   best on AVX-512 (bench/gemm-study/nchw_direct: 16 accumulators; 8 x 48
   and 16 x 16 were 5% slower); AVX2's 16 registers hold 6 x 16. */
static const int dmr_avx512[] = {8, 4, 2, 1};
static const int dmr_avx2[] = {6, 4, 2, 1};
/* The direct kernel's k loop runs DIRECT_UNROLL values at a time (a 3x3
   window), then one by one: unrolled by 9 it ran 1.05-1.1x faster than
   by 1 or 4 on 3x3 64 -> 64 (A/B harness, one thread). */
enum { DIRECT_UNROLL = 9 };

int tcE_gemm_direct_mr(tcE_visa isa) { return isa == TCE_VISA_AVX512 ? dmr_avx512[0] : dmr_avx2[0]; }

static const int *direct_rows(tcE_visa isa, int *n) {
  int z = isa == TCE_VISA_AVX512;
  *n = z ? (int)(sizeof dmr_avx512 / sizeof *dmr_avx512) : (int)(sizeof dmr_avx2 / sizeof *dmr_avx2);
  return z ? dmr_avx512 : dmr_avx2;
}

/* The direct kernel of `mr` rows: B's row k read at img + off[k], A
   packed k-major (the mr values of one k side by side), the tile kept in
   registers for all of k, then stored: on AVX-512 straight to C, each
   vector's lanes of real pixels with a compress store (they are
   consecutive pixels of C); on AVX2 to t (mr rows of NR values), which
   the task copies. */
static void direct_kernel(tc_buf *o, tcE_visa isa, int mr) {
  int z = isa == TCE_VISA_AVX512, L = z ? 16 : 8, NR = tcE_gemm_nr(isa), NV = NR / L;
  const char *sfx = tcE_vec_suffix(isa), *P = z ? "_mm512" : "_mm256", *T = z ? "__m512" : "__m256";
  if (z)
    tc_buf_printf(o,
                  "\n/* For %d rows i of A packed k-major at ap (A[i][k] at ap[k * %d + i]) and\n"
                  "   the %d grid positions j from img, the sums over k < nk of A[i][k] *\n"
                  "   img[off[k] + j]: the lanes vm[v] of vector v (positions 16 v ...) stored\n"
                  "   to row i of C (c, ldc apart) from column at[v] on, one after the other\n"
                  "   (compressed in a register, then stored in the lanes sm[v], the first\n"
                  "   popcount(vm[v]): a compress straight to memory is microcoded on some\n"
                  "   CPUs); the direct kernel, bmode 3. */\n"
                  "static TC_TARGET_AVX512 void tc_gemm_direct_%s_%d(int64_t nk, const float *ap,\n"
                  "    const float *img, const int64_t *off, float *c, int64_t ldc, const int64_t *at,\n"
                  "    const __mmask16 *vm, const __mmask16 *sm) {\n",
                  mr, mr, NR, sfx, mr);
  else
    tc_buf_printf(o,
                  "\n/* t[i][0, %d) = the sum over k < nk of A[i][k] * img[off[k] + j], for %d\n"
                  "   rows of A packed k-major at ap (A[i][k] at ap[k * %d + i]; the direct\n"
                  "   kernel, bmode 3). */\n"
                  "static TC_TARGET_AVX2 void tc_gemm_direct_%s_%d(int64_t nk, const float *ap,\n"
                  "    const float *img, const int64_t *off, float *t) {\n",
                  NR, mr, mr, sfx, mr);
  for (int i = 0; i < mr; i++)
    for (int v = 0; v < NV; v++) tc_buf_printf(o, "  %s c%d_%d = %s_setzero_ps();\n", T, i, v, P);
  for (int pass = 0; pass < 2; pass++) {
    int u = pass ? 1 : DIRECT_UNROLL;
    if (pass)
      tc_buf_puts(o, "  for (; k < nk; k++) {\n");
    else
      tc_buf_printf(o, "  int64_t k = 0;\n  for (; k + %d <= nk; k += %d) {\n", u, u);
    for (int e = 0; e < u; e++) {
      tc_buf_printf(o, "    {\n      const float *bk = img + off[k + %d];\n", e);
      for (int v = 0; v < NV; v++)
        tc_buf_printf(o, "      const %s b%d = %s_loadu_ps(bk + %d);\n", T, v, P, v * L);
      for (int i = 0; i < mr; i++) {
        tc_buf_printf(o, "      const %s x%d = %s_set1_ps(ap[(k + %d) * %d + %d]);\n", T, i, P, e, mr, i);
        for (int v = 0; v < NV; v++)
          tc_buf_printf(o, "      c%d_%d = %s_fmadd_ps(x%d, b%d, c%d_%d);\n", i, v, P, i, v, i, v);
      }
      tc_buf_puts(o, "    }\n");
    }
    tc_buf_puts(o, "  }\n");
  }
  for (int i = 0; i < mr; i++)
    for (int v = 0; v < NV; v++)
      if (z)
        tc_buf_printf(o,
                      "  _mm512_mask_storeu_ps(c + %d * ldc + at[%d], sm[%d],\n"
                      "                        _mm512_maskz_compress_ps(vm[%d], c%d_%d));\n",
                      i, v, v, v, i, v);
      else
        tc_buf_printf(o, "  %s_storeu_ps(t + %d, c%d_%d);\n", P, i * NR + v * L, i, v);
  tc_buf_puts(o, "}\n");
}

/* The direct kernel's task function on AVX2: each block of rows' sums
   stored to t, their valid positions copied to C. */
static void direct_task_avx2(tc_buf *o, const int *mrs, int n) {
  const tcE_visa isa = TCE_VISA_AVX2;
  const int NR = tcE_gemm_nr(isa);
  const char *sfx = tcE_vec_suffix(isa), *attr = "TC_TARGET_AVX2";
  tc_buf_printf(o,
                "\n/* Tiles [lo, hi) of %d grid positions of the image of arg (tc_gemm_direct),\n"
                "   for every row of A: each block of rows computed in registers, its\n"
                "   valid positions (runs along the grid's rows) copied to C and the\n"
                "   epilogue applied to each run. */\n"
                "static %s void tc_gemm_direct_task_%s(void *arg, int64_t lo, int64_t hi) {\n"
                "  const tc_gemm_direct *d = (const tc_gemm_direct *)arg;\n"
                "  const tc_gemm *g = d->g;\n"
                "  const int64_t ow = g->cv.ow;\n"
                "  float t[TC_GEMM_DIRECT_ROWS * %d]; /* a block of rows' sums */\n"
                "  for (int64_t tile = lo; tile < hi; tile++) {\n"
                "    const int64_t q0 = tile * %d;\n"
                "    for (int64_t b0 = 0; b0 < g->m; b0 += TC_GEMM_DIRECT_ROWS) {\n"
                "      const int64_t b1 = b0 + TC_GEMM_DIRECT_ROWS < g->m ? b0 + TC_GEMM_DIRECT_ROWS : g->m;\n"
                "      for (int64_t i0 = b0, rows; i0 < b1; i0 += rows) {\n"
                "        const float *ap = d->ap + i0 * g->k;\n"
                "        float *ti = t + (i0 - b0) * %d;\n"
                "        rows = tc_gemm_direct_rows_%s(b1 - i0);\n",
                NR, attr, sfx, NR, NR, NR, sfx);
  for (int q = 0; q < n; q++) {
    if (q == n - 1)
      tc_buf_puts(o, "        else\n");
    else
      tc_buf_printf(o, "        %sif (rows == %d)\n", q ? "else " : "", mrs[q]);
    tc_buf_printf(o, "          tc_gemm_direct_%s_%d(g->k, ap, d->img + q0, d->off, ti);\n", sfx, mrs[q]);
  }
  tc_buf_printf(o,
                "      }\n"
                "      for (int64_t q = q0; q < q0 + %d && q < d->q;) {\n"
                "        const int64_t col = q %% d->wg;\n"
                "        if (col >= ow) { /* the grid's extra columns */\n"
                "          q += d->wg - col;\n"
                "          continue;\n"
                "        }\n"
                "        int64_t run = ow - col; /* valid positions from q */\n"
                "        if (run > q0 + %d - q) run = q0 + %d - q;\n"
                "        if (run > d->q - q) run = d->q - q;\n"
                "        const int64_t j = q / d->wg * ow + col; /* C's column */\n"
                "        for (int64_t i = b0; i < b1; i++) { /* in vectors: 2%% faster than memcpy */\n"
                "          const float *src = t + (i - b0) * %d + (q - q0);\n"
                "          float *dst = d->c + i * g->ldc + j;\n"
                "          for (int64_t u = 0; u < run; u += 8) {\n"
                "            const __m256i m = _mm256_castps_si256(tc_tail_avx2(run - u));\n"
                "            _mm256_maskstore_ps(dst + u, m, _mm256_maskload_ps(src + u, m));\n"
                "          }\n"
                "        }\n"
                "        if (g->epi) g->epi(g->epi_arg, d->bi, b0, j, b1 - b0, run);\n"
                "        q += run;\n"
                "      }\n"
                "    }\n"
                "  }\n"
                "}\n\n",
                NR, NR, NR, NR);
}

/* The direct kernel's task function on AVX-512: the kernels store each
   block of rows straight to C (compress stores of the lanes vm at the
   columns at, computed once a tile); the epilogue then runs over a group
   of tiles' valid positions, consecutive columns of C. */
static void direct_task_avx512(tc_buf *o, const int *mrs, int n) {
  const char *sfx = tcE_vec_suffix(TCE_VISA_AVX512);
  tc_buf_printf(o,
                "\n/* Tiles [lo, hi) of 32 grid positions of the image of arg (tc_gemm_direct),\n"
                "   for every row of A: each block of rows computed in registers and its\n"
                "   valid positions stored to C; then, every TC_GEMM_DIRECT_GROUP tiles,\n"
                "   the epilogue applied to theirs (nv columns of C from j0, across output\n"
                "   rows), once the stores are done. */\n"
                "static TC_TARGET_AVX512 void tc_gemm_direct_task_%s(void *arg, int64_t lo, int64_t hi) {\n"
                "  const tc_gemm_direct *d = (const tc_gemm_direct *)arg;\n"
                "  const tc_gemm *g = d->g;\n"
                "  const int64_t ow = g->cv.ow;\n"
                "  for (int64_t t0 = lo; t0 < hi; t0 += TC_GEMM_DIRECT_GROUP) {\n"
                "    const int64_t t1 = t0 + TC_GEMM_DIRECT_GROUP < hi ? t0 + TC_GEMM_DIRECT_GROUP : hi;\n"
                "    int64_t nv = 0, j0 = 0; /* the group's valid positions */\n"
                "    for (int64_t tile = t0; tile < t1; tile++) {\n"
                "      const int64_t q0 = tile * 32;\n"
                "      /* the lanes of valid positions of each vector (vm), as many lanes\n"
                "         from the first (sm), and the C column of its first (0 when none) */\n"
                "      __mmask16 vm[2] = {0, 0}, sm[2] = {0, 0};\n"
                "      int64_t at[2] = {0, 0};\n"
                "      for (int64_t l = 0, r = q0 / d->wg, col = q0 %% d->wg; l < 32 && q0 + l < d->q; l++) {\n"
                "        if (col < ow) {\n"
                "          if (!vm[l / 16]) at[l / 16] = r * ow + col;\n"
                "          if (!nv++) j0 = r * ow + col;\n"
                "          vm[l / 16] |= (__mmask16)(1u << (l %% 16));\n"
                "          sm[l / 16] = (__mmask16)(sm[l / 16] << 1 | 1u);\n"
                "        }\n"
                "        if (++col == d->wg) {\n"
                "          col = 0;\n"
                "          r++;\n"
                "        }\n"
                "      }\n"
                "      for (int64_t b0 = 0; b0 < g->m; b0 += TC_GEMM_DIRECT_ROWS) {\n"
                "        const int64_t b1 = b0 + TC_GEMM_DIRECT_ROWS < g->m ? b0 + TC_GEMM_DIRECT_ROWS : g->m;\n"
                "        for (int64_t i0 = b0, rows; i0 < b1; i0 += rows) {\n"
                "          const float *ap = d->ap + i0 * g->k;\n"
                "          float *ci = d->c + i0 * g->ldc;\n"
                "          rows = tc_gemm_direct_rows_%s(b1 - i0);\n",
                sfx, sfx);
  for (int q = 0; q < n; q++) {
    if (q == n - 1)
      tc_buf_puts(o, "          else\n");
    else
      tc_buf_printf(o, "          %sif (rows == %d)\n", q ? "else " : "", mrs[q]);
    tc_buf_printf(o, "            tc_gemm_direct_%s_%d(g->k, ap, d->img + q0, d->off, ci, g->ldc, at, vm, sm);\n",
                  sfx, mrs[q]);
  }
  tc_buf_puts(o,
              "        }\n"
              "      }\n"
              "    }\n"
              "    for (int64_t b0 = 0; g->epi && nv && b0 < g->m; b0 += TC_GEMM_DIRECT_ROWS) {\n"
              "      const int64_t b1 = b0 + TC_GEMM_DIRECT_ROWS < g->m ? b0 + TC_GEMM_DIRECT_ROWS : g->m;\n"
              "      g->epi(g->epi_arg, d->bi, b0, j0, b1 - b0, nv);\n"
              "    }\n"
              "  }\n"
              "}\n\n");
}

/* The direct kernel's task function and driver (bmode 3) of one ISA. */
static void direct(tc_buf *o, tcE_visa isa) {
  int z = isa == TCE_VISA_AVX512, NR = tcE_gemm_nr(isa), n;
  const int *mrs = direct_rows(isa, &n);
  const char *sfx = tcE_vec_suffix(isa), *attr = z ? "TC_TARGET_AVX512" : "TC_TARGET_AVX2";
  for (int q = 0; q < n; q++) direct_kernel(o, isa, mrs[q]);
  tc_buf_printf(o, "\n/* The rows of the direct kernel for `left` rows of A left. */\n"
                   "static int64_t tc_gemm_direct_rows_%s(int64_t left) {\n  return ", sfx);
  for (int q = 0; q + 1 < n; q++) tc_buf_printf(o, "left >= %d ? %d : ", mrs[q], mrs[q]);
  tc_buf_printf(o, "%d;\n}\n", mrs[n - 1]);
  if (z)
    direct_task_avx512(o, mrs, n);
  else
    direct_task_avx2(o, mrs, n);
  tc_buf_printf(o,
                "/* A (m x k, rows rs apart) packed for tc_gemm_direct_%s at ap (m * k\n"
                "   floats): k-major by blocks of the kernels' rows, as the tasks take\n"
                "   them (TC_GEMM_DIRECT_ROWS at a time), so that the values of k a\n"
                "   kernel broadcasts are next to each other.  By P_create for a weight\n"
                "   (tc_gemm.ap), else by each call. */\n"
                "static void tc_gemm_direct_pack_%s(float *ap, const float *a, int64_t m, int64_t k,\n"
                "                                   int64_t rs) {\n"
                "  for (int64_t b0 = 0; b0 < m; b0 += TC_GEMM_DIRECT_ROWS) {\n"
                "    const int64_t b1 = b0 + TC_GEMM_DIRECT_ROWS < m ? b0 + TC_GEMM_DIRECT_ROWS : m;\n"
                "    for (int64_t i0 = b0, rows; i0 < b1; i0 += rows) {\n"
                "      rows = tc_gemm_direct_rows_%s(b1 - i0);\n"
                "      for (int64_t kk = 0; kk < k; kk++)\n"
                "        for (int64_t i = 0; i < rows; i++)\n"
                "          ap[i0 * k + kk * rows + i] = a[(i0 + i) * rs + kk];\n"
                "    }\n"
                "  }\n"
                "}\n\n",
                sfx, sfx, sfx);
  tc_buf_printf(o,
                "/* Batch matrices [lo, hi) of arg (tc_gemm_direct_mats, A packed by\n"
                "   P_create), each padded into an image of this thread's and all its\n"
                "   tiles computed here: many small matrices (a grouped convolution's\n"
                "   groups) in one parallel loop, rather than two loops over each one's\n"
                "   channels and tiles (ResNeXt's 3x3 of 32 groups of 4 channels at 56 x\n"
                "   56, two threads: 1.3x faster).  Each tile is computed as the other\n"
                "   way computes it: the same results. */\n"
                "#if defined(_OPENMP) || defined(TENSORC_POOL)\n"
                "static %s void tc_gemm_direct_mats_%s(void *arg, int64_t lo, int64_t hi) {\n"
                "  tc_gemm_direct_mats *s = (tc_gemm_direct_mats *)arg;\n"
                "  const tc_gemm *g = s->d.g;\n"
                "  const int64_t used = g->cv.c * s->d.hg * s->d.wg;\n"
                "  float *img = lo < hi ? (float *)malloc((size_t)s->size * sizeof *img) : NULL;\n"
                "  if (!img) {\n"
                "    if (lo < hi) __atomic_store_n(&s->failed, 1, __ATOMIC_RELAXED);\n"
                "    return;\n"
                "  }\n"
                "  memset(img + used, 0, (size_t)(s->size - used) * sizeof *img);\n"
                "  tc_gemm_direct d = s->d;\n"
                "  d.img = img;\n"
                "  for (int64_t n = lo; n < hi; n++) {\n"
                "    int64_t bi[TC_GEMM_MAXB] = {0}, ao, bo, co;\n"
                "    tc_gemm_batch(g, n, bi, &ao, &bo, &co);\n"
                "    d.ap = g->ap + ao;\n"
                "    d.bi = bi;\n"
                "    d.x = g->b + bo;\n"
                "    d.c = g->c + co;\n"
                "    tc_gemm_direct_pad(&d, 0, g->cv.c);\n"
                "    tc_gemm_direct_task_%s(&d, 0, s->ntile);\n"
                "  }\n"
                "  free(img);\n"
                "}\n"
                "#endif\n\n",
                attr, sfx, sfx);
  tc_buf_printf(o,
                "/* Runs g of bmode 3, batch matrix by batch matrix (an image, or with\n"
                "   groups an image's group); TC_ENOMEM when the padded image cannot be\n"
                "   allocated. */\n"
                "static %s int tc_gemm_direct_%s(const tc_gemm *g, int64_t nmat, int64_t threads) {\n"
                "  const tc_gemm_conv *v = &g->cv;\n"
                "  tc_gemm_direct d = {0};\n"
                "  (void)threads; /* (serial without OpenMP or the pool) */\n"
                "  d.g = g;\n"
                "  d.hg = v->h + 2 * v->ph;\n"
                "  d.wg = v->w + v->pw > v->ow ? v->w + v->pw : v->ow;\n"
                "  d.q = g->n / v->ow * d.wg;\n"
                "  const int64_t plane = d.hg * d.wg, ntile = (d.q + %d) / %d;\n"
                "  /* the last tile reads at most %d + (kw - 1) * dw values past the planes */\n"
                "  const int64_t size = v->c * plane + %d + (v->kw - 1) * v->dw;\n"
                "#if defined(_OPENMP) || defined(TENSORC_POOL)\n"
                "  /* whole batch matrices a thread, when they split evenly or are many */\n"
                "  const int mats = threads > 1 && g->ap && (nmat %% threads == 0 || nmat >= 8 * threads);\n"
                "#else\n"
                "  const int mats = 0;\n"
                "#endif\n"
                "  float *img = mats ? NULL : (float *)malloc((size_t)size * sizeof *img);\n"
                "  int64_t *off = (int64_t *)malloc((size_t)g->k * sizeof *off);\n"
                "  /* A packed by P_create (a batch matrix's at a_bs from the last's, as in\n"
                "     g->a), else here when a batch matrix's A differs from the last's */\n"
                "  float *ap = g->ap ? NULL : (float *)malloc((size_t)(g->m * g->k) * sizeof *ap);\n"
                "  if ((!mats && !img) || !off || (!g->ap && !ap)) {\n"
                "    free(img);\n"
                "    free(off);\n"
                "    free(ap);\n"
                "    return TC_ENOMEM;\n"
                "  }\n"

                "  for (int64_t k = 0; k < g->k; k++) {\n"
                "    const int64_t ci = k / (v->kh * v->kw), kh = k / v->kw %% v->kh, kw = k %% v->kw;\n"
                "    off[k] = ci * plane + kh * v->dh * d.wg + kw * v->dw;\n"
                "  }\n"
                "  d.off = off;\n"
                "#if defined(_OPENMP) || defined(TENSORC_POOL)\n"
                "  if (mats) {\n"
                "    tc_gemm_direct_mats s = {d, size, ntile, 0};\n"
                "#if defined(_OPENMP)\n"
                "    tc_omp_for(nmat, tc_gemm_direct_mats_%s, &s);\n"
                "#else\n"
                "    tc_parallel_for(nmat, tc_gemm_direct_mats_%s, &s);\n"
                "#endif\n"
                "    free(off);\n"
                "    return s.failed ? TC_ENOMEM : 0;\n"
                "  }\n"
                "#endif\n"
                "  memset(img + v->c * plane, 0, (size_t)(size - v->c * plane) * sizeof *img);\n"
                "  d.img = img;\n"
                "  for (int64_t n = 0, packed = -1; n < nmat; n++) {\n"
                "    int64_t bi[TC_GEMM_MAXB] = {0}, ao, bo, co;\n"
                "    tc_gemm_batch(g, n, bi, &ao, &bo, &co);\n"
                "    if (ap && ao != packed) {\n"
                "      tc_gemm_direct_pack_%s(ap, g->a + ao, g->m, g->k, g->a_rs);\n"
                "      packed = ao;\n"
                "    }\n"
                "    d.ap = ap ? ap : g->ap + ao;\n"
                "    d.bi = bi;\n"
                "    d.x = g->b + bo;\n"
                "    d.c = g->c + co;\n"
                "#if defined(_OPENMP)\n"
                "    if (threads > 1) {\n"
                "      tc_omp_for(v->c, tc_gemm_direct_pad, &d);\n"
                "      tc_omp_for(ntile, tc_gemm_direct_task_%s, &d);\n"
                "      continue;\n"
                "    }\n"
                "#elif defined(TENSORC_POOL)\n"
                "    if (threads > 1) {\n"
                "      tc_parallel_for(v->c, tc_gemm_direct_pad, &d);\n"
                "      tc_parallel_for(ntile, tc_gemm_direct_task_%s, &d);\n"
                "      continue;\n"
                "    }\n"
                "#endif\n"
                "    tc_gemm_direct_pad(&d, 0, v->c);\n"
                "    tc_gemm_direct_task_%s(&d, 0, ntile);\n"
                "  }\n"
                "  free(img);\n"
                "  free(off);\n"
                "  free(ap);\n"
                "  return 0;\n"
                "}\n",
                attr, sfx, NR - 1, NR, NR, NR, sfx, sfx, sfx, sfx, sfx, sfx);
}

/* The declaration of mask `name` of the first `count` lanes (AVX-512 or
   AVX2), at indentation ind. */
static void tail_mask(tc_buf *o, int z, const char *ind, const char *name, const char *count) {
  if (z)
    tc_buf_printf(o, "%sconst __mmask16 %s = tc_tail_avx512(%s);\n", ind, name, count);
  else
    tc_buf_printf(o, "%sconst __m256i %s = _mm256_castps_si256(tc_tail_avx2(%s));\n", ind, name, count);
}

/* amode 2's copy of input rows [h0, h1) of an NCHW image to NHWC, in
   blocks of lanes x lanes (channels x columns) transposed in registers
   (emit/vec.c's tc_transpose_<isa>). */
static void nhwc_rows(tc_buf *o, tcE_visa isa) {
  int z = isa == TCE_VISA_AVX512, L = z ? 16 : 8;
  const char *sfx = tcE_vec_suffix(isa), *P = z ? "_mm512" : "_mm256", *T = z ? "__m512" : "__m256";
  tc_buf_printf(o,
                "\n/* Rows [h0, h1) of the NCHW image x (c channels of h x w) as NHWC rows at\n"
                "   dst: dst[((ih - h0) * w + iw) * c + ci] = x[(ci * h + ih) * w + iw]\n"
                "   (amode 2), in blocks of %d channels x %d columns. */\n"
                "static TC_TARGET_%s void tc_gemm_nhwc_rows_%s(const float *x, int64_t c, int64_t h,\n"
                "    int64_t w, int64_t h0, int64_t h1, float *dst) {\n"
                "  for (int64_t ih = h0; ih < h1; ih++)\n"
                "    for (int64_t c0 = 0; c0 < c; c0 += %d) {\n"
                "      const int64_t cn = c - c0 < %d ? c - c0 : %d;\n",
                L, L, z ? "AVX512" : "AVX2", sfx, L, L, L);
  tail_mask(o, z, "      ", "cm", "cn");
  tc_buf_printf(o,
                "      for (int64_t w0 = 0; w0 < w; w0 += %d) {\n"
                "        const int64_t wn = w - w0 < %d ? w - w0 : %d;\n",
                L, L, L);
  tail_mask(o, z, "        ", "wm", "wn");
  tc_buf_printf(o,
                "        %s v[%d];\n"
                "        for (int64_t i = 0; i < %d; i++)\n"
                "          v[i] = i < cn ? %s : %s_setzero_ps();\n"
                "        tc_transpose_%s(v);\n"
                "        for (int64_t j = 0; j < wn; j++)\n"
                "          %s;\n"
                "      }\n"
                "    }\n"
                "}\n",
                T, L, L,
                z ? "_mm512_maskz_loadu_ps(wm, x + ((c0 + i) * h + ih) * w + w0)"
                  : "_mm256_maskload_ps(x + ((c0 + i) * h + ih) * w + w0, wm)",
                P, sfx,
                z ? "_mm512_mask_storeu_ps(dst + ((ih - h0) * w + w0 + j) * c + c0, cm, v[j])"
                  : "_mm256_maskstore_ps(dst + ((ih - h0) * w + w0 + j) * c + c0, cm, v[j])");
}

/* The task function and the entry point of one ISA. */
static void driver(tc_buf *o, tcE_visa isa) {
  int z = isa == TCE_VISA_AVX512, NR = tcE_gemm_nr(isa), MR = tcE_gemm_mr(isa);
  int MR2 = z ? 8 : 4; /* the main kernel's alternative */
  if (z)
    tc_buf_printf(o,
                  "\n/* tc_gemm_pack for an NCHW convolution of stride 1 (bmode 2, cv.sw 1) in\n"
                  "   vectors: each run of output pixels along an output row reads a run of\n"
                  "   an input row, zeros where the window is in the padding. */\n"
                  "static TC_TARGET_AVX512 void tc_gemm_pack_rows_avx512(const tc_gemm *g, const float *b,\n"
                  "    float *dst, int64_t k0, int64_t kc, int64_t j0, int64_t nc) {\n"
                  "  const tc_gemm_conv *v = &g->cv;\n"
                  "  const int64_t win = v->kh * v->kw;\n"
                  "  const __m512 zero = _mm512_setzero_ps();\n"
                  "  if (kc <= 0) return;\n"
                  "  for (int64_t p = 0; p * %d < nc; p++) {\n"
                  "    const int64_t q0 = j0 + p * %d, oh0 = q0 / v->ow, ow0 = q0 %% v->ow;\n"
                  "    int64_t ci = k0 / win, kh = k0 %% win / v->kw, kw = k0 %% v->kw;\n"
                  "    for (int64_t kk = 0; kk < kc; kk++) {\n"
                  "      const int64_t off = kw * v->dw - v->pw;\n"
                  "      float *d = dst + (p * kc + kk) * %d;\n"
                  "      int64_t j = 0, q = q0, oh = oh0, ow = ow0;\n"
                  "      while (j < %d) {\n"
                  "        int64_t run = %d - j < v->ow - ow ? %d - j : v->ow - ow, t0 = 0, t1 = 0;\n"
                  "        if (q >= g->n) run = %d - j;\n"
                  "        else if (run > g->n - q) run = g->n - q;\n"
                  "        const int64_t ih = oh * v->sh + kh * v->dh - v->ph;\n"
                  "        if (q < g->n && ih >= 0 && ih < v->h) { /* the valid part [t0, t1) */\n"
                  "          t0 = -(ow + off) > 0 ? -(ow + off) : 0;\n"
                  "          t1 = v->w - (ow + off) < run ? v->w - (ow + off) : run;\n"
                  "          if (t0 > run) t0 = run;\n"
                  "          if (t1 < t0) t1 = t0;\n"
                  "        }\n"
                  "        for (int64_t t = 0; t < t0; t += 16)\n"
                  "          _mm512_mask_storeu_ps(d + j + t, tc_tail_avx512(t0 - t), zero);\n"
                  "        if (t1 > t0) {\n"
                  "          const float *src = b + (ci * v->h + ih) * v->w + ow + off + t0;\n"
                  "          for (int64_t t = 0; t < t1 - t0; t += 16) {\n"
                  "            const __mmask16 m = tc_tail_avx512(t1 - t0 - t);\n"
                  "            _mm512_mask_storeu_ps(d + j + t0 + t, m, _mm512_maskz_loadu_ps(m, src + t));\n"
                  "          }\n"
                  "        }\n"
                  "        for (int64_t t = t1; t < run; t += 16)\n"
                  "          _mm512_mask_storeu_ps(d + j + t, tc_tail_avx512(run - t), zero);\n"
                  "        j += run;\n"
                  "        q += run;\n"
                  "        ow += run;\n"
                  "        if (ow >= v->ow) {\n"
                  "          ow = 0;\n"
                  "          oh++;\n"
                  "        }\n"
                  "      }\n"
                  "      if (++kw == v->kw) {\n"
                  "        kw = 0;\n"
                  "        if (++kh == v->kh) {\n"
                  "          kh = 0;\n"
                  "          ci++;\n"
                  "        }\n"
                  "      }\n"
                  "    }\n"
                  "  }\n"
                  "}\n",
                  NR, NR, NR, NR, NR, NR, NR);
  const char *sfx = tcE_vec_suffix(isa), *attr = z ? "TC_TARGET_AVX512" : "TC_TARGET_AVX2";
  nhwc_rows(o, isa);
  if (z)
    tc_buf_printf(o,
                  "\n/* The rows of the next block of a task's rows, `left` of them left, in\n"
                  "   blocks of mr: mr, but the last %d + 1 or %d + 2 rows as two blocks of at\n"
                  "   most %d rather than %d and a block of 1 or 2 rows, whose kernel runs at\n"
                  "   the latency of its few accumulators, not at two FMAs a cycle: M = 128\n"
                  "   as 8 x 14 + 8 + 8, not 9 x 14 + 2, ran 1.02x faster on the FFN layer\n"
                  "   (K = 768, N = 3072; one and two threads), M = 100 1.03x, M = 44 1.06x,\n"
                  "   M = 30 1.09x (A/B harness, one thread).  A block of 2 rows streams\n"
                  "   B's panels from L2 for 4 FMAs a step of k. */\n"
                  "static int64_t tc_gemm_block_rows_%s(int64_t left, int64_t mr) {\n"
                  "  if (mr == %d && left > %d && left <= %d) return %d;\n"
                  "  return left < mr ? left : mr;\n"
                  "}\n",
                  MR, MR, MR2, MR, sfx, MR, MR, MR + 2, MR2);
  else /* 4 + 4 for the last 6 + 2 rows measured 0.96x on the FFN layer, M = 128 */
    tc_buf_printf(o,
                  "\n/* The rows of the next block of a task's rows, `left` of them left, in\n"
                  "   blocks of mr (the last 6 + 2 rows as 4 + 4, as AVX-512 does its last\n"
                  "   14 + 2, ran 0.96x as fast on the FFN layer, M = 128). */\n"
                  "static int64_t tc_gemm_block_rows_%s(int64_t left, int64_t mr) {\n"
                  "  return left < mr ? left : mr;\n"
                  "}\n",
                  sfx);
  tc_buf_printf(o,
                "\n/* Tasks [lo, hi) of grid arg (tc_gemm_grid): each computes its rows and\n"
                "   panels of one batch matrix, B block by B block. */\n"
                "static %s void tc_gemm_task_%s(void *arg, int64_t lo, int64_t hi) {\n"
                "  const tc_gemm_grid *gr = (const tc_gemm_grid *)arg;\n"
                "  const tc_gemm *g = gr->g;\n"
                "  if (lo >= hi) return; /* a thread without a task */\n"
                "  const int64_t np = (g->n + %d) / %d, per = gr->mt * gr->nt;\n"
                "  /* the blocking: NCP grows as the blocks of k fall below the\n"
                "     blocking's KC, B's block staying the same size */\n"
                "  const int64_t kmax = g->kcb > 0 ? g->kcb : 256, KC = tc_gemm_kc(g, kmax);\n"
                "  const int64_t kb = g->k < KC ? (g->k > 0 ? g->k : 1) : KC;\n"
                "  int64_t NCP = (g->bkp > 0 ? g->bkp : 8192) / kb;\n"
                "  NCP = NCP < 4 ? 4 : NCP > 64 ? 64 : NCP;\n"
                "  /* but a task's rows of A, times a block of k, larger than L2 (twice\n"
                "     B's block) would be streamed again (and copied again, when their\n"
                "     rows are 4 KiB apart) for every block of B's panels: with B packed\n"
                "     at create, its panels instead stream from L3, all in one block\n"
                "     (sgemm 2048: 1.12x at one thread; 1024 the same, 512 untouched) */\n"
                "  if (g->bmode == 0 && g->amode == 0 &&\n"
                "      gr->rows_t * kb > (g->bkp > 0 ? g->bkp : 8192) * 2 * %d)\n"
                "    NCP = np;\n"
                "  float ap[%d * TC_GEMM_KC_MAX]; /* a micro-panel of a packed A */\n"
                "  const float *ar[TC_GEMM_SEGS * %d]; /* the rows of A the micro-kernel reads */\n"
                "  float *bb = NULL;           /* a block of B, when not packed by P_create */\n"
                "  float *xb = NULL;           /* amode 2: the task's input rows as NHWC */\n"
                "  int64_t xcap = 0;           /* (its floats) */\n"
                "  /* B's rows read in place, but for a last panel of fewer than %d columns,\n"
                "     when they are contiguous, start on a cache line (else each load of a\n"
                "     row would touch three lines: packing measured faster) and are not a\n"
                "     multiple of 4 KiB apart (all in one set of L1); not when k is 0 (b\n"
                "     may then be NULL) */\n"
                "  int inplace = g->bmode == 1 && g->k > 0 && g->b_cs == 1 && (g->b_rs & 1023) != 0 &&\n"
                "                g->b_rs %% 16 == 0 && ((uintptr_t)g->b & 63) == 0;\n"
                "  for (int d = 0; d < g->nb; d++) inplace &= g->b_bs[d] %% 16 == 0;\n"
                "  if (g->bmode != 0) { /* KC x NCP panels at most: less for small problems */\n"
                "    const int64_t pb = inplace ? 1 : gr->panels_t < NCP ? gr->panels_t : NCP;\n"
                "    bb = (float *)malloc((size_t)kb * (size_t)pb * %d * sizeof *bb);\n"
                "    if (!bb) {\n"
                "      __atomic_store_n(&((tc_gemm_grid *)arg)->failed, 1, __ATOMIC_RELAXED);\n"
                "      return;\n"
                "    }\n"
                "  }\n"
                "  for (int64_t t = lo; t < hi; t++) {\n"
                "    /* the batch matrix, its index bi and its operands */\n"
                "    int64_t bi[TC_GEMM_MAXB] = {0}, ao, bo, co;\n"
                "    tc_gemm_batch(g, t / per, bi, &ao, &bo, &co);\n"
                "    /* (a and b NULL when k is 0) */\n"
                "    const float *a = g->a ? g->a + ao : NULL, *b = g->b ? g->b + bo : NULL;\n"
                "    float *c = g->c + co;\n"
                "    const int64_t ti = t %% per / gr->nt, tj = t %% gr->nt, mr = gr->mr;\n"
                "    const int64_t i_lo = ti * gr->rows_t, i_hi = i_lo + gr->rows_t < g->m ? i_lo + gr->rows_t : g->m;\n"
                "    const int64_t p_lo = tj * gr->panels_t, p_hi = p_lo + gr->panels_t < np ? p_lo + gr->panels_t : np;\n"
                "    if (i_lo >= i_hi) continue;\n"
                "    int64_t hb = 0; /* the first input row at a */\n"
                "    if (g->amode == 2 && g->k > 0) {\n"
                "      /* the input rows the task's output rows read, [hb, h1), as NHWC */\n"
                "      const tc_gemm_conv *v = &g->cv;\n"
                "      int64_t h1 = (i_hi - 1) / v->ow * v->sh - v->ph + (v->kh - 1) * v->dh + 1;\n"
                "      hb = i_lo / v->ow * v->sh - v->ph;\n"
                "      hb = hb < 0 ? 0 : hb;\n"
                "      h1 = h1 > v->h ? v->h : h1 < hb ? hb : h1;\n"
                "      if ((h1 - hb) * v->w * v->c > xcap) {\n"
                "        free(xb);\n"
                "        xcap = (h1 - hb) * v->w * v->c;\n"
                "        xb = (float *)malloc((size_t)xcap * sizeof *xb);\n"
                "        if (!xb) {\n"
                "          __atomic_store_n(&((tc_gemm_grid *)arg)->failed, 1, __ATOMIC_RELAXED);\n"
                "          free(bb);\n"
                "          return;\n"
                "        }\n"
                "      }\n"
                "      tc_gemm_nhwc_rows_%s(a, v->c, v->h, v->w, hb, h1, xb);\n"
                "      a = xb;\n"
                "    }\n"
                "    if (g->bmode == 0 && i_hi - i_lo <= mr) {\n"
                "      /* one block of rows (a skinny M): each panel of B streamed once, in\n"
                "         order, the tile of C kept in L1 */\n"
                "      const int64_t rows = i_hi - i_lo;\n"
                "      for (int64_t p = p_lo; p < p_hi; p++) {\n"
                "        const int64_t j0 = p * %d, nr = g->n - j0 < %d ? g->n - j0 : %d;\n"
                "        float *cij = c + i_lo * g->ldc + j0;\n"
                "        int64_t pc = 0, kc, ns;\n"
                "        do {\n"
                "          kc = tc_gemm_kblock(g, pc, KC, &ns);\n"
                "          const float *bp = g->bp + bo + (p * g->k + pc) * %d;\n"
                "          const int64_t ldb = %d;\n"
                "          tc_gemm_rows(g, a, hb, i_lo, rows, pc, kc, ns, %d, ar, ap);\n",
                attr, sfx, NR - 1, NR, NR, MR, MR, NR, NR, sfx, NR, NR, NR, NR, NR, MR);
  dispatch(o, isa, "          ");
  tc_buf_printf(o,
                "          pc += ns * kc;\n"
                "        } while (pc < g->k);\n"
                "        if (g->epi) g->epi(g->epi_arg, bi, i_lo, j0, rows, nr);\n"
                "      }\n"
                "      continue;\n"
                "    }\n"
                "    /* the task's panels in blocks of at most NCP, of even sizes (K =\n"
                "       768, NCP = 10: 32 panels as 8, 8, 8 and 8, not 10, 10, 10 and 2) */\n"
                "    const int64_t nblk = (p_hi - p_lo + NCP - 1) / NCP;\n"
                "    const int64_t pbk = nblk > 0 ? (p_hi - p_lo + nblk - 1) / nblk : NCP;\n"
                "    for (int64_t jc = p_lo; jc < p_hi; jc += pbk) {\n"
                "      const int64_t jc_hi = jc + pbk < p_hi ? jc + pbk : p_hi;\n"
                "      /* one pass even when k is 0: C gets its zeros and the epilogue */\n"
                "      int64_t pc = 0, kc, ns;\n"
                "      do {\n"
                "        kc = tc_gemm_kblock(g, pc, KC, &ns);\n"
                "        const int last = pc + ns * kc >= g->k;\n"
                "        if (inplace) { /* only a last panel of fewer than %d columns packed */\n"
                "          if (jc_hi == np && g->n %% %d != 0)\n"
                "            tc_gemm_pack(g, b, bb, pc, kc, (np - 1) * %d, g->n - (np - 1) * %d, %d);\n"
                "%s"
                "        } else if (bb) {\n"
                "          tc_gemm_pack(g, b, bb, pc, kc, jc * %d, (jc_hi - jc) * %d, %d);\n"
                "        }\n"
                "        for (int64_t ir = i_lo, rows; ir < i_hi; ir += rows) {\n"
                "          rows = tc_gemm_block_rows_%s(i_hi - ir, mr);\n"
                "          tc_gemm_rows(g, a, hb, ir, rows, pc, kc, ns, %d, ar, ap);\n"
                "          for (int64_t p = jc; p < jc_hi; p++) {\n"
                "            const int64_t j0 = p * %d, nr = g->n - j0 < %d ? g->n - j0 : %d;\n"
                "            const int ip = inplace && nr == %d; /* B's rows read in place */\n"
                "            const float *bp = ip        ? b + pc * g->b_rs + j0\n"
                "                              : inplace ? bb\n"
                "                              : bb      ? bb + (p - jc) * kc * %d\n"
                "                                        : g->bp + bo + (p * g->k + pc) * %d;\n"
                "            const int64_t ldb = ip ? g->b_rs : %d;\n"
                "            float *cij = c + ir * g->ldc + j0;\n",
                NR, NR, NR, NR, NR,
                z ? "        } else if (g->bmode == 2 && g->cv.sw == 1) { /* in vectors */\n"
                    "          tc_gemm_pack_rows_avx512(g, b, bb, pc, kc, jc * 32, (jc_hi - jc) * 32);\n"
                  : "",
                NR, NR, NR, sfx, MR, NR, NR, NR, NR, NR, NR, NR);
  dispatch(o, isa, "            ");
  tc_buf_printf(o,
                "            if (last && g->epi) g->epi(g->epi_arg, bi, ir, j0, rows, nr);\n"
                "          }\n"
                "        }\n"
                "        pc += ns * kc;\n"
                "      } while (pc < g->k);\n"
                "    }\n"
                "  }\n"
                "  free(bb);\n"
                "  free(xb);\n"
                "}\n\n");
  int nmr;
  const int *mrs = kernel_rows(isa, &nmr);
  tc_buf_printf(o,
                "/* A model of the time of m rows of C in blocks of mr (tc_gemm_%s's\n"
                "   choice of its main micro-kernel), per value of k: a kernel of r rows\n"
                "   takes max(r, 4) cycles (two FMAs a cycle, but no faster than the\n"
                "   latency of four accumulators), plus 2 for streaming B's panel once\n"
                "   more; the rows left take the smallest kernel covering them, or with\n"
                "   the last block two blocks (tc_gemm_block_rows_%s).  It does not see\n"
                "   how the row blocks split over the threads.  %s */\n"
                "static int64_t tc_gemm_cost_%s(int64_t m, int64_t mr) {\n"
                "  const int64_t left = m %% mr, kr = ",
                sfx, sfx,
                z ? "Measured (A/B\n   harness, one thread): 14-row blocks ran 1.02-1.09x faster than 8-row\n"
                    "   ones at M = 64, 1.02x at 32, the same at 128, 0.91x at 16."
                  : "(Measured on\n   AVX-512 only.)",
                sfx);
  for (int q = nmr - 1; q > 0; q--) tc_buf_printf(o, "left <= %d ? %d : ", mrs[q], mrs[q]);
  tc_buf_printf(o, "%d;\n", mrs[0]);
  tc_buf_printf(o,
                "  if (m > mr && tc_gemm_block_rows_%s(mr + left, mr) < mr)\n"
                "    return (m / mr - 1) * ((mr > 4 ? mr : 4) + 2) + 2 * (%d + 2);\n",
                sfx, mrs[1] > 4 ? mrs[1] : 4);
  tc_buf_puts(o, "  return m / mr * ((mr > 4 ? mr : 4) + 2) + (left ? (kr > 4 ? kr : 4) + 2 : 0);\n"
                 "}\n\n");
  tc_buf_printf(o,
                "/* Runs g; TC_ENOMEM when scratch could not be allocated (C is then\n"
                "   incomplete). */\n"
                "static %s int tc_gemm_%s(const tc_gemm *g) {\n"
                "  tc_gemm_grid gr;\n"
                "  int64_t nmat = 1, threads = 1;\n"

                "  for (int d = 0; d < g->nb; d++) nmat *= g->bext[d];\n"
                "  if (g->m <= 0 || g->n <= 0 || nmat <= 0) return 0;\n"
                "  /* the main micro-kernel: %d rows, or %d when it costs less\n"
                "     (tc_gemm_cost_%s: M = %d runs as 2 blocks of %d, not %d + %d) */\n"
                "  gr.mr = tc_gemm_cost_%s(g->m, %d) < tc_gemm_cost_%s(g->m, %d) ? %d : %d;\n"
                "  const int64_t np = (g->n + %d) / %d, mb = (g->m + gr.mr - 1) / gr.mr;\n"
                "  const double work = (double)g->m * (double)g->n * (double)(g->k > 0 ? g->k : 1) * (double)nmat;\n"
                "#if defined(_OPENMP)\n"
                "  threads = omp_get_max_threads();\n"
                "#elif defined(TENSORC_POOL)\n"
                "  threads = 8; /* the pool's size is not known: enough tasks for most */\n"
                "#endif\n"
                "  if (work < TC_GEMM_MIN_PAR) threads = 1;\n"
                "  if (g->bmode == 3) return tc_gemm_direct_%s(g, nmat, threads);\n"
                "  /* tasks per batch matrix: panels (each thread streams its own part of\n"
                "     B, reading all of A), or rows (each thread its own part of A, all of\n"
                "     B) when there are fewer than two panels a task or A is the larger\n"
                "     (an image of a convolution: its input); always rows for amode 2\n"
                "     (each task copies the input rows of its own rows) */\n"
                "  const int64_t want = nmat >= threads ? 1 : (threads + nmat - 1) / nmat;\n"
                "  const double asize = g->amode != 0 ? (double)g->cv.h * (double)g->cv.w * (double)g->cv.c\n"
                "                                     : (double)g->m * (double)g->k;\n"
                "  gr.g = g;\n"
                "  gr.nt = want < np ? want : np;\n"
                "  if (g->amode == 2 || (mb >= want && (np < 2 * want || asize > (double)g->n * (double)g->k)))\n"
                "    gr.nt = 1;\n"
                "  gr.mt = (want + gr.nt - 1) / gr.nt < mb ? (want + gr.nt - 1) / gr.nt : mb;\n"
                "  if (g->amode == 2) { /* bands of about TC_GEMM_BAND_BYTES, a multiple of want */\n"
                "    const double nb = asize * (double)sizeof(float) / TC_GEMM_BAND_BYTES + 1;\n"
                "    int64_t bands = nb >= (double)mb ? mb : (int64_t)nb;\n"
                "    bands = (bands + want - 1) / want * want;\n"
                "    bands = bands < mb ? bands : mb;\n"
                "    gr.mt = bands > gr.mt ? bands : gr.mt;\n"
                "  }\n"
                "  gr.panels_t = (np + gr.nt - 1) / gr.nt;\n"
                "  gr.rows_t = (mb + gr.mt - 1) / gr.mt * gr.mr;\n"
                "  const int64_t ntask = nmat * gr.mt * gr.nt;\n"
                "  gr.failed = 0;\n"
                "#if defined(_OPENMP)\n"
                "  if (threads > 1 && ntask > 1) tc_omp_for(ntask, tc_gemm_task_%s, &gr);\n"
                "  else tc_gemm_task_%s(&gr, 0, ntask);\n"
                "#elif defined(TENSORC_POOL)\n"
                "  if (threads > 1 && ntask > 1) tc_parallel_for(ntask, tc_gemm_task_%s, &gr);\n"
                "  else tc_gemm_task_%s(&gr, 0, ntask);\n"
                "#else\n"
                "  tc_gemm_task_%s(&gr, 0, ntask);\n"
                "#endif\n"
                "  return gr.failed ? TC_ENOMEM : 0;\n"
                "}\n",
                attr, sfx, MR, MR2, sfx, 2 * MR2, MR2, MR, 2 * MR2 - MR, sfx, MR2, sfx, MR, MR2, MR,
                NR - 1, NR, sfx, sfx, sfx, sfx, sfx, sfx);
}

void tcE_gemm_write(tc_buf *out, const char used[TCE_VISA_COUNT]) {
  int any = 0;
  for (int v = 0; v < TCE_VISA_COUNT; v++) any |= used[v];
  if (!any) return;
  shared_part(out);
  for (int v = 0; v < TCE_VISA_COUNT; v++) {
    if (!used[v]) continue;
    int nmr;
    const int *mrs = kernel_rows((tcE_visa)v, &nmr);
    for (int q = 0; q < nmr; q++) kernel(out, (tcE_visa)v, mrs[q]);
    direct(out, (tcE_visa)v);
    driver(out, (tcE_visa)v);
  }
}
