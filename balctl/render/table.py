"""Rich tables for people (docs/contract.md, Output): one table per account, numbers right-aligned with the
exchange's digits, all-null columns left out, the summary underneath.

Colour only on a terminal and never with NO_COLOR (Rich honours both). Off a terminal the
width is generous so that a pipe or a file gets whole rows rather than 80-column wrapping.
"""

from __future__ import annotations

import io
import os
from collections import defaultdict
from dataclasses import replace
from decimal import Decimal
from typing import TextIO

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from balctl.model import AMOUNT_FIELDS, Report, Snapshot, decimal_sum, format_amount
from balctl.sanitize import terminal_text

HEADINGS = {
    "market": "Market",
    "asset": "Asset",
    "total": "Total",
    "available": "Available",
    "frozen": "Frozen",
    "loan": "Loan",
    "interest": "Interest",
    "position_margin": "Position margin",
    "order_margin": "Order margin",
    "usd_value": "USD value",
}
BREAKDOWN_CAPTION = "already included in the balances above"
PIPE_WIDTH = 240
NULL = "–"


def snapshot(snapshot: Snapshot, *, raw: bool = False, out: TextIO | None = None) -> str:
    console, buffer = console_for(out)
    _print_account(console, snapshot)
    return rendered(buffer)


def report(report: Report, *, raw: bool = False, out: TextIO | None = None) -> str:
    console, buffer = console_for(out)
    for index, account in enumerate(report.accounts):
        if index:
            console.print()
        _print_account(console, account)
    if len(report.accounts) > 1:
        console.print()
        console.print(_totals(report.accounts))
    return rendered(buffer)


def rendered(buffer: io.StringIO) -> str:
    """Rich pads lines to the table width; trailing blanks only get in the way of a pipe."""
    return "".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines())


def account_table(snapshot: Snapshot, max_width: int | None = None, *, title: str | None = None) -> Table:
    """The account's rows as a Rich table no wider than `max_width` when that can be done."""
    columns = [name for name in ("market",) if any(row.market for row in snapshot.balances)]
    columns += ["asset"]
    columns += [name for name in AMOUNT_FIELDS
                if any(getattr(row, name) is not None for row in snapshot.balances)]
    cells = {name: [_cell(getattr(row, name)) for row in snapshot.balances] for name in columns}
    widths = {name: max(map(cell_len, [HEADINGS[name], *values])) for name, values in cells.items()}
    # Text, not str: a profile named `okx[/x]` is a name, not Rich markup
    title = Text(terminal_text(title or f"{snapshot.exchange} · {snapshot.profile} · {snapshot.account}"))
    table = Table(title=title, title_justify="left", min_width=title.cell_len,  # title on one line
                  caption=None if snapshot.balances else "no balances")
    natural_width = 1 + sum(width + 3 for width in widths.values())  # padding and borders
    if max_width is None or natural_width <= max_width:
        _fill_aligned(table, cells, widths)
    else:
        _fill_folding(table, cells)
    return table


def _fill_aligned(table: Table, cells: dict[str, list[str]], widths: dict[str, int]) -> None:
    """The fast layout for a table that fits: cells arrive padded and aligned, and each
    column's body is one multi-line cell. Nothing can wrap, so rows cannot break, and a
    1,000-asset account renders several times faster than with one Rich row per asset
    and Rich doing the padding (benchmarks/bench.py). Widths are in screen cells (a CJK
    character takes two), so "fits" is true on screen too."""
    table.padding = (0, 0)
    for name, values in cells.items():
        pad = _pad_left if name in AMOUNT_FIELDS else _pad_right
        table.add_column(f" {pad(HEADINGS[name], widths[name])} ", no_wrap=True, overflow="fold")
        values[:] = [f" {pad(value, widths[name])} " for value in values]
    if any(cells.values()):
        table.add_row(*(Text("\n".join(values)) for values in cells.values()))


def _pad_left(text: str, width: int) -> str:
    return " " * (width - cell_len(text)) + text


