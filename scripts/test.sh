#!/usr/bin/env bash
# Runs every test: the normal build, then the same suite built with ASan + UBSan.
# Prints one closing line "N passed, N failed" and exits non-zero if any test failed.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh || exit 1
export PATH="${CUDA_HOME:-/usr/local/cuda}/bin:$PATH"

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
run_suite() {  # run_suite DIR [meson options...]
  local dir=$1; shift
  echo "== building $dir"
  scripts/build.sh "$dir" "$@" || { echo "build of $dir failed"; status=1; return; }
  echo "== testing $dir"
  meson test -C "$dir" --print-errorlogs --num-processes 2 || status=1
}
run_suite build
run_suite build-asan -Db_sanitize=address,undefined -Db_lundef=false

python3 scripts/test_summary.py build build-asan || status=1
exit $status
