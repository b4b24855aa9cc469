/*
 * dot.c: `tensorc ir FILE --dot`, the graph of each kernel as Graphviz
 * text, with the loop nests of its loop program as clusters.
 *
 * One `digraph` for the whole file (one picture: `dot -Tsvg` renders it
 * whole); with several kernels each is a cluster `cluster_k<K>` of its own.
 * In kernel K (its index in the file, or 0 with --kernel):
 *   - k<K>_n<ID> is graph node %ID, for every node that reaches the loop
 *     program: an argument, a literal, a reshape seen as an alias, or a
 *     node some stage computes (tc_stage.nodes).  Scalar constants are
 *     inlined into the stages' bodies and not drawn.  Label: "%ID op", the
 *     dtype and shape, "-> BUF" when its value is stored in a temporary,
 *     and the DSL line.  Inputs are inverted houses, weights cylinders,
 *     literals notes, aliases dashed, computed nodes rounded boxes;
 *   - k<K>_out<A> is output argument A (a house), fed by the node it
 *     returns;
 *   - an edge goes from each operand to its consumer (once per distinct
 *     operand);
 *   - cluster_k<K>_<C> is loop nest C of the program, in program order:
 *     the stages with one nest id >= 0 (set by the `nest` pass), or a
 *     stage in no nest (nest -1) alone.  It holds the nodes its stages
 *     compute, and is labelled "loop C" (with "(nest ID, N stages)" for a
 *     nest) and the DSL lines of its stages and nodes.  A node computed by
 *     stages of several nests (the parts of a scatter, a copy into a
 *     second output) sits in the first; a stage that then holds no node
 *     of its own is drawn as a dashed box k<K>_s<S> ("copy -> y") fed by
 *     the nodes it lists.
 * Arguments, literals and aliases sit outside the clusters.  The text
 * depends only on the programs: the same input gives the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* s as a Graphviz quoted string: `"` and `\` escaped, a newline as the
   label line break `\n`, other control characters and bytes that are not
   UTF-8 as `?` (dot reads UTF-8). */
static void put_quoted(tc_buf *b, const char *s) {
  tc_buf_putc(b, '"');
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    unsigned char c = *p;
    if (c == '"' || c == '\\') {
      tc_buf_putc(b, '\\');
      tc_buf_putc(b, (char)c);
      p++;
    } else if (c == '\n') {
      tc_buf_puts(b, "\\n");
      p++;
    } else if (c < 0x20 || c == 0x7f) {
      tc_buf_putc(b, '?');
      p++;
    } else if (c < 0x80) {
      tc_buf_putc(b, (char)c);
      p++;
    } else {
      int n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
              : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
      int ok = n > 0;
      for (int i = 1; i < n && ok; i++) ok = (p[i] & 0xc0) == 0x80;
      if (!ok) {
        tc_buf_putc(b, '?');
        p++;
        continue;
      }
      for (int i = 0; i < n; i++) tc_buf_putc(b, (char)p[i]);
      p += n;
    }
  }
  tc_buf_putc(b, '"');
}

/* `name=<quoted s>` */
static void put_attr(tc_buf *b, const char *name, const char *s) {
  tc_buf_printf(b, "%s=", name);
  put_quoted(b, s);
}

/* "file:line", "line N" without a file, nothing without a line. */
static void put_loc(tc_buf *b, tc_loc loc) {
  if (loc.line <= 0) return;
  if (loc.file)
    tc_buf_printf(b, "%s:%d", loc.file, loc.line);
  else
    tc_buf_printf(b, "line %d", loc.line);
}

/* The lines of a cluster: "a.lua:3, 5-7; b.lua:2" (files in order of
   first appearance, lines ascending, runs of three or more as ranges). */
