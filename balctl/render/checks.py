"""`balctl profiles check` output: a table for people, or a JSON list for scripts.

Table: profile, exchange, `OK` or `error (exit N)`, clock offset, permissions, fitted to the
terminal by the balance tables' rules; under it one note per error, hint and warning.

JSON: `[{name, exchange, ok, error, exit_code, clock_offset_ms, permissions, warnings}]`,
where `error` is null or `{kind, message, code, hint}` (the one-line message balctl prints).
Every text passes the secret redactor (nothing secret is ever put in a result) and the
shared sanitiser (a profile name or exchange message may hold control characters).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TextIO

from balctl.errors import redact
from balctl.sanitize import LINE_LIMIT, json_escape, terminal_text

NULL = "–"
DROP_ORDER = ("permissions", "clock_offset_ms")
"""Optional columns, the first to go when the table is too wide (a risky permission is also a
warning under the table); profile, exchange and result are essential."""


def render_checks(results: Sequence[Any], fmt: str, out: TextIO) -> None:
    """Write the results as `table` or `json` to `out`, in one write."""
    if fmt == "json":
        documents = [check_document(result) for result in results]
        text = json_escape(json.dumps(documents, indent=2, ensure_ascii=False)) + "\n"
    else:
        text = _table(results, out)
    out.write(redact(text))
    out.flush()


def check_document(result: Any) -> dict[str, Any]:
    error = result.error
    return {
        "name": result.name,
        "exchange": result.exchange,
        "ok": result.ok,
        "error": None if error is None else {
            "kind": error.kind, "message": error.line(), "code": error.code, "hint": error.hint},
        "exit_code": result.exit_code,
        "clock_offset_ms": result.clock_offset_ms,
        "permissions": result.permissions,
        "warnings": list(result.warnings),
    }


def _table(results: Sequence[Any], out: TextIO) -> str:
    """The table, fitted to `out` like the balance tables (render/table.py): short cells that
    never wrap, permissions and clock offset dropped when it is too wide. What needs a
    sentence (the error, its hint, warnings) goes under it, wrapped between words, one note
    each, naming its profile; then the footnote."""
    from balctl.render.table import ITALIC, listing, page_for

    page = page_for(out)
    page.text("profiles check", ITALIC)
    notes = [note for result in results for note in check_notes(result)]
    return listing(page, check_columns(results), DROP_ORDER, notes)


def check_columns(results: Sequence[Any]) -> list[Any]:
    """Profile, exchange and result (essential), clock offset and permissions."""
    from balctl.render.table import FAINT, NEGATIVE, Column

    def column(name: str, heading: str, cells: list[str], numeric: bool = False) -> Column:
        cells = [terminal_text(cell, LINE_LIMIT) for cell in cells]
        return Column(name, heading, cells, [FAINT if cell == NULL else None for cell in cells], numeric)

    verdicts = ["OK" if result.ok else f"error (exit {result.exit_code})" for result in results]
    return [
        column("name", "Profile", [result.name for result in results]),
        column("exchange", "Exchange", [result.exchange or NULL for result in results]),
        Column("result", "Result", verdicts, [None if result.ok else NEGATIVE for result in results], False),
        column("clock_offset_ms", "Clock offset", [
            NULL if result.clock_offset_ms is None else f"{result.clock_offset_ms:+d} ms" for result in results],
            numeric=True),
        column("permissions", "Permissions", [
            NULL if result.permissions is None else ", ".join(result.permissions) or NULL for result in results]),
    ]


def check_notes(result: Any) -> list[str]:
    """`name: error: ...`, `name: hint: ...`, `name: warning: ...`: what the Result cell
    cannot hold, in that order."""
    notes = []
    if result.error is not None:
        # the note starts with the profile's name already: `exchange (profile):` again
        # would say it twice (`okx: error: okx (okx): ...`)
        notes.append(f"error: {result.error.evolve(exchange=None, profile=None).line()}")
        if result.error.hint:
            notes.append(f"hint: {result.error.hint}")
    notes += [f"warning: {warning}" for warning in result.warnings]
    return [terminal_text(f"{result.name}: {note}", LINE_LIMIT) for note in notes]
