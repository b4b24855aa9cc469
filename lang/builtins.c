/*
 * builtins.c: the functions of the DSL (spec/dsl.md), written in C where
 * they make graph nodes.  The compositions of these (flatten, transpose,
 * squeeze, unsqueeze, the method table) are in lang/prelude.lua.
 *
 * Every function checks its arguments as the user wrote them and reports
 * errors at the user's line (tcL_error); the graph constructors check the
 * rest (shapes, dtypes) and their messages are raised as they are.
 */
#include <float.h>
#include <stdio.h>
#include <string.h>

#include "lang_int.h"

/* ---- argument helpers -------------------------------------------------- */

/* The number of arguments must be within [lo, hi]. */
static void check_nargs(lua_State *L, const char *fn, int lo, int hi) {
  int n = lua_gettop(L);
  if (n >= lo && n <= hi) return;
  if (lo == hi)
    tcL_error(L, "%s: expected %d argument%s, got %d", fn, lo, lo == 1 ? "" : "s", n);
  if (n < lo) tcL_error(L, "%s: expected at least %d arguments, got %d", fn, lo, n);
  tcL_error(L, "%s: expected at most %d arguments, got %d", fn, hi, n);
}

static const char *check_string(lua_State *L, int idx, const char *fn, const char *what) {
  if (lua_type(L, idx) != LUA_TSTRING)
    tcL_error(L, "%s: expected %s (a string), got %s", fn, what, tcL_describe(L, idx));
  return lua_tostring(L, idx);
}

static int64_t check_int(lua_State *L, int idx, const char *fn, const char *what) {
  int ok = 0;
  lua_Integer v = lua_tointegerx(L, idx, &ok);
  if (!ok || lua_type(L, idx) != LUA_TNUMBER)
    tcL_error(L, "%s: expected %s (an integer), got %s", fn, what, tcL_describe(L, idx));
  return v;
}

static double opt_number(lua_State *L, int idx, double dflt, const char *fn,
                         const char *what) {
  if (lua_isnoneornil(L, idx)) return dflt;
  if (lua_type(L, idx) != LUA_TNUMBER)
    tcL_error(L, "%s: expected %s (a number), got %s", fn, what, tcL_describe(L, idx));
  return lua_tonumber(L, idx);
}

static int opt_bool(lua_State *L, int idx, const char *fn, const char *what) {
  if (lua_isnoneornil(L, idx)) return 0;
  if (lua_type(L, idx) != LUA_TBOOLEAN)
    tcL_error(L, "%s: expected %s (true or false), got %s", fn, what, tcL_describe(L, idx));
  return lua_toboolean(L, idx);
}

static tc_dtype check_dtype(lua_State *L, int idx, const char *fn, int allow_bool) {
  if (lua_type(L, idx) != LUA_TSTRING)
    tcL_error(L, "%s: expected a dtype (f32 f64 bf16 i8 u8 i32 i64), got %s", fn,
              tcL_describe(L, idx));
  const char *name = lua_tostring(L, idx);
  tc_dtype t = tc_dtype_from_name(name);
  if (t == TC_DT_BOOL && !allow_bool)
    tcL_error(L, "%s: bool is not an argument dtype (use u8 for masks)", fn);
  if (t == TC_DT_NONE)
    tcL_error(L, "%s: unknown dtype '%s' (expected one of f32 f64 bf16 i8 u8 i32 i64)", fn,
              name);
  return t;
}

/* The argument at idx as a tensor of the current kernel (not a number). */
static int check_tensor(lua_State *L, int idx, const char *fn) {
  tcL_value *v = tcL_test_value(L, idx);
  if (!v || v->kind != TCL_TENSOR) {
    if (v && v->kind == TCL_EXT) return tcL_to_node(L, idx, fn);
    tcL_error(L, "%s: expected a tensor, got %s", fn, tcL_describe(L, idx));
  }
  tcL_check_owner(L, v, fn);
  return v->node;
}

static tc_arena *arena(lua_State *L) { return &tcL_ctx_of(L)->m->arena; }

static int *arena_ids(lua_State *L, int n) {
  return tc_arena_alloc(arena(L), sizeof(int) * (size_t)(n > 0 ? n : 1));
}

static int64_t *arena_ints(lua_State *L, int n) {
  return tc_arena_alloc(arena(L), sizeof(int64_t) * (size_t)(n > 0 ? n : 1));
}

/* Run tc_graph_make on proto and push the result. */
static int make(lua_State *L, tc_node *proto) {
  tcL_ctx *c = tcL_ctx_of(L);
  tc_kernel *k = tcL_kernel(L);
  tcL_push_node(L, tc_graph_make(k, &c->m->arena, proto, tcL_where(L), &c->diag));
  return 1;
}

/* ---- names ------------------------------------------------------------- */

static const char *const c_keywords[] = {
    "auto", "break", "case", "char", "const", "continue", "default", "do",
    "double", "else", "enum", "extern", "float", "for", "goto", "if", "inline",
    "int", "long", "register", "restrict", "return", "short", "signed",
    "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned",
    "void", "volatile", "while", "_Bool", "_Complex", "_Imaginary", "_Alignas",
    "_Alignof", "_Atomic", "_Generic", "_Noreturn", "_Static_assert",
    "_Thread_local", NULL};

/* Names of kernels, dims and arguments become C identifiers: NULL when
   `name` can be one, else why not ("is a C keyword"). */
static const char *identifier_problem(const char *name) {
  size_t n = strlen(name);
  int ok = n > 0 && n <= 200 && !(name[0] >= '0' && name[0] <= '9');
  for (size_t i = 0; ok && i < n; i++) {
    char ch = name[i];
    ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
         (ch >= '0' && ch <= '9') || ch == '_';
  }
  if (!ok) return "is not a C identifier";
  for (int i = 0; c_keywords[i]; i++)
    if (strcmp(name, c_keywords[i]) == 0) return "is a C keyword";
  if (strncmp(name, "tc_", 3) == 0) return "begins with tc_, which is reserved";
  return NULL;
}

static void check_identifier(lua_State *L, const char *fn, const char *what,
                             const char *name) {
  const char *problem = identifier_problem(name);
  if (problem) tcL_error(L, "%s: %s '%s' %s", fn, what, name, problem);
}

/* A new name of kernel k: a C identifier used by no dim or argument. */
static void check_new_name(lua_State *L, tc_kernel *k, const char *fn, const char *name) {
  check_identifier(L, fn, "name", name);
  for (int i = 0; i < k->dims.len; i++)
    if (strcmp(k->dims.data[i].name, name) == 0)
      tcL_error(L, "%s: the name '%s' is already used by the dim at line %d", fn, name,
                k->dims.data[i].loc.line);
  for (int i = 0; i < k->args.len; i++)
    if (strcmp(k->args.data[i].name, name) == 0) {
      static const char *const roles[] = {"?", "input", "weight", "output"};
      tcL_error(L, "%s: the name '%s' is already used by the %s at line %d", fn, name,
                roles[k->args.data[i].role], k->args.data[i].loc.line);
    }
}

/* ---- kernels ------------------------------------------------------------- */

/* A kernel without outputs is an error at its kernel line.  In a REPL
   session it is allowed (the user is still typing it). */
static int check_outputs(tcL_ctx *c) {
  if (!c->k || c->session || tc_kernel_count_role(c->k, TC_ROLE_OUTPUT) > 0) return 0;
  return tc_diag_at(&c->diag, c->k->loc, "kernel '%s' has no outputs (declare them with "
                    "output(name, expr))", c->k->name);
}

