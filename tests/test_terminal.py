"""Terminal manners (docs/contract.md, Output): colour only on a terminal and never with NO_COLOR, tables
that fit the terminal without losing a digit, BALCTL_OUTPUT, and --help with examples.
"""

from __future__ import annotations

import io
import json
import re

import pytest
import responses
from rich.cells import cell_len
from typer.testing import CliRunner

from balctl.cli import app
from balctl.exchanges import okx
from balctl.model import Snapshot, utc_now
from balctl.render import render_snapshot
from tests.helpers import FakeTty, OKX_PROFILE, fixture_text, load_fixture
from tests.tables import read_blocks, read_table

URL = "https://www.okx.com/api/v5/account/balance"
ESCAPE = "\x1b"
SGR = re.compile(r"\x1b\[[0-9;]*m")

# The OKX fixture as the table shows it: the columns that are not null somewhere, in order;
# rows by USD value, USDT in cents, other assets to 8 places.
FIXTURE_COLUMNS = {
    "Asset": ["BTC", "USDT", "SOL", "ETH"],
    "Total": ["1.25", "4,992.89", "0", "-2.00001234"],
    "Available": ["1.2", "4,834.32", "0", "0"],
    "Frozen": ["0.05", "158.57", "0", "0"],
    "Loan": ["–", "0", "0", "2.00001234"],
    "Interest": ["–", "0", "0", "0.00001234"],
    "Order margin": ["0.05", "0", "0", "0"],
    "USD value": ["50,845.01", "4,991.54", "0", "-4,765.44"],
}


@pytest.fixture
def snapshot() -> Snapshot:
    account = okx.parse([load_fixture("okx_balance.json")])
    return Snapshot("okx", "okx", "trading", utc_now(), account.summary, account.balances)


def table_for(snapshot: Snapshot, out: io.StringIO) -> str:
    render_snapshot(snapshot, "table", out)
    return out.getvalue()


# --- colour -------------------------------------------------------------------------------

