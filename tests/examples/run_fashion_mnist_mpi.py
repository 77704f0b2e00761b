#!/usr/bin/env python3
"""fashion_mnist_snn under mpirun, run by CTest: tests/examples/run_fashion_mnist_mpi.py PROGRAM.

On a small generated Fashion-MNIST (IDX files in a temporary folder, TG_FASHION_MNIST_DIR) the
program trains one epoch in one process and under `mpirun -np 1` and `-np 2`, with no flag that
tells it about MPI. All three must print the same test_loss and test_accuracy lines, save the same
checkpoint bytes and the same metrics.csv (but for its wall-clock column); under 2 ranks only rank
0 prints the report. 600 training images make a last batch of 88 rows (3 segments), which splits
unevenly (Note [Which rows a rank holds]). Exits 77 (CTest: not run) when mpirun is missing.
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile

program = sys.argv[1]
if not shutil.which("mpirun"):
    print("mpirun is not installed: not run")
    sys.exit(77)


def write_idx(folder, prefix, count, seed):
    """count 28x28 images whose class shows as a brighter band of rows, plus label noise."""
    images, labels = bytearray(), bytearray()
    state = seed
    for i in range(count):
        label = (i * 7 + seed) % 10
        labels.append(label)
        for pixel in range(784):
            state = (state * 6364136223846793005 + 1442695040888963407) % 2**64
            noise = state >> 57  # 0..127
            band = 40 if pixel // 28 // 3 == label else 0
            images.append(min(255, noise + band))
    with open(os.path.join(folder, f"{prefix}-images-idx3-ubyte"), "wb") as f:
        f.write(struct.pack(">IIII", 0x803, count, 28, 28) + images)
    with open(os.path.join(folder, f"{prefix}-labels-idx1-ubyte"), "wb") as f:
        f.write(struct.pack(">II", 0x801, count) + labels)


failures = []
with tempfile.TemporaryDirectory() as scratch:
    data = os.path.join(scratch, "data")
    os.makedirs(data)
    write_idx(data, "train", 600, 1)
    write_idx(data, "t10k", 200, 2)
    env = dict(os.environ, TG_FASHION_MNIST_DIR=data, OMPI_ALLOW_RUN_AS_ROOT="1",
               OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMPI_MCA_btl="self,vader",
               OMPI_MCA_btl_vader_single_copy_mechanism="none", OMPI_MCA_rmaps_base_oversubscribe="1")
    env.pop("OMP_NUM_THREADS", None)
    args = ["--epochs", "1", "--hidden", "64,64", "--seed", "3"]
    runs = {}
    for name, launcher in (("one process", []), ("mpirun -np 1", ["mpirun", "-np", "1"]),
                           ("mpirun -np 2", ["mpirun", "-np", "2"])):
        out = os.path.join(scratch, name.replace(" ", "_"))
        r = subprocess.run([*launcher, program, *args, "--out", out], env=env, capture_output=True, text=True,
                           timeout=300)
        metrics = [line for line in r.stdout.splitlines() if line.startswith(("test_loss:", "test_accuracy:"))]
        print(f"{name}: status {r.returncode}: {' '.join(metrics)}")
        if r.returncode != 0 or len(metrics) != 2:
            failures.append(f"{name}: status {r.returncode}\n{r.stdout}\n{r.stderr}")
            continue
        with open(os.path.join(out, "model.npz"), "rb") as f:
            checkpoint = f.read()
        with open(os.path.join(out, "metrics.csv")) as f:
            table = [line.rsplit(",", 1)[0] for line in f.read().splitlines()]  # without "seconds"
        runs[name] = (metrics, checkpoint, table, r.stdout)

    if len(runs) == 3:
        reference = runs["one process"]
        for name in ("mpirun -np 1", "mpirun -np 2"):
            metrics, checkpoint, table, _ = runs[name]
            if metrics != reference[0]:
                failures.append(f"{name} printed {metrics}, one process {reference[0]}")
            if checkpoint != reference[1]:
                failures.append(f"{name}: the checkpoint's bytes differ from one process's")
            if table != reference[2]:
                failures.append(f"{name}: metrics.csv differs from one process's: {table} vs {reference[2]}")
        two = runs["mpirun -np 2"][3]
        if "data-parallel on 2 ranks (mpi)" not in two:
            failures.append(f"mpirun -np 2 did not train data-parallel:\n{two}")
        if two.count("test_accuracy:") != 1:
            failures.append(f"mpirun -np 2: the report was printed {two.count('test_accuracy:')} times, not once")
        print(f"checkpoints: {len(reference[1])} bytes, "
              f"{'identical' if all(runs[n][1] == reference[1] for n in runs) else 'DIFFERENT'} in all three runs")

for f in failures:
    print("FAILED:", f)
sys.exit(1 if failures else 0)
