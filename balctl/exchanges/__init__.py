"""The exchange registry and the contract every exchange module meets.

`EXCHANGES` is the one list of exchanges: the CLI builds one command per entry, completion,
the profile loader and the simulator's fault switches all read it. Adding an exchange is one
new module (meeting `ExchangeModule`) and one entry here; nothing else changes.

An entry holds only what the command line needs before the module is imported (the
command's help and its narrowing option), so `balctl --help` and shell completion never
import an exchange module. Modules are imported on first use, by `load()`.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from balctl.errors import ProfileWhere


@dataclass(frozen=True, slots=True)
class Selection:
    """What the user narrowed the request to on the command line."""

    ccy: tuple[str, ...] = ()
    symbols: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NarrowingOption:
    """An exchange command's own option that narrows the request (`okx --ccy BTC,ETH`)."""

    flag: str
    field: str
    """The `Selection` field it fills."""
    metavar: str
    help: str


@dataclass(frozen=True, slots=True)
class Exchange:
    """One registry entry: where the module is, and the command that shows its account."""

    module: str
    help: str
    examples: tuple[str, ...] = ()
    option: NarrowingOption | None = None


EXCHANGES: Mapping[str, Exchange] = {
    "okx": Exchange(
        "balctl.exchanges.okx",
        "Show the OKX trading account: equity, available, frozen, loans and interest per currency.",
        ("balctl okx --ccy BTC,ETH", "balctl okx --sort loan --columns asset,total,loan,interest --digits 4",
         "balctl okx --min-value 10 --digits all", "balctl okx -o json | jq '.balances[] | {asset, available}'"),
        NarrowingOption("--ccy", "ccy", "BTC,ETH", "Only these currencies (at most 20)."),
    ),
    "xt": Exchange(
        "balctl.exchanges.xt",
        "Show XT.com lever (margin) balances: base and quote of each pair, loans and interest.",
        ("balctl xt --symbol BTC_USDT,ETH_USDT", "balctl xt -o json | jq '.summary'"),
        NarrowingOption("--symbol", "symbols", "BTC_USDT[,...]", "Lever pairs (default: the profile's 'symbols:' list)."),
    ),
    "coinswitch": Exchange(
        "balctl.exchanges.coinswitch",
        "Show the CoinSwitch PRO futures wallet: balance, margins, and what each symbol locks.",
        ("balctl coinswitch", "balctl coinswitch -o csv --append wallet.csv"),
    ),
}


@runtime_checkable
class ExchangeModule(Protocol):
    """What `http`, `fetch` and `profiles` need from an exchange module (docs/exchanges.md).

    Modules are import-cheap (stdlib at import time). `sign` and `parse` are pure, so they
    are tested without a network. Optional parts get the defaults in `OPTIONAL` when the
    module leaves them out.

    `balctl profiles check` also uses, where a module has them: `check_path(profile) -> str`
    (its one authenticated request; default: the first balance request) and
    `parse_permissions(body) -> list[str]` (the key's rights, where the exchange reports them).
    """

    NAME: str
    ACCOUNT: str
    """The account kind shown in every snapshot (`trading`, `lever`, `futures`)."""
    DEFAULT_BASE_URL: str
    TIME_PATH: str
    """The public server-time endpoint, for clock-skew correction."""
    PROFILE_KEYS: dict[str, bool]
    """Profile keys this exchange adds to the common ones -> required?"""

    def validate_profile(self, profile: Any, where: ProfileWhere) -> None:
        """Exchange-specific checks of a loaded profile; raise `where.error(...)`."""

    def request_paths(self, profile: Any, selection: Selection) -> list[str]:
        """Path + query of each request, exactly as sent and signed."""

    def sign(self, profile: Any, path_with_query: str, timestamp_ms: int) -> dict[str, str]:
        """Pure: the authentication headers of one request."""

    def check(self, status: int, body: Any) -> None:
        """Raise the classified error an answer carries, if any."""

    def parse_server_time(self, body: Any) -> int:
        """The server clock from the time endpoint's answer, Unix ms."""

    def parse(self, bodies: list[Any]) -> Any:
        """Pure: the decoded answers (one per request path) -> `model.Account`."""


def _no_extra_checks(profile: Any, where: ProfileWhere) -> None:
    """Default `validate_profile`: the common profile rules are enough."""


OPTIONAL: dict[str, Any] = {"PROFILE_KEYS": {}, "validate_profile": _no_extra_checks}
"""Parts a module may leave out, with what it then gets."""


def load(name: str) -> ExchangeModule:
    """The module for exchange `name` (a KeyError for an unknown name is a bug upstream)."""
    module = importlib.import_module(EXCHANGES[name].module)
    for attribute, default in OPTIONAL.items():
        if not hasattr(module, attribute):
            setattr(module, attribute, default)
    return module  # type: ignore[return-value]
