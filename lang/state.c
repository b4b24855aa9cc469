/*
 * state.c: the Lua state of a DSL run.  Builds the sandbox (spec/dsl.md,
 * "A DSL file"), bounds memory and running time, turns every Lua error
 * into one "FILE:LINE: message" located in the user's code, and runs
 * files, strings and REPL sessions.
 */
#include <assert.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lualib.h>

#include "lang_int.h"

#define DEFAULT_MEMORY_LIMIT ((size_t)256 << 20)
#define DEFAULT_INSTRUCTION_LIMIT ((int64_t)1000000000)
/* The hook runs every HOOK_STEP VM instructions: often enough to stop a
   runaway loop within microseconds, rarely enough to cost nothing. */
#define HOOK_STEP 1000

/* ---- the context ------------------------------------------------------- */

tcL_ctx *tcL_ctx_of(lua_State *L) {
  void *ud = NULL;
  lua_getallocf(L, &ud);
  return ud;
}

static void count_hook(lua_State *L, lua_Debug *ar);

/* Lua's allocator with a budget: an allocation that would take the state
   (plus the graph it built, see tcL_account) over the limit fails, and
   Lua raises "not enough memory". */
static void *limited_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  tcL_ctx *c = ud;
  size_t old = ptr ? osize : 0; /* without ptr, osize is a type tag */
  if (nsize == 0) {
    free(ptr);
    c->mem_used -= old;
    return NULL;
  }
  if (nsize > old && c->mem_used - old + nsize > c->mem_limit) {
    c->mem_exceeded = 1;
    /* The limit is fatal: from the next instruction on, the hook fails
       every instruction, so that a pcall cannot catch "not enough memory"
       and retry for ever (each retry may cost much C work and few VM
       instructions).  lua_sethook is safe to call at any point. */
    if (c->L) {
      lua_sethook(c->L, count_hook, LUA_MASKCOUNT, 1);
      /* Remember the user's line now: a memory error unwinds without a
         message handler.  Walking the stack only reads, never allocates. */
      if (!c->mem_line) c->mem_line = tcL_where(c->L).line;
    }
    return NULL;
  }
  void *p = realloc(ptr, nsize);
  if (!p) return NULL;
  c->mem_used = c->mem_used - old + nsize;
  return p;
}

void tcL_account(lua_State *L, size_t bytes) {
  tcL_ctx *c = tcL_ctx_of(L);
  c->mem_used += bytes;
  if (c->mem_used > c->mem_limit) {
    c->mem_exceeded = 1;
    if (!c->mem_line) c->mem_line = tcL_where(L).line;
    lua_sethook(L, count_hook, LUA_MASKCOUNT, 1);
    tcL_error(L, "memory limit exceeded");
  }
}

static tcL_ctx *ctx_new(const char *file, const char *module_name,
                        const tcL_options *opt, int session) {
  tcL_ctx *c = tc_xcalloc(1, sizeof *c);
  char *name = module_name ? tc_xstrdup(module_name)
                           : tcL_module_name_from_path(file);
  c->m = tc_module_new(name, file);
  free(name);
  c->file = tc_arena_strdup(&c->m->arena, file);
  c->default_kernel = c->m->name;
  size_t n = strlen(file);
  c->source = tc_xmalloc(n + 2);
  c->source[0] = '@';
  memcpy(c->source + 1, file, n + 1);
  c->session = session;
  c->mem_limit = opt && opt->memory_limit ? opt->memory_limit : DEFAULT_MEMORY_LIMIT;
  c->insn_limit = opt && opt->instruction_limit > 0 ? opt->instruction_limit
                                                   : DEFAULT_INSTRUCTION_LIMIT;
  return c;
}

/* Frees the context; the module too unless it was handed out. */
static void ctx_free(tcL_ctx *c, int keep_module) {
  if (!c) return;
  if (!keep_module && c->m) tc_module_free(c->m);
  if (c->retired) tc_module_free(c->retired);
  free(c->sx);
  free(c->source);
  free(c);
}

/* ---- locations and errors ---------------------------------------------- */

