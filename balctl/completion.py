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
import re
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

    A file in the plain layout is read without PyYAML (`quick_entries`), anything else
    through it."""
    try:
        text = _config_path(ctx).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    quick = quick_entries(text)
    if quick is not None:
        return quick
    import yaml

    try:
        document = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml: every <TAB>
    except (yaml.YAMLError, RecursionError):
        return {}
    section = document.get("profiles") if isinstance(document, dict) else None
    if not isinstance(section, dict):
        return {}
    return {str(name): entry if isinstance(entry, dict) else {} for name, entry in section.items()}


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


class _NotPlain(Exception):
    """The line is beyond what `quick_entries` reads: PyYAML reads the file instead."""


QUICK_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
QUICK_QUOTED = re.compile(r"\"[^\"\\]*\"|'[^']*'")
QUICK_PLAIN = re.compile(r"[A-Za-z_/$][^#'\"`]*")
"""Plain text starting with a letter, `_`, `/` or `$` (no YAML indicator, number or date)."""
USED_KEYS = ("exchange", "symbols")
"""The keys of a profile that completion reads; the others are only checked to be plain."""
YAML_WORDS = frozenset(word for base in ("yes", "no", "true", "false", "on", "off", "null")
                       for word in (base, base.capitalize(), base.upper()))
"""Plain words PyYAML reads as booleans or null, not as text (its resolver's spellings)."""


def quick_entries(text: str) -> dict[str, dict[str, Any]] | None:
    """`{name: {key: value}}` (`exchange` and `symbols` only) like `_profile_entries`, read without PyYAML from the plain
    layout most profile files have; None for anything else (anchors and merges, block
    lists, escapes, tabs, documents, ...), which PyYAML then reads.

    Completion answers on every <TAB>, and importing PyYAML costs about half of what
    importing Typer does (issue 16). Only lines whose meaning is plain are accepted:
    `key:` or `key: value` at consistent indentation, the value plain or simply quoted text
    or a one-line `[...]` list of those. A value YAML would read as anything but text
    (`false`, `12`, `2026-01-01`) is None here: completion only uses text. A test checks
    that this agrees with PyYAML on every file it accepts.
    """
    try:
        return _quick_entries(text)
    except _NotPlain:
        return None


def _quick_entries(text: str) -> dict[str, dict[str, Any]] | None:
    profiles: dict[str, dict[str, Any]] | None = None
    inside = False  # in the `profiles:` section
    top: set[str] = set()
    current: dict[str, Any] | None = None
    name_indent = field_indent = 0
    for line in text.splitlines():
        body = line.lstrip(" ")
        if not body or body.startswith("#"):
            continue
        indent = len(line) - len(body)
        key, value = _quick_line(body)
        if indent == 0:
            if key in top or (value is None) != (key == "profiles"):
                raise _NotPlain
            top.add(key)
            inside = key == "profiles"
            if inside:
                profiles, current, name_indent = {}, None, 0
            continue
        if not inside or profiles is None:
            raise _NotPlain
        name_indent = name_indent or indent
        if indent == name_indent:
            if value is not None or key in profiles:
                raise _NotPlain
            current = profiles[key] = {}
            field_indent = 0
        elif indent > name_indent and current is not None:
            field_indent = field_indent or indent
            if indent != field_indent or value is None or key in current:
                raise _NotPlain
            if key in USED_KEYS:
                current[key] = value[0]
        else:
            raise _NotPlain
    return profiles


def _quick_line(body: str) -> tuple[str, tuple[Any] | None]:
    """`key: value` → (key, (value,)); a bare `key:` → (key, None)."""
    key, colon, rest = body.partition(":")
    exact = key in USED_KEYS
    if not colon or not QUICK_KEY.fullmatch(key) or key in YAML_WORDS:
        raise _NotPlain
    if rest and not rest.startswith(" "):
        raise _NotPlain
    rest = _without_comment(rest).strip(" ")
    if not rest:
        return key, None
    if rest.startswith("["):
        if not rest.endswith("]") or rest.count("[") != 1 or rest.count("]") != 1 or "{" in rest:
            raise _NotPlain
        items = [item.strip(" ") for item in rest[1:-1].split(",")]
        return key, ([] if items == [""] else [_quick_scalar(item, flow=True, exact=exact) for item in items],)
    return key, (_quick_scalar(rest, flow=False, exact=exact),)


def _without_comment(text: str) -> str:
    """`text` up to a ` #` comment that is not inside a quoted scalar."""
    quote = None
    for index, char in enumerate(text):
        if quote:
            quote = None if char == quote else quote
        elif char in "\"'" and (index == 0 or text[index - 1] in " [,"):
            quote = char
        elif char == "#" and index > 0 and text[index - 1] == " ":
            return text[:index].rstrip(" ")
    return text


def _quick_scalar(text: str, *, flow: bool, exact: bool) -> str | None:
    """Text, or None for a plain scalar YAML reads as a boolean or null. A plain scalar
    starting with a digit may be a number or a date: `exact` (a value completion uses)
    leaves it to PyYAML; otherwise it is valid YAML and only its kind is unknown (None)."""
    if QUICK_QUOTED.fullmatch(text):
        return text[1:-1]
    if text.endswith(":") or ": " in text or "\t" in text or (flow and any(c in text for c in "[]{},")):
        raise _NotPlain
    if QUICK_PLAIN.fullmatch(text):
        return None if text in YAML_WORDS else text
    if not exact and re.fullmatch(r"[0-9][^#'\"`]*", text):
        return None
    raise _NotPlain
