/*
 * ref.c: the reference interpreter (tcR_ref_run of rt/rt.h), the oracle
 * every compiled kernel is checked against.  It walks a kernel's nodes in
 * id order (a topological order), computes each node's whole value with
 * plain loops, and frees a value after its last use.  Values are held
 * wide (double for floats, int64 for integers and bool) and rounded to the
 * node's dtype when stored; accumulators are double or int64.  It shares
 * no code with passes/ or emit/: its only job is to be obviously right.
 */
#include <assert.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ref_internal.h"

/* A tensor value: `f` for float dtypes, `i` for integers and bool. */
typedef struct ref_val {
  tc_dtype dtype;
  int rank;
  int64_t shape[TC_MAX_RANK];
  int64_t n;
  double *f;
  int64_t *i;
  /* a csr argument: rowptr in i (rows + 1 entries), and nnz columns and
     values (n is 0: the value is not dense) */
  int64_t nnz;
  int64_t *col;
  tcR_scalar *cval;
} ref_val;

typedef struct ref_ctx {
  const tc_kernel *k;
  const int64_t *dims;
  ref_val *vals;   /* one per node */
  int64_t *rvals;  /* current value of each rvar (compute bodies) */
  int64_t ivals[TC_MAX_RANK];
} ref_ctx;

/* ---- values --------------------------------------------------------------- */

static void val_free(ref_val *v) {
  free(v->f);
  free(v->i);
  free(v->col);
  free(v->cval);
  v->f = NULL;
  v->i = NULL;
  v->col = NULL;
  v->cval = NULL;
}

/* Give v dtype t and the shape, and allocate its elements.  TC_EINVAL when
   the count overflows int64, TC_ENOMEM when memory runs out. */
static int val_alloc(ref_val *v, tc_dtype t, int rank, const int64_t *shape) {
  assert(rank >= 0 && rank <= TC_MAX_RANK);
  v->dtype = t;
  v->rank = rank;
  int64_t n = 1;
  for (int d = 0; d < rank; d++) {
    if (shape[d] < 0) return TC_EINVAL;
    if (shape[d] != 0 && n > INT64_MAX / shape[d]) return TC_EINVAL;
    n *= shape[d];
    v->shape[d] = shape[d];
  }
  v->n = n;
  if ((uint64_t)n > SIZE_MAX / 8) return TC_ENOMEM;
  size_t bytes = (size_t)(n ? n : 1) * 8;
  if (tc_dtype_is_float(t))
    v->f = malloc(bytes);
  else
    v->i = malloc(bytes);
  return v->f || v->i ? TC_OK : TC_ENOMEM;
}

static tcR_scalar val_get(const ref_val *v, int64_t o) {
  tcR_scalar s = {0, 0};
  if (v->f)
    s.f = v->f[o];
  else
    s.i = v->i[o];
  return s;
}
static double val_getf(const ref_val *v, int64_t o) {
  return v->f ? v->f[o] : (double)v->i[o];
}
/* Store s, already of v's dtype. */
static void val_set(ref_val *v, int64_t o, tcR_scalar s) {
  if (v->f)
    v->f[o] = s.f;
  else
    v->i[o] = s.i;
}
static void val_setf(ref_val *v, int64_t o, double x) {
  v->f[o] = tcR_ref_round(v->dtype, x);
}

static void row_major_strides(int rank, const int64_t *shape, int64_t *st) {
  int64_t s = 1;
  for (int d = rank - 1; d >= 0; d--) {
    st[d] = s;
    s *= shape[d];
  }
}

static int64_t prod(const int64_t *shape, int lo, int hi) {
  int64_t p = 1;
  for (int d = lo; d < hi; d++) p *= shape[d];
  return p;
}

/* Strides that read `in` (rank irank, row-major) broadcast to oshape
   (NumPy: aligned right, extent 1 repeats).  TC_EINVAL when an extent
   differs and is not 1 (two dims found unequal at run time). */
static int broadcast_strides(int irank, const int64_t *ishape, int orank,
                             const int64_t *oshape, int64_t *st) {
  int64_t ist[TC_MAX_RANK];
  if (irank > orank) return TC_EINVAL;
  row_major_strides(irank, ishape, ist);
  for (int d = 0; d < orank; d++) {
    int id = d - (orank - irank);
    if (id < 0)
      st[d] = 0;
    else if (ishape[id] == oshape[d])
      st[d] = ist[id];
    else if (ishape[id] == 1)
      st[d] = 0;
    else
      return TC_EINVAL;
  }
  return TC_OK;
}

/* ---- an odometer over a shape, tracking offsets into several tensors --- */

#define ODO_MAX 4

typedef struct odo {
  int rank, nops;
  int64_t ext[TC_MAX_RANK], idx[TC_MAX_RANK];
  int64_t st[ODO_MAX][TC_MAX_RANK];
  int64_t off[ODO_MAX];
} odo;

static void odo_init(odo *o, int rank, const int64_t *ext, int nops) {
  memset(o, 0, sizeof *o);
  o->rank = rank;
  o->nops = nops;
  for (int d = 0; d < rank; d++) o->ext[d] = ext[d];
}

/* Advance to the next index in row-major order. */
static void odo_next(odo *o) {
  for (int d = o->rank - 1; d >= 0; d--) {
    o->idx[d]++;
    for (int k = 0; k < o->nops; k++) o->off[k] += o->st[k][d];
    if (o->idx[d] < o->ext[d]) return;
    for (int k = 0; k < o->nops; k++) o->off[k] -= o->st[k][d] * o->ext[d];
    o->idx[d] = 0;
  }
}

/* ---- node evaluation ------------------------------------------------------ */

static int node_shape(ref_ctx *c, const tc_node *nd, int64_t *shape) {
  for (int d = 0; d < nd->rank; d++)
    if (tc_ext_eval(nd->shape[d], c->dims, &shape[d]) != TC_OK) return TC_EINVAL;
  return TC_OK;
}

static int eval_elementwise(ref_ctx *c, const tc_node *nd, ref_val *out) {
  assert(nd->nin >= 1 && nd->nin <= 3);
  odo o;
  odo_init(&o, out->rank, out->shape, nd->nin);
  for (int j = 0; j < nd->nin; j++) {
    const ref_val *in = &c->vals[nd->in[j]];
    if (broadcast_strides(in->rank, in->shape, out->rank, out->shape, o.st[j]))
      return TC_EINVAL;
  }
  tc_dtype ct = c->vals[nd->in[nd->op == TC_OP_WHERE ? 1 : 0]].dtype;
  for (int64_t e = 0; e < out->n; e++, odo_next(&o)) {
    tcR_scalar a[3], r;
    for (int j = 0; j < nd->nin; j++) a[j] = val_get(&c->vals[nd->in[j]], o.off[j]);
    int rc;
    if (nd->op == TC_OP_CAST) {
      r = tcR_ref_convert(ct, a[0], out->dtype);
      rc = TC_OK;
    } else {
      rc = tcR_ref_elementwise(nd->op, ct, out->dtype, a, nd->num, &r);
    }
    if (rc != TC_OK) return rc;
    val_set(out, e, r);
  }
  return TC_OK;
}

/* Reductions: for each output element (the kept axes, in row-major order,
   which is the output's order with or without keepdim), walk the reduced
   axes in row-major order. */