tc_loc tcL_where(lua_State *L) {
  tcL_ctx *c = tcL_ctx_of(L);
  lua_Debug ar;
  for (int level = 0; lua_getstack(L, level, &ar); level++) {
    if (!lua_getinfo(L, "Sl", &ar)) break;
    if (ar.currentline > 0 && strcmp(ar.source, c->source) == 0) {
      c->last_line = ar.currentline;
      return (tc_loc){c->file, ar.currentline};
    }
  }
  return (tc_loc){c->file, c->last_line};
}

/* Errors are plain strings, so that a pcall in the user's code gets what
   Lua code expects.  A final message, already located in the user's file,
   starts with "FILE:LINE: " or "FILE: " (FILE in full, as given); the
   message handler passes those through unchanged. */
static int is_final_message(lua_State *L, int idx) {
  tcL_ctx *c = tcL_ctx_of(L);
  if (lua_type(L, idx) != LUA_TSTRING) return 0;
  const char *msg = lua_tostring(L, idx);
  size_t n = strlen(c->file);
  if (strncmp(msg, c->file, n) != 0 || msg[n] != ':') return 0;
  const char *p = msg + n + 1;
  if (*p == ' ') return 1;
  if (!isdigit((unsigned char)*p)) return 0;
  while (isdigit((unsigned char)*p)) p++;
  return p[0] == ':' && p[1] == ' ';
}

int tcL_error(lua_State *L, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  tc_diag d = {0};
  tc_diag_at(&d, tcL_where(L), "%s", msg);
  lua_pushstring(L, d.msg);
  lua_error(L);
  abort(); /* not reached: lua_error does not return */
}

int tcL_raise_diag(lua_State *L) {
  tcL_ctx *c = tcL_ctx_of(L);
  char msg[sizeof c->diag.msg];
  assert(c->diag.set);
  memcpy(msg, c->diag.msg, sizeof msg);
  c->diag.set = 0;
  c->diag.msg[0] = 0;
  lua_pushstring(L, msg);
  lua_error(L);
  abort();
}

/* Lua's name of a source in messages (luaO_chunkid of Lua 5.4): "@name"
   gives the name, or "..." and its end when it is too long. */
static void chunkid(char out[LUA_IDSIZE], const char *source) {
  size_t len = strlen(source);
  if (*source == '=' || *source == '@') {
    if (len <= LUA_IDSIZE) {
      memcpy(out, source + 1, len);
    } else if (*source == '=') {
      memcpy(out, source + 1, LUA_IDSIZE - 1);
      out[LUA_IDSIZE - 1] = 0;
    } else {
      size_t keep = LUA_IDSIZE - 3;
      memcpy(out, "...", 3);
      memcpy(out + 3, source + 1 + len - keep, keep);
    }
  } else {
    snprintf(out, LUA_IDSIZE, "?");
  }
}

/* When msg starts with "ID:LINE: ", returns LINE and sets *rest to what
   follows; else 0. */
static int strip_position(const char *msg, const char *id, const char **rest) {
  size_t n = strlen(id);
  if (strncmp(msg, id, n) != 0 || msg[n] != ':' || !isdigit((unsigned char)msg[n + 1]))
    return 0;
  const char *p = msg + n + 1;
  long line = 0;
  while (isdigit((unsigned char)*p) && line < 100000000) line = 10 * line + (*p++ - '0');
  if (*p != ':') return 0;
  p++;
  if (*p == ' ') p++;
  *rest = p;
  return (int)line;
}

/* Locate a Lua error message: a position Lua put in front of it that
   names the user's chunk is kept (error("...", 2) chooses it); any other
   (the prelude's, or none) is replaced by the user's current line.  The
   message is pushed as a string. */
static void locate_message(lua_State *L, const char *msg) {
  tcL_ctx *c = tcL_ctx_of(L);
  char uid[LUA_IDSIZE], pid[LUA_IDSIZE];
  chunkid(uid, c->source);
  chunkid(pid, TCL_PRELUDE_SOURCE);
  const char *rest = msg;
  int line = strip_position(msg, uid, &rest);
  if (!line) {
    if (!strip_position(msg, pid, &rest)) rest = msg;
    line = tcL_where(L).line;
  }
  tc_diag d = {0};
  tc_diag_at(&d, (tc_loc){c->file, line}, "%s", rest);
  lua_pushstring(L, d.msg);
}

