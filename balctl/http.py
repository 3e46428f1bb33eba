"""Signed GET requests with timeouts, retries and clock-skew correction (docs/contract.md, Reliability and security).

The exchange module signs and classifies; this module decides what happens next:
transient failures are retried with backoff, a timestamp refusal measures the exchange's
clock and signs again once. Headers are never logged, so secrets never reach `-v` output.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from email.utils import parsedate_to_datetime
from types import ModuleType
from typing import Any

import requests

from balctl.errors import (
    AuthError,
    BadResponse,
    NetworkError,
    RateLimited,
    TimestampRejected,
    Unavailable,
    status_error_class,
)
from balctl.urls import without_userinfo

log = logging.getLogger("balctl")

CONNECT_TIMEOUT = 5.0
MAX_ATTEMPTS = 3
BACKOFF_BASE = 0.5
RETRY_AFTER_CAP = 10.0
SKEW_WORTH_CORRECTING_MS = 1000
"""Below this measured offset a CoinSwitch 401 cannot be a clock problem: don't retry it."""


def backoff_delay(attempt: int, retry_after: float | None, rand: Callable[[], float]) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based).

    Exponential from 0.5 s (0.5, 1, 2, ...) stretched by up to 50 % jitter so that many cron
    jobs hitting one rate limit do not retry in lockstep; a server's `Retry-After` wins,
    capped at 10 s so a hostile or confused server cannot park us for an hour.
    """
    if retry_after is not None:
        return min(max(retry_after, 0.0), RETRY_AFTER_CAP)
    base = BACKOFF_BASE * 2 ** (attempt - 1)
    return base * (1 + 0.5 * rand())


def parse_retry_after(value: str | None) -> float | None:
    """`Retry-After` as seconds: a number, or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    if value.strip().isdigit():  # RFC 9110: delay-seconds is a whole number
        return int(value.strip())
    try:
        return parsedate_to_datetime(value).timestamp() - time.time()
    except (TypeError, ValueError):
        return None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def decode_json(content: bytes) -> Any:
    """JSON with every non-integer number as `Decimal`: XT sends amounts as JSON numbers."""
    return json.loads(content.decode("utf-8"), parse_float=Decimal, parse_constant=_reject_constant)