static int eval_reduce(ref_ctx *c, const tc_node *nd, ref_val *out) {
  const ref_val *in = &c->vals[nd->in[0]];
  int red[TC_MAX_RANK] = {0};
  for (int j = 0; j < nd->nints; j++) {
    assert(nd->ints[j] >= 0 && nd->ints[j] < in->rank);
    red[nd->ints[j]] = 1;
  }
  int64_t ist[TC_MAX_RANK], kext[TC_MAX_RANK], rext[TC_MAX_RANK];
  int64_t kst[TC_MAX_RANK], rst[TC_MAX_RANK];
  int nk = 0, nr = 0;
  row_major_strides(in->rank, in->shape, ist);
  for (int d = 0; d < in->rank; d++) {
    if (red[d]) {
      rext[nr] = in->shape[d];
      rst[nr++] = ist[d];
    } else {
      kext[nk] = in->shape[d];
      kst[nk++] = ist[d];
    }
  }
  int64_t rcount = prod(rext, 0, nr);
  int isf = in->f != NULL;
  if (rcount == 0 && (nd->op == TC_OP_MAX || nd->op == TC_OP_MIN ||
                      nd->op == TC_OP_ARGMAX || nd->op == TC_OP_ARGMIN) &&
      out->n > 0)
    return TC_EINVAL;
  odo ko;
  odo_init(&ko, nk, kext, 1);
  memcpy(ko.st[0], kst, sizeof kst);
  for (int64_t e = 0; e < out->n; e++, odo_next(&ko)) {
    odo ro;
    odo_init(&ro, nr, rext, 1);
    memcpy(ro.st[0], rst, sizeof rst);
    double facc = nd->op == TC_OP_PROD ? 1 : 0;
    uint64_t iacc = nd->op == TC_OP_PROD ? 1 : 0;
    tcR_scalar best = {0, 0};
    int64_t besti = 0;
    for (int64_t r = 0; r < rcount; r++, odo_next(&ro)) {
      tcR_scalar v = val_get(in, ko.off[0] + ro.off[0]);
      switch (nd->op) {
      case TC_OP_SUM:
      case TC_OP_MEAN:
        if (isf) facc += v.f; else iacc += (uint64_t)v.i;
        break;
      case TC_OP_PROD:
        if (isf) facc *= v.f; else iacc *= (uint64_t)v.i;
        break;
      case TC_OP_MAX:
      case TC_OP_MIN:
      case TC_OP_ARGMAX:
      case TC_OP_ARGMIN: {
        int want_max = nd->op == TC_OP_MAX || nd->op == TC_OP_ARGMAX;
        int take;
        if (r == 0)
          take = 1;
        else if (isf)
          /* NaN wins and the first NaN stays (NumPy, PyTorch). */
          take = !isnan(best.f) && (isnan(v.f) || (want_max ? v.f > best.f : v.f < best.f));
        else
          take = want_max ? v.i > best.i : v.i < best.i;
        if (take) {
          best = v;
          besti = r;
        }
        break;
      }
      default:
        assert(!"eval_reduce: not a reduction");
      }
    }
    tcR_scalar res = {0, 0};
    switch (nd->op) {
    case TC_OP_SUM:
    case TC_OP_PROD:
      if (isf) res.f = facc; else res.i = (int64_t)iacc;
      res = tcR_ref_convert(isf ? TC_DT_F64 : TC_DT_I64, res, out->dtype);
      break;
    case TC_OP_MEAN:
      res.f = isf ? facc / (double)rcount : (double)(int64_t)iacc / (double)rcount;
      res = tcR_ref_convert(TC_DT_F64, res, out->dtype);
      break;
    case TC_OP_MAX:
    case TC_OP_MIN:
      res = tcR_ref_convert(in->dtype, best, out->dtype);
      break;
    default: /* ARGMAX, ARGMIN: one axis, so r is the index along it */
      res.i = besti;
      res = tcR_ref_convert(TC_DT_I64, res, out->dtype);
      break;
    }
    val_set(out, e, res);
  }
  return TC_OK;
}

/* softmax / log_softmax along nd->axis, stable (the maximum subtracted). */
static int eval_softmax(ref_ctx *c, const tc_node *nd, ref_val *out) {
  const ref_val *in = &c->vals[nd->in[0]];
  int ax = nd->axis;
  assert(ax >= 0 && ax < in->rank);
  int64_t outer = prod(in->shape, 0, ax), len = in->shape[ax];
  int64_t inner = prod(in->shape, ax + 1, in->rank);
  for (int64_t o = 0; o < outer; o++)
    for (int64_t i = 0; i < inner; i++) {
      int64_t base = o * len * inner + i;
      double m = -INFINITY;
      int nan = 0;
      for (int64_t j = 0; j < len; j++) {
        double x = val_getf(in, base + j * inner);
        if (isnan(x)) nan = 1;
        if (x > m) m = x;
      }
      double s = 0;
      for (int64_t j = 0; j < len; j++) s += exp(val_getf(in, base + j * inner) - m);
      for (int64_t j = 0; j < len; j++) {
        double x = val_getf(in, base + j * inner), y;
        if (nd->op == TC_OP_SOFTMAX)
          y = exp(x - m) / s;
        else
          y = x - m - log(s);
        val_setf(out, base + j * inner, nan ? NAN : y);
      }
    }
  return TC_OK;
}

/* layer_norm over the last n axes; rms_norm over the last axis. */
static int eval_norm(ref_ctx *c, const tc_node *nd, ref_val *out) {
  const ref_val *x = &c->vals[nd->in[0]];
  int n, has_gamma, has_beta;
  if (nd->op == TC_OP_LAYER_NORM) {
    assert(nd->nints >= 3);
    n = (int)nd->ints[0];
    has_gamma = (int)nd->ints[1];
    has_beta = (int)nd->ints[2];
  } else {
    assert(nd->nints >= 1);
    n = 1;
    has_gamma = (int)nd->ints[0];
    has_beta = 0;
  }
  assert(n >= 0 && n <= x->rank);
  int64_t g = prod(x->shape, x->rank - n, x->rank);
  int64_t groups = prod(x->shape, 0, x->rank - n);
  const ref_val *gamma = has_gamma ? &c->vals[nd->in[1]] : NULL;
  const ref_val *beta = has_beta ? &c->vals[nd->in[1 + has_gamma]] : NULL;
  if ((gamma && gamma->n != g) || (beta && beta->n != g)) return TC_EINVAL;
  for (int64_t o = 0; o < groups; o++) {
    int64_t base = o * g;
    double mean = 0, var = 0, scale;
    if (nd->op == TC_OP_LAYER_NORM) {
      for (int64_t j = 0; j < g; j++) mean += val_getf(x, base + j);
      mean /= (double)g;
      for (int64_t j = 0; j < g; j++) {
        double d = val_getf(x, base + j) - mean;
        var += d * d;
      }
      var /= (double)g; /* biased, as PyTorch's layer_norm */
      scale = 1 / sqrt(var + nd->num);
    } else {
      double ms = 0;
      for (int64_t j = 0; j < g; j++) {
        double v = val_getf(x, base + j);
        ms += v * v;
      }
      ms /= (double)g;
      scale = 1 / sqrt(ms + nd->num);
    }
    for (int64_t j = 0; j < g; j++) {
      double y = (val_getf(x, base + j) - mean) * scale;
      if (gamma) y *= val_getf(gamma, j);
      if (beta) y += val_getf(beta, j);
      val_setf(out, base + j, y);
    }
  }
  return TC_OK;
}

/* batch_norm, inference form, channel axis 1. */
static int eval_batch_norm(ref_ctx *c, const tc_node *nd, ref_val *out) {
  const ref_val *x = &c->vals[nd->in[0]];
  assert(nd->nints >= 2 && x->rank >= 2);
  int has_gamma = (int)nd->ints[0], has_beta = (int)nd->ints[1];
  const ref_val *mean = &c->vals[nd->in[1]], *var = &c->vals[nd->in[2]];
  const ref_val *gamma = has_gamma ? &c->vals[nd->in[3]] : NULL;
  const ref_val *beta = has_beta ? &c->vals[nd->in[3 + has_gamma]] : NULL;
  int64_t ch = x->shape[1], inner = prod(x->shape, 2, x->rank);
  if (mean->n != ch || var->n != ch || (gamma && gamma->n != ch) ||
      (beta && beta->n != ch))
    return TC_EINVAL;
  for (int64_t o = 0; o < x->shape[0]; o++)
    for (int64_t ci = 0; ci < ch; ci++) {
      double s = 1 / sqrt(val_getf(var, ci) + nd->num), m = val_getf(mean, ci);
      double gm = gamma ? val_getf(gamma, ci) : 1, bt = beta ? val_getf(beta, ci) : 0;
      int64_t base = (o * ch + ci) * inner;
      for (int64_t j = 0; j < inner; j++)
        val_setf(out, base + j, (val_getf(x, base + j) - m) * s * gm + bt);
    }
  return TC_OK;
}

