"""The plain YAML most profile files are written in, read without importing PyYAML.

Importing PyYAML costs about two thirds of what importing Typer does, on every command
that reads the profile file and on every <TAB> of completion (issue 16). Most files are
plain: `key:` or `key: value` lines at consistent indentation, values plain or simply
quoted text, booleans, or a one-line `[...]` list of those. `read()` reads exactly that
and returns None for anything else (anchors and merges, block lists, escapes, tabs,
numbers, dates, duplicate keys, several documents, ...), which the caller then hands to
PyYAML. tests/test_plainyaml.py checks that it agrees with PyYAML on every file it reads.

Shape: top-level `key: scalar` lines and one `profiles:` mapping of `name:` mappings of
`key: value` lines (what balctl.profiles reads).
"""

from __future__ import annotations

import re
from typing import Any

KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
QUOTED = re.compile(r"\"[^\"\\]*\"|'[^']*'")
PLAIN_TEXT = re.compile(r"[A-Za-z_/$][^#'\"`]*")
"""Plain text starting with a letter, `_`, `/` or `$`: never a number, date or indicator."""
DIGIT_LED = re.compile(r"[0-9][^#'\"`]*")
NUMBER_OR_DATE = re.compile(
    r"0b[01_]+|0[0-7_]+|0|[1-9][0-9_]*|0x[0-9a-fA-F_]+"  # YAML 1.1 int: binary, octal, decimal, hex
    r"|[1-9][0-9_]*(?::[0-5]?[0-9])+"  # int in base 60 (`1:20` is 80)
    r"|[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?"  # float (PyYAML wants the point: `1e5` is text)
    r"|[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*"  # float in base 60
    r"|[0-9]{4}-[0-9]{2}-[0-9]{2}"  # date
    r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?"
    r"(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?"  # timestamp
)
"""What a digit-led plain scalar must match to be anything but text to PyYAML's safe loader:
YAML 1.1's implicit int, float and timestamp as its resolver spells them. Anything else
digit-led (`0c7f4a52-3b1e-...`, `1INCH_USDT`, `019`, `1e5`) is text, so an API key that
starts with a digit leaves the file plain."""
WORDS: dict[str, bool | None] = {
    spelling: value
    for word, value in (("yes", True), ("true", True), ("on", True), ("no", False), ("false", False),
                        ("off", False), ("null", None))
    for spelling in (word, word.capitalize(), word.upper())
}
"""Plain words PyYAML reads as booleans or null (its resolver's spellings)."""
NON_PRINTABLE = "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
"""What PyYAML refuses to read at all (its reader's rule): such a file is PyYAML's to refuse.
Compiled on first use by non-ASCII text only: compiling it costs more than reading a file."""
ASCII_NON_PRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""NON_PRINTABLE within ASCII."""
UNKNOWN = object()
"""A number or date read leniently (valid YAML; its value is not needed)."""


class NotPlain(Exception):
    """Beyond what `read` reads: the caller hands the text to PyYAML."""


def read(text: str, *, exact: bool | frozenset[str] = True) -> dict[str, Any] | None:
    """The document, as PyYAML's safe loader reads it (keys as written), or None.

    `exact` True: a plain value that YAML reads as a number or date (`12`, `0x1f`,
    `2026-01-01`) makes the text PyYAML's. A set of key names: only those keys' values are
    exact, the others' numbers and dates read as UNKNOWN (completion needs only names,
    `exchange` and `symbols`).
    """
    if ASCII_NON_PRINTABLE.search(text) if text.isascii() else re.search(NON_PRINTABLE, text):
        return None
    try:
        return _document(text, exact)
    except NotPlain:
        return None


def _document(text: str, exact: bool | frozenset[str]) -> dict[str, Any] | None:
    document: dict[str, Any] = {}
    profiles: dict[str, Any] | None = None
    current: dict[str, Any] | None = None
    current_name = ""
    name_indent = field_indent = 0
    for line in text.splitlines():
        body = line.lstrip(" ")
        if not body or body.startswith("#"):
            continue
        indent = len(line) - len(body)
        key, value = _line(body, exact)
        if indent == 0:
            if key in document or (value is None) != (key == "profiles"):
                raise NotPlain
            if key == "profiles":
                profiles = document[key] = {}
                current, name_indent = None, 0
            else:
                profiles, document[key] = None, value[0]
            continue
        if profiles is None:
            raise NotPlain
        name_indent = name_indent or indent
        if indent == name_indent:
            if value is not None or key in profiles:
                raise NotPlain
            profiles[key], current, current_name, field_indent = None, {}, key, 0
        elif indent > name_indent and current is not None:
            field_indent = field_indent or indent
            if indent != field_indent or value is None or key in current:
                raise NotPlain
            current[key] = value[0]
            profiles[current_name] = current
        else:
            raise NotPlain
    if "profiles" not in document:
        raise NotPlain
    if document["profiles"] == {}:
        document["profiles"] = None  # `profiles:` alone: YAML's null
    return document


def _line(body: str, exact: bool | frozenset[str]) -> tuple[str, tuple[Any] | None]:
    """`key: value` → (key, (value,)); a bare `key:` → (key, None)."""
    key, colon, rest = body.partition(":")
    if not colon or not KEY.fullmatch(key) or key in WORDS:
        raise NotPlain
    if rest and not rest.startswith(" "):
        raise NotPlain
    strict = exact if isinstance(exact, bool) else key in exact
    rest = _without_comment(rest).strip(" ")
    if not rest:
        return key, None
    if rest.startswith("["):
        if not rest.endswith("]") or rest.count("[") != 1 or rest.count("]") != 1 or "{" in rest:
            raise NotPlain
        items = [item.strip(" ") for item in rest[1:-1].split(",")]
        return key, ([] if items == [""] else [_scalar(item, flow=True, exact=strict) for item in items],)
    return key, (_scalar(rest, flow=False, exact=strict),)


def _without_comment(text: str) -> str:
    """`text` up to a ` #` comment that is not inside a quoted scalar."""
    quote = None
    for index, char in enumerate(text):
        if quote:
            quote = None if char == quote else quote
        elif char in "\"'" and (index == 0 or text[index - 1] in " [,"):
            quote = char
        elif char == "#" and index > 0 and text[index - 1] == " ":
            return text[:index].rstrip(" ")
    return text


def _scalar(text: str, *, flow: bool, exact: bool) -> Any:
    """Text, a boolean or None as PyYAML reads the scalar; NotPlain for anything else."""
    if QUOTED.fullmatch(text):
        return text[1:-1]
    if text.endswith(":") or ": " in text or "\t" in text or (flow and any(c in text for c in "[]{},")):
        raise NotPlain
    if PLAIN_TEXT.fullmatch(text):
        return WORDS[text] if text in WORDS else text
    if DIGIT_LED.fullmatch(text):
        if not NUMBER_OR_DATE.fullmatch(text):
            return text
        if not exact:
            return UNKNOWN
    raise NotPlain
