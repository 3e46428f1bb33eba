"""`balctl history`, from parsed options to output: the CLI only hands its values over."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TextIO

from balctl.errors import UsageError
from balctl.history.query import Request, field_kind, parse_moment
from balctl.history.store import NoHistory, record_hint, resolve_db_path


def history(
    *,
    db: Path | None,
    profiles: tuple[str, ...],
    assets: tuple[str, ...],
    field: str,
    since: str,
    until: str | None,
    output: str,
    import_file: Path | None,
    out: TextIO,
    now: datetime,
    color: str = "auto",
) -> None:
    """Import a CSV (`--import`), or show the series of `field`."""
    path = resolve_db_path(db)
    if import_file is not None:
        from balctl.history.importer import import_csv

        result = import_csv(path, import_file)
        out.write(f"imported {result.added} snapshots ({result.rows} rows); {result.skipped} already recorded\n")
        out.flush()
        return
    if output not in ("table", "json", "csv"):
        raise UsageError(f"balctl history prints a table, JSON or CSV, not {output!r}")
    field = field.strip().lower()
    field_kind(field, assets)  # a bad --field is a usage error before the file is opened
    start = parse_moment(since, option="--since", now=now)
    end = parse_moment(until, option="--until", now=now, end_of_day=True) if until else None
    if end is not None and end < start:
        raise UsageError("--until is before --since")
    from balctl.history.view import show

    try:
        show(path, Request(field=field, profiles=profiles, assets=assets, since=start, until=end), output, out,
             color=color)
    except NoHistory as exc:
        raise exc.evolve(hint=record_hint(path if db is not None else None)) from None

