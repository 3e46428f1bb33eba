"""CoinSwitch PRO futures: Ed25519 signing, profile checks, parsing, output formats and errors."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest
import responses

from balctl.exchanges import Selection, coinswitch
from balctl.profiles import Profile
from tests.helpers import fixture_text, invoke, load_fixture

BASE = "https://coinswitch.co"
URL = BASE + "/trade/api/v2/futures/wallet_balance"
TIME_URL = BASE + "/trade/api/v2/time"
SEED = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"  # RFC 8032 test 1
PUBLIC = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
VECTOR = ("a864dbf8e769e474b13b301a74acb66c19576a2f87e37c24bf6ff5d1f7c2a02d"
          "8542074fef4279f0e740360e653cfb1da9afab64e61be5231d018df44140b302")

CS_PROFILE = f"""\
    profiles:
      coinswitch:
        exchange: coinswitch
        api_key: {PUBLIC}
        api_secret: {SEED}
"""


def profile(**changes) -> Profile:
    values = dict(name="coinswitch", exchange="coinswitch", api_key=PUBLIC, api_secret=SEED, base_url=BASE)
    values.update(changes)
    return Profile(**values)


def run(config, *args: str):
    return invoke("coinswitch", "-c", str(config), *args)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def server_time(offset_ms: int = 0):
    """A server-time endpoint answering with our clock plus `offset_ms`, measured at call time."""
    responses.add_callback(responses.GET, TIME_URL,
                           callback=lambda request: (200, {}, json.dumps({"serverTime": now_ms() + offset_ms})))


# --- signing (docs/exchanges.md, CoinSwitch PRO: vector) --------------------------------------------------------------

def test_signature_vector():
    assert coinswitch.signature(SEED, "GET/trade/api/v2/futures/wallet_balance1719905777483") == VECTOR


def test_sign_builds_the_four_headers():
    assert coinswitch.sign(profile(), "/trade/api/v2/futures/wallet_balance", 1719905777483) == {
        "X-AUTH-APIKEY": PUBLIC,
        "X-AUTH-SIGNATURE": VECTOR,
        "X-AUTH-EPOCH": "1719905777483",
        "Content-Type": "application/json",
    }


def test_the_signed_path_is_url_decoded():
    signed = coinswitch.sign(profile(), "/p?symbol=a%2Cb&q=x+y", 1)["X-AUTH-SIGNATURE"]
    assert signed == coinswitch.signature(SEED, "GET/p?symbol=a,b&q=x y1")


def test_public_key_of_the_rfc_8032_seed():
    assert coinswitch.public_key_hex(SEED) == PUBLIC


def test_one_request_without_parameters():
    assert coinswitch.request_paths(profile(), Selection()) == ["/trade/api/v2/futures/wallet_balance"]


def test_importing_the_module_does_not_import_cryptography():
    import subprocess
    import sys

    code = "import sys, balctl.exchanges.coinswitch; print('cryptography' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert (done.returncode, done.stdout) == (0, "False\n")


# --- the request on the wire --------------------------------------------------------------

@responses.activate
def test_the_request_is_signed_with_ed25519(write_config):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    responses.get(URL, body=fixture_text("coinswitch_wallet_balance.json"))
    before = now_ms()
    result = run(write_config(CS_PROFILE), "-o", "csv")
    after = now_ms()
    assert result.exit_code == 0, result.stderr
    (call,) = responses.calls
    request = call.request
    assert request.url == URL
    headers = request.headers
    assert headers["X-AUTH-APIKEY"] == PUBLIC
    assert headers["Content-Type"] == "application/json"
    epoch = headers["X-AUTH-EPOCH"]
    assert before <= int(epoch) <= after
    message = f"GET/trade/api/v2/futures/wallet_balance{epoch}".encode()
    # raises InvalidSignature if the signature is not the seed's over exactly this message
    Ed25519PublicKey.from_public_bytes(bytes.fromhex(PUBLIC)).verify(bytes.fromhex(headers["X-AUTH-SIGNATURE"]), message)


# --- the profile --------------------------------------------------------------------------

@pytest.mark.parametrize("secret", [
    "not-a-seed-but-a-secret-value", SEED[:-2], SEED + "00", SEED[:-1] + "g",
])
def test_a_secret_that_is_not_64_hex_exits_2_without_echoing_it(write_config, secret):
    config = write_config(CS_PROFILE.replace(SEED, secret))
    result = run(config)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"balctl: {config}: profile 'coinswitch': key 'api_secret' must be the 64-hex-character Ed25519 seed\n")
    assert secret not in result.output and "****" not in result.output  # not even redacted: never used


def test_an_unquoted_hex_secret_that_yaml_reads_as_a_number_exits_2(write_config):
    secret = "0x" + SEED[2:]
    config = write_config(CS_PROFILE.replace(SEED, secret))
    result = run(config)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"balctl: {config}: profile 'coinswitch': key 'api_secret' must be a string: quote it in the YAML\n")
    assert SEED[2:] not in result.output


def test_an_api_key_that_does_not_match_the_secret_exits_2(write_config):
    config = write_config(CS_PROFILE.replace(PUBLIC, "ab" * 32))
    result = run(config)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"balctl: {config}: profile 'coinswitch': key 'api_key' does not match api_secret "
        "(it must be the hex Ed25519 public key of that seed)\n"
        "hint: check that api_key and api_secret are not swapped and come from the same CoinSwitch key\n"
    )
    assert SEED not in result.output


def test_swapped_key_and_secret_are_a_mismatch(write_config):
    config = write_config(CS_PROFILE.replace(PUBLIC, "@@").replace(SEED, PUBLIC).replace("@@", SEED))
    result = run(config)
    assert result.exit_code == 2
    assert "key 'api_key' does not match api_secret" in result.stderr
    assert SEED not in result.output and PUBLIC not in result.output


@responses.activate
def test_an_upper_case_api_key_is_accepted(write_config):
    responses.get(URL, body=fixture_text("coinswitch_wallet_balance.json"))
    result = run(write_config(CS_PROFILE.replace(PUBLIC, PUBLIC.upper())), "-o", "csv")
    assert result.exit_code == 0, result.stderr


# --- parsing ------------------------------------------------------------------------------

def test_parse_wallet_row_as_balance_and_symbol_rows_as_breakdown():
    account = coinswitch.parse([load_fixture("coinswitch_wallet_balance.json")])
    (wallet,) = account.balances
    doge, btc = account.breakdown
    assert (wallet.market, wallet.asset) == (None, "USDT")
    assert (wallet.total, wallet.available, wallet.frozen, wallet.position_margin, wallet.order_margin) == (
        Decimal("60960.82599588"), Decimal("60910.77418715"), Decimal("50.05180873"),
        Decimal("56.83032573"), Decimal("-6.778517"))
    assert (wallet.loan, wallet.interest, wallet.usd_value) == (None, None, None)
    assert wallet.native["balances"]["total_open_order_margin"] == "-6.778517"
    assert (doge.market, doge.asset, doge.frozen, doge.position_margin, doge.order_margin) == (
        "DOGEUSDT", "USDT", Decimal("50.04968529"), Decimal("50.04959675"), Decimal("0.00008854"))
    assert (doge.total, doge.available) == (None, None)
    assert (btc.market, btc.asset, btc.order_margin) == ("BTCUSDT", "USDT", Decimal("-6.77860554"))
    assert btc.native["exchange"] is None and btc.native["symbol"] == "btcusdt"
    # the symbol rows break the wallet's blocked balance down; they are not extra money, and
    # not balance rows: summing frozen over the balances is the wallet's blocked balance once
    assert doge.frozen + btc.frozen == wallet.frozen
    assert sum(row.frozen for row in account.balances) == Decimal("50.05180873")
    assert account.warnings == ()
    assert account.summary.equity == Decimal("60960.82599588")
    assert (account.summary.loan, account.summary.unit) == (None, "USDT")
    assert account.summary.native == [load_fixture("coinswitch_wallet_balance.json")["data"]["base_asset_balances"][0]]


def test_parse_without_a_usdt_wallet_has_no_equity_and_asset_may_be_absent():
    body = {"data": {"base_asset_balances": [
        {"base_asset": "inr", "balances": {"total_balance": "10", "total_available_balance": "10"}}]}}
    account = coinswitch.parse([body])
    assert [(row.asset, row.total) for row in account.balances] == [("INR", Decimal("10"))]
    assert account.summary.equity is None


def test_parse_server_time():
    assert coinswitch.parse_server_time({"serverTime": 1719905777483}) == 1719905777483


@pytest.mark.parametrize(
    "body, message",
    [
        ([], "unexpected response: the response is not a JSON object"),
        ({"message": "ok"}, "unexpected response: 'data' is not a JSON object"),
        ({"data": []}, "unexpected response: 'data' is not a JSON object"),
        ({"data": {"asset": []}}, "unexpected response: 'data.base_asset_balances' is not a JSON array"),
        ({"data": {"base_asset_balances": [{"base_asset": "USDT"}]}},
         "unexpected response: 'balances' of a 'base_asset_balances' entry is not a JSON object"),
        ({"data": {"base_asset_balances": [{"base_asset": "USDT", "balances": {"total_balance": "n/a"}}]}},
         "balances.total_balance is not a number: 'n/a'"),
        ({"data": {"base_asset_balances": [], "asset": [{"symbol": "X", "base_asset": "USDT",
                                                          "position_margin": {}}]}},
         "asset.position_margin is not a number: dict"),
        ({"data": {"base_asset_balances": [], "asset": [{"base_asset": "USDT"}]}},
         "expected a currency or symbol code, got None"),
    ],
)
@responses.activate
def test_unexpected_shapes_exit_5_cleanly(write_config, body, message):
    responses.get(URL, json=body)
    result = run(write_config(CS_PROFILE))
    assert (result.exit_code, result.stdout) == (5, "")
    assert result.stderr == f"balctl: coinswitch (coinswitch): HTTP 200: {message}\n"


# --- output -------------------------------------------------------------------------------

EXPECTED_CSV = """\
fetched_at,profile,exchange,account,market,asset,total,available,frozen,loan,interest,position_margin,order_margin,usd_value
2026-01-02T03:04:05.678Z,coinswitch,coinswitch,futures,,USDT,60960.82599588,60910.77418715,50.05180873,,,56.83032573,-6.778517,
"""
"""The wallet row only: the per-symbol margins are part of it (JSON `breakdown`, a table of
their own), so a spreadsheet summing `frozen` over the file counts them once."""


@responses.activate
def test_csv_output_is_exact(write_config, fixed_now):
    responses.get(URL, body=fixture_text("coinswitch_wallet_balance.json"))
    result = run(write_config(CS_PROFILE), "-o", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == EXPECTED_CSV
    assert result.stderr == ""


@responses.activate
def test_json_output_is_exact(write_config, fixed_now):
    responses.get(URL, body=fixture_text("coinswitch_wallet_balance.json"))
    result = run(write_config(CS_PROFILE), "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == fixture_text("coinswitch_expected.json")
    assert result.stderr == ""


@responses.activate
def test_raw_adds_the_untouched_response(write_config):
    responses.get(URL, body=fixture_text("coinswitch_wallet_balance.json"))
    result = run(write_config(CS_PROFILE), "-o", "json", "--raw")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["raw"] == [json.loads(fixture_text("coinswitch_wallet_balance.json"))]


@responses.activate
def test_append_writes_the_csv_rows(write_config, tmp_path, fixed_now):
    responses.get(URL, body=fixture_text("coinswitch_wallet_balance.json"))
    snapshots = tmp_path / "wallet.csv"
    result = run(write_config(CS_PROFILE), "--append", str(snapshots))
    assert result.exit_code == 0, result.stderr
    assert snapshots.read_text() == EXPECTED_CSV


@responses.activate
def test_table_output(write_config):
    responses.get(URL, body=fixture_text("coinswitch_wallet_balance.json"))
    result = run(write_config(CS_PROFILE))
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "coinswitch · coinswitch · futures"
    assert [h.strip() for h in lines[2].strip("┃ ").split("┃")] == [
        "Asset", "Total", "Available", "Frozen", "Position margin", "Order margin"]
    # USDT amounts in cents, but a non-zero amount never shows as 0
    assert lines[4] == "│ USDT  │ 60,960.83 │ 60,910.77 │  50.05 │           56.83 │        -6.78 │"
    assert lines[6] == "  equity 60,960.83 USDT   loan –"
    # what each symbol locks: a table of its own under the summary, not more balance rows
    assert lines[8] == "coinswitch · coinswitch · by market"
    assert [h.strip() for h in lines[10].strip("┃ ").split("┃")] == [
        "Market", "Asset", "Frozen", "Position margin", "Order margin"]
    assert lines[12:] == [
        "│ DOGEUSDT │ USDT  │ 50.05   │           50.05 │     0.000089 │",
        "│ BTCUSDT  │ USDT  │  0.0021 │            6.78 │    -6.78     │",
        "└──────────┴───────┴─────────┴─────────────────┴──────────────┘",
        "already included in the balances above",
        "amounts rounded for display; -o json or --digits all shows the exact digits",
    ]
    assert "\x1b[" not in result.stdout


# --- errors -------------------------------------------------------------------------------

@responses.activate
def test_401_with_a_good_clock_is_an_auth_error(write_config):
    responses.get(URL, status=401, json={"message": "Invalid signature"})
    server_time()
    result = run(write_config(CS_PROFILE))
    assert (result.exit_code, result.stdout) == (3, "")
    assert result.stderr == (
        "balctl: coinswitch (coinswitch): Invalid signature [401]\n"
        "hint: check api_key and api_secret in the profile, and the system clock "
        "(CoinSwitch refuses an epoch more than 60 s off)\n"
    )
    assert [call.request.url for call in responses.calls] == [URL, TIME_URL]  # measured, not retried


@responses.activate
def test_401_with_a_skewed_clock_is_corrected_and_retried_once(write_config):
    skew_ms = -300_000
    responses.get(URL, status=401, json={"message": "Request expired"})
    responses.get(URL, body=fixture_text("coinswitch_wallet_balance.json"))
    server_time(skew_ms)
    result = run(write_config(CS_PROFILE), "-o", "csv", "-v")
    assert result.exit_code == 0, result.stderr
    first, clock, second = (call.request for call in responses.calls)
    shift = int(second.headers["X-AUTH-EPOCH"]) - int(first.headers["X-AUTH-EPOCH"])
    assert skew_ms - 5_000 < shift < skew_ms + 5_000
    assert "coinswitch clock is -" in result.stderr
    assert SEED not in result.stderr


@responses.activate
def test_401_after_the_correction_is_still_exit_3(write_config):
    responses.get(URL, status=401, json={"message": "Invalid API key"})
    server_time(-300_000)
    result = run(write_config(CS_PROFILE))
    assert result.exit_code == 3
    assert result.stderr.splitlines()[0] == "balctl: coinswitch (coinswitch): Invalid API key [401]"
    assert len(responses.calls) == 3


@pytest.mark.parametrize(
    "status, body, exit_code, line",
    [
        (403, {"message": "Forbidden: IP not allowed"}, 3, "Forbidden: IP not allowed [403]"),
        (422, {"message": "Invalid request"}, 5, "Invalid request [422]"),
        (404, {"message": "Not Found"}, 5, "Not Found [404]"),
        (422, {"message": "  bad\n   value   "}, 5, "bad value [422]"),
        (422, {"message": "x" * 500}, 5, "x" * 199 + "… [422]"),
        (422, {"error": "no message field"}, 5, "HTTP 422 [422]"),
    ],
)
@responses.activate
def test_error_statuses_map_to_exit_codes(write_config, status, body, exit_code, line):
    responses.get(URL, status=status, json=body)
    result = run(write_config(CS_PROFILE))
    assert (result.exit_code, result.stdout) == (exit_code, "")
    assert result.stderr == f"balctl: coinswitch (coinswitch): {line}\n"
    assert len(responses.calls) == 1  # not retried


@pytest.mark.parametrize(
    "status, body, line",
    [
        (429, {"message": "Too many requests"}, "Too many requests [429]\n"
                                                "hint: CoinSwitch allows 20 wallet-balance requests per 60 s per key"),
        (500, {"message": "Internal server error"}, "Internal server error [500]"),
        (503, {"message": "Service unavailable"}, "Service unavailable [503]"),
        (502, "<html><body>Bad Gateway</body></html>", "HTTP 502: exchange unavailable"),
    ],
)
@responses.activate
def test_transient_statuses_are_retried_then_exit_4(write_config, no_sleep, status, body, line):
    if isinstance(body, dict):
        responses.get(URL, status=status, json=body, headers={"Retry-After": "7"})
    else:
        responses.get(URL, status=status, body=body)
    result = run(write_config(CS_PROFILE))
    assert (result.exit_code, result.stdout) == (4, "")
    assert result.stderr == f"balctl: coinswitch (coinswitch): {line}\n"
    assert len(responses.calls) == 3
    if status == 429:
        assert no_sleep == [7.0, 7.0]  # Retry-After honoured


@responses.activate
def test_a_429_then_success_recovers(write_config, no_sleep):
    responses.get(URL, status=429, json={"message": "Too many requests"})
    responses.get(URL, body=fixture_text("coinswitch_wallet_balance.json"))
    result = run(write_config(CS_PROFILE), "-o", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("\n") == 2  # the header and the wallet row


@responses.activate
def test_html_page_with_200_exits_5(write_config):
    responses.get(URL, body="<!DOCTYPE html><html>Cloudflare</html>")
    result = run(write_config(CS_PROFILE))
    assert (result.exit_code, result.stdout) == (5, "")
    assert result.stderr == "balctl: coinswitch (coinswitch): HTTP 200: HTML page instead of JSON\n"