/* Start kernel `name` at loc.  In a session, a kernel of the same name is
   replaced: the new kernel takes its place in the module and the old one
   moves to c->retired (values made in it carry its serial number, so they
   are rejected from then on, and its memory lives until the session
   ends). */
static void start_kernel(lua_State *L, const char *name, tc_loc loc) {
  tcL_ctx *c = tcL_ctx_of(L);
  tc_kernel *old = tc_module_find_kernel(c->m, name);
  if (old && !c->session)
    tcL_error(L, "kernel: a kernel named '%s' is already declared at line %d", name,
              old->loc.line);
  tc_kernel *k = tc_kernel_new(c->m, name, loc);
  if (old) {
    int i = 0;
    while (c->m->kernels.data[i] != old) i++;
    c->m->kernels.data[i] = k;
    c->m->kernels.len--;
    if (!c->retired) c->retired = tc_module_new("retired", "");
    TC_VEC_PUSH(c->retired->kernels, old);
  }
  c->k = k;
  c->kserial = ++c->nserial;
}

tc_kernel *tcL_kernel(lua_State *L) {
  tcL_ctx *c = tcL_ctx_of(L);
  if (c->finished) tcL_error(L, "the DSL file has finished running: no more DSL calls");
  if (c->k) return c->k;
  /* No kernel() yet: the file's one kernel, named after the module. */
  tc_loc loc = tcL_where(L);
  const char *problem = identifier_problem(c->default_kernel);
  if (problem)
    tcL_error(L, "the kernel name '%s' (the module's name) %s; call kernel(name) first or "
                 "choose the module's name with --name", c->default_kernel, problem);
  start_kernel(L, c->default_kernel, loc);
  c->implicit_kernel = 1;
  c->implicit_line = loc.line;
  return c->k;
}

static int b_kernel(lua_State *L) {
  tcL_ctx *c = tcL_ctx_of(L);
  check_nargs(L, "kernel", 1, 1);
  const char *name = check_string(L, 1, "kernel", "a kernel name");
  tc_loc loc = tcL_where(L);
  if (c->compute_depth > 0)
    tcL_error(L, "kernel: kernel() cannot be called inside a compute body");
  if (c->implicit_kernel && !c->session)
    tcL_error(L, "kernel: kernel() must be called before any other DSL function "
                 "(line %d used one)", c->implicit_line);
  check_identifier(L, "kernel", "kernel name", name);
  if (check_outputs(c) < 0) tcL_raise_diag(L);
  start_kernel(L, name, loc);
  c->implicit_kernel = 0;
  return 0;
}

int tcL_finish(lua_State *L) {
  tcL_ctx *c = tcL_ctx_of(L);
  if (c->m->kernels.len == 0)
    return tc_diag_at(&c->diag, (tc_loc){c->file, 0},
                      "the file declares no kernel (no input, output or kernel() call)");
  return check_outputs(c);
}

/* ---- declarations ---------------------------------------------------------- */

static int b_dim(lua_State *L) {
  check_nargs(L, "dim", 1, 1);
  const char *name = check_string(L, 1, "dim", "a name");
  tc_kernel *k = tcL_kernel(L);
  check_new_name(L, k, "dim", name);
  tc_dim dim = {tc_arena_strdup(arena(L), name), tcL_where(L)};
  TC_VEC_PUSH(k->dims, dim);
  tcL_account(L, sizeof dim + strlen(name));
  tcL_push_ext(L, tc_ext_dim(arena(L), k->dims.len - 1));
  return 1;
}

static int declare_arg(lua_State *L, tc_role role, const char *fn) {
  check_nargs(L, fn, 3, 3);
  const char *name = check_string(L, 1, fn, "a name");
  tc_kernel *k = tcL_kernel(L);
  check_new_name(L, k, fn, name);
  tc_dtype t = check_dtype(L, 2, fn, 0);
  const tc_ext *shape[TC_MAX_RANK];
  int rank = tcL_to_shape(L, 3, shape, 0, fn);
  tcL_ctx *c = tcL_ctx_of(L);
  tcL_push_node(L, tc_graph_arg(k, arena(L), name, role, t, rank, shape, tcL_where(L),
                                &c->diag));
  return 1;
}

static int b_input(lua_State *L) { return declare_arg(L, TC_ROLE_INPUT, "input"); }
static int b_weight(lua_State *L) { return declare_arg(L, TC_ROLE_WEIGHT, "weight"); }

static int b_output(lua_State *L) {
  tcL_ctx *c = tcL_ctx_of(L);
  check_nargs(L, "output", 2, 2);
  const char *name = check_string(L, 1, "output", "a name");
  tc_kernel *k = tcL_kernel(L);
  check_new_name(L, k, "output", name);
  int node = tcL_to_node(L, 2, "output");
  int r = tc_graph_output(k, arena(L), name, node, tcL_where(L), &c->diag);
  if (r < 0) tcL_raise_diag(L);
  tcL_push_tensor(L, node);
  return 1;
}

/* ---- elementwise ------------------------------------------------------------ */

/* Upvalue 1: the op; arity from ops.h. */
static int b_elementwise(lua_State *L) {
  tc_op op = (tc_op)lua_tointeger(L, lua_upvalueindex(1));
  const char *fn = tc_op_name(op);
  int n = tc_op_arity(op);
  check_nargs(L, fn, n, n);
  return tcL_elementwise(L, op, 1, n, 0, fn);
}

static int b_leaky_relu(lua_State *L) {
  check_nargs(L, "leaky_relu", 1, 2);
  double slope = opt_number(L, 2, 0.01, "leaky_relu", "the slope");
  lua_settop(L, 1);
  return tcL_elementwise(L, TC_OP_LEAKY_RELU, 1, 1, slope, "leaky_relu");
}

/* clamp(x, lo, hi); a nil bound is no bound, as torch.clamp's None. */
static int b_clamp(lua_State *L) {
  check_nargs(L, "clamp", 3, 3);
  int nolo = lua_isnil(L, 2), nohi = lua_isnil(L, 3);
  if (nolo && nohi) tcL_error(L, "clamp: give at least one of lo and hi");
  if (nolo || nohi) {
    lua_remove(L, nolo ? 2 : 3);
    return tcL_elementwise(L, nolo ? TC_OP_MINIMUM : TC_OP_MAXIMUM, 1, 2, 0, "clamp");
  }
  return tcL_elementwise(L, TC_OP_CLAMP, 1, 3, 0, "clamp");
}

/* Whether the value at idx is used as a scalar expression (a compute
   body's), as tcL_elementwise decides. */
static int is_scalar_context(lua_State *L, int idx) {
  tcL_value *v = tcL_test_value(L, idx);
  if (v) return v->kind == TCL_SEXPR || v->kind == TCL_RVAR ||
                (v->kind == TCL_EXT && tcL_ctx_of(L)->compute_depth > 0);
  return tcL_ctx_of(L)->compute_depth > 0;
}

