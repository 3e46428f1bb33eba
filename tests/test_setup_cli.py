"""`balctl profiles add|remove|check|example` and `balctl init` (issue 14), end to end:
in-process with CliRunner (stdin is not a terminal there), `init` through a pseudo-terminal,
checks against the bundled simulator. The keyring is the tests' in-memory one."""

from __future__ import annotations

import json
import os
import stat
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from balctl.cli import app
from balctl.profiles import load_profiles
from balctl.setup import example_text
from balctl.simulator import Fault

SECRET = "add-test-secret-0001"
PASSPHRASE = "add-test-pass-0002"


def run(*args: str, input: str | None = None, env: dict | None = None):
    return CliRunner().invoke(app, list(args), input=input, env=env)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- profiles add ----------------------------------------------------------------------------


def test_add_with_environment_references_writes_them_and_names_the_unset_ones(tmp_path):
    path = tmp_path / "new" / "config.yaml"
    result = run("profiles", "add", "ci", "-c", str(path), "--exchange", "okx", "--api-key-env", "CI_KEY",
                 "--api-secret-env", "CI_SECRET", "--passphrase-env", "CI_PASS", "--demo",
                 env={"CI_KEY": "ci-key-00000001"})
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == (f"added profile 'ci' in {path}\n"
                             "note: set CI_SECRET, CI_PASS in the environment before using it\n"
                             "next: balctl profiles check ci\n")
    assert path.read_text().endswith(
        "profiles:\n  ci:\n    exchange: okx\n    api_key: ${CI_KEY}\n    api_secret: ${CI_SECRET}\n"
        "    passphrase: ${CI_PASS}\n    demo: true\n")
    assert (mode(path), mode(path.parent)) == (0o600, 0o700)


def test_add_reads_secrets_from_stdin_one_line_each_and_never_prints_them(tmp_path):
    path = tmp_path / "config.yaml"
    result = run("profiles", "add", "main", "-c", str(path), "--exchange", "okx", "--api-key", "okx-key-0001abcd",
                 input=f"{SECRET}\n{PASSPHRASE}\n")
    assert result.exit_code == 0, result.stderr
    assert SECRET not in result.stdout + result.stderr
    profile = load_profiles(path, {})["main"]
    assert (profile.api_key, profile.api_secret, profile.passphrase) == ("okx-key-0001abcd", SECRET, PASSPHRASE)
    assert mode(path) == 0o600  # literal secrets: only the owner may read the file


def test_add_reads_the_api_key_first_when_it_is_not_an_option(tmp_path):
    path = tmp_path / "config.yaml"
    result = run("profiles", "add", "x", "-c", str(path), "-e", "xt", "--symbols", "btc_usdt,ETH_USDT",
                 input=f"xt-key-00000001\n{SECRET}\n")
    assert result.exit_code == 0, result.stderr
    profile = load_profiles(path, {})["x"]
    assert (profile.api_key, profile.api_secret, profile.symbols) == ("xt-key-00000001", SECRET,
                                                                       ("BTC_USDT", "ETH_USDT"))


def test_add_with_too_few_stdin_lines_writes_nothing(tmp_path):
    path = tmp_path / "config.yaml"
    result = run("profiles", "add", "main", "-c", str(path), "-e", "okx", "--api-key", "k" * 12,
                 input=f"{SECRET}\n")
    assert result.exit_code == 2
    assert result.stderr == (
        "balctl: standard input ended where the API passphrase was expected "
        "(one line each, in this order: api_secret, passphrase)\n"
        "hint: or give them as environment variable references (--api-secret-env VAR, ...)\n")
    assert not path.exists()


