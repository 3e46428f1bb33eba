"""`balctl serve`: a Prometheus exporter on /metrics (issue 13).

A scrape fetches every selected profile concurrently (as `balctl all` does), but never more
often than `min_interval` seconds: scrapes inside the interval get the last result, and
scrapes arriving during a fetch wait for it and share it. So the exchange sees one fetch per
account per interval however many Prometheus servers scrape, and however often.

The HTTP side is the standard library's ThreadingHTTPServer with a handler of our own, and
prometheus_client only writes the text (content negotiation included). Its
start_http_server would bind every interface by default, answers metrics on any path and
runs on a thread we would have to stop from a signal handler anyway; ours answers /metrics
(and a one-line / page), 404 elsewhere, binds loopback unless told otherwise, and stops on
SIGTERM or Ctrl-C from the main thread.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from balctl import numeric
from balctl.errors import BalctlError, NetworkError, UsageError
from balctl.model import Report
from balctl.platforms import stop_signals
from balctl.render.prometheus import Exposition, require

DEFAULT_LISTEN = "127.0.0.1:9877"
DEFAULT_MIN_INTERVAL = 30.0
MAX_MIN_INTERVAL = 86400.0
"""One day: an exporter that fetches less often serves stale balances, and `inf` or `nan`
would stop it fetching at all after the first scrape."""
RETRY_AFTER_CAP = 15 * 60.0
"""A Retry-After longer than this is not believed (a hostile or confused server)."""


def min_interval_seconds(value: str | float, *, option: str = "--min-interval") -> float:
    """--min-interval SECONDS: 0 (every scrape fetches) to MAX_MIN_INTERVAL, in ASCII (balctl.numeric)."""
    return numeric.seconds(value, option=option, low=0.0, high=MAX_MIN_INTERVAL, noun="the interval")


def parse_listen(text: str) -> tuple[str, int]:
    """`host:port` (`[v6]:port` for IPv6) → (host, port). The host must be written out:
    binding beyond loopback is a choice, never a default."""
    host, sep, port = text.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host or not numeric.is_digits(port) or int(port) > 65535:
        raise UsageError(f"--listen {numeric.shown(text)}: expected HOST:PORT such as {DEFAULT_LISTEN}")
    return host, int(port)


class CachedFetch:
    """The latest Report, fetched again only when the interval has passed.

    One lock: a scrape that finds the result stale fetches while holding it, so scrapes that
    arrive meanwhile wait and then take the same fresh result instead of fetching again.
    The interval runs from the start of one fetch to the start of the next; a rate-limit
    answer with Retry-After pushes the next fetch out to at least that far.
    """

    def __init__(self, fetch: Callable[[], tuple[Report, dict[str, float]]], min_interval: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._fetch = fetch
        self._min_interval = min_interval
        self._clock = clock
        self._lock = threading.Lock()
        self._next_at = float("-inf")
        self._exposition: Exposition | None = None
        self._last_success: dict[str, float] = {}
        self.fetches = 0

    def get(self) -> Exposition:
        with self._lock:
            if self._exposition is None or self._clock() >= self._next_at:
                self._refresh()
            assert self._exposition is not None
            return self._exposition

    def _refresh(self) -> None:
        started = self._clock()
        report, durations = self._fetch()
        self.fetches += 1
        for snapshot in report.accounts:
            self._last_success[snapshot.profile] = snapshot.fetched_at.timestamp()
        self._exposition = Exposition(report, durations, dict(self._last_success))
        self._next_at = started + self._min_interval
        wait = retry_after(report)
        if wait is not None:
            self._next_at = max(self._next_at, self._clock() + wait)


def retry_after(report: Report) -> float | None:
    """The longest Retry-After any failed account was told (capped), or None."""
    waits = [failure.error.retry_after for failure in report.errors
             if isinstance(failure.error, NetworkError) and failure.error.retry_after is not None]
    return min(max(waits), RETRY_AFTER_CAP) if waits else None


def timed_fetch(profiles: Sequence[Any], transport: Any) -> tuple[Report, dict[str, float]]:
    """`fetch_report`, plus each account's seconds from the start to its answer or failure."""
    from balctl.exchanges import Selection
    from balctl.fetch import fetch_report

    started = time.perf_counter()
    durations: dict[str, float] = {}

    def done(profile: Any) -> None:
        name = profile.profile if isinstance(profile, BalctlError) else profile.name
        durations[name or ""] = time.perf_counter() - started

    report = fetch_report(profiles, Selection(), transport, on_done=done)
    return report, durations


