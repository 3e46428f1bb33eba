"""Shell completion through Typer's own protocol, and the committed completion scripts.

The shell runs `balctl` with `_BALCTL_COMPLETE=complete_<shell>` and the words typed so far;
balctl answers with candidates on stdout. These tests drive exactly that protocol.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from balctl.cli import app
from balctl.completion import complete_profiles, complete_symbols, equals_prefix, without_split_equals

ROOT = Path(__file__).resolve().parent.parent

# No secrets needed to complete names: one profile's secret is an unset ${VAR}, the
# others are half-written; the file is group-readable. `balctl okx` would refuse it all.
PROFILES = """\
    profiles:
      okx:
        exchange: okx
        api_key: k
        api_secret: ${BALCTL_TEST_UNSET_SECRET}
        passphrase: literal-passphrase
      okx-sub:
        exchange: okx
      xt:
        exchange: xt
        symbols: [BTC_USDT, eth_usdt, SOL_USDT]
      cs:
        exchange: coinswitch
      xt-alt:
        exchange: xt
        symbols: DOGE_USDT, TRX_USDT
"""


@pytest.fixture
def config(write_config):
    return write_config(PROFILES, mode=0o644)


def bash(line: str, **env: str):
    """Complete the last word of `line` as bash would ask (trailing space: a new empty word)."""
    words = line.split()
    cword = len(words) if line.endswith(" ") else len(words) - 1
    env = {"_BALCTL_COMPLETE": "complete_bash", "COMP_WORDS": line, "COMP_CWORD": str(cword), **env}
    return CliRunner().invoke(app, [], env=env, prog_name="balctl")


def assert_completes(result, expected: list[str]) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout == "\n".join(expected) + "\n"


# --- --profile ----------------------------------------------------------------------------

def test_okx_completes_only_okx_profiles(config):
    assert_completes(bash("balctl okx --profile ", BALCTL_CONFIG=str(config)), ["okx", "okx-sub"])


def test_xt_completes_only_xt_profiles(config):
    assert_completes(bash("balctl xt -p ", BALCTL_CONFIG=str(config)), ["xt", "xt-alt"])


def test_coinswitch_completes_only_coinswitch_profiles(config):
    assert_completes(bash("balctl coinswitch -p ", BALCTL_CONFIG=str(config)), ["cs"])


def test_all_completes_every_profile_in_file_order(config):
    assert_completes(bash("balctl all -p ", BALCTL_CONFIG=str(config)),
                     ["okx", "okx-sub", "xt", "cs", "xt-alt"])


def test_all_does_not_offer_profiles_already_given(config):
    assert_completes(bash("balctl all -p okx -p xt --profile ", BALCTL_CONFIG=str(config)),
                     ["okx-sub", "cs", "xt-alt"])


def test_all_still_offers_a_profile_named_only_in_the_environment(config):
    env = {"BALCTL_CONFIG": str(config), "BALCTL_PROFILE": "okx"}
    assert_completes(bash("balctl all -p ", **env), ["okx", "okx-sub", "xt", "cs", "xt-alt"])


def test_prefix_narrows_the_candidates(config):
    assert_completes(bash("balctl okx -p okx-", BALCTL_CONFIG=str(config)), ["okx-sub"])


def test_config_option_on_the_line_beats_the_environment(config, tmp_path):
    env = {"BALCTL_CONFIG": str(tmp_path / "missing.yaml")}
    assert_completes(bash(f"balctl okx -c {config} -p ", **env), ["okx", "okx-sub"])
    assert_completes(bash(f"balctl okx --config={config} -p ", **env), ["okx", "okx-sub"])


def test_default_config_path_is_used_without_option_or_env(isolated_config):
    path = isolated_config / ".config" / "balctl" / "config.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(textwrap.dedent(PROFILES))
    assert_completes(bash("balctl coinswitch -p "), ["cs"])


def test_missing_file_completes_nothing_quietly(tmp_path):
    assert_completes(bash("balctl okx -p ", BALCTL_CONFIG=str(tmp_path / "nope.yaml")), [""])


@pytest.mark.parametrize("text", [
    "profiles: [unclosed\n  okx: {",
    "profiles:\n  okx: !!python/object/apply:os.system ['true']\n",
    "- a\n- list\n",
    "",
    "profiles: 5\n",
    "\x00\x01 binary",
])
def test_broken_file_completes_nothing_quietly(write_config, text):
    path = write_config(text)
    assert_completes(bash("balctl okx -p ", BALCTL_CONFIG=str(path)), [""])
    assert_completes(bash("balctl xt --symbol ", BALCTL_CONFIG=str(path)), [""])


def test_unreadable_file_completes_nothing_quietly(write_config):
    path = write_config(PROFILES, mode=0o000)
    if os.access(path, os.R_OK):
        pytest.skip("running as root: mode 000 is still readable")
    assert_completes(bash("balctl okx -p ", BALCTL_CONFIG=str(path)), [""])


def test_a_directory_as_config_completes_nothing_quietly(tmp_path):
    assert_completes(bash("balctl okx -p ", BALCTL_CONFIG=str(tmp_path)), [""])


def test_malformed_profile_entries_do_not_hide_the_good_ones(write_config):
    path = write_config("""\
        profiles:
          okx:
            exchange: okx
          junk: just a string
          7:
            exchange: okx
    """)
    assert_completes(bash("balctl okx -p ", BALCTL_CONFIG=str(path)), ["okx", "7"])
    assert_completes(bash("balctl all -p ", BALCTL_CONFIG=str(path)), ["okx", "junk", "7"])


# --- --symbol -----------------------------------------------------------------------------

def test_symbol_completes_the_xt_profile_symbols_upper_cased(config):
    assert_completes(bash("balctl xt --symbol ", BALCTL_CONFIG=str(config)),
                     ["BTC_USDT", "ETH_USDT", "SOL_USDT"])


def test_symbol_uses_the_profile_given_on_the_line(config):
    assert_completes(bash("balctl xt -p xt-alt --symbol ", BALCTL_CONFIG=str(config)),
                     ["DOGE_USDT", "TRX_USDT"])


def test_symbol_uses_the_profile_from_the_environment(config):
    env = {"BALCTL_CONFIG": str(config), "BALCTL_PROFILE": "xt-alt"}
    assert_completes(bash("balctl xt --symbol ", **env), ["DOGE_USDT", "TRX_USDT"])


def test_symbol_of_a_non_xt_profile_completes_nothing(config):
    assert_completes(bash("balctl xt -p okx --symbol ", BALCTL_CONFIG=str(config)), [""])


def test_symbol_uses_the_only_xt_profile_whatever_its_name(write_config):
    path = write_config("""\
        profiles:
          margin:
            exchange: xt
            symbols: [ADA_USDT]
    """)
    assert_completes(bash("balctl xt --symbol ", BALCTL_CONFIG=str(path)), ["ADA_USDT"])


def test_symbol_with_several_xt_profiles_and_none_named_xt_completes_nothing(write_config):
    path = write_config("""\
        profiles:
          a: {exchange: xt, symbols: [ADA_USDT]}
          b: {exchange: xt, symbols: [BTC_USDT]}
    """)
    assert_completes(bash("balctl xt --symbol ", BALCTL_CONFIG=str(path)), [""])


def test_symbol_completes_nothing_where_balctl_xt_would_not_use_the_xt_profile(write_config):
    """A mistyped `exchange: XT` may be the profile meant: `balctl xt` refuses to guess,
    so completion (the same chooser) offers nothing rather than the other profile's symbols."""
    path = write_config("""\
        profiles:
          margin: {exchange: xt, symbols: [ADA_USDT]}
          typo: {exchange: XT, symbols: [BTC_USDT]}
    """)
    assert_completes(bash("balctl xt --symbol ", BALCTL_CONFIG=str(path)), [""])


