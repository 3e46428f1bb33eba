"""Fault switches: make the simulator misbehave on purpose.

A :class:`Fault` is registered with a scope (every exchange, one exchange, or
one api key) and fires for the next ``times`` matching requests, or for every
one when ``times`` is None. Faults target the balance endpoint unless
``endpoint`` says otherwise ("time", OKX's "config", or "any"), so that a counted fault is not used up by the
client's server-time look-ups.

Kinds (the fields each one reads are in brackets):

``latency`` [seconds]
    Wait before answering, then answer normally (or as the next fault says).
    Every matching latency fault fires; their waits add up.
``status`` [status=503, retry_after]
    A bare HTTP error with the exchange's usual body for it (OKX 429 carries
    code 50011, OKX 5xx code 50001, XT ``rc=1``, CoinSwitch ``{"message"}``).
``html`` [status=502]
    A gateway's HTML error page (set status=200 for a captive-portal style page).
``broken_json`` [status=200]
    The normal body with a trailing comma inserted: looks like JSON, is not.
``truncated`` [status=200]
    The first half of the normal body, with a Content-Length that matches it.
``bad_shape`` [status=200, body]
    Valid JSON of the wrong structure (``body`` overrides the exchange default).
``refuse`` [status]
    The exchange's answer to an unknown api key (OKX 50111, XT AUTH_101,
    CoinSwitch 401).
``error_code`` [code, message, status]
    The exchange's error envelope with this code: an OKX ``code``, an XT ``mc``,
    or for CoinSwitch the ``message`` text. Without ``status`` the exchange's
    usual HTTP status for that code is used (OKX 50011 → 429, 50001 → 503, ...).
``hang`` [seconds=None]
    Never answer: hold the connection until ``seconds`` pass or the simulator
    stops, then drop it. ``stop()`` stays prompt.

``retry_after`` adds a ``Retry-After`` header to any kind that answers. Of the
answering kinds only the first matching fault (in the order added) fires.
A skewed server clock is not a fault: set ``Simulator.clock_skew``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from http import HTTPStatus

from balctl import exchanges as registry

from .wire import Exchange, SimResponse

KINDS = frozenset(
    {"latency", "status", "html", "broken_json", "truncated", "bad_shape", "refuse", "error_code", "hang"}
)
ENDPOINTS = frozenset({"balance", "time", "config", "any"})
EXCHANGES = frozenset(registry.EXCHANGES)

_DEFAULT_STATUS = {"status": 503, "html": 502, "broken_json": 200, "truncated": 200, "bad_shape": 200}


@dataclass(eq=False)
class Fault:
    """One misbehaviour; see the module docstring for the kinds and their fields.

    ``hits`` counts how often it fired; with ``times`` set it stops firing once
    ``hits == times`` and the simulator is healthy again.
    """

    kind: str
    seconds: float | None = None
    status: int | None = None
    retry_after: int | str | None = None
    code: str | None = None
    message: str | None = None
    body: str | None = None
    times: int | None = None
    endpoint: str = "balance"
    hits: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {sorted(KINDS)}")
        if self.endpoint not in ENDPOINTS:
            raise ValueError(f"endpoint must be one of {sorted(ENDPOINTS)}, not {self.endpoint!r}")
        if self.times is not None and self.times < 1:
            raise ValueError("times must be None (permanent) or at least 1")
        if self.kind == "latency" and self.seconds is None:
            raise ValueError("a latency fault needs seconds=")
        if self.seconds is not None and self.seconds < 0:
            raise ValueError("seconds must not be negative")
        if self.kind == "error_code" and not self.code:
            raise ValueError("an error_code fault needs code=")
        if self.status is None:
            self.status = _DEFAULT_STATUS.get(self.kind)

    @property
    def exhausted(self) -> bool:
        """True once a counted fault has fired ``times`` times."""
        return self.times is not None and self.hits >= self.times

    @property
    def answers(self) -> bool:
        """Whether this kind replaces the answer (all but latency)."""
        return self.kind != "latency"


@dataclass(frozen=True)
class _Entry:
    fault: Fault
    exchange: str | None
    api_key: str | None

    def matches(self, exchange: str, api_key: str | None, endpoint: str) -> bool:
        return (
            (self.exchange is None or self.exchange == exchange)
            and (self.api_key is None or self.api_key == api_key)
            and self.fault.endpoint in ("any", endpoint)
            and not self.fault.exhausted
        )


class FaultBoard:
    """The registered faults; thread-safe, since every request runs on its own thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[_Entry] = []

    def add(self, fault: Fault, exchange: str | None = None, api_key: str | None = None) -> Fault:
        if exchange is not None and exchange not in EXCHANGES:
            raise ValueError(f"exchange must be one of {sorted(EXCHANGES)} or None, not {exchange!r}")
        with self._lock:
            self._entries.append(_Entry(fault, exchange, api_key))
        return fault

    def remove(self, fault: Fault) -> None:
        with self._lock:
            self._entries = [e for e in self._entries if e.fault is not fault]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def take(self, exchange: str, api_key: str | None, endpoint: str) -> list[Fault]:
        """Fire the faults that apply to one request and count them as used.

        Returns every matching latency fault and at most one answering fault,
        in the order they were added. Counting happens here, atomically, so
        that concurrent requests never share one "next request".
        """
        fired: list[Fault] = []
        answered = False
        with self._lock:
            for entry in self._entries:
                if not entry.matches(exchange, api_key, endpoint):
                    continue
                if entry.fault.answers:
                    if answered:
                        continue
                    answered = True
                entry.fault.hits += 1
                fired.append(entry.fault)
        return fired