/* Copy through an odometer: out[e] = in[off] (permute, expand, slice). */
static int copy_strided(const ref_val *in, ref_val *out, const int64_t *st,
                        int64_t base) {
  odo o;
  odo_init(&o, out->rank, out->shape, 1);
  memcpy(o.st[0], st, sizeof o.st[0]);
  o.off[0] = base;
  for (int64_t e = 0; e < out->n; e++, odo_next(&o))
    val_set(out, e, tcR_ref_convert(in->dtype, val_get(in, o.off[0]), out->dtype));
  return TC_OK;
}

static int eval_shape_op(ref_ctx *c, const tc_node *nd, ref_val *out) {
  const ref_val *in = &c->vals[nd->in[0]];
  int64_t ist[TC_MAX_RANK], st[TC_MAX_RANK] = {0};
  row_major_strides(in->rank, in->shape, ist);
  switch (nd->op) {
  case TC_OP_RESHAPE:
    if (in->n != out->n) return TC_EINVAL; /* a failed TC_CHECK_DIVISIBLE */
    for (int64_t e = 0; e < out->n; e++)
      val_set(out, e, tcR_ref_convert(in->dtype, val_get(in, e), out->dtype));
    return TC_OK;
  case TC_OP_PERMUTE:
    assert(nd->nints == out->rank && out->rank == in->rank);
    for (int d = 0; d < out->rank; d++) {
      int64_t a = nd->ints[d];
      assert(a >= 0 && a < in->rank);
      if (in->shape[a] != out->shape[d]) return TC_EINVAL;
      st[d] = ist[a];
    }
    return copy_strided(in, out, st, 0);
  case TC_OP_EXPAND:
    if (broadcast_strides(in->rank, in->shape, out->rank, out->shape, st))
      return TC_EINVAL;
    return copy_strided(in, out, st, 0);
  case TC_OP_SLICE: {
    int ax = nd->axis;
    assert(ax >= 0 && ax < in->rank && in->rank == out->rank && nd->nints >= 1);
    int64_t start, step = nd->ints[0];
    assert(step >= 1);
    if (tc_ext_eval(nd->exts[0], c->dims, &start) != TC_OK) return TC_EINVAL;
    for (int d = 0; d < in->rank; d++) {
      if (d != ax && in->shape[d] != out->shape[d]) return TC_EINVAL;
      st[d] = ist[d];
    }
    int64_t cnt = out->shape[ax];
    if (start > in->shape[ax] ||
        (cnt > 0 && (start + (cnt - 1) * step >= in->shape[ax])))
      return TC_EINVAL; /* cannot happen when the constructor is right */
    st[ax] = ist[ax] * step;
    return copy_strided(in, out, st, start * ist[ax]);
  }
  default:
    assert(!"eval_shape_op");
    return TC_EINVAL;
  }
}

static int eval_concat(ref_ctx *c, const tc_node *nd, ref_val *out) {
  int ax = nd->axis;
  assert(ax >= 0 && ax < out->rank);
  int64_t outer = prod(out->shape, 0, ax), inner = prod(out->shape, ax + 1, out->rank);
  int64_t olen = out->shape[ax], at = 0;
  for (int j = 0; j < nd->nin; j++) {
    const ref_val *in = &c->vals[nd->in[j]];
    if (in->rank != out->rank) return TC_EINVAL;
    for (int d = 0; d < out->rank; d++)
      if (d != ax && in->shape[d] != out->shape[d]) return TC_EINVAL;
    int64_t len = in->shape[ax];
    if (at + len > olen) return TC_EINVAL;
    for (int64_t o = 0; o < outer; o++)
      for (int64_t e = 0; e < len * inner; e++)
        val_set(out, (o * olen + at) * inner + e,
                tcR_ref_convert(in->dtype, val_get(in, o * len * inner + e), out->dtype));
    at += len;
  }
  return at == olen ? TC_OK : TC_EINVAL;
}

static int eval_pad(ref_ctx *c, const tc_node *nd, ref_val *out) {
  const ref_val *in = &c->vals[nd->in[0]];
  assert(nd->nints == 2 * in->rank && in->rank == out->rank);
  int64_t ist[TC_MAX_RANK];
  row_major_strides(in->rank, in->shape, ist);
  for (int d = 0; d < in->rank; d++)
    if (in->shape[d] + nd->ints[2 * d] + nd->ints[2 * d + 1] != out->shape[d])
      return TC_EINVAL;
  tcR_scalar fill = {0, 0};
  if (out->f) fill.f = tcR_ref_round(out->dtype, nd->num);
  else fill.i = tcR_ref_wrap(out->dtype, nd->inum);
  odo o;
  odo_init(&o, out->rank, out->shape, 0);
  for (int64_t e = 0; e < out->n; e++, odo_next(&o)) {
    int64_t off = 0;
    int inside = 1;
    for (int d = 0; d < out->rank && inside; d++) {
      int64_t i = o.idx[d] - nd->ints[2 * d];
      if (i < 0 || i >= in->shape[d]) inside = 0;
      off += i * ist[d];
    }
    val_set(out, e, inside ? tcR_ref_convert(in->dtype, val_get(in, off), out->dtype) : fill);
  }
  return TC_OK;
}

/* matmul: a [..., M, K] x b [..., K, N], batch dims broadcast. */
static int eval_matmul(ref_ctx *c, const tc_node *nd, ref_val *out) {
  const ref_val *a = &c->vals[nd->in[0]], *b = &c->vals[nd->in[1]];
  assert(a->rank >= 2 && b->rank >= 2 && out->rank >= 2);
  int64_t m = a->shape[a->rank - 2], k = a->shape[a->rank - 1];
  int64_t n = b->shape[b->rank - 1];
  if (b->shape[b->rank - 2] != k || out->shape[out->rank - 2] != m ||
      out->shape[out->rank - 1] != n)
    return TC_EINVAL;
  int br = out->rank - 2;
  odo o;
  odo_init(&o, br, out->shape, 2);
  if (broadcast_strides(a->rank - 2, a->shape, br, out->shape, o.st[0]) ||
      broadcast_strides(b->rank - 2, b->shape, br, out->shape, o.st[1]))
    return TC_EINVAL;
  int64_t batches = prod(out->shape, 0, br);
  int isf = out->f != NULL;
  for (int64_t bi = 0; bi < batches; bi++, odo_next(&o)) {
    int64_t ab = o.off[0] * m * k, bb = o.off[1] * k * n, ob = bi * m * n;
    for (int64_t i = 0; i < m; i++)
      for (int64_t j = 0; j < n; j++) {
        double facc = 0;
        uint64_t iacc = 0;
        for (int64_t p = 0; p < k; p++) {
          tcR_scalar x = val_get(a, ab + i * k + p), y = val_get(b, bb + p * n + j);
          if (isf) facc += x.f * y.f;
          else iacc += (uint64_t)x.i * (uint64_t)y.i;
        }
        tcR_scalar r = {facc, (int64_t)iacc};
        val_set(out, ob + i * n + j,
                tcR_ref_convert(isf ? TC_DT_F64 : TC_DT_I64, r, out->dtype));
      }
  }
  return TC_OK;
}

