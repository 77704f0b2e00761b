#!/usr/bin/env python3
"""Kill a run with SIGKILL, resume it with --resume, and get the uninterrupted run's files.

  resume_after_kill.py FASHION_MNIST_SNN FIGURE1 TRACE_SNN

For each program: one uninterrupted run on a tiny configuration, then the same run killed
several times — at random moments, and the moment a temporary file of a save appears (so the
kill lands inside AtomicFile, between its first write and its rename) — and restarted with
--resume until it finishes. The final outputs must equal the uninterrupted run's byte for byte,
apart from the wall-time columns; the temporaries the kills orphaned must be gone; resume.npz
must be gone. Also: a resume with another argument names it, and a restart without --resume
over an unfinished run refuses and suggests --resume. Set RESUME_TEST_SEED to replay a run.
"""
import gzip
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time

FASHION, FIGURE1, TRACE = sys.argv[1:4]
SEED = int(os.environ.get("RESUME_TEST_SEED", str(random.SystemRandom().randrange(1 << 30))))
rng = random.Random(SEED)
failures = []
orphans_seen = 0


def fail(message):
    failures.append(message)
    print("FAIL:", message, flush=True)


def write_idx(folder, prefix, count, seed):
    """A tiny Fashion-MNIST look-alike: 28x28 images whose label decides the brightest row band."""
    r = random.Random(seed)
    images, labels = bytearray(), bytearray()
    for _ in range(count):
        label = r.randrange(10)
        pixels = bytearray(r.randrange(60) for _ in range(784))
        for row in range(label * 2 + 4, label * 2 + 7):
            for col in range(28):
                pixels[row * 28 + col] = 150 + r.randrange(100)
        images += pixels
        labels.append(label)
    with gzip.open(os.path.join(folder, prefix + "-images-idx3-ubyte.gz"), "wb") as f:
        f.write(struct.pack(">IIII", 0x803, count, 28, 28) + bytes(images))
    with gzip.open(os.path.join(folder, prefix + "-labels-idx1-ubyte.gz"), "wb") as f:
        f.write(struct.pack(">II", 0x801, count) + bytes(labels))


def temporaries(folder, stem=""):
    try:
        return [n for n in os.listdir(folder) if n.startswith(stem) and ".tmp." in n]
    except FileNotFoundError:
        return []


def run(command, env, out_dir, kill_after=None, kill_in_save=None, kill_when=None):
    """Runs command; returns (status, stdout, stderr, orphans). With kill_after (seconds),
    kill_in_save (a file name prefix: "" is any) or kill_when (a path), SIGKILLs it then — or when
    a temporary appears in out_dir (of a file whose name starts with kill_in_save), or when that
    path exists — unless it ended first."""
    global orphans_seen
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    in_save = kill_in_save is not None
    if kill_after is not None or in_save or kill_when:
        # Pipes are drained after the kill: the runs print little, so they cannot fill.
        start = time.monotonic()
        while proc.poll() is None:
            if (in_save and temporaries(out_dir, kill_in_save)) or (kill_when and os.path.exists(kill_when)):
                proc.kill()
                break
            if kill_after is not None and time.monotonic() - start >= kill_after:
                proc.kill()
                break
            time.sleep(0.0005 if in_save else 0.005)
    out, err = proc.communicate(timeout=600)
    orphans = temporaries(out_dir) if proc.returncode == -9 else []
    orphans_seen += len(orphans)
    return proc.returncode, out, err, orphans


def without_columns(text, drop):
    """CSV text without the columns named in `drop`."""
    lines = text.splitlines()
    header = lines[0].split(",")
    keep = [i for i, name in enumerate(header) if name not in drop]
    return "\n".join(",".join(row.split(",")[i] for i in keep) for row in lines) + "\n"


def table_without_seconds(text):
    """figure1_table.txt with each result row's last field (wall seconds) removed."""
    lines = text.splitlines()
    out = [lines[0]]
    for line in lines[1:]:
        parts = line.split()
        out.append(" ".join(parts[:-1]) if parts and parts[0] in ("snn", "bn") else line)
    return "\n".join(out)


