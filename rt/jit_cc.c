/*
 * jit_cc.c: compile C text with the system compiler into a shared object,
 * cache it by content, and dlopen it.
 *
 * Cache layout, in $TENSORC_CACHE (else $XDG_CACHE_HOME/tensorc, else
 * $HOME/.cache/tensorc):
 *
 *   KEY.so   the shared object
 *   KEY.ok   one line "tensorc-cache-v1 KEY SIZE HASH": the size of KEY.so
 *            and a 64-bit hash of its bytes, written after KEY.so
 *
 * KEY is 128 bits of hash (32 hex digits) over the compiler's identity
 * (its command and the first line of its --version), the full flags and
 * the source.  So it covers tensorc's target too, with nothing added for
 * it: the targets differ in their C (intrinsics, target attributes) or in
 * their flags (native adds -march=native), and two that agree in both
 * build the same object.  Every file is written under a temporary name
 * and renamed, so that concurrent tensorc processes never see half a
 * file; an entry whose KEY.so does not match its KEY.ok (a crash between
 * the two renames, a truncated file, a disk error) is rebuilt and never
 * dlopen'd.
 *
 * Nothing is kept between calls: the compiler's identity is asked each
 * time (a couple of milliseconds, against the ~50 ms of a compile).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jit_lib.h"
#include "rt.h"

#define CACHE_MAGIC "tensorc-cache-v1"
#define DEFAULT_FLAGS "-O2 -fPIC -shared -std=c99"
#define MAX_ARGS 256

static void set_err(char *err, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static void set_err(char *err, size_t errlen, const char *fmt, ...) {
  if (!err || !errlen) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

/* Splits `s` at blanks into argv (no quoting: flags containing spaces are
   not supported), appending after the *argc entries already there.
   Returns the strdup'd copy that argv points into. */
static char *split_words(const char *s, char **argv, int *argc) {
  char *copy = tc_xstrdup(s ? s : "");
  char *save = NULL;
  for (char *w = strtok_r(copy, " \t\n", &save); w;
       w = strtok_r(NULL, " \t\n", &save))
    if (*argc < MAX_ARGS - 1) argv[(*argc)++] = w;
  argv[*argc] = NULL;
  return copy;
}

/* Runs argv[0] (searched in PATH) with stdout and stderr captured into
   *out (malloc'd, NUL-terminated).  Returns the exit status, or -1 when
   the program could not be run (then *out says why). */
static int run_capture(char *const *argv, char **out) {
  tc_buf b = {0};
  int fds[2];
  if (pipe(fds) != 0) {
    tc_buf_printf(&b, "pipe: %s", strerror(errno));
    *out = tc_buf_steal(&b);
    return -1;
  }
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    tc_buf_printf(&b, "fork: %s", strerror(errno));
    *out = tc_buf_steal(&b);
    return -1;
  }
  if (pid == 0) {
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    close(fds[0]);
    close(fds[1]);
    execvp(argv[0], argv);
    fprintf(stderr, "cannot run '%s': %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  close(fds[1]);
  char chunk[4096];
  for (;;) {
    ssize_t n = read(fds[0], chunk, sizeof chunk - 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    chunk[n] = '\0';
    tc_buf_puts(&b, chunk);
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!b.data) tc_buf_puts(&b, "");
  *out = tc_buf_steal(&b);
  if (WIFEXITED(status)) return WEXITSTATUS(status) == 127 ? -1 : WEXITSTATUS(status);
  return -1;
}

/* mkdir -p.  0 on success. */
static int make_dirs(const char *path) {
  char *p = tc_xstrdup(path);
  for (char *s = p + 1; *s; s++) {
    if (*s != '/') continue;
    *s = '\0';
    if (mkdir(p, 0755) != 0 && errno != EEXIST) {
      free(p);
      return -1;
    }
    *s = '/';
  }
  int rc = mkdir(p, 0755) != 0 && errno != EEXIST ? -1 : 0;
  free(p);
  return rc;
}

/* The cache directory (malloc'd), or NULL when no variable names one. */
static char *cache_dir(void) {
  const char *e = getenv("TENSORC_CACHE");
  tc_buf b = {0};
  if (e && e[0]) {
    tc_buf_puts(&b, e);
  } else if ((e = getenv("XDG_CACHE_HOME")) && e[0]) {
    tc_buf_printf(&b, "%s/tensorc", e);
  } else if ((e = getenv("HOME")) && e[0]) {
    tc_buf_printf(&b, "%s/.cache/tensorc", e);
  } else {
    return NULL;
  }
  return tc_buf_steal(&b);
}

/* Reads a whole file.  Returns its bytes (malloc'd) and size, or NULL. */
static char *read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  tc_buf b = {0};
  char chunk[65536];
  size_t n;
  int bad = 0;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
    /* tc_buf is for text; binary files go through a plain realloc. */
    if (b.len + n + 1 > b.cap) {
      b.cap = (b.len + n + 1) * 2;
      b.data = tc_xrealloc(b.data, b.cap);
    }
    memcpy(b.data + b.len, chunk, n);
    b.len += n;
  }
  if (ferror(f)) bad = 1;
  fclose(f);
  if (bad) {
    free(b.data);
    return NULL;
  }
  if (!b.data) b.data = tc_xcalloc(1, 1);
  *size = b.len;
  return b.data;
}

