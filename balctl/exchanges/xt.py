"""XT.com lever (margin) account: `GET /v4/lever/balance?symbol=BTC_USDT` (docs/exchanges.md, XT.com).

XT reports lever balances one isolated pair at a time, so an account is one request per
symbol (fetched concurrently by `balctl.fetch`) and one base row + one quote row per symbol.

Signature: lower-case hex HMAC-SHA256(secret, X + Y), where X is the four other
`validate-*` headers as `name=value` sorted by name and joined by `&`, and
Y = `#GET#path` plus `#query` (the decoded query, pairs sorted by key) when there is one.
Envelope `{"rc": 0, "mc": "SUCCESS", "ma": [], "result": {...}}`; `rc != 0` is an error
named by `mc`, usually with HTTP 200. Amounts arrive as JSON strings or JSON numbers.

Header names: XT's signature steps page and its Java SDK name them `validate-*` and sign
those names in X; ccxt and XT's Python connector send an older `xt-validate-*` form, which
XT still accepts. balctl sends the documented form (the simulator accepts both).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any
from urllib.parse import parse_qsl

from balctl import errors
from balctl.exchanges import Selection
from balctl.model import Account, Balance, Summary, amount, balance_row, code, decimal_sum, expect, nullify

NAME = "xt"
ACCOUNT = "lever"
DEFAULT_BASE_URL = "https://sapi.xt.com"
BALANCE_PATH = "/v4/lever/balance"
TIME_PATH = "/v4/public/time"
PROFILE_KEYS: dict[str, bool] = {"symbols": False}
ALGORITHM = "HmacSHA256"
HEADER_PREFIX = "validate-"
"""XT's documented header names; the X part of the signature signs them as sent."""
RECV_WINDOW = "5000"
"""XT's default; the server also refuses a timestamp more than 1 s in its future."""

ROW_FIELDS = {  # docs/exchanges.md, From answers to rows: unified field <- `result.base` / `result.quote` field
    "total": "totalAmount",
    "available": "availableAmount",
    "frozen": "frozenAmount",
    "loan": "loanAmount",
    "interest": "interestAmount",
}
SYMBOL = re.compile(r"[A-Z0-9]+_[A-Z0-9]+")

DESCRIPTIONS = {
    "AUTH_001": "missing header validate-appkey",
    "AUTH_002": "missing header validate-timestamp",
    "AUTH_003": "missing header validate-recvwindow",
    "AUTH_004": "bad header validate-recvwindow",
    "AUTH_005": "missing header validate-algorithms",
    "AUTH_006": "bad header validate-algorithms",
    "AUTH_007": "missing header validate-signature",
    "AUTH_101": "API key does not exist",
    "AUTH_102": "API key is not activated",
    "AUTH_103": "signature rejected",
    "AUTH_104": "request from an IP address not bound to this API key",
    "AUTH_105": "request timestamp outside the receive window",
    "AUTH_106": "request exceeds the API key's permissions",
    "LEVER_1004": "this sub-account has no lever trading permission",
    "SYMBOL_001": "no such symbol",
}
HINTS = {
    "AUTH_101": "check api_key in the profile: XT does not know this key",
    "AUTH_103": "check api_secret in the profile: it must belong to this api_key",
    "AUTH_104": "add this machine's public IP address to the API key's IP whitelist on XT",
    "AUTH_105": "check the system clock (timedatectl / ntp): XT accepts a timestamp at most "
                f"{int(RECV_WINDOW) // 1000} s old and 1 s ahead",
    "SYMBOL_001": "XT lever pairs are written BASE_QUOTE, e.g. --symbol BTC_USDT",
}
ERRORS: dict[str, type[errors.BalctlError]] = {  # docs/exchanges.md, XT.com; GATEWAY_* and others: see check()
    **dict.fromkeys(["AUTH_001", "AUTH_002", "AUTH_003", "AUTH_004", "AUTH_005", "AUTH_006",
                     "AUTH_007", "AUTH_101", "AUTH_102", "AUTH_103"], errors.AuthError),
    **dict.fromkeys(["AUTH_104", "AUTH_106", "LEVER_1004"], errors.PermissionDenied),
    "AUTH_105": errors.TimestampRejected,
}

SYMBOLS_NEEDED = (
    "XT lever balances are per symbol: pass --symbol BTC_USDT[,ETH_USDT...] "
    "or set 'symbols: [BTC_USDT, ...]' in the xt profile"
)


def validate_profile(profile: Any, where: errors.ProfileWhere) -> None:
    """Nothing beyond the common rules: `symbols:` is normalised by the profile loader."""


