"""Numbers written as text, read only when they are written in ASCII.

Python's `int()`, `float()`, `Decimal()` and `str.isdigit()` also take Arabic-Indic or
full-width digits (`٣` is 3), `1_000`, `inf`, `nan` and `Infinity`. Nobody means a number
of seconds, places or dollars by those, and a value read differently from how it looks is
worse than a refusal, so balctl checks every number it reads from text here first: options
and their BALCTL_* variables, answers typed to `balctl init`, COLUMNS, exchange amounts.
"""

from __future__ import annotations

import math
import re

from balctl.errors import UsageError

DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
"""A number as people and exchanges write it: ASCII digits, an optional sign, point and exponent."""

_DIGITS = re.compile(r"[0-9]{1,18}")
"""At most 18 digits: no count balctl reads needs more, and `int()` refuses text of over
4,300 digits with an error of its own (it would surface as an internal error)."""

SHOWN_LIMIT = 40
"""Characters of a refused value repeated in its error line."""


def is_digits(text: str) -> bool:
    """`text` is a whole number as a reader takes `str.isdigit()` to mean: 1 to 18 of 0-9."""
    return _DIGITS.fullmatch(text) is not None


def shown(text: str) -> str:
    """A refused value for an error line: quoted, cut at SHOWN_LIMIT characters, anything
    outside printable ASCII escaped (`'\\u0663'`), so the reader sees why `٣` is not 3 and
    no control character reaches the terminal."""
    return ascii(text[:SHOWN_LIMIT])


def seconds(value: str | float, *, option: str, low: float, high: float, noun: str) -> float:
    """A number of seconds from `low` to `high`: `value` as typed (ASCII, no inf or nan), or
    a number a caller already holds. UsageError names `option` and says which rule failed."""
    if isinstance(value, str):
        typed = value.strip()
        if not DECIMAL_TEXT.fullmatch(typed):
            raise UsageError(f"{option} {shown(value)}: not a number of seconds")
        number = float(typed)  # finite or a huge typed number (1e999 is inf): the range says so
        typed = typed if len(typed) <= SHOWN_LIMIT else typed[:SHOWN_LIMIT] + "..."
    else:
        number, typed = float(value), f"{value:g}"
        if not math.isfinite(number):
            raise UsageError(f"{option} {typed}: not a number of seconds")
    if number < low:
        raise UsageError(f"{option} {typed}: {noun} must be at least {low:g} seconds")
    if number > high:
        raise UsageError(f"{option} {typed}: {noun} must be at most {high:g} seconds")
    return number
