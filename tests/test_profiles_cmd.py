"""`balctl profiles`: what the file says, secrets masked (docs/contract.md, Commands; The profile file)."""

from __future__ import annotations

import io
import json
import shlex

import pytest
from typer.testing import CliRunner

from balctl.cli import app
from balctl.profiles import Profile
from balctl.render.profiles import mask_key, render_profiles, safe_url

OKX_SECRET = "22582BD0CFF14C41EDBF1AB98506286D"
OKX_KEY = "okx-key-0001abcd"
OKX_PASSPHRASE = "okx-pass-phrase"
SUB_ENV = {
    "OKX_SUB_KEY": "sub-key-1234-wxyz",
    "OKX_SUB_SECRET": "sub-secret-value",
    "OKX_SUB_PASSPHRASE": "sub-passphrase-value",
}
SECRETS = (OKX_SECRET, OKX_KEY, OKX_PASSPHRASE, *SUB_ENV.values())

FILE = f"""\
    profiles:
      okx:
        exchange: okx
        api_key: {OKX_KEY}
        api_secret: {OKX_SECRET}
        passphrase: {OKX_PASSPHRASE}
      okx-sub:
        exchange: okx
        api_key: ${{OKX_SUB_KEY}}
        api_secret: ${{OKX_SUB_SECRET}}
        passphrase: ${{OKX_SUB_PASSPHRASE}}
        demo: true
        base_url: https://eea.okx.com
"""

EXPECTED_JSON = """\
[
  {
    "name": "okx",
    "exchange": "okx",
    "base_url": "https://www.okx.com",
    "demo": false,
    "symbols": null,
    "api_key": "****abcd",
    "sources": {
      "api_key": "file",
      "api_secret": "file",
      "passphrase": "file"
    },
    "problem": null
  },
  {
    "name": "okx-sub",
    "exchange": "okx",
    "base_url": "https://eea.okx.com",
    "demo": true,
    "symbols": null,
    "api_key": "****wxyz",
    "sources": {
      "api_key": "env OKX_SUB_KEY",
      "api_secret": "env OKX_SUB_SECRET",
      "passphrase": "env OKX_SUB_PASSPHRASE"
    },
    "problem": null
  }
]
"""

EXPECTED_TABLE = """\
profiles · {path}
┏━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━┳━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┓
┃ Profile ┃ Exchange ┃ Base URL            ┃ Demo ┃ API key  ┃ Key from        ┃ Secret from        ┃ Passphrase from        ┃
┡━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━╇━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━┩
│ okx     │ okx      │ https://www.okx.com │ no   │ ****abcd │ file            │ file               │ file                   │
│ okx-sub │ okx      │ https://eea.okx.com │ yes  │ ****wxyz │ env OKX_SUB_KEY │ env OKX_SUB_SECRET │ env OKX_SUB_PASSPHRASE │
└─────────┴──────────┴─────────────────────┴──────┴──────────┴─────────────────┴────────────────────┴────────────────────────┘
"""


def run(*args: str, **env: str):
    return CliRunner().invoke(app, ["profiles", *args], env={**SUB_ENV, **env})


@pytest.fixture
def config(write_config):
    return write_config(FILE)


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"secret {secret[:3]}… leaked"


def test_json_is_exact(config):
    result = run("-c", str(config), "-o", "json")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == EXPECTED_JSON


def test_table_is_exact(config):
    result = run("-c", str(config))
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == EXPECTED_TABLE.format(path=config)
    assert "****abcd" in result.stdout


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_no_secret_in_any_output(config, fmt):
    result = run("-c", str(config), "-o", fmt)
    assert result.exit_code == 0
    assert_no_secret(result.stdout + result.stderr)


def test_env_sourced_secrets_name_their_variable(config):
    document = json.loads(run("-c", str(config), "-o", "json").stdout)
    assert document[1]["sources"] == {
        "api_key": "env OKX_SUB_KEY",
        "api_secret": "env OKX_SUB_SECRET",
        "passphrase": "env OKX_SUB_PASSPHRASE",
    }
    result = run("-c", str(config))
    assert result.exit_code == 0
    assert "│ env OKX_SUB_SECRET │" in result.stdout


def test_config_from_the_environment(config):
    result = run("-o", "json", BALCTL_CONFIG=str(config))
    assert result.stdout == EXPECTED_JSON


def test_output_format_from_the_environment(config):
    assert run("-c", str(config), BALCTL_OUTPUT="json").stdout == EXPECTED_JSON


def test_csv_from_the_environment_falls_back_to_the_table(config):
    """BALCTL_OUTPUT=csv is set for cron balance snapshots; it must not break this command."""
    result = run("-c", str(config), BALCTL_OUTPUT="csv")
    assert (result.exit_code, result.stdout) == (0, EXPECTED_TABLE.format(path=config))


