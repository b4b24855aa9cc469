/*
 * embed.c: using a kernel tensorc generated, from a C program of your own.
 *
 *   tensorc build examples/mlp.lua -o out
 *   cc -std=c99 -O2 -Iout examples/embed.c out/mlp.c -lm -o embed
 *   ./embed
 *
 * (add -fopenmp to both to run the kernel's parallel loops on several
 * threads).  The program creates the context of examples/mlp.lua with its
 * weights, runs it on a batch, checks every return code, compares a few
 * outputs with a plain C computation of gelu(x @ w^T + b), and shows the
 * generic interface (mlp_info, mlp_shape) and an error being reported.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "mlp.h"

enum { IN = 128, OUT = 256, BATCH = 4 };

/* A small deterministic generator, so that the output is reproducible. */
static float next_value(uint32_t *s) {
  *s = *s * 1664525u + 1013904223u;
  return (float)((*s >> 8) & 0xffff) / 65536.0f - 0.5f;
}

/* gelu(x @ w^T + b) for row r and output column j, in double. */
static double reference(const float *x, const float *w, const float *b, int r,
                        int j) {
  double acc = b[j], g;
  int k;
  for (k = 0; k < IN; k++) acc += (double)x[r * IN + k] * w[j * IN + k];
  g = 0.5 * acc * (1.0 + erf(acc / sqrt(2.0)));
  return g;
}

int main(void) {
  float *w = malloc(sizeof(float) * OUT * IN);
  float *b = malloc(sizeof(float) * OUT);
  float *x = malloc(sizeof(float) * BATCH * IN);
  float *y = malloc(sizeof(float) * BATCH * OUT);
  const tc_kernel_info *info = mlp_info();
  mlp_ctx *ctx = NULL;
  int64_t shape[2], dims[1] = {BATCH};
  uint32_t seed = 42;
  int i, d, rc, status = 0;

  if (!w || !b || !x || !y) {
    fprintf(stderr, "embed: out of memory\n");
    return 1;
  }
  for (i = 0; i < OUT * IN; i++) w[i] = next_value(&seed) * 0.2f;
  for (i = 0; i < OUT; i++) b[i] = next_value(&seed);
  for (i = 0; i < BATCH * IN; i++) x[i] = next_value(&seed);

  /* The kernel describes itself: its name, its dims, its arguments. */
  printf("kernel %s: %d dim(s), %d argument(s)\n", info->name, info->ndims,
         info->nargs);
  for (i = 0; i < info->nargs; i++) {
    rc = mlp_shape(i, dims, shape);
    if (rc != TC_OK) {
      fprintf(stderr, "embed: mlp_shape(%d) returned %d\n", i, rc);
      return 1;
    }
    printf("  %-6s %-2s [", info->args[i].role == TC_WEIGHT  ? "weight"
                            : info->args[i].role == TC_INPUT ? "input"
                                                             : "output",
           info->args[i].name);
    for (d = 0; d < info->args[i].rank; d++)
      printf("%s%lld", d ? ", " : "", (long long)shape[d]);
    printf("]\n");
  }

  /* Weights are handed over once; the context keeps (maybe repacked)
     copies, so the caller's arrays may be freed right after. */
  rc = mlp_create(&ctx, w, b);
  if (rc != TC_OK) {
    fprintf(stderr, "embed: mlp_create returned %d\n", rc);
    return 1;
  }

  rc = mlp_run(ctx, BATCH, x, y);
  if (rc != TC_OK) {
    fprintf(stderr, "embed: mlp_run returned %d\n", rc);
    mlp_destroy(ctx);
    return 1;
  }
  for (i = 0; i < 4; i++) {
    int r = i % BATCH, j = (i * 97) % OUT;
    double want = reference(x, w, b, r, j);
    double got = y[r * OUT + j];
    printf("y[%d][%3d] = %+.6f (plain C: %+.6f)\n", r, j, got, want);
    if (fabs(got - want) > 1e-4 + 1e-4 * fabs(want)) status = 1;
  }

  /* A negative batch size is refused, and nothing is written. */
  rc = mlp_run(ctx, -1, x, y);
  printf("mlp_run with B = -1 returns %d (TC_EINVAL is %d)\n", rc, TC_EINVAL);
  if (rc != TC_EINVAL) status = 1;

  mlp_destroy(ctx);
  free(w);
  free(b);
  free(x);
  free(y);
  printf(status ? "embed: MISMATCH\n" : "embed: ok\n");
  return status;
}
