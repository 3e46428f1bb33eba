"""The history database: schema, exact amounts, privacy, migrations, failures, concurrency."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
from decimal import Decimal

import pytest

from balctl.history import store
from balctl.history.store import SCHEMA_VERSION, HistoryError, record_run, resolve_db_path
from balctl.model import Balance, Snapshot, Summary
from tests.history_helpers import T0, failure, snapshot


def columns(path, table):
    with sqlite3.connect(path) as connection:
        return [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]


def rows(path, sql, *args):
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql, args).fetchall()
    finally:
        connection.close()


def test_default_path_follows_xdg_data_home(tmp_path):
    assert resolve_db_path(None, {"XDG_DATA_HOME": str(tmp_path)}) == tmp_path / "balctl" / "history.sqlite"
    assert resolve_db_path(None, {"HOME": "/x"}).parts[-4:] == (".local", "share", "balctl", "history.sqlite")
    assert resolve_db_path(None, {"BALCTL_DB": "~/h.db"}) == resolve_db_path("~/h.db", {})
    assert resolve_db_path(tmp_path / "given", {"BALCTL_DB": "/env"}) == tmp_path / "given"


def test_a_run_is_stored_with_exact_digits_utc_times_and_native_json(tmp_path):
    path = tmp_path / "h.sqlite"
    rows_in = [
        Balance("BTC", market="BTC_USDT", total=Decimal("0.00000001"), available=Decimal("1.10"),
                usd_value=Decimal("123456789012345678.123456789"), native={"free": Decimal("1.10"), "x": None}),
        Balance("USDT", loan=Decimal("0E-8")),
    ]
    snap = snapshot("main", T0, "99999999999999999.99", rows=rows_in, native={"adjEq": "5", "n": Decimal("1.000")})
    run = record_run(path, [snap], [failure("sub", "xt")], command="all", started_at=T0, finished_at=T0)

    assert columns(path, "runs") == ["id", "started_at", "finished_at", "command", "balctl_version"]
    assert columns(path, "snapshots")[:10] == ["id", "run", "profile", "exchange", "account", "fetched_at",
                                               "equity", "loan", "unit", "native"]
    assert set(store.RISK_FIELDS) <= set(columns(path, "snapshots"))
    assert rows(path, "SELECT id, started_at, finished_at, command FROM runs") == [
        (run, "2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z", "all")]
    [(profile, fetched_at, equity, loan, unit, native, margin_ratio)] = rows(
        path, "SELECT profile, fetched_at, equity, loan, unit, native, margin_ratio FROM snapshots")
    assert (profile, fetched_at, equity, loan, unit) == ("main", "2026-01-01T00:00:00.000Z",
                                                         "99999999999999999.99", "0", "USD")
    assert native == '{"adjEq":"5","n":1.000}'
    assert margin_ratio is None  # not reported: NULL, not zero
    assert rows(path, "SELECT market, asset, total, available, loan, usd_value, native, typeof(total) FROM balances") == [
        ("BTC_USDT", "BTC", "0.00000001", "1.10", None, "123456789012345678.123456789",
         '{"free":1.10,"x":null}', "text"),
        (None, "USDT", None, None, "0.00000000", None, None, "null"),
    ]
    assert rows(path, "SELECT profile, exchange, exit_code, message, kind FROM errors") == [
        ("sub", "xt", 4, "connection refused", "network")]
    assert json.loads(rows(path, "SELECT native FROM balances")[0][0], parse_float=Decimal)["free"] == Decimal("1.10")


def test_risk_fields_are_stored_when_the_summary_has_them(tmp_path):
    summary = Summary(Decimal("10"), None, "USD", None, adjusted_equity=Decimal("9.5"),
                      margin_ratio=Decimal("12.345"), initial_margin=Decimal("1"), maintenance_margin=Decimal("0.5"),
                      unrealized_pnl=Decimal("-0.01"), notional=Decimal("100"))
    snap = Snapshot("okx", "okx", "trading", T0, summary, [])
    record_run(tmp_path / "h.sqlite", [snap], command="okx", started_at=T0)
    assert rows(tmp_path / "h.sqlite", f"SELECT {', '.join(store.SUMMARY_FIELDS)} FROM snapshots") == [
        ("10", None, "9.5", "12.345", "1", "0.5", "-0.01", "100")]


def test_directory_is_private_and_file_0600_wal_and_versioned(tmp_path):
    path = tmp_path / "data" / "balctl" / "history.sqlite"
    record_run(path, [snapshot()], command="all", started_at=T0)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for extra in path.parent.glob("history.sqlite-*"):  # -wal / -shm while a connection is open
        assert stat.S_IMODE(extra.stat().st_mode) == 0o600
    assert rows(path, "PRAGMA journal_mode") == [("wal",)]
    assert rows(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]


V1_SCHEMA = """
CREATE TABLE runs (id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT NOT NULL,
                   command TEXT NOT NULL, balctl_version TEXT NOT NULL);
