#!/bin/sh
# run_mpi_checks.sh: builds runtime/tests/mpi_jacobi_check.c for each of its stencils and runs it
# at 1..4 ranks (both decompositions) and at 6 and 9 ranks (grid), on sizes that do not divide,
# serial and with 2 OpenMP threads per rank. Each run compares itself bitwise with a serial
# solve. Then runtime/tests/mpi_sides_check.c (neumann and periodic sides on blocks). Usage: sh runtime/tests/run_mpi_checks.sh [BUILD_DIR]
set -eu
# Ranks x threads exceed the cores here: idle OpenMP threads must sleep, not spin.
export OMP_WAIT_POLICY=passive
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-${TMPDIR:-/tmp}/stencilc-mpi-checks}
mkdir -p "$build"
mpirun="mpirun -q --oversubscribe"
[ "$(id -u)" = 0 ] && mpirun="$mpirun --allow-run-as-root"
failures=0
for k in 1 2 3 4; do
    mpicc -std=c11 -O3 -march=native -ffp-contract=off -fopenmp -Wall -Wextra -Werror -DSTENCIL=$k \
        -I"$root/runtime" "$root/runtime/tests/mpi_jacobi_check.c" "$root/runtime/stencil_mpi.c" \
        "$root/runtime/stencil_runtime.c" "$root/runtime/stencil_sweeps.c" -lm -o "$build/check$k"
    for run in "1 0 37 53" "2 0 37 53" "3 0 37 53" "4 0 37 53" "1 1 37 53" "2 1 37 53" "3 1 37 53" \
               "4 1 37 53" "6 1 41 29" "9 1 41 31"; do
        set -- $run
        for threads in 1 2; do
            if ! OMP_NUM_THREADS=$threads $mpirun -np $1 "$build/check$k" --quiet \
                    --param DECOMPOSE=$2 --param ROWS=$3 --param COLS=$4 | grep -E '^(OK|MISMATCH)'; then
                echo "FAILED: stencil $k ranks $1 decompose $2 ${3}x$4 threads $threads"
                failures=$((failures + 1))
            fi
        done
    done
done
# Neumann and periodic sides on blocks of a process grid (stmpi_blocks_copy_side) against
# st_copy_side_nd, at 1..4 ranks and at 6 and 8.
mpicc -std=c11 -O2 -Wall -Wextra -Werror -I"$root/runtime" "$root/runtime/tests/mpi_sides_check.c" \
    "$root/runtime/stencil_mpi.c" "$root/runtime/stencil_runtime.c" "$root/runtime/stencil_sweeps.c" -lm -o "$build/sides"
for ranks in 1 2 3 4 6 8; do
    $mpirun -np $ranks "$build/sides" | grep -q ' 0 failed$' \
        || { echo "FAILED: sides at $ranks ranks"; failures=$((failures + 1)); }
done
# Too many ranks: one clear message, exit status 1.
if message=$($mpirun -np 8 "$build/check2" --param ROWS=10 2>&1); then
    echo "FAILED: 10 rows over 8 ranks ran"; failures=$((failures + 1))
else
    echo "$message" | grep -q 'cannot split 10 rows over 8 ranks: each block needs at least 2 rows for halo 2' \
        || { echo "FAILED: wrong message: $message"; failures=$((failures + 1)); }
fi
echo "failures: $failures"
[ "$failures" = 0 ]
