#!/bin/bash
# ab.sh WORKLOAD TENSORC_A TENSORC_B [ROUNDS [CALLS]]: the A/B harness
# (ab.c): WORKLOAD's DSL file (bench/gemm/dsl/WORKLOAD.lua, or
# bench/gemm/ab/dsl/WORKLOAD.lua for the harness's own) built by two
# tensorc binaries, run interleaved in one process at OMP_NUM_THREADS.
# Built in ${AB_DIR:-/tmp/tensorc-ab}/WORKLOAD.  BSED='sed script' edits B's
# generated C first (to try a change by hand before writing it in emit/).
set -euo pipefail
[ $# -ge 3 ] || { sed -n 2,7p "$0" >&2; exit 2; }
w=$1 A=$(realpath "$2") B=$(realpath "$3")
shift 3
here=$(cd "$(dirname "$0")" && pwd)
dsl=$here/../dsl/$w.lua
[ -f "$dsl" ] || dsl=$here/dsl/$w.lua # (workloads of the A/B harness only)
[ -f "$dsl" ] || { echo "ab.sh: no $w.lua in $here/../dsl or $here/dsl" >&2; exit 2; }
case $w in
  conv3x3_nhwc|conv3x3_nchw) D=(-DXN=200704 -DYN=200704 -DW0N=36864 -DW1N=64 "-DFLOPS=2.0*64*56*56*64*9" "-DRUNARGS(y)=1,x,y") ;;
  conv1x1_nhwc|conv1x1_nchw) D=(-DXN=802816 -DYN=200704 -DW0N=16384 -DW1N=64 "-DFLOPS=2.0*64*56*56*256" "-DRUNARGS(y)=1,x,y") ;;
  conv_pool_nchw) D=(-DXN=200704 -DYN=50176 -DW0N=36864 -DW1N=64 "-DFLOPS=2.0*64*56*56*64*9" "-DRUNARGS(y)=1,x,y") ;;
  conv3x3s2_nhwc|conv3x3s2_nchw) D=(-DXN=401408 -DYN=100352 -DW0N=147456 -DW1N=128 "-DFLOPS=2.0*128*28*28*128*9" "-DRUNARGS(y)=1,x,y") ;;
  conv3x3g32_nchw|conv3x3g32_nhwc) D=(-DXN=401408 -DYN=401408 -DW0N=4608 -DW1N=128 "-DFLOPS=2.0*128*56*56*4*9" "-DRUNARGS(y)=1,x,y") ;;
  dw3x3_nhwc|dw3x3_nchw) D=(-DXN=451584 -DYN=451584 -DW0N=1296 -DW1N=144 "-DFLOPS=2.0*144*56*56*9" "-DRUNARGS(y)=1,x,y") ;;
  sgemm_*) s=${w#sgemm_}; D=(-DXN=$((s*s)) -DYN=$((s*s)) -DW0N=$((s*s)) -DW1N=0 "-DFLOPS=2.0*$s*$s*$s" "-DRUNARGS(y)=x,y") ;;
  ffn_tanh|ffn_erf) m=${M:-128}; D=(-DXN=$((m*768)) -DYN=$((m*3072)) -DW0N=$((3072*768)) -DW1N=3072 "-DFLOPS=2.0*$m*768*3072" "-DRUNARGS(y)=$m,x,y") ;;
  *) echo "ab.sh: no sizes for $w" >&2; exit 2 ;;
esac
dir=${AB_DIR:-/tmp/tensorc-ab}/$w
mkdir -p "$dir"
cd "$dir"
"$A" build "$dsl" -o . --name A >/dev/null
"$B" build "$dsl" -o . --name B >/dev/null
if [ -n "${BSED:-}" ]; then sed -i "$BSED" B.c; fi
if [ -n "${BCMD:-}" ]; then $BCMD B.c; fi
cc -O3 -march=native -fopenmp -c A.c -o A.o
cc -O3 -march=native -fopenmp -c B.c -o B.o
cc -O3 -march=native -fopenmp -I. "${D[@]}" "$here/ab.c" A.o B.o -lm -o ab
OMP_PROC_BIND=close OMP_PLACES=cores ./ab "$@"
