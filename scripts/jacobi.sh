#!/usr/bin/env bash
# scripts/jacobi.sh: the main job. Sets up a fresh machine (OS packages, build), then solves the
# paper's problem (stencils/jacobi.st: 1024 x 1024 float32 Laplace, Jacobi iteration until
# maxdiff < 1e-4, checked every 1000 sweeps) with the openmp target and prints the summary.
# Extra arguments go to `stencilc run` (e.g. --param N=512 --target serial --json).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build
.build/debug/stencilc run stencils/jacobi.st --output jacobi.npy --image jacobi.png "$@"
echo "final field: jacobi.npy (numpy.load('jacobi.npy')), picture: jacobi.png"
