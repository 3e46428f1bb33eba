"""Hostile servers, files and disks (issue 17), over real HTTP on loopback.

A small hostile server of the tests' own (127.0.0.1 only, threaded, bounded, stops itself)
plays the exchange. One parametrized test per class of attack, several variants each; every
run asserts its exit code, that no raw control character reaches stdout or stderr, that it
took bounded time and memory (measured with generous bounds, never tight timings), and that
the CSV file given to --append is intact afterwards. Nothing is ever sent anywhere but
loopback: 0.0.0.0 plays "another host", and a URL naming it is refused before any request.
"""

from __future__ import annotations

import functools
import gzip
import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from balctl.sanitize import UNSAFE
from balctl.simulator import credentials
from tests.helpers import invoke

MEMORY_BOUND = 150 * 1024 * 1024
"""Peak memory of a run against any hostile answer (issue 17)."""
HEADER = ("fetched_at,profile,exchange,account,market,asset,total,available,frozen,loan,interest,"
          "position_margin,order_margin,usd_value\n")
EXISTING_CSV = HEADER + "2026-01-01T00:00:00.000Z,okx,okx,trading,,BTC,1,1,0,,,,,\n"
OKX_OK = {"code": "0", "msg": "", "data": [{"totalEq": "1", "details": [{"ccy": "BTC", "eq": "1"}]}]}

Part = bytes | float
"""What an answer is made of: bytes to send, or seconds to wait."""
Answer = Callable[[str, dict[str, str]], Iterator[Part]]


# --- the hostile server -------------------------------------------------------------------

