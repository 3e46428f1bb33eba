"""CSV output and `--append` snapshots (docs/contract.md, Output): one line per balance row, RFC 4180 quoting."""

from __future__ import annotations

import csv
import io
import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
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
    return "".join(([header_line()] if header else []) + row_lines(snapshots))


def header_line() -> str:
    return _line(HEADER)


def row_lines(snapshots: Iterable[Snapshot]) -> list[str]:
    """One CSV record per balance row, each ending in `\n`."""
    lines = []
    for snap in snapshots:
        fixed = (iso_millis(snap.fetched_at), _text(snap.profile), _text(snap.exchange), _text(snap.account))
        for row in snap.balances:
            amounts = (format_amount(getattr(row, name)) or "" for name in AMOUNT_FIELDS)
            lines.append(_line((*fixed, _text(row.market or ""), _text(row.asset), *amounts)))
    return lines


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""A spreadsheet runs a text cell starting with one of these as a formula."""


def _text(value: str) -> str:
    """A text cell a spreadsheet will not execute. Exchange codes that look like formulas
    are refused when the answer is read (model.code); any other text cell (a profile name)
    starting like a formula gets a leading `'`, OWASP's advice for CSV injection.
    Amount columns are numbers and keep their sign."""
    return "'" + value if value.startswith(FORMULA_START) else value


def _line(fields: Iterable[str]) -> str:
    """One RFC 4180 record ending in `\n`. The writer is told the terminator is `\r\n` so
    that it quotes a field holding a lone `\r` too; the terminator is then swapped."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(fields)
    return buffer.getvalue()[:-2] + "\n"


CHUNK_BYTES = 64 * 1024
"""Rows go out in writes of whole rows up to this size: a run killed between two writes
leaves whole rows, never half of one (one write of a whole file could be cut anywhere)."""
LOCK_WAIT_SECONDS = 120.0
"""Windows: how long to wait for another balctl's lock (msvcrt retries once a second)."""


def append(path: Path, snapshots: list[Snapshot]) -> None:
    """Append the rows to `path` for cron: whole rows, one header, safe with concurrent runs.

    Under an exclusive lock (flock on POSIX, msvcrt.locking on Windows): an empty file gets
    the header; a file whose header is not balctl's is left untouched (exit 2: columns would
    be mixed); a file whose last line has no newline (an earlier run killed mid-row) gets
    one first, so no row is glued onto it. On a failed write (disk full, size limit) the
    file is truncated back to its size before this run: nothing of the run stays.
    """
    rows = row_lines(snapshots)
    try:
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o644)
    except OSError as exc:
        raise UsageError(f"cannot append to {path}: {_reason(exc)}") from None
    try:
        with _locked(fd, path):
            size = os.fstat(fd).st_size
            if size == 0:
                lines = [header_line(), *rows]
            else:
                _check_header(fd, path)
                lines = rows if _last_byte(fd, size) == b"\n" else ["\n", *rows]
            _write_whole_lines(fd, path, lines, size)
    except OSError as exc:  # locking, reading or stat failed: nothing was written
        raise UsageError(f"cannot append to {path}: {_reason(exc)}") from None
    finally:
        os.close(fd)


def _write_whole_lines(fd: int, path: Path, lines: list[str], size: int) -> None:
    """Write in chunks of whole lines, then fsync; on failure truncate back to `size`."""
    try:
        for chunk in _chunks(lines):
            written = 0
            while written < len(chunk):
                written += os.write(fd, chunk[written:])
        os.fsync(fd)
    except OSError as exc:
        try:
            os.ftruncate(fd, size)
            os.fsync(fd)
        except OSError as again:
            raise UsageError(f"cannot append to {path}: {_reason(exc)}; and cannot truncate it back "
                             f"to {size} bytes: {_reason(again)}",
                             hint=f"check the end of {path}: it may hold part of this run") from None
        raise UsageError(f"cannot append to {path}: {_reason(exc)} (the file is as it was before this run)") from None


def _chunks(lines: list[str]) -> Iterator[bytes]:
    """Whole lines, encoded, grouped into writes of at most CHUNK_BYTES (a longer line alone)."""
    chunk: list[bytes] = []
    length = 0
    for line in lines:
        data = line.encode("utf-8")
        if chunk and length + len(data) > CHUNK_BYTES:
            yield b"".join(chunk)
            chunk, length = [], 0
        chunk.append(data)
        length += len(data)
    if chunk:
        yield b"".join(chunk)


def _check_header(fd: int, path: Path) -> None:
    """The file's first line must be balctl's header (an Excel-saved `\r\n` is fine)."""
    expected = header_line().encode("utf-8")
    os.lseek(fd, 0, os.SEEK_SET)
    first = os.read(fd, len(expected) + 1)
    bare = expected[:-1]  # without its \n
    if first.startswith(expected) or first.startswith(bare + b"\r\n") or first == bare:
        return
    raise UsageError(
        f"cannot append to {path}: its first line is not balctl's CSV header "
        "(another program's file, or an older balctl's columns); nothing written",
        hint="append to a new file, e.g. --append balances-new.csv",
    )


def _last_byte(fd: int, size: int) -> bytes:
    os.lseek(fd, size - 1, os.SEEK_SET)
    return os.read(fd, 1)


@contextmanager
def _locked(fd: int, path: Path) -> Iterator[None]:
    """An exclusive lock for the whole append; the platform's module is imported here, so
    this module loads on every platform (fcntl does not exist on Windows, msvcrt only there)."""
    if _windows():
        import msvcrt

        # A lock on the first byte is a lock on the file among balctl runs. LK_LOCK retries
        # for 10 s and then raises; keep trying up to LOCK_WAIT_SECONDS.
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            os.lseek(fd, 0, os.SEEK_SET)
            try:
                msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
                break
            except OSError:
                if time.monotonic() >= deadline:
                    raise UsageError(f"cannot append to {path}: another program holds its lock") from None
        try:
            yield
        finally:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)


def _windows() -> bool:
    """A function, not a constant, so tests can simulate Windows on Linux."""
    return os.name == "nt"


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__