def request_paths(profile: Any, selection: Selection) -> list[str]:
    """One `?symbol=PAIR` request per symbol: the command line's, else the profile's."""
    symbols = selection.symbols or profile.symbols
    if not symbols:
        raise errors.UsageError(SYMBOLS_NEEDED)
    paths = []
    for symbol in dict.fromkeys(symbol.strip().upper() for symbol in symbols):
        if not SYMBOL.fullmatch(symbol):
            # Caught here, not by XT: a clear usage error beats SYMBOL_001 for one of N pairs.
            raise errors.UsageError(f"{symbol!r} is not an XT pair: write BASE_QUOTE, e.g. BTC_USDT")
        paths.append(f"{BALANCE_PATH}?symbol={symbol}")  # [A-Z0-9_]: nothing to encode
    return paths


def signed_query(query: str) -> str:
    """The query as XT signs it: decoded pairs, sorted by key (stable), joined by `&`."""
    pairs = sorted(parse_qsl(query, keep_blank_values=True), key=lambda pair: pair[0])
    return "&".join(f"{name}={value}" for name, value in pairs)


def signed_text(headers: dict[str, str], path_with_query: str) -> str:
    """X + Y for a GET; `headers` are the four validate-* headers besides the signature."""
    x = "&".join(f"{name}={value}" for name, value in sorted(headers.items()))
    path, _, query = path_with_query.partition("?")
    y = f"#GET#{path}" + (f"#{signed_query(query)}" if query else "")
    return x + y


def signature(secret: str, text: str) -> str:
    """Lower-case hex, as XT compares it."""
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def sign(profile: Any, path_with_query: str, timestamp_ms: int) -> dict[str, str]:
    """Pure: the five validate-* headers for this exact path and query."""
    headers = {
        f"{HEADER_PREFIX}algorithms": ALGORITHM,
        f"{HEADER_PREFIX}appkey": profile.api_key,
        f"{HEADER_PREFIX}recvwindow": RECV_WINDOW,
        f"{HEADER_PREFIX}timestamp": str(timestamp_ms),
    }
    headers[f"{HEADER_PREFIX}signature"] = signature(profile.api_secret, signed_text(headers, path_with_query))
    return headers


def check(status: int, body: Any) -> None:
    """Raise the error an XT envelope carries; a body that is no envelope is left to the
    HTTP status check and to parse()."""
    if not isinstance(body, dict) or "rc" not in body:
        return
    if str(body["rc"]) == "0":
        return
    error_code = str(body.get("mc") or "").strip() or "UNKNOWN"
    table = ERRORS
    if error_code.startswith("GATEWAY_"):  # XT's gateway (risk control, overload): transient
        table = {**ERRORS, error_code: errors.Unavailable}
    raise errors.classify(error_code, _message(error_code, body.get("ma")), status=status, table=table, hints=HINTS)


def _message(error_code: str, ma: Any) -> str:
    """Our wording for a known code (XT's `ma` is usually empty); else XT's own text."""
    if error_code in DESCRIPTIONS:
        return DESCRIPTIONS[error_code]
    texts = [item for item in ma if isinstance(item, str)] if isinstance(ma, list) else []
    return errors.exchange_text(" ".join(texts)) or "XT answered with an error"


def parse_server_time(body: Any) -> int:
    """`{"rc": 0, "result": {"serverTime": ms}}`; a wrong shape raises, and http.py reports it."""
    return int(body["result"]["serverTime"])


def parse(bodies: list[Any]) -> Account:
    """Pure: one response per symbol, in request order → base and quote rows, summed summary."""
    rows: list[Balance] = []
    native: dict[str, Any] = {}
    net, loan = [], []
    for body in bodies:
        result = expect(expect(body, dict, "the response").get("result"), dict, "'result'")
        symbol = code(result.get("symbol"))
        for side in ("base", "quote"):
            entry = expect(result.get(side), dict, f"'result.{side}' of {symbol}")
            rows.append(balance_row(entry, ROW_FIELDS, asset=code(entry.get("currency")), market=symbol,
                                    where=f"{symbol} {side}."))
        net.append(amount(result.get("usdtNetAmount"), field_name=f"{symbol} usdtNetAmount"))
        loan.append(amount(result.get("usdtLoanAmount"), field_name=f"{symbol} usdtLoanAmount"))
        native[symbol] = nullify({key: value for key, value in result.items() if key not in ("base", "quote")})
    summary = Summary(equity=decimal_sum(net), loan=decimal_sum(loan), unit="USDT", native=native)
    return Account(summary=summary, balances=rows)


CHECK_SYMBOL = "BTC_USDT"


def check_path(profile: Any) -> str:
    """`profiles check`'s one authenticated request: the profile's first pair, else BTC_USDT."""
    symbol = profile.symbols[0] if profile.symbols else CHECK_SYMBOL
    return request_paths(profile, Selection(symbols=(symbol,)))[0]
