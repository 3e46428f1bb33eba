"""The table renderer's two body layouts must print the same thing when the table fits."""

from __future__ import annotations

import io

from rich.console import Console

from balctl.exchanges import okx
from balctl.model import Snapshot
from balctl.render.table import account_table
from tests.conftest import load_fixture


def render(table, width: int) -> str:
    console = Console(file=io.StringIO(), width=width, force_terminal=False, color_system=None)
    console.print(table)
    return console.file.getvalue()


def snapshot() -> Snapshot:
    from datetime import datetime, timezone

    account = okx.parse([load_fixture("okx_balance.json")])
    return Snapshot("main", "okx", "trading", datetime(2026, 1, 1, tzinfo=timezone.utc),
                    account.summary, account.balances)


def test_column_cells_and_row_cells_render_identically_when_the_table_fits():
    fast = render(account_table(snapshot(), max_width=200), 200)
    per_row = render(account_table(snapshot(), max_width=0), 200)  # forces one Rich row per asset
    assert fast == per_row
    assert fast.count("\n") == 4 + 4 + 1  # title, 3 header lines, 4 assets, bottom border


def test_a_table_that_does_not_fit_folds_amounts_inside_their_row():
    text = render(account_table(snapshot(), max_width=60), 60)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 60
    body = [line.split("│")[1:-1] for line in lines if line.startswith("│")]
    starts = [i for i, cells in enumerate(body) if cells[0].strip()]
    assert [body[i][0].strip() for i in starts] == ["USDT", "BTC", "ETH", "SOL"]
    usdt = body[starts[0]:starts[1]]
    assert "".join(cells[1].strip() for cells in usdt) == "4992.890093622894"  # Total, whole
    eth = body[starts[2]:starts[3]]
    assert "".join(cells[5].strip() for cells in eth) == "0.00001234"  # Interest, whole


def test_an_account_without_rows_prints_an_empty_table():
    from balctl.render import table

    empty = Snapshot("main", "okx", "trading", snapshot().fetched_at, snapshot().summary, [])
    text = table.snapshot(empty, out=io.StringIO())
    assert text.splitlines()[0] == "okx · main · trading"
    assert "no balances" in text
    assert text.splitlines()[-1] == "  equity 51071.112513622894 USD   loan –"


def test_wide_characters_are_measured_in_screen_cells():
    from dataclasses import replace

    wide = snapshot()
    rows = [replace(row, asset="币安人生") if row.asset == "BTC" else row for row in wide.balances]
    wide = Snapshot(wide.profile, wide.exchange, wide.account, wide.fetched_at, wide.summary, rows)
    for width in (200, 60):  # fits; does not fit
        text = render(account_table(wide, max_width=width), width)
        assert "…" not in text
        if width == 200:
            assert "│ 币安人生 │              1.25 │" in text  # aligned: CJK counted as 2 cells each
