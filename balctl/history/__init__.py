"""The balance history: runs recorded into SQLite (`--record`), CSVs imported, looked back at.

    path = resolve_db_path(None)                      # --db, BALCTL_DB, or the XDG default
    record_run(path, report, command="all", started_at=start)
    series = query.load_series(path, query.Request(field="equity", since=..., until=...))

`store` owns the schema (tables `runs`, `snapshots`, `balances`, `errors`, named by the issue
so people can query them with sqlite3 or Datasette), `importer` reads `--append` CSVs,
`query` turns rows into series and changes, `chart` draws them (the only user of plotext).
Only the `history` command and `--record` import this package: sqlite3 stays off a plain fetch.
"""

from __future__ import annotations

from balctl.history.store import HistoryError, default_db_path, record_run, resolve_db_path

__all__ = ["HistoryError", "default_db_path", "record_run", "resolve_db_path"]