class HostileServer:
    """HTTP/1.1 on 127.0.0.1: every request is answered by `self.answer(path, headers)`,
    which yields raw bytes (a malformed response is fine) and pauses. At most 32 connections
    at once; it shuts itself down after `lifetime` seconds whatever happens."""

    def __init__(self, lifetime: float = 300.0) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.answer: Answer = lambda path, headers: iter([respond(200, OKX_OK)])
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._slots = threading.BoundedSemaphore(32)
        self._stop = threading.Event()
        self._deadline = time.monotonic() + lifetime
        self._thread = threading.Thread(target=self._serve, daemon=True, name="hostile-server")
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reset(self) -> None:
        self.requests.clear()
        self.answer = lambda path, headers: iter([respond(200, OKX_OK)])

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set() and time.monotonic() < self._deadline:
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            if not self._slots.acquire(blocking=False):
                conn.close()
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()
        self._stop.set()

    def _handle(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(5)
            request = b""
            while b"\r\n\r\n" not in request and len(request) < 65536:
                data = conn.recv(4096)
                if not data:
                    return
                request += data
            line, *lines = request.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
            path = line.split(" ")[1] if " " in line else "/"
            headers = dict(item.split(": ", 1) for item in lines if ": " in item)
            self.requests.append((path, headers))
            for part in self.answer(path, headers):
                if self._stop.is_set():
                    return
                if isinstance(part, float):
                    self._stop.wait(part)
                else:
                    conn.sendall(part)
        except OSError:  # the client gave up: that is the point of most answers here
            pass
        finally:
            conn.close()
            self._slots.release()


def head(status: int, headers: dict[str, str] | None = None, *, length: int | None = None) -> bytes:
    lines = [f"HTTP/1.1 {status} X", "Connection: close", "Content-Type: application/json"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def respond(status: int, body: object, headers: dict[str, str] | None = None) -> bytes:
    data = body if isinstance(body, bytes) else (body if isinstance(body, str) else json.dumps(body)).encode()
    return head(status, headers, length=len(data)) + data


def once(*parts: Part) -> Answer:
    return lambda path, headers: iter(parts)


def by_path(balance: Answer, time_answer: Answer | None = None) -> Answer:
    """OKX's balance path answered by `balance`, its server-time path by `time_answer`."""
    def answer(path: str, headers: dict[str, str]) -> Iterator[Part]:
        if "/public/time" in path and time_answer is not None:
            return time_answer(path, headers)
        return balance(path, headers)
    return answer


def drip(body: bytes, every: float) -> Answer:
    """A whole, valid answer, one byte at a time: each gap is far below any read timeout."""
    def answer(path: str, headers: dict[str, str]) -> Iterator[Part]:
        yield head(200, length=len(body))
        for byte in body:
            yield bytes([byte])
            yield every
    return answer


def drip_headers(every: float) -> Answer:
    def answer(path: str, headers: dict[str, str]) -> Iterator[Part]:
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100000:
            yield bytes([byte])
            yield every
    return answer


def endless_chunked(pause: float) -> Answer:
    def answer(path: str, headers: dict[str, str]) -> Iterator[Part]:
        yield head(200, {"Transfer-Encoding": "chunked"})
        yield b"1\r\n[\r\n"
        chunk = b"%x\r\n%s\r\n" % (8192, b" " * 8192)
        while True:
            yield chunk
            if pause:
                yield pause
    return answer


@functools.lru_cache(maxsize=1)
def bomb_member() -> bytes:
    """One gzip member: 64 MB of zeros in about 64 kB. Members may follow each other in one
    gzip stream, so sending it again and again is an endless bomb at network speed."""
    return gzip.compress(b"\0" * (64 << 20), compresslevel=9)


def gzip_bomb(chunked: bool) -> Answer:
    """Up to 4 GB decoded from a few MB on the wire (the issue's: 2.1 GB from 1 MB)."""
    def answer(path: str, headers: dict[str, str]) -> Iterator[Part]:
        extra = {"Content-Encoding": "gzip", **({"Transfer-Encoding": "chunked"} if chunked else {})}
        yield head(200, extra)
        member = bomb_member()
        for _ in range(64):
            yield (b"%x\r\n%s\r\n" % (len(member), member)) if chunked else member
        if chunked:
            yield b"0\r\n\r\n"
    return answer


# --- running balctl -----------------------------------------------------------------------

@dataclass
class Outcome:
    exit_code: int
    stdout: str
    stderr: str
    seconds: float
    peak_bytes: int
    csv_before: str = ""
    csv_after: str = field(default="")


@pytest.fixture(scope="module")
def hostile():
    bomb_member()  # made once, before any request waits for it
    server = HostileServer()
    yield server
    server.close()


@pytest.fixture
def server(hostile):
    hostile.reset()
    yield hostile
    hostile.reset()


def profile_file(tmp_path, text: str, mode: int = 0o600):
    path = tmp_path / "hostile.yaml"
    path.write_text(textwrap.dedent(text))
    path.chmod(mode)
    return path


def okx_profile(base_url: str, name: str = "okx") -> str:
    return f"""\
      {name}:
        exchange: okx
        api_key: okx-key-0001
        api_secret: 22582BD0CFF14C41EDBF1AB98506286D
        passphrase: okx-pass-phrase
        base_url: {base_url}
"""


def xt_profile(base_url: str) -> str:
    return f"""\
      xt:
        exchange: xt
        api_key: {credentials.XT.api_key}
        api_secret: {credentials.XT.secret}
        symbols: [BTC_USDT]
        base_url: {base_url}
"""


def coinswitch_profile(base_url: str) -> str:
    from balctl.simulator.credentials import COINSWITCH_SEED, public_key_hex

    return f"""\
      coinswitch:
        exchange: coinswitch
        api_key: {public_key_hex(COINSWITCH_SEED)}
        api_secret: {COINSWITCH_SEED}
        base_url: {base_url}
"""


def run(tmp_path, *args: str, config=None, env: dict | None = None) -> Outcome:
    """balctl in-process with --append to a CSV file that already holds a row; time and
    peak Python memory measured (tracemalloc: what a body or a JSON tree would cost)."""
    snapshots = tmp_path / "snapshots.csv"
    snapshots.write_text(EXISTING_CSV)
    full = [*args, "--append", str(snapshots)] if args[0] != "profiles" else list(args)
    if config is not None:
        full += ["-c", str(config)]
    tracemalloc.start()
    started = time.monotonic()
    try:
        result = invoke(*full, env=env)
        seconds = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return Outcome(result.exit_code, result.stdout, result.stderr, seconds, peak,
                   EXISTING_CSV, snapshots.read_text())


def check(outcome: Outcome, exit_code: int, *, max_seconds: float = 30.0, appended: bool = False) -> None:
    """The assertions every hostile run shares."""
    assert outcome.exit_code == exit_code, (outcome.stdout[-500:], outcome.stderr[-2000:])
    for text in (outcome.stdout, outcome.stderr):
        assert UNSAFE.search(text.replace("\n", "")) is None, text[-500:]
    assert outcome.seconds < max_seconds
    assert outcome.peak_bytes < MEMORY_BOUND
    if appended:  # whole rows added after the old ones
        assert outcome.csv_after.startswith(outcome.csv_before) and outcome.csv_after.endswith("\n")
        assert all(line.count(",") == HEADER.count(",") for line in outcome.csv_after.splitlines())
    else:
        assert outcome.csv_after == outcome.csv_before


def one_line_errors(stderr: str) -> list[str]:
    lines = stderr.splitlines()
    assert lines and all(line.startswith(("balctl: ", "hint: ")) for line in lines), stderr
    return lines


@pytest.fixture
def no_sleep(monkeypatch):
    """Back-off waits are not what is measured here."""
    monkeypatch.setattr("balctl.http.time.sleep", lambda seconds: None)


# --- security: URLs, terminal, CSV formulas, permissions ----------------------------------

@pytest.mark.parametrize("base_url", [
    "'http://0.0.0.0:{port}\\@127.0.0.1'",
    "'https://0.0.0.0:{port}\\@127.0.0.1'",
    "'http://0.0.0.0:{port}\\\\@localhost/'",
    "'http://127.0.0.1:{port}?@0.0.0.0'",
    "'http://127.0.0.1:{port}#@0.0.0.0'",
    "\"http://127.0.0.1:{port}\\t@0.0.0.0\"",
    "'http://0.0.0.0:{port}'",
])
def test_url_parser_differential_is_refused_before_any_request(server, tmp_path, base_url):
    config = profile_file(tmp_path, "profiles:\n" + okx_profile(base_url.format(port=server.port)))
    for args in (["okx"], ["profiles"]):
        outcome = run(tmp_path, *args, config=config)
        check(outcome, 2)
        assert "profile 'okx': key 'base_url'" in outcome.stderr
        assert "0.0.0.0:" not in outcome.stdout.replace(f"0.0.0.0:{server.port}", "") or args == ["profiles"]
    assert server.requests == []  # 0.0.0.0:port would have reached this server


INJECTIONS = [
    "\x1b[2J\x1b[HAll good",
    "\x1b]0;owned\x07",
    "\x1b]8;;http://0.0.0.0/\x1b\\click me\x1b]8;;\x1b\\",
    "fine\r\x1b[Kbalctl: okx (okx): 100 BTC",
    "\x9b31mred\u202eflipped\u200b\ufeff\x7f",
]


@pytest.mark.parametrize("text, where", [
    *((text, "okx msg") for text in INJECTIONS),
    (INJECTIONS[1], "okx code"), (INJECTIONS[2], "xt mc"), (INJECTIONS[3], "coinswitch message"),
    (INJECTIONS[4], "location"), (INJECTIONS[2], "location"),
])
def test_terminal_injection_is_escaped(server, tmp_path, text, where):
    exchange = where.split()[0] if where != "location" else "okx"
    if where == "okx msg":
        server.answer = once(respond(401, {"code": "50111", "msg": text, "data": []}))
    elif where == "okx code":
        server.answer = once(respond(400, {"code": text, "msg": "bad", "data": []}))
    elif where == "xt mc":
        server.answer = once(respond(400, {"rc": 1, "mc": text, "ma": [text], "result": None}))
    elif where == "coinswitch message":
        server.answer = once(respond(400, {"message": text}))
    else:
        server.answer = once(head(302, {"Location": f"http://0.0.0.0/{text}".encode("utf-8").decode("latin-1")},
                                  length=0))
    profile = {"okx": okx_profile, "xt": xt_profile, "coinswitch": coinswitch_profile}[exchange](server.url)
    outcome = run(tmp_path, exchange, "-v", config=profile_file(tmp_path, "profiles:\n" + profile))
    check(outcome, 3 if where == "okx msg" else 5)
    one_line_errors("\n".join(line for line in outcome.stderr.splitlines() if " GET " not in line))


@pytest.mark.parametrize("name", ["ok\x1b]0;x\x07", "a\u202eb", "tab\there", "zw\u200bsp"])
def test_a_profile_name_from_the_file_is_escaped_everywhere(server, tmp_path, name):
    quoted = json.dumps(name)
    config = profile_file(tmp_path, "profiles:\n" + okx_profile(server.url, quoted) + okx_profile(server.url))
    for args in (["all", "-o", "json"], ["all"], ["profiles"]):
        outcome = run(tmp_path, *args, config=config)
        check(outcome, 6 if args[0] == "all" else 2, appended=args[0] == "all")
        assert "must be printable" in outcome.stderr


@pytest.mark.parametrize("ccy", ['=HYPERLINK("http://0.0.0.0/","x")', "+1+1", "-2+3", "@SUM(A1:A9)", "=cmd|'/c calc'!A1"])
def test_csv_formula_codes_are_refused(server, tmp_path, ccy):
    server.answer = once(respond(200, {"code": "0", "msg": "", "data": [
        {"totalEq": "1", "details": [{"ccy": "BTC", "eq": "-1"}, {"ccy": ccy, "eq": "1"}]}]}))
    outcome = run(tmp_path, "okx", "-o", "csv", config=profile_file(tmp_path, "profiles:\n" + okx_profile(server.url)))
    check(outcome, 5)
    assert outcome.stdout == ""
    assert outcome.stderr.startswith("balctl: okx (okx): HTTP 200: expected a currency or symbol code")


@pytest.mark.parametrize("mode, secret", [(0o620, "${OKX_SECRET}"), (0o602, "literal-secret"),
                                          (0o666, "${OKX_SECRET}"), (0o660, "literal-secret")])
def test_a_profile_file_others_can_write_is_refused(server, tmp_path, mode, secret):
    text = "profiles:\n" + okx_profile(server.url).replace("22582BD0CFF14C41EDBF1AB98506286D", secret)
    outcome = run(tmp_path, "okx", config=profile_file(tmp_path, text, mode), env={"OKX_SECRET": "s3cret"})
    check(outcome, 2)
    assert outcome.stderr.endswith("is writable by group or others\nhint: chmod 600 "
                                   f"{tmp_path / 'hostile.yaml'}\n")
    assert server.requests == []


# --- bounded time and memory --------------------------------------------------------------

SLOW = [
    pytest.param(drip(json.dumps(OKX_OK).encode(), 0.05), 4, id="one-byte-every-50ms"),
    pytest.param(drip_headers(0.05), 4, id="headers-one-byte-every-50ms"),
    pytest.param(endless_chunked(0.05), 4, id="endless-chunked-slow"),
    pytest.param(endless_chunked(0.0), 5, id="endless-chunked-fast"),
    pytest.param(gzip_bomb(chunked=False), 5, id="gzip-bomb"),
    pytest.param(gzip_bomb(chunked=True), 5, id="gzip-bomb-chunked"),
    pytest.param(once(head(200, length=10**12), b"{" * 100000), 5, id="content-length-a-terabyte"),
    pytest.param(once(head(200), b"[" + b"1.5," * 700000 + b"1]"), 5, id="three-megabytes-of-numbers"),
]


@pytest.mark.parametrize("answer, exit_code", SLOW)
def test_a_slow_endless_or_huge_answer_is_bounded(server, tmp_path, no_sleep, answer, exit_code):
    server.answer = answer
    config = profile_file(tmp_path, "profiles:\n" + okx_profile(server.url))
    timeout = "1" if exit_code == 4 else "5"  # a huge answer is refused long before 5 s
    outcome = run(tmp_path, "okx", "--timeout", timeout, config=config)
    # worst case: 3 attempts of at most --timeout each (the waits are patched away)
    check(outcome, exit_code, max_seconds=20)
    assert one_line_errors(outcome.stderr)[0] in (
        "balctl: okx (okx): no answer within 1 s",
        "balctl: okx (okx): HTTP 200: answer larger than 2 MB; not a balance answer, not read further")


@pytest.mark.parametrize("answer", [drip(json.dumps(OKX_OK).encode() * 50, 0.05), drip_headers(0.05)],
                         ids=["body", "headers"])
def test_an_abandoned_request_does_not_keep_its_thread(server, tmp_path, no_sleep, answer):
    """Past the timeout the request's socket is shut down, so its worker thread ends too
    (it matters for `serve` and `--watch`, which live on)."""
    server.answer = answer
    outcome = run(tmp_path, "okx", "--timeout", "1", config=profile_file(tmp_path, "profiles:\n" + okx_profile(server.url)))
    check(outcome, 4, max_seconds=15)

    def workers() -> list[threading.Thread]:
        return [thread for thread in threading.enumerate() if thread.name == "balctl-request"]

    deadline = time.monotonic() + 10  # generous: a loaded machine
    while workers() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert workers() == []


@pytest.mark.parametrize("answer", [
    pytest.param(gzip_bomb(chunked=False), id="gzip-bomb"),
    pytest.param(endless_chunked(0.0), id="endless-chunked"),
    pytest.param(once(head(200), b"[" + b"{}," * 1000000 + b"{}]"), id="a-million-objects"),
])
@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="peak RSS read from Linux /proc")
def test_peak_memory_of_a_real_process_stays_bounded(server, tmp_path, answer):
    """Real RSS of a real process (what tracemalloc cannot see: C buffers, zlib)."""
    server.answer = answer
    config = profile_file(tmp_path, "profiles:\n" + okx_profile(server.url))
    rss_file = tmp_path / "rss"
    # VmHWM: the peak RSS of this process image (ru_maxrss would carry over the pytest
    # process's own peak through fork and exec)
    wrapper = ("import os, re, sys\nfrom balctl.cli import main\ntry:\n    main()\nfinally:\n"
               "    status = open('/proc/self/status').read()\n"
               "    open(os.environ['RSS_FILE'], 'w').write(re.search(r'VmHWM:\\s*(\\d+) kB', status)[1])")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BALCTL_")} | {"RSS_FILE": str(rss_file)}
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", wrapper, "okx", "-c", str(config), "--timeout", "5"],
                          capture_output=True, text=True, env=env, timeout=120)
    seconds = time.monotonic() - started
    assert done.returncode in (4, 5), done.stderr
    assert UNSAFE.search((done.stdout + done.stderr).replace("\n", "")) is None
    assert int(rss_file.read_text()) * 1024 < MEMORY_BOUND
    assert seconds < 90  # 3 attempts of at most 5 s, waits, and a loaded machine