def test_terminal_gets_styles(snapshot, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert ESCAPE in table_for(snapshot, FakeTty())


def test_no_color_means_no_escape_codes_even_on_a_terminal(snapshot, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    assert ESCAPE not in table_for(snapshot, FakeTty())


def test_no_color_means_no_colour_codes_on_a_terminal(snapshot, monkeypatch):
    """What Rich guarantees today (and what no-color.org asks): no colour SGR parameters."""
    monkeypatch.setenv("NO_COLOR", "1")
    text = table_for(snapshot, FakeTty())
    for escape in SGR.findall(text):
        codes = escape[2:-1].split(";")
        assert not any(code in {"38", "48"} or code[:1] in {"3", "4", "9"} and len(code) == 2
                       for code in codes if code), escape


@pytest.mark.parametrize("no_color", [None, "1"])
def test_no_escape_codes_off_a_terminal(snapshot, monkeypatch, no_color):
    if no_color is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", no_color)
    assert ESCAPE not in table_for(snapshot, io.StringIO())


@responses.activate
def test_cli_table_into_a_pipe_has_no_escape_codes(write_config, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    responses.get(URL, body=fixture_text("okx_balance.json"))
    result = CliRunner().invoke(app, ["okx", "-c", str(write_config(OKX_PROFILE))])
    assert result.exit_code == 0, result.stderr
    assert "4,834.32" in result.stdout
    assert ESCAPE not in result.stdout + result.stderr


# --- width --------------------------------------------------------------------------------

def assert_shown_whole(text: str, hidden: tuple[str, ...]) -> None:
    """Every amount of every shown column whole on its row's line; the hidden ones named."""
    headings, rows = read_table(text)
    shown = [heading for heading in FIXTURE_COLUMNS if heading not in hidden]
    assert headings == shown
    assert rows == [[FIXTURE_COLUMNS[heading][index] for heading in shown]
                    for index in range(len(FIXTURE_COLUMNS["Asset"]))]
    if hidden:
        names = ", ".join(heading.lower().replace(" ", "_") for heading in hidden)
        note = f"hidden: {names} — widen the terminal or use --columns"
        assert note in " ".join(SGR.sub("", text).split())  # wrapped between words on a narrow terminal
    else:
        assert "hidden:" not in text


def test_a_60_column_terminal_gets_the_essential_columns_unboxed(snapshot, terminal_of, monkeypatch):
    """Asset, total, available, loan and USD value of this account need 63 columns in a box,
    55 without one."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    text = table_for(snapshot, terminal_of(60))
    plain = SGR.sub("", text)
    assert max(cell_len(line) for line in plain.splitlines()) <= 60
    assert "…" not in plain and "┃" not in plain
    assert_shown_whole(text, hidden=("Frozen", "Interest", "Order margin"))
    assert "  equity 51,071.11 USD" in plain


def test_a_terminal_too_narrow_for_the_essential_columns_gets_one_block_per_row(snapshot, terminal_of):
    text = table_for(snapshot, terminal_of(50))
    assert max(cell_len(line) for line in SGR.sub("", text).splitlines()) <= 50
    assert read_blocks(text) == [{heading: values[index] for heading, values in FIXTURE_COLUMNS.items()}
                                 for index in range(4)]


def test_a_terminal_a_little_narrower_than_all_columns_loses_the_optional_ones(snapshot, terminal_of):
    text = table_for(snapshot, terminal_of(63))
    assert max(cell_len(line) for line in SGR.sub("", text).splitlines()) <= 63
    assert text.splitlines()[1].startswith("┏")
    assert_shown_whole(text, hidden=("Frozen", "Interest", "Order margin"))
    assert_shown_whole(table_for(snapshot, terminal_of(90)), hidden=("Frozen",))


def test_wide_terminal_shows_each_amount_on_one_line(snapshot, terminal_of):
    text = SGR.sub("", table_for(snapshot, terminal_of(200)))
    usdt = next(line for line in text.splitlines() if "USDT" in line)
    for amount in ("4,992.89", "4,834.32", "158.57", "4,991.54"):
        assert amount in usdt
    assert max(cell_len(line) for line in text.splitlines()) <= 200
    assert_shown_whole(text, hidden=())
    assert "hidden" not in text


@pytest.mark.parametrize("columns", [None, "100"])
def test_a_terminal_reporting_zero_columns_gets_80_or_columns(snapshot, terminal_of, monkeypatch, columns):
    """A fresh pty that was never given a window size reports 0x0: the table falls back to
    COLUMNS if set, else 80 columns, as on a real 80-column terminal (it used to print one
    word per line)."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    expected = table_for(snapshot, terminal_of(int(columns or 80)))
    assert table_for(snapshot, terminal_of(0)) == expected
    assert max(cell_len(line) for line in SGR.sub("", expected).splitlines()) <= int(columns or 80)
    assert SGR.sub("", expected).splitlines()[0] == "okx · okx · trading"


def test_pipe_width_follows_columns(snapshot, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    text = table_for(snapshot, io.StringIO())
    assert max(cell_len(line) for line in text.splitlines()) <= 80
    assert_shown_whole(text, hidden=("Frozen", "Interest"))


def test_pipe_without_columns_is_never_narrowed(snapshot, monkeypatch):
    """Today's rule for pipes: whole rows, whatever their width, unless COLUMNS is set."""
    monkeypatch.delenv("COLUMNS")
    text = table_for(snapshot, io.StringIO())
    assert_shown_whole(text, hidden=())


# --- BALCTL_OUTPUT ------------------------------------------------------------------------

@responses.activate
def test_balctl_output_json_sets_the_default_format(write_config):
    responses.get(URL, body=fixture_text("okx_balance.json"))
    path = write_config(OKX_PROFILE)
    result = CliRunner().invoke(app, ["okx"], env={"BALCTL_CONFIG": str(path), "BALCTL_OUTPUT": "json"})
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith('{\n  "profile": "okx",\n  "exchange": "okx",\n  "account": "trading",\n')
    document = json.loads(result.stdout)
    assert [row["asset"] for row in document["balances"]] == ["USDT", "BTC", "ETH", "SOL"]
    assert document["summary"]["equity"] == "51071.112513622894"


@responses.activate
def test_output_option_beats_balctl_output(write_config):
    responses.get(URL, body=fixture_text("okx_balance.json"))
    path = write_config(OKX_PROFILE)
    result = CliRunner().invoke(app, ["okx", "-o", "csv"], env={"BALCTL_CONFIG": str(path), "BALCTL_OUTPUT": "json"})
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == (
        "fetched_at,profile,exchange,account,market,asset,total,available,frozen,loan,interest,"
        "position_margin,order_margin,usd_value"
    )


def test_unknown_balctl_output_is_a_usage_error(write_config):
    path = write_config(OKX_PROFILE)
    result = CliRunner().invoke(app, ["okx"], env={"BALCTL_CONFIG": str(path), "BALCTL_OUTPUT": "yaml"})
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "yaml" in result.stderr


# --- --help -------------------------------------------------------------------------------

def help_text(*command: str) -> str:
    # plain Click help: under CliRunner its width is 80 unless the context says otherwise
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200"}, terminal_width=200)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_okx_help_shows_a_jq_example():
    assert "balctl okx -o json | jq '.balances[] | {asset, available}'" in help_text("okx")


def test_all_help_shows_a_cron_example():
    text = help_text("all")
    assert "cron, hourly:  0 * * * * balctl all -o csv --append $HOME/balances.csv > /dev/null" in text


@pytest.mark.parametrize("command, description, example", [
    ("okx", "Show the OKX trading account", "balctl okx --ccy BTC,ETH"),
    ("xt", "Show XT.com lever (margin) balances", "balctl xt --symbol BTC_USDT,ETH_USDT"),
    ("coinswitch", "Show the CoinSwitch PRO futures wallet", "balctl coinswitch -o csv --append wallet.csv"),
    ("all", "Every profile of the file, fetched concurrently", "balctl all -p okx -p okx-sub -o json"),
    ("profiles", "List the profiles of the file", "balctl profiles -o json | jq '.[].name'"),
    ("init", "Set up a profile by answering questions", "balctl init -c ./work.yaml"),
    ("profiles add", "Add a profile to the file", "balctl profiles add main --exchange okx --keyring"),
    ("profiles remove", "Remove a profile from the file", "balctl profiles remove old-sub"),
    ("profiles check", "One real request per profile", "balctl profiles check main -o json"),
    ("profiles example", "Print the annotated example profile file", "balctl profiles example >"),
    ("demo", "All three exchanges against the bundled simulator", "balctl demo -o json | jq '.accounts[].summary'"),
])
def test_every_command_help_has_a_description_and_examples(command, description, example):
    text = help_text(*command.split())
    assert description in text
    assert "Examples:" in text
    assert example in text


def test_help_keeps_square_brackets_of_metavars():
    """Rich markup eats `[...]` it understands; the metavar must survive."""
    assert "BTC_USDT[,...]" in help_text("xt")
