"""The loopback exchange simulator: signature checks, sample accounts, faults, request log.

Requests are signed here with small helpers written from the recipes of docs/exchanges.md
(not with balctl's client code), so that the simulator and the client are checked
against the written contract independently.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from decimal import Decimal
from typing import Iterator
from urllib.parse import unquote_plus

import pytest
import requests
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from balctl.simulator import Fault, Simulator
from balctl.simulator import coinswitch, okx, xt
from balctl.simulator.wire import to_json

OKX_BALANCE = "/api/v5/account/balance"
XT_BALANCE = "/v4/lever/balance"
CS_BALANCE = "/trade/api/v2/futures/wallet_balance"


# -- signing helpers, from docs/exchanges.md -------------------------------------


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def okx_timestamp(ms: int) -> str:
    moment = datetime.fromtimestamp(ms // 1000, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}Z"


def okx_headers(creds: dict, path: str, ms: int | None = None, *, sign_path: str | None = None,
                passphrase: str | None = None, demo: bool | None = None) -> dict[str, str]:
    stamp = okx_timestamp(now_ms() if ms is None else ms)
    prehash = stamp + "GET" + (path if sign_path is None else sign_path)
    digest = hmac.new(creds["api_secret"].encode(), prehash.encode(), hashlib.sha256).digest()
    headers = {
        "OK-ACCESS-KEY": creds["api_key"],
        "OK-ACCESS-SIGN": base64.b64encode(digest).decode(),
        "OK-ACCESS-TIMESTAMP": stamp,
        "OK-ACCESS-PASSPHRASE": creds["passphrase"] if passphrase is None else passphrase,
    }
    if creds["demo"] if demo is None else demo:
        headers["x-simulated-trading"] = "1"
    return headers


def xt_headers(creds: dict, path: str, ms: int | None = None, *, sign_path: str | None = None,
               prefix: str = "validate-", upper: bool = False) -> dict[str, str]:
    """XT's headers as its docs build them (`prefix` "xt-validate-" as ccxt does; `upper` as
    XT's Python connector writes the hex)."""
    headers = {
        f"{prefix}algorithms": "HmacSHA256",
        f"{prefix}appkey": creds["api_key"],
        f"{prefix}recvwindow": "5000",
        f"{prefix}timestamp": str(now_ms() if ms is None else ms),
    }
    x = "&".join(f"{k}={v}" for k, v in sorted(headers.items()))
    target = path if sign_path is None else sign_path
    route, _, query = target.partition("?")
    y = f"#GET#{route}" + (f"#{query}" if query else "")
    signature = hmac.new(creds["api_secret"].encode(), (x + y).encode(), hashlib.sha256).hexdigest()
    headers[f"{prefix}signature"] = signature.upper() if upper else signature
    return headers


def cs_headers(seed_hex: str, path: str, ms: int | None = None, *, api_key: str | None = None) -> dict[str, str]:
    private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed_hex))
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
    epoch = str(now_ms() if ms is None else ms)
    signature = private.sign(("GET" + unquote_plus(path) + epoch).encode()).hex()
    return {
        "X-AUTH-APIKEY": api_key or public,
        "X-AUTH-SIGNATURE": signature,
        "X-AUTH-EPOCH": epoch,
        "Content-Type": "application/json",
    }


# -- fixtures -----------------------------------------------------------------


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator() as simulator:
        yield simulator


def get(sim: Simulator, path: str, headers: dict[str, str] | None = None, **kw) -> requests.Response:
    return requests.get(sim.base_url + path, headers=headers or {}, timeout=kw.pop("timeout", 5), **kw)


def okx_get(sim: Simulator, path: str = OKX_BALANCE, profile: str = "okx", **kw) -> requests.Response:
    return get(sim, path, okx_headers(sim.credentials[profile], path, **kw))


def xt_get(sim: Simulator, path: str = XT_BALANCE + "?symbol=BTC_USDT", **kw) -> requests.Response:
    return get(sim, path, xt_headers(sim.credentials["xt"], path, **kw))


def cs_get(sim: Simulator, path: str = CS_BALANCE, **kw) -> requests.Response:
    return get(sim, path, cs_headers(sim.credentials["coinswitch"]["api_secret"], path, **kw))


def decimal_json(response: requests.Response):
    return json.loads(response.text, parse_float=Decimal)


