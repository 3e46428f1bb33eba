"""Simulated CoinSwitch PRO: ``GET /trade/api/v2/futures/wallet_balance`` and ``GET /trade/api/v2/time``.

Authentication follows CoinSwitch's rules: ``X-AUTH-SIGNATURE`` is the hex
Ed25519 signature of ``METHOD + unquote_plus(path_with_query) + epoch`` made
with the private key whose public key (hex) is ``X-AUTH-APIKEY``; that key must
be registered, and ``X-AUTH-EPOCH`` (Unix ms) must be within 60 s of the
server clock. Every refusal is HTTP 401 ``{"message": "..."}``.

CoinSwitch has no error codes, so the request log records an error's
``message`` as its code (and None for a success).

``cryptography`` is imported inside the functions that need it, so importing
the simulator stays cheap for a client that never starts it.
"""

from __future__ import annotations

from typing import Any, Collection, Mapping
from urllib.parse import unquote_plus

from .wire import SimRequest, SimResponse, Verdict, digits, json_response

BALANCE_PATH = "/trade/api/v2/futures/wallet_balance"
TIME_PATH = "/trade/api/v2/time"
WINDOW_MS = 60_000


def public_key_hex(seed_hex: str) -> str:
    """The hex Ed25519 public key of a 32-byte seed given as 64 hex characters."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed_hex))
    return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def signed_message(method: str, raw_path: str, epoch: str) -> bytes:
    """What CoinSwitch signs: method, the URL-decoded path with query, and the epoch."""
    return f"{method.upper()}{unquote_plus(raw_path)}{epoch}".encode()


def verify(public_hex: str, signature_hex: str, message: bytes) -> bool:
    """Whether ``signature_hex`` is a valid Ed25519 signature of ``message`` by ``public_hex``."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex))
        key.verify(bytes.fromhex(signature_hex), message)
    except (ValueError, InvalidSignature):
        return False
    return True


def check(
    headers: Mapping[str, str], method: str, raw_path: str, now_ms: int, keys: Collection[str]
) -> Verdict:
    """Authenticate one request the way CoinSwitch does; ``keys`` are registered public keys (hex)."""
    api_key = headers.get("x-auth-apikey") or None
    signature = headers.get("x-auth-signature", "")
    epoch = headers.get("x-auth-epoch", "")
    registered = api_key is not None and api_key.lower() in {k.lower() for k in keys}
    verified = registered and bool(signature) and verify(
        api_key or "", signature, signed_message(method, raw_path, epoch)
    )

    def refuse(message: str) -> Verdict:
        return Verdict(api_key, verified, error(message, status=401))

    if not api_key:
        return refuse("Missing X-AUTH-APIKEY header")
    if not signature:
        return refuse("Missing X-AUTH-SIGNATURE header")
    sent_ms = digits(epoch)
    if sent_ms is None:
        return refuse("Missing or invalid X-AUTH-EPOCH header")
    if not registered:
        return refuse("Invalid API key")
    if abs(now_ms - sent_ms) > WINDOW_MS:
        return refuse("Request expired: X-AUTH-EPOCH is too far from server time")
    if not verified:
        return refuse("Invalid signature")
    return Verdict(api_key, True)


def error(code: str, message: str | None = None, status: int | None = None) -> SimResponse:
    """CoinSwitch's ``{"message": ...}`` error; ``code`` is the message when none is given."""
    text = message or code
    return json_response(status or 400, {"message": text}, text)


class CoinSwitch:
    """The CoinSwitch futures wallet endpoint over one sample wallet."""

    name = "coinswitch"
    balance_path = BALANCE_PATH
    time_path = TIME_PATH

    def __init__(self, keys: Collection[str], wallet: Mapping[str, Any]) -> None:
        self.keys = list(keys)
        self.wallet = wallet

    def api_key(self, headers: Mapping[str, str]) -> str | None:
        return headers.get("x-auth-apikey") or None

    def authenticate(self, req: SimRequest) -> Verdict:
        return check(req.headers, req.method, req.raw_path, req.now_ms, self.keys)

    def balance(self, req: SimRequest) -> SimResponse:
        return json_response(200, {"data": self.wallet})

    def server_time(self, now_ms: int) -> SimResponse:
        return json_response(200, {"serverTime": now_ms})

    def error(self, code: str, message: str | None = None, status: int | None = None) -> SimResponse:
        return error(code, message, status)

    def refused(self) -> SimResponse:
        return error("Invalid API key", status=401)

    def status_error(self, status: int) -> SimResponse:
        if status == 429:
            return error("Too many requests", status=429)
        return error("Service unavailable" if status >= 500 else "Request failed", status=status)

    def bad_shape(self) -> SimResponse:
        """``data`` as a list where CoinSwitch sends an object."""
        return json_response(200, {"data": []})
