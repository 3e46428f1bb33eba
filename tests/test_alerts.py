"""`--alert EXPR` and a profile's `alerts:` (issue 11): the grammar, exact Decimal comparisons,
per-row alerts, merging, exit 7 over 6, and the three outputs, against the simulator's
`okx-margin` account (margin ratio 2.718281828459045, USDT and ETH loans)."""

from __future__ import annotations

import io
import json
import logging
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from balctl import alerts
from balctl.errors import ExitCode, UsageError
from balctl.model import Balance, Failure, FiredAlert, Report, Snapshot, Summary
from balctl.render import TableOptions
from balctl.simulator import Fault
from tests.helpers import invoke, run_balctl

E = "2.718281828459045"
ALLOWED = ("summary fields: equity, loan, adjusted_equity, margin_ratio, initial_margin, maintenance_margin, "
           "unrealized_pnl, notional; row fields, as ASSET.FIELD: total, available, frozen, loan, interest, "
           "position_margin, order_margin, usd_value")
MOMENT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def snapshot(*rows: Balance, profile: str = "main", **summary: str | None) -> Snapshot:
    figures = {name: None if value is None else Decimal(value) for name, value in summary.items()}
    figures.setdefault("equity", Decimal("100"))
    figures.setdefault("loan", None)
    return Snapshot(profile, "okx", "trading", MOMENT, Summary(unit="USD", **figures), list(rows))


def fired(snap: Snapshot, *texts: str) -> list[tuple[str | None, str | None, str, str, str]]:
    """(asset, market, field, value, expr) of each alert that fires."""
    return [(a.asset, a.market, a.field, str(a.value), a.expr)
            for a in alerts.evaluate(snap, alerts.parse_all(texts))]


# --- grammar -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, parsed", [
    ("margin_ratio < 3", (None, "margin_ratio", "<", Decimal("3"), "margin_ratio < 3")),
    ("margin_ratio<3", (None, "margin_ratio", "<", Decimal("3"), "margin_ratio < 3")),
    ("  equity>=-1500.25 ", (None, "equity", ">=", Decimal("-1500.25"), "equity >= -1500.25")),
    ("loan != 0", (None, "loan", "!=", Decimal("0"), "loan != 0")),
    ("unrealized_pnl<=.5", (None, "unrealized_pnl", "<=", Decimal("0.5"), "unrealized_pnl <= .5")),
    ("BTC.loan > 1", ("BTC", "loan", ">", Decimal("1"), "BTC.loan > 1")),
    ("btc.LOAN>1", ("BTC", "loan", ">", Decimal("1"), "BTC.loan > 1")),  # codes are upper-case
    ("usdt . usd_value = 1.50", ("USDT", "usd_value", "=", Decimal("1.50"), "USDT.usd_value = 1.50")),
    ("1INCH.total>+2", ("1INCH", "total", ">", Decimal("2"), "1INCH.total > +2")),
])
def test_grammar(text, parsed):
    alert = alerts.parse(text)
    assert (alert.asset, alert.field, alert.op, alert.threshold, alert.expr) == parsed
    assert isinstance(alert.threshold, Decimal)


@pytest.mark.parametrize("text", [
    "", "margin_ratio", "margin_ratio <", "< 3", "margin_ratio == 3", "margin_ratio => 3", "margin_ratio < 3 4",
    "margin_ratio < 1e3", "margin_ratio < nan", "margin_ratio < inf", "margin_ratio < 1,5", "margin_ratio < 0x10",
    "margin_ratio < 1_000", "margin_ratio < ٣", "BTC..loan > 1", ".loan > 1", "BTC.ETH.loan > 1",
    "margin_ratio < 3 and loan > 1", "margin_ratio\u202e < 3",
])
def test_unreadable_expressions(text):
    with pytest.raises(UsageError) as caught:
        alerts.parse(text)
    assert caught.value.message == (
        f"--alert: cannot read {text!r}: write [ASSET.]FIELD OP NUMBER, such as 'margin_ratio < 3' or "
        f"'BTC.loan > 1' (OP: != < <= = > >=; {ALLOWED})")


@pytest.mark.parametrize("text, complaint", [
    ("margin < 3", "unknown summary field 'margin'"),
    ("total < 3", "unknown summary field 'total' (a row field: write ASSET.FIELD, such as BTC.total)"),
    ("BTC.equity > 1", "unknown row field 'equity' (a summary field: write it without an asset)"),
    ("BTC.margin_ratio < 3", "unknown row field 'margin_ratio' (a summary field: write it without an asset)"),
    ("BTC.price > 1", "unknown row field 'price'"),
])
def test_unknown_fields_name_the_expression_and_the_allowed_fields(text, complaint):
    with pytest.raises(UsageError) as caught:
        alerts.parse(text, where="somewhere")
    assert caught.value.message == f"somewhere: {text!r}: {complaint} ({ALLOWED})"


