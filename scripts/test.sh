#!/usr/bin/env bash
# scripts/test.sh: installs what the tests need on a fresh Debian 12 machine (with the Swift
# toolchain), builds, and runs the whole test suite. This is README's test command and CI's.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build
swift test "$@"
# The Python package (python/): installed into a private venv (NumPy and pytest from Debian, no
# network), its pytest suite run against this build's stencilc. pytest's exit 5 (no tests
# collected) fails too, like any non-zero status.
# Debian's python3 (its NumPy, pytest and wheel come from setup.sh), else the python3 on PATH.
PYTHON=/usr/bin/python3; [ -x "$PYTHON" ] || PYTHON=python3
"$PYTHON" -m venv --system-site-packages .venv-test
.venv-test/bin/python -m pip install -q --no-build-isolation --no-deps ./python
STENCILC="$PWD/.build/debug/stencilc" .venv-test/bin/python -m pytest python/tests -q
