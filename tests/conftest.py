"""Shared fixtures. Autouse: no test ever reads the real ~/.config/balctl or the user's env."""

from __future__ import annotations

import json
import os
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"

ENV_PREFIXES = ("BALCTL_", "OKX_", "XT_", "COINSWITCH_")


@pytest.fixture(autouse=True)
def quiet_request_log():
    """`-v` configures the `balctl` logger for the process; start every test without it."""
    import logging

    def reset() -> None:
        logger = logging.getLogger("balctl")
        logger.handlers.clear()
        logger.setLevel(logging.NOTSET)
        logger.propagate = True

    reset()
    yield
    reset()


@pytest.fixture(autouse=True)
def isolated_config(tmp_path_factory, monkeypatch):
    """Point HOME, XDG_CONFIG_HOME and XDG_DATA_HOME at an empty temp dir and drop BALCTL_* settings."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))  # the history database
    for name in list(os.environ):
        if name.startswith(ENV_PREFIXES):
            monkeypatch.delenv(name)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    # a balctl subprocess must never reach the machine's keyring either: keyring's "fail"
    # backend refuses every call
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    return home


@pytest.fixture(autouse=True)
def memory_keyring():
    """Every test in-process gets an empty in-memory keyring, never the machine's own."""
    try:
        import keyring

        from tests.memory_keyring import MemoryKeyring
    except ImportError:  # the tests that need it say so; the rest run without
        yield None
        return
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(MemoryKeyring())




def load_fixture(name: str):
    """A fixture response parsed as balctl parses bodies: numbers as Decimal."""
    return json.loads((FIXTURES / name).read_text(), parse_float=Decimal)


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text()


@pytest.fixture
def write_config(tmp_path):
    """Write a profile file (mode 600) and return its path."""

    def write(text: str, mode: int = 0o600, name: str = "config.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        path.chmod(mode)
        return path

    return write


OKX_PROFILE = """\
    profiles:
      okx:
        exchange: okx
        api_key: okx-key-0001
        api_secret: 22582BD0CFF14C41EDBF1AB98506286D
        passphrase: okx-pass-phrase
"""

FIXED_NOW = "2026-01-02T03:04:05.678Z"


@pytest.fixture
def fixed_now(monkeypatch):
    """Make `fetched_at` deterministic: 2026-01-02T03:04:05.678Z."""
    from datetime import datetime, timezone

    moment = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc)
    monkeypatch.setattr("balctl.fetch.utc_now", lambda: moment)
    return moment


@pytest.fixture
def no_sleep(monkeypatch):
    """Retries back off through `time.sleep`; record the delays instead of waiting."""
    delays: list[float] = []
    monkeypatch.setattr("balctl.http.time.sleep", delays.append)
    return delays


def invoke(*args: str, env: dict | None = None):
    """Run the CLI in-process; stdout and stderr are captured separately."""
    from typer.testing import CliRunner

    from balctl.cli import app

    return CliRunner().invoke(app, list(args), env=env)


@pytest.fixture(scope="session")
def shared_simulator():
    from balctl.simulator import Simulator

    with Simulator() as sim:
        yield sim


@pytest.fixture
def simulator(shared_simulator):
    """The project's loopback exchange simulator, reset for each test: no faults, no skew,
    an empty log. One server for the session: starting and stopping one per test would
    cost more than most tests take. Every test's requests have finished when it returns
    (CliRunner runs are synchronous, subprocesses have exited)."""

    def reset() -> None:
        shared_simulator.clear_faults()
        shared_simulator.clock_skew = 0.0
        shared_simulator.okx_perm = "read_only"
        shared_simulator.log.clear()

    reset()
    yield shared_simulator
    reset()


@pytest.fixture
def sim_config(simulator, tmp_path):
    """A profile file (mode 600) with the simulator's profiles: okx, okx-demo, xt, coinswitch,
    okx-margin."""
    path = tmp_path / "sim.yaml"
    path.write_text(simulator.profiles_yaml())
    path.chmod(0o600)
    return path


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
