#!/bin/sh
# deps.sh: install the Debian packages tensorc needs, when they are missing.
# Run by `make demo` and `make test`; does nothing when all is there.
# `deps.sh bench` also installs the peers of the GEMM benchmark (OpenBLAS,
# both its default and its OpenMP build, and oneDNN): bench/Makefile.
set -eu
missing=""
need() { # need PACKAGE TEST...
  pkg=$1; shift
  if ! "$@" >/dev/null 2>&1; then missing="$missing $pkg"; fi
}
need build-essential command -v cc
need pkg-config command -v pkg-config
need lua5.4 command -v lua5.4
need liblua5.4-dev test -f /usr/include/lua5.4/lua.h
need tcc test -d /usr/lib/x86_64-linux-gnu/tcc
need libtcc-dev test -f /usr/include/libtcc.h
need check test -f /usr/include/check.h
need libedit-dev test -f /usr/include/editline/readline.h
need clang command -v clang
if [ "${1:-}" = bench ]; then
  need libopenblas-dev test -e /usr/lib/x86_64-linux-gnu/libopenblas.so
  need libopenblas-openmp-dev test -f /usr/include/x86_64-linux-gnu/openblas-openmp/cblas.h
  need libdnnl-dev test -f /usr/include/oneapi/dnnl/dnnl.h
fi
[ -z "$missing" ] && exit 0
echo "deps.sh: installing$missing"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq $missing
