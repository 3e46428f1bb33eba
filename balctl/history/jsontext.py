"""Compact JSON with exact numbers, for the `native` columns.

`json.dumps` cannot write a `Decimal` without going through `float`, and an exchange's
`"0.10000000"` or XT's JSON number `0.1000` must come back with its own digits.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


def compact_json(value: Any) -> str:
    """Like `json.dumps(value, separators=(",", ":"), ensure_ascii=False)`, plus `Decimal`.

    Most answers (OKX, CoinSwitch) hold strings only: the C encoder writes those, and only
    a document with a number (XT) takes the slower exact path."""
    try:
        return _ENCODER.encode(value)
    except TypeError:  # a Decimal somewhere
        return _exact(value)


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
"""One encoder for every row: `json.dumps` with options builds a new one per call."""


def _exact(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ",".join(f"{_string(str(key))}:{_exact(item)}" for key, item in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_exact(item) for item in value) + "]"
    if isinstance(value, Decimal):
        return _number(value)
    if isinstance(value, str):
        return _string(value)
    return json.dumps(value)  # None, bool, int (float never comes from balctl's parser)


def _number(value: Decimal) -> str:
    """Plain notation as the exchange wrote it; an exponent only past 100 places (so that a
    hostile `1e-999999999` stays short)."""
    text = str(value)
    if "E-" in text and value.as_tuple().exponent >= -100:
        return format(value, "f")
    return text


def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)
