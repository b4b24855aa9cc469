/*
 * repl.c: `tensorc repl`, an interactive session.
 *
 * Lines of DSL accumulate kernels in a tcL_session; lines that start with
 * ':' are commands (:help lists them).  A chunk that Lua finds unfinished
 * (an open function or table) continues on the next line.
 *
 * Compiling rewrites a module in place, while the session's module must
 * stay as the DSL made it (it is the reference interpreter's input and
 * keeps growing).  So each command that compiles replays the chunks that
 * succeeded so far into a fresh, throwaway session and compiles that
 * one's module; its printed values are discarded.
 *
 * On a terminal: line editing and history (libedit) in
 * $TENSORC_HISTORY, else $HOME/.tensorc_history, and a prompt.  With
 * input from a pipe or file: no prompt, no history, and the exit status
 * is 1 when any line failed (so scripts can rely on it), else 0.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <editline/readline.h>

#include "cli.h"

static const char usage_repl[] =
    "usage: tensorc repl\n"
    "\n"
    "An interactive session: type DSL lines, then commands such as :run K.\n"
    "Type :help inside for the commands.  With piped input the exit status\n"
    "is 1 when any line failed.\n";

static const char help_text[] =
    "DSL lines build kernels (see the DSL reference); commands:\n"
    "  :help                      this text\n"
    "  :kernels                   the kernels declared so far, with their arguments\n"
    "  :ir K [PASS]               the IR of kernel K after PASS (all passes by default)\n"
    "  :c K                       the C that tensorc generates for kernel K\n"
    "  :run K [NAME=VALUE ...]    run K on random data (dims as NAME=VALUE), show outputs\n"
    "  :check K [NAME=VALUE ...]  run K and compare with the reference interpreter\n"
    "  :bench K [NAME=VALUE ...] [N]  time N runs (default 100)\n"
    "  :target [T]                show or set the target of :ir, :c and :run:\n"
    "                             scalar (default; runs with libtcc), or avx2,\n"
    "                             avx512, native, x86-64 (run with cc, cached)\n"
    "  :quit                      leave (also Ctrl-D)\n";

typedef struct repl {
  tcL_options opt;
  tcL_session *s;
  TC_VEC(char *) chunks; /* the chunks that succeeded, for replays */
  char target[16];       /* a target's name (:target); scalar runs with
                            libtcc, the others with cc */
  int interactive;
  int failed;            /* some line failed */
} repl;

/* ---- replay --------------------------------------------------------------- */

/* A fresh session holding what the current one holds, or NULL (with a
   message printed).  Its stdout is discarded while it replays. */
static tcL_session *replay(repl *r) {
  tcL_session *s = tcL_session_new(&r->opt);
  if (!s) return NULL;
  fflush(stdout);
  int saved = dup(1), devnull = open("/dev/null", O_WRONLY);
  if (saved >= 0 && devnull >= 0) dup2(devnull, 1);
  int ok = 1;
  tc_diag d = {0};
  for (int i = 0; i < r->chunks.len && ok; i++)
    ok = tcL_session_eval(s, r->chunks.data[i], &d) == 0;
  fflush(stdout);
  if (saved >= 0 && devnull >= 0) dup2(saved, 1);
  if (saved >= 0) close(saved);
  if (devnull >= 0) close(devnull);
  if (!ok) {
    /* The same chunks succeeded once: a DSL file that is not
       deterministic (math.random) could get here. */
    fprintf(stderr, "tensorc: replaying the session failed: %s\n", d.msg);
    tcL_session_free(s);
    return NULL;
  }
  return s;
}

/* ---- commands ------------------------------------------------------------- */

/* Splits a command line into words (blanks separate; no quoting). */
static int split(char *line, char **words, int max) {
  int n = 0;
  for (char *save = NULL, *w = strtok_r(line, " \t\r\n", &save); w && n < max;
       w = strtok_r(NULL, " \t\r\n", &save))
    words[n++] = w;
  return n;
}

