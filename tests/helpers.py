"""What several test modules share: sample data, expected documents, and ways to run balctl.

Fixtures live in conftest.py; everything else a test module needs from another lives here,
so test modules never import each other.
"""

from __future__ import annotations

import io
import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from balctl.simulator import accounts

FIXTURES = Path(__file__).parent / "fixtures"

ENV_PREFIXES = ("BALCTL_", "OKX_", "XT_", "COINSWITCH_")


def load_fixture(name: str):
    """A fixture response parsed as balctl parses bodies: numbers as Decimal."""
    return json.loads((FIXTURES / name).read_text(), parse_float=Decimal)


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text()


OKX_PROFILE = """\
    profiles:
      okx:
        exchange: okx
        api_key: okx-key-0001
        api_secret: 22582BD0CFF14C41EDBF1AB98506286D
        passphrase: okx-pass-phrase
"""

FIXED_NOW = "2026-01-02T03:04:05.678Z"


def invoke(*args: str, env: dict | None = None):
    """Run the CLI in-process; stdout and stderr are captured separately."""
    from typer.testing import CliRunner

    from balctl.cli import app

    return CliRunner().invoke(app, list(args), env=env)


def run_balctl(*args: str, config=None, env: dict | None = None, timeout: float = 60, stdin=None):
    """The installed command in a real subprocess, as a user or cron runs it."""
    import subprocess
    import sys

    full_env = {key: value for key, value in os.environ.items() if not key.startswith(ENV_PREFIXES)}
    if config is not None:
        full_env["BALCTL_CONFIG"] = str(config)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "balctl", *args], capture_output=True, text=True,
                          env=full_env, timeout=timeout, stdin=stdin if stdin is not None else subprocess.DEVNULL)


class FakeTty(io.StringIO):
    """Captures what is written, but says it is a terminal (of the pty's size, if given)."""

    def __init__(self, fd: int | None = None) -> None:
        super().__init__()
        self._fd = fd

    def isatty(self) -> bool:
        return True

    def fileno(self) -> int:
        if self._fd is None:
            raise io.UnsupportedOperation("fileno")
        return self._fd


EXCHANGES = ("okx", "xt", "coinswitch")
ACCOUNT = {"okx": "trading", "xt": "lever", "coinswitch": "futures"}
HEADER = ("fetched_at,profile,exchange,account,market,asset,total,available,frozen,loan,interest,"
          "position_margin,order_margin,usd_value")
AMOUNTS = ("total", "available", "frozen", "loan", "interest", "position_margin", "order_margin", "usd_value")
ROW_KEYS = ["market", "asset", *AMOUNTS, "native"]
ISO_MILLIS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
HEADINGS = {"market": "Market", "asset": "Asset", "total": "Total", "available": "Available",
            "frozen": "Frozen", "loan": "Loan", "interest": "Interest",
            "position_margin": "Position margin", "order_margin": "Order margin", "usd_value": "USD value"}

# docs/exchanges.md, From answers to rows: unified field <- the exchange's field (absent: always null)
OKX_FIELDS = {"total": "eq", "available": "availBal", "frozen": "frozenBal", "loan": "liab",
              "interest": "interest", "order_margin": "ordFrozen", "usd_value": "eqUsd"}
XT_FIELDS = {"total": "totalAmount", "available": "availableAmount", "frozen": "frozenAmount",
             "loan": "loanAmount", "interest": "interestAmount"}
CS_WALLET_FIELDS = {"total": "total_balance", "available": "total_available_balance",
                    "frozen": "total_blocked_balance", "position_margin": "total_position_margin",
                    "order_margin": "total_open_order_margin"}
CS_SYMBOL_FIELDS = {"frozen": "blocked_balance", "position_margin": "position_margin",
                    "order_margin": "open_order_margin"}
# issue 11, unified summary risk field <- OKX's top-level field (XT and CoinSwitch: null)
OKX_RISK = {"adjusted_equity": "adjEq", "margin_ratio": "mgnRatio", "initial_margin": "imr",
            "maintenance_margin": "mmr", "unrealized_pnl": "upl", "notional": "notionalUsd"}
NO_RISK = dict.fromkeys(OKX_RISK)
SUMMARY_KEYS = ["equity", "loan", *OKX_RISK, "unit", "native"]

OKX_BALANCE = "/api/v5/account/balance"
XT_BALANCE = "/v4/lever/balance"
CS_BALANCE = "/trade/api/v2/futures/wallet_balance"
DEFAULT_PATHS = {
    "okx": [OKX_BALANCE],
    "xt": [XT_BALANCE + "?symbol=BTC_USDT", XT_BALANCE + "?symbol=ETH_USDT"],
    "coinswitch": [CS_BALANCE],
}


@dataclass(frozen=True)
class Number:
    """A JSON *number* as written on stdout, kept as its text: `2.75` is not `"2.75"`, and
    `26855.999812345678901234` must come back with every digit."""

    text: str


