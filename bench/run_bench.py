#!/usr/bin/python3
"""`make bench`: runs every benchmark of docs/benchmarks.md into a new timestamped folder, then
prints the summary table.

    /usr/bin/python3 bench/run_bench.py --bin build/bin --out build/bench [--only gemm,kernels,...]

Writes build/bench/<UTC date-time>/ (the folder is printed first; build/bench/latest links to it):
  machine.json               CPU, its instruction sets, tapegrad's choice, load averages before and after
  gemm_<isa>.json            bench_gemm under TG_ISA=<isa>, against OpenBLAS's kernels of the same width
                             (OPENBLAS_CORETYPE: SkylakeX for avx512, Haswell for avx2)
  kernels_<isa>.json         bench_kernels under TG_ISA=<isa>
  train.json                 bench/compare_pytorch.py: training step and tiny graph, tapegrad vs PyTorch/libtorch
  small_nets.json            bench/small_nets.cpp at the default thread count and at 1 thread, with one
                             core kept busy by a loop pinned to it, and on the machine as it is
  dist.json                  bench/dist_step.cpp (train_step's step): one process at 1 and 2 threads, and
                             data-parallel under `mpirun -np 2` at one thread per rank, with and without
                             overlap (only when mpirun is installed)
<isa> is the instruction set tapegrad chooses here and, when that is wider, avx2 as well (the fair
row for AVX2-only machines). Parts (--only): gemm, kernels, train, small_nets, dist.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PARTS = ("gemm", "kernels", "train", "small_nets", "dist")
GBENCH_FLAGS = "--benchmark_min_time=0.2 --benchmark_repetitions=3 --benchmark_report_aggregates_only=true"
# The thread settings below are the programs' own; the caller's must not leak into them.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE", "TG_ISA")


def log(message):
    print(f"run_bench: {message}", file=sys.stderr, flush=True)


def google_benchmark(program, out_json, env, flags):
    """Runs a Google Benchmark program, its console output shown, its JSON written to out_json."""
    command = [program, *flags.split(), f"--benchmark_out={out_json}", "--benchmark_out_format=json"]
    full_env = {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}
    full_env.update(env)
    log(" ".join(f"{k}={v}" for k, v in env.items()) + " " + " ".join(command))
    if subprocess.run(command, env=full_env).returncode != 0:
        sys.exit(f"run_bench: {os.path.basename(program)} failed")


def git(*args):
    return subprocess.run(["git", "-C", HERE, *args], capture_output=True, text=True).stdout.strip()


def machine_info(bin_dir):
    active, supported = harness.tapegrad_isas(bin_dir)
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
                 platform.processor())
    flags = harness.cpu_flags()
    return {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "cpu": model,
        "cores": os.cpu_count(),
        "cpu_avx512": harness.cpu_has_avx512(),
        "cpu_avx2_fma": {"avx2", "fma"} <= flags,
        "cpu_vector_flags": sorted(f for f in flags if f.startswith(("avx", "fma", "sse"))),
        "tapegrad_isa": active,
        "tapegrad_isas_supported": supported,
        "isa_passes": harness.isa_passes(bin_dir),
        "load_before": os.getloadavg(),
        "commit": git("rev-parse", "--short", "HEAD"),
        "uncommitted_changes": bool(git("status", "--porcelain")),
    }


class BusyCore:
    """A tight loop pinned to one core while the `with` block runs: another job holding that core."""

    def __init__(self, core):
        self.core = core

    def __enter__(self):
        self.process = subprocess.Popen([sys.executable, "-c", "while True: pass"],
                                        preexec_fn=lambda: os.sched_setaffinity(0, {self.core}))
        time.sleep(0.2)  # started and spinning before the measurement begins
        return self

    def __exit__(self, *exc):
        self.process.kill()
        self.process.wait()


def small_nets(bin_dir, rounds):
    """{condition: {threads: [runs]}}; each round runs default and 1 thread back to back (alternating
    which goes first), under a busy core and on the machine as it is."""
    program = os.path.join(bin_dir, "small_nets")
    settings = {"default": [program], "1": [program, "--threads", "1"]}
    results = {"busy": {k: [] for k in settings}, "unloaded": {k: [] for k in settings}}
    allowed = sorted(os.sched_getaffinity(0))
    busy_core = allowed[1] if len(allowed) > 1 else allowed[0]  # core 1, where this process may use it
    for r in range(rounds):
        order = list(settings) if r % 2 == 0 else list(reversed(settings))
        with BusyCore(busy_core):
            for name in order:
                log(f"small_nets round {r + 1}/{rounds}, core {busy_core} busy, threads {name}")
                results["busy"][name].append(harness.run(settings[name], drop=THREAD_VARIABLES))
        for name in order:
            log(f"small_nets round {r + 1}/{rounds}, no busy loop, threads {name}")
            results["unloaded"][name].append(harness.run(settings[name], drop=THREAD_VARIABLES))
    datasets = [k[: -len("_seconds")] for k in results["busy"]["default"][0] if k.endswith("_seconds")]
    out = {"busy_core": busy_core, "rounds": rounds, "isa": results["busy"]["default"][0]["isa"],
           "default_threads": results["busy"]["default"][0]["threads"], "datasets": {}}
    for d in datasets:
        entry = {"shape": results["busy"]["default"][0][d]}
        for condition, by_threads in results.items():
            for threads, runs in by_threads.items():
                entry[f"{condition}_threads={threads}_seconds"] = statistics.median(r[f"{d}_seconds"] for r in runs)
                entry[f"{condition}_threads={threads}_rounds"] = [r[f"{d}_seconds"] for r in runs]
        losses = {str(r[f"{d}_loss"]) for by_threads in results.values() for runs in by_threads.values() for r in runs}
        entry["losses"] = sorted(losses)
        entry["test_accuracy"] = results["unloaded"]["1"][0][f"{d}_test_accuracy"]
        out["datasets"][d] = entry
    return out


# Open MPI on one node: as root too, shared memory and self, no cross-memory attach (containers).
MPI_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1", "OMPI_MCA_btl": "self,vader",
           "OMPI_MCA_btl_vader_single_copy_mechanism": "none"}


def dist_steps(bin_dir, rounds):
    """{setting: median figures} of dist_step; each round runs every setting once, in an order that
    alternates between rounds."""
    program = os.path.join(bin_dir, "dist_step")
    mpirun = ["mpirun", "-np", "2", "--bind-to", "none"]
    settings = {"R=1 threads=1": [program, "--threads", "1"],
                "R=1 threads=2": [program, "--threads", "2"],
                "R=2 threads=1 overlap": [*mpirun, program, "--threads", "1"],
                "R=2 threads=1 no-overlap": [*mpirun, program, "--threads", "1", "--no-overlap"]}
    runs = {k: [] for k in settings}
    for r in range(rounds):
        for name in (list(settings) if r % 2 == 0 else list(reversed(settings))):
            log(f"dist_step round {r + 1}/{rounds}: {name}")
            runs[name].append(harness.run(settings[name], env=MPI_ENV, drop=THREAD_VARIABLES))
    out = {"isa": runs["R=1 threads=1"][0]["isa"], "rounds": rounds, "settings": {}}
    for name, rs in runs.items():
        entry = {k: statistics.median(r[k] for r in rs)
                 for k in ("ms_per_step", "ms_min", "allreduce_ms", "bytes_sent_per_step")}
        entry["ms_per_step_rounds"] = [r["ms_per_step"] for r in rs]
        entry["losses"] = sorted({str(r["loss"]) for r in rs})
        out["settings"][name] = entry
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default="build/bin")
    parser.add_argument("--out", default="build/bench", help="the run's folder is made in here")
    parser.add_argument("--only", default=",".join(PARTS), help="comma-separated parts to run")
    parser.add_argument("--benchmark-flags", default=GBENCH_FLAGS, help="for bench_gemm and bench_kernels")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of compare_pytorch.py and small_nets")
    args = parser.parse_args()
    parts = args.only.split(",")
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        sys.exit(f"run_bench: unknown part(s) {', '.join(unknown)}; valid: {', '.join(PARTS)}")

    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H%M%SZ")
    run_dir = os.path.join(args.out, stamp)
    os.makedirs(run_dir)
    print(f"run_bench: writing {run_dir}", flush=True)
    start = time.monotonic()
    machine = machine_info(args.bin)
    passes = machine["isa_passes"]
    log(f"tapegrad measured under {', '.join(passes)}; CPU: {machine['cpu']}, AVX-512: {machine['cpu_avx512']}")

    for isa in passes:
        if "gemm" in parts:
            google_benchmark(os.path.join(args.bin, "bench_gemm"), os.path.join(run_dir, f"gemm_{isa}.json"),
                             {"TG_ISA": isa, "OPENBLAS_CORETYPE": harness.CORETYPE_FOR_ISA[isa]}, args.benchmark_flags)
        if "kernels" in parts:
            google_benchmark(os.path.join(args.bin, "bench_kernels"), os.path.join(run_dir, f"kernels_{isa}.json"),
                             {"TG_ISA": isa}, args.benchmark_flags)
    if "train" in parts:
        command = [sys.executable, os.path.join(HERE, "compare_pytorch.py"), "--bin", args.bin, "--isas",
                   ",".join(passes), "--rounds", str(args.rounds), "--json", os.path.join(run_dir, "train.json")]
        log(" ".join(command))
        if subprocess.run(command).returncode != 0:
            sys.exit("run_bench: compare_pytorch.py failed")
    if "small_nets" in parts:
        with open(os.path.join(run_dir, "small_nets.json"), "w") as f:
            json.dump(small_nets(args.bin, args.rounds), f, indent=2)

    if "dist" in parts:
        if shutil.which("mpirun"):
            with open(os.path.join(run_dir, "dist.json"), "w") as f:
                json.dump(dist_steps(args.bin, args.rounds), f, indent=2)
        else:
            log("dist: mpirun is not installed; no data-parallel rows")

    machine["load_after"] = os.getloadavg()
    machine["minutes"] = round((time.monotonic() - start) / 60, 1)
    with open(os.path.join(run_dir, "machine.json"), "w") as f:
        json.dump(machine, f, indent=2)
    latest = os.path.join(args.out, "latest")
    if os.path.islink(latest):
        os.remove(latest)
    if not os.path.exists(latest):
        os.symlink(stamp, latest)
    log(f"done in {machine['minutes']} min: {run_dir} (also {latest})\n")
    subprocess.run([sys.executable, os.path.join(HERE, "summary.py"), run_dir])


if __name__ == "__main__":
    main()