def read(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


def kill_and_resume(name, command, env, out_dir, reference_seconds, kills):
    """Starts `command`, kills it `kills` times, resumes until it ends; returns the last stdout."""
    resume = []
    for attempt in range(kills):
        # Odd attempts die inside a save: of any file, or (every fourth) of resume.npz itself.
        in_save = None if attempt % 2 == 0 else "resume.npz" if attempt % 4 == 3 else ""
        delay = None if in_save is not None else rng.uniform(0.05, 0.6) * reference_seconds
        status, out, err, orphans = run(command + resume, env, out_dir, delay, in_save)
        how = f"after {delay:.2f} s" if delay is not None else f"when a temporary of {in_save or 'any file'} appeared"
        where = [line for line in out.splitlines() if "resumed" in line]
        if where:
            how += f" ({where[0].split(': ', 1)[-1] if name != 'fashion_mnist_snn' else where[0]})"
        if status == 0:
            print(f"{name}: attempt {attempt + 1} ({how}) finished before the kill", flush=True)
            return out
        if status != -9:
            fail(f"{name}: attempt {attempt + 1} exited {status}: {err.strip()}")
            return None
        print(f"{name}: killed {how}; left {orphans or 'no temporaries'}", flush=True)
        if attempt == 0:  # an unfinished run is not overwritten by accident
            if os.path.exists(os.path.join(out_dir, "resume.npz")):
                status, _, err, _ = run(command, env, out_dir)
                if status == 0 or "--resume" not in err:
                    fail(f"{name}: a restart without --resume over an unfinished run gave {status}: {err.strip()}")
        resume = ["--resume"]
    status, out, err, _ = run(command + resume, env, out_dir)
    if status != 0:
        fail(f"{name}: the last resume exited {status}: {err.strip()}")
        return None
    if temporaries(out_dir):
        fail(f"{name}: temporaries left in {out_dir}: {temporaries(out_dir)}")
    if os.path.exists(os.path.join(out_dir, "resume.npz")):
        fail(f"{name}: resume.npz is still there after the run finished")
    return out


def compare(name, what, got, want):
    if got != want:
        fail(f"{name}: {what} differs from the uninterrupted run's")
    else:
        print(f"{name}: {what} identical", flush=True)


def reference(name, command, env):
    start = time.monotonic()
    status, out, err, _ = run(command, env, "")
    seconds = time.monotonic() - start
    if status != 0:
        fail(f"{name}: the uninterrupted run exited {status}: {err.strip()}")
    print(f"{name}: uninterrupted run {seconds:.2f} s", flush=True)
    return out, seconds


def result_lines(stdout, prefixes):
    return [line for line in stdout.splitlines() if line.startswith(prefixes)]


def main():
    print(f"resume_after_kill: RESUME_TEST_SEED={SEED}", flush=True)
    scratch = tempfile.mkdtemp(prefix="tg_resume_")
    try:
        env = dict(os.environ)
        data = os.path.join(scratch, "data")
        os.mkdir(data)
        write_idx(data, "train", 2400, 1)
        write_idx(data, "t10k", 300, 2)

        # ---- fashion_mnist_snn on a tiny generated IDX set: mirroring, alpha-dropout, momentum, cosine ----
        fenv = dict(env, TG_FASHION_MNIST_DIR=data)
        def fashion_args(epochs):
            return ["--epochs", str(epochs), "--hidden", "32,32", "--batch", "32", "--dropout", "0.1", "--seed", "3"]
        args = fashion_args(8)
        ref_dir, kill_dir = os.path.join(scratch, "f_ref"), os.path.join(scratch, "f_kill")
        ref_out, seconds = reference("fashion_mnist_snn", [FASHION, *args, "--out", ref_dir], fenv)
        out = kill_and_resume("fashion_mnist_snn", [FASHION, *args, "--out", kill_dir], fenv, kill_dir, seconds, 5)
        if out is not None:
            compare("fashion_mnist_snn", "metrics.csv (without seconds)",
                    without_columns(read(os.path.join(kill_dir, "metrics.csv")), {"seconds"}),
                    without_columns(read(os.path.join(ref_dir, "metrics.csv")), {"seconds"}))
            compare("fashion_mnist_snn", "model.npz", read(os.path.join(kill_dir, "model.npz"), "rb"),
                    read(os.path.join(ref_dir, "model.npz"), "rb"))
            keys = ("test_loss:", "test_accuracy:")
            compare("fashion_mnist_snn", "printed test_loss and test_accuracy", result_lines(out, keys),
                    result_lines(ref_out, keys))
        # A finished run leaves nothing to resume: --resume then starts over.
        status, _, err, _ = run([FASHION, *fashion_args(1), "--out", kill_dir, "--resume"], fenv, kill_dir)
        if status != 0:
            fail(f"fashion_mnist_snn: --resume over a finished run exited {status}: {err.strip()}")
        # A resume with other arguments is refused and names each of them.
        ck = os.path.join(scratch, "f_args")
        run([FASHION, *fashion_args(40), "--out", ck], fenv, ck, kill_when=os.path.join(ck, "resume.npz"))
        if os.path.exists(os.path.join(ck, "resume.npz")):
            status, _, err, _ = run([FASHION, *fashion_args(41), "--lr", "0.03", "--out", ck, "--resume"],
                                    fenv, ck)
            if status == 0 or "--epochs was 40, now 41" not in err or "--lr was 0.02" not in err:
                fail(f"fashion_mnist_snn: a resume with other arguments gave {status}: {err.strip()}")
            else:
                print("fashion_mnist_snn: a resume with other arguments is refused:", err.strip(), flush=True)
        else:
            fail("fashion_mnist_snn: no resume.npz to test the argument check with")

        # ---- figure1 on the real Fashion-MNIST (it splits 50k/10k), tiny subsets, with --trace ----
        args = ["--epochs", "3", "--train-subset", "256", "--valid-subset", "200", "--depths", "2,3",
                "--models", "snn,bn", "--seed", "5", "--trace", "--trace-every", "1", "--no-plot"]
        ref_dir, kill_dir = os.path.join(scratch, "g_ref"), os.path.join(scratch, "g_kill")
        ref_out, seconds = reference("figure1", [FIGURE1, *args, "--out", ref_dir], env)
        out = kill_and_resume("figure1", [FIGURE1, *args, "--out", kill_dir], env, kill_dir, seconds, 5)
        if out is not None:
            compare("figure1", "figure1.csv (without seconds)",
                    without_columns(read(os.path.join(kill_dir, "figure1.csv")), {"seconds"}),
                    without_columns(read(os.path.join(ref_dir, "figure1.csv")), {"seconds"}))
            compare("figure1", "trace.csv", read(os.path.join(kill_dir, "trace.csv"), "rb"),
                    read(os.path.join(ref_dir, "trace.csv"), "rb"))
            compare("figure1", "figure1_table.txt (without seconds)",
                    table_without_seconds(read(os.path.join(kill_dir, "figure1_table.txt"))),
                    table_without_seconds(read(os.path.join(ref_dir, "figure1_table.txt"))))

        # ---- trace_snn on synthetic data ----
        args = ["--depth", "4", "--width", "64", "--epochs", "6", "--train-subset", "2560", "--every", "3",
                "--data", "synthetic", "--seed", "2", "--no-plot"]
        ref_dir, kill_dir = os.path.join(scratch, "t_ref"), os.path.join(scratch, "t_kill")
        ref_out, seconds = reference("trace_snn", [TRACE, *args, "--out", ref_dir], env)
        out = kill_and_resume("trace_snn", [TRACE, *args, "--out", kill_dir], env, kill_dir, seconds, 5)
        if out is not None:
            compare("trace_snn", "trace.csv", read(os.path.join(kill_dir, "trace.csv"), "rb"),
                    read(os.path.join(ref_dir, "trace.csv"), "rb"))
            lines = [line for line in out.splitlines() if " epoch " in line and "resumed" not in line]
            want = [line for line in ref_out.splitlines() if " epoch " in line]
            if not lines or any(line not in want for line in lines):
                fail(f"trace_snn: the resumed run's epoch lines {lines} are not the uninterrupted run's {want}")
            else:
                print(f"trace_snn: the last process's {len(lines)} epoch lines identical", flush=True)

        if orphans_seen == 0:
            fail("no kill landed inside a save (no orphaned temporary was ever seen)")
        print(f"resume_after_kill: {orphans_seen} orphaned temporaries seen and cleaned up", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if failures:
        print(f"{len(failures)} failures (replay with RESUME_TEST_SEED={SEED})")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