/* linear: x [..., IN] . w[OUT, IN]^T (+ b[OUT]). */
static int eval_linear(ref_ctx *c, const tc_node *nd, ref_val *out) {
  const ref_val *x = &c->vals[nd->in[0]], *w = &c->vals[nd->in[1]];
  int has_bias = nd->nints >= 1 && nd->ints[0];
  const ref_val *b = has_bias ? &c->vals[nd->in[2]] : NULL;
  assert(x->rank >= 1 && w->rank == 2);
  int64_t in_f = x->shape[x->rank - 1], out_f = w->shape[0];
  if (w->shape[1] != in_f || (b && b->n != out_f) ||
      out->shape[out->rank - 1] != out_f)
    return TC_EINVAL;
  int64_t rows = prod(x->shape, 0, x->rank - 1);
  int isf = out->f != NULL;
  for (int64_t r = 0; r < rows; r++)
    for (int64_t o = 0; o < out_f; o++) {
      double facc = 0;
      uint64_t iacc = 0;
      for (int64_t p = 0; p < in_f; p++) {
        tcR_scalar u = val_get(x, r * in_f + p), v = val_get(w, o * in_f + p);
        if (isf) facc += u.f * v.f;
        else iacc += (uint64_t)u.i * (uint64_t)v.i;
      }
      if (b) {
        tcR_scalar v = val_get(b, o);
        if (isf) facc += v.f;
        else iacc += (uint64_t)v.i;
      }
      tcR_scalar res = {facc, (int64_t)iacc};
      val_set(out, r * out_f + o,
              tcR_ref_convert(isf ? TC_DT_F64 : TC_DT_I64, res, out->dtype));
    }
  return TC_OK;
}

/* einsum, explicit form "ab,bc->ac": every letter is a loop; letters not
   in the output are summed.  A letter repeated in one operand (a
   diagonal) adds its strides. */
static int eval_einsum(ref_ctx *c, const tc_node *nd, ref_val *out) {
  const char *s = nd->str;
  const char *arrow = strstr(s, "->");
  assert(arrow);
  int letter_of[128];
  for (int j = 0; j < 128; j++) letter_of[j] = -1;
  int nl = 0;
  int64_t ext[52];
  const char *oss = arrow + 2;
  int nout = (int)strlen(oss);
  if (nout != out->rank) return TC_EINVAL;
  /* Output letters first, so the odometer's first axes are the output's. */
  for (int d = 0; d < nout; d++) {
    int ch = (unsigned char)oss[d];
    assert(ch < 128 && letter_of[ch] < 0);
    letter_of[ch] = nl;
    ext[nl++] = out->shape[d];
  }
  int nops = nd->nin;
  int64_t (*st)[52] = calloc((size_t)(nops ? nops : 1), sizeof *st);
  if (!st) return TC_ENOMEM;
  const char *p = s;
  int rc = TC_OK;
  for (int j = 0; j < nops && rc == TC_OK; j++) {
    const ref_val *in = &c->vals[nd->in[j]];
    int64_t ist[TC_MAX_RANK];
    row_major_strides(in->rank, in->shape, ist);
    int d = 0;
    for (; *p && *p != ',' && p != arrow; p++, d++) {
      int ch = (unsigned char)*p;
      assert(ch < 128);
      if (d >= in->rank) { rc = TC_EINVAL; break; }
      if (letter_of[ch] < 0) {
        assert(nl < 52);
        letter_of[ch] = nl;
        ext[nl++] = in->shape[d];
      } else if (ext[letter_of[ch]] != in->shape[d]) {
        rc = TC_EINVAL;
        break;
      }
      st[j][letter_of[ch]] += ist[d];
    }
    if (rc == TC_OK && d != in->rank) rc = TC_EINVAL;
    if (*p == ',') p++;
  }
  if (rc != TC_OK) {
    free(st);
    return rc;
  }
  int64_t sum_count = prod(ext, nout, nl);
  int isf = out->f != NULL;
  int64_t idx[52];
  for (int64_t e = 0; e < out->n; e++) {
    /* The output letters' indices from e. */
    int64_t rem = e;
    for (int d = nout - 1; d >= 0; d--) {
      idx[d] = rem % ext[d];
      rem /= ext[d];
    }
    for (int l = nout; l < nl; l++) idx[l] = 0;
    double facc = 0;
    uint64_t iacc = 0;
    for (int64_t r = 0; r < sum_count; r++) {
      double fp = 1;
      uint64_t ip = 1;
      for (int j = 0; j < nops; j++) {
        int64_t off = 0;
        for (int l = 0; l < nl; l++) off += idx[l] * st[j][l];
        const ref_val *in = &c->vals[nd->in[j]];
        if (isf) fp *= val_getf(in, off); /* an integer operand is promoted */
        else ip *= (uint64_t)in->i[off];
      }
      facc += fp;
      iacc += ip;
      for (int l = nl - 1; l >= nout; l--) { /* next summed index */
        if (++idx[l] < ext[l]) break;
        idx[l] = 0;
      }
    }
    tcR_scalar res = {facc, (int64_t)iacc};
    val_set(out, e, tcR_ref_convert(isf ? TC_DT_F64 : TC_DT_I64, res, out->dtype));
  }
  free(st);
  return TC_OK;
}

/* ---- compute bodies --------------------------------------------------------- */

static int sx_eval(ref_ctx *c, const tc_sexpr *e, tcR_scalar *out);

static int sx_reduce(ref_ctx *c, const tc_sexpr *e, tcR_scalar *out) {
  int64_t n;
  if (tc_ext_eval(e->ext, c->dims, &n) != TC_OK) return TC_EINVAL;
  if (n == 0 && (e->red == TC_OP_MAX || e->red == TC_OP_MIN)) return TC_EINVAL;
  const tc_sexpr *body = e->args[0];
  int isf = tc_dtype_is_float(body->dtype);
  int64_t saved = c->rvals[e->var]; /* a sibling or outer use of the rvar */
  double facc = e->red == TC_OP_PROD ? 1 : 0;
  uint64_t iacc = e->red == TC_OP_PROD ? 1 : 0;
  tcR_scalar best = {0, 0};
  int rc = TC_OK;
  for (int64_t v = 0; v < n; v++) {
    c->rvals[e->var] = v;
    tcR_scalar x;
    if ((rc = sx_eval(c, body, &x)) != TC_OK) break;
    switch (e->red) {
    case TC_OP_SUM: if (isf) facc += x.f; else iacc += (uint64_t)x.i; break;
    case TC_OP_PROD: if (isf) facc *= x.f; else iacc *= (uint64_t)x.i; break;
    case TC_OP_MAX:
    case TC_OP_MIN: {
      int mx = e->red == TC_OP_MAX, take;
      if (v == 0) take = 1;
      else if (isf) take = !isnan(best.f) && (isnan(x.f) || (mx ? x.f > best.f : x.f < best.f));
      else take = mx ? x.i > best.i : x.i < best.i;
      if (take) best = x;
      break;
    }
    default:
      assert(!"sx_reduce: bad reduction");
    }
  }
  c->rvals[e->var] = saved;
  if (rc != TC_OK) return rc;
  tcR_scalar r = {facc, (int64_t)iacc};
  if (e->red == TC_OP_MAX || e->red == TC_OP_MIN)
    *out = tcR_ref_convert(body->dtype, best, e->dtype);
  else
    *out = tcR_ref_convert(isf ? TC_DT_F64 : TC_DT_I64, r, e->dtype);
  return TC_OK;
}

static int sx_load(ref_ctx *c, const tc_sexpr *e, tcR_scalar *out) {
  assert(e->ref >= 0 && e->ref < c->k->nodes.len);
  const ref_val *v = &c->vals[e->ref];
  assert(v->f || v->i);
  if (e->nargs != v->rank) return TC_EINVAL;
  int64_t off = 0;
  for (int d = 0; d < v->rank; d++) {
    tcR_scalar ix;
    int rc = sx_eval(c, e->args[d], &ix);
    if (rc != TC_OK) return rc;
    if (ix.i < 0 || ix.i >= v->shape[d]) return TC_EINDEX;
    off = off * v->shape[d] + ix.i;
  }
  *out = tcR_ref_convert(v->dtype, val_get(v, off), e->dtype);
  return TC_OK;
}