int tcL_msgh(lua_State *L) {
  if (is_final_message(L, 1)) return 1;
  const char *msg;
  if (lua_type(L, 1) == LUA_TSTRING) {
    msg = lua_tostring(L, 1);
  } else if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) {
    msg = lua_tostring(L, -1);
  } else {
    msg = lua_pushfstring(L, "error object is a %s value", luaL_typename(L, 1));
  }
  locate_message(L, msg);
  return 1;
}

/* The message of a failed load or call (on top of the stack) into d. */
static void report(lua_State *L, int status, tc_diag *d) {
  tcL_ctx *c = tcL_ctx_of(L);
  if (c->mem_exceeded || status == LUA_ERRMEM) {
    tc_diag_at(d, (tc_loc){c->file, c->mem_line}, "memory limit of %g MiB exceeded",
               (double)c->mem_limit / (1 << 20));
    return;
  }
  if (is_final_message(L, -1)) {
    tc_diag_at(d, (tc_loc){0}, "%s", lua_tostring(L, -1));
    return;
  }
  const char *msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "unknown error";
  if (status == LUA_ERRSYNTAX) {
    /* Lua's syntax messages start with its (maybe shortened) chunk id. */
    char uid[LUA_IDSIZE];
    const char *rest = msg;
    chunkid(uid, c->source);
    int line = strip_position(msg, uid, &rest);
    tc_diag_at(d, (tc_loc){c->file, line}, "%s", rest);
    return;
  }
  /* An error the message handler did not see (an error in it). */
  tc_diag_at(d, (tc_loc){c->file, c->last_line}, "%s", msg);
}

/* ---- limits ---------------------------------------------------------------- */

static void count_hook(lua_State *L, lua_Debug *ar) {
  tcL_ctx *c = tcL_ctx_of(L);
  if (c->mem_exceeded) tcL_error(L, "memory limit exceeded");
  c->insn_count += HOOK_STEP;
  if (c->insn_count > c->insn_limit) {
    /* From now on every instruction fails, so that a pcall in a loop
       cannot swallow the error and keep going. */
    lua_sethook(L, count_hook, LUA_MASKCOUNT, 1);
    tcL_error(L, "instruction limit exceeded (the DSL file runs too long)");
  }
}

static void reset_limits(lua_State *L) {
  tcL_ctx *c = tcL_ctx_of(L);
  c->insn_count = 0;
  c->mem_exceeded = 0;
  c->mem_line = 0;
  lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_STEP);
}

/* ---- the sandbox ------------------------------------------------------------ */

/* Names the base library defines that spec/dsl.md leaves out. */
static const char *const removed_globals[] = {
    "dofile", "loadfile", "load", "collectgarbage", "_G", "_VERSION", "warn", NULL};

/* setmetatable without finalizers: a __gc function would run user code at
   whatever allocation triggers a collection, in the middle of the front
   end's C functions (and after the file has run). */
static int safe_setmetatable(lua_State *L) {
  if (lua_type(L, 2) == LUA_TTABLE) {
    lua_pushliteral(L, "__gc");
    int has_gc = lua_rawget(L, 2) != LUA_TNIL;
    lua_pop(L, 1);
    if (has_gc)
      tcL_error(L, "setmetatable: finalizers (__gc) are not available in the DSL sandbox");
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 1);
  return 1;
}

static void open_libraries(lua_State *L, int unsafe) {
  if (unsafe) {
    luaL_openlibs(L);
    return;
  }
  static const luaL_Reg libs[] = {{LUA_GNAME, luaopen_base},
                                  {LUA_TABLIBNAME, luaopen_table},
                                  {LUA_STRLIBNAME, luaopen_string},
                                  {LUA_MATHLIBNAME, luaopen_math},
                                  {LUA_UTF8LIBNAME, luaopen_utf8},
                                  {NULL, NULL}};
  for (const luaL_Reg *l = libs; l->func; l++) {
    luaL_requiref(L, l->name, l->func, 1);
    lua_pop(L, 1);
  }
  lua_pushglobaltable(L);
  for (int i = 0; removed_globals[i]; i++) {
    lua_pushnil(L);
    lua_setfield(L, -2, removed_globals[i]);
  }
  lua_getfield(L, -1, "setmetatable");
  lua_pushcclosure(L, safe_setmetatable, 1);
  lua_setfield(L, -2, "setmetatable");
  /* string.dump would hand out bytecode; the string metatable's __index is
     this same table, so ("").dump goes too. */
  lua_getfield(L, -1, LUA_STRLIBNAME);
  lua_pushnil(L);
  lua_setfield(L, -2, "dump");
  lua_pop(L, 2);
}

