"""A run builds Click's command tree for the one command it runs or completes (issue 16)."""

from __future__ import annotations

import pytest
from typer.main import get_command

from balctl.cli import app, command_asked_for, only_command
from tests.helpers import run_balctl


@pytest.mark.parametrize("args, environ, expected", [
    (["okx", "-o", "json"], {}, "okx"),
    (["profiles", "list"], {}, "profiles"),
    (["--help"], {}, None),
    ([], {}, None),
    ([], {"_BALCTL_COMPLETE": "complete_bash", "COMP_WORDS": "balctl okx --profile ", "COMP_CWORD": "3"}, "okx"),
    ([], {"_BALCTL_COMPLETE": "complete_bash", "COMP_WORDS": "balctl all -p", "COMP_CWORD": "2"}, "all"),
    ([], {"_BALCTL_COMPLETE": "complete_bash", "COMP_WORDS": "balctl ok", "COMP_CWORD": "1"}, None),
    ([], {"_BALCTL_COMPLETE": "complete_bash", "COMP_WORDS": "balctl ", "COMP_CWORD": "1"}, None),
    ([], {"_BALCTL_COMPLETE": "complete_bash", "COMP_WORDS": "balctl okx", "COMP_CWORD": "x"}, None),
    ([], {"_BALCTL_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "balctl xt --symbol "}, "xt"),
    ([], {"_BALCTL_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "balctl xt"}, None),
    ([], {"_BALCTL_COMPLETE": "complete_fish", "_TYPER_COMPLETE_ARGS": "balctl xt "}, "xt"),
])
def test_the_command_asked_for(args, environ, expected):
    assert command_asked_for(args, environ) == expected


def test_only_that_command_is_built():
    assert sorted(get_command(only_command(app, "okx")).commands) == ["okx"]
    assert sorted(get_command(only_command(app, "profiles")).commands) == ["profiles"]
    everything = sorted(get_command(app).commands)
    assert {"okx", "xt", "coinswitch", "all", "profiles", "demo"} <= set(everything)
    assert sorted(get_command(only_command(app, "nope")).commands) == everything
    assert sorted(get_command(only_command(app, None)).commands) == everything
    assert sorted(get_command(app).commands) == everything  # the app itself is left whole


def test_an_unknown_command_is_still_refused_with_the_usage_line():
    done = run_balctl("okz")
    assert done.returncode == 2
    assert done.stderr.startswith("balctl: No such command 'okz'")


def test_a_command_name_then_its_help(tmp_path):
    done = run_balctl("xt", "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Usage: balctl xt [OPTIONS]")
    assert "--symbol" in done.stdout


@pytest.mark.parametrize("args", [["--help"], ["-h"], []])
def test_the_command_list_is_the_same_without_building_options(args):
    from typer.testing import CliRunner

    from balctl.cli import listing_only

    full, listed = CliRunner().invoke(app, args), CliRunner().invoke(listing_only(app), args)
    assert (listed.exit_code, listed.stdout, listed.stderr) == (full.exit_code, full.stdout, full.stderr)
    shown = listed.stdout + listed.stderr  # `balctl` alone shows the help on stderr, exit 2
    assert "Commands:" in shown and "  okx " in shown


def test_completing_a_command_name_lists_every_command():
    done = run_balctl(env={"_BALCTL_COMPLETE": "complete_bash", "COMP_WORDS": "balctl ", "COMP_CWORD": "1"})
    assert done.returncode == 0, done.stderr
    assert {"okx", "xt", "coinswitch", "all", "profiles", "demo"} <= set(done.stdout.split())