# -- the documented test vectors against the server's pure checks -------------------


def test_okx_vectors():
    secret, stamp = "22582BD0CFF14C41EDBF1AB98506286D", "2020-12-08T09:08:57.715Z"
    assert okx.expected_signature(secret, stamp, "GET", OKX_BALANCE) == "AkD5YszBhggtIyjDlmTy/9PpNVntel+1Lff8wh0qpQw="
    assert (okx.expected_signature(secret, stamp, "GET", OKX_BALANCE + "?ccy=BTC,ETH")
            == "oah2EOT2Fnz1bjkgiAnuKl+zFQzDG3/nqPUqyYzArrE=")


def test_okx_check_with_injected_clock():
    key = okx.OkxKey("k", "22582BD0CFF14C41EDBF1AB98506286D", "pass")
    headers = {"ok-access-key": "k", "ok-access-sign": "AkD5YszBhggtIyjDlmTy/9PpNVntel+1Lff8wh0qpQw=",
               "ok-access-timestamp": "2020-12-08T09:08:57.715Z", "ok-access-passphrase": "pass"}
    sent = okx.parse_timestamp("2020-12-08T09:08:57.715Z")
    assert sent == 1607418537715
    assert okx.check(headers, "GET", OKX_BALANCE, sent + 30_000, {"k": key}).ok
    late = okx.check(headers, "GET", OKX_BALANCE, sent + 30_001, {"k": key})
    assert (late.verified, late.error.code, late.error.status) == (True, "50102", 401)
    wrong_path = okx.check(headers, "GET", OKX_BALANCE + "?ccy=BTC", sent, {"k": key})
    assert (wrong_path.verified, wrong_path.error.code) == (False, "50113")


XT_VECTOR = "f3ecf90e2b91c1776cdc8fb74d8261b2c991c7c78553009f3aac9dbf0f37e7a3"
"""HMAC-SHA256 (openssl) of XT's recipe for the BTC_USDT balance with validate-* names (test_xt)."""


@pytest.mark.parametrize("prefix, signature", [
    ("validate-", XT_VECTOR),
    ("validate-", XT_VECTOR.upper()),
    # the older names are signed with those names in X, so the signature differs
    ("xt-validate-", "2213bccce0af77061fcf18614e735c99105ea3d8b70a15d92370044406907d5d"),
    ("xt-validate-", "2213BCCCE0AF77061FCF18614E735C99105EA3D8B70A15D92370044406907D5D"),
])
def test_xt_vector(prefix, signature):
    headers = {f"{prefix}algorithms": "HmacSHA256", f"{prefix}appkey": "3976eb88-76d0-4f6e-a6b2-a57980770085",
               f"{prefix}recvwindow": "5000", f"{prefix}timestamp": "1641446237201",
               f"{prefix}signature": signature}
    keys = {"3976eb88-76d0-4f6e-a6b2-a57980770085": xt.XtKey("3976eb88-76d0-4f6e-a6b2-a57980770085",
                                                             "bc6630d0231fda5cd98794f52c4998659beda290")}
    path = XT_BALANCE + "?symbol=BTC_USDT"
    assert xt.check(headers, "GET", path, 1641446237201, keys).ok
    # The same signature holds whatever encoding the URL carries.
    assert xt.check(headers, "GET", XT_BALANCE + "?symbol=BTC%5FUSDT", 1641446237201, keys).ok
    stale = xt.check(headers, "GET", path, 1641446237201 + 5001, keys)
    assert (stale.verified, stale.error.code) == (True, "AUTH_105")
    ahead = xt.check(headers, "GET", path, 1641446237201 - 1001, keys)
    assert ahead.error.code == "AUTH_105"
    assert xt.check(headers, "GET", path, 1641446237201 - 999, keys).ok


def test_xt_older_names_signed_as_documented_names_are_refused():
    """X signs the names the request carries: xt-validate-* headers with a signature made over
    validate-* names is a bad signature, not a pass."""
    key = "3976eb88-76d0-4f6e-a6b2-a57980770085"
    headers = {"xt-validate-algorithms": "HmacSHA256", "xt-validate-appkey": key, "xt-validate-recvwindow": "5000",
               "xt-validate-timestamp": "1641446237201", "xt-validate-signature": XT_VECTOR}
    keys = {key: xt.XtKey(key, "bc6630d0231fda5cd98794f52c4998659beda290")}
    verdict = xt.check(headers, "GET", XT_BALANCE + "?symbol=BTC_USDT", 1641446237201, keys)
    assert (verdict.verified, verdict.error.code) == (False, "AUTH_103")


