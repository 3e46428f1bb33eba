"""XT.com lever: signing, the requests on the wire, parsing, output formats and error mapping."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from decimal import Decimal

import pytest
import responses

from balctl import errors
from balctl.exchanges import Selection, xt
from balctl.profiles import Profile
from tests.helpers import fixture_text, invoke, load_fixture

BASE = "https://sapi.xt.com"
URL = BASE + "/v4/lever/balance"
TIME_URL = BASE + "/v4/public/time"
KEY = "3976eb88-76d0-4f6e-a6b2-a57980770085"
SECRET = "bc6630d0231fda5cd98794f52c4998659beda290"
RECIPE = (  # XT's signature steps, written out by hand: X (the four validate-* headers sorted
    # by name, name=value joined by &) then Y (#GET#path#query)
    "validate-algorithms=HmacSHA256&validate-appkey=3976eb88-76d0-4f6e-a6b2-a57980770085"
    "&validate-recvwindow=5000&validate-timestamp=1641446237201"
    "#GET#/v4/lever/balance#symbol=BTC_USDT"
)
VECTOR = "f3ecf90e2b91c1776cdc8fb74d8261b2c991c7c78553009f3aac9dbf0f37e7a3"
"""`echo -n "$RECIPE" | openssl dgst -sha256 -hmac "$SECRET"`, as XT's page computes it."""

XT_PROFILE = f"""\
    profiles:
      xt:
        exchange: xt
        api_key: {KEY}
        api_secret: {SECRET}
"""
XT_PROFILE_WITH_SYMBOLS = XT_PROFILE + "        symbols: [btc_usdt, ETH_USDT]\n"


def profile(**changes) -> Profile:
    values = dict(name="xt", exchange="xt", api_key=KEY, api_secret=SECRET, base_url=BASE)
    values.update(changes)
    return Profile(**values)


def mock_both_symbols() -> None:
    responses.get(URL + "?symbol=BTC_USDT", body=fixture_text("xt_btc_usdt.json"))
    responses.get(URL + "?symbol=ETH_USDT", body=fixture_text("xt_eth_usdt.json"))


def run(config, *args: str):
    return invoke("xt", "-c", str(config), *args)


# --- signing (XT's documented recipe) -----------------------------------------------------

def test_the_vector_is_the_recipe_hmac():
    """The literal vector (from openssl) and Python's hmac agree on the hand-written recipe."""
    assert hmac.new(SECRET.encode(), RECIPE.encode(), hashlib.sha256).hexdigest() == VECTOR


def test_signed_text_is_the_documented_x_plus_y():
    text = xt.signed_text(
        {"validate-timestamp": "1641446237201", "validate-appkey": KEY,
         "validate-recvwindow": "5000", "validate-algorithms": "HmacSHA256"},
        "/v4/lever/balance?symbol=BTC_USDT",
    )
    assert text == RECIPE
    assert xt.signature(SECRET, text) == VECTOR


def test_sign_builds_the_five_documented_headers():
    assert xt.sign(profile(), "/v4/lever/balance?symbol=BTC_USDT", 1641446237201) == {
        "validate-algorithms": "HmacSHA256",
        "validate-appkey": KEY,
        "validate-recvwindow": "5000",
        "validate-timestamp": "1641446237201",
        "validate-signature": VECTOR,
    }


def test_no_query_means_no_query_part():
    text = xt.signed_text({"validate-appkey": "k"}, "/v4/public/time")
    assert text == "validate-appkey=k#GET#/v4/public/time"


def test_signed_query_is_decoded_and_sorted_by_key():
    assert xt.signed_query("symbol=BTC_USDT&a=b%2Cc&m=x+y") == "a=b,c&m=x y&symbol=BTC_USDT"
    encoded = xt.sign(profile(), "/p?b=2&a=b%2Cc", 1)["validate-signature"]
    plain = xt.sign(profile(), "/p?a=b,c&b=2", 1)["validate-signature"]
    assert encoded == plain