static const tc_kernel *need_kernel(repl *r, int nw, char **w) {
  const tc_module *m = tcL_session_module(r->s);
  if (nw < 2) {
    fprintf(stderr, "tensorc: %s needs a kernel name (see :kernels)\n", w[0]);
    return NULL;
  }
  const tc_kernel *k = m ? tc_module_find_kernel(m, w[1]) : NULL;
  if (!k) fprintf(stderr, "tensorc: no kernel named '%s' (see :kernels)\n", w[1]);
  return k;
}

static void print_shape(tc_buf *b, const tc_kernel *k, const tc_arg *a) {
  const char *names[CLI_MAX_DIMS];
  for (int i = 0; i < k->dims.len && i < CLI_MAX_DIMS; i++) names[i] = k->dims.data[i].name;
  tc_buf_printf(b, "%s[", tc_dtype_name(a->dtype));
  for (int j = 0; j < a->rank; j++) {
    if (j) tc_buf_puts(b, ", ");
    tc_ext_print(b, a->shape[j], names, 1);
  }
  tc_buf_puts(b, "]");
}

static int cmd_kernels(repl *r) {
  const tc_module *m = tcL_session_module(r->s);
  if (!m) {
    printf("no kernels yet\n");
    return 0;
  }
  static const char *const roles[] = {"?", "input", "weight", "output"};
  for (int i = 0; i < m->kernels.len; i++) {
    const tc_kernel *k = m->kernels.data[i];
    tc_buf b = {0};
    tc_buf_printf(&b, "%s", k->name);
    if (k->dims.len) {
      tc_buf_puts(&b, " (dims");
      for (int j = 0; j < k->dims.len; j++) tc_buf_printf(&b, " %s", k->dims.data[j].name);
      tc_buf_puts(&b, ")");
    }
    tc_buf_puts(&b, "\n");
    for (int j = 0; j < k->args.len; j++) {
      const tc_arg *a = &k->args.data[j];
      tc_buf_printf(&b, "  %-6s %s: ", roles[a->role], a->name);
      print_shape(&b, k, a);
      tc_buf_puts(&b, "\n");
    }
    fputs(b.data, stdout);
    tc_buf_free(&b);
  }
  return 0;
}

/* :ir K [PASS] and :c K: the pipeline on a replayed module. */
static int cmd_ir(repl *r, int nw, char **w, int c_only) {
  const tc_kernel *k = need_kernel(r, nw, w);
  if (!k) return -1;
  int last = cli_pass_count() - 1, first = 0, headers = 1;
  if (c_only) {
    first = last;
    headers = 0;
  } else if (nw >= 3) {
    last = cli_pass_find(w[2]);
    if (last < 0) {
      fprintf(stderr, "tensorc: unknown pass '%s' (passes:", w[2]);
      for (int i = 0; i < cli_pass_count(); i++) fprintf(stderr, " %s", cli_pass_name(i));
      fprintf(stderr, ")\n");
      return -1;
    }
    first = last;
    headers = 0;
  }
  tcL_session *s = replay(r);
  if (!s) return -1;
  cli_compile c = {0};
  c.preloaded = (tc_module *)tcL_session_module(s); /* the throwaway's */
  c.borrowed = 1;
  c.kernel = k->name;
  tc_diag d = {0};
  if (cli_target_parse(r->target, &c.emit.target, &d) != 0) {
    cli_fail(&d, CLI_EUSER); /* cannot happen: :target checked it */
    tcL_session_free(s);
    return -1;
  }
  tc_buf out = {0};
  int rc = cli_compile_run(&c, last, first, headers, &out, &d);
  if (out.data) fputs(out.data, stdout);
  tc_buf_free(&out);
  cli_compile_free(&c);
  tcL_session_free(s);
  if (rc != CLI_OK) {
    cli_fail(&d, rc);
    return -1;
  }
  return 0;
}

