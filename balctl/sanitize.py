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

UNSAFE_PATTERN = (
    "[\x00-\x1f\x7f-\x9f"  # C0, DEL, C1
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f"
    "\ud800-\udfff\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)
"""Every character that a terminal may act on or that hides/reorders text.

The patterns are compiled on first use (`re` caches them), not at import: compiling these
character classes costs more than most of a command's own modules, and most runs print
nothing that needs them (issue 16). `UNSAFE` is the compiled pattern."""
_SPLIT_PATTERN = f"({UNSAFE_PATTERN})"
_JSON_UNSAFE_PATTERN = UNSAFE_PATTERN.replace("\x00-\x1f", "", 1)
"""UNSAFE without C0: `json.dumps` escapes those inside strings already, and a raw newline
in its output is the document's own indentation."""


def __getattr__(name: str) -> re.Pattern[str]:
    if name == "UNSAFE":
        return re.compile(UNSAFE_PATTERN)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    if re.search(UNSAFE_PATTERN, head) is None:
        return head if len(head) <= limit else head[: limit - 1] + ELLIPSIS
    tokens = [escape_char(token) if index % 2 else token
              for index, token in enumerate(re.split(_SPLIT_PATTERN, head))]
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
    return re.sub(_JSON_UNSAFE_PATTERN, _json_char, dumped) if re.search(_JSON_UNSAFE_PATTERN, dumped) else dumped


def _json_char(match: re.Match[str]) -> str:
    point = ord(match.group())
    if point < 0x10000:
        return f"\\u{point:04x}"
    point -= 0x10000
    return f"\\u{0xD800 + (point >> 10):04x}\\u{0xDC00 + (point & 0x3FF):04x}"
