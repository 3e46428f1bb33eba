"""Series out of the history database: one field of each account over a period, its gaps,
and its change over 1 h, 24 h, 7 d and 30 d.

A point whose value is None is a gap: the account failed in that run (an `errors` row) or
the exchange did not report the field. Charts break the line there; nothing is ever
drawn or summed as zero. Values stay `Decimal` built from the stored text.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, localcontext

from balctl.errors import UsageError
from balctl.history.store import SUMMARY_FIELDS
from balctl.model import AMOUNT_FIELDS, EXACT, decimal_sum, iso_millis
from balctl.numeric import shown
from balctl.sanitize import terminal_text

CHANGE_WINDOWS: tuple[tuple[str, timedelta], ...] = (
    ("1h", timedelta(hours=1)),
    ("24h", timedelta(hours=24)),
    ("7d", timedelta(days=7)),
    ("30d", timedelta(days=30)),
)
LOOKBACK = timedelta(days=33)
"""How far before the latest point the table's changes may need data (30 d and 10 %)."""

ACCEPTED_TIMES = "90m, 24h, 7d (that long ago) or an ISO date such as 2026-01-31 or 2026-01-31T12:00 (UTC)"
_RELATIVE = re.compile(r"([0-9]{1,6})([mhd])")  # [0-9], not \d: that would read `٣d` as 3 days
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_moment(text: str, *, option: str, now: datetime, end_of_day: bool = False) -> datetime:
    """`90m`/`24h`/`7d` before `now`, or an ISO date/time (UTC unless it names a zone).

    A bare date is the start of that day, or its end with `end_of_day` (so `--until
    2026-01-31` includes the 31st).
    """
    value = text.strip()
    relative = _RELATIVE.fullmatch(value.lower())
    try:
        if relative:
            return now - timedelta(**{_UNITS[relative.group(2)]: int(relative.group(1))})
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            day = date.fromisoformat(value)
            moment = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
            return moment + timedelta(days=1, microseconds=-1000) if end_of_day else moment
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
                        r"(Z|[+-][0-9]{2}:[0-9]{2})?", value):
            moment = datetime.fromisoformat(value)
            return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
    except (ValueError, OverflowError):  # 2026-13-01; 999999d before year 1
        pass
    raise UsageError(f"bad {option} {shown(value)}: use {ACCEPTED_TIMES}")


@dataclass(frozen=True)
class Point:
    at: str
    """ISO-8601 UTC, as stored."""
    value: Decimal | None
    """None: a gap (the account failed in that run, or the field was not reported)."""

    @property
    def moment(self) -> datetime:
        return datetime.fromisoformat(self.at)


@dataclass
class Series:
    profile: str
    exchange: str
    account: str
    unit: str | None
    asset: str | None
    points: list[Point] = field(default_factory=list)

    @property
    def label(self) -> str:
        name = f"{self.profile} · {self.account}"
        name = f"{name} · {self.asset}" if self.asset and self.asset != self.unit else name
        return terminal_text(name, limit=60)  # names come from files: never drive the terminal

    def latest(self) -> Point | None:
        """The last point with a value."""
        return next((point for point in reversed(self.points) if point.value is not None), None)

    def between(self, since: datetime | None, until: datetime | None) -> Series:
        low = iso_millis(since) if since else ""
        high = iso_millis(until) if until else "~"
        return Series(self.profile, self.exchange, self.account, self.unit, self.asset,
                      [point for point in self.points if low <= point.at <= high])


@dataclass(frozen=True)
class Request:
    """What `balctl history` asks for; times are already parsed."""

    field: str = "equity"
    profiles: tuple[str, ...] = ()
    assets: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None


def field_kind(name: str, assets: Sequence[str]) -> str:
    """`summary` or `row`. `loan` is both: the account's loan, or with --asset the rows'."""
    if name in AMOUNT_FIELDS and (assets or name not in SUMMARY_FIELDS):
        return "row"
    if name in SUMMARY_FIELDS:
        if assets:
            raise UsageError(f"--field {name} is an account figure; --asset goes with a row field "
                             f"({', '.join(AMOUNT_FIELDS)})")
        return "summary"
    raise UsageError(f"unknown --field {name[:40]!r}: an account figure ({', '.join(SUMMARY_FIELDS)}) "
                     f"or a row field ({', '.join(AMOUNT_FIELDS)})")


