#!/usr/bin/env python3
"""Checks that every ```cpp block of a Markdown file is compiled code.

Each C++ block must appear, after removing common indentation, as a region between a line
"// [doc]" and a line "// [/doc]" in one of the given source files (which a test compiles and runs)
— or, when the line before the block is `<!-- from: PATH -->`, verbatim in the repository file
PATH (a source file the build compiles: an excerpt of real code). Prints each block that is not
found and exits 1 if any.
A Markdown table right after a line `<!-- checked columns: NAME, ... -->` is checked too: every
`code` span in its columns headed NAME, ... must occur inside one of the // [doc] regions (runs of
whitespace count as one space), so a quick-reference table cannot drift from the snippets either.
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


def squeeze(text):
    return re.sub(r"\s+", " ", text)


def cells(row):
    return [c.strip() for c in row.strip().strip("|").split("|")]


def table_spans(text):
    """(column, span) for every `code` span in the checked columns of each marked table."""
    for m in re.finditer(r"^<!-- checked columns: ([^>]*?) -->\n((?:\|[^\n]*\n)+)", text, re.M):
        columns, rows = [c.strip() for c in m.group(1).split(",")], m.group(2).splitlines()
        header = cells(rows[0])
        for column in columns:
            if column not in header:
                yield column, f"<the table after the marker has no column '{column}'>"
                continue
            index = header.index(column)
            for row in rows[2:]:
                row_cells = cells(row)
                if index < len(row_cells):
                    for span in re.findall(r"`([^`]+)`", row_cells[index]):
                        yield column, span


def main() -> int:
    doc, sources = sys.argv[1], sys.argv[2:]
    root = pathlib.Path(__file__).resolve().parent.parent
    known = {r for s in sources for r in regions(s)}
    text = open(doc, encoding="utf-8").read()
    found = re.findall(r"^(?:<!-- from: (\S+) -->\n)?```cpp\n(.*?)^```", text, re.S | re.M)
    blocks = [b for _, b in found]

    def present(origin, block):
        if origin:
            path = root / origin
            return path.is_file() and block.strip("\n") in path.read_text(encoding="utf-8")
        return textwrap.dedent(block).strip("\n") in known

    missing = [b.strip("\n") for origin, b in found if not present(origin, b)]
    for block in missing:
        print(f"{doc}: this C++ block is in no // [doc] region of {', '.join(sources)}:\n{block}\n")
    compiled = "\n".join(squeeze(r) for r in known)
    spans = list(table_spans(text))
    stray = [(column, span) for column, span in spans if squeeze(span) not in compiled]
    for column, span in stray:
        print(f"{doc}: `{span}` (table column {column}) is in no // [doc] region of {', '.join(sources)}")
    missing += stray
    if not missing:
        cells_note = f" and all {len(spans)} code spans of its checked table columns" if spans else ""
        print(f"{doc}: all {len(blocks)} C++ blocks{cells_note} are compiled code")
    return 1 if missing or not blocks else 0


if __name__ == "__main__":
    sys.exit(main())
