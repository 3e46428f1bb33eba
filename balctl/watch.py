"""`--watch SECONDS`: fetch again and again, like `kubectl get -w` or `watch` (issue 13).

Each refresh is one run of the ordinary pipeline (`runner.finish`: failures, filters,
alerts, --append, --record), with the drawing handed to a view:

- On a terminal with the table output: a Rich Live display redrawn in place, with the time of
  the last refresh, what changed since the previous one (its cells green/red in the table,
  and listed with ▲/▼ and the exact change), and a status line
  for a failed refresh while the last good data of that account stays on screen. Fired
  alerts are in the table, under their account, as in a single run.
- Anywhere else, a stream: `-o json` one compact JSON document per line (NDJSON), `-o csv`
  the header once and then each refresh's rows, `table` each refresh's tables in turn.

A failed refresh never ends the watch; a rate-limit answer (HTTP 429, Retry-After) stretches
the interval. Ctrl-C and SIGTERM end it with exit 0 once the output being written is
complete: the signal only raises a flag, read between refreshes, and the fetch runs on a
worker thread so that a stop does not wait for a slow exchange.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal, localcontext
from typing import Any, TextIO

from balctl import numeric, runner
from balctl.errors import BalctlError, NetworkError, RateLimited, UsageError
from balctl.exchanges import Selection
from balctl.messages import enable_request_log, report_error, report_warning, stderr_line
from balctl.model import AMOUNT_FIELDS, EXACT, SUMMARY_FIELDS, Report, Snapshot, utc_now
from balctl.platforms import stop_signals

MIN_SECONDS = 2.0
MAX_SECONDS = 86400.0
"""One day: a watch that waits longer between refreshes is a typo (`1e10`), not a watch."""
MAX_STRETCH = 600.0
"""However often the exchange says 429, the watch looks again within ten minutes."""
MAX_CHANGES_SHOWN = 12
POLL = 0.05
"""Seconds between looks at the stop flag while waiting (a sleep a signal cuts short)."""


def check(seconds: float, output: str) -> None:
    """The usage rules of --watch, checked before anything is fetched (the command line has
    checked the interval already; a library caller's number is checked the same way)."""
    watch_seconds(seconds)
    if output == "prometheus":
        raise UsageError("--watch prints a table, JSON or CSV; for Prometheus use balctl serve")


def watch_seconds(value: str | float, *, option: str = "--watch") -> float:
    """--watch SECONDS: MIN_SECONDS to MAX_SECONDS, typed in ASCII (balctl.numeric)."""
    return numeric.seconds(value, option=option, low=MIN_SECONDS, high=MAX_SECONDS, noun="the interval")


def watch(profiles: Sequence[Any], selection: Selection, options: runner.RunOptions, *,
          single: bool, seconds: float, out: TextIO | None = None) -> int:
    """Refresh until stopped; returns the exit code (0: a watch ends only when asked to)."""
    from balctl.fetch import fetch_report
    from balctl.http import Transport

    check(seconds, options.output)
    out = out or sys.stdout
    live = options.output == "table" and _is_terminal(out)
    view: View = LiveView(out, options, single, seconds) if live else StreamView(out, options, single)
    if options.verbose:
        enable_request_log()
    transport = Transport(timeout=options.timeout)
    pause = seconds
    with Stop() as stop, view, contextlib.closing(transport):
        while not stop.requested:
            started, started_at = time.monotonic(), utc_now()
            report = stop.run(lambda: fetch_report(profiles, selection, transport))
            if report is None:  # stopped while fetching
                break
            runner.finish(report, options, single=single, started_at=started_at, profiles=profiles,
                          show=view.show)
            pause = next_pause(seconds, pause, report)
            view.waiting(pause, stretched=pause > seconds)
            stop.sleep(started + pause - time.monotonic())
    return 0


def next_pause(seconds: float, previous: float, report: Report) -> float:
    """The interval, stretched while the exchange rate-limits us: doubled per limited
    refresh, or as long as its Retry-After says if that is longer; back to normal after."""
    limited = [failure.error for failure in report.errors
               if isinstance(failure.error, RateLimited)
               or (isinstance(failure.error, NetworkError) and failure.error.retry_after is not None)]
    if not limited:
        return seconds
    told = max((error.retry_after for error in limited if error.retry_after is not None), default=0.0)
    return min(max(seconds, previous * 2, told), MAX_STRETCH)


class Stop:
    """SIGINT and SIGTERM raise a flag instead of interrupting whatever is being written."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> Stop:
        for sig in stop_signals():
            self._previous[sig] = signal.signal(sig, self._raise_flag)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def _raise_flag(self, signum: int, frame: Any) -> None:
        self.requested = True

    def run(self, work: Callable[[], Report]) -> Report | None:
        """`work()` on a daemon thread; None if a stop came first (the thread is abandoned:
        every request is a read)."""
        done = threading.Event()
        result: list[Any] = []

        def target() -> None:
            try:
                result.append(work())
            except BaseException as exc:  # raised on the caller's thread
                result.append(exc)
            done.set()

        threading.Thread(target=target, daemon=True, name="balctl-watch").start()
        while not done.is_set():
            if self.requested:
                return None
            time.sleep(POLL)
        if isinstance(result[0], BaseException):
            raise result[0]
        return result[0]

    def sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while not self.requested and (left := end - time.monotonic()) > 0:
            time.sleep(min(POLL, left))


class View:
    """Where the refreshes go; `show` is called by runner.finish with the filtered report."""

    def __enter__(self) -> View:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def show(self, report: Report) -> None:
        raise NotImplementedError

    def waiting(self, pause: float, *, stretched: bool) -> None:
        """Between refreshes; a stream has nothing to say."""


class StreamView(View):
    """Off a terminal: every refresh appended to the output, each in one write."""

    def __init__(self, out: TextIO, options: runner.RunOptions, single: bool) -> None:
        self.out, self.options, self.single = out, options, single
        self.count = 0

    def show(self, report: Report) -> None:
        for failure in report.errors:  # the ordinary error and warning lines, on stderr
            if failure.error is not None:
                report_error(failure.error)
        for account in report.accounts:
            for warning in account.warnings:
                report_warning(account.exchange, account.profile, warning)
        for line in alert_lines(report):
            stderr_line(line)
        accounts = report.accounts[:1] if self.single else report.accounts
        fmt = self.options.output
        if fmt == "json":
            from balctl.render.json import dumps_line, report_document, snapshot_document

            if self.single:
                text = "".join(dumps_line(snapshot_document(a, raw=self.options.raw)) + "\n" for a in accounts)
            else:
                text = dumps_line(report_document(report, raw=self.options.raw)) + "\n"
        elif fmt == "csv":
            from balctl.render.csv import rows_text

            text = rows_text(accounts, header=self.count == 0)
        else:
            buffer = io.StringIO()
            runner.render(report, self.options, single=self.single, out=buffer)
            text = ("\n" if self.count and buffer.getvalue() else "") + buffer.getvalue()
        if text:
            self.out.write(text)
            self.out.flush()
            self.count += 1


class LiveView(View):
    """On a terminal: the single run's table, redrawn in place with what changed."""

    def __init__(self, out: TextIO, options: runner.RunOptions, single: bool, seconds: float) -> None:
        from rich.console import Console
        from rich.live import Live

        self.out, self.options, self.single, self.seconds = out, options, single, seconds
        from balctl.render.table import wants_color

        colour = wants_color(out, options.table.color)  # as the table decides: --color, NO_COLOR
        self.console = Console(file=out, force_terminal=True, highlight=False,
                               color_system="auto" if colour else None)
        self.live = Live(console=self.console, auto_refresh=False, transient=False,
                         redirect_stdout=False, redirect_stderr=True)
        self.shown: dict[str, Snapshot] = {}
        """The last good snapshot of each profile: what stays on screen when one fails."""
        self.order: list[str] = []
        self.changes: list[Change] = []
        self.failures: list[BalctlError] = []
        self.warnings: list[str] = []
        self.refreshed: datetime | None = None
        self.note = ""

    def __enter__(self) -> LiveView:
        self.live.start()
        self.live.update(self._status_text("fetching…"), refresh=True)
        return self

    def __exit__(self, *exc: object) -> None:
        self.note = ""
        self._draw()
        self.live.stop()

    def show(self, report: Report) -> None:
        self.refreshed = utc_now()
        fresh = report.accounts[:1] if self.single else report.accounts
        self.changes = [change for snapshot in fresh if snapshot.profile in self.shown
                        for change in changes(self.shown[snapshot.profile], snapshot)]
        for snapshot in fresh:
            if snapshot.profile not in self.order:
                self.order.append(snapshot.profile)
            self.shown[snapshot.profile] = snapshot
        self.failures = [failure.error for failure in report.errors if failure.error is not None]
        self.warnings = [f"warning: {a.exchange} ({a.profile}): {w}" for a in fresh for w in a.warnings]
        self._draw()

    def waiting(self, pause: float, *, stretched: bool) -> None:
        self.note = f"rate limited: next refresh in {pause:g} s" if stretched else ""
        self._draw()

    def _draw(self) -> None:
        from rich.console import Group
        from rich.text import Text

        parts: list[Any] = [self._header()]
        parts += [self._failure_line(error) for error in self.failures]
        parts += [Text(visible(warning), style="yellow") for warning in self.warnings]
        parts += self._change_lines()
        body = self._tables()
        if body is not None:
            parts.append(body)
        self.live.update(Group(*parts), refresh=True)

    def _header(self) -> Any:
        from rich.text import Text

        when = _clock(self.refreshed) if self.refreshed else "–"
        header = Text(f"every {self.seconds:g} s · last refresh {when} · Ctrl-C stops", style="dim")
        if self.note:
            header.append(f" · {self.note}", style="yellow")
        return header

    def _failure_line(self, error: BalctlError) -> Any:
        from rich.text import Text

        kept = self.shown.get(error.profile or "")
        tail = f" (showing the data of {_clock(kept.fetched_at)})" if kept else ""
        return Text(f"refresh failed: {visible(error.line())}{tail}", style="bold red")

    def _change_lines(self) -> list[Any]:
        from rich.text import Text

        lines = []
        for change in self.changes[:MAX_CHANGES_SHOWN]:
            up = change.up
            line = Text("▲ " if up else "▼ ", style="green" if up else "red")
            line.append(f"{visible(change.where)} {change.field} ")
            line.append(f"{change.delta_text()}", style="green" if up else "red")
            line.append(f"  ({_plain(change.old)} → {_plain(change.new)})", style="dim")
            lines.append(line)
        if len(self.changes) > MAX_CHANGES_SHOWN:
            lines.append(Text(f"… and {len(self.changes) - MAX_CHANGES_SHOWN} more changes", style="dim"))
        return lines

    def _tables(self) -> Any:
        """The single run's own rendering (runner.render), captured as if to this terminal."""
        from rich.text import Text

        accounts = [self.shown[name] for name in self.order if name in self.shown]
        if not accounts:
            return None
        report = Report(self.refreshed or accounts[0].fetched_at, accounts, [])
        capture = _TerminalCapture(self.out)
        options = replace(self.options, table=replace(self.options.table, marks=marks(self.changes)))
        runner.render(report, options, single=self.single, out=capture)
        return Text.from_ansi(capture.getvalue().rstrip("\n"))

    def _status_text(self, text: str) -> Any:
        from rich.text import Text

        return Text(text, style="dim")


@dataclass(frozen=True)
class Change:
    """One amount that moved between two refreshes of an account: a row's (`asset` set) or
    the summary's (`asset` None)."""

    profile: str
    market: str | None
    asset: str | None
    field: str
    old: Decimal
    new: Decimal

    @property
    def up(self) -> bool:
        return self.new > self.old

    @property
    def where(self) -> str:
        """`main BTC_USDT BTC`, `main ETH`, or `main` for the summary."""
        return " ".join(part for part in (self.profile, self.market, self.asset) if part)

    def delta_text(self) -> str:
        with localcontext(EXACT):  # exact: both are bounded by model.MAX_PLACES
            delta = self.new - self.old
        return ("+" if delta > 0 else "") + _plain(delta)


def changes(old: Snapshot, new: Snapshot) -> list[Change]:
    """The amounts of `new` that differ from `old`: the summary's (equity, loan, risk
    figures), then every row's fields, in `new`'s order. A value appearing or turning null
    is not a move."""
    found = []
    for name in SUMMARY_FIELDS:
        before, after = getattr(old.summary, name, None), getattr(new.summary, name, None)
        if before is not None and after is not None and before != after:
            found.append(Change(new.profile, None, None, name, before, after))
    previous = {(row.market, row.asset): row for row in old.balances}
    for row in new.balances:
        earlier = previous.get((row.market, row.asset))
        if earlier is None:
            continue
        for name in AMOUNT_FIELDS:
            before, after = getattr(earlier, name), getattr(row, name)
            if before is not None and after is not None and before != after:
                found.append(Change(new.profile, row.market, row.asset, name, before, after))
    return found


def marks(found: Sequence[Change]) -> tuple[tuple[str, str, str, str, int], ...]:
    """The rows' changes as the table's `marks` (render.TableOptions): cells drawn green/red."""
    return tuple((change.profile, change.market or "", change.asset, change.field, 1 if change.up else -1)
                 for change in found if change.asset is not None)


def alert_lines(report: Report) -> list[str]:
    """`balctl: alert: okx (main): margin_ratio 2.7 < 3` for each alert that fired in this
    refresh (runner.finish attached them to the report); the watch goes on regardless."""
    fired = getattr(report, "alerts", ())
    if not fired:
        return []
    from balctl import alerts

    return [f"balctl: alert: {alerts.line(alert)}" for alert in fired]


def visible(text: str) -> str:
    """Text from outside (an exchange's message, a name) made safe for the terminal."""
    from balctl.sanitize import LINE_LIMIT, terminal_text

    return terminal_text(text, limit=LINE_LIMIT)


def _clock(moment: datetime) -> str:
    """Local wall-clock time, as a person at the terminal reads it."""
    return moment.astimezone().strftime("%H:%M:%S")


def _plain(value: Decimal) -> str:
    return format(value, "f")


class _TerminalCapture(io.StringIO):
    """Collects a render that believes it goes to `terminal` (its size, its colours)."""

    def __init__(self, terminal: TextIO) -> None:
        super().__init__()
        self._terminal = terminal

    def isatty(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._terminal.fileno()


def _is_terminal(out: TextIO) -> bool:
    try:
        return out.isatty()
    except (AttributeError, ValueError):
        return False
