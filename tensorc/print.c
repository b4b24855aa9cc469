/*
 * print.c: the graph IR as text, for `tensorc ir`, tests and messages.
 * The output depends on nothing but the IR (no addresses, no hash
 * order), so that it can be diffed against golden files.
 *
 *   module mlp   # mlp.lua
 *   kernel mlp(dims B; weight w: f32[4, 3]; input x: f32[B, 3]; output y: f32[B, 4])   # mlp.lua:1
 *     %0 = input(x) : f32[B, 3]   # mlp.lua:2
 *     %2 = linear(%0, %1) : f32[B, 4]   # mlp.lua:4
 *     %3 = sum(%2, axes=[1], keepdim) : f32[B, 1]   # mlp.lua:5
 *     %4 = compute(%0) : f32[B] = sum(r0 in 0..3: x[i0, r0])   # mlp.lua:6
 *     rvar r0 in 0..3   # mlp.lua:6
 *     output y = %2
 *     check B == 4   # mlp.lua:7
 *   end
 */
#include "graph.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

/* k's dim names as an array for tc_ext_print (caller frees), or NULL. */
static const char **dim_names(const tc_kernel *k) {
  if (!k || k->dims.len == 0)
    return NULL;
  const char **names = tc_xmalloc((size_t)k->dims.len * sizeof *names);
  for (int i = 0; i < k->dims.len; i++)
    names[i] = k->dims.data[i].name;
  return names;
}

void tc_kernel_ext_print(tc_buf *b, const tc_kernel *k, const tc_ext *e) {
  const char **names = dim_names(k);
  tc_ext_print(b, e, names, 1);
  free(names);
}

void tc_shape_print(tc_buf *b, const tc_kernel *k, int rank,
                    const tc_ext *const *shape) {
  const char **names = dim_names(k);
  tc_buf_putc(b, '[');
  for (int i = 0; i < rank; i++) {
    if (i)
      tc_buf_puts(b, ", ");
    if (shape[i])
      tc_ext_print(b, shape[i], names, 1);
    else
      tc_buf_puts(b, "-1");
  }
  tc_buf_putc(b, ']');
  free(names);
}

static void print_value(tc_buf *b, tc_dtype t, double num, int64_t inum) {
  if (t == TC_DT_BOOL) {
    tc_buf_puts(b, inum ? "true" : "false");
  } else if (!tc_dtype_is_float(t)) {
    tc_buf_printf(b, "%" PRId64, inum);
  } else if (isnan(num)) {
    tc_buf_puts(b, "nan");
  } else if (isinf(num)) {
    tc_buf_puts(b, num < 0 ? "-inf" : "inf");
  } else {
    char s[32];
    tc_format_double(s, num);
    tc_buf_puts(b, s);
  }
}

static void print_loc(tc_buf *b, tc_loc loc) {
  if (loc.file && loc.line > 0)
    tc_buf_printf(b, "   # %s:%d", loc.file, loc.line);
}

static const char *infix(tc_op op) {
  switch (op) {
  case TC_OP_ADD: return " + ";
  case TC_OP_SUB: return " - ";
  case TC_OP_MUL: return " * ";
  case TC_OP_DIV: return " / ";
  case TC_OP_FLOORDIV: return " // ";
  case TC_OP_MOD: return " % ";
  default: return NULL;
  }
}

