"""The exchange-neutral balance model (docs/contract.md, The model).

Every exchange module turns its response into a `Snapshot` of `Balance` rows. Amounts are
`Decimal` built from the exchange's own text, so `format(amount, "f")` gives its digits back
unchanged; `""` (OKX: not applicable) becomes `None`. Nothing here knows any exchange.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from decimal import Context, Decimal, Inexact, InvalidOperation, localcontext
from typing import Any

from balctl.errors import BadResponse, BalctlError, ExitCode, redact
from balctl.numeric import DECIMAL_TEXT

AMOUNT_FIELDS: tuple[str, ...] = (
    "total",
    "available",
    "frozen",
    "loan",
    "interest",
    "position_margin",
    "order_margin",
    "usd_value",
)
"""The unified amount columns, in output order."""

RISK_FIELDS: tuple[str, ...] = (
    "adjusted_equity",
    "margin_ratio",
    "initial_margin",
    "maintenance_margin",
    "unrealized_pnl",
    "notional",
)
"""Account-level risk figures, as an exchange documents them (README: risk figures); null
where the exchange does not report one. Never computed by balctl from other figures."""

SUMMARY_FIELDS: tuple[str, ...] = ("equity", "loan", *RISK_FIELDS)
"""The summary's amount fields, in output order (JSON, alerts)."""

FORMULA_START = ("=", "+", "-", "@")
"""Spreadsheets run a cell starting with these (or tab/CR, which codes cannot hold anyway)."""

MAX_PLACES = 100
"""No real balance has 100 digits before or after the point."""


@dataclass(frozen=True, slots=True)
class Balance:
    """One asset of an account, optionally scoped to a market (an XT pair, a CoinSwitch symbol)."""

    asset: str
    market: str | None = None
    total: Decimal | None = None
    available: Decimal | None = None
    frozen: Decimal | None = None
    loan: Decimal | None = None
    interest: Decimal | None = None
    position_margin: Decimal | None = None
    order_margin: Decimal | None = None
    usd_value: Decimal | None = None
    native: dict[str, Any] = field(default_factory=dict)

    def amounts(self) -> tuple[Decimal | None, ...]:
        return tuple(getattr(self, name) for name in AMOUNT_FIELDS)

    def is_zero(self) -> bool:
        """True when every amount is zero or null (what `--hide-zero` leaves out)."""
        return all(not amount for amount in self.amounts())


@dataclass(frozen=True, slots=True)
class Summary:
    """Account-level figures: equity and loan in `unit`, plus the exchange's own fields.

    The risk figures (RISK_FIELDS) default to null so that an exchange that lacks them
    need not name them: `margin_ratio` is a ratio, the others are amounts in `unit`.
    """

    equity: Decimal | None
    loan: Decimal | None
    unit: str
    native: Any = None
    adjusted_equity: Decimal | None = None
    margin_ratio: Decimal | None = None
    initial_margin: Decimal | None = None
    maintenance_margin: Decimal | None = None
    unrealized_pnl: Decimal | None = None
    notional: Decimal | None = None

    def amounts(self) -> dict[str, Decimal | None]:
        """Every SUMMARY_FIELDS figure by name, in output order."""
        return {name: getattr(self, name) for name in SUMMARY_FIELDS}


