"""`balctl profiles`: what the profile file says, with nothing secret in it
(docs/contract.md, Commands; Reliability and security).

Shown: name, exchange, base URL, `demo` (OKX), `symbols` (XT), the API key masked as
`****abcd`, and where each credential comes from (`file`, `env NAME` or `keyring NAME`). Never shown:
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
SOURCES = "sources."
COLUMNS = (  # key (a JSON field; `sources.X` inside `sources`), heading
    ("name", "Profile"),
    ("exchange", "Exchange"),
    ("base_url", "Base URL"),
    ("demo", "Demo"),
    ("symbols", "Symbols"),
    ("api_key", "API key"),
    ("sources.api_key", "Key from"),
    ("sources.api_secret", "Secret from"),
    ("sources.passphrase", "Passphrase from"),
)
SOMETIMES = ("demo", "symbols", "sources.passphrase")
"""Columns shown only when some profile has a value: OKX's demo and passphrase, XT's symbols."""
DROP_ORDER = ("sources.passphrase", "sources.api_secret", "sources.api_key", "symbols", "api_key",
              "base_url", "demo")
"""Optional columns, the first to go when the table is too wide: where the secrets come from
matters least day to day, the demo flag most (a demo key is not the live account). The
profile name and exchange are essential."""


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
    """The table, fitted to `out` like the balance tables (render/table.py): cells never
    wrap, optional columns go in DROP_ORDER with a footnote naming them, then the box, then
    one block per profile. A problem is a sentence, so it goes under the table, wrapped,
    before the footnote."""
    from balctl.render.table import FAINT, ITALIC, listing, page_for, styled

    page = page_for(out)
    page.text(f"profiles · {terminal_text(source)}" if source else "profiles", ITALIC)
    if not rows:  # (the file needs one profile at least: only a caller of this module sees it)
        page.text("no profiles", FAINT)
        return styled(page.lines, page.color)
    problems = [f"{terminal_text(row['name'])}: {terminal_text(row['problem'])}" for row in rows if row["problem"]]
    return listing(page, table_columns(rows), DROP_ORDER, problems)


def table_columns(rows: list[dict[str, Any]]) -> list[Any]:
    """The columns that say something for these rows: `demo`, `symbols` and the passphrase's
    source only when some profile's exchange has them."""
    from balctl.render.table import FAINT, Column

    columns = []
    for key, heading in COLUMNS:
        values = [_value(row, key) for row in rows]
        if key in SOMETIMES and all(value is None for value in values):
            continue
        cells = [_cell(key, value) for value in values]
        columns.append(Column(key, heading, cells, [FAINT if cell == NULL else None for cell in cells],
                              numeric=False))
    return columns


def _value(row: dict[str, Any], key: str) -> Any:
    """`sources.api_key` reads inside the row's `sources`, as it is nested in the JSON."""
    if key.startswith(SOURCES):
        return (row["sources"] or {}).get(key[len(SOURCES):])
    return row[key]


def _cell(key: str, value: Any) -> str:
    if value is None:
        return NULL
    if key == "demo":
        return "yes" if value else "no"
    if key == "symbols":
        return terminal_text(", ".join(value)) if value else NULL
    return terminal_text(value)  # names, URLs and variable names come from the file
