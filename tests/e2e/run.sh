#!/usr/bin/env bash
# tests/e2e/run.sh: the end-to-end tests.  Called by `make test-e2e` as
#
#   TENSORC=build/tensorc BUILD=build tests/e2e/run.sh [FILE.lua...]
#
# (and by `make test-san` with BUILD=build-san, where tensorc itself runs
# under the sanitizers: see "Under make test-san" below).  Without
# arguments it tests examples/*.lua and tests/e2e/dsl/*.lua.  For every
# DSL file (a "module") it
#
#   1. runs `tensorc build FILE -o DIR` (twice: the output must be the same
#      bytes) and compiles DIR/M.c with
#      `gcc -std=c99 -Wall -Wextra -pedantic -Werror` (with -O2 -fopenmp
#      here; without, and with -DTENSORC_POOL, in step 2), `clang`
#      likewise (no -fopenmp), and (built with `--target scalar`,
#      as the default target may hold intrinsics) `tcc -Werror`; compiles a program
#      that includes M.h alone, twice; checks that M.c exports only the
#      P_* functions (step 2's object), and that --name and --prefix
#      rename as specified;
#   2. compiles M.c under -fsanitize=address,undefined with step 1's gcc
#      warnings an error (so that step 1's `gcc -std=c99 -pedantic
#      -Werror` is this compile: once, and once with -DTENSORC_POOL),
#      links it with tests/e2e/tools/harness.c and asks the harness for
#      the kernels and their dims (`harness --list`); builds step 4's
#      other harnesses (step 1's -fopenmp object; the -DTENSORC_POOL
#      object; M.c under -fsanitize=thread);
#   3. for every kernel and every size case, runs
#      `tensorc run FILE [--kernel K] --dim ... --check` with `--jit tcc`
#      and `--jit cc` (the cc cache is $BUILD/cache);
#   4. for every kernel and every sanitizer case, runs the instrumented
#      harness on exactly sized buffers (it generates the inputs and writes
#      them as .npy), then `tensorc run --data` on the same inputs with
#      --check, and compares the two sets of outputs with npycmp; runs the
#      harness's hostile calls (null pointers, negative dims, overflowing
#      counts); and, once per kernel, runs the harness built with -fopenmp,
#      with -DTENSORC_POOL and with -fsanitize=thread on the same inputs
#      (same outputs expected; every harness also runs the kernel on one
#      context from two threads at once, which TSan watches for races);
#   5. for every kernel, at sizes where its parallel loops do run in
#      parallel, runs `tensorc run` at 1, 2 and 3 threads through OpenMP
#      (--jit cc) and through the runtime's pool (--jit tcc), and compares
#      the outputs byte for byte (see "thread counts" below; the bench/dsl
#      files get this step too; `make test-san` skips it);
#   6. the SIMD targets: builds the module with `--target x86-64`, `avx2`
#      and `avx512`, compiles each with `gcc -std=c99 -O2 -Wall -Wextra
#      -pedantic -Werror` and clang (no -m flag: the functions carry target
#      attributes), and runs every sanitizer case of step 4 on the same
#      inputs with the x86-64 file under TENSORC_ISA=scalar, avx2 and
#      avx512 (gcc's build, and clang's under ASan), and once per kernel
#      with the avx2 and avx512 files; every output must match step 4's
#      checked `tensorc run --data` within the file's tolerance, each
#      target must repeat its bytes, and the hostile calls are repeated per
#      ISA.  bench/dsl files: `tensorc run --jit cc --target x86-64` per
#      ISA, against the reference.  See "SIMD targets" below.
#
# Besides the modules: every file of tests/e2e/errors must fail with its
# "-- error: LINE: TEXT" message; examples/embed.c is compiled against the
# generated mlp.h/mlp.c and run (under the sanitizers); the headers of all modules
# are included in one file; and the tools are tested on a hand-written
# module with planted defects, which they must catch (tools/selftest.c),
# and step 5 on a planted thread-dependent result (tools/threadcount.c);
# and the C of a few kernels of dsl/tails_*.lua must hold the intended
# intrinsics (test_intrinsics: skipped, with a SKIP line, until the vector
# emitter writes any; E2E_SIMD_LANDED=1 makes that a failure), and
# `--target scalar` must have none and compile under tcc.
#
# At the end it prints "N passed, M failed" (", K skipped" when tests were
# skipped, each SKIP line saying why) and exits 1 if anything failed;
# every failure prints the command that failed and the end of its output.
#
# ---- Under make test-san ----------------------------------------------------
#
# `make test-san` runs this with tensorc built with ASan and UBSan, and
# E2E_REF_TENSORC=build/tensorc (the same tree, uninstrumented).  What it
# tests is tensorc itself: every `tensorc build`, `run`, `kernels` and `ir`
# above runs under the sanitizers, and every `tensorc build` must write
# the same bytes as E2E_REF_TENSORC's (a check per build: module, --target
# scalar, x86-64, avx2, avx512, --name and --prefix, embed).  The checks
# that only compile or run those bytes are then the same commands on the
# same files as `make test-e2e`'s, and are left out: step 1's and 2's
# compiles (gcc, clang, tcc, the harnesses), step 4's harness runs other
# than the one that writes the inputs (which is built from the scalar C,
# without sanitizers), the hostile calls, and the selftest and step 6
# selftest jobs (which involve no tensorc).  Steps 3 and 4's `tensorc run`
# all run, and step 5 and the SIMD runs of step 6 do not (see there).
# When a module's C differs from E2E_REF_TENSORC's, its check fails and
# the module gets every check.  Without E2E_REF_TENSORC (run.sh run by
# hand on a sanitized tensorc), everything runs, as with any tensorc.
#
# ---- What a DSL file says about its tests (comment lines) -----------------
#
#   -- e2e: N=1,7,17,33,100 M=3
#       size cases for every kernel.  The lists are read position by
#       position: case i takes the i-th value of every dim, and a shorter
#       list repeats its last value (above: N=1 M=3, N=7 M=3, ...).  A
#       kernel takes the dims it declares and ignores the others.  Several
#       lines add their cases up.  A kernel with no e2e line has one case
#       without dims, unless it has e2e-fail or san lines (then it has
#       only those).
#   -- e2e[K]: N=4          the same, for kernel K only; when a kernel has
#       such lines, the plain lines do not apply to it ("-- e2e[K]:" with
#       nothing after it: one case without dims).
#   -- e2e-fail: N=0        cases where the kernel must report an error:
#       `tensorc run` must exit with status 1 (not crash) for both JITs.
#   -- san: N=7 ints=0:7 rc=-3
#       one case for the sanitizer harness: dims, the range [LO, HI) of the
#       generated integer inputs (default -8:8) and the code P_run_v must
#       return (default 0; with a nonzero code, `tensorc run --data` must
#       exit 1 instead of producing outputs to compare).  Without san lines,
#       every e2e case is a sanitizer case with the default range.
#       csr=MODE makes the harness generate csr arguments of that kind
#       (valid by default; empty, decreasing, rowptr0, colrange, colneg:
#       see tools/harness.c).  specials=1 makes about one generated element
#       in 8 a special value: NaN, +-inf, +-0, denormals, +-100, values at
#       exp's edges, halves; for integers the dtype's limits, -1, 0, 1, so
#       not for kernels reading indices (harness --specials; specials=0 is
#       the default, plain data).
#   -- san[K]: ...          the same, for kernel K only.
#   -- tol: rtol=1e-3 atol=1e-4
#       the tolerance npycmp allows between the harness's outputs and
#       tensorc run's (default rtol 1e-4, atol 1e-5).
#
#   -- threads: N=4096 M=300
#       cases for step 5, instead of the sizes it searches for itself
#       ("-- threads[K]:" for kernel K only; see "thread counts").
#
# Environment: TENSORC (the binary, default build/tensorc), BUILD (default
# build), JOBS (modules tested at once, default: the number of CPUs),
# E2E_QUICK=1 (only the first size case of each kernel; for development),
# E2E_THREADS=0 (without step 5), E2E_THREADS=only (step 5 and nothing
# else), E2E_TARGETS=0 (without step 6 and the intrinsics check),
# E2E_TARGETS=only (step 6, the intrinsics check, and the parts of steps
# 1, 2 and 4 it needs: the build, the ASan harness, step 4's data and
# checked outputs), E2E_SIMD_LANDED=1 (the checks that wait for the vector
# emitter fail instead of being skipped; see main), E2E_REF_TENSORC (see
# "Under make test-san"), E2E_TIMES=1 (prints, at the end, the wall and
# CPU seconds of the checks by step and of the jobs, and the slowest
# checks; all of them in $BUILD/e2e/times.tsv).
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
TENSORC=${TENSORC:-build/tensorc}
BUILD=${BUILD:-build}
case $TENSORC in /*) ;; *) TENSORC=$root/$TENSORC ;; esac
case $BUILD in /*) ;; *) BUILD=$root/$BUILD ;; esac
work=$BUILD/e2e
export TENSORC_CACHE=$BUILD/cache
SANFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
# Step 6's clang build: ASan alone, at -O1 (at -O0 clang does not check
# AVX2's masked loads; with UBSan, -O2 or -g it takes much longer on the
# x86-64 files, whose vector math is large).
CLANG_ASAN="-O1 -fsanitize=address -fno-sanitize-recover=all -fno-omit-frame-pointer"
asan_what="clang -O1, ASan"
# Leaks are reported by the harness's own process too: keep them fatal.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

# ---- one check: run a command, record PASS or FAIL ------------------------

# E2E_TIMES=1: e2e_mark before a check, e2e_time NAME after it record
# its wall and CPU milliseconds (the CPU time of the processes it ran,
# from the shell's `times`) and the current step ($e2e_step) as a line
# "STEP WALL CPU NAME" of the job's .times file; main sums them up at
# the end (e2e_times_report).
e2e_step=-
e2e_cpu() {   # the children's user + system milliseconds, into e2e_c
  local f=$work/.cpu.$BASHPID u s x m ms=0
  times >"$f"
  { read -r _; read -r u s; } <"$f"
  for x in $u $s; do   # "1m2.345s"
    x=${x%s} m=${x%%m*} x=${x#*m}
    ms=$((ms + m * 60000 + 10#${x%.*} * 1000 + 10#${x#*.}))
  done
  e2e_c=$ms
}
e2e_mark() {
  [ "${E2E_TIMES:-0}" = 1 ] || return 0
  e2e_t0=$EPOCHREALTIME
  e2e_cpu
  e2e_c0=$e2e_c
}
e2e_time() {
  [ "${E2E_TIMES:-0}" = 1 ] || return 0
  local t1=$EPOCHREALTIME
  e2e_cpu
  printf '%s\t%s\t%s\t%s\n' "$e2e_step" "$(( (${t1/./} - ${e2e_t0/./}) / 1000 ))" \
    "$((e2e_c - e2e_c0))" "$1" >>"${results%.results}.times"
}

# check NAME EXPECTED_STATUS CMD...: run CMD (with a time limit) in the
# module's folder; it passes when its exit status is EXPECTED_STATUS.
check() {
  local name=$1 want=$2 st log
  shift 2
  log=$mdir/last.log
  e2e_mark
  (cd "$mdir" && timeout 120 "$@") >"$log" 2>&1
  st=$?
  e2e_time "$name"
  if [ "$st" = "$want" ]; then
    echo "PASS $name" >>"$results"
    return 0
  fi
  {
    echo "FAIL $name (exit status $st, expected $want)"
    printf '  command: (cd %q &&' "$mdir"
    printf ' %q' "$@"
    printf ')\n'
    tail -n 15 "$log" | sed 's/^/  | /'
  } >>"$results"
  return 1
}

# lines_for FILE TAG K: the payloads of the "-- TAG[K]:" lines of FILE, or
# of its "-- TAG:" lines when there are none for K.
lines_for() {
  if grep -q "^-- $2\[$3\]:" "$1"; then
    sed -n "s/^-- $2\[$3\]:[[:space:]]*\(.*\)\$/\1/p" "$1"
  else
    sed -n "s/^-- $2:[[:space:]]*\(.*\)\$/\1/p" "$1"
  fi
}

# expand: each input line "N=1,7 M=3 ints=0:4" becomes one line per case,
# the lists read position by position (a shorter list repeats its last).
expand() {
  awk 'NF == 0 { next }
  {
    n = 0
    for (i = 1; i <= NF; i++) {
      p = index($i, "="); name[i] = substr($i, 1, p - 1)
      c = split(substr($i, p + 1), v, ",")
      for (j = 1; j <= c; j++) val[i, j] = v[j]
      cnt[i] = c; if (c > n) n = c
    }
    for (j = 1; j <= n; j++) {
      s = ""
      for (i = 1; i <= NF; i++) {
        jj = j <= cnt[i] ? j : cnt[i]
        s = s (i > 1 ? " " : "") name[i] "=" val[i, jj]
      }
      print s
    }
  }'
}

# Keys of a san case that are not dims.
is_option() { case $1 in ints | rc | csr | specials) return 0 ;; esac; return 1; }

# for_kernel "DIMS" CASE: the case restricted to the kernel's dims, as
# "N=7 M=3" (options kept); fails with a message when a dim has no value.
for_kernel() {
  local dims=$1 case=$2 out="" d tok found
  for tok in $case; do
    if is_option "${tok%%=*}"; then out="$out $tok"; continue; fi
    for d in $dims; do [ "${tok%%=*}" = "$d" ] && out="$out $tok"; done
  done
  for d in $dims; do
    found=0
    for tok in $out; do [ "${tok%%=*}" = "$d" ] && found=1; done
    if [ $found = 0 ]; then
      echo "no size given for dim $d" >&2
      return 1
    fi
  done
  echo "${out# }"
}

# cases_for FILE TAG K "DIMS": the cases of TAG for kernel K, restricted to
# its dims, without repeats.  Fails with the message on stdout when a case
# lacks one of the kernel's dims.
cases_for() {
  local c out="" r
  while IFS= read -r c; do
    r=$(for_kernel "$4" "$c" 2>&1) || { echo "$r"; return 1; }
    out="$out${r:- }"$'\n'
  done < <(lines_for "$1" "$2" "$3" | expand)
  printf '%s' "$out" | awk '!seen[$0]++'
}

# ---- one module -------------------------------------------------------------

# san_object FLAGS OBJ: step 2's compile of the module's M.c (of $out)
# under ASan and UBSan, with FLAGS (empty, or -DTENSORC_POOL), into OBJ;
# it is also step 1's `gcc -std=c99 -pedantic -Werror` check of M.c
# (without and with -DTENSORC_POOL): a warning fails the check, and M.c
# is compiled again without -Werror, so that the harness still runs.
san_object() {
  check "$M: gcc -std=c99 -pedantic${1:+ $1} (-g, ASan+UBSan: the harness's M.c)" 0 \
    gcc -std=c99 -g -O0 $SANFLAGS -Wall -Wextra -pedantic -Werror $1 -c "$out/$M.c" -o "$2" ||
    gcc -std=c99 -g -O0 $SANFLAGS -w $1 -c "$out/$M.c" -o "$2" >/dev/null 2>&1
}

# same_as_ref DIR ARGS...: under `make test-san`, `$ref build ARGS` (the
# uninstrumented tensorc) must write the same files, byte for byte, as
# the sanitized tensorc wrote into DIR with the same ARGS.
same_as_ref() {
  local dir=$1 opts
  shift
  opts=${*:2}
  check "$M: tensorc build${opts:+ $opts}: the same bytes as the uninstrumented tensorc's" 0 \
    bash -c 'r=$1 d=$2; shift 2; rm -rf "$d.ref" && "$r" build "$@" -o "$d.ref" && diff -r "$d" "$d.ref"' \
    _ "$ref" "$dir" "$@"
}

test_module() {
  local file=$1 stem M mdir out kernels P dims K kflag c dimargs tok
  local ints rc csr sdir name tol_r tol_a n spec truns="" truns_once="" pairs same=0 hsrc
  # Absolute, since every command runs in the module's folder.
  file=$(cd "$(dirname "$file")" && pwd)/$(basename "$file")
  stem=$(basename "$file" .lua)
  M=$(printf '%s' "$stem" | sed 's/[^A-Za-z0-9_]/_/g; s/^[0-9]/m&/')
  mdir=$work/$M
  results=$work/$M.results
  rm -rf "$mdir" && mkdir -p "$mdir"
  : >"$results"
  out=$mdir/gen

  # 1. tensorc build, and the generated C under every compiler we promise.
  e2e_step=1
  check "$M: tensorc build" 0 "$TENSORC" build "$file" -o "$out" || return
  # Under `make test-san` ($ref: the uninstrumented tensorc of the same
  # tree): the C must be the same bytes as $ref's; then every check that
  # only compiles or runs that C repeats one of `make test-e2e`, and is
  # left out (same=1; see "Under make test-san" in the header).
  if [ -n "$ref" ]; then
    same_as_ref "$out" "$file" && same=1
  fi
  # (E2E_TARGETS=only: only what step 6 needs, the sanitizer harness and
  # step 4's data and checked outputs.)
  if [ "$targets" != only ]; then
  check "$M: tensorc build twice gives the same bytes" 0 \
    bash -c '"$1" build "$2" -o "$3" && diff -r "$4" "$3"' _ \
    "$TENSORC" "$file" "$mdir/gen2" "$out"
  # (gcc -std=c99 -pedantic without and with -DTENSORC_POOL: in step 2,
  # where the sanitized harnesses compile M.c.)
  [ $same = 1 ] || check "$M: gcc -std=c99 -pedantic -fopenmp -O2" 0 \
    gcc -std=c99 -O2 -Wall -Wextra -pedantic -Werror -fopenmp -c "$out/$M.c" -o "$mdir/omp.o"
  if command -v clang >/dev/null && [ $same = 0 ]; then
    check "$M: clang -std=c99 -pedantic" 0 \
      clang -std=c99 -Wall -Wextra -pedantic -Werror -c "$out/$M.c" -o "$mdir/clang.o"
  fi
  # tcc has no intrinsics: it compiles the scalar target (which the
  # default of build may not be).
  if [ $same = 1 ]; then
    check "$M: tensorc build --target scalar" 0 \
      "$TENSORC" build "$file" -o "$mdir/gen-scalar" --target scalar &&
      same_as_ref "$mdir/gen-scalar" "$file" --target scalar
  else
    check "$M: tensorc build --target scalar; tcc -Werror" 0 \
      bash -c '"$1" build "$2" -o "$3" --target scalar && tcc -Werror -c "$3/$4.c" -o "$3/$4.o"' _ \
      "$TENSORC" "$file" "$mdir/gen-scalar" "$M"
    printf '#include "%s.h"\n#include "%s.h"\nint main(void) { return TC_OK; }\n' \
      "$M" "$M" >"$mdir/hdr.c"
    check "$M: M.h alone, included twice" 0 \
      gcc -std=c99 -Wall -Wextra -pedantic -Werror -I"$out" "$mdir/hdr.c" -o "$mdir/hdr"
  fi
  fi

  # 2. The harness, with the generated code under the sanitizers.
  e2e_step=2
  kernels=$(sed -n 's/.*[^A-Za-z0-9_]\([A-Za-z_][A-Za-z0-9_]*\)_info[[:space:]]*([[:space:]]*void[[:space:]]*)[[:space:]]*;.*/\1/p' "$out/$M.h")
  if [ -z "$kernels" ]; then
    echo "FAIL $M: no P_info prototype found in $out/$M.h" >>"$results"
    return
  fi
  hsrc=(-I"$here/tools" "-DTC_HEADER=\"$out/$M.h\"" "-DTC_KERNELS=$(printf 'X(%s) ' $kernels)"
    "$here/tools/harness.c")
  if [ $same = 1 ]; then
    # The harness only to write step 4's inputs (and --list them): on
    # the scalar C, without the sanitizers (make test-e2e runs the
    # sanitized harnesses on these bytes).
    [ -e "$mdir/gen-scalar/$M.c" ] ||
      "$TENSORC" build "$file" -o "$mdir/gen-scalar" --target scalar >/dev/null 2>&1
    check "$M: harness build (scalar C, no sanitizers: step 4's data)" 0 \
      gcc -std=c11 -O0 -w "${hsrc[@]}" "$mdir/gen-scalar/$M.c" -pthread -lm -o "$mdir/harness" || return
  else
    # M.c under the sanitizers, compiled once: with step 1's warnings an
    # error (a warning fails this check; M.c is then compiled again
    # without -Werror, so that the harness runs all the same).
    san_object "" "$mdir/san.o" &&
      check "$M: harness build (ASan+UBSan)" 0 \
        gcc -std=c11 -g -O0 $SANFLAGS -Wall -Wextra "${hsrc[@]}" "$mdir/san.o" \
        -pthread -lm -o "$mdir/harness" || return
  fi
  if [ "$targets" != only ]; then
  # M.c exports the P_* functions of its kernels and nothing else (the
  # instrumented object: the sanitizers add no exported symbol).
  [ $same = 1 ] || check "$M: M.c exports only the P_* functions" 0 \
    bash -c 'bad=$(nm -g --defined-only "$1" | awk "{ print \$3 }" |
      grep -v -x -E "($2)_(create|create_v|destroy|run|run_v|info|shape)")
      [ -z "$bad" ] || { echo "unexpected exported symbols: $bad"; exit 1; }' \
    _ "$mdir/san.o" "$(printf '%s|' $kernels | sed 's/|$//')"

  # --name and --prefix: the files are named after --name, and --prefix
  # replaces M in every P (spec/abi.md).
  local want="" p
  for p in $kernels; do
    if [ "$p" = "$M" ]; then want="$want zz_pfx"; else want="$want zz_pfx_${p#"${M}_"}"; fi
  done
  if [ $same = 1 ]; then
    check "$M: tensorc build --name alt --prefix zz_pfx" 0 \
      "$TENSORC" build "$file" -o "$mdir/gen3" --name alt --prefix zz_pfx &&
      same_as_ref "$mdir/gen3" "$file" --name alt --prefix zz_pfx
  else
  check "$M: tensorc build --name alt --prefix zz_pfx" 0 \
    bash -c '"$1" build "$2" -o "$3" --name alt --prefix zz_pfx &&
      gcc -std=c99 -Wall -Wextra -pedantic -Werror -c "$3/alt.c" -o "$3/alt.o" &&
      got=$(nm -g --defined-only "$3/alt.o" | awk "{ print \$3 }" |
        sed -n "s/_info\$//p" | sort | tr "\n" " ") &&
      want=$(printf "%s\n" $4 | sort | tr "\n" " ") &&
      { [ "$got" = "$want" ] || { echo "P_info symbols: $got, expected: $want"; exit 1; }; }' \
    _ "$TENSORC" "$file" "$mdir/gen3" "$want"
  fi

  # The same with the parallel loops on: OpenMP threads (optimized, no
  # sanitizers; M.c compiled in step 1), and the TENSORC_POOL hook of the
  # harness (sanitized).
  if [ $same = 0 ]; then
  [ -e "$mdir/omp.o" ] && check "$M: harness build (-O2 -fopenmp)" 0 \
    gcc -std=c11 -O2 -fopenmp -Wall -Wextra "${hsrc[@]}" "$mdir/omp.o" \
    -pthread -lm -o "$mdir/harness_omp"
  san_object -DTENSORC_POOL "$mdir/san-pool.o" &&
    check "$M: harness build (-DTENSORC_POOL, ASan+UBSan)" 0 \
      gcc -std=c11 -g -O0 $SANFLAGS -DTENSORC_POOL -Wall -Wextra "${hsrc[@]}" \
      "$mdir/san-pool.o" -pthread -lm -o "$mdir/harness_pool"
  check "$M: harness build (ThreadSanitizer)" 0 \
    gcc -std=c11 -g -O0 -fsanitize=thread -Wall -Wextra "${hsrc[@]}" "$out/$M.c" \
    -pthread -lm -o "$mdir/harness_tsan"
  fi
  fi
  # 6. The SIMD targets' builds (their runs come with step 4's cases).
  [ "$targets" = 0 ] || e2e_step=6 target_build
  (cd "$mdir" && ./harness --list) >"$mdir/kernels.txt" 2>"$mdir/last.log" || {
    echo "FAIL $M: harness --list" >>"$results"
    return
  }
  (cd "$mdir" && ./harness --inferable) >"$mdir/inferable.txt" 2>>"$mdir/last.log"
  local hwhat="ASan+UBSan"
  [ $same = 1 ] && hwhat="scalar C, no sanitizers: the data"
  n=$(wc -l <"$mdir/kernels.txt")
  tol_r=$(sed -n 's/^-- tol:.*rtol=\([^ ]*\).*/\1/p' "$file" | head -n 1)
  tol_a=$(sed -n 's/^-- tol:.*atol=\([^ ]*\).*/\1/p' "$file" | head -n 1)

  while read -r P dims; do
    if [ "$n" = 1 ]; then K=$P; kflag=(); else K=${P#"${M}_"}; kflag=(--kernel "$K"); fi

    # 3. tensorc run --check, both JITs, every size case; and the cases
    # where the kernel must report an error.
    e2e_step=3
    local cases fails sans
    cases=$(cases_for "$file" e2e "$K" "$dims") || {
      echo "FAIL $M/$K: $cases (fix the e2e lines)" >>"$results"
      continue
    }
    fails=$(cases_for "$file" e2e-fail "$K" "$dims") || {
      echo "FAIL $M/$K: $fails (fix the e2e-fail lines)" >>"$results"
      continue
    }
    sans=$(cases_for "$file" san "$K" "$dims") || {
      echo "FAIL $M/$K: $sans (fix the san lines)" >>"$results"
      continue
    }
    # No e2e lines: one case without dims, unless the file only lists
    # failing or sanitizer cases.
    if [ -z "$cases" ] && [ -z "$fails$sans" ]; then cases=" "; fi
    [ "${E2E_QUICK:-0}" = 1 ] && cases=$(printf '%s\n' "$cases" | head -n 1)
    [ -n "$sans" ] || sans=$cases
    [ "$targets" = only ] && cases="" fails=""
    while IFS= read -r c; do
      [ -n "$c" ] || continue
      dimargs=()
      for tok in $c; do dimargs+=(--dim "$tok"); done
      for jit in tcc cc; do
        check "$M/$K [${c# }] --jit $jit" 0 \
          "$TENSORC" run "$file" "${kflag[@]}" "${dimargs[@]}" --jit "$jit" --check
      done
    done <<<"$cases"
    while IFS= read -r c; do
      [ -n "$c" ] || continue
      dimargs=()
      for tok in $c; do dimargs+=(--dim "$tok"); done
      for jit in tcc cc; do
        check "$M/$K [$c] --jit $jit must fail" 1 \
          "$TENSORC" run "$file" "${kflag[@]}" "${dimargs[@]}" --jit "$jit"
      done
    done <<<"$fails"

    # 4. The sanitizer harness against tensorc run on the same inputs.
    e2e_step=4
    local hostile_done=0 si=0 hargs par_sdir="" par_c="" par_hargs=()
    while IFS= read -r c; do
      [ -n "$c" ] || continue
      ints="" rc=0 csr="" spec=() dimargs=() hargs=()
      for tok in $c; do
        case ${tok%%=*} in
        ints) ints=${tok#ints=} ;;
        rc) rc=${tok#rc=} ;;
        csr) csr=${tok#csr=} ;;
        specials) [ "${tok#specials=}" = 0 ] || spec=(--specials) ;;
        *) dimargs+=(--dim "$tok") hargs+=("$tok") ;;
        esac
      done
      si=$((si + 1))
      sdir=$mdir/san-$K-$si
      mkdir -p "$sdir/harness"
      check "$M/$K [${c# }] harness ($hwhat)" 0 ./harness --kernel "$P" \
        --data "$sdir" --out "$sdir/harness" --expect "$rc" \
        ${ints:+--ints "$ints"} ${csr:+--csr "$csr"} "${spec[@]}" "${hargs[@]}" || continue
      if [ "$rc" != 0 ]; then
        [ "$targets" = only ] ||
          check "$M/$K [$c] tensorc run --data on the same data must fail" 1 \
            "$TENSORC" run "$file" "${kflag[@]}" "${dimargs[@]}" --jit tcc --data "$sdir"
        target_case "$truns" "$P" "$K" "$c" "$sdir" "$rc" "${hargs[@]}"
        continue
      fi
      check "$M/$K [${c# }] tensorc run --data --check" 0 \
        "$TENSORC" run "$file" "${kflag[@]}" "${dimargs[@]}" --jit tcc --data "$sdir" --check ||
        continue
      target_case "$truns" "$P" "$K" "$c" "$sdir" 0 "${hargs[@]}"
      # Every output in one npycmp (which names the files that differ).
      pairs=()
      for name in "$sdir"/harness/*.npy; do
        [ -e "$name" ] && pairs+=("$name" "$sdir/${name##*/}")
      done
      [ ${#pairs[@]} -gt 0 ] && [ "$targets" != only ] &&
        check "$M/$K [${c# }] harness vs tensorc run: $((${#pairs[@]} / 2)) outputs" 0 \
          "$work/npycmp" ${tol_r:+--rtol "$tol_r"} ${tol_a:+--atol "$tol_a"} "${pairs[@]}"
      if [[ " ${hargs[*]} " != *"=0 "* ]]; then
        par_sdir=$sdir par_c=$c par_hargs=("${hargs[@]}")
      fi
      # The hostile calls, once per kernel, on a case of nonempty arguments
      # when there is one (null pointers are only refused where data is
      # expected).
      if [ $hostile_done = 0 ] && [[ " ${hargs[*]} " != *"=0 "* ]]; then
        hostile_done=1
        [ "$targets" = only ] || [ $same = 1 ] ||
          check "$M/$K [${c# }] harness --hostile (ASan+UBSan)" 0 \
            ./harness --kernel "$P" --hostile "${hargs[@]}"
        target_hostile "$P" "$K" "$c" "${hargs[@]}"
      fi
    done <<<"$sans"
    # Step 6's builds of one ISA, once per kernel (see "SIMD targets").
    [ -n "$par_sdir" ] &&
      target_case "$truns_once" "$P" "$K" "$par_c" "$par_sdir" 0 "${par_hargs[@]}"
    [ "$targets" = only ] && continue

    e2e_step=4p
    # Once per kernel, on the last (usually largest) nonempty sanitizer
    # case: the parallel builds and the ThreadSanitizer build (whose
    # harness, like every harness, also calls P_run from two threads at
    # once) must give the same outputs as the sanitized harness.
    if [ -n "$par_sdir" ]; then
      # Dims inferred from the files, when every dim is an axis of one.
      if grep -q -x -F "$P" "$mdir/inferable.txt"; then
        mkdir -p "$par_sdir/inferred"
        cp "$par_sdir"/*.npy "$par_sdir/inferred/"
        for name in "$par_sdir"/harness/*.npy; do   # inputs only
          rm -f "$par_sdir/inferred/$(basename "$name")"
        done
        check "$M/$K [${par_c# }] tensorc run --data without --dim" 0 \
          "$TENSORC" run "$file" "${kflag[@]}" --jit tcc --data "$par_sdir/inferred" --check
        pairs=()
        for name in "$par_sdir"/harness/*.npy; do
          [ -e "$name" ] && pairs+=("$par_sdir/inferred/${name##*/}" "$name")
        done
        [ ${#pairs[@]} -gt 0 ] &&
          check "$M/$K [${par_c# }] dims inferred: $((${#pairs[@]} / 2)) outputs" 0 \
            "$work/npycmp" "${pairs[@]}"
      fi
      for par in omp pool tsan; do
        [ -x "$mdir/harness_$par" ] || continue
        mkdir -p "$par_sdir/$par"
        OMP_NUM_THREADS=2 check "$M/$K [${par_c# }] harness_$par" 0 ./harness_$par \
          --kernel "$P" --data "$par_sdir" --out "$par_sdir/$par" "${par_hargs[@]}" || continue
        pairs=()
        for name in "$par_sdir"/harness/*.npy; do
          [ -e "$name" ] && pairs+=("$par_sdir/$par/${name##*/}" "$name")
        done
        [ ${#pairs[@]} -gt 0 ] &&
          check "$M/$K [${par_c# }] harness_$par vs harness: $((${#pairs[@]} / 2)) outputs" 0 \
            "$work/npycmp" "${pairs[@]}"
      done
    fi
  done <"$mdir/kernels.txt"
}

# ---- thread counts ----------------------------------------------------------

# The generated C runs a loop nest in parallel when its work (the scalar
# nodes its body evaluates, times its elements) reaches TCE_PAR_MIN_WORK =
# 262144 (emit/c.c; docs/fusion.md, "Parallel loops"), and promises the
# same bytes whatever the number of threads.  Step 5 tests the promise
# for every kernel of every module, and of bench/dsl, on both parallel
# paths of the generated C:
#
#   omp   `tensorc run --jit cc` (gcc -O2 -fopenmp), OMP_NUM_THREADS=T;
#   pool  `tensorc run --jit tcc` (libtcc, -DTENSORC_POOL: each loop split
#         by rt/pool.c into T contiguous ranges), TENSORC_NUM_THREADS=T;
#
# with T = 1, 2 and 3 (3 threads on a 2-core machine: the uneven split,
# into thirds, and more threads than cores).  Each run starts from an empty
# --data folder, so tensorc run generates the inputs from seed 0: the same
# data at every T, with valid indices and csr matrices.  The three runs
# must exit alike (with status 0, unless the kernel has no valid e2e case)
# and write the same outputs, byte for byte.
#
# Sizes.  Below the threshold a nest runs serially, the same code at every
# T, and the comparison proves nothing; so the sizes are found by
# measuring.  tools/threadcount.c, preloaded into tensorc, counts the loops
# that ran on several threads (the pool's fresh threads; the OpenMP regions
# entered by two threads or more).  For each kernel with parallel loops
# (`tc_parallel_for` calls in its C; else `#pragma omp parallel`) the
# search starts from its last e2e case without a zero dim (valid: step 3
# checks it) and doubles every dim (which keeps dims that must agree equal
# and extents like N - 2 valid; a lone dim is quadrupled) until every
# parallel loop ran on 2 threads.  It stops sooner when some loops ran in
# parallel and the next size would take more than 300 ms (this run's time
# times 2^dims: more would cost more than it adds), when nothing ran in
# parallel even at a second a run, when the kernel fails, or after 24
# steps; and keeps the smallest size where the most loops went parallel.  So a kernel is compared at about the smallest
# size where its nests cross the threshold (tens of milliseconds a run),
# and a new DSL file needs nothing.  (The time limits only choose among
# sizes at which loops do run in parallel; a slower machine may compare at
# another of them.)  In the comparison, the runs at 2 and 3 threads must
# have run at least one loop on several threads, on each path whose C has
# parallel loops, else the test fails saying so.  A file can give the
# cases instead (no search, same checks):
#
#   -- threads: N=4096 M=300        for every kernel of the file
#   -- threads[K]: N=64             for kernel K only
#
# Skipped when tensorc is built with the sanitizers (`make test-san`): the
# kernels run uninstrumented either way (libtcc, cc), so that pass would
# repeat the same tests, slower; and ASan refuses a preloaded library.

# threads_run PATH T FILE K DIR DIMARGS...: runs kernel K of FILE once on
# PATH (omp or pool) at T threads, on the inputs of seed 0, its outputs
# into DIR (emptied first), its output in DIR.log and the counts of
# threadcount.c in DIR.count; returns tensorc's exit status.  (THREADS_SO:
# another build of threadcount.c to preload, for the self-test.)
threads_run() {
  local path=$1 t=$2 file=$3 K=$4 dir=$5 var=TENSORC_NUM_THREADS jit=tcc
  shift 5
  [ "$path" = omp ] && var=OMP_NUM_THREADS jit=cc
  rm -rf "$dir" "$dir.count" && mkdir -p "$dir"
  timeout 60 env "$var=$t" TC_THREADCOUNT="$dir.count" \
    LD_PRELOAD="${THREADS_SO:-$work/threadcount.so}" \
    "$TENSORC" run "$file" --kernel "$K" "$@" --jit "$jit" --data "$dir" \
    >"$dir.log" 2>&1
}

# threads_ran PATH DIR: how many loops the run into DIR ran on several
# threads (for the pool at T threads: T - 1 per loop).
threads_ran() {
  local key=threads n
  [ "$1" = omp ] && key=omp
  n=$(sed -n "s/.*$key=\([0-9]*\).*/\1/p" "$2.count" 2>/dev/null)
  echo "${n:-0}"
}

# threads_scale CASE S: CASE with every dim multiplied by 2^S, or by 4^S
# when the case has one dim (so that the product grows 4 times a step).
threads_scale() {
  local tok out="" s=$2
  [ "$(wc -w <<<"$1")" = 1 ] && s=$((2 * s))
  for tok in $1; do out="$out ${tok%%=*}=$((${tok#*=} << s))"; done
  echo "${out# }"
}

# threads_search PATH FILE K DIR SITES CASE: the search described above,
# from CASE, on PATH at 2 threads; prints the case to compare on.
threads_search() {
  local path=$1 file=$2 K=$3 dir=$4 sites=$5 base=$6 s c best=$6 most=-1 n tok t0 ms
  local dimargs grow
  grow=$(wc -w <<<"$base")
  [ "$grow" = 1 ] && grow=2
  for ((s = 0; s <= 24; s++)); do
    c=$(threads_scale "$base" $s)
    dimargs=()
    for tok in $c; do dimargs+=(--dim "$tok"); done
    t0=$(date +%s%N)
    threads_run "$path" 2 "$file" "$K" "$dir" "${dimargs[@]}" || break
    ms=$((($(date +%s%N) - t0) / 1000000))
    n=$(threads_ran "$path" "$dir")
    echo "$K [$c] $path at 2 threads: $n of $sites parallel loops on threads, $ms ms" >>"$mdir/search.log"
    [ "$n" -gt "$most" ] && most=$n best=$c
    [ "$n" -ge "$sites" ] && break
    # Enough: some loops ran in parallel and the next size would take
    # more than 300 ms (the work grows 2^dims times a step); or nothing
    # ran in parallel even at a second a run.
    [ "$n" -gt 0 ] && [ $((ms << grow)) -gt 300 ] && break
    [ "$ms" -gt 1000 ] && break
  done
  rm -rf "${dir:?}" "$dir.count" "$dir.log"
  echo "$best"
}

# threads_compare PATH FILE K DIR SITES WANT DIMARGS...: runs kernel K on
# PATH at 1, 2 and 3 threads into DIR/1, DIR/2 and DIR/3 and compares;
# SITES is the number of parallel loops in K's C for PATH, WANT the exit
# status expected ("any": the same at every T).
threads_compare() {
  local path=$1 file=$2 K=$3 dir=$4 sites=$5 want=$6 t st st1="" name bad=0 n
  local var=TENSORC_NUM_THREADS
  shift 6
  [ "$path" = omp ] && var=OMP_NUM_THREADS
  for t in 1 2 3; do
    threads_run "$path" $t "$file" "$K" "$dir/$t" "$@"
    st=$?
    n=$(threads_ran "$path" "$dir/$t")
    echo "$var=$t: exit status $st; loops run on several threads: $n (of $sites in the C)"
    [ $t = 1 ] && st1=$st
    if [ "$st" != "$st1" ] || { [ "$want" != any ] && [ "$st" != "$want" ]; }; then
      echo "$var=$t: exit status $st, expected $([ "$want" = any ] && echo "$st1" || echo "$want"):"
      tail -n 5 "$dir/$t.log"
      bad=1
    fi
    # The parallel loops must have run in parallel (when the kernel ran;
    # not at the dims of 1 of a kernel that only fails or runs empty).
    if [ $t != 1 ] && [ "$want" != any ] && [ "$st" = 0 ] && [ "$sites" -gt 0 ] && [ "$n" = 0 ]; then
      echo "$var=$t: none of the $sites parallel loops of $K ran on several threads:"
      echo "the case is too small; give one with a '-- threads[$K]:' line"
      bad=1
    fi
  done
  if [ "$(ls "$dir/1")" != "$(ls "$dir/2")" ] || [ "$(ls "$dir/1")" != "$(ls "$dir/3")" ]; then
    echo "not the same output files: $(ls "$dir/1" | tr '\n' ' ')/ $(ls "$dir/2" | tr '\n' ' ')/ $(ls "$dir/3" | tr '\n' ' ')"
    bad=1
  fi
  for name in "$dir"/1/*; do
    [ -e "$name" ] || continue
    for t in 2 3; do
      [ -e "$dir/$t/${name##*/}" ] || continue
      cmp "$name" "$dir/$t/${name##*/}" || {
        echo "$var=1 and $var=$t: different bytes in ${name##*/}"
        bad=1
      }
    done
  done
  [ $bad = 0 ] && rm -rf "${dir:?}"/[123]   # outputs can be large; kept on failure
  return $bad
}

# test_threads FILE [TAG]: the thread-count step for one DSL file; TAG
# names it in the results (bench/dsl has modules named like examples').
test_threads() {
  local file=$1 stem M K dims cases c dimargs tok csrc so sp path sites want e2e_step=5
  file=$(cd "$(dirname "$file")" && pwd)/$(basename "$file")
  stem=$(basename "$file" .lua)
  M=$(printf '%s' "$stem" | sed 's/[^A-Za-z0-9_]/_/g; s/^[0-9]/m&/')
  mdir=$work/threads-${2:-}$M
  results=$work/threads-${2:-}$M.results
  M=${2:-}$M
  rm -rf "$mdir" && mkdir -p "$mdir"
  : >"$results"
  check "$M: tensorc kernels" 0 \
    bash -c '"$1" kernels "$2" >"$3"' _ "$TENSORC" "$file" "$mdir/kernels.txt" || return
  while read -r K dims; do
    [ -n "$K" ] || continue
    # The parallel loops of K's C: OpenMP regions, and tc_parallel_for
    # calls (not its prototype).
    csrc=$mdir/$K.c
    check "$M/$K: tensorc ir --after emit" 0 \
      bash -c '"$1" ir "$2" --kernel "$3" --after emit >"$4"' _ "$TENSORC" "$file" "$K" "$csrc" ||
      continue
    so=$(grep -c '#pragma omp parallel' "$csrc")
    sp=$(grep -E '(^|[^A-Za-z0-9_])tc_parallel_for\(' "$csrc" | grep -c -v '^void ')
    want=0
    cases=$(cases_for "$file" threads "$K" "$dims") || {
      echo "FAIL $M/$K: $cases (fix the threads lines)" >>"$results"
      continue
    }
    if [ -z "$cases" ]; then
      # The search, from the last valid e2e case without a zero dim.
      cases=$(cases_for "$file" e2e "$K" "$dims") || cases=""
      cases=$(printf '%s\n' "$cases" | grep -v -E '(^| )[^ =]+=0( |$)' | tail -n 1)
      if [ -z "$dims" ]; then
        cases=" "
      elif [ -z "$cases" ]; then
        # No such case (kernels that only fail, or only run empty): dims
        # of 1, expected to behave alike at every T.
        cases=$(for tok in $dims; do printf '%s=1 ' "$tok"; done)
        cases=${cases% } want=any
      elif [ "$sp" -gt 0 ]; then
        cases=$(threads_search pool "$file" "$K" "$mdir/$K-search" "$sp" "$cases")
      elif [ "$so" -gt 0 ]; then
        cases=$(threads_search omp "$file" "$K" "$mdir/$K-search" "$so" "$cases")
      fi
    fi
    while IFS= read -r c; do
      [ -n "$c" ] || continue
      dimargs=()
      for tok in $c; do dimargs+=(--dim "$tok"); done
      for path in omp pool; do
        sites=$so
        [ $path = pool ] && sites=$sp
        check "$M/$K [${c# }] $path: the same bytes at 1, 2 and 3 threads" 0 \
          bash -c 'threads_compare "$@"' _ "$path" "$file" "$K" "$mdir/$K-$path" "$sites" \
          "$want" "${dimargs[@]}"
        cp "$mdir/last.log" "$mdir/$K-$path.log"
      done
    done <<<"$cases"
  done <"$mdir/kernels.txt"
}

# The step must be able to fail: a planted thread-dependent result
# (threadcount.c built with -DTHREADCOUNT_BUG: every thread but the first
# rounds upward) must be caught on both paths, and so must a case too
# small for any loop to run in parallel.  softmax at 1024 x 1024 is far
# above the threshold.
test_threads_selftest() {
  local path f=$root/examples/softmax.lua
  mdir=$work/threads-selftest
  results=$work/threads-selftest.results
  rm -rf "$mdir" && mkdir -p "$mdir"
  : >"$results"
  check "threads selftest: threadcount.c with the planted defect" 0 \
    gcc -std=c11 -O2 -Wall -Wextra -Werror -shared -fPIC -DTHREADCOUNT_BUG \
    "$here/tools/threadcount.c" -ldl -lm -o "$mdir/threadbug.so" || return
  for path in omp pool; do
    check "threads selftest: softmax [B=1024 T=1024] $path passes" 0 \
      bash -c 'threads_compare "$@"' _ $path "$f" softmax "$mdir/ok-$path" 1 0 \
      --dim B=1024 --dim T=1024
    check_fails "threads selftest: a thread-dependent result is caught ($path)" \
      "different bytes" env THREADS_SO="$mdir/threadbug.so" \
      bash -c 'threads_compare "$@"' _ $path "$f" softmax "$mdir/bug-$path" 1 0 \
      --dim B=1024 --dim T=1024
    check_fails "threads selftest: a case without parallel loops is caught ($path)" \
      "none of the" bash -c 'threads_compare "$@"' _ $path "$f" softmax \
      "$mdir/small-$path" 1 0 --dim B=4 --dim T=4
  done
}

# ---- SIMD targets ---------------------------------------------------------

# Step 6 tests the intrinsics targets (issue 5) on every module, with the
# data and the checked results of step 4, and on bench/dsl:
#
#   `tensorc build --target T` for T = x86-64 (the scalar, AVX2 and AVX-512
#   variants of each kernel in one file, one chosen at P_create by CPUID or
#   TENSORC_ISA), avx2 and avx512; each twice (the same bytes);
#
#   each file compiled with `gcc -std=c99 -O2 -Wall -Wextra -pedantic
#   -Werror`, no -m flag (the generated functions carry target attributes),
#   and linked with tools/harness.c; checked by clang likewise (the avx2
#   and avx512 files with -fsyntax-only: the x86-64 file holds the same
#   functions); and the x86-64 file compiled by clang at -O1 under ASan
#   (same warnings), which sees a masked load or store reach past a buffer
#   where gcc's ASan does not (clang turns AVX-512 and AVX2 masked
#   intrinsics into masked loads it checks lane by lane);
#
#   every sanitizer case of step 4 run on its inputs by both x86-64
#   builds, under TENSORC_ISA=scalar, avx2 and avx512 in turn (harness
#   --isa: one process); and one case of each kernel (the last nonempty)
#   by the avx2 and avx512 files.  Every output must match the one `tensorc
#   run --data --check` wrote in step 4 (the libtcc build, which the
#   reference interpreter checked) within the file's tolerance, as step 4
#   compares (npycmp: NaN only NaN, infinities exactly; reassociated sums
#   and the vector math's 4 ulp are well inside).  The harness runs each
#   kernel three times, two of them at once on two threads, and requires
#   the same bytes: each target is deterministic.  A case whose kernel
#   must fail must fail with the same code;
#
#   the hostile calls of step 4 on the clang build, under each ISA, once
#   per kernel.
#
# bench/dsl files (large static shapes, no step 4): `tensorc run --jit cc
# --target x86-64` under each TENSORC_ISA, the best one with --check (the
# reference interpreter, slow at these sizes, runs once), the others
# compared with its outputs.
#
# An ISA this CPU lacks is not run (one SKIP line says so); its files are
# still built and compiled.  When `tensorc build --target x86-64` is
# refused the step is skipped with a SKIP line, or fails with
# E2E_SIMD_LANDED=1.  Under `make test-san` (tensorc built with ASan) only
# the `tensorc build --target T` of each module run (their C compared with
# E2E_REF_TENSORC's, when given): the vector emitter
# under the sanitizers (the C it writes is the same bytes).

# target_setup: in main, before the jobs: sets target_isas to the ISAs
# this CPU runs (as the generated code's tc_pick_isa decides), and targets
# to 0 when tensorc refuses --target x86-64, to "build" when tensorc is
# built with ASan.
target_setup() {
  local isa
  target_isas=""
  [ "$targets" = 0 ] && return
  mdir=$work/targets results=$work/targets.results
  rm -rf "$mdir" && mkdir -p "$mdir"
  : >"$results"
  if [ $san = 1 ]; then
    echo "run.sh: tensorc is built with ASan: step 6 builds every module for the SIMD targets, runs none"
    targets=build
  fi
  cat >"$mdir/isa.c" <<'EOF_C'
#include <stdio.h>
int main(void) {
  __builtin_cpu_init();
  printf("scalar");
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    printf(" avx2");
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
      printf(" avx512");
  }
  printf("\n");
  return 0;
}
EOF_C
  gcc -O2 "$mdir/isa.c" -o "$mdir/isa" && target_isas=$("$mdir/isa")
  [ -n "$target_isas" ] || target_isas=scalar
  for isa in avx2 avx512; do
    [[ " $target_isas " = *" $isa "* ]] ||
      echo "SKIP targets: this CPU lacks $isa: --target $isa and TENSORC_ISA=$isa are built, not run" >>"$results"
  done
  # Does tensorc accept the targets at all?
  printf 'local N = dim("N")\noutput("y", exp(input("x", f32, {N})) * 2 + 1)\n' >"$mdir/probe.lua"
  if ! "$TENSORC" build "$mdir/probe.lua" -o "$mdir/probe" --target x86-64 >"$mdir/probe.log" 2>&1; then
    target_unready "targets: step 6 not run: tensorc build --target x86-64 failed: $(head -n 1 "$mdir/probe.log")"
    targets=0
  fi
}

# target_build: step 6's builds for the current module ($file, $M, $mdir,
# $kernels); sets truns, one line "BINARY ISAS NAME" per binary that runs
# every sanitizer case (ISAS: the values of TENSORC_ISA, comma-separated,
# or "-" for none), and truns_once likewise for those that run one case
# of each kernel.
target_build() {
  local t tdir isas hobj=""
  truns="" truns_once=""
  isas=$(echo $target_isas | tr " " ,)
  for t in x86-64 avx2 avx512; do
    tdir=$mdir/gen-$t
    check "$M: tensorc build --target $t" 0 "$TENSORC" build "$file" -o "$tdir" --target $t ||
      continue
    if [ "$targets" = build ]; then
      [ -z "$ref" ] || same_as_ref "$tdir" "$file" --target $t
      continue
    fi
    check "$M: tensorc build --target $t twice gives the same bytes" 0 \
      bash -c '"$1" build "$2" -o "$3" --target "$5" && diff -r "$4" "$3"' _ \
      "$TENSORC" "$file" "$tdir-2" "$tdir" "$t"
    # gcc: the file, and the harness linked with it (one harness object:
    # M.h is the same for every target).  A warning fails its check, and
    # the code is still run (compiled again without -Werror).
    { check "$M: --target $t: gcc -std=c99 -O2 -pedantic" 0 \
        gcc -std=c99 -O2 -Wall -Wextra -pedantic -Werror -c "$tdir/$M.c" -o "$mdir/$t-gcc.o" ||
        gcc -std=c99 -O2 -w -c "$tdir/$M.c" -o "$mdir/$t-gcc.o" >/dev/null 2>&1; } &&
      { [ $t = x86-64 ] || [[ " $target_isas " = *" $t "* ]]; } &&
      { [ -n "$hobj" ] || check "$M: step 6's harness object (gcc)" 0 \
        gcc -std=c11 -Wall -Wextra -I"$here/tools" "-DTC_HEADER=\"$tdir/$M.h\"" \
        "-DTC_KERNELS=$(printf 'X(%s) ' $kernels)" -c "$here/tools/harness.c" \
        -o "$mdir/harness-gcc.o"; } && hobj=$mdir/harness-gcc.o &&
      check "$M: --target $t: harness link (gcc -O2)" 0 \
        gcc "$hobj" "$mdir/$t-gcc.o" -pthread -lm -o "$mdir/harness-$t-gcc" &&
      if [ $t = x86-64 ]; then
        truns+="$mdir/harness-$t-gcc $isas --target $t (gcc -O2) TENSORC_ISA=$isas"$'\n'
      else
        truns_once+="$mdir/harness-$t-gcc - --target $t (gcc -O2)"$'\n'
      fi
    command -v clang >/dev/null || continue
    # clang: the avx2 and avx512 files for its warnings (-fsyntax-only:
    # their functions are compiled in the x86-64 file); the x86-64 file,
    # with the same warnings an error, under ASan, which sees a masked load
    # or store reach past a buffer (gcc's ASan does not).
    if [ $t != x86-64 ]; then
      check "$M: --target $t: clang -std=c99 -O2 -pedantic -fsyntax-only" 0 \
        clang -std=c99 -O2 -Wall -Wextra -pedantic -Werror -fsyntax-only "$tdir/$M.c"
      continue
    fi
    { check "$M: --target $t: clang -std=c99 -pedantic ($asan_what)" 0 \
        clang -std=c99 $CLANG_ASAN -Wall -Wextra -pedantic -Werror -c "$tdir/$M.c" \
        -o "$mdir/$t-clang-asan.o" ||
        clang -std=c99 $CLANG_ASAN -w -c "$tdir/$M.c" -o "$mdir/$t-clang-asan.o" >/dev/null 2>&1; } &&
      check "$M: --target $t: harness build ($asan_what)" 0 \
        clang -std=c11 ${CLANG_ASAN/-O1/-O0} -Wall -Wextra -I"$here/tools" \
        "-DTC_HEADER=\"$tdir/$M.h\"" "-DTC_KERNELS=$(printf 'X(%s) ' $kernels)" \
        "$here/tools/harness.c" "$mdir/$t-clang-asan.o" -pthread -lm -o "$mdir/harness-x86-64-clang" &&
      truns+="$mdir/harness-x86-64-clang $isas --target $t ($asan_what) TENSORC_ISA=$isas"$'\n'
  done
}

# target_case RUNS P K CASE SDIR RC HARGS...: step 6 for one sanitizer
# case of kernel P (K in messages), whose inputs and checked outputs are in
# SDIR, by each binary of RUNS (truns or truns_once); HARGS are the case's
# dims (NAME=VALUE).
target_case() {
  local runs=$1 P=$2 K=$3 c=$4 sdir=$5 rc=$6 bin isas name what e2e_step=6
  shift 6
  while read -r bin isas name; do
    [ -n "$bin" ] || continue
    what="$name vs tensorc run"
    [ "$rc" = 0 ] || what="$name must fail with $rc"
    check "$M/$K [${c# }] $what" 0 \
      bash -c 'target_compare "$@"' _ "$bin" "$isas" "$sdir" "$sdir/${bin##*/}" "$rc" \
      "$tol_r" "$tol_a" --kernel "$P" --data "$sdir" --expect "$rc" "$@"
  done <<<"$runs"
}

# target_compare BIN ISAS SDIR ODIR RC RTOL ATOL HARNESS_ARGS...: runs BIN
# with HARNESS_ARGS (once, with --isa ISAS unless ISAS is "-": the harness
# runs the kernel under TENSORC_ISA=ISA for each ISA of the comma list), its
# outputs into ODIR; when RC is 0, compares them, in one npycmp, with the
# files of the same names in SDIR, for every output the ASan harness wrote
# in SDIR/harness.
target_compare() {
  local bin=$1 isas=$2 sdir=$3 odir=$4 rc=$5 tr=$6 ta=$7 isa name pairs=()
  shift 7
  rm -rf "$odir" && mkdir -p "$odir"
  if [ "$isas" = - ]; then
    "$bin" --out "$odir" "$@" || return 1
    isas=.
  else
    "$bin" --isa "$isas" --out "$odir" "$@" || return 1
  fi
  [ "$rc" = 0 ] || return 0
  for isa in ${isas//,/ }; do
    for name in "$sdir"/harness/*.npy; do
      [ -e "$name" ] && pairs+=("$odir/$isa/${name##*/}" "$sdir/${name##*/}")
    done
  done
  [ ${#pairs[@]} = 0 ] ||
    "$work/npycmp" ${tr:+--rtol "$tr"} ${ta:+--atol "$ta"} "${pairs[@]}" || return 1
  rm -rf "${odir:?}"   # kept on failure
}

# target_hostile P K CASE HARGS...: the hostile calls on the clang
# (sanitized) build of the x86-64 file, under each TENSORC_ISA.
target_hostile() {
  local P=$1 K=$2 c=$3 e2e_step=6
  shift 3
  [ -x "$mdir/harness-x86-64-clang" ] || return 0
  local isas
  isas=$(echo $target_isas | tr " " ,)
  check "$M/$K [${c# }] --target x86-64 ($asan_what) harness --hostile, TENSORC_ISA=$isas" 0 \
    ./harness-x86-64-clang --kernel "$P" --isa "$isas" --hostile "$@"
}

# test_targets_bench FILE: step 6 for a bench/dsl file.
test_targets_bench() {
  local file=$1 stem M K dims isa cc best tol_r tol_a e2e_step=6
  file=$(cd "$(dirname "$file")" && pwd)/$(basename "$file")
  stem=$(basename "$file" .lua)
  M=bench-$(printf '%s' "$stem" | sed 's/[^A-Za-z0-9_]/_/g; s/^[0-9]/m&/')
  mdir=$work/targets-$M
  results=$work/targets-$M.results
  rm -rf "$mdir" && mkdir -p "$mdir"
  : >"$results"
  check "$M: tensorc build --target x86-64" 0 \
    "$TENSORC" build "$file" -o "$mdir/gen" --name m --target x86-64 || return
  for cc in gcc clang; do
    command -v $cc >/dev/null || continue
    check "$M: --target x86-64: $cc -std=c99 -O2 -pedantic" 0 \
      $cc -std=c99 -O2 -Wall -Wextra -pedantic -Werror -c "$mdir/gen/m.c" -o "$mdir/$cc.o"
  done
  tol_r=$(sed -n 's/^-- tol:.*rtol=\([^ ]*\).*/\1/p' "$file" | head -n 1)
  tol_a=$(sed -n 's/^-- tol:.*atol=\([^ ]*\).*/\1/p' "$file" | head -n 1)
  check "$M: tensorc kernels" 0 \
    bash -c '"$1" kernels "$2" >"$3"' _ "$TENSORC" "$file" "$mdir/kernels.txt" || return
  while read -r K dims; do
    [ -n "$K" ] || continue
    if [ -n "$dims" ]; then
      echo "SKIP $M/$K: has dims ($dims); bench/dsl kernels run at their static sizes only" >>"$results"
      continue
    fi
    # The reference (slow at these sizes) once, on the best ISA; the
    # others compared with it.
    best=${target_isas##* }
    mkdir -p "$mdir/$K-$best"
    check "$M/$K --jit cc --target x86-64 TENSORC_ISA=$best --check" 0 \
      env TENSORC_ISA=$best "$TENSORC" run "$file" --kernel "$K" --jit cc --target x86-64 \
      --check --data "$mdir/$K-$best" || continue
    for isa in $target_isas; do
      [ $isa = $best ] && continue
      check "$M/$K --jit cc --target x86-64 TENSORC_ISA=$isa vs TENSORC_ISA=$best" 0 \
        bash -c 'rm -rf "$4" && mkdir -p "$4" &&
          TENSORC_ISA=$1 "$TENSORC" run "$2" --kernel "$3" --jit cc --target x86-64 --data "$4" &&
          pairs=() && for f in "$5"/*.npy; do pairs+=("$4/${f##*/}" "$f"); done &&
          "$work/npycmp" ${6:+--rtol "$6"} ${7:+--atol "$7"} "${pairs[@]}" && rm -rf "$4"' _ \
        $isa "$file" "$K" "$mdir/$K-$isa" "$mdir/$K-$best" "$tol_r" "$tol_a"
    done
    rm -rf "${mdir:?}/$K-$best"   # outputs of up to 64 MiB
  done <"$mdir/kernels.txt"
}

# The intrinsics the vector targets are meant to use, in the C of kernels
# of dsl/tails_*.lua: checked once the vector emitter writes any (the
# avx512 C of tails_ew's `binary`, an elementwise kernel, holds _mm512_);
# before that, or while the targets are refused, the vector checks are one
# SKIP line, or a FAIL with E2E_SIMD_LANDED=1.  The scalar target is
# checked in any case: no intrinsics, and tcc -Werror compiles it.
#
# intr_code FILE: the kernels' code of a generated C file, without the
# prelude's `static inline` helpers (which are there whether or not a
# kernel uses them).
intr_code() {
  awk '/^static inline/ { skip = 1 } !skip { print } skip && /^}/ { skip = 0 }' "$1"
}

# intr_has NAME FILE REGEX [REGEX...]: FILE holds a match of every REGEX
# (extended; one of each alternative list "a|b").
intr_has() {
  local name=$1 f=$2 re miss=""
  shift 2
  for re in "$@"; do grep -q -E -- "$re" "$f" || miss="$miss '$re'"; done
  if [ -z "$miss" ]; then
    echo "PASS intrinsics: $name" >>"$results"
  else
    {
      echo "FAIL intrinsics: $name: no match for$miss in $f"
    } >>"$results"
  fi
}

test_intrinsics() {
  local f t K d
  mdir=$work/intrinsics
  results=$work/intrinsics.results
  rm -rf "$mdir" && mkdir -p "$mdir"
  : >"$results"
  # The scalar target: no intrinsics, tcc compiles it (step 1 compiles
  # every module's scalar C with tcc).
  f=$here/dsl/tails_ew.lua
  check "intrinsics: tensorc build tails_ew.lua --target scalar" 0 \
    "$TENSORC" build "$f" -o "$mdir/scalar" --target scalar || return
  check "intrinsics: --target scalar has no intrinsics" 0 \
    bash -c '! grep -n -E "immintrin|_mm(256|512)?_|__m(128|256|512)" "$1"' _ "$mdir/scalar/tails_ew.c"
  check "intrinsics: --target scalar compiles under tcc -Werror" 0 \
    tcc -Werror -c "$mdir/scalar/tails_ew.c" -o "$mdir/scalar/tails_ew.o"

  # Step 6's clang ASan build must catch a masked tail load one lane too
  # wide (tools/selftest.c, defect 6), and pass the module without it.
  # (Not under make test-san: it involves no tensorc, make test-e2e runs it.)
  if command -v clang >/dev/null && [[ " $target_isas " = *" avx2 "* ]] && [ -z "$ref" ]; then
    local b t=$here/tools
    for b in 0 6; do
      mkdir -p "$mdir/st$b"
      check "step 6 selftest: harness build ($asan_what), planted defect $b" 0 \
        clang -std=c11 $CLANG_ASAN -Wall -Wextra -I"$t" -DSELFTEST_BUG=$b \
        "-DTC_HEADER=\"$t/selftest.h\"" "-DTC_KERNELS=X(selftest)" \
        "$t/harness.c" "$t/selftest.c" -pthread -lm -o "$mdir/st$b/harness" || break
    done
    check "step 6 selftest: the correct module passes" 0 \
      ./st0/harness --kernel selftest --data st0 --ints 0:13 N=13
    check_fails "step 6 selftest: defect 6 (a masked tail load one lane too wide) is caught" \
      "heap-buffer-overflow" ./st6/harness --kernel selftest --data st6 --ints 0:13 N=13
  fi

  # The vector targets: the C of chosen kernels.
  for d in tails_ew:binary tails_ew:unary tails_static:s17_24 tails_rows:rows; do
    f=$here/dsl/${d%%:*}.lua K=${d#*:}
    for t in avx512 avx2 x86-64; do
      "$TENSORC" ir "$f" --kernel "$K" --after emit --target $t -o "$mdir/$K-$t.c" \
        >"$mdir/last.log" 2>&1 || {
        target_unready "intrinsics: tensorc ir ${d%%:*}.lua --kernel $K --after emit --target $t failed: $(head -n 1 "$mdir/last.log")"
        return
      }
      intr_code "$mdir/$K-$t.c" >"$mdir/$K-$t.code"
    done
  done
  if ! grep -q '_mm512_' "$mdir/binary-avx512.code"; then
    target_unready "intrinsics: the avx512 C of tails_ew/binary has no _mm512_ intrinsic (the vector emitter has not landed)"
    return
  fi
  # AVX-512: full vectors, masked tails, FMA or adds, horizontal reductions.
  intr_has "avx512 tails_ew/binary: vector loads and stores" "$mdir/binary-avx512.code" \
    '_mm512_(mask_|maskz_)?loadu_ps' '_mm512_(mask_)?storeu_ps'
  intr_has "avx512 tails_ew/binary (symbolic N): masked tail loads and stores" "$mdir/binary-avx512.code" \
    '_mm512_mask_loadu_ps|_mm512_maskz_loadu_ps' '_mm512_mask_storeu_ps'
  intr_has "avx512 tails_ew/binary: a * b + c as FMA or vector adds" "$mdir/binary-avx512.code" \
    '_mm512_fmadd_ps|_mm512_add_ps'
  intr_has "avx512 tails_ew/unary: vector code" "$mdir/unary-avx512.code" '_mm512_'
  intr_has "avx512 tails_static/s17_24 (rows of 17 to 24, static): masked tails" "$mdir/s17_24-avx512.code" \
    '_mm512_mask_loadu_ps|_mm512_maskz_loadu_ps' '_mm512_mask_storeu_ps|_mm512_mask_cvt'
  intr_has "avx512 tails_rows/rows: vector accumulators" "$mdir/rows-avx512.code" \
    '_mm512_add_ps' '_mm512_max_ps|_mm512_cmp_ps_mask|_mm512_mask_blend_ps'
  intr_has "avx512 tails_rows/rows: horizontal reductions (reduce or shuffles)" "$mdir/rows-avx512.c" \
    '_mm512_reduce_(add|max|min)_ps|_mm512_shuffle_(f32x4|ps)|_mm512_extractf32x8_ps|_mm512_permute(xvar)?_ps|_mm512_castps512_ps256'
  # AVX2: vector code with maskload/maskstore tails.
  intr_has "avx2 tails_ew/binary: AVX vector code" "$mdir/binary-avx2.code" '_mm256_'
  intr_has "avx2 tails_ew/binary (symbolic N): maskload/maskstore tails" "$mdir/binary-avx2.code" \
    '_mm256_maskload_ps|_mm256_maskstore_ps'
  check "intrinsics: avx2 tails_ew/binary: no AVX-512 in the kernels" 0 \
    bash -c '! grep -n "_mm512_" "$1"' _ "$mdir/binary-avx2.code"
  # x86-64: both variants, chosen at run time.
  intr_has "x86-64 tails_ew/binary: the AVX2 and AVX-512 variants, TENSORC_ISA read" "$mdir/binary-x86-64.code" \
    '_mm512_' '_mm256_' 'TENSORC_ISA'
  # The compiled object really holds AVX-512 instructions (zmm registers;
  # warnings are step 6's business).
  check "intrinsics: tails_ew --target avx512: gcc -O2 emits zmm instructions" 0 \
    bash -c '"$1" build "$2" -o "$3" --target avx512 &&
      gcc -std=c99 -O2 -w -c "$3/tails_ew.c" -o "$3/tails_ew.o" &&
      objdump -d "$3/tails_ew.o" | grep -q zmm' _ "$TENSORC" "$here/dsl/tails_ew.lua" "$mdir/avx512"
}

# target_unready MESSAGE: the vector targets are not there yet: a SKIP
# line, or a FAIL once E2E_SIMD_LANDED=1 says they must be.
target_unready() {
  if [ "$simd_landed" = 1 ]; then
    echo "FAIL $1 (E2E_SIMD_LANDED=1)" >>"$results"
  else
    echo "SKIP $1" >>"$results"
  fi
}

# ---- the tools themselves ----------------------------------------------------

# check_fails NAME PATTERN CMD...: CMD must fail (nonzero status) with
# PATTERN in its output: a defect planted on purpose must be caught, and
# caught for the right reason.
check_fails() {
  local name=$1 pat=$2 st log
  shift 2
  log=$mdir/last.log
  e2e_mark
  (cd "$mdir" && timeout 120 "$@") >"$log" 2>&1
  st=$?
  e2e_time "$name"
  if [ "$st" != 0 ] && grep -q -- "$pat" "$log"; then
    echo "PASS $name" >>"$results"
    return 0
  fi
  {
    echo "FAIL $name (exit status $st; expected a failure reporting '$pat')"
    printf '  command: (cd %q &&' "$mdir"
    printf ' %q' "$@"
    printf ')\n'
    tail -n 15 "$log" | sed 's/^/  | /'
  } >>"$results"
  return 1
}

# The harness and npycmp on a hand-written module (tools/selftest.c): it
# must pass the correct module and catch each planted defect.  Tests that
# cannot fail are worth nothing; this shows these can.
test_selftest() {
  local b t=$here/tools
  mdir=$work/selftest
  results=$work/selftest.results
  rm -rf "$mdir" && mkdir -p "$mdir/d" "$mdir/d2" "$mdir/h0" "$mdir/h4"
  : >"$results"
  for b in 0 1 2 3 4 5; do
    check "selftest: harness build, planted defect $b" 0 \
      gcc -std=c11 -g -O0 $SANFLAGS -Wall -Wextra -I"$t" -DSELFTEST_BUG=$b \
      "-DTC_HEADER=\"$t/selftest.h\"" "-DTC_KERNELS=X(selftest)" \
      "$t/harness.c" "$t/selftest.c" -pthread -lm -o "$mdir/harness$b" || return
  done
  check "selftest: harness --list" 0 ./harness0 --list
  check "selftest: correct module passes" 0 \
    ./harness0 --kernel selftest --data d --out h0 --ints 0:7 N=7
  check "selftest: correct module passes the hostile calls" 0 \
    ./harness0 --kernel selftest --hostile N=7
  check "selftest: correct module reports TC_EINDEX" 0 \
    ./harness0 --kernel selftest --data d2 --out d2 --expect -3 --ints 7:9 N=3
  check "selftest: npycmp accepts equal files" 0 "$work/npycmp" h0/y.npy h0/y.npy
  check_fails "selftest: npycmp rejects different shapes" "differ\\|rank" \
    "$work/npycmp" d/x.npy h0/y.npy
  check_fails "selftest: defect 1 (write past the end) is caught" \
    "heap-buffer-overflow" ./harness1 --kernel selftest --data d --out h0 N=7
  check_fails "selftest: defect 2 (null ctx dereferenced) is caught" \
    "null pointer\\|SEGV" ./harness2 --kernel selftest --hostile N=7
  mkdir -p "$mdir/d3"
  check_fails "selftest: defect 3 (unchecked index) is caught" \
    "heap-buffer-overflow" ./harness3 --kernel selftest --data d3 --out d3 \
    --expect -3 --ints 7:1000 N=3
  check "selftest: defect 4 (an output element never written) runs" 0 \
    ./harness4 --kernel selftest --data d --out h4 N=7
  check_fails "selftest: defect 4 is caught by the comparison" "differ" \
    "$work/npycmp" h4/y.npy h0/y.npy
  check "selftest: harness build, planted defect 5 (ThreadSanitizer)" 0 \
    gcc -std=c11 -g -O1 -fsanitize=thread -Wall -Wextra -I"$t" -DSELFTEST_BUG=5 \
    "-DTC_HEADER=\"$t/selftest.h\"" "-DTC_KERNELS=X(selftest)" \
    "$t/harness.c" "$t/selftest.c" -pthread -lm -o "$mdir/harness5t" || return
  check_fails "selftest: defect 5 (global scratch memory) is a data race" \
    "data race" ./harness5t --kernel selftest --data d --out h4 N=7
}

# ---- errors in DSL files ------------------------------------------------------

# Every errors/*.lua has a line "-- error: LINE: TEXT": `tensorc build` and
# `tensorc run` must exit with status 1, print "FILE:LINE: message" (FILE
# as given) as the first line of stderr with TEXT in the message (case
# ignored), and write no file.  LINE "?" accepts a message without a line
# (used where the front end cannot know it yet: the memory limit).
test_errors() {
  local f line text st
  mdir=$work/errors
  results=$work/errors.results
  rm -rf "$mdir" && mkdir -p "$mdir"
  : >"$results"
  for f in "$here"/errors/*.lua; do
    line=$(sed -n 's/^-- error: *\([0-9?]*\):.*/\1/p' "$f" | head -n 1)
    text=$(sed -n 's/^-- error: *[0-9?]*: *\(.*\)$/\1/p' "$f" | head -n 1)
    # "?" as LINE: the message may lack the line (FILE: message).
    local where="$f:$line: "
    [ "$line" = "?" ] && where="$f:"
    for cmd in build run; do
      local name
      name="errors/$(basename "$f") ($cmd): $f:$line: ...$text..."
      rm -rf "$mdir/out"
      if [ $cmd = build ]; then
        (cd "$mdir" && timeout 60 "$TENSORC" build "$f" -o "$mdir/out") >"$mdir/stdout" 2>"$mdir/stderr"
      else
        (cd "$mdir" && timeout 60 "$TENSORC" run "$f") >"$mdir/stdout" 2>"$mdir/stderr"
      fi
      st=$?
      if [ $st = 1 ] && head -n 1 "$mdir/stderr" | grep -q -F -- "$where" &&
        head -n 1 "$mdir/stderr" | grep -q -i -F -- "$text" &&
        [ -z "$(ls -A "$mdir/out" 2>/dev/null)" ]; then
        echo "PASS $name" >>"$results"
      else
        {
          echo "FAIL $name (exit status $st, expected 1 and the message first on stderr; no output file)"
          printf '  command: (cd %q && %q %s %q%s)\n' "$mdir" "$TENSORC" $cmd "$f" \
            "$([ $cmd = build ] && echo " -o $mdir/out")"
          head -n 5 "$mdir/stderr" | sed 's/^/  | /'
          ls "$mdir/out" 2>/dev/null | sed 's/^/  | wrote: /'
        } >>"$results"
      fi
    done
  done
}

# ---- the examples' C program ------------------------------------------------

test_embed() {
  local mdir=$work/embed
  results=$work/embed.results
  rm -rf "$mdir" && mkdir -p "$mdir"
  : >"$results"
  check "examples/embed.c: tensorc build examples/mlp.lua" 0 \
    "$TENSORC" build "$root/examples/mlp.lua" -o "$mdir/gen" || return
  # Under make test-san: the same bytes as make test-e2e compiled and ran.
  if [ -n "$ref" ]; then
    M=examples/embed.c same_as_ref "$mdir/gen" "$root/examples/mlp.lua" && return
  fi
  check "examples/embed.c: compile (-std=c99 -pedantic, ASan+UBSan)" 0 \
    gcc -std=c99 -Wall -Wextra -pedantic -Werror -g $SANFLAGS -I"$mdir/gen" \
    "$root/examples/embed.c" "$mdir/gen/mlp.c" -lm -o "$mdir/embed" || return
  check "examples/embed.c: run" 0 ./embed
}

# ---- all of it ----------------------------------------------------------------

# e2e_times_report: with E2E_TIMES=1, the seconds spent, from the .times
# files: each job's wall time, and the time of its checks by step (1 to 6
# as in the header; 4p: step 4's once-per-kernel parallel and TSan runs;
# "-": the jobs that are not modules), the slowest jobs and checks first.
# (A job's time beyond its checks: step 5's size search, the harness
# --list, the errors' runs.)
e2e_times_report() {
  local tab=$'\t'
  cat "$work"/*.times >"$work/times.tsv" 2>/dev/null || return 0
  rm -f "$work"/.cpu.*
  echo "---- E2E_TIMES: wall and CPU seconds (every check in $work/times.tsv)"
  echo "  by step (the checks' sums):"
  awk -F '\t' '$1 != "job" { w[$1] += $2; c[$1] += $3; n[$1]++ }
    END { for (k in w) printf "    step %-16s wall %8.1f  cpu %8.1f  in %5d checks\n",
      k, w[k] / 1000, c[k] / 1000, n[k] }' "$work/times.tsv" | sort -k2,2
  echo "  the jobs (wall and CPU time of the whole job), slowest first:"
  awk -F '\t' '$1 == "job"' "$work/times.tsv" | sort -t "$tab" -k3,3 -rn |
    awk -F '\t' '{ w += $2; c += $3; if (NR <= 30) printf "    wall %7.1f  cpu %7.1f  %s\n", $2 / 1000, $3 / 1000, $4 }
      END { printf "    all jobs: wall %.1f, cpu %.1f\n", w / 1000, c / 1000 }'
  echo "  the slowest checks (CPU):"
  awk -F '\t' '$1 != "job"' "$work/times.tsv" | sort -t "$tab" -k3,3 -rn |
    head -n 30 | awk -F '\t' '{ printf "    wall %6.1f  cpu %6.1f  step %-4s %s\n", $2 / 1000, $3 / 1000, $1, $4 }'
}

main() {
  local files=("$@") f st
  if [ ${#files[@]} = 0 ]; then
    files=("$root"/examples/*.lua "$here"/dsl/*.lua)
  fi
  if [ ! -x "$TENSORC" ]; then
    echo "run.sh: $TENSORC not found (make it first)" >&2
    exit 1
  fi
  # A full run starts from a clean folder; a run on chosen files keeps the
  # other modules' folders.
  [ $# = 0 ] && rm -rf "$work"
  mkdir -p "$work" "$TENSORC_CACHE"
  rm -f "$work"/*.results "$work"/*.times
  # Test one binary throughout, even if the tree is rebuilt meanwhile.
  cp "$TENSORC" "$work/tensorc" || exit 1
  TENSORC=$work/tensorc
  gcc -std=c11 -O2 -Wall -Wextra -Werror -I"$here/tools" "$here/tools/npycmp.c" \
    -lm -o "$work/npycmp" || exit 1
  # The thread-count step (E2E_THREADS=0: without it; =only: nothing else),
  # not under the sanitizers (see "thread counts").
  local threads=${E2E_THREADS:-1}
  san=0
  nm "$TENSORC" 2>/dev/null | grep -q ' U __asan_init' && san=1
  if [ "$threads" != 0 ] && [ $san = 1 ]; then
    echo "run.sh: tensorc is built with ASan: no thread-count step"
    threads=0
  fi
  # Under make test-san: the uninstrumented tensorc of the same tree, whose
  # C the sanitized one must write (see "Under make test-san").
  ref=""
  if [ $san = 1 ] && [ -n "${E2E_REF_TENSORC:-}" ]; then
    ref=$work/tensorc-ref
    cp "$E2E_REF_TENSORC" "$ref" || exit 1
    echo "run.sh: tensorc is built with ASan: its C is compared with $E2E_REF_TENSORC's; the checks of that C are make test-e2e's"
  fi
  # The SIMD target step (E2E_TARGETS=0: without it; =only: it and what
  # it needs; see "SIMD targets"): only its builds under the sanitizers.
  local targets=${E2E_TARGETS:-1}
  # Until the vector emitter (emit/vec.c) lands, the checks that need it
  # SKIP; set this to 1 (or run with E2E_SIMD_LANDED=1) to make them FAIL.
  simd_landed=${E2E_SIMD_LANDED:-1}
  [ "$threads" = only ] && targets=0
  [ "$targets" = only ] && threads=0
  if [ "$threads" != 0 ]; then
    gcc -std=c11 -O2 -Wall -Wextra -Werror -shared -fPIC "$here/tools/threadcount.c" \
      -ldl -o "$work/threadcount.so" || exit 1
  fi
  target_setup
  # One libtcc/cc warm-up is not needed: each tensorc run is its own process.
  export -f test_module test_embed test_selftest test_errors check check_fails lines_for expand is_option for_kernel cases_for
  export -f e2e_cpu e2e_mark e2e_time
  export -f test_threads test_threads_selftest threads_run threads_ran threads_scale threads_search threads_compare
  export -f target_build target_case target_compare target_hostile test_targets_bench
  export -f san_object same_as_ref
  export -f test_intrinsics intr_code intr_has target_unready
  export TENSORC BUILD work here root SANFLAGS CLANG_ASAN asan_what threads targets target_isas simd_landed
  export san ref
  # A module's thread-count step runs after its other tests, in the same
  # job, so that `--jit cc` finds the kernels in the cache.
  {
    # (The long jobs first: the bench/dsl files' target runs.)
    if [ $# = 0 ] && { [ "$targets" = 1 ] || [ "$targets" = only ]; }; then
      for f in "$root"/bench/dsl/*.lua; do printf 'targets:%s\n' "$f"; done
    fi
    for f in "${files[@]}"; do printf '%s\n' "$f"; done
    if [ $# = 0 ] && [ "$threads" != 0 ]; then
      for f in "$root"/bench/dsl/*.lua; do printf 'threads:%s\n' "$f"; done
    fi
    [ $# = 0 ] && [ "$threads" != only ] && [ "$targets" != only ] && echo embed && echo errors
    [ "$threads" != only ] && [ "$targets" != only ] && [ -z "$ref" ] && echo selftest
    [ "$threads" != 0 ] && echo threads-selftest
    [ "${E2E_TARGETS:-1}" != 0 ] && [ "$threads" != only ] && echo intrinsics
  } | xargs -P "${JOBS:-$(nproc)}" -I{} bash -c \
    'e2e_mark; j0=$e2e_t0 jc0=$e2e_c0
    case $1 in */*) e2e_step=- ;; *) e2e_step=${1%%:*} ;; esac
    case $1 in
    embed) test_embed ;; errors) test_errors ;; selftest) test_selftest ;;
    threads:*) test_threads "${1#threads:}" bench- ;; threads-selftest) test_threads_selftest ;;
    targets:*) test_targets_bench "${1#targets:}" ;; intrinsics) test_intrinsics ;;
    *) [ "$threads" = only ] || test_module "$1"
       [ "$threads" = 0 ] || test_threads "$1" ;;
    esac
    e2e_t0=$j0 e2e_c0=$jc0 results=$work/jobs.results e2e_step=job e2e_time "${1#$root/}"' _ {}
  # The headers of every module in one translation unit: TENSORC_ABI_V1
  # must let them share the ABI's definitions.
  mdir=$work results=$work/all-headers.results
  : >"$results"
  if ls "$work"/*/gen/*.h >/dev/null 2>&1; then
    {
      for f in "$work"/*/gen/*.h; do printf '#include "%s"\n' "$f"; done
      printf 'int main(void) { return TC_OK; }\n'
    } >"$work/all_headers.c"
    check "the headers of all modules in one file" 0 \
      gcc -std=c99 -Wall -Wextra -pedantic -Werror "$work/all_headers.c" -o "$work/all_headers"
  fi

  [ "${E2E_TIMES:-0}" = 1 ] && e2e_times_report
  local pass fail skip
  pass=$(cat "$work"/*.results 2>/dev/null | grep -c '^PASS')
  fail=$(cat "$work"/*.results 2>/dev/null | grep -c '^FAIL')
  skip=$(cat "$work"/*.results 2>/dev/null | grep -c '^SKIP')
  # Skipped tests are shown, never silent.
  cat "$work"/*.results 2>/dev/null | awk '/^(PASS|FAIL|SKIP)/ { p = 0 } /^(FAIL|SKIP)/ { p = 1 } p'
  if [ "$skip" = 0 ]; then
    echo "e2e: $pass passed, $fail failed"
  else
    echo "e2e: $pass passed, $fail failed, $skip skipped (the SKIP lines above say why)"
  fi
  st=0
  [ "$fail" = 0 ] && [ "$pass" -gt 0 ] || st=1
  exit $st
}

main "$@"
