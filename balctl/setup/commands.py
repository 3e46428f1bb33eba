"""The bodies of `balctl profiles add|remove|check|example`: the CLI parses options and calls
these, which return the exit code. Messages for people go to stderr; stdout carries only
the command's output (the check table or JSON, the example file).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from balctl.messages import stderr_line
from balctl.setup import add as adding
from balctl.setup import keyring_store, writer
from balctl.setup.add import NewProfile
from balctl.setup.writer import Written


def add(path: Path, spec: NewProfile, *, force: bool = False, stdin: TextIO | None = None) -> int:
    """`profiles add`: read the values not given (hidden prompt, or stdin lines), write."""
    from balctl.setup.secrets import read_values

    spec.check()
    if not force:
        writer.refuse_if_taken(path, spec.name)  # before any secret is typed
    if spec.keyring:
        keyring_store.require()  # before any secret is typed
    values = read_values(spec.to_read(), stdin)
    written = adding.add(path, spec, values, force=force)
    saved(spec.name, written)
    return 0


def saved(name: str, written: Written, *, checked_next: bool = False) -> None:
    """What was written, and what the user still has to do (`checked_next`: the caller runs
    the check itself, as init does, so telling the user to run it would only confuse)."""
    stderr_line(f"{'replaced' if written.replaced else 'added'} profile '{name}' in {written.path}")
    if written.unset_variables:
        stderr_line(f"note: set {', '.join(written.unset_variables)} in the environment before using it")
    if not checked_next or written.unset_variables:
        stderr_line(f"next: balctl profiles check {name}")


def remove(path: Path, name: str) -> int:
    """`profiles remove`: the profile's block, then the keyring entries only it used."""
    from balctl.profiles import resolve_config_path

    target = resolve_config_path(path)
    deleted = adding.remove(target, name)
    stderr_line(f"removed profile '{name}' from {target}")
    for entry in deleted:
        stderr_line(f"removed keyring entry '{entry}' (service balctl)")
    return 0


def check(path: Path, names: Sequence[str], output: str, *, timeout: float, out: TextIO | None = None) -> int:
    """`profiles check`: each chosen profile (every one by default); exit code the worst."""
    from balctl.http import Transport
    from balctl.profiles import load_profiles, select_profiles
    from balctl.render.checks import render_checks
    from balctl.setup.check import check_profiles, exit_code

    entries = select_profiles(load_profiles(path), list(names))
    transport = Transport(timeout=timeout)
    try:
        results = check_profiles(entries, transport)
    finally:
        transport.close()
    render_checks(results, output, out or sys.stdout)
    return exit_code(results)


def example(out: TextIO | None = None) -> int:
    """`profiles example`: the annotated example file, as shipped in the package."""
    from balctl.setup import example_text

    stream = out or sys.stdout
    stream.write(example_text())
    stream.flush()
    return 0