static void sexpr_print(tc_buf *b, const tc_sexpr *e, const tc_kernel *k,
                        const char *const *names, int top) {
  const char *op = infix(e->op);
  switch (e->op) {
  case TC_OP_CONST:
    print_value(b, e->dtype, e->num, e->inum);
    return;
  case TC_OP_IVAR:
    tc_buf_printf(b, "i%d", e->var);
    return;
  case TC_OP_RVAR:
    tc_buf_printf(b, "r%d", e->var);
    return;
  case TC_OP_EXTENT:
    if (!top && e->ext->kind != TC_EXT_CONST && e->ext->kind != TC_EXT_DIM) {
      tc_buf_putc(b, '(');
      tc_ext_print(b, e->ext, names, 1);
      tc_buf_putc(b, ')');
    } else {
      tc_ext_print(b, e->ext, names, 1);
    }
    return;
  case TC_OP_LOAD: {
    const tc_node *n = k && e->ref >= 0 && e->ref < k->nodes.len
                           ? &k->nodes.data[e->ref]
                           : NULL;
    if (n && (n->op == TC_OP_INPUT || n->op == TC_OP_WEIGHT) && n->arg >= 0)
      tc_buf_puts(b, k->args.data[n->arg].name);
    else
      tc_buf_printf(b, "%%%d", e->ref);
    tc_buf_putc(b, '[');
    for (int i = 0; i < e->nargs; i++) {
      if (i)
        tc_buf_puts(b, ", ");
      sexpr_print(b, e->args[i], k, names, 1);
    }
    tc_buf_putc(b, ']');
    return;
  }
  case TC_OP_REDUCE:
    tc_buf_printf(b, "%s(r%d in 0..", tc_op_name(e->red), e->var);
    tc_ext_print(b, e->ext, names, 1);
    tc_buf_puts(b, ": ");
    sexpr_print(b, e->args[0], k, names, 1);
    tc_buf_putc(b, ')');
    return;
  case TC_OP_CAST:
    tc_buf_puts(b, "cast(");
    sexpr_print(b, e->args[0], k, names, 1);
    tc_buf_printf(b, ", %s)", tc_dtype_name(e->dtype));
    return;
  default:
    break;
  }
  if (op && e->nargs == 2) {
    if (!top)
      tc_buf_putc(b, '(');
    sexpr_print(b, e->args[0], k, names, 0);
    tc_buf_puts(b, op);
    sexpr_print(b, e->args[1], k, names, 0);
    if (!top)
      tc_buf_putc(b, ')');
    return;
  }
  tc_buf_printf(b, "%s(", tc_op_name(e->op));
  for (int i = 0; i < e->nargs; i++) {
    if (i)
      tc_buf_puts(b, ", ");
    sexpr_print(b, e->args[i], k, names, 1);
  }
  if (e->op == TC_OP_LEAKY_RELU) {
    tc_buf_puts(b, ", ");
    print_value(b, TC_DT_F64, e->num, 0);
  }
  tc_buf_putc(b, ')');
}

void tc_sexpr_print(tc_buf *b, const tc_sexpr *e, const tc_kernel *k) {
  const char **names = dim_names(k);
  sexpr_print(b, e, k, names, 1);
  free(names);
}

static void print_ints(tc_buf *b, const char *name, int n, const int64_t *v) {
  tc_buf_printf(b, ", %s=[", name);
  for (int i = 0; i < n; i++)
    tc_buf_printf(b, i ? ", %" PRId64 : "%" PRId64, v[i]);
  tc_buf_putc(b, ']');
}

static void print_eps(tc_buf *b, double eps) {
  tc_buf_puts(b, ", eps=");
  print_value(b, TC_DT_F64, eps, 0);
}

