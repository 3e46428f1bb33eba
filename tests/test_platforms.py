"""Other platforms, simulated on Linux CI: modules that only exist on POSIX made
unimportable, `os.name` seen as Windows by the mode rules, signals that are missing.
What really runs where is in the README (Other platforms)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from types import SimpleNamespace

import pytest

from balctl import platforms, watch
from balctl.errors import ProfileError
from balctl.profiles import load_profiles

IMPORT_EVERY_MODULE_WITHOUT_POSIX_MODULES = """
import importlib, pkgutil, sys
for name in ("fcntl", "termios", "tty", "pty", "pwd", "grp", "resource"):
    sys.modules[name] = None  # `import fcntl` now raises ImportError, as on Windows
import balctl
names = sorted(m.name for m in pkgutil.walk_packages(balctl.__path__, "balctl."))
for name in names:
    importlib.import_module(name)
print(len(names))
"""


def test_every_module_imports_without_the_posix_only_modules():
    done = subprocess.run([sys.executable, "-c", IMPORT_EVERY_MODULE_WITHOUT_POSIX_MODULES],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) > 30 and done.stderr == ""


SHARED_FILE_WITH_SECRETS = """\
    profiles:
      okx:
        exchange: okx
        api_key: okx-key-0001
        api_secret: 22582BD0CFF14C41EDBF1AB98506286D
        passphrase: okx-pass-phrase
"""


def test_posix_refuses_a_readable_file_with_literal_secrets(write_config):
    path = write_config(SHARED_FILE_WITH_SECRETS, mode=0o664)
    with pytest.raises(ProfileError) as caught:
        load_profiles(path)["okx"]
    assert "writable by group or others" in caught.value.message


def test_windows_has_no_modes_so_the_mode_rules_are_not_applied(write_config, monkeypatch):
    """On Windows every file looks group/world readable and writable (ACLs decide, and are
    not read): the same file loads there."""
    monkeypatch.setattr(platforms, "os", SimpleNamespace(name="nt"))
    assert platforms.has_posix_modes() is False
    path = write_config(SHARED_FILE_WITH_SECRETS, mode=0o666)
    assert load_profiles(path)["okx"].api_key == "okx-key-0001"


def test_stop_signals_are_the_ones_the_platform_has(monkeypatch):
    assert platforms.stop_signals() == (signal.SIGINT, signal.SIGTERM)  # Linux: no SIGBREAK
    monkeypatch.delattr(signal, "SIGTERM")
    assert platforms.stop_signals() == (signal.SIGINT,)
    monkeypatch.setattr(signal, "SIGBREAK", signal.SIGUSR1, raising=False)  # as on Windows
    assert platforms.stop_signals() == (signal.SIGINT, signal.SIGUSR1)


def test_watch_stop_catches_only_what_exists_and_restores_it(monkeypatch):
    before = signal.getsignal(signal.SIGINT)
    monkeypatch.delattr(signal, "SIGTERM")
    with watch.Stop() as stop:
        assert signal.getsignal(signal.SIGINT) == stop._raise_flag
        os.kill(os.getpid(), signal.SIGINT)
        assert stop.requested is True
    assert signal.getsignal(signal.SIGINT) is before


def test_the_profile_writer_works_without_fchmod(tmp_path, monkeypatch):
    from balctl.setup import writer

    monkeypatch.delattr(os, "fchmod")  # Windows before Python 3.13
    path = tmp_path / "balctl" / "config.yaml"
    entry = {"exchange": "xt", "api_key": "${XT_KEY}", "api_secret": "${XT_SECRET}"}
    writer.add_profile(path, "xt", entry, environ={"XT_KEY": "k" * 16, "XT_SECRET": "s" * 16})
    assert "  xt:\n    exchange: xt\n" in path.read_text()