# --- request paths ------------------------------------------------------------------------

def test_request_paths_one_per_symbol_from_the_command_line_first():
    selection = Selection(symbols=("BTC_USDT", "eth_usdt", "BTC_USDT"))
    assert xt.request_paths(profile(symbols=("SOL_USDT",)), selection) == [
        "/v4/lever/balance?symbol=BTC_USDT", "/v4/lever/balance?symbol=ETH_USDT"]


def test_request_paths_fall_back_on_the_profile_symbols():
    assert xt.request_paths(profile(symbols=("SOL_USDT",)), Selection()) == ["/v4/lever/balance?symbol=SOL_USDT"]


def test_request_paths_without_symbols_is_a_usage_error():
    with pytest.raises(errors.UsageError, match="per symbol"):
        xt.request_paths(profile(), Selection())


def test_a_symbol_without_underscore_is_a_usage_error():
    with pytest.raises(errors.UsageError) as caught:
        xt.request_paths(profile(), Selection(symbols=("BTCUSDT",)))
    assert caught.value.message == "'BTCUSDT' is not an XT pair: write BASE_QUOTE, e.g. BTC_USDT"


# --- the requests on the wire -------------------------------------------------------------

@responses.activate
def test_symbol_is_upper_cased_and_the_request_signed(write_config):
    responses.get(URL + "?symbol=BTC_USDT", body=fixture_text("xt_btc_usdt.json"))
    before = time.time_ns() // 1_000_000
    result = run(write_config(XT_PROFILE), "--symbol", "btc_usdt", "-o", "csv")
    after = time.time_ns() // 1_000_000
    assert result.exit_code == 0, result.stderr
    (call,) = responses.calls
    request = call.request
    assert request.url == "https://sapi.xt.com/v4/lever/balance?symbol=BTC_USDT"
    headers = request.headers
    assert headers["validate-appkey"] == KEY
    assert headers["validate-algorithms"] == "HmacSHA256"
    assert headers["validate-recvwindow"] == "5000"
    assert not [name for name in headers if name.lower().startswith("xt-")]  # the documented form only
    stamp = headers["validate-timestamp"]
    assert before <= int(stamp) <= after
    # recomputed independently of balctl.exchanges.xt, from what went on the wire
    signed = (f"validate-algorithms=HmacSHA256&validate-appkey={KEY}&validate-recvwindow=5000"
              f"&validate-timestamp={stamp}#GET#/v4/lever/balance#symbol=BTC_USDT")
    assert headers["validate-signature"] == hmac.new(SECRET.encode(), signed.encode(), hashlib.sha256).hexdigest()


@responses.activate
def test_profile_symbols_are_fetched_and_reported_in_order(write_config):
    mock_both_symbols()
    result = run(write_config(XT_PROFILE_WITH_SYMBOLS), "-o", "csv")
    assert result.exit_code == 0, result.stderr
    assert sorted(call.request.url for call in responses.calls) == [
        URL + "?symbol=BTC_USDT", URL + "?symbol=ETH_USDT"]
    assert [line.split(",")[4:6] for line in result.stdout.splitlines()[1:]] == [
        ["BTC_USDT", "BTC"], ["BTC_USDT", "USDT"], ["ETH_USDT", "ETH"], ["ETH_USDT", "USDT"]]


@responses.activate
def test_symbol_option_overrides_the_profile(write_config):
    responses.get(URL + "?symbol=ETH_USDT", body=fixture_text("xt_eth_usdt.json"))
    result = run(write_config(XT_PROFILE_WITH_SYMBOLS), "--symbol", "ETH_USDT", "-o", "csv")
    assert result.exit_code == 0, result.stderr
    assert [call.request.url for call in responses.calls] == [URL + "?symbol=ETH_USDT"]


