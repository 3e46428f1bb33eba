"""`balctl profiles` at real terminal widths (docs/contract.md, Commands; Output): the balance
tables' rules. A cell never wraps; optional columns go whole, in their order, named in a
footnote; then the box; then one block per profile. A profile's problem is a sentence, so it
goes under the table, wrapped between words. A pipe is not narrowed unless COLUMNS is set.
"""

from __future__ import annotations

import io

import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from balctl.cli import app
from balctl.profiles import load_profiles
from balctl.render.profiles import render_profiles
from tests.tables import plain, read_blocks, read_table

FILE = """\
    profiles:
      okx-main:
        exchange: okx
        api_key: okx-live-key-9f3a
        api_secret: S1S1S1S1S1S1S1S1S1S1S1S1S1S1S1S1
        passphrase: PASSPHRASE-1
        base_url: https://eea.okx.com
      okx-demo:
        exchange: okx
        api_key: ${OKX_DEMO_KEY}
        api_secret: ${OKX_DEMO_SECRET}
        passphrase: ${OKX_DEMO_PASS}
        demo: true
      xt-lever:
        exchange: xt
        api_key: ${XT_KEY}
        api_secret: ${XT_SECRET}
        symbols: [BTC_USDT, ETH_USDT]
      treasury-desk-okx-subaccount-07:
        exchange: okx
        api_key: d75a980182b10ab7d54bfed3c964073a
        api_secret: 9d61b19deffd5a60ba844af492ec2cc4
        passphrase: ${TREASURY_DESK_OKX_PASSPHRASE}
        base_url: https://proxy.corp.example:8443/okx
      desk-broken:
        exchange: xt
        api_key: ${XT_DESK_KEY}
        api_secret: ${XT_DESK_SECRET}
"""
ENV = {"OKX_DEMO_KEY": "demo-key-0000c0de", "OKX_DEMO_SECRET": "demo-secret-1", "OKX_DEMO_PASS": "demo-pass-1",
       "XT_KEY": "3976eb88-76d0-4f6e-a6b2-a57980770085", "XT_SECRET": "bc6630d0231fda5cd98794f52c4998659beda290",
       "TREASURY_DESK_OKX_PASSPHRASE": "desk-pass", "XT_DESK_KEY": "desk-key-12345678"}
SOURCE = "~/.config/balctl/config.yaml"
PROBLEM = "desk-broken: key 'api_secret': environment variable XT_DESK_SECRET is unset or empty"

# Every cell, whole, by heading; and the name the footnote uses for its column (a JSON key)
SHOWN = {
    "Profile": ["okx-main", "okx-demo", "xt-lever", "treasury-desk-okx-subaccount-07", "desk-broken"],
    "Exchange": ["okx", "okx", "xt", "okx", "xt"],
    "Base URL": ["https://eea.okx.com", "https://www.okx.com", "https://sapi.xt.com",
                 "https://proxy.corp.example:8443/okx", "–"],
    "Demo": ["no", "yes", "–", "no", "–"],
    "Symbols": ["–", "–", "BTC_USDT, ETH_USDT", "–", "–"],
    "API key": ["****9f3a", "****c0de", "****0085", "****073a", "–"],
    "Key from": ["file", "env OKX_DEMO_KEY", "env XT_KEY", "file", "–"],
    "Secret from": ["file", "env OKX_DEMO_SECRET", "env XT_SECRET", "file", "–"],
    "Passphrase from": ["file", "env OKX_DEMO_PASS", "–", "env TREASURY_DESK_OKX_PASSPHRASE", "–"],
}
JSON_NAMES = {"Profile": "name", "Exchange": "exchange", "Base URL": "base_url", "Demo": "demo",
              "Symbols": "symbols", "API key": "api_key", "Key from": "sources.api_key",
              "Secret from": "sources.api_secret", "Passphrase from": "sources.passphrase"}
WIDTHS = [40, 60, 80, 120]

EXPECTED_80 = f"""\
profiles · {SOURCE}
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━┳━━━━━━━━━━┓
┃ Profile                         ┃ Exchange ┃ Demo ┃ API key  ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━╇━━━━━━━━━━┩
│ okx-main                        │ okx      │ no   │ ****9f3a │
│ okx-demo                        │ okx      │ yes  │ ****c0de │
│ xt-lever                        │ xt       │ –    │ ****0085 │
│ treasury-desk-okx-subaccount-07 │ okx      │ no   │ ****073a │
│ desk-broken                     │ xt       │ –    │ –        │
└─────────────────────────────────┴──────────┴──────┴──────────┘

desk-broken: key 'api_secret': environment variable XT_DESK_SECRET is unset or
  empty
hidden: sources.passphrase, sources.api_secret, sources.api_key, symbols,
base_url — widen the terminal or use -o json
"""

EXPECTED_40 = """\
profiles · ~/.config/balctl/config.yaml
Profile:         okx-main
Exchange:        okx
Base URL:        https://eea.okx.com
Demo:            no
Symbols:         –
API key:         ****9f3a
Key from:        file
Secret from:     file
Passphrase from: file

Profile:         okx-demo
Exchange:        okx
Base URL:        https://www.okx.com
Demo:            yes
Symbols:         –
API key:         ****c0de
Key from:        env OKX_DEMO_KEY
Secret from:     env OKX_DEMO_SECRET
Passphrase from: env OKX_DEMO_PASS

Profile:         xt-lever
Exchange:        xt
Base URL:        https://sapi.xt.com
Demo:            –
Symbols:         BTC_USDT, ETH_USDT
API key:         ****0085
Key from:        env XT_KEY
Secret from:     env XT_SECRET
Passphrase from: –

Profile:
  treasury-desk-okx-subaccount-07
Exchange:        okx
Base URL:
  https://proxy.corp.example:8443/okx
Demo:            no
Symbols:         –
API key:         ****073a
Key from:        file
Secret from:     file
Passphrase from:
  env TREASURY_DESK_OKX_PASSPHRASE

Profile:         desk-broken
Exchange:        xt
Base URL:        –
Demo:            –
Symbols:         –
API key:         –
Key from:        –
Secret from:     –
Passphrase from: –

desk-broken: key 'api_secret':
  environment variable XT_DESK_SECRET is
  unset or empty
"""


