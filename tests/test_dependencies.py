"""What a real run imports: the reasons behind pyproject's pins and balctl's lazy imports.

Typer is pinned below 0.29 because 0.29 converts every option through pydantic, which costs
every fetch ~85 ms (issue 16); when a Typer in use imports pydantic on a fetch again, the
pin's reason holds and this test says so. Completion answers on every <TAB>: it must not pay
for requests, Rich, cryptography or the exchange modules. Each check runs the real command
in a subprocess (a fresh interpreter: in-process, pytest has imported everything already)
and lists `sys.modules` at exit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ENV_PREFIXES

MODULES_AT_EXIT = """\
import atexit, json, sys
listing = sys.argv[1]
def dump():
    with open(listing, "w") as out:
        json.dump(sorted(sys.modules), out)
atexit.register(dump)
sys.argv = ["balctl", *sys.argv[2:]]
from balctl.__main__ import main
main()
"""
"""Runs balctl with the given arguments and writes the names of every imported module to
the file named first. atexit runs on `sys.exit` too, which is how Typer ends a run."""


def run_listing_modules(tmp_path: Path, *args: str, env: dict[str, str] | None = None):
    """(the finished process, the set of modules it had imported at exit)."""
    listing = tmp_path / "modules.json"
    full_env = {key: value for key, value in os.environ.items() if not key.startswith(ENV_PREFIXES)}
    full_env.update(env or {})
    done = subprocess.run([sys.executable, "-c", MODULES_AT_EXIT, str(listing), *args], capture_output=True,
                          text=True, env=full_env, timeout=60, stdin=subprocess.DEVNULL)
    modules = set(json.loads(listing.read_text())) if listing.exists() else set()
    return done, modules


def imported(modules: set[str], package: str) -> list[str]:
    """The modules of `package` (the package itself or any submodule) that were imported."""
    return sorted(name for name in modules if name == package or name.startswith(package + "."))


def test_an_okx_fetch_does_not_import_pydantic(tmp_path, sim_config):
    done, modules = run_listing_modules(tmp_path, "okx", "-o", "json", "-c", str(sim_config))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["profile"] == "okx"
    assert "typer" in modules  # the fetch went through the Typer app
    assert imported(modules, "pydantic") == [], (
        "the Typer in use imports pydantic on every fetch: keep pyproject's pin below that release")


def test_a_json_fetch_imports_neither_rich_nor_another_exchange(tmp_path, sim_config):
    """Rich is for tables; an OKX fetch has no use for XT, CoinSwitch or cryptography, even
    when the profile file also holds XT and CoinSwitch profiles; a plain profile file is
    read without PyYAML (balctl.plainyaml)."""
    done, modules = run_listing_modules(tmp_path, "okx", "-o", "json", "-c", str(sim_config))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["exchange"] == "okx"
    assert "balctl.exchanges.okx" in modules
    assert "requests" in modules
    for package in ("rich", "cryptography", "yaml", "balctl.exchanges.xt", "balctl.exchanges.coinswitch"):
        assert imported(modules, package) == [], package


def test_a_fetch_with_unquoted_keys_imports_neither_pyyaml_nor_the_charset_detector(tmp_path, sim_config):
    """Keys written bare as most people write them (`api_key: 0c7f...`, digit-led) are still
    the plain layout; and requests' character-set detector, which balctl never uses, stays
    unloaded (balctl.deferred). Together about 40 ms of every fetch (issue 16)."""
    bare = tmp_path / "bare.yaml"
    bare.write_text(sim_config.read_text().replace('"', ""))
    bare.chmod(0o600)
    assert "api_key: 0c7f4a52-3b1e-4d8a-9f61-5e2b7c9d1a30\n" in bare.read_text()
    done, modules = run_listing_modules(tmp_path, "okx", "-o", "json", "-c", str(bare))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["profile"] == "okx"
    assert "requests" in modules and "charset_normalizer" in modules  # the stand-in requests checked
    assert imported(modules, "yaml") == []
    assert [name for name in imported(modules, "charset_normalizer") if name != "charset_normalizer"] == []
    for unused in ("balctl.alerts", "balctl.filters", "balctl.render.numbers", "balctl.render.table"):
        assert unused not in modules, unused  # no alert, no filter, no table: none of their code


def profile_file(count: int = 20) -> str:
    """`count` half-written profiles (secrets unset `${VAR}`s), okx/xt/coinswitch in turn."""
    lines = ["profiles:"]
    for index in range(count):
        exchange = ("okx", "xt", "coinswitch")[index % 3]
        lines += [f"  {exchange}-{index}:", f"    exchange: {exchange}", f"    api_key: key-{index}",
                  f"    api_secret: ${{BALCTL_TEST_SECRET_{index}}}"]
        if exchange == "xt":
            lines.append("    symbols: [BTC_USDT, ETH_USDT]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("line, expected", [
    ("balctl okx --profile ", [f"okx-{i}" for i in range(0, 20, 3)]),
    ("balctl all -p c", [f"coinswitch-{i}" for i in range(2, 20, 3)]),
    ("balctl xt -p xt-4 --symbol BTC_USDT,", ["BTC_USDT,ETH_USDT"]),
])
def test_completion_imports_no_network_table_crypto_or_exchange_module(tmp_path, line, expected):
    config = tmp_path / "config.yaml"
    config.write_text(profile_file())
    words = line.split()
    cword = len(words) if line.endswith(" ") else len(words) - 1
    done, modules = run_listing_modules(tmp_path, env={
        "_BALCTL_COMPLETE": "complete_bash", "COMP_WORDS": line, "COMP_CWORD": str(cword),
        "BALCTL_CONFIG": str(config)})
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.splitlines() == expected
    assert "typer" in modules and "balctl.completion" in modules  # it did answer through the CLI
    assert imported(modules, "yaml") == []  # a plain profile file is read without PyYAML
    for package in ("requests", "urllib3", "rich", "cryptography", "pydantic", "balctl.model", "decimal",
                    "balctl.exchanges.okx", "balctl.exchanges.xt", "balctl.exchanges.coinswitch"):
        assert imported(modules, package) == [], package


@pytest.mark.parametrize("command", [(), ("okx",), ("all",)])
def test_help_is_plain_text_without_rich(tmp_path, command):
    """Rich costs more to import than Typer itself: help is Click's plain text."""
    done, modules = run_listing_modules(tmp_path, *command, "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Usage: balctl {' '.join(command)}".rstrip() + " [OPTIONS]")
    for package in ("rich", "requests", "yaml", "cryptography", "balctl.exchanges.okx", "balctl.model", "decimal"):
        assert imported(modules, package) == [], package