class _Handler(BaseHTTPRequestHandler):
    server: MetricsServer
    protocol_version = "HTTP/1.1"
    server_version = "balctl"
    timeout = 60  # a client that stops talking does not hold a thread for ever

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            self._metrics()
        elif path == "/":
            self._send(200, b"balctl exporter: metrics at /metrics\n", "text/plain; charset=utf-8")
        else:
            self._send(404, b"not found: metrics are at /metrics\n", "text/plain; charset=utf-8")

    def _metrics(self) -> None:
        from prometheus_client.exposition import choose_encoder, gzip_accepted

        try:
            exposition = self.server.cache.get()
        except Exception as exc:  # a bug, not an account's failure (those are balctl_up 0)
            from balctl.messages import stderr_line  # redacted, and safe for a terminal

            stderr_line(f"balctl: internal error while fetching: {type(exc).__name__}: {exc}")
            self._send(500, b"balctl: internal error while fetching (see its stderr)\n",
                       "text/plain; charset=utf-8")
            return
        encoder, content_type = choose_encoder(self.headers.get("Accept", ""))
        body = encoder(exposition)
        headers = {}
        if gzip_accepted(self.headers.get("Accept-Encoding", "")):
            import gzip

            body, headers = gzip.compress(body), {"Content-Encoding": "gzip"}
        self._send(200, body, content_type, headers)

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes are not logged by default; `-v` logs the exchange requests they cause."""


MAX_CONNECTIONS = 64
"""Connections served at once (one thread each). A client opening connections and saying
nothing got a thread per connection without limit; past this, a new one is closed at once."""


class MetricsServer(ThreadingHTTPServer):
    daemon_threads = True  # a scrape waiting on a fetch must not keep the process at exit
    block_on_close = False
    cache: CachedFetch
    slots: threading.BoundedSemaphore

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.slots.acquire(blocking=False):
            self.shutdown_request(request)  # full: a scraper retries at its next interval
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()  # no thread started, so it will not release the slot
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()


def make_server(listen: tuple[str, int], cache: CachedFetch) -> MetricsServer:
    """Bind now, so a taken port or a bad address is a one-line error before anything runs."""
    import socket

    host, port = listen
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    server_class = type("BoundServer", (MetricsServer,), {"address_family": family})
    try:
        server = server_class((host, port), _Handler)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    server.cache = cache
    server.slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
    return server


def serve(server: MetricsServer, out: Callable[[str], None]) -> None:
    """Serve until SIGTERM or Ctrl-C; both end it cleanly (the caller exits 0)."""
    host, port = server.server_address[:2]
    shown = f"[{host}]" if ":" in host else host
    out(f"balctl: serving http://{shown}:{port}/metrics (Ctrl-C stops)")

    def stop(signum: int, frame: Any) -> None:
        # shutdown() waits for serve_forever, which runs on this (main) thread: ask from another
        threading.Thread(target=server.shutdown, daemon=True).start()

    previous = {sig: signal.signal(sig, stop) for sig in stop_signals()}
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        server.server_close()
    out("balctl: stopped")


def run(profiles: Sequence[Any], *, listen: str, min_interval: float, timeout: float) -> None:
    """`balctl serve`: check the extra is installed and the address is free, then serve."""
    from balctl.http import Transport
    from balctl.messages import stderr_line

    require()
    min_interval = min_interval_seconds(min_interval)
    transport = Transport(timeout=timeout)
    cache = CachedFetch(lambda: timed_fetch(profiles, transport), min_interval)
    server = make_server(parse_listen(listen), cache)
    try:
        serve(server, stderr_line)
    finally:
        transport.close()