def load(text: str) -> Any:
    return json.loads(text, parse_float=Number)


def as_output(value: Any) -> Any:
    """A sample-account value as balctl must print it under `native`: "" is null, a
    Decimal (XT sends JSON numbers) is a JSON number with the same digits."""
    if value == "":
        return None
    if isinstance(value, Decimal):
        return Number(str(value))
    if isinstance(value, dict):
        return {key: as_output(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_output(item) for item in value]
    return value


def amount_text(value: Any) -> str | None:
    """A unified amount: a decimal string with the exchange's digits, or null."""
    if value is None or value == "":
        return None
    return str(value)


def row(market: str | None, asset: str, source: dict[str, Any], fields: dict[str, str]) -> dict[str, Any]:
    document: dict[str, Any] = {"market": market, "asset": asset}
    for name in AMOUNTS:
        document[name] = amount_text(source.get(fields[name])) if name in fields else None
    document["native"] = as_output(source)
    return document


def expected(exchange: str, *, ccy: tuple[str, ...] = (), symbols: tuple[str, ...] = (),
             profile: str | None = None) -> dict[str, Any]:
    """The snapshot document (without `fetched_at`) for the simulator's sample account
    (profile `okx-margin`: its OKX margin account; `okx-spot`: its Spot-mode account)."""
    breakdown: list[dict[str, Any]] = []
    if exchange == "okx":
        top = {"okx-margin": accounts.okx_margin_account, "okx-spot": accounts.okx_spot_account}.get(
            profile or "", accounts.okx_account)()
        if ccy:
            details = [d for d in top["details"] if d["ccy"] in ccy]
        else:  # like OKX, a currency with eq and cashBal both zero is answered only when asked for
            details = [d for d in top["details"] if Decimal(d["eq"]) or Decimal(d["cashBal"])]
        rows = [row(None, d["ccy"], d, OKX_FIELDS) for d in details]
        risk = {name: amount_text(top[field]) for name, field in OKX_RISK.items()}
        summary = {"equity": top["totalEq"], "loan": None, **risk, "unit": "USD",
                   "native": as_output({k: v for k, v in top.items() if k != "details"})}
    elif exchange == "xt":
        results = accounts.xt_accounts()
        rows, native = [], {}
        equity, loan = Decimal(0), Decimal(0)
        for symbol in symbols or ("BTC_USDT", "ETH_USDT"):
            result = results[symbol.lower()]
            for side in ("base", "quote"):
                rows.append(row(symbol, result[side]["currency"].upper(), result[side], XT_FIELDS))
            native[symbol] = as_output({k: v for k, v in result.items() if k not in ("base", "quote")})
            equity += Decimal(result["usdtNetAmount"])
            loan += Decimal(result["usdtLoanAmount"])
        summary = {"equity": str(equity), "loan": str(loan), **NO_RISK, "unit": "USDT", "native": native}
    else:
        wallet = accounts.coinswitch_wallet()
        [usdt] = wallet["base_asset_balances"]
        rows = [{**row(None, "USDT", usdt["balances"], CS_WALLET_FIELDS), "native": as_output(usdt)}]
        # what each symbol locks is part of the wallet row: a breakdown, not more balance rows
        breakdown = [row(a["symbol"], a["base_asset"], a, CS_SYMBOL_FIELDS) for a in wallet["asset"]]
        summary = {"equity": usdt["balances"]["total_balance"], "loan": None, **NO_RISK, "unit": "USDT",
                   "native": as_output(wallet["base_asset_balances"])}
    return {"profile": profile or exchange, "exchange": exchange, "account": ACCOUNT[exchange],
            "summary": summary, "balances": rows, "breakdown": breakdown, "warnings": [],
            "alerts": []}


def csv_cells(document: dict[str, Any]) -> list[list[str]]:
    """The CSV rows (after fetched_at) the document must produce: null is an empty cell."""
    fixed = [document["profile"], document["exchange"], document["account"]]
    return [fixed + [r["market"] or "", r["asset"]] + [r[name] or "" for name in AMOUNTS]
            for r in document["balances"]]


def assert_fresh(stamp: str) -> None:
    assert ISO_MILLIS.match(stamp), stamp
    moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    assert abs(datetime.now(timezone.utc) - moment) < timedelta(minutes=2)


def balance_requests(simulator) -> list:
    return [entry for entry in simulator.log if entry.endpoint == "balance"]


def assert_verified(simulator, paths: list[str]) -> None:
    """Exactly these balance requests reached the simulator, each correctly signed and answered."""
    entries = balance_requests(simulator)
    assert sorted(entry.path for entry in entries) == sorted(paths)
    assert [(entry.verified, entry.status) for entry in entries] == [(True, 200)] * len(paths)


def ok(done) -> str:
    """A successful run: exit 0, data on stdout, nothing at all on stderr."""
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout
