"""`balctl profiles check`: does each profile's key work, is the clock right, can it trade?

Per profile: the exchange's public time endpoint (the clock offset), then one real signed
request (OKX: the account configuration, which also names the key's permissions; others:
one balance request). The outcome is OK or the error balctl would report, with its exit
code; a clock off by a second or more, or a key that can trade or withdraw, is a warning
(balctl corrects the clock itself, and only ever reads).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from balctl import exchanges
from balctl.errors import BalctlError, ExitCode, InternalError, NetworkError
from balctl.exchanges import Selection
from balctl.http import SKEW_WORTH_CORRECTING_MS, Transport

RISKY_PERMISSIONS = ("trade", "withdraw")
CHECKS_IN_FLIGHT = 8


@dataclass
class CheckResult:
    """One profile's outcome; `error` is None when the key worked."""

    name: str
    exchange: str | None
    error: BalctlError | None = None
    clock_offset_ms: int | None = None
    permissions: list[str] | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def exit_code(self) -> int:
        return int(self.error.exit_code) if self.error else int(ExitCode.OK)


def check_profiles(entries: Sequence[Any], transport: Transport) -> list[CheckResult]:
    """Check every entry (a Profile, or the ProfileError that makes it unusable), at most
    eight at once, results in the given order."""
    from balctl.fetch import _map_bounded

    return _map_bounded(lambda entry: check_profile(entry, transport), list(entries), CHECKS_IN_FLIGHT)


def check_profile(entry: Any, transport: Transport) -> CheckResult:
    """Never raises: every failure becomes the result's error."""
    if isinstance(entry, BalctlError):
        return CheckResult(entry.profile or "?", entry.exchange, error=entry)
    result = CheckResult(entry.name, entry.exchange)
    try:
        _check(entry, transport, result)
    except BalctlError as exc:
        result.error = exc.for_account(entry.exchange, entry.name)
    except Exception as exc:  # a bug checking one profile must not hide the others
        result.error = InternalError(f"internal error: {type(exc).__name__}: {exc}").for_account(
            entry.exchange, entry.name)
    return result


def exit_code(results: Sequence[CheckResult]) -> int:
    """The worst outcome (0 OK, 2 profile, 3 auth, 4 network, 5 exchange); warnings are 0."""
    return max((result.exit_code for result in results), default=int(ExitCode.OK))


def _check(profile: Any, transport: Transport, result: CheckResult) -> None:
    exchange = exchanges.load(profile.exchange)
    try:
        offset = transport.clock_offset_ms(exchange, profile)
    except NetworkError:
        raise  # the host does not answer: the signed request would not either
    except BalctlError as exc:
        result.warnings.append(f"cannot read {exchange.NAME}'s clock: {exc.line()}")
    else:
        result.clock_offset_ms = offset
        transport.remember_offset(profile, offset)  # sign with the exchange's time, as a run would
        if abs(offset) >= SKEW_WORTH_CORRECTING_MS:
            result.warnings.append(clock_warning(exchange.NAME, offset))
    path = exchange.check_path(profile) if hasattr(exchange, "check_path") else \
        exchange.request_paths(profile, Selection())[0]
    _, body = transport.get_json(exchange, profile, path)
    if hasattr(exchange, "parse_permissions"):
        result.permissions = exchange.parse_permissions(body)
        risky = [name for name in RISKY_PERMISSIONS if name in result.permissions]
        if risky:
            result.warnings.append(
                f"the key can {' and '.join(risky)}: balctl only reads balances, "
                "so a read-only key is safer (create one and replace this profile with --force)")


def clock_warning(exchange: str, offset_ms: int) -> str:
    """`this machine's clock is 120.0 s behind okx's` and what to do."""
    direction = "behind" if offset_ms > 0 else "ahead of"
    return (f"this machine's clock is {abs(offset_ms) / 1000:.1f} s {direction} {exchange}'s; balctl "
            "corrects for it, but other tools may not: sync it (e.g. timedatectl set-ntp true)")