static void put_lines(tc_buf *b, const tc_loc *locs, int n) {
  tc_loc *l = tc_xmalloc(((size_t)n + 1) * sizeof *l);
  int m = 0;
  for (int i = 0; i < n; i++)
    if (locs[i].line > 0) l[m++] = locs[i];
  char *done = tc_xcalloc((size_t)m + 1, 1);
  int files = 0;
  for (int i = 0; i < m; i++) {
    if (done[i]) continue;
    const char *f = l[i].file;
    /* the lines of file f, sorted, without repeats */
    int *ln = tc_xmalloc(((size_t)m + 1) * sizeof *ln);
    int k = 0;
    for (int j = i; j < m; j++) {
      const char *g = l[j].file;
      if (done[j] || !(f == g || (f && g && strcmp(f, g) == 0))) continue;
      done[j] = 1;
      int at = k;
      while (at > 0 && ln[at - 1] > l[j].line) at--;
      if (at > 0 && ln[at - 1] == l[j].line) continue;
      memmove(ln + at + 1, ln + at, (size_t)(k - at) * sizeof *ln);
      ln[at] = l[j].line;
      k++;
    }
    tc_buf_printf(b, "%s%s%s", files++ ? "; " : "", f ? f : "line ", f ? ":" : "");
    for (int a = 0; a < k;) {
      int z = a;
      while (z + 1 < k && ln[z + 1] == ln[z] + 1) z++;
      if (z - a >= 2) {
        tc_buf_printf(b, "%s%d-%d", a ? ", " : "", ln[a], ln[z]);
        a = z + 1;
      } else {
        tc_buf_printf(b, "%s%d", a ? ", " : "", ln[a]);
        a++;
      }
    }
    free(ln);
  }
  free(done);
  free(l);
}

/* What one kernel's picture needs to know about its nodes and stages. */
typedef struct dot_kernel {
  const tc_loop_prog *p;
  const tc_kernel *k;
  int K;          /* the kernel's index: the prefix k<K>_ of every id */
  int *buf_of;    /* node -> the buffer holding its value, or -1 */
  char *shown;    /* node -> drawn */
  int *home;      /* node -> its cluster, or -1 (outside any) */
  int *cluster;   /* stage -> its cluster */
  int nclusters;
  char *boxed;    /* stage -> drawn as a box of its own */
} dot_kernel;

static void dot_kernel_init(dot_kernel *dk, const tc_loop_prog *p, int K) {
  const tc_kernel *k = p->kernel;
  int nn = k->nodes.len, ns = p->stages.len;
  memset(dk, 0, sizeof *dk);
  dk->p = p;
  dk->k = k;
  dk->K = K;
  dk->buf_of = tc_xmalloc(((size_t)nn + 1) * sizeof *dk->buf_of);
  dk->shown = tc_xcalloc((size_t)nn + 1, 1);
  dk->home = tc_xmalloc(((size_t)nn + 1) * sizeof *dk->home);
  dk->cluster = tc_xmalloc(((size_t)ns + 1) * sizeof *dk->cluster);
  dk->boxed = tc_xcalloc((size_t)ns + 1, 1);
  for (int n = 0; n < nn; n++) dk->buf_of[n] = dk->home[n] = -1;
  for (int b = 0; b < p->bufs.len; b++) {
    int n = p->bufs.data[b].node;
    if (n >= 0 && n < nn && dk->buf_of[n] < 0) dk->buf_of[n] = b;
  }
  /* Clusters: a nest id >= 0 is one cluster wherever its stages are. */
  int maxnest = -1;
  for (int s = 0; s < ns; s++)
    if (p->stages.data[s].nest > maxnest) maxnest = p->stages.data[s].nest;
  int *of_nest = tc_xmalloc(((size_t)maxnest + 2) * sizeof *of_nest);
  for (int i = 0; i <= maxnest; i++) of_nest[i] = -1;
  for (int s = 0; s < ns; s++) {
    int nest = p->stages.data[s].nest;
    if (nest < 0) {
      dk->cluster[s] = dk->nclusters++;
    } else {
      if (of_nest[nest] < 0) of_nest[nest] = dk->nclusters++;
      dk->cluster[s] = of_nest[nest];
    }
  }
  free(of_nest);
  /* Shown: what has a buffer or a stage, but scalar constants. */
  for (int n = 0; n < nn; n++) dk->shown[n] = dk->buf_of[n] >= 0;
  for (int s = 0; s < ns; s++) {
    const tc_stage *st = &p->stages.data[s];
    for (int i = 0; i < st->nnodes; i++)
      if (st->nodes[i] >= 0 && st->nodes[i] < nn) dk->shown[st->nodes[i]] = 1;
  }
  for (int n = 0; n < nn; n++)
    if (k->nodes.data[n].op == TC_OP_CONST) dk->shown[n] = 0;
  /* Homes: the first cluster computing a node that is not an argument,
     a literal or an alias (those have a buffer that is not a TEMP). */
  for (int s = 0; s < ns; s++) {
    const tc_stage *st = &p->stages.data[s];
    for (int i = 0; i < st->nnodes; i++) {
      int n = st->nodes[i];
      if (n < 0 || n >= nn || !dk->shown[n] || dk->home[n] >= 0) continue;
      if (dk->buf_of[n] >= 0 && p->bufs.data[dk->buf_of[n]].kind != TC_LBUF_TEMP) continue;
      dk->home[n] = dk->cluster[s];
    }
  }
  /* A stage with no node at home in its cluster gets a box. */
  for (int s = 0; s < ns; s++) {
    const tc_stage *st = &p->stages.data[s];
    int has = 0;
    for (int i = 0; i < st->nnodes && !has; i++) {
      int n = st->nodes[i];
      has = n >= 0 && n < nn && dk->home[n] == dk->cluster[s];
    }
    dk->boxed[s] = !has;
  }
}

