"""`balctl profiles check` output: a table for people, or a JSON list for scripts.

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
    from rich.table import Table
    from rich.text import Text

    from balctl.render.table import console_for, rendered

    table = Table(title=Text("profiles check"), title_justify="left")
    for heading in ("Profile", "Exchange", "Result", "Clock offset", "Permissions", "Notes"):
        table.add_column(heading, overflow="fold")
    for result in results:
        notes = list(result.warnings)
        if result.error is not None and result.error.hint:
            notes.insert(0, f"hint: {result.error.hint}")
        cells = (
            result.name,
            result.exchange or NULL,
            "OK" if result.ok else f"error (exit {result.exit_code}): {result.error.line()}",
            NULL if result.clock_offset_ms is None else f"{result.clock_offset_ms:+d} ms",
            NULL if result.permissions is None else ", ".join(result.permissions) or NULL,
        )
        # Text: data, never Rich markup; names and messages come from the file or an exchange
        notes_cell = "\n".join(terminal_text(note, LINE_LIMIT) for note in notes) or NULL
        table.add_row(*(Text(terminal_text(cell, LINE_LIMIT)) for cell in cells), Text(notes_cell))
    console, buffer = console_for(out)
    console.print(table)
    return rendered(buffer)
