#!/usr/bin/env python3
"""Does PyTorch diverge where uci_benchmark's SNNs diverge? (docs/uci.md, "Diverged runs")

Trains uci_benchmark's SNN (Linear with LeCun-normal weights and zero biases -> SELU, repeated, then a
Linear output layer; no dropout) in PyTorch on the fit parts of a benchmark run's exported splits, with
the benchmark's protocol: plain SGD, batches of 64 reshuffled every epoch, mean cross-entropy, up to
30 epochs. A run diverges when a batch's loss is NaN or infinite, as in the benchmark. Prints, per
task, how many of the (folds x seeds) runs diverged.

    /usr/bin/python3 tools/uci_torch_divergence.py runs/uci_quick --tasks iris,wine --lr 0.1 --layers 8

Needs Debian's python3-torch and python3-numpy; PyTorch is a yardstick here, not a dependency.
"""
import argparse
import pathlib
import sys

import numpy as np
import torch


def snn(features, classes, layers, units):
    mods, width = [], features
    for _ in range(layers):
        lin = torch.nn.Linear(width, units)
        torch.nn.init.normal_(lin.weight, 0.0, 1.0 / np.sqrt(width))  # LeCun normal
        torch.nn.init.zeros_(lin.bias)
        mods += [lin, torch.nn.SELU()]
        width = units
    out = torch.nn.Linear(width, classes)
    torch.nn.init.normal_(out.weight, 0.0, 1.0 / np.sqrt(width))
    torch.nn.init.zeros_(out.bias)
    return torch.nn.Sequential(*mods, out)


def diverges(x, y, classes, args, seed):
    torch.manual_seed(seed)
    net = snn(x.shape[1], classes, args.layers, args.units)
    opt = torch.optim.SGD(net.parameters(), lr=args.lr)
    for _ in range(args.epochs):
        perm = torch.randperm(len(x))
        for i in range(0, len(x), 64):
            rows = perm[i:i + 64]
            loss = torch.nn.functional.cross_entropy(net(x[rows]), y[rows])
            if not torch.isfinite(loss):
                return True
            opt.zero_grad()
            loss.backward()
            opt.step()
    return False


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run", type=pathlib.Path, help="a uci_benchmark --out folder (its splits/ are used)")
    p.add_argument("--tasks", required=True, help="comma-separated task names")
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--layers", type=int, default=8)
    p.add_argument("--units", type=int, default=256)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--seeds", type=int, default=5, help="runs per fold")
    args = p.parse_args()
    torch.set_num_threads(1)
    total = [0, 0]
    for task in args.tasks.split(","):
        path = args.run / "splits" / f"{task}.npz"
        if not path.exists():
            sys.exit(f"uci_torch_divergence: {path} does not exist (run uci_benchmark with --tasks {task} first)")
        z = np.load(path)
        classes = int(max(z[f"fold{k}_{part}"].max() for k in range(4) for part in ("y_fit", "y_valid", "y_test"))) + 1
        count = 0
        for k in range(4):
            x = torch.tensor(z[f"fold{k}_x_fit"], dtype=torch.float32)
            y = torch.tensor(z[f"fold{k}_y_fit"]).long()
            count += sum(diverges(x, y, classes, args, 1000 * k + s) for s in range(args.seeds))
        runs = 4 * args.seeds
        total[0] += count
        total[1] += runs
        print(f"{task}: {count}/{runs} runs diverged (snn-l{args.layers}-u{args.units}, lr {args.lr})", flush=True)
    print(f"all: {total[0]}/{total[1]} runs diverged")


if __name__ == "__main__":
    main()