def test_version_imports_no_cli_framework(tmp_path):
    done, modules = run_listing_modules(tmp_path, "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("balctl ")
    assert imported(modules, "typer") == [] and imported(modules, "balctl.cli") == []


def test_history_modules_are_imported_only_when_used(tmp_path, sim_config):
    """A plain fetch pays for neither sqlite3 nor plotext; --record pays for sqlite3 only;
    plotext is `balctl history`'s alone (issue 12)."""
    done, modules = run_listing_modules(tmp_path, "okx", "-o", "json", "-c", str(sim_config))
    assert done.returncode == 0, done.stderr
    assert (imported(modules, "sqlite3"), imported(modules, "plotext"), imported(modules, "balctl.history")) \
        == ([], [], [])
    db = tmp_path / "h.sqlite"
    done, modules = run_listing_modules(tmp_path, "okx", "-o", "json", "-c", str(sim_config), "--record",
                                        "--db", str(db))
    assert done.returncode == 0, done.stderr
    assert "sqlite3" in modules and imported(modules, "plotext") == []
    done, modules = run_listing_modules(tmp_path, "history", "--db", str(db), env={"COLUMNS": "80"})
    assert done.returncode == 0, done.stderr
    assert "plotext" in modules and "equity (USD)" in done.stdout


def test_keyring_is_imported_only_by_a_file_that_uses_it(tmp_path, sim_config):
    """Importing keyring and finding its backends costs a few hundred ms (it probes every
    platform's backend): only a profile file with `${keyring:NAME}` may pay for it."""
    done, modules = run_listing_modules(tmp_path, "okx", "-o", "json", "-c", str(sim_config))
    assert done.returncode == 0, done.stderr
    assert imported(modules, "keyring") == []
    assert imported(modules, "balctl.setup") == []  # profiles add/check/init code stays out too
    with_keyring = tmp_path / "keyring.yaml"
    with_keyring.write_text(sim_config.read_text().replace(
        '    passphrase: "Sim-Passphrase-1"', "    passphrase: ${keyring:okx.passphrase}"))
    with_keyring.chmod(0o600)
    done, modules = run_listing_modules(tmp_path, "okx", "-c", str(with_keyring))
    assert done.returncode == 2  # the tests' keyring backend refuses every call
    assert "keyring" in modules
