#!/usr/bin/env python3
"""uci_benchmark end to end on a smoke preset (CTest uci_benchmark and uci_report).

Usage: test_uci_benchmark.py PROGRAM SOURCE_DIR [report]

Without `report`: 2 tasks (weka's iris and glass, read where Debian puts them) x 7 methods x 4 folds
- the output files hold what docs/uci.md says (run.json, 56 job lines, results.json, splits);
- --jobs 1 under OMP_NUM_THREADS=2 and --jobs 2 under OMP_NUM_THREADS=1 give the same results.json;
- a run stopped after 10 jobs, with a torn line appended as a kill would leave it, then resumed,
  gives the same results.json as an uninterrupted run;
- other arguments on the same --out, and bad arguments, are clean errors naming the problem.
With `report`: tools/uci_report.py on the smoke output writes the table and the PNG (exit 77 =
skipped when /usr/bin/python3 lacks numpy, scipy, scikit-learn or matplotlib).
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import zipfile

PROGRAM, SOURCE = sys.argv[1], pathlib.Path(sys.argv[2])
REPORT = len(sys.argv) > 3 and sys.argv[3] == "report"
SMOKE = ["--preset", "smoke", "--tasks", "iris,glass"]
METHODS = ["snn", "msra", "batchnorm", "layernorm", "weightnorm", "highway", "resnet"]
failures = []


def run(args, threads="1", ok=True):
    env = dict(os.environ, OMP_NUM_THREADS=threads)
    p = subprocess.run([PROGRAM] + args, capture_output=True, text=True, env=env, timeout=300)
    if ok and p.returncode != 0:
        sys.exit(f"FAIL: {args} exited {p.returncode}: {p.stderr}")
    return p


def expect(condition, what):
    if not condition:
        failures.append(what)
        print("FAIL:", what)


def smoke(out, jobs, threads, extra=()):
    run(SMOKE + ["--out", str(out), "--jobs", str(jobs)] + list(extra), threads)
    return (out / "results.json").read_bytes()


def main():
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="uci_benchmark_test."))
    a = tmp / "a"
    reference = smoke(a, 2, "1")
    if REPORT:
        probe = subprocess.run(["/usr/bin/python3", "-c", "import numpy, scipy, sklearn, matplotlib"],
                               capture_output=True)
        if probe.returncode != 0:
            print("SKIP: /usr/bin/python3 lacks numpy, scipy, scikit-learn or matplotlib")
            return 77
        p = subprocess.run(["/usr/bin/python3", str(SOURCE / "tools/uci_report.py"), str(a), "--trees", "10"],
                           capture_output=True, text=True, timeout=600)
        expect(p.returncode == 0, f"uci_report.py failed: {p.stderr}")
        md = (a / "report.md").read_text() if (a / "report.md").exists() else ""
        for name in ["SNN", "MSRAinit", "BatchNorm", "LayerNorm", "WeightNorm", "Highway", "ResNet",
                     "SVC (rbf)", "RandomForest"]:
            expect(f"| {name} |" in md, f"report.md has no row for {name}")
        expect("-0.756" in md, "report.md shows the paper's SNN rank difference")
        expect("| iris | 150 | 4 | 3 |" in md and "| glass | 214 | 9 | 6 |" in md, "report.md lists both tasks")
        png = (a / "report.png").read_bytes() if (a / "report.png").exists() else b""
        expect(png.startswith(b"\x89PNG"), "report.png is a PNG")
        expect(not [f for f in os.listdir(a) if ".tmp." in f], "no temporary files left")
        return 1 if failures else 0

    # The files.
    record = json.loads((a / "run.json").read_text())
    expect(record["preset"] == "smoke" and record["tasks"] == ["iris", "glass"] and record["methods"] == METHODS
           and record["folds"] == 4, f"run.json records the run: {record}")
    lines = [json.loads(l) for l in (a / "results.jsonl").read_text().splitlines()]
    expect(len(lines) == 56, f"56 job lines, not {len(lines)}")
    keys = {(l["task"], l["method"], l["fold"]) for l in lines}
    expect(keys == {(t, m, k) for t in ["iris", "glass"] for m in METHODS for k in range(4)}, "every job once")
    for l in lines:
        expect(l["runs"] == 2 and len(l["trials"]) == 2, f"two runs a job: {l['task']}/{l['method']}")
        if l["spec"] is not None:
            expect(l["spec"].startswith(l["method"] + "-l2-u16-"), f"selected spec names its method: {l['spec']}")
            expect(0 <= l["test_accuracy"] <= 1 and 0 <= l["valid_accuracy"] <= 1, "accuracies in [0, 1]")
            expect(l["lr"] in (0.01, 0.1) and l["depth"] == 2 and 1 <= l["epochs"] <= 3, f"selection fields {l}")
            best = max(t.get("valid_score", -1) for t in l["trials"])
            expect(l["valid_score"] == best, "the selected run has the best validation score")
        else:
            expect(all(t.get("diverged") for t in l["trials"]), "no selection only when every run diverged")
    summary = json.loads(reference)
    expect(len(summary["results"]) == 56 and all("seconds" not in r for r in summary["results"]),
           "results.json: 56 records without timings")
    expect([t["task"] for t in summary["tasks"]] == ["iris", "glass"] and summary["tasks"][0]["samples"] == 150,
           "results.json: the tasks")
    iris_acc = [r["test_accuracy"] for r in summary["results"] if r["task"] == "iris" and r["test_accuracy"]]
    expect(max(iris_acc) > 0.5, f"something learns iris (chance 1/3): {max(iris_acc)}")
    with zipfile.ZipFile(a / "splits" / "iris.npz") as z:
        names = set(z.namelist())
    for k in range(4):
        for part in ["fit_rows", "valid_rows", "test_rows", "x_fit", "y_fit", "x_valid", "y_valid", "x_test", "y_test"]:
            expect(f"fold{k}_{part}.npy" in names, f"splits/iris.npz has fold{k}_{part}")

    # Same bits whatever --jobs and OMP_NUM_THREADS.
    expect(smoke(tmp / "b", 1, "2") == reference, "--jobs 1 (2 threads) and --jobs 2 (1 thread) give the same results")

    # Resume after an interrupted run, with a torn final line.
    c = tmp / "c"
    p = run(SMOKE + ["--out", str(c), "--jobs", "2", "--stop-after", "10"])
    expect(len((c / "results.jsonl").read_text().splitlines()) == 10 and not (c / "results.json").exists(),
           "--stop-after 10 leaves 10 lines and no results.json")
    with open(c / "results.jsonl", "a") as f:
        f.write('{"task":"iris","method":"snn","fold":0,"runs":2,"diver')
    p = run(SMOKE + ["--out", str(c), "--jobs", "2", "--resume"])
    expect("dropped a torn final line" in p.stderr, "the torn line is reported")
    expect("46 to run" in p.stdout, f"the resumed run skips the 10 finished jobs: {p.stdout}")
    expect((c / "results.json").read_bytes() == reference, "a resumed run gives the uninterrupted run's results")
    p = run(SMOKE + ["--out", str(c)])
    expect("0 to run" in p.stdout and (c / "results.json").read_bytes() == reference, "a finished run re-runs nothing")

    # Errors.
    p = run(SMOKE + ["--out", str(c), "--seed", "1"], ok=False)
    expect(p.returncode != 0 and "seed: 0 there, 1 now" in p.stderr, f"another seed on the same --out: {p.stderr}")
    p = run(["--preset", "smoke", "--tasks", "iris", "--out", str(c)], ok=False)
    expect(p.returncode != 0 and "tasks:" in p.stderr, f"other tasks on the same --out: {p.stderr}")
    bad = [(["--preset", "huge"], "--preset"), (["--jobs", "0"], "--jobs"), (["--tasks", "nosuch"], "nosuch"),
           (["--methods", "snn,dropnet"], "dropnet"), (["--seed", "x"], "--seed"), (["--bogus"], "bogus"),
           (["--resume", "--out", str(tmp / "none")], "nothing to resume")]
    for args, word in bad:
        p = run(args + ([] if "--out" in args else ["--out", str(tmp / "bad")]), ok=False)
        expect(p.returncode != 0 and word in (p.stderr + p.stdout), f"{args}: clean error naming {word}: {p.stderr}")
        expect("terminate" not in p.stderr and p.returncode > 0, f"{args}: no crash")
    p = run(["--list"])
    rows = p.stdout.splitlines()
    expect(len(rows) == 28 and rows[0].split()[:5] == ["task", "samples", "features", "classes", "source"],
           "--list: a header and 27 tasks")
    expect(any(r.split()[:4] == ["iris", "150", "4", "3"] for r in rows), "--list: iris 150 4 3")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
