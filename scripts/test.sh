#!/usr/bin/env bash
# Runs the whole test suite against the binaries in build dir $1.
# Unit tests and black-box suites go through CTest; the browser test runs after them.
set -uo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
ROOT=$PWD
export XC_BUILD_DIR="$ROOT/$BUILD" XC_SOURCE_DIR="$ROOT"
if [ -n "${XC_SANITIZE:-}" ]; then
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi
status=0
(cd "$BUILD" && ctest --output-on-failure --timeout 900) || status=1
if [ -x tests/e2e/run.sh ]; then
  tests/e2e/run.sh || status=1
fi
exit $status
