#!/bin/sh
# The whole test suite, as CI runs it:
#   1. build and install into build/stage; unit tests, end-to-end tests
#      against the installed binary, the contract smoke test;
#   2. the same suite on a Release build installed with `cmake --install` into
#      a fresh prefix, the way packagers and administrators install it;
#   3. the same suite built with AddressSanitizer (use-after-scope,
#      stack-use-after-return) + UndefinedBehaviorSanitizer;
#   4. the unit tests of the threaded code (ingest pipeline, pack writers,
#      the case walk of verify) and the web service's tests (its request
#      threads, sessions, handle pools, jobs), built with ThreadSanitizer;
#   5. line and branch coverage of the library (scripts/coverage.sh, at least
#      CV_COVERAGE_MIN = 85 % of lines);
#   6. each libFuzzer target briefly (FUZZ_SECONDS, default 20);
#   7. the crash test (CRASH_KILLS, default 50 SIGKILLs).
#   scripts/test.sh [--quick]   (--quick: step 1 only)
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh test
jobs=$(nproc)
t0=$(date +%s)
section() { printf '\n==== %s (%ss)\n' "$*" $(( $(date +%s) - t0 )); }

section "build and install"
scripts/build.sh
section "unit and end-to-end tests (installed binary)"
ctest --test-dir build --output-on-failure -j"$jobs"
[ "${1:-}" = "--quick" ] && exit 0

section "the README's demo: a full run, verify and journal verify (no false positive), then its web service"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
CV_DEMO_LISTEN=127.0.0.1:$port scripts/demo.sh "$PWD/build/demo-test" >build/demo-test.log 2>&1 &
demo=$!
# the demo ends by serving: log in with the demo login it printed, then stop it
python3 - "$port" build/demo-test.log "$demo" <<'EOF' || { tail -40 build/demo-test.log; kill "$demo" 2>/dev/null; exit 1; }
import os, re, sys, time, urllib.error, urllib.parse, urllib.request
port, log, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
deadline = time.time() + 1500
while time.time() < deadline:
    text = open(log, encoding="utf-8", errors="replace").read()
    if "casevault: serving" in text:
        break
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        sys.exit("the demo stopped before serving")
    time.sleep(1)
else:
    sys.exit("the demo did not start its web service")
user, cred = re.search(r"^\s+(delegue)\s+/ (.+?)\s{2,}", text, re.M).groups()
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None
opener = urllib.request.build_opener(NoRedirect)
body = urllib.parse.urlencode({"user": user, "credential": cred}).encode()
try:
    opener.open(f"http://127.0.0.1:{port}/login", body)
    sys.exit("login did not redirect")
except urllib.error.HTTPError as e:
    assert e.code == 303 and "cv_session=" in e.headers.get("Set-Cookie", ""), (e.code, dict(e.headers))
print(f"demo web service on port {port}: {user} logged in with the printed demo login")
EOF
kill -TERM "$demo"
wait "$demo" || { echo "the demo's web service did not stop cleanly on SIGTERM"; exit 1; }
grep -E "^(demo archive|Web service)" build/demo-test.log

section "Release build installed into a fresh prefix"
rel=$PWD/build-release
rm -rf "$rel/prefix"
cmake -S . -B "$rel" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$rel/prefix" \
	-DCV_E2E_BIN="$rel/prefix/bin/casevault" >/dev/null
cmake --build "$rel" -j"$jobs"
cmake --install "$rel" >/dev/null
ctest --test-dir "$rel" --output-on-failure -j"$jobs"

section "sanitizers (ASan + UBSan)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCV_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp \
	ctest --test-dir build-asan --output-on-failure -j"$jobs"

section "ThreadSanitizer (ingest pipeline, pack writers, document sandbox, the web service and its logins)"
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DCV_TSAN=ON >/dev/null
cmake --build build-tsan -j"$jobs"
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" ctest --test-dir build-tsan --output-on-failure \
	-R 'unit\.test_(ingest|store|verify|sandbox|login)$|e2e\.test_service$'

section "coverage of the library (gcov/lcov; fails under ${CV_COVERAGE_MIN:-85} % of lines)"
scripts/coverage.sh build-cov

section "fuzzers (${FUZZ_SECONDS:-20} s each)"
sh tests/fuzz/run.sh build-fuzz "${FUZZ_SECONDS:-20}"

section "crash test (${CRASH_KILLS:-50} kills)"
python3 tests/crash/crash_test.py --bin build/stage/bin/casevault --kills "${CRASH_KILLS:-50}"

section "all tests passed"
