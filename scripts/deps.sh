#!/bin/sh
# deps.sh: install the Debian packages tensorc needs, when they are missing.
# Run by `make demo` and `make test`; does nothing when all is there.
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
[ -z "$missing" ] && exit 0
echo "deps.sh: installing$missing"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq $missing
