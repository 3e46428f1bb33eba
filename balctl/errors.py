"""Every failure balctl reports, its exit code and its one-line message, in one place.

The CLI's single top-level handler turns a `BalctlError` into
`balctl: <exchange> (<profile>): <what happened> [<code>]` plus an optional `hint:` line,
and exits with the class's `exit_code` (docs/contract.md, Exit codes). Nothing else prints errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from collections.abc import Callable
from enum import IntEnum
from typing import Any, Self


class ExitCode(IntEnum):
    OK = 0
    INTERNAL = 1
    USAGE = 2
    AUTH = 3
    NETWORK = 4
    EXCHANGE = 5
    PARTIAL = 6
    ALERT = 7
    """An --alert (or a profile's `alerts:`) fired; wins over PARTIAL so cron can page on 7 alone."""
    INTERRUPTED = 130


class BalctlError(Exception):
    """A failure the user can act on; never carries a secret in its text."""

    exit_code: ExitCode = ExitCode.EXCHANGE
    kind: str = "error"

    def __init__(
        self,
        message: str,
        *,
        exchange: str | None = None,
        profile: str | None = None,
        code: str | None = None,
        hint: str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.exchange = exchange
        self.profile = profile
        self.code = code
        self.hint = hint
        self.status = status

    def evolve(self, **changes: Any) -> Self:
        """A copy with some fields changed. An error is never changed once raised: another
        thread, or the `errors` list of a report, may hold it already."""
        clone = type(self).__new__(type(self))  # not __init__: subclasses take other arguments
        clone.__dict__.update(self.__dict__, **changes)
        clone.args = (clone.message,)
        clone.__cause__ = self.__cause__
        return clone

    def for_account(self, exchange: str, profile: str) -> Self:
        """This error naming the account it happened to (the HTTP layer knows no profiles)."""
        return self.evolve(exchange=self.exchange or exchange, profile=self.profile or profile)

    def line(self) -> str:
        """The one-line message, without the `balctl: ` prefix."""
        where = ""
        if self.exchange and self.profile:
            where = f"{self.exchange} ({self.profile}): "
        elif self.exchange or self.profile:
            where = f"{self.exchange or self.profile}: "
        code = f" [{self.code}]" if self.code else ""
        return f"{where}{self.message}{code}"


@dataclass(frozen=True, slots=True)
class ProfileWhere:
    """Which profile of which file a check is about; `str()` is the message prefix."""

    path: Any
    profile: str

    def __str__(self) -> str:
        return f"{self.path}: profile '{self.profile}'"

    def error(self, reason: str, *, key: str | None = None, hint: str | None = None) -> ProfileError:
        """`<file>: profile '<name>': <reason>`, with the facts as fields."""
        return ProfileError(f"{self}: {reason}", path=self.path, profile=self.profile, key=key,
                            reason=reason, hint=hint)


class UsageError(BalctlError):
    """A bad option or argument on the command line."""

    exit_code = ExitCode.USAGE
    kind = "usage"


class ProfileError(UsageError):
    """The profile file is missing, malformed or unsafe.

    Its message names the file, the profile and the key already, so the line does not
    repeat `exchange (profile):` even when the error is attached to an account. The same
    facts are fields (`path`, `profile`, `key`, `reason`), so that a renderer or the setup
    commands never parse the message.
    """

    kind = "profile"

    def __init__(self, message: str, *, path: Any = None, key: str | None = None,
                 reason: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.path = path
        self.key = key
        self.reason = reason if reason is not None else message

    def line(self) -> str:
        return self.message + (f" [{self.code}]" if self.code else "")


class AuthError(BalctlError):
    """The exchange refused the credentials."""

    exit_code = ExitCode.AUTH
    kind = "auth"


class PermissionDenied(AuthError):
    """The key is valid but may not do this (IP whitelist, missing permission)."""

    kind = "permission"


class TimestampRejected(AuthError):
    """The exchange says our clock is off; the HTTP layer corrects and retries once.

    `certain` is False where the exchange cannot tell a clock problem from a bad key
    (CoinSwitch answers 401 to both): then a small measured offset means "bad key".
    """

    kind = "timestamp"

    def __init__(self, message: str, *, certain: bool = True, **kw) -> None:
        super().__init__(message, **kw)
        self.certain = certain


class NetworkError(BalctlError):
    """Could not get an answer (connection refused, timeout), or a transient one.

    `retry_after` is the server's wish (its `Retry-After` header), in seconds, if it said one.
    """

    exit_code = ExitCode.NETWORK
    kind = "network"

    def __init__(self, message: str, *, retry_after: float | None = None, **kw) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class Unavailable(NetworkError):
    """The exchange answered but is down or overloaded (HTTP 5xx, OKX 50001/50026)."""

    kind = "unavailable"


class RateLimited(NetworkError):
    """Too many requests."""

    kind = "rate_limited"


class ExchangeError(BalctlError):
    """The exchange answered with an error about the request."""

    exit_code = ExitCode.EXCHANGE
    kind = "exchange"


class BadResponse(ExchangeError):
    """The answer is not the exchange's documented JSON (HTML page, truncated, wrong shape)."""

    kind = "bad_response"


class InternalError(BalctlError):
    """A bug in balctl (never outside input): one line, the traceback only with BALCTL_DEBUG=1.

    Met while fetching one account of several, only that account fails; the rest print.
    """

    exit_code = ExitCode.INTERNAL
    kind = "internal"

    @classmethod
    def from_exception(cls, exc: BaseException) -> InternalError:
        error = cls(f"internal error: {type(exc).__name__}: {exc}")
        error.__cause__ = exc
        return error

    def line(self) -> str:
        return super().line() + " (BALCTL_DEBUG=1 shows the traceback)"


def classify(
    code: str,
    message: str,
    *,
    status: int,
    table: dict[str, Callable[..., BalctlError]],
    hints: dict[str, str],
) -> BalctlError:
    """An exchange's error code as a balctl error: the exchange's own table first, then what
    the HTTP status says (429 rate limit, 5xx unavailable), else an error about the request."""
    kind = table.get(code) or status_error_class(status) or ExchangeError
    return kind(exchange_text(message) or "error", code=code, hint=hints.get(code), status=status)


EXCHANGE_TEXT_LIMIT = 200


def exchange_text(text: object) -> str | None:
    """An exchange's own message made fit for our one-line error: whitespace (newlines
    included) folded, control and format characters escaped visibly, cut at 200
    characters (balctl.sanitize); None when there is no text."""
    from balctl.sanitize import terminal_text

    if not isinstance(text, str) or not text.strip():
        return None
    return terminal_text(" ".join(text[: EXCHANGE_TEXT_LIMIT * 4].split()), EXCHANGE_TEXT_LIMIT)


def status_error_class(status: int) -> type[BalctlError] | None:
    """The error an HTTP status implies on its own, or None for a 2xx/unremarkable status."""
    if status == 429:
        return RateLimited
    if status >= 500:
        return Unavailable
    if status in (401, 403):
        return AuthError
    return None


class Redactor:
    """Scrubs known secrets out of any text before it leaves the process.

    Messages are built never to contain secrets; this is the second line of defence for
    text we do not control (exception strings from libraries, exchange messages).
    """

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def add(self, *secrets: str | None) -> None:
        for secret in secrets:
            if secret and len(secret) >= 4:
                self._secrets.add(secret)
        self._pattern = None

    def __call__(self, text: str) -> str:
        if not self._secrets:
            return text
        if self._pattern is None:
            alternatives = sorted(self._secrets, key=len, reverse=True)
            self._pattern = re.compile("|".join(map(re.escape, alternatives)))
        return self._pattern.sub("****", text)


redact = Redactor()
"""Process-wide: profiles register their secrets as they are loaded."""
