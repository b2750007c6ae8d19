#!/bin/sh
# Line and branch coverage of the library (core/) by the unit and end-to-end
# tests, measured with gcov and lcov:
#   1. configure a Debug build with --coverage in BUILD_DIR (default
#      build-cov), the end-to-end tests driving that tree's bin/casevault (and
#      so its instrumented libcasevault.so);
#   2. build, clear the old counters, run ctest without the `web`, `bench`
#      and `fault` labels: the browser tests and the load benchmark measure
#      nothing of the library the other tests do not, and the fault-injection
#      countdown (an LD_PRELOAD shim failing malloc, write, fsync) fails
#      gcov's own writing of the counters at exit too: libgcov crashes when
#      malloc fails and a failed write leaves a corrupt .gcda. Sanitizer and
#      TSan runs are other builds (CV_SANITIZE, CV_TSAN), never this one;
#   3. capture with lcov (branches on), keep core/ only, add the files no test
#      reached (a zero baseline from the .gcno files), print lines and
#      branches per layer folder and overall, write the HTML report into
#      BUILD_DIR/coverage, and name the files with the most lines missed;
#   4. exit 1 if a test failed or the overall line coverage is below
#      CV_COVERAGE_MIN (default 85).
#   scripts/coverage.sh [BUILD_DIR]
# Needs lcov (Debian package `lcov`: lcov, genhtml; gcov comes with gcc).
set -eu
cd "$(dirname "$0")/.."
src=$PWD
build=${1:-build-cov}
case $build in /*) ;; *) build=$src/$build ;; esac
min=${CV_COVERAGE_MIN:-85}
jobs=$(nproc)
t0=$(date +%s)
section() { printf '\n==== %s (%ss)\n' "$*" $(( $(date +%s) - t0 )) >&2; }

for tool in lcov genhtml gcov; do
	command -v $tool >/dev/null 2>&1 || { echo "coverage.sh: $tool not found (Debian: apt-get install lcov)" >&2; exit 2; }
done
rc_branch="--rc lcov_branch_coverage=1"

section "configure and build (Debug, --coverage) in $build"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug \
	-DCMAKE_C_FLAGS="--coverage" \
	-DCMAKE_EXE_LINKER_FLAGS="--coverage" -DCMAKE_SHARED_LINKER_FLAGS="--coverage" \
	-DCMAKE_MODULE_LINKER_FLAGS="--coverage" \
	-DCV_SANITIZE=OFF -DCV_TSAN=OFF -DCV_FUZZ=OFF \
	-DCV_E2E_BIN="$build/bin/casevault" >/dev/null
cmake --build "$build" -j"$jobs"

section "tests (ctest without the web, bench and fault labels)"
# Counters from an earlier run would be added to this one's.
find "$build" -name '*.gcda' -delete
rm -rf "$build/coverage" "$build"/coverage-*.info
# The binary and library under test are the build tree's (RUNPATH), nothing
# from the environment.
unset LD_LIBRARY_PATH LD_PRELOAD CV_BIN 2>/dev/null || true
tests_rc=0
ctest --test-dir "$build" --output-on-failure -j"$jobs" -LE '^(web|bench|fault)$' || tests_rc=$?

section "capture (lcov, core/ only)"
# gcov writes each .gcda at process exit under a lock and adds to what is
# there, so tests running at the same time (ctest -j, the threads of one
# process) are all counted.
lcov_run() { # lcov quietly: its own errors shown and fatal, Debian's Perl noise dropped
	if ! lcov -q $rc_branch "$@" 2>"$build/coverage-lcov.err"; then
		cat "$build/coverage-lcov.err" >&2
		exit 2
	fi
	grep -v -e ' redefined at ' -e '^Using ' "$build/coverage-lcov.err" >&2 || true
}
# Only the library's objects (core/: the shared and the static library are
# made of the same objects, so the unit tests and the command count alike).
lcov_run --capture --initial --directory "$build/core" --base-directory "$src" --output-file "$build/coverage-base.info"
lcov_run --capture --directory "$build/core" --base-directory "$src" --output-file "$build/coverage-run.info"
lcov_run --add-tracefile "$build/coverage-base.info" --add-tracefile "$build/coverage-run.info" \
	--output-file "$build/coverage-all.info"
lcov_run --extract "$build/coverage-all.info" "$src/core/*" --output-file "$build/coverage-core.info"
genhtml -q $rc_branch --legend --title "libcasevault (core/)" --prefix "$src" \
	--output-directory "$build/coverage" "$build/coverage-core.info" >/dev/null

section "coverage of core/ (lines, branches)"
# Per layer folder from the tracefile's per-file totals (LF/LH, BRF/BRH);
# plain POSIX awk (Debian's default is mawk).
awk -v root="$src/core/" '
	/^SF:/ { f = substr($0, 4); if (index(f, root) == 1) f = substr(f, length(root) + 1)
		n = split(f, p, "/"); layer = (n > 1 ? p[1] : "."); seen[layer] = 1 }
	/^LF:/ { lf[layer] += substr($0, 4) }
	/^LH:/ { lh[layer] += substr($0, 4) }
	/^BRF:/ { bf[layer] += substr($0, 5) }
	/^BRH:/ { bh[layer] += substr($0, 5) }
	END { for (l in seen) print l, lh[l] + 0, lf[l] + 0, bh[l] + 0, bf[l] + 0 }' "$build/coverage-core.info" |
sort | awk '
	function pct(h, t) { return t ? sprintf("%5.1f %%", 100 * h / t) : "    - " }
	BEGIN { printf "%-14s %17s %8s   %17s %8s\n", "folder", "lines hit/all", "lines", "branches hit/all", "branches" }
	{ printf "core/%-9s %8d/%-8d %8s   %8d/%-8d %8s\n", $1, $2, $3, pct($2, $3), $4, $5, pct($4, $5)
	  lh += $2; lf += $3; bh += $4; bf += $5 }
	END { printf "%-14s %8d/%-8d %8s   %8d/%-8d %8s\n", "overall", lh, lf, pct(lh, lf), bh, bf, pct(bh, bf)
	      printf "%.2f\n", lf ? 100 * lh / lf : 0 > "/dev/stderr" }' 2>"$build/coverage-lines.txt"
lines=$(cat "$build/coverage-lines.txt")
echo
echo "the files with the most lines no test runs (lines missed/all):"
awk -v root="$src/" '
	/^SF:/ { f = substr($0, 4); if (index(f, root) == 1) f = substr(f, length(root) + 1) }
	/^LF:/ { lf = substr($0, 4) + 0 }
	/^LH:/ { lh = substr($0, 4) + 0; if (lf > lh) printf "%6d/%-6d %s\n", lf - lh, lf, f }' "$build/coverage-core.info" |
	sort -rn | head -n "${CV_COVERAGE_TOP:-12}"
echo "HTML report: $build/coverage/index.html" >&2
section "done"

if [ "$tests_rc" -ne 0 ]; then
	echo "coverage.sh: some tests failed (ctest exit $tests_rc); the figures above count what ran" >&2
	exit 1
fi
if awk -v l="$lines" -v m="$min" 'BEGIN { exit !(l + 0 < m + 0) }'; then
	echo "coverage.sh: line coverage $lines % is below CV_COVERAGE_MIN=$min %" >&2
	exit 1
fi
echo "coverage.sh: line coverage $lines % (minimum $min %)" >&2
