"""`balctl history --import`: CSVs written by --append become snapshots, once."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from decimal import Decimal

import pytest

from balctl.history.importer import import_csv, read_snapshots
from balctl.history.store import HistoryError, record_run
from balctl.model import Balance
from balctl.render.csv import HEADER, append
from tests.helpers import invoke
from tests.history_helpers import T0, snapshot


def rows(path, sql):
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def cron_csv(path, hours=3):
    """What an hourly `balctl all -o csv --append` leaves: two accounts a second apart."""
    for hour in range(hours):
        at = T0 + timedelta(hours=hour)
        append(path, [
            snapshot("okx", at, rows=[Balance("BTC", total=Decimal("0.10000000"), available=Decimal(hour)),
                                      Balance("USDT", total=Decimal("5"))]),
            snapshot("xt", at + timedelta(seconds=1), exchange="xt", account="lever",
                     rows=[Balance("USDT", market="BTC_USDT", total=Decimal("1E-8"))]),
        ])


def test_import_makes_one_snapshot_per_profile_and_fetched_at_and_twice_adds_nothing(tmp_path):
    csv_path, db = tmp_path / "balances.csv", tmp_path / "h.sqlite"
    cron_csv(csv_path)
    first = import_csv(db, csv_path)
    assert (first.added, first.rows, first.skipped) == (6, 9, 0)
    assert rows(db, "SELECT run, profile, exchange, account, fetched_at, equity, unit FROM snapshots ORDER BY id") == [
        (1, "okx", "okx", "trading", "2026-01-01T00:00:00.000Z", None, None),
        (1, "xt", "xt", "lever", "2026-01-01T00:00:01.000Z", None, None),
        (2, "okx", "okx", "trading", "2026-01-01T01:00:00.000Z", None, None),
        (2, "xt", "xt", "lever", "2026-01-01T01:00:01.000Z", None, None),
        (3, "okx", "okx", "trading", "2026-01-01T02:00:00.000Z", None, None),
        (3, "xt", "xt", "lever", "2026-01-01T02:00:01.000Z", None, None),
    ]
    assert rows(db, "SELECT id, started_at, finished_at, command FROM runs") == [
        (1, "2026-01-01T00:00:00.000Z", "2026-01-01T00:00:01.000Z", "import balances.csv"),
        (2, "2026-01-01T01:00:00.000Z", "2026-01-01T01:00:01.000Z", "import balances.csv"),
        (3, "2026-01-01T02:00:00.000Z", "2026-01-01T02:00:01.000Z", "import balances.csv"),
    ]
    assert rows(db, "SELECT snapshot, market, asset, total, available FROM balances WHERE snapshot <= 2") == [
        (1, None, "BTC", "0.10000000", "0"),
        (1, None, "USDT", "5", None),
        (2, "BTC_USDT", "USDT", "0.00000001", None),
    ]
    again = import_csv(db, csv_path)
    assert (again.added, again.rows, again.skipped) == (0, 0, 6)
    assert rows(db, "SELECT count(*), (SELECT count(*) FROM balances), (SELECT count(*) FROM runs) FROM snapshots") \
        == [(6, 9, 3)]


def test_a_grown_csv_imports_only_its_new_snapshots_and_skips_recorded_ones(tmp_path):
    csv_path, db = tmp_path / "balances.csv", tmp_path / "h.sqlite"
    record_run(db, [snapshot("okx", T0)], command="all", started_at=T0)  # also recorded with --record
    cron_csv(csv_path, hours=1)
    assert import_csv(db, csv_path).added == 1  # only xt's: okx at T0 is there already
    cron_csv(csv_path, hours=2)  # the file now holds hours 0, 0 (a copy), 1
    result = import_csv(db, csv_path)
    assert (result.added, result.rows, result.skipped) == (2, 3, 2)
    assert rows(db, "SELECT s.profile, count(*) FROM balances b JOIN snapshots s ON s.id = b.snapshot "
                    "GROUP BY s.id ORDER BY s.id") == [("okx", 1), ("xt", 1), ("okx", 2), ("xt", 1)]


def test_a_bad_line_imports_nothing_and_names_the_line(tmp_path):
    csv_path, db = tmp_path / "balances.csv", tmp_path / "h.sqlite"
    cron_csv(csv_path, hours=1)
    with open(csv_path, "a") as handle:
        handle.write("2026-01-01T05:00:00.000Z,okx,okx,trading,,BTC,1.5x,,,,,,,\n")
    with pytest.raises(HistoryError) as caught:
        import_csv(db, csv_path)
    assert caught.value.line() == f"{csv_path}: line 5: total is not a number: '1.5x'"
    assert not db.exists()


@pytest.mark.parametrize("text, problem", [
    ("", "not a CSV written by --append (its first line must be " + ",".join(HEADER) + ")"),
    ("at,profile\n", "not a CSV written by --append (its first line must be " + ",".join(HEADER) + ")"),
    (",".join(HEADER) + "\n2026-01-01T00:00:00Z,okx,okx,trading,,BTC\n", "line 2: expected 14 fields, found 6"),
    (",".join(HEADER) + "\nyesterday,okx,okx,trading,,BTC" + "," * 8 + "\n",
     "line 2: fetched_at is not an ISO-8601 time: 'yesterday'"),
    (",".join(HEADER) + "\n2026-01-01T00:00:00,okx,okx,trading,,BTC" + "," * 8 + "\n",
     "line 2: fetched_at has no time zone: '2026-01-01T00:00:00'"),
    (",".join(HEADER) + "\n2026-01-01T00:00:00Z,o\x1bkx,okx,trading,,BTC" + "," * 8 + "\n",
     "line 2: profile is empty or holds control characters"),
    # valid ISO times whose UTC moment falls outside the years Python's datetime can hold
    (",".join(HEADER) + "\n0001-01-01T00:00:00+01:00,okx,okx,trading,,BTC" + "," * 8 + "\n",
     "line 2: fetched_at is out of range: '0001-01-01T00:00:00+01:00'"),
    (",".join(HEADER) + "\n9999-12-31T23:59:59-01:00,okx,okx,trading,,BTC" + "," * 8 + "\n",
     "line 2: fetched_at is out of range: '9999-12-31T23:59:59-01:00'"),
    (",".join(HEADER) + "\n0999-01-01T00:00:00Z,okx,okx,trading,,BTC" + "," * 8 + "\n",
     "line 2: fetched_at is out of range: '0999-01-01T00:00:00Z'"),
])
def test_files_that_are_not_append_csvs_are_refused(tmp_path, text, problem):
    csv_path = tmp_path / "x.csv"
    csv_path.write_text(text)
    with pytest.raises(HistoryError) as caught:
        import_csv(tmp_path / "h.sqlite", csv_path)
    assert caught.value.line() == f"{csv_path}: {problem}"


def test_import_from_the_command_line(tmp_path):
    csv_path, db = tmp_path / "balances.csv", tmp_path / "h.sqlite"
    cron_csv(csv_path, hours=2)
    result = invoke("history", "--db", str(db), "--import", str(csv_path))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "imported 4 snapshots (6 rows); 0 already recorded\n", "")
    result = invoke("history", "--db", str(db), "--import", str(csv_path))
    assert (result.exit_code, result.stdout) == (0, "imported 0 snapshots (0 rows); 4 already recorded\n")
    result = invoke("history", "--db", str(db), "--import", str(tmp_path / "missing.csv"))
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"balctl: {tmp_path / 'missing.csv'}: no such file\n"


def test_names_guarded_against_spreadsheets_come_back_as_they_were(tmp_path):
    csv_path, db = tmp_path / "balances.csv", tmp_path / "h.sqlite"
    append(csv_path, [snapshot("=sum", T0), snapshot("'quoted", T0)])
    assert import_csv(db, csv_path).added == 2
    assert rows(db, "SELECT profile FROM snapshots ORDER BY id") == [("=sum",), ("'quoted",)]
    result = invoke("history", "--db", str(db), "-o", "csv", "--field", "total", "--since", "2026-01-01",
                    "--until", "2026-01-01")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1:] == [
        "2026-01-01T00:00:00.000Z,'quoted,okx,trading,BTC,BTC,total,0.00000001",
        "2026-01-01T00:00:00.000Z,'=sum,okx,trading,BTC,BTC,total,0.00000001",
    ]


def test_the_file_is_read_a_line_at_a_time(tmp_path):
    """A 2 MB file of repeated copies is never all in memory (the lines were a list first)."""
    import tracemalloc

    csv_path = tmp_path / "copies.csv"
    blocks = [f"2026-01-01T00:00:0{second}.000Z,okx,okx,trading,,BTC,1,2,3,4,5,6,7,8\n" for second in (0, 1)]
    csv_path.write_text(",".join(HEADER) + "\n" + "".join(blocks) * 10_000)
    tracemalloc.start()
    try:
        snapshots = read_snapshots(csv_path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(snapshots) == 2 and all(len(rows) == 1 for rows in snapshots.values())
    assert peak < 1_000_000


def test_a_file_concatenated_twice_imports_each_row_once(tmp_path):
    """The second copy's last snapshot follows the first copy's last one: its rows were added again."""
    csv_path, db = tmp_path / "balances.csv", tmp_path / "h.sqlite"
    cron_csv(csv_path, hours=1)
    text = csv_path.read_text()
    csv_path.write_text(text + text.split("\n", 1)[1])
    assert (import_csv(db, csv_path).rows, rows(db, "SELECT count(*) FROM balances")) == (3, [(3,)])
