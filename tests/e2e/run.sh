#!/usr/bin/env bash
# tests/e2e/run.sh: the end-to-end tests.  Called by `make test-e2e` as
#
#   TENSORC=build/tensorc BUILD=build tests/e2e/run.sh [FILE.lua...]
#
# (and by `make test-san` with BUILD=build-san, where tensorc itself runs
# under the sanitizers).  Without arguments it tests examples/*.lua and
# tests/e2e/dsl/*.lua.  For every DSL file (a "module") it
#
#   1. runs `tensorc build FILE -o DIR` (twice: the output must be the same
#      bytes) and compiles DIR/M.c with
#      `gcc -std=c99 -Wall -Wextra -pedantic -Werror` (without and with
#      -fopenmp), `clang` likewise, and `tcc -Werror`; compiles a program
#      that includes M.h alone, twice; checks that M.c exports only the
#      P_* functions, and that --name and --prefix rename as specified;
#   2. compiles M.c together with tests/e2e/tools/harness.c under
#      -fsanitize=address,undefined and asks it for the kernels and their
#      dims (`harness --list`);
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
#      files get this step too; `make test-san` skips it).
#
# Besides the modules: every file of tests/e2e/errors must fail with its
# "-- error: LINE: TEXT" message; examples/embed.c is compiled against the
# generated mlp.h/mlp.c and run (under the sanitizers); the headers of all modules
# are included in one file; and the tools are tested on a hand-written
# module with planted defects, which they must catch (tools/selftest.c),
# and step 5 on a planted thread-dependent result (tools/threadcount.c).
#
# At the end it prints "N passed, M failed" and exits 1 if anything failed;
# every failure prints the command that failed and the end of its output.
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
#       see tools/harness.c).
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
# else).
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
# Leaks are reported by the harness's own process too: keep them fatal.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

# ---- one check: run a command, record PASS or FAIL ------------------------

# check NAME EXPECTED_STATUS CMD...: run CMD (with a time limit) in the
# module's folder; it passes when its exit status is EXPECTED_STATUS.
check() {
  local name=$1 want=$2 st log
  shift 2
  log=$mdir/last.log
  (cd "$mdir" && timeout 120 "$@") >"$log" 2>&1
  st=$?
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
is_option() { case $1 in ints | rc | csr) return 0 ;; esac; return 1; }

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