/* Evaluate a scalar expression at the current ivar/rvar values; the value
   is rounded to e->dtype. */
static int sx_eval(ref_ctx *c, const tc_sexpr *e, tcR_scalar *out) {
  tcR_scalar a[3] = {{0, 0}, {0, 0}, {0, 0}};
  int rc;
  switch (e->op) {
  case TC_OP_CONST:
    if (tc_dtype_is_float(e->dtype)) out->f = tcR_ref_round(e->dtype, e->num);
    else out->i = tcR_ref_wrap(e->dtype, e->inum);
    return TC_OK;
  case TC_OP_IVAR:
    assert(e->var >= 0 && e->var < TC_MAX_RANK);
    out->i = c->ivals[e->var];
    return TC_OK;
  case TC_OP_RVAR:
    assert(e->var >= 0 && e->var < c->k->rvars.len);
    out->i = c->rvals[e->var];
    return TC_OK;
  case TC_OP_EXTENT:
    return tc_ext_eval(e->ext, c->dims, &out->i) == TC_OK ? TC_OK : TC_EINVAL;
  case TC_OP_LOAD:
    return sx_load(c, e, out);
  case TC_OP_REDUCE:
    return sx_reduce(c, e, out);
  case TC_OP_CAST:
    if ((rc = sx_eval(c, e->args[0], &a[0])) != TC_OK) return rc;
    *out = tcR_ref_convert(e->args[0]->dtype, a[0], e->dtype);
    return TC_OK;
  case TC_OP_WHERE: {
    /* Lazy: the branch not selected is never evaluated, so its loads
       never happen (this is how padding is written). */
    if ((rc = sx_eval(c, e->args[0], &a[0])) != TC_OK) return rc;
    const tc_sexpr *br = a[0].i ? e->args[1] : e->args[2];
    if ((rc = sx_eval(c, br, &a[1])) != TC_OK) return rc;
    *out = tcR_ref_convert(br->dtype, a[1], e->dtype);
    return TC_OK;
  }
  default:
    assert(tc_op_is_elementwise(e->op) && e->nargs <= 3);
    for (int j = 0; j < e->nargs; j++)
      if ((rc = sx_eval(c, e->args[j], &a[j])) != TC_OK) return rc;
    return tcR_ref_elementwise(e->op, e->args[0]->dtype, e->dtype, a, e->num, out);
  }
}

static int eval_compute(ref_ctx *c, const tc_node *nd, ref_val *out) {
  odo o;
  odo_init(&o, out->rank, out->shape, 0);
  for (int64_t e = 0; e < out->n; e++, odo_next(&o)) {
    for (int d = 0; d < out->rank; d++) c->ivals[d] = o.idx[d];
    tcR_scalar v;
    int rc = sx_eval(c, nd->body, &v);
    if (rc != TC_OK) return rc;
    val_set(out, e, tcR_ref_convert(nd->body->dtype, v, out->dtype));
  }
  return TC_OK;
}

/* ---- arguments ------------------------------------------------------------------ */

/* The first slot of argument a in the generic array of its role: a csr
   argument takes 2 or 3 consecutive slots (rowptr, col [, val]). */
static int arg_slot(const tc_kernel *k, int a) {
  int pos = 0;
  for (int j = 0; j < a; j++) {
    const tc_arg *x = &k->args.data[j];
    if (x->role == k->args.data[a].role) pos += x->csr ? 2 + (x->has_values != 0) : 1;
  }
  return pos;
}

/* Read element e of a buffer of dtype t. */
static tcR_scalar buf_get(const void *p, tc_dtype t, int64_t e) {
  tcR_scalar s = {0, 0};
  switch (t) {
  case TC_DT_F32: s.f = ((const float *)p)[e]; break;
  case TC_DT_F64: s.f = ((const double *)p)[e]; break;
  case TC_DT_BF16: s.f = tc_bf16_to_f32(((const uint16_t *)p)[e]); break;
  case TC_DT_I8: s.i = ((const int8_t *)p)[e]; break;
  case TC_DT_U8: s.i = ((const uint8_t *)p)[e]; break;
  case TC_DT_I32: s.i = ((const int32_t *)p)[e]; break;
  case TC_DT_I64: s.i = ((const int64_t *)p)[e]; break;
  case TC_DT_BOOL: s.i = ((const uint8_t *)p)[e] != 0; break;
  default: assert(!"buf_get: bad dtype");
  }
  return s;
}

/* Write s (already of dtype t) as element e of a buffer of dtype t. */
static void buf_set(void *p, tc_dtype t, int64_t e, tcR_scalar s) {
  switch (t) {
  case TC_DT_F32: ((float *)p)[e] = (float)s.f; break;
  case TC_DT_F64: ((double *)p)[e] = s.f; break;
  case TC_DT_BF16: ((uint16_t *)p)[e] = tc_bf16_from_f32((float)s.f); break;
  case TC_DT_I8: ((int8_t *)p)[e] = (int8_t)s.i; break;
  case TC_DT_U8: ((uint8_t *)p)[e] = (uint8_t)s.i; break;
  case TC_DT_I32: ((int32_t *)p)[e] = (int32_t)s.i; break;
  case TC_DT_I64: ((int64_t *)p)[e] = s.i; break;
  case TC_DT_BOOL: ((uint8_t *)p)[e] = s.i != 0; break;
  default: assert(!"buf_set: bad dtype");
  }
}

static int eval_arg(ref_ctx *c, const tc_node *nd, ref_val *out,
                    const void *const *weights, const void *const *inputs) {
  assert(nd->arg >= 0 && nd->arg < c->k->args.len);
  const tc_arg *a = &c->k->args.data[nd->arg];
  int pos = arg_slot(c->k, nd->arg);
  const void *p = a->role == TC_ROLE_WEIGHT ? (weights ? weights[pos] : NULL)
                                            : (inputs ? inputs[pos] : NULL);
  if (out->n > 0 && !p) return TC_EINVAL;
  for (int64_t e = 0; e < out->n; e++)
    val_set(out, e, tcR_ref_convert(a->dtype, buf_get(p, a->dtype, e), out->dtype));
  return TC_OK;
}

/* ---- convolution and pooling ------------------------------------------------ */

/* conv2d, NCHW or NHWC (graph.h's CONV2D), by the definition: every output
   element sums its window over the input channels of its group. */
