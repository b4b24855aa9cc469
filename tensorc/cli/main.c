/*
 * main.c: `tensorc`, the command-line driver.
 *
 *   tensorc build FILE.lua -o DIR   write DIR/M.c and DIR/M.h   (build.c)
 *   tensorc run FILE.lua ...        compile in process and run   (run.c)
 *   tensorc ir FILE.lua --after P   print the IR after a pass    (here)
 *   tensorc ir FILE.lua --dot       the graph and its loop nests (dot.c)
 *   tensorc kernels FILE.lua        list kernels and their dims  (here)
 *   tensorc repl                    the interactive loop         (repl.c)
 *
 * Exit statuses: 0 success, 1 a user error, 2 an internal error.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "usage: tensorc [--unsafe-lua] COMMAND [ARGS]\n"
    "\n"
    "tensorc compiles tensor kernels written in a Lua DSL into plain C.\n"
    "\n"
    "commands:\n"
    "  build FILE.lua -o DIR [--target T] [--name M] [--prefix X]\n"
    "                          write DIR/M.c and DIR/M.h\n"
    "  run FILE.lua [--kernel K] [--dim NAME=VALUE ...] [--data DIR]\n"
    "      [--jit tcc|cc] [--target T] [--seed S] [--check] [--bench N]\n"
    "                          compile a kernel in process and run it\n"
    "  ir FILE.lua [--after PASS] [--kernel K] [--dot] [-o FILE]\n"
    "                          print the IR after a pass (all passes by default),\n"
    "                          or with --dot a Graphviz picture of the fusion\n"
    "  kernels FILE.lua        list the kernels, one a line: NAME DIM...\n"
    "  repl                    an interactive session\n"
    "  help [COMMAND]          this text, or a command's\n"
    "\n"
    "targets (--target): scalar, avx2, avx512, native, x86-64\n"
    "\n"
    "options:\n"
    "  --unsafe-lua            lift the DSL's sandbox\n"
    "  --help, -h              this text\n"
    "  --version               print the version\n"
    "\n"
    "exit status: 0 success, 1 an error in the input, 2 an internal error.\n"
    "See docs/cli.md for every flag.\n";

static const char usage_ir[] =
    "usage: tensorc ir FILE.lua [--after PASS] [--kernel K] [--dot] [-o FILE]\n"
    "                  [--target T] [--name M] [--prefix X]\n"
    "\n"
    "Prints the IR after PASS (graph IR, loop IR or C), or after every pass\n"
    "when --after is not given.  --kernel K shows only kernel K.\n"
    "  --dot             instead, the graph as Graphviz text: one digraph, the\n"
    "                    loop nests of the final loop program (of PASS, lower or\n"
    "                    later, with --after) as clusters; render it with\n"
    "                    `dot -Tsvg`\n"
    "  -o, --output FILE write FILE (all or nothing) instead of stdout\n"
    "  --target T        the target of the C, as for build (default %s)\n"
    "  --name M, --prefix X  as for build\n";

int cli_opt_value(int argc, char **argv, int *i, const char *name,
                  const char **value, tc_diag *d) {
  const char *a = argv[*i];
  size_t n = strlen(name);
  if (strncmp(a, name, n) != 0) return 0;
  if (a[n] == '=') {
    *value = a + n + 1;
    return 1;
  }
  if (a[n] != '\0') return 0;
  if (*i + 1 >= argc) {
    cli_error(d, "option %s needs a value", name);
    return -1;
  }
  *value = argv[++*i];
  return 1;
}

int cli_error(tc_diag *d, const char *fmt, ...) {
  if (d->set) return -1;
  char msg[sizeof d->msg];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return tc_diag_at(d, (tc_loc){0}, "tensorc: %s", msg);
}

int cli_fail(const tc_diag *d, int status) {
  if (d->set) fprintf(stderr, "%s\n", d->msg);
  return status;
}

/* tensorc ir FILE [--after PASS] [--kernel K] [--dot] [-o FILE]
   [--target T] [--name M] [--prefix X] */