/* Everything that runs in protected mode while the state is made: the
   libraries, the DSL's values and functions, the prelude. */
static int setup(lua_State *L) {
  int unsafe = (int)lua_tointeger(L, 1);
  open_libraries(L, unsafe);
  tcL_open_values(L); /* leaves the methods table on the stack */
  lua_pushglobaltable(L);
  tcL_open_builtins(L, -2);
  lua_pop(L, 1);
  /* The prelude gets the methods table (for x:f(...)) as its argument. */
  if (luaL_loadbufferx(L, tcL_prelude_lua, strlen(tcL_prelude_lua),
                       TCL_PRELUDE_SOURCE, "t") != LUA_OK)
    return lua_error(L);
  lua_insert(L, -2);
  lua_call(L, 1, 0);
  return 0;
}

/* A new Lua state for c, or NULL with the error in d. */
static lua_State *state_new(tcL_ctx *c, int unsafe, tc_diag *d) {
  lua_State *L = lua_newstate(limited_alloc, c);
  c->L = L;
  if (!L) {
    tc_diag_at(d, (tc_loc){c->file, 0}, "memory limit of %g MiB exceeded",
               (double)c->mem_limit / (1 << 20));
    return NULL;
  }
  reset_limits(L);
  lua_pushcfunction(L, tcL_msgh);
  lua_pushcfunction(L, setup);
  lua_pushinteger(L, unsafe);
  int status = lua_pcall(L, 1, 0, 1);
  if (status != LUA_OK) {
    /* Only a bug in the prelude or too small a memory limit get here. */
    tc_diag inner = {0};
    report(L, status, &inner);
    tc_diag_at(d, (tc_loc){0}, "tensorc: cannot start the DSL: %s", inner.msg);
    lua_close(L);
    return NULL;
  }
  lua_settop(L, 0);
  return L;
}

/* ---- files and strings --------------------------------------------------- */

static tc_module *load_buffer(const char *src, size_t len, const char *name,
                              const tcL_options *opt, tc_diag *d) {
  tcL_ctx *c = ctx_new(name, opt ? opt->module_name : NULL, opt, 0);
  lua_State *L = state_new(c, opt && opt->unsafe_lua, d);
  if (!L) {
    ctx_free(c, 0);
    return NULL;
  }
  int ok = 0;
  lua_pushcfunction(L, tcL_msgh);
  /* "t": text only, precompiled chunks could crash the VM. */
  int status = luaL_loadbufferx(L, src, len, c->source, "t");
  if (status == LUA_OK) status = lua_pcall(L, 0, 0, 1);
  c->finished = 1;
  if (status != LUA_OK) {
    report(L, status, d);
  } else {
    tcL_finish(L);
    if (c->diag.set) {
      tc_diag_at(d, (tc_loc){0}, "%s", c->diag.msg);
    } else if (tc_graph_verify(c->m, d) == 0) {
      ok = 1;
    }
  }
  lua_close(L);
  tc_module *m = ok ? c->m : NULL;
  ctx_free(c, ok);
  return m;
}

tc_module *tcL_load_string(const char *src, const char *chunkname,
                           const tcL_options *opt, tc_diag *d) {
  if (!chunkname) chunkname = "string";
  return load_buffer(src, strlen(src), chunkname, opt, d);
}

tc_module *tcL_load_file(const char *path, const tcL_options *opt, tc_diag *d) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    tc_diag_at(d, (tc_loc){0}, "%s: cannot open the file", path);
    return NULL;
  }
  /* Read to the end (the file may be a pipe, so no size up front). */
  size_t len = 0, cap = 1 << 16;
  char *src = tc_xmalloc(cap + 1);
  size_t n;
  size_t limit = opt && opt->memory_limit ? opt->memory_limit : DEFAULT_MEMORY_LIMIT;
  while ((n = fread(src + len, 1, cap - len, f)) > 0) {
    len += n;
    if (len > limit) {
      fclose(f);
      free(src);
      tc_diag_at(d, (tc_loc){path, 0}, "memory limit of %g MiB exceeded (the file is larger)",
                 (double)limit / (1 << 20));
      return NULL;
    }
    if (len == cap) src = tc_xrealloc(src, (cap *= 2) + 1);
  }
  src[len] = 0;
  int err = ferror(f);
  fclose(f);
  if (err) {
    free(src);
    tc_diag_at(d, (tc_loc){0}, "%s: cannot read the file", path);
    return NULL;
  }
  /* A "#!" first line is skipped as lua.c does; blanking it keeps the
     line numbers. */
  if (src[0] == '#')
    for (char *p = src; *p && *p != '\n'; p++) *p = ' ';
  tc_module *m = load_buffer(src, len, path, opt, d);
  free(src);
  return m;
}

