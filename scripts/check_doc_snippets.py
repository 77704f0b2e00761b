#!/usr/bin/env python3
"""Checks that every ```cpp block of a Markdown file is compiled code.

Each C++ block must appear, after removing common indentation, as a region between a line
"// [doc]" and a line "// [/doc]" in one of the given source files (which a test compiles and runs).
Prints each block that is not found and exits 1 if any.
Run by CTest (e.g. test doc_training): scripts/check_doc_snippets.py DOC.md SOURCE.cpp...
"""
import re
import sys
import textwrap


def regions(path):
    text = open(path, encoding="utf-8").read()
    for m in re.finditer(r"^[ \t]*// \[doc\][^\n]*\n(.*?)^[ \t]*// \[/doc\]", text, re.S | re.M):
        yield textwrap.dedent(m.group(1)).strip("\n")


def main() -> int:
    doc, sources = sys.argv[1], sys.argv[2:]
    known = {r for s in sources for r in regions(s)}
    blocks = re.findall(r"^```cpp\n(.*?)^```", open(doc, encoding="utf-8").read(), re.S | re.M)
    missing = [b.strip("\n") for b in blocks if textwrap.dedent(b).strip("\n") not in known]
    for block in missing:
        print(f"{doc}: this C++ block is in no // [doc] region of {', '.join(sources)}:\n{block}\n")
    if not missing:
        print(f"{doc}: all {len(blocks)} C++ blocks are compiled code")
    return 1 if missing or not blocks else 0


if __name__ == "__main__":
    sys.exit(main())
