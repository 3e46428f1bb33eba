"""Signed GET requests with timeouts, retries and clock-skew correction (docs/contract.md, Reliability and security).

The exchange module signs and classifies; this module decides what happens next:
transient failures are retried with backoff, a timestamp refusal measures the exchange's
clock and signs again once. Headers are never logged, so secrets never reach `-v` output.
"""

from __future__ import annotations

import json
import logging
import random
import re
import socket
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from email.utils import parsedate_to_datetime
from types import ModuleType
from typing import Any

from balctl import numeric
from balctl.deferred import defer_charset_detection
from balctl.errors import (
    AuthError,
    BadResponse,
    NetworkError,
    RateLimited,
    TimestampRejected,
    Unavailable,
    UsageError,
    status_error_class,
)
from balctl.urls import without_userinfo

defer_charset_detection()  # before requests is imported, which would import the detector at once
import requests  # noqa: E402  (after the line above, on purpose)

log = logging.getLogger("balctl")

CONNECT_TIMEOUT = 5.0
MAX_ATTEMPTS = 3
BACKOFF_BASE = 0.5
RETRY_AFTER_CAP = 10.0
SERVER_TIME_RANGE_MS = (946_684_800_000, 4_102_444_800_000)
"""Unix ms of 2000-01-01 and 2100-01-01: a server time outside is no clock to sign with."""
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
    """`Retry-After` as seconds: a number, or an HTTP date; None when absent or unreadable
    (non-ASCII digits, a thousand digits, a date past year 9999 are all just unreadable)."""
    if not value:
        return None
    text = value.strip()
    if RETRY_SECONDS.fullmatch(text):  # RFC 9110: delay-seconds is a whole number
        return int(text)
    if text.isascii() and text[:1].isdigit():
        return None  # a number too long to mean anything, or not a whole number
    try:
        return parsedate_to_datetime(text).timestamp() - time.time()
    except (TypeError, ValueError, OverflowError, IndexError, AttributeError):
        return None


RETRY_SECONDS = re.compile(r"[0-9]{1,9}")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object; a key written twice makes the answer malformed (which value did the
    exchange mean?), not silently the last one."""
    document = dict(pairs)
    if len(document) != len(pairs):
        raise ValueError("a key appears twice in one object")
    return document


MAX_DEPTH = 32
"""Nesting levels of an answer: balance answers have about 5. Deeper is refused at once, so
nothing downstream (native fields, --raw, JSON output) recurses into a hostile depth."""


def decode_json(content: bytes) -> Any:
    """JSON with every non-integer number as `Decimal` (XT sends amounts as JSON numbers);
    ValueError for duplicate keys or nesting deeper than MAX_DEPTH, RecursionError for a
    depth that the decoder itself cannot take."""
    document = json.loads(content.decode("utf-8"), parse_float=Decimal, parse_constant=_reject_constant,
                          object_pairs_hook=_unique_keys)
    _check_depth(document)
    return document


def _check_depth(document: Any) -> None:
    """Iterative, so that checking a deep document cannot itself recurse too deep."""
    level: list[Any] = [document]
    for _ in range(MAX_DEPTH):
        level = [child for node in level
                 for child in (node.values() if isinstance(node, dict) else node if isinstance(node, list) else ())
                 if isinstance(child, (dict, list))]
        if not level:
            return
    raise ValueError(f"nested deeper than {MAX_DEPTH} levels")


MIN_TIMEOUT = 0.1
MAX_TIMEOUT = 600.0
"""Seconds: no exchange takes ten minutes to answer; `1e10` or `inf` is a typo."""


def check_timeout(value: str | float, *, option: str = "--timeout") -> float:
    """The per-request timeout as typed (--timeout, BALCTL_TIMEOUT) or given: UsageError for
    non-ASCII digits, nan, inf, or anything outside MIN_TIMEOUT..MAX_TIMEOUT (balctl.numeric)."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise UsageError(f"{option} {value!r}: not a number of seconds")
    return numeric.seconds(value, option=option, low=MIN_TIMEOUT, high=MAX_TIMEOUT, noun="the timeout")