@pytest.mark.parametrize("prefix", ["validate-", "xt-validate-"])
@pytest.mark.parametrize("upper", [False, True])
def test_xt_serves_either_header_form_and_hex_case(sim, prefix, upper):
    response = xt_get(sim, prefix=prefix, upper=upper)
    assert response.status_code == 200
    assert response.json()["rc"] == 0
    (entry,) = sim.log
    assert (entry.verified, entry.api_key) == (True, sim.credentials["xt"]["api_key"])


def test_xt_signs_the_decoded_query_sorted_by_key():
    assert xt.signed_query("symbol=btc_usdt&a=b%2Cc") == "a=b,c&symbol=btc_usdt"


def test_coinswitch_vector():
    seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
    signature = ("a864dbf8e769e474b13b301a74acb66c19576a2f87e37c24bf6ff5d1f7c2a02d"
                 "8542074fef4279f0e740360e653cfb1da9afab64e61be5231d018df44140b302")
    public = coinswitch.public_key_hex(seed)
    assert public == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    headers = {"x-auth-apikey": public, "x-auth-signature": signature, "x-auth-epoch": "1719905777483"}
    assert coinswitch.check(headers, "GET", CS_BALANCE, 1719905777483 + 60_000, [public]).ok
    late = coinswitch.check(headers, "GET", CS_BALANCE, 1719905777483 + 60_001, [public])
    assert (late.verified, late.error.status) == (True, 401)
    assert not coinswitch.check(headers, "GET", CS_BALANCE + "?x=1", 1719905777483, [public]).verified


# -- healthy answers --------------------------------------------------------------


def test_okx_balance(sim):
    response = okx_get(sim)
    assert response.status_code == 200
    body = decimal_json(response)
    assert (body["code"], body["msg"]) == ("0", "")
    account = body["data"][0]
    details = {d["ccy"]: d for d in account["details"]}
    assert list(details) == ["USDT", "BTC", "ETH", "SOL"]  # OKB, eq and cashBal 0, is left out as OKX does
    assert (details["ETH"]["liab"], details["ETH"]["interest"]) == ("1.5", "0.000184931506849315")
    assert details["USDT"]["availBal"] == "4834.317093622894"
    assert details["USDT"]["imr"] == ""  # inapplicable fields are "" as OKX sends them
    assert Decimal(account["totalEq"]) == sum(Decimal(d["eqUsd"]) for d in details.values())
    entry = sim.log[-1]
    assert (entry.exchange, entry.verified, entry.status, entry.code) == ("okx", True, 200, "0")
    assert entry.api_key == sim.credentials["okx"]["api_key"]


def test_okx_a_zero_currency_is_answered_when_asked_for(sim):
    (okb,) = decimal_json(okx_get(sim, OKX_BALANCE + "?ccy=OKB"))["data"][0]["details"]
    assert okb["ccy"] == "OKB"
    assert all(okb[f] == "0" for f in ("eq", "cashBal", "availBal", "frozenBal", "liab", "eqUsd"))
    both = decimal_json(okx_get(sim, OKX_BALANCE + "?ccy=OKB,SOL"))["data"][0]["details"]
    assert [d["ccy"] for d in both] == ["SOL", "OKB"]  # in the account's order


def test_okx_spot_key_opens_a_spot_mode_account(sim):
    spot = decimal_json(okx_get(sim, profile="okx-spot"))["data"][0]
    assert [spot[f] for f in ("availEq", "adjEq", "mgnRatio", "imr", "mmr", "upl", "notionalUsd")] == [""] * 7
    details = {d["ccy"]: d for d in spot["details"]}
    assert list(details) == ["USDT", "BTC"]
    for entry in details.values():  # not applicable in Spot mode without borrowing
        assert (entry["availEq"], entry["liab"], entry["interest"], entry["upl"]) == ("", "", "", "")
        # in Spot mode what is not available is frozen: the two add up to the cash balance
        assert Decimal(entry["availBal"]) + Decimal(entry["frozenBal"]) == Decimal(entry["cashBal"])
    assert (details["USDT"]["availBal"], details["USDT"]["frozenBal"]) == ("1230.5", "20")
    assert spot["totalEq"] == "2256.49995" == str(sum(Decimal(d["eqUsd"]) for d in details.values()))
    assert [(e.api_key, e.verified) for e in sim.log] == [(sim.credentials["okx-spot"]["api_key"], True)]


