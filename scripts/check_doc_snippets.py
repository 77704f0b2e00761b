#!/usr/bin/env python3
"""Checks that every ```cpp block of a Markdown file is compiled code.

Each C++ block must appear, after removing common indentation, as a region between a line
"// [doc]" and a line "// [/doc]" in one of the given source files (which a test compiles and runs)
— or, when the line before the block is `<!-- from: PATH -->`, verbatim in the repository file
PATH (a source file the build compiles: an excerpt of real code). Prints each block that is not
found and exits 1 if any.
Run by CTest (e.g. test doc_training): scripts/check_doc_snippets.py DOC.md [SOURCE.cpp...]
"""
import pathlib
import re
import sys
import textwrap


def regions(path):
    text = open(path, encoding="utf-8").read()
    for m in re.finditer(r"^[ \t]*// \[doc\][^\n]*\n(.*?)^[ \t]*// \[/doc\]", text, re.S | re.M):
        yield textwrap.dedent(m.group(1)).strip("\n")


def main() -> int:
    doc, sources = sys.argv[1], sys.argv[2:]
    root = pathlib.Path(__file__).resolve().parent.parent
    known = {r for s in sources for r in regions(s)}
    found = re.findall(r"^(?:<!-- from: (\S+) -->\n)?```cpp\n(.*?)^```", open(doc, encoding="utf-8").read(), re.S | re.M)
    blocks = [b for _, b in found]

    def present(origin, block):
        if origin:
            path = root / origin
            return path.is_file() and block.strip("\n") in path.read_text(encoding="utf-8")
        return textwrap.dedent(block).strip("\n") in known

    missing = [b.strip("\n") for origin, b in found if not present(origin, b)]
    for block in missing:
        print(f"{doc}: this C++ block is in no // [doc] region of {', '.join(sources)}:\n{block}\n")
    if not missing:
        print(f"{doc}: all {len(blocks)} C++ blocks are compiled code")
    return 1 if missing or not blocks else 0


if __name__ == "__main__":
    sys.exit(main())