static void dot_kernel_free(dot_kernel *dk) {
  free(dk->buf_of);
  free(dk->shown);
  free(dk->home);
  free(dk->cluster);
  free(dk->boxed);
}

/* The node statement of graph node n. */
static void put_node(tc_buf *b, const dot_kernel *dk, int n, const char *indent) {
  const tc_kernel *k = dk->k;
  const tc_node *x = &k->nodes.data[n];
  const tc_lbuf *buf = dk->buf_of[n] >= 0 ? &dk->p->bufs.data[dk->buf_of[n]] : NULL;
  tc_buf label = {0};
  const char *shape = "box", *style = "rounded,filled", *fill = "#ffffff";
  if (x->op == TC_OP_INPUT || x->op == TC_OP_WEIGHT || x->op == TC_OP_CSR) {
    const tc_arg *a = &k->args.data[x->arg];
    int weight = a->role == TC_ROLE_WEIGHT;
    tc_buf_printf(&label, "%s %s", weight ? "weight" : a->csr ? "csr input" : "input", a->name);
    shape = weight ? "cylinder" : "invhouse";
    style = "filled";
    fill = weight ? "#e4dcf5" : "#d6e8fa";
  } else {
    tc_buf_printf(&label, "%%%d %s", n, tc_op_name(x->op));
    if (buf && buf->kind == TC_LBUF_ALIAS) {
      style = "rounded,dashed";
    } else if (buf && buf->kind == TC_LBUF_CONST) {
      shape = "note";
      style = "filled";
      fill = "#eeeeee";
    }
  }
  tc_buf_printf(&label, "\n%s", tc_dtype_name(x->dtype));
  tc_shape_print(&label, k, x->rank, (const tc_ext *const *)x->shape);
  if (buf && buf->kind == TC_LBUF_TEMP)
    tc_buf_printf(&label, " -> %s%s", buf->name, buf->local ? " (local)" : "");
  else if (buf && buf->kind == TC_LBUF_CREATE)
    tc_buf_printf(&label, " -> %s (at create)", buf->name);
  if (x->loc.line > 0) {
    tc_buf_putc(&label, '\n');
    put_loc(&label, x->loc);
  }
  tc_buf_printf(b, "%sk%d_n%d [", indent, dk->K, n);
  put_attr(b, "label", label.data);
  tc_buf_printf(b, ", shape=%s, style=\"%s\", fillcolor=\"%s\"];\n", shape, style, fill);
  tc_buf_free(&label);
}

