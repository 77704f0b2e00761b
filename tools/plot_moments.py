#!/usr/bin/python3
"""Draws DIR/moment_map.png from the CSVs that `moments plot --out DIR` writes.

Left: the moment map g as a vector field over (mu, nu) -- arrows from (mu, nu) towards g(mu, nu) --
with iterate trajectories converging to the fixed point (0, 1). Right: the variance of a deep random
SELU net per layer for three weight inits (log scale).

Run with Debian's /usr/bin/python3 (numpy + matplotlib): plot_moments.py DIR
"""
import csv
import sys
from collections import defaultdict
from pathlib import Path

from save_png import save_png  # noqa: E402

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def main(out_dir):
    out = Path(out_dir)
    field = np.array([[float(r[k]) for k in ("mu", "nu", "mu_tilde", "nu_tilde")] for r in read_csv(out / "field.csv")])
    trajectories = defaultdict(list)
    for r in read_csv(out / "trajectories.csv"):
        trajectories[int(r["trajectory"])].append((float(r["mu"]), float(r["nu"])))
    deep = defaultdict(list)
    for r in read_csv(out / "deep.csv"):
        deep[r["init"]].append((int(r["layer"]), float(r["var"])))

    fig, (ax_map, ax_deep) = plt.subplots(1, 2, figsize=(12, 5.2))

    mu, nu, mu_t, nu_t = field.T
    d_mu, d_nu = mu_t - mu, nu_t - nu
    length = np.hypot(d_mu, d_nu)
    ax_map.quiver(mu, nu, d_mu, d_nu, length, cmap="viridis", angles="xy", scale_units="xy", scale=6, width=0.003)
    for points in trajectories.values():
        p = np.array(points)
        ax_map.plot(p[:, 0], p[:, 1], "-o", color="tab:red", ms=2.5, lw=1)
        ax_map.plot(p[0, 0], p[0, 1], "s", color="tab:red", ms=5)
    ax_map.plot(0, 1, "*", color="black", ms=14, label="fixed point (0, 1)")
    ax_map.set_xlabel(r"mean $\mu$")
    ax_map.set_ylabel(r"variance $\nu$")
    ax_map.set_title(r"$g:(\mu,\nu)\mapsto(\tilde\mu,\tilde\nu)$, arrows $(g - \mathrm{id})/6$, $\omega=0$, $\tau=1$")
    ax_map.legend(loc="upper left")

    styles = {"lecun": ("tab:blue", r"LeCun $N(0, 1/n)$"), "gain0.75": ("tab:orange", r"gain 3/4: $N(0, (3/4)^2/n)$"),
              "he": ("tab:green", r"He $N(0, 2/n)$")}
    for init, rows in deep.items():
        layers, variances = np.array(rows).T
        color, label = styles.get(init, (None, init))
        ax_deep.semilogy(layers, variances, "-", color=color, label=label)
    ax_deep.axhline(1.0, color="gray", ls="--", lw=0.8)
    ax_deep.set_xlabel("layer")
    ax_deep.set_ylabel("variance of activations")
    ax_deep.set_title("deep random SELU net, inputs mean 1, variance 9")
    ax_deep.legend()

    fig.tight_layout()
    save_png(fig, out / "moment_map.png", dpi=120)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: plot_moments.py DIR")
    main(sys.argv[1])
