#!/usr/bin/env bash
# bench/compare_handwritten3d.sh: stencilc's openmp heat3d (stencils/heat3d.st) against the
# hand-written 3-D baseline (bench/handwritten_jacobi3d.c: a `parallel for collapse(2)` over
# planes and rows per sweep), both at the same -march, measured in one run: the two alternate,
# each repeated, and the medians are compared. Also checks that both give the same field.
#
#   bench/compare_handwritten3d.sh [N] [SWEEPS] [THREADS] [REPEATS] [MARCH]   (default 128 100 2 7 native)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-128}; sweeps=${2:-100}; threads=${3:-2}; repeats=${4:-7}; march=${5:-native}
if [ -z "${STENCILC:-}" ]; then swift build >&2; fi
stencilc=${STENCILC:-.build/debug/stencilc}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
gcc -O3 -march="$march" -ffp-contract=off -fopenmp bench/handwritten_jacobi3d.c -o "$work/handwritten"
flags=(--num-threads "$threads" --cflags "-march=$march")
# The same bits as the hand-written C (same arithmetic order), checked once at this size.
OMP_NUM_THREADS=$threads "$work/handwritten" "$n" 3 "$work/theirs.npy" >/dev/null
"$stencilc" run stencils/heat3d.st "${flags[@]}" --param N="$n" --param steps_count=3 --output "$work/ours.npy" --quiet >/dev/null
cmp -s "$work/ours.npy" "$work/theirs.npy" || { echo "fields differ after 3 sweeps" >&2; exit 1; }

mlups() { python3 -c 'import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])["mlups"])'; }
ours=(); theirs=()
for r in $(seq "$repeats"); do
    theirs+=("$(OMP_NUM_THREADS=$threads "$work/handwritten" "$n" "$sweeps" | mlups)")
    ours+=("$("$stencilc" run stencils/heat3d.st "${flags[@]}" --param N="$n" --param steps_count="$sweeps" --json --quiet | mlups)")
done
python3 - "$n" "$sweeps" "$threads" "$march" "${#ours[@]}" "${ours[@]}" "${theirs[@]}" <<'PY'
import statistics, sys
n, sweeps, threads, march, k = sys.argv[1:6]
k = int(k)
ours = [float(x) for x in sys.argv[6:6 + k]]
theirs = [float(x) for x in sys.argv[6 + k:]]
a, b = statistics.median(ours), statistics.median(theirs)
print(f"N={n}, {sweeps} sweeps, {threads} threads, -march={march}, median of {k} alternating pairs")
print(f"  stencilc openmp     {a:9.1f} MLUP/s   (runs: {', '.join(f'{x:.0f}' for x in ours)})")
print(f"  hand-written C      {b:9.1f} MLUP/s   (runs: {', '.join(f'{x:.0f}' for x in theirs)})")
print(f"  ratio stencilc / hand-written = {a / b:.3f}")
PY
