"""`balctl profiles check` at real terminal widths (docs/contract.md, Setting up; Output): the
balance tables' rules. Short cells that never wrap (profile, exchange, result essential;
permissions, then clock offset, dropped when too wide); the error, its hint and warnings are
sentences, so they go under the table, one note each naming its profile, wrapped between
words.
"""

from __future__ import annotations

import io
import re

import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from balctl.cli import app
from balctl.errors import AuthError, NetworkError, ProfileError
from balctl.render.checks import render_checks
from balctl.setup.check import CheckResult, clock_warning
from balctl.simulator import Fault
from tests.tables import plain, read_blocks, read_table

RISKY = ("the key can trade and withdraw: balctl only reads balances, so a read-only key is safer "
         "(create one and replace this profile with --force)")
HINT = "the key may belong to another OKX region: set base_url to https://eea.okx.com or https://my.okx.com"
RESULTS = [
    CheckResult("okx-main", "okx", clock_offset_ms=12, permissions=["read_only"]),
    CheckResult("okx-trader", "okx", clock_offset_ms=-2500, permissions=["read_only", "trade", "withdraw"],
                warnings=[clock_warning("okx", -2500), RISKY]),
    CheckResult("okx-eea", "okx", clock_offset_ms=3,
                error=AuthError("Invalid OK-ACCESS-KEY.", code="50111", hint=HINT, exchange="okx",
                                profile="okx-eea")),
    CheckResult("xt-lever", "xt", error=NetworkError("cannot connect to sapi.xt.com: connection refused",
                                                     exchange="xt", profile="xt-lever")),
    CheckResult("desk-broken", "xt", error=ProfileError(
        "config.yaml: profile 'desk-broken': key 'api_secret': environment variable XT_DESK_SECRET is unset or empty",
        profile="desk-broken", exchange="xt")),
]
SHOWN = {
    "Profile": ["okx-main", "okx-trader", "okx-eea", "xt-lever", "desk-broken"],
    "Exchange": ["okx", "okx", "okx", "xt", "xt"],
    "Result": ["OK", "OK", "error (exit 3)", "error (exit 4)", "error (exit 2)"],
    "Clock offset": ["+12 ms", "-2500 ms", "+3 ms", "–", "–"],
    "Permissions": ["read_only", "read_only, trade, withdraw", "–", "–", "–"],
}
JSON_NAMES = {"Clock offset": "clock_offset_ms", "Permissions": "permissions"}
NOTES = [
    "okx-trader: warning: this machine's clock is 2.5 s ahead of okx's; balctl corrects for it, but other "
    "tools may not: sync it (e.g. timedatectl set-ntp true)",
    f"okx-trader: warning: {RISKY}",
    "okx-eea: error: Invalid OK-ACCESS-KEY. [50111]",
    f"okx-eea: hint: {HINT}",
    "xt-lever: error: cannot connect to sapi.xt.com: connection refused",
    "desk-broken: error: config.yaml: profile 'desk-broken': key 'api_secret': environment variable "
    "XT_DESK_SECRET is unset or empty",
]
WIDTHS = [40, 60, 80, 120]

EXPECTED_80 = """\
profiles check
┏━━━━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━┓
┃ Profile     ┃ Exchange ┃ Result         ┃ Clock offset ┃
┡━━━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━┩
│ okx-main    │ okx      │ OK             │       +12 ms │
│ okx-trader  │ okx      │ OK             │     -2500 ms │
│ okx-eea     │ okx      │ error (exit 3) │        +3 ms │
│ xt-lever    │ xt       │ error (exit 4) │            – │
│ desk-broken │ xt       │ error (exit 2) │            – │
└─────────────┴──────────┴────────────────┴──────────────┘

okx-trader: warning: this machine's clock is 2.5 s ahead of okx's; balctl
  corrects for it, but other tools may not: sync it (e.g. timedatectl set-ntp
  true)
okx-trader: warning: the key can trade and withdraw: balctl only reads balances,
  so a read-only key is safer (create one and replace this profile with --force)
okx-eea: error: Invalid OK-ACCESS-KEY. [50111]
okx-eea: hint: the key may belong to another OKX region: set base_url to
  https://eea.okx.com or https://my.okx.com
xt-lever: error: cannot connect to sapi.xt.com: connection refused
desk-broken: error: config.yaml: profile 'desk-broken': key 'api_secret':
  environment variable XT_DESK_SECRET is unset or empty
hidden: permissions — widen the terminal or use -o json
"""


def table(out) -> str:
    render_checks(RESULTS, "table", out)
    return out.getvalue()