static int eval_conv2d(ref_ctx *c, const tc_node *nd, ref_val *out) {
  const ref_val *x = &c->vals[nd->in[0]], *w = &c->vals[nd->in[1]];
  const int64_t *a = nd->ints;
  assert(nd->nints == 9 && x->rank == 4 && w->rank == 4 && out->rank == 4);
  const ref_val *b = a[8] ? &c->vals[nd->in[2]] : NULL;
  int nhwc = a[7] != 0;
  int64_t sh = a[0], sw = a[1], ph = a[2], pw = a[3], dh = a[4], dw = a[5], groups = a[6];
  int64_t N = x->shape[0], C = x->shape[nhwc ? 3 : 1], H = x->shape[nhwc ? 1 : 2],
          W = x->shape[nhwc ? 2 : 3];
  int64_t Co = w->shape[nhwc ? 3 : 0], Cg = w->shape[nhwc ? 2 : 1],
          KH = w->shape[nhwc ? 0 : 2], KW = w->shape[nhwc ? 1 : 3];
  int64_t Ho = out->shape[nhwc ? 1 : 2], Wo = out->shape[nhwc ? 2 : 3];
  if (groups < 1 || C % groups || Co % groups || Cg * groups != C ||
      out->shape[nhwc ? 3 : 1] != Co || out->shape[0] != N || (b && b->n != Co))
    return TC_EINVAL; /* the constructor's checks make these impossible */
  int isf = out->f != NULL;
  int64_t per = Co / groups;
  for (int64_t n = 0; n < N; n++)
    for (int64_t co = 0; co < Co; co++)
      for (int64_t oh = 0; oh < Ho; oh++)
        for (int64_t ow = 0; ow < Wo; ow++) {
          double facc = 0;
          uint64_t iacc = 0;
          int64_t g = co / per;
          for (int64_t ci = 0; ci < Cg; ci++)
            for (int64_t kh = 0; kh < KH; kh++) {
              int64_t ih = oh * sh - ph + kh * dh;
              if (ih < 0 || ih >= H) continue; /* zero padding */
              for (int64_t kw = 0; kw < KW; kw++) {
                int64_t iw = ow * sw - pw + kw * dw;
                if (iw < 0 || iw >= W) continue;
                int64_t cin = g * Cg + ci;
                int64_t xo = nhwc ? ((n * H + ih) * W + iw) * C + cin
                                  : ((n * C + cin) * H + ih) * W + iw;
                int64_t wo = nhwc ? ((kh * KW + kw) * Cg + ci) * Co + co
                                  : ((co * Cg + ci) * KH + kh) * KW + kw;
                tcR_scalar u = val_get(x, xo), v = val_get(w, wo);
                if (isf) facc += u.f * v.f;
                else iacc += (uint64_t)u.i * (uint64_t)v.i;
              }
            }
          if (b) {
            tcR_scalar v = val_get(b, co);
            if (isf) facc += v.f;
            else iacc += (uint64_t)v.i;
          }
          int64_t oo = nhwc ? ((n * Ho + oh) * Wo + ow) * Co + co
                            : ((n * Co + co) * Ho + oh) * Wo + ow;
          tcR_scalar r = {facc, (int64_t)iacc};
          val_set(out, oo, tcR_ref_convert(isf ? TC_DT_F64 : TC_DT_I64, r, out->dtype));
        }
  return TC_OK;
}

/* max_pool2d and avg_pool2d, NCHW: max over the window's elements inside
   the input (padding never wins; NaN does), avg = the window's sum over
   kh*kw (padding counted as zeros). */
static int eval_pool(ref_ctx *c, const tc_node *nd, ref_val *out) {
  const ref_val *x = &c->vals[nd->in[0]];
  const int64_t *a = nd->ints;
  assert(nd->nints == 6 && x->rank == 4 && out->rank == 4);
  int64_t KH = a[0], KW = a[1], sh = a[2], sw = a[3], ph = a[4], pw = a[5];
  int64_t NC = x->shape[0] * x->shape[1], H = x->shape[2], W = x->shape[3];
  int64_t Ho = out->shape[2], Wo = out->shape[3];
  int isf = x->f != NULL, is_max = nd->op == TC_OP_MAX_POOL2D;
  for (int64_t p = 0; p < NC; p++)
    for (int64_t oh = 0; oh < Ho; oh++)
      for (int64_t ow = 0; ow < Wo; ow++) {
        double sum = 0;
        tcR_scalar best = {0, 0};
        int any = 0;
        for (int64_t kh = 0; kh < KH; kh++) {
          int64_t ih = oh * sh - ph + kh;
          if (ih < 0 || ih >= H) continue;
          for (int64_t kw = 0; kw < KW; kw++) {
            int64_t iw = ow * sw - pw + kw;
            if (iw < 0 || iw >= W) continue;
            tcR_scalar v = val_get(x, (p * H + ih) * W + iw);
            if (!is_max) {
              sum += isf ? v.f : (double)v.i;
            } else if (!any) {
              best = v;
            } else if (isf) {
              if (!isnan(best.f) && (isnan(v.f) || v.f > best.f)) best = v;
            } else if (v.i > best.i) {
              best = v;
            }
            any = 1;
          }
        }
        int64_t oo = (p * Ho + oh) * Wo + ow;
        if (is_max) {
          if (!any) return TC_EINVAL; /* a window of padding only: excluded by
                                         the constructor (pad <= kernel/2) */
          val_set(out, oo, best);
        } else {
          val_setf(out, oo, sum / (double)(KH * KW));
        }
      }
  return TC_OK;
}

/* ---- sparse ------------------------------------------------------------------ */

/* A csr argument: rowptr (validated: rowptr[0] == 0, never decreasing),
   col (every one in [0, cols)) and val (1 for a pattern-only matrix),
   copied wide.  rowptr goes in out->i, col in out->col, val in out->cval;
   nnz is rowptr[rows]. */
static int eval_csr(ref_ctx *c, const tc_node *nd, ref_val *out,
                    const void *const *inputs) {
  const tc_arg *a = &c->k->args.data[nd->arg];
  assert(a->csr);
  int slot = arg_slot(c->k, nd->arg);
  int64_t rows, cols;
  if (tc_ext_eval(nd->shape[0], c->dims, &rows) != TC_OK ||
      tc_ext_eval(nd->shape[1], c->dims, &cols) != TC_OK)
    return TC_EINVAL;
  const void *rp = inputs ? inputs[slot] : NULL;
  const void *cp = inputs ? inputs[slot + 1] : NULL;
  const void *vp = inputs && a->has_values ? inputs[slot + 2] : NULL;
  if (!rp) return TC_EINVAL; /* rowptr has rows + 1 >= 1 entries */
  out->dtype = nd->dtype;
  out->rank = 2;
  out->shape[0] = rows;
  out->shape[1] = cols;
  out->n = 0;
  if ((uint64_t)rows >= SIZE_MAX / 8) return TC_ENOMEM;
  out->i = malloc((size_t)(rows + 1) * sizeof *out->i);
  if (!out->i) return TC_ENOMEM;
  for (int64_t r = 0; r <= rows; r++) {
    out->i[r] = buf_get(rp, a->index_dtype, r).i;
    if (r == 0 ? out->i[0] != 0 : out->i[r] < out->i[r - 1]) return TC_EINDEX;
  }
  int64_t nnz = out->i[rows];
  out->nnz = nnz;
  if (nnz > 0 && (!cp || (a->has_values && !vp))) return TC_EINVAL;
  if ((uint64_t)nnz >= SIZE_MAX / sizeof(tcR_scalar)) return TC_ENOMEM;
  out->col = malloc((size_t)(nnz ? nnz : 1) * sizeof *out->col);
  out->cval = malloc((size_t)(nnz ? nnz : 1) * sizeof *out->cval);
  if (!out->col || !out->cval) return TC_ENOMEM;
  tcR_scalar one = {1, 1};
  for (int64_t p = 0; p < nnz; p++) {
    out->col[p] = buf_get(cp, a->index_dtype, p).i;
    if (out->col[p] < 0 || out->col[p] >= cols) return TC_EINDEX;
    out->cval[p] = vp ? buf_get(vp, a->dtype, p) : tcR_ref_convert(TC_DT_I64, one, a->dtype);
  }
  return TC_OK;
}

/* spmm: for each row, the reduction over its entries of val * x[col, :];
   a row without entries gives 0. */
