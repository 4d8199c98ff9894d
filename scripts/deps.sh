#!/usr/bin/env bash
# Installs what gpushim needs to build and test, from Debian's packages (and pytest
# from PyPI when the active python3 lacks it). Does nothing when all is present.
set -euo pipefail

packages=(meson ninja-build pkg-config gcc libc6-dev libtirpc-dev rpcsvc-proto libzstd-dev
          libssl-dev libcurl4-openssl-dev libjansson-dev libsqlite3-dev sqlite3
          openssh-server openssh-client openssl python3-pytest binutils)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "gpushim: installing ${missing[*]}" >&2
  sudo_cmd=(); [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! python3 -c 'import pytest' 2>/dev/null; then
  python3 -m pip install -q pytest >/dev/null 2>&1 || {
    echo "gpushim: python3 has no pytest and pip could not install it" >&2; exit 1; }
fi
cuda_home=${CUDA_HOME:-/usr/local/cuda}
if [[ ! -x $cuda_home/bin/nvcc || ! -f $cuda_home/include/cuda.h ]]; then
  echo "gpushim: the CUDA toolkit (nvcc, cuda.h) is needed under $cuda_home (set CUDA_HOME)" >&2
  exit 1
fi