def test_all_has_an_overall_deadline(server, tmp_path, monkeypatch):
    """Past the run's deadline the unfinished accounts are failures (exit 4 for them, 6 in
    all); the deadline is lowered here so that the test does not wait the real one."""
    monkeypatch.setattr("balctl.fetch.run_deadline", lambda transport: 1.5)

    def answer(path: str, headers: dict[str, str]) -> Iterator[Part]:
        if headers.get("OK-ACCESS-KEY") == "slow-key":
            yield from drip(json.dumps(OKX_OK).encode(), 0.5)(path, headers)
        else:
            yield respond(200, OKX_OK)

    server.answer = answer
    slow = okx_profile(server.url, "slow").replace("okx-key-0001", "slow-key")
    config = profile_file(tmp_path, "profiles:\n" + okx_profile(server.url) + slow)
    outcome = run(tmp_path, "all", "-o", "csv", "--timeout", "5", config=config)
    check(outcome, 6, max_seconds=10, appended=True)
    assert outcome.stderr == "balctl: okx (slow): no complete answer within the run's deadline of 1.5 s\n"
    assert [line.split(",")[1] for line in outcome.stdout.splitlines()[1:]] == ["okx"]


# --- never exit 1 for outside input -------------------------------------------------------

DEEP = b'{"code": "0", "msg": "", "data": [{"totalEq": "1", "details": [], "x": ' + b"[" * 100000 + b"]" * 100000 + b"}]}"
SOMEWHAT_DEEP = json.dumps({"code": "0", "msg": "", "data": [{"totalEq": "1", "details": [
    {"ccy": "BTC", "eq": "1", "x": json.loads("[" * 40 + "]" * 40)}]}]}).encode()