static int eval_spmm(ref_ctx *c, const tc_node *nd, ref_val *out) {
  const ref_val *a = &c->vals[nd->in[0]], *x = &c->vals[nd->in[1]];
  assert(a->col && a->cval && x->rank == 2 && nd->nints == 1);
  tc_op red = (tc_op)nd->ints[0];
  int64_t rows = a->shape[0], F = x->shape[1];
  if (x->shape[0] != a->shape[1] || out->shape[0] != rows || out->shape[1] != F)
    return TC_EINVAL;
  int isf = out->f != NULL;
  for (int64_t r = 0; r < rows; r++)
    for (int64_t f = 0; f < F; f++) {
      int64_t lo = a->i[r], hi = a->i[r + 1];
      double facc = 0;
      uint64_t iacc = 0;
      tcR_scalar best = {0, 0};
      for (int64_t p = lo; p < hi; p++) {
        tcR_scalar av = tcR_ref_convert(a->dtype, a->cval[p], out->dtype);
        tcR_scalar xv = val_get(x, a->col[p] * F + f), v = {0, 0};
        if (isf) v.f = tcR_ref_round(out->dtype, av.f * xv.f);
        else v.i = tcR_ref_wrap(out->dtype, (int64_t)((uint64_t)av.i * (uint64_t)xv.i));
        if (red == TC_OP_SUM || red == TC_OP_MEAN) {
          if (isf) facc += v.f;
          else iacc += (uint64_t)v.i;
        } else if (p == lo) {
          best = v;
        } else if (isf) {
          if (!isnan(best.f) && (isnan(v.f) || (red == TC_OP_MAX ? v.f > best.f : v.f < best.f)))
            best = v;
        } else if (red == TC_OP_MAX ? v.i > best.i : v.i < best.i) {
          best = v;
        }
      }
      tcR_scalar res = {0, 0};
      if (hi == lo) {
        /* no entries: 0 */
      } else if (red == TC_OP_SUM) {
        res.f = facc;
        res.i = (int64_t)iacc;
        res = tcR_ref_convert(isf ? TC_DT_F64 : TC_DT_I64, res, out->dtype);
      } else if (red == TC_OP_MEAN) {
        assert(isf);
        res.f = tcR_ref_round(out->dtype, facc / (double)(hi - lo));
      } else {
        res = best;
      }
      val_set(out, r * F + f, res);
    }
  return TC_OK;
}

/* ---- indexing ------------------------------------------------------------------ */

/* gather (torch.gather) and index_select: an index outside [0, extent) is
   TC_EINDEX. */
static int eval_gather(ref_ctx *c, const tc_node *nd, ref_val *out) {
  const ref_val *x = &c->vals[nd->in[0]], *ix = &c->vals[nd->in[1]];
  int ax = nd->axis;
  assert(ax >= 0 && ax < x->rank && out->rank == x->rank);
  int64_t xst[TC_MAX_RANK];
  row_major_strides(x->rank, x->shape, xst);
  for (int d = 0; d < x->rank; d++)
    if (d != ax && out->shape[d] > x->shape[d]) return TC_EINVAL;
  odo o;
  odo_init(&o, out->rank, out->shape, 0);
  for (int64_t e = 0; e < out->n; e++, odo_next(&o)) {
    int64_t j = nd->op == TC_OP_GATHER ? ix->i[e] : ix->i[o.idx[ax]];
    if (j < 0 || j >= x->shape[ax]) return TC_EINDEX;
    int64_t off = 0;
    for (int d = 0; d < x->rank; d++) off += (d == ax ? j : o.idx[d]) * xst[d];
    val_set(out, e, val_get(x, off));
  }
  return TC_OK;
}

/* scatter: out[.., j, ..] reduces the slices src[.., s, ..] with index[s]
   == j; entries no index names are 0. */
static int eval_scatter(ref_ctx *c, const tc_node *nd, ref_val *out) {
  const ref_val *src = &c->vals[nd->in[0]], *ix = &c->vals[nd->in[1]];
  int ax = nd->axis;
  tc_op red = (tc_op)nd->ints[0];
  assert(ax >= 0 && ax < src->rank && out->rank == src->rank);
  int64_t L = src->shape[ax], S = out->shape[ax];
  if (ix->n != L) return TC_EINVAL;
  int64_t outer = prod(src->shape, 0, ax), inner = prod(src->shape, ax + 1, src->rank);
  for (int64_t s = 0; s < L; s++)
    if (ix->i[s] < 0 || ix->i[s] >= S) return TC_EINDEX;
  int isf = out->f != NULL;
  int64_t *count = calloc((size_t)(S ? S : 1), sizeof *count);
  double *facc = calloc((size_t)(out->n ? out->n : 1), sizeof *facc);
  uint64_t *iacc = calloc((size_t)(out->n ? out->n : 1), sizeof *iacc);
  if (!count || !facc || !iacc) {
    free(count);
    free(facc);
    free(iacc);
    return TC_ENOMEM;
  }
  for (int64_t s = 0; s < L; s++) count[ix->i[s]]++;
  for (int64_t e = 0; e < out->n; e++) val_set(out, e, (tcR_scalar){0, 0});
  /* first[j]: slice j has not been reduced into yet (max and min start
     from the first value, as the reduction over the named slices does) */
  char *first = calloc((size_t)(S ? S : 1), 1);
  if (!first) {
    free(count);
    free(facc);
    free(iacc);
    return TC_ENOMEM;
  }
  memset(first, 1, (size_t)S);
  for (int64_t s = 0; s < L; s++) {
    int64_t j = ix->i[s];
    for (int64_t o = 0; o < outer; o++)
      for (int64_t i = 0; i < inner; i++) {
        int64_t so = (o * L + s) * inner + i, oo = (o * S + j) * inner + i;
        tcR_scalar v = val_get(src, so);
        if (red == TC_OP_SUM || red == TC_OP_MEAN) {
          if (isf) facc[oo] += v.f;
          else iacc[oo] += (uint64_t)v.i;
          continue;
        }
        tcR_scalar best = val_get(out, oo);
        int take;
        if (first[j]) take = 1;
        else if (isf) take = !isnan(best.f) && (isnan(v.f) || (red == TC_OP_MAX ? v.f > best.f : v.f < best.f));
        else take = red == TC_OP_MAX ? v.i > best.i : v.i < best.i;
        if (take) val_set(out, oo, v);
      }
    first[j] = 0;
  }
  if (red == TC_OP_SUM || red == TC_OP_MEAN)
    for (int64_t o = 0; o < outer; o++)
      for (int64_t j = 0; j < S; j++)
        for (int64_t i = 0; i < inner; i++) {
          int64_t oo = (o * S + j) * inner + i;
          tcR_scalar r = {facc[oo], (int64_t)iacc[oo]};
          if (red == TC_OP_MEAN) {
            assert(isf);
            r.f = count[j] ? facc[oo] / (double)count[j] : 0;
          }
          val_set(out, oo, tcR_ref_convert(isf ? TC_DT_F64 : TC_DT_I64, r, out->dtype));
        }
  free(first);
  free(count);
  free(facc);
  free(iacc);
  return TC_OK;
}

/* ---- quantization ----------------------------------------------------------------- */

static void qrange(tc_dtype t, int64_t *lo, int64_t *hi) {
  *lo = t == TC_DT_I8 ? INT8_MIN : 0;
  *hi = t == TC_DT_I8 ? INT8_MAX : UINT8_MAX;
}

/* clamp(round_half_even(x / scale) + zp) to t's range, the division in
   x's dtype (f32 for f32 and bf16); NaN gives zp. */
static int64_t quantize_one(double x, tc_dtype xt, double scale, int64_t zp, tc_dtype t) {
  int64_t lo, hi;
  qrange(t, &lo, &hi);
  double q = xt == TC_DT_F64 ? x / scale : (double)((float)x / (float)scale);
  if (isnan(q)) q = 0;
  q = nearbyint(q) + (double)zp; /* the default rounding mode: half to even */
  if (q < (double)lo) return lo;
  if (q > (double)hi) return hi;
  return (int64_t)q;
}

/* (q - zp) * scale in f32.  The difference is taken in double: exact for
   every q and zp a quantized tensor has, and never an int64 overflow for
   a hostile zero point. */
static double dequantize_one(int64_t q, double scale, int64_t zp) {
  return (double)((float)((double)q - (double)zp) * (float)scale);
}