@dataclass(frozen=True, slots=True)
class Account:
    """What an exchange module's pure `parse()` returns: no profile, no clock.

    `balances` are the account's assets: no amount of one row is part of another row, so
    summing a column over them never counts anything twice. `breakdown` holds rows that
    split a balance row further (CoinSwitch: what each symbol locks of the wallet); they
    are shown apart and never summed with the balances. `warnings` name what the response
    held that could not become a row (an entry without a currency) and was left out.
    """

    summary: Summary
    balances: list[Balance]
    breakdown: list[Balance] = field(default_factory=list)
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One account of one profile at one moment: the unit every renderer consumes."""

    profile: str
    exchange: str
    account: str
    fetched_at: datetime
    summary: Summary
    balances: list[Balance]
    raw: list[Any] = field(default_factory=list)
    breakdown: list[Balance] = field(default_factory=list)
    """Rows that split a balance row further; see `Account`."""
    warnings: tuple[str, ...] = ()
    """What was left out of the response, one sentence each; see `Account`."""
    alerts: tuple[FiredAlert, ...] = ()
    """The alerts that fired on this account (balctl.alerts), shown with it."""

    def without_zero_rows(self) -> Snapshot:
        return replace(
            self,
            balances=[row for row in self.balances if not row.is_zero()],
            breakdown=[row for row in self.breakdown if not row.is_zero()],
        )


@dataclass(frozen=True, slots=True)
class FiredAlert:
    """An alert expression that held for one account (a summary field) or one of its rows.

    `value` is the account's figure with the exchange's digits; `expr` is the expression in
    its canonical spelling (`ETH.loan > 1`), the same wherever it was written.
    """

    profile: str
    exchange: str
    account: str
    asset: str | None
    market: str | None
    field: str
    value: Decimal
    expr: str


@dataclass(frozen=True, slots=True)
class Failure:
    """An account that could not be fetched, as listed in `errors` of `balctl all`."""

    profile: str
    exchange: str
    kind: str
    message: str
    code: str | None
    error: BalctlError | None = field(default=None, compare=False, repr=False)
    """The original error, for its exit code and hint; not part of the JSON."""

    @classmethod
    def from_error(cls, error: BalctlError) -> Failure:
        """The message is redacted here: it goes to stdout (JSON `errors`), and exchange text
        is not ours to trust."""
        return cls(error.profile or "", error.exchange or "", error.kind, redact(error.message), error.code, error)


@dataclass(frozen=True, slots=True)
class Report:
    """The result of `balctl all` / `balctl demo`: good accounts and failed ones."""

    fetched_at: datetime
    accounts: list[Snapshot]
    errors: list[Failure]

    def without_zero_rows(self) -> Report:
        return replace(self, accounts=[a.without_zero_rows() for a in self.accounts])

    @property
    def alerts(self) -> list[FiredAlert]:
        """Every account's fired alerts, in account order."""
        return [alert for account in self.accounts for alert in account.alerts]

    def exit_code(self) -> int:
        """7 when an alert fired (even if accounts failed: cron pages on 7 alone); else
        0 all fetched; 6 some failed; all failed: their common code, else 6 (README: exit codes)."""
        if self.alerts:
            return ExitCode.ALERT
        if not self.errors:
            return ExitCode.OK
        codes = {failure.error.exit_code if failure.error else ExitCode.EXCHANGE for failure in self.errors}
        if not self.accounts and len(codes) == 1:
            return codes.pop()
        return ExitCode.PARTIAL


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def iso_millis(moment: datetime) -> str:
    """`2020-12-08T09:08:57.715Z`: the timestamp form of docs/contract.md, The model (and of OKX's signature)."""
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def amount(value: Any, *, field_name: str = "amount") -> Decimal | None:
    """An exchange amount as `Decimal`, keeping its digits; `""`/null → None.

    Accepts JSON strings and JSON numbers (already `Decimal`/`int` when the body was parsed
    with `parse_float=Decimal`). Anything else is a malformed response, not a crash.
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise BadResponse(f"{field_name} is not a number: {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, (int, str)):
        if isinstance(value, str) and not DECIMAL_TEXT.fullmatch(value.strip()):
            # Decimal() would take `1_000`, Arabic-Indic or full-width digits, `Infinity`:
            # no exchange writes amounts like that, so such an answer is not the exchange's
            raise BadResponse(f"{field_name} is not a number: {value[:40]!r}")
        try:
            result = Decimal(value.strip() if isinstance(value, str) else value)
        except InvalidOperation:
            raise BadResponse(f"{field_name} is not a number: {str(value)[:40]!r}") from None
    else:
        raise BadResponse(f"{field_name} is not a number: {type(value).__name__}")
    if not result.is_finite():
        raise BadResponse(f"{field_name} is not a finite number: {value!r}")
    if result.as_tuple().exponent < -MAX_PLACES or result.adjusted() > MAX_PLACES:
        # written out in full (never in exponent form), 1e-999999999 would be a gigabyte
        raise BadResponse(f"{field_name} is out of range: {str(value)[:40]!r}")
    return result


def balance_row(
    entry: dict[str, Any],
    fields: dict[str, str],
    *,
    asset: str,
    market: str | None = None,
    native: dict[str, Any] | None = None,
    where: str = "",
) -> Balance:
    """A row from one exchange entry, given which exchange field feeds which unified field.

    Each exchange module writes its column of docs/exchanges.md, From answers to rows, as such a mapping; a unified
    field it does not name stays null. `native` defaults to the entry itself.
    """
    amounts = {unified: amount(entry.get(name), field_name=f"{where}{name}") for unified, name in fields.items()}
    return Balance(asset=asset, market=market, native=nullify(entry if native is None else native), **amounts)


EXACT = Context(prec=4 * MAX_PLACES, traps=[Inexact])
"""Arithmetic on amounts bounded by MAX_PLACES never rounds in this context (and says so if
it would): the default 28 digits would round `12345678901.123456789012345678 + 1e-18`."""


def decimal_sum(values: Iterable[Decimal | None]) -> Decimal | None:
    """Exact sum, or None when no value is known (a null is not a zero)."""
    known = [value for value in values if value is not None]
    if not known:
        return None
    with localcontext(EXACT):
        return sum(known, Decimal(0))


def format_amount(value: Decimal | None) -> str | None:
    """The exchange's digits, never scientific notation (`1E-8` would surprise a spreadsheet)."""
    return None if value is None else format(value, "f")


def nullify(value: Any) -> Any:
    """The exchange's own fields with `""` as null, for `native`."""
    if value == "":
        return None
    if isinstance(value, dict):
        return {key: nullify(item) for key, item in value.items()}
    if isinstance(value, list):
        return [nullify(item) for item in value]
    return value


def code(value: Any) -> str:
    """Asset and market codes are upper-case (`btc_usdt` → `BTC_USDT`).

    A code with whitespace or control characters is no code: printed, a newline or an
    escape sequence would move amounts onto another asset's line or drive the terminal.
    """
    if (not isinstance(value, str) or not value or not value.isprintable() or any(c.isspace() for c in value)
            or value.startswith(FORMULA_START)):
        # `=HYPERLINK(...)`, `+1+1`, `-2+3`, `@SUM(...)`: no real code starts like that, and a
        # spreadsheet would run it from the CSV (refused rather than altered: docs in README)
        shown = value[:40] if isinstance(value, str) else value
        raise BadResponse(f"expected a currency or symbol code, got {shown!r}")
    return value.upper()


def expect(value: Any, kind: type | tuple[type, ...], what: str) -> Any:
    """Check the shape of a response part, so a surprise is exit 5, not a traceback."""
    if not isinstance(value, kind):
        names = " or ".join(t.__name__ for t in (kind if isinstance(kind, tuple) else (kind,)))
        raise BadResponse(f"unexpected response: {what} is not a {_json_name(names)}")
    return value


def _json_name(python_names: str) -> str:
    return python_names.replace("dict", "JSON object").replace("list", "JSON array")
