"""`--record` on fetching commands and `balctl history`, end to end against the simulator."""

from __future__ import annotations

import json
import re
import shlex
import sqlite3
from datetime import timedelta

import pytest

from balctl.history.store import RISK_FIELDS
from balctl.simulator import Fault
from tests.helpers import invoke
from tests.history_helpers import T0, record_hours

UNTIL = "--until=2026-01-01T23:00"


def rows(path, sql):
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def default_db(home):
    return home / ".local" / "share" / "balctl" / "history.sqlite"


def test_all_record_writes_the_run_to_the_default_database(simulator, sim_config, isolated_config):
    result = invoke("all", "-c", str(sim_config), "-o", "json", "--record")
    assert (result.exit_code, result.stderr) == (0, "")
    printed = json.loads(result.stdout)
    path = default_db(isolated_config)
    assert rows(path, "SELECT command FROM runs") == [("all",)]
    fields = ("equity", "loan", *RISK_FIELDS, "unit")
    stored = rows(path, f"SELECT profile, exchange, account, fetched_at, {', '.join(fields)} FROM snapshots ORDER BY id")
    assert stored == [(a["profile"], a["exchange"], a["account"], a["fetched_at"],
                       *(a["summary"][name] for name in fields)) for a in printed["accounts"]]
    assert any(margin_ratio for (*_, margin_ratio, _i, _m, _u, _n, _unit) in stored)  # okx-margin's risk figures
    okx = printed["accounts"][0]
    assert rows(path, "SELECT asset, total, available FROM balances WHERE snapshot = 1 ORDER BY id") == [
        (row["asset"], row["total"], row["available"]) for row in okx["balances"]]
    [(native,)] = rows(path, "SELECT native FROM snapshots WHERE id = 1")
    assert json.loads(native) == okx["summary"]["native"]
    assert rows(path, "SELECT count(*) FROM errors") == [(0,)]
    data = b"".join(p.read_bytes() for p in path.parent.iterdir())
    for profile in simulator.credentials.values():
        for key in ("api_secret", "passphrase"):
            if profile.get(key):
                assert profile[key].encode() not in data


def test_a_failed_account_is_an_errors_row_and_the_exit_code_is_kept(simulator, sim_config, tmp_path):
    simulator.add_fault(Fault("refuse"), exchange="xt")
    db = tmp_path / "h.sqlite"
    result = invoke("all", "-c", str(sim_config), "--record", "--db", str(db))
    assert result.exit_code == 6
    assert rows(db, "SELECT profile FROM snapshots ORDER BY id") == [
        ("okx",), ("okx-demo",), ("coinswitch",), ("okx-margin",), ("okx-spot",)]
    [(profile, exchange, exit_code, kind, code)] = rows(db, "SELECT profile, exchange, exit_code, kind, code FROM errors")
    assert (profile, exchange, exit_code, kind, code) == ("xt", "xt", 3, "auth", "AUTH_101")


def test_an_exchange_command_records_under_its_name_with_balctl_db(simulator, sim_config, tmp_path):
    db = tmp_path / "env.sqlite"
    result = invoke("okx", "-c", str(sim_config), "--record", env={"BALCTL_DB": str(db)})
    assert result.exit_code == 0, result.stderr
    assert rows(db, "SELECT r.command, s.profile FROM runs r JOIN snapshots s ON s.run = r.id") == [("okx", "okx")]


def test_a_recording_failure_still_prints_everything_then_one_line_and_exit_2(simulator, sim_config, tmp_path):
    db = tmp_path / "notes.txt"
    db.write_text("not a database, but my notes\n" * 100)
    plain = invoke("all", "-c", str(sim_config), "-o", "csv")
    result = invoke("all", "-c", str(sim_config), "-o", "csv", "--record", "--db", str(db))
    assert result.exit_code == 2
    assert _without_times(result.stdout) == _without_times(plain.stdout) and result.stdout.count("\n") > 10
    assert result.stderr == f"balctl: not recorded: {db}: not a balctl history database, or damaged\n"
    assert db.read_text() == "not a database, but my notes\n" * 100


