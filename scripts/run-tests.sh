#!/usr/bin/env bash
# Runs every test suite: dev build (unit + integration against real loopback servers), the same
# suites under ASan+UBSan, then each libFuzzer target over its corpus for a few seconds.
# Prints a final "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
failed=0 passed=0
stage() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
record() { if [ "$1" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $2"; fi; }

stage "dev build: unit and integration tests"
(cd build/dev && ctest --output-on-failure -j"$JOBS" --timeout 300)
record $? "dev ctest"

stage "ASan + UBSan build"
cmake --preset asan-ubsan >/dev/null && cmake --build build/asan -j"$JOBS"
rc=$?
record $rc "asan build"
if [ $rc -eq 0 ]; then
  stage "ASan + UBSan tests"
  (cd build/asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
     LSAN_OPTIONS=suppressions="$PWD/../../tests/lsan.supp":print_suppressions=0 \
     UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
     ctest --output-on-failure -j"$JOBS" --timeout 600)
  record $? "asan ctest"
fi

stage "libFuzzer targets (clang)"
cmake --preset fuzz >/dev/null && cmake --build build/fuzz -j"$JOBS" --target fuzzers
rc=$?
record $rc "fuzz build"
if [ $rc -eq 0 ]; then
  (cd build/fuzz && FUZZ_SECONDS=${FUZZ_SECONDS:-10} ctest --output-on-failure -j"$JOBS" -L fuzz)
  record $? "fuzz smoke"
fi

echo
echo "test stages: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