/* :run / :check / :bench K [NAME=VALUE ...] [N] */
static int cmd_run(repl *r, int nw, char **w, int check, int bench) {
  const tc_kernel *k = need_kernel(r, nw, w);
  if (!k) return -1;
  if (tc_kernel_count_role(k, TC_ROLE_OUTPUT) == 0) {
    /* allowed while it is being typed, but there is nothing to run */
    fprintf(stderr, "tensorc: kernel %s has no outputs yet (declare them with "
                    "output(name, expr))\n", k->name);
    return -1;
  }
  cli_run_opts o = {0};
  o.kernel = k->name;
  o.check = check;
  o.summary = !bench;
  o.target = r->target;
  o.jit = strcmp(r->target, "scalar") == 0 ? CLI_JIT_TCC : CLI_JIT_CC;
  o.repl = 1;
  o.bench = bench ? 100 : 0;
  tc_diag d = {0};
  int rc = 0;
  for (int i = 2; i < nw && rc == 0; i++) {
    if (strchr(w[i], '=')) {
      rc = cli_run_add_dim(&o, w[i], &d);
    } else if (bench && w[i][0] >= '1' && w[i][0] <= '9' &&
               strspn(w[i], "0123456789") == strlen(w[i])) {
      /* as `tensorc run --bench`: at most 10^8 runs (atoi would wrap a
         longer number into some other count) */
      long n = strlen(w[i]) > 9 ? 0 : strtol(w[i], NULL, 10);
      if (n < 1 || n > 100000000)
        rc = cli_error(&d, "%s: the number of runs must be 1 to 100000000, got '%s'",
                       w[0], w[i]);
      o.bench = (int)n;
    } else {
      rc = cli_error(&d, "%s: expected NAME=VALUE%s, got '%s'", w[0],
                     bench ? " or a number of runs" : "", w[i]);
    }
  }
  if (rc != 0) {
    for (int i = 0; i < o.ndims; i++) free((char *)o.dim_names[i]);
    cli_fail(&d, CLI_EUSER);
    return -1;
  }
  tcL_session *s = replay(r);
  int status = CLI_EUSER;
  if (s) {
    status = cli_run_kernel((tc_module *)tcL_session_module(s), 1,
                            tcL_session_module(r->s), &o);
    tcL_session_free(s);
  }
  for (int i = 0; i < o.ndims; i++) free((char *)o.dim_names[i]);
  return status == CLI_OK ? 0 : -1;
}

/* :target [T]: prints the target, or sets it. */
static int cmd_target(repl *r, int nw, char **w) {
  if (nw < 2) {
    printf("target %s\n", r->target);
    return 0;
  }
  tcE_target t;
  tc_diag d = {0};
  if (nw > 2) {
    cli_error(&d, ":target takes one name, got '%s' too", w[2]);
    return cli_fail(&d, -1);
  }
  if (cli_target_parse(w[1], &t, &d) != 0) return cli_fail(&d, -1);
  snprintf(r->target, sizeof r->target, "%s", w[1]);
  return 0;
}

/* Runs one command line.  Returns 0, -1 on failure, 1 for :quit. */
static int command(repl *r, const char *line) {
  char *copy = tc_xstrdup(line);
  char *w[64];
  int nw = split(copy, w, 64), rc = 0;
  if (nw == 0) {
    free(copy);
    return 0;
  }
  const char *c = w[0];
  if (!strcmp(c, ":quit") || !strcmp(c, ":q") || !strcmp(c, ":exit"))
    rc = 1;
  else if (!strcmp(c, ":help") || !strcmp(c, ":h"))
    fputs(help_text, stdout);
  else if (!strcmp(c, ":kernels"))
    rc = cmd_kernels(r);
  else if (!strcmp(c, ":ir"))
    rc = cmd_ir(r, nw, w, 0);
  else if (!strcmp(c, ":c"))
    rc = cmd_ir(r, nw, w, 1);
  else if (!strcmp(c, ":run"))
    rc = cmd_run(r, nw, w, 0, 0);
  else if (!strcmp(c, ":check"))
    rc = cmd_run(r, nw, w, 1, 0);
  else if (!strcmp(c, ":bench"))
    rc = cmd_run(r, nw, w, 0, 1);
  else if (!strcmp(c, ":target"))
    rc = cmd_target(r, nw, w);
  else {
    fprintf(stderr, "tensorc: unknown command '%s' (type :help)\n", c);
    rc = -1;
  }
  free(copy);
  fflush(stdout);
  return rc;
}

