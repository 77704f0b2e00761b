#!/usr/bin/python3
"""Draws a MomentTracer CSV (nn/moment_tracer.h): per-layer moments over training, one column per run.

    /usr/bin/python3 tools/plot_trace.py TRACE.csv OUT.png

Rows of panels: the variance and the mean of each block's output (the module that feeds the next
Linear: SELU in an SNN, BatchNorm1d in a BN net), with Theorem 1's band shaded; the fraction of
units whose own (mean, variance) lies outside that band; and the gradient norm at each block's
output. Colour runs from the first block (dark) to the last (yellow).
Exit status 3 when matplotlib is missing, so the caller can say so.
"""
import csv
import math
import sys

from save_png import save_png

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter
except ImportError:
    print("plot_trace.py: matplotlib is not installed for", sys.executable, file=sys.stderr)
    sys.exit(3)

MU_BAND = (-0.1, 0.1)
NU_BAND = (0.8, 1.5)


def number(text):
    return float(text) if text else math.nan


def load(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        sys.exit(f"plot_trace: {path} has no rows")
    runs = {}
    for r in rows:
        runs.setdefault(r["run"], []).append(r)
    return runs


def block_outputs(rows):
    """Layers whose output feeds a Linear (every Linear but the first), in model order."""
    first_step = rows[0]["step"]
    order = [(r["layer"], r["type"]) for r in rows if r["step"] == first_step]
    return [order[i - 1][0] for i, (_, kind) in enumerate(order) if kind == "Linear" and i > 0]


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: plot_trace.py TRACE.csv OUT.png")
    runs = load(sys.argv[1])
    panels = [("var", "variance of block output", True, NU_BAND),
              ("mean", "mean of block output", False, MU_BAND),
              ("outside", "fraction of units outside Ω", False, None),
              ("grad_norm", "‖∂loss/∂output‖", True, None)]
    fig, axes = plt.subplots(len(panels), len(runs), figsize=(4.6 * len(runs), 2.6 * len(panels)),
                             sharex="col", sharey="row", squeeze=False)
    cmap = plt.get_cmap("viridis")
    for col, (run, rows) in enumerate(runs.items()):
        layers = block_outputs(rows)
        for k, layer in enumerate(layers):
            mine = [r for r in rows if r["layer"] == layer]
            steps = [int(r["step"]) for r in mine]
            colour = cmap(k / max(1, len(layers) - 1))
            for row, (key, _, _, _) in enumerate(panels):
                axes[row][col].plot(steps, [number(r[key]) for r in mine], color=colour, linewidth=1.0,
                                    label=f"{layer} ({mine[0]['type']})" if k in (0, len(layers) - 1) else None)
        axes[0][col].set_title(f"{run}: {len(layers)} blocks")
        for row, (_, label, log, band) in enumerate(panels):
            ax = axes[row][col]
            if band:
                ax.axhspan(*band, color="tab:green", alpha=0.12, linewidth=0)
            if log:
                ax.set_yscale("log")
            if col == 0:
                ax.set_ylabel(label)
            ax.grid(True, alpha=0.3)
        axes[0][col].legend(fontsize=7, loc="best")
        axes[-1][col].set_xlabel("training step")
    # Plain numbers on the log axes. Minor ticks get labels too, as many as the span leaves room for:
    # all of them within a decade, 2 and 5 within three decades, none beyond.
    for row, (_, _, log, _) in enumerate(panels):
        if not log:
            continue
        ax = axes[row][0]
        low, high = ax.get_ylim()
        decades = math.log10(high / low)
        shown = set(range(1, 10)) if decades < 1 else {2, 5} if decades < 3 else set()

        def minor(v, _, shown=shown):
            lead = round(v / 10 ** math.floor(math.log10(v))) if v > 0 else 0
            return f"{v:g}" if lead in shown else ""

        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_formatter(FuncFormatter(minor))
        ax.tick_params(axis="y", which="minor", labelsize=7)
    fig.suptitle("MomentTracer: per-layer moments over training (green: Theorem 1's Ω)")
    fig.tight_layout()
    save_png(fig, sys.argv[2], dpi=110)


if __name__ == "__main__":
    main()