def worst_case_seconds(timeout: float) -> float:
    """How long one account's request chain can take: MAX_ATTEMPTS attempts, plus one refused
    timestamp and the server-time request that corrects it, each bounded by `timeout`, plus
    the waits between attempts (each at most RETRY_AFTER_CAP). README: Timeouts."""
    return (MAX_ATTEMPTS + 2) * timeout + (MAX_ATTEMPTS - 1) * RETRY_AFTER_CAP


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
        self.timeout = check_timeout(timeout)
        self._sleep = sleep or time.sleep  # looked up now, so tests can patch time.sleep
        self._clock_ms = clock_ms
        self._rand = rand
        self._session = session or _new_session()
        self._offsets: dict[str, int] = {}
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._in_flight: dict[int, dict[str, Any]] = {}

    def close(self) -> None:
        """End the run: requests still in flight (accounts past the run's deadline) are cut
        off, and no new request or retry is sent from a thread that outlived the run."""
        self._closed.set()
        with self._lock:
            in_flight = list(self._in_flight.values())
        for outcome in in_flight:
            _abort(outcome)
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
                if attempt >= MAX_ATTEMPTS or self._closed.is_set():
                    raise
                delay = backoff_delay(attempt, exc.retry_after, self._rand)
                log.info("%s: retrying in %.1f s (attempt %d of %d) after: %s",
                         _who(exchange, profile), delay, attempt + 1, MAX_ATTEMPTS, exc.line())
                self._sleep(delay)
                attempt += 1

    def _attempt(self, exchange: ModuleType, profile: Any, path: str) -> tuple[int, Any]:
        timestamp = self._clock_ms() + self._offsets.get(profile.base_url, 0)
        headers = exchange.sign(profile, path, timestamp)
        status, body, response_headers = self._send(profile.base_url, path, headers, _who(exchange, profile))
        try:
            exchange.check(status, body)
        except NetworkError as exc:  # a 503 may say when to come back, not only a 429
            if exc.retry_after is not None:
                raise
            raise exc.evolve(retry_after=parse_retry_after(response_headers.get("Retry-After"))) from None
        _check_status(status, response_headers)
        return status, body

    def _send(self, base_url: str, path: str, headers: dict[str, str], who: str) -> tuple[int, Any, Any]:
        """One request, bounded as a whole by `timeout` seconds of wall-clock time;
        returns (status, decoded JSON, headers) or raises a classified error.

        The socket timeouts alone bound only the gap between two bytes: a server that sends
        one byte a second, or an endless chunked body, would keep a read alive for hours.
        So the request runs on a daemon thread and this thread waits `timeout` for it; past
        that the request is abandoned (its socket shut down, so the thread ends soon).
        """
        if self._closed.is_set():
            raise NetworkError("the run ended before this request was sent")
        url = base_url + path
        started = time.perf_counter()
        shown = without_userinfo(url)  # -v never logs a proxy password, however short
        outcome: dict[str, Any] = {}
        done = threading.Event()
        abandoned = threading.Event()

        def work() -> None:
            _worker.outcome = outcome
            try:
                outcome["value"] = self._receive(url, headers, outcome, abandoned, base_url)
            except BaseException as exc:  # noqa: BLE001  handed to the waiting thread
                outcome["error"] = exc
            finally:
                done.set()

        with self._lock:
            self._in_flight[id(outcome)] = outcome
        try:
            threading.Thread(target=work, daemon=True, name="balctl-request").start()
            finished = done.wait(self.timeout)
        finally:
            with self._lock:
                self._in_flight.pop(id(outcome), None)
        if not finished:
            abandoned.set()
            _abort(outcome)
            log.info("%s: GET %s -> no complete answer after %.0f ms", who, shown, _elapsed_ms(started))
            raise NetworkError(f"no answer within {self.timeout:g} s")
        if "error" in outcome:
            error = outcome["error"]
            log.info("%s: GET %s -> %s after %.0f ms", who, shown,
                     getattr(error, "log_text", type(error).__name__), _elapsed_ms(started))
            raise error
        status, content, response_headers = outcome["value"]
        log.info("%s: GET %s -> %d (%.0f ms)", who, shown, status, _elapsed_ms(started))
        if status in REDIRECTS and "Location" in response_headers:
            raise BadResponse(f"HTTP {status}: redirected to {_host(response_headers.get('Location', '?'))}; "
                              "not followed (check base_url)", status=status)
        try:
            body = decode_json(content)
        except (UnicodeDecodeError, ValueError, RecursionError):
            if status == 429 or status >= 500 or status in (401, 403):
                _check_status(status, response_headers)  # the status says more than the body
            raise BadResponse(f"HTTP {status}: {_describe_non_json(content)}", status=status) from None
        return status, body, response_headers

    def _receive(self, url: str, headers: dict[str, str], outcome: dict[str, Any],
                 abandoned: threading.Event, base_url: str) -> tuple[int, bytes, Any]:
        """The request itself (on the worker thread): status, body bytes (decoded from
        gzip/deflate, at most MAX_BODY_BYTES) and headers."""
        try:
            # The URL goes out as built: requests leaves `,` and `_` alone in a ready-made
            # query, whereas `params=` would re-encode it and break the signature.
            # No redirects: requests would forward the signature, key and passphrase headers
            # to whatever host (or plain-http URL) a Location names.
            response = self._session.get(url, headers=headers, allow_redirects=False, stream=True,
                                         timeout=(min(CONNECT_TIMEOUT, self.timeout), self.timeout),
                                         hooks={"response": lambda answer, *args, **kw: _keep(outcome, answer)})
        except Exception as exc:
            # Even when not following a redirect, requests parses its Location (for
            # `response.next`), and a hostile one raises anything from ValueError to
            # InvalidURL: the answer itself has arrived, and is what counts.
            if "response" not in outcome:
                error = self._network_error(url, exc, base_url)
                if error is None:
                    raise
                raise error from None
            response = outcome["response"]
        outcome["response"] = response
        try:
            status = response.status_code
            if status in REDIRECTS:
                return status, b"", response.headers  # never followed: the body does not matter
            return status, _read_body(response, status, abandoned, self.timeout), response.headers
        finally:
            response.close()

    def _network_error(self, url: str, exc: Exception, base_url: str) -> NetworkError | None:
        """The classified error for a request that got no answer; None if `exc` is not a
        network problem (a bug: the caller re-raises it)."""
        if isinstance(exc, requests.ConnectTimeout):
            connect = min(CONNECT_TIMEOUT, self.timeout)
            return _logged(NetworkError(f"cannot connect to {_host(url)}: no answer within {connect:g} s",
                                        hint=unreachable_hint(base_url)), "connect timeout")
        if isinstance(exc, requests.Timeout):
            return _logged(NetworkError(f"no answer within {self.timeout:g} s"), "timeout")
        if isinstance(exc, requests.RequestException):
            return _logged(NetworkError(f"cannot connect to {_host(url)}: {_reason(exc)}",
                                        hint=unreachable_hint(base_url)), type(exc).__name__)
        return None

    def clock_offset_ms(self, exchange: ModuleType, profile: Any) -> int:
        """The exchange's clock minus ours, in ms, from its public time endpoint (one request,
        not retried): its answer is taken to be from the middle of the round trip."""
        before = self._clock_ms()
        status, body, headers = self._send(profile.base_url, exchange.TIME_PATH, {}, _who(exchange, profile))
        after = self._clock_ms()
        _check_status(status, headers)
        try:
            server_ms = exchange.parse_server_time(body)
        except (KeyError, IndexError, TypeError, ValueError, OverflowError, ArithmeticError):
            raise BadResponse(f"HTTP {status}: unexpected server-time response", status=status) from None
        if not isinstance(server_ms, int) or not SERVER_TIME_RANGE_MS[0] <= server_ms < SERVER_TIME_RANGE_MS[1]:
            # a year-10000 (or negative) timestamp would not even format into a signature
            raise BadResponse(f"HTTP {status}: server time out of range (not between 2000 and 2100); not used",
                              status=status)
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


