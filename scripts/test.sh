#!/usr/bin/env bash
# scripts/test.sh: installs what the tests need on a fresh Debian 12 machine (with the Swift
# toolchain), builds, and runs the whole test suite. This is README's test command and CI's.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build
swift test "$@"