static int b_cast(lua_State *L) {
  tcL_ctx *c = tcL_ctx_of(L);
  check_nargs(L, "cast", 2, 2);
  tc_dtype t = check_dtype(L, 2, "cast", 1);
  tc_kernel *k = tcL_kernel(L);
  if (is_scalar_context(L, 1)) {
    int cs = 0;
    const tc_sexpr *x = tcL_to_sexpr(L, 1, "cast", &cs);
    tcL_push_sexpr(L, tc_sexpr_cast(arena(L), x, t, tcL_where(L)), cs);
    return 1;
  }
  int x = tcL_to_node(L, 1, "cast");
  tcL_push_node(L, tc_graph_cast(k, arena(L), x, t, tcL_where(L), &c->diag));
  return 1;
}

/* ---- reductions ------------------------------------------------------------- */

/* sum(k, e) inside compute: reduce e over rvar k. */
static int scalar_reduce(lua_State *L, tc_op op, const char *fn) {
  tcL_ctx *c = tcL_ctx_of(L);
  check_nargs(L, fn, 2, 2);
  tcL_value *v = tcL_test_value(L, 1);
  tcL_check_owner(L, v, fn);
  if (op != TC_OP_SUM && op != TC_OP_MAX && op != TC_OP_MIN && op != TC_OP_PROD)
    tcL_error(L, "%s: an rvar reduction is one of sum, max, min, prod (write "
                 "sum(k, e) / K for a mean)", fn);
  if (c->compute_depth == 0)
    tcL_error(L, "%s(k, e) reduces over an rvar and is only allowed inside a compute body",
              fn);
  int cs = 0;
  const tc_sexpr *body = tcL_to_sexpr(L, 2, fn, &cs);
  const tc_sexpr *r =
      tc_sexpr_reduce(c->k, arena(L), op, v->rvar, body, tcL_where(L), &c->diag);
  if (!r) tcL_raise_diag(L);
  tcL_push_sexpr(L, r, cs);
  return 1;
}

/* The axis argument at idx, as an integer (not normalized: the graph
   constructors report out of range axes with the tensor's rank). */
static int64_t check_axis(lua_State *L, int idx, const char *fn) {
  return check_int(L, idx, fn, "an axis");
}

/* Upvalue 1: the op.  sum(x [, axes [, keepdim]]), or sum(k, e). */
static int b_reduce(lua_State *L) {
  tcL_ctx *c = tcL_ctx_of(L);
  tc_op op = (tc_op)lua_tointeger(L, lua_upvalueindex(1));
  const char *fn = tc_op_name(op);
  int arg = op == TC_OP_ARGMAX || op == TC_OP_ARGMIN;
  tcL_value *v = tcL_test_value(L, 1);
  if (v && v->kind == TCL_RVAR) return scalar_reduce(L, op, fn);
  if (v && v->kind == TCL_SEXPR)
    tcL_error(L, "%s: a scalar expression has no axes; inside compute, reduce over an "
                 "rvar (%s(k, e))%s", fn, fn,
              op == TC_OP_MAX ? " or take maximum(a, b)"
                              : op == TC_OP_MIN ? " or take minimum(a, b)" : "");
  check_nargs(L, fn, arg ? 2 : 1, 3);
  int x = check_tensor(L, 1, fn);
  int64_t axes[TC_MAX_RANK];
  int nax = -1;
  if (lua_isnoneornil(L, 2)) {
    if (arg) tcL_error(L, "%s: give the axis", fn);
  } else if (lua_type(L, 2) == LUA_TNUMBER) {
    axes[0] = check_axis(L, 2, fn);
    nax = 1;
  } else if (lua_istable(L, 2) && !tcL_test_value(L, 2) && !arg) {
    lua_Unsigned n = lua_rawlen(L, 2);
    if (n > TC_MAX_RANK) tcL_error(L, "%s: %d axes given, more than any rank", fn, (int)n);
    for (int i = 0; i < (int)n; i++) {
      lua_rawgeti(L, 2, i + 1);
      axes[i] = check_axis(L, -1, fn);
      lua_pop(L, 1);
    }
    nax = (int)n;
  } else {
    tcL_error(L, "%s: expected %s, got %s", fn,
              arg ? "one axis (an integer)" : "an axis, a list of axes or nil",
              tcL_describe(L, 2));
  }
  int keepdim = opt_bool(L, 3, fn, "keepdim");
  tcL_push_node(L, tc_graph_reduce(c->k, arena(L), op, x, nax, axes, keepdim,
                                   tcL_where(L), &c->diag));
  return 1;
}

/* ---- normalizations ---------------------------------------------------------- */

static int softmax_like(lua_State *L, tc_op op) {
  const char *fn = tc_op_name(op);
  check_nargs(L, fn, 2, 2);
  int x = check_tensor(L, 1, fn);
  tc_node p = {0};
  p.op = op;
  p.nin = 1;
  int *in = arena_ids(L, 1);
  in[0] = x;
  p.in = in;
  p.axis = (int)check_axis(L, 2, fn);
  return make(L, &p);
}

static int b_softmax(lua_State *L) { return softmax_like(L, TC_OP_SOFTMAX); }
static int b_log_softmax(lua_State *L) { return softmax_like(L, TC_OP_LOG_SOFTMAX); }

/* An optional tensor argument: appended to in[] when present. */
static int opt_tensor(lua_State *L, int idx, const char *fn, int *in, int *nin) {
  if (lua_isnoneornil(L, idx)) return 0;
  in[(*nin)++] = check_tensor(L, idx, fn);
  return 1;
}

static int b_layer_norm(lua_State *L) {
  check_nargs(L, "layer_norm", 2, 5);
  int *in = arena_ids(L, 3), nin = 0;
  int64_t *ints = arena_ints(L, 3);
  in[nin++] = check_tensor(L, 1, "layer_norm");
  ints[0] = check_int(L, 2, "layer_norm", "the number of normalized axes");
  ints[1] = opt_tensor(L, 3, "layer_norm", in, &nin);
  ints[2] = opt_tensor(L, 4, "layer_norm", in, &nin);
  tc_node p = {0};
  p.op = TC_OP_LAYER_NORM;
  p.in = in;
  p.nin = nin;
  p.ints = ints;
  p.nints = 3;
  p.num = opt_number(L, 5, 1e-5, "layer_norm", "eps");
  return make(L, &p);
}

static int b_rms_norm(lua_State *L) {
  check_nargs(L, "rms_norm", 1, 3);
  int *in = arena_ids(L, 2), nin = 0;
  int64_t *ints = arena_ints(L, 1);
  in[nin++] = check_tensor(L, 1, "rms_norm");
  ints[0] = opt_tensor(L, 2, "rms_norm", in, &nin);
  /* torch.nn.functional.rms_norm's default: the dtype's machine epsilon */
  tc_dtype t = tcL_node(L, in[0])->dtype;
  double eps = t == TC_DT_F64 ? DBL_EPSILON : t == TC_DT_BF16 ? 0.0078125 : FLT_EPSILON;
  tc_node p = {0};
  p.op = TC_OP_RMS_NORM;
  p.in = in;
  p.nin = nin;
  p.ints = ints;
  p.nints = 1;
  p.num = opt_number(L, 3, eps, "rms_norm", "eps");
  return make(L, &p);
}

static int b_batch_norm(lua_State *L) {
  check_nargs(L, "batch_norm", 3, 6);
  int *in = arena_ids(L, 5), nin = 0;
  int64_t *ints = arena_ints(L, 2);
  in[nin++] = check_tensor(L, 1, "batch_norm");
  in[nin++] = check_tensor(L, 2, "batch_norm");
  in[nin++] = check_tensor(L, 3, "batch_norm");
  ints[0] = opt_tensor(L, 4, "batch_norm", in, &nin);
  ints[1] = opt_tensor(L, 5, "batch_norm", in, &nin);
  tc_node p = {0};
  p.op = TC_OP_BATCH_NORM;
  p.in = in;
  p.nin = nin;
  p.ints = ints;
  p.nints = 2;
  p.num = opt_number(L, 6, 1e-5, "batch_norm", "eps");
  return make(L, &p);
}