def test_okx_ccy_filter_signed_over_the_raw_query(sim):
    response = okx_get(sim, OKX_BALANCE + "?ccy=BTC,ETH")
    assert [d["ccy"] for d in response.json()["data"][0]["details"]] == ["BTC", "ETH"]
    # A client that sends %2C must sign %2C: the server checks what it received.
    encoded = OKX_BALANCE + "?ccy=BTC%2CETH"
    assert len(okx_get(sim, encoded).json()["data"][0]["details"]) == 2
    mismatch = get(sim, encoded, okx_headers(sim.credentials["okx"], encoded, sign_path=OKX_BALANCE + "?ccy=BTC,ETH"))
    assert (mismatch.status_code, mismatch.json()["code"]) == (401, "50113")


def test_okx_margin_key_opens_the_margin_account(sim):
    """One more account, its own key; the other keys keep the sample account (both answers
    are cached per account, so the order of requests must not matter)."""
    plain_before = decimal_json(okx_get(sim))["data"][0]
    margin = decimal_json(okx_get(sim, profile="okx-margin"))["data"][0]
    assert decimal_json(okx_get(sim))["data"][0] == plain_before
    assert [d["ccy"] for d in plain_before["details"]] == ["USDT", "BTC", "ETH", "SOL"]
    assert [margin[f] for f in ("adjEq", "mgnRatio", "imr", "mmr", "upl", "notionalUsd")] == [
        "5436.56365691809", "2.718281828459045", "3000", "2000", "-312.75", "14650.5"]
    assert Decimal(margin["adjEq"]) / Decimal(margin["mmr"]) == Decimal(margin["mgnRatio"])
    details = {d["ccy"]: d for d in margin["details"]}
    assert list(details) == ["BTC", "USDT", "ETH", "DOGE"]
    assert [(c, d["liab"], d["interest"]) for c, d in details.items() if d["liab"] != "0"] == [
        ("USDT", "8000", "4.315068493150685"), ("ETH", "2", "0.000493150684931507")]
    assert margin["totalEq"] == "9520.757027397260273437"
    assert Decimal(margin["totalEq"]) == sum(Decimal(d["eqUsd"]) for d in details.values())
    filtered = okx_get(sim, OKX_BALANCE + "?ccy=ETH", profile="okx-margin").json()["data"][0]
    assert [d["ccy"] for d in filtered["details"]] == ["ETH"] and filtered["mgnRatio"] == "2.718281828459045"
    assert [(e.api_key, e.verified) for e in sim.log] == [
        (sim.credentials[p]["api_key"], True) for p in ("okx", "okx-margin", "okx", "okx-margin")]


def test_okx_too_many_ccy_is_a_parameter_error(sim):
    path = OKX_BALANCE + "?ccy=" + ",".join(f"C{i}" for i in range(21))
    assert okx_get(sim, path).json()["code"] == "51000"


def test_okx_demo_key_needs_the_simulated_trading_header(sim):
    assert okx_get(sim, profile="okx-demo").status_code == 200
    demo, live = sim.credentials["okx-demo"], sim.credentials["okx"]
    without = get(sim, OKX_BALANCE, okx_headers(demo, OKX_BALANCE, demo=False))
    with_header = get(sim, OKX_BALANCE, okx_headers(live, OKX_BALANCE, demo=True))
    assert without.json()["code"] == with_header.json()["code"] == "50101"
    assert without.status_code == 401


def test_xt_balance_keeps_every_digit_of_json_numbers(sim):
    response = xt_get(sim)
    assert response.status_code == 200
    assert '"usdtNetAmount":26855.999812345678901234' in response.text
    body = decimal_json(response)
    assert (body["rc"], body["mc"]) == (0, "SUCCESS")
    result = body["result"]
    assert result["usdtNetAmount"] == Decimal("26855.999812345678901234")
    assert (result["symbol"], result["base"]["currency"]) == ("btc_usdt", "btc")
    assert (result["base"]["loanAmount"], result["base"]["interestAmount"]) == ("0.1", "0.00004167")
    eth = decimal_json(xt_get(sim, XT_BALANCE + "?symbol=eth_usdt"))["result"]
    assert eth["base"]["totalAmount"] == Decimal("2.75")  # a JSON number, not a string
    assert eth["quote"]["loanAmount"] == "500"