def notes_of(text: str) -> list[str]:
    """The notes under the table, each joined back onto one line (continuations are indented)."""
    under = plain(text)[plain(text).rindex("\n\n") + 2:]
    notes: list[str] = []
    for line in under.splitlines():
        if line.startswith("hidden: "):
            break
        if line.startswith("  "):
            notes[-1] += " " + line.strip()
        else:
            notes.append(line)
    return notes


def assert_fits_with_every_value_whole(text: str, width: int, shown: dict[str, list[str]]) -> None:
    text = plain(text)
    assert max(cell_len(line) for line in text.splitlines()) <= width, text
    headings, rows = read_table(text)
    assert headings[:3] == ["Profile", "Exchange", "Result"]  # essential
    assert rows == [[shown[heading][row] for heading in headings] for row in range(len(shown["Profile"]))]
    hidden = [name for name in ("permissions", "clock_offset_ms")  # in the order they go
              if name not in (JSON_NAMES.get(heading) for heading in headings)]
    flat = " ".join(text.split())
    if hidden:
        assert flat.endswith(f"hidden: {', '.join(hidden)} — widen the terminal or use -o json")
    else:
        assert "hidden:" not in text


@pytest.mark.parametrize("width", WIDTHS)
def test_a_terminal_of_any_width_shows_every_value_whole_and_every_note(terminal_of, width):
    text = table(terminal_of(width))
    assert_fits_with_every_value_whole(text, width, SHOWN)
    assert notes_of(text) == NOTES


def test_80_columns_exactly(terminal_of):
    assert table(terminal_of(80)) == EXPECTED_80


def test_40_columns_drop_the_box_before_an_essential_column(terminal_of):
    """Profile, exchange and result need 43 cells boxed, 35 without the box."""
    text = table(terminal_of(40))
    assert "┃" not in text
    assert text.splitlines()[1:3] == ["Profile      Exchange  Result", "───────────  ────────  ──────────────"]
    assert " ".join(text.split()).endswith("hidden: permissions, clock_offset_ms — widen the terminal or use -o json")


def test_too_narrow_even_unboxed_gives_one_block_per_profile(terminal_of):
    text = table(terminal_of(30))
    assert read_blocks(text)[:5] == [{heading: cells[row] for heading, cells in SHOWN.items()} for row in range(5)]
    assert notes_of(text) == NOTES
    assert "hidden:" not in text


def test_errors_are_red_on_a_terminal(terminal_of, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    text = table(terminal_of(80))
    assert "\x1b[31merror (exit 3)\x1b[0m" in text
    assert plain(text) == EXPECTED_80


def test_a_pipe_without_columns_is_never_narrowed(monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    text = table(io.StringIO())
    assert read_table(text)[0] == list(SHOWN)
    assert notes_of(text) == NOTES  # each on one line


# --- through the CLI, against the simulator -------------------------------------------------

@pytest.mark.parametrize("width", WIDTHS)
def test_the_command_at_every_width(sim_config, simulator, width):
    """XT refusing the key is exit 3 for the run; a key that can trade is a warning; the table
    fits and every cell and note is whole."""
    simulator.okx_perm = "read_only,trade"
    simulator.add_fault(Fault("refuse"), exchange="xt")
    result = CliRunner().invoke(app, ["profiles", "check", "-c", str(sim_config), "okx", "okx-demo", "xt"],
                                env={"COLUMNS": str(width)})
    assert result.exit_code == 3, result.output
    assert result.stderr == ""
    offsets = re.findall(r"[+-]\d+ ms", result.stdout)
    assert len(offsets) in (0, 3)  # (XT's clock answered: only its signed request failed)
    assert all(abs(int(offset[:-3])) < 1000 for offset in offsets)
    shown = {"Profile": ["okx", "okx-demo", "xt"], "Exchange": ["okx", "okx", "xt"],
             "Result": ["OK", "OK", "error (exit 3)"], "Clock offset": offsets or ["?"] * 3,
             "Permissions": ["read_only, trade", "read_only, trade", "–"]}
    assert_fits_with_every_value_whole(result.stdout, width, shown)
    risky = "warning: the key can trade: balctl only reads balances, so a read-only key is safer " \
            "(create one and replace this profile with --force)"
    notes = notes_of(result.stdout)
    assert notes[:2] == [f"okx: {risky}", f"okx-demo: {risky}"]
    assert notes[2:] == ["xt: error: API key does not exist [AUTH_101]",  # not `xt: error: xt (xt): `
                         "xt: hint: check api_key in the profile: XT does not know this key"]