def test_duplicates_count_once_and_merging_keeps_order():
    command_line = alerts.parse_all(["margin_ratio<3", "margin_ratio < 3", "BTC.loan>1"])
    assert [a.expr for a in command_line] == ["margin_ratio < 3", "BTC.loan > 1"]
    own = alerts.parse_all(["equity < 10", "btc.loan > 1"])
    assert [a.expr for a in alerts.merged(command_line, own)] == ["margin_ratio < 3", "BTC.loan > 1", "equity < 10"]


# --- evaluation ----------------------------------------------------------------------------------

def test_decimal_comparison_at_the_boundary():
    """Exactly, never through float: 2.7182818284590451 and 2.718281828459045 are the same float."""
    assert float("2.7182818284590451") == float(E)
    snap = snapshot(margin_ratio=E)
    assert fired(snap, f"margin_ratio < {E}") == []
    assert fired(snap, f"margin_ratio > {E}") == []
    assert fired(snap, f"margin_ratio != {E}0") == []  # 2.7182818284590450 is the same number
    assert fired(snap, f"margin_ratio <= {E}", f"margin_ratio >= {E}", f"margin_ratio = {E}000",
                 "margin_ratio < 2.7182818284590451", "margin_ratio > 2.7182818284590449") == [
        (None, None, "margin_ratio", E, f"margin_ratio <= {E}"),
        (None, None, "margin_ratio", E, f"margin_ratio >= {E}"),
        (None, None, "margin_ratio", E, f"margin_ratio = {E}000"),
        (None, None, "margin_ratio", E, "margin_ratio < 2.7182818284590451"),
        (None, None, "margin_ratio", E, "margin_ratio > 2.7182818284590449"),
    ]


def test_row_alerts_check_every_row_of_the_asset():
    """XT has a USDT row per lever pair: each is checked, and each fires on its own."""
    snap = snapshot(
        Balance("BTC", "BTC_USDT", total=Decimal("0.5"), loan=Decimal("0.1")),
        Balance("USDT", "BTC_USDT", total=Decimal("1520.5"), loan=Decimal("0")),
        Balance("ETH", "ETH_USDT", total=Decimal("2.75"), loan=Decimal("0")),
        Balance("USDT", "ETH_USDT", total=Decimal("1350.75"), loan=Decimal("500")),
    )
    assert fired(snap, "USDT.loan > 0", "USDT.total >= 1350.75", "BTC.loan > 0.1", "ETH.total < 3") == [
        ("USDT", "ETH_USDT", "loan", "500", "USDT.loan > 0"),
        ("USDT", "BTC_USDT", "total", "1520.5", "USDT.total >= 1350.75"),
        ("USDT", "ETH_USDT", "total", "1350.75", "USDT.total >= 1350.75"),
        ("ETH", "ETH_USDT", "total", "2.75", "ETH.total < 3"),
    ]


def test_null_never_fires_and_each_skip_is_logged(caplog):
    snap = snapshot(Balance("BTC", total=Decimal("1"), loan=None), Balance("USDT", "X_USDT", loan=None),
                    margin_ratio=None, loan=None)
    with caplog.at_level(logging.INFO, logger="balctl"):
        assert fired(snap, "margin_ratio < 3", "loan >= 0", "BTC.loan >= 0", "USDT.loan != 1", "ETH.total > 0",
                     "BTC.total > 0") == [("BTC", None, "total", "1", "BTC.total > 0")]
    assert [record.getMessage() for record in caplog.records] == [
        "alert 'margin_ratio < 3' skipped for okx (main): margin_ratio is null",
        "alert 'loan >= 0' skipped for okx (main): loan is null",
        "alert 'BTC.loan >= 0' skipped for okx (main): BTC.loan is null",
        "alert 'USDT.loan != 1' skipped for okx (main): USDT.loan of X_USDT is null",
        "alert 'ETH.total > 0' skipped for okx (main): no ETH row",
    ]


def failure() -> Failure:
    from balctl.errors import NetworkError

    return Failure.from_error(NetworkError("timed out", exchange="xt", profile="xt"))


