"""Command-line options people noticed (issue 15): -V, help without placeholders for flags,
`profiles -o` help, timestamps on -v lines, BALCTL_PROFILE never narrowing `all`."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from balctl import __version__
from tests.helpers import invoke, run_balctl

COMMANDS = ["okx", "xt", "coinswitch", "all", "demo", "serve", "history", "profiles"]
FLAGS = ["--hide-zero", "--raw", "--verbose", "--help"]
ISO_UTC = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) balctl: ")


@pytest.mark.parametrize("args", [["-V"], ["--version"]])
def test_short_and_long_version(args):
    result = invoke(*args)
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"balctl {__version__}\n", "")


@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_version_fast_path_in_a_real_process(flag):
    done = run_balctl(flag)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"balctl {__version__}\n", "")


@pytest.mark.parametrize("command", COMMANDS)
def test_help_shows_no_placeholder_after_a_flag(command):
    result = invoke(command, "--help", env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert "<bool>" not in text.lower() and "boolean" not in text.lower()
    for line in text.splitlines():
        for flag in FLAGS:
            # "  --raw   JSON only: ...": the flag, two spaces or more, its help; a metavar
            # would follow the flag after a single space ("--raw <bool>")
            match = re.match(rf"^\s+(?:-\w, )?{flag}(.*)$", line)
            if match:
                assert not re.match(r"^ \S", match[1]), line


def test_root_help_lists_the_short_version_flag():
    result = invoke("--help", env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert re.search(r"^\s+-V, --version\s{2,}Show the version and exit\.", result.stdout, re.MULTILINE)


def test_profiles_output_help_offers_what_it_accepts():
    result = invoke("profiles", "--help", env={"COLUMNS": "200"})
    assert result.exit_code == 0
    line = next(line for line in result.stdout.splitlines() if "--output" in line)
    assert "<table|json>" in line and "csv" not in line.split("--output", 1)[1].split()[0]
    refused = invoke("profiles", "-o", "csv")
    assert refused.exit_code == 2
    assert refused.stderr.startswith("balctl: balctl profiles prints a table or JSON (-o table|json)")


def test_verbose_lines_start_with_an_iso_8601_utc_time(simulator, sim_config):
    before = datetime.now(timezone.utc) - timedelta(seconds=1)
    result = invoke("coinswitch", "-v", "-o", "csv", "-c", str(sim_config))
    after = datetime.now(timezone.utc) + timedelta(seconds=1)
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines and any(" GET http://127.0.0.1:" in line for line in lines)
    for line in lines:
        match = ISO_UTC.match(line)
        assert match, line
        stamp = datetime.strptime(match[1], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
        assert before <= stamp <= after


def test_balctl_profile_does_not_narrow_all(simulator, sim_config):
    result = invoke("all", "-o", "csv", "-c", str(sim_config), "-p", "coinswitch", env={"BALCTL_PROFILE": "okx"})
    assert result.exit_code == 0, result.stderr
    assert {row.split(",")[1] for row in result.stdout.splitlines()[1:]} == {"coinswitch"}  # -p narrows
    everything = invoke("all", "-o", "json", "-c", str(sim_config), env={"BALCTL_PROFILE": "okx"})
    assert everything.exit_code == 0, everything.stderr
    import json

    profiles = [account["profile"] for account in json.loads(everything.stdout)["accounts"]]
    assert profiles == list(simulator.credentials)  # BALCTL_PROFILE does not


def test_balctl_profile_still_chooses_the_profile_of_an_exchange_command(simulator, sim_config):
    result = invoke("okx", "-o", "csv", "-c", str(sim_config), env={"BALCTL_PROFILE": "okx-spot"})
    assert result.exit_code == 0, result.stderr
    assert {row.split(",")[1] for row in result.stdout.splitlines()[1:]} == {"okx-spot"}


# -- numbers: ASCII digits, finite, in range; anything else one line and exit 2 ---------------
# Python's float(), int(), Decimal() and str.isdigit() read `٣` (Arabic-Indic) as 3, `５`
# (full-width) as 5, and take `1_0`, `inf`, `nan`, `Infinity`: none of them is what an option
# that says SECONDS, N or USD claims to take.

ARABIC_3, FULL_WIDTH_5 = "\u0663", "\uff15"


def refused(result, message: str) -> None:
    """Exit 2, nothing on stdout, exactly `balctl: <message>` on stderr."""
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"balctl: {message}\n")


@pytest.mark.parametrize("value, message", [
    (ARABIC_3, "--timeout '\\u0663': not a number of seconds"),
    (FULL_WIDTH_5, "--timeout '\\uff15': not a number of seconds"),
    ("inf", "--timeout 'inf': not a number of seconds"),
    ("nan", "--timeout 'nan': not a number of seconds"),
    ("-inf", "--timeout '-inf': not a number of seconds"),
    ("1_0", "--timeout '1_0': not a number of seconds"),
    ("ten", "--timeout 'ten': not a number of seconds"),
    ("1e10", "--timeout 1e10: the timeout must be at most 600 seconds"),
    ("601", "--timeout 601: the timeout must be at most 600 seconds"),
    ("0", "--timeout 0: the timeout must be at least 0.1 seconds"),
    ("-5", "--timeout -5: the timeout must be at least 0.1 seconds"),
    ("9" * 60, f"--timeout {'9' * 40}...: the timeout must be at most 600 seconds"),
])
def test_timeout_takes_ascii_seconds_from_a_tenth_to_600(value, message, simulator, sim_config):
    for command in (["okx"], ["all"], ["profiles", "check"], ["serve"], ["init"]):
        refused(invoke(*command, "--timeout", value, "-c", str(sim_config)), message)
    assert simulator.log == []


@pytest.mark.parametrize("value, message", [
    (ARABIC_3, "BALCTL_TIMEOUT (--timeout) '\\u0663': not a number of seconds"),
    ("nan", "BALCTL_TIMEOUT (--timeout) 'nan': not a number of seconds"),
    ("601", "BALCTL_TIMEOUT (--timeout) 601: the timeout must be at most 600 seconds"),
])
def test_a_bad_balctl_timeout_names_the_variable(value, message, simulator, sim_config):
    refused(invoke("all", "-c", str(sim_config), env={"BALCTL_TIMEOUT": value}), message)
    assert simulator.log == []


@pytest.mark.parametrize("args, env", [
    (["--timeout", "600"], None), (["--timeout", " 30 "], None), (["--timeout", "1e2"], None),
    (["--timeout", "0.1"], {"BALCTL_TIMEOUT": "nan"}),  # the option beats a bad variable
    ([], {"BALCTL_TIMEOUT": "30"}),
])
def test_a_timeout_in_range_is_taken(args, env, simulator, sim_config):
    result = invoke("coinswitch", *args, "-o", "csv", "-c", str(sim_config), env=env)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.startswith("fetched_at,profile,exchange,")


@pytest.mark.parametrize("value", [ARABIC_3, FULL_WIDTH_5, f" {ARABIC_3} ", "1_0", "+3", "3.0", "31", "-1", "",
                                   "1" * 5000])
def test_digits_takes_ascii_places_from_0_to_30(value, simulator, sim_config):
    refused(invoke("okx", "--digits", value, "-c", str(sim_config)),
            f"--digits takes a number of decimal places (0 to 30) or 'all', got {ascii(value[:40])}")
    assert simulator.log == []


@pytest.mark.parametrize("value, first_row", [
    ("0", "BTC"), (" 2 ", "BTC"), ("30", "BTC"), ("all", "BTC"), ("ALL", "BTC")])
def test_digits_in_range_is_taken(value, first_row, simulator, sim_config):
    result = invoke("okx", "--digits", value, "--columns", "asset,total", "-c", str(sim_config))
    assert (result.exit_code, result.stderr) == (0, "")
    assert first_row in result.stdout


@pytest.mark.parametrize("value", [
    ARABIC_3, FULL_WIDTH_5, "1_000", "NaN", "nan", "Infinity", "-Infinity", "inf", "-1", "-0.01",
    "1e999999", "1e-999999", "1e101", "0x10", "1,5", "", " "])
def test_min_value_takes_a_plain_non_negative_ascii_amount(value, simulator, sim_config):
    refused(invoke("okx", "--min-value", value, "-c", str(sim_config)),
            f"--min-value takes an amount in USD such as 10 or 0.5, got {ascii(value)}")
    assert simulator.log == []


@pytest.mark.parametrize("value, assets", [
    ("0", ["USDT", "BTC", "ETH", "SOL"]), ("1831.5375", ["USDT", "BTC", "ETH", "SOL"]), ("5000", ["BTC", "ETH"]), (" 5000 ", ["BTC", "ETH"]),
    ("5e3", ["BTC", "ETH"]), ("5000.00", ["BTC", "ETH"]), ("+5000", ["BTC", "ETH"]), ("6180.64", ["BTC", "ETH"]),
    ("6180.65", ["BTC"])])
def test_min_value_in_range_is_taken(value, assets, simulator, sim_config):
    """The sample OKX rows are worth 4991.54 (USDT), 31977.36 (BTC), 6180.64 (ETH) and 1831.5375 (SOL) USD."""
    result = invoke("okx", "--min-value", value, "-o", "csv", "-c", str(sim_config))
    assert (result.exit_code, result.stderr) == (0, "")
    assert [row.split(",")[5] for row in result.stdout.splitlines()[1:]] == assets


@pytest.mark.parametrize("value, message", [
    (ARABIC_3, "--min-interval '\\u0663': not a number of seconds"),
    ("inf", "--min-interval 'inf': not a number of seconds"),
    ("nan", "--min-interval 'nan': not a number of seconds"),
    ("86401", "--min-interval 86401: the interval must be at most 86400 seconds"),
    ("1e10", "--min-interval 1e10: the interval must be at most 86400 seconds"),
    ("-1", "--min-interval -1: the interval must be at least 0 seconds"),
])
def test_serve_min_interval_takes_ascii_seconds_up_to_a_day(value, message, sim_config):
    refused(invoke("serve", "--min-interval", value, "-c", str(sim_config)), message)


@pytest.mark.parametrize("value", ["0", "86400", " 60 ", "1.5"])
def test_serve_min_interval_in_range_is_taken(value, sim_config):
    """Taken: the run gets as far as reading --listen, which comes after the interval."""
    pytest.importorskip("prometheus_client")
    result = invoke("serve", "--min-interval", value, "--listen", "127.0.0.1:http", "-c", str(sim_config))
    refused(result, "--listen '127.0.0.1:http': expected HOST:PORT such as 127.0.0.1:9877")


def test_help_states_the_ranges():
    """What the errors above enforce, --help says."""
    okx = " ".join(invoke("okx", "--help", env={"COLUMNS": "200"}).stdout.split())
    assert "Bound on each request as a whole, in seconds (0.1 to 600)." in okx
    assert "decimal places of asset amounts (0 to 30; default 8" in okx
    assert "Leave out rows worth less than USD (a plain amount such as 10 or 0.5)" in okx
    serve = " ".join(invoke("serve", "--help", env={"COLUMNS": "200"}).stdout.split())
    assert "Fetch at most this often (0 to 86400, a day)" in serve


def test_shell_completion_reads_only_ascii_word_numbers():
    """bash's COMP_CWORD: `٣` is not word 3 (then the command is not known: every command)."""
    from balctl.cli import command_asked_for

    environ = {"_BALCTL_COMPLETE": "complete_bash", "COMP_WORDS": "balctl okx --profile "}
    assert command_asked_for([], {**environ, "COMP_CWORD": "3"}) == "okx"
    assert command_asked_for([], {**environ, "COMP_CWORD": ARABIC_3}) is None