def test_no_symbols_anywhere_exits_2_with_the_explanation(write_config):
    result = run(write_config(XT_PROFILE))
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        "balctl: xt (xt): XT lever balances are per symbol: pass --symbol BTC_USDT[,ETH_USDT...] "
        "or set 'symbols: [BTC_USDT, ...]' in the xt profile\n"
    )


# --- parsing ------------------------------------------------------------------------------

def test_parse_rows_in_request_order_with_every_digit():
    account = xt.parse([load_fixture("xt_btc_usdt.json"), load_fixture("xt_eth_usdt.json")])
    assert [(row.market, row.asset) for row in account.balances] == [
        ("BTC_USDT", "BTC"), ("BTC_USDT", "USDT"), ("ETH_USDT", "ETH"), ("ETH_USDT", "USDT")]
    btc, usdt, eth, eth_usdt = account.balances
    assert (btc.total, btc.available, btc.frozen, btc.loan, btc.interest) == (
        Decimal("0.26"), Decimal("0.25"), Decimal("0.01"), Decimal("0.0015"), Decimal("0.00000125"))
    assert str(usdt.total) == "1500.50"
    assert str(eth_usdt.total) == "1000.123456789012345678"  # a JSON number, not a float
    assert str(eth.total) == "0.00"
    assert eth.interest is None and eth.native["interestAmount"] is None  # "" -> null
    assert (btc.position_margin, btc.order_margin, btc.usd_value) == (None, None, None)
    assert btc.native["currency"] == "btc"  # native keeps the exchange's own text
    assert account.summary.equity == Decimal("17822.167756789012345678")
    assert str(account.summary.loan) == "1100.5"
    assert account.summary.unit == "USDT"
    assert list(account.summary.native) == ["BTC_USDT", "ETH_USDT"]
    assert "base" not in account.summary.native["BTC_USDT"]
    assert account.summary.native["ETH_USDT"]["symbolId"] == 615


def test_parse_server_time():
    assert xt.parse_server_time({"rc": 0, "result": {"serverTime": 1662435658062}}) == 1662435658062


def test_check_accepts_a_success_and_ignores_non_envelopes():
    xt.check(200, load_fixture("xt_btc_usdt.json"))
    xt.check(503, "<html>")  # left to the HTTP status check


@pytest.mark.parametrize(
    "body, message",
    [
        ([], "unexpected response: the response is not a JSON object"),
        ({"rc": 0, "mc": "SUCCESS", "ma": []}, "unexpected response: 'result' is not a JSON object"),
        ({"rc": 0, "mc": "SUCCESS", "result": []}, "unexpected response: 'result' is not a JSON object"),
        ({"rc": 0, "result": {"symbol": "btc_usdt", "quote": {}}},
         "unexpected response: 'result.base' of BTC_USDT is not a JSON object"),
        ({"rc": 0, "result": {"symbol": "btc_usdt", "base": {"currency": "btc", "totalAmount": "abc"},
                              "quote": {"currency": "usdt"}}},
         "BTC_USDT base.totalAmount is not a number: 'abc'"),
        ({"rc": 0, "result": {"symbol": "btc_usdt", "base": {"currency": "btc", "loanAmount": True},
                              "quote": {"currency": "usdt"}}},
         "BTC_USDT base.loanAmount is not a number: True"),
        ({"rc": 0, "result": {"base": {}, "quote": {}}}, "expected a currency or symbol code, got None"),
    ],
)
@responses.activate
def test_unexpected_shapes_exit_5_cleanly(write_config, body, message):
    responses.get(URL + "?symbol=BTC_USDT", json=body)
    result = run(write_config(XT_PROFILE), "--symbol", "BTC_USDT")
    assert result.exit_code == 5
    assert result.stdout == ""
    assert result.stderr == f"balctl: xt (xt): HTTP 200: {message}\n"


