"""The exchange registry: a plain dict from exchange name to the module that speaks to it.

An exchange module is a small, import-cheap module (stdlib only at import time) with:

    NAME, ACCOUNT, DEFAULT_BASE_URL, TIME_PATH
    PROFILE_KEYS: dict[str, bool]              # allowed profile keys -> required?
    validate_profile(profile, where) -> None   # exchange-specific checks, raise ProfileError
    request_paths(profile, selection) -> list[str]   # path + query exactly as sent and signed
    sign(profile, path_with_query, timestamp_ms) -> dict[str, str]   # pure: headers
    check(status, body) -> None                # raise the classified error, if any
    parse_server_time(body) -> int             # server clock, Unix ms
    parse(bodies) -> Account                   # pure: responses -> rows + summary

Modules are imported on first use so that `balctl --version` does not pay for them.
Adding an exchange is one new module and one line here; nothing else changes.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

EXCHANGES: dict[str, str] = {
    "okx": "balctl.exchanges.okx",
    "xt": "balctl.exchanges.xt",
    "coinswitch": "balctl.exchanges.coinswitch",
}


@dataclass(frozen=True, slots=True)
class Selection:
    """What the user narrowed the request to on the command line."""

    ccy: tuple[str, ...] = ()
    symbols: tuple[str, ...] = ()


def load(name: str) -> ModuleType:
    """The module for exchange `name` (a KeyError for an unknown name is a bug upstream)."""
    return importlib.import_module(EXCHANGES[name])
