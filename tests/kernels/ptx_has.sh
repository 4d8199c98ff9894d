#!/bin/sh
# ptx_has.sh FILE WHAT PATTERN... - passes when every extended-regex PATTERN occurs in the
# PTX text FILE (e.g. that nvcc kept real .func calls); WHAT names the check in messages.
file=$1 what=$2
shift 2
for pattern in "$@"; do
  if ! grep -Eq -- "$pattern" "$file"; then
    echo "FAIL $what: no match for '$pattern' in $file"
    exit 1
  fi
done
echo "PASS $what"