@pytest.mark.parametrize("body, output", [(DEEP, "json"), (SOMEWHAT_DEEP, "json"), (b"[" * 5000, "table"),
                                          (b'{"a":' * 3000 + b"1" + b"}" * 3000, "table")],
                         ids=["100000-deep", "40-deep", "unclosed", "3000-deep-objects"])
def test_deep_json_fails_that_account_only(server, tmp_path, body, output):
    def answer(path: str, headers: dict[str, str]) -> Iterator[Part]:
        yield respond(200, body if headers.get("OK-ACCESS-KEY") == "deep-key" else OKX_OK)

    server.answer = answer
    deep = okx_profile(server.url, "deep").replace("okx-key-0001", "deep-key")
    config = profile_file(tmp_path, "profiles:\n" + okx_profile(server.url) + deep)
    outcome = run(tmp_path, "all", "-o", output, "--raw" if output == "json" else "--hide-zero", config=config)
    check(outcome, 6, appended=True)
    [line] = one_line_errors(outcome.stderr)
    assert line.startswith("balctl: okx (deep): HTTP 200: ")
    assert "okx" in outcome.stdout


RETRY_AFTERS = ["١٢", "9" * 5000, "1e9", "-5", "Wed, 31 Dec 99999 23:59:59 GMT", "\x1b[2J", "１０"]


