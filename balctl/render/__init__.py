"""Renderers: snapshots and reports → text. They know the model, never an exchange.

Each renderer builds the whole text before anything is written, so a failure half way
can never leave half a record on stdout.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from balctl.messages import write_output

if TYPE_CHECKING:
    from balctl.model import Report, Snapshot

# The CLI imports this module (TableOptions) at start-up; the model (decimal, a dozen
# dataclasses) is imported when a renderer runs, not for `--help` or a completion (issue 16).


def __getattr__(name: str) -> Any:
    if name == "COLUMN_NAMES":
        return _column_names()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _column_names() -> tuple[str, ...]:
    """What `--columns` accepts (besides `all`): the JSON/CSV field names (`COLUMN_NAMES`)."""
    from balctl.model import AMOUNT_FIELDS

    return ("market", "asset", *AMOUNT_FIELDS)


COLORS = ("auto", "always", "never")


@dataclass(frozen=True, slots=True)
class TableOptions:
    """How the table shows what it shows (issue 10). JSON and CSV ignore these."""

    digits: int | None = 8
    """Decimal places of asset amounts; None shows the exchange's exact digits. The default
    is render.numbers.DEFAULT_PLACES (a test holds them equal; this module does not import
    that one, so a JSON fetch does not pay for it)."""
    sort: str = "value"
    columns: tuple[str, ...] = ()
    """Chosen columns in this order; empty: every column with a value, fitted to the width."""
    every_column: bool = False
    """`--columns all`: every column with a value, however wide (the terminal scrolls)."""
    color: str = "auto"
    marks: tuple[tuple[str, str, str, str, int], ...] = ()
    """Amounts a watch saw move since its previous refresh: (profile, market or "", asset,
    field, +1 up / -1 down); their cells are drawn green or red (balctl.watch)."""


def parse_columns(text: str) -> tuple[tuple[str, ...], bool]:
    """`--columns asset,total` → (("asset", "total"), False); `all` → ((), True)."""
    names = [part.strip().lower().replace("-", "_") for part in text.split(",")]
    if names == ["all"]:
        return (), True
    unknown = [name for name in names if name not in _column_names()]
    if unknown or not all(names):
        raise ValueError(f"--columns: unknown column {(unknown or [''])[0]!r}; "
                         f"choose from {', '.join(_column_names())}, or 'all'")
    return tuple(dict.fromkeys(names)), False


def render_snapshot(snapshot: Snapshot, fmt: str, out: TextIO, *, raw: bool = False,
                    table: TableOptions | None = None) -> None:
    """One account, as an exchange command prints it."""
    write_output(out, _renderer(fmt, "snapshot")(snapshot, raw=raw, out=out, **_table_options(fmt, table)))


def render_report(report: Report, fmt: str, out: TextIO, *, raw: bool = False,
                  table: TableOptions | None = None) -> None:
    """Several accounts and their failures, as `balctl all` and `balctl demo` print them."""
    write_output(out, _renderer(fmt, "report")(report, raw=raw, out=out, **_table_options(fmt, table)))


def _table_options(fmt: str, table: TableOptions | None) -> dict[str, TableOptions]:
    return {"options": table} if fmt == "table" and table is not None else {}


def _renderer(fmt: str, what: str) -> Callable[..., str]:
    """The format's module is imported only when used (Rich is slow to import)."""
    if fmt == "json":
        from balctl.render import json as module
    elif fmt == "csv":
        from balctl.render import csv as module
    elif fmt == "table":
        from balctl.render import table as module
    elif fmt == "prometheus":
        from balctl.render import prometheus as module
    else:  # the CLI validates choices; reaching here is a bug
        raise ValueError(f"unknown output format {fmt!r}")
    return getattr(module, what)