def _without_times(text):
    return re.sub(r"\d{4}-\d\d-\d\dT[\d:.]+Z", "T", text)


def test_profile_file_record_true_is_the_default_and_no_record_overrides_it(simulator, tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(simulator.profiles_yaml() + "record: true\n")
    config.chmod(0o600)
    db = tmp_path / "h.sqlite"
    assert invoke("all", "-c", str(config), "--db", str(db)).exit_code == 0
    assert invoke("coinswitch", "-c", str(config), "--db", str(db)).exit_code == 0
    assert invoke("all", "-c", str(config), "--db", str(db), "--no-record").exit_code == 0
    assert rows(db, "SELECT command FROM runs ORDER BY id") == [("all",), ("coinswitch",)]
    config.write_text(simulator.profiles_yaml() + "record: yes please\n")
    result = invoke("all", "-c", str(config), "--db", str(db))
    assert (result.exit_code, result.stderr) == (2, f"balctl: {config}: top-level key 'record' must be true or false\n")


def test_no_history_yet_is_a_hint_and_exit_2(tmp_path, isolated_config):
    result = invoke("history")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"balctl: {default_db(isolated_config)}: no history recorded yet\n"
                             "hint: record with: balctl all --record\n")
    db = tmp_path / "empty.sqlite"
    record_hours(db, {"okx": [None]})  # a run, but not one snapshot
    result = invoke("history", "--db", str(db))
    assert (result.exit_code, result.stderr) == (2, f"balctl: {db}: no history recorded yet\n"
                                                    f"hint: record with: balctl all --record --db {db}\n")


@pytest.mark.parametrize("name", ["new.sqlite", "my history.sqlite", "it's.sqlite"])
def test_no_history_hint_carries_the_db_and_following_it_records_there(simulator, sim_config, tmp_path, name):
    """The hint once dropped `--db`: pasted as printed, it recorded into the default database."""
    db = tmp_path / "dir" / name
    result = invoke("history", "--db", str(db))
    quoted = shlex.quote(str(db))
    assert quoted != str(db) or " " not in name
    assert (result.exit_code, result.stdout, result.stderr) == (
        2, "", f"balctl: {db}: no history recorded yet\nhint: record with: balctl all --record --db {quoted}\n")
    command = shlex.split(result.stderr.splitlines()[1].removeprefix("hint: record with: "))
    assert command[:3] == ["balctl", "all", "--record"]
    recorded = invoke(*command[1:], "-c", str(sim_config), "-o", "json")
    assert (recorded.exit_code, recorded.stderr) == (0, "")
    assert rows(db, "SELECT command FROM runs") == [("all",)]


def test_no_history_hint_with_balctl_db_names_it_too(tmp_path, monkeypatch):
    db = tmp_path / "env.sqlite"
    monkeypatch.setenv("BALCTL_DB", str(db))
    result = invoke("history")
    assert (result.exit_code, result.stderr) == (2, f"balctl: {db}: no history recorded yet\n"
                                                    f"hint: record with: balctl all --record --db {db}\n")


@pytest.mark.parametrize("option, text, shown", [
    ("--since", "\u0663d", "'\\u0663d'"),                     # Arabic-Indic 3: not 3 days
    ("--since", "\uff17d", "'\\uff17d'"),                     # full-width 7
    ("--until", "2026-01-0\u0662", "'2026-01-0\\u0662'"),
    ("--since", "7d\x1b[2J", "'7d\\x1b[2J'"),                 # no escape sequence reaches the terminal
])
def test_non_ascii_digits_in_since_and_until_are_usage_errors(tmp_path, option, text, shown):
    db = tmp_path / "h.sqlite"
    record_hours(db, {"okx": ["1"]})
    result = invoke("history", "--db", str(db), option, text)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"balctl: bad {option} {shown}: use 90m, 24h, 7d (that long ago) or an ISO date "
                             "such as 2026-01-31 or 2026-01-31T12:00 (UTC)\n")


