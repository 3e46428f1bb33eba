"""Plain data passed between the HTTP layer and the exchange modules.

The exchange modules never touch sockets: they take a :class:`SimRequest` and
return a :class:`SimResponse`. That keeps signature checks and body builders
pure functions that tests can call with an injected clock.

JSON bodies are written by :func:`to_json`, not :func:`json.dumps`, because the
simulator must be able to emit a JSON *number* with more digits than a float
holds (XT sends amounts as numbers): a :class:`~decimal.Decimal` is written
verbatim, so no digit is lost on the way to the client.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Mapping, Protocol
from urllib.parse import parse_qsl

JSON_TYPE = "application/json"


@dataclass(frozen=True)
class SimRequest:
    """One request as received: the raw request target and lower-cased headers."""

    method: str
    raw_path: str
    headers: Mapping[str, str]
    now_ms: int

    @property
    def query(self) -> str:
        """The raw (still encoded) query string, "" when there is none."""
        return self.raw_path.partition("?")[2]

    def params(self) -> dict[str, str]:
        """Decoded query parameters; the last value wins for a repeated name."""
        return dict(parse_qsl(self.query, keep_blank_values=True))


@dataclass
class SimResponse:
    """An answer to send: status, body bytes, extra headers, and the exchange code for the log."""

    status: int
    body: bytes
    code: str | None = None
    content_type: str = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    """The outcome of an authentication check.

    ``verified`` says only whether the signature matched (it can be True while
    the request is still refused, e.g. for a stale timestamp); ``error`` is the
    exchange's refusal, None when the request is accepted.
    """

    api_key: str | None
    verified: bool
    error: SimResponse | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def to_json(value: Any) -> str:
    """Serialise str/int/Decimal/bool/None/list/dict as compact JSON text.

    Decimals become JSON numbers with exactly their digits; floats are refused
    so that no amount is ever rounded by accident.
    """
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"not a JSON number: {value}")
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Mapping):
        items = (f"{to_json(str(k))}:{to_json(v)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(to_json(v) for v in value) + "]"
    raise TypeError(f"cannot serialise {type(value).__name__} to JSON")


def json_response(status: int, value: Any, code: str | None = None) -> SimResponse:
    """A JSON response whose body is ``to_json(value)``."""
    return SimResponse(status=status, body=to_json(value).encode(), code=code)


class Exchange(Protocol):
    """What the server needs from one simulated exchange."""

    name: str
    balance_path: str
    time_path: str

    def api_key(self, headers: Mapping[str, str]) -> str | None:
        """The api key a request claims, from its lower-case headers (for the log and fault scopes)."""

    def authenticate(self, req: SimRequest) -> Verdict:
        """Check the request's credentials as the exchange would."""

    def balance(self, req: SimRequest) -> SimResponse:
        """The balance answer for an authenticated request (may be a parameter error)."""

    def server_time(self, now_ms: int) -> SimResponse:
        """The public server-time answer."""

    # Optional: `other_paths` ({path: endpoint name}) and `other(endpoint, req)` for
    # authenticated endpoints besides the balance (OKX's account configuration).

    def error(self, code: str, message: str | None = None, status: int | None = None) -> SimResponse:
        """An error in the exchange's own format, for a given exchange code."""

    def refused(self) -> SimResponse:
        """The answer to credentials the exchange does not accept."""

    def status_error(self, status: int) -> SimResponse:
        """What the exchange sends with a bare HTTP error status (429, 5xx)."""

    def bad_shape(self) -> SimResponse:
        """Valid JSON of the wrong structure for the balance endpoint."""


def same(given: str, expected: str) -> bool:
    """Constant-time string comparison that also accepts non-ASCII header text."""
    return hmac.compare_digest(given.encode(), expected.encode())


def digits(text: str) -> int | None:
    """The integer an all-ASCII-digit string spells, None for anything else."""
    return int(text) if text.isascii() and text.isdigit() else None