def test_csv_on_the_command_line_is_a_usage_error(config):
    result = run("-c", str(config), "-o", "csv")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == "balctl: balctl profiles prints a table or JSON (-o table|json)\n"


def test_shared_file_with_literal_secrets_is_refused(write_config):
    path = write_config(FILE, mode=0o640)
    result = run("-c", str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"balctl: {path}: holds literal secrets but is readable by group or others\n"
        f"hint: chmod 600 {path}\n"
    )


def test_shared_file_with_only_env_secrets_is_listed(write_config):
    path = write_config("""\
        profiles:
          okx-sub:
            exchange: okx
            api_key: ${OKX_SUB_KEY}
            api_secret: ${OKX_SUB_SECRET}
            passphrase: ${OKX_SUB_PASSPHRASE}
    """, mode=0o644)
    result = run("-c", str(path), "-o", "json")
    assert result.exit_code == 0
    assert [p["name"] for p in json.loads(result.stdout)] == ["okx-sub"]


def test_unset_variable_is_a_profile_error_without_secrets(config):
    result = CliRunner().invoke(app, ["profiles", "-c", str(config), "-o", "json"], env={"OKX_SUB_KEY": "x" * 12})
    assert result.exit_code == 2
    rows = json.loads(result.stdout)  # the listing still shows, with the problem in its row
    # every unset variable of the profile in one message, not one per run
    assert [row["problem"] for row in rows] == [
        None, "environment variables OKX_SUB_SECRET (api_secret), OKX_SUB_PASSPHRASE (passphrase) "
              "are unset or empty"]
    assert "x" * 12 not in result.stdout
    assert result.stderr == (
        f"balctl: {config}: profile 'okx-sub': environment variables OKX_SUB_SECRET (api_secret), "
        "OKX_SUB_PASSPHRASE (passphrase) are unset or empty\n"
    )


def test_missing_default_file_is_one_line_and_a_hint_exit_2(isolated_config):
    path = isolated_config / ".config" / "balctl" / "config.yaml"
    result = run()
    assert result.exit_code == 2
    assert result.stdout == ""
    # a pip-installed balctl has no config.example.yaml to copy: point to init and example
    assert result.stderr == (
        f"balctl: {path}: profile file not found\n"
        "hint: create it with 'balctl init' (or 'balctl profiles add'); "
        "'balctl profiles example' prints an annotated example; or use --config\n")


@pytest.mark.parametrize("how", ["-c", "--config", "BALCTL_CONFIG"])
@pytest.mark.parametrize("name", ["nope.yaml", "my config.yaml"])
def test_missing_given_file_hints_at_the_path_given_not_at_config(tmp_path, how, name):
    """The path came from --config (or BALCTL_CONFIG): "or use --config" would be no advice."""
    path = tmp_path / name
    result = run(BALCTL_CONFIG=str(path)) if how == "BALCTL_CONFIG" else run(how, str(path))
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"balctl: {path}: profile file not found\n"
        "hint: check the path given to --config (or BALCTL_CONFIG); to create the file there: "
        f"balctl init --config {shlex.quote(str(path))}\n")


# --- the renderer, every exchange (no exchange module needed) -----------------------------

ALL_EXCHANGES = [
    Profile(name="okx", exchange="okx", api_key="okx-live-key-9f3a", api_secret="S1" * 16,
            passphrase="PASSPHRASE-1", base_url="https://www.okx.com",
            sources={"api_key": "file", "api_secret": "file", "passphrase": "env OKX_PASS"}),
    Profile(name="xt", exchange="xt", api_key="3976eb88-76d0-4f6e-a6b2-a57980770085",
            api_secret="bc6630d0231fda5cd98794f52c4998659beda290", base_url="https://sapi.xt.com",
            symbols=("BTC_USDT", "ETH_USDT"),
            sources={"api_key": "env XT_KEY", "api_secret": "env XT_SECRET"}),
    Profile(name="coinswitch", exchange="coinswitch", api_key="d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            api_secret="9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            base_url="http://127.0.0.1:8080", sources={"api_key": "file", "api_secret": "file"}),
]


def test_renderer_json_for_every_exchange():
    out = io.StringIO()
    render_profiles(ALL_EXCHANGES, "json", out)
    assert json.loads(out.getvalue()) == [
        {"name": "okx", "exchange": "okx", "base_url": "https://www.okx.com", "demo": False,
         "symbols": None, "api_key": "****9f3a",
         "sources": {"api_key": "file", "api_secret": "file", "passphrase": "env OKX_PASS"}, "problem": None},
        {"name": "xt", "exchange": "xt", "base_url": "https://sapi.xt.com", "demo": None,
         "symbols": ["BTC_USDT", "ETH_USDT"], "api_key": "****0085",
         "sources": {"api_key": "env XT_KEY", "api_secret": "env XT_SECRET"}, "problem": None},
        {"name": "coinswitch", "exchange": "coinswitch", "base_url": "http://127.0.0.1:8080",
         "demo": None, "symbols": None, "api_key": "****511a",
         "sources": {"api_key": "file", "api_secret": "file"}, "problem": None},
    ]
    assert list(json.loads(out.getvalue())[1]) == [
        "name", "exchange", "base_url", "demo", "symbols", "api_key", "sources", "problem"]