/* ---- REPL sessions ------------------------------------------------------- */

struct tcL_session {
  tcL_ctx *c;
  lua_State *L;
};

tcL_session *tcL_session_new(const tcL_options *opt) {
  tcL_session *s = tc_xcalloc(1, sizeof *s);
  const char *name = opt && opt->module_name ? opt->module_name : "repl";
  s->c = ctx_new("stdin", name, opt, 1);
  tc_diag d = {0};
  s->L = state_new(s->c, opt && opt->unsafe_lua, &d);
  if (!s->L) {
    fprintf(stderr, "%s\n", d.msg);
    ctx_free(s->c, 0);
    free(s);
    return NULL;
  }
  return s;
}

/* Print the values a chunk returned, separated by tabs, as lua.c does. */
static void print_results(lua_State *L, int n) {
  for (int i = 1; i <= n; i++) {
    size_t len;
    const char *str = luaL_tolstring(L, i, &len);
    fwrite(str, 1, len, stdout);
    fputc(i < n ? '\t' : '\n', stdout);
    lua_pop(L, 1);
  }
  fflush(stdout);
}

static int session_run(lua_State *L) {
  const char *chunk = lua_tostring(L, 1);
  tcL_ctx *c = tcL_ctx_of(L);
  lua_settop(L, 1);
  /* An expression typed alone is printed: try it as "return ..." first. */
  const char *body = chunk[0] == '=' ? chunk + 1 : chunk;
  const char *ret = lua_pushfstring(L, "return %s", body);
  if (luaL_loadbufferx(L, ret, strlen(ret), c->source, "t") != LUA_OK) {
    lua_pop(L, 1);
    if (luaL_loadbufferx(L, chunk, strlen(chunk), c->source, "t") != LUA_OK)
      return lua_error(L);
  }
  int base = lua_gettop(L) - 1; /* the function sits at base + 1 */
  lua_call(L, 0, LUA_MULTRET);
  return lua_gettop(L) - base;
}

int tcL_session_eval(tcL_session *s, const char *chunk, tc_diag *d) {
  lua_State *L = s->L;
  reset_limits(L);
  lua_settop(L, 0);
  lua_pushcfunction(L, tcL_msgh);
  lua_pushcfunction(L, session_run);
  lua_pushstring(L, chunk);
  int status = lua_pcall(L, 1, LUA_MULTRET, 1);
  if (status != LUA_OK) {
    /* A syntax error reached session_run's lua_error as a string and went
       through the message handler; the position is Lua's own. */
    report(L, status, d);
    lua_settop(L, 0);
    if (s->c->mem_exceeded) lua_gc(L, LUA_GCCOLLECT);
    return -1;
  }
  int n = lua_gettop(L) - 1;
  /* The results sit above the message handler at index 1. */
  lua_remove(L, 1);
  if (n > 0) print_results(L, n);
  lua_settop(L, 0);
  return 0;
}

const tc_module *tcL_session_module(tcL_session *s) {
  return s->c->m->kernels.len ? s->c->m : NULL;
}

void tcL_session_free(tcL_session *s) {
  if (!s) return;
  lua_close(s->L);
  ctx_free(s->c, 0);
  free(s);
}

/* ---- module names -------------------------------------------------------- */

char *tcL_module_name_from_path(const char *path) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  size_t n = strlen(base);
  const char *dot = strrchr(base, '.');
  if (dot && dot != base) n = (size_t)(dot - base);
  char *out = tc_xmalloc(n + 2);
  size_t j = 0;
  if (n == 0 || isdigit((unsigned char)base[0])) out[j++] = 'm';
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)base[i];
    out[j++] = (isalnum(ch) || ch == '_') && ch < 128 ? (char)ch : '_';
  }
  out[j] = 0;
  return out;
}
