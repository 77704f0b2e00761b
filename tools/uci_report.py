#!/usr/bin/env python3
"""The report of a uci_benchmark run (docs/uci.md): ranks, significance tests, depths, SVC and
RandomForest on the same splits, a markdown table beside the paper's figures, and a plot.

Usage: tools/uci_report.py OUT [--md FILE] [--png FILE] [--no-sklearn] [--trees N]

OUT is a uci_benchmark --out folder. It reads OUT/results.json (a finished run) or, failing that,
OUT/results.jsonl (a partial one: only tasks with every method's every fold are ranked), and
OUT/splits/<task>.npz for scikit-learn. Writes OUT/report.md and OUT/report.png (or --md/--png),
each atomically (a temporary file in the same folder, fsync'ed, then renamed).

- Per task a method's accuracy is the mean over the folds of the selected model's test accuracy;
  a fold whose every run diverged counts as accuracy 0.
- Ranks: the methods are ranked per task (1 = best, ties share their mean rank); the paper's
  metric is the average rank minus the average rank of a random ranking, (m + 1) / 2 = 4 for m = 7.
- Wilcoxon: scipy.stats.wilcoxon of each method's per-task accuracies against those of the method
  with the best average rank (paired by task, two-sided; tasks with equal accuracy are dropped, the
  'wilcox' zero method).
- SVC (rbf; C in {0.1, 1, 10, 100}, gamma in {'scale', 0.01, 0.1}) and RandomForest (--trees, 200 by default;
  max_features in {'sqrt', 0.5}, min_samples_leaf in {1, 3}) are fitted on each fold's fit part,
  chosen on its validation part and scored once on its test part, with the features the benchmark
  encoded — the very splits the networks saw.
"""
import argparse
import json
import math
import os
import pathlib
import sys
import tempfile

import numpy as np

# The paper's Table 1 (left) and its selected depths (Klambauer et al. 2017; docs/paper.md §7).
PAPER_RANK_DIFF = {"snn": -0.756, "msra": -0.240, "layernorm": -0.198, "highway": 0.021,
                   "resnet": 0.273, "weightnorm": 0.397, "batchnorm": 0.504}
PAPER_DEPTH = {"snn": 10.8, "batchnorm": 6.0, "weightnorm": 3.8, "layernorm": 7.0, "highway": 5.9,
               "msra": 7.1, "resnet": 6.35}
NAMES = {"snn": "SNN", "msra": "MSRAinit", "batchnorm": "BatchNorm", "layernorm": "LayerNorm",
         "weightnorm": "WeightNorm", "highway": "Highway", "resnet": "ResNet", "svc": "SVC (rbf)",
         "rf": "RandomForest"}


def atomic_write(path, write):
    """write(file object) into a temporary file beside path, fsync, rename over path."""
    path = pathlib.Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".tmp.", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load(out):
    """(run record, task catalogue or None, job records) of a uci_benchmark folder."""
    finished = out / "results.json"
    if finished.exists():
        data = json.loads(finished.read_text())
        return data["run"], data["tasks"], data["results"], True
    run_path = out / "run.json"
    if not run_path.exists():
        sys.exit(f"uci_report: {out} holds no uci_benchmark run (no run.json)")
    run = json.loads(run_path.read_text())
    lines = []
    log = out / "results.jsonl"
    if log.exists():
        for line in log.read_text().splitlines():
            try:
                lines.append(json.loads(line))
            except json.JSONDecodeError:
                pass  # a torn final line
    return run, None, lines, False


def per_task_accuracy(run, lines):
    """{task: {method: mean test accuracy}} over tasks with every fold of every method, and the depths."""
    folds = run["folds"]
    acc, depth = {}, {m: [] for m in run["methods"]}
    for r in lines:
        acc.setdefault(r["task"], {}).setdefault(r["method"], {})[r["fold"]] = r["test_accuracy"] or 0.0
        if r["depth"] is not None:
            depth[r["method"]].append(r["depth"])
    complete = {}
    for task in run["tasks"]:
        got = acc.get(task, {})
        if all(len(got.get(m, {})) == folds for m in run["methods"]):
            complete[task] = {m: float(np.mean(list(got[m].values()))) for m in run["methods"]}
    return complete, depth


