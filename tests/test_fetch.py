"""Concurrency of fetching: bounded, ordered, fail-fast, and never blocking exit."""

from __future__ import annotations

import threading
import time

import pytest
import responses

from balctl import fetch
from balctl.exchanges import Selection
from balctl.http import Transport
from balctl.profiles import Profile
from tests.helpers import fixture_text


class Overlap:
    """Counts how many calls are inside `with overlap:` at once; `peak` is the most seen.

    With `gate=N`, a call waits inside until N calls are in (or 10 s pass), so the peak
    does not depend on how quickly a loaded machine starts threads: a limit of N is seen
    as exactly N, and a missing limit as more.
    """

    def __init__(self, gate: int = 0) -> None:
        self.active = self.peak = 0
        self._lock = threading.Lock()
        self._full = threading.Event()
        self._gate = gate

    def __enter__(self) -> None:
        with self._lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
            if self.active >= self._gate:
                self._full.set()
        self._full.wait(timeout=10)

    def __exit__(self, *exc) -> None:
        with self._lock:
            self.active -= 1


def test_map_bounded_keeps_order_and_never_exceeds_the_limit():
    overlap = Overlap(gate=4)

    def work(item: int) -> int:
        with overlap:
            time.sleep(0.02 * (10 - item))  # later items finish first
        return item * item

    assert fetch._map_bounded(work, list(range(10)), 4) == [i * i for i in range(10)]
    assert overlap.peak == 4


def test_map_bounded_raises_the_first_failure_without_waiting_for_slow_calls():
    def work(item: str) -> str:
        if item == "bad":
            raise ValueError("refused")
        time.sleep(3)
        return item

    started = time.monotonic()
    with pytest.raises(ValueError, match="refused"):
        fetch._map_bounded(work, ["slow", "bad", "slow"], 4)
    assert time.monotonic() - started < 1
    # the abandoned calls run on daemon threads: they cannot hold the process open at exit
    assert all(t.daemon for t in threading.enumerate() if t.name.startswith("balctl-"))


XT_PROFILE = Profile(name="xt", exchange="xt", api_key="k", api_secret="s", base_url="https://sapi.xt.com",
                     symbols=tuple(f"C{i}_USDT" for i in range(9)))


@responses.activate
def test_xt_symbols_are_fetched_at_most_four_at_a_time():
    overlap = Overlap(gate=4)

    def answer(request):
        with overlap:
            time.sleep(0.05)
        symbol = request.url.rsplit("=", 1)[1].lower()
        body = fixture_text("xt_btc_usdt.json").replace('"btc_usdt"', f'"{symbol}"')
        return 200, {}, body

    responses.add_callback(responses.GET, "https://sapi.xt.com/v4/lever/balance", callback=answer)
    snapshot = fetch.fetch_snapshot(XT_PROFILE, Selection(), Transport())
    assert overlap.peak == fetch.REQUESTS_IN_FLIGHT == 4
    assert [row.market for row in snapshot.balances[::2]] == [f"C{i}_USDT" for i in range(9)]


def test_a_bug_in_one_account_fails_that_account_only(monkeypatch):
    profiles = [Profile(name=f"p{i}", exchange="okx", api_key="k", api_secret="s", passphrase="p",
                        base_url="https://www.okx.com") for i in range(3)]
    real = fetch.fetch_snapshot

    def flaky(profile, selection, transport):
        if profile.name == "p1":
            raise ZeroDivisionError("boom")
        return real(profile, selection, transport)

    monkeypatch.setattr(fetch, "fetch_snapshot", flaky)
    with responses.RequestsMock() as mock:
        mock.get("https://www.okx.com/api/v5/account/balance", body=fixture_text("okx_balance.json"))
        report = fetch.fetch_report(profiles, Selection(), Transport())
    assert [a.profile for a in report.accounts] == ["p0", "p2"]
    [failure] = report.errors
    assert (failure.profile, failure.kind, failure.message) == ("p1", "internal", "internal error: ZeroDivisionError: boom")
    assert report.exit_code() == 6


@responses.activate
def test_all_fetches_at_most_sixteen_accounts_at_once_and_reports_in_profile_order():
    overlap = Overlap(gate=16)
    body = fixture_text("okx_balance.json")

    def answer(request):
        with overlap:
            time.sleep(0.3)  # long enough for 16 accounts (each request on its own thread) to meet
        return 200, {}, body

    responses.add_callback(responses.GET, "https://www.okx.com/api/v5/account/balance", callback=answer)
    profiles = [Profile(name=f"p{i}", exchange="okx", api_key="k", api_secret="s", passphrase="p",
                        base_url="https://www.okx.com") for i in range(20)]
    report = fetch.fetch_report(profiles, Selection(), Transport())
    assert overlap.peak == fetch.ACCOUNTS_IN_FLIGHT == 16
    assert [a.profile for a in report.accounts] == [f"p{i}" for i in range(20)]


def test_after_a_failure_queued_calls_are_not_started():
    started = []

    def work(item: int) -> int:
        started.append(item)
        if item == 0:
            raise ValueError("refused")
        time.sleep(0.2)
        return item

    with pytest.raises(ValueError):
        fetch._map_bounded(work, list(range(12)), 4)
    time.sleep(0.5)  # let the three calls in flight finish and free their slots
    assert len(started) <= 4


CTRL_C_ON_A_REQUEST_THREAD = """
import signal, sys, threading, time
from balctl.fetch import _map_bounded

signal.signal(signal.SIGINT, signal.default_int_handler)  # whatever the parent left ignored
hanging = threading.Event()

def work(index):
    if index == 0:  # the OS may hand SIGINT to any thread: here, to a request thread,
        time.sleep(0.5)  # once the main thread waits for the results
        signal.pthread_kill(threading.get_ident(), signal.SIGINT)
    hanging.wait()

try:
    _map_bounded(work, [0, 1], 4)
except KeyboardInterrupt:
    print("interrupted")
"""


@pytest.mark.skipif(not hasattr(__import__("signal"), "pthread_kill"), reason="POSIX threads only")
def test_ctrl_c_delivered_to_a_request_thread_still_interrupts_the_wait():
    """The waiting main thread wakes up on its own to run Python's signal handler: a wait
    that only a result could end would hang with every request hanging."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", CTRL_C_ON_A_REQUEST_THREAD], capture_output=True, text=True,
                          timeout=60)  # generous: a loaded machine starts Python slowly
    assert (done.returncode, done.stdout, done.stderr) == (0, "interrupted\n", "")
