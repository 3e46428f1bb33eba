"""From profiles to snapshots: the library entry points the CLI is a thin client of.

    transport = Transport(timeout=10)
    snapshot = fetch_snapshot(profile, Selection(ccy=("BTC",)), transport)
    report = fetch_report(profiles, Selection(), transport)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from balctl import exchanges
from balctl.errors import BadResponse, BalctlError, InternalError, NetworkError
from balctl.exchanges import Selection
from balctl.http import Transport, worst_case_seconds
from balctl.model import Account, Failure, Report, Snapshot, utc_now
from balctl.profiles import Profile

REQUESTS_IN_FLIGHT = 4
"""Per account (XT fetches one request per symbol): polite to the exchange's rate limit."""
ACCOUNTS_IN_FLIGHT = 16
WAKE_SECONDS = 0.1
"""The waiting main thread wakes this often, so that a Ctrl-C is acted on at once: the
signal may be delivered to a request thread (POSIX), and on Windows a blocking lock wait
is not interrupted by Ctrl-C at all; only the main thread runs Python's handler."""


def fetch_snapshot(profile: Profile, selection: Selection, transport: Transport) -> Snapshot:
    """Fetch, check and parse one account; raises a `BalctlError` naming the profile."""
    exchange = exchanges.load(profile.exchange)
    try:
        paths = exchange.request_paths(profile, selection)
        answers = _map_bounded(lambda path: transport.get_json(exchange, profile, path), paths,
                               REQUESTS_IN_FLIGHT)
        fetched_at = utc_now()
        bodies = [body for _, body in answers]
        account = _parse(exchange, bodies, status=answers[0][0] if answers else 0)
    except BalctlError as exc:
        raise exc.for_account(profile.exchange, profile.name) from None
    return Snapshot(
        profile=profile.name,
        exchange=profile.exchange,
        account=exchange.ACCOUNT,
        fetched_at=fetched_at,
        summary=account.summary,
        balances=account.balances,
        raw=bodies,
        breakdown=account.breakdown,
        warnings=account.warnings,
    )


def fetch_report(
    profiles: Sequence[Profile | BalctlError],
    selection: Selection,
    transport: Transport,
    *,
    on_done: Callable[[Profile | BalctlError], None] | None = None,
) -> Report:
    """Every profile concurrently; results in profile order, failures collected, not raised.

    An entry that is already an error (a profile the file could not make usable) is
    reported in its place like any other failure.
    """
    started = utc_now()

    def one(profile: Profile | BalctlError) -> Snapshot | BalctlError:
        try:
            if isinstance(profile, BalctlError):
                return profile
            return fetch_snapshot(profile, selection, transport)
        except BalctlError as exc:
            return exc
        except Exception as exc:  # a bug in one account must not hide the others
            return InternalError.from_exception(exc).for_account(profile.exchange, profile.name)
        finally:
            if on_done:
                on_done(profile)

    deadline = run_deadline(transport)

    def late(profile: Profile | BalctlError) -> BalctlError:
        error = NetworkError(f"no complete answer within the run's deadline of {deadline:g} s")
        return error.for_account(profile.exchange, profile.name)  # a BalctlError entry is never late

    results = _map_bounded(one, list(profiles), ACCOUNTS_IN_FLIGHT, timeout=deadline, late=late)
    return Report(
        fetched_at=started,
        accounts=[result for result in results if isinstance(result, Snapshot)],
        errors=[Failure.from_error(result) for result in results if isinstance(result, BalctlError)],
    )


def _parse(exchange: exchanges.ExchangeModule, bodies: list[Any], *, status: int) -> Account:
    """The exchange's pure parse, with any shape surprise turned into a clean exit 5."""
    try:
        return exchange.parse(bodies)
    except BadResponse as exc:
        raise exc.evolve(message=f"HTTP {status}: {exc.message}", status=status) from None
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        raise BadResponse(f"HTTP {status}: unexpected response shape ({type(exc).__name__})",
                          status=status) from None


def run_deadline(transport: Transport) -> float | None:
    """Seconds after which the accounts still fetching are given up (exit 4 for them): the
    worst case of one account's request chain (http.worst_case_seconds), plus a second."""
    timeout = getattr(transport, "timeout", None)
    return None if timeout is None else worst_case_seconds(timeout) + 1.0


def _map_bounded(function: Callable[[Any], Any], items: list[Any], limit: int, *,
                 timeout: float | None = None, late: Callable[[Any], Any] | None = None) -> list[Any]:
    """`map` in order, at most `limit` calls at once; a single item runs on this thread
    unless there is a `timeout`.

    Daemon threads, not a ThreadPoolExecutor: when one call fails (or on Ctrl-C) the answer
    is known, and the process must not wait at exit for the other requests still in flight.
    Every call is a read, so abandoning one is harmless. The first failure is raised.
    With `timeout` (seconds for the whole map), an item not done by then is `late(item)`.
    """
    if len(items) <= 1 and timeout is None:
        return [function(item) for item in items]
    slots = threading.BoundedSemaphore(limit)
    changed = threading.Condition()
    results: dict[int, Any] = {}
    failures: list[BaseException] = []

    def call(index: int, item: Any) -> None:
        with slots:
            if failures:  # the answer is known: don't spend the exchange's rate limit on it
                return
            try:
                value = function(item)
            except BaseException as exc:  # handed to the caller's thread, raised there
                with changed:
                    failures.append(exc)
                    changed.notify()
                return
        with changed:
            results[index] = value
            changed.notify()

    for index, item in enumerate(items):
        threading.Thread(target=call, args=(index, item), daemon=True, name=f"balctl-{index}").start()
    with changed:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not (failures or len(results) == len(items)):
            left = WAKE_SECONDS if deadline is None else min(WAKE_SECONDS, deadline - time.monotonic())
            if left <= 0:
                break
            changed.wait(left)  # never one long wait: see WAKE_SECONDS
        if failures:
            raise failures[0]
        finished = dict(results)
        if len(finished) < len(items):
            failures.append(TimeoutError())  # calls not started yet stay unstarted
    return [finished[index] if index in finished else late(items[index])  # type: ignore[misc]
            for index in range(len(items))]