/* ---- shapes ------------------------------------------------------------------ */

/* reshape and expand: a shape in which -1 is NULL (graph.h). */
static int reshape_like(lua_State *L, tc_op op) {
  const char *fn = tc_op_name(op);
  check_nargs(L, fn, 2, 2);
  int x = check_tensor(L, 1, fn);
  const tc_ext **shape = tc_arena_alloc(arena(L), sizeof *shape * TC_MAX_RANK);
  tc_node p = {0};
  p.op = op;
  p.rank = tcL_to_shape(L, 2, shape, 1, fn);
  p.shape = shape;
  int *in = arena_ids(L, 1);
  in[0] = x;
  p.in = in;
  p.nin = 1;
  return make(L, &p);
}

static int b_reshape(lua_State *L) { return reshape_like(L, TC_OP_RESHAPE); }
static int b_expand(lua_State *L) { return reshape_like(L, TC_OP_EXPAND); }

/* A Lua list of integers (at most max) into out; returns the count. */
static int int_list(lua_State *L, int idx, int64_t *out, int max, const char *fn,
                    const char *what) {
  if (!lua_istable(L, idx) || tcL_test_value(L, idx))
    tcL_error(L, "%s: expected %s (a list of integers), got %s", fn, what,
              tcL_describe(L, idx));
  lua_Unsigned n = lua_rawlen(L, idx);
  if (n > (lua_Unsigned)max) tcL_error(L, "%s: %s has %d entries, at most %d", fn, what,
                                       (int)n, max);
  for (int i = 0; i < (int)n; i++) {
    lua_rawgeti(L, idx, i + 1);
    out[i] = check_int(L, -1, fn, what);
    lua_pop(L, 1);
  }
  return (int)n;
}

static int b_permute(lua_State *L) {
  check_nargs(L, "permute", 2, 2);
  int x = check_tensor(L, 1, "permute");
  int64_t *perm = arena_ints(L, TC_MAX_RANK);
  tc_node p = {0};
  p.op = TC_OP_PERMUTE;
  p.nints = int_list(L, 2, perm, TC_MAX_RANK, "permute", "the permutation");
  p.ints = perm;
  int *in = arena_ids(L, 1);
  in[0] = x;
  p.in = in;
  p.nin = 1;
  return make(L, &p);
}

/* slice(x, axis, start, stop [, step]): start/stop nil for the ends;
   graph.h's proto: exts = magnitudes, ints = {step, start<0, stop<0}. */
static int b_slice(lua_State *L) {
  check_nargs(L, "slice", 4, 5);
  int x = check_tensor(L, 1, "slice");
  tc_node p = {0};
  p.op = TC_OP_SLICE;
  p.axis = (int)check_axis(L, 2, "slice");
  const tc_ext **exts = tc_arena_alloc(arena(L), 2 * sizeof *exts);
  int64_t *ints = arena_ints(L, 3);
  ints[0] = lua_isnoneornil(L, 5) ? 1 : check_int(L, 5, "slice", "the step");
  for (int i = 0; i < 2; i++) {
    int idx = 3 + i;
    const char *what = i ? "the stop" : "the start";
    if (lua_isnil(L, idx)) continue;
    tcL_value *v = tcL_test_value(L, idx);
    if (v && v->kind == TCL_EXT) {
      exts[i] = tcL_to_ext(L, idx, 0, "slice");
      continue;
    }
    int64_t b = check_int(L, idx, "slice", what);
    /* -INT64_MIN does not exist; a bound that far below 0 clamps to the
       start all the same */
    if (b == INT64_MIN) b = -INT64_MAX;
    ints[1 + i] = b < 0;
    exts[i] = tc_ext_const(arena(L), b < 0 ? -b : b);
  }
  p.exts = exts;
  p.ints = ints;
  p.nints = 3;
  int *in = arena_ids(L, 1);
  in[0] = x;
  p.in = in;
  p.nin = 1;
  return make(L, &p);
}

static int b_concat(lua_State *L) {
  check_nargs(L, "concat", 2, 2);
  if (!lua_istable(L, 1) || tcL_test_value(L, 1))
    tcL_error(L, "concat: expected a list of tensors, got %s", tcL_describe(L, 1));
  lua_Unsigned len = lua_rawlen(L, 1);
  if (len < 1 || len > 1 << 16)
    tcL_error(L, "concat: expected 1 to 65536 tensors, got %llu", (unsigned long long)len);
  int n = (int)len;
  int *in = arena_ids(L, n);
  for (int i = 0; i < n; i++) {
    lua_rawgeti(L, 1, i + 1);
    in[i] = check_tensor(L, -1, "concat");
    lua_pop(L, 1);
  }
  tc_node p = {0};
  p.op = TC_OP_CONCAT;
  p.in = in;
  p.nin = n;
  p.axis = (int)check_axis(L, 2, "concat");
  return make(L, &p);
}

static int b_pad(lua_State *L) {
  check_nargs(L, "pad", 2, 3);
  int x = check_tensor(L, 1, "pad");
  int64_t *pads = arena_ints(L, 2 * TC_MAX_RANK);
  tc_node p = {0};
  p.op = TC_OP_PAD;
  p.nints = int_list(L, 2, pads, 2 * TC_MAX_RANK, "pad", "the pads");
  p.ints = pads;
  p.num = opt_number(L, 3, 0, "pad", "the value");
  int *in = arena_ids(L, 1);
  in[0] = x;
  p.in = in;
  p.nin = 1;
  return make(L, &p);
}

/* ---- linear algebra --------------------------------------------------------- */

/* A reshape of node x to the given shape, made by the front end itself. */
static int reshape_node(lua_State *L, int x, int rank, const tc_ext *const *shape) {
  tcL_ctx *c = tcL_ctx_of(L);
  tc_node p = {0};
  const tc_ext **s = tc_arena_alloc(arena(L), sizeof *s * (size_t)(rank + 1));
  memcpy(s, shape, sizeof *s * (size_t)rank);
  p.op = TC_OP_RESHAPE;
  p.rank = rank;
  p.shape = s;
  int *in = arena_ids(L, 1);
  in[0] = x;
  p.in = in;
  p.nin = 1;
  int id = tc_graph_make(c->k, arena(L), &p, tcL_where(L), &c->diag);
  if (id < 0) tcL_raise_diag(L);
  return id;
}

/* torch.matmul: a 1-D a is [1, K] and a 1-D b is [K, 1] for the graph's
   MATMUL (rank >= 2), and the added axes are removed from the result. */
