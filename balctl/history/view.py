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
from balctl.history.store import NoHistory, connect, database_error, record_hint
from balctl.model import iso_millis
from balctl.numeric import is_digits
from balctl.sanitize import terminal_text

CSV_HEADER = ("at", "profile", "exchange", "account", "unit", "asset", "field", "value")
NULL = "–"
CHART_WIDTH_LIMIT = 160


def show(db_path: Path, request: Request, fmt: str, out: TextIO, *, color: str = "auto") -> None:
    """Read the history at `db_path` and write the chosen output to `out`."""
    import sqlite3

    connection = connect(db_path, create=False)
    try:
        if connection.execute("SELECT 1 FROM snapshots LIMIT 1").fetchone() is None:
            raise NoHistory(f"{db_path}: no history recorded yet", hint=record_hint(None))
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
        text = table_text(request, kept, out, color=color)
    out.write(text)
    out.flush()


def json_text(field: str, series: list[Series]) -> str:
    """Indented like every balctl document, except that each point is one line: a month of
    hourly points is 720 lines per account instead of 2,880, and the standard encoder's
    indented mode (pure Python) would cost more than the query. Every value is a string
    (the exact decimal) or null. Names go through the shared escaping (bidi and zero-width
    characters as \\uXXXX); times and values are balctl's own ISO stamps and digits."""
    from json.encoder import encode_basestring

    from balctl.sanitize import json_escape

    def text(value: str | None) -> str:
        return "null" if value is None else encode_basestring(value)

    blocks = []
    for one in series:
        head = json_escape("".join(f'      "{name}": {text(getattr(one, name))},\n'
                                   for name in ("profile", "exchange", "account", "unit", "asset")))
        points = ",\n".join(f'        {{"at": {text(point.at)}, "value": {text(_exact(point.value))}}}'
                             for point in one.points)
        blocks.append(f'    {{\n{head}      "points": [\n{points}\n      ]\n    }}')
    body = "[\n" + ",\n".join(blocks) + "\n  ]" if blocks else "[]"
    return f'{{\n  "field": {text(field)},\n  "series": {body}\n}}\n'


def csv_text(field: str, series: list[Series]) -> str:
    """One line per point, series after series; a gap is a line with an empty value."""
    from balctl.render.csv import _line, _text

    lines = [_line(CSV_HEADER)]
    for one in series:
        # names as --append writes them: a spreadsheet never runs one as a formula
        names = tuple(_text(name or "") for name in (one.profile, one.exchange, one.account, one.unit, one.asset))
        for point in one.points:
            lines.append(_line((point.at, *names, field, _exact(point.value) or "")))
    return "".join(lines)


def _exact(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def table_text(request: Request, kept: list[tuple[Series, Series]], out: TextIO, *, color: str = "auto") -> str:
    """The latest value and its changes per series, then a chart per unit."""
    from balctl.render.table import wants_color

    period = _period(request, kept)
    if not kept:
        return f"no {request.field} recorded {period}\n"
    width, _terminal = screen(out)
    rows = []
    for full, _part in kept:
        latest = full.latest()
        moves = changes(full)
        places = decimal_places(latest.value) if latest else 2
        cells = [_change_cell(moves[name], places) for name, _ in CHANGE_WINDOWS]
        rows.append((full.label, terminal_text(full.unit or NULL, 20),
                     display(latest.value, places) if latest else NULL, cells))
    text = f"{request.field} · {period}\n" + "".join(aligned(rows, width))
    colour = wants_color(out, color)  # as every table decides: --color, NO_COLOR, FORCE_COLOR, a terminal
    return text + charts([part for _, part in kept], request.field, width=min(width, CHART_WIDTH_LIMIT),
                         colour=colour)


HEADINGS = ("Account", "Unit", "Latest", *(name for name, _ in CHANGE_WINDOWS))
GAP = "   "


def aligned(rows: list[tuple[str, str, str, list[tuple[str, str]]]], width: int) -> list[str]:
    """The table as lines: names left, numbers right, each change as its amount over its
    percentage; a name too long for the width wraps inside its column. Plain text, built
    here rather than by Rich: it is one small fixed layout, and Rich's import and layout
    cost more than the database query."""
    from rich.cells import cell_len

    fixed = [max(cell_len(HEADINGS[1]), *(cell_len(unit) for _, unit, _, _ in rows)),
             max(len(HEADINGS[2]), *(len(latest) for _, _, latest, _ in rows))]
    fixed += [max(len(HEADINGS[3 + i]), *(len(part) for *_, cells in rows for part in cells[i]))
              for i in range(len(CHANGE_WINDOWS))]
    room = width - 2 - sum(fixed) - len(GAP) * len(fixed)
    name_width = max(10, min(room, max(cell_len(HEADINGS[0]), *(cell_len(name) for name, *_ in rows))))
    widths = [name_width, *fixed]

    def line(cells: list[str]) -> str:
        padded = [cells[0] + " " * (widths[0] - cell_len(cells[0])), cells[1] + " " * (widths[1] - cell_len(cells[1]))]
        padded += [" " * (size - len(cell)) + cell for cell, size in zip(cells[2:], widths[2:])]
        return (" " + GAP.join(padded)).rstrip() + "\n"

    lines = [line(list(HEADINGS)), "─" * (sum(widths) + len(GAP) * (len(widths) - 1) + 2) + "\n"]
    for name, unit, latest, cells in rows:
        names = wrap(name, name_width)
        lines.append(line([names[0], unit, latest, *(amount for amount, _ in cells)]))
        second = line([names[1] if len(names) > 1 else "", "", "", *(percent for _, percent in cells)])
        if second.strip():  # no percentages (a young history) and a short name: one line
            lines.append(second)
        lines += [line([more, "", ""] + [""] * len(cells)) for more in names[2:]]
    return lines


def wrap(name: str, width: int) -> list[str]:
    """`profile · account · asset` in lines of `width` cells, cut between its parts when it can."""
    from rich.cells import cell_len, chop_cells

    lines: list[str] = []
    for part in name.split(" · "):
        if lines and cell_len(lines[-1]) + 3 + cell_len(part) <= width:
            lines[-1] += " · " + part
        else:
            lines.extend(chop_cells(part, width) if cell_len(part) > width else [part])
    return lines


def screen(out: TextIO) -> tuple[int, bool]:
    """(columns, is a terminal): the terminal's width, else COLUMNS, else 80."""
    terminal = bool(hasattr(out, "isatty") and out.isatty())
    if terminal:
        try:
            columns_ = os.get_terminal_size(out.fileno()).columns
            if columns_ > 0:  # a fresh pty never given a size says 0: fall back as below
                return columns_, True
        except (OSError, ValueError, AttributeError):
            pass
    columns = os.environ.get("COLUMNS", "")
    return (int(columns) if is_digits(columns) and int(columns) >= 40 else 80), terminal


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


def _change_cell(change: Change | None, places: int) -> tuple[str, str]:
    """(the amount, the percentage) of one change; a dash where the history does not reach."""
    if change is None:
        return NULL, ""
    percent = NULL if change.percent is None else f"{change.percent:+.2f}%"
    return display(change.absolute, places, sign=True), percent


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

