"""The loopback HTTP server that puts the three simulated exchanges on one port.

Each request runs on its own daemon thread. :meth:`Simulator.respond` does the
work without sockets (route, faults, authentication, body, log); the handler
only copies bytes in and out. The request target is used exactly as received
(``self.path``), because signatures are over what went on the wire.

Connections are HTTP/1.0 (closed after each answer): that keeps ``stop()``
prompt and spares clients from stale keep-alive sockets between tests.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Mapping

from . import accounts, credentials
from .coinswitch import CoinSwitch, public_key_hex
from .faults import Fault, FaultBoard, answer
from .okx import Okx
from .wire import Exchange, SimRequest, SimResponse, Verdict, json_response
from .xt import Xt

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class LogEntry:
    """One request as the simulator saw it.

    ``verified`` is True only when the signature matched (always False for the
    public server-time endpoints). ``status`` is the HTTP status sent, 0 when the
    connection was dropped unanswered (a ``hang`` fault, or ``stop()`` during a
    ``latency`` wait). ``code`` is the exchange code of the answer: OKX ``code``,
    XT ``mc``, a CoinSwitch error ``message``, else None. ``endpoint`` is
    "balance", "time" or another of the exchange's (OKX "config"), None for an unknown path. ``fault`` is the kind of the
    fault that decided the answer, if any.
    """

    exchange: str | None
    method: str
    path: str
    api_key: str | None
    verified: bool
    status: int
    code: str | None
    endpoint: str | None = None
    fault: str | None = None
    at_ms: int = 0


class Simulator:
    """OKX, XT and CoinSwitch balance endpoints on one loopback port.

    ``okx_assets`` sets the number of OKX ``details`` entries (for benchmarks);
    by default the five sample currencies. ``clock_skew`` (seconds, may be
    negative) shifts the server clock: both the timestamp checks and the
    server-time endpoints use real time + skew. ``log`` is appended live from
    the request threads; clear it with ``log.clear()``.
    """

    def __init__(self, okx_assets: int | None = None, *, port: int = 0) -> None:
        if okx_assets is not None and okx_assets < 0:
            raise ValueError("okx_assets must not be negative")
        self.port = port
        self.clock_skew: float = 0.0
        self.log: list[LogEntry] = []
        self.on_request: Callable[[LogEntry], None] | None = None
        self._faults = FaultBoard()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._okx = Okx(
            {k.api_key: k for k in (credentials.OKX_LIVE, credentials.OKX_DEMO, credentials.OKX_MARGIN,
                                    credentials.OKX_SPOT)},
            accounts.okx_account(okx_assets),
            {credentials.OKX_MARGIN.api_key: accounts.okx_margin_account(),
             credentials.OKX_SPOT.api_key: accounts.okx_spot_account()},
        )
        self._routes = _routes(
            self._okx,
            Xt({credentials.XT.api_key: credentials.XT}, accounts.xt_accounts()),
            CoinSwitch([public_key_hex(credentials.COINSWITCH_SEED)], accounts.coinswitch_wallet()),
        )

    # -- lifecycle -------------------------------------------------------

    def start(self) -> Simulator:
        """Listen on 127.0.0.1 (a free port unless one was given) on a background thread."""
        if self._server is not None:
            raise RuntimeError("the simulator is already running")
        self._stopping.clear()
        server = _Server((LOOPBACK, self.port), _Handler)
        server.simulator = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="balctl-simulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; requests held by latency or hang faults are dropped at once."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` of the running simulator."""
        if self._server is None:
            raise RuntimeError("the simulator is not running; call start() first")
        return f"http://{LOOPBACK}:{self._server.server_address[1]}"

    # -- configuration ---------------------------------------------------

    @property
    def credentials(self) -> dict[str, dict[str, Any]]:
        """A fresh copy of the built-in keys, by profile name (okx, okx-demo, xt, coinswitch, okx-margin, okx-spot)."""
        return credentials.as_dict()

    def add_fault(self, fault: Fault, exchange: str | None = None, api_key: str | None = None) -> Fault:
        """Register ``fault`` for every exchange, one exchange, and/or one api key; returns it."""
        return self._faults.add(fault, exchange, api_key)

    def remove_fault(self, fault: Fault) -> None:
        self._faults.remove(fault)

    def clear_faults(self) -> None:
        self._faults.clear()

    @property
    def okx_perm(self) -> str:
        """What ``GET /api/v5/account/config`` reports in ``perm`` for every OKX key:
        ``read_only`` (the default), or e.g. ``read_only,trade`` for a key that can trade."""
        return self._okx.perm

    @okx_perm.setter
    def okx_perm(self, value: str) -> None:
        self._okx.perm = value

    def now_ms(self) -> int:
        """The server clock in Unix milliseconds: real time plus ``clock_skew``."""
        return time.time_ns() // 1_000_000 + round(self.clock_skew * 1000)

    def profiles_yaml(self) -> str:
        """A balctl profile file for every built-in key, pointed at this simulator
        (docs/contract.md, The profile file)."""
        base_url = self.base_url
        lines = [f"# balctl profiles for the simulator at {base_url}", "profiles:"]
        for name, creds in self.credentials.items():
            exchange = "okx" if name.startswith("okx") else name
            lines += [f"  {name}:", f"    exchange: {exchange}"]
            for key, value in creds.items():
                lines.append(f"    {key}: {_yaml_scalar(value)}")
            if exchange == "xt":
                lines.append("    symbols: [BTC_USDT, ETH_USDT]")
            lines.append(f"    base_url: {_yaml_scalar(base_url)}")
        return "\n".join(lines) + "\n"

    # -- serving ---------------------------------------------------------

    def respond(self, method: str, raw_path: str, headers: Mapping[str, str]) -> SimResponse | None:
        """The answer to one request, or None to drop the connection; logs the request.

        ``headers`` must have lower-case names.
        """
        route = self._routes.get(raw_path.split("?", 1)[0])
        if route is None:
            return self._reject(None, method, raw_path, 404, "Not Found")
        exchange, endpoint = route
        if method != "GET":
            return self._reject(exchange.name, method, raw_path, 405, "Method Not Allowed")
        api_key = exchange.api_key(headers)
        fired = self._faults.take(exchange.name, api_key, endpoint)
        delay = sum(f.seconds or 0 for f in fired if f.kind == "latency")
        if delay and self._stopping.wait(delay):
            self._record(exchange.name, method, raw_path, api_key, False, None, endpoint, "latency")
            return None
        fault = next((f for f in fired if f.answers), None)
        if fault is not None and fault.kind == "hang":
            self._record(exchange.name, method, raw_path, api_key, False, None, endpoint, "hang")
            self._stopping.wait(fault.seconds)
            return None
        req = SimRequest(method, raw_path, headers, self.now_ms())
        verdict, normal = self._answer(exchange, endpoint, req)
        response = answer(fault, exchange, normal) if fault is not None else normal
        self._record(
            exchange.name, method, raw_path, api_key, verdict.verified, response, endpoint,
            fault.kind if fault else None,
        )
        return response

    def _reject(self, exchange: str | None, method: str, raw_path: str, status: int, message: str) -> SimResponse:
        """An unknown path or a method the endpoints do not take."""
        response = json_response(status, {"message": message})
        self._record(exchange, method, raw_path, None, False, response)
        return response

    @staticmethod
    def _answer(exchange: Exchange, endpoint: str, req: SimRequest) -> tuple[Verdict, SimResponse]:
        """The healthy answer: server time, or authentication then the balance (or another
        authenticated endpoint of the exchange's ``other_paths``)."""
        if endpoint == "time":
            return Verdict(None, False), exchange.server_time(req.now_ms)
        verdict = exchange.authenticate(req)
        if verdict.error:
            return verdict, verdict.error
        return verdict, exchange.balance(req) if endpoint == "balance" else exchange.other(endpoint, req)

    def _record(
        self,
        exchange: str | None,
        method: str,
        raw_path: str,
        api_key: str | None,
        verified: bool,
        response: SimResponse | None,
        endpoint: str | None = None,
        fault: str | None = None,
    ) -> None:
        """Append to the log before the answer is written, so a client never sees an answer not yet logged."""
        entry = LogEntry(
            exchange=exchange,
            method=method,
            path=raw_path,
            api_key=api_key,
            verified=verified,
            status=response.status if response else 0,
            code=response.code if response else None,
            endpoint=endpoint,
            fault=fault,
            at_ms=self.now_ms(),
        )
        self.log.append(entry)
        if self.on_request is not None:
            self.on_request(entry)


