"""What differs between the platforms CPython runs on, asked in one place.

balctl runs on Linux, macOS and Windows. Three things are not everywhere:
- POSIX file modes: on Windows `st_mode` has no group/other bits (ACLs decide), so the
  profile file's chmod-600 rules are applied only where `os.name == "posix"`, and the
  README says so.
- Signals: SIGINT exists everywhere; SIGTERM is missing on some platforms' builds, and
  SIGBREAK (Ctrl-Break) only on Windows. `stop_signals()` names the ones to catch here.
- Locks: `fcntl` is POSIX only, `msvcrt` Windows only; each is imported where it is used.

Tests simulate the other platform by monkeypatching `os.name`, the `signal` module and
the importable modules (tests/test_platforms.py).
"""

from __future__ import annotations

import os
import signal


def has_posix_modes() -> bool:
    """Whether file modes mean anything here (a function so tests can pretend otherwise)."""
    return os.name == "posix"


def stop_signals() -> tuple[signal.Signals, ...]:
    """The signals that ask balctl to stop cleanly on this platform: Ctrl-C, and where they
    exist SIGTERM (kill, systemd, docker stop) and SIGBREAK (Ctrl-Break on Windows)."""
    names = ("SIGINT", "SIGTERM", "SIGBREAK")
    return tuple(getattr(signal, name) for name in names if hasattr(signal, name))