def test_add_with_keyring_stores_secrets_under_service_balctl(tmp_path, memory_keyring):
    path = tmp_path / "config.yaml"
    result = run("profiles", "add", "main", "-c", str(path), "-e", "okx", "--api-key", "okx-key-0001abcd",
                 "--keyring", input=f"{SECRET}\n{PASSPHRASE}\n")
    assert result.exit_code == 0, result.stderr
    assert memory_keyring.entries == {("balctl", "main.api_secret"): SECRET,
                                      ("balctl", "main.passphrase"): PASSPHRASE}
    text = path.read_text()
    assert SECRET not in text and PASSPHRASE not in text
    assert text.endswith("    api_secret: ${keyring:main.api_secret}\n    passphrase: ${keyring:main.passphrase}\n")
    assert load_profiles(path, {})["main"].api_secret == SECRET


def test_add_with_keyring_refused_by_the_rules_stores_nothing(tmp_path, memory_keyring):
    path = tmp_path / "config.yaml"
    result = run("profiles", "add", "cs", "-c", str(path), "-e", "coinswitch", "--api-key", "ab" * 32,
                 "--keyring", input="not-a-seed\n")
    assert result.exit_code == 2
    assert result.stderr == (f"balctl: {path}: profile 'cs': key 'api_secret' must be the "
                             "64-hex-character Ed25519 seed\n")
    assert memory_keyring.entries == {}
    assert not path.exists()


def test_add_with_keyring_but_no_library_is_exit_2_before_any_question(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "keyring", None)
    path = tmp_path / "config.yaml"
    result = run("profiles", "add", "main", "-c", str(path), "-e", "okx", "--api-key", "k" * 12, "--keyring",
                 input=f"{SECRET}\n{PASSPHRASE}\n")
    assert result.exit_code == 2
    assert result.stderr == ("balctl: --keyring needs the keyring library, which is not installed\n"
                             "hint: pip install 'balctl[keyring]' (or keep the secret in an environment variable)\n")
    assert not path.exists()


def test_a_failed_write_puts_the_keyring_back_as_it_was(tmp_path, memory_keyring, monkeypatch):
    from balctl.setup import writer

    path = tmp_path / "config.yaml"
    memory_keyring.set_password("balctl", "main.api_secret", "the-old-secret")

    def crash(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer.os, "replace", crash)
    result = run("profiles", "add", "main", "-c", str(path), "-e", "xt", "--api-key", "xt-key-0001", "--keyring",
                 input=f"{SECRET}\n")
    assert result.exit_code == 2
    assert result.stderr == f"balctl: {path}: cannot write the profile file: No space left on device\n"
    assert memory_keyring.entries == {("balctl", "main.api_secret"): "the-old-secret"}
    assert not path.exists()
    assert SECRET not in result.stderr


def test_an_existing_name_is_exit_2_unless_force(tmp_path, memory_keyring):
    path = tmp_path / "config.yaml"
    args = ("profiles", "add", "main", "-c", str(path), "-e", "xt", "--api-key-env", "K", "--api-secret-env", "S")
    assert run(*args).exit_code == 0
    before = path.read_text()
    again = run(*args, "--symbols", "ETH_USDT")
    assert again.exit_code == 2
    assert again.stderr == (f"balctl: {path}: a profile named 'main' exists already\n"
                            "hint: choose another name, or replace it with --force\n")
    assert path.read_text() == before
    forced = run(*args, "--symbols", "ETH_USDT", "--force")
    assert forced.exit_code == 0
    assert forced.stderr.startswith(f"replaced profile 'main' in {path}\n")
    assert path.read_text() == before + "    symbols: [ETH_USDT]\n"


def test_an_existing_name_is_refused_before_standard_input_is_read(tmp_path):
    """The secrets' lines stay unread: the offset of the stdin file the subprocess shared."""
    from tests.helpers import run_balctl

    path = tmp_path / "config.yaml"
    args = ("profiles", "add", "main", "-c", str(path), "-e", "xt", "--api-key", "xt-key-0001")
    assert run(*args, input=f"{SECRET}\n").exit_code == 0
    before = path.read_text()
    lines = tmp_path / "stdin.txt"
    lines.write_text(f"{SECRET}\nsomething-else\n")
    with open(lines, "rb") as stdin:
        again = run_balctl(*args, stdin=stdin)
        offset = os.lseek(stdin.fileno(), 0, os.SEEK_CUR)
    assert again.returncode == 2
    assert again.stdout == ""
    assert again.stderr == (f"balctl: {path}: a profile named 'main' exists already\n"
                            "hint: choose another name, or replace it with --force\n")
    assert offset == 0
    assert path.read_text() == before


