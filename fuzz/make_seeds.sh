#!/usr/bin/env bash
# Regenerates fuzz/corpus/ (the seed corpora): fuzz_make_seeds writes a small valid file of every
# format, and numpy adds the members make_seeds cannot write (a deflated .npz, a Fortran-order
# and a big-endian array). Usage: fuzz/make_seeds.sh <build dir with fuzz_make_seeds>
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
rm -rf "$here/corpus"
"$1/bin/fuzz_make_seeds" "$here/corpus"
/usr/bin/python3 - "$here/corpus/npz" <<'PY'
import io, sys, numpy as np
out = sys.argv[1]
np.savez_compressed(f"{out}/deflated.npz", a=np.arange(6, dtype="<f4").reshape(2, 3), b=np.float64(2.5))
np.savez(f"{out}/fortran-bigendian.npz", f=np.asfortranarray(np.ones((2, 2), "<f8")), big=np.arange(3, dtype=">i8"))
PY
