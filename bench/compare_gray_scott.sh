#!/usr/bin/env bash
# bench/compare_gray_scott.sh: stencilc's openmp Gray-Scott (stencils/gray_scott.st, a system of
# two updates) against the hand-written C+OpenMP of the same two updates
# (bench/handwritten_gray_scott.c), at each -march level, in one run. Both sides are built with
# the same flags: the build commands in the emitted file's head comment (-std=c11 -O3
# -ffp-contract=off -fno-math-errno -falign-loops=64 -fopenmp) with -march=native replaced by the level; the
# hand-written file with those flags too, twice: as written (a plain column loop, which GCC does
# not vectorise) and with -DCOLUMN_SIMD (`omp simd` on the column loop, as stencilc emits). Per
# level: first a check that all three give the same u field bit for bit (N=67, 300 sweeps), then
# REPEATS alternating triples (stencilc, hand-written, hand-written simd) at N x N, SWEEPS sweeps,
# OMP_NUM_THREADS=THREADS; medians, ratio = median(stencilc MLUP/s) / median(hand-written MLUP/s).
# The machine may be shared and noisy: read the ratio, not the MLUP/s. Not part of the tests.
#
#   bench/compare_gray_scott.sh [LEVELS] [N] [SWEEPS] [THREADS] [REPEATS]
#                               (default native,x86-64-v2 1024 300 2 7)
set -euo pipefail
cd "$(dirname "$0")/.."
levels=${1:-native,x86-64-v2}; n=${2:-1024}; sweeps=${3:-300}; threads=${4:-2}; repeats=${5:-7}
# $STENCILC, else this checkout built now (incrementally): an older build would emit older code.
if [ -z "${STENCILC:-}" ]; then swift build >&2; fi
stencilc=${STENCILC:-.build/debug/stencilc}
runtime=$("$stencilc" runtime-dir)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
"$stencilc" emit stencils/gray_scott.st --target openmp -o "$work/gray_scott.c"

# The head comment's build commands at -march=LEVEL, run in DIR (bench/head_build.py).
build_stencilc() {
    python3 bench/head_build.py "$work/gray_scott.c" "$1" "$runtime" | (cd "$2" && bash -e)
}

mlups() { python3 -c 'import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])["mlups"])'; }
IFS=, read -ra level_list <<<"$levels"
for level in "${level_list[@]}"; do
    dir="$work/$level"; mkdir -p "$dir"
    build_stencilc "$level" "$dir"
    flags=(-std=c11 -O3 -march="$level" -ffp-contract=off -fno-math-errno -falign-loops=64 -fopenmp)
    gcc "${flags[@]}" bench/handwritten_gray_scott.c -lm -o "$dir/handwritten"
    gcc "${flags[@]}" -DCOLUMN_SIMD bench/handwritten_gray_scott.c -lm -o "$dir/handwritten_simd"
    OMP_NUM_THREADS=$threads "$dir/gray_scott" --param N=67 --param T=300 --output u="$dir/st_u.npy" --quiet >/dev/null
    for hw in handwritten handwritten_simd; do
        OMP_NUM_THREADS=$threads "$dir/$hw" 67 300 "$dir/${hw}_u.npy" >/dev/null
        cmp -s "$dir/${hw}_u.npy" "$dir/st_u.npy" || { echo "-march=$level: $hw's u field differs from stencilc's" >&2; exit 1; }
    done
    ours=(); plain=(); simd=()
    for r in $(seq "$repeats"); do
        ours+=("$(OMP_NUM_THREADS=$threads "$dir/gray_scott" --param N="$n" --param T="$sweeps" --json --quiet | mlups)")
        plain+=("$(OMP_NUM_THREADS=$threads "$dir/handwritten" "$n" "$sweeps" | mlups)")
        simd+=("$(OMP_NUM_THREADS=$threads "$dir/handwritten_simd" "$n" "$sweeps" | mlups)")
    done
    python3 - "$level" "$n" "$sweeps" "$threads" "$repeats" "${ours[@]}" "${plain[@]}" "${simd[@]}" <<'PY'
import statistics, sys
level, n, sweeps, threads, k = sys.argv[1:6]
k = int(k)
values = [float(x) for x in sys.argv[6:]]
ours, plain, simd = values[:k], values[k:2 * k], values[2 * k:]
print(f"-march={level}: N={n} float32, {sweeps} sweeps, {threads} threads, {k} alternating runs each; u fields equal bit for bit")
a = statistics.median(ours)
print(f"  stencilc openmp              median {a:9.1f} MLUP/s   (runs: {', '.join(f'{x:.0f}' for x in ours)})")
for name, runs in (("hand-written C", plain), ("hand-written C, omp simd", simd)):
    b = statistics.median(runs)
    pairs = statistics.median([x / y for x, y in zip(ours, runs)])
    print(f"  {name:28} median {b:9.1f} MLUP/s   (runs: {', '.join(f'{x:.0f}' for x in runs)})")
    print(f"    ratio stencilc / {name} = {a / b:.3f} (median of the pairs' ratios {pairs:.3f})")
PY
done