/* Writes `data` to `path` through PATH.tmp.PID and a rename.  0 or -1. */
static int write_file_atomic(const char *path, const char *data, size_t n) {
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
  FILE *f = fopen(tmp, "wb");
  if (!f) return -1;
  int ok = fwrite(data, 1, n, f) == n;
  ok = (fclose(f) == 0) && ok;
  if (!ok || rename(tmp, path) != 0) {
    unlink(tmp);
    return -1;
  }
  return 0;
}

/* The sidecar line for an object of these bytes. */
static void sidecar_text(char *out, size_t outlen, const char *key,
                         const char *so, size_t n) {
  snprintf(out, outlen, CACHE_MAGIC " %s %zu %016llx\n", key, n,
           (unsigned long long)tc_hash64(so, n, 0x5eedULL));
}

/* 1 when DIR/KEY.so exists and matches DIR/KEY.ok. */
static int entry_valid(const char *so_path, const char *ok_path,
                       const char *key) {
  size_t okn = 0, son = 0;
  char *ok = read_file(ok_path, &okn);
  if (!ok) return 0;
  char *so = read_file(so_path, &son);
  int valid = 0;
  if (so) {
    char want[256];
    sidecar_text(want, sizeof want, key, so, son);
    valid = okn == strlen(want) && memcmp(ok, want, okn) == 0;
  }
  free(ok);
  free(so);
  return valid;
}

/* The first line of `CC --version`, or "" when it says nothing. */
static char *compiler_identity(char *const *cc_argv, int cc_argc) {
  char *argv[MAX_ARGS];
  int argc = 0;
  for (int i = 0; i < cc_argc && argc < MAX_ARGS - 2; i++) argv[argc++] = cc_argv[i];
  argv[argc++] = "--version";
  argv[argc] = NULL;
  char *out = NULL;
  run_capture(argv, &out);
  char *nl = strchr(out, '\n');
  if (nl) *nl = '\0';
  return out;
}

static tcR_lib *open_so(const char *path, char *err, size_t errlen) {
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    set_err(err, errlen, "dlopen %s: %s", path, dlerror());
    return NULL;
  }
  /* A kernel built with -fopenmp pulls in libgomp, whose idle worker
     threads outlive the parallel loops: unmapping libgomp when the kernel
     is dlclose'd would pull the code from under them (a crash after the
     run).  So once loaded it stays (RTLD_NOLOAD: only if it is loaded). */
  (void)dlopen("libgomp.so.1", RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
  tcR_lib *lib = tc_xcalloc(1, sizeof *lib);
  lib->kind = TCR_LIB_DL;
  lib->dl = h;
  return lib;
}

/* Compile `src` with $CC (default cc) and DEFAULT_FLAGS plus `flags` into
   the cache and dlopen it (RTLD_NOW | RTLD_LOCAL).  *cached (when not
   NULL) is set to 1 when a valid entry was found and nothing compiled.
   NULL with the compiler's output or the failing step in err. */