def sklearn_accuracy(out, tasks, folds, trees):
    """{task: {'svc': acc, 'rf': acc}}: mean over folds of the validation-chosen model's test accuracy."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.svm import SVC

    def choose(make, grid, d, k):
        best, best_score = None, -1.0
        x, y = d[f"fold{k}_x_fit"], d[f"fold{k}_y_fit"]
        for params in grid:
            model = make(**params).fit(x, y)
            score = model.score(d[f"fold{k}_x_valid"], d[f"fold{k}_y_valid"])
            if score > best_score:
                best, best_score = model, score
        return best.score(d[f"fold{k}_x_test"], d[f"fold{k}_y_test"])

    svc_grid = [{"C": c, "gamma": g} for c in (0.1, 1, 10, 100) for g in ("scale", 0.01, 0.1)]
    rf_grid = [{"max_features": f, "min_samples_leaf": leaf} for f in ("sqrt", 0.5) for leaf in (1, 3)]
    result = {}
    for task in tasks:
        d = np.load(out / "splits" / f"{task}.npz")
        svc = [choose(lambda **p: SVC(kernel="rbf", **p), svc_grid, d, k) for k in range(folds)]
        rf = [choose(lambda **p: RandomForestClassifier(n_estimators=trees, random_state=0, n_jobs=1, **p),
                     rf_grid, d, k) for k in range(folds)]
        result[task] = {"svc": float(np.mean(svc)), "rf": float(np.mean(rf))}
    return result


def ranks(acc, methods):
    """Per-task ranks (1 = highest accuracy, ties averaged): array [tasks, methods]."""
    from scipy.stats import rankdata
    table = np.array([[acc[t][m] for m in methods] for t in acc])
    return np.vstack([rankdata(-row) for row in table]), table


def wilcoxon_p(a, b):
    from scipy.stats import wilcoxon
    if np.all(a == b):
        return 1.0
    return float(wilcoxon(a, b, zero_method="wilcox", alternative="two-sided").pvalue)


def fmt(x, digits=3):
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:+.{digits}f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=pathlib.Path)
    parser.add_argument("--md", type=pathlib.Path)
    parser.add_argument("--png", type=pathlib.Path)
    parser.add_argument("--no-sklearn", action="store_true", help="skip SVC and RandomForest")
    parser.add_argument("--trees", type=int, default=200, help="RandomForest's trees (the tests use fewer)")
    args = parser.parse_args()
    out = args.out
    md_path, png_path = args.md or out / "report.md", args.png or out / "report.png"

    run, catalogue, lines, finished = load(out)
    methods = run["methods"]
    acc, depth = per_task_accuracy(run, lines)
    if len(acc) < 2:
        sys.exit(f"uci_report: {out}: {len(acc)} task(s) with every method's every fold; at least 2 are needed")
    tasks = list(acc)
    m = len(methods)
    r, table = ranks(acc, methods)
    mean_rank = r.mean(axis=0)
    diff = mean_rank - (m + 1) / 2
    best = int(np.argmin(mean_rank))
    p = [wilcoxon_p(table[:, j], table[:, best]) if j != best else None for j in range(m)]

    sk = None if args.no_sklearn else sklearn_accuracy(out, tasks, run["folds"], args.trees)
    md = [f"# uci_benchmark report: preset {run['preset']}, seed {run['seed']}", ""]
    if not finished:
        md += [f"**Partial run**: {len(tasks)} of {len(run['tasks'])} tasks complete.", ""]
    md += [f"{len(tasks)} tasks, {m} methods, {run['folds']} stratified folds; accuracy = mean test accuracy "
           f"over the folds of the model chosen on each fold's validation part. Rank difference = average rank "
           f"− {(m + 1) / 2:g} (the paper's Table 1 metric). Wilcoxon: paired over tasks against "
           f"{NAMES.get(methods[best], methods[best])}, the best average rank.", ""]
    md += ["| method | rank diff. (ours) | rank diff. (paper) | Wilcoxon p vs best | mean accuracy | "
           "avg. depth (ours) | avg. depth (paper) |", "|---|---:|---:|---:|---:|---:|---:|"]
    order = np.argsort(mean_rank)
    for j in order:
        meth = methods[j]
        d = float(np.mean(depth[meth])) if depth[meth] else float("nan")
        md.append(f"| {NAMES.get(meth, meth)} | {diff[j]:+.3f} | {fmt(PAPER_RANK_DIFF.get(meth))} | "
                  f"{'(best)' if p[j] is None else f'{p[j]:.3g}'} | {table[:, j].mean():.4f} | {d:.2f} | "
                  f"{PAPER_DEPTH.get(meth, float('nan')):.2f} |")
    md.append("")
    md.append("Depth: hidden layers, highway layers, or residual blocks (ResNet), averaged over every "
              "task × fold with a selected model.")
    if sk is not None:
        all_methods = methods + ["svc", "rf"]
        full = {t: {**acc[t], **sk[t]} for t in tasks}
        r2, table2 = ranks(full, all_methods)
        mean2 = r2.mean(axis=0)
        k = len(all_methods)
        best2 = int(np.argmin(mean2))
        md += ["", f"With scikit-learn's SVC and RandomForest on the same splits ({k} methods, rank difference "
               f"to {(k + 1) / 2:g}; Wilcoxon against {NAMES[all_methods[best2]]}):", "",
               "| method | rank diff. | Wilcoxon p vs best | mean accuracy |", "|---|---:|---:|---:|"]
        for j in np.argsort(mean2):
            pv = "(best)" if j == best2 else f"{wilcoxon_p(table2[:, j], table2[:, best2]):.3g}"
            md.append(f"| {NAMES[all_methods[j]]} | {mean2[j] - (k + 1) / 2:+.3f} | {pv} | {table2[:, j].mean():.4f} |")
    md += ["", "Per task (mean test accuracy over the folds; rank of SNN among the seven):", ""]
    head = methods + (["svc", "rf"] if sk is not None else [])
    md.append("| task | n | d | classes | " + " | ".join(NAMES.get(x, x) for x in head) + " | SNN rank |")
    md.append("|---|---:|---:|---:|" + "---:|" * (len(head) + 1))
    info = {c["task"]: c for c in (catalogue or [])}
    snn = methods.index("snn") if "snn" in methods else None
    for i, t in enumerate(tasks):
        c = info.get(t, {})
        cells = [f"{acc[t][x]:.3f}" if x in acc[t] else f"{sk[t][x]:.3f}" for x in head]
        md.append(f"| {t} | {c.get('samples', '')} | {c.get('features', '')} | {c.get('classes', '')} | "
                  + " | ".join(cells) + f" | {'' if snn is None else f'{r[i, snn]:g}'} |")
    text = "\n".join(md) + "\n"
    atomic_write(md_path, lambda f: f.write(text.encode()))

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("uci_report: matplotlib is not installed; no plot", file=sys.stderr)
        print(text)
        return 0
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
    labels = [NAMES.get(methods[j], methods[j]) for j in order]
    a1.boxplot([r[:, j] for j in order], vert=True, showmeans=True)
    a1.set_xticks(range(1, m + 1), labels, rotation=35, ha="right")
    a1.axhline((m + 1) / 2, color="grey", lw=0.8, ls="--")
    a1.set_ylabel("rank per task (1 = best)")
    a1.set_title(f"Rank distribution over {len(tasks)} tasks")
    if snn is not None:
        lo = max(0.0, table.min() - 0.02)
        for j in range(m):
            if j != snn:
                a2.scatter(table[:, snn], table[:, j], s=14, label=NAMES.get(methods[j], methods[j]))
        a2.plot([lo, 1], [lo, 1], color="grey", lw=0.8)
        a2.set_xlabel("SNN test accuracy")
        a2.set_ylabel("other method's test accuracy")
        a2.set_title("Per task: below the diagonal, SNN is better")
        a2.legend(fontsize=7)
    fig.tight_layout()
    atomic_write(png_path, lambda f: fig.savefig(f, format="png", dpi=80))
    print(text)
    print(f"uci_report: {md_path}, {png_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
