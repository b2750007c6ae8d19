#!/bin/sh
# Configure, build and install casevault into build/stage (or $1).
#   scripts/build.sh [PREFIX]
set -eu
cd "$(dirname "$0")/.."
prefix=${1:-$PWD/build/stage}
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX="$prefix" \
	-DCV_E2E_BIN="$prefix/bin/casevault" >/dev/null
cmake --build build -j"$(nproc)"
cmake --install build >/dev/null
echo "installed into $prefix" >&2
