#!/bin/sh
# opencl_check.sh: builds the hand-written OpenCL Jacobi (opencl_jacobi_check.c) and the device
# lister against runtime/, and runs them on the default OpenCL device (PoCL in CI): bitwise
# agreement with serial C for float32 and float64, both norms, work-groups that do not divide
# the grid, and the error paths (bad device index, no match, oversized work-group, no platform,
# a kernel that does not build). Usage: runtime/tests/opencl_check.sh [BUILD_DIR]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
runtime=$(dirname "$here")
build=${1:-${TMPDIR:-/tmp}/stencilc-opencl-check}
mkdir -p "$build"
cc=${STENCILC_CC:-cc}
flags="-std=c11 -O2 -ffp-contract=off -Wall -Wextra -Werror -I$runtime"
sources="$runtime/stencil_opencl.c $runtime/stencil_runtime.c"
$cc $flags -o "$build/devices" "$runtime/stencil_devices.c" $sources -lOpenCL -lm
$cc $flags -o "$build/check32" "$here/opencl_jacobi_check.c" $sources -lOpenCL -lm
$cc $flags -DCHECK_F64 -o "$build/check64" "$here/opencl_jacobi_check.c" $sources -lOpenCL -lm

failures=0
pass() { echo "ok    $1"; }
fail() { echo "FAIL  $1"; failures=$((failures + 1)); }

"$build/devices" >/dev/null && pass "devices lists at least one device" || fail "devices"

# Agreement with serial C: grids bitwise equal, iteration counts and maxdiff residuals equal.
for args in "--param N=130" \
            "--param N=131 --param COLS=77 --param WG_ROWS=3 --param WG_COLS=5" \
            "--param N=120 --param L2=1 --param EVERY=100 --param WG_ROWS=16 --param WG_COLS=16" \
            "--param N=64 --param EVERY=1 --param WG_ROWS=1 --param WG_COLS=1 --param MAX=3000" \
            "--param N=90 --param EVERY=7 --param L2=1 --param WG_ROWS=7 --param WG_COLS=9" \
            "--param N=300 --param STEPS=80" \
            "--param N=3 --param STEPS=10" \
            "--param N=150 --param WEIGHTED=1 --param STEPS=300"; do
    for check in check32 check64; do
        if "$build/$check" $args >"$build/out.txt" 2>&1; then pass "$check $args"
        else fail "$check $args"; cat "$build/out.txt"; fi
    done
done

# Leaving FP_CONTRACT ON lets the OpenCL compiler fuse a*b + c: results differ from serial C.
if "$build/check32" --param N=150 --param WEIGHTED=1 --param STEPS=300 --param CONTRACT=1 >/dev/null 2>&1
then echo "note  FP_CONTRACT ON matches serial C on this device (no fma contraction here)"
else pass "FP_CONTRACT ON changes results (the pragma OFF is needed)"; fi

# expect_error NAME PATTERN COMMAND...: the command fails with status 1 and stderr matches.
expect_error() {
    name=$1; pattern=$2; shift 2
    status=0
    "$@" >"$build/out.txt" 2>"$build/err.txt" || status=$?
    if [ "$status" -eq 1 ] && grep -q -- "$pattern" "$build/err.txt"; then pass "$name"
    else fail "$name (status $status)"; cat "$build/err.txt"; fi
}
expect_error "bad device index" "no OpenCL device 99: there" "$build/check32" --device 99
expect_error "bad platform" "no OpenCL platform 7" "$build/check32" --device 7:0
expect_error "no device matches" "no OpenCL device matches 'no-such-device'" "$build/check32" --device no-such-device
expect_error "bad STENCILC_DEVICE" "from STENCILC_DEVICE" env STENCILC_DEVICE=42 "$build/check32"
expect_error "work-group too large" "CL_DEVICE_MAX_WORK_GROUP_SIZE" "$build/check32" --param WG_ROWS=4096 --param WG_COLS=4096
expect_error "kernel build failure" "CL_BUILD_PROGRAM_FAILURE" env STENCILC_CL_OPTIONS=-Drestrict=@ "$build/check32" --param N=10
grep -q "build log:" "$build/err.txt" && pass "build failure prints the build log" || fail "build log"
mkdir -p "$build/no-vendors"
expect_error "no platform" "no OpenCL platform found" env OCL_ICD_VENDORS="$build/no-vendors" "$build/check32"
expect_error "devices: no platform" "no OpenCL platform found" env OCL_ICD_VENDORS="$build/no-vendors" "$build/devices"

if [ "$failures" -ne 0 ]; then echo "$failures failure(s)"; exit 1; fi
echo "all OpenCL runtime checks passed"
