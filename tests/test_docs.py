"""The contract lives in the repository (issue 15; docs/README.md, Pointing here from code).

Comments and docstrings in balctl/, tests/, scripts/ and benchmarks/ may point to docs/ (a
file, and a section as the beginning of one of its headings), never to the first version's
outside specification or to a path outside the repository: a reader of a clone has neither.
"""

from __future__ import annotations

import ast
import functools
import io
import re
import tokenize
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SCANNED = ("balctl", "tests", "scripts", "benchmarks")
COMMENTED_TEXT = (".yaml", ".yml", ".toml", ".cfg", ".ini", ".sh", ".bash", ".zsh", ".fish")
"""Other files whose `#` comments are read too (the example profile file, scripts)."""

OUTSIDE = {
    "the outside specification (write docs/... instead)": re.compile(r"\bSPEC\b|SPEC\.md"),
    "a path outside the repository": re.compile(r"/work/|\.\./shared\b|\bshared/(?:SPEC|api-docs)|\bapi-docs/"),
}
DOC_REFERENCE = re.compile(r"(?<![\w/.-])docs/([\w.-]+?\.md)(?:#[\w-]+)?(?:,[ \t]*([^()\[\]{};:,\"'`\n]*))?")
"""`docs/contract.md` or `docs/contract.md, Exit codes`: the section runs up to the first
bracket, `; : , " ' `` ` `` or the end of the line."""
TRIGGERS = re.compile(r"SPEC|/work/|\.\./shared|shared/|api-docs|docs/")
"""Text without any of these has nothing for OUTSIDE or DOC_REFERENCE to find."""


def remarks(path: Path, text: str) -> Iterator[tuple[int, str]]:
    """(line, text) of every comment and docstring-like string statement of a file.

    Python: `#` comments and every string that stands alone as a statement (module, class
    and function docstrings, and the attribute docstrings this code base writes under
    constants). Strings used as values are data, not remarks: a test may well hold the
    forbidden text as a pattern.
    """
    if path.suffix == ".py":
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                yield token.start[0], token.string
        for node in statements(ast.parse(text, filename=str(path)).body):
            if (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                    and isinstance(node.value.value, str)):
                yield node.lineno, node.value.value
    elif path.suffix in COMMENTED_TEXT:
        for number, line in enumerate(text.splitlines(), 1):
            if "#" in line:
                yield number, line[line.index("#"):]


def statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement, nested ones included (expressions are not walked: a string statement
    is never inside one)."""
    for node in body:
        yield node
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            inner = getattr(node, name, None)
            if isinstance(inner, list):
                yield from statements(inner)


@functools.cache
def headings(doc: Path) -> tuple[str, ...]:
    """The Markdown headings of a docs/ file, outside fenced code blocks."""
    found, fenced = [], False
    for line in doc.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith("#"):
            found.append(" ".join(line.lstrip("#").split()))
    return tuple(found)


def problems_in(path: Path, text: str, docs: Path = DOCS) -> list[str]:
    """What is wrong with the remarks of one file, one sentence each (empty: nothing)."""
    return problems_of(path, list(remarks(path, text)), docs)


def problems_of(path: Path, found_remarks: list[tuple[int, str]], docs: Path = DOCS) -> list[str]:
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    found = []
    for line, remark in found_remarks:
        for what, pattern in OUTSIDE.items():
            match = pattern.search(remark)
            if match:
                found.append(f"{shown}:{line}: {match.group()!r} points to {what}")
        for match in DOC_REFERENCE.finditer(remark):
            name, section = match.group(1), " ".join((match.group(2) or "").split()).rstrip(". ")
            doc = docs / name
            if not doc.is_file():
                found.append(f"{shown}:{line}: docs/{name} does not exist")
            elif section and not any(h.lower().startswith(section.lower()) for h in headings(doc)):
                found.append(f"{shown}:{line}: docs/{name} has no heading starting {section!r} "
                             f"(write 'docs/{name}, <the beginning of a heading>')")
    return found


@functools.cache
def scanned() -> dict[Path, list[tuple[int, str]]]:
    """Every scanned file of the repository and its remarks (read once for all tests)."""
    files = sorted(
        path for top in SCANNED for path in (ROOT / top).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
        and (path.suffix == ".py" or path.suffix in COMMENTED_TEXT)
    )
    texts = {path: path.read_text(encoding="utf-8") for path in files}
    # parsing is the slow part: a file that holds none of the words cannot break a rule
    return {path: list(remarks(path, text)) if TRIGGERS.search(text) else [] for path, text in texts.items()}


def test_no_remark_points_outside_the_repository_and_every_docs_pointer_resolves():
    files = scanned()
    # the scan must actually cover the code, or it would pass by reading nothing
    assert {ROOT / "balctl/cli.py", ROOT / "balctl/setup/config.example.yaml", ROOT / "tests/conftest.py",
            ROOT / "scripts/gen_completions.py", ROOT / "benchmarks/bench.py"} <= set(files)
    problems = [problem for path, found in files.items() for problem in problems_of(path, found)]
    assert problems == []


def test_the_code_points_to_each_reference_file():
    named = {match.group(1) for found in scanned().values() for _, remark in found
             for match in DOC_REFERENCE.finditer(remark)}
    assert {"contract.md", "exchanges.md"} <= named


def test_docs_index_links_every_docs_file():
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    files = sorted(path.name for path in DOCS.glob("*.md") if path.name != "README.md")
    assert {"contract.md", "design.md", "exchanges.md"} <= set(files)
    assert [name for name in files if f"]({name})" not in index] == []


def test_the_readme_links_the_docs():
    assert "](docs/)" in (ROOT / "README.md").read_text(encoding="utf-8")


# --- the checker itself can fail ---------------------------------------------------------


SPEC_WORD = "'SPEC' points to the outside specification (write docs/... instead)"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('"""The model (SPEC 5)."""\n', [f"1: {SPEC_WORD}"]),
        ("x = 1  # see ../shared/SPEC.md\n",
         [f"1: {SPEC_WORD}", "1: '../shared' points to a path outside the repository"]),
        ('def f():\n    """As /work/shared/api-docs/okx.md says."""\n',
         ["2: '/work/' points to a path outside the repository"]),
        ("# api-docs/xt-lever-balance.en.txt\n", ["1: 'api-docs/' points to a path outside the repository"]),
        ("# docs/nothing.md, Exit codes\n", ["1: docs/nothing.md does not exist"]),
        ("\n# (docs/contract.md, Exit kodes)\n",
         ["2: docs/contract.md has no heading starting 'Exit kodes' "
          "(write 'docs/contract.md, <the beginning of a heading>')"]),
    ],
    ids=["docstring-spec", "comment-spec-file", "function-docstring-path", "api-docs", "missing-doc", "missing-section"],
)
def test_checker_reports(source, expected):
    assert problems_in(ROOT / "balctl" / "example.py", source) == [f"balctl/example.py:{line}" for line in expected]


@pytest.mark.parametrize(
    "source",
    [
        '"""Exit codes (docs/contract.md, Exit codes)."""\n',
        "# docs/exchanges.md, OKX: error codes\n",
        "# docs/exchanges.md, From answers to\n# rows\n",
        "# docs/contract.md\n",
        "# The timestamp form of docs/contract.md, The model (and of OKX's signature).\n",
        'PATTERN = "SPEC /work/ docs/missing.md"  # a value, not a remark\n',
        "# INSPECTED, SPECIAL: not the word\n",
    ],
    ids=["section", "section-then-colon", "section-across-lines", "file-only", "section-then-bracket",
         "string-value", "other-words"],
)
def test_checker_accepts(source):
    assert problems_in(ROOT / "balctl" / "example.py", source) == []


def test_checker_reads_yaml_comments(tmp_path):
    path = tmp_path / "config.example.yaml"
    assert problems_in(path, "profiles:  # as SPEC 3 says\n") == [
        f"{path}:1: 'SPEC' points to the outside specification (write docs/... instead)"
    ]
