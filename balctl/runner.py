"""One run of a fetching command: fetch the chosen accounts, then every post-fetch step.

`balctl okx`, `balctl all` and `balctl demo` (and each refresh of a watch) are the same
pipeline; only the accounts and the shape of the output differ:

    fetch(profiles, selection, options)  -> Report      (concurrent, failures collected)
    finish(report, options, single=...)  -> exit code   (errors, filters, alerts, --append,
                                                          --record, render)

Nothing here imports Typer: the CLI is a thin client of this module, and so is the watch
loop. Heavy modules (requests, Rich) are imported by the functions that need them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from balctl.errors import BalctlError, UsageError
from balctl.exchanges import Selection
from balctl.messages import enable_request_log, report_error, report_warning, stderr_line
from balctl.render import TableOptions

if TYPE_CHECKING:
    from decimal import Decimal  # an annotation only: decimal is imported by what computes

DEFAULT_TIMEOUT = 10.0
"""Seconds: the per-request timeout when neither --timeout nor BALCTL_TIMEOUT says one."""

OUTPUTS = ("table", "json", "csv", "prometheus")


@dataclass(frozen=True, kw_only=True)
class RunOptions:
    """Everything a fetching command was asked to do besides choosing accounts.

    Built by the CLI from its options; keyword-only so that adding an option never shifts
    another one's meaning.
    """

    config: Path | None = None
    """The profile file as given (--config / BALCTL_CONFIG); None: the default location."""
    output: str = "table"
    append: Path | None = None
    hide_zero: bool = False
    timeout: float = DEFAULT_TIMEOUT
    raw: bool = False
    verbose: bool = False
    record: bool | None = None
    """--record / --no-record; None: the profile file's `record:` decides (see `with_file`)."""
    db: Path | None = None
    """The history database as given (--db / BALCTL_DB); None: the default location."""
    command: str = ""
    """The command's name, stored with a recorded run (`all`, `okx`, ...)."""
    alerts: tuple[Any, ...] = ()
    """The command line's --alert expressions, parsed (balctl.alerts.Alert); each profile's
    own `alerts:` are added per account."""
    watch: float | None = None
    """--watch SECONDS: refresh every so often until stopped (balctl.watch)."""
    assets: tuple[str, ...] = ()
    """--asset: only rows of these assets, in every output format."""
    min_value: Decimal | None = None
    """--min-value: leave out rows worth less (in USD); rows without a USD value stay."""
    table: TableOptions = TableOptions()
    """--sort, --columns, --digits, --color: how the table shows the rows."""

    def __post_init__(self) -> None:
        if self.output not in OUTPUTS:
            raise UsageError(f"unknown output format {self.output!r} (one of: {', '.join(OUTPUTS)})")
        if self.raw and self.output != "json":
            raise UsageError("--raw works with -o json only")
        if self.watch is not None:
            from balctl.watch import check

            check(self.watch, self.output)
        if self.output == "prometheus":  # the optional extra: missing is exit 2 before any fetch
            from balctl.render.prometheus import require

            require()

    @property
    def config_path(self) -> Path:
        from balctl.profiles import resolve_config_path

        return resolve_config_path(self.config)

    def with_file(self, profile_file: Any) -> RunOptions:
        """The profile file's defaults applied: `record: true` unless --no-record."""
        if self.record is None:
            return replace(self, record=bool(getattr(profile_file, "record", False)))
        return self


def run(profiles: Sequence[Any], selection: Selection, options: RunOptions, *, single: bool) -> int:
    """Fetch and finish; returns the exit code. `single`: an exchange command's one account.
    With --watch, fetch and finish again every `options.watch` seconds (balctl.watch)."""
    from balctl.model import utc_now

    if options.watch is not None:
        from balctl.watch import watch

        return watch(profiles, selection, options, single=single, seconds=options.watch)
    started_at = utc_now()
    return finish(fetch(profiles, selection, options), options, single=single, started_at=started_at,
                  profiles=profiles)


def fetch(profiles: Sequence[Any], selection: Selection, options: RunOptions) -> Any:
    """Every profile concurrently (an entry may already be a `ProfileError`); never raises
    for an account's failure: it is in `report.errors`."""
    from balctl.fetch import fetch_report
    from balctl.http import Transport

    if options.verbose:
        enable_request_log()
    transport = Transport(timeout=options.timeout)
    progress = Progress(len(profiles)) if len(profiles) > 1 and sys.stderr.isatty() else None
    try:
        return fetch_report(profiles, selection, transport, on_done=progress)
    finally:
        transport.close()
        if progress:
            progress.clear()