static int b_matmul(lua_State *L) {
  tcL_ctx *c = tcL_ctx_of(L);
  check_nargs(L, "matmul", 2, 2);
  int ids[2] = {check_tensor(L, 1, "matmul"), check_tensor(L, 2, "matmul")};
  int r[2];
  for (int i = 0; i < 2; i++) {
    const tc_node *n = tcL_node(L, ids[i]);
    r[i] = n->rank;
    if (r[i] == 0)
      tcL_error(L, "matmul: %s is a scalar (rank 0); use * to scale", i ? "b" : "a");
    if (r[i] == 1) {
      const tc_ext *s[2];
      s[i == 0 ? 0 : 1] = tc_ext_const(arena(L), 1);
      s[i == 0 ? 1 : 0] = n->shape[0];
      ids[i] = reshape_node(L, ids[i], 2, s);
    }
  }
  tc_node p = {0};
  p.op = TC_OP_MATMUL;
  int *in = arena_ids(L, 2);
  in[0] = ids[0];
  in[1] = ids[1];
  p.in = in;
  p.nin = 2;
  int id = tc_graph_make(c->k, arena(L), &p, tcL_where(L), &c->diag);
  if (id < 0) tcL_raise_diag(L);
  if (r[0] == 1 || r[1] == 1) {
    const tc_node *n = tcL_node(L, id);
    const tc_ext *s[TC_MAX_RANK];
    int rank = 0;
    for (int i = 0; i < n->rank; i++) {
      if (r[0] == 1 && i == n->rank - 2) continue;
      if (r[1] == 1 && i == n->rank - 1) continue;
      s[rank++] = n->shape[i];
    }
    id = reshape_node(L, id, rank, s);
  }
  tcL_push_node(L, id);
  return 1;
}

static int b_linear(lua_State *L) {
  check_nargs(L, "linear", 2, 3);
  int *in = arena_ids(L, 3), nin = 0;
  in[nin++] = check_tensor(L, 1, "linear");
  in[nin++] = check_tensor(L, 2, "linear");
  int64_t *ints = arena_ints(L, 1);
  ints[0] = opt_tensor(L, 3, "linear", in, &nin);
  tc_node p = {0};
  p.op = TC_OP_LINEAR;
  p.in = in;
  p.nin = nin;
  p.ints = ints;
  p.nints = 1;
  return make(L, &p);
}

static int b_einsum(lua_State *L) {
  int n = lua_gettop(L) - 1;
  if (n < 1) tcL_error(L, "einsum: expected a spec and at least one tensor");
  const char *spec = check_string(L, 1, "einsum", "a spec such as \"ij,jk->ik\"");
  int *in = arena_ids(L, n);
  for (int i = 0; i < n; i++) in[i] = check_tensor(L, i + 2, "einsum");
  tc_node p = {0};
  p.op = TC_OP_EINSUM;
  p.in = in;
  p.nin = n;
  p.str = tc_arena_strdup(arena(L), spec);
  return make(L, &p);
}

/* ---- options tables ---------------------------------------------------------- */

/* opts at idx must be nil or a table whose keys are all in `allowed`
   (NULL-terminated); an unknown key is an error naming the allowed ones. */
static void check_opts(lua_State *L, int idx, const char *fn,
                       const char *const *allowed) {
  if (lua_isnoneornil(L, idx)) return;
  if (!lua_istable(L, idx) || tcL_test_value(L, idx))
    tcL_error(L, "%s: expected a table of options, got %s", fn, tcL_describe(L, idx));
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    int ok = 0;
    if (lua_type(L, -1) == LUA_TSTRING)
      for (int i = 0; allowed[i] && !ok; i++) ok = strcmp(lua_tostring(L, -1), allowed[i]) == 0;
    if (!ok) {
      char names[256] = "";
      for (int i = 0; allowed[i]; i++) {
        strncat(names, i ? ", " : "", sizeof names - strlen(names) - 1);
        strncat(names, allowed[i], sizeof names - strlen(names) - 1);
      }
      tcL_error(L, "%s: unknown option %s%s%s (options: %s)", fn,
                lua_type(L, -1) == LUA_TSTRING ? "'" : "",
                lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : tcL_describe(L, -1),
                lua_type(L, -1) == LUA_TSTRING ? "'" : "", names);
    }
  }
}

/* Push opts[key] (nil when opts is nil). */
static int get_opt(lua_State *L, int idx, const char *key) {
  if (lua_isnoneornil(L, idx)) {
    lua_pushnil(L);
    return LUA_TNIL;
  }
  return lua_getfield(L, idx, key);
}

/* The value on top (popped) as a pair of integers: a number means both;
   nil gives dflt for both. */
static void pop_pair(lua_State *L, const char *fn, const char *what, int64_t dflt,
                     int64_t out[2]) {
  if (lua_isnil(L, -1)) {
    out[0] = out[1] = dflt;
  } else if (lua_type(L, -1) == LUA_TNUMBER) {
    out[0] = out[1] = check_int(L, -1, fn, what);
  } else if (lua_istable(L, -1) && !tcL_test_value(L, -1) && lua_rawlen(L, -1) == 2) {
    for (int i = 0; i < 2; i++) {
      lua_rawgeti(L, -1, i + 1);
      out[i] = check_int(L, -1, fn, what);
      lua_pop(L, 1);
    }
  } else {
    tcL_error(L, "%s: %s must be an integer or a pair {h, w}, got %s", fn, what,
              tcL_describe(L, -1));
  }
  lua_pop(L, 1);
}

/* A reduction name: "sum", "mean", "max" or "min". */
static int64_t check_reduce_name(lua_State *L, int idx, const char *fn) {
  const char *r = check_string(L, idx, fn, "a reduction (\"sum\", \"mean\", \"max\" or \"min\")");
  static const struct { const char *name; tc_op op; } table[] = {
      {"sum", TC_OP_SUM}, {"mean", TC_OP_MEAN}, {"max", TC_OP_MAX}, {"min", TC_OP_MIN}};
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
    if (strcmp(r, table[i].name) == 0) return table[i].op;
  tcL_error(L, "%s: unknown reduction '%s' (expected sum, mean, max or min)", fn, r);
}

/* ---- convolution and pooling ------------------------------------------------- */

static int b_conv2d(lua_State *L) {
  static const char *const allowed[] = {"stride", "padding", "dilation", "groups",
                                        "layout", NULL};
  check_nargs(L, "conv2d", 2, 4);
  int *in = arena_ids(L, 3), nin = 0;
  in[nin++] = check_tensor(L, 1, "conv2d");
  in[nin++] = check_tensor(L, 2, "conv2d");
  int has_bias = opt_tensor(L, 3, "conv2d", in, &nin);
  check_opts(L, 4, "conv2d", allowed);
  int64_t *ints = arena_ints(L, 9);
  get_opt(L, 4, "stride");
  pop_pair(L, "conv2d", "stride", 1, ints + 0);
  get_opt(L, 4, "padding");
  pop_pair(L, "conv2d", "padding", 0, ints + 2);
  get_opt(L, 4, "dilation");
  pop_pair(L, "conv2d", "dilation", 1, ints + 4);
  get_opt(L, 4, "groups");
  ints[6] = lua_isnil(L, -1) ? 1 : check_int(L, -1, "conv2d", "groups");
  lua_pop(L, 1);
  get_opt(L, 4, "layout");
  ints[7] = 0;
  if (!lua_isnil(L, -1)) {
    const char *lay = check_string(L, -1, "conv2d", "the layout (\"NCHW\" or \"NHWC\")");
    if (strcmp(lay, "NHWC") == 0)
      ints[7] = 1;
    else if (strcmp(lay, "NCHW") != 0)
      tcL_error(L, "conv2d: unknown layout '%s' (expected \"NCHW\" or \"NHWC\")", lay);
  }
  lua_pop(L, 1);
  ints[8] = has_bias;
  tc_node p = {0};
  p.op = TC_OP_CONV2D;
  p.in = in;
  p.nin = nin;
  p.ints = ints;
  p.nints = 9;
  return make(L, &p);
}