REDIRECTS = (301, 302, 303, 307, 308)
MAX_BODY_BYTES = 2 * 1024 * 1024
"""A balance answer is kilobytes (OKX with every currency: ~200 kB); more is not one, and
decoded into Python objects it would cost many times its size in memory."""
READ_CHUNK = 64 * 1024


def _read_body(response: requests.Response, status: int, abandoned: threading.Event, timeout: float) -> bytes:
    """The body, decoded (gzip, deflate), refused past MAX_BODY_BYTES before it is all read:
    a 1 MB gzip bomb stops at 2 MB of output, not 2 GB. urllib3 (>= 2.6) decodes chunk by
    chunk, so no single read expands a bomb in memory."""
    declared = response.headers.get("Content-Length", "")
    if declared.isascii() and declared.isdigit() and len(declared) < 20 and int(declared) > MAX_BODY_BYTES:
        raise _too_large(status)
    chunks: list[bytes] = []
    total = 0
    try:
        for chunk in response.iter_content(READ_CHUNK):
            if abandoned.is_set():  # nobody waits for this answer any more
                raise NetworkError("abandoned")
            total += len(chunk)
            if total > MAX_BODY_BYTES:
                raise _too_large(status)
            chunks.append(chunk)
    except requests.exceptions.ContentDecodingError:
        raise _logged(BadResponse(f"HTTP {status}: body does not decode as its Content-Encoding says",
                                  status=status), "bad content encoding") from None
    except (requests.RequestException, OSError) as exc:  # read timeout, connection reset mid-body
        text = str(exc)
        if "timed out" in text.lower():
            raise _logged(NetworkError(f"no answer within {timeout:g} s"), "timeout") from None
        raise _logged(NetworkError(f"HTTP {status}: the answer broke off ({_reason(exc)})"),
                      type(exc).__name__) from None
    return b"".join(chunks)


