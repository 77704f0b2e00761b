#!/usr/bin/env python3
"""The MPI tests of data-parallel training, run by CTest: tests/train/run_mpi.py PROGRAM.

- R = 1, 2 and 4 (--oversubscribe) ranks give the same parameters and buffers, bit for bit, for an
  SNN and for a BatchNorm net, both with alpha-dropout on (the digests rank 0 prints);
- a checkpoint saved after 3 steps on 1, 2 or 4 ranks continues on another rank count to the digest
  of 6 uninterrupted steps;
- a rank that throws, or is killed with SIGKILL, ends the whole job with a non-zero status and a
  message within the timeout, instead of hanging.
Runs as root too (Open MPI's OMPI_ALLOW_RUN_AS_ROOT variables), on the shared-memory and self
transports with vader's single-copy mechanism off (containers often forbid cross-memory attach).
Exits 77 (CTest: not run) when mpirun is missing.
"""
import os
import shutil
import subprocess
import sys
import tempfile

program = sys.argv[1]
if not shutil.which("mpirun"):
    print("mpirun is not installed: not run")
    sys.exit(77)
env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMP_NUM_THREADS="1",
           OMPI_MCA_btl="self,vader", OMPI_MCA_btl_vader_single_copy_mechanism="none",
           OMPI_MCA_rmaps_base_oversubscribe="1")
failures = []


def run(ranks, *args, timeout=120):
    cmd = ["mpirun", "-np", str(ranks), program, *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)


for kind in ([], ["--batch-norm"]):
    digests = {}
    for ranks in (1, 2, 4):
        r = run(ranks, "--steps", "3", *kind)
        line = [l for l in r.stdout.splitlines() if l.startswith("ranks")]
        if r.returncode != 0 or not line:
            failures.append(f"{ranks} ranks {kind}: status {r.returncode}\n{r.stdout}\n{r.stderr}")
            continue
        digests[ranks] = line[0].split()[-1]
        print(line[0], *kind)
        if "backend mpi" not in line[0] and ranks > 1:
            failures.append(f"{ranks} ranks did not use MPI: {line[0]}")
    if len(set(digests.values())) != 1 or len(digests) != 3:
        failures.append(f"{kind}: digests differ across rank counts: {digests}")

with tempfile.TemporaryDirectory() as scratch:
    def digest_of(ranks, *args):
        r = run(ranks, *args)
        line = [l for l in r.stdout.splitlines() if l.startswith("ranks")]
        if r.returncode != 0 or not line:
            failures.append(f"{ranks} ranks {args}: status {r.returncode}\n{r.stdout}\n{r.stderr}")
            return None
        return line[0].split()[-1], line[0].split()[-3]  # the digest, and the step it started from
    for kind in ([], ["--batch-norm"]):
        straight = digest_of(1, "--steps", "6", *kind)
        for saved_on, resumed_on in ((2, 1), (1, 4)):
            path = os.path.join(scratch, f"{saved_on}-{resumed_on}.npz")
            digest_of(saved_on, "--steps", "3", "--save", path, *kind)
            resumed = digest_of(resumed_on, "--steps", "6", "--resume", path, *kind)
            print(f"saved on {saved_on}, resumed on {resumed_on} {kind}: {resumed}; 6 steps straight: {straight}")
            # the resumed run must start at step 3 (not retrain from step 0) and end on the same bits
            if resumed is None or straight is None or resumed[1] != "3" or resumed[0] != straight[0]:
                failures.append(f"saved on {saved_on} ranks, resumed on {resumed_on} {kind}: {resumed} != {straight}")

for how in ([], ["--kill"]):
    try:
        r = run(2, "--steps", "4", "--fail-rank", "1", "--fail-step", "2", *how, timeout=60)
    except subprocess.TimeoutExpired:
        failures.append(f"a failing rank {how} made the job hang past 60 s")
        continue
    text = r.stdout + r.stderr
    expected = "fails at step 2 on purpose" if not how else "signal 9"
    print(f"failing rank {how or ['--throw']}: status {r.returncode}; message found: {expected in text}")
    if r.returncode == 0 or expected not in text:
        failures.append(f"failing rank {how}: status {r.returncode}, output:\n{text}")

for f in failures:
    print("FAILED:", f)
sys.exit(1 if failures else 0)
