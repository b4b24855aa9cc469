#!/bin/sh
# demo.sh TENSORC: what `make demo` shows.  For every examples/*.lua:
#   - each kernel is run with --check (against the reference interpreter)
#     through libtcc and through cc, at a couple of sizes;
#   - the file is built with `tensorc build` into BUILD/demo/;
# then every examples/*.c is compiled against the modules it includes
# (gcc -std=c99 -Wall -Wextra -pedantic -Werror) and run.
#
# Sizes: a line `-- demo: N=64 K=32` in a DSL file gives one set of dims
# (repeat the line for several sets); without one, every dim is 8, then 33.
# Prints one line per step and a summary; exits 1 when anything failed.
set -u
TENSORC=${1:?usage: demo.sh PATH/TO/tensorc}
BUILD=$(dirname "$TENSORC")
OUT="$BUILD/demo"
LOG="$OUT/log"
mkdir -p "$OUT" "$LOG"
# Keep cc's cache inside the build folder unless the user chose one.
: "${TENSORC_CACHE:=$BUILD/cache}"
export TENSORC_CACHE

pass=0
fail=0
failed=""

# step NAME LOGFILE CMD...: runs CMD, logs its output, prints one line.
step() {
  name=$1; log=$2; shift 2
  if "$@" >"$log" 2>&1 </dev/null; then
    pass=$((pass + 1))
    printf '  ok    %s\n' "$name"
    # the benchmark line, when there is one
    grep '^bench' "$log" | sed 's/^/        /'
  else
    fail=$((fail + 1))
    failed="$failed
  $name (log: $log)"
    printf '  FAIL  %s\n' "$name"
    sed 's/^/        | /' "$log" | head -20
  fi
}

set -- examples/*.lua
if [ ! -e "$1" ]; then
  echo "demo: no examples/*.lua" >&2
  exit 1
fi

for lua in examples/*.lua; do
  stem=$(basename "$lua" .lua)
  echo "== $lua"
  if ! "$TENSORC" kernels "$lua" >"$LOG/$stem.kernels" 2>&1; then
    fail=$((fail + 1))
    failed="$failed
  $lua: cannot be loaded"
    sed 's/^/        | /' "$LOG/$stem.kernels"
    continue
  fi
  # The dim sets: the file's `-- demo:` lines, or 8 and 33 for every dim.
  sizes=$(sed -n 's/^-- *demo: *//p' "$lua")
  while read -r kernel dims; do
    [ -n "$kernel" ] || continue
    if [ -z "$dims" ]; then
      sets="-"                      # no dims: one run
    elif [ -n "$sizes" ]; then
      sets=$sizes
    else
      sets=""
      for v in 8 33; do
        s=""
        for d in $dims; do s="$s $d=$v"; done
        sets="$sets$s
"
      done
    fi
    printf '%s\n' "$sets" | while read -r set; do
      [ -n "$set" ] || continue
      args=""
      label=""
      for kv in $(echo "$set" | tr -d -); do
        # keep only the dims this kernel has
        case " $dims " in *" ${kv%%=*} "*) args="$args --dim $kv"; label="$label $kv";; esac
      done
      for jit in tcc cc; do
        tag="$stem.$kernel.$jit$(echo "$label" | tr ' =' '_-')"
        # shellcheck disable=SC2086
        step "$kernel [$jit]$label" "$LOG/$tag.log" \
          "$TENSORC" run "$lua" --kernel "$kernel" $args --jit "$jit" --check --bench 20
      done
    done > "$LOG/$stem.$kernel.out"
    cat "$LOG/$stem.$kernel.out"
    # the subshell's counts come back through the log
    p=$(grep -c '^  ok ' "$LOG/$stem.$kernel.out")
    f=$(grep -c '^  FAIL' "$LOG/$stem.$kernel.out")
    pass=$((pass + p))
    fail=$((fail + f))
    [ "$f" -eq 0 ] || failed="$failed
  $lua kernel $kernel: $f failed run(s) (logs in $LOG)"
  done < "$LOG/$stem.kernels"
  step "build $lua -> $OUT/$stem.c" "$LOG/$stem.build.log" \
    "$TENSORC" build "$lua" -o "$OUT"
done

for c in examples/*.c; do
  [ -e "$c" ] || continue
  stem=$(basename "$c" .c)
  echo "== $c"
  # The modules it includes, as built above.
  mods=""
  for h in $(sed -n 's/^#include *"\([A-Za-z0-9_]*\)\.h".*/\1/p' "$c"); do
    [ -f "$OUT/$h.c" ] && mods="$mods $OUT/$h.c"
  done
  # shellcheck disable=SC2086
  step "compile $c (gcc -std=c99 -pedantic -Werror)" "$LOG/$stem.cc.log" \
    gcc -std=c99 -Wall -Wextra -pedantic -Werror -O2 -I"$OUT" "$c" $mods -lm \
    -o "$OUT/$stem"
  if [ -x "$OUT/$stem" ]; then
    step "run $OUT/$stem" "$LOG/$stem.run.log" "$OUT/$stem"
    sed 's/^/        /' "$LOG/$stem.run.log" | head -10
  fi
done

echo
echo "demo: $pass passed, $fail failed"
if [ "$fail" -ne 0 ]; then
  echo "failed:$failed"
  exit 1
fi
