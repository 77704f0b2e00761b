#!/usr/bin/python3
"""tapegrad against PyTorch and libtorch on the same two workloads, measured side by side.

    /usr/bin/python3 bench/compare_pytorch.py --bin build/bin [--rounds 3] [--json out.json]

Workloads (the same on every side):
  train_step  a SELU network, depth × (Linear width + SELU) then Linear → 10 classes, batch-mean
              cross-entropy, plain SGD (lr 0.01): zero_grad, forward, backward, step.
              tapegrad: build/bin/train_step; libtorch: build/bin/libtorch_step (bench/libtorch_step.cpp,
              built when libtorch is found); PyTorch: this script as a worker subprocess.
  tiny_graph  4×4 float32 a, b with requires_grad: s = (a·b + a).sum(); s.backward(); grads dropped.
              tapegrad: build/bin/tape_overhead; PyTorch from Python.

Settings:
  tapegrad   threads ∈ {1, 2} × instruction set ∈ --isas (default: the one it chooses here, and
             avx2 as well when that is wider — TG_ISA forces it).
  PyTorch, libtorch  torch threads ∈ {1, 2} × OPENBLAS_NUM_THREADS ∈ {1, 2} × OPENBLAS_CORETYPE ∈
             {as detected, Haswell, SkylakeX (where the CPU has AVX-512)}. Debian's torch does its
             matrix products in OpenBLAS, whose threads are not torch's; OpenBLAS 0.3.21 does not
             recognise every CPU and then runs its SSE3 "Prescott" kernels; Haswell forces its AVX2
             kernels, SkylakeX its AVX-512 ones. Each run reports the kernels OpenBLAS actually ran.
The yardstick is the best of PyTorch and libtorch over all their settings; for tapegrad's avx2
row, the best over the settings whose OpenBLAS kernels are AVX2 or narrower. Each round runs every
configuration once, interleaved, so slow phases of a busy machine hit every side; the figures are
medians over the rounds.

PyTorch's intra-op threads are libgomp's OpenMP team, whose idle threads spin ~20 ms after every
parallel region by default and take the core OpenBLAS's second thread needs: PyTorch and libtorch
run with GOMP_SPINCOUNT=1000 (~60 µs, then sleep) unless the caller set GOMP_SPINCOUNT or
OMP_WAIT_POLICY. tapegrad has no OpenMP regions (its own worker pool, Note [The worker pool] in
tensor/parallel.h), so the setting does not touch it.

Also compared: peak resident memory of the training-step process (peak_rss_mb), and above what it
held before the model was built (step: model, gradients, activations, caches).

Needs python3-torch (`bash scripts/setup.sh --with-bench` installs it) and run with /usr/bin/python3.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

THREADS = (1, 2)
YARDSTICK_OMP = {} if "GOMP_SPINCOUNT" in os.environ or "OMP_WAIT_POLICY" in os.environ else {"GOMP_SPINCOUNT": "1000"}


# ---- the PyTorch side (run as a worker subprocess) ----

def current_rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1048576


def openblas_core():
    """The kernels the OpenBLAS under torch runs, or 'none' if it is not loaded."""
    import ctypes
    try:
        lib = ctypes.CDLL("libopenblas.so.0", mode=os.RTLD_NOLOAD)
    except OSError:
        return "none"
    lib.openblas_get_corename.restype = ctypes.c_char_p
    return lib.openblas_get_corename().decode()


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
    print(f"torch_threads: {torch.get_num_threads()}")
    print(f"openblas_core: {openblas_core()}")
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

def train_configs(args, shape):
    """name -> (command, env, description) of every training-step setting."""
    me = [sys.executable, os.path.abspath(__file__)]
    libtorch = os.path.join(args.bin, "libtorch_step")
    configs = {}
    for isa in args.isas:
        for t in THREADS:
            configs[f"tapegrad/isa={isa},threads={t}"] = (
                [os.path.join(args.bin, "train_step"), *shape, "--threads", str(t)], {"TG_ISA": isa},
                {"side": "tapegrad", "isa": isa, "threads": t})
    sides = [("pytorch", [*me, "--worker", "train", *shape])]
    if os.path.exists(libtorch):
        sides.append(("libtorch", [libtorch, *shape]))
    else:
        print(f"compare_pytorch: {libtorch} is not built (libtorch not found?); PyTorch alone is the yardstick",
              file=sys.stderr)
    for side, command in sides:
        for core in harness.openblas_coretypes():
            for t in THREADS:
                for blas in THREADS:
                    env = {**YARDSTICK_OMP, "OPENBLAS_NUM_THREADS": str(blas),
                           **({"OPENBLAS_CORETYPE": core} if core else {})}
                    name = f"{side}/torch_threads={t},openblas_threads={blas},coretype={core or 'detected'}"
                    configs[name] = ([*command, "--threads", str(t)], env,
                                     {"side": side, "threads": t, "openblas_threads": blas,
                                      "coretype": core or "detected"})
    return configs


def best(train, keep):
    """The fastest configuration name among those keep(name, entry) accepts, or None."""
    names = [n for n, v in train.items() if keep(n, v)]
    return min(names, key=lambda n: train[n]["ms_per_step"]) if names else None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default="build/bin", help="where train_step, tape_overhead, libtorch_step are")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--isas", help="tapegrad's instruction sets, comma-separated (default: see above)")
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
    args.isas = args.isas.split(",") if args.isas else harness.isa_passes(args.bin)

    shape = ["--depth", str(args.depth), "--width", str(args.width), "--batch", str(args.batch),
             "--in-features", str(args.in_features), "--classes", str(args.classes),
             "--steps", str(args.steps), "--warmup", str(args.warmup)]
    configs = train_configs(args, shape)
    tiny = {
        "tapegrad": ([os.path.join(args.bin, "tape_overhead"), "--iterations", str(args.iterations * 5),
                      "--repeats", str(args.repeats)], {"TG_ISA": args.isas[0]}),
        "pytorch": ([sys.executable, os.path.abspath(__file__), "--worker", "tiny", "--iterations",
                     str(args.iterations), "--repeats", str(args.repeats)], {"OPENBLAS_NUM_THREADS": "1"}),
    }

    train_rounds = {name: [] for name in configs}
    tiny_rounds = {name: [] for name in tiny}
    for r in range(args.rounds):
        print(f"compare_pytorch: round {r + 1}/{args.rounds} ({len(configs)} training-step settings)",
              file=sys.stderr, flush=True)
        for name, (command, env, _) in configs.items():
            # OMP_NUM_THREADS is dropped: --threads says it, and tapegrad's default must not leak in.
            train_rounds[name].append(harness.run(command, env, drop=("OMP_NUM_THREADS",)))
        for name, (command, env) in tiny.items():
            tiny_rounds[name].append(harness.run(command, env))

    train = {}
    for name, rounds in train_rounds.items():
        entry = dict(configs[name][2])
        for key in ("ms_per_step", "peak_rss_mb", "base_rss_mb"):
            entry[key] = statistics.median(r[key] for r in rounds)
        entry["ms_rounds"] = [r["ms_per_step"] for r in rounds]
        if entry["side"] == "tapegrad":
            entry["isa_report"] = rounds[0]["isa"]
            counts = [r["allocations_per_step"] for r in rounds]
            entry["allocations_per_step"] = max(counts) if all(isinstance(c, float) for c in counts) else "n/a"
        else:
            entry["openblas_core"] = rounds[0]["openblas_core"]
            entry["openblas_isa"] = harness.openblas_isa(rounds[0]["openblas_core"])
        train[name] = entry

    is_yardstick = lambda n, v: v["side"] != "tapegrad"  # noqa: E731
    summary = {
        "best_yardstick": best(train, is_yardstick),
        "best_yardstick_avx2": best(train, lambda n, v: is_yardstick(n, v) and v["openblas_isa"] != "avx512"),
        "best_pytorch": best(train, lambda n, v: v["side"] == "pytorch"),
        "best_libtorch": best(train, lambda n, v: v["side"] == "libtorch"),
        "best_tapegrad": {isa: best(train, lambda n, v, isa=isa: v["side"] == "tapegrad" and v["isa"] == isa)
                          for isa in args.isas},
    }
    tiny_us = {name: statistics.median(r["us_per_iteration"] for r in rounds) for name, rounds in tiny_rounds.items()}

    print(f"train_step: depth {args.depth}, width {args.width}, batch {args.batch}; median of {args.rounds} rounds")
    for name, v in train.items():
        blas = f"   OpenBLAS {v['openblas_core']}" if "openblas_core" in v else ""
        print(f"  {name:72s} {v['ms_per_step']:9.2f} ms   peak RSS {v['peak_rss_mb']:7.1f} MB"
              f"   (step {v['peak_rss_mb'] - v['base_rss_mb']:6.1f} MB){blas}")
    yard = summary["best_yardstick"]
    for isa, ours in summary["best_tapegrad"].items():
        print(f"  tapegrad {isa} best / yardstick best: {train[ours]['ms_per_step'] / train[yard]['ms_per_step']:.3f}"
              f"   [{ours} vs {yard}]")
    print("tiny_graph (4x4 mul, add, sum, backward):")
    print(f"  tapegrad {tiny_us['tapegrad']:.3f} us   PyTorch (Python) {tiny_us['pytorch']:.3f} us   "
          f"ratio {tiny_us['tapegrad'] / tiny_us['pytorch']:.4f}")

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"train_step": train, **summary, "isas": args.isas, "tiny_graph_us": tiny_us,
                       "tiny_graph_isa": args.isas[0], "rounds": args.rounds,
                       "shape": {"depth": args.depth, "width": args.width, "batch": args.batch,
                                 "in_features": args.in_features, "classes": args.classes}}, f, indent=2)


if __name__ == "__main__":
    main()
