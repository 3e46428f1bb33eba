"""`balctl history --import FILE.csv`: the CSV that `--append` wrote, loaded as snapshots.

The rows of one profile, exchange and account with one `fetched_at` are one snapshot (the
CSV has no summary, so its fields stay NULL); `--append` writes them together, so a later
block with the same stamp is a copy (files concatenated twice) and is left out. Snapshots less than a minute apart are one
run, as cron wrote them. A snapshot already in the database (same profile, exchange,
account and `fetched_at`, whether imported or recorded) is skipped, so importing the same
file twice adds nothing. The file is checked whole before anything is written, and written
in one transaction: a bad line imports nothing.
"""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from balctl.errors import BalctlError
from balctl.history.store import HistoryError, connect, database_error, insert_run, transaction
from balctl.model import AMOUNT_FIELDS, amount, code, format_amount, iso_millis
from balctl.render.csv import FORMULA_START, HEADER

RUN_GAP = timedelta(seconds=60)
"""Snapshots closer than this belong to one run (one cron line fetches in seconds)."""

YEARS = (2000, 2100)
"""fetched_at is a fetch's own clock: a year outside these is no balctl row. Stored text
must stay fixed-width (`strftime('%Y')` writes year 1 as `1`), so its order is time order."""

Key = tuple[str, str, str, str]
"""profile, exchange, account, fetched_at (normalised ISO text)."""


@dataclass(frozen=True)
class ImportResult:
    added: int
    """Snapshots written."""
    rows: int
    """Balance rows written."""
    skipped: int
    """Snapshots already in the database."""


def import_csv(db_path: Path, csv_path: Path) -> ImportResult:
    """Load `csv_path` into the database at `db_path` (created if missing)."""
    snapshots = read_snapshots(csv_path)
    connection = connect(db_path, create=True)
    try:
        with transaction(connection):
            new = [key for key in snapshots if not _exists(connection, key)]
            for run_keys in _runs(new):
                run = insert_run(connection, command=f"import {csv_path.name}",
                                 started_at=_moment(run_keys[0][3]), finished_at=_moment(run_keys[-1][3]))
                for key in run_keys:
                    _insert(connection, run, key, snapshots[key])
    except sqlite3.Error as exc:
        raise database_error(db_path, exc) from None
    finally:
        connection.close()
    return ImportResult(len(new), sum(len(snapshots[key]) for key in new), len(snapshots) - len(new))


def read_snapshots(path: Path) -> dict[Key, list[tuple[str | None, ...]]]:
    """Every snapshot of the file, in file order, as (market, asset, *amounts) rows."""
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            return _snapshots(path, csv.reader(handle))
    except FileNotFoundError:
        raise HistoryError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise HistoryError(f"{path}: cannot read the CSV: {getattr(exc, 'strerror', None) or exc}") from None


def _snapshots(path: Path, lines: Iterator[list[str]]) -> dict[Key, list[tuple[str | None, ...]]]:
    """The lines are read one at a time: a year of cron rows is never all in memory as text."""
    if tuple(next(lines, ())) != HEADER:
        raise HistoryError(f"{path}: not a CSV written by --append (its first line must be {','.join(HEADER)})")
    snapshots: dict[Key, list[tuple[str | None, ...]]] = {}
    current: Key | None = None
    copy = False
    for number, line in enumerate(lines, start=2):
        if tuple(line) == HEADER:
            continue  # a header repeated by concatenated files
        try:
            key, row = _parse_line(line)
        except (BalctlError, ValueError) as exc:
            message = exc.message if isinstance(exc, BalctlError) else str(exc)
            raise HistoryError(f"{path}: line {number}: {message}") from None
        if key != current:
            # a snapshot's rows are written together: a key seen before starts a second copy,
            # and every row up to the next key belongs to that copy
            copy = key in snapshots
            current = key
        if not copy:
            snapshots.setdefault(key, []).append(row)
    return snapshots


def _parse_line(line: list[str]) -> tuple[Key, tuple[str | None, ...]]:
    if len(line) != len(HEADER):
        raise ValueError(f"expected {len(HEADER)} fields, found {len(line)}")
    fetched_at, profile, exchange, account, market, asset, *amounts = line
    profile, exchange, account = (_unquoted(name) for name in (profile, exchange, account))
    for name, value in (("profile", profile), ("exchange", exchange), ("account", account)):
        if not value or not value.isprintable():
            raise ValueError(f"{name} is empty or holds control characters")
    row = (
        code(market) if market else None,
        code(asset),
        *(format_amount(amount(text, field_name=name)) for name, text in zip(AMOUNT_FIELDS, amounts)),
    )
    return (profile, exchange, account, iso_millis(_timestamp(fetched_at))), row


def _unquoted(name: str) -> str:
    """The name before `--append` guarded it against spreadsheets (`'=x` was `=x`)."""
    return name[1:] if name.startswith("'") and name[1:].startswith(FORMULA_START) else name


def _timestamp(text: str) -> datetime:
    """`2026-01-02T03:04:05.678Z` (or any ISO-8601 time with a zone), as UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"fetched_at is not an ISO-8601 time: {text[:40]!r}") from None
    if moment.tzinfo is None:
        raise ValueError(f"fetched_at has no time zone: {text[:40]!r}")
    try:
        utc = moment.astimezone(timezone.utc)
    except OverflowError:  # 0001-01-01T00:00+01:00 is a year 0 moment, which datetime cannot hold
        utc = None
    if utc is None or not YEARS[0] <= utc.year < YEARS[1]:
        raise ValueError(f"fetched_at is out of range: {text[:40]!r}")
    return utc


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _exists(connection: sqlite3.Connection, key: Key) -> bool:
    profile, exchange, account, fetched_at = key
    return connection.execute(
        "SELECT 1 FROM snapshots WHERE profile = ? AND fetched_at = ? AND exchange = ? AND account = ? LIMIT 1",
        (profile, fetched_at, exchange, account),
    ).fetchone() is not None


def _runs(keys: list[Key]) -> list[list[Key]]:
    """Snapshots in time order, cut into runs where a minute passes without one."""
    ordered = sorted(keys, key=lambda key: key[3])
    runs: list[list[Key]] = []
    for key in ordered:
        if runs and _moment(key[3]) - _moment(runs[-1][-1][3]) <= RUN_GAP:
            runs[-1].append(key)
        else:
            runs.append([key])
    return runs


def _insert(connection: sqlite3.Connection, run: int, key: Key, rows: list[tuple[str | None, ...]]) -> None:
    profile, exchange, account, fetched_at = key
    cursor = connection.execute(
        "INSERT INTO snapshots (run, profile, exchange, account, fetched_at) VALUES (?, ?, ?, ?, ?)",
        (run, profile, exchange, account, fetched_at),
    )
    columns = ("snapshot", "market", "asset", *AMOUNT_FIELDS)
    connection.executemany(
        f"INSERT INTO balances ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
        ((cursor.lastrowid, *row) for row in rows),
    )