test_module() {
  local file=$1 stem M mdir out kernels P dims K kflag c dimargs tok
  local ints rc csr sdir name tol_r tol_a n
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
  check "$M: tensorc build" 0 "$TENSORC" build "$file" -o "$out" || return
  check "$M: tensorc build twice gives the same bytes" 0 \
    bash -c '"$1" build "$2" -o "$3" && diff -r "$4" "$3"' _ \
    "$TENSORC" "$file" "$mdir/gen2" "$out"
  check "$M: gcc -std=c99 -pedantic" 0 \
    gcc -std=c99 -Wall -Wextra -pedantic -Werror -c "$out/$M.c" -o "$mdir/gcc.o"
  check "$M: gcc -std=c99 -pedantic -fopenmp -O2" 0 \
    gcc -std=c99 -O2 -Wall -Wextra -pedantic -Werror -fopenmp -c "$out/$M.c" -o "$mdir/omp.o"
  check "$M: gcc -std=c99 -pedantic -DTENSORC_POOL" 0 \
    gcc -std=c99 -Wall -Wextra -pedantic -Werror -DTENSORC_POOL -c "$out/$M.c" -o "$mdir/pool.o"
  if command -v clang >/dev/null; then
    check "$M: clang -std=c99 -pedantic" 0 \
      clang -std=c99 -Wall -Wextra -pedantic -Werror -c "$out/$M.c" -o "$mdir/clang.o"
  fi
  check "$M: tcc -Werror" 0 tcc -Werror -c "$out/$M.c" -o "$mdir/tcc.o"
  printf '#include "%s.h"\n#include "%s.h"\nint main(void) { return TC_OK; }\n' \
    "$M" "$M" >"$mdir/hdr.c"
  check "$M: M.h alone, included twice" 0 \
    gcc -std=c99 -Wall -Wextra -pedantic -Werror -I"$out" "$mdir/hdr.c" -o "$mdir/hdr"

  # 2. The harness, with the generated code under the sanitizers.
  kernels=$(sed -n 's/.*[^A-Za-z0-9_]\([A-Za-z_][A-Za-z0-9_]*\)_info[[:space:]]*([[:space:]]*void[[:space:]]*)[[:space:]]*;.*/\1/p' "$out/$M.h")
  if [ -z "$kernels" ]; then
    echo "FAIL $M: no P_info prototype found in $out/$M.h" >>"$results"
    return
  fi
  check "$M: harness build (ASan+UBSan)" 0 \
    gcc -std=c11 -g -O0 $SANFLAGS -Wall -Wextra -I"$here/tools" \
    "-DTC_HEADER=\"$out/$M.h\"" "-DTC_KERNELS=$(printf 'X(%s) ' $kernels)" \
    "$here/tools/harness.c" "$out/$M.c" -pthread -lm -o "$mdir/harness" || return
  # M.c exports the P_* functions of its kernels and nothing else.
  check "$M: M.c exports only the P_* functions" 0 \
    bash -c 'bad=$(nm -g --defined-only "$1" | awk "{ print \$3 }" |
      grep -v -x -E "($2)_(create|create_v|destroy|run|run_v|info|shape)")
      [ -z "$bad" ] || { echo "unexpected exported symbols: $bad"; exit 1; }' \
    _ "$mdir/gcc.o" "$(printf '%s|' $kernels | sed 's/|$//')"

  # --name and --prefix: the files are named after --name, and --prefix
  # replaces M in every P (spec/abi.md).
  local want="" p
  for p in $kernels; do
    if [ "$p" = "$M" ]; then want="$want zz_pfx"; else want="$want zz_pfx_${p#"${M}_"}"; fi
  done
  check "$M: tensorc build --name alt --prefix zz_pfx" 0 \
    bash -c '"$1" build "$2" -o "$3" --name alt --prefix zz_pfx &&
      gcc -std=c99 -Wall -Wextra -pedantic -Werror -c "$3/alt.c" -o "$3/alt.o" &&
      got=$(nm -g --defined-only "$3/alt.o" | awk "{ print \$3 }" |
        sed -n "s/_info\$//p" | sort | tr "\n" " ") &&
      want=$(printf "%s\n" $4 | sort | tr "\n" " ") &&
      { [ "$got" = "$want" ] || { echo "P_info symbols: $got, expected: $want"; exit 1; }; }' \
    _ "$TENSORC" "$file" "$mdir/gen3" "$want"

  # The same with the parallel loops on: OpenMP threads (optimized, no
  # sanitizers), and the TENSORC_POOL hook of the harness (sanitized).
  [ -e "$mdir/omp.o" ] && check "$M: harness build (-O2 -fopenmp)" 0 \
    gcc -std=c11 -O2 -fopenmp -Wall -Wextra -I"$here/tools" \
    "-DTC_HEADER=\"$out/$M.h\"" "-DTC_KERNELS=$(printf 'X(%s) ' $kernels)" \
    "$here/tools/harness.c" "$mdir/omp.o" -pthread -lm -o "$mdir/harness_omp"
  check "$M: harness build (-DTENSORC_POOL, ASan+UBSan)" 0 \
    gcc -std=c11 -g -O0 $SANFLAGS -DTENSORC_POOL -Wall -Wextra -I"$here/tools" \
    "-DTC_HEADER=\"$out/$M.h\"" "-DTC_KERNELS=$(printf 'X(%s) ' $kernels)" \
    "$here/tools/harness.c" "$out/$M.c" -pthread -lm -o "$mdir/harness_pool"
  check "$M: harness build (ThreadSanitizer)" 0 \
    gcc -std=c11 -g -O0 -fsanitize=thread -Wall -Wextra -I"$here/tools" \
    "-DTC_HEADER=\"$out/$M.h\"" "-DTC_KERNELS=$(printf 'X(%s) ' $kernels)" \
    "$here/tools/harness.c" "$out/$M.c" -pthread -lm -o "$mdir/harness_tsan"
  (cd "$mdir" && ./harness --list) >"$mdir/kernels.txt" 2>"$mdir/last.log" || {
    echo "FAIL $M: harness --list" >>"$results"
    return
  }
  (cd "$mdir" && ./harness --inferable) >"$mdir/inferable.txt" 2>>"$mdir/last.log"
  n=$(wc -l <"$mdir/kernels.txt")
  tol_r=$(sed -n 's/^-- tol:.*rtol=\([^ ]*\).*/\1/p' "$file" | head -n 1)
  tol_a=$(sed -n 's/^-- tol:.*atol=\([^ ]*\).*/\1/p' "$file" | head -n 1)

  while read -r P dims; do
    if [ "$n" = 1 ]; then K=$P; kflag=(); else K=${P#"${M}_"}; kflag=(--kernel "$K"); fi

    # 3. tensorc run --check, both JITs, every size case; and the cases
    # where the kernel must report an error.
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
    local hostile_done=0 si=0 hargs par_sdir="" par_c="" par_hargs=()
    while IFS= read -r c; do
      [ -n "$c" ] || continue
      ints="" rc=0 csr="" dimargs=() hargs=()
      for tok in $c; do
        case ${tok%%=*} in
        ints) ints=${tok#ints=} ;;
        rc) rc=${tok#rc=} ;;
        csr) csr=${tok#csr=} ;;
        *) dimargs+=(--dim "$tok") hargs+=("$tok") ;;
        esac
      done
      si=$((si + 1))
      sdir=$mdir/san-$K-$si
      mkdir -p "$sdir/harness"
      check "$M/$K [${c# }] harness (ASan+UBSan)" 0 ./harness --kernel "$P" \
        --data "$sdir" --out "$sdir/harness" --expect "$rc" \
        ${ints:+--ints "$ints"} ${csr:+--csr "$csr"} "${hargs[@]}" || continue
      if [ "$rc" != 0 ]; then
        check "$M/$K [$c] tensorc run --data on the same data must fail" 1 \
          "$TENSORC" run "$file" "${kflag[@]}" "${dimargs[@]}" --jit tcc --data "$sdir"
        continue
      fi
      check "$M/$K [${c# }] tensorc run --data --check" 0 \
        "$TENSORC" run "$file" "${kflag[@]}" "${dimargs[@]}" --jit tcc --data "$sdir" --check ||
        continue
      for name in "$sdir"/harness/*.npy; do
        [ -e "$name" ] || continue
        check "$M/$K [${c# }] harness vs tensorc run: $(basename "$name")" 0 \
          "$work/npycmp" ${tol_r:+--rtol "$tol_r"} ${tol_a:+--atol "$tol_a"} \
          "$name" "$sdir/$(basename "$name")"
      done
      if [[ " ${hargs[*]} " != *"=0 "* ]]; then
        par_sdir=$sdir par_c=$c par_hargs=("${hargs[@]}")
      fi
      # The hostile calls, once per kernel, on a case of nonempty arguments
      # when there is one (null pointers are only refused where data is
      # expected).
      if [ $hostile_done = 0 ] && [[ " ${hargs[*]} " != *"=0 "* ]]; then
        hostile_done=1
        check "$M/$K [${c# }] harness --hostile (ASan+UBSan)" 0 \
          ./harness --kernel "$P" --hostile "${hargs[@]}"
      fi
    done <<<"$sans"

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
        for name in "$par_sdir"/harness/*.npy; do
          [ -e "$name" ] || continue
          check "$M/$K [${par_c# }] dims inferred: $(basename "$name")" 0 \
            "$work/npycmp" "$par_sdir/inferred/$(basename "$name")" "$name"
        done
      fi
      for par in omp pool tsan; do
        [ -x "$mdir/harness_$par" ] || continue
        mkdir -p "$par_sdir/$par"
        OMP_NUM_THREADS=2 check "$M/$K [${par_c# }] harness_$par" 0 ./harness_$par \
          --kernel "$P" --data "$par_sdir" --out "$par_sdir/$par" "${par_hargs[@]}" || continue
        for name in "$par_sdir"/harness/*.npy; do
          [ -e "$name" ] || continue
          check "$M/$K [${par_c# }] harness_$par vs harness: $(basename "$name")" 0 \
            "$work/npycmp" "$par_sdir/$par/$(basename "$name")" "$name"
        done
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
    # The parallel loops must have run in parallel (when the kernel ran).
    if [ $t != 1 ] && [ "$st" = 0 ] && [ "$sites" -gt 0 ] && [ "$n" = 0 ]; then
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
  local file=$1 stem M K dims cases c dimargs tok csrc so sp path sites want
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

# ---- the tools themselves ----------------------------------------------------

# check_fails NAME PATTERN CMD...: CMD must fail (nonzero status) with
# PATTERN in its output: a defect planted on purpose must be caught, and
# caught for the right reason.
check_fails() {
  local name=$1 pat=$2 st log
  shift 2
  log=$mdir/last.log
  (cd "$mdir" && timeout 120 "$@") >"$log" 2>&1
  st=$?
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
  check "examples/embed.c: compile (-std=c99 -pedantic, ASan+UBSan)" 0 \
    gcc -std=c99 -Wall -Wextra -pedantic -Werror -g $SANFLAGS -I"$mdir/gen" \
    "$root/examples/embed.c" "$mdir/gen/mlp.c" -lm -o "$mdir/embed" || return
  check "examples/embed.c: run" 0 ./embed
}

# ---- all of it ----------------------------------------------------------------

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
  rm -f "$work"/*.results
  # Test one binary throughout, even if the tree is rebuilt meanwhile.
  cp "$TENSORC" "$work/tensorc" || exit 1
  TENSORC=$work/tensorc
  gcc -std=c11 -O2 -Wall -Wextra -Werror -I"$here/tools" "$here/tools/npycmp.c" \
    -lm -o "$work/npycmp" || exit 1
  # The thread-count step (E2E_THREADS=0: without it; =only: nothing else),
  # not under the sanitizers (see "thread counts").
  local threads=${E2E_THREADS:-1}
  if [ "$threads" != 0 ] && nm "$TENSORC" 2>/dev/null | grep -q ' U __asan_init'; then
    echo "run.sh: tensorc is built with ASan: no thread-count step"
    threads=0
  fi
  if [ "$threads" != 0 ]; then
    gcc -std=c11 -O2 -Wall -Wextra -Werror -shared -fPIC "$here/tools/threadcount.c" \
      -ldl -o "$work/threadcount.so" || exit 1
  fi
  # One libtcc/cc warm-up is not needed: each tensorc run is its own process.
  export -f test_module test_embed test_selftest test_errors check check_fails lines_for expand is_option for_kernel cases_for
  export -f test_threads test_threads_selftest threads_run threads_ran threads_scale threads_search threads_compare
  export TENSORC BUILD work here root SANFLAGS threads
  # A module's thread-count step runs after its other tests, in the same
  # job, so that `--jit cc` finds the kernels in the cache.
  {
    for f in "${files[@]}"; do printf '%s\n' "$f"; done
    if [ $# = 0 ] && [ "$threads" != 0 ]; then
      for f in "$root"/bench/dsl/*.lua; do printf 'threads:%s\n' "$f"; done
    fi
    [ $# = 0 ] && [ "$threads" != only ] && echo embed && echo errors
    [ "$threads" != only ] && echo selftest
    [ "$threads" != 0 ] && echo threads-selftest
  } | xargs -P "${JOBS:-$(nproc)}" -I{} bash -c \
    'case $1 in
    embed) test_embed ;; errors) test_errors ;; selftest) test_selftest ;;
    threads:*) test_threads "${1#threads:}" bench- ;; threads-selftest) test_threads_selftest ;;
    *) [ "$threads" = only ] || test_module "$1"
       [ "$threads" = 0 ] || test_threads "$1" ;;
    esac' _ {}
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

  local pass fail
  pass=$(cat "$work"/*.results 2>/dev/null | grep -c '^PASS')
  fail=$(cat "$work"/*.results 2>/dev/null | grep -c '^FAIL')
  cat "$work"/*.results 2>/dev/null | awk '/^PASS/ { p = 0 } /^FAIL/ { p = 1 } p'
  echo "e2e: $pass passed, $fail failed"
  st=0
  [ "$fail" = 0 ] && [ "$pass" -gt 0 ] || st=1
  exit $st
}

main "$@"