static int pool(lua_State *L, tc_op op) {
  static const char *const allowed[] = {"stride", "padding", NULL};
  const char *fn = tc_op_name(op);
  check_nargs(L, fn, 2, 3);
  int x = check_tensor(L, 1, fn);
  check_opts(L, 3, fn, allowed);
  int64_t *ints = arena_ints(L, 6);
  lua_pushvalue(L, 2);
  if (lua_isnil(L, -1)) tcL_error(L, "%s: give the kernel size", fn);
  pop_pair(L, fn, "the kernel size", 1, ints + 0);
  get_opt(L, 3, "stride");
  if (lua_isnil(L, -1)) { /* the stride defaults to the kernel */
    lua_pop(L, 1);
    ints[2] = ints[0];
    ints[3] = ints[1];
  } else {
    pop_pair(L, fn, "stride", 1, ints + 2);
  }
  get_opt(L, 3, "padding");
  pop_pair(L, fn, "padding", 0, ints + 4);
  tc_node p = {0};
  p.op = op;
  int *in = arena_ids(L, 1);
  in[0] = x;
  p.in = in;
  p.nin = 1;
  p.ints = ints;
  p.nints = 6;
  return make(L, &p);
}

static int b_max_pool2d(lua_State *L) { return pool(L, TC_OP_MAX_POOL2D); }
static int b_avg_pool2d(lua_State *L) { return pool(L, TC_OP_AVG_POOL2D); }

/* global_avg_pool2d(x): mean over H and W, keeping them (as
   adaptive_avg_pool2d(x, 1)): a MEAN node, nothing new for the passes. */
static int b_global_avg_pool2d(lua_State *L) {
  tcL_ctx *c = tcL_ctx_of(L);
  check_nargs(L, "global_avg_pool2d", 1, 1);
  int x = check_tensor(L, 1, "global_avg_pool2d");
  const tc_node *n = tcL_node(L, x);
  if (n->rank != 4)
    tcL_error(L, "global_avg_pool2d: x must have rank 4 (NCHW), got rank %d", n->rank);
  int64_t axes[2] = {2, 3};
  tcL_push_node(L, tc_graph_reduce(c->k, arena(L), TC_OP_MEAN, x, 2, axes, 1,
                                   tcL_where(L), &c->diag));
  return 1;
}

/* ---- sparse and indexing ------------------------------------------------------ */

static int b_csr(lua_State *L) {
  static const char *const allowed[] = {"index", "values", NULL};
  tcL_ctx *c = tcL_ctx_of(L);
  check_nargs(L, "csr", 3, 4);
  const char *name = check_string(L, 1, "csr", "a name");
  tc_kernel *k = tcL_kernel(L);
  check_new_name(L, k, "csr", name);
  tc_dtype t = check_dtype(L, 2, "csr", 0);
  const tc_ext *shape[TC_MAX_RANK];
  int rank = tcL_to_shape(L, 3, shape, 0, "csr");
  if (rank != 2) tcL_error(L, "csr: a csr matrix has a shape {rows, cols}, got rank %d", rank);
  check_opts(L, 4, "csr", allowed);
  tc_dtype index = TC_DT_I64;
  if (get_opt(L, 4, "index") != LUA_TNIL) {
    index = check_dtype(L, -1, "csr", 0);
    if (index != TC_DT_I32 && index != TC_DT_I64)
      tcL_error(L, "csr: index must be i32 or i64, got %s", tc_dtype_name(index));
  }
  lua_pop(L, 1);
  get_opt(L, 4, "values");
  int has_values = 1;
  if (!lua_isnil(L, -1)) {
    if (lua_type(L, -1) != LUA_TBOOLEAN)
      tcL_error(L, "csr: values must be true or false, got %s", tcL_describe(L, -1));
    has_values = lua_toboolean(L, -1);
  }
  lua_pop(L, 1);
  tcL_push_node(L, tc_graph_csr(k, arena(L), name, t, index, has_values, shape[0], shape[1],
                                tcL_where(L), &c->diag));
  return 1;
}

static int b_spmm(lua_State *L) {
  check_nargs(L, "spmm", 3, 3);
  int *in = arena_ids(L, 2);
  in[0] = check_tensor(L, 1, "spmm");
  in[1] = check_tensor(L, 2, "spmm");
  if (tcL_node(L, in[0])->op != TC_OP_CSR)
    tcL_error(L, "spmm: a must be a csr argument (declared with csr(name, dtype, shape)), "
                 "got a dense tensor");
  int64_t *ints = arena_ints(L, 1);
  ints[0] = check_reduce_name(L, 3, "spmm");
  tc_node p = {0};
  p.op = TC_OP_SPMM;
  p.in = in;
  p.nin = 2;
  p.ints = ints;
  p.nints = 1;
  return make(L, &p);
}

/* gather(x, axis, index) and index_select(x, axis, index). */
static int gather_like(lua_State *L, tc_op op) {
  const char *fn = tc_op_name(op);
  check_nargs(L, fn, 3, 3);
  int *in = arena_ids(L, 2);
  in[0] = check_tensor(L, 1, fn);
  tc_node p = {0};
  p.op = op;
  p.axis = (int)check_axis(L, 2, fn);
  in[1] = check_tensor(L, 3, fn);
  p.in = in;
  p.nin = 2;
  return make(L, &p);
}

static int b_gather(lua_State *L) { return gather_like(L, TC_OP_GATHER); }
static int b_index_select(lua_State *L) { return gather_like(L, TC_OP_INDEX_SELECT); }

/* scatter(src, index, axis, size, reduce). */
static int b_scatter(lua_State *L) {
  check_nargs(L, "scatter", 5, 5);
  int *in = arena_ids(L, 2);
  in[0] = check_tensor(L, 1, "scatter");
  in[1] = check_tensor(L, 2, "scatter");
  tc_node p = {0};
  p.op = TC_OP_SCATTER;
  p.axis = (int)check_axis(L, 3, "scatter");
  const tc_ext **exts = tc_arena_alloc(arena(L), sizeof *exts);
  exts[0] = tcL_to_ext(L, 4, 0, "scatter: size");
  int64_t *ints = arena_ints(L, 1);
  ints[0] = check_reduce_name(L, 5, "scatter");
  p.exts = exts;
  p.ints = ints;
  p.nints = 1;
  p.in = in;
  p.nin = 2;
  return make(L, &p);
}

/* ---- quantization --------------------------------------------------------------- */

/* A quantization dtype: u8 or i8. */
static tc_dtype check_qdtype(lua_State *L, int idx, const char *fn) {
  tc_dtype t = check_dtype(L, idx, fn, 0);
  if (t != TC_DT_U8 && t != TC_DT_I8)
    tcL_error(L, "%s: the quantized dtype must be u8 or i8, got %s", fn, tc_dtype_name(t));
  return t;
}

/* quantize(x, scale, zero_point, dtype) and dequantize(q, scale, zero_point). */
static int quant(lua_State *L, tc_op op) {
  const char *fn = tc_op_name(op);
  int q = op == TC_OP_QUANTIZE;
  check_nargs(L, fn, q ? 4 : 3, q ? 4 : 3);
  tc_node p = {0};
  p.op = op;
  int *in = arena_ids(L, 1);
  in[0] = check_tensor(L, 1, fn);
  if (lua_type(L, 2) != LUA_TNUMBER)
    tcL_error(L, "%s: expected the scale (a number), got %s", fn, tcL_describe(L, 2));
  p.num = lua_tonumber(L, 2);
  p.inum = check_int(L, 3, fn, "the zero point");
  if (q) p.dtype = check_qdtype(L, 4, fn);
  p.in = in;
  p.nin = 1;
  return make(L, &p);
}

