#!/usr/bin/env bash
# bench/compare_opencl.sh: stencilc's opencl Jacobi against its openmp (and serial) Jacobi on
# the same machine, measured in one run: the targets alternate, each repeated, and the medians
# are compared. Then one opencl run with STENCILC_CL_PROFILE=1 shows where the device time goes.
# SWEEPS defaults to 1000 = jacobi.st's `every`, so each run includes one convergence check.
#
#   bench/compare_opencl.sh [N] [SWEEPS] [THREADS] [REPEATS] [DEVICE]   (default 2048 1000 2 5)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-2048}; sweeps=${2:-1000}; threads=${3:-2}; repeats=${4:-5}; device=${5:-${STENCILC_DEVICE:-}}
# $STENCILC, else this checkout built now (incrementally): an older build would emit older code.
if [ -z "${STENCILC:-}" ]; then swift build >&2; fi
stencilc=${STENCILC:-.build/debug/stencilc}
device_flag=(); [ -n "$device" ] && device_flag=(--device "$device")
# Build once (cached) and warm the OpenCL compiler's cache, so the timed runs below only run.
for target in serial openmp; do "$stencilc" run stencils/jacobi.st --target $target --param N=64 --max-iterations 1 --quiet >/dev/null; done
"$stencilc" run stencils/jacobi.st --target opencl "${device_flag[@]}" --param N=64 --max-iterations 1 --quiet >/dev/null

field() { python3 -c 'import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])[sys.argv[1]])' "$1"; }
run() { "$stencilc" run stencils/jacobi.st --param N="$n" --max-iterations "$sweeps" --json --quiet "$@"; }
openmp=(); opencl=(); serial=()
for r in $(seq "$repeats"); do
    openmp+=("$(run --target openmp --num-threads "$threads" | field mlups)")
    summary=$(run --target opencl "${device_flag[@]}")
    opencl+=("$(echo "$summary" | field mlups)")
    serial+=("$(run --target serial | field mlups)")
done
device_name=$(echo "$summary" | field device)
workgroup=$(echo "$summary" | field schedule)
python3 - "$n" "$sweeps" "$threads" "$device_name" "$workgroup" "${#openmp[@]}" "${openmp[@]}" "${opencl[@]}" "${serial[@]}" <<'PY'
import statistics, sys
n, sweeps, threads, device, workgroup, k = sys.argv[1:7]
k = int(k)
runs = [float(x) for x in sys.argv[7:]]
openmp, opencl, serial = runs[:k], runs[k:2 * k], runs[2 * k:]
print(f"jacobi N={n}, {sweeps} sweeps (one check), median of {k} alternating runs")
for name, xs in (("openmp", openmp), ("opencl", opencl), ("serial", serial)):
    detail = {"openmp": f"{threads} threads", "opencl": f"{device}, {workgroup}", "serial": "1 thread"}[name]
    print(f"  {name:7} {statistics.median(xs):9.1f} MLUP/s  best {max(xs):7.1f}   ({detail}; runs: {', '.join(f'{x:.0f}' for x in xs)})")
print(f"  ratio opencl / openmp = {statistics.median(opencl) / statistics.median(openmp):.3f}")
PY
echo "where the opencl time goes (STENCILC_CL_PROFILE=1: each command waited for, so slower overall):"
STENCILC_CL_PROFILE=1 run --target opencl "${device_flag[@]}" 2>&1 >/dev/null | sed 's/^/  /'
