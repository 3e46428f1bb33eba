"""CSV output and `--append` snapshots (SPEC 6): one line per balance row, RFC 4180 quoting."""

from __future__ import annotations

import csv
import fcntl
import io
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from balctl.errors import UsageError
from balctl.model import AMOUNT_FIELDS, Report, Snapshot, format_amount, iso_millis

HEADER = (
    "fetched_at", "profile", "exchange", "account", "market", "asset", *AMOUNT_FIELDS,
)


def snapshot(snapshot: Snapshot, *, raw: bool = False, out: TextIO | None = None) -> str:
    return rows_text([snapshot], header=True)


def report(report: Report, *, raw: bool = False, out: TextIO | None = None) -> str:
    return rows_text(report.accounts, header=True)


def rows_text(snapshots: Iterable[Snapshot], *, header: bool) -> str:
    """The CSV text of every row of every snapshot; null is an empty cell."""
    lines = [_line(HEADER)] if header else []
    for snap in snapshots:
        fixed = (iso_millis(snap.fetched_at), snap.profile, snap.exchange, snap.account)
        for row in snap.balances:
            amounts = (format_amount(getattr(row, name)) or "" for name in AMOUNT_FIELDS)
            lines.append(_line((*fixed, row.market or "", row.asset, *amounts)))
    return "".join(lines)


def _line(fields: Iterable[str]) -> str:
    """One RFC 4180 record ending in `\n`. The writer is told the terminator is `\r\n` so
    that it quotes a field holding a lone `\r` too; the terminator is then swapped."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(fields)
    return buffer.getvalue()[:-2] + "\n"


def append(path: Path, snapshots: list[Snapshot]) -> None:
    """Append the rows to `path` for cron: whole rows, one header, safe with concurrent runs.

    The exclusive `flock` serialises writers; the size is read after the lock is held, so
    exactly one writer sees an empty file and writes the header; the rows go out in one
    `write` so a reader never sees half a line.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError as exc:
        raise UsageError(f"cannot append to {path}: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        data = rows_text(snapshots, header=os.fstat(fd).st_size == 0).encode("utf-8")
        written = 0
        while written < len(data):
            written += os.write(fd, data[written:])
        os.fsync(fd)
    except OSError as exc:
        raise UsageError(f"cannot append to {path}: {exc.strerror}") from None
    finally:
        os.close(fd)
