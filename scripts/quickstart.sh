#!/usr/bin/env bash
# The README's first command: install what is missing, build, and run a CUDA sample (our
# vector_add, an ordinary nvcc program built with -cudart shared) through gpushim on the local
# provider — a private agent with the CPU device, started by the first CUDA call.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh build
echo "== gpushim run build/kernels/vector_add"
build/provisioner/gpushim run build/kernels/vector_add