@responses.activate
def test_one_bad_symbol_of_two_fails_the_account_with_nothing_on_stdout(write_config):
    responses.get(URL + "?symbol=BTC_USDT", body=fixture_text("xt_btc_usdt.json"))
    responses.get(URL + "?symbol=ETH_USDT", json={"rc": 0, "mc": "SUCCESS", "result": None})
    result = run(write_config(XT_PROFILE_WITH_SYMBOLS), "-o", "csv")
    assert (result.exit_code, result.stdout) == (5, "")


# --- output -------------------------------------------------------------------------------

EXPECTED_CSV = """\
fetched_at,profile,exchange,account,market,asset,total,available,frozen,loan,interest,position_margin,order_margin,usd_value
2026-01-02T03:04:05.678Z,xt,xt,lever,BTC_USDT,BTC,0.26,0.25,0.01,0.0015,0.00000125,,,
2026-01-02T03:04:05.678Z,xt,xt,lever,BTC_USDT,USDT,1500.50,500.50,0,1000,0.0421,,,
2026-01-02T03:04:05.678Z,xt,xt,lever,ETH_USDT,ETH,0.00,0,0,0,,,,
2026-01-02T03:04:05.678Z,xt,xt,lever,ETH_USDT,USDT,1000.123456789012345678,1000.123456789012345678,0,0,0,,,
"""