@pytest.mark.parametrize("accounts, errors, code", [
    ([], [], ExitCode.OK),
    (["quiet"], [], ExitCode.OK),
    (["alarm"], [], ExitCode.ALERT),
    (["quiet"], ["failed"], ExitCode.PARTIAL),
    (["alarm", "quiet"], ["failed"], ExitCode.ALERT),  # 7 wins over 6
    ([], ["failed"], ExitCode.NETWORK),
])
def test_exit_code_seven_wins_over_six(accounts, errors, code):
    alarm = FiredAlert("main", "okx", "trading", None, None, "margin_ratio", Decimal(E), "margin_ratio < 3")
    built = [snapshot(profile=name) for name in accounts]
    built = [Snapshot(s.profile, s.exchange, s.account, s.fetched_at, s.summary, s.balances,
                      alerts=(alarm,) if s.profile == "alarm" else ()) for s in built]
    report = Report(MOMENT, built, [failure() for _ in errors])
    assert report.exit_code() == code
    assert ExitCode.ALERT == 7
    assert report.without_zero_rows().alerts == report.alerts  # filters keep them


# --- the command line, against the simulator -----------------------------------------------------

MARGIN_LINE = f"balctl: alert: okx (okx-margin): margin_ratio {E} < 3"


def test_end_to_end_margin_account_json(simulator, sim_config):
    """The installed command, as cron runs it: exit 7, one stderr line per alert, JSON alerts."""
    done = run_balctl("okx", "-p", "okx-margin", "-o", "json", "--alert", "margin_ratio < 3",
                      "--alert", f"margin_ratio<{E}", "--alert", "ETH.loan > 1.5", "--alert", "DOGE.total > 25000",
                      config=sim_config)
    assert done.returncode == 7, done.stderr
    assert done.stderr.splitlines() == [MARGIN_LINE, "balctl: alert: okx (okx-margin): ETH.loan 2 > 1.5"]
    document = json.loads(done.stdout)
    assert list(document)[-2:] == ["warnings", "alerts"]
    assert document["alerts"] == [
        {"profile": "okx-margin", "exchange": "okx", "account": "trading", "asset": None,
         "field": "margin_ratio", "value": E, "expr": "margin_ratio < 3"},
        {"profile": "okx-margin", "exchange": "okx", "account": "trading", "asset": "ETH",
         "field": "loan", "value": "2", "expr": "ETH.loan > 1.5"},
    ]
    assert [(e.endpoint, e.verified, e.status) for e in simulator.log] == [("balance", True, 200)]


def test_no_alert_firing_is_exit_0_and_an_empty_list(simulator, sim_config):
    result = invoke("okx", "-p", "okx-margin", "-o", "json", "--alert", f"margin_ratio < {E}", "-c", str(sim_config))
    assert (result.exit_code, result.stderr) == (0, "")
    assert json.loads(result.stdout)["alerts"] == []


def test_table_shows_alerts_under_the_summary_and_csv_is_unchanged(simulator, sim_config):
    table = invoke("okx", "-p", "okx-margin", "--alert", "margin_ratio < 3", "--alert", "USDT.loan >= 8000",
                   "-c", str(sim_config))
    assert table.exit_code == 7, table.stderr
    lines = table.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if line.endswith("notional 14,650.50 USD"))  # the summary's end
    assert lines[at + 1:at + 3] == [f"  alert: margin_ratio {E} < 3", "  alert: USDT.loan 8000 >= 8000"]
    plain = invoke("okx", "-p", "okx-margin", "-o", "csv", "-c", str(sim_config))
    alarmed = invoke("okx", "-p", "okx-margin", "-o", "csv", "--alert", "margin_ratio < 3", "-c", str(sim_config))
    assert (plain.exit_code, alarmed.exit_code) == (0, 7)
    assert [line.split(",", 1)[1] for line in alarmed.stdout.splitlines()] == \
        [line.split(",", 1)[1] for line in plain.stdout.splitlines()]  # the same rows, but fetched_at
    assert alarmed.stderr == MARGIN_LINE + "\n"


def test_table_alert_lines_are_red():
    from balctl.render import table

    snap = snapshot(margin_ratio=E)
    snap = Snapshot(snap.profile, snap.exchange, snap.account, snap.fetched_at, snap.summary, snap.balances,
                    alerts=tuple(alerts.evaluate(snap, alerts.parse_all(["margin_ratio < 3"]))))
    assert table.alert_lines(snap) == [f"  alert: margin_ratio {E} < 3"]
    assert table.alert_lines(snapshot()) == []
    text = table.snapshot(snap, out=io.StringIO(), options=TableOptions(color="always"))
    assert f"\x1b[1;31m  alert: margin_ratio {E} < 3\x1b[0m\n" in text