def test_bad_since_and_field_are_usage_errors(tmp_path):
    db = tmp_path / "h.sqlite"
    record_hours(db, {"okx": ["1"]})
    result = invoke("history", "--db", str(db), "--since", "last week")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == ("balctl: bad --since 'last week': use 90m, 24h, 7d (that long ago) or an ISO date "
                             "such as 2026-01-31 or 2026-01-31T12:00 (UTC)\n")
    result = invoke("history", "--db", str(db), "--until", "soon")
    assert result.exit_code == 2 and result.stderr.startswith("balctl: bad --until 'soon': use 90m")
    result = invoke("history", "--db", str(db), "--since", "2026-01-02", "--until", "2026-01-01")
    assert (result.exit_code, result.stderr) == (2, "balctl: --until is before --since\n")
    result = invoke("history", "--db", str(db), "--field", "equity", "--asset", "BTC")
    assert result.exit_code == 2 and result.stderr.startswith("balctl: --field equity is an account figure")
    result = invoke("history", "--db", str(db), "-o", "prometheus")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith("balctl: Invalid value for '--output' / '-o': 'prometheus' is not one of")


def gapped_db(tmp_path):
    db = tmp_path / "h.sqlite"
    record_hours(db, {"okx": ["100.10", "100.20", None, "100.40"], "sub": ["0.00000001", "0.00000002"]})
    return db


def test_json_series_are_exact_with_gaps_as_null(tmp_path):
    result = invoke("history", "--db", str(gapped_db(tmp_path)), "-o", "json", "--since", "2026-01-01", UNTIL)
    assert result.exit_code == 0, result.stderr
    points = [{"at": f"2026-01-01T0{hour}:00:00.000Z", "value": value}
              for hour, value in enumerate(["100.10", "100.20", None, "100.40"])]
    assert json.loads(result.stdout) == {"field": "equity", "series": [
        {"profile": "okx", "exchange": "okx", "account": "trading", "unit": "USD", "asset": None, "points": points},
        {"profile": "sub", "exchange": "okx", "account": "trading", "unit": "USD", "asset": None, "points": [
            {"at": "2026-01-01T00:00:00.000Z", "value": "0.00000001"},
            {"at": "2026-01-01T01:00:00.000Z", "value": "0.00000002"}]},
    ]}


def test_csv_series_are_exact(tmp_path):
    result = invoke("history", "--db", str(gapped_db(tmp_path)), "-o", "csv", "-p", "okx",
                    "--since", "2026-01-01T01:00", UNTIL)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        "at,profile,exchange,account,unit,asset,field,value\n"
        "2026-01-01T01:00:00.000Z,okx,okx,trading,USD,,equity,100.20\n"
        "2026-01-01T02:00:00.000Z,okx,okx,trading,USD,,equity,\n"
        "2026-01-01T03:00:00.000Z,okx,okx,trading,USD,,equity,100.40\n"
    )
    rows_field = invoke("history", "--db", str(gapped_db(tmp_path / "x")), "-o", "csv", "--field", "total",
                        "--asset", "btc", "-p", "sub", "--since", "2026-01-01", UNTIL)
    assert rows_field.stdout.splitlines()[1:] == [
        "2026-01-01T00:00:00.000Z,sub,okx,trading,BTC,BTC,total,0.00000001",
        "2026-01-01T01:00:00.000Z,sub,okx,trading,BTC,BTC,total,0.00000001",
    ]


