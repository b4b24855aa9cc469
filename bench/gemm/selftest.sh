#!/bin/sh
# selftest.sh BIN LOG: the GEMM benchmark's check catches wrong results.
# For every variant of a matmul, a batched matmul, an FFN workload and a
# convolution in each layout, runs
# `BIN -f VARIANT` (one element of that variant's output spoilt after it
# runs; check round only, one thread) and requires that the run exits
# nonzero, that this variant is FAILED on each workload that has it and
# that every other variant is ok.  bench/Makefile's gemm-selftest.
set -u
bin=$1 log=$2
workloads="sgemm_256 bmm ffn_erf_m32 conv3x3_nchw conv1x1_nhwc"
variants="openblas dnnl_sgemm dnnl_mm openblas_omp openblas+libm openblas+mvec
dnnl_sgemm+libm dnnl_sgemm+mvec dnnl_mm_fused dnnl_nchw dnnl_nhwc dnnl_any
tensorc"
# The status word ("ok" or "FAILED") of the row WORKLOAD 1 VARIANT.
status() {
  awk -v w="$1" -v v="$2" '$1 == w && $2 == 1 && $3 == v { print $(NF - 1) }' \
    "$log"
}
fail() { echo "bench gemm-selftest: $*" >&2; cat "$log"; exit 1; }
for f in $variants; do
  "$bin" -r 0 -t 1 -f "$f" $workloads > "$log" 2>&1 && fail "gemm -f $f exited 0"
  seen=0
  for w in $workloads; do
    rows=0
    for v in $variants; do
      got=$(status "$w" "$v")
      [ -z "$got" ] && continue # no such variant on this workload
      rows=$((rows + 1))
      if [ "$v" = "$f" ]; then want=FAILED; seen=1; else want=ok; fi
      [ "$got" = "$want" ] || fail "gemm -f $f: $w/$v is $got, not $want"
    done
    [ $rows -ge 3 ] || fail "gemm -f $f: $w has $rows rows, not 3 or more"
  done
  [ $seen = 1 ] || fail "no workload has the variant $f"
done
plot=$(dirname "$0")/../plot.awk
if printf 'a,b\n1,2\n' | awk -F, -f "$plot" > /dev/null 2>&1; then
  fail "plot.awk took a CSV without gemm's columns"
fi
echo "bench gemm-selftest: every spoilt variant was caught"