@pytest.mark.parametrize("value", RETRY_AFTERS)
def test_an_odd_retry_after_is_just_ignored(server, tmp_path, no_sleep, value):
    server.answer = once(respond(429, {"code": "50011", "msg": "Too Many Requests", "data": []},
                                 {"Retry-After": value.encode("utf-8").decode("latin-1")}))
    outcome = run(tmp_path, "okx", config=profile_file(tmp_path, "profiles:\n" + okx_profile(server.url)))
    check(outcome, 4)
    assert outcome.stderr == "balctl: okx (okx): Too Many Requests [50011]\n"
    assert len(server.requests) == 3


@pytest.mark.parametrize("ts", ["99999999999999999999", "-1", "253402300800000", "1e400", "0x10", "NaN", "١٢"])
def test_a_server_time_out_of_range_is_exit_5(server, tmp_path, ts):
    refusal = once(respond(401, {"code": "50102", "msg": "Timestamp request expired", "data": []}))
    server.answer = by_path(refusal, once(respond(200, {"code": "0", "data": [{"ts": ts}]})))
    outcome = run(tmp_path, "okx", config=profile_file(tmp_path, "profiles:\n" + okx_profile(server.url)))
    check(outcome, 5)
    assert outcome.stderr in ("balctl: okx (okx): HTTP 200: server time out of range (not between 2000 and 2100); "
                              "not used\n", "balctl: okx (okx): HTTP 200: unexpected server-time response\n")


