#!/usr/bin/python3
"""Draws DIR/figure1.png from DIR/figure1.csv, which `figure1 --out DIR` writes.

Left: the training loss per epoch (log y), one curve per model and depth, SNN solid and BatchNorm
dashed, as in the paper's Figure 1. Right: validation accuracy per epoch (eval mode).

Run with Debian's /usr/bin/python3 (matplotlib): plot_figure1.py DIR
Exit status 3 when matplotlib is missing, so the caller can say so.
"""
import csv
import sys
from collections import defaultdict
from pathlib import Path

from save_png import save_png

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("plot_figure1.py: matplotlib is not installed for", sys.executable, file=sys.stderr)
    sys.exit(3)

MODEL_LABEL = {"snn": "SNN", "bn": "BatchNorm"}
MODEL_STYLE = {"snn": "-", "bn": "--"}
DEPTH_COLOURS = ["tab:red", "tab:blue", "tab:green", "tab:orange", "tab:purple", "tab:brown"]


def main(out_dir):
    out = Path(out_dir)
    with open(out / "figure1.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    curves = defaultdict(list)  # (model, depth) -> [(epoch, train_loss, valid_accuracy)]
    for r in rows:
        curves[(r["model"], int(r["depth"]))].append(
            (int(r["epoch"]), float(r["train_loss"]), float(r["valid_accuracy"]))
        )
    depths = sorted({depth for _, depth in curves})
    colour = {d: DEPTH_COLOURS[i % len(DEPTH_COLOURS)] for i, d in enumerate(depths)}

    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(12, 4.8), gridspec_kw={"width_ratios": [3, 2]})
    for (model, depth), points in sorted(curves.items(), key=lambda kv: (kv[0][1], kv[0][0] != "snn")):
        points.sort()
        epochs = [p[0] for p in points]
        style = dict(color=colour[depth], linestyle=MODEL_STYLE.get(model, ":"), lw=1.6)
        label = f"{MODEL_LABEL.get(model, model)} {depth} layers"
        ax_loss.plot(epochs, [p[1] for p in points], label=label, **style)
        ax_acc.plot(epochs, [p[2] for p in points], label=label, **style)

    ax_loss.set_yscale("log")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("training loss (training mode, mean cross-entropy)")
    ax_loss.set_title("Fashion-MNIST: training loss")
    ax_loss.grid(True, which="both", alpha=0.3)
    ax_loss.legend(fontsize=8, ncol=2)
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("validation accuracy (eval mode)")
    ax_acc.set_title("validation accuracy")
    ax_acc.grid(True, alpha=0.3)
    fig.tight_layout()
    save_png(fig, out / "figure1.png", dpi=120)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1])