/* The attributes of node n, each as ", name=value". */
static void print_attrs(tc_buf *b, const tc_kernel *k, const tc_node *n) {
  switch (n->op) {
  case TC_OP_LEAKY_RELU:
    tc_buf_puts(b, ", slope=");
    print_value(b, TC_DT_F64, n->num, 0);
    break;
  case TC_OP_SUM: case TC_OP_MEAN: case TC_OP_MAX: case TC_OP_MIN:
  case TC_OP_PROD: case TC_OP_ARGMAX: case TC_OP_ARGMIN:
    print_ints(b, "axes", n->nints, n->ints);
    if (n->keepdim)
      tc_buf_puts(b, ", keepdim");
    break;
  case TC_OP_SOFTMAX:
  case TC_OP_LOG_SOFTMAX:
  case TC_OP_CONCAT:
    tc_buf_printf(b, ", axis=%d", n->axis);
    break;
  case TC_OP_LAYER_NORM:
    tc_buf_printf(b, ", n=%" PRId64 "%s%s", n->ints[0],
                  n->ints[1] ? ", gamma" : "", n->ints[2] ? ", beta" : "");
    print_eps(b, n->num);
    break;
  case TC_OP_RMS_NORM:
    tc_buf_puts(b, n->ints[0] ? ", gamma" : "");
    print_eps(b, n->num);
    break;
  case TC_OP_BATCH_NORM:
    tc_buf_printf(b, "%s%s", n->ints[0] ? ", gamma" : "",
                  n->ints[1] ? ", beta" : "");
    print_eps(b, n->num);
    break;
  case TC_OP_PERMUTE:
    print_ints(b, "perm", n->nints, n->ints);
    break;
  case TC_OP_SLICE:
    tc_buf_printf(b, ", axis=%d, start=", n->axis);
    tc_kernel_ext_print(b, k, n->exts[0]);
    tc_buf_printf(b, ", step=%" PRId64, n->ints[0]);
    break;
  case TC_OP_PAD:
    print_ints(b, "pads", n->nints, n->ints);
    tc_buf_puts(b, ", value=");
    print_value(b, n->dtype, n->num, n->inum);
    break;
  case TC_OP_LINEAR:
    if (n->ints[0])
      tc_buf_puts(b, ", bias");
    break;
  case TC_OP_EINSUM:
    tc_buf_printf(b, ", \"%s\"", n->str);
    break;
  case TC_OP_CONV2D:
    tc_buf_printf(b, ", stride=[%" PRId64 ", %" PRId64 "], padding=[%" PRId64
                  ", %" PRId64 "], dilation=[%" PRId64 ", %" PRId64
                  "], groups=%" PRId64 "%s%s", n->ints[0], n->ints[1],
                  n->ints[2], n->ints[3], n->ints[4], n->ints[5], n->ints[6],
                  n->ints[7] ? ", NHWC" : "", n->ints[8] ? ", bias" : "");
    break;
  case TC_OP_MAX_POOL2D:
  case TC_OP_AVG_POOL2D:
    tc_buf_printf(b, ", kernel=[%" PRId64 ", %" PRId64 "], stride=[%" PRId64
                  ", %" PRId64 "], padding=[%" PRId64 ", %" PRId64 "]",
                  n->ints[0], n->ints[1], n->ints[2], n->ints[3], n->ints[4],
                  n->ints[5]);
    break;
  case TC_OP_SPMM:
    tc_buf_printf(b, ", %s", tc_op_name((tc_op)n->ints[0]));
    break;
  case TC_OP_GATHER:
  case TC_OP_INDEX_SELECT:
  case TC_OP_QUANTIZE_PER_CHANNEL:
  case TC_OP_DEQUANTIZE_PER_CHANNEL:
    tc_buf_printf(b, ", axis=%d", n->axis);
    break;
  case TC_OP_SCATTER:
    tc_buf_printf(b, ", axis=%d, size=", n->axis);
    tc_kernel_ext_print(b, k, n->exts[0]);
    tc_buf_printf(b, ", %s", tc_op_name((tc_op)n->ints[0]));
    break;
  case TC_OP_QUANTIZED: /* passes/passes.h: TCP_Q_* */
    tc_buf_printf(b, ", %s%s%s%s%s%s%s, acc=%s, zero_points=[%" PRId64 ", %" PRId64
                  ", %" PRId64 "], scales=[",
                  tc_op_name((tc_op)n->ints[0]), n->ints[1] ? ", per_channel" : "",
                  n->ints[2] ? ", bias" : "", n->ints[3] ? ", add" : "",
                  n->ints[4] >= 0 ? ", " : "",
                  n->ints[4] >= 0 ? tc_op_name((tc_op)n->ints[4]) : "",
                  n->ints[5] ? ", add" : "", tc_dtype_name((tc_dtype)n->ints[6]),
                  n->ints[7], n->ints[8], n->ints[9]);
    for (int i = 0; i < 3; i++) {
      if (i)
        tc_buf_puts(b, ", ");
      print_value(b, TC_DT_F64, n->vals[i], 0);
    }
    tc_buf_putc(b, ']');
    break;
  case TC_OP_QUANTIZE:
  case TC_OP_DEQUANTIZE:
    tc_buf_puts(b, ", scale=");
    print_value(b, TC_DT_F64, n->num, 0);
    tc_buf_printf(b, ", zero_point=%" PRId64, n->inum);
    break;
  default:
    break;
  }
}

static void print_node(tc_buf *b, const tc_kernel *k, int id) {
  const tc_node *n = &k->nodes.data[id];
  tc_buf_printf(b, "  %%%d = %s(", id, tc_op_name(n->op));
  if (n->op == TC_OP_CONST) {
    print_value(b, n->dtype, n->num, n->inum);
  } else if (n->op == TC_OP_LITERAL) {
    tc_buf_putc(b, '[');
    for (int64_t i = 0; i < (n->vals ? 0 : n->nints); i++)
      tc_buf_printf(b, i ? ", %" PRId64 : "%" PRId64, n->ints[i]);
    int64_t len = 0;
    if (n->vals && tc_ext_is_const(n->shape[0], &len))
      for (int64_t i = 0; i < len; i++) {
        if (i)
          tc_buf_puts(b, ", ");
        print_value(b, n->dtype, n->vals[i], 0);
      }
    tc_buf_putc(b, ']');
  } else if (n->op == TC_OP_INPUT || n->op == TC_OP_WEIGHT ||
             n->op == TC_OP_CSR) {
    tc_buf_puts(b, n->arg >= 0 && n->arg < k->args.len
                       ? k->args.data[n->arg].name
                       : "?");
  } else {
    for (int i = 0; i < n->nin; i++)
      tc_buf_printf(b, i ? ", %%%d" : "%%%d", n->in[i]);
    print_attrs(b, k, n);
  }
  tc_buf_printf(b, ") : %s", tc_dtype_name(n->dtype));
  tc_shape_print(b, k, n->rank, n->shape);
  if (n->op == TC_OP_COMPUTE && n->body) {
    tc_buf_puts(b, " = ");
    tc_sexpr_print(b, n->body, k);
  }
  print_loc(b, n->loc);
  if (n->note) tc_buf_printf(b, "%s%s", n->loc.file && n->loc.line > 0 ? ", " : "   # ", n->note);
  tc_buf_putc(b, '\n');
}