@pytest.mark.parametrize("location", ["http://[::1", "http://a:b:c:d@/", "http://0.0.0.0:99999999/",
                                      "\x1b]8;;x\x07", "", "//", "http://%zz/"])
def test_an_unparsable_location_is_exit_5(server, tmp_path, location):
    server.answer = once(head(301, {"Location": location}, length=0))
    outcome = run(tmp_path, "okx", config=profile_file(tmp_path, "profiles:\n" + okx_profile(server.url)))
    check(outcome, 5)
    [line] = one_line_errors(outcome.stderr)
    assert line.startswith("balctl: okx (okx): HTTP 301: redirected to ")
    assert line.endswith("; not followed (check base_url)")


@pytest.mark.parametrize("exchange", ["[okx]", "{okx: 1}", "[[], {}]"])
def test_exchange_as_a_list_or_mapping_breaks_that_profile_only(server, tmp_path, exchange):
    broken = okx_profile(server.url, "broken").replace("exchange: okx", f"exchange: {exchange}")
    config = profile_file(tmp_path, "profiles:\n" + okx_profile(server.url) + broken)
    outcome = run(tmp_path, "okx", "-p", "okx", config=config)
    check(outcome, 0, appended=True)
    outcome = run(tmp_path, "all", config=config)
    check(outcome, 6, appended=True)
    [line] = one_line_errors(outcome.stderr)
    assert "profile 'broken': key 'exchange': unknown exchange a " in line


