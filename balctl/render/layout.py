"""Fitting a table to the terminal (issue 10), the way `gh` does: never wrap a cell, leave out
whole columns by priority, and below the width of the essential columns give up on columns
altogether (the caller prints one block of `key: value` lines per row).

Pure arithmetic on screen cells; nothing here draws. A column is as wide as its widest cell
or the longest word of its heading (a heading may take several lines, split between words
only), and widened to hold its heading on one line when there is room.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len

BORDER = 3
"""Screen cells a column costs besides its content: a space either side and one rule."""
EDGE = 1
"""The table's left rule."""


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    name: str
    heading: str
    content_width: int
    """The widest cell, in screen cells."""

    @property
    def min_width(self) -> int:
        return max(self.content_width, *(cell_len(word) for word in self.heading.split() or [""]))

    @property
    def natural_width(self) -> int:
        return max(self.content_width, cell_len(self.heading))


@dataclass(frozen=True, slots=True)
class Fit:
    """The outcome: the columns shown with their widths (in display order), the names left
    out for width (in the order they were dropped), or `blocks` when not even the
    essential columns fit."""

    widths: dict[str, int]
    hidden: list[str]
    blocks: bool = False


def table_width(widths: Sequence[int], border: int = BORDER, edge: int = EDGE) -> int:
    return edge + sum(width + border for width in widths)


def fit(columns: Sequence[ColumnSpec], width: int | None, drop_order: Sequence[str] = (), *,
        border: int = BORDER, edge: int = EDGE, refill: bool = False) -> Fit:
    """Choose columns and widths for `width` screen cells (None: no limit), each column
    costing `border` cells besides its content and the table `edge` more.

    Columns named in `drop_order` are optional and go in that order until the rest fits;
    every other column is essential. `refill`: then take back, most important first, the
    dropped columns that fit in the room left (a wide URL gone leaves room for a narrow
    column dropped before it).
    """
    shown = list(columns)
    hidden: list[str] = []
    if width is not None:
        optional = [name for name in drop_order if any(column.name == name for column in shown)]
        while table_width([column.min_width for column in shown], border, edge) > width and optional:
            name = optional.pop(0)
            shown = [column for column in shown if column.name != name]
            hidden.append(name)
        if table_width([column.min_width for column in shown], border, edge) > width:
            return Fit({}, [], blocks=True)
        if refill:
            shown, hidden = _refill(columns, hidden, width, border, edge)
    widths = {column.name: column.min_width for column in shown}
    slack = None if width is None else width - table_width(list(widths.values()), border, edge)
    for column in shown:  # one-line headings where there is room, left to right
        extra = column.natural_width - widths[column.name]
        if slack is None or extra <= slack:
            widths[column.name] += extra
            slack = None if slack is None else slack - extra
    return Fit(widths, hidden)


def _refill(columns: Sequence[ColumnSpec], hidden: list[str], width: int, border: int,
            edge: int) -> tuple[list[ColumnSpec], list[str]]:
    """The columns shown once every dropped column that still fits is back (tried in the
    reverse of the order they went), and the names still left out, in the order they went."""
    for name in reversed(list(hidden)):
        trial = [column for column in columns if column.name not in hidden or column.name == name]
        if table_width([column.min_width for column in trial], border, edge) <= width:
            hidden.remove(name)
    return [column for column in columns if column.name not in hidden], hidden


def heading_lines(heading: str, width: int) -> str:
    """The heading wrapped between words to `width` cells ("Position\\nmargin")."""
    lines: list[str] = []
    for word in heading.split():
        if lines and cell_len(lines[-1]) + 1 + cell_len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "\n".join(lines)
