"""Shared fixtures. Autouse: no test ever reads the real ~/.config/balctl or the user's env."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from tests.helpers import ENV_PREFIXES, FakeTty


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
def isolated_redactor():
    """The redactor is process-wide: a secret one test registers (a literal `${HOME}`, say)
    must not turn up as `****` in another test's expected output."""
    from balctl.errors import redact

    saved = set(redact._secrets)
    yield
    redact._secrets = saved
    redact._pattern = None


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




@pytest.fixture
def write_config(tmp_path):
    """Write a profile file (mode 600) and return its path."""

    def write(text: str, mode: int = 0o600, name: str = "config.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        path.chmod(mode)
        return path

    return write


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


@pytest.fixture
def terminal_of():
    """A FakeTty backed by a real pseudo-terminal of `columns` x 24, so the size is real."""
    fcntl = pytest.importorskip("fcntl")
    termios = pytest.importorskip("termios")
    import struct

    fds: list[int] = []

    def make(columns: int) -> FakeTty:
        master, slave = os.openpty()
        fds.extend((master, slave))
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
        return FakeTty(slave)

    yield make
    for fd in fds:
        os.close(fd)
