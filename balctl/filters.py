"""Which rows to show, and in what order (issue 10): pure functions on the model.

Filtering (`--asset`, `--min-value`, `--hide-zero`) applies to every output format, since
the user asked for fewer rows; the rows kept are untouched, so JSON and CSV stay exact.
Sorting is for the table only: JSON and CSV keep the exchange's order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from balctl.model import Balance, Report, Snapshot

SORTS = ("value", "asset", "total", "loan")


@dataclass(frozen=True, slots=True)
class RowFilter:
    """What the user asked to leave out. The default keeps every row."""

    assets: tuple[str, ...] = ()
    """Upper-case asset codes to keep; empty keeps all."""
    min_value: Decimal | None = None
    """Leave out rows worth less than this many USD; rows without a USD value are kept."""
    hide_zero: bool = False

    def __bool__(self) -> bool:
        return bool(self.assets) or self.min_value is not None or self.hide_zero

    def keeps(self, row: Balance) -> bool:
        if self.assets and row.asset not in self.assets:
            return False
        if self.min_value is not None and row.usd_value is not None and row.usd_value < self.min_value:
            return False
        return not (self.hide_zero and row.is_zero())


def filter_snapshot(snapshot: Snapshot, keep: RowFilter) -> Snapshot:
    """The snapshot with only the rows `keep` keeps, breakdown rows included (the same
    object when nothing is asked)."""
    if not keep:
        return snapshot
    return replace(snapshot, balances=[row for row in snapshot.balances if keep.keeps(row)],
                   breakdown=[row for row in snapshot.breakdown if keep.keeps(row)])


def filter_report(report: Report, keep: RowFilter) -> Report:
    if not keep:
        return report
    return replace(report, accounts=[filter_snapshot(account, keep) for account in report.accounts])


def sort_rows(rows: Sequence[Balance], by: str = "value") -> list[Balance]:
    """Rows in display order.

    `value`: USD value descending where the exchange gives one, rows without it after, in
    the exchange's order. `asset`: by code. `total`, `loan`: descending, nulls last.
    Rows that share a market (an XT pair's base and quote) move together, in the
    exchange's order within the market, keyed by the market's first row.
    """
    if by not in SORTS:
        raise ValueError(f"unknown sort {by!r}")
    groups: dict[Any, list[Balance]] = {}
    for index, row in enumerate(rows):
        groups.setdefault(row.market if row.market is not None else ("row", index), []).append(row)
    key = _KEYS[by]
    ordered = sorted(groups.values(), key=lambda group: key(group[0]))  # stable: ties keep exchange order
    return [row for group in ordered for row in group]


def _descending(name: str) -> Callable[[Balance], tuple[bool, Decimal]]:
    def key(row: Balance) -> tuple[bool, Decimal]:
        value = getattr(row, name)
        return (value is None, -value if value is not None else Decimal(0))

    return key


_KEYS: dict[str, Callable[[Balance], Any]] = {
    "value": _descending("usd_value"),
    "asset": lambda row: (row.asset, row.market or ""),
    "total": _descending("total"),
    "loan": _descending("loan"),
}
