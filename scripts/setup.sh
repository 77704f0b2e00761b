#!/usr/bin/env bash
# Installs every Debian package tapegrad needs that is missing, then converts the UCI data those
# packages ship into data/uci (once: a cached conversion is kept). Nothing else is ever downloaded.
# Usage: scripts/setup.sh [--with-bench] [--with-fuzz] [--with-clang]   (run as root; otherwise prints
# the sudo command and stops)
# --with-bench adds python3-torch and libtorch-dev, the references of bench/compare_pytorch.py and
# bench/libtorch_step.cpp (make bench).
# --with-fuzz adds clang and its libFuzzer/sanitizer runtimes (clang-14, libclang-rt-14-dev) for
# the harnesses in fuzz/ (make fuzz).
# libopenblas-dev is only the yardstick of bench/bench_gemm; the library never links it.
# python3-sklearn is there for its bundled CSVs (iris, wine, breast cancer, digits), which the
# read_csv tests read from /usr/lib/python3/dist-packages/sklearn/datasets/data/.
# The UCI tasks (datasets/uci.h, docs/uci.md) come from r-cran-mlbench, r-cran-kernlab,
# python3-sklearn and weka; r-base-core runs scripts/convert_uci.R on them.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

packages=(
  cmake ninja-build g++ make pkg-config
  libxsimd-dev catch2 libbenchmark-dev librandom123-dev zlib1g-dev
  libcli11-dev nlohmann-json3-dev libopenblas-dev
  python3-numpy python3-matplotlib
  dataset-fashion-mnist graphviz
  r-base-core r-cran-mlbench r-cran-kernlab python3-sklearn weka
  libopenmpi-dev openmpi-bin
)
for option in "$@"; do
  case "$option" in
    --with-bench) packages+=(python3-torch libtorch-dev) ;;
    --with-fuzz) packages+=(clang clang-14 libclang-rt-14-dev) ;;
    --with-clang) packages+=(clang libomp-14-dev) ;;  # make build-clang: clang 14 and its OpenMP runtime
    *) echo "tapegrad setup: unknown option $option (expected --with-bench, --with-fuzz or --with-clang)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "tapegrad setup: missing Debian packages: ${missing[*]}" >&2
    echo "run: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "tapegrad setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# ---- UCI data: convert once; the stamp records which converter (and R) made the cache ----
uci_dir="$root/data/uci"
weka_dir=/usr/share/doc/weka/examples
if [[ ! -f "$weka_dir/iris.arff" ]]; then
  echo "tapegrad setup: weka is installed but $weka_dir/iris.arff is missing;" >&2
  echo "  is /usr/share/doc excluded from package installs (a dpkg path-exclude)? The UCI tasks read weka's ARFF files there." >&2
  exit 1
fi
stamp="$(sha256sum "$root/scripts/convert_uci.R" | cut -d' ' -f1) $(Rscript --version 2>&1 | head -n1)"
if [[ -f "$uci_dir/.stamp" && "$(cat "$uci_dir/.stamp")" == "$stamp" ]]; then
  exit 0
fi
start=$SECONDS
rm -rf "$uci_dir"
Rscript "$root/scripts/convert_uci.R" "$uci_dir"
echo "$stamp" > "$uci_dir/.stamp"
echo "tapegrad setup: UCI data converted into $uci_dir in $((SECONDS - start)) s"