def test_an_existing_name_is_refused_on_a_terminal_before_any_prompt(tmp_path, monkeypatch):
    from balctl.setup import secrets

    path = tmp_path / "config.yaml"
    args = ("profiles", "add", "main", "-c", str(path), "-e", "okx", "--api-key", "okx-key-0001abcd")
    assert run(*args, input=f"{SECRET}\n{PASSPHRASE}\n").exit_code == 0
    asked: list[str] = []
    monkeypatch.setattr(secrets, "_is_terminal", lambda stream: True)
    monkeypatch.setattr(secrets, "prompt", lambda label, **options: asked.append(label) or "typed")
    again = run(*args)
    assert again.exit_code == 2
    assert again.stderr == (f"balctl: {path}: a profile named 'main' exists already\n"
                            "hint: choose another name, or replace it with --force\n")
    assert asked == []
    forced = run(*args, "--force")  # the same terminal with --force: both secrets are asked for
    assert forced.exit_code == 0, forced.stderr
    assert asked == ["API secret", "API passphrase"]


def test_add_keeps_the_users_comments_and_order(write_config):
    path = write_config("""\
        # my accounts
        profiles:
          # first
          b:
            exchange: xt          # lever
            api_key: ${K}
            api_secret: ${S}
          a:
            exchange: xt
            api_key: ${K}
            api_secret: ${S}
        # the end
    """)
    before = path.read_text()
    result = run("profiles", "add", "c", "-c", str(path), "-e", "xt", "--api-key-env", "K", "--api-secret-env", "S")
    assert result.exit_code == 0, result.stderr
    assert path.read_text() == before.replace("# the end\n", "\n  c:\n    exchange: xt\n    api_key: ${K}\n"
                                              "    api_secret: ${S}\n# the end\n")


@pytest.mark.parametrize(("args", "message"), [
    (("-e", "kraken"), "--exchange: unknown exchange 'kraken' (one of: okx, xt, coinswitch)"),
    (("-e", "xt", "--demo"), "--demo is for OKX profiles only"),
    (("-e", "okx", "--symbols", "BTC_USDT"), "--symbols is for XT profiles only"),
    (("-e", "xt", "--passphrase-env", "P"), "xt profiles have no passphrase: drop --passphrase-env"),
    (("-e", "okx", "--api-key", "k", "--api-key-env", "K"), "give the API key once: --api-key or --api-key-env"),
    (("-e", "xt", "--api-secret-env", "1X"), "--api-secret-env: '1X' is not an environment variable name"),
])
def test_impossible_combinations_are_usage_errors(tmp_path, args, message):
    path = tmp_path / "config.yaml"
    result = run("profiles", "add", "main", "-c", str(path), *args, input="x\ny\nz\n")
    assert result.exit_code == 2
    assert result.stderr == f"balctl: {message}\n"
    assert not path.exists()


def test_no_secret_option_exists():
    result = run("profiles", "add", "main", "-e", "okx", "--api-secret", "s3cr3t-value")
    assert result.exit_code == 2
    assert result.stderr.startswith("balctl: No such option: --api-secret")


@pytest.mark.parametrize("secret", ["${HOME}", "${OKX_SECRET}", "a${b}c", "$", "'", '"', "#x", ": x",
                                    "${keyring:main.api_secret}"])
