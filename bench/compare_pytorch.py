#!/usr/bin/python3
"""tapegrad against PyTorch on the same two workloads, measured side by side.

    /usr/bin/python3 bench/compare_pytorch.py --bin build/bin [--rounds 3] [--json out.json]

Workloads (the same on both sides):
  train_step  a SELU network, depth × (Linear width + SELU) then Linear → 10 classes, batch-mean
              cross-entropy, plain SGD (lr 0.01): zero_grad, forward, backward, step.
  tiny_graph  4×4 float32 a, b with requires_grad: s = (a·b + a).sum(); s.backward(); grads dropped.

PyTorch runs in subprocesses (its thread pools read their environment at start-up) over every
setting: torch.set_num_threads ∈ {1, 2} × OPENBLAS_NUM_THREADS ∈ {1, 2} × OPENBLAS_CORETYPE ∈
{as detected, Haswell, SkylakeX}. The Debian build does its matrix products in OpenBLAS, whose
threads are not torch's, and OpenBLAS 0.3.21 does not recognise every recent Xeon: it then runs
its SSE3 "Prescott" kernels, 3× slower; Haswell forces its AVX2 kernels (tapegrad's instruction
set), SkylakeX its AVX-512 ones. The best of all twelve is the yardstick. tapegrad runs
build/bin/train_step with --threads 1 and 2, and build/bin/tape_overhead. Each round runs every
configuration once, interleaved, so slow phases of a busy machine hit both sides; the figures
are medians over the rounds. Ratios are tapegrad / PyTorch's best setting: below 1 is faster.

Also compared: peak resident memory of the training-step process, whole (peak_rss_mb) and above
what it held before the model was built (step_rss_mb: model, gradients, activations, caches).

Needs python3-torch (`bash scripts/setup.sh --with-bench` installs it) and run with /usr/bin/python3.
"""
import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time

THREADS = (1, 2)
CORETYPES = ("", "Haswell", "SkylakeX")  # "" leaves OpenBLAS to detect the CPU


# ---- the PyTorch side (run as a worker subprocess) ----

def current_rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1048576


def worker_train(args):
    import torch
    torch.set_num_threads(args.threads)
    base_rss = current_rss_mb()
    torch.manual_seed(0)
    layers, fan_in = [], args.in_features
    for _ in range(args.depth):
        layers += [torch.nn.Linear(fan_in, args.width), torch.nn.SELU()]
        fan_in = args.width
    layers.append(torch.nn.Linear(fan_in, args.classes))
    model = torch.nn.Sequential(*layers)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    x = torch.randn(args.batch, args.in_features)
    y = torch.arange(args.batch) % args.classes

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()

    for _ in range(args.warmup):
        step()
    times = []
    for _ in range(args.steps):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1e3)
    print(f"ms_per_step: {statistics.median(times):.3f}")
    print(f"peak_rss_mb: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f}")
    print(f"base_rss_mb: {base_rss:.1f}")


def worker_tiny(args):
    import torch
    torch.set_num_threads(1)
    torch.manual_seed(0)
    a = torch.randn(4, 4, requires_grad=True)
    b = torch.randn(4, 4, requires_grad=True)

    def iteration():
        s = (a * b + a).sum()
        s.backward()
        a.grad = None
        b.grad = None

    for _ in range(1000):
        iteration()
    per_run = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        for _ in range(args.iterations):
            iteration()
        per_run.append((time.perf_counter() - start) * 1e6 / args.iterations)
    print(f"us_per_iteration: {statistics.median(per_run):.3f}")


# ---- the driver ----

# Both sides run under the same OpenMP wait policy (Note [OpenMP settings of the benchmarks] in
# bench/omp_env.h): PyTorch's intra-op threads are libgomp's too.
OMP_DEFAULTS = {} if "GOMP_SPINCOUNT" in os.environ or "OMP_WAIT_POLICY" in os.environ else {"GOMP_SPINCOUNT": "1000"}


def run(command, env=None):
    """Runs a program and returns its `key: value` lines as a dict of floats (or strings)."""
    out = subprocess.run(command, env={**os.environ, **OMP_DEFAULTS, **(env or {})}, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"compare_pytorch: {' '.join(command)} failed:\n{out.stderr}")
    values = {}
    for line in out.stdout.splitlines():
        m = re.match(r"^(\w+): (\S+)$", line.strip())
        if m:
            try:
                values[m.group(1)] = float(m.group(2))
            except ValueError:
                values[m.group(1)] = m.group(2)
    return values