def test_xt_unknown_symbol(sim):
    response = xt_get(sim, XT_BALANCE + "?symbol=DOGE_USDT")
    assert response.status_code == 200
    assert response.json() == {"rc": 1, "mc": "SYMBOL_001", "ma": [], "result": None}


def test_coinswitch_balance(sim):
    response = cs_get(sim)
    assert response.status_code == 200
    data = response.json()["data"]
    usdt = data["base_asset_balances"][0]
    assert usdt["base_asset"] == "USDT"
    assert Decimal(usdt["balances"]["total_open_order_margin"]) < 0
    symbols = [row["symbol"] for row in data["asset"]]
    assert symbols == ["DOGEUSDT", "BTCUSDT"]
    assert sum(Decimal(r["blocked_balance"]) for r in data["asset"]) == Decimal(usdt["balances"]["total_blocked_balance"])
    assert sim.log[-1].verified


def test_coinswitch_signs_the_decoded_path(sim):
    assert cs_get(sim, CS_BALANCE + "?note=a%20b+c").status_code == 200


def test_server_time_endpoints(sim):
    before = now_ms()
    okx_ts = int(get(sim, "/api/v5/public/time").json()["data"][0]["ts"])
    xt_ts = get(sim, "/v4/public/time").json()["result"]["serverTime"]
    cs_ts = get(sim, "/trade/api/v2/time").json()["serverTime"]
    after = now_ms()
    assert all(before <= ts <= after for ts in (okx_ts, xt_ts, cs_ts))
    assert [e.endpoint for e in sim.log] == ["time"] * 3
    assert not any(e.verified for e in sim.log)


def test_okx_account_config_names_the_keys_permissions(sim):
    answer = okx_get(sim, "/api/v5/account/config")
    assert answer.status_code == 200
    assert answer.json()["code"] == "0"
    assert answer.json()["data"][0]["perm"] == "read_only"
    sim.okx_perm = "read_only,trade"
    assert okx_get(sim, "/api/v5/account/config", profile="okx-demo").json()["data"][0]["perm"] == "read_only,trade"
    assert [(e.endpoint, e.verified, e.status) for e in sim.log] == [("config", True, 200)] * 2


def test_okx_account_config_authenticates_like_the_balance(sim):
    answer = okx_get(sim, "/api/v5/account/config", passphrase="wrong")
    assert (answer.status_code, answer.json()["code"]) == (401, "50105")
    sim.add_fault(Fault("refuse", endpoint="config"), exchange="okx")
    assert okx_get(sim, "/api/v5/account/config").json()["code"] == "50111"
    assert okx_get(sim).status_code == 200  # a config fault leaves the balance alone


# -- refusals --------------------------------------------------------------------


def test_okx_refusals(sim):
    creds = sim.credentials["okx"]
    stale = okx_get(sim, ms=now_ms() - 31_000)
    wrong_pass = get(sim, OKX_BALANCE, okx_headers(creds, OKX_BALANCE, passphrase="nope"))
    unknown = get(sim, OKX_BALANCE, okx_headers({**creds, "api_key": "no-such-key"}, OKX_BALANCE))
    wrong_path = get(sim, OKX_BALANCE, okx_headers(creds, OKX_BALANCE, sign_path=OKX_BALANCE + "?ccy=BTC"))
    codes = [r.json()["code"] for r in (stale, wrong_pass, unknown, wrong_path)]
    assert codes == ["50102", "50105", "50111", "50113"]
    assert {r.status_code for r in (stale, wrong_pass, unknown, wrong_path)} == {401}
    assert [e.verified for e in sim.log] == [True, True, False, False]