@pytest.mark.parametrize("value", ["inf", "nan", "1e10", "-inf", "601", "0"])
def test_a_timeout_that_is_no_timeout_is_exit_2(server, tmp_path, value):
    config = profile_file(tmp_path, "profiles:\n" + okx_profile(server.url))
    for args, env in ((["okx", "--timeout", value], None), (["all"], {"BALCTL_TIMEOUT": value})):
        outcome = run(tmp_path, *args, config=config, env=env)
        check(outcome, 2)
        one_line_errors(outcome.stderr)
    assert server.requests == []


@pytest.mark.parametrize("columns", ["1", "7", "-5", "99999999999"])
def test_a_terminal_narrower_than_eight_columns_still_gets_its_table(server, tmp_path, columns):
    config = profile_file(tmp_path, "profiles:\n" + okx_profile(server.url))
    outcome = run(tmp_path, "okx", config=config, env={"COLUMNS": columns})
    check(outcome, 0, appended=True)
    assert "BTC" in outcome.stdout


@pytest.mark.parametrize("redirect, args, failing", [
    (">&-", ["demo", "-o", "csv"], False), (">/dev/full", ["demo", "-o", "json"], False),
    ("2>&-", ["demo", "-o", "csv"], False), ("2>/dev/full", ["okx", "-c", "/nonexistent"], True),
    (">/dev/full 2>&-", ["okx", "-c", "/nonexistent"], True), ("2>&-", ["profiles", "-c", "/nonexistent"], True),
])
def test_closed_or_full_standard_streams_are_not_a_crash(tmp_path, redirect, args, failing):
    """In a real shell: the exit code is 2 when the data or the error cannot be written, the
    error's own code otherwise; never 1 (a bug) or 120 (Python failing its final flush)."""
    command = " ".join([sys.executable, "-m", "balctl", *args]) + " " + redirect
    started = time.monotonic()
    script = tmp_path / "run.sh"
    script.write_text(f"{command}\necho $? > {tmp_path / 'code'}\n")
    done = subprocess.run(["sh", str(script)], capture_output=True, text=True, timeout=120,
                          env={k: v for k, v in os.environ.items() if not k.startswith("BALCTL_")})
    code = int((tmp_path / "code").read_text())
    stdout_broken = redirect.startswith(">")
    assert code == 2 if (failing or stdout_broken) else code == 0, (code, done.stderr)
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr
    assert UNSAFE.search((done.stdout + done.stderr).replace("\n", "")) is None
    assert time.monotonic() - started < 90