def test_add_writes_a_secret_from_stdin_as_the_literal_text_it_is(tmp_path, secret, memory_keyring):
    path = tmp_path / "config.yaml"
    env = {"OKX_SECRET": "from-the-environment", "b": "BEE"}
    result = run("profiles", "add", "main", "-c", str(path), "-e", "okx", "--api-key", "${HOME}",
                 input=f"{secret}\n  {secret}p  \n", env=env)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == f"added profile 'main' in {path}\nnext: balctl profiles check main\n"
    profile = load_profiles(path, {**os.environ, **env})["main"]
    assert (profile.api_key, profile.api_secret, profile.passphrase) == ("${HOME}", secret, f"{secret}p")
    assert profile.sources == {"api_key": "file", "api_secret": "file", "passphrase": "file"}
    assert memory_keyring.entries == {}


def test_add_keeps_the_line_endings_of_a_crlf_file(write_config):
    path = write_config("x")
    path.write_bytes(b"# mine\r\nprofiles:\r\n  a:\r\n    exchange: xt\r\n    api_key: ${K}\r\n    api_secret: ${S}\r\n")
    result = run("profiles", "add", "b", "-c", str(path), "-e", "xt", "--api-key-env", "K", "--api-secret-env", "S")
    assert result.exit_code == 0, result.stderr
    assert path.read_bytes() == (b"# mine\r\nprofiles:\r\n  a:\r\n    exchange: xt\r\n    api_key: ${K}\r\n"
                                 b"    api_secret: ${S}\r\n\r\n  b:\r\n    exchange: xt\r\n    api_key: ${K}\r\n"
                                 b"    api_secret: ${S}\r\n")


@pytest.mark.parametrize("command", [("add", "main", "-e", "xt", "--api-key-env", "K", "--api-secret-env", "S"),
                                     ("remove", "main")])
def test_a_config_path_that_is_a_dangling_symlink_is_exit_2_and_creates_nothing(tmp_path, command):
    link = tmp_path / "config.yaml"
    target = tmp_path / "dotfiles" / "balctl.yaml"
    link.symlink_to(target)
    result = run("profiles", *command, "-c", str(link))
    assert result.exit_code == 2
    assert result.stderr == (f"balctl: {link}: is a symlink to {target}, which does not exist\n"
                             "hint: create the target first, or remove the link\n")
    assert sorted(os.listdir(tmp_path)) == ["config.yaml"]


# --- profiles remove ---------------------------------------------------------------------------


def test_remove_takes_the_block_and_its_keyring_entries(tmp_path, memory_keyring):
    path = tmp_path / "config.yaml"
    for name in ("one", "two"):
        added = run("profiles", "add", name, "-c", str(path), "-e", "xt", "--api-key", "xt-key-0001",
                    "--keyring", input=f"{SECRET}-{name}\n")
        assert added.exit_code == 0, added.stderr
    result = run("profiles", "remove", "one", "-c", str(path))
    assert result.exit_code == 0
    assert result.stderr == (f"removed profile 'one' from {path}\n"
                             "removed keyring entry 'one.api_secret' (service balctl)\n")
    assert list(load_profiles(path, {})) == ["two"]
    assert memory_keyring.entries == {("balctl", "two.api_secret"): f"{SECRET}-two"}
    missing = run("profiles", "remove", "one", "-c", str(path))
    assert missing.exit_code == 2
    assert missing.stderr == f"balctl: {path}: no profile named 'one' (have: two)\n"


def test_remove_follows_balctl_config(tmp_path):
    path = tmp_path / "config.yaml"
    run("profiles", "add", "a", "-c", str(path), "-e", "xt", "--api-key-env", "K", "--api-secret-env", "S")
    run("profiles", "add", "b", "-c", str(path), "-e", "xt", "--api-key-env", "K", "--api-secret-env", "S")
    result = run("profiles", "remove", "a", env={"BALCTL_CONFIG": str(path)})
    assert result.exit_code == 0, result.stderr
    assert list(load_profiles(path, {"K": "k" * 8, "S": "s" * 8})) == ["b"]