/* The box of stage s, which computes no node of its own in its cluster. */
static void put_stage_box(tc_buf *b, const dot_kernel *dk, int s, const char *indent) {
  const tc_stage *st = &dk->p->stages.data[s];
  tc_buf label = {0};
  tc_buf_printf(&label, "%s\n-> %s", st->what ? st->what : "stage",
                dk->p->bufs.data[st->out].name);
  if (st->loc.line > 0) {
    tc_buf_putc(&label, '\n');
    put_loc(&label, st->loc);
  }
  tc_buf_printf(b, "%sk%d_s%d [", indent, dk->K, s);
  put_attr(b, "label", label.data);
  tc_buf_puts(b, ", shape=box, style=dashed];\n");
  tc_buf_free(&label);
}

/* Loop nest c: its nodes and boxes inside `subgraph cluster_k<K>_<c>`. */
static void put_cluster(tc_buf *b, const dot_kernel *dk, int c, const char *indent) {
  const tc_loop_prog *p = dk->p;
  const tc_kernel *k = dk->k;
  TC_VEC(tc_loc) locs = {0};
  int nstages = 0, nest = -1;
  for (int s = 0; s < p->stages.len; s++) {
    const tc_stage *st = &p->stages.data[s];
    if (dk->cluster[s] != c) continue;
    nstages++;
    nest = st->nest;
    TC_VEC_PUSH(locs, st->loc);
  }
  for (int n = 0; n < k->nodes.len; n++)
    if (dk->shown[n] && dk->home[n] == c) TC_VEC_PUSH(locs, k->nodes.data[n].loc);
  tc_buf label = {0};
  tc_buf_printf(&label, "loop %d", c);
  if (nest >= 0) tc_buf_printf(&label, " (nest %d, %d stage%s)", nest, nstages, nstages > 1 ? "s" : "");
  if (locs.len > 0) {
    tc_buf_puts(&label, ": ");
    put_lines(&label, locs.data, locs.len);
  }
  tc_buf_printf(b, "%ssubgraph cluster_k%d_%d {\n", indent, dk->K, c);
  tc_buf_printf(b, "%s  ", indent);
  put_attr(b, "label", label.data);
  tc_buf_printf(b, ";\n%s  style=\"rounded,filled\"; fillcolor=\"%s\"; color=\"#8a8a8a\";\n",
                indent, nest >= 0 ? "#e8f1e0" : "#f4f4f4");
  char inner[64];
  snprintf(inner, sizeof inner, "%s  ", indent);
  for (int n = 0; n < k->nodes.len; n++)
    if (dk->shown[n] && dk->home[n] == c) put_node(b, dk, n, inner);
  for (int s = 0; s < p->stages.len; s++)
    if (dk->cluster[s] == c && dk->boxed[s]) put_stage_box(b, dk, s, inner);
  tc_buf_printf(b, "%s}\n", indent);
  tc_buf_free(&label);
  TC_VEC_FREE(locs);
}