def load_series(connection: sqlite3.Connection, request: Request) -> list[Series]:
    """Every series of the field between `since` and `until`, gaps included, ordered by
    profile, exchange, account, unit and asset."""
    kind = field_kind(request.field, request.assets)
    low = iso_millis(request.since) if request.since else ""
    high = iso_millis(request.until) if request.until else "~"
    profiles = _in("profile", request.profiles)
    series: dict[tuple, Series] = {}
    if kind == "summary":
        rows = connection.execute(
            f"SELECT fetched_at, profile, exchange, account, unit, {request.field} FROM snapshots "
            f"WHERE fetched_at BETWEEN ? AND ? AND unit IS NOT NULL{profiles[0]} ORDER BY fetched_at, id",
            (low, high, *profiles[1]),
        )
        for at, profile, exchange, account, unit, value in rows:
            key = (profile, exchange, account, unit, None)
            series.setdefault(key, Series(*key)).points.append(Point(at, _decimal(value)))
    else:
        _load_rows(connection, request, low, high, series)
    _add_gaps(connection, series, low, high, request.profiles)
    return [series[key] for key in sorted(series, key=lambda key: tuple(part or "" for part in key))]


def _load_rows(connection: sqlite3.Connection, request: Request, low: str, high: str,
               series: dict[tuple, Series]) -> None:
    """A row field summed per snapshot and asset (an XT account has USDT in several pairs)."""
    profiles = _in("s.profile", request.profiles)
    assets = _in("b.asset", request.assets)
    rows = connection.execute(
        f"SELECT s.fetched_at, s.id, s.profile, s.exchange, s.account, b.asset, b.{request.field} "
        f"FROM snapshots s JOIN balances b ON b.snapshot = s.id "
        f"WHERE s.fetched_at BETWEEN ? AND ?{profiles[0]}{assets[0]} ORDER BY s.fetched_at, s.id, b.id",
        (low, high, *profiles[1], *assets[1]),
    )
    sums: dict[tuple[int, str], list] = {}
    for at, snapshot, profile, exchange, account, asset, value in rows:
        entry = sums.get((snapshot, asset))
        if entry is None:
            unit = "USD" if request.field == "usd_value" else asset
            entry = sums[(snapshot, asset)] = [at, (profile, exchange, account, unit, asset), []]
        entry[2].append(_decimal(value))
    for at, key, values in sums.values():
        total = values[0] if len(values) == 1 else decimal_sum(values)  # mostly one row per asset
        series.setdefault(key, Series(*key)).points.append(Point(at, total))


def _add_gaps(connection: sqlite3.Connection, series: dict[tuple, Series], low: str, high: str,
              profiles: Sequence[str]) -> None:
    """A failed run of an account is a None point in each of its series, at the run's start."""
    where = _in("e.profile", profiles)
    failures = connection.execute(
        f"SELECT r.started_at, e.profile, e.exchange FROM errors e JOIN runs r ON r.id = e.run "
        f"WHERE r.started_at BETWEEN ? AND ?{where[0]}",
        (low, high, *where[1]),
    ).fetchall()
    if not failures:
        return
    by_account: dict[tuple[str, str], list[Series]] = {}
    for one in series.values():
        by_account.setdefault((one.profile, one.exchange), []).append(one)
    for at, profile, exchange in failures:
        for one in by_account.get((profile, exchange), []):
            one.points.append(Point(at, None))
    for one in series.values():
        one.points.sort(key=lambda point: point.at)


def _in(column: str, values: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    if not values:
        return "", ()
    return f" AND {column} IN ({', '.join('?' * len(values))})", tuple(values)


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


@dataclass(frozen=True)
class Change:
    since: Point
    """The earlier point the change is measured from."""
    absolute: Decimal
    percent: Decimal | None
    """None when the earlier value is zero."""


def changes(series: Series, windows: Sequence[tuple[str, timedelta]] = CHANGE_WINDOWS) -> dict[str, Change | None]:
    """The latest value's change over each window, where the history reaches that far back.

    The earlier point is the last one at or before `latest - window` (with a few minutes'
    slack: cron starts a run a few seconds late or early), and at most 10 % older than the
    window (after a gap, a "1 h change" over three hours would be a false figure).
    """
    latest = series.latest()
    result: dict[str, Change | None] = {name: None for name, _ in windows}
    if latest is None:
        return result
    now = latest.moment
    known = [point for point in series.points if point.value is not None]
    for name, window in windows:
        slack = min(window / 10, timedelta(minutes=5))
        target, oldest = iso_millis(now - window + slack), iso_millis(now - window * 1.1)
        earlier = next((p for p in reversed(known) if p.at <= target), None)
        if earlier is None or earlier.at < oldest:
            continue
        result[name] = _change(earlier, latest.value)
    return result


def _change(earlier: Point, value: Decimal) -> Change:
    with localcontext(EXACT):
        absolute = value - earlier.value
    percent = None
    if earlier.value:
        with localcontext() as context:
            context.prec = 28
            percent = absolute * 100 / abs(earlier.value)
    return Change(earlier, absolute, percent)

