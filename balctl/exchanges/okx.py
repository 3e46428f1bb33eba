"""OKX trading account: `GET /api/v5/account/balance` (docs/exchanges.md, OKX).

Signature: Base64(HMAC-SHA256(secret, timestamp + "GET" + path_with_query)), timestamp in
ISO-8601 with milliseconds. Envelope `{"code": "0", "msg": "", "data": [...]}`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import datetime, timezone
from typing import Any

from balctl import errors
from balctl.exchanges import Selection
from balctl.model import Account, Summary, amount, balance_row, code, expect, nullify

NAME = "okx"
ACCOUNT = "trading"
DEFAULT_BASE_URL = "https://www.okx.com"
BALANCE_PATH = "/api/v5/account/balance"
TIME_PATH = "/api/v5/public/time"
PROFILE_KEYS = {"passphrase": True, "demo": False}
MAX_CCY = 20
CURRENCY = re.compile(r"[A-Z0-9]+")

REGION_HINT = "the key may belong to another OKX region: set base_url to https://eea.okx.com or https://my.okx.com"
HINTS = {
    "50101": "this key belongs to the other environment: set 'demo: true' for a demo-trading key (or false for a live one)",
    "50111": REGION_HINT,
    "50119": REGION_HINT,
    "50110": "add this machine's public IP address to the API key's IP whitelist on OKX",
    "50102": "check the system clock (timedatectl / ntp): it is off by more than OKX accepts",
    # OKX signs with the secret and checks the passphrase beside it: either typed wrong
    # (or from another key) reads "Invalid Sign." to the user
    "50113": "check api_secret and passphrase in the profile: both must belong to this api_key",
    "50105": "check passphrase in the profile: it is the one set when this API key was created",
}
ERRORS: dict[str, type[errors.BalctlError]] = {  # docs/exchanges.md, OKX; other codes go by HTTP status
    **dict.fromkeys(["50100", "50101", "50103", "50104", "50105", "50106", "50107",
                     "50111", "50112", "50113", "50119"], errors.AuthError),
    **dict.fromkeys(["50110", "50120", "50030", "50035"], errors.PermissionDenied),
    "50102": errors.TimestampRejected,
    "50011": errors.RateLimited,
    "50001": errors.Unavailable,
    "50026": errors.Unavailable,
    "51000": errors.ExchangeError,
    "50014": errors.ExchangeError,
}
ROW_FIELDS = {  # docs/exchanges.md, From answers to rows: unified field <- `details[]` field
    "total": "eq",
    "available": "availBal",
    "frozen": "frozenBal",
    "loan": "liab",
    "interest": "interest",
    "order_margin": "ordFrozen",
    "usd_value": "eqUsd",
}

RISK_SUMMARY_FIELDS = {  # unified summary field <- top-level field (README: risk figures)
    "adjusted_equity": "adjEq",
    "margin_ratio": "mgnRatio",
    "initial_margin": "imr",
    "maintenance_margin": "mmr",
    "unrealized_pnl": "upl",
    "notional": "notionalUsd",
}


def request_paths(profile: Any, selection: Selection) -> list[str]:
    """One request; `ccy` joined with a bare comma, as OKX documents and signs it."""
    if len(selection.ccy) > MAX_CCY:
        raise errors.UsageError(f"--ccy takes at most {MAX_CCY} currencies (OKX's limit), got {len(selection.ccy)}")
    for currency in selection.ccy:
        if not CURRENCY.fullmatch(currency):
            # Sent as typed, `BTC ETH` or `BTC#X` would be re-encoded or cut by the HTTP
            # library, so the signed query would not be the one on the wire.
            raise errors.UsageError(f"--ccy: {currency!r} is not a currency code such as BTC")
    if selection.ccy:
        return [f"{BALANCE_PATH}?ccy={','.join(selection.ccy)}"]
    return [BALANCE_PATH]


def timestamp(milliseconds: int) -> str:
    """`2020-12-08T09:08:57.715Z` from Unix milliseconds."""
    moment = datetime.fromtimestamp(milliseconds // 1000, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{milliseconds % 1000:03d}Z"


def signature(secret: str, prehash: str) -> str:
    digest = hmac.new(secret.encode(), prehash.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def sign(profile: Any, path_with_query: str, timestamp_ms: int) -> dict[str, str]:
    stamp = timestamp(timestamp_ms)
    headers = {
        "OK-ACCESS-KEY": profile.api_key,
        "OK-ACCESS-SIGN": signature(profile.api_secret, f"{stamp}GET{path_with_query}"),
        "OK-ACCESS-TIMESTAMP": stamp,
        "OK-ACCESS-PASSPHRASE": profile.passphrase,
    }
    if profile.demo:
        headers["x-simulated-trading"] = "1"
    return headers


def check(status: int, body: Any) -> None:
    """Raise the error an OKX envelope or status carries (docs/exchanges.md, OKX: error codes)."""
    if not isinstance(body, dict) or "code" not in body:
        return  # not an envelope: the HTTP status, then parse(), will say what is wrong
    error_code = str(body.get("code"))
    if error_code == "0":
        return
    raise errors.classify(error_code, str(body.get("msg") or "error"), status=status, table=ERRORS, hints=HINTS)


def parse_server_time(body: Any) -> int:
    return int(body["data"][0]["ts"])


def parse(bodies: list[Any]) -> Account:
    """Pure: the balance response → rows (one per `details[]` entry) and the summary."""
    (body,) = bodies
    data = expect(expect(body, dict, "the response").get("data"), list, "'data'")
    if not data:
        raise errors.BadResponse("unexpected response: 'data' is empty")
    top = expect(data[0], dict, "'data[0]'")
    details = [expect(item, dict, "a 'details' entry") for item in expect(top.get("details", []), list, "'details'")]
    rows = [balance_row(entry, ROW_FIELDS, asset=code(entry.get("ccy")))
            for entry in details if not _no_currency(entry)]
    skipped = [index for index, entry in enumerate(details) if _no_currency(entry)]
    summary = Summary(
        equity=amount(top.get("totalEq"), field_name="totalEq"),
        loan=None,
        unit="USD",
        native=nullify({key: value for key, value in top.items() if key != "details"}),
        **{unified: amount(top.get(name), field_name=name) for unified, name in RISK_SUMMARY_FIELDS.items()},
    )
    return Account(summary=summary, balances=rows, warnings=_skipped_warning(skipped))


def _no_currency(entry: dict[str, Any]) -> bool:
    """OKX has been seen sending a `details` entry with `"ccy": ""`: a row of nothing in
    particular. It is left out (and said so) rather than failing the whole account. A
    missing or null `ccy` is not what OKX sends: that stays a malformed response."""
    return entry.get("ccy") == ""


def _skipped_warning(indexes: list[int]) -> tuple[str, ...]:
    """One sentence for all the entries left out, naming where they were in `details`."""
    if not indexes:
        return ()
    where = ", ".join(f"details[{index}]" for index in indexes)
    entries = "entry" if len(indexes) == 1 else "entries"
    return (f"left out {len(indexes)} 'details' {entries} without a currency ('ccy' empty): {where}",)


CONFIG_PATH = "/api/v5/account/config"
"""`profiles check` asks this one: it authenticates like the balance and names the key's rights."""


def check_path(profile: Any) -> str:
    """`profiles check`'s one authenticated request."""
    return CONFIG_PATH


def parse_permissions(body: Any) -> list[str]:
    """The key's rights from the account configuration: `perm` is `read_only`, `trade`,
    `withdraw`, comma-separated."""
    data = expect(expect(body, dict, "the response").get("data"), list, "'data'")
    if not data:
        raise errors.BadResponse("unexpected response: 'data' is empty")
    perm = expect(expect(data[0], dict, "'data[0]'").get("perm"), str, "'perm'")
    return [item.strip() for item in perm.split(",") if item.strip()]
