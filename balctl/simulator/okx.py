"""Simulated OKX: ``GET /api/v5/account/balance``, ``GET /api/v5/account/config`` and
``GET /api/v5/public/time``.

The account configuration carries the key's permissions in ``perm``, a comma-separated
list of ``read_only``, ``trade`` and ``withdraw``; ``Okx.perm`` (``Simulator.okx_perm``)
sets what every key reports, ``read_only`` by default.

Authentication follows OKX's v5 REST rules: the signature is
Base64(HMAC-SHA256(secret, timestamp + method + path_with_query)) over the
request target exactly as received, the passphrase must match, the timestamp
must be within 30 s of the server clock, and ``x-simulated-trading: 1`` must
be present for a demo-trading key and absent for a live one (else 50101).
Errors use OKX's envelope ``{"code": "...", "msg": "...", "data": []}``. Like OKX, an
answer without ``ccy`` leaves out currencies whose ``eq`` and ``cashBal`` are both zero;
one named in ``ccy`` is answered whatever it holds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Mapping

from .wire import SimRequest, SimResponse, Verdict, json_response, same, to_json

BALANCE_PATH = "/api/v5/account/balance"
TIME_PATH = "/api/v5/public/time"
CONFIG_PATH = "/api/v5/account/config"
READ_ONLY = "read_only"
WINDOW_MS = 30_000
MAX_CCY = 20

_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

# code -> (HTTP status, message) as OKX sends them.
ERRORS: dict[str, tuple[int, str]] = {
    "50001": (503, "Service temporarily unavailable. Please try again later."),
    "50011": (429, "Too Many Requests"),
    "50014": (400, "Parameter {param0} can not be empty."),
    "50026": (503, "System error. Try again later."),
    "50100": (401, "API frozen, please contact customer service."),
    "50101": (401, "APIKey does not match current environment."),
    "50102": (401, "Timestamp request expired."),
    "50103": (401, "Request header OK-ACCESS-KEY can not be empty."),
    "50104": (401, "Request header OK-ACCESS-PASSPHRASE can not be empty."),
    "50105": (401, "Request header OK-ACCESS-PASSPHRASE incorrect."),
    "50106": (401, "Request header OK-ACCESS-SIGN can not be empty."),
    "50107": (401, "Request header OK-ACCESS-TIMESTAMP can not be empty."),
    "50110": (401, "Your IP is not in linking trusted IP addresses."),
    "50111": (401, "Invalid OK-ACCESS-KEY."),
    "50112": (401, "Invalid OK-ACCESS-TIMESTAMP."),
    "50113": (401, "Invalid Sign."),
    "50119": (401, "API key doesn't exist."),
    "50120": (401, "API key doesn't have permission."),
    "51000": (400, "Parameter ccy error."),
}


@dataclass(frozen=True)
class OkxKey:
    """A registered OKX api key; ``demo`` marks a demo-trading key."""

    api_key: str
    secret: str
    passphrase: str
    demo: bool = False


def expected_signature(secret: str, timestamp: str, method: str, path_with_query: str) -> str:
    """OKX's signature for a body-less request."""
    prehash = f"{timestamp}{method.upper()}{path_with_query}".encode()
    digest = hmac.new(secret.encode(), prehash, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def parse_timestamp(text: str) -> int | None:
    """Milliseconds since the epoch of ``2020-12-08T09:08:57.715Z``, None when malformed."""
    if not _TIMESTAMP.match(text):
        return None
    try:
        moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return None
    return int(moment.timestamp()) * 1000 + moment.microsecond // 1000


def check(
    headers: Mapping[str, str], method: str, raw_path: str, now_ms: int, keys: Mapping[str, OkxKey]
) -> Verdict:
    """Authenticate one request the way OKX does; ``headers`` have lower-case names.

    The signature is checked whenever the key is known, even if the request is
    refused for another reason, so that ``verified`` always tells whether the
    client signed correctly.
    """
    api_key = headers.get("ok-access-key") or None
    sign = headers.get("ok-access-sign", "")
    stamp = headers.get("ok-access-timestamp", "")
    passphrase = headers.get("ok-access-passphrase")
    key = keys.get(api_key) if api_key else None
    verified = bool(key and sign and stamp) and same(
        sign, expected_signature(key.secret, stamp, method, raw_path)
    )

    def refuse(code: str) -> Verdict:
        return Verdict(api_key, verified, error(code))

    if not api_key:
        return refuse("50103")
    if not passphrase:
        return refuse("50104")
    if not sign:
        return refuse("50106")
    if not stamp:
        return refuse("50107")
    sent_ms = parse_timestamp(stamp)
    if sent_ms is None:
        return refuse("50112")
    if key is None:
        return refuse("50111")
    if key.demo != (headers.get("x-simulated-trading") == "1"):
        return refuse("50101")
    if not same(passphrase, key.passphrase):
        return refuse("50105")
    if abs(now_ms - sent_ms) > WINDOW_MS:
        return refuse("50102")
    if not verified:
        return refuse("50113")
    return Verdict(api_key, True)


def error(code: str, message: str | None = None, status: int | None = None) -> SimResponse:
    """OKX's error envelope, with OKX's usual HTTP status for the code unless one is given."""
    usual_status, usual_message = ERRORS.get(code, (200, "Simulated error."))
    body = {"code": code, "data": [], "msg": usual_message if message is None else message}
    return json_response(status or usual_status, body, code)


def select(account: Mapping[str, Any], codes: list[str]) -> dict[str, Any]:
    """The account with ``details`` limited to ``codes``.

    Codes are matched exactly as sent (OKX codes are upper-case), so a client
    that forgets to upper-case sees an empty ``details``.
    """
    wanted = set(codes)
    return {**account, "details": [d for d in account["details"] if d["ccy"] in wanted]}


def without_empty(account: Mapping[str, Any]) -> dict[str, Any]:
    """The account as OKX answers without ``ccy``: a currency whose ``eq`` and ``cashBal``
    are both zero is not returned (OKX's documentation of the balance endpoint)."""
    return {**account, "details": [d for d in account["details"] if not (_zero(d["eq"]) and _zero(d["cashBal"]))]}


def _zero(text: str) -> bool:
    return text in ("", "0") or Decimal(text) == 0


class Okx:
    """The OKX endpoints over one sample account, or another one for the keys in ``key_accounts``."""

    name = "okx"
    balance_path = BALANCE_PATH
    time_path = TIME_PATH
    other_paths = {CONFIG_PATH: "config"}

    def __init__(
        self,
        keys: Mapping[str, OkxKey],
        account: Mapping[str, Any],
        key_accounts: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.keys = dict(keys)
        self.account = account
        self.key_accounts = dict(key_accounts or {})
        self.perm = READ_ONLY
        self._full_bodies: dict[str | None, bytes] = {}

    def api_key(self, headers: Mapping[str, str]) -> str | None:
        return headers.get("ok-access-key") or None

    def authenticate(self, req: SimRequest) -> Verdict:
        return check(req.headers, req.method, req.raw_path, req.now_ms, self.keys)

    def balance(self, req: SimRequest) -> SimResponse:
        """Called after authentication, so the key is a known one."""
        key = self.api_key(req.headers)
        ccy = req.params().get("ccy")
        if ccy is None:
            return SimResponse(status=200, body=self._full(key), code="0")
        codes = ccy.split(",")
        if len(codes) > MAX_CCY or "" in codes:
            return error("51000")
        return json_response(200, self._envelope(select(self._account(key), codes)), "0")

    def other(self, endpoint: str, req: SimRequest) -> SimResponse:
        """The authenticated endpoints besides the balance: the account configuration."""
        key = self.keys[req.headers["ok-access-key"]]
        config = {
            "uid": "44705892343619584",
            "mainUid": "44705892343619584",
            "acctLv": "2",
            "posMode": "net_mode",
            "autoLoan": False,
            "greeksType": "PA",
            "level": "Lv1",
            "levelTmp": "",
            "ctIsoMode": "automatic",
            "mgnIsoMode": "automatic",
            "roleType": "0",
            "spotRoleType": "0",
            "traderInsts": [],
            "opAuth": "0",
            "kycLv": "2",
            "label": "balctl-sim" + ("-demo" if key.demo else ""),
            "ip": "",
            "perm": self.perm,
        }
        return json_response(200, {"code": "0", "data": [config], "msg": ""}, "0")

    def server_time(self, now_ms: int) -> SimResponse:
        return json_response(200, {"code": "0", "data": [{"ts": str(now_ms)}], "msg": ""}, "0")

    def error(self, code: str, message: str | None = None, status: int | None = None) -> SimResponse:
        return error(code, message, status)

    def refused(self) -> SimResponse:
        return error("50111")

    def status_error(self, status: int) -> SimResponse:
        if status == 429:
            return error("50011", status=429)
        if status >= 500:
            return error("50001", status=status)
        return error("50000", "Simulated HTTP error.", status)

    def bad_shape(self) -> SimResponse:
        """``data`` as an object where OKX sends a list."""
        return json_response(200, {"code": "0", "data": {"totalEq": "1"}, "msg": ""}, "0")

    def _account(self, key: str | None) -> Mapping[str, Any]:
        return self.key_accounts.get(key, self.account) if key else self.account

    def _full(self, key: str | None) -> bytes:
        """The body without ``ccy``, built once per account: it is the same for every request."""
        account_key = key if key in self.key_accounts else None
        body = self._full_bodies.get(account_key)
        if body is None:
            account = without_empty(self._account(key))
            body = self._full_bodies[account_key] = to_json(self._envelope(account)).encode()
        return body

    @staticmethod
    def _envelope(account: Mapping[str, Any]) -> dict[str, Any]:
        return {"code": "0", "data": [account], "msg": ""}