def test_all_fires_per_account_and_lists_alerts_once_at_the_top(simulator, sim_config):
    result = invoke("all", "-o", "json", "--alert", "USDT.loan >= 500", "--alert", "margin_ratio < 100",
                    "-c", str(sim_config))
    assert result.exit_code == 7, result.stderr
    document = json.loads(result.stdout)
    assert list(document) == ["fetched_at", "accounts", "errors", "warnings", "alerts"]
    for account in document["accounts"]:  # each account's own, and all of them at the top
        assert account["alerts"] == [a for a in document["alerts"] if a["profile"] == account["profile"]]
    assert [(a["profile"], a["asset"], a["field"], a["value"]) for a in document["alerts"]] == [
        ("okx", None, "margin_ratio", "35.0972"),
        ("okx-demo", None, "margin_ratio", "35.0972"),
        ("xt", "USDT", "loan", "500"),
        ("okx-margin", "USDT", "loan", "8000"),
        ("okx-margin", None, "margin_ratio", E),
    ]
    assert result.stderr.splitlines() == [
        "balctl: alert: okx (okx): margin_ratio 35.0972 < 100",
        "balctl: alert: okx (okx-demo): margin_ratio 35.0972 < 100",
        "balctl: alert: xt (xt): USDT.loan 500 >= 500 in ETH_USDT",
        "balctl: alert: okx (okx-margin): USDT.loan 8000 >= 500",
        f"balctl: alert: okx (okx-margin): margin_ratio {E} < 100",
    ]


def test_an_alert_wins_over_a_failed_account_which_is_still_listed(simulator, sim_config):
    simulator.add_fault(Fault("refuse"), exchange="xt")
    result = invoke("all", "-o", "json", "--alert", "margin_ratio < 3", "-c", str(sim_config))
    assert result.exit_code == 7
    document = json.loads(result.stdout)
    assert [(e["profile"], e["kind"]) for e in document["errors"]] == [("xt", "auth")]
    assert [a["profile"] for a in document["alerts"]] == ["okx-margin"]
    lines = result.stderr.splitlines()
    assert lines[0].startswith("balctl: xt (xt): ") and lines[-1] == MARGIN_LINE
    without = invoke("all", "-o", "json", "--alert", "margin_ratio < 2", "-c", str(sim_config))
    assert without.exit_code == 6  # nothing fired: the failure's 6 as before


def test_hide_zero_does_not_silence_an_alert_on_a_zero_row(simulator, sim_config):
    # OKX (and the simulator) answers a currency holding nothing only when --ccy names it
    result = invoke("okx", "-o", "json", "--ccy", "SOL,OKB", "--hide-zero", "--alert", "OKB.total = 0",
                    "-c", str(sim_config))
    assert result.exit_code == 7, result.stderr
    document = json.loads(result.stdout)
    assert "OKB" not in [row["asset"] for row in document["balances"]]
    assert [(a["asset"], a["value"]) for a in document["alerts"]] == [("OKB", "0")]


def test_verbose_says_which_null_figures_were_skipped(simulator, sim_config):
    quiet = invoke("xt", "-o", "csv", "--alert", "margin_ratio < 3", "-c", str(sim_config))
    assert (quiet.exit_code, quiet.stderr) == (0, "")
    result = invoke("xt", "-v", "-o", "csv", "--alert", "margin_ratio < 3", "-c", str(sim_config))
    assert result.exit_code == 0, result.stderr
    logged = [line.split(" ", 1)[1] for line in result.stderr.splitlines()]  # after each line's UTC time
    assert "balctl: alert 'margin_ratio < 3' skipped for xt (xt): margin_ratio is null" in logged


@pytest.mark.parametrize("command", [["okx"], ["xt"], ["coinswitch"], ["all"]])
def test_a_bad_expression_is_exit_2_before_any_request(simulator, sim_config, command):
    result = invoke(*command, "--alert", "margin_ratio < 3", "--alert", "BTC.equity > 1", "-c", str(sim_config))
    assert result.exit_code == 2
    assert result.stderr == (f"balctl: --alert: 'BTC.equity > 1': unknown row field 'equity' "
                             f"(a summary field: write it without an asset) ({ALLOWED})\n")
    assert result.stdout == "" and simulator.log == []


