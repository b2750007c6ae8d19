#!/bin/sh
# The full fault-injection countdown (docs/testing.md, "Fault injection"):
# every write, fsync and rename point of every command, transient and
# persistent, then mallocs every STRIDE-th call (default 250).
#
#   tests/fault/full.sh BUILD_DIR [STRIDE]
#
# BUILD_DIR is a non-sanitizer build with the cvfault target built
# (cmake --build BUILD_DIR --target cvfault casevault_cli). About 25 min
# for the I/O ops and 20 min for malloc on 2 cores; the two runs are
# independent and may go in parallel. Exits 1 if either found a failure.
set -u
build=${1:?usage: tests/fault/full.sh BUILD_DIR [MALLOC_STRIDE]}
stride=${2:-250}
here=$(cd "$(dirname "$0")" && pwd)
bin=${CV_BIN:-$build/bin/casevault}
shim=$build/tests/libcvfault.so
rc=0
python3 "$here/fault_test.py" --bin "$bin" --shim "$shim" --ops write,fsync,rename || rc=1
python3 "$here/fault_test.py" --bin "$bin" --shim "$shim" --ops malloc --malloc-stride "$stride" || rc=1
exit $rc
