"""Tables for people (docs/contract.md, Output; issue 10): one table per account, the
summary under it, and footnotes for what was left out or rounded.

The table fits the terminal the way `gh` does (render/layout.py): a cell never wraps; whole
columns go by priority; below the essential columns' width each row becomes a block of
`key: value` lines. Amounts are rounded for display only (render/numbers.py), grouped and
aligned on the decimal point. A pipe gets whole rows at any width unless COLUMNS is set.

The table is drawn here, line by line, rather than by Rich: every width is already known, and
Rich's general layout made a 1,000-asset table several times slower (benchmarks/). `grid` and
`page_for` draw the `balctl profiles` and `profiles check` tables too, by the same rules.

Colour: `--color always|never`, else NO_COLOR turns it off, FORCE_COLOR on, and otherwise
only a terminal gets it. Without colour there are no escape codes at all.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TextIO

from rich.cells import cell_len

from balctl.filters import sort_rows
from balctl.model import AMOUNT_FIELDS, Balance, Report, Snapshot, decimal_sum
from balctl.numeric import is_digits
from balctl.render import TableOptions
from balctl.render.layout import ColumnSpec, fit, heading_lines
from balctl.render.numbers import NULL, USD_PLACES, Shown, align, is_usd_unit, show
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
DROP_ORDER = ("frozen", "interest", "order_margin", "position_margin")
"""Optional columns, the first to go when the table is too wide; the others are essential."""
WALLET = "wallet"
"""The market cell of an account-wide row among per-market rows (CoinSwitch's wallet)."""

RISK_FIGURES = (  # Summary attribute, label, in the summary's unit?
    ("adjusted_equity", "adjusted equity", True),
    ("margin_ratio", "margin ratio", False),
    ("maintenance_margin", "maintenance margin", True),
    ("initial_margin", "initial margin", True),
    ("unrealized_pnl", "unrealised P&L", True),
    ("notional", "notional", True),
)

# SGR parameters: the few styles the table uses
NEGATIVE = "31"  # red
OWED = "33"  # yellow: non-zero loans and interest
FAINT = "2"  # zeros, nulls, footnotes
BOLD = "1"  # headings, equity
ITALIC = "3"  # titles
ALERT = "1;31"  # a fired alert: bold red
MOVED = {1: "1;32", -1: "1;31"}  # --watch: an amount up since the last refresh bold green, down bold red

BREAKDOWN_CAPTION = "already included in the balances above"
HIDDEN_NOTE = "hidden: {} — widen the terminal or use --columns"
LISTING_HIDDEN_NOTE = "hidden: {} — widen the terminal or use -o json"
"""The profiles listings have no --columns: their JSON has every field, by these names."""
ROUNDED_NOTE = "amounts rounded for display; -o json or --digits all shows the exact digits"
SEPARATOR = "   "
NEW_LINE = "\n"
INDENT = "  "

Segment = tuple[str, "str | None"]
"""A piece of a line and its SGR style."""
Line = list[Segment]


@dataclass
class Page:
    """Everything to print, as styled lines, and what the footnotes must say."""

    width: int | None
    """Screen cells available; None: a pipe without COLUMNS, never wrapped."""
    options: TableOptions
    color: bool = False
    """Styles are drawn only when they will be printed."""
    lines: list[Line] = field(default_factory=list)
    rounded: bool = False

    def shown(self, value: Decimal | None, *, usd: bool) -> Shown:
        """An amount for display; `usd`: in USD units, so cents."""
        places = (None if self.options.digits is None else USD_PLACES) if usd else self.options.digits
        result = show(value, places=places, fixed=usd and places is not None)
        self.rounded = self.rounded or result.rounded
        return result

    def text(self, text: str, style: str | None = None, *, indent: str = "") -> None:
        """Free text, wrapped between words to the page width (continuation lines `indent`ed)."""
        self.lines += [[(line, style)] for line in wrap_words(text, self.width, indent)]


def snapshot(snapshot: Snapshot, *, raw: bool = False, out: TextIO | None = None,
             options: TableOptions | None = None) -> str:
    return report_text([snapshot], totals=False, out=out, options=options)


def report(report: Report, *, raw: bool = False, out: TextIO | None = None,
           options: TableOptions | None = None) -> str:
    return report_text(report.accounts, totals=len(report.accounts) > 1, out=out, options=options)


def report_text(accounts: Sequence[Snapshot], *, totals: bool, out: TextIO | None,
                options: TableOptions | None) -> str:
    page = page_for(out, options)
    for index, account in enumerate(accounts):
        if index:
            page.lines.append([])
        _account(page, account)
    if totals:
        page.lines.append([])
        _totals(page, accounts)
    if page.rounded:
        page.text(ROUNDED_NOTE, FAINT)
    return styled(page.lines, page.color)


def page_for(out: TextIO | None, options: TableOptions | None = None) -> Page:
    """An empty page as wide as `out` allows, coloured only if `out` should get colour: the
    start of every table balctl draws (balances, and the profiles listings)."""
    options = options or TableOptions()
    return Page(layout_width(out), options, wants_color(out, options.color))


def styled(lines: list[Line], color: bool) -> str:
    """The text, with SGR escapes only when `color`; no trailing blanks."""
    if not color:
        return "".join("".join(text for text, _ in line).rstrip() + "\n" for line in lines)
    return "".join("".join(f"\x1b[{style}m{text}\x1b[0m" if style and text else text
                           for text, style in line).rstrip() + "\n" for line in lines)


def width_of(text: str) -> int:
    """Screen cells: an ASCII string (every number, most codes) is as wide as it is long."""
    return len(text) if text.isascii() else cell_len(text)


def wrap_words(text: str, width: int | None, indent: str = "") -> list[str]:
    """`text` on lines of at most `width` cells, broken between words only (a word longer
    than the width keeps its own line: it may overflow, never split); lines after the first
    start with `indent`, so a note that names its row stays readable as one."""
    if width is None:
        return [text]
    lines: list[str] = []
    for word in text.split(" "):
        if lines and width_of(lines[-1]) + 1 + width_of(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(indent + word if lines else word)
    return lines


# --- one account ----------------------------------------------------------------------------

def _account(page: Page, account: Snapshot) -> None:
    page.text(terminal_text(f"{account.exchange} · {account.profile} · {account.account}"), ITALIC)
    rows = sort_rows(account.balances, page.options.sort)
    names = _column_names(account.balances, page.options)
    moved = {(market, asset, name): way for profile, market, asset, name, way in page.options.marks
             if profile == account.profile}
    hidden = grid(page, [_column(page, name, rows, moved) for name in names])
    if not rows:
        page.text("no balances", FAINT)
    _summary(page, account)
    for line in alert_lines(account):
        page.text(line, ALERT)
    if hidden:
        page.text(HIDDEN_NOTE.format(", ".join(hidden)), FAINT)
    if account.breakdown:
        page.lines.append([])
        _breakdown(page, account)


def _breakdown(page: Page, account: Snapshot) -> None:
    """The rows that split a balance row (CoinSwitch: what each symbol locks), in a table of
    their own: they are part of the balances above, not more of them."""
    page.text(terminal_text(f"{account.exchange} · {account.profile} · by market"), ITALIC)
    rows = sort_rows(account.breakdown, page.options.sort)
    names = _column_names(account.breakdown, page.options)
    hidden = grid(page, [_column(page, name, rows) for name in names])
    page.text(BREAKDOWN_CAPTION, FAINT)
    if hidden:
        page.text(HIDDEN_NOTE.format(", ".join(hidden)), FAINT)


def alert_lines(account: Snapshot) -> list[str]:
    """The account's fired alerts, one (bold red) line each, under its summary."""
    if not account.alerts:
        return []
    from balctl.alerts import describe

    return [terminal_text(f"  alert: {describe(alert)}") for alert in account.alerts]


def _column_names(rows: Sequence[Balance], options: TableOptions) -> list[str]:
    if options.columns:
        return list(options.columns)
    names = ["market"] if any(row.market for row in rows) else []
    names.append("asset")
    return names + [name for name in AMOUNT_FIELDS if any(getattr(row, name) is not None for row in rows)]


@dataclass(frozen=True, slots=True)
class Column:
    """A column ready to draw: its cells (numbers already aligned), and each cell's style."""

    name: str
    heading: str
    cells: list[str]
    styles: list[str | None]
    numeric: bool

    @property
    def width(self) -> int:
        return max((width_of(cell) for cell in self.cells), default=0)


def _column(page: Page, name: str, rows: Sequence[Balance],
            moved: dict[tuple[str, str, str], int] | None = None) -> Column:
    if name in ("market", "asset"):
        account_wide = WALLET if any(row.market for row in rows) else NULL
        # codes come from the exchange: printable (model.code), but bidi/zero-width are escaped
        values = [terminal_text((row.market or account_wide) if name == "market" else row.asset) for row in rows]
        return Column(name, HEADINGS[name], values, [None] * len(values), numeric=False)
    shown = [page.shown(getattr(row, name), usd=name == "usd_value" or is_usd_unit(row.asset)) for row in rows]
    owed = name in ("loan", "interest")
    marks = [MOVED.get((moved or {}).get((row.market or "", row.asset, name), 0)) for row in rows]
    return Column(name, HEADINGS[name], align([item.text for item in shown]),
                  [mark or _emphasis(item, owed=owed) for item, mark in zip(shown, marks)], numeric=True)


def _emphasis(item: Shown, *, owed: bool = False, style: str | None = None) -> str | None:
    """Zero or null dim; negative red; a non-zero loan or interest yellow; plus `style`."""
    if not item.sign:
        return FAINT
    colour = NEGATIVE if item.sign < 0 else OWED if owed else None
    return ";".join(part for part in (style, colour) if part) or None


@dataclass(frozen=True, slots=True)
class Frame:
    """How a table is ruled. `boxed` is the normal look; `plain` (gh's: columns two blanks
    apart, a rule under the headings) saves a column of rules and padding per column when
    the boxed table cannot hold the essential columns."""

    top: tuple[str, str, str, str] | None
    """Rules: left end, line, crossing, right end."""
    heading: tuple[str, str, str]
    """Between cells: left edge, between columns, right edge."""
    under_heading: tuple[str, str, str, str]
    body: tuple[str, str, str]
    bottom: tuple[str, str, str, str] | None
    padding: int
    """Blanks beside a cell, both sides together (a rule runs under them)."""
    border: int
    edge: int


BOXED = Frame(("┏", "━", "┳", "┓"), ("┃ ", " ┃ ", " ┃"), ("┡", "━", "╇", "┩"), ("│ ", " │ ", " │"),
              ("└", "─", "┴", "┘"), padding=2, border=3, edge=1)
PLAIN = Frame(None, ("", "  ", ""), ("", "─", "  ", ""), ("", "  ", ""), None, padding=0, border=2, edge=-2)


def listing(page: Page, columns: list[Column], drop_order: Sequence[str], notes: Sequence[str]) -> str:
    """A profiles listing: its table fitted to the page (dropped columns may come back, see
    layout.fit), then what needs a sentence as notes under it, one each, wrapped between
    words, then the footnote naming what was hidden."""
    hidden = grid(page, columns, drop_order, refill=True)
    if notes or hidden:  # a blank line: an unboxed table's last row is not followed by text
        page.lines.append([])
    for note in notes:
        page.text(note, indent=INDENT)
    if hidden:
        page.text(LISTING_HIDDEN_NOTE.format(", ".join(hidden)), FAINT)
    return styled(page.lines, page.color)


def grid(page: Page, columns: list[Column], drop_order: Sequence[str] = DROP_ORDER, *,
         refill: bool = False) -> list[str]:
    """Draw `columns` as a table fitted to the page, or as blocks; return the hidden names.

    `drop_order`: the optional columns, first to go first (the balance columns by default;
    the profiles listings pass their own, with `refill`: see layout.fit). Columns the user
    chose are never dropped.
    """
    specs = [ColumnSpec(column.name, column.heading, column.width) for column in columns]
    optional = () if page.options.columns else drop_order
    width = None if page.options.every_column else page.width
    for frame in (BOXED, PLAIN):
        layout = fit(specs, width, optional, border=frame.border, edge=frame.edge, refill=refill)
        if not layout.blocks:
            break
    else:
        _blocks(page, columns)
        return []
    shown = [column for column in columns if column.name in layout.widths]
    widths = [layout.widths[column.name] for column in shown]
    headings = [_heading(column, width) for column, width in zip(shown, widths)]
    height = max((len(lines) for lines in headings), default=0)
    headings = [[" " * width] * (height - len(lines)) + lines  # at the bottom
                for lines, width in zip(headings, widths)]
    if frame.top:
        page.lines.append(_rule(frame.top, widths, frame.padding))
    for row in range(height):
        page.lines.append(_row(frame.heading, [(lines[row], BOLD) for lines in headings]))
    page.lines.append(_rule(frame.under_heading, widths, frame.padding))
    padded = [[_pad(cell, width, column.numeric) for cell in column.cells] for column, width in zip(shown, widths)]
    if page.color:
        for index, cells in enumerate(zip(*padded)):
            page.lines.append(_row(frame.body, [(cell, column.styles[index]) for cell, column in zip(cells, shown)]))
    else:  # the same text without styles: one string per row (1,000-row tables, benchmarks/)
        left, between, right = frame.body
        page.lines += [[(left + between.join(cells) + right, None)] for cells in zip(*padded)]
    if frame.bottom:
        page.lines.append(_rule(frame.bottom, widths, frame.padding))
    return layout.hidden


def _heading(column: Column, width: int) -> list[str]:
    lines = heading_lines(column.heading, width).split("\n")
    return [_pad(line, width, column.numeric) for line in lines]


def _pad(text: str, width: int, right: bool) -> str:
    """Numbers arrive aligned on the point: padding on the left keeps them so."""
    blank = " " * (width - width_of(text))
    return blank + text if right else text + blank


def _rule(chars: tuple[str, str, str, str], widths: list[int], padding: int) -> Line:
    left, line, cross, right = chars
    return [(left + cross.join(line * (width + padding) for width in widths) + right, None)]


def _row(rules: tuple[str, str, str], cells: list[Segment]) -> Line:
    """`│ a │ b │`: the style covers a number, not the blanks aligning it."""
    left, between, right = rules
    line: Line = [(left, None)]
    for index, (text, style) in enumerate(cells):
        if index:
            line.append((between, None))
        if style:
            core = text.strip(" ")
            start = len(text) - len(text.lstrip(" "))
            line += [(text[:start], None), (core, style), (text[start + len(core):], None)]
        else:
            line.append((text, None))
    line.append((right, None))
    return line


def _blocks(page: Page, columns: list[Column]) -> None:
    """Too narrow for the essential columns: each row as `Heading: value` lines. A value too
    long to follow its aligned heading goes whole on the next line, indented (a URL at 40
    columns): moved, never split."""
    keys = [f"{column.heading}: " for column in columns]
    key_width = max(map(cell_len, keys), default=0)
    rows = len(columns[0].cells) if columns else 0
    for index in range(rows):
        if index:
            page.lines.append([])
        for key, column in zip(keys, columns):
            value, style = column.cells[index].strip(), column.styles[index]
            if page.width is not None and key_width + width_of(value) > page.width:
                page.lines += [[(key.rstrip(), None)], [(INDENT, None), (value, style)]]
            else:
                page.lines.append([(_pad(key, key_width, False), None), (value, style)])


# --- summary and totals -------------------------------------------------------------------

def _summary(page: Page, account: Snapshot) -> None:
    """Equity (bold), loan or the rows' loans, and every risk figure the account has, packed
    onto lines no wider than the page without splitting a figure."""
    summary = account.summary
    usd = is_usd_unit(summary.unit)
    items = [(SEPARATOR, _figure("equity", page.shown(summary.equity, usd=usd), summary.unit, BOLD))]
    loans = [row for row in account.balances if row.loan]
    if summary.loan is None and loans:
        items += _loans(page, loans)
    else:
        items.append((SEPARATOR, _figure("loan", page.shown(summary.loan, usd=usd), summary.unit, owed=True)))
    risk = [(name, label, in_unit) for name, label, in_unit in RISK_FIGURES if getattr(summary, name, None) is not None]
    for index, (name, label, in_unit) in enumerate(risk):  # on lines of their own
        shown = page.shown(getattr(summary, name), usd=usd and in_unit)
        items.append((SEPARATOR if index else NEW_LINE, _figure(label, shown, summary.unit if in_unit else None)))
    page.lines += _pack(items, page.width)


def _figure(label: str, item: Shown, unit: str | None, style: str | None = None, *, owed: bool = False) -> Line:
    """`label value unit`, the value emphasised like a table cell (`style` added when not zero)."""
    line: Line = [(f"{label} ", None), (item.text, _emphasis(item, owed=owed, style=style))]
    if unit and item.sign is not None:
        line.append((f" {terminal_text(unit)}", None))
    return line


def _loans(page: Page, rows: list[Balance]) -> list[tuple[str, Line]]:
    """`loans: ETH 1.5 (+0.00018493 interest), BTC 0.25`: an account with loans but no
    account-level loan total (OKX)."""
    items = []
    for index, row in enumerate(rows):
        usd = is_usd_unit(row.asset)
        loan = page.shown(row.loan, usd=usd)
        line: Line = [(("loans: " if index == 0 else "") + f"{terminal_text(row.asset)} ", None),
                      (loan.text, _emphasis(loan, owed=True))]
        if row.interest:
            interest = page.shown(row.interest, usd=usd)
            line += [(" (+" if interest.sign > 0 else " (", None), (interest.text, _emphasis(interest, owed=True)),
                     (" interest)", None)]
        if index < len(rows) - 1:
            line.append((",", None))
        items.append((SEPARATOR if index == 0 else " ", line))
    return items


def _pack(items: list[tuple[str, Line]], width: int | None) -> list[Line]:
    """Items indented, each after its separator, or on a new line where it would not fit."""
    lines: list[Line] = [[(INDENT, None)]]
    used = len(INDENT)
    for index, (separator, item) in enumerate(items):
        size = sum(width_of(text) for text, _ in item)
        if index and (separator == NEW_LINE or width is not None and used + len(separator) + size > width):
            lines.append([(INDENT, None)])
            used = len(INDENT)
        elif index:
            lines[-1].append((separator, None))
            used += len(separator)
        lines[-1] += item
        used += size
    return lines


def _totals(page: Page, accounts: Sequence[Snapshot]) -> None:
    """Summary equity summed per unit: USD and USDT are never added together."""
    by_unit: dict[str, list[Decimal]] = defaultdict(list)
    for account in accounts:
        if account.summary.equity is not None:
            by_unit[account.summary.unit].append(account.summary.equity)
    units = sorted(by_unit)
    page.text("Totals", ITALIC)
    equity = [page.shown(decimal_sum(by_unit[unit]), usd=is_usd_unit(unit)) for unit in units]
    counts = [str(len(by_unit[unit])) for unit in units]
    grid(page, [
        Column("unit", "Unit", [terminal_text(unit) for unit in units], [None] * len(units), numeric=False),
        Column("equity", "Equity", align([item.text for item in equity]),
               [_emphasis(item, style=BOLD) for item in equity], numeric=True),
        Column("accounts", "Accounts", counts, [None] * len(units), numeric=True),
    ])


# --- the output ---------------------------------------------------------------------------

def wants_color(out: TextIO | None, color: str = "auto") -> bool:
    """`always`/`never` win; else NO_COLOR (no-color.org), then FORCE_COLOR (force-color.org),
    then whether `out` is a terminal."""
    if color in ("always", "never"):
        return color == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return _is_terminal(out)


def layout_width(out: TextIO | None) -> int | None:
    """The terminal's width; in a pipe COLUMNS if set, else None (no limit: whole rows)."""
    if _is_terminal(out):
        return _terminal_size(out)[0]
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if is_digits(columns) and int(columns) > 0 else None


def _is_terminal(out: Any) -> bool:
    return bool(out is not None and hasattr(out, "isatty") and out.isatty())


def _terminal_size(out: TextIO) -> tuple[int, int]:
    """A terminal that reports no size (a fresh pty never given one says 0x0) gets COLUMNS,
    else 80 columns, rather than a zero width that puts every word on its own line."""
    try:
        size = os.get_terminal_size(out.fileno())
        columns, lines = size.columns, size.lines
    except (OSError, ValueError, AttributeError):
        columns, lines = 0, 0
    if columns <= 0:
        env = os.environ.get("COLUMNS", "")
        columns = int(env) if is_digits(env) and int(env) > 0 else 80
    return columns, lines if lines > 0 else 25
