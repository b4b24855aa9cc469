/*
 * direct.c: a study (2026-11-27), not part of tensorc: an NCHW 3x3
 * convolution with padding 1 and bias + relu, computed as a GEMM whose B
 * is read in place, not gathered, packed or transposed.
 *
 *   M = Cout: the weights, packed at create into panels of MR output
 *       channels, k-major (A[k][r]), broadcast one at a time;
 *   N = output pixels on a grid of WG columns a row: the input is copied
 *       once per call into a zero-padded image (for stride 2, split into
 *       its 4 phases: even/odd rows x even/odd columns), so that for each
 *       k = (ci, kh, kw) the NV vectors of B are one contiguous run of
 *       that image, at an offset of k alone; the grid's columns past OW
 *       are computed and thrown away;
 *   K = Cin x 3 x 3, in blocks of CB input channels (CB = Cin: one block,
 *       the tile in registers throughout; else the tile's sums wait in a
 *       scratch between blocks).
 *
 * The tile's valid lanes are stored with AVX-512 compress stores: the
 * valid pixels of a vector are consecutive in the NCHW output.
 *
 * Built as B.c of bench/gemm/ab (the A/B harness: A is tensorc's own
 * kernel, the max |A - B| it prints checks this one), e.g.
 *   CPUT=1 OMP_NUM_THREADS=1 BCMD="cp direct.c" \
 *     ../../gemm/ab/ab.sh conv3x3_nchw TENSORC TENSORC 10 10
 * with -D knobs edited in below (README.md has the runs).
 */
#include <immintrin.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "B.h"

#ifndef S /* stride */
#define S 1
#endif
#ifndef CI
#define CI 64
#endif
#ifndef CO
#define CO 64
#endif
#ifndef H
#define H 56
#define W 56
#endif
#ifndef MR /* output channels of a tile */
#define MR 8
#endif
#ifndef NV /* vectors of 16 pixels of a tile */
#define NV 2
#endif
#ifndef CB /* input channels of a block of k */
#define CB CI
#endif

#define HP (H + 2) /* the padded image */
#define WP (W + 2)
#define OH ((HP - 3) / S + 1)
#define OW ((WP - 3) / S + 1)
#define HG ((HP + S - 1) / S) /* a phase of it, and the grid's row length */
#define WG ((WP + S - 1) / S)
#define PLANE (HG * WG)
#define NT (16 * NV)
#define Q (OH * WG) /* grid positions */
#define NQT ((Q + NT - 1) / NT)
#define K (CI * 9)
/* the last tile reads up to NT past Q, and its windows 2 rows further */
#define XPN ((size_t)CI * S * S * PLANE + NT + 3 * WG + 64)

struct B_ctx {
  float *ap;   /* [CO / MR][K][MR] */
  float *bias; /* [CO] */
  float *xp;   /* the padded image: its borders stay zero */
  float *part; /* [CO / MR][NQT][MR][NT]: sums between blocks of k */
};

int B_create_v(B_ctx **ctx, const void *const *ws) {
  const float *w = ws[0], *b = ws[1];
  B_ctx *c = calloc(1, sizeof *c);
  if (!c) return TC_ENOMEM;
  c->ap = aligned_alloc(64, sizeof(float) * CO * K);
  c->bias = malloc(sizeof(float) * CO);
  c->xp = aligned_alloc(64, sizeof(float) * ((XPN + 15) / 16 * 16));
  c->part = aligned_alloc(64, sizeof(float) * CO * NQT * NT);
  if (!c->ap || !c->bias || !c->xp || !c->part) return TC_ENOMEM;
  memcpy(c->bias, b, sizeof(float) * CO);
  for (int p = 0; p < CO / MR; p++)
    for (int ci = 0; ci < CI; ci++)
      for (int t = 0; t < 9; t++)
        for (int r = 0; r < MR; r++)
          c->ap[((size_t)p * K + ci * 9 + t) * MR + r] = w[((size_t)(p * MR + r) * CI + ci) * 9 + t];
  memset(c->xp, 0, sizeof(float) * XPN);
  *ctx = c;
  return TC_OK;
}

