"""Series, gaps, changes and the --since/--until forms of `balctl history`."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from balctl.errors import UsageError
from balctl.history.query import Point, Request, Series, changes, field_kind, load_series, parse_moment
from balctl.history.store import connect, record_run
from balctl.model import Balance
from tests.history_helpers import T0, record_hours, snapshot

NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone.utc)
ACCEPTED = "use 90m, 24h, 7d (that long ago) or an ISO date such as 2026-01-31 or 2026-01-31T12:00 (UTC)"


@pytest.mark.parametrize("text, expected", [
    ("90m", NOW - timedelta(minutes=90)),
    ("24h", NOW - timedelta(hours=24)),
    ("7d", NOW - timedelta(days=7)),
    (" 30D ", NOW - timedelta(days=30)),
    ("2026-01-31", datetime(2026, 1, 31, tzinfo=timezone.utc)),
    ("2026-01-31T12:00", datetime(2026, 1, 31, 12, tzinfo=timezone.utc)),
    ("2026-01-31 12:00:30Z", datetime(2026, 1, 31, 12, 0, 30, tzinfo=timezone.utc)),
    ("2026-01-31T12:00+02:00", datetime(2026, 1, 31, 10, tzinfo=timezone.utc)),
])
def test_since_forms(text, expected):
    assert parse_moment(text, option="--since", now=NOW) == expected


def test_until_a_date_includes_that_whole_day():
    end = parse_moment("2026-01-31", option="--until", now=NOW, end_of_day=True)
    assert end == datetime(2026, 1, 31, 23, 59, 59, 999000, tzinfo=timezone.utc)


@pytest.mark.parametrize("text", ["", "7", "7w", "-7d", "yesterday", "2026-13-01", "2026-01-31T25:00",
                                  "31/01/2026", "1e3d", "9999999d", "999999d",
                                  # Arabic-Indic and full-width digits are not ASCII digits: not 3 days
                                  "\u0663d", "\uff13h", "1\u0660m", "\u0662\u0660\u0662\u0666-01-31",
                                  "2026-01-3\u0661", "2026-01-31T1\u0662:00", "2026-01-31T12:00+0\u0661:00"])
def test_bad_since_names_the_accepted_forms(text):
    with pytest.raises(UsageError) as caught:
        parse_moment(text, option="--since", now=NOW)
    assert caught.value.line() == f"bad --since {ascii(text.strip())}: {ACCEPTED}"
    assert caught.value.exit_code == 2


def test_field_kinds():
    assert field_kind("equity", ()) == "summary"
    assert field_kind("margin_ratio", ()) == "summary"
    assert field_kind("loan", ()) == "summary"
    assert field_kind("loan", ("BTC",)) == "row"
    assert field_kind("available", ()) == "row"
    with pytest.raises(UsageError, match=r"^--field equity is an account figure; --asset goes with a row field"):
        field_kind("equity", ("BTC",))
    with pytest.raises(UsageError, match=r"^unknown --field 'price': an account figure \(equity, loan, "):
        field_kind("price", ())


def load(path, **request):
    connection = connect(path, create=False)
    try:
        return load_series(connection, Request(**request))
    finally:
        connection.close()


def test_a_failed_run_is_a_gap_never_a_zero(tmp_path):
    path = tmp_path / "h.sqlite"
    record_hours(path, {"okx": ["1.0", "2.0", None, "4.0"], "sub": ["10", "11", "12", "13"]})
    okx, sub = load(path, field="equity")
    assert (okx.profile, okx.unit, okx.asset) == ("okx", "USD", None)
    assert [(p.at[11:16], p.value) for p in okx.points] == [
        ("00:00", Decimal("1.0")), ("01:00", Decimal("2.0")), ("02:00", None), ("03:00", Decimal("4.0"))]
    assert [p.value for p in sub.points] == [Decimal("10"), Decimal("11"), Decimal("12"), Decimal("13")]


def test_since_until_and_profiles_narrow_the_series(tmp_path):
    path = tmp_path / "h.sqlite"
    record_hours(path, {"okx": ["1", "2", "3", "4"], "sub": ["5", "6", "7", "8"]})
    [sub] = load(path, profiles=("sub",), since=T0 + timedelta(hours=1), until=T0 + timedelta(hours=2))
    assert [(p.at, p.value) for p in sub.points] == [
        ("2026-01-01T01:00:00.000Z", Decimal("6")), ("2026-01-01T02:00:00.000Z", Decimal("7"))]


def test_row_fields_are_summed_per_account_and_asset(tmp_path):
    path = tmp_path / "h.sqlite"
    pairs = [Balance("USDT", market="BTC_USDT", available=Decimal("1.5")),
             Balance("USDT", market="ETH_USDT", available=Decimal("0.25")),
             Balance("BTC", market="BTC_USDT", available=None),
             Balance("ETH", market="ETH_USDT", available=Decimal("2"))]
    record_run(path, [snapshot("xt", T0, exchange="xt", account="lever", rows=pairs)], command="xt", started_at=T0)
    btc, usdt = load(path, field="available", assets=("USDT", "BTC"))
    assert (usdt.label, usdt.unit, usdt.asset, [p.value for p in usdt.points]) == (
        "xt · lever", "USDT", "USDT", [Decimal("1.75")])
    assert (btc.asset, [p.value for p in btc.points]) == ("BTC", [None])  # null is not zero
    every = load(path, field="available")
    assert [one.asset for one in every] == ["BTC", "ETH", "USDT"]
    [value] = load(path, field="usd_value", assets=("ETH",))
    assert (value.unit, value.label) == ("USD", "xt · lever · ETH")


def test_imported_snapshots_are_no_account_figures(tmp_path):
    path = tmp_path / "h.sqlite"
    record_hours(path, {"okx": ["1"]})
    with sqlite3.connect(path) as connection:  # as --import writes them: no summary, no unit
        connection.execute("INSERT INTO snapshots (run, profile, exchange, account, fetched_at) "
                           "VALUES (1, 'old', 'okx', 'trading', '2025-12-31T00:00:00.000Z')")
    assert [one.profile for one in load(path, field="equity")] == ["okx"]


def series(*points: tuple[timedelta, str | None]) -> Series:
    end = T0 + timedelta(days=60)
    return Series("okx", "okx", "trading", "USD", None, [
        Point((end - ago).strftime("%Y-%m-%dT%H:%M:%S.000Z"), None if value is None else Decimal(value))
        for ago, value in points])


def test_changes_over_each_window_where_the_history_reaches():
    result = changes(series(
        (timedelta(days=3), "50"),
        (timedelta(hours=24, seconds=-3), "80"),   # 3 s late: still the 24 h point
        (timedelta(hours=1, minutes=2), "90"),
        (timedelta(minutes=30), None),
        (timedelta(0), "100.5"),
    ))
    assert result["1h"].absolute == Decimal("10.5") and result["1h"].percent == Decimal("11.66666666666666666666666667")
    assert (result["24h"].absolute, result["24h"].percent) == (Decimal("20.5"), Decimal("25.625"))
    assert result["7d"] is None and result["30d"] is None  # the history does not reach that far


def test_a_change_is_not_measured_across_a_long_gap_or_from_zero():
    result = changes(series((timedelta(days=3), "10"), (timedelta(0), "12")))
    assert result["1h"] is None and result["24h"] is None  # 3 days back is no "24 h change"
    assert result["7d"] is None
    zero = changes(series((timedelta(hours=1), "0"), (timedelta(0), "5")))
    assert (zero["1h"].absolute, zero["1h"].percent) == (Decimal("5"), None)
    assert changes(series((timedelta(0), None))) == {"1h": None, "24h": None, "7d": None, "30d": None}