def test_symbol_completes_the_item_after_a_comma(config):
    assert_completes(bash("balctl xt --symbol BTC_USDT,", BALCTL_CONFIG=str(config)),
                     ["BTC_USDT,ETH_USDT", "BTC_USDT,SOL_USDT"])
    assert_completes(bash("balctl xt --symbol BTC_USDT,S", BALCTL_CONFIG=str(config)),
                     ["BTC_USDT,SOL_USDT"])


# --- other shells' answer formats ---------------------------------------------------------

def test_zsh_answer(config):
    env = {"_BALCTL_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "balctl okx --profile ",
           "BALCTL_CONFIG": str(config)}
    result = CliRunner().invoke(app, [], env=env, prog_name="balctl")
    assert result.exit_code == 0
    assert result.stdout == "_arguments '*: :((\"okx\"\n\"okx-sub\"))'\n"


def test_zsh_answer_without_candidates_falls_back_to_files(tmp_path):
    env = {"_BALCTL_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "balctl okx --profile ",
           "BALCTL_CONFIG": str(tmp_path / "nope.yaml")}
    result = CliRunner().invoke(app, [], env=env, prog_name="balctl")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "_files\n", "")


def test_fish_answer(config):
    env = {"_BALCTL_COMPLETE": "complete_fish", "_TYPER_COMPLETE_FISH_ACTION": "get-args",
           "_TYPER_COMPLETE_ARGS": "balctl all -p x", "BALCTL_CONFIG": str(config)}
    result = CliRunner().invoke(app, [], env=env, prog_name="balctl")
    assert result.exit_code == 0
    assert result.stdout == "xt\nxt-alt\n"


