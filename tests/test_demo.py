"""`balctl demo`: the installed command, a user with no profile file and no keys
(docs/contract.md, The simulator and balctl demo).

Each run is a real subprocess with an empty HOME and no XDG_CONFIG_HOME: the demo must
start its own simulator, fetch one profile of each exchange through the real code path,
print data only on stdout, nothing on stderr, and leave HOME as empty as it found it.
"""

from __future__ import annotations

import csv
import io
import json
import os
from decimal import Decimal

import pytest

from balctl.simulator import accounts
from tests.helpers import run_balctl
from tests.helpers import HEADER, Number, as_output, assert_fresh, csv_cells, expected

EXCHANGES = ["okx", "xt", "coinswitch"]


@pytest.fixture
def empty_home(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    return home


def demo(home, *args: str):
    env = {"HOME": str(home), "XDG_CONFIG_HOME": "", "NO_COLOR": "1", "COLUMNS": "200"}
    done = run_balctl("demo", *args, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert list(home.iterdir()) == []  # no profile file needed, none written
    return done.stdout


def test_demo_json_has_one_account_per_exchange_and_no_errors(empty_home):
    stdout = demo(empty_home, "-o", "json")
    document = json.loads(stdout, parse_float=Number)
    assert list(document) == ["fetched_at", "accounts", "errors", "warnings", "alerts"]
    assert_fresh(document["fetched_at"])
    assert (document["errors"], document["warnings"], document["alerts"]) == ([], [], [])
    assert [(a["profile"], a["exchange"], a["account"]) for a in document["accounts"]] == [
        ("okx", "okx", "trading"), ("xt", "xt", "lever"), ("coinswitch", "coinswitch", "futures")]
    for account, exchange in zip(document["accounts"], EXCHANGES):
        assert_fresh(account.pop("fetched_at"))
        assert account == expected(exchange)  # the sample accounts, digit for digit
    xt = document["accounts"][1]["summary"]
    assert xt["native"]["BTC_USDT"]["usdtNetAmount"] == as_output(
        accounts.xt_accounts()["btc_usdt"]["usdtNetAmount"]) == Number("26855.999812345678901234")


def test_demo_csv_lists_the_rows_of_all_three_exchanges(empty_home):
    stdout = demo(empty_home, "-o", "csv")
    header, *lines = stdout.splitlines()
    assert header == HEADER
    rows = list(csv.reader(io.StringIO("\n".join(lines))))
    assert [r[1:] for r in rows] == [cells for exchange in EXCHANGES for cells in csv_cells(expected(exchange))]
    for stamp in {r[0] for r in rows}:
        assert_fresh(stamp)
    # summing a column over one account's rows counts nothing twice: CoinSwitch's per-symbol
    # margins are inside its wallet row, so they are not rows of their own
    frozen = HEADER.split(",").index("frozen")
    blocked = sum(Decimal(r[frozen]) for r in rows if r[2] == "coinswitch")
    assert blocked == Decimal("100.10180873")  # the wallet's total_blocked_balance, once


def test_demo_table_shows_the_three_accounts_and_totals(empty_home):
    stdout = demo(empty_home)
    assert "\x1b" not in stdout
    titles = [line for line in stdout.splitlines() if " · " in line]
    assert titles == ["okx · okx · trading", "xt · xt · lever", "coinswitch · coinswitch · futures",
                      "coinswitch · coinswitch · by market"]
    summaries = [line for line in stdout.splitlines() if line.startswith("  equity ")]
    assert summaries == [  # in cents: USD and USDT
        "  equity 44,981.08 USD   loans: ETH 1.5 (+0.00018493 interest)",
        "  equity 35,956.48 USDT   loan 6,502.77 USDT",
        "  equity 60,960.83 USDT   loan –",
    ]
    totals = stdout[stdout.index("\nTotals\n"):].splitlines()
    assert totals[1:] == [
        "Totals",
        "┏━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━━┓",
        "┃ Unit ┃    Equity ┃ Accounts ┃",
        "┡━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━┩",
        "│ USD  │ 44,981.08 │        1 │",
        "│ USDT │ 96,917.30 │        2 │",  # 35956.475839745678901234 + 60960.82599588
        "└──────┴───────────┴──────────┘",
        "amounts rounded for display; -o json or --digits all shows the exact digits",
    ]


def test_demo_needs_no_config_even_when_the_default_path_is_broken(tmp_path):
    """A broken ~/.config/balctl/config.yaml or BALCTL_CONFIG must not matter to the demo."""
    home = tmp_path / "home"
    (home / ".config" / "balctl").mkdir(parents=True)
    (home / ".config" / "balctl" / "config.yaml").write_text("profiles: [not, a, mapping\n")
    env = {"HOME": str(home), "NO_COLOR": "1", "BALCTL_CONFIG": str(tmp_path / "missing.yaml")}
    done = run_balctl("demo", "-o", "csv", env={**env, "XDG_CONFIG_HOME": ""})
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith(HEADER + "\n") and done.stdout.count("\n") == 10
    assert os.listdir(home / ".config" / "balctl") == ["config.yaml"]


# --- the next step, for a person at a terminal -------------------------------------------------

NEXT = "next: balctl init (your own keys), or balctl profiles example\n"


def test_demo_on_a_terminal_ends_with_the_next_step_on_stderr(empty_home):
    """stderr a real pseudo-terminal: the progress line clears itself, then the suggestion."""
    import subprocess
    import sys

    controller, terminal = os.openpty()
    try:
        env = {key: value for key, value in os.environ.items() if not key.startswith("BALCTL_")}
        env.update(HOME=str(empty_home), XDG_CONFIG_HOME="", NO_COLOR="1", COLUMNS="200")
        done = subprocess.run([sys.executable, "-m", "balctl", "demo", "-o", "csv"], stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=terminal, env=env, timeout=60)
        os.close(terminal)
        terminal = -1
        shown = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # EIO: the terminal side is closed and everything was read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(controller)
        if terminal >= 0:
            os.close(terminal)
    assert done.returncode == 0
    assert done.stdout.decode().startswith(HEADER + "\n")
    text = shown.decode()
    assert text.endswith("\r\x1b[K" + NEXT.replace("\n", "\r\n"))  # the terminal's own CR LF
    assert text.count("next:") == 1


@pytest.mark.parametrize(("color", "line"), [("auto", NEXT), ("always", f"\x1b[2m{NEXT[:-1]}\x1b[0m\n")])
def test_demo_next_step_is_plain_or_dim_as_the_colour_setting_says(monkeypatch, color, line):
    from typer.testing import CliRunner

    from balctl import messages
    from balctl.cli import app

    monkeypatch.setattr(messages, "_stderr_is_terminal", lambda: True)  # CliRunner's stderr is not one
    result = CliRunner().invoke(app, ["demo", "-o", "csv", "--color", color])  # NO_COLOR=1 from conftest
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(HEADER + "\n")
    assert result.stderr == line


def test_demo_says_nothing_more_when_stderr_is_not_a_terminal():
    from typer.testing import CliRunner

    from balctl.cli import app

    result = CliRunner().invoke(app, ["demo", "-o", "csv"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(HEADER + "\n")
    assert result.stderr == ""
