/* helpers.c: what the tests of tests/lang share (lang_tests.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lang_tests.h"

tc_module *lt_load(const char *src, const tcL_options *opt, tc_diag *d) {
  tcL_options dflt = {0};
  return tcL_load_string(src, "t.lua", opt ? opt : &dflt, d);
}

tc_module *lt_load_ok(const char *src, const tcL_options *opt) {
  tc_diag d = {0};
  tc_module *m = lt_load(src, opt, &d);
  ck_assert_msg(m != NULL, "loading the DSL text\n---\n%s\n---\nexpected success, got\n  %s",
                src, d.msg);
  return m;
}

char *lt_arg_type(const tc_module *m, const char *kernel, const char *name) {
  const tc_kernel *k = kernel ? tc_module_find_kernel(m, kernel) : m->kernels.data[0];
  if (!k) return NULL;
  for (int i = 0; i < k->args.len; i++) {
    const tc_arg *a = &k->args.data[i];
    if (strcmp(a->name, name) != 0) continue;
    const char *names[64];
    for (int j = 0; j < k->dims.len && j < 64; j++) names[j] = k->dims.data[j].name;
    tc_buf b = {0};
    tc_buf_printf(&b, "%s[", tc_dtype_name(a->dtype));
    for (int j = 0; j < a->rank; j++) {
      if (j) tc_buf_puts(&b, ", ");
      tc_ext_print(&b, a->shape[j], names, 1);
    }
    tc_buf_putc(&b, ']');
    return tc_buf_steal(&b);
  }
  return NULL;
}

char *lt_capture_stdout(void (*f)(void *), void *arg) {
  fflush(stdout);
  FILE *tmp = tmpfile();
  ck_assert_msg(tmp != NULL, "tmpfile() failed");
  int saved = dup(1);
  dup2(fileno(tmp), 1);
  f(arg);
  fflush(stdout);
  dup2(saved, 1);
  close(saved);
  /* The writes went through the descriptor, not through tmp's buffer. */
  int fd = fileno(tmp);
  off_t n = lseek(fd, 0, SEEK_END);
  if (n < 0) n = 0;
  char *out = calloc(1, (size_t)n + 1);
  lseek(fd, 0, SEEK_SET);
  ssize_t got = read(fd, out, (size_t)n);
  out[got > 0 ? got : 0] = 0;
  fclose(tmp);
  return out;
}
