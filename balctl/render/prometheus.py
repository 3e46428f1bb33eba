"""Prometheus metrics from a Report: what `balctl serve` answers and `-o prometheus` prints.

Prometheus stores every sample as a float64, so the amounts here are `float(Decimal)`:
the one place balctl gives up its exact decimals (README: "Prometheus"). Use the JSON
output when the digits matter; use these metrics for graphs and alerts.

`prometheus-client` is an optional extra (`pip install 'balctl[prometheus]'`), imported
only inside the functions below: `render/__init__` can name this module without making
the library a dependency of every run. The library writes the text format and escapes
label values (a profile name may hold `"`, `\\` or a newline; tests/test_prometheus.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import ModuleType
from typing import Any, TextIO

from balctl.errors import ExitCode, UsageError
from balctl.model import AMOUNT_FIELDS, Failure, Report, Snapshot

INSTALL_HINT = "pip install 'balctl[prometheus]'"
ACCOUNT_LABELS = ("profile", "exchange", "account")

SUMMARY_METRICS: tuple[tuple[str, str, bool, str], ...] = (
    # (metric suffix, Summary attribute, has a `unit` label, help)
    ("equity", "equity", True, "Account equity in `unit`, as the exchange reports it."),
    ("loan", "loan", True, "Total borrowed in `unit`, as the exchange reports it."),
    ("margin_ratio", "margin_ratio", False, "The exchange's margin ratio (OKX mgnRatio)."),
    ("adjusted_equity", "adjusted_equity", True, "Adjusted equity in `unit` (OKX adjEq)."),
    ("unrealized_pnl", "unrealized_pnl", True, "Unrealised profit and loss in `unit` (OKX upl)."),
)
"""Summary fields exported when not null (read with getattr: a summary without a risk
field simply has none to export)."""

METRIC_NAMES: tuple[str, ...] = (
    "balctl_up",
    *(f"balctl_{suffix}" for suffix, *_ in SUMMARY_METRICS),
    "balctl_balance",
    "balctl_fetch_duration_seconds",
    "balctl_last_success_timestamp_seconds",
)
"""Every metric balctl exports (examples/prometheus/ rules are checked against this)."""


def require() -> ModuleType:
    """The `prometheus_client` package, or a usage error (exit 2) saying how to get it."""
    try:
        import prometheus_client
        import prometheus_client.core  # noqa: F401 (the metric families)
    except ImportError:
        raise UsageError("Prometheus output needs the prometheus-client package",
                         hint=INSTALL_HINT) from None
    return prometheus_client


@dataclass
class Exposition:
    """What the metrics are made of: the latest report plus what a long-running exporter
    remembers across reports.

    `durations` (seconds) and `last_success` (Unix seconds) are keyed by profile name; an
    account missing from them gets no sample of that metric.
    """

    report: Report
    durations: Mapping[str, float] = field(default_factory=dict)
    last_success: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def of(cls, report: Report) -> Exposition:
        """A single run: durations from when the run started to each account's answer, and
        each fetched account's own time as its last success (failed ones have none)."""
        started = report.fetched_at
        return cls(
            report,
            durations={s.profile: max((s.fetched_at - started).total_seconds(), 0.0) for s in report.accounts},
            last_success={s.profile: s.fetched_at.timestamp() for s in report.accounts},
        )

    def collect(self) -> Iterator[Any]:
        """The metric families, for `generate_latest` (any object with `collect` will do)."""
        return iter(families(self))


def families(exposition: Exposition) -> list[Any]:
    """One gauge family per metric, every sample labelled profile/exchange/account."""
    core = require().core
    report = exposition.report

    def gauge(suffix: str, help_text: str, extra: Iterable[str] = ()) -> Any:
        return core.GaugeMetricFamily(f"balctl_{suffix}", help_text, labels=[*ACCOUNT_LABELS, *extra])

    up = gauge("up", "1 when the account's last fetch succeeded, else 0; `code` is balctl's exit code "
               "for the failure (0 when up).", ["code"])
    for snapshot in report.accounts:
        up.add_metric([*labels_of(snapshot), str(int(ExitCode.OK))], 1.0)
    for failure in report.errors:
        up.add_metric([*failure_labels(failure), str(int(_exit_code(failure)))], 0.0)
    result = [up]

    for suffix, attribute, has_unit, help_text in SUMMARY_METRICS:
        family = gauge(suffix, help_text + " float64.", ["unit"] if has_unit else [])
        for snapshot in report.accounts:
            value = getattr(snapshot.summary, attribute, None)
            if value is not None:
                unit = [snapshot.summary.unit] if has_unit else []
                family.add_metric([*labels_of(snapshot), *unit], to_float(value))
        result.append(family)

    balance = gauge("balance", "A balance row's amount (field: total, available, frozen, loan, interest, "
                    "position_margin, order_margin, usd_value); null amounts are left out. float64.",
                    ["market", "asset", "field"])
    for snapshot in report.accounts:
        seen: set[tuple[str, str]] = set()
        for row in snapshot.balances:
            key = (row.market or "", row.asset)
            if key in seen:  # one series per label set, or Prometheus rejects the whole scrape
                continue
            seen.add(key)
            for name in AMOUNT_FIELDS:
                value = getattr(row, name)
                if value is not None:
                    balance.add_metric([*labels_of(snapshot), *key, name], to_float(value))
    result.append(balance)

    duration = gauge("fetch_duration_seconds", "Seconds from the start of the fetch to the account's answer "
                     "or failure.")
    last = gauge("last_success_timestamp_seconds", "Unix time of the account's last successful fetch.")
    for labels, profile in _every_account(report):
        if profile in exposition.durations:
            duration.add_metric(list(labels), exposition.durations[profile])
        if profile in exposition.last_success:
            last.add_metric(list(labels), exposition.last_success[profile])
    return [*result, duration, last]


def text(exposition: Exposition) -> str:
    """The Prometheus text format (0.0.4), as node_exporter's textfile collector reads it."""
    return require().generate_latest(exposition).decode("utf-8")


def report(report: Report, *, raw: bool = False, out: TextIO | None = None) -> str:
    """`-o prometheus` of `all`: the metrics of one run, printed once."""
    return text(Exposition.of(report))


def snapshot(snapshot: Snapshot, *, raw: bool = False, out: TextIO | None = None) -> str:
    """`-o prometheus` of one exchange command: the run's start is unknown here, so no duration."""
    single = Report(fetched_at=snapshot.fetched_at, accounts=[snapshot], errors=[])
    exposition = Exposition.of(single)
    exposition.durations = {}
    return text(exposition)


def labels_of(snapshot: Snapshot) -> tuple[str, str, str]:
    return (snapshot.profile, snapshot.exchange, snapshot.account)


def failure_labels(failure: Failure) -> tuple[str, str, str]:
    """A failed account is labelled as it would be when up, so its series lines up."""
    from balctl import exchanges

    module = exchanges.EXCHANGES.get(failure.exchange)
    account = exchanges.load(failure.exchange).ACCOUNT if module else ""
    return (failure.profile, failure.exchange, account)


def to_float(value: Decimal) -> float:
    """float64, correctly rounded: what Prometheus stores (see the module docstring)."""
    return float(value)


def _exit_code(failure: Failure) -> int:
    return failure.error.exit_code if failure.error is not None else ExitCode.EXCHANGE


def _every_account(report: Report) -> Iterator[tuple[tuple[str, str, str], str]]:
    for snapshot in report.accounts:
        yield labels_of(snapshot), snapshot.profile
    for failure in report.errors:
        yield failure_labels(failure), failure.profile
