#!/usr/bin/env bash
# bench/compare_handwritten.sh: stencilc's openmp Jacobi against the hand-written baseline
# (bench/handwritten_jacobi.c, gcc -O3 -march=native -fopenmp, a static parallel row loop per
# sweep), measured in one run: the two alternate, each repeated, and the medians are compared.
#
#   bench/compare_handwritten.sh [N] [SWEEPS] [THREADS] [REPEATS]     (default 4096 100 2 5)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-4096}; sweeps=${2:-100}; threads=${3:-2}; repeats=${4:-5}
# $STENCILC, else this checkout built now (incrementally): an older build would emit older code.
if [ -z "${STENCILC:-}" ]; then swift build >&2; fi
stencilc=${STENCILC:-.build/debug/stencilc}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
gcc -O3 -march=native -fopenmp bench/handwritten_jacobi.c -o "$work/handwritten"
# Build once (cached), so the timed runs below only run.
"$stencilc" run stencils/jacobi.st --param N=64 --max-iterations 1 --quiet >/dev/null

mlups() { python3 -c 'import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])["mlups"])'; }
ours=(); theirs=()
for r in $(seq "$repeats"); do
    theirs+=("$(OMP_NUM_THREADS=$threads "$work/handwritten" "$n" "$sweeps" | mlups)")
    ours+=("$("$stencilc" run stencils/jacobi.st --param N="$n" --num-threads "$threads" --max-iterations "$sweeps" --json --quiet | mlups)")
done
python3 - "$n" "$sweeps" "$threads" "${#ours[@]}" "${ours[@]}" "${theirs[@]}" <<'PY'
import statistics, sys
n, sweeps, threads, k = sys.argv[1:5]
k = int(k)
ours = [float(x) for x in sys.argv[5:5 + k]]
theirs = [float(x) for x in sys.argv[5 + k:]]
a, b = statistics.median(ours), statistics.median(theirs)
print(f"N={n}, {sweeps} sweeps, {threads} threads, median of {k} alternating runs")
print(f"  stencilc openmp     {a:9.1f} MLUP/s   (runs: {', '.join(f'{x:.0f}' for x in ours)})")
print(f"  hand-written C      {b:9.1f} MLUP/s   (runs: {', '.join(f'{x:.0f}' for x in theirs)})")
print(f"  ratio stencilc / hand-written = {a / b:.3f}")
PY