def test_xt_refusals(sim):
    creds = sim.credentials["xt"]
    path = XT_BALANCE + "?symbol=BTC_USDT"
    stale = xt_get(sim, ms=now_ms() - 5_500)
    ahead = xt_get(sim, ms=now_ms() + 3_000)
    wrong_path = get(sim, path, xt_headers(creds, path, sign_path=XT_BALANCE + "?symbol=ETH_USDT"))
    unknown = get(sim, path, xt_headers({**creds, "api_key": "no-such-key"}, path))
    for response, code in ((stale, "AUTH_105"), (ahead, "AUTH_105"), (wrong_path, "AUTH_103"), (unknown, "AUTH_101")):
        assert response.status_code == 200
        assert response.json() == {"rc": 1, "mc": code, "ma": [], "result": None}
    assert [e.verified for e in sim.log] == [True, True, False, False]


def test_coinswitch_refusals(sim):
    seed = sim.credentials["coinswitch"]["api_secret"]
    registered = sim.credentials["coinswitch"]["api_key"]
    stranger = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
    stale = cs_get(sim, ms=now_ms() - 61_000)
    # Signed by another key but claiming the registered public key: the signature does not match.
    forged = get(sim, CS_BALANCE, cs_headers(stranger, CS_BALANCE, api_key=registered))
    # A well-signed request from a key the exchange does not know.
    unknown = get(sim, CS_BALANCE, cs_headers(stranger, CS_BALANCE))
    wrong_path = get(sim, CS_BALANCE, cs_headers(seed, CS_BALANCE + "?x=1"))
    for response in (stale, forged, unknown, wrong_path):
        assert response.status_code == 401
        assert set(response.json()) == {"message"}
    assert [e.verified for e in sim.log] == [True, False, False, False]


# -- faults ----------------------------------------------------------------------


def test_counted_429_with_retry_after_heals(sim):
    fault = sim.add_fault(Fault(kind="status", status=429, retry_after=1, times=2), exchange="okx")
    responses = [okx_get(sim) for _ in range(3)]
    assert [r.status_code for r in responses] == [429, 429, 200]
    assert responses[0].headers["Retry-After"] == "1"
    assert responses[0].json()["code"] == "50011"
    assert fault.hits == 2 and fault.exhausted
    assert [e.fault for e in sim.log] == ["status", "status", None]
    assert all(e.verified for e in sim.log)  # the signature is still checked under a fault


def test_5xx_html_and_bad_bodies(sim):
    sim.add_fault(Fault(kind="status", status=503, times=1), exchange="xt")
    assert xt_get(sim).status_code == 503
    sim.add_fault(Fault(kind="html", times=1))
    html = cs_get(sim)
    assert html.status_code == 502 and html.headers["Content-Type"].startswith("text/html")
    assert html.text.lstrip().startswith("<!DOCTYPE html>")
    for kind in ("broken_json", "truncated"):
        sim.add_fault(Fault(kind=kind, times=1), exchange="okx")
        response = okx_get(sim)
        assert response.status_code == 200
        with pytest.raises(ValueError):
            json.loads(response.text)
    sim.add_fault(Fault(kind="bad_shape", times=1), exchange="okx")
    assert isinstance(okx_get(sim).json()["data"], dict)
    assert okx_get(sim).status_code == 200  # every counted fault has healed


def test_truncated_body_is_a_prefix_of_the_real_one(sim):
    full = xt_get(sim).content
    sim.add_fault(Fault(kind="truncated", times=1))
    cut = xt_get(sim).content
    assert 0 < len(cut) < len(full) and full.startswith(cut)


def test_refuse_and_exchange_codes(sim):
    sim.add_fault(Fault(kind="refuse", times=1), exchange="coinswitch")
    assert cs_get(sim).status_code == 401
    sim.add_fault(Fault(kind="refuse", times=1), exchange="xt")
    assert xt_get(sim).json()["mc"] == "AUTH_101"
    sim.add_fault(Fault(kind="error_code", code="50011", times=1), exchange="okx")
    sim.add_fault(Fault(kind="error_code", code="50001", times=1), exchange="okx")
    sim.add_fault(Fault(kind="error_code", code="51000", status=200, times=1), exchange="okx")
    outcomes = [(r.status_code, r.json()["code"]) for r in (okx_get(sim) for _ in range(3))]
    assert outcomes == [(429, "50011"), (503, "50001"), (200, "51000")]
    sim.add_fault(Fault(kind="error_code", code="LEVER_1004", times=1), exchange="xt")
    assert xt_get(sim).json()["mc"] == "LEVER_1004"
    assert sim.log[-1].code == "LEVER_1004"