/* ---- the loop ------------------------------------------------------------- */

/* One line without its newline (malloc'd), or NULL at the end of input. */
static char *read_line(repl *r, const char *prompt) {
  if (r->interactive) return readline(prompt);
  char *line = NULL;
  size_t cap = 0;
  ssize_t n = getline(&line, &cap, stdin);
  if (n < 0) {
    free(line);
    return NULL;
  }
  if (n > 0 && line[n - 1] == '\n') line[n - 1] = '\0';
  return line;
}

/* Lua reports a chunk that ends too early with "<eof>" in its message:
   then the next line continues it. */
static int unfinished(const tc_diag *d) { return strstr(d->msg, "<eof>") != NULL; }

int cli_cmd_repl(int argc, char **argv, const tcL_options *lang) {
  for (int i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      fputs(usage_repl, stdout);
      return CLI_OK;
    }
    fprintf(stderr, "tensorc: unknown option '%s' for 'tensorc repl'\n", argv[i]);
    return CLI_EUSER;
  }
  repl r = {0};
  r.opt = *lang;
  snprintf(r.target, sizeof r.target, "scalar");
  r.interactive = isatty(0);
  r.s = tcL_session_new(&r.opt);
  if (!r.s) return CLI_EINTERNAL;

  char *hist = NULL;
  if (r.interactive) {
    const char *h = getenv("TENSORC_HISTORY");
    const char *home = getenv("HOME");
    tc_buf b = {0};
    if (h && h[0])
      tc_buf_puts(&b, h);
    else if (home && home[0])
      tc_buf_printf(&b, "%s/.tensorc_history", home);
    hist = b.data ? tc_buf_steal(&b) : NULL;
    using_history();
    stifle_history(1000);
    if (hist) read_history(hist);
    printf("tensorc %s: type DSL lines, or :help\n", TC_VERSION);
  }

  tc_buf pending = {0}; /* an unfinished chunk */
  for (;;) {
    char *line = read_line(&r, pending.len ? ".. " : "tc> ");
    if (!line) break;
    if (r.interactive && line[0]) add_history(line);
    const char *p = line + strspn(line, " \t");
    if (!pending.len && p[0] == ':') {
      int rc = command(&r, p);
      free(line);
      if (rc == 1) break;
      if (rc < 0) r.failed = 1;
      continue;
    }
    if (!pending.len && !p[0]) {
      free(line);
      continue;
    }
    if (pending.len) tc_buf_putc(&pending, '\n');
    tc_buf_puts(&pending, line);
    free(line);
    tc_diag d = {0};
    if (tcL_session_eval(r.s, pending.data, &d) == 0) {
      TC_VEC_PUSH(r.chunks, tc_buf_steal(&pending));
    } else if (unfinished(&d)) {
      continue; /* read the rest */
    } else {
      fprintf(stderr, "%s\n", d.msg);
      r.failed = 1;
      tc_buf_free(&pending);
    }
    fflush(stdout);
  }
  if (pending.len) {
    /* The input ended inside a chunk: report what Lua says of it. */
    tc_diag d = {0};
    if (tcL_session_eval(r.s, pending.data, &d) != 0) {
      fprintf(stderr, "%s\n", d.msg);
      r.failed = 1;
    }
  }
  tc_buf_free(&pending);
  if (r.interactive) {
    printf("\n");
    if (hist) write_history(hist);
  }
  free(hist);
  for (int i = 0; i < r.chunks.len; i++) free(r.chunks.data[i]);
  TC_VEC_FREE(r.chunks);
  tcL_session_free(r.s);
  return r.failed && !r.interactive ? CLI_EUSER : CLI_OK;
}