/* The statements of kernel K (program p), each line starting `indent`. */
static void put_kernel(tc_buf *b, const tc_loop_prog *p, int K, const char *indent) {
  dot_kernel dk;
  dot_kernel_init(&dk, p, K);
  const tc_kernel *k = p->kernel;
  /* outside the clusters: arguments, literals, aliases; then outputs */
  for (int n = 0; n < k->nodes.len; n++)
    if (dk.shown[n] && dk.home[n] < 0) put_node(b, &dk, n, indent);
  for (int a = 0; a < k->args.len; a++) {
    const tc_arg *arg = &k->args.data[a];
    if (arg->role != TC_ROLE_OUTPUT) continue;
    tc_buf label = {0};
    tc_buf_printf(&label, "output %s\n%s", arg->name, tc_dtype_name(arg->dtype));
    tc_shape_print(&label, k, arg->rank, (const tc_ext *const *)arg->shape);
    if (arg->loc.line > 0) {
      tc_buf_putc(&label, '\n');
      put_loc(&label, arg->loc);
    }
    tc_buf_printf(b, "%sk%d_out%d [", indent, K, a);
    put_attr(b, "label", label.data);
    tc_buf_puts(b, ", shape=house, style=\"filled,bold\", fillcolor=\"#fde0c2\"];\n");
    tc_buf_free(&label);
  }
  for (int c = 0; c < dk.nclusters; c++) put_cluster(b, &dk, c, indent);
  /* edges: operand -> consumer */
  for (int n = 0; n < k->nodes.len; n++) {
    if (!dk.shown[n]) continue;
    const tc_node *x = &k->nodes.data[n];
    for (int i = 0; i < x->nin; i++) {
      int o = x->in[i], again = 0;
      for (int j = 0; j < i && !again; j++) again = x->in[j] == o;
      if (again || !dk.shown[o]) continue;
      tc_buf_printf(b, "%sk%d_n%d -> k%d_n%d;\n", indent, K, o, K, n);
    }
  }
  /* a stage box is fed by the nodes it lists */
  for (int s = 0; s < p->stages.len; s++) {
    if (!dk.boxed[s]) continue;
    const tc_stage *st = &p->stages.data[s];
    for (int i = 0; i < st->nnodes; i++) {
      int n = st->nodes[i];
      if (n >= 0 && n < k->nodes.len && dk.shown[n])
        tc_buf_printf(b, "%sk%d_n%d -> k%d_s%d [style=dashed];\n", indent, K, n, K, s);
    }
  }
  /* an output is fed by the box writing it, else by its node */
  for (int a = 0; a < k->args.len; a++) {
    const tc_arg *arg = &k->args.data[a];
    if (arg->role != TC_ROLE_OUTPUT) continue;
    int writer = -1;
    for (int s = 0; s < p->stages.len; s++) {
      const tc_lbuf *o = &p->bufs.data[p->stages.data[s].out];
      if (o->kind == TC_LBUF_ARG && o->arg == a) writer = s;
    }
    if (writer >= 0 && dk.boxed[writer])
      tc_buf_printf(b, "%sk%d_s%d -> k%d_out%d;\n", indent, K, writer, K, a);
    else if (arg->node >= 0 && arg->node < k->nodes.len && dk.shown[arg->node])
      tc_buf_printf(b, "%sk%d_n%d -> k%d_out%d;\n", indent, K, arg->node, K, a);
  }
  dot_kernel_free(&dk);
}

void cli_dot_print(tc_buf *b, const tc_module *m, const tc_loop_prog *const *progs,
                   int nprogs) {
  tc_buf_puts(b, "digraph ");
  put_quoted(b, m->name ? m->name : "tensorc");
  tc_buf_puts(b, " {\n"
                 "  graph [fontname=\"Helvetica\", fontsize=10, rankdir=TB];\n"
                 "  node [fontname=\"Helvetica\", fontsize=10];\n"
                 "  edge [color=\"#555555\", arrowsize=0.7];\n");
  for (int K = 0; K < nprogs; K++) {
    const tc_kernel *k = progs[K]->kernel;
    if (nprogs == 1) {
      tc_buf_printf(b, "  // kernel %s\n", k->name);
      put_kernel(b, progs[K], K, "  ");
      continue;
    }
    tc_buf label = {0};
    tc_buf_printf(&label, "kernel %s", k->name);
    tc_buf_printf(b, "  subgraph cluster_k%d {\n    ", K);
    put_attr(b, "label", label.data);
    tc_buf_puts(b, ";\n    style=\"rounded\"; color=\"#3a3a3a\"; fillcolor=\"#ffffff\";\n");
    put_kernel(b, progs[K], K, "    ");
    tc_buf_puts(b, "  }\n");
    tc_buf_free(&label);
  }
  /* last, so that no cluster inherits it */
  tc_buf label = {0};
  tc_buf_puts(&label, m->name ? m->name : "tensorc");
  if (m->file) tc_buf_printf(&label, " (%s)", m->file);
  tc_buf_puts(b, "  ");
  put_attr(b, "label", label.data);
  tc_buf_puts(b, "; labelloc=t;\n}\n");
  tc_buf_free(&label);
}