CREATE TABLE snapshots (id INTEGER PRIMARY KEY, run INTEGER NOT NULL REFERENCES runs(id), profile TEXT NOT NULL,
                        exchange TEXT NOT NULL, account TEXT NOT NULL, fetched_at TEXT NOT NULL,
                        equity TEXT, loan TEXT, unit TEXT, native TEXT);
CREATE TABLE balances (id INTEGER PRIMARY KEY, snapshot INTEGER NOT NULL REFERENCES snapshots(id), market TEXT,
                       asset TEXT NOT NULL, total TEXT, available TEXT, frozen TEXT, loan TEXT, interest TEXT,
                       position_margin TEXT, order_margin TEXT, usd_value TEXT, native TEXT);
CREATE TABLE errors (id INTEGER PRIMARY KEY, run INTEGER NOT NULL REFERENCES runs(id), profile TEXT NOT NULL,
                     exchange TEXT NOT NULL, exit_code INTEGER NOT NULL, message TEXT NOT NULL);
CREATE INDEX snapshots_fetched_at ON snapshots(fetched_at);
CREATE INDEX balances_snapshot ON balances(snapshot);
CREATE INDEX errors_run ON errors(run);
INSERT INTO runs VALUES (1, '2025-12-31T23:00:00.000Z', '2025-12-31T23:00:01.000Z', 'all', '0.0.9');
INSERT INTO snapshots VALUES (1, 1, 'okx', 'okx', 'trading', '2025-12-31T23:00:00.500Z', '1.10', NULL, 'USD', '{}');
INSERT INTO balances VALUES (1, 1, NULL, 'BTC', '0.10000000', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO errors VALUES (1, 1, 'xt', 'xt', 4, 'timed out');
PRAGMA user_version = 1;
"""


def test_a_version_1_database_is_migrated_keeping_every_row(tmp_path):
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as connection:
        connection.executescript(V1_SCHEMA)
    record_run(path, [snapshot("okx", T0, "2.20")], command="all", started_at=T0)

    assert rows(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert rows(path, "SELECT id, profile, fetched_at, equity, unit, margin_ratio FROM snapshots ORDER BY id") == [
        (1, "okx", "2025-12-31T23:00:00.500Z", "1.10", "USD", None),
        (2, "okx", "2026-01-01T00:00:00.000Z", "2.20", "USD", None),
    ]
    assert rows(path, "SELECT snapshot, asset, total FROM balances WHERE snapshot = 1") == [(1, "BTC", "0.10000000")]
    assert rows(path, "SELECT run, profile, exit_code, message, kind, code FROM errors") == [
        (1, "xt", 4, "timed out", None, None)]
    assert rows(path, "SELECT command, balctl_version FROM runs WHERE id = 1") == [("all", "0.0.9")]
    indexes = {name for (name,) in rows(path, "SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"snapshots_profile_fetched_at", "balances_snapshot_asset", "runs_started_at"} <= indexes


def test_a_newer_schema_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "new.sqlite"
    with sqlite3.connect(path) as connection:
        connection.executescript(V1_SCHEMA.replace("user_version = 1", f"user_version = {SCHEMA_VERSION + 1}"))
    before = path.read_bytes()
    with pytest.raises(HistoryError) as caught:
        record_run(path, [snapshot()], command="all", started_at=T0)
    assert caught.value.line() == (f"{path}: history schema version {SCHEMA_VERSION + 1} is newer than "
                                   f"this balctl reads ({SCHEMA_VERSION}); upgrade balctl")
    assert caught.value.exit_code == 2
    assert path.read_bytes() == before
    assert rows(path, "SELECT count(*) FROM snapshots") == [(1,)]


def test_a_file_that_is_not_a_database_is_a_one_line_error_and_kept(tmp_path):
    path = tmp_path / "h.sqlite"
    path.write_bytes(b"these are my notes, not SQLite\n" * 200)
    with pytest.raises(HistoryError) as caught:
        record_run(path, [snapshot()], command="all", started_at=T0)
    assert caught.value.line() == f"{path}: not a balctl history database, or damaged"
    assert path.read_bytes() == b"these are my notes, not SQLite\n" * 200


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only directories")
def test_a_read_only_directory_is_a_one_line_error(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o500)
    with pytest.raises(HistoryError) as caught:
        record_run(folder / "h.sqlite", [snapshot()], command="all", started_at=T0)
    assert caught.value.line() == f"{folder / 'h.sqlite'}: cannot create the history database: Permission denied"


def test_a_path_that_is_a_directory_is_a_one_line_error(tmp_path):
    with pytest.raises(HistoryError) as caught:
        record_run(tmp_path, [snapshot()], command="all", started_at=T0)
    assert caught.value.line() == f"{tmp_path}: cannot create the history database: Is a directory"


def test_a_run_that_fails_half_way_leaves_nothing(tmp_path, monkeypatch):
    path = tmp_path / "h.sqlite"
    record_run(path, [snapshot("first")], command="all", started_at=T0)

    def broken(connection, run, failures):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(store, "insert_errors", broken)
    with pytest.raises(HistoryError) as caught:
        record_run(path, [snapshot("a"), snapshot("b")], [failure()], command="all", started_at=T0)
    assert caught.value.line() == f"{path}: the disk is full"
    assert rows(path, "SELECT profile FROM snapshots") == [("first",)]
    assert rows(path, "SELECT count(*) FROM runs") == [(1,)]
    assert rows(path, "SELECT count(*) FROM balances") == [(1,)]


def test_no_secret_reaches_the_database(tmp_path):
    from balctl.errors import redact

    secret = "S3cr3t-Sh0uld-N3v3r-B3-St0r3d"
    redact.add(secret)
    snap = snapshot(rows=[Balance("BTC", native={"echo": f"key {secret}"})], native={"x": secret})
    broken = failure()
    broken = type(broken)(broken.profile, broken.exchange, broken.kind, f"refused {secret}", None, broken.error)
    record_run(tmp_path / "h.sqlite", [snap], [broken], command="all", started_at=T0)
    data = b"".join(p.read_bytes() for p in tmp_path.glob("h.sqlite*"))
    assert secret.encode() not in data
    assert b"key ****" in data and b"refused ****" in data


RECORDER = textwrap.dedent("""
    import sys
    from datetime import datetime, timezone
    from pathlib import Path
    from tests.history_helpers import snapshot
    from balctl.history.store import record_run
    number = int(sys.argv[2])
    at = datetime.now(timezone.utc)
    record_run(Path(sys.argv[1]), [snapshot(f"p{number}", at)], command="all", started_at=at)
""")


def test_twenty_recorders_at_the_same_moment_all_land(tmp_path):
    """20 cron runs start together on a database that does not exist yet: one creates the
    schema, all 20 runs are recorded, none fails."""
    path = tmp_path / "h.sqlite"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    processes = [
        subprocess.Popen([sys.executable, "-c", RECORDER, str(path), str(number)], cwd=root,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for number in range(20)
    ]
    outcomes = [(process.wait(timeout=120), process.stderr.read()) for process in processes]
    for process in processes:
        process.stdout.close()
        process.stderr.close()
    assert outcomes == [(0, "")] * 20
    assert sorted(rows(path, "SELECT profile FROM snapshots")) == sorted((f"p{n}",) for n in range(20))
    assert rows(path, "SELECT count(*) FROM runs") == [(20,)]
    assert rows(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]


def test_native_json_keeps_the_exchanges_digits():
    """XT sends JSON numbers: the stored native JSON writes them back digit for digit."""
    from decimal import Decimal

    from balctl.history.jsontext import compact_json

    assert compact_json({"a": "0.10000000", "b": None}) == '{"a":"0.10000000","b":null}'
    assert compact_json({"n": Decimal("0.1000"), "e": [1, Decimal("1E-8"), True]}) == '{"n":0.1000,"e":[1,0.00000001,true]}'