static int b_quantize(lua_State *L) { return quant(L, TC_OP_QUANTIZE); }
static int b_dequantize(lua_State *L) { return quant(L, TC_OP_DEQUANTIZE); }

/* Per-channel parameters: a tensor, or a Lua array of numbers made into a
   literal of dtype t (integers only when t is an integer dtype). */
static int channel_param(lua_State *L, int idx, const char *fn, const char *what, tc_dtype t) {
  tcL_ctx *c = tcL_ctx_of(L);
  if (tcL_test_value(L, idx)) return check_tensor(L, idx, fn);
  if (!lua_istable(L, idx))
    tcL_error(L, "%s: %s must be a tensor or a list of numbers, got %s", fn, what,
              tcL_describe(L, idx));
  lua_Unsigned n = lua_rawlen(L, idx);
  if (n < 1 || n > 1 << 20)
    tcL_error(L, "%s: %s must have 1 to 1048576 entries, got %llu", fn, what,
              (unsigned long long)n);
  /* a userdata, so that an error (which longjmps) leaks nothing */
  double *v = lua_newuserdatauv(L, (size_t)n * sizeof *v, 0);
  for (int i = 0; i < (int)n; i++) {
    lua_rawgeti(L, idx, i + 1);
    if (lua_type(L, -1) != LUA_TNUMBER || !(tc_dtype_is_float(t) || lua_isinteger(L, -1)))
      tcL_error(L, "%s: entry %d of %s must be %s, got %s", fn, i + 1, what,
                tc_dtype_is_float(t) ? "a number" : "an integer", tcL_describe(L, -1));
    v[i] = lua_tonumber(L, -1);
    lua_pop(L, 1);
  }
  int id = tc_graph_literal(c->k, arena(L), t, (int)n, v, tcL_where(L), &c->diag);
  lua_pop(L, 1);
  if (id < 0) tcL_raise_diag(L);
  tcL_account(L, (size_t)n * 8 + sizeof(tc_node));
  return id;
}

/* quantize_per_channel(x, scales, zero_points, axis, dtype) and
   dequantize_per_channel(q, scales, zero_points, axis). */
static int quant_per_channel(lua_State *L, tc_op op) {
  const char *fn = tc_op_name(op);
  int q = op == TC_OP_QUANTIZE_PER_CHANNEL;
  check_nargs(L, fn, q ? 5 : 4, q ? 5 : 4);
  int *in = arena_ids(L, 3);
  in[0] = check_tensor(L, 1, fn);
  tc_node p = {0};
  p.op = op;
  p.axis = (int)check_axis(L, 4, fn);
  if (q) p.dtype = check_qdtype(L, 5, fn);
  tcL_kernel(L);
  in[1] = channel_param(L, 2, fn, "scales", TC_DT_F32);
  in[2] = channel_param(L, 3, fn, "zero_points", TC_DT_I64);
  p.in = in;
  p.nin = 3;
  return make(L, &p);
}

static int b_quantize_per_channel(lua_State *L) {
  return quant_per_channel(L, TC_OP_QUANTIZE_PER_CHANNEL);
}
static int b_dequantize_per_channel(lua_State *L) {
  return quant_per_channel(L, TC_OP_DEQUANTIZE_PER_CHANNEL);
}

/* ---- index notation ------------------------------------------------------- */

static int b_rvar(lua_State *L) {
  check_nargs(L, "rvar", 1, 1);
  tc_kernel *k = tcL_kernel(L);
  tc_rvar rv = {tcL_to_ext(L, 1, 0, "rvar"), tcL_where(L)};
  TC_VEC_PUSH(k->rvars, rv);
  tcL_account(L, sizeof rv);
  tcL_push_value(L, TCL_RVAR)->rvar = k->rvars.len - 1;
  return 1;
}

/* Evaluates the body function: fn(i, j, ...) with index variables. */
static int compute_body(lua_State *L) {
  tcL_ctx *c = tcL_ctx_of(L);
  int rank = (int)lua_tointeger(L, 2);
  lua_settop(L, 1);
  tc_loc loc = tcL_where(L);
  for (int d = 0; d < rank; d++)
    tcL_push_sexpr(L, tc_sexpr_ivar(arena(L), d, loc), c->compute_serial);
  lua_call(L, rank, 1);
  /* The result as a scalar expression of this compute. */
  int cs = 0;
  const tc_sexpr *body;
  tcL_value *v = tcL_test_value(L, -1);
  if (v && v->kind == TCL_TENSOR && tcL_node(L, v->node)->rank > 0)
    tcL_error(L, "compute: the function returned a whole tensor; return a scalar "
                 "expression, using x(i, ...) to read an element");
  if (!v && lua_type(L, -1) != LUA_TNUMBER && lua_type(L, -1) != LUA_TBOOLEAN)
    tcL_error(L, "compute: the function must return a scalar expression, got %s",
              tcL_describe(L, -1));
  body = tcL_to_sexpr(L, -1, "compute", &cs);
  lua_pushlightuserdata(L, (void *)body);
  return 1;
}

/* compute(shape, fn).  The body runs in a protected call so that the
   compute depth is restored even when it fails (and a pcall in the
   user's code can go on); its error, already located by the message
   handler, is raised again. */
static int b_compute(lua_State *L) {
  tcL_ctx *c = tcL_ctx_of(L);
  check_nargs(L, "compute", 2, 2);
  tc_kernel *k = tcL_kernel(L);
  const tc_ext **shape = tc_arena_alloc(arena(L), sizeof *shape * TC_MAX_RANK);
  int rank = tcL_to_shape(L, 1, shape, 0, "compute");
  if (lua_type(L, 2) != LUA_TFUNCTION)
    tcL_error(L, "compute: expected a function of the %d index variables, got %s", rank,
              tcL_describe(L, 2));
  int saved_serial = c->compute_serial;
  c->compute_depth++;
  c->compute_serial = ++c->ncompute;
  lua_pushcfunction(L, tcL_msgh);
  lua_pushcfunction(L, compute_body);
  lua_pushvalue(L, 2);
  lua_pushinteger(L, rank);
  int status = lua_pcall(L, 2, 1, -4);
  c->compute_depth--;
  c->compute_serial = saved_serial;
  if (status != LUA_OK) return lua_error(L);
  const tc_sexpr *body = lua_touserdata(L, -1);
  tcL_push_node(L, tc_graph_compute(k, arena(L), rank, shape, body, tcL_where(L),
                                    &c->diag));
  return 1;
}

/* ---- schedules ------------------------------------------------------------- */

static int positive_field(lua_State *L, const char *key) {
  int ok = 0;
  lua_Integer v = lua_tointegerx(L, -1, &ok);
  if (!ok || lua_type(L, -1) != LUA_TNUMBER || v <= 0 || v > 1 << 20)
    tcL_error(L, "schedule: %s must be a positive integer, got %s", key,
              lua_type(L, -1) == LUA_TNUMBER ? lua_tostring(L, -1) : tcL_describe(L, -1));
  return (int)v;
}

