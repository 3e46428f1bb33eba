"""Alert thresholds: `--alert EXPR` and a profile's `alerts: [...]` (issue 11).

Grammar, spaces optional:  `[ASSET.]FIELD OP NUMBER`

- FIELD alone is a summary field (model.SUMMARY_FIELDS: `equity`, `loan`, `margin_ratio`,
  ...), checked once per account;
- `ASSET.FIELD` is a row field (model.AMOUNT_FIELDS: `total`, `available`, `loan`, ...),
  checked on every row of that asset (XT has one per lever pair);
- OP is `<`, `<=`, `>`, `>=`, `=` or `!=`; NUMBER a plain decimal (`3`, `-1500.5`, `.25`).

Values and thresholds are compared as `Decimal`, exactly: `margin_ratio < 2.718281828459045`
does not hold for that very value, as it might after a trip through float. A null figure
never fires (the exchange did not report it); `-v` logs each one skipped, since a silent
alarm that can never ring is worse than none.

Expressions are parsed before any request, so a typo is exit 2 rather than a cron job that
quietly never alerts.
"""

from __future__ import annotations

import logging
import operator
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from balctl.errors import UsageError
from balctl.model import AMOUNT_FIELDS, SUMMARY_FIELDS, Balance, FiredAlert, Report, Snapshot, format_amount

log = logging.getLogger("balctl")