def _keep(outcome: dict[str, Any], response: requests.Response) -> requests.Response:
    outcome["response"] = response
    return response


def _too_large(status: int) -> BadResponse:
    return _logged(BadResponse(f"HTTP {status}: answer larger than {MAX_BODY_BYTES // (1024 * 1024)} MB; "
                               "not a balance answer, not read further", status=status), "too large")


def _logged(error: Any, text: str) -> Any:
    """What -v says about a failed request (never the message, which may quote the server)."""
    error.log_text = text
    return error


def _abort(outcome: dict[str, Any]) -> None:
    """Wake a worker blocked on an abandoned request's socket: shutdown, not close, is what
    interrupts a recv() in progress on another thread. The socket is the one the connection
    reported (_tracked_pools), else the one under the response's body."""
    raw = getattr(outcome.get("response"), "raw", None)
    candidates = (
        outcome.get("socket"),
        getattr(getattr(raw, "_connection", None), "sock", None),
        getattr(getattr(getattr(getattr(raw, "_fp", None), "fp", None), "raw", None), "_sock", None),
    )
    for sock in candidates:
        if isinstance(sock, socket.socket):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return


_worker = threading.local()
"""On a request's worker thread: `outcome`, the dict its waiting thread reads."""


def _tracked_pools() -> dict[str, type]:
    """urllib3 pools whose connections tell the worker thread their socket as soon as the
    request is sent, so that an abandoned request can be interrupted while it still waits
    for the status line and headers (before any response object exists)."""
    import urllib3

    def tracked(base: type) -> type:
        class Tracked(base):  # type: ignore[misc, valid-type]
            def request(self, *args: Any, **kwargs: Any) -> Any:
                try:
                    return super().request(*args, **kwargs)
                finally:
                    outcome = getattr(_worker, "outcome", None)
                    if outcome is not None and self.sock is not None:
                        outcome["socket"] = self.sock
        return Tracked

    class Pool(urllib3.HTTPConnectionPool):
        ConnectionCls = tracked(urllib3.connection.HTTPConnection)

    class SecurePool(urllib3.HTTPSConnectionPool):
        ConnectionCls = tracked(urllib3.connection.HTTPSConnection)

    return {"http": Pool, "https": SecurePool}


def _new_session() -> requests.Session:
    session = requests.Session()
    # `balctl all` runs up to 16 accounts at once, often against one host.
    adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=16, max_retries=0)
    adapter.poolmanager.pool_classes_by_scheme = _tracked_pools()
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


def unreachable_hint(base_url: str) -> str:
    """Where balctl tried to connect, so that a typo in base_url (or a test URL left in the
    profile) shows; the URL's `user:password@`, if any, masked."""
    return f"is the exchange reachable from this machine? the profile's base_url is {without_userinfo(base_url)}"


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