def test_fault_scopes(sim):
    demo_key = sim.credentials["okx-demo"]["api_key"]
    sim.add_fault(Fault(kind="status", status=500), api_key=demo_key)
    sim.add_fault(Fault(kind="status", status=502), exchange="xt")
    assert okx_get(sim, profile="okx-demo").status_code == 500
    assert okx_get(sim, profile="okx").status_code == 200
    assert xt_get(sim).status_code == 502
    assert cs_get(sim).status_code == 200
    # Faults aim at the balance endpoint by default: server time stays readable.
    assert get(sim, "/v4/public/time").status_code == 200
    sim.clear_faults()
    assert xt_get(sim).status_code == 200


def test_time_endpoint_faults_are_opt_in(sim):
    sim.add_fault(Fault(kind="status", status=503, endpoint="time", times=1), exchange="okx")
    assert okx_get(sim).status_code == 200
    assert get(sim, "/api/v5/public/time").status_code == 503


def test_counted_fault_fires_exactly_n_times_under_concurrency(sim):
    sim.add_fault(Fault(kind="status", status=503, times=3))
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: xt_get(sim).status_code, range(12)))
    assert sorted(statuses) == [200] * 9 + [503] * 3


def test_latency(sim):
    sim.add_fault(Fault(kind="latency", seconds=0.2, times=1), exchange="coinswitch")
    started = time.monotonic()
    assert cs_get(sim).status_code == 200
    assert time.monotonic() - started >= 0.2
    started = time.monotonic()
    cs_get(sim)
    assert time.monotonic() - started < 0.2


def test_clock_skew_moves_time_and_the_validation_window(sim):
    sim.clock_skew = 120.0
    server_ts = int(get(sim, "/api/v5/public/time").json()["data"][0]["ts"])
    assert abs(server_ts - now_ms() - 120_000) < 1_000
    assert abs(get(sim, "/trade/api/v2/time").json()["serverTime"] - now_ms() - 120_000) < 1_000
    assert okx_get(sim).json()["code"] == "50102"
    assert xt_get(sim).json()["mc"] == "AUTH_105"
    assert cs_get(sim).status_code == 401
    # A client that corrects by the measured offset gets through.
    offset = server_ts - now_ms()
    assert okx_get(sim, ms=now_ms() + offset).status_code == 200
    assert xt_get(sim, ms=now_ms() + offset).json()["rc"] == 0
    assert cs_get(sim, ms=now_ms() + offset).status_code == 200


def test_hang_is_dropped_promptly_on_stop():
    sim = Simulator().start()
    try:
        sim.add_fault(Fault(kind="hang"), exchange="okx")
        with pytest.raises(requests.Timeout):
            get(sim, OKX_BALANCE, okx_headers(sim.credentials["okx"], OKX_BALANCE), timeout=0.2)
        outcome: dict[str, object] = {}

        def client() -> None:
            try:
                outcome["response"] = okx_get(sim)
            except requests.RequestException as exc:
                outcome["error"] = exc

        thread = threading.Thread(target=client)
        thread.start()
        while len(sim.log) < 2:
            time.sleep(0.01)
        started = time.monotonic()
    finally:
        sim.stop()
    thread.join(timeout=2)
    assert time.monotonic() - started < 1.0
    assert isinstance(outcome.get("error"), requests.ConnectionError)
    assert [(e.status, e.fault) for e in sim.log] == [(0, "hang"), (0, "hang")]


def test_fault_validation(sim):
    with pytest.raises(ValueError):
        Fault(kind="explode")
    with pytest.raises(ValueError):
        Fault(kind="latency")
    with pytest.raises(ValueError):
        Fault(kind="error_code")
    with pytest.raises(ValueError):
        sim.add_fault(Fault(kind="html"), exchange="binance")


# -- the rest of the API -----------------------------------------------------------


def test_log_never_holds_a_secret(sim):
    okx_get(sim)
    xt_get(sim)
    cs_get(sim)
    text = repr(sim.log)
    for creds in sim.credentials.values():
        assert creds["api_secret"] not in text
        assert creds.get("passphrase", "\0") not in text


