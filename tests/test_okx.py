"""OKX: signing, the request on the wire, parsing, output formats and error mapping."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import responses

from balctl.errors import BadResponse
from balctl.exchanges import okx
from balctl.profiles import Profile
from tests.helpers import OKX_PROFILE, fixture_text, invoke, load_fixture

URL = "https://www.okx.com/api/v5/account/balance"
SECRET = "22582BD0CFF14C41EDBF1AB98506286D"


def profile(**changes) -> Profile:
    values = dict(name="okx", exchange="okx", api_key="okx-key-0001", api_secret=SECRET,
                  passphrase="okx-pass-phrase", base_url="https://www.okx.com")
    values.update(changes)
    return Profile(**values)


# --- signing (docs/exchanges.md, OKX: vectors) -------------------------------------------------------------

def test_signature_vector_without_query():
    prehash = "2020-12-08T09:08:57.715ZGET/api/v5/account/balance"
    assert okx.signature(SECRET, prehash) == "AkD5YszBhggtIyjDlmTy/9PpNVntel+1Lff8wh0qpQw="


def test_signature_vector_with_query():
    prehash = "2020-12-08T09:08:57.715ZGET/api/v5/account/balance?ccy=BTC,ETH"
    assert okx.signature(SECRET, prehash) == "oah2EOT2Fnz1bjkgiAnuKl+zFQzDG3/nqPUqyYzArrE="


def test_sign_builds_headers_from_unix_millis():
    headers = okx.sign(profile(), "/api/v5/account/balance?ccy=BTC,ETH", 1607418537715)
    assert headers == {
        "OK-ACCESS-KEY": "okx-key-0001",
        "OK-ACCESS-SIGN": "oah2EOT2Fnz1bjkgiAnuKl+zFQzDG3/nqPUqyYzArrE=",
        "OK-ACCESS-TIMESTAMP": "2020-12-08T09:08:57.715Z",
        "OK-ACCESS-PASSPHRASE": "okx-pass-phrase",
    }


def test_demo_profile_adds_simulated_trading_header():
    headers = okx.sign(profile(demo=True), "/api/v5/account/balance", 1607418537715)
    assert headers["x-simulated-trading"] == "1"


def test_timestamp_pads_milliseconds():
    assert okx.timestamp(1607418537005) == "2020-12-08T09:08:57.005Z"


# --- the request on the wire --------------------------------------------------------------

@responses.activate
def test_ccy_is_upper_cased_and_sent_with_a_bare_comma(write_config):
    responses.get(URL, body=fixture_text("okx_balance.json"))
    result = invoke("okx", "-c", str(write_config(OKX_PROFILE)), "--ccy", "btc, eth", "-o", "json")
    assert result.exit_code == 0, result.stderr
    request = responses.calls[0].request
    assert request.url == URL + "?ccy=BTC,ETH"
    stamp = request.headers["OK-ACCESS-TIMESTAMP"]
    expected = okx.signature(SECRET, f"{stamp}GET/api/v5/account/balance?ccy=BTC,ETH")
    assert request.headers["OK-ACCESS-SIGN"] == expected
    assert request.headers["OK-ACCESS-PASSPHRASE"] == "okx-pass-phrase"
    assert "x-simulated-trading" not in request.headers


@responses.activate
def test_base_url_and_demo_come_from_the_profile(write_config):
    responses.get("https://eea.okx.com/api/v5/account/balance", body=fixture_text("okx_balance.json"))
    config = write_config(OKX_PROFILE + "        demo: true\n        base_url: https://eea.okx.com/\n")
    result = invoke("okx", "-c", str(config), "-o", "csv")
    assert result.exit_code == 0, result.stderr
    assert responses.calls[0].request.headers["x-simulated-trading"] == "1"


def test_more_than_twenty_currencies_is_a_usage_error(write_config):
    codes = ",".join(f"C{i}" for i in range(21))
    result = invoke("okx", "-c", str(write_config(OKX_PROFILE)), "--ccy", codes)
    assert result.exit_code == 2
    assert result.stderr == "balctl: okx (okx): --ccy takes at most 20 currencies (OKX's limit), got 21\n"
    assert result.stdout == ""


# --- parsing ------------------------------------------------------------------------------

def test_parse_maps_unified_fields_and_keeps_digits():
    account = okx.parse([load_fixture("okx_balance.json")])
    usdt, btc, eth, sol = account.balances
    assert usdt.available == Decimal("4834.317093622894")
    assert str(usdt.available) == "4834.317093622894"
    assert (eth.asset, eth.loan, eth.interest) == ("ETH", Decimal("2.00001234"), Decimal("0.00001234"))
    assert btc.loan is None and btc.native["liab"] is None  # "" -> null
    assert sol.is_zero()
    assert account.summary.equity == Decimal("51071.112513622894")
    assert account.summary.unit == "USD"
    assert "details" not in account.summary.native
    assert account.summary.native["mgnRatio"] is None


def test_parse_maps_the_risk_figures_and_empty_is_null():
    """adjEq, mgnRatio, imr, mmr, upl, notionalUsd → the summary (issue 11), digits kept."""
    summary = okx.parse([load_fixture("okx_balance.json")]).summary
    assert (summary.adjusted_equity, summary.margin_ratio) == (Decimal("55415.624719833286"), None)  # mgnRatio ""
    assert [str(summary.initial_margin), str(summary.maintenance_margin), str(summary.unrealized_pnl),
            str(summary.notional)] == ["0", "0", "0", "0"]
    top = {"totalEq": "1", "adjEq": "5436.56365691809", "mgnRatio": "2.718281828459045", "imr": "3000",
           "mmr": "2000.000", "upl": "-312.75", "notionalUsd": "", "details": []}
    summary = okx.parse([{"code": "0", "data": [top]}]).summary
    assert [None if v is None else str(v) for v in (
        summary.adjusted_equity, summary.margin_ratio, summary.initial_margin, summary.maintenance_margin,
        summary.unrealized_pnl, summary.notional)] == [
        "5436.56365691809", "2.718281828459045", "3000", "2000.000", "-312.75", None]
    assert summary.loan is None  # OKX has no account-level loan figure


def test_a_malformed_risk_figure_is_a_bad_response():
    with pytest.raises(BadResponse, match="^mgnRatio is not a number: 'n/a'$"):
        okx.parse([{"code": "0", "data": [{"totalEq": "1", "mgnRatio": "n/a", "details": []}]}])


def test_parse_a_thousand_assets():
    details = [
        {"ccy": f"c{i}", "eq": f"{i}.{i:04d}", "availBal": f"{i}", "frozenBal": "0", "liab": "",
         "interest": "", "ordFrozen": "0", "eqUsd": f"{i * 2}.5"}
        for i in range(1000)
    ]
    body = json.loads(json.dumps({"code": "0", "msg": "", "data": [{"totalEq": "1", "details": details}]}),
                      parse_float=Decimal)
    account = okx.parse([body])
    assert len(account.balances) == 1000
    assert account.balances[999].asset == "C999"
    assert str(account.balances[999].total) == "999.0999"
    assert account.balances[42].loan is None


def with_empty_ccy_entries(*positions: int) -> dict:
    """The fixture response with a `"ccy": ""` entry inserted at each position of `details`."""
    body = load_fixture("okx_balance.json")
    for position in positions:
        body["data"][0]["details"].insert(position, {"ccy": "", "eq": "5", "availBal": "5", "eqUsd": "5"})
    return body


def test_an_entry_without_a_currency_is_left_out_with_a_warning():
    account = okx.parse([with_empty_ccy_entries(2)])
    assert [row.asset for row in account.balances] == ["USDT", "BTC", "ETH", "SOL"]
    assert account.warnings == (
        "left out 1 'details' entry without a currency ('ccy' empty): details[2]",)
    assert okx.parse([load_fixture("okx_balance.json")]).warnings == ()


def test_several_entries_without_a_currency_make_one_warning():
    account = okx.parse([with_empty_ccy_entries(0, 5)])
    assert len(account.balances) == 4
    assert account.warnings == (
        "left out 2 'details' entries without a currency ('ccy' empty): details[0], details[5]",)


def decimal_free_json(body: dict) -> str:
    return json.dumps(body, default=str)


@responses.activate
def test_an_empty_ccy_prints_the_other_rows_warns_once_and_exits_0(write_config, fixed_now):
    responses.get(URL, body=decimal_free_json(with_empty_ccy_entries(2)))
    result = invoke("okx", "-c", str(write_config(OKX_PROFILE)), "-o", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == EXPECTED_CSV
    assert result.stderr == ("balctl: warning: okx (okx): left out 1 'details' entry without a currency "
                             "('ccy' empty): details[2]\n")


@responses.activate
def test_an_empty_ccy_is_listed_in_the_json_warnings(write_config, fixed_now):
    responses.get(URL, body=decimal_free_json(with_empty_ccy_entries(2)))
    result = invoke("okx", "-c", str(write_config(OKX_PROFILE)), "-o", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["warnings"] == ["left out 1 'details' entry without a currency ('ccy' empty): details[2]"]
    assert [row["asset"] for row in document["balances"]] == ["USDT", "BTC", "ETH", "SOL"]
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("balctl: warning: okx (okx): ")


@responses.activate
def test_all_lists_the_warning_with_its_account(write_config):
    responses.get(URL, body=decimal_free_json(with_empty_ccy_entries(0)))
    result = invoke("all", "-c", str(write_config(OKX_PROFILE)), "-o", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    message = "left out 1 'details' entry without a currency ('ccy' empty): details[0]"
    assert document["warnings"] == [{"profile": "okx", "exchange": "okx", "account": "trading", "message": message}]
    assert document["accounts"][0]["warnings"] == [message]
    assert result.stderr == f"balctl: warning: okx (okx): {message}\n"


@pytest.mark.parametrize(
    "body, message",
    [
        ([], "unexpected response: the response is not a JSON object"),
        ({"code": "0", "msg": ""}, "unexpected response: 'data' is not a JSON array"),
        ({"code": "0", "data": []}, "unexpected response: 'data' is empty"),
        ({"code": "0", "data": [{"details": [{"ccy": "BTC", "eq": "abc"}]}]}, "eq is not a number: 'abc'"),
        ({"code": "0", "data": [{"details": [{"eq": "1"}]}]}, "expected a currency or symbol code, got None"),
    ],
)
@responses.activate
def test_unexpected_shapes_exit_5_cleanly(write_config, body, message):
    responses.get(URL, json=body)
    result = invoke("okx", "-c", str(write_config(OKX_PROFILE)))
    assert result.exit_code == 5
    assert result.stdout == ""
    assert result.stderr == f"balctl: okx (okx): HTTP 200: {message}\n"


# --- output -------------------------------------------------------------------------------

EXPECTED_CSV = """\
fetched_at,profile,exchange,account,market,asset,total,available,frozen,loan,interest,position_margin,order_margin,usd_value
2026-01-02T03:04:05.678Z,okx,okx,trading,,USDT,4992.890093622894,4834.317093622894,158.573,0,0,,0,4991.542013297616
2026-01-02T03:04:05.678Z,okx,okx,trading,,BTC,1.25,1.2,0.05,,,,0.05,50845.0125
2026-01-02T03:04:05.678Z,okx,okx,trading,,ETH,-2.00001234,0,0,2.00001234,0.00001234,,0,-4765.44
2026-01-02T03:04:05.678Z,okx,okx,trading,,SOL,0,0,0,0,0,,0,0
"""


@responses.activate
def test_csv_output_is_exact(write_config, fixed_now):
    responses.get(URL, body=fixture_text("okx_balance.json"))
    result = invoke("okx", "-c", str(write_config(OKX_PROFILE)), "-o", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == EXPECTED_CSV
    assert result.stderr == ""


@responses.activate
def test_json_output_is_exact(write_config, fixed_now):
    responses.get(URL, body=fixture_text("okx_balance.json"))
    result = invoke("okx", "-c", str(write_config(OKX_PROFILE)), "-o", "json", "--hide-zero")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == fixture_text("okx_expected.json")


@responses.activate
def test_raw_adds_the_untouched_response(write_config):
    responses.get(URL, body=fixture_text("okx_balance.json"))
    result = invoke("okx", "-c", str(write_config(OKX_PROFILE)), "-o", "json", "--raw")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["raw"] == [json.loads(fixture_text("okx_balance.json"))]
    assert list(document) == ["profile", "exchange", "account", "fetched_at", "summary", "balances", "breakdown",
                              "warnings", "alerts", "raw"]


def test_raw_without_json_is_a_usage_error(write_config):
    result = invoke("okx", "-c", str(write_config(OKX_PROFILE)), "--raw")
    assert (result.exit_code, result.stderr) == (2, "balctl: --raw works with -o json only\n")


@responses.activate
def test_table_output(write_config):
    responses.get(URL, body=fixture_text("okx_balance.json"))
    result = invoke("okx", "-c", str(write_config(OKX_PROFILE)))
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "okx · okx · trading"
    header = lines[2]
    assert "Market" not in header and "Position margin" not in header  # null in every row
    assert [h.strip() for h in header.strip("┃ ").split("┃")] == [
        "Asset", "Total", "Available", "Frozen", "Loan", "Interest", "Order margin", "USD value"]
    # USD value descending; USDT in cents; points aligned; a null loan is "–"
    assert lines[4:8] == [
        "│ BTC   │     1.25       │      1.2  │   0.05 │ –          │ –          │         0.05 │ 50,845.01 │",
        "│ USDT  │ 4,992.89       │  4,834.32 │ 158.57 │ 0          │ 0          │         0    │  4,991.54 │",
        "│ SOL   │     0          │      0    │   0    │ 0          │ 0          │         0    │      0    │",
        "│ ETH   │    -2.00001234 │      0    │   0    │ 2.00001234 │ 0.00001234 │         0    │ -4,765.44 │",
    ]
    assert lines[-3:] == [
        "  equity 51,071.11 USD   loans: ETH 2.00001234 (+0.00001234 interest)",
        "  adjusted equity 55,415.62 USD   maintenance margin 0 USD   initial margin 0 USD   unrealised P&L 0 USD"
        "   notional 0 USD",
        "amounts rounded for display; -o json or --digits all shows the exact digits",
    ]
    assert "\x1b[" not in result.stdout


@responses.activate
def test_hide_zero_leaves_out_all_zero_rows(write_config):
    responses.get(URL, body=fixture_text("okx_balance.json"))
    result = invoke("okx", "-c", str(write_config(OKX_PROFILE)), "-o", "csv", "--hide-zero")
    assert result.exit_code == 0, result.stderr
    assert [line.split(",")[5] for line in result.stdout.splitlines()[1:]] == ["USDT", "BTC", "ETH"]


@responses.activate
def test_append_writes_header_once(write_config, tmp_path, fixed_now):
    responses.get(URL, body=fixture_text("okx_balance.json"))
    config = str(write_config(OKX_PROFILE))
    snapshots = tmp_path / "snapshots.csv"
    for _ in range(2):
        result = invoke("okx", "-c", config, "-o", "json", "--append", str(snapshots))
        assert result.exit_code == 0, result.stderr
    rows = EXPECTED_CSV.splitlines(keepends=True)
    assert snapshots.read_text() == rows[0] + "".join(rows[1:]) * 2


@responses.activate
def test_append_to_an_empty_existing_file_writes_the_header(write_config, tmp_path, fixed_now):
    responses.get(URL, body=fixture_text("okx_balance.json"))
    snapshots = tmp_path / "snapshots.csv"
    snapshots.write_text("")
    result = invoke("okx", "-c", str(write_config(OKX_PROFILE)), "--append", str(snapshots))
    assert result.exit_code == 0, result.stderr
    assert snapshots.read_text() == EXPECTED_CSV


def test_append_to_a_missing_directory_is_a_usage_error(write_config, tmp_path):
    with responses.RequestsMock() as mock:
        mock.get(URL, body=fixture_text("okx_balance.json"))
        result = invoke("okx", "-c", str(write_config(OKX_PROFILE)), "--append", str(tmp_path / "no/such.csv"))
    assert result.exit_code == 2
    assert result.stderr == f"balctl: cannot append to {tmp_path / 'no/such.csv'}: No such file or directory\n"


# --- errors -------------------------------------------------------------------------------

OKX_ERRORS = [
    # code, HTTP status, exit code, kind
    ("50100", 401, 3, None),
    ("50101", 401, 3, "set 'demo: true'"),
    ("50103", 401, 3, None),
    ("50104", 401, 3, None),
    ("50105", 401, 3, "check passphrase in the profile"),
    ("50106", 401, 3, None),
    ("50107", 401, 3, None),
    ("50111", 401, 3, "eea.okx.com"),
    ("50112", 401, 3, None),
    ("50113", 401, 3, "check api_secret and passphrase"),
    ("50119", 401, 3, "eea.okx.com"),
    ("50110", 401, 3, "IP whitelist"),
    ("50120", 403, 3, None),
    ("50030", 403, 3, None),
    ("50035", 403, 3, None),
    ("51000", 400, 5, None),
    ("50014", 400, 5, None),
    ("59999", 200, 5, None),
]


@pytest.mark.parametrize("code, status, exit_code, hint", OKX_ERRORS)
@responses.activate
def test_error_codes_map_to_exit_codes(write_config, code, status, exit_code, hint):
    responses.get(URL, status=status, json={"code": code, "msg": f"message for {code}", "data": []})
    result = invoke("okx", "-c", str(write_config(OKX_PROFILE)))
    assert result.exit_code == exit_code
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == f"balctl: okx (okx): message for {code} [{code}]"
    if hint:
        assert lines[1].startswith("hint: ") and hint in lines[1]
    else:
        assert len(lines) == 1
    assert len(responses.calls) == 1  # not retried


@pytest.mark.parametrize("code, status", [("50011", 429), ("50011", 200), ("50001", 503), ("50026", 200)])
@responses.activate
def test_transient_codes_are_retried_then_exit_4(write_config, no_sleep, code, status):
    responses.get(URL, status=status, json={"code": code, "msg": "busy", "data": []})
    result = invoke("okx", "-c", str(write_config(OKX_PROFILE)))
    assert result.exit_code == 4
    assert result.stderr == f"balctl: okx (okx): busy [{code}]\n"
    assert len(responses.calls) == 3
    assert len(no_sleep) == 2


@responses.activate
def test_a_transient_code_then_success_recovers(write_config, no_sleep):
    responses.get(URL, status=200, json={"code": "50026", "msg": "busy", "data": []})
    responses.get(URL, body=fixture_text("okx_balance.json"))
    result = invoke("okx", "-c", str(write_config(OKX_PROFILE)), "-o", "csv")
    assert result.exit_code == 0
    assert result.stdout.count("\n") == 5


@responses.activate
def test_html_error_page_exits_5(write_config):
    responses.get(URL, status=200, body="<html><body>Access denied</body></html>")
    result = invoke("okx", "-c", str(write_config(OKX_PROFILE)))
    assert (result.exit_code, result.stdout) == (5, "")
    assert result.stderr == "balctl: okx (okx): HTTP 200: HTML page instead of JSON\n"


@responses.activate
def test_timestamp_error_reads_server_time_and_retries_once(write_config):
    responses.get(URL, json={"code": "50102", "msg": "Timestamp request expired", "data": []})
    responses.get(URL, body=fixture_text("okx_balance.json"))
    responses.get("https://www.okx.com/api/v5/public/time", json={"code": "0", "data": [{"ts": "1597026383085"}]})
    result = invoke("okx", "-c", str(write_config(OKX_PROFILE)), "-o", "csv", "-v")
    assert result.exit_code == 0, result.stderr
    second = responses.calls[2].request
    assert second.headers["OK-ACCESS-TIMESTAMP"].startswith("2020-08-10T")  # the server's clock
    assert "okx clock is" in result.stderr


@pytest.mark.parametrize("hostile", ["1e-999999999", "1e999999999", "0e-999999999"])
def test_absurd_exponents_are_refused_not_expanded(hostile):
    from balctl.errors import BadResponse
    from balctl.model import amount

    with pytest.raises(BadResponse, match="eq is out of range"):
        amount(hostile, field_name="eq")


@pytest.mark.parametrize("ccy", ["BTC ETH", "BTC#X", "BTC,E/TH", "BTC?x=1"])
def test_a_currency_that_would_not_survive_the_wire_is_a_usage_error(write_config, ccy):
    result = invoke("okx", "-c", str(write_config(OKX_PROFILE)), "--ccy", ccy)
    assert result.exit_code == 2
    assert "is not a currency code such as BTC" in result.stderr


@responses.activate
def test_a_profile_name_is_never_read_as_markup(write_config):
    responses.get(URL, body=fixture_text("okx_balance.json"))
    config = write_config(OKX_PROFILE.replace("  okx:\n", "  'okx[/x][bold]':\n"))
    result = invoke("okx", "-c", str(config))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == "okx · okx[/x][bold] · trading"


def test_csv_quotes_every_field_that_needs_it():
    from balctl.render.csv import _line

    assert _line(["a\rb", "c\nd", "e", "f,g", 'h"i']) == '"a\rb","c\nd",e,"f,g","h""i"\n'


def test_sums_are_exact_beyond_28_digits():
    from balctl.model import decimal_sum

    total = decimal_sum([Decimal("12345678901.123456789012345678"), Decimal("1e-18"), None])
    assert str(total) == "12345678901.123456789012345679"
    assert decimal_sum([None, None]) is None


@responses.activate
def test_a_multi_line_exchange_message_stays_one_line(write_config):
    responses.get(URL, json={"code": "51000", "msg": "Parameter ccy error\n<trace>\n  at x", "data": []})
    result = invoke("okx", "-c", str(write_config(OKX_PROFILE)))
    assert (result.exit_code, result.stderr) == (5, "balctl: okx (okx): Parameter ccy error <trace> at x [51000]\n")


@pytest.mark.parametrize("args, env, expected", [
    ([], {}, "no answer within 10 s"),
    ([], {"BALCTL_TIMEOUT": "2.5"}, "no answer within 2.5 s"),
    (["--timeout", "4"], {"BALCTL_TIMEOUT": "2.5"}, "no answer within 4 s"),
])
def test_read_timeout_from_option_env_or_default(write_config, no_sleep, monkeypatch, args, env, expected):
    import requests

    seen = []

    def timeout_get(self, url, **kwargs):
        seen.append(kwargs["timeout"])
        raise requests.ReadTimeout("read timed out")

    monkeypatch.setattr("requests.Session.get", timeout_get)
    result = invoke("okx", "-c", str(write_config(OKX_PROFILE)), *args, env=env)
    assert (result.exit_code, result.stderr) == (4, f"balctl: okx (okx): {expected}\n")
    # the connect timeout is 5 s, or the whole request's bound when that is shorter
    assert seen[0][0] == min(5, float(expected.split()[-2]))


@pytest.mark.parametrize("args, first_line, hint", [
    (["okx", "--bogus"], "balctl: No such option: --bogus", "hint: balctl okx --help"),
    (["okx", "-o", "yaml"], "balctl: Invalid value for '--output' / '-o'", "hint: balctl okx --help"),
    (["nosuch"], "balctl: No such command 'nosuch'.", "hint: balctl --help"),
])
def test_bad_command_lines_are_one_line_errors_with_a_hint(args, first_line, hint):
    result = invoke(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    first, second = result.stderr.splitlines()
    assert first.startswith(first_line)
    assert second == hint


@pytest.mark.parametrize("ccy", ["BT\nC", "BTC ", "\x1b[31mBTC", "B\tTC"])
@responses.activate
def test_a_currency_code_with_control_characters_is_a_bad_response(write_config, ccy):
    responses.get(URL, json={"code": "0", "msg": "", "data": [{"totalEq": "1", "details": [{"ccy": ccy, "eq": "1"}]}]})
    result = invoke("okx", "-c", str(write_config(OKX_PROFILE)))
    assert (result.exit_code, result.stdout) == (5, "")
    assert result.stderr.startswith("balctl: okx (okx): HTTP 200: expected a currency or symbol code, got ")
    assert "\x1b" not in result.stderr and result.stderr.count("\n") == 1


@responses.activate
def test_an_account_without_currencies_prints_an_empty_table(write_config):
    responses.get(URL, json={"code": "0", "msg": "", "data": [{"totalEq": "0", "details": []}]})
    result = invoke("okx", "-c", str(write_config(OKX_PROFILE)), "--ccy", "DOGE")
    assert result.exit_code == 0, result.stderr
    assert "no balances" in result.stdout


def test_top_level_usage_errors_are_one_line_too():
    result = invoke("--bogus")
    assert (result.exit_code, result.stderr) == (2, "balctl: No such option: --bogus\nhint: balctl --help\n")
