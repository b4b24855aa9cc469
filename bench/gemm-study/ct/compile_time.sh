#!/bin/sh
# median of 5 user+sys CPU seconds of `gcc -c` per file and level
cd "$(dirname "$0")"
python3 mk.py
for f in empty empty_immintrin k14x32_plain_intrin k14x32_plain_noheader k1x32_da_s4 k8x48_pa k14x32_pa k6x64_pa all; do
  for o in -O2 -O3; do
    ts=$(for i in 1 2 3 4 5; do /usr/bin/time -f "%U %S" gcc -std=c11 $o -Wall -Wextra -c $f.c -o $f$o.o 2>&1 >/dev/null | awk '{print $1+$2}'; done | sort -n | sed -n 3p)
    printf "%-16s %s cpu %5.2fs  .text %6s bytes\n" $f $o $ts $(size $f$o.o | tail -1 | awk '{print $1}')
  done
done
