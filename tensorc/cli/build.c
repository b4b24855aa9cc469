/*
 * build.c: `tensorc build FILE.lua -o DIR [--target T] [--name M]
 * [--prefix X]` writes DIR/M.c and DIR/M.h (spec/abi.md).
 *
 * Both files are written under temporary names and renamed only once both
 * are complete: on any error no output file appears, and an existing pair
 * from an earlier build is left as it was.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static const char usage_build[] =
    "usage: tensorc build FILE.lua -o DIR [--target T] [--name M] [--prefix X]\n"
    "\n"
    "Writes DIR/M.c and DIR/M.h, where M is the file's stem (or --name).\n"
    "  -o, --output DIR   the directory to write into (created if missing)\n"
    "  --target T         scalar, avx2, avx512, native (this CPU's best) or\n"
    "                     x86-64 (all in one file, chosen at run time);\n"
    "                     default %s\n"
    "  --name M           the module's name\n"
    "  --prefix X         replaces M in the C names of the kernels\n";

/* mkdir -p DIR.  0, or -1 with errno set. */
static int make_dirs(const char *path) {
  char *p = tc_xstrdup(path);
  int rc = 0;
  for (char *s = p + 1; *s && rc == 0; s++) {
    if (*s != '/') continue;
    *s = '\0';
    if (mkdir(p, 0777) != 0 && errno != EEXIST) rc = -1;
    *s = '/';
  }
  if (rc == 0 && mkdir(p, 0777) != 0 && errno != EEXIST) rc = -1;
  free(p);
  return rc;
}

/* Writes text to a fresh temporary file next to `path`; its name in tmp. */
static int write_temp(const char *path, const char *text, tc_buf *tmp,
                      tc_diag *d) {
  tc_buf_printf(tmp, "%s.tmp.%ld", path, (long)getpid());
  FILE *f = fopen(tmp->data, "w");
  if (!f) return cli_error(d, "cannot write %s: %s", tmp->data, strerror(errno));
  size_t n = strlen(text);
  int ok = fwrite(text, 1, n, f) == n;
  ok = (fclose(f) == 0) && ok;
  if (!ok) {
    unlink(tmp->data);
    return cli_error(d, "cannot write %s: %s", tmp->data, strerror(errno));
  }
  return 0;
}

int cli_write_file(const char *path, const char *text, tc_diag *d) {
  tc_buf tmp = {0};
  int rc = write_temp(path, text, &tmp, d);
  if (rc == 0 && rename(tmp.data, path) != 0) {
    rc = cli_error(d, "cannot rename %s to %s: %s", tmp.data, path, strerror(errno));
    unlink(tmp.data);
  }
  tc_buf_free(&tmp);
  return rc;
}

int cli_cmd_build(int argc, char **argv, const tcL_options *lang) {
  tc_diag d = {0};
  cli_compile c = {0};
  c.lang = *lang;
  c.emit.target = CLI_DEFAULT_BUILD_TARGET;
  const char *outdir = NULL, *v;
  for (int i = 0; i < argc; i++) {
    int r;
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      printf(usage_build, cli_target_name(CLI_DEFAULT_BUILD_TARGET));
      return CLI_OK;
    }
    if ((r = cli_opt_value(argc, argv, &i, "-o", &v, &d)) != 0 ||
        (r = cli_opt_value(argc, argv, &i, "--output", &v, &d)) != 0) {
      outdir = v;
    } else if ((r = cli_opt_value(argc, argv, &i, "--target", &v, &d)) != 0) {
      if (r > 0 && cli_target_parse(v, &c.emit.target, &d) != 0)
        return cli_fail(&d, CLI_EUSER);
    } else if ((r = cli_opt_value(argc, argv, &i, "--name", &v, &d)) != 0) {
      if (r > 0 && cli_check_c_name("--name", v, &d) != 0) r = -1;
      c.lang.module_name = v;
    } else if ((r = cli_opt_value(argc, argv, &i, "--prefix", &v, &d)) != 0) {
      if (r > 0 && cli_check_c_name("--prefix", v, &d) != 0) r = -1;
      c.emit.prefix = v;
    } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
      cli_error(&d, "unknown option '%s' for 'tensorc build'", argv[i]);
      return cli_fail(&d, CLI_EUSER);
    } else if (!c.path) {
      c.path = argv[i];
    } else {
      cli_error(&d, "build takes one file, got '%s' too", argv[i]);
      return cli_fail(&d, CLI_EUSER);
    }
    if (r < 0) return cli_fail(&d, CLI_EUSER);
  }
  if (!c.path || !outdir) {
    fprintf(stderr, usage_build, cli_target_name(CLI_DEFAULT_BUILD_TARGET));
    return CLI_EUSER;
  }

  int rc = cli_compile_run(&c, cli_pass_count() - 1, cli_pass_count(), 0,
                           NULL, &d);
  tc_buf hpath = {0}, cpath = {0}, htmp = {0}, ctmp = {0};
  if (rc == CLI_OK) {
    tc_buf_printf(&hpath, "%s/%s.h", outdir, c.module->name);
    tc_buf_printf(&cpath, "%s/%s.c", outdir, c.module->name);
    if (make_dirs(outdir) != 0) {
      cli_error(&d, "cannot create directory %s: %s", outdir, strerror(errno));
      rc = CLI_EUSER;
    } else if (write_temp(hpath.data, c.header, &htmp, &d) != 0) {
      rc = CLI_EUSER;
    } else if (write_temp(cpath.data, c.source, &ctmp, &d) != 0) {
      unlink(htmp.data);
      rc = CLI_EUSER;
    } else if (rename(htmp.data, hpath.data) != 0 ||
               rename(ctmp.data, cpath.data) != 0) {
      cli_error(&d, "cannot rename into %s: %s", outdir, strerror(errno));
      unlink(htmp.data);
      unlink(ctmp.data);
      rc = CLI_EUSER;
    }
  }
  tc_buf_free(&hpath);
  tc_buf_free(&cpath);
  tc_buf_free(&htmp);
  tc_buf_free(&ctmp);
  cli_compile_free(&c);
  return rc == CLI_OK ? CLI_OK : cli_fail(&d, rc);
}
