#!/usr/bin/env bash
# bench/peers/run.sh: issue 5's peer comparison, side by side in one run: float32 Jacobi (the
# paper's problem) with stencilc's openmp target, the hand-written C baseline, Cython prange,
# pystencils, Devito, Halide and NumPy, at THREADS threads, a fixed number of sweeps per size,
# medians of interleaved repetitions, and each peer's ratio to stencilc. Not part of the tests.
#
#   bench/peers/run.sh                                   # N = 256,1024,4096,8192, 2 threads
#   bench/peers/run.sh --sizes 256,1024 --repeats 3 --sweeps 500 --peers stencilc,cython,numpy
#   bench/peers/run.sh --check                           # each peer's field against NumPy's
#
# The peers come from PyPI into a private virtual environment, .venv-bench (git-ignored; set
# STENCILC_BENCH_VENV to use another). A package that cannot be installed is reported and its
# peer skipped. Options are bench/peers/peers.py's (--help).
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=${STENCILC_BENCH_VENV:-.venv-bench}
if [ ! -x "$venv/bin/python" ]; then
    echo "peers: creating the virtual environment $venv" >&2
    python3 -m venv "$venv"
fi
python="$venv/bin/python"

# package -> the peer that needs it (numpy is needed by every in-process peer).
declare -A peer_of=([numpy]=numpy [cython]=cython [pystencils]=pystencils [devito]=devito [halide]=halide)
skip=()
"$python" -m pip install -q --upgrade pip setuptools wheel >/dev/null 2>&1 || true
for package in numpy cython pystencils devito halide; do
    if "$python" -m pip show -q "$package" >/dev/null 2>&1; then continue; fi
    echo "peers: installing $package from PyPI" >&2
    if ! "$python" -m pip install -q "$package" >&2; then
        echo "peers: $package could not be installed from PyPI for $("$python" -V) on $(uname -m); the ${peer_of[$package]} peer is skipped" >&2
        skip+=("${peer_of[$package]}")
    fi
done
if [[ " ${skip[*]} " == *" numpy "* ]]; then skip+=(cython pystencils devito halide); fi

# stencilc itself: $STENCILC, else this checkout, built now (incrementally) so that the code it
# emits is this checkout's, not an older build's. Its own speed does not matter, the emitted code's does.
stencilc=${STENCILC:-}
if [ -z "$stencilc" ]; then
    echo "peers: building stencilc (swift build)" >&2
    swift build >&2
    stencilc=.build/debug/stencilc
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -O3 -march=native -fopenmp bench/handwritten_jacobi.c -o "$work/handwritten_jacobi"
# Build stencilc's program once (cached), so the timed runs only run.
"$stencilc" run stencils/jacobi.st --param N=64 --max-iterations 1 --quiet >/dev/null

peers=stencilc,handwritten,cython,pystencils,devito,halide,numpy
args=("$@")
for ((k = 0; k < ${#args[@]}; ++k)); do
    if [ "${args[k]}" = "--peers" ] && [ $((k + 1)) -lt ${#args[@]} ]; then peers=${args[k + 1]}; fi
done
kept=()
IFS=, read -ra wanted <<< "$peers"
for p in "${wanted[@]}"; do
    [[ " ${skip[*]} " == *" $p "* ]] || kept+=("$p")
done
"$python" bench/peers/peers.py --stencilc "$stencilc" --handwritten "$work/handwritten_jacobi" \
    "$@" --peers "$(IFS=,; echo "${kept[*]}")"
