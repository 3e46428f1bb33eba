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
