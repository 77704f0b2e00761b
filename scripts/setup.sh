#!/usr/bin/env bash
# Installs every Debian package tapegrad needs that is missing. Nothing else is ever downloaded.
# Usage: scripts/setup.sh [--with-bench]   (run as root; otherwise prints the sudo command and stops)
# --with-bench adds python3-torch, the reference for bench/compare_pytorch.py (make bench).
# libopenblas-dev is only the yardstick of bench/bench_gemm; the library never links it.
# python3-sklearn is there for its bundled CSVs (iris, wine, breast cancer, digits), which the
# read_csv tests read from /usr/lib/python3/dist-packages/sklearn/datasets/data/.
set -euo pipefail

packages=(
  cmake ninja-build g++ make pkg-config
  libxsimd-dev catch2 libbenchmark-dev librandom123-dev zlib1g-dev
  libcli11-dev nlohmann-json3-dev libopenblas-dev
  python3-numpy python3-matplotlib
  dataset-fashion-mnist python3-sklearn graphviz
)
if [[ "${1:-}" == "--with-bench" ]]; then
  packages+=(python3-torch)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "tapegrad setup: missing Debian packages: ${missing[*]}" >&2
  echo "run: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "tapegrad setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
