"""`balctl profiles`: what the profile file says, with nothing secret in it
(docs/contract.md, Commands; Reliability and security).

Shown: name, exchange, base URL, `demo` (OKX), `symbols` (XT), the API key masked as
`****abcd`, and where each credential comes from (`file` or `env NAME`). Never shown:
`api_secret`, `passphrase`, the whole key, or a password inside `base_url`. The renderer
reads only those fields of a `Profile`, so a new secret field cannot leak by accident.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TextIO

from balctl.errors import BalctlError
from balctl.messages import write_output
from balctl.sanitize import json_escape, terminal_text
from balctl.urls import UrlRefused, parse_base_url, without_userinfo

MASK = "****"
SHOWN_KEY_CHARS = 4
MIN_KEY_TO_SHOW_TAIL = 8
"""A key shorter than this is masked whole: showing 4 of 5 characters is showing the key."""
CREDENTIALS = ("api_key", "api_secret", "passphrase")
NULL = "–"


def render_profiles(profiles: Iterable[Any], fmt: str, out: TextIO, *, source: Any = None) -> None:
    """Write the profiles (each a Profile, or the ProfileError that makes it unusable) as
    `table` or `json` to `out`, in one write."""
    rows = [problem_document(entry) if isinstance(entry, BalctlError) else profile_document(entry)
            for entry in profiles]
    if fmt == "json":
        text = json_escape(json.dumps(rows, indent=2, ensure_ascii=False)) + "\n"
    elif fmt == "table":
        text = table_text(rows, out, source=source)
    else:  # the CLI allows table and json only; reaching here is a bug
        raise ValueError(f"balctl profiles cannot print {fmt!r}")
    write_output(out, text)


def profile_document(profile: Any) -> dict[str, Any]:
    """One profile as shown, keys in a fixed order; the same object in every row."""
    sources = getattr(profile, "sources", None) or {}
    keys = _exchange_keys(profile.exchange)
    return {
        "name": profile.name,
        "exchange": profile.exchange,
        "base_url": safe_url(profile.base_url),
        "demo": bool(profile.demo) if "demo" in keys else None,
        "symbols": list(profile.symbols) if "symbols" in keys else None,
        "api_key": mask_key(profile.api_key),
        "sources": {key: sources.get(key) for key in CREDENTIALS if key != "passphrase" or key in keys},
        "problem": None,
    }


def _exchange_keys(exchange: str) -> set[str]:
    """The profile keys the exchange adds (demo, symbols, passphrase): what is shown for it."""
    from balctl import exchanges

    try:
        return set(exchanges.load(exchange).PROFILE_KEYS)
    except KeyError:
        return set()


def problem_document(problem: BalctlError) -> dict[str, Any]:
    """A profile that cannot be used: its name, exchange if known, and why (never a value:
    ProfileError messages name keys, not what they hold)."""
    reason = getattr(problem, "reason", None) or problem.message  # without the path again
    return {"name": problem.profile, "exchange": problem.exchange, "base_url": None, "demo": None,
            "symbols": None, "api_key": None, "sources": None, "problem": reason}


def mask_key(key: str | None) -> str:
    """`****abcd`: the last 4 characters, or `****` alone for a short (or missing) key."""
    key = (key or "").strip()
    if len(key) < MIN_KEY_TO_SHOW_TAIL:
        return MASK
    return MASK + key[-SHOWN_KEY_CHARS:]


def safe_url(url: str) -> str:
    """The base URL as balctl connects to it, without `user:password@` (a proxy's
    credentials are secrets too)."""
    try:
        return parse_base_url(url).display()
    except UrlRefused:  # a Profile is only built from an accepted URL; still never show userinfo
        return without_userinfo(url)


def table_text(rows: list[dict[str, Any]], out: TextIO, *, source: Any = None) -> str:
    """A Rich table, styled and sized for `out` exactly like the balance tables."""
    from rich.table import Table
    from rich.text import Text

    from balctl.render.table import console_for, rendered

    title = f"profiles · {terminal_text(source)}" if source else "profiles"
    table = Table(title=Text(title), title_justify="left",
                  caption=None if rows else "no profiles")
    columns = [("name", "Profile"), ("exchange", "Exchange"), ("base_url", "Base URL")]
    if any(row["demo"] is not None for row in rows):
        columns.append(("demo", "Demo"))
    if any(row["symbols"] is not None for row in rows):
        columns.append(("symbols", "Symbols"))
    columns += [("api_key", "API key"), ("sources", "Credentials from")]
    if any(row["problem"] for row in rows):
        columns.append(("problem", "Problem"))
    for key, heading in columns:
        table.add_column(heading, overflow="fold", no_wrap=key in ("api_key",))
    for row in rows:
        # Text(), not str: a name or URL with [brackets] is data, not Rich markup
        table.add_row(*(Text(_cell(key, row[key])) for key, _ in columns))
    console, buffer = console_for(out)
    console.print(table)
    return rendered(buffer)


def _cell(key: str, value: Any) -> str:
    if value is None:
        return NULL
    if key == "demo":
        return "yes" if value else "no"
    if key == "symbols":
        return terminal_text(", ".join(value)) if value else NULL
    if key == "sources":
        return "\n".join(f"{name}: {terminal_text(where or NULL)}" for name, where in value.items())
    return terminal_text(value)  # names and problems come from the file