# --- the functions themselves never raise -------------------------------------------------

@pytest.mark.parametrize("ctx", [
    None,
    object(),
    SimpleNamespace(params={"config": 12}, info_name="okx"),
    SimpleNamespace(params={"config": "/dev/null/x", "profile": ["a"]}, command=None),
])
def test_completion_functions_swallow_anything(ctx):
    assert complete_profiles(ctx, "") == []
    assert complete_symbols(ctx, "") == []


# --- a real shell, a real process ---------------------------------------------------------

def test_bash_script_completes_profiles_end_to_end(config):
    bash_exe = shutil.which("bash")
    bindir = Path(sys.executable).parent
    if bash_exe is None or not (bindir / "balctl").exists():
        pytest.skip("needs bash and the installed balctl console script")
    script = ROOT / "completions" / "balctl.bash"
    probe = (f"source {script}; COMP_WORDS=(balctl okx --profile ''); COMP_CWORD=3; "
             "_balctl_completion balctl; printf '<%s>\\n' \"${COMPREPLY[@]}\"")
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}",
           "BALCTL_CONFIG": str(config)}
    done = subprocess.run([bash_exe, "--norc", "--noprofile", "-c", probe], env=env,
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, "<okx>\n<okx-sub>\n", "")


def test_bash_script_completes_the_equals_form_end_to_end(config):
    bash_exe = shutil.which("bash")
    bindir = Path(sys.executable).parent
    if bash_exe is None or not (bindir / "balctl").exists():
        pytest.skip("needs bash and the installed balctl console script")
    script = ROOT / "completions" / "balctl.bash"
    probe = (f"source {script}; COMP_WORDS=(balctl okx --profile = okx-); COMP_CWORD=4; "
             "_balctl_completion balctl; printf '<%s>\\n' \"${COMPREPLY[@]}\"")
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}",
           "BALCTL_CONFIG": str(config)}
    done = subprocess.run([bash_exe, "--norc", "--noprofile", "-c", probe], env=env,
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, "<okx-sub>\n", "")


