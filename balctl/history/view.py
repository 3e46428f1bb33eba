"""`balctl history`: the series of one field as a table with changes and a chart, or as
JSON / CSV for jq and spreadsheets.

Every output is built whole before it is written (no half document on a failure).
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TextIO

from balctl.history.query import CHANGE_WINDOWS, LOOKBACK, Change, Request, Series, changes, load_series
from balctl.history.store import NoHistory, connect, database_error
from balctl.model import iso_millis
from balctl.sanitize import terminal_text

CSV_HEADER = ("at", "profile", "exchange", "account", "unit", "asset", "field", "value")
NULL = "–"
CHART_WIDTH_LIMIT = 160


def show(db_path: Path, request: Request, fmt: str, out: TextIO) -> None:
    """Read the history at `db_path` and write the chosen output to `out`."""
    import sqlite3

    connection = connect(db_path, create=False)
    try:
        if connection.execute("SELECT 1 FROM snapshots LIMIT 1").fetchone() is None:
            raise NoHistory(f"{db_path}: no history recorded yet", hint="record with: balctl all --record")
        wide = request
        if fmt == "table":  # the changes look back from each series' latest point, up to 30 d
            high = iso_millis(request.until) if request.until else "~"
            latest = connection.execute("SELECT max(fetched_at) FROM snapshots WHERE fetched_at <= ?",
                                        (high,)).fetchone()[0]
            floor = datetime.fromisoformat(latest) - LOOKBACK if latest else None
            if floor is not None and (request.since is None or request.since > floor):
                wide = replace(request, since=floor)
        loaded = load_series(connection, wide)
    except sqlite3.Error as exc:
        raise database_error(db_path, exc) from None
    finally:
        connection.close()
    shown = [one.between(request.since, request.until) for one in loaded]
    kept = [(full, part) for full, part in zip(loaded, shown) if part.points]
    if fmt == "json":
        text = json_text(request.field, [part for _, part in kept])
    elif fmt == "csv":
        text = csv_text(request.field, [part for _, part in kept])
    else:
        text = table_text(request, kept, out)
    out.write(text)
    out.flush()


def json_text(field: str, series: list[Series]) -> str:
    from balctl.render.json import dumps

    document = {
        "field": field,
        "series": [
            {
                "profile": one.profile,
                "exchange": one.exchange,
                "account": one.account,
                "unit": one.unit,
                "asset": one.asset,
                "points": [{"at": point.at, "value": _exact(point.value)} for point in one.points],
            }
            for one in series
        ],
    }
    return dumps(document) + "\n"


def csv_text(field: str, series: list[Series]) -> str:
    """One line per point, series after series; a gap is a line with an empty value."""
    from balctl.render.csv import _line

    lines = [_line(CSV_HEADER)]
    for one in series:
        fixed = (one.profile, one.exchange, one.account, one.unit or "", one.asset or "", field)
        for point in one.points:
            lines.append(_line((point.at, *fixed[:5], field, _exact(point.value) or "")))
    return "".join(lines)


def _exact(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def table_text(request: Request, kept: list[tuple[Series, Series]], out: TextIO) -> str:
    """The latest value and its changes per series, then a chart per unit."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from balctl.render.table import console_for, rendered

    console, buffer = console_for(out)
    period = _period(request, kept)
    if not kept:
        return f"no {request.field} recorded {period}\n"
    table = Table(title=Text(f"{request.field} · {period}"), title_justify="left",
                  box=box.SIMPLE_HEAD, padding=(0, 1), show_edge=False)
    table.add_column("Account", overflow="fold")
    table.add_column("Unit", overflow="fold")
    table.add_column("Latest", justify="right", no_wrap=True)
    for name, _ in CHANGE_WINDOWS:
        table.add_column(name, justify="right", no_wrap=True)
    for full, _part in kept:
        latest = full.latest()
        moves = changes(full)
        places = decimal_places(latest.value) if latest else 2
        table.add_row(
            Text(full.label), Text(terminal_text(full.unit or NULL, 20)),
            Text(display(latest.value, places) if latest else NULL),
            *(_change_cell(moves[name], places) for name, _ in CHANGE_WINDOWS),
        )
    console.print(table)
    text = rendered(buffer)
    width = min(console.width, CHART_WIDTH_LIMIT)
    colour = console.is_terminal and not os.environ.get("NO_COLOR")
    return text + charts([part for _, part in kept], request.field, width=width, colour=colour)


def charts(series: list[Series], field: str, *, width: int, colour: bool) -> str:
    """One chart per unit, so that USD and USDT (or BTC and ETH) never share an axis."""
    from balctl.history import chart

    by_unit: dict[str | None, list[Series]] = {}
    for one in series:
        by_unit.setdefault(one.unit, []).append(one)
    height = 15 if len(by_unit) == 1 else 12
    parts = []
    for unit, group in by_unit.items():
        title = f"{field} ({terminal_text(unit, 20)})" if unit else field
        parts.append("\n" + chart.draw(group, width=width, height=height, colour=colour, title=title))
        if len(group) > chart.MAX_LINES:
            parts.append(f"(chart: the first {chart.MAX_LINES} of {len(group)} lines; narrow it with -p or --asset)\n")
    return "".join(parts)


def _change_cell(change: Change | None, places: int) -> str:
    if change is None:
        return NULL
    percent = NULL if change.percent is None else f"{change.percent:+.2f}%"
    return f"{display(change.absolute, places, sign=True)}\n{percent}"


def decimal_places(value: Decimal) -> int:
    """How many places the table shows for a value and its changes: 2 from 1,000 up, about
    six significant digits below, never more than 8."""
    return 2 if not value else min(8, max(2, 5 - value.adjusted()))


def display(value: Decimal, places: int, *, sign: bool = False) -> str:
    """Rounded for the table only, thousands separated; the exact digits are in -o json/csv."""
    text = f"{value:,.{places}f}"
    return "+" + text if sign and value > 0 else text


def _period(request: Request, kept: list[tuple[Series, Series]]) -> str:
    moments = [point.at for _, part in kept for point in part.points]
    low = request.since and iso_millis(request.since) or (min(moments) if moments else None)
    high = request.until and iso_millis(request.until) or (max(moments) if moments else None)
    if low is None or high is None:
        return "in this period"
    return f"{_short(low)} → {_short(high)} UTC"


def _short(at: str) -> str:
    return at[:16].replace("T", " ")