tcR_lib *tcR_jit_cc(const char *src, const char *flags, int *cached,
                    char *err, size_t errlen) {
  if (cached) *cached = 0;
  if (err && errlen) err[0] = '\0';
  tcR_lib *lib = NULL;
  char *dir = cache_dir();
  if (!dir) {
    set_err(err, errlen,
            "no cache directory: set TENSORC_CACHE, XDG_CACHE_HOME or HOME");
    return NULL;
  }
  if (make_dirs(dir) != 0) {
    set_err(err, errlen, "cannot create the cache directory %s: %s", dir,
            strerror(errno));
    free(dir);
    return NULL;
  }

  /* argv: the compiler (which may carry words, CC="gcc -m64"), the
     default flags, the caller's flags. */
  char *argv[MAX_ARGS];
  int argc = 0;
  const char *cc = getenv("CC");
  char *cc_words = split_words(cc && cc[0] ? cc : "cc", argv, &argc);
  int cc_argc = argc;
  char *identity = compiler_identity(argv, cc_argc);
  char *def_words = split_words(DEFAULT_FLAGS, argv, &argc);
  char *user_words = split_words(flags, argv, &argc);

  /* The key covers everything that changes the object. */
  tc_buf keysrc = {0};
  tc_buf_printf(&keysrc, "%s\n%s\n%s\n%s\n", CACHE_MAGIC, cc && cc[0] ? cc : "cc",
                identity, DEFAULT_FLAGS);
  tc_buf_printf(&keysrc, "%s\n", flags ? flags : "");
  tc_buf_puts(&keysrc, src);
  char key[33];
  snprintf(key, sizeof key, "%016llx%016llx",
           (unsigned long long)tc_hash64(keysrc.data, keysrc.len, 0x74656e736f7263ULL),
           (unsigned long long)tc_hash64(keysrc.data, keysrc.len, 0x9e3779b97f4a7c15ULL));
  tc_buf_free(&keysrc);

  tc_buf so_path = {0}, ok_path = {0}, c_tmp = {0}, so_tmp = {0};
  tc_buf_printf(&so_path, "%s/%s.so", dir, key);
  tc_buf_printf(&ok_path, "%s/%s.ok", dir, key);

  if (entry_valid(so_path.data, ok_path.data, key)) {
    lib = open_so(so_path.data, err, errlen);
    if (lib) {
      if (cached) *cached = 1;
      goto done;
    }
    /* A valid-looking entry that does not load is rebuilt as well. */
  }

  /* Build: source and object under unique temporary names. */
  tc_buf_printf(&c_tmp, "%s/%s.%ld.XXXXXX.c", dir, key, (long)getpid());
  int fd = mkstemps(c_tmp.data, 2);
  if (fd < 0) {
    set_err(err, errlen, "cannot create a file in %s: %s", dir, strerror(errno));
    goto done;
  }
  size_t srclen = strlen(src);
  int wrote = write(fd, src, srclen) == (ssize_t)srclen;
  wrote = (close(fd) == 0) && wrote;
  if (!wrote) {
    set_err(err, errlen, "cannot write %s", c_tmp.data);
    unlink(c_tmp.data);
    goto done;
  }
  tc_buf_printf(&so_tmp, "%s/%s.so.tmp.%ld.XXXXXX", dir, key, (long)getpid());
  fd = mkstemp(so_tmp.data);
  if (fd < 0) {
    set_err(err, errlen, "cannot create a file in %s: %s", dir, strerror(errno));
    unlink(c_tmp.data);
    goto done;
  }
  close(fd);
  if (argc > MAX_ARGS - 4) {
    set_err(err, errlen, "too many compiler flags (at most %d words)", MAX_ARGS - 4);
    unlink(c_tmp.data);
    unlink(so_tmp.data);
    goto done;
  }
  argv[argc++] = "-o";
  argv[argc++] = so_tmp.data;
  argv[argc++] = c_tmp.data;
  argv[argc] = NULL;
  char *out = NULL;
  int status = run_capture(argv, &out);
  unlink(c_tmp.data);
  if (status != 0) {
    set_err(err, errlen, "%s failed:\n%s", argv[0], out);
    free(out);
    unlink(so_tmp.data);
    goto done;
  }
  free(out);
  if (rename(so_tmp.data, so_path.data) != 0) {
    set_err(err, errlen, "cannot rename %s: %s", so_tmp.data, strerror(errno));
    unlink(so_tmp.data);
    goto done;
  }
  /* The sidecar is written from the bytes now under the final name. */
  size_t son = 0;
  char *so = read_file(so_path.data, &son);
  if (!so) {
    set_err(err, errlen, "cannot read %s", so_path.data);
    goto done;
  }
  char line[256];
  sidecar_text(line, sizeof line, key, so, son);
  free(so);
  if (write_file_atomic(ok_path.data, line, strlen(line)) != 0) {
    set_err(err, errlen, "cannot write %s", ok_path.data);
    goto done;
  }
  lib = open_so(so_path.data, err, errlen);

done:
  tc_buf_free(&so_path);
  tc_buf_free(&ok_path);
  tc_buf_free(&c_tmp);
  tc_buf_free(&so_tmp);
  free(identity);
  free(cc_words);
  free(def_words);
  free(user_words);
  free(dir);
  return lib;
}
