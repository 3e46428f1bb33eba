"""The history database: where it lives, its schema and migrations, and recording a run.

Design rules (issue 12):
- Tables `runs`, `snapshots`, `balances`, `errors` keep these names for sqlite3/Datasette users.
- Amounts are TEXT holding the exchange's digits (`format_amount`), never REAL: SQLite would
  round them to 15 digits. Columns are declared TEXT, not NUMERIC, for the same reason (a
  NUMERIC column would turn "0.10" into 0.1). Timestamps are `2026-01-02T03:04:05.678Z`
  (UTC, fixed width, so text order is time order).
- `PRAGMA user_version` is the schema version. A migration only adds (tables, columns,
  indexes); it never drops or rewrites data. A database newer than this balctl is refused,
  untouched.
- WAL journal and a busy timeout: readers never block the writer, and 20 cron runs that
  record at the same minute queue for the write lock instead of failing. Each run is one
  `BEGIN IMMEDIATE` transaction (taking the write lock up front, so the busy timeout applies
  and no transaction ever has to upgrade a read lock, which SQLite would refuse), so a
  crash or a full disk leaves no half run behind.
- The directory is created 0700 and the file 0600: balances are private.
- No secret reaches the database: only exchange answers (`native`) and error messages that
  have been through the redactor are stored, never profiles or requests.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from balctl import __version__
from balctl.errors import ExitCode, UsageError, redact
from balctl.history.jsontext import compact_json
from balctl.model import AMOUNT_FIELDS, RISK_FIELDS, Failure, Snapshot, format_amount, iso_millis, utc_now

SUMMARY_FIELDS: tuple[str, ...] = ("equity", "loan", *RISK_FIELDS)
"""Every summary amount stored on a snapshot row, in column order."""

BUSY_TIMEOUT_S = 30.0
"""How long a recorder waits for another one's transaction: cron runs landing together
queue for a few milliseconds each; 30 s covers a slow disk without hanging forever."""

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # version 1: the first schema
    (
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT NOT NULL,
            command TEXT NOT NULL,
            balctl_version TEXT NOT NULL
        )""",
        """CREATE TABLE snapshots (
            id INTEGER PRIMARY KEY,
            run INTEGER NOT NULL REFERENCES runs(id),
            profile TEXT NOT NULL,
            exchange TEXT NOT NULL,
            account TEXT NOT NULL,
            fetched_at TEXT NOT NULL,
            equity TEXT,
            loan TEXT,
            unit TEXT,
            native TEXT
        )""",
        """CREATE TABLE balances (
            id INTEGER PRIMARY KEY,
            snapshot INTEGER NOT NULL REFERENCES snapshots(id),
            market TEXT,
            asset TEXT NOT NULL,
            total TEXT,
            available TEXT,
            frozen TEXT,
            loan TEXT,
            interest TEXT,
            position_margin TEXT,
            order_margin TEXT,
            usd_value TEXT,
            native TEXT
        )""",
        """CREATE TABLE errors (
            id INTEGER PRIMARY KEY,
            run INTEGER NOT NULL REFERENCES runs(id),
            profile TEXT NOT NULL,
            exchange TEXT NOT NULL,
            exit_code INTEGER NOT NULL,
            message TEXT NOT NULL
        )""",
        "CREATE INDEX snapshots_fetched_at ON snapshots(fetched_at)",
        "CREATE INDEX balances_snapshot ON balances(snapshot)",
        "CREATE INDEX errors_run ON errors(run)",
    ),
    # version 2: the risk summary fields, the error's kind and code, and the indexes that
    # `balctl history` and `--import` need at a year of hourly runs
    (
        # written out, not taken from model.RISK_FIELDS: a migration never changes once shipped
        *(f"ALTER TABLE snapshots ADD COLUMN {name} TEXT" for name in (
            "adjusted_equity", "margin_ratio", "initial_margin", "maintenance_margin", "unrealized_pnl", "notional")),
        "ALTER TABLE errors ADD COLUMN kind TEXT",
        "ALTER TABLE errors ADD COLUMN code TEXT",
        "CREATE INDEX snapshots_profile_fetched_at ON snapshots(profile, fetched_at)",
        "CREATE INDEX balances_snapshot_asset ON balances(snapshot, asset)",
        "DROP INDEX balances_snapshot",  # an index, not data: the one above covers it
        "CREATE INDEX runs_started_at ON runs(started_at)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


class HistoryError(UsageError):
    """The history database cannot be used (exit 2): missing, unreadable, damaged, newer."""

    kind = "history"


class NoHistory(HistoryError):
    """Nothing recorded yet: the database is missing or holds no snapshot."""


def default_db_path(environ: Mapping[str, str] = os.environ) -> Path:
    """`$XDG_DATA_HOME/balctl/history.sqlite`, else `~/.local/share/balctl/history.sqlite`."""
    base = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "balctl" / "history.sqlite"


def resolve_db_path(given: str | Path | None, environ: Mapping[str, str] = os.environ) -> Path:
    """`--db`, else BALCTL_DB (with `~` expanded), else the default."""
    chosen = given or environ.get("BALCTL_DB")
    return Path(os.path.expanduser(str(chosen))) if chosen else default_db_path(environ)


def record_hint(db: Path | None) -> str:
    """How to record into the database that was read: a hint without the `--db` the user
    gave would record into the default database, and the next `history --db` would still
    find nothing. The path is quoted for the shell, so the line can be pasted as it is."""
    import shlex

    return "record with: balctl all --record" + (f" --db {shlex.quote(str(db))}" if db is not None else "")


def connect(path: Path, *, create: bool) -> sqlite3.Connection:
    """An open, migrated connection in WAL mode; `create=False` refuses a missing file.

    Every SQLite or OS failure becomes a one-line `HistoryError` naming the file.
    """
    if not create and not path.exists():
        raise NoHistory(f"{path}: no history recorded yet", hint=record_hint(None))
    try:
        if create:
            _create_private(path)
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise database_error(path, exc) from None
    try:
        connection.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        _check_version(path, connection)
        if connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            connection.execute("PRAGMA journal_mode = WAL")
        migrate(connection, path)
    except sqlite3.Error as exc:
        connection.close()
        raise database_error(path, exc) from None
    except HistoryError:
        connection.close()
        raise
    return connection


def _create_private(path: Path) -> None:
    """The directory (0700) and an empty file (0600) before SQLite opens it: SQLite would
    create the file with the umask's mode (often world-readable), and gives its -wal and
    -shm files the database file's mode."""
    if not path.parent.is_dir():
        os.makedirs(path.parent, mode=0o700, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(descriptor)


def _check_version(path: Path, connection: sqlite3.Connection) -> int:
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise HistoryError(
            f"{path}: history schema version {version} is newer than this balctl reads "
            f"({SCHEMA_VERSION}); upgrade balctl"
        )
    return version


def migrate(connection: sqlite3.Connection, path: Path) -> None:
    """Bring the schema to SCHEMA_VERSION, in one transaction.

    The version is read again once the write lock is held: when several recorders open a
    new file at the same moment, exactly one of them creates the tables.
    """
    if _check_version(path, connection) == SCHEMA_VERSION:
        return
    connection.execute("BEGIN IMMEDIATE")
    try:
        version = _check_version(path, connection)
        for number, statements in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in statements:
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {number}")
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def record_run(
    path: Path,
    snapshots: Sequence[Snapshot],
    failures: Sequence[Failure] = (),
    *,
    command: str,
    started_at: datetime,
    finished_at: datetime | None = None,
) -> int:
    """Write one run (its snapshots, balance rows and failed accounts) in one transaction.

    Returns the run's id. Raises `HistoryError` (exit 2) and records nothing if the
    database cannot take it; the caller has the fetched data and still prints it.
    """
    connection = connect(path, create=True)
    try:
        with transaction(connection):
            run = insert_run(connection, command=command, started_at=started_at,
                             finished_at=finished_at or utc_now())
            for snapshot in snapshots:
                insert_snapshot(connection, run, snapshot)
            insert_errors(connection, run, failures)
        return run
    except sqlite3.Error as exc:
        raise database_error(path, exc) from None
    finally:
        connection.close()


class transaction:
    """`BEGIN IMMEDIATE` … `COMMIT`, or `ROLLBACK` on any exception (Ctrl-C included)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def __enter__(self) -> sqlite3.Connection:
        self.connection.execute("BEGIN IMMEDIATE")
        return self.connection

    def __exit__(self, kind: Any, exc: Any, trace: Any) -> None:
        if kind is None:
            self.connection.execute("COMMIT")
        elif self.connection.in_transaction:
            self.connection.execute("ROLLBACK")


def insert_run(connection: sqlite3.Connection, *, command: str, started_at: datetime,
               finished_at: datetime) -> int:
    cursor = connection.execute(
        "INSERT INTO runs (started_at, finished_at, command, balctl_version) VALUES (?, ?, ?, ?)",
        (iso_millis(started_at), iso_millis(finished_at), command, __version__),
    )
    return cursor.lastrowid


SNAPSHOT_COLUMNS = ("run", "profile", "exchange", "account", "fetched_at", *SUMMARY_FIELDS, "unit", "native")
BALANCE_COLUMNS = ("snapshot", "market", "asset", *AMOUNT_FIELDS, "native")
_INSERT_SNAPSHOT = (f"INSERT INTO snapshots ({', '.join(SNAPSHOT_COLUMNS)}) "
                    f"VALUES ({', '.join('?' * len(SNAPSHOT_COLUMNS))})")
_INSERT_BALANCE = (f"INSERT INTO balances ({', '.join(BALANCE_COLUMNS)}) "
                   f"VALUES ({', '.join('?' * len(BALANCE_COLUMNS))})")


def insert_snapshot(connection: sqlite3.Connection, run: int, snapshot: Snapshot) -> int:
    """One account's summary row and its balance rows; a figure the exchange does not report
    (risk fields outside OKX) is NULL."""
    summary = snapshot.summary
    amounts = [format_amount(getattr(summary, name)) for name in SUMMARY_FIELDS]
    cursor = connection.execute(_INSERT_SNAPSHOT, (
        run, snapshot.profile, snapshot.exchange, snapshot.account, iso_millis(snapshot.fetched_at),
        *amounts, summary.unit, _native(summary.native),
    ))
    snapshot_id = cursor.lastrowid
    connection.executemany(_INSERT_BALANCE, (
        (snapshot_id, row.market, row.asset,
         *(format_amount(getattr(row, name)) for name in AMOUNT_FIELDS), _native(row.native))
        for row in snapshot.balances
    ))
    return snapshot_id


def insert_errors(connection: sqlite3.Connection, run: int, failures: Iterable[Failure]) -> None:
    """A failed account is a row, so `balctl history` draws a gap rather than a silent hole."""
    connection.executemany(
        "INSERT INTO errors (run, profile, exchange, exit_code, message, kind, code) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            (run, failure.profile, failure.exchange,
             int(failure.error.exit_code if failure.error else ExitCode.EXCHANGE),
             redact(failure.message), failure.kind, failure.code)
            for failure in failures
        ),
    )


def _native(value: Any) -> str | None:
    """The exchange's own fields as compact JSON with exact numbers; None stays NULL."""
    if value is None or value == {}:
        return None
    return redact(compact_json(value))


def database_error(path: Path, exc: BaseException) -> HistoryError:
    """A one-line reason a person can act on, naming the file (SQLite's own words otherwise)."""
    if isinstance(exc, OSError):
        return HistoryError(f"{path}: cannot create the history database: {exc.strerror or exc}")
    text = str(exc)
    lowered = text.lower()
    if "not a database" in lowered or "malformed" in lowered:
        reason = "not a balctl history database, or damaged"
    elif "readonly" in lowered or "read-only" in lowered:
        reason = "the history database is read-only"
    elif "unable to open" in lowered:
        reason = "cannot open the history database"
    elif "locked" in lowered or "busy" in lowered:
        reason = f"the history database stayed locked by another process for {BUSY_TIMEOUT_S:g} s"
    elif "full" in lowered:
        reason = "the disk is full"
    else:
        reason = f"history database error: {' '.join(text.split())[:200]}"
    return HistoryError(f"{path}: {reason}")