def test_renderer_table_for_every_exchange():
    out = io.StringIO()
    render_profiles(ALL_EXCHANGES, "table", out)
    assert out.getvalue() == """\
profiles
┏━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━┳━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓
┃ Profile    ┃ Exchange   ┃ Base URL              ┃ Demo ┃ Symbols            ┃ API key  ┃ Key from   ┃ Secret from   ┃ Passphrase from ┃
┡━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━╇━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩
│ okx        │ okx        │ https://www.okx.com   │ no   │ –                  │ ****9f3a │ file       │ file          │ env OKX_PASS    │
│ xt         │ xt         │ https://sapi.xt.com   │ –    │ BTC_USDT, ETH_USDT │ ****0085 │ env XT_KEY │ env XT_SECRET │ –               │
│ coinswitch │ coinswitch │ http://127.0.0.1:8080 │ –    │ –                  │ ****511a │ file       │ file          │ –               │
└────────────┴────────────┴───────────────────────┴──────┴────────────────────┴──────────┴────────────┴───────────────┴─────────────────┘
"""


def test_renderer_never_writes_a_secret_or_a_whole_key():
    for fmt in ("table", "json"):
        out = io.StringIO()
        render_profiles(ALL_EXCHANGES, fmt, out)
        for profile in ALL_EXCHANGES:
            for secret in (profile.api_key, profile.api_secret, profile.passphrase):
                if secret:
                    assert secret not in out.getvalue()


def test_profile_names_are_data_not_markup():
    profile = Profile(name="[bold]desk[/bold]", exchange="xt", api_key="k" * 12, api_secret="s" * 12,
                      base_url="https://sapi.xt.com")
    out = io.StringIO()
    render_profiles([profile], "table", out)
    assert "[bold]desk[/bold]" in out.getvalue()


def test_renderer_with_no_profiles():
    out = io.StringIO()
    render_profiles([], "json", out)
    assert out.getvalue() == "[]\n"


@pytest.mark.parametrize("key, shown", [
    ("abcdefgh", "****efgh"),
    ("okx-key-0001abcd", "****abcd"),
    ("1234567", "****"),
    ("abcd", "****"),
    ("", "****"),
    (None, "****"),
])
def test_mask_key(key, shown):
    assert mask_key(key) == shown


@pytest.mark.parametrize("url, shown", [
    ("https://www.okx.com", "https://www.okx.com"),
    ("https://proxy-user:proxy-pass@proxy.example:8443/okx", "https://****@proxy.example:8443/okx"),
    ("https://token@proxy.example", "https://****@proxy.example"),
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
])
def test_base_url_credentials_are_masked(url, shown):
    assert safe_url(url) == shown


# --- with the real XT and CoinSwitch profile rules, once those modules exist --------------

def test_every_exchange_through_the_cli(write_config):
    pytest.importorskip("balctl.exchanges.xt")
    pytest.importorskip("balctl.exchanges.coinswitch")
    path = write_config("""\
        profiles:
          xt:
            exchange: xt
            api_key: 3976eb88-76d0-4f6e-a6b2-a57980770085
            api_secret: bc6630d0231fda5cd98794f52c4998659beda290
            symbols: [btc_usdt, ETH_USDT]
          coinswitch:
            exchange: coinswitch
            api_key: d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a
            api_secret: ${CS_SEED}
    """)
    seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
    result = CliRunner().invoke(app, ["profiles", "-c", str(path), "-o", "json"], env={"CS_SEED": seed})
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == [
        {"name": "xt", "exchange": "xt", "base_url": "https://sapi.xt.com", "demo": None,
         "symbols": ["BTC_USDT", "ETH_USDT"], "api_key": "****0085",
         "sources": {"api_key": "file", "api_secret": "file"}, "problem": None},
        {"name": "coinswitch", "exchange": "coinswitch", "base_url": "https://coinswitch.co",
         "demo": None, "symbols": None, "api_key": "****511a",
         "sources": {"api_key": "file", "api_secret": "env CS_SEED"}, "problem": None},
    ]
    assert seed not in result.stdout + result.stderr
    assert "bc6630d0231fda5cd98794f52c4998659beda290" not in result.stdout + result.stderr
