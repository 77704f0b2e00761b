"""What the benchmark drivers share: running a program for its `key: value` lines, and which
instruction sets this machine has — tapegrad's kernels and OpenBLAS's.

Imported by bench/run_bench.py, bench/compare_pytorch.py and bench/summary.py, which put their
own folder on sys.path first, so they run from any directory.
"""
import os
import re
import subprocess
import sys

# OpenBLAS's kernels for each of tapegrad's instruction sets: the yardstick with the same vector
# width. Prescott is OpenBLAS's SSE3 code, what 0.3.21 falls back to on a CPU it does not know.
CORETYPE_FOR_ISA = {"avx512": "SkylakeX", "avx2": "Haswell", "sse2": "Prescott"}

# OpenBLAS core names (openblas_get_corename, lower case) by the widest vectors their sgemm uses.
_OPENBLAS_AVX512 = {"skylakex", "cooperlake", "sapphirerapids"}
_OPENBLAS_AVX2 = {"haswell", "zen", "skylake"}


def openblas_isa(core):
    """'avx512', 'avx2' or 'narrower' for an OpenBLAS core name such as 'SkylakeX'."""
    name = (core or "").lower()
    if name in _OPENBLAS_AVX512:
        return "avx512"
    if name in _OPENBLAS_AVX2:
        return "avx2"
    return "narrower"


def parse_lines(text):
    """The `key: value` lines of a program's output as a dict; values are floats where they parse."""
    values = {}
    for line in text.splitlines():
        m = re.match(r"^(\w+): (.+)$", line.strip())
        if m:
            try:
                values[m.group(1)] = float(m.group(2))
            except ValueError:
                values[m.group(1)] = m.group(2).strip()
    return values


def run(command, env=None, drop=()):
    """Runs a program with os.environ + env (minus the names in drop) and returns parse_lines of its
    output; exits with the program's stderr if it fails."""
    full_env = {k: v for k, v in os.environ.items() if k not in drop}
    full_env.update(env or {})
    out = subprocess.run(command, env=full_env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{os.path.basename(sys.argv[0])}: {' '.join(command)} failed (exit {out.returncode}):\n"
                 f"{out.stderr}{out.stdout[-2000:]}")
    return parse_lines(out.stdout)


def tapegrad_isas(bin_dir):
    """(active, [supported]) from tg::isa_report() of a tapegrad program: the instruction set the
    kernels choose here (TG_ISA if set, else the widest), and every one this build and CPU can run."""
    report = run([os.path.join(bin_dir, "tape_overhead"), "--iterations", "1", "--repeats", "1"])["isa"]
    m = re.match(r"^(\w+) \(compiled: ([\w ]+); this cpu: ([\w ]+)\)$", report)
    if not m:
        sys.exit(f"harness: cannot read the instruction sets from 'isa: {report}'")
    compiled, cpu = m.group(2).split(), m.group(3).split()
    return m.group(1), [isa for isa in compiled if isa in cpu]


def isa_passes(bin_dir):
    """The instruction sets `make bench` measures tapegrad under: the active one, and avx2 as well
    when the active one is wider (the fair row for AVX2-only machines)."""
    active, supported = tapegrad_isas(bin_dir)
    return [active] + (["avx2"] if active != "avx2" and "avx2" in supported else [])


def cpu_flags():
    """The CPU's feature flags from /proc/cpuinfo (empty where there is none)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def cpu_has_avx512():
    """Whether the CPU runs OpenBLAS's SkylakeX kernels (AVX-512 F, CD, BW, DQ, VL)."""
    return {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"} <= cpu_flags()


def openblas_coretypes():
    """OPENBLAS_CORETYPE settings the yardsticks are tried under: as detected (""), Haswell, and
    SkylakeX where the CPU can run it."""
    return ("", "Haswell") + (("SkylakeX",) if cpu_has_avx512() else ())