def test_remove_refuses_a_profile_whose_anchor_others_use_and_changes_nothing(write_config, memory_keyring):
    path = write_config("""\
        profiles:
          base: &shared
            exchange: xt
            api_key: ${K}
            api_secret: ${keyring:base.api_secret}
          sub-1:
            <<: *shared
          sub-2:
            <<: *shared
            symbols: [ETH_USDT]
    """)
    before = path.read_bytes()
    memory_keyring.set_password("balctl", "base.api_secret", SECRET)
    result = run("profiles", "remove", "base", "-c", str(path))
    assert result.exit_code == 2
    assert result.stderr == (
        f"balctl: {path}: cannot remove profile 'base': profiles 'sub-1', 'sub-2' use its anchor &shared\n"
        "hint: move the shared keys under a top-level 'x-' key (x-common: &shared) "
        "or write them out where they are used, then remove 'base'\n")
    assert result.stdout == ""
    assert path.read_bytes() == before
    assert memory_keyring.entries == {("balctl", "base.api_secret"): SECRET}
    assert SECRET not in result.stderr


# --- profiles check ----------------------------------------------------------------------------


def check_json(*args: str, env: dict | None = None):
    result = run("profiles", "check", *args, "-o", "json", env=env)
    return result, json.loads(result.stdout)


def test_check_ok_for_every_simulator_profile(sim_config):
    result, rows = check_json("-c", str(sim_config), "okx", "xt", "coinswitch")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    for row in rows:
        assert abs(row.pop("clock_offset_ms")) < 1000
    assert rows == [
        {"name": "okx", "exchange": "okx", "ok": True, "error": None, "exit_code": 0,
         "permissions": ["read_only"], "warnings": []},
        {"name": "xt", "exchange": "xt", "ok": True, "error": None, "exit_code": 0,
         "permissions": None, "warnings": []},
        {"name": "coinswitch", "exchange": "coinswitch", "ok": True, "error": None, "exit_code": 0,
         "permissions": None, "warnings": []},
    ]


def test_check_makes_one_signed_request_per_profile(sim_config, simulator):
    result = run("profiles", "check", "-c", str(sim_config), "okx", "xt")
    assert result.exit_code == 0, result.stderr
    signed = sorted((entry.exchange, entry.path) for entry in simulator.log if entry.endpoint != "time")
    assert signed == [("okx", "/api/v5/account/config"), ("xt", "/v4/lever/balance?symbol=BTC_USDT")]
    assert all(entry.verified for entry in simulator.log if entry.endpoint != "time")


def test_check_a_refused_key_is_exit_3_with_its_hint(sim_config, simulator):
    simulator.add_fault(Fault("refuse", endpoint="config"), exchange="okx")
    result, rows = check_json("-c", str(sim_config), "okx", "xt")
    assert result.exit_code == 3
    assert rows[0]["ok"] is False and rows[0]["exit_code"] == 3
    assert rows[0]["error"] == {
        "kind": "auth", "message": "okx (okx): Invalid OK-ACCESS-KEY. [50111]", "code": "50111",
        "hint": "the key may belong to another OKX region: set base_url to https://eea.okx.com or https://my.okx.com"}
    assert rows[1]["ok"] is True  # the other profile is still checked


def test_check_a_clock_two_minutes_off_is_a_warning_exit_0(sim_config, simulator):
    simulator.clock_skew = 120.0
    result, rows = check_json("-c", str(sim_config), "okx")
    assert result.exit_code == 0, result.stderr
    (row,) = rows
    assert row["ok"] is True
    assert 119_000 < row["clock_offset_ms"] < 121_000
    assert row["warnings"] == [
        "this machine's clock is 120.0 s behind okx's; balctl corrects for it, but other tools may not: "
        "sync it (e.g. timedatectl set-ntp true)"]


def test_check_a_key_that_can_trade_is_a_warning_exit_0(sim_config, simulator):
    simulator.okx_perm = "read_only,trade,withdraw"
    result, rows = check_json("-c", str(sim_config), "okx")
    assert result.exit_code == 0
    assert rows[0]["permissions"] == ["read_only", "trade", "withdraw"]
    assert rows[0]["warnings"] == [
        "the key can trade and withdraw: balctl only reads balances, so a read-only key is safer "
        "(create one and replace this profile with --force)"]