def median_of(rounds, key):
    return statistics.median(r[key] for r in rounds)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default="build/bin", help="where train_step and tape_overhead are")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--depth", type=int, default=8)
    parser.add_argument("--width", type=int, default=784)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--in-features", type=int, default=784)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--iterations", type=int, default=20000, help="tiny-graph iterations per timed run")
    parser.add_argument("--repeats", type=int, default=5, help="timed tiny-graph runs per round")
    parser.add_argument("--json", help="write every figure here")
    parser.add_argument("--worker", choices=["train", "tiny"], help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker == "train":
        return worker_train(args)
    if args.worker == "tiny":
        return worker_tiny(args)

    shape = ["--depth", str(args.depth), "--width", str(args.width), "--batch", str(args.batch),
             "--in-features", str(args.in_features), "--classes", str(args.classes),
             "--steps", str(args.steps), "--warmup", str(args.warmup)]
    me = [sys.executable, os.path.abspath(__file__)]
    configs = {}  # name -> (command, env)
    for t in THREADS:
        configs[f"tapegrad/threads={t}"] = ([os.path.join(args.bin, "train_step"), *shape, "--threads", str(t)], {})
    for core in CORETYPES:
        for t in THREADS:
            for blas in THREADS:
                env = {"OPENBLAS_NUM_THREADS": str(blas), **({"OPENBLAS_CORETYPE": core} if core else {})}
                configs[f"pytorch/torch_threads={t},openblas_threads={blas},coretype={core or 'detected'}"] = (
                    [*me, "--worker", "train", *shape, "--threads", str(t)], env)
    tiny = {
        "tapegrad": ([os.path.join(args.bin, "tape_overhead"), "--iterations", str(args.iterations * 5),
                      "--repeats", str(args.repeats)], {}),
        "pytorch": ([*me, "--worker", "tiny", "--iterations", str(args.iterations), "--repeats", str(args.repeats)],
                    {"OPENBLAS_NUM_THREADS": "1"}),
    }

    train_rounds = {name: [] for name in configs}
    tiny_rounds = {name: [] for name in tiny}
    for r in range(args.rounds):
        print(f"round {r + 1}/{args.rounds}", file=sys.stderr, flush=True)
        for name, (command, env) in configs.items():
            train_rounds[name].append(run(command, env))
        for name, (command, env) in tiny.items():
            tiny_rounds[name].append(run(command, env))

    train = {name: {key: median_of(rounds, key) for key in ("ms_per_step", "peak_rss_mb", "base_rss_mb")}
             for name, rounds in train_rounds.items()}
    for name, rounds in train_rounds.items():
        train[name]["ms_rounds"] = [r["ms_per_step"] for r in rounds]
        if name.startswith("tapegrad"):
            train[name]["allocations_per_step"] = max(r["allocations_per_step"] for r in rounds)
    best_torch = min((n for n in train if n.startswith("pytorch")), key=lambda n: train[n]["ms_per_step"])
    best_tg = min((n for n in train if n.startswith("tapegrad")), key=lambda n: train[n]["ms_per_step"])
    tiny_us = {name: median_of(rounds, "us_per_iteration") for name, rounds in tiny_rounds.items()}

    print(f"train_step: depth {args.depth}, width {args.width}, batch {args.batch}; median of {args.rounds} rounds")
    for name, v in train.items():
        print(f"  {name:66s} {v['ms_per_step']:9.2f} ms   peak RSS {v['peak_rss_mb']:7.1f} MB"
              f"   (step {v['peak_rss_mb'] - v['base_rss_mb']:6.1f} MB)")
    ratio = train[best_tg]["ms_per_step"] / train[best_torch]["ms_per_step"]
    print(f"  ratio tapegrad/PyTorch (best vs best): {ratio:.3f}   [{best_tg} vs {best_torch}]")
    for t in THREADS:
        own = train[f"tapegrad/threads={t}"]["ms_per_step"] / train[best_torch]["ms_per_step"]
        print(f"  ratio tapegrad threads={t} / PyTorch best: {own:.3f}")
    print("tiny_graph (4x4 mul, add, sum, backward):")
    print(f"  tapegrad {tiny_us['tapegrad']:.3f} us   PyTorch (Python) {tiny_us['pytorch']:.3f} us   "
          f"ratio {tiny_us['tapegrad'] / tiny_us['pytorch']:.4f}")

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"train_step": train, "best_pytorch": best_torch, "best_tapegrad": best_tg,
                       "train_ratio": ratio, "tiny_graph_us": tiny_us,
                       "shape": {"depth": args.depth, "width": args.width, "batch": args.batch,
                                 "in_features": args.in_features, "classes": args.classes}}, f, indent=2)


if __name__ == "__main__":
    main()
