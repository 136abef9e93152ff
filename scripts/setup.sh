#!/usr/bin/env bash
# scripts/setup.sh: the OS packages stencilc uses: a C compiler with OpenMP (gcc; clang-14 with
# libomp as the supported clang), Open MPI, the OpenCL ICD loader with PoCL's CPU device, and
# NumPy for reading .npy files in examples, python3-venv for bench/peers/run.sh and (with
# python3-pytest, python3-pip) the Python package's tests, and rsvg-convert
# (librsvg2-bin) for `stencilc bench --plot F.png`; on amd64 hosts, the aarch64 cross compiler
# with its OpenMP runtime and qemu-user, for the tests that run the emitted C built for aarch64
# (Tests/StencilDriverTests/PortabilityTests.swift). Skips apt when everything is already there.
set -euo pipefail
packages=(gcc libc6-dev libopenmpi-dev openmpi-bin ocl-icd-opencl-dev libomp-dev pocl-opencl-icd
          clang-14 libomp-14-dev clinfo python3-numpy python3-venv python3-pytest python3-pip python3-wheel librsvg2-bin diffutils)
if [ "$(dpkg --print-architecture)" = amd64 ]; then
    packages+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross libgomp1-arm64-cross qemu-user)
fi
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
