#!/usr/bin/python3
"""One table of every performance target of docs/benchmarks.md, from one or two run folders of
`make bench` (bench/run_bench.py), side by side.

    /usr/bin/python3 bench/summary.py build/bench/latest
    /usr/bin/python3 bench/summary.py build/bench/<run A> build/bench/<run B> [--markdown] [--plot gemm.png]

Each row: the target, the instruction sets it compared (tapegrad's kernels, and the yardstick's),
the measured ratio of each run, the goal, and whether each run met it (yes / NO; "-" for rows
shown for information). A file missing from a run leaves its rows empty for that run.
"""
import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

KERNEL_GOALS = {  # workload -> minimum GB/s ratio to memcpy; None: shown for information
    "alpha_dropout_forward": 0.5,
    "selu_backward": 0.9,
    "alpha_dropout_backward": 0.9,
    "selu_forward": None,
    "batch_norm_forward": None,
    "batch_norm_backward": None,
}
GEMM_GOAL, SPEEDUP_GOAL, FUSED_GOAL, BUSY_GOAL = 0.95, 1.85, 1.05, 1.1
TRAIN_GOAL = {"avx512": 0.5, "avx2": 0.8}  # tapegrad / best yardstick, by tapegrad's instruction set


def load(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def benchmarks(doc):
    """name -> entry of a Google Benchmark JSON document, in run order: the median over repetitions
    when repeated (--benchmark_repetitions), else the single run."""
    out = {}
    for b in (doc or {}).get("benchmarks", []):
        name = b.get("run_name", b["name"])
        name = name[: -len("/real_time")] if name.endswith("/real_time") else name
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                out[name] = b
        else:
            out.setdefault(name, b)
    return out


class Rows:
    """Rows keyed by (target, isa), in the order first seen; values per run."""

    def __init__(self, runs):
        self.runs = runs
        self.order, self.goal, self.values = [], {}, {}

    def add(self, run, target, isa, value, goal_text, met, fmt="{:.3f}"):
        key = (target, isa)
        if key not in self.goal:
            self.order.append(key)
            self.goal[key] = goal_text
        self.values[(key, run)] = (fmt.format(value), "-" if met is None else ("yes" if met else "NO"))


def plural(count):
    return "" if str(count) == "1" else "s"


def at_least(goal):
    return lambda v: v >= goal


def at_most(goal):
    return lambda v: v <= goal


def add_ratio(rows, run, target, isa, value, goal, better):
    """A ratio row with goal `goal` (None: information), met when better(value)."""
    rows.add(run, target, isa, value, "(info)" if goal is None else f"{'>=' if better is at_least else '<='} {goal}",
             None if goal is None else better(goal)(value))


def pairs(bench, pattern, partner):
    """(match, entry, partner's entry) for each benchmark whose name matches `pattern` and whose
    partner, the benchmark named partner(match), ran too."""
    for name, entry in bench.items():
        m = re.match(pattern, name)
        other = bench.get(partner(m)) if m else None
        if other:
            yield m, entry, other


def gemm_rows(rows, run, doc):
    context = doc.get("context", {})
    core = context.get("openblas_core", "?")
    isa = context.get("tapegrad_isa", "?")
    label = f"{isa} vs OpenBLAS {core}"
    if harness.openblas_isa(core) != isa:
        label += " (unmatched!)"
    bench = benchmarks(doc)
    for t in ("1", "2"):
        for m, ours, theirs in pairs(bench, rf"^gemm/tapegrad/(.*)/t{t}$", lambda m: f"gemm/openblas/{m[1]}/t{t}"):
            add_ratio(rows, run, f"sgemm {m[1]}, {t} thread{plural(t)}: GFLOP/s / OpenBLAS's", label,
                      ours["GFLOP/s"] / theirs["GFLOP/s"], GEMM_GOAL, at_least)
    squares = pairs(bench, r"^gemm/tapegrad/(\d+)x\1x\1/t1$", lambda m: f"gemm/tapegrad/{m[1]}x{m[1]}x{m[1]}/t2")
    for m, one, two in squares:
        if int(m[1]) >= 512:
            add_ratio(rows, run, f"sgemm {m[1]}^3: speed-up 1 -> 2 threads", isa,
                      one["real_time"] / two["real_time"], SPEEDUP_GOAL, at_least)
    for partner, what, goal in (("gemm", "time fused / GEMM alone", FUSED_GOAL),
                                ("unfused", "time fused / unfused", None)):
        for m, fused, other in pairs(bench, r"^linear_selu/fused/(.*)/t(\d)$",
                                     lambda m: f"linear_selu/{partner}/{m[1]}/t{m[2]}"):
            add_ratio(rows, run, f"linear+SELU {m[1]}, {m[2]} thread{plural(m[2])}: {what}", isa,
                      fused["real_time"] / other["real_time"], goal, at_most)


def kernel_rows(rows, run, doc):
    isa = doc.get("context", {}).get("tapegrad_isa", "?")
    bench = benchmarks(doc)
    for workload, goal in KERNEL_GOALS.items():
        for m, ours, copy in pairs(bench, rf"^{workload}/tapegrad/(\d+)$", lambda m: f"{workload}/memcpy/{m[1]}"):
            add_ratio(rows, run, f"{workload} ({int(m[1]) >> 20}M floats): GB/s vs memcpy", isa,
                      ours["GB/s"] / copy["GB/s"], goal, at_least)


def train_rows(rows, run, doc):
    train, shape = doc["train_step"], doc["shape"]
    step = f"train step {shape['depth']}x{shape['width']}, batch {shape['batch']}"

    def describe(name):
        v = train[name]
        return f"{v['side']} (torch {v['threads']}, OpenBLAS {v['openblas_threads']} threads, {v['openblas_core']})"

    for isa, ours in doc["best_tapegrad"].items():
        yard = doc["best_yardstick"] if isa == "avx512" else doc["best_yardstick_avx2"]
        if not ours or not yard:
            continue
        add_ratio(rows, run, f"{step}: time / best of PyTorch, libtorch", f"{isa} vs {describe(yard)}",
                  train[ours]["ms_per_step"] / train[yard]["ms_per_step"], TRAIN_GOAL.get(isa), at_most)
        one, two = train.get(f"tapegrad/isa={isa},threads=1"), train.get(f"tapegrad/isa={isa},threads=2")
        if one and two:
            add_ratio(rows, run, f"{step}: speed-up 1 -> 2 threads", isa,
                      one["ms_per_step"] / two["ms_per_step"], SPEEDUP_GOAL, at_least)
    ours = [v for v in train.values() if v["side"] == "tapegrad"]
    counts = [v["allocations_per_step"] for v in ours]
    if counts and all(isinstance(c, (int, float)) for c in counts):  # "n/a" where malloc can't be counted (ASan)
        rows.add(run, "train step: heap allocations per step after warm-up, any setting", "all",
                 max(counts), "0", max(counts) == 0, "{:.0f}")
    native = doc["best_tapegrad"].get(doc["isas"][0])
    for side in ("pytorch", "libtorch"):
        theirs = doc.get(f"best_{side}")
        if native and theirs:
            add_ratio(rows, run, f"train step: peak RSS, tapegrad / {'PyTorch' if side == 'pytorch' else 'libtorch'}",
                      doc["isas"][0], train[native]["peak_rss_mb"] / train[theirs]["peak_rss_mb"],
                      1 if side == "pytorch" else None, at_most)
    tiny = doc["tiny_graph_us"]
    rows.add(run, "tiny graph: us per iteration (tapegrad)", doc["tiny_graph_isa"], tiny["tapegrad"], "<= 1",
             tiny["tapegrad"] <= 1.0)
    add_ratio(rows, run, "tiny graph: time tapegrad / PyTorch from Python", doc["tiny_graph_isa"],
              tiny["tapegrad"] / tiny["pytorch"], None, at_most)


def small_net_rows(rows, run, doc):
    isa = doc["isa"].split()[0]
    default = f"{int(doc['default_threads'])}"
    for name, d in doc["datasets"].items():
        for condition, goal in (("busy", BUSY_GOAL), ("unloaded", None)):
            what = f"core {doc['busy_core']} busy" if condition == "busy" else "no busy loop"
            add_ratio(rows, run, f"small nets {name}, {what}: time {default} threads (default) / 1", isa,
                      d[f"{condition}_threads=default_seconds"] / d[f"{condition}_threads=1_seconds"], goal, at_most)
    same = all(len(d["losses"]) == 1 for d in doc["datasets"].values())
    rows.add(run, "small nets: last-epoch loss, distinct values over all runs", isa,
             sum(len(d["losses"]) for d in doc["datasets"].values()), "1 per dataset", same, "{:.0f} values")


def dist_rows(rows, run, doc):
    isa = doc["isa"].split()[0]
    d = doc["settings"]
    two, one, threads2 = d["R=2 threads=1 overlap"], d["R=1 threads=1"], d["R=1 threads=2"]
    flat = d["R=2 threads=1 no-overlap"]
    step = "data-parallel step (train step's shape)"
    add_ratio(rows, run, f"{step}: time 2 ranks x 1 thread / 1 process x 2 threads", isa,
              two["ms_per_step"] / threads2["ms_per_step"], None, at_most)
    add_ratio(rows, run, f"{step}: speed-up 1 -> 2 ranks (1 thread each)", isa,
              one["ms_per_step"] / two["ms_per_step"], None, at_least)
    add_ratio(rows, run, f"{step}: time with overlap / without", isa, two["ms_per_step"] / flat["ms_per_step"],
              None, at_most)
    rows.add(run, f"{step}: ms waiting for the gradient exchange, overlap", isa, two["allreduce_ms"], "(info)", None)
    rows.add(run, f"{step}: ms waiting for the gradient exchange, no overlap", isa, flat["allreduce_ms"], "(info)",
             None)
    rows.add(run, f"{step}: MB sent per rank per step", isa, two["bytes_sent_per_step"] / 1e6, "(info)", None,
             "{:.2f}")
    losses = {loss for v in d.values() for loss in v["losses"]}
    rows.add(run, f"{step}: last loss, distinct values over all settings", isa, len(losses), "1", len(losses) == 1,
             "{:.0f} values")


def run_rows(rows, run, path):
    for isa in ("avx512", "avx2", "sse2"):
        doc = load(os.path.join(path, f"gemm_{isa}.json"))
        if doc:
            gemm_rows(rows, run, doc)
    for isa in ("avx512", "avx2", "sse2"):
        doc = load(os.path.join(path, f"kernels_{isa}.json"))
        if doc:
            kernel_rows(rows, run, doc)
    doc = load(os.path.join(path, "train.json"))
    if doc:
        train_rows(rows, run, doc)
    doc = load(os.path.join(path, "small_nets.json"))
    if doc:
        small_net_rows(rows, run, doc)
    doc = load(os.path.join(path, "dist.json"))
    if doc:
        dist_rows(rows, run, doc)


def describe_run(path):
    m = load(os.path.join(path, "machine.json")) or {}
    load_avg = lambda k: "/".join(f"{x:.1f}" for x in m[k]) if k in m else "?"  # noqa: E731
    return (f"{os.path.realpath(path)}: {m.get('date_utc', '?')}, {m.get('cpu', '?')} ({m.get('cores', '?')} cores, "
            f"AVX-512 {'yes' if m.get('cpu_avx512') else 'no'}), tapegrad isa {m.get('tapegrad_isa', '?')}, "
            f"measured under {', '.join(m.get('isa_passes', []))}; load {load_avg('load_before')} before, "
            f"{load_avg('load_after')} after; {m.get('minutes', '?')} min; commit {m.get('commit', '?')}"
            f"{' with uncommitted changes' if m.get('uncommitted_changes') else ''}")


def details(path):
    """Absolute figures behind the ratios of one run."""
    lines = []
    train = load(os.path.join(path, "train.json"))
    if train:
        lines.append("train step, ms (median of rounds), fastest first:")
        for n, v in sorted(train["train_step"].items(), key=lambda kv: kv[1]["ms_per_step"]):
            blas = f" (OpenBLAS ran {v['openblas_core']})" if "openblas_core" in v else ""
            lines.append(f"  {v['ms_per_step']:8.2f}  {n}{blas}")
        lines.append(f"tiny graph us: tapegrad {train['tiny_graph_us']['tapegrad']:.3f}, "
                     f"PyTorch (Python) {train['tiny_graph_us']['pytorch']:.3f}")
    nets = load(os.path.join(path, "small_nets.json"))
    if nets:
        for name, d in nets["datasets"].items():
            lines.append(f"small nets {name} s: " + ", ".join(
                f"{k[: -len('_seconds')]} {v:.3f}" for k, v in d.items() if k.endswith("_seconds")) +
                f"; test accuracy {d['test_accuracy']:.3f}")
    dist = load(os.path.join(path, "dist.json"))
    if dist:
        for name, v in dist["settings"].items():
            lines.append(f"dist_step {name}: {v['ms_per_step']:.2f} ms per step (rounds "
                         f"{', '.join(f'{x:.2f}' for x in v['ms_per_step_rounds'])}), exchange {v['allreduce_ms']:.2f} ms")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", help="one or two run folders (build/bench/<date-time>)")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--plot", help="write GFLOP/s vs n of tapegrad and OpenBLAS (the first run) here, PNG")
    args = parser.parse_args()
    if len(args.runs) > 2:
        sys.exit("summary: give one or two run folders")
    for path in args.runs:
        if not os.path.isdir(path):
            sys.exit(f"summary: {path} is not a folder (a run of bench/run_bench.py)")

    names = ["A", "B"][: len(args.runs)]
    rows = Rows(names)
    for name, path in zip(names, args.runs):
        run_rows(rows, name, path)
        print(f"run {name}: {describe_run(path)}")
    print()

    header = ["target", "isa", *(f"run {n}" for n in names), "goal", *(f"met {n}" for n in names)]
    table = []
    for key in rows.order:
        cells = [rows.values.get((key, n), ("", "")) for n in names]
        table.append([key[0], key[1], *(c[0] for c in cells), rows.goal[key], *(c[1] for c in cells)])
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|---|---|" + "---:|" * len(names) + "---|" + "---|" * len(names))
        for r in table:
            print("| " + " | ".join(r) + " |")
    else:
        widths = [max(len(str(r[i])) for r in [header, *table]) for i in range(len(header))]
        for r in [header, *table]:
            print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
    for name in names:
        met = [rows.values[(key, name)][1] for key in rows.order if (key, name) in rows.values]
        print(f"run {name}: {met.count('yes')} of {met.count('yes') + met.count('NO')} goals met")
    for name, path in zip(names, args.runs):
        print(f"\nrun {name}:")
        for line in details(path):
            print(f"  {line}")
    if args.plot:
        plot(args.plot, args.runs[0])


def plot(path, run_dir):
    import matplotlib
    matplotlib.use("Agg")
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
    from save_png import save_png
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4.2))
    colors = {"tapegrad": "tab:blue", "openblas": "tab:orange"}
    for isa, marker in (("avx512", "o"), ("avx2", "s")):
        bench = benchmarks(load(os.path.join(run_dir, f"gemm_{isa}.json")))
        for library, color in colors.items():
            for threads, style in (("1", "--"), ("2", "-")):
                points = sorted((int(m.group(1)), b["GFLOP/s"]) for name, b in bench.items()
                                if (m := re.match(rf"^gemm/{library}/(\d+)x\1x\1/t{threads}$", name)))
                if points:
                    ax.plot(*zip(*points), style, marker=marker, color=color,
                            label=f"{library} ({isa} pass), {threads} thread(s)")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("n (square n×n×n float32 product)")
    ax.set_ylabel("GFLOP/s")
    ax.set_title("sgemm: tapegrad vs OpenBLAS, same instruction set")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    save_png(fig, path, dpi=120)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
