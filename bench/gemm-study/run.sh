#!/bin/sh
# usage: ./run.sh MODE [ARGS]   (modes: check kern block square skinny epi)
# OpenBLAS: the environment may force Haswell (half speed), so unset it.  With it unset,
# OpenBLAS 0.3.21 does not know this CPU (family 6 model 207) and falls back to
# Prescott (SSE3); OB_CORE (default Cooperlake, the newest core in Debian's build)
# is therefore set explicitly.  OB_CORE=auto leaves it unset.
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
OB_CORE=${OB_CORE:-Cooperlake}
[ "$OB_CORE" = auto ] || export OPENBLAS_CORETYPE="$OB_CORE"
export OMP_PROC_BIND=close OMP_PLACES=cores
exec "${GEMM_BIN:-$(dirname "$0")/gemm}" "$@"