OPERATORS: dict[str, Callable[[Decimal, Decimal], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "=": operator.eq,
}

_EXPRESSION = re.compile(
    r"""\s*
    (?:(?P<asset>[A-Za-z0-9_-]+)\s*\.\s*)?    # ASSET.  (codes as the exchanges write them)
    (?P<field>[A-Za-z_]+)\s*
    (?P<op><=|>=|!=|<|>|=)\s*
    (?P<number>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))   # plain decimal: no exponent, no nan
    \s*""",
    re.VERBOSE,
)
SHOWN_LIMIT = 80
"""Characters of a bad expression quoted back in the error line."""


@dataclass(frozen=True, slots=True)
class Alert:
    """One parsed expression. `number` keeps the threshold as written, for messages."""

    asset: str | None
    field: str
    op: str
    threshold: Decimal
    number: str

    @property
    def label(self) -> str:
        """`margin_ratio`, or `ETH.loan` for a row field."""
        return f"{self.asset}.{self.field}" if self.asset else self.field

    @property
    def expr(self) -> str:
        """The canonical spelling: `ETH.loan > 1` whether written `eth.loan>1` or not."""
        return f"{self.label} {self.op} {self.number}"

    def holds(self, value: Decimal) -> bool:
        return OPERATORS[self.op](value, self.threshold)


def allowed_fields() -> str:
    """The part of every error line that says what may be written."""
    return (f"summary fields: {', '.join(SUMMARY_FIELDS)}; "
            f"row fields, as ASSET.FIELD: {', '.join(AMOUNT_FIELDS)}")


def parse(text: Any, where: str = "--alert") -> Alert:
    """One expression → Alert; a UsageError (exit 2) naming it and the allowed fields.

    `where` says where it was written (`--alert`, or the profile file and profile), so
    the same grammar error reads right in both places.
    """
    if not isinstance(text, str):
        raise UsageError(f"{where}: an alert must be a string such as 'margin_ratio < 3', "
                         f"got a {type(text).__name__}")
    shown = _shown(text)
    match = _EXPRESSION.fullmatch(text)
    if match is None:
        raise UsageError(f"{where}: cannot read {shown}: write [ASSET.]FIELD OP NUMBER, such as "
                         f"'margin_ratio < 3' or 'BTC.loan > 1' (OP: {' '.join(sorted(OPERATORS))}; "
                         f"{allowed_fields()})")
    asset, name = match["asset"], match["field"].lower()
    if asset is None and name not in SUMMARY_FIELDS:
        hint = " (a row field: write ASSET.FIELD, such as BTC.total)" if name in AMOUNT_FIELDS else ""
        raise UsageError(f"{where}: {shown}: unknown summary field '{name}'{hint} ({allowed_fields()})")
    if asset is not None and name not in AMOUNT_FIELDS:
        hint = " (a summary field: write it without an asset)" if name in SUMMARY_FIELDS else ""
        raise UsageError(f"{where}: {shown}: unknown row field '{name}'{hint} ({allowed_fields()})")
    number = match["number"]
    return Alert(asset.upper() if asset else None, name, match["op"], Decimal(number), number)


def parse_all(texts: Iterable[Any], where: str = "--alert") -> tuple[Alert, ...]:
    """Several expressions, duplicates (same canonical spelling) kept once, in order."""
    parsed = {alert.expr: alert for alert in (parse(text, where) for text in texts)}
    return tuple(parsed.values())


def merged(command_line: Sequence[Alert], profile_alerts: Sequence[Alert]) -> tuple[Alert, ...]:
    """A profile's own alerts added to the command line's; one written twice counts once."""
    return tuple({alert.expr: alert for alert in (*command_line, *profile_alerts)}.values())


def evaluate(snapshot: Snapshot, alerts: Sequence[Alert]) -> list[FiredAlert]:
    """The alerts that hold for this account: summary alerts once, row alerts per row of
    their asset. Nulls (and an asset the account lacks) are skipped, logged for `-v`."""
    fired: list[FiredAlert] = []
    for alert in alerts:
        if alert.asset is None:
            candidates: list[tuple[Balance | None, Decimal | None]] = [(None, getattr(snapshot.summary, alert.field))]
        else:
            candidates = [(row, getattr(row, alert.field)) for row in snapshot.balances if row.asset == alert.asset]
            if not candidates:
                _skipped(snapshot, alert, f"no {alert.asset} row")
        for row, value in candidates:
            if value is None:
                where = f" of {row.market}" if row is not None and row.market else ""
                _skipped(snapshot, alert, f"{alert.label}{where} is null")
            elif alert.holds(value):
                fired.append(FiredAlert(
                    snapshot.profile, snapshot.exchange, snapshot.account, alert.asset,
                    row.market if row is not None else None, alert.field, value, alert.expr,
                ))
    return fired


def apply(report: Report, command_line: Sequence[Alert], profiles: Iterable[Any] = ()) -> Report:
    """The report with each account's fired alerts attached.

    An account is checked against the command line's alerts plus its profile's own
    `alerts:` (`profiles`: the Profile objects fetched; a ProfileError among them has none).
    """
    own = {profile.name: getattr(profile, "alerts", ()) for profile in profiles if hasattr(profile, "name")}
    if not command_line and not any(own.values()):
        return report
    accounts = [
        replace(account, alerts=tuple(evaluate(account, merged(command_line, own.get(account.profile, ())))))
        for account in report.accounts
    ]
    return replace(report, accounts=accounts)


def line(alert: FiredAlert) -> str:
    """`okx (main): margin_ratio 2.718281828459045 < 3`, as stderr says it."""
    return f"{alert.exchange} ({alert.profile}): {describe(alert)}"


def describe(alert: FiredAlert) -> str:
    """`margin_ratio 2.718281828459045 < 3`, `ETH.loan 2 > 1`; a row names its market if
    it has one (`USDT.loan 500 > 100 in ETH_USDT`): XT has a USDT row per pair."""
    label, op, number = alert.expr.rsplit(" ", 2)  # the canonical `LABEL OP NUMBER`
    market = f" in {alert.market}" if alert.market else ""
    return f"{label} {format_amount(alert.value)} {op} {number}{market}"


def _skipped(snapshot: Snapshot, alert: Alert, why: str) -> None:
    log.info("alert '%s' skipped for %s (%s): %s", alert.expr, snapshot.exchange, snapshot.profile, why)


def _shown(text: str) -> str:
    """The expression quoted for an error line: repr escapes control and bidi characters."""
    return repr(text if len(text) <= SHOWN_LIMIT else text[: SHOWN_LIMIT - 1] + "…")
