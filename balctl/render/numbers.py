"""Amounts for reading (issue 10): grouped, rounded for display, aligned on the point.

Display rounding happens here and nowhere else: the model, JSON and CSV keep the exchange's
exact digits. Asset amounts are rounded half-even to at most `DEFAULT_PLACES` places with
trailing zeros dropped; USD values, and amounts of an asset that is a US dollar
(USD/USDT/USDC), show cents. `places=None` (`--digits all`) shows every digit, still grouped.

A non-zero amount is never shown as 0: when rounding would make it 0 it keeps its first two
significant digits instead (0.00004167 USDT shows as 0.000042, not 0.00).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal

from balctl.model import MAX_PLACES
from balctl.numeric import is_digits, shown

DEFAULT_PLACES = 8
"""Asset amounts: enough for a satoshi."""

USD_PLACES = 2
USD_UNITS = frozenset({"USD", "USDT", "USDC"})
"""Units whose amounts are money to a reader: shown in cents."""

NULL = "–"
MAX_DIGITS_OPTION = 30
"""`--digits` above this is a typo, not a wish (use `--digits all` for every digit)."""

_CONTEXT = Context(prec=4 * MAX_PLACES, rounding=ROUND_HALF_EVEN)
"""Wide enough that quantizing an amount bounded by MAX_PLACES never raises."""


@dataclass(frozen=True, slots=True)
class Shown:
    """One amount as displayed: its text, whether that text differs from the exact value,
    and its sign class for emphasis (-1, 0, 1; None for a null)."""

    text: str
    rounded: bool
    sign: int | None


def parse_digits(text: str) -> int | None:
    """`--digits`: `all` → None (exact), else a number of places 0..MAX_DIGITS_OPTION."""
    typed = text.strip()
    if typed.lower() == "all":
        return None
    if not is_digits(typed) or int(typed) > MAX_DIGITS_OPTION:  # not str.isdigit(): `٣` is not 3 here
        raise ValueError(f"--digits takes a number of decimal places (0 to {MAX_DIGITS_OPTION}) or 'all', "
                         f"got {shown(text)}")
    return int(typed)


def is_usd_unit(unit: str | None) -> bool:
    return (unit or "").upper() in USD_UNITS


def show(value: Decimal | None, *, places: int | None, fixed: bool = False) -> Shown:
    """`value` for a reader. `places=None`: exact. `fixed`: exactly `places` decimals (cents),
    otherwise trailing zeros are dropped. Zero is `0` in every column."""
    if value is None:
        return Shown(NULL, False, None)
    sign = (value > 0) - (value < 0)
    if places is None:
        return Shown(format(value, ",f"), False, sign)
    shown = _quantize(value, places)
    if not shown and value:
        # rounded to nothing: keep two significant digits rather than claim a zero
        shown = _quantize(value, max(places, 1 - value.adjusted()))
    if not shown:
        return Shown("0", False, 0)  # plain, like every zero; never "-0" or "0.00"
    text = format(shown, ",f")
    if not fixed and "." in text:
        text = text.rstrip("0").rstrip(".")
    return Shown(text, shown != value, sign)


def _quantize(value: Decimal, places: int) -> Decimal:
    return value.quantize(_quantum(places), context=_CONTEXT)


@functools.lru_cache(maxsize=None)
def _quantum(places: int) -> Decimal:
    return Decimal(1).scaleb(-places)


def align(texts: Sequence[str]) -> list[str]:
    """Pad numbers so their decimal points line up (a null or an integer sits where the
    point would be); every result has the same length. Numbers are ASCII (the null
    dash is one cell), so `len` is the screen width."""
    parts = [text.partition(".") for text in texts]
    whole = max((len(head) for head, _, _ in parts), default=0)
    fraction = max((len(dot) + len(tail) for _, dot, tail in parts), default=0)
    return [head.rjust(whole) + (dot + tail).ljust(fraction) for head, dot, tail in parts]
