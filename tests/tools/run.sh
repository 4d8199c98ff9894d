#!/bin/sh
# run.sh PROGRAM [ARGS...] - runs a built program as a test (meson's test() cannot take a
# custom target, such as an nvcc-built program, as the executable itself).
exec "$@"
