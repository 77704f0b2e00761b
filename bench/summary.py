#!/usr/bin/python3
"""One table of every performance target, from the outputs `make bench` leaves in a directory.

    /usr/bin/python3 bench/summary.py build/bench [--plot docs/images/gemm_gflops.png] [--markdown]

Reads (any missing file just leaves its rows out):
  gemm_t1.json, gemm_t2.json   bench_gemm --benchmark_format=json with 1 and 2 threads
  kernels.json                 bench_kernels --benchmark_format=json
  pytorch.json                 bench/compare_pytorch.py --json (train_step, tape_overhead, PyTorch)
"""
import argparse
import json
import os
import re
import sys


def load(path):
    if not os.path.exists(path):
        print(f"summary: {path} is missing; its rows are left out", file=sys.stderr)
        return None
    with open(path) as f:
        return json.load(f)


def benchmarks(doc):
    """name -> entry of a Google Benchmark JSON document: the median over repetitions when the run
    was repeated (--benchmark_repetitions), else the single run."""
    out = {}
    for b in (doc or {}).get("benchmarks", []):
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                out[short(b["run_name"])] = b
        else:
            out.setdefault(short(b.get("run_name", b["name"])), b)
    return out


def short(name):
    """The benchmark's name without Google Benchmark's '/real_time' suffix."""
    return name[: -len("/real_time")] if name.endswith("/real_time") else name


def pairs(doc, ours, theirs, counter):
    """[(workload, args, ours_value, theirs_value)] for names <workload>/<ours>/<args>."""
    bench = benchmarks(doc)
    out = []
    for name, entry in bench.items():
        m = re.match(rf"^(.*)/{ours}/(.*)$", name)
        if not m:
            continue
        other = bench.get(f"{m.group(1)}/{theirs}/{m.group(2)}")
        if other and counter in entry and counter in other:
            out.append((m.group(1), m.group(2), entry[counter], other[counter]))
    return out


def gemm_n(args):
    """Smallest of M, N, K in '1024x1024x1024' or '128x784x784/x_wt'."""
    return min(int(d) for d in args.split("/")[0].split("x"))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir")
    parser.add_argument("--plot", help="write GFLOP/s vs size of tapegrad and OpenBLAS here (PNG)")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args()

    gemm1, gemm2 = load(f"{args.dir}/gemm_t1.json"), load(f"{args.dir}/gemm_t2.json")
    kernels, torch = load(f"{args.dir}/kernels.json"), load(f"{args.dir}/pytorch.json")
    rows = []  # (target, measured, goal, met)

    def add(target, value, goal, met, fmt="{:.3f}"):
        rows.append((target, fmt.format(value), goal, "yes" if met else "NO"))

    for doc, threads in ((gemm1, 1), (gemm2, 2)):
        for workload, size, ours, blas in sorted(pairs(doc, "tapegrad", "openblas", "GFLOP/s"), key=lambda p: p[1]):
            add(f"sgemm {size}, {threads} thread(s): tapegrad/OpenBLAS GFLOP/s", ours / blas, ">= 0.95",
                ours / blas >= 0.95)
    if gemm1 and gemm2:
        one, two = benchmarks(gemm1), benchmarks(gemm2)
        for name in sorted(one):
            m = re.match(r"^gemm/tapegrad/(.*)$", name)
            if m and name in two and gemm_n(m.group(1)) >= 512:
                speedup = one[name]["real_time"] / two[name]["real_time"]
                add(f"sgemm {m.group(1)}: speedup 1 -> 2 threads", speedup, ">= 1.8", speedup >= 1.8)
    for workload, n, ours, copy in pairs(kernels, "tapegrad", "memcpy", "GB/s"):
        add(f"{workload} ({n} floats): GB/s vs memcpy", ours / copy, ">= 0.9", ours / copy >= 0.9)
    if torch:
        train, best = torch["train_step"], torch["best_pytorch"]
        shape = torch["shape"]
        add(f"train step (depth {shape['depth']}, width {shape['width']}, batch {shape['batch']}): "
            f"tapegrad best / PyTorch best", torch["train_ratio"], "<= 0.5", torch["train_ratio"] <= 0.5)
        t1, t2 = train.get("tapegrad/threads=1"), train.get("tapegrad/threads=2")
        if t1 and t2:
            speedup = t1["ms_per_step"] / t2["ms_per_step"]
            add("train step: speedup 1 -> 2 threads", speedup, ">= 1.8", speedup >= 1.8)
            counts = (t1["allocations_per_step"], t2["allocations_per_step"])
            if all(isinstance(c, (int, float)) for c in counts):  # "n/a" where malloc can't be counted (ASan)
                allocations = max(counts)
                add("train step: heap allocations per step after warm-up", allocations, "0", allocations == 0, "{:.0f}")
            ours = train[torch["best_tapegrad"]]
            add("train step: peak RSS, tapegrad/PyTorch (MB ratio)", ours["peak_rss_mb"] / train[best]["peak_rss_mb"],
                "<= 1", ours["peak_rss_mb"] <= train[best]["peak_rss_mb"])
        tiny = torch["tiny_graph_us"]
        add("tiny graph: us per iteration (tapegrad)", tiny["tapegrad"], "<= 1", tiny["tapegrad"] <= 1.0)
        add("tiny graph: tapegrad/PyTorch-from-Python", tiny["tapegrad"] / tiny["pytorch"], "(info)", True, "{:.4f}")

    width = max((len(r[0]) for r in rows), default=10)
    if args.markdown:
        print("| target | measured | goal | met |\n|---|---:|---|---|")
        for r in rows:
            print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} |")
    else:
        print(f"{'target':{width}s}  {'measured':>9s}  {'goal':8s}  met")
        for r in rows:
            print(f"{r[0]:{width}s}  {r[1]:>9s}  {r[2]:8s}  {r[3]}")
    if torch:
        train = torch["train_step"]
        print(f"\ntrain step ms: " + ", ".join(f"{k} {v['ms_per_step']:.1f}" for k, v in train.items()))
        print(f"tiny graph us: tapegrad {torch['tiny_graph_us']['tapegrad']:.3f}, "
              f"PyTorch (Python) {torch['tiny_graph_us']['pytorch']:.3f}")

    if args.plot and (gemm1 or gemm2):
        plot(args.plot, gemm1, gemm2)


def plot(path, gemm1, gemm2):
    import matplotlib
    matplotlib.use("Agg")
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
    from save_png import save_png
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for doc, threads, style in ((gemm1, 1, "--"), (gemm2, 2, "-")):
        bench = benchmarks(doc)
        for library, color in (("tapegrad", "tab:blue"), ("openblas", "tab:orange")):
            points = sorted((int(m.group(1)), b["GFLOP/s"])
                            for name, b in bench.items()
                            if (m := re.match(rf"^gemm/{library}/(\d+)x\1x\1$", name)))
            if points:
                ax.plot(*zip(*points), style, marker="o", color=color, label=f"{library}, {threads} thread(s)")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("n (square n×n×n float32 product)")
    ax.set_ylabel("GFLOP/s")
    ax.set_title("sgemm: tapegrad vs OpenBLAS")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    save_png(fig, path, dpi=120)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
