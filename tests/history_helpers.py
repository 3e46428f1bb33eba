"""Small snapshots and runs for the history tests (no exchange, no network)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from balctl.errors import NetworkError
from balctl.history.store import record_run
from balctl.model import Balance, Failure, Snapshot, Summary

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def snapshot(profile: str = "okx", at: datetime = T0, equity: str | None = "1000.50", *,
             exchange: str = "okx", account: str = "trading", unit: str = "USD",
             rows: list[Balance] | None = None, native=None) -> Snapshot:
    summary = Summary(None if equity is None else Decimal(equity), Decimal("0"), unit, native)
    balances = rows if rows is not None else [Balance("BTC", total=Decimal("0.00000001"), native={"ccy": "BTC"})]
    return Snapshot(profile, exchange, account, at, summary, balances)


def failure(profile: str = "okx", exchange: str = "okx") -> Failure:
    return Failure.from_error(NetworkError("connection refused", exchange=exchange, profile=profile))


def record_hours(path: Path, values: dict[str, list[str | None]], *, start: datetime = T0) -> None:
    """One run per hour; `values[profile][hour]` is its equity, None meaning that account failed."""
    hours = max(len(series) for series in values.values())
    for hour in range(hours):
        at = start + timedelta(hours=hour)
        snapshots, failures = [], []
        for profile, series in values.items():
            if hour >= len(series):
                continue
            if series[hour] is None:
                failures.append(failure(profile))
            else:
                snapshots.append(snapshot(profile, at, series[hour]))
        record_run(path, snapshots, failures, command="all", started_at=at, finished_at=at)
