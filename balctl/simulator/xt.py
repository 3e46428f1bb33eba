"""Simulated XT.com: ``GET /v4/lever/balance?symbol=...`` and ``GET /v4/public/time``.

Authentication follows XT's v4 rules: the signed text is X + Y, where X is the
four ``validate-*`` headers (algorithms, appkey, recvwindow, timestamp) as
``name=value`` sorted by name and joined by ``&``, and Y is
``#METHOD#path`` plus ``#query`` with the *decoded* query pairs sorted by key.
The signature is HMAC-SHA256 in hex. A timestamp older than recvwindow, or more
than 1 s ahead of the server, is AUTH_105.

Like XT, it takes the header names in either form: the documented ``validate-*``
(XT's signature steps page, its Java SDK) or the older ``xt-validate-*`` (ccxt,
XT's Python connector), and X signs the names in the form the request used. The
signature is accepted in either hex case (XT's Python connector sends upper case).

Errors are ``{"rc": 1, "mc": CODE, "ma": [], "result": null}`` with HTTP 200,
as XT answers them. Symbols are accepted in either case and answered in XT's
lower-case wire form (``btc_usdt``).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import parse_qsl

from .wire import SimRequest, SimResponse, Verdict, digits, json_response, same

BALANCE_PATH = "/v4/lever/balance"
TIME_PATH = "/v4/public/time"
ALGORITHM = "HmacSHA256"
MAX_RECVWINDOW = 60_000
FUTURE_MS = 1_000

PREFIXES = ("validate-", "xt-validate-")
"""The documented header names first, then the older form."""

# The signed headers without their prefix, in the (sorted) order they appear in X.
SIGNED_HEADERS = ("algorithms", "appkey", "recvwindow", "timestamp")

# A missing header (without its prefix) and the code XT answers with, checked in this order.
_REQUIRED = (
    ("appkey", "AUTH_001"),
    ("timestamp", "AUTH_002"),
    ("recvwindow", "AUTH_003"),
    ("algorithms", "AUTH_005"),
    ("signature", "AUTH_007"),
)


@dataclass(frozen=True)
class XtKey:
    """A registered XT api key."""

    api_key: str
    secret: str


def signed_query(query: str) -> str:
    """The query as XT signs it: decoded pairs sorted by key, joined by ``&``."""
    pairs = sorted(parse_qsl(query, keep_blank_values=True), key=lambda pair: pair[0])
    return "&".join(f"{name}={value}" for name, value in pairs)


def header_prefix(headers: Mapping[str, str]) -> str:
    """The form of header names a request uses: ``validate-`` unless it sends only ``xt-validate-*``."""
    if any(name.startswith(PREFIXES[0]) for name in headers):
        return PREFIXES[0]
    return PREFIXES[1] if any(name.startswith(PREFIXES[1]) for name in headers) else PREFIXES[0]


def signed_text(headers: Mapping[str, str], method: str, raw_path: str) -> str:
    """X + Y for a request; ``headers`` have lower-case names, X keeps the form they were sent in."""
    prefix = header_prefix(headers)
    x = "&".join(f"{prefix}{name}={headers.get(prefix + name, '')}" for name in SIGNED_HEADERS)
    path, _, query = raw_path.partition("?")
    y = f"#{method.upper()}#{path}"
    if query:
        y += f"#{signed_query(query)}"
    return x + y


def expected_signature(secret: str, text: str) -> str:
    """XT's signature of a signed text (lower-case hex; compared without regard to case)."""
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def check(
    headers: Mapping[str, str], method: str, raw_path: str, now_ms: int, keys: Mapping[str, XtKey]
) -> Verdict:
    """Authenticate one request the way XT does; ``headers`` have lower-case names."""
    prefix = header_prefix(headers)
    headers = {name[len(prefix):]: value for name, value in headers.items() if name.startswith(prefix)}
    api_key = headers.get("appkey") or None
    key = keys.get(api_key) if api_key else None
    signature = headers.get("signature", "")
    signed = {prefix + name: value for name, value in headers.items()}
    verified = bool(key and signature) and same(
        signature.lower(), expected_signature(key.secret, signed_text(signed, method, raw_path))
    )

    def refuse(code: str) -> Verdict:
        return Verdict(api_key, verified, error(code))

    for name, code in _REQUIRED:
        if not headers.get(name):
            return refuse(code)
    if headers["algorithms"] != ALGORITHM:
        return refuse("AUTH_006")
    recvwindow = digits(headers["recvwindow"])
    if recvwindow is None or not 0 < recvwindow <= MAX_RECVWINDOW:
        return refuse("AUTH_004")
    sent_ms = digits(headers["timestamp"])
    if sent_ms is None:
        return refuse("AUTH_002")
    if key is None:
        return refuse("AUTH_101")
    if sent_ms < now_ms - recvwindow or sent_ms > now_ms + FUTURE_MS:
        return refuse("AUTH_105")
    if not verified:
        return refuse("AUTH_103")
    return Verdict(api_key, True)


def error(code: str, message: str | None = None, status: int | None = None) -> SimResponse:
    """XT's error envelope; XT sends its errors with HTTP 200 unless told otherwise."""
    ma = [message] if message else []
    return json_response(status or 200, {"rc": 1, "mc": code, "ma": ma, "result": None}, code)


class Xt:
    """The XT lever endpoints over sample accounts keyed by lower-case symbol."""

    name = "xt"
    balance_path = BALANCE_PATH
    time_path = TIME_PATH

    def __init__(self, keys: Mapping[str, XtKey], accounts: Mapping[str, Mapping[str, Any]]) -> None:
        self.keys = dict(keys)
        self.accounts = accounts

    def api_key(self, headers: Mapping[str, str]) -> str | None:
        return headers.get(header_prefix(headers) + "appkey") or None

    def authenticate(self, req: SimRequest) -> Verdict:
        return check(req.headers, req.method, req.raw_path, req.now_ms, self.keys)

    def balance(self, req: SimRequest) -> SimResponse:
        symbol = req.params().get("symbol", "").lower()
        result = self.accounts.get(symbol)
        if result is None:
            return error("SYMBOL_001")
        return json_response(200, {"rc": 0, "mc": "SUCCESS", "ma": [], "result": result}, "SUCCESS")

    def server_time(self, now_ms: int) -> SimResponse:
        body = {"rc": 0, "mc": "SUCCESS", "ma": [], "result": {"serverTime": now_ms}}
        return json_response(200, body, "SUCCESS")

    def error(self, code: str, message: str | None = None, status: int | None = None) -> SimResponse:
        return error(code, message, status)

    def refused(self) -> SimResponse:
        return error("AUTH_101")

    def status_error(self, status: int) -> SimResponse:
        code = "GATEWAY_ERROR" if status >= 500 else str(status)
        return error(code, status=status)

    def bad_shape(self) -> SimResponse:
        """``result`` as a list where XT sends an object."""
        return json_response(200, {"rc": 0, "mc": "SUCCESS", "ma": [], "result": []}, "SUCCESS")
