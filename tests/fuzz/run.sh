#!/bin/sh
# Build casevault's libFuzzer targets with clang (ASan + UBSan, the whole
# library instrumented for coverage) and run each for a while.
#
#   tests/fuzz/run.sh [BUILD_DIR] [SECONDS] [TARGET...]
#
# BUILD_DIR defaults to build-fuzz in the source tree (use a directory of
# its own: the compiler is clang); SECONDS defaults to 30 per target;
# TARGETs default to every tests/fuzz/fuzz_*.c. Seeds come from
# tests/fuzz/corpus/<name>/ and are copied to BUILD_DIR/fuzz-corpus/<name>/,
# where new inputs accumulate (the committed seeds are never modified).
# Crash reproducers land in BUILD_DIR/fuzz-artifacts/. Exit status: 0 when
# every target ran without a crash, leak or timeout; 1 otherwise.
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$SRC/build-fuzz}
SECS=${2:-30}
[ $# -ge 2 ] && shift 2 || shift $#
TARGETS=${*:-$(cd "$SRC/tests/fuzz" && ls fuzz_*.c | sed 's/\.c$//')}
CLANG=${CLANG:-clang}

command -v "$CLANG" >/dev/null || { echo "run.sh: $CLANG not found (apt-get install clang)" >&2; exit 1; }
if [ -f "$BUILD/CMakeCache.txt" ] && ! grep -q "^CMAKE_C_COMPILER:.*clang" "$BUILD/CMakeCache.txt"; then
	echo "run.sh: $BUILD was configured with another compiler; give a fresh directory" >&2
	exit 1
fi
SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -g"
CC="$CLANG" cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCV_FUZZ=ON -DCV_TESTS=ON \
	-DCV_WERROR=OFF -DCMAKE_C_FLAGS="$SAN" >"$BUILD.configure.log" 2>&1 ||
	{ cat "$BUILD.configure.log" >&2; echo "run.sh: configure failed" >&2; exit 1; }
# shellcheck disable=SC2086
cmake --build "$BUILD" -j"$(nproc)" --target $TARGETS >"$BUILD.build.log" 2>&1 ||
	{ tail -40 "$BUILD.build.log" >&2; echo "run.sh: build failed" >&2; exit 1; }

mkdir -p "$BUILD/fuzz-artifacts"
status=0
for t in $TARGETS; do
	bin=$(find "$BUILD" -type f -name "$t" -perm -u+x | head -1)
	[ -n "$bin" ] || { echo "run.sh: $t was not built" >&2; status=1; continue; }
	name=${t#fuzz_}
	work="$BUILD/fuzz-corpus/$name"
	mkdir -p "$work"
	[ -d "$SRC/tests/fuzz/corpus/$name" ] && cp -n "$SRC/tests/fuzz/corpus/$name"/* "$work"/ 2>/dev/null
	log="$BUILD/fuzz-$name.log"
	echo "== $t: ${SECS}s, corpus $work"
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	"$bin" -max_total_time="$SECS" -timeout=25 -rss_limit_mb=4096 -print_final_stats=1 \
		-artifact_prefix="$BUILD/fuzz-artifacts/$name-" "$work" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
	echo "   executions: ${execs:-?} (${speed:-?}/s), ${cov:-cov: ?}, corpus $(ls "$work" | wc -l) files, exit $rc"
	if [ $rc -ne 0 ]; then
		status=1
		echo "   CRASH: see $log" >&2
		grep -E "^(==[0-9]+==ERROR|SUMMARY|harness check|.*runtime error)" "$log" | head -5 >&2
		ls "$BUILD/fuzz-artifacts/$name-"* 2>/dev/null | head -5 >&2
	fi
done
exit $status
