#!/usr/bin/env python3
"""Checks that every library folder includes only itself and the layers below it.

The layers, lowest first: tensor <- autograd <- ops <- nn <- optim <- train, and datasets on the
tensor layer alone (README, "Folder map"); train, the training loop's utilities, may use datasets. Prints each violation as file:line and exits 1 if any.
Run by CTest (test `layers`) and by hand: scripts/check_layers.py [source dir]
"""
import pathlib
import re
import sys

ALLOWED = {
    "tensor": {"tensor"},
    "autograd": {"tensor", "autograd"},
    "ops": {"tensor", "autograd", "ops"},
    "nn": {"tensor", "autograd", "ops", "nn"},
    "optim": {"tensor", "autograd", "ops", "nn", "optim"},
    "train": {"tensor", "autograd", "ops", "nn", "optim", "train", "datasets"},
    "datasets": {"tensor", "datasets"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^/"]+)/')


def main() -> int:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent)
    bad = []
    for layer, allowed in ALLOWED.items():
        for path in sorted((root / layer).rglob("*")):
            if path.suffix not in (".h", ".cpp"):
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                m = INCLUDE.match(line)
                if m and m.group(1) in ALLOWED and m.group(1) not in allowed:
                    bad.append(f"{path.relative_to(root)}:{number}: {layer}/ includes {m.group(1)}/, a layer above it")
    for line in bad:
        print(line)
    if not bad:
        print(f"layers: every include in {', '.join(ALLOWED)} points down or sideways")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
