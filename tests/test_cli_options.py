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