static int eval_quant(ref_ctx *c, const tc_node *nd, ref_val *out) {
  const ref_val *x = &c->vals[nd->in[0]];
  int quant = nd->op == TC_OP_QUANTIZE || nd->op == TC_OP_QUANTIZE_PER_CHANNEL;
  const ref_val *sc = nd->nin == 3 ? &c->vals[nd->in[1]] : NULL;
  const ref_val *zp = nd->nin == 3 ? &c->vals[nd->in[2]] : NULL;
  int64_t C = 1, inner = 1;
  if (sc) {
    assert(nd->axis >= 0 && nd->axis < x->rank);
    C = x->shape[nd->axis];
    inner = prod(x->shape, nd->axis + 1, x->rank);
    if (sc->n != C || zp->n != C) return TC_EINVAL;
  }
  for (int64_t e = 0; e < x->n; e++) {
    int64_t ch = sc ? (e / inner) % C : 0;
    double scale = sc ? sc->f[ch] : nd->num;
    int64_t z = zp ? zp->i[ch] : nd->inum;
    if (quant) {
      out->i[e] = quantize_one(x->f[e], x->dtype, scale, z, out->dtype);
    } else {
      out->f[e] = dequantize_one(x->i[e], scale, z);
    }
  }
  return TC_OK;
}

static int eval_node(ref_ctx *c, int id, const void *const *weights,
                     const void *const *inputs) {
  const tc_node *nd = &c->k->nodes.data[id];
  ref_val *out = &c->vals[id];
  if (nd->op == TC_OP_CSR) return eval_csr(c, nd, out, inputs);
  int64_t shape[TC_MAX_RANK];
  int rc = node_shape(c, nd, shape);
  if (rc == TC_OK) rc = val_alloc(out, nd->dtype, nd->rank, shape);
  if (rc != TC_OK) return rc;
  for (int j = 0; j < nd->nin; j++) {
    assert(nd->in[j] >= 0 && nd->in[j] < id && "operands precede their user");
    assert(c->vals[nd->in[j]].f || c->vals[nd->in[j]].i);
  }
  switch (nd->op) {
  case TC_OP_CONST: {
    tcR_scalar s = {0, 0};
    if (out->f) s.f = tcR_ref_round(out->dtype, nd->num);
    else s.i = tcR_ref_wrap(out->dtype, nd->inum);
    for (int64_t e = 0; e < out->n; e++) val_set(out, e, s);
    return TC_OK;
  }
  case TC_OP_INPUT:
  case TC_OP_WEIGHT:
    return eval_arg(c, nd, out, weights, inputs);
  case TC_OP_SUM: case TC_OP_MEAN: case TC_OP_MAX: case TC_OP_MIN:
  case TC_OP_PROD: case TC_OP_ARGMAX: case TC_OP_ARGMIN:
    return eval_reduce(c, nd, out);
  case TC_OP_SOFTMAX: case TC_OP_LOG_SOFTMAX:
    return eval_softmax(c, nd, out);
  case TC_OP_LAYER_NORM: case TC_OP_RMS_NORM:
    return eval_norm(c, nd, out);
  case TC_OP_BATCH_NORM:
    return eval_batch_norm(c, nd, out);
  case TC_OP_RESHAPE: case TC_OP_PERMUTE: case TC_OP_EXPAND: case TC_OP_SLICE:
    return eval_shape_op(c, nd, out);
  case TC_OP_CONCAT:
    return eval_concat(c, nd, out);
  case TC_OP_PAD:
    return eval_pad(c, nd, out);
  case TC_OP_MATMUL:
    return eval_matmul(c, nd, out);
  case TC_OP_LINEAR:
    return eval_linear(c, nd, out);
  case TC_OP_EINSUM:
    return eval_einsum(c, nd, out);
  case TC_OP_COMPUTE:
    return eval_compute(c, nd, out);
  case TC_OP_LITERAL:
    for (int64_t e = 0; e < out->n; e++) {
      if (out->f) out->f[e] = nd->vals[e];
      else out->i[e] = nd->ints[e];
    }
    return TC_OK;
  case TC_OP_CONV2D:
    return eval_conv2d(c, nd, out);
  case TC_OP_MAX_POOL2D: case TC_OP_AVG_POOL2D:
    return eval_pool(c, nd, out);
  case TC_OP_SPMM:
    return eval_spmm(c, nd, out);
  case TC_OP_GATHER: case TC_OP_INDEX_SELECT:
    return eval_gather(c, nd, out);
  case TC_OP_SCATTER:
    return eval_scatter(c, nd, out);
  case TC_OP_QUANTIZE: case TC_OP_DEQUANTIZE:
  case TC_OP_QUANTIZE_PER_CHANNEL: case TC_OP_DEQUANTIZE_PER_CHANNEL:
    return eval_quant(c, nd, out);
  default:
    if (tc_op_is_elementwise(nd->op)) return eval_elementwise(c, nd, out);
    assert(!"tcR_ref_run: an op the interpreter does not know");
    return TC_EINVAL;
  }
}

/* See rt/rt.h. */
int tcR_ref_run(const tc_kernel *k, const int64_t *dims,
                const void *const *weights, const void *const *inputs,
                void *const *outputs) {
  if (k->dims.len > 0 && !dims) return TC_EINVAL;
  for (int d = 0; d < k->dims.len; d++)
    if (dims[d] < 0) return TC_EINVAL;
  if (tc_kernel_check_dims(k, dims) != TC_OK) return TC_EINVAL;
  int nn = k->nodes.len;
  ref_ctx c = {.k = k, .dims = dims};
  c.vals = calloc((size_t)(nn ? nn : 1), sizeof *c.vals);
  c.rvals = calloc((size_t)(k->rvars.len ? k->rvars.len : 1), sizeof *c.rvals);
  int *last_use = malloc((size_t)(nn ? nn : 1) * sizeof *last_use);
  char *live = calloc((size_t)(nn ? nn : 1), 1);
  if (!c.vals || !c.rvals || !last_use || !live) {
    free(c.vals);
    free(c.rvals);
    free(last_use);
    free(live);
    return TC_ENOMEM;
  }
  /* Only what an output depends on is evaluated, as lowering keeps only
     that: a node nothing reads (an unused csr argument, a dead division
     by zero) cannot make the kernel and its oracle disagree. */
  for (int a = 0; a < k->args.len; a++)
    if (k->args.data[a].role == TC_ROLE_OUTPUT) live[k->args.data[a].node] = 1;
  for (int id = nn - 1; id >= 0; id--)
    if (live[id])
      for (int j = 0; j < k->nodes.data[id].nin; j++) live[k->nodes.data[id].in[j]] = 1;
  /* A value is freed after the last node reading it; outputs stay. */
  for (int id = 0; id < nn; id++) {
    last_use[id] = id;
    const tc_node *nd = &k->nodes.data[id];
    for (int j = 0; live[id] && j < nd->nin; j++)
      if (nd->in[j] >= 0 && nd->in[j] < id) last_use[nd->in[j]] = id;
  }
  for (int a = 0; a < k->args.len; a++)
    if (k->args.data[a].role == TC_ROLE_OUTPUT) last_use[k->args.data[a].node] = nn;
  int rc = TC_OK;
  for (int id = 0; id < nn && rc == TC_OK; id++) {
    if (!live[id]) continue;
    rc = eval_node(&c, id, weights, inputs);
    const tc_node *nd = &k->nodes.data[id];
    for (int j = 0; j < nd->nin; j++)
      if (last_use[nd->in[j]] == id) val_free(&c.vals[nd->in[j]]);
    if (last_use[id] == id) val_free(&c.vals[id]);
  }
  /* Outputs, in output() order. */
  int oj = 0;
  for (int a = 0; a < k->args.len && rc == TC_OK; a++) {
    const tc_arg *arg = &k->args.data[a];
    if (arg->role != TC_ROLE_OUTPUT) continue;
    const ref_val *v = &c.vals[arg->node];
    void *p = outputs ? outputs[oj] : NULL;
    oj++;
    if (v->n > 0 && !p) {
      rc = TC_EINVAL;
      break;
    }
    for (int64_t e = 0; e < v->n; e++)
      buf_set(p, arg->dtype, e, tcR_ref_convert(v->dtype, val_get(v, e), arg->dtype));
  }
  for (int id = 0; id < nn; id++) val_free(&c.vals[id]);
  free(c.vals);
  free(c.rvals);
  free(last_use);
  free(live);
  return rc;
}