def finish(report: Any, options: RunOptions, *, single: bool, started_at: datetime | None = None,
           profiles: Sequence[Any] = (), show: Callable[[Any], None] | None = None) -> int:
    """The post-fetch steps, in order: report failures and warnings, alerts, --record,
    filter rows, --append, render. `profiles`: those fetched, for their own `alerts:`.

    A recording or appending failure is said after the output and makes the exit code 2
    (the fetched data is printed all the same), unless an alert fired: 7 is what cron
    pages on.
    Alerts are checked before any row filter: `--hide-zero` (or another display filter)
    changes what is shown, never whether the alarm rings.

    `show` (a watch's view) replaces the failure, warning and alert lines and the render: it
    gets the filtered report and draws them its own way (a status line, NDJSON, ...).
    """
    if show is None:
        for failure in report.errors:
            if failure.error is not None:
                report_error(failure.error)
        for account in report.accounts:
            for text in account.warnings:
                report_warning(account.exchange, account.profile, text)
    report = _alerts(report, options, profiles, say=show is None)
    not_recorded = _record(report, options, started_at) if options.record else None
    if options.assets or options.min_value is not None or options.hide_zero:
        from balctl.filters import RowFilter, filter_report

        # --asset, --min-value, --hide-zero: for what is shown and appended, not the history
        report = filter_report(report, RowFilter(options.assets, options.min_value, options.hide_zero))
    not_appended = _append(report, options) if options.append and report.accounts else None
    if show is None:
        render(report, options, single=single)
    else:
        show(report)
    for failed in (not_recorded, not_appended):
        if failed is not None:
            report_error(failed)
    if (not_recorded or not_appended) and not report.alerts:
        return int((not_recorded or not_appended).exit_code)
    return int(report.exit_code())


def _append(report: Any, options: RunOptions) -> BalctlError | None:
    """--append: the rows into the CSV file; the error if it could not be done (the data is
    printed on stdout all the same, and the exit code is 2)."""
    from balctl.render.csv import append

    try:
        append(options.append, report.accounts)
    except BalctlError as exc:
        return exc
    return None


def _record(report: Any, options: RunOptions, started_at: datetime | None) -> BalctlError | None:
    """--record: the whole run (every row, before --hide-zero: that filter is for the eyes)
    into the history database, in one transaction; the error if it could not be done."""
    from balctl.history.store import record_run, resolve_db_path

    path = resolve_db_path(options.db)
    try:
        record_run(path, report.accounts, report.errors, command=options.command or "balctl",
                   started_at=started_at or report.fetched_at)
    except BalctlError as exc:
        # one line: the fetched data above is what matters
        return exc.evolve(message=f"not recorded: {exc.message}", hint=None)
    return None


def _alerts(report: Any, options: RunOptions, profiles: Sequence[Any], *, say: bool = True) -> Any:
    """The report with its fired alerts attached, each one said on stderr unless `say` is
    False (`balctl: alert: okx (main): margin_ratio 2.718281828459045 < 3`)."""
    if not options.alerts and not any(getattr(profile, "alerts", ()) for profile in profiles):
        return report
    from balctl import alerts

    report = alerts.apply(report, options.alerts, profiles)
    for fired in report.alerts if say else ():
        stderr_line(f"balctl: alert: {alerts.line(fired)}")
    return report


def render(report: Any, options: RunOptions, *, single: bool, out: TextIO | None = None) -> None:
    """An exchange command prints its one snapshot (nothing when it failed); `all` prints
    the report, and in JSON even when every account failed (the `errors` list). Prometheus
    metrics always cover every account: a failed one is `balctl_up 0`. `out`: stdout."""
    from balctl.render import render_report, render_snapshot

    out = out or sys.stdout
    if options.output == "prometheus":
        render_report(report, options.output, out)
    elif single:
        if report.accounts:
            render_snapshot(report.accounts[0], options.output, out, raw=options.raw, table=options.table)
    elif report.accounts or options.output == "json":
        render_report(report, options.output, out, raw=options.raw, table=options.table)


class Progress:
    """`2/12 accounts` on stderr while several accounts are fetched; only on a terminal,
    erased at the end."""

    def __init__(self, total: int) -> None:
        import threading

        self.total, self.done = total, 0
        self._lock = threading.Lock()
        self._show()

    def __call__(self, _profile: Any) -> None:
        with self._lock:
            self.done += 1
            self._show()

    def _show(self) -> None:
        sys.stderr.write(f"\rfetching {self.done}/{self.total} accounts…")
        sys.stderr.flush()

    def clear(self) -> None:
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()

