"""Where `profiles add` and `init` read secrets from: never from an option value.

An option value lands in shell history and in `ps` output, so a secret is either referred to
(`--api-secret-env VAR`), typed at a hidden prompt on a terminal, or read from standard
input when it is not a terminal: one line per value, in the order of `needed` (for
`profiles add`: api_key if neither --api-key nor --api-key-env, then api_secret, then
passphrase for OKX, each one skipped when given as --*-env).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

from balctl.errors import UsageError, redact

LABELS = {"api_key": "API key", "api_secret": "API secret", "passphrase": "API passphrase"}
SECRET_KEYS = ("api_secret", "passphrase")


def read_values(needed: Sequence[str], stdin: TextIO | None = None) -> dict[str, str]:
    """Each of `needed` (profile keys): prompted on a terminal (secrets hidden), else one
    line each from standard input. Values are registered with the redactor at once."""
    stdin = stdin or sys.stdin
    values: dict[str, str] = {}
    interactive = _is_terminal(stdin)
    for key in needed:
        value = prompt(LABELS.get(key, key), hidden=key in SECRET_KEYS) if interactive \
            else _line(stdin, key, needed)
        if key in SECRET_KEYS:
            redact.add(value)
        values[key] = value
    return values


def prompt(label: str, *, hidden: bool = False, default: str | None = None) -> str:
    """Ask on the terminal (the question on stderr, so stdout stays the command's output).
    Hidden input for secrets; an empty answer takes `default`, or asks again."""
    import getpass

    shown = f"{label} [{default}]: " if default else f"{label}: "
    while True:
        if hidden:
            try:
                answer = getpass.getpass(shown, stream=sys.stderr)
            except EOFError:  # Ctrl-D
                raise UsageError("input ended: nothing was written") from None
        else:
            sys.stderr.write(shown)
            sys.stderr.flush()
            line = sys.stdin.readline()
            if not line:
                raise UsageError("input ended: nothing was written")
            answer = line.rstrip("\r\n")
        answer = answer.strip()
        if answer:
            return answer
        if default is not None:
            return default
        sys.stderr.write(f"{label} cannot be empty\n")


def _line(stdin: TextIO, key: str, needed: Sequence[str]) -> str:
    line = stdin.readline()
    value = line.rstrip("\r\n").strip()
    if not value:
        order = ", ".join(needed)
        raise UsageError(
            f"standard input {'ended' if not line else 'has an empty line'} where the {LABELS.get(key, key)} "
            f"was expected (one line each, in this order: {order})",
            hint="or give them as environment variable references (--api-secret-env VAR, ...)",
        )
    return value


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
