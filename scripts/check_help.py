#!/usr/bin/env python3
"""Checks that every program's --help tells the truth about its options and their defaults.

Usage: scripts/check_help.py PROGRAM...   (paths of the built programs; CTest test `help`)

For every program:
- `--help` exits with 0 and prints a usage line on stdout;
- no option is shown both with a default and as REQUIRED (a required option has no default);
- no flag name carries a value, as CLI11 prints a negated flag (`--no-plot{false}`), which reads as
  "the default is false" when the default is the opposite;
- Google Benchmark programs (whose --help is the library's own) say which instruction set they
  run before anything else.
Subcommands are checked like programs. For `moments`, whose subcommands run in seconds, it also
runs each subcommand (but `plot`) twice — with no
options and with every default its --help prints spelled out — and requires the same output:
the printed defaults are the ones the program uses. Options that only size the work (`--points`,
`--layers`) are set to the same small value in both runs.
"""
import pathlib
import re
import subprocess
import sys

DESCRIPTION_COLUMN = 30  # CLI11's default: descriptions start here, or on the next line
CHEAP = {"scan": ["--points", "3"], "deep": ["--layers", "3", "--width", "64", "--batch", "32"]}
NOT_RUN = {"plot"}  # needs --out, and Python with matplotlib


def run(args):
    return subprocess.run(args, capture_output=True, text=True, timeout=300)


def options(help_text):
    """(names, type/default column) of every option line of a CLI11 help text."""
    lines = help_text.splitlines()
    found = []
    for i, line in enumerate(lines):
        if not line.startswith("  -"):
            continue
        continued = i + 1 < len(lines) and lines[i + 1].startswith(" " * DESCRIPTION_COLUMN)
        left = line.rstrip() if continued else line[:DESCRIPTION_COLUMN].rstrip()
        names, _, spec = left.strip().partition(" ")
        found.append((names, spec))
    return found


def subcommands(help_text):
    """The subcommand names listed under "Subcommands:" in a CLI11 help text."""
    _, _, listing = help_text.partition("\nSubcommands:\n")
    return [line.split()[0] for line in listing.splitlines() if line.startswith("  ") and line.strip()]


def default_of(spec):
    m = re.search(r"=(\S+)", spec)
    if not m:
        return None
    value = m.group(1)
    return value[1:-1] if value.startswith("[") and value.endswith("]") else value  # vectors: [8,16,32]


def check_help(program, subcommand=None):
    args = [str(program)] + ([subcommand] if subcommand else []) + ["--help"]
    name = " ".join([program.name] + ([subcommand] if subcommand else []))
    result = run(args)
    errors = []
    if result.returncode != 0:
        errors.append(f"{name} --help: exit status {result.returncode}")
    if "usage" not in result.stdout.lower():
        errors.append(f"{name} --help: no usage line on stdout")
    for names, spec in options(result.stdout):
        if "REQUIRED" in spec.split() and default_of(spec) is not None:
            errors.append(f"{name}: {names} is shown with a default and as REQUIRED: {spec}")
        if "{" in names:
            errors.append(f"{name}: flag {names} is shown with a value, which reads as its default")
    return result.stdout, errors


def check_moments_defaults(program, subcommand, help_text):
    explicit = []
    for names, spec in options(help_text):
        long_name = names.split(",")[-1]
        value = default_of(spec)
        if value is not None and long_name not in CHEAP.get(subcommand, []):
            explicit += [long_name, value]
    cheap = CHEAP.get(subcommand, [])
    implicit_run = run([str(program), subcommand] + cheap)
    explicit_run = run([str(program), subcommand] + cheap + explicit)
    if implicit_run.returncode != 0 or explicit_run.returncode != 0:
        return [f"moments {subcommand}: exit status {implicit_run.returncode} with the defaults, "
                f"{explicit_run.returncode} with {' '.join(explicit)}: {implicit_run.stderr}{explicit_run.stderr}"]
    if implicit_run.stdout != explicit_run.stdout:
        return [f"moments {subcommand}: the defaults --help prints ({' '.join(explicit)}) are not the ones it uses:\n"
                f"--- without options:\n{implicit_run.stdout}--- with them:\n{explicit_run.stdout}"]
    print(f"moments {subcommand}: same output with and without {' '.join(explicit)}")
    return []


def main() -> int:
    programs = [pathlib.Path(p) for p in sys.argv[1:]]
    if not programs:
        print(__doc__)
        return 2
    errors = []
    for program in programs:
        if not program.exists():
            errors.append(f"{program}: not built")
            continue
        text, found = check_help(program)
        if "--benchmark_filter" in text:  # Google Benchmark's usage: "benchmark [--benchmark_…]"
            found = [e for e in found if "no usage line" not in e]
            if not text.startswith("isa: "):
                found.append(f"{program.name} --help: does not begin with the instruction set it runs")
        errors += found
        for subcommand in subcommands(text):
            sub_text, found = check_help(program, subcommand)
            errors += found
            if program.name == "moments" and subcommand not in NOT_RUN and not found:
                errors += check_moments_defaults(program, subcommand, sub_text)
        print(f"{program.name}: --help checked")
    for e in errors:
        print("FAIL:", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