# --- profile-file alerts ----------------------------------------------------------------------------

def with_alerts(simulator, tmp_path, **by_profile: str):
    """The simulator's profile file with `alerts:` lines added to the named profiles."""
    lines = []
    for line in simulator.profiles_yaml().splitlines():
        lines.append(line)
        name = line.strip().rstrip(":")
        if line.startswith("  ") and not line.startswith("    ") and name in by_profile:
            lines.append(f"    alerts: {by_profile[name]}")
    path = tmp_path / "alerts.yaml"
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
    return path


def test_profile_alerts_are_added_to_the_command_line_ones(simulator, tmp_path):
    config = with_alerts(simulator, tmp_path, **{"okx-margin": '["margin_ratio < 3", "ETH.loan > 1"]',
                                                 "xt": '["equity > 1"]'})
    result = invoke("all", "-o", "json", "-p", "okx", "-p", "okx-margin", "-p", "xt",
                    "--alert", "margin_ratio<3", "--alert", "USDT.loan > 7999", "-c", str(config))
    assert result.exit_code == 7, result.stderr
    assert [(a["profile"], a["expr"], a["value"]) for a in json.loads(result.stdout)["alerts"]] == [
        ("xt", "equity > 1", "35956.475839745678901234"),  # xt's own alert, on xt only
        ("okx-margin", "margin_ratio < 3", E),  # written twice (file and command line): once
        ("okx-margin", "USDT.loan > 7999", "8000"),
        ("okx-margin", "ETH.loan > 1", "2"),
    ]
    alone = invoke("okx", "-p", "okx-margin", "-o", "csv", "-c", str(config))  # no --alert: the file's fire
    assert alone.exit_code == 7
    assert alone.stderr.splitlines() == [MARGIN_LINE, "balctl: alert: okx (okx-margin): ETH.loan 2 > 1"]


@pytest.mark.parametrize("value, complaint", [
    ('["margin_ratio << 3"]', "cannot read 'margin_ratio << 3': write [ASSET.]FIELD OP NUMBER"),
    ('["BTC.equity > 1"]', "'BTC.equity > 1': unknown row field 'equity'"),
    ("[3]", "an alert must be a string such as 'margin_ratio < 3', got a int"),
    ('"margin_ratio < 3"', "key 'alerts' must be a list such as"),
])
def test_a_bad_profile_alert_is_exit_2_naming_file_profile_and_key(simulator, tmp_path, value, complaint):
    config = with_alerts(simulator, tmp_path, **{"okx-margin": value})
    result = invoke("okx", "-p", "okx-margin", "-c", str(config))
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(f"balctl: {config}: profile 'okx-margin': ")
    assert complaint in line
    assert simulator.log == []
    other = invoke("okx", "-p", "okx", "-o", "csv", "-c", str(config))  # only that profile is broken
    assert other.exit_code == 0, other.stderr


def test_help_mentions_exit_7():
    result = invoke("okx", "--help")
    assert result.exit_code == 0
    assert "Exit 7" in result.stdout and "--alert" in result.stdout


def test_a_broken_alerts_key_fails_only_its_profile_in_all(simulator, tmp_path):
    config = with_alerts(simulator, tmp_path, **{"okx-margin": '["margin_ratio <"]', "xt": '["loan > 1"]'})
    result = invoke("all", "-o", "json", "-c", str(config))
    assert result.exit_code == 7  # xt's own alert fired; okx-margin failed, and says so
    document = json.loads(result.stdout)
    assert [(e["profile"], e["kind"]) for e in document["errors"]] == [("okx-margin", "profile")]
    assert [(a["profile"], a["expr"]) for a in document["alerts"]] == [("xt", "loan > 1")]
    assert "okx-margin" not in [a["profile"] for a in document["accounts"]]


def test_an_alert_is_exit_7_even_when_recording_failed(simulator, sim_config, tmp_path):
    """A broken history database is said (exit 2 alone), but it must not hide the alarm."""
    database = tmp_path / "history.sqlite"
    database.write_bytes(b"not a database, " * 100)
    args = ("okx", "-p", "okx-margin", "-o", "csv", "--record", "--db", str(database), "-c", str(sim_config))
    quiet = invoke(*args)
    assert quiet.exit_code == 2 and "not recorded" in quiet.stderr
    alarmed = invoke(*args, "--alert", "margin_ratio < 3")
    assert alarmed.exit_code == 7
    assert alarmed.stderr.splitlines()[0] == MARGIN_LINE and "not recorded" in alarmed.stderr