static void print_kernel(tc_buf *b, const tc_kernel *k) {
  tc_buf_printf(b, "kernel %s(dims", k->name);
  for (int i = 0; i < k->dims.len; i++)
    tc_buf_printf(b, i ? ", %s" : " %s", k->dims.data[i].name);
  int nabi = tc_kernel_abi_args(k, NULL);
  int *idx = tc_xmalloc((size_t)(nabi + 1) * sizeof *idx);
  tc_kernel_abi_args(k, idx);
  static const char *const role_names[] = {"?", "input", "weight", "output"};
  for (int i = 0; i < nabi; i++) {
    const tc_arg *a = &k->args.data[idx[i]];
    tc_buf_printf(b, "; %s %s: %s%s", role_names[a->role], a->name,
                  a->csr ? "csr " : "", tc_dtype_name(a->dtype));
    tc_shape_print(b, k, a->rank, a->shape);
    if (a->csr)
      tc_buf_printf(b, " index %s%s", tc_dtype_name(a->index_dtype),
                    a->has_values ? "" : " pattern");
  }
  free(idx);
  tc_buf_putc(b, ')');
  print_loc(b, k->loc);
  tc_buf_putc(b, '\n');
  for (int i = 0; i < k->nodes.len; i++)
    print_node(b, k, i);
  for (int i = 0; i < k->rvars.len; i++) {
    tc_buf_printf(b, "  rvar r%d in 0..", i);
    tc_kernel_ext_print(b, k, k->rvars.data[i].ext);
    print_loc(b, k->rvars.data[i].loc);
    tc_buf_putc(b, '\n');
  }
  for (int i = 0; i < k->args.len; i++) {
    const tc_arg *a = &k->args.data[i];
    if (a->role == TC_ROLE_OUTPUT) {
      tc_buf_printf(b, "  output %s = %%%d", a->name, a->node);
      print_loc(b, a->loc);
      tc_buf_putc(b, '\n');
    }
  }
  for (int i = 0; i < k->checks.len; i++) {
    const tc_check *c = &k->checks.data[i];
    tc_buf_puts(b, "  check ");
    if (c->kind == TC_CHECK_EQ) {
      tc_kernel_ext_print(b, k, c->a);
      tc_buf_puts(b, " == ");
      tc_kernel_ext_print(b, k, c->b);
    } else {
      tc_buf_puts(b, "divisible(");
      tc_kernel_ext_print(b, k, c->a);
      tc_buf_puts(b, ", ");
      tc_kernel_ext_print(b, k, c->b);
      tc_buf_putc(b, ')');
    }
    print_loc(b, c->loc);
    tc_buf_putc(b, '\n');
  }
  for (int i = 0; i < k->schedules.len; i++) {
    const tc_schedule *s = &k->schedules.data[i];
    tc_buf_printf(b, "  schedule %%%d", s->node);
    if (s->ntile) {
      tc_buf_puts(b, " tile=[");
      for (int j = 0; j < s->ntile; j++)
        tc_buf_printf(b, j ? ", %d" : "%d", s->tile[j]);
      tc_buf_putc(b, ']');
    }
    if (s->vectorize)
      tc_buf_printf(b, " vectorize=%d", s->vectorize);
    if (s->parallel)
      tc_buf_printf(b, " parallel=%d", s->parallel);
    if (s->unroll)
      tc_buf_printf(b, " unroll=%d", s->unroll);
    print_loc(b, s->loc);
    tc_buf_putc(b, '\n');
  }
  tc_buf_puts(b, "end\n");
}

void tc_graph_print(tc_buf *b, const tc_module *m) {
  tc_buf_printf(b, "module %s", m->name);
  if (m->file && *m->file)
    tc_buf_printf(b, "   # %s", m->file);
  tc_buf_putc(b, '\n');
  for (int i = 0; i < m->kernels.len; i++)
    print_kernel(b, m->kernels.data[i]);
}
