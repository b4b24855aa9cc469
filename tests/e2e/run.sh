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
#      context from two threads at once, which TSan watches for races).
#
# Besides the modules: every file of tests/e2e/errors must fail with its
# "-- error: LINE: TEXT" message; examples/embed.c is compiled against the
# generated mlp.h/mlp.c and run (under the sanitizers); the headers of all modules
# are included in one file; and the tools are tested on a hand-written
# module with planted defects, which they must catch (tools/selftest.c).
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
# Environment: TENSORC (the binary, default build/tensorc), BUILD (default
# build), JOBS (modules tested at once, default: the number of CPUs),
# E2E_QUICK=1 (only the first size case of each kernel; for development).
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
  # One libtcc/cc warm-up is not needed: each tensorc run is its own process.
  export -f test_module test_embed test_selftest test_errors check check_fails lines_for expand is_option for_kernel cases_for
  export TENSORC BUILD work here root SANFLAGS
  {
    for f in "${files[@]}"; do printf '%s\n' "$f"; done
    [ $# = 0 ] && echo embed && echo errors
    echo selftest
  } | xargs -P "${JOBS:-$(nproc)}" -I{} bash -c \
    'case $1 in embed) test_embed ;; errors) test_errors ;; selftest) test_selftest ;; *) test_module "$1" ;; esac' _ {}
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
