#!/usr/bin/env bash
# scripts/install.sh [PREFIX]: installs stencilc to PREFIX/bin and its C runtime to
# PREFIX/share/stencilc/runtime, where the installed stencilc finds it (default PREFIX=/usr/local).
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:-/usr/local}
swift build -c release
install -d "$prefix/bin" "$prefix/share/stencilc/runtime"
install -m 755 .build/release/stencilc "$prefix/bin/stencilc"
install -m 644 runtime/*.c runtime/*.h "$prefix/share/stencilc/runtime/"
echo "installed $prefix/bin/stencilc (runtime: $prefix/share/stencilc/runtime)"
