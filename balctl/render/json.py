"""JSON output (docs/contract.md, Output): indent 2, keys in the model's order, amounts as exact decimal strings.

The standard `json` module cannot write a `Decimal` as a number without going through
`float`, so this module serialises the (small, known) document shapes itself: unified
amounts are strings (jq would round a long number), and numbers the exchange sent as JSON
numbers (XT) are written back with their own digits in `native` and `raw`.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from decimal import Decimal
from typing import Any, TextIO

from balctl.model import AMOUNT_FIELDS, RISK_FIELDS, Balance, FiredAlert, Report, Snapshot, format_amount, iso_millis
from balctl.sanitize import json_escape

INDENT = "  "


def snapshot(snapshot: Snapshot, *, raw: bool = False, out: TextIO | None = None) -> str:
    return dumps(snapshot_document(snapshot, raw=raw)) + "\n"


def report(report: Report, *, raw: bool = False, out: TextIO | None = None) -> str:
    return dumps(report_document(report, raw=raw)) + "\n"


def snapshot_document(snapshot: Snapshot, *, raw: bool = False) -> dict[str, Any]:
    document: dict[str, Any] = {
        "profile": snapshot.profile,
        "exchange": snapshot.exchange,
        "account": snapshot.account,
        "fetched_at": iso_millis(snapshot.fetched_at),
        "summary": {
            "equity": format_amount(snapshot.summary.equity),
            "loan": format_amount(snapshot.summary.loan),
            **{name: format_amount(getattr(snapshot.summary, name)) for name in RISK_FIELDS},
            "unit": snapshot.summary.unit,
            "native": snapshot.summary.native,
        },
        "balances": [_row(row) for row in snapshot.balances],
        "breakdown": [_row(row) for row in snapshot.breakdown],
        "warnings": list(snapshot.warnings),
        "alerts": [alert_document(alert) for alert in snapshot.alerts],
    }
    if raw:
        document["raw"] = snapshot.raw
    return document


def report_document(report: Report, *, raw: bool = False) -> dict[str, Any]:
    return {
        "fetched_at": iso_millis(report.fetched_at),
        "accounts": [snapshot_document(account, raw=raw) for account in report.accounts],
        "errors": [
            {
                "profile": failure.profile,
                "exchange": failure.exchange,
                "kind": failure.kind,
                "message": failure.message,
                "code": failure.code,
            }
            for failure in report.errors
        ],
        "warnings": [
            {"profile": account.profile, "exchange": account.exchange, "account": account.account, "message": text}
            for account in report.accounts
            for text in account.warnings
        ],
        "alerts": [alert_document(alert) for alert in report.alerts],
    }


def alert_document(alert: FiredAlert) -> dict[str, Any]:
    """A fired alert; its value a decimal string like every amount."""
    return {
        "profile": alert.profile,
        "exchange": alert.exchange,
        "account": alert.account,
        "asset": alert.asset,
        "field": alert.field,
        "value": format_amount(alert.value),
        "expr": alert.expr,
    }


def _row(row: Balance) -> dict[str, Any]:
    document: dict[str, Any] = {"market": row.market, "asset": row.asset}
    for name in AMOUNT_FIELDS:
        document[name] = format_amount(getattr(row, name))
    document["native"] = row.native
    return document


def dumps(value: Any, level: int = 0) -> str:
    """Like `json.dumps(value, indent=2, ensure_ascii=False)`, plus exact `Decimal` numbers."""
    if isinstance(value, dict):
        if not value:
            return "{}"
        inner = INDENT * (level + 1)
        items = (f"{inner}{_string(str(key))}: {dumps(item, level + 1)}" for key, item in value.items())
        return "{\n" + ",\n".join(items) + "\n" + INDENT * level + "}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        inner = INDENT * (level + 1)
        items = (f"{inner}{dumps(item, level + 1)}" for item in value)
        return "[\n" + ",\n".join(items) + "\n" + INDENT * level + "]"
    if isinstance(value, Decimal):
        return _number(value)
    if isinstance(value, str):
        return _string(value)
    return _scalar(value)


def _number(value: Decimal) -> str:
    """A JSON number with the exchange's digits: `str()` would write 0.00000001 as `1E-8`.

    The number was parsed from plain notation unless the exchange wrote an exponent itself
    (`1E+2` keeps it). Past 100 decimal places the exponent stays, so that a hostile
    `1e-999999999` cannot expand into a gigabyte of zeros.
    """
    text = str(value)
    if "E-" in text and value.as_tuple().exponent >= -100:
        return format(value, "f")
    return text


def _string(text: str) -> str:
    """A JSON string; control, bidi and zero-width characters as `\\uXXXX` (never raw, so
    `jq -r` output on a terminal is as safe as balctl's own).

    `encode_basestring` is the C function behind `json.dumps(text, ensure_ascii=False)`,
    without building an encoder per string (a 1,000-asset answer has 100,000 strings);
    printable ASCII, nearly every string, has nothing more to escape."""
    dumped = encode_basestring(text)
    return dumped if text.isascii() and text.isprintable() else json_escape(dumped)


_SCALARS = {None: "null", True: "true", False: "false"}


def _scalar(value: Any) -> str:
    """None, bool or int as JSON."""
    if value is None or isinstance(value, bool):
        return _SCALARS[value]
    return json.dumps(value)


def dumps_line(value: Any) -> str:
    """`dumps` on one line without spaces, like `jq -c`: one document per line (NDJSON) for
    `--watch -o json`. Same exact numbers; a newline inside a string is escaped, so a
    document can never span two lines."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{_string(str(key))}:{dumps_line(item)}" for key, item in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(dumps_line(item) for item in value) + "]"
    if isinstance(value, Decimal):
        return _number(value)
    if isinstance(value, str):
        return _string(value)
    return _scalar(value)
