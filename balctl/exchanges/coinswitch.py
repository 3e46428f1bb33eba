"""CoinSwitch PRO futures wallet: `GET /trade/api/v2/futures/wallet_balance` (docs/exchanges.md, CoinSwitch PRO).

Signature: hex Ed25519 over "GET" + unquote_plus(path_with_query) + epoch (Unix ms as text),
made with the private key built from the profile's 32-byte seed (`api_secret`, 64 hex);
`api_key` is the matching public key in hex.

CoinSwitch has no error codes: errors are `{"message": "..."}` told apart by HTTP status.
The error's code is therefore the HTTP status as text (`[401]`, `[422]`, `[429]`), always.
A 401 means a bad key, a bad signature *or* an epoch more than 60 s off, so it is raised as
an uncertain `TimestampRejected`: the HTTP layer measures the server clock and turns it into
an `AuthError` when the clock is fine.

`cryptography` is imported inside the functions that sign or derive keys, so importing this
module (which the profile loader does for every CoinSwitch profile) stays cheap.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_plus

from balctl import errors
from balctl.exchanges import Selection
from balctl.model import Account, Balance, Summary, balance_row, code, expect, nullify

NAME = "coinswitch"
ACCOUNT = "futures"
DEFAULT_BASE_URL = "https://coinswitch.co"
BALANCE_PATH = "/trade/api/v2/futures/wallet_balance"
TIME_PATH = "/trade/api/v2/time"
PROFILE_KEYS: dict[str, bool] = {}
SEED = re.compile(r"[0-9a-fA-F]{64}")
EQUITY_ASSET = "USDT"
WALLET_FIELDS = {  # docs/exchanges.md, From answers to rows: unified field <- `base_asset_balances[].balances` field
    "total": "total_balance",
    "available": "total_available_balance",
    "frozen": "total_blocked_balance",
    "position_margin": "total_position_margin",
    "order_margin": "total_open_order_margin",
}
SYMBOL_FIELDS = {  # unified field <- `asset[]` field: the breakdown of the wallet's blocked balance
    "frozen": "blocked_balance",
    "position_margin": "position_margin",
    "order_margin": "open_order_margin",
}

CREDENTIALS_HINT = ("check api_key and api_secret in the profile, and the system clock "
                    "(CoinSwitch refuses an epoch more than 60 s off)")
RATE_HINT = "CoinSwitch allows 20 wallet-balance requests per 60 s per key"
HINTS = {"401": CREDENTIALS_HINT, "429": RATE_HINT}
ERRORS: dict[str, Callable[..., errors.BalctlError]] = {  # 429 and 5xx: errors.classify's default
    # 401 is a bad key, a bad signature or a stale epoch alike: the HTTP layer measures the
    # clock to tell them apart
    "401": functools.partial(errors.TimestampRejected, certain=False),
    "403": errors.PermissionDenied,
    "422": errors.ExchangeError,
}


def validate_profile(profile: Any, where: errors.ProfileWhere) -> None:
    """The seed must be 64 hex and `api_key` its public key: a typo is caught before any
    request, where CoinSwitch could only answer an ambiguous 401. Never echoes either value."""
    if not SEED.fullmatch(profile.api_secret):
        raise where.error("key 'api_secret' must be the 64-hex-character Ed25519 seed", key="api_secret")
    if profile.api_key.lower() != public_key_hex(profile.api_secret):
        raise where.error(
            "key 'api_key' does not match api_secret (it must be the hex Ed25519 public key of that seed)",
            key="api_key",
            hint="check that api_key and api_secret are not swapped and come from the same CoinSwitch key",
        )


def _private_key(seed_hex: str) -> Any:
    """Built per call rather than cached, so no secret-bearing object outlives a request."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed_hex))


def public_key_hex(seed_hex: str) -> str:
    """What `api_key` must be for this seed (lower-case hex of the raw 32-byte public key)."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return _private_key(seed_hex).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def request_paths(profile: Any, selection: Selection) -> list[str]:
    """One request, no parameters: the endpoint returns the whole futures wallet."""
    return [BALANCE_PATH]


def signature(seed_hex: str, message: str) -> str:
    """Hex Ed25519 signature; Ed25519 is deterministic, so a vector pins it exactly."""
    return _private_key(seed_hex).sign(message.encode()).hex()


def sign(profile: Any, path_with_query: str, timestamp_ms: int) -> dict[str, str]:
    """Pure: the X-AUTH-* headers; the signed path is URL-decoded, as CoinSwitch verifies it."""
    epoch = str(timestamp_ms)
    return {
        "X-AUTH-APIKEY": profile.api_key,
        "X-AUTH-SIGNATURE": signature(profile.api_secret, f"GET{unquote_plus(path_with_query)}{epoch}"),
        "X-AUTH-EPOCH": epoch,
        "Content-Type": "application/json",
    }


def check(status: int, body: Any) -> None:
    """Classify an error answer by its HTTP status (CoinSwitch has no error codes: the
    status is the code); a 2xx/3xx is left to parse()."""
    if status < 400:
        return
    message = errors.exchange_text(body.get("message") if isinstance(body, dict) else None) or f"HTTP {status}"
    raise errors.classify(str(status), message, status=status, table=ERRORS, hints=HINTS)


def parse_server_time(body: Any) -> int:
    """`{"serverTime": ms}`; a wrong shape raises, and http.py reports it."""
    return int(body["serverTime"])


def parse(bodies: list[Any]) -> Account:
    """Pure: wallet rows (one per settlement asset) as the balances, per-symbol rows as the
    breakdown. A wallet row already includes every symbol's blocked balance and margins, so
    the symbol rows are kept out of the balances: summing a column over them would count
    each margin twice. `base_asset_balances` is required (without it there is no balance
    to report); `asset` may be absent when nothing is locked."""
    (body,) = bodies
    data = expect(expect(body, dict, "the response").get("data"), dict, "'data'")
    wallets = expect(data.get("base_asset_balances"), list, "'data.base_asset_balances'")
    symbols = expect(data.get("asset", []), list, "'data.asset'")
    rows = [_wallet_row(expect(entry, dict, "a 'base_asset_balances' entry")) for entry in wallets]
    breakdown = [_symbol_row(expect(entry, dict, "an 'asset' entry")) for entry in symbols]
    equity = next((row.total for row in rows if row.asset == EQUITY_ASSET), None)
    summary = Summary(equity=equity, loan=None, unit=EQUITY_ASSET, native=nullify(wallets))
    return Account(summary=summary, balances=rows, breakdown=breakdown)


def _wallet_row(entry: dict[str, Any]) -> Balance:
    balances = expect(entry.get("balances"), dict, "'balances' of a 'base_asset_balances' entry")
    return balance_row(balances, WALLET_FIELDS, asset=code(entry.get("base_asset")), native=entry,
                       where="balances.")


def _symbol_row(entry: dict[str, Any]) -> Balance:
    return balance_row(entry, SYMBOL_FIELDS, asset=code(entry.get("base_asset")),
                       market=code(entry.get("symbol")), where="asset.")
