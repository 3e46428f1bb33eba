"""Reading balctl's terminal tables back in tests: boxed (┏━┓) or plain (gh-like), and the
block layout, so a test can check every cell without caring which layout the width chose."""

from __future__ import annotations

import re

SGR = re.compile(r"\x1b\[[0-9;]*m")
RULE = re.compile(r"[━─]+")


def plain(text: str) -> str:
    return SGR.sub("", text)


def read_table(text: str) -> tuple[list[str], list[list[str]]]:
    """The headings (multi-line ones joined by a blank) and the body rows of the first table
    in `text`, each cell cut from its row's own line by the rule under the headings."""
    lines = plain(text).splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("┡") or (line[:1] == "─" and set(line) <= {"─", " "}))
    boxed = lines[at].startswith("┡")
    spans = [(match.start(), match.end()) for match in RULE.finditer(lines[at])]
    if boxed:
        top = max(i for i in range(at) if lines[i].startswith("┏"))
        heading_lines = lines[top + 1:at]
        body = [line for line in _until(lines[at + 1:], lambda line: not line.startswith("│"))]
    else:
        first = max([i + 1 for i in range(at) if not lines[i].strip()] + [0]) + 1  # after the title
        heading_lines = lines[first:at]
        body = [line for line in _until(lines[at + 1:], lambda line: not line.strip() or line.startswith(" "))]
    headings = [" ".join(" ".join(line[a:b].strip(" ┃") for line in heading_lines).split()) for a, b in spans]
    rows = [[line[a:b].strip() for a, b in spans] for line in body]
    return headings, rows


def _until(lines: list[str], stop) -> list[str]:
    taken = []
    for line in lines:
        if stop(line):
            break
        taken.append(line)
    return taken


def read_blocks(text: str) -> list[dict[str, str]]:
    """`Heading: value` blocks, one per row (the summary's indented lines are not part). A
    value too long for its line follows a lone `Heading:` on the next line, indented."""
    blocks = []
    for chunk in plain(text).split("\n\n"):
        lines = chunk.splitlines()
        fields = []
        for index, line in enumerate(lines):
            if line.startswith(" "):
                continue
            if ": " in line:
                fields.append(line.split(": ", 1))
            elif line.endswith(":") and index + 1 < len(lines) and lines[index + 1].startswith("  "):
                fields.append([line[:-1], lines[index + 1]])
        if fields:
            blocks.append({key: value.strip() for key, value in fields})
    return blocks