@responses.activate
def test_csv_output_is_exact(write_config, fixed_now):
    mock_both_symbols()
    result = run(write_config(XT_PROFILE), "--symbol", "BTC_USDT,ETH_USDT", "-o", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == EXPECTED_CSV
    assert result.stderr == ""


@responses.activate
def test_json_output_is_exact(write_config, fixed_now):
    mock_both_symbols()
    result = run(write_config(XT_PROFILE), "--symbol", "BTC_USDT,ETH_USDT", "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == fixture_text("xt_expected.json")
    assert result.stderr == ""


@responses.activate
def test_hide_zero_leaves_out_the_empty_eth_row(write_config, fixed_now):
    mock_both_symbols()
    result = run(write_config(XT_PROFILE), "--symbol", "BTC_USDT,ETH_USDT", "-o", "csv", "--hide-zero")
    lines = EXPECTED_CSV.splitlines(keepends=True)
    assert result.stdout == "".join(lines[:3] + lines[4:])


@responses.activate
def test_raw_keeps_both_untouched_responses_with_their_digits(write_config):
    mock_both_symbols()
    result = run(write_config(XT_PROFILE), "--symbol", "BTC_USDT,ETH_USDT", "-o", "json", "--raw")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout, parse_float=Decimal)
    assert document["raw"] == [load_fixture("xt_btc_usdt.json"), load_fixture("xt_eth_usdt.json")]
    assert '"usdtNetAmount": 1000.123456789012345678' in result.stdout


@responses.activate
def test_append_writes_the_csv_rows(write_config, tmp_path, fixed_now):
    mock_both_symbols()
    snapshots = tmp_path / "xt.csv"
    config = write_config(XT_PROFILE_WITH_SYMBOLS)
    for _ in range(2):
        assert run(config, "-o", "json", "--append", str(snapshots)).exit_code == 0
    lines = EXPECTED_CSV.splitlines(keepends=True)
    assert snapshots.read_text() == lines[0] + "".join(lines[1:]) * 2


@responses.activate
def test_table_output(write_config):
    mock_both_symbols()
    result = run(write_config(XT_PROFILE), "--symbol", "BTC_USDT,ETH_USDT")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "xt · xt · lever"
    header = lines[2]
    assert [h.strip() for h in header.strip("┃ ").split("┃")] == [
        "Market", "Asset", "Total", "Available", "Frozen", "Loan", "Interest"]  # all-null columns absent
    assert lines[4:8] == [  # exchange order (no USD values), base before quote; "" interest is null
        "│ BTC_USDT │ BTC   │     0.26 │      0.25 │   0.01 │     0.0015 │ 0.00000125 │",
        "│ BTC_USDT │ USDT  │ 1,500.50 │    500.50 │   0    │ 1,000.00   │ 0.04       │",
        "│ ETH_USDT │ ETH   │     0    │      0    │   0    │     0      │ –          │",
        "│ ETH_USDT │ USDT  │ 1,000.12 │  1,000.12 │   0    │     0      │ 0          │",
    ]
    assert lines[-2] == "  equity 17,822.17 USDT   loan 1,100.50 USDT"
    assert "\x1b[" not in result.stdout


@responses.activate
def test_verbose_logs_each_request_without_secrets(write_config):
    mock_both_symbols()
    result = run(write_config(XT_PROFILE), "--symbol", "BTC_USDT,ETH_USDT", "-o", "csv", "-v")
    assert result.exit_code == 0
    assert "balctl: xt (xt): GET https://sapi.xt.com/v4/lever/balance?symbol=ETH_USDT -> 200" in result.stderr
    assert SECRET not in result.stderr and SECRET not in result.stdout


def test_help_lists_the_three_exchanges():
    result = invoke("--help")
    assert result.exit_code == 0
    listing = result.stdout.split("\nCommands:\n", 1)[1]
    commands = [line.split()[0] for line in listing.splitlines() if line.startswith("  ") and line.strip()]
    assert {"okx", "xt", "coinswitch"} <= set(commands)


# --- errors -------------------------------------------------------------------------------

XT_ERRORS = [
    # mc, HTTP status, exit code, message, hint (a fragment) or None
    ("AUTH_001", 200, 3, "missing header validate-appkey", None),
    ("AUTH_002", 200, 3, "missing header validate-timestamp", None),
    ("AUTH_003", 200, 3, "missing header validate-recvwindow", None),
    ("AUTH_004", 200, 3, "bad header validate-recvwindow", None),
    ("AUTH_005", 200, 3, "missing header validate-algorithms", None),
    ("AUTH_006", 200, 3, "bad header validate-algorithms", None),
    ("AUTH_007", 200, 3, "missing header validate-signature", None),
    ("AUTH_101", 200, 3, "API key does not exist", "check api_key"),
    ("AUTH_102", 200, 3, "API key is not activated", None),
    ("AUTH_103", 200, 3, "signature rejected", "check api_secret"),
    ("AUTH_104", 200, 3, "request from an IP address not bound to this API key", "IP whitelist"),
    ("AUTH_106", 200, 3, "request exceeds the API key's permissions", None),
    ("LEVER_1004", 200, 3, "this sub-account has no lever trading permission", None),
    ("SYMBOL_001", 200, 5, "no such symbol", "BASE_QUOTE"),
    ("ORDER_999", 200, 5, "the lever market is closed for maintenance", None),
    ("ORDER_998", 400, 5, "XT answered with an error", None),
]


@pytest.mark.parametrize("mc, status, exit_code, message, hint", XT_ERRORS)
@responses.activate
def test_error_codes_map_to_exit_codes(write_config, mc, status, exit_code, message, hint):
    ma = ["the lever market is closed\nfor maintenance"] if mc == "ORDER_999" else []
    responses.get(URL + "?symbol=BTC_USDT", status=status, json={"rc": 1, "mc": mc, "ma": ma, "result": None})
    result = run(write_config(XT_PROFILE), "--symbol", "BTC_USDT")
    assert result.exit_code == exit_code
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == f"balctl: xt (xt): {message} [{mc}]"
    if hint:
        assert lines[1].startswith("hint: ") and hint in lines[1]
    else:
        assert len(lines) == 1
    assert len(responses.calls) == 1  # not retried


@pytest.mark.parametrize(
    "mc, status, message",
    [
        ("GATEWAY_0001", 200, "XT answered with an error"),
        ("GATEWAY_0004", 403, "XT answered with an error"),
        ("SERVER_BUSY", 503, "XT answered with an error"),  # an envelope with a 5xx: unavailable, with its code
        ("TOO_MANY_REQUESTS", 429, "XT answered with an error"),
    ],
)
@responses.activate
def test_transient_errors_are_retried_then_exit_4(write_config, no_sleep, mc, status, message):
    responses.get(URL + "?symbol=BTC_USDT", status=status, json={"rc": 1, "mc": mc, "ma": [], "result": None})
    result = run(write_config(XT_PROFILE), "--symbol", "BTC_USDT")
    assert (result.exit_code, result.stdout) == (4, "")
    assert result.stderr == f"balctl: xt (xt): {message} [{mc}]\n"
    assert len(responses.calls) == 3
    assert len(no_sleep) == 2


@responses.activate
def test_a_gateway_error_then_success_recovers(write_config, no_sleep):
    responses.get(URL + "?symbol=BTC_USDT", json={"rc": 1, "mc": "GATEWAY_0002", "ma": [], "result": None})
    responses.get(URL + "?symbol=BTC_USDT", body=fixture_text("xt_btc_usdt.json"))
    result = run(write_config(XT_PROFILE), "--symbol", "BTC_USDT", "-o", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("\n") == 3


@pytest.mark.parametrize(
    "status, body, exit_code, message",
    [
        (502, "<html><body>Bad Gateway</body></html>", 4, "HTTP 502: exchange unavailable"),
        (200, "<html><body>Access denied</body></html>", 5, "HTTP 200: HTML page instead of JSON"),
        (200, '{"rc": 0, "result": {"sym', 5, "HTTP 200: truncated or malformed JSON"),
    ],
)
@responses.activate
def test_non_json_answers(write_config, no_sleep, status, body, exit_code, message):
    responses.get(URL + "?symbol=BTC_USDT", status=status, body=body)
    result = run(write_config(XT_PROFILE), "--symbol", "BTC_USDT")
    assert (result.exit_code, result.stdout) == (exit_code, "")
    assert result.stderr == f"balctl: xt (xt): {message}\n"


@responses.activate
def test_auth_105_corrects_the_clock_and_retries_once(write_config):
    skew_ms = 120_000
    responses.get(URL + "?symbol=BTC_USDT", json={"rc": 1, "mc": "AUTH_105", "ma": [], "result": None})
    responses.get(URL + "?symbol=BTC_USDT", body=fixture_text("xt_btc_usdt.json"))
    responses.add_callback(responses.GET, TIME_URL, callback=lambda request: (
        200, {}, json.dumps({"rc": 0, "mc": "SUCCESS", "ma": [], "result": {"serverTime": time.time_ns() // 1_000_000 + skew_ms}})))
    result = run(write_config(XT_PROFILE), "--symbol", "BTC_USDT", "-o", "csv", "-v")
    assert result.exit_code == 0, result.stderr
    first, clock, second = (call.request for call in responses.calls)
    assert clock.url == TIME_URL
    shift = int(second.headers["validate-timestamp"]) - int(first.headers["validate-timestamp"])
    assert skew_ms - 5_000 < shift < skew_ms + 5_000
    assert "xt clock is +" in result.stderr


@responses.activate
def test_auth_105_twice_exits_3_with_the_clock_hint(write_config):
    responses.get(URL + "?symbol=BTC_USDT", json={"rc": 1, "mc": "AUTH_105", "ma": [], "result": None})
    responses.add_callback(responses.GET, TIME_URL, callback=lambda request: (
        200, {}, json.dumps({"rc": 0, "result": {"serverTime": time.time_ns() // 1_000_000}})))
    result = run(write_config(XT_PROFILE), "--symbol", "BTC_USDT")
    assert (result.exit_code, result.stdout) == (3, "")
    assert result.stderr == (
        "balctl: xt (xt): request timestamp outside the receive window [AUTH_105]\n"
        "hint: check the system clock (timedatectl / ntp): XT accepts a timestamp at most 5 s old and 1 s ahead\n"
    )
    assert len(responses.calls) == 3  # balance, server time, balance once more