def answer(fault: Fault, exchange: Exchange, normal: SimResponse) -> SimResponse:
    """The response an answering fault sends instead of ``normal``."""
    response = _ANSWERS[fault.kind](fault, exchange, normal)
    if fault.retry_after is not None:
        response.headers["Retry-After"] = str(fault.retry_after)
    return response


def _status(fault: Fault, exchange: Exchange, normal: SimResponse) -> SimResponse:
    return exchange.status_error(fault.status or 503)


def _html(fault: Fault, exchange: Exchange, normal: SimResponse) -> SimResponse:
    status = fault.status or 502
    phrase = _phrase(status)
    page = (
        "<!DOCTYPE html>\n<html><head><title>{s} {p}</title></head>\n"
        "<body><center><h1>{s} {p}</h1></center><hr><center>nginx</center></body></html>\n"
    ).format(s=status, p=phrase)
    return SimResponse(status=status, body=page.encode(), content_type="text/html; charset=utf-8")


def _broken_json(fault: Fault, exchange: Exchange, normal: SimResponse) -> SimResponse:
    """A trailing comma before the last bracket, the classic hand-edited-JSON mistake."""
    body = normal.body[:-1] + b"," + normal.body[-1:] if normal.body else b"{"
    return SimResponse(status=fault.status or 200, body=body)


def _truncated(fault: Fault, exchange: Exchange, normal: SimResponse) -> SimResponse:
    body = normal.body[: max(1, len(normal.body) // 2)]
    return SimResponse(status=fault.status or 200, body=body)


def _bad_shape(fault: Fault, exchange: Exchange, normal: SimResponse) -> SimResponse:
    if fault.body is not None:
        return SimResponse(status=fault.status or 200, body=fault.body.encode())
    return replace(exchange.bad_shape(), status=fault.status or 200)


def _refuse(fault: Fault, exchange: Exchange, normal: SimResponse) -> SimResponse:
    response = exchange.refused()
    return replace(response, status=fault.status) if fault.status else response


def _error_code(fault: Fault, exchange: Exchange, normal: SimResponse) -> SimResponse:
    return exchange.error(fault.code or "", fault.message, fault.status)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


_ANSWERS = {
    "status": _status,
    "html": _html,
    "broken_json": _broken_json,
    "truncated": _truncated,
    "bad_shape": _bad_shape,
    "refuse": _refuse,
    "error_code": _error_code,
}
