"""Compact JSON with exact numbers, for the `native` columns.

`json.dumps` cannot write a `Decimal` without going through `float`, and an exchange's
`"0.10000000"` or XT's JSON number `0.1000` must come back with its own digits.
"""

from __future__ import annotations

import json
from typing import Any


def compact_json(value: Any) -> str:
    """Like `json.dumps(value, separators=(",", ":"), ensure_ascii=False)`, plus `Decimal`.

    Most answers (OKX, CoinSwitch) hold strings only: the C encoder writes those, and only
    a document with a number (XT) takes the exact writer the JSON output uses (NDJSON's
    `dumps_line`: the same value, numbers with their own digits)."""
    try:
        return _ENCODER.encode(value)
    except TypeError:  # a Decimal somewhere
        from balctl.render.json import dumps_line

        return dumps_line(value)


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
"""One encoder for every row: `json.dumps` with options builds a new one per call."""