/* Output channels [p MR, p MR + MR) x grid positions [q0, q0 + NT),
   input channels [c0, c0 + CB). */
static inline void tile(const B_ctx *c, int p, int q0, int c0, float *y) {
  const float *a = c->ap + ((size_t)p * K + (size_t)c0 * 9) * MR;
  float *part = c->part + ((size_t)p * NQT + q0 / NT) * MR * NT;
  __m512 acc[MR][NV];
  for (int r = 0; r < MR; r++)
    for (int v = 0; v < NV; v++)
      acc[r][v] = c0 ? _mm512_loadu_ps(part + r * NT + 16 * v) : _mm512_setzero_ps();
  for (int ci = c0; ci < c0 + CB; ci++)
    for (int kh = 0; kh < 3; kh++)
      for (int kw = 0; kw < 3; kw++) {
        const float *bp = c->xp + ((size_t)(ci * S + kh % S) * S + kw % S) * PLANE +
                          (kh / S) * WG + kw / S + q0;
        __m512 b[NV];
        for (int v = 0; v < NV; v++) b[v] = _mm512_loadu_ps(bp + 16 * v);
        for (int r = 0; r < MR; r++) {
          __m512 av = _mm512_set1_ps(a[r]);
          for (int v = 0; v < NV; v++) acc[r][v] = _mm512_fmadd_ps(av, b[v], acc[r][v]);
        }
        a += MR;
      }
  if (c0 + CB < CI) {
    for (int r = 0; r < MR; r++)
      for (int v = 0; v < NV; v++) _mm512_storeu_ps(part + r * NT + 16 * v, acc[r][v]);
    return;
  }
  for (int v = 0; v < NV; v++) {
    int qs = q0 + 16 * v;
    if (qs >= Q) break;
    int h = qs / WG, w = qs % WG;
    __mmask16 m = 0; /* the lanes of real pixels */
    for (int i = 0; i < 16; i++)
      if ((w + i) % WG < OW && qs + i < Q) m |= (__mmask16)(1u << i);
    int at = h * OW + (w < OW ? w : OW); /* the first one's place in y */
    for (int r = 0; r < MR; r++) {
      int co = p * MR + r;
      __m512 o = _mm512_add_ps(acc[r][v], _mm512_set1_ps(c->bias[co]));
      o = _mm512_max_ps(o, _mm512_setzero_ps());
      _mm512_mask_compressstoreu_ps(y + (size_t)co * OH * OW + at, m, o);
    }
  }
}

int B_run(const B_ctx *c, int64_t N, const float *x, float *y) {
  for (int64_t n = 0; n < N; n++) {
    const float *xn = x + n * CI * H * W;
    float *yn = y + n * CO * OH * OW;
    float *xp = c->xp;
#pragma omp parallel
    {
#pragma omp for schedule(static)
      for (int ci = 0; ci < CI; ci++)
        for (int r = 0; r < H; r++) {
          const float *src = xn + ((size_t)ci * H + r) * W;
          int rp = r + 1; /* the padded row */
          float *d = xp + ((size_t)(ci * S + rp % S) * S) * PLANE + (rp / S) * WG;
          if (S == 1) {
            memcpy(d + 1, src, W * sizeof(float));
          } else { /* padded column x + 1: even ones to phase 0, odd to 1 */
            for (int xx = 0; xx < W; xx++) (((xx + 1) % 2) ? d + PLANE : d)[(xx + 1) / 2] = src[xx];
          }
        }
#pragma omp for schedule(static)
      for (int t = 0; t < NQT; t++)
        for (int c0 = 0; c0 < CI; c0 += CB)
          for (int p = 0; p < CO / MR; p++) tile(c, p, t * NT, c0, yn);
    }
  }
  return TC_OK;
}