int cli_cmd_ir(int argc, char **argv, const tcL_options *lang) {
  tc_diag d = {0};
  cli_compile c = {0};
  c.lang = *lang;
  const char *after = NULL, *target = NULL, *output = NULL, *v;
  int dot = 0;
  for (int i = 0; i < argc; i++) {
    int r = 0;
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      printf(usage_ir, cli_target_name(CLI_DEFAULT_BUILD_TARGET));
      return CLI_OK;
    }
    if (strcmp(argv[i], "--dot") == 0) {
      dot = 1;
    } else if ((r = cli_opt_value(argc, argv, &i, "-o", &v, &d)) != 0 ||
               (r = cli_opt_value(argc, argv, &i, "--output", &v, &d)) != 0) {
      output = v;
    } else if ((r = cli_opt_value(argc, argv, &i, "--after", &v, &d)) != 0) {
      after = v;
    } else if ((r = cli_opt_value(argc, argv, &i, "--kernel", &v, &d)) != 0) {
      c.kernel = v;
    } else if ((r = cli_opt_value(argc, argv, &i, "--target", &v, &d)) != 0) {
      target = v;
    } else if ((r = cli_opt_value(argc, argv, &i, "--name", &v, &d)) != 0) {
      if (r > 0 && cli_check_c_name("--name", v, &d) != 0) r = -1;
      c.lang.module_name = v;
    } else if ((r = cli_opt_value(argc, argv, &i, "--prefix", &v, &d)) != 0) {
      if (r > 0 && cli_check_c_name("--prefix", v, &d) != 0) r = -1;
      c.emit.prefix = v;
    } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
      cli_error(&d, "unknown option '%s' for 'tensorc ir'", argv[i]);
      return cli_fail(&d, CLI_EUSER);
    } else if (!c.path) {
      c.path = argv[i];
    } else {
      cli_error(&d, "ir takes one file, got '%s' too", argv[i]);
      return cli_fail(&d, CLI_EUSER);
    }
    if (r < 0) return cli_fail(&d, CLI_EUSER);
  }
  if (!c.path) {
    fprintf(stderr, usage_ir, cli_target_name(CLI_DEFAULT_BUILD_TARGET));
    return CLI_EUSER;
  }
  int last = cli_pass_count() - 1, first = 0, headers = 1;
  if (after) {
    last = cli_pass_find(after);
    if (last < 0) {
      tc_buf names = {0};
      for (int i = 0; i < cli_pass_count(); i++)
        tc_buf_printf(&names, "%s%s", i ? ", " : "", cli_pass_name(i));
      cli_error(&d, "unknown pass '%s' (passes: %s)", after,
                 names.data);
      tc_buf_free(&names);
      return cli_fail(&d, CLI_EUSER);
    }
    first = last;
    headers = 0;
  }
  /* --dot draws a loop program: the final one, or that of --after PASS
     when PASS is `lower` or a later pass. */
  int lower = cli_pass_find("lower");
  if (dot && last < lower) {
    cli_error(&d, "--dot draws the loop program: --after %s comes before it "
              "(use --after lower or a later pass)", after);
    return cli_fail(&d, CLI_EUSER);
  }
  c.emit.target = CLI_DEFAULT_BUILD_TARGET; /* what build writes */
  if (target && cli_target_parse(target, &c.emit.target, &d) != 0)
    return cli_fail(&d, CLI_EUSER);
  tc_buf out = {0};
  int rc = cli_compile_run(&c, last, dot ? cli_pass_count() : first, headers,
                           dot ? NULL : &out, &d);
  if (rc == CLI_OK && dot)
    cli_dot_print(&out, c.selected, (const tc_loop_prog *const *)c.progs,
                  c.selected->kernels.len);
  if (output) {
    /* all or nothing: a failing pass leaves no file */
    if (rc == CLI_OK && cli_write_file(output, out.data ? out.data : "", &d) != 0)
      rc = CLI_EUSER;
  } else if (out.data && (rc == CLI_OK || !dot)) {
    /* What was printed before a failing pass is still worth showing. */
    fputs(out.data, stdout);
  }
  tc_buf_free(&out);
  cli_compile_free(&c);
  return rc == CLI_OK ? CLI_OK : cli_fail(&d, rc);
}

static const char usage_kernels[] =
    "usage: tensorc kernels FILE.lua\n"
    "\n"
    "Lists the file's kernels, one a line: the kernel's name, then its dims in\n"
    "dim() order, separated by spaces (for scripts).\n";

