"""Every registered exchange module meets the one written contract (`ExchangeModule`), and
everything that lists exchanges is derived from the registry."""

from __future__ import annotations

import inspect
import sys
import types

import pytest
import typer.main

from balctl import exchanges
from balctl.cli import app
from balctl.completion import EXCHANGE_COMMANDS
from balctl.exchanges import EXCHANGES, ExchangeModule
from balctl.simulator import faults

PROTOCOL_FUNCTIONS = [name for name, value in vars(ExchangeModule).items()
                      if inspect.isfunction(value) and not name.startswith("_")]


def test_the_contract_names_every_part_http_fetch_and_profiles_use():
    assert PROTOCOL_FUNCTIONS == ["validate_profile", "request_paths", "sign", "check", "parse_server_time", "parse"]


@pytest.mark.parametrize("name", list(EXCHANGES))
def test_each_registered_module_meets_the_contract(name):
    module = exchanges.load(name)
    assert isinstance(module, ExchangeModule)
    assert module.NAME == name
    for function in PROTOCOL_FUNCTIONS:
        wanted = list(inspect.signature(getattr(ExchangeModule, function)).parameters)[1:]  # without self
        assert list(inspect.signature(getattr(module, function)).parameters) == wanted, function


def test_a_module_without_the_optional_parts_gets_the_defaults(monkeypatch):
    module = types.ModuleType("balctl_test_exchange")
    for attribute in ("NAME", "ACCOUNT", "DEFAULT_BASE_URL", "TIME_PATH"):
        setattr(module, attribute, "x")
    for function in PROTOCOL_FUNCTIONS:
        if function != "validate_profile":
            setattr(module, function, lambda *args: None)
    monkeypatch.setitem(sys.modules, "balctl_test_exchange", module)
    monkeypatch.setattr(exchanges, "EXCHANGES", {"x": exchanges.Exchange("balctl_test_exchange", "help")})
    loaded = exchanges.load("x")
    assert isinstance(loaded, ExchangeModule)
    assert loaded.PROFILE_KEYS == {}
    assert loaded.validate_profile(object(), "where") is None


def test_commands_completion_and_simulator_faults_come_from_the_registry():
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    assert set(EXCHANGES) <= set(commands)
    assert [commands[name].help for name in EXCHANGES] == [entry.help for entry in EXCHANGES.values()]
    assert set(EXCHANGE_COMMANDS) == set(EXCHANGES) == set(faults.EXCHANGES)