def test_unknown_path_and_method(sim):
    assert get(sim, "/api/v5/account/positions").status_code == 404
    assert requests.post(sim.base_url + OKX_BALANCE, timeout=5).status_code == 405
    assert [(e.exchange, e.status) for e in sim.log] == [(None, 404), ("okx", 405)]


def test_big_okx_account():
    with Simulator(okx_assets=1000) as sim:
        account = okx_get(sim).json()["data"][0]
    assert len(account["details"]) == 1000
    assert len({d["ccy"] for d in account["details"]}) == 1000
    assert Decimal(account["totalEq"]) == sum(Decimal(d["eqUsd"]) for d in account["details"])


def test_profiles_yaml(sim):
    profiles = yaml.safe_load(sim.profiles_yaml())["profiles"]
    assert {name: p["exchange"] for name, p in profiles.items()} == {
        "okx": "okx", "okx-demo": "okx", "xt": "xt", "coinswitch": "coinswitch", "okx-margin": "okx",
        "okx-spot": "okx"}
    assert all(p["base_url"] == sim.base_url for p in profiles.values())
    assert profiles["xt"]["symbols"] == ["BTC_USDT", "ETH_USDT"]
    assert [profiles[name]["demo"] for name in ("okx", "okx-demo", "okx-margin", "okx-spot")] == [
        False, True, False, False]
    assert profiles["coinswitch"]["api_key"] == sim.credentials["coinswitch"]["api_key"]


def test_stop_without_start_and_base_url_needs_start():
    sim = Simulator()
    sim.stop()
    with pytest.raises(RuntimeError):
        sim.base_url


def test_to_json_refuses_floats():
    assert to_json({"a": [Decimal("1.10"), "x", None, True, 3]}) == '{"a":[1.10,"x",null,true,3]}'
    with pytest.raises(TypeError):
        to_json(1.5)


# --- python -m balctl.simulator --profiles-out ------------------------------------------------


def test_profiles_out_writes_the_profile_file_0600_that_balctl_reads(tmp_path, shared_simulator):
    """Run on its own, as the README's Development section does (port 0: any free one)."""
    import os
    import stat
    import subprocess
    import sys

    from tests.helpers import run_balctl

    out = tmp_path / "sim.yaml"
    process = subprocess.Popen([sys.executable, "-m", "balctl.simulator", "--port", "0", "--profiles-out", str(out)],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True)
    try:
        first = process.stderr.readline()
        rest = [first]
        for line in iter(process.stderr.readline, ""):  # "" when it ended early
            rest.append(line)
            if line.startswith("Profile file written"):
                break
        assert process.poll() is None, "".join(rest)
        base_url = first.removeprefix("balctl simulator listening on ").removesuffix(" (Ctrl-C to stop)\n")
        assert base_url.startswith("http://127.0.0.1:")
        assert rest[-1] == f"Profile file written to {out}\n"
        expected = shared_simulator.profiles_yaml().replace(shared_simulator.base_url, base_url)
        assert out.read_text() == expected
        assert "".join(rest[1:-1]) == "Profile file (save it with chmod 600):\n\n" + expected + "\n"
        assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
        done = run_balctl("all", "-c", str(out), "-o", "csv", "-p", "xt")
        assert done.returncode == 0, done.stderr
        assert done.stderr == ""
        rows = [line.split(",")[1:6] for line in done.stdout.splitlines()[1:]]
        assert rows == [["xt", "xt", "lever", "BTC_USDT", "BTC"], ["xt", "xt", "lever", "BTC_USDT", "USDT"],
                        ["xt", "xt", "lever", "ETH_USDT", "ETH"], ["xt", "xt", "lever", "ETH_USDT", "USDT"]]
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stderr.close()


@pytest.mark.parametrize("existing", ["file", "dangling symlink"])
def test_profiles_out_refuses_an_existing_file_in_one_line_exit_2(tmp_path, capsys, existing):
    from balctl.simulator.__main__ import main

    out = tmp_path / "sim.yaml"
    if existing == "file":
        out.write_text("profiles: {}\n")
    else:
        out.symlink_to(tmp_path / "nowhere.yaml")
    assert main(["--port", "0", "--profiles-out", str(out)]) == 2
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", f"balctl simulator: {out}: exists already; "
                                                "remove it or choose another file\n")
    assert out.is_symlink() or out.read_text() == "profiles: {}\n"
    assert not (tmp_path / "nowhere.yaml").exists()