static int b_schedule(lua_State *L) {
  tcL_ctx *c = tcL_ctx_of(L);
  check_nargs(L, "schedule", 2, 2);
  tcL_value *v = tcL_test_value(L, 1);
  if (!v || v->kind != TCL_TENSOR)
    tcL_error(L, "schedule: expected a tensor of this kernel, got %s", tcL_describe(L, 1));
  tcL_check_owner(L, v, "schedule");
  if (!lua_istable(L, 2) || tcL_test_value(L, 2))
    tcL_error(L, "schedule: expected a table of hints such as {tile = {64, 256}}, got %s",
              tcL_describe(L, 2));
  tc_kernel *k = c->k;
  const tc_node *n = tcL_node(L, v->node);
  int rank = n->rank; /* (n is not used across Lua calls) */
  if (n->op == TC_OP_INPUT || n->op == TC_OP_WEIGHT || n->op == TC_OP_CONST)
    tcL_error(L, "schedule: %s is not computed by the kernel; schedule a tensor it computes",
              n->op == TC_OP_CONST ? "a constant" : k->args.data[n->arg].name);
  for (int i = 0; i < k->schedules.len; i++)
    if (k->schedules.data[i].node == v->node)
      tcL_error(L, "schedule: this tensor already has a schedule (line %d)",
                k->schedules.data[i].loc.line);
  tc_schedule s = {0};
  s.node = v->node;
  s.loc = tcL_where(L);
  lua_pushnil(L);
  while (lua_next(L, 2)) {
    if (lua_type(L, -2) != LUA_TSTRING)
      tcL_error(L, "schedule: hint names are strings (tile, vectorize, parallel, unroll)");
    const char *key = lua_tostring(L, -2);
    if (strcmp(key, "tile") == 0) {
      int64_t tile[TC_MAX_RANK];
      if (!lua_istable(L, -1) || tcL_test_value(L, -1))
        tcL_error(L, "schedule: tile must be a list of tile sizes, got %s",
                  tcL_describe(L, -1));
      if ((int)lua_rawlen(L, -1) > rank)
        tcL_error(L, "schedule: tile has %d sizes but the tensor has rank %d",
                  (int)lua_rawlen(L, -1), rank);
      s.ntile = int_list(L, lua_gettop(L), tile, TC_MAX_RANK, "schedule", "tile");
      if (s.ntile == 0) tcL_error(L, "schedule: tile is empty");
      for (int i = 0; i < s.ntile; i++) {
        if (tile[i] <= 0 || tile[i] > 1 << 20)
          tcL_error(L, "schedule: tile sizes must be positive, got %lld",
                    (long long)tile[i]);
        s.tile[i] = (int)tile[i];
      }
    } else if (strcmp(key, "vectorize") == 0) {
      s.vectorize = positive_field(L, key);
      if (s.vectorize & (s.vectorize - 1))
        tcL_error(L, "schedule: vectorize must be a power of two, got %d", s.vectorize);
    } else if (strcmp(key, "unroll") == 0) {
      s.unroll = positive_field(L, key);
    } else if (strcmp(key, "parallel") == 0) {
      int64_t axis = check_int(L, -1, "schedule", "parallel (an axis)");
      if (axis < 0 || axis >= rank)
        tcL_error(L, "schedule: parallel names axis %lld, but the tensor has rank %d",
                  (long long)axis, rank);
      s.parallel = (int)axis;
      s.has_parallel = 1;
    } else {
      tcL_error(L, "schedule: unknown hint '%s' (expected tile, vectorize, parallel or "
                   "unroll)", key);
    }
    lua_pop(L, 1);
  }
  TC_VEC_PUSH(k->schedules, s);
  return 0;
}

/* ---- registration ----------------------------------------------------------- */

/* The C functions that take a tensor first are methods too (x:f(...)). */
static const char *const method_names[] = {
    "leaky_relu", "clamp", "cast", "softmax", "log_softmax", "layer_norm",
    "rms_norm", "batch_norm", "reshape", "expand", "permute", "slice", "pad",
    "matmul", "linear", "schedule", "conv2d", "max_pool2d", "avg_pool2d",
    "global_avg_pool2d", "spmm", "gather", "index_select", "scatter", "quantize",
    "dequantize", "quantize_per_channel", "dequantize_per_channel", NULL};

void tcL_open_builtins(lua_State *L, int methods) {
  methods = lua_absindex(L, methods);
  static const luaL_Reg funcs[] = {
      {"kernel", b_kernel},         {"dim", b_dim},
      {"input", b_input},           {"weight", b_weight},
      {"output", b_output},         {"leaky_relu", b_leaky_relu},
      {"clamp", b_clamp},           {"cast", b_cast},
      {"softmax", b_softmax},       {"log_softmax", b_log_softmax},
      {"layer_norm", b_layer_norm}, {"rms_norm", b_rms_norm},
      {"batch_norm", b_batch_norm}, {"reshape", b_reshape},
      {"expand", b_expand},         {"permute", b_permute},
      {"slice", b_slice},           {"concat", b_concat},
      {"pad", b_pad},               {"matmul", b_matmul},
      {"linear", b_linear},         {"einsum", b_einsum},
      {"rvar", b_rvar},             {"compute", b_compute},
      {"schedule", b_schedule},     {"conv2d", b_conv2d},
      {"max_pool2d", b_max_pool2d}, {"avg_pool2d", b_avg_pool2d},
      {"global_avg_pool2d", b_global_avg_pool2d},
      {"csr", b_csr},               {"spmm", b_spmm},
      {"gather", b_gather},         {"index_select", b_index_select},
      {"scatter", b_scatter},       {"quantize", b_quantize},
      {"dequantize", b_dequantize},
      {"quantize_per_channel", b_quantize_per_channel},
      {"dequantize_per_channel", b_dequantize_per_channel},
      {NULL, NULL}};
  luaL_setfuncs(L, funcs, 0);
  /* Elementwise functions and reductions, by their names in ops.h. */
  for (int op = 0; op < TC_OP_COUNT; op++) {
    tc_op_class cls = tc_op_class_of((tc_op)op);
    int ew = cls == TC_OPC_UNARY || cls == TC_OPC_BINARY || cls == TC_OPC_CMP ||
             op == TC_OP_WHERE;
    if (op == TC_OP_CAST || op == TC_OP_LEAKY_RELU) continue;
    /* + - * / // % are operators, not functions (spec/dsl.md) */
    if (op == TC_OP_ADD || op == TC_OP_SUB || op == TC_OP_MUL || op == TC_OP_DIV ||
        op == TC_OP_FLOORDIV || op == TC_OP_MOD)
      continue;
    if (!ew && cls != TC_OPC_REDUCE) continue;
    lua_pushinteger(L, op);
    lua_pushcclosure(L, ew ? b_elementwise : b_reduce, 1);
    lua_pushvalue(L, -1);
    lua_setfield(L, methods, tc_op_name((tc_op)op));
    lua_setfield(L, -2, tc_op_name((tc_op)op));
  }
  for (int i = 0; method_names[i]; i++) {
    lua_getfield(L, -1, method_names[i]);
    lua_setfield(L, methods, method_names[i]);
  }
  /* dtypes are globals whose value is their name */
  for (int t = TC_DT_NONE + 1; t < TC_DT_COUNT; t++) {
    lua_pushstring(L, tc_dtype_name((tc_dtype)t));
    lua_setfield(L, -2, tc_dtype_name((tc_dtype)t));
  }
}