def _routes(*exchanges: Exchange) -> dict[str, tuple[Exchange, str]]:
    routes: dict[str, tuple[Exchange, str]] = {}
    for exchange in exchanges:
        routes[exchange.balance_path] = (exchange, "balance")
        routes[exchange.time_path] = (exchange, "time")
        for path, endpoint in getattr(exchange, "other_paths", {}).items():
            routes[path] = (exchange, endpoint)
    return routes


def _yaml_scalar(value: Any) -> str:
    """A YAML scalar: booleans bare, everything else double-quoted (JSON strings are valid YAML)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


class _Server(ThreadingHTTPServer):
    """Does not wait for request threads on close: a hanging one must not delay ``stop()``."""

    daemon_threads = True
    block_on_close = False
    simulator: Simulator

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (e.g. after its own timeout) is not an error worth a traceback."""
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"
    server_version = "balctl-simulator/1"
    timeout = 30  # an idle or stalled client does not hold a thread forever

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        headers = {name.lower(): value for name, value in self.headers.items()}
        try:
            response = self.server.simulator.respond(self.command, self.path, headers)
        except Exception:  # a simulator bug: say so to the client, and show it on stderr
            traceback.print_exc()
            response = SimResponse(500, b"simulator error", content_type="text/plain")
        if response is None:
            self.close_connection = True
            return
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the request log is ``Simulator.log``; ``python -m balctl.simulator`` prints it."""
