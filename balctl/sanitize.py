"""The one sanitiser for text from outside that is printed for a person.

An exchange message, a `Location` header, a profile name or a path can carry bytes that a
terminal obeys: ESC sequences clear the screen, set the window title or plant OSC-8
hyperlinks; CR and BS overwrite a line with a fake message; bidi overrides and zero-width
characters make text read differently from what it is. `terminal_text` shows each of them
visibly instead, as a Python-style escape, and caps the length:

    ESC       -> \\x1b        (C0 controls, DEL and C1 controls: \\xNN; \\n, \\r, \\t too)
    U+202E    -> \\u202e      (format characters: bidi controls, zero-width, BOM, soft hyphen,
                              line/paragraph separators)
    U+E0041   -> \\U000e0041

A backslash itself is left alone (Windows paths stay readable): an escape in the output
may be a backslash the server sent, but it can never act on the terminal.

JSON output escapes the same characters as `\\uXXXX` (`json_escape`), so `jq -r` cannot
print them raw either. tests/test_sanitize.py checks that UNSAFE covers every code point
of Unicode categories Cc, Cf, Cs, Zl and Zp.
"""

from __future__ import annotations

import re

DEFAULT_LIMIT = 200
"""Characters: an exchange message, a name or a header value; a whole error line gets more."""
LINE_LIMIT = 1000
"""An error line: paths and an exchange message fit easily; a hostile megabyte does not."""
ELLIPSIS = "…"

UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f"  # C0, DEL, C1
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f"
    "\ud800-\udfff\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)
"""Every character that a terminal may act on or that hides/reorders text."""
_SPLIT = re.compile(f"({UNSAFE.pattern})")
_JSON_UNSAFE = re.compile(UNSAFE.pattern.replace("\x00-\x1f", "", 1))
"""UNSAFE without C0: `json.dumps` escapes those inside strings already, and a raw newline
in its output is the document's own indentation."""


def escape_char(char: str) -> str:
    """`\\x1b`, `\\u202e`, `\\U000e0041`: the character's code point, visibly."""
    point = ord(char)
    if point < 0x100:
        return f"\\x{point:02x}"
    if point < 0x10000:
        return f"\\u{point:04x}"
    return f"\\U{point:08x}"


def terminal_text(text: object, limit: int = DEFAULT_LIMIT) -> str:
    """`text` (anything: str() of it) safe to print on a terminal: unsafe characters
    escaped, at most `limit` characters (cut with `…`, never inside an escape)."""
    text = text if isinstance(text, str) else str(text)
    head = text[: limit + 1]  # enough to decide: escaping only makes text longer
    if UNSAFE.search(head) is None:
        return head if len(head) <= limit else head[: limit - 1] + ELLIPSIS
    tokens = [escape_char(token) if index % 2 else token
              for index, token in enumerate(_SPLIT.split(head))]
    if len(head) <= limit and sum(map(len, tokens)) <= limit:
        return "".join(tokens)
    budget = limit - len(ELLIPSIS)
    kept: list[str] = []
    for index, token in enumerate(tokens):
        if index % 2 == 0:
            kept.append(token[:budget])
        elif len(token) <= budget:
            kept.append(token)
        else:
            break
        budget -= len(kept[-1])
        if budget <= 0:
            break
    return "".join(kept) + ELLIPSIS


def json_escape(dumped: str) -> str:
    """JSON text (from `json.dumps(..., ensure_ascii=False)`) with every UNSAFE character
    written as `\\uXXXX` (a surrogate pair above U+FFFF). Such characters can only be inside
    strings, so the document stays the same document."""
    return _JSON_UNSAFE.sub(_json_char, dumped) if _JSON_UNSAFE.search(dumped) else dumped


def _json_char(match: re.Match[str]) -> str:
    point = ord(match.group())
    if point < 0x10000:
        return f"\\u{point:04x}"
    point -= 0x10000
    return f"\\u{0xD800 + (point >> 10):04x}\\u{0xDC00 + (point & 0x3FF):04x}"