class Transport:
    """One HTTP session shared by every account of a run; safe to use from worker threads."""

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        sleep: Callable[[float], None] | None = None,
        clock_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
        rand: Callable[[], float] = random.random,
        session: requests.Session | None = None,
    ) -> None:
        self.timeout = timeout
        self._sleep = sleep or time.sleep  # looked up now, so tests can patch time.sleep
        self._clock_ms = clock_ms
        self._rand = rand
        self._session = session or _new_session()
        self._offsets: dict[str, int] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        self._session.close()

    def get_json(self, exchange: ModuleType, profile: Any, path: str) -> tuple[int, Any]:
        """GET `path` from the profile's exchange, signed, retried, decoded and checked.

        Returns the HTTP status and the decoded body (numbers as `Decimal`).
        """
        corrected = False
        attempt = 1
        while True:
            try:
                return self._attempt(exchange, profile, path)
            except TimestampRejected as exc:
                if corrected:
                    raise
                self._correct_clock(exchange, profile, exc)
                corrected = True
            except NetworkError as exc:
                if attempt >= MAX_ATTEMPTS:
                    raise
                delay = backoff_delay(attempt, exc.retry_after, self._rand)
                log.info("%s: retrying in %.1f s (attempt %d of %d) after: %s",
                         _who(exchange, profile), delay, attempt + 1, MAX_ATTEMPTS, exc.line())
                self._sleep(delay)
                attempt += 1

    def _attempt(self, exchange: ModuleType, profile: Any, path: str) -> tuple[int, Any]:
        timestamp = self._clock_ms() + self._offsets.get(profile.base_url, 0)
        headers = exchange.sign(profile, path, timestamp)
        status, body, response_headers = self._send(profile.base_url + path, headers, _who(exchange, profile))
        try:
            exchange.check(status, body)
        except NetworkError as exc:  # a 503 may say when to come back, not only a 429
            if exc.retry_after is not None:
                raise
            raise exc.evolve(retry_after=parse_retry_after(response_headers.get("Retry-After"))) from None
        _check_status(status, response_headers)
        return status, body

    def _send(self, url: str, headers: dict[str, str], who: str) -> tuple[int, Any, Any]:
        """One request; returns (status, decoded JSON, headers) or raises a classified error."""
        started = time.perf_counter()
        shown = without_userinfo(url)  # -v never logs a proxy password, however short
        try:
            # The URL goes out as built: requests leaves `,` and `_` alone in a ready-made
            # query, whereas `params=` would re-encode it and break the signature.
            # No redirects: requests would forward the signature, key and passphrase headers
            # to whatever host (or plain-http URL) a Location names.
            response = self._session.get(url, headers=headers, allow_redirects=False,
                                         timeout=(CONNECT_TIMEOUT, self.timeout))
            content = response.content
        except requests.ConnectTimeout:
            log.info("%s: GET %s -> connect timeout after %.0f ms", who, shown, _elapsed_ms(started))
            raise NetworkError(f"cannot connect to {_host(url)}: no answer within {CONNECT_TIMEOUT:g} s") from None
        except requests.Timeout:
            log.info("%s: GET %s -> timeout after %.0f ms", who, shown, _elapsed_ms(started))
            raise NetworkError(f"no answer within {self.timeout:g} s") from None
        except requests.RequestException as exc:
            log.info("%s: GET %s -> %s", who, shown, type(exc).__name__)
            raise NetworkError(f"cannot connect to {_host(url)}: {_reason(exc)}") from None
        status = response.status_code
        log.info("%s: GET %s -> %d (%.0f ms)", who, shown, status, _elapsed_ms(started))
        if response.is_redirect:
            raise BadResponse(f"HTTP {status}: redirected to {_host(response.headers.get('Location', '?'))}; "
                              "not followed (check base_url)", status=status)
        try:
            body = decode_json(content)
        except (UnicodeDecodeError, ValueError, RecursionError):
            if status == 429 or status >= 500 or status in (401, 403):
                _check_status(status, response.headers)  # the status says more than the body
            raise BadResponse(f"HTTP {status}: {_describe_non_json(content)}", status=status) from None
        return status, body, response.headers

    def clock_offset_ms(self, exchange: ModuleType, profile: Any) -> int:
        """The exchange's clock minus ours, in ms, from its public time endpoint (one request,
        not retried): its answer is taken to be from the middle of the round trip."""
        before = self._clock_ms()
        status, body, headers = self._send(profile.base_url + exchange.TIME_PATH, {}, _who(exchange, profile))
        after = self._clock_ms()
        _check_status(status, headers)
        try:
            server_ms = exchange.parse_server_time(body)
        except (KeyError, IndexError, TypeError, ValueError):
            raise BadResponse(f"HTTP {status}: unexpected server-time response", status=status) from None
        return server_ms - (before + after) // 2

    def remember_offset(self, profile: Any, offset_ms: int) -> None:
        """Sign this host's later requests with the exchange's time (`profiles check` measured it)."""
        with self._lock:
            self._offsets[profile.base_url] = offset_ms

    def _correct_clock(self, exchange: ModuleType, profile: Any, refusal: TimestampRejected) -> None:
        """Measure the exchange's clock against ours and keep the offset for this host."""
        offset = self.clock_offset_ms(exchange, profile)
        if not refusal.certain and abs(offset) < SKEW_WORTH_CORRECTING_MS:
            raise AuthError(refusal.message, code=refusal.code, hint=refusal.hint, status=refusal.status)
        with self._lock:
            self._offsets[profile.base_url] = offset
        log.info("%s: %s clock is %+d ms from ours; signing again with the corrected time",
                 _who(exchange, profile), exchange.NAME, offset)


STATUS_MESSAGES = {RateLimited: "rate limited", Unavailable: "exchange unavailable",
                   AuthError: "credentials refused"}


def _check_status(status: int, headers: Any) -> None:
    """HTTP-level classification for answers the exchange module did not claim."""
    kind = status_error_class(status) or (BadResponse if status >= 400 else None)
    if kind is None:
        return
    message = f"HTTP {status}: {STATUS_MESSAGES.get(kind, 'unexpected error answer')}"
    if issubclass(kind, NetworkError):
        raise kind(message, status=status, retry_after=parse_retry_after(headers.get("Retry-After")))
    raise kind(message, status=status)


def _new_session() -> requests.Session:
    session = requests.Session()
    # `balctl all` runs up to 16 accounts at once, often against one host.
    adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=16, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = "balctl"
    return session


def _who(exchange: ModuleType, profile: Any) -> str:
    return f"{exchange.NAME} ({profile.name})"


def _describe_non_json(content: bytes) -> str:
    text = content.lstrip()[:200].lower()
    if not text:
        return "empty body instead of JSON"
    if text.startswith(b"<"):
        return "HTML page instead of JSON"
    if text.startswith((b"{", b"[")):
        return "truncated or malformed JSON"
    return "not JSON"


def _elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _host(url: str) -> str:
    """The host (and port) of a URL as urllib3 reads it (so as requests connects), without
    any `user:password@`; a URL that does not parse (a hostile Location) is said to be so."""
    from urllib3.util import parse_url

    try:
        parts = parse_url(url)
    except ValueError:  # LocationParseError and friends
        return "an unparsable URL"
    if not parts.host:
        return "a URL without a host"
    return parts.host + (f":{parts.port}" if parts.port is not None else "")


def _reason(exc: requests.RequestException) -> str:
    """A short cause without the library's long repr chains."""
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "timed out",
                   "Temporary failure in name resolution", "CERTIFICATE_VERIFY_FAILED"):
        if marker in text:
            return marker.lower()
    return type(exc).__name__
