"""Renderers: snapshots and reports → text. They know the model, never an exchange.

Each renderer builds the whole text before anything is written, so a failure half way
can never leave half a record on stdout.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from balctl.model import Report, Snapshot

def render_snapshot(snapshot: Snapshot, fmt: str, out: TextIO, *, raw: bool = False) -> None:
    """One account, as an exchange command prints it."""
    out.write(_renderer(fmt, "snapshot")(snapshot, raw=raw, out=out))
    out.flush()


def render_report(report: Report, fmt: str, out: TextIO, *, raw: bool = False) -> None:
    """Several accounts and their failures, as `balctl all` and `balctl demo` print them."""
    out.write(_renderer(fmt, "report")(report, raw=raw, out=out))
    out.flush()


def _renderer(fmt: str, what: str) -> Callable[..., str]:
    """The format's module is imported only when used (Rich is slow to import)."""
    if fmt == "json":
        from balctl.render import json as module
    elif fmt == "csv":
        from balctl.render import csv as module
    elif fmt == "table":
        from balctl.render import table as module
    elif fmt == "prometheus":
        from balctl.render import prometheus as module
    else:  # the CLI validates choices; reaching here is a bug
        raise ValueError(f"unknown output format {fmt!r}")
    return getattr(module, what)