# --- smaller: amounts, duplicate keys, YAML ------------------------------------------------

@pytest.mark.parametrize("value, field", [("1_000", "eq"), ("١٢٣", "totalEq"), ("１２", "eq"), ("٣.٥", "eq"),
                                          ("1\u00a0000", "totalEq"), ("Infinity", "eq"), ("0x10", "totalEq"),
                                          ("1,5", "eq")])
def test_amounts_are_the_exchanges_ascii_digits(server, tmp_path, value, field):
    top = {"totalEq": "1", "details": [{"ccy": "BTC", "eq": "1"}]}
    if field == "eq":
        top["details"][0]["eq"] = value
    else:
        top["totalEq"] = value
    server.answer = once(respond(200, {"code": "0", "msg": "", "data": [top]}))
    outcome = run(tmp_path, "okx", "-o", "csv", config=profile_file(tmp_path, "profiles:\n" + okx_profile(server.url)))
    check(outcome, 5)
    assert outcome.stderr.startswith(f"balctl: okx (okx): HTTP 200: {field} is not a number")


@pytest.mark.parametrize("body", [
    b'{"code": "0", "code": "50111", "msg": "", "data": []}',
    b'{"code": "0", "msg": "", "data": [{"totalEq": "1", "totalEq": "1000000", "details": []}]}',
    b'{"code": "0", "msg": "", "data": [{"totalEq": "1", "details": [{"ccy": "BTC", "eq": "1", "eq": "9"}]}]}',
])
def test_duplicate_json_keys_are_malformed(server, tmp_path, body):
    server.answer = once(respond(200, body))
    outcome = run(tmp_path, "okx", config=profile_file(tmp_path, "profiles:\n" + okx_profile(server.url)))
    check(outcome, 5)
    assert outcome.stderr == "balctl: okx (okx): HTTP 200: truncated or malformed JSON\n"


@pytest.mark.parametrize("name", ["on", "yes", "1", "off", "null"])
def test_yaml_merge_keys_and_names_as_written(server, tmp_path, name):
    text = f"""\
    x-okx: &okx
      exchange: okx
      api_secret: 22582BD0CFF14C41EDBF1AB98506286D
      passphrase: okx-pass-phrase
      base_url: {server.url}
    profiles:
      {name}:
        <<: *okx
        api_key: okx-key-0001
    """
    outcome = run(tmp_path, "okx", "-p", name, "-o", "csv", config=profile_file(tmp_path, text))
    check(outcome, 0, appended=True)
    assert outcome.stdout.splitlines()[1].split(",")[1:3] == [name, "okx"]


def test_the_gzip_bomb_helper_really_is_one():
    """The test's own bomb must be a bomb, or the bounded-memory tests prove nothing."""
    member = bomb_member()
    assert len(member) < 128 * 1024
    assert len(zlib.decompressobj(31).decompress(member)) == 64 << 20


def test_no_request_leaves_after_the_run_ends(server, tmp_path, monkeypatch):
    """An account given up at the deadline is cut off when the run ends, and its thread
    sends no retry afterwards (it would land in whatever the process does next)."""
    monkeypatch.setattr("balctl.fetch.run_deadline", lambda transport: 0.5)
    server.answer = drip(json.dumps(OKX_OK).encode(), 0.5)
    config = profile_file(tmp_path, "profiles:\n" + okx_profile(server.url))
    outcome = run(tmp_path, "all", "--timeout", "1", config=config)  # left alone: a retry at ~1.5 s
    check(outcome, 4, max_seconds=10)
    time.sleep(2)  # a retry would have been sent by now (the back-off starts at 0.5 s)
    assert len(server.requests) == 1