def test_table_at_80_columns_has_changes_and_a_chart(tmp_path):
    db = tmp_path / "h.sqlite"
    record_hours(db, {"okx": [str(1000 + hour) for hour in range(30)]}, start=T0 - timedelta(hours=5))
    result = invoke("history", "--db", str(db), "--since", "2026-01-01", "--until", "2026-01-02",
                    env={"COLUMNS": "80"})
    assert (result.exit_code, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    assert max(map(len, lines)) <= 80
    assert "\x1b" not in result.stdout
    assert lines[:5] == [
        "equity · 2026-01-01 00:00 → 2026-01-02 23:59 UTC",
        " Account         Unit     Latest       1h      24h   7d   30d",
        "──────────────────────────────────────────────────────────────",
        " okx · trading   USD    1,029.00    +1.00   +24.00    –     –",
        "                                   +0.10%   +2.39%",
    ]
    assert "equity (USD)" in lines[6]
    assert lines[-1] == " ** okx · trading"
    assert lines[-2].split()[:2] == ["01-01", "00:00"]


def test_color_always_and_never(tmp_path, monkeypatch):
    db = gapped_db(tmp_path)
    always = invoke("history", "--db", str(db), "--since", "2026-01-01", UNTIL, "--color", "always")
    assert always.exit_code == 0 and "\x1b[" in always.stdout  # NO_COLOR is set and not a terminal
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    never = invoke("history", "--db", str(db), "--since", "2026-01-01", UNTIL, "--color", "never")
    assert never.exit_code == 0 and "\x1b" not in never.stdout and "** okx · trading" in never.stdout


def test_a_period_without_data_says_so(tmp_path):
    result = invoke("history", "--db", str(gapped_db(tmp_path)), "--since", "2025-01-01", "--until", "2025-01-02")
    assert (result.exit_code, result.stdout) == (0, "no equity recorded 2025-01-01 00:00 → 2025-01-02 23:59 UTC\n")
    result = invoke("history", "--db", str(gapped_db(tmp_path / "x")), "-o", "json", "--since", "2025-01-01",
                    "--until", "2025-01-02")
    assert (result.exit_code, json.loads(result.stdout)) == (0, {"field": "equity", "series": []})


def test_names_from_the_database_never_drive_the_terminal(tmp_path):
    db = tmp_path / "h.sqlite"
    record_hours(db, {"okx\x1b[2J": ["1", "2"]})
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE snapshots SET unit = 'US\u202eD'")
    result = invoke("history", "--db", str(db), "--since", "2026-01-01", UNTIL, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.stderr
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout
    assert "okx\\x1b[2J · trading" in result.stdout and "equity (US\\u202eD)" in result.stdout
    result = invoke("history", "--db", str(db), "--since", "2026-01-01", UNTIL, "-o", "json")
    assert result.exit_code == 0 and "\u202e" not in result.stdout and "\x1b" not in result.stdout
    assert json.loads(result.stdout)["series"][0]["unit"] == "US\u202eD"  # escaped, not changed


def test_long_names_wrap_inside_their_column_at_80_columns():
    from balctl.history.view import aligned

    rows = [("long-profile-name-number-one · trading-account · USDT", "USDT", "1,234,567.89",
             [("+1.00", "+0.01%"), ("–", ""), ("–", ""), ("–", "")])]
    lines = "".join(aligned(rows, 80)).splitlines()
    assert max(map(len, lines)) <= 80
    assert [line.split("   ")[0].strip() for line in lines[2:]] == [
        "long-profile-name-number-one", "trading-account · USDT"]


def test_a_row_without_changes_is_one_line():
    from balctl.history.view import aligned

    rows = [("okx · trading", "USD", "1.00", [("–", "")] * 4), ("xt · lever", "USDT", "2.00", [("+1.00", "+100.00%")] * 4)]
    assert [line.rstrip() for line in aligned(rows, 80)][2:] == [
        " okx · trading   USD      1.00          –          –          –          –",
        " xt · lever      USDT     2.00      +1.00      +1.00      +1.00      +1.00",
        "                                 +100.00%   +100.00%   +100.00%   +100.00%",
    ]
