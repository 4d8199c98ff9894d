#!/usr/bin/env bash
# Configures (once) and builds one build directory: build.sh DIR [meson options...]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$1; shift
cuda_home=${CUDA_HOME:-/usr/local/cuda}
export PATH="$cuda_home/bin:$PATH"
if [[ ! -f $dir/build.ninja ]]; then
  meson setup "$dir" -Dtoolkit_root="$cuda_home" "$@" >/dev/null
fi
ninja -C "$dir" >/dev/null || ninja -C "$dir"