def test_missing_file_in_a_real_process_prints_no_traceback(tmp_path):
    env = {**os.environ, "_BALCTL_COMPLETE": "complete_bash", "COMP_WORDS": "balctl xt --symbol ",
           "COMP_CWORD": "3", "BALCTL_CONFIG": str(tmp_path / "nope.yaml")}
    done = subprocess.run([sys.executable, "-m", "balctl"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, "\n", "")


# --- the committed scripts ----------------------------------------------------------------

def _generator():
    """scripts/gen_completions.py, loaded as a module (scripts/ is not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen_completions", ROOT / "scripts" / "gen_completions.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def completion_scripts() -> dict[str, str]:
    return _generator().completion_scripts()


def test_committed_completion_scripts_are_current():
    stale = [name for name, text in completion_scripts().items()
             if not (ROOT / "completions" / name).exists()
             or (ROOT / "completions" / name).read_text(encoding="utf-8") != text]
    assert not stale, (
        f"completions/{', completions/'.join(stale)} out of date with the app; "
        "regenerate with: python scripts/gen_completions.py"
    )


def test_committed_scripts_call_back_into_balctl():
    scripts = completion_scripts()
    assert set(scripts) == {"balctl.bash", "balctl.zsh", "balctl.fish"}
    assert "complete -o default -F _balctl_completion balctl" in scripts["balctl.bash"]
    assert scripts["balctl.zsh"].startswith("#compdef balctl\n")
    assert "_BALCTL_COMPLETE=complete_fish" in scripts["balctl.fish"]


def test_generator_check_mode_reports_stale_files(tmp_path, monkeypatch):
    """`gen_completions.py --check` exits 1 and says how to fix; a write makes it pass."""
    module = _generator()
    monkeypatch.setattr(module, "OUT", tmp_path / "completions")
    monkeypatch.setattr(module, "ROOT", tmp_path)
    assert module.main(["--check"]) == 1
    assert module.main([]) == 0
    assert module.main(["--check"]) == 0
    (tmp_path / "completions" / "balctl.zsh").write_text("old\n")
    assert module.main(["--check"]) == 1


# --- the `--opt=value` form ---------------------------------------------------------------

def test_bash_completes_a_profile_after_the_equals_sign(config):
    """bash breaks words at `=`: `--profile=<TAB>` asks with the word `=`, `--profile=o<TAB>`
    with the three words `--profile`, `=`, `o`; the answers replace the part after the `=`."""
    env = {"BALCTL_CONFIG": str(config)}
    assert_completes(bash("balctl okx --profile =", **env), ["okx", "okx-sub"])
    assert_completes(bash("balctl okx --profile = okx-", **env), ["okx-sub"])
    assert_completes(bash("balctl all -p okx --profile = x", **env), ["xt", "xt-alt"])


def test_bash_completes_an_output_format_after_the_equals_sign():
    assert_completes(bash("balctl okx --output = j"), ["json"])
    assert_completes(bash("balctl xt --output = c"), ["csv"])


def test_a_word_kept_whole_gets_the_option_back_in_every_answer(config):
    """Without `=` among bash's word breaks (and in zsh and fish) the word `--profile=o`
    is replaced whole, so each answer starts with `--profile=` again."""
    assert_completes(bash("balctl okx --profile=o", BALCTL_CONFIG=str(config)),
                     ["--profile=okx", "--profile=okx-sub"])
    assert_completes(bash("balctl okx --output=t"), ["--output=table"])


def test_zsh_completes_the_equals_form(config):
    env = {"_BALCTL_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "balctl okx --profile=okx-",
           "BALCTL_CONFIG": str(config)}
    result = CliRunner().invoke(app, [], env=env, prog_name="balctl")
    assert result.exit_code == 0
    assert result.stdout == "_arguments '*: :((\"--profile=okx-sub\"))'\n"


def test_fish_completes_the_equals_form(config):
    env = {"_BALCTL_COMPLETE": "complete_fish", "_TYPER_COMPLETE_FISH_ACTION": "get-args",
           "_TYPER_COMPLETE_ARGS": "balctl all --output=j", "BALCTL_CONFIG": str(config)}
    result = CliRunner().invoke(app, [], env=env, prog_name="balctl")
    assert result.exit_code == 0
    assert result.stdout == "--output=json\n"


def test_equals_form_helpers():
    assert without_split_equals(["okx", "--profile", "="]) == ["okx", "--profile"]
    assert without_split_equals(["okx", "-p", "="]) == ["okx", "-p", "="]  # a short option takes no `=`
    assert without_split_equals(["okx", "--profile", "x"]) == ["okx", "--profile", "x"]
    assert equals_prefix("--profile=ma") == "--profile="
    assert equals_prefix("--output=") == "--output="
    assert [equals_prefix(word) for word in ("ma", "=", "-p=x", "--=x", "BTC=1")] == [""] * 5


@pytest.mark.parametrize("words, cword", [("balctl profiles -o ", "3"), ("balctl profiles check -o ", "4")])
def test_profiles_output_completes_only_what_the_listing_prints(words, cword):
    """`profiles -o` prints a table or JSON: csv and prometheus are not offered (issue 15)."""
    env = {**os.environ, "_BALCTL_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": cword}
    done = subprocess.run([sys.executable, "-m", "balctl"], env=env, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, "table\njson\n", "")


def test_profiles_help_names_only_table_and_json():
    done = subprocess.run([sys.executable, "-m", "balctl", "profiles", "--help"], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "COLUMNS": "80"})
    assert done.returncode == 0
    assert "  -o, --output <table|json>" in done.stdout
    assert "table|json|csv" not in done.stdout and "<table|json|csv|prometheus>" not in done.stdout


@pytest.mark.parametrize("cword", ["1" * 5000, "\u0663", "x", ""])
def test_a_word_index_bash_could_not_have_sent_completes_nothing(cword):
    """COMP_CWORD comes from the shell: one Typer cannot read (5,000 digits is beyond int())
    gets no completions, not a traceback."""
    env = {**os.environ, "_BALCTL_COMPLETE": "complete_bash", "COMP_WORDS": "balctl okx --profile ",
           "COMP_CWORD": cword}
    done = subprocess.run([sys.executable, "-m", "balctl"], env=env, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
