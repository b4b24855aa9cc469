#!/bin/sh
# Reproduce every table in NOTES.md (about 3-4 minutes on a quiet machine).
set -e
cd "$(dirname "$0")"
make -s gemm gemm_O3
mkdir -p results
./run.sh check | tee results/check.txt
./run.sh kern | tee results/kern.txt
./run.sh shapes 3 | tee results/shapes.txt
./run.sh kepi 768 | tee results/kepi768.txt
./run.sh kepi 256 | tee results/kepi256.txt
./run.sh square k14x32_pa 256 224 4096 0 0 5 | tee results/square_14x32_pa.txt
./run.sh square k8x48_pa 256 224 4096 0 0 5 | tee results/square_8x48_pa.txt
./run.sh square k14x32_da 256 224 4096 0 0 5 | tee results/square_14x32_da.txt
./run.sh block k14x32_pa 1024 1 3 | tee results/block_1024_nt1.txt
./run.sh block k14x32_pa 2048 1 2 | tee results/block_2048_nt1.txt
./run.sh block k14x32_pa 1024 2 3 | tee results/block_1024_nt2.txt
./run.sh skinny 3 | tee results/skinny.txt
./run.sh epi 128 k8x48_pa 3 | tee results/epi_128.txt
./run.sh epi 1 k1x32_da_s4 3 | tee results/epi_1.txt
ct/compile_time.sh | tee results/compile_time.txt
python3 asmstat.py gemm $(grep -o '"k[0-9]*x[0-9]*_[a-z0-9_]*"' kern.h | tr -d '"' | sort -u) | tee results/asm.txt