@pytest.fixture
def config(write_config):
    return write_config(FILE)


@pytest.fixture
def entries(config):
    """What `balctl profiles` renders: each profile of FILE, or why it cannot be used."""
    loaded = load_profiles(config, ENV)
    return [loaded.outcome(name) for name in loaded]


def listing(entries, out) -> str:
    render_profiles(entries, "table", out, source=SOURCE)
    return out.getvalue()


def assert_fits_with_every_value_whole(text: str, width: int, *, title_lines: int = 1) -> None:
    """Every line within `width` (the title, a path, may not be), every shown cell whole on its
    row, every other column named by the footnote, and the problem said under the table."""
    text = plain(text)
    lines = text.splitlines()
    assert max(cell_len(line) for line in lines[title_lines:]) <= width, text
    if "Profile:" in text:  # one block per profile: every field, nothing hidden
        blocks = read_blocks(text)
        assert blocks[:5] == [{heading: cells[row] for heading, cells in SHOWN.items()} for row in range(5)]
        assert "hidden:" not in text
    else:
        headings, rows = read_table("\n".join(lines[title_lines - 1:]))
        assert rows == [[SHOWN[heading][row] for heading in headings] for row in range(5)]
        hidden = [JSON_NAMES[heading] for heading in SHOWN if heading not in headings]
        assert headings[:2] == ["Profile", "Exchange"]  # essential
        flat = " ".join(text.split())
        if hidden:
            note = flat[flat.index("hidden: ") + len("hidden: "):flat.index(" — widen the terminal or use -o json")]
            assert sorted(note.split(", ")) == sorted(hidden)
        else:
            assert "hidden:" not in text
    under = " ".join(text[text.rindex("\n\n"):].split())  # after the table: the problem, then the footnote
    assert under.startswith(PROBLEM)
    footnote = under[len(PROBLEM):]
    if "hidden:" in text:
        assert footnote.startswith(" hidden: ") and footnote.endswith(" — widen the terminal or use -o json")
    else:
        assert footnote == ""


@pytest.mark.parametrize("width", [*WIDTHS, 44])
def test_a_terminal_of_any_width_shows_every_value_whole_on_one_line(entries, terminal_of, width):
    text = listing(entries, terminal_of(width))
    assert_fits_with_every_value_whole(text, width)
    if width == 44:  # the name and exchange need 46 cells boxed, 41 without the box
        assert "┃" not in text and "\n───────" in text


def test_80_columns_keep_the_essential_columns_and_what_else_fits(entries, terminal_of):
    assert listing(entries, terminal_of(80)) == EXPECTED_80


def test_40_columns_give_one_block_per_profile_with_long_values_moved_not_split(entries, terminal_of):
    assert listing(entries, terminal_of(40)) == EXPECTED_40


def test_120_columns_take_back_the_api_key_once_the_wide_url_fits(entries, terminal_of):
    """The URL (35 cells) outranks the masked key, dropped before it; once the URL is in, the
    key (8 cells) fits in what is left."""
    text = listing(entries, terminal_of(120))
    assert read_table(text)[0] == ["Profile", "Exchange", "Base URL", "Demo", "API key"]
    assert "hidden: sources.passphrase, sources.api_secret, sources.api_key, symbols — widen the terminal" in text


def test_colour_on_a_terminal_is_the_same_text_styled(entries, terminal_of, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    text = listing(entries, terminal_of(80))
    assert "\x1b[1mProfile\x1b[0m" in text and "\x1b[2m–\x1b[0m" in text  # bold headings, dim nulls
    assert plain(text) == EXPECTED_80


def test_a_pipe_without_columns_is_never_narrowed(entries, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    text = listing(entries, io.StringIO())
    assert read_table(text)[0] == list(SHOWN)
    assert "hidden:" not in text
    assert cell_len(text.splitlines()[1]) == 1 + sum(max(map(cell_len, [heading, *cells])) + 3
                                                    for heading, cells in SHOWN.items())


def test_a_pipe_follows_columns(entries, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    assert listing(entries, io.StringIO()) == EXPECTED_80


def test_no_profiles_is_said_without_a_table(terminal_of):
    out = terminal_of(40)
    render_profiles([], "table", out)
    assert out.getvalue() == "profiles\nno profiles\n"


@pytest.mark.parametrize("width", WIDTHS)
def test_the_command_at_every_width(config, width):
    """Through the CLI (a pipe, so COLUMNS sets the width): exit 2 for the broken profile,
    said once on stderr, and the listing fitted all the same."""
    result = CliRunner().invoke(app, ["profiles", "-c", str(config)], env={**ENV, "COLUMNS": str(width)})
    assert result.exit_code == 2
    assert result.stderr == (f"balctl: {config}: profile 'desk-broken': key 'api_secret': environment variable "
                             "XT_DESK_SECRET is unset or empty\n")
    title = f"profiles · {config}"
    assert " ".join(result.stdout.split()).startswith(title)
    title_lines = 1 if cell_len(title) <= width else 2  # the path is one word: never split
    assert_fits_with_every_value_whole(result.stdout, width, title_lines=title_lines)