def test_check_exit_code_is_the_worst(sim_config, simulator, tmp_path):
    text = sim_config.read_text() + "  broken:\n    exchange: xt\n    api_key: ${NOPE}\n    api_secret: ${NOPE2}\n"
    sim_config.write_text(text)
    simulator.add_fault(Fault("status", status=503), exchange="xt")
    result, rows = check_json("-c", str(sim_config), "okx", "xt", "broken", env={})
    assert [row["exit_code"] for row in rows] == [0, 4, 2]
    assert result.exit_code == 4
    assert rows[2]["error"]["kind"] == "profile"


def test_check_table_shows_ok_error_clock_and_notes(sim_config, simulator):
    simulator.okx_perm = "read_only,trade"
    result = run("profiles", "check", "-c", str(sim_config), "okx", "okx-demo")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "profiles check"
    assert "│ okx      │ okx      │ OK     │" in result.stdout
    assert "the key can trade: balctl only reads balances" in result.stdout


def test_check_shows_an_exchange_message_with_control_characters_escaped(sim_config, simulator):
    simulator.add_fault(Fault("error_code", code="50113", message="bad\x1b[2J sign\u202e", endpoint="config"),
                        exchange="okx")
    table = run("profiles", "check", "-c", str(sim_config), "okx")
    assert table.exit_code == 3
    assert "\x1b" not in table.stdout and "\u202e" not in table.stdout
    assert "\nokx: error: bad\\x1b[2J sign\\u202e [50113]\n" in table.stdout  # the name once, not `okx (okx):` again
    result, rows = check_json("-c", str(sim_config), "okx")
    # escaped once, where the exchange's text is taken in (errors.exchange_text)
    assert rows[0]["error"]["message"] == "okx (okx): bad\\x1b[2J sign\\u202e [50113]"
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout


def test_check_an_unknown_name_is_exit_2(sim_config):
    result = run("profiles", "check", "-c", str(sim_config), "nope")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"balctl: {sim_config}: no profile named 'nope'")


def test_check_takes_the_groups_config_option_and_balctl_config(sim_config):
    grouped = run("profiles", "-c", str(sim_config), "-o", "json", "check", "xt")
    assert grouped.exit_code == 0
    assert [row["name"] for row in json.loads(grouped.stdout)] == ["xt"]
    result = run("profiles", "check", "xt", env={"BALCTL_CONFIG": str(sim_config)})
    assert result.exit_code == 0
    assert "│ xt      │ xt       │ OK     │" in result.stdout


def test_check_refuses_csv(sim_config):
    result = run("profiles", "check", "-c", str(sim_config), "-o", "csv")
    assert result.exit_code == 2
    assert result.stderr == "balctl: balctl profiles check prints a table or JSON (-o table|json)\n"


# --- profiles example, the bare group ----------------------------------------------------------


def test_example_prints_the_shipped_file():
    result = run("profiles", "example")
    assert result.exit_code == 0
    assert result.stdout == example_text()
    assert result.stdout.startswith("# balctl profile file.")


def test_bare_profiles_still_lists_with_the_group_options(sim_config):
    result = run("profiles", "-c", str(sim_config), "-o", "json")
    assert result.exit_code == 0
    assert [row["name"] for row in json.loads(result.stdout)] == ["okx", "okx-demo", "xt", "coinswitch", "okx-margin",
                                                                   "okx-spot"]


# --- init ----------------------------------------------------------------------------------------


def test_init_without_a_terminal_points_to_profiles_add(tmp_path):
    result = run("init", "-c", str(tmp_path / "config.yaml"), input="okx\n")
    assert result.exit_code == 2
    assert result.stderr == (
        "balctl: init asks questions and needs a terminal\n"
        "hint: in a script use: balctl profiles add NAME --exchange okx --api-key-env VAR "
        "--api-secret-env VAR --passphrase-env VAR (see balctl profiles add --help)\n")
    assert not (tmp_path / "config.yaml").exists()
