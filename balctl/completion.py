"""Shell completion of profile names and XT symbols (the `--profile` and `--symbol` values).

Completion runs on every <TAB>, inside the user's shell, often before the profile file is
finished. So it reads the file leniently and never complains: no secret rules, no `${NAME}`
expansion, no permission check. It only needs names, exchanges and `symbols:`, none of
which is a secret. Whatever goes wrong (no file, broken YAML, a half-written profile), the
answer is an empty list: an error message or a traceback would land in the middle of the
user's command line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from balctl.exchanges import EXCHANGES as EXCHANGE_COMMANDS  # `--profile` of these: that exchange's only


def complete_profiles(ctx: Any, incomplete: str) -> list[str]:
    """Profile names for `--profile`: the command's exchange only, or every one for `all`."""
    try:
        entries = _profile_entries(ctx)
        exchange = _command_name(ctx)
        names = [name for name, entry in entries.items()
                 if exchange not in EXCHANGE_COMMANDS or entry.get("exchange") == exchange]
        if exchange == "all":  # `-p` repeats: don't offer the ones already on the line
            chosen = set(_given_on_command_line(ctx, "profile") or ())
            names = [name for name in names if name not in chosen]
        return [name for name in names if name.startswith(incomplete)]
    except Exception:  # noqa: BLE001 - a completion must never fail loudly
        return []


def complete_symbols(ctx: Any, incomplete: str) -> list[str]:
    """The chosen XT profile's `symbols:` for `--symbol`, which takes a comma-separated list.

    `--symbol BTC_USDT,E<TAB>` completes the last item and keeps what is before the comma.
    """
    try:
        entries = _profile_entries(ctx)
        entry = _xt_entry(entries, _param(ctx, "profile"))
        if entry is None:
            return []
        done, comma, last = incomplete.rpartition(",")
        prefix = done + comma
        already = {item.strip().upper() for item in done.split(",") if item.strip()}
        return [prefix + symbol for symbol in _symbols(entry.get("symbols"))
                if symbol not in already and symbol.startswith(last.upper())]
    except Exception:  # noqa: BLE001
        return []


def _profile_entries(ctx: Any) -> dict[str, dict[str, Any]]:
    """`{name: entry}` from the profile file, in file order; {} when it cannot be read.

    A file in the plain layout is read without PyYAML (balctl.plainyaml), anything else
    through it."""
    from balctl import plainyaml

    try:
        text = _config_path(ctx).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    document = plainyaml.read(text, exact=USED_KEYS)
    if document is None:
        import yaml

        try:
            document = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml: every <TAB>
        except (yaml.YAMLError, RecursionError):
            return {}
    section = document.get("profiles") if isinstance(document, dict) else None
    if not isinstance(section, dict):
        return {}
    return {str(name): entry if isinstance(entry, dict) else {} for name, entry in section.items()}


USED_KEYS = frozenset({"exchange", "symbols"})
"""The keys of a profile that completion reads (their values must be read exactly)."""


def _config_path(ctx: Any, environ: Mapping[str, str] = os.environ) -> Path:
    """`--config` as typed so far (ctx.params holds BALCTL_CONFIG too), else the env, else default."""
    from balctl.profiles import resolve_config_path

    return resolve_config_path(_param(ctx, "config") or environ.get("BALCTL_CONFIG"), environ)


def _xt_entry(entries: dict[str, dict[str, Any]], name: Any) -> dict[str, Any] | None:
    """The profile `balctl xt` would use (the command's own chooser), or None."""
    from balctl.errors import ProfileError
    from balctl.profiles import choose_profile_name

    def exchange_of(profile: str) -> str | None:
        exchange = entries[profile].get("exchange")
        return exchange if isinstance(exchange, str) and exchange in EXCHANGE_COMMANDS else None

    try:
        chosen = choose_profile_name(Path(), list(entries), exchange_of, "xt", name or None)
    except ProfileError:
        return None
    return entries[chosen] if exchange_of(chosen) == "xt" else None


def _symbols(value: Any) -> list[str]:
    """`symbols:` as balctl.profiles reads it: a list, or a comma-separated string."""
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        return []
    symbols = (item.strip().upper() for item in value if isinstance(item, str))
    return list(dict.fromkeys(symbol for symbol in symbols if symbol))


def _command_name(ctx: Any) -> str:
    command = getattr(ctx, "command", None)
    return getattr(command, "name", None) or getattr(ctx, "info_name", None) or ""


def _param(ctx: Any, name: str) -> Any:
    params = getattr(ctx, "params", None)
    return params.get(name) if isinstance(params, dict) else None


def _given_on_command_line(ctx: Any, name: str) -> Any:
    """The value only if it was typed (not taken from an environment variable)."""
    from typer._click.core import ParameterSource

    given = ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE
    return _param(ctx, name) if given else None


def teach_the_equals_form() -> None:
    """Make `--profile=NAME<TAB>` and `--output=<TAB>` complete in bash, zsh and fish.

    Click already splits an incomplete `--opt=value` into the option and its value, but
    the shells do not hand that word over alike, and Typer's shell classes (0.28) do not
    make up for it:
    - bash breaks words at `=` (COMP_WORDBREAKS): `--profile=ma` arrives as the three
      words `--profile`, `=`, `ma`, so the `=` was read as the option's value and `ma` as
      a stray argument: nothing completed. The lone `=` is dropped here.
    - zsh and fish hand over `--profile=ma` whole and replace that whole word with the
      answer, so an answer `main` does not match it: each answer gets the `--profile=`
      prefix back.
    Registered over Typer's own classes just before a completion request is answered
    (Typer registers its classes each time it builds the command).
    """
    from typer._click.shell_completion import add_completion_class
    from typer._completion_classes import BashComplete, FishComplete, ZshComplete

    class EqualsForm:
        def get_completion_args(self) -> tuple[list[str], str]:
            args, incomplete = super().get_completion_args()  # type: ignore[misc]
            return without_split_equals(args), incomplete

        def get_completions(self, args: list[str], incomplete: str) -> list[Any]:
            items = super().get_completions(args, incomplete)  # type: ignore[misc]
            prefix = equals_prefix(incomplete)
            if not prefix:
                return items
            return [type(item)(prefix + item.value, type=item.type, help=item.help) for item in items]

    for name, base in (("bash", BashComplete), ("zsh", ZshComplete), ("fish", FishComplete)):
        add_completion_class(type(f"Balctl{base.__name__}", (EqualsForm, base), {}), name)


def without_split_equals(args: list[str]) -> list[str]:
    """`[..., "--profile", "="]` (bash split `--profile=ma` at the `=`) → `[..., "--profile"]`."""
    if len(args) >= 2 and args[-1] == "=" and args[-2].startswith("--"):
        return args[:-1]
    return args


def equals_prefix(incomplete: str) -> str:
    """`--profile=` for an incomplete word `--profile=ma`, else "": the part a shell that
    kept the word whole expects to find again at the start of every answer."""
    name, equals, _ = incomplete.partition("=")
    if equals and name.startswith("--") and len(name) > 2:
        return name + equals
    return ""