/* tensorc kernels FILE */
static int cmd_kernels(int argc, char **argv, const tcL_options *lang) {
  tc_diag d = {0};
  const char *path = NULL;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      fputs(usage_kernels, stdout);
      return CLI_OK;
    }
    if ((argv[i][0] == '-' && argv[i][1] != '\0') || path) {
      cli_error(&d, "unexpected argument '%s' for 'tensorc kernels'", argv[i]);
      return cli_fail(&d, CLI_EUSER);
    }
    path = argv[i];
  }
  if (!path) {
    fputs(usage_kernels, stderr);
    return CLI_EUSER;
  }
  tc_module *m = tcL_load_file(path, lang, &d);
  if (!m) {
    if (!d.set) cli_error(&d, "%s: could not be loaded", path);
    return cli_fail(&d, CLI_EUSER);
  }
  for (int i = 0; i < m->kernels.len; i++) {
    const tc_kernel *k = m->kernels.data[i];
    printf("%s", k->name);
    for (int j = 0; j < k->dims.len; j++) printf(" %s", k->dims.data[j].name);
    printf("\n");
  }
  tc_module_free(m);
  return CLI_OK;
}

static int help(const char *cmd) {
  if (!cmd) {
    fputs(usage, stdout);
    return CLI_OK;
  }
  char *argv[] = {"--help", NULL};
  tcL_options lang = {0};
  if (strcmp(cmd, "build") == 0) return cli_cmd_build(1, argv, &lang);
  if (strcmp(cmd, "run") == 0) return cli_cmd_run(1, argv, &lang);
  if (strcmp(cmd, "ir") == 0) return cli_cmd_ir(1, argv, &lang);
  if (strcmp(cmd, "repl") == 0) return cli_cmd_repl(1, argv, &lang);
  if (strcmp(cmd, "kernels") == 0) return cmd_kernels(1, argv, &lang);
  fprintf(stderr, "tensorc: no command named '%s' (commands: build, run, ir, kernels, repl, help)\n", cmd);
  return CLI_EUSER;
}

int main(int argc, char **argv) {
  tcL_options lang = {0};
  int i = 1;
  /* Options before the command. */
  for (; i < argc && argv[i][0] == '-'; i++) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
      return help(NULL);
    if (strcmp(argv[i], "--version") == 0) {
      printf("tensorc %s\n", TC_VERSION);
      return CLI_OK;
    }
    if (strcmp(argv[i], "--unsafe-lua") == 0) {
      lang.unsafe_lua = 1;
      continue;
    }
    fprintf(stderr, "tensorc: unknown option '%s' (see tensorc --help)\n", argv[i]);
    return CLI_EUSER;
  }
  if (i >= argc) {
    fputs(usage, stderr);
    return CLI_EUSER;
  }
  const char *cmd = argv[i++];
  /* --unsafe-lua is accepted after the command as well. */
  int n = 0;
  char **rest = tc_xcalloc((size_t)(argc - i) + 1, sizeof *rest);
  for (; i < argc; i++) {
    if (strcmp(argv[i], "--unsafe-lua") == 0)
      lang.unsafe_lua = 1;
    else
      rest[n++] = argv[i];
  }
  int rc;
  if (strcmp(cmd, "build") == 0)
    rc = cli_cmd_build(n, rest, &lang);
  else if (strcmp(cmd, "run") == 0)
    rc = cli_cmd_run(n, rest, &lang);
  else if (strcmp(cmd, "ir") == 0)
    rc = cli_cmd_ir(n, rest, &lang);
  else if (strcmp(cmd, "repl") == 0)
    rc = cli_cmd_repl(n, rest, &lang);
  else if (strcmp(cmd, "kernels") == 0)
    rc = cmd_kernels(n, rest, &lang);
  else if (strcmp(cmd, "help") == 0)
    rc = help(n > 0 ? rest[0] : NULL);
  else {
    fprintf(stderr, "tensorc: unknown command '%s' (commands: build, run, ir, kernels, repl, help)\n", cmd);
    rc = CLI_EUSER;
  }
  free(rest);
  return rc;
}