def _pad_right(text: str, width: int) -> str:
    return text + " " * (width - cell_len(text))


def _fill_folding(table: Table, cells: dict[str, list[str]]) -> None:
    """A table wider than the terminal: one Rich row per asset, amounts folded inside their
    cell (never cut with "…": a shortened amount would be a wrong amount)."""
    for name in cells:
        numeric = name in AMOUNT_FIELDS
        table.add_column(HEADINGS[name], justify="right" if numeric else "left",
                         overflow="fold", no_wrap=not numeric)
    for row in zip(*cells.values()):
        table.add_row(*map(Text, row))


def summary_line(snapshot: Snapshot) -> Text:
    summary = snapshot.summary
    text = Text("  equity ", style="dim")
    text.append(_cell(summary.equity), style="bold")
    text.append(f" {summary.unit}")
    text.append("   loan ", style="dim")
    text.append(_cell(summary.loan), style="bold")
    if summary.loan is not None:
        text.append(f" {summary.unit}")
    return text


def _print_account(console: Console, snapshot: Snapshot) -> None:
    console.print(account_table(snapshot, console.width))
    console.print(summary_line(snapshot))
    for line in alert_lines(snapshot):
        console.print(line)
    if snapshot.breakdown:
        console.print(breakdown_table(snapshot, console.width))


def breakdown_table(snapshot: Snapshot, max_width: int | None = None) -> Table:
    """The rows that split a balance row (CoinSwitch: what each symbol locks), in a table of
    their own: they are part of the balances above, not more of them."""
    parts = replace(snapshot, balances=snapshot.breakdown, breakdown=[])
    table = account_table(parts, max_width, title=f"{snapshot.exchange} · {snapshot.profile} · by market")
    table.caption = BREAKDOWN_CAPTION
    return table


def alert_lines(snapshot: Snapshot) -> list[Text]:
    """The account's fired alerts, one red line each, to print under its summary."""
    if not snapshot.alerts:
        return []
    from balctl.alerts import describe

    return [Text(terminal_text(f"  alert: {describe(alert)}"), style="bold red") for alert in snapshot.alerts]


def _totals(accounts: list[Snapshot]) -> Table:
    """Summary equity summed per unit: USD and USDT are never added together."""
    by_unit: dict[str, list[Decimal]] = defaultdict(list)
    for account in accounts:
        if account.summary.equity is not None:
            by_unit[account.summary.unit].append(account.summary.equity)
    table = Table(title="Totals", title_justify="left")
    table.add_column("Unit")
    table.add_column("Equity", justify="right", overflow="fold")
    table.add_column("Accounts", justify="right")
    for unit in sorted(by_unit):
        table.add_row(Text(_cell(unit)), _cell(decimal_sum(by_unit[unit])), str(len(by_unit[unit])))
    return table


def _cell(value: str | Decimal | None) -> str:
    if isinstance(value, Decimal):
        return format_amount(value) or NULL
    return NULL if value is None else terminal_text(value)  # codes come from the exchange


def console_for(out: TextIO | None) -> tuple[Console, io.StringIO]:
    """A console that records into a buffer, styled as if printing to `out`."""
    is_terminal = bool(out is not None and hasattr(out, "isatty") and out.isatty())
    buffer = io.StringIO()
    width = None if is_terminal else _pipe_width()
    # NO_COLOR: no escape codes at all (Rich's no_color would still emit bold and dim)
    no_color = bool(os.environ.get("NO_COLOR"))
    console = Console(file=buffer, force_terminal=is_terminal, width=width,
                      color_system=None if no_color else "auto",
                      highlight=False, soft_wrap=False)
    if is_terminal:
        console.size = _terminal_size(out)
    return console, buffer


def _pipe_width() -> int:
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else PIPE_WIDTH


def _terminal_size(out: TextIO) -> tuple[int, int]:
    try:
        size = os.get_terminal_size(out.fileno())
        return size.columns, size.lines
    except (OSError, ValueError, AttributeError):
        return 80, 25
