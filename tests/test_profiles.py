"""The profile file: location, ${NAME}, validation, permissions, profile choice
(docs/contract.md, The profile file; Which profile)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import responses

from balctl.errors import ProfileError
from balctl.profiles import choose_profile, default_config_path, load_profiles
from tests.helpers import OKX_PROFILE, fixture_text, invoke

OKX_URL = "https://www.okx.com/api/v5/account/balance"

TWO_OKX = """\
    profiles:
      main:
        exchange: okx
        api_key: key-main
        api_secret: ${MAIN_SECRET}
        passphrase: ${MAIN_PASS}
      sub:
        exchange: okx
        api_key: key-sub
        api_secret: ${SUB_SECRET}
        passphrase: ${SUB_PASS}
      xt:
        exchange: xt
        api_key: xt-key
        api_secret: ${XT_SECRET}
        symbols: [btc_usdt]
"""
ENV = {"MAIN_SECRET": "s-main", "MAIN_PASS": "p-main", "SUB_SECRET": "s-sub",
       "SUB_PASS": "p-sub", "XT_SECRET": "s-xt"}


def error_of(path: Path, environ=None) -> str:
    """The one-line error of a file: its own problem, or its (only) broken profile's."""
    try:
        loaded = load_profiles(path, environ or {})
    except ProfileError as problem:
        return problem.line()
    [problem] = loaded.problems.values()
    with pytest.raises(ProfileError) as caught:  # raised when that profile is used
        loaded[problem.profile]
    assert caught.value is problem
    return problem.line()


# --- location -----------------------------------------------------------------------------

def test_default_path_uses_xdg_config_home():
    assert default_config_path({"XDG_CONFIG_HOME": "/x"}) == Path("/x/balctl/config.yaml")


def test_default_path_falls_back_to_home(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_config_path({}) == tmp_path / ".config/balctl/config.yaml"


@responses.activate
def test_config_option_beats_env_beats_default(write_config, isolated_config):
    responses.get(OKX_URL, body=fixture_text("okx_balance.json"))
    good = write_config(OKX_PROFILE)
    missing = good.parent / "missing.yaml"
    # default location: $XDG_CONFIG_HOME/balctl/config.yaml, which does not exist here
    result = invoke("okx")
    assert result.exit_code == 2
    assert str(isolated_config / ".config/balctl/config.yaml") in result.stderr
    # env var wins over the default
    assert invoke("okx", "-o", "csv", env={"BALCTL_CONFIG": str(good)}).exit_code == 0
    # the option wins over the env var
    result = invoke("okx", "-c", str(missing), env={"BALCTL_CONFIG": str(good)})
    assert result.stderr.startswith(f"balctl: {missing}: profile file not found")


@responses.activate
def test_output_env_var_and_option_precedence(write_config):
    responses.get(OKX_URL, body=fixture_text("okx_balance.json"))
    config = str(write_config(OKX_PROFILE))
    from_env = invoke("okx", "-c", config, env={"BALCTL_OUTPUT": "csv"})
    assert (from_env.exit_code, from_env.stdout.startswith("fetched_at,")) == (0, True)
    from_option = invoke("okx", "-c", config, "-o", "json", env={"BALCTL_OUTPUT": "csv"})
    assert (from_option.exit_code, from_option.stdout.startswith("{")) == (0, True)


# --- validation ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, message",
    [
        ("profiles: [", "invalid YAML at line 1"),
        ("profiles:\n  a:\n    exchange: okx\n    api_key: 2024-13-45\n",
         "invalid YAML: a value that YAML reads as a date or number is not one (quote it to keep it text)"),
        ("profiles:\n  a:\n    exchange: okx\n    api_key: 0x_\n", "a value that YAML reads as a date or number"),
        ("profiles:\n  a:\n    exchange: okx\n    api_key: " + "1" * 5000 + "\n",
         "a value that YAML reads as a date or number"),
        ("other: 1\n", "'profiles' is missing or not a mapping of profile names"),
        ("profiles: [a, b]\n", "'profiles' is missing or not a mapping of profile names"),
        ("profiles:\n  a:\n    exchange: kraken\n", "profile 'a': key 'exchange': unknown exchange 'kraken'"),
        ("profiles:\n  a:\n    exchange: okx\n    api_key: k\n    api_secret: s\n    passphrase: p\n    apikey: x\n",
         "profile 'a': unknown key 'apikey'"),
        ("profiles:\n  a:\n    exchange: okx\n    api_key: k\n    api_secret: s\n",
         "profile 'a': missing required key 'passphrase'"),
        ("profiles:\n  a:\n    exchange: xt\n    api_key: k\n    passphrase: p\n    api_secret: s\n",
         "profile 'a': unknown key 'passphrase'"),
        ("profiles:\n  a:\n    exchange: okx\n    api_key: k\n    api_secret: s\n    passphrase: p\n"
         "    base_url: http://www.okx.com\n", "plain http is only allowed to a loopback host"),
        ("profiles:\n  a:\n    exchange: okx\n    api_key: k\n    api_secret: s\n    passphrase: p\n"
         "    base_url: ftp://x\n", "is not an http(s) URL"),
        ("profiles:\n  a:\n    exchange: okx\n    api_key: k\n    api_secret: s\n    passphrase: p\n    demo: yes-please\n",
         "key 'demo' must be true or false"),
        ("profiles:\n  a:\n    exchange: okx\n    api_key: k\n    api_secret: ${UNSET_VAR}\n    passphrase: p\n",
         "key 'api_secret': environment variable UNSET_VAR is unset or empty"),
    ],
)
def test_rules_fail_with_one_line_naming_file_profile_and_key(write_config, text, message):
    path = write_config(text)
    line = error_of(path)
    assert line.startswith(f"{path}: ")
    assert message in line
    assert "\n" not in line


def test_missing_file_names_it(tmp_path):
    assert "profile file not found" in error_of(tmp_path / "nope.yaml")


def test_unreadable_file(write_config):
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    path = write_config(OKX_PROFILE, mode=0o000)
    assert "cannot read the profile file: Permission denied" in error_of(path)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "127.0.0.2"])
def test_plain_http_to_loopback_is_allowed(write_config, host):
    path = write_config(OKX_PROFILE + f"        base_url: http://{host}:8080\n")
    assert load_profiles(path, {})["okx"].base_url == f"http://{host}:8080"


def test_env_interpolation_and_sources(write_config):
    profiles = load_profiles(write_config(TWO_OKX), ENV)
    main = profiles["main"]
    assert (main.api_secret, main.passphrase) == ("s-main", "p-main")
    assert main.sources == {"api_key": "file", "api_secret": "env MAIN_SECRET", "passphrase": "env MAIN_PASS"}
    assert profiles["xt"].symbols == ("BTC_USDT",)
    assert list(profiles) == ["main", "sub", "xt"]


@pytest.mark.parametrize(("written", "read"), [
    ("$${A}", "${A}"),
    ("x$${A}y${A}", "x${A}yvalue-a"),
    ("$$${A}", "$${A}"),
    ("$$A$$", "$$A$$"),  # `$$` before anything but a reference is two dollars, as before
    ("$${keyring:main.api_secret}", "${keyring:main.api_secret}"),
    ("a$${keyring:x}b", "a${keyring:x}b"),  # escaped: not a keyring reference inside a value
])
def test_a_dollar_before_a_reference_escapes_it(write_config, written, read):
    path = write_config(f"""\
        profiles:
          xt:
            exchange: xt
            api_key: xt-key-0001
            api_secret: '{written}'
    """)
    profile = load_profiles(path, {"A": "value-a"})["xt"]
    assert profile.api_secret == read
    assert profile.sources["api_secret"] == "file"


def test_an_escaped_literal_secret_is_redacted_as_the_file_is_read(write_config):
    from balctl.errors import redact

    path = write_config("""\
        profiles:
          xt:
            exchange: xt
            api_key: xt-key-0001
            api_secret: 'zq$${Z9}-redact-me'
    """)
    load_profiles(path, {})  # the profile is not built: the file's literals are registered all the same
    assert redact("error: zq${Z9}-redact-me") == "error: ****"


def test_empty_env_var_is_an_error(write_config):
    assert "environment variable SUB_PASS is unset or empty" in error_of(write_config(TWO_OKX), {**ENV, "SUB_PASS": ""})


def test_repr_never_shows_secrets(write_config):
    profile = load_profiles(write_config(TWO_OKX), ENV)["main"]
    assert "s-main" not in repr(profile) and "p-main" not in repr(profile)


# --- permissions --------------------------------------------------------------------------

@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_literal_secret_in_a_shared_file_is_refused(write_config, mode):
    path = write_config(OKX_PROFILE, mode=mode)
    result = invoke("okx", "-c", str(path))
    assert result.exit_code == 2
    assert result.stderr == (
        f"balctl: {path}: holds literal secrets but is readable by group or others\n"
        f"hint: chmod 600 {path}\n"
    )
    assert "22582BD0CFF14C41EDBF1AB98506286D" not in result.stderr


def test_env_only_secrets_may_be_shared(write_config):
    assert load_profiles(write_config(TWO_OKX, mode=0o644), ENV)


# --- which profile ------------------------------------------------------------------------

@pytest.mark.parametrize("command, name, line, hint", [
    ("okx", "xt", "profile 'xt' is for xt, not okx",
     "okx profiles in the file: main, sub (choose one with --profile)"),
    ("xt", "main", "profile 'main' is for okx, not xt",
     "xt profiles in the file: xt (choose one with --profile)"),
    ("coinswitch", "xt", "profile 'xt' is for xt, not coinswitch",
     "the file has no coinswitch profile: add one with 'balctl profiles add NAME --exchange coinswitch'"),
])
def test_a_profile_of_another_exchange_names_the_ones_to_use(write_config, command, name, line, hint):
    path = write_config(TWO_OKX)
    result = invoke(command, "-c", str(path), "-p", name, env=ENV)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"balctl: {path}: {line}\nhint: {hint}\n")


def test_choice_by_name_same_name_or_only_one(write_config):
    path = write_config(TWO_OKX)
    profiles = load_profiles(path, ENV)
    assert choose_profile(profiles, "okx", "sub").name == "sub"
    assert choose_profile(profiles, "xt", None).name == "xt"
    with pytest.raises(ProfileError, match="several okx profiles, choose one with --profile: main, sub"):
        choose_profile(profiles, "okx", None)
    with pytest.raises(ProfileError, match="profile 'xt' is for xt, not okx"):
        choose_profile(profiles, "okx", "xt")
    with pytest.raises(ProfileError, match="no coinswitch profile in the file"):
        choose_profile(profiles, "coinswitch", None)
    with pytest.raises(ProfileError, match="no profile named 'nope'"):
        choose_profile(profiles, "okx", "nope")


# --- a broken profile stops only what uses it ---------------------------------------------

@responses.activate
def test_an_unset_variable_in_one_profile_does_not_stop_the_others(write_config):
    responses.get(OKX_URL, body=fixture_text("okx_balance.json"))
    config = str(write_config(TWO_OKX))
    env = {key: value for key, value in ENV.items() if key != "SUB_PASS"}
    result = invoke("okx", "-c", config, "-p", "main", "-o", "csv", env=env)
    assert result.exit_code == 0, result.stderr
    broken = invoke("okx", "-c", config, "-p", "sub", env=env)
    assert broken.exit_code == 2
    assert broken.stderr == (f"balctl: {config}: profile 'sub': key 'passphrase': "
                             "environment variable SUB_PASS is unset or empty\n")


@responses.activate
def test_all_reports_a_broken_profile_as_one_failure_and_fetches_the_rest(write_config):
    responses.get(OKX_URL, body=fixture_text("okx_balance.json"))
    config = str(write_config(TWO_OKX))
    env = {key: value for key, value in ENV.items() if key != "SUB_PASS"}
    result = invoke("all", "-c", config, "-o", "json", "-p", "main", "-p", "sub", env=env)
    assert result.exit_code == 6
    document = json.loads(result.stdout)
    assert [account["profile"] for account in document["accounts"]] == ["main"]
    assert document["errors"] == [{
        "profile": "sub", "exchange": "okx", "kind": "profile", "code": None,
        "message": f"{config}: profile 'sub': key 'passphrase': environment variable SUB_PASS is unset or empty",
    }]
    assert result.stderr == f"balctl: {document['errors'][0]['message']}\n"


def test_profiles_lists_a_broken_profile_with_its_problem_and_exits_2(write_config):
    config = str(write_config(TWO_OKX))
    env = {key: value for key, value in ENV.items() if key != "XT_SECRET"}
    result = invoke("profiles", "-c", config, "-o", "json", env=env)
    assert result.exit_code == 2
    rows = json.loads(result.stdout)
    assert [row["name"] for row in rows] == ["main", "sub", "xt"]
    assert rows[0]["problem"] is None
    assert rows[2] == {"name": "xt", "exchange": "xt", "base_url": None, "demo": None, "symbols": None,
                       "api_key": None, "sources": None,
                       "problem": "key 'api_secret': environment variable XT_SECRET is unset or empty"}
    assert result.stderr == (f"balctl: {config}: profile 'xt': key 'api_secret': "
                             "environment variable XT_SECRET is unset or empty\n")


def test_a_literal_secret_in_a_broken_profile_still_needs_chmod_600(write_config):
    path = write_config("profiles:\n  a:\n    exchange: okx\n    api_secret: s3cret\n", mode=0o644)
    with pytest.raises(ProfileError, match="readable by group or others"):
        load_profiles(path, {})


def test_config_path_from_the_environment_expands_the_home_directory(isolated_config):
    from balctl.profiles import resolve_config_path

    assert resolve_config_path("~/balctl.yaml") == isolated_config / "balctl.yaml"


@responses.activate
def test_profile_env_var_picks_the_profile(write_config):
    responses.get(OKX_URL, body=fixture_text("okx_balance.json"))
    config = str(write_config(TWO_OKX))
    ambiguous = invoke("okx", "-c", config, env=ENV)
    assert ambiguous.exit_code == 2 and "main, sub" in ambiguous.stderr
    result = invoke("okx", "-c", config, "-o", "csv", env={**ENV, "BALCTL_PROFILE": "sub"})
    assert result.exit_code == 0, result.stderr
    assert responses.calls[0].request.headers["OK-ACCESS-KEY"] == "key-sub"
    assert ",sub,okx," in result.stdout


# --- the installed command ----------------------------------------------------------------

def test_real_subprocess_reports_profile_errors_without_traceback(write_config):
    path = write_config("profiles:\n  a:\n    exchange: okx\n    api_key: k\n")
    env = {**os.environ, "BALCTL_CONFIG": str(path)}
    done = subprocess.run([sys.executable, "-m", "balctl", "okx"], capture_output=True, text=True,
                          env=env, timeout=60)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == f"balctl: {path}: profile 'a': missing required key 'api_secret'\n"


def test_version_in_a_subprocess():
    done = subprocess.run([sys.executable, "-m", "balctl", "--version"], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, "balctl 0.1.0\n")


def test_config_example_is_valid_and_shows_every_key(tmp_path, memory_keyring):
    """The example file (package data, `balctl profiles example`) is documentation users
    copy: it must load and mention every key."""
    from balctl import exchanges
    from balctl.profiles import COMMON_KEYS

    example = Path(__file__).parent.parent / "balctl" / "setup" / "config.example.yaml"
    names = ["OKX_API_KEY", "OKX_API_SECRET", "OKX_PASSPHRASE", "OKX_SUB_KEY",
             "XT_API_KEY", "XT_API_SECRET", "COINSWITCH_API_KEY"]
    for entry in ("okx-sub.api_secret", "okx-sub.passphrase"):  # its ${keyring:...} example
        memory_keyring.set_password("balctl", entry, f"value-of-{entry}")
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
    public = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed)).public_key()
    environ = {name: f"value-of-{name}" for name in names}
    environ["COINSWITCH_API_KEY"] = public.public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
    environ["COINSWITCH_API_SECRET"] = seed
    profiles = load_profiles(example, environ)
    assert {p.exchange for p in profiles.values()} == set(exchanges.EXCHANGES)
    text = example.read_text()
    keys = set(COMMON_KEYS) | {k for name in exchanges.EXCHANGES for k in exchanges.load(name).PROFILE_KEYS}
    assert all(f"    {key}:" in text or f"    # {key}:" in text for key in keys), keys


def test_a_proxy_password_in_base_url_never_shows(write_config, no_sleep):
    import socket

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = write_config(OKX_PROFILE + f"        base_url: http://user:pr0xyPass@127.0.0.1:{port}\n")
    result = invoke("okx", "-c", str(config), "-v")
    assert result.exit_code == 4
    assert f"cannot connect to 127.0.0.1:{port}: connection refused" in result.stderr
    assert "pr0xyPass" not in result.output


def test_a_credential_must_be_printable_ascii(write_config):
    path = write_config(OKX_PROFILE.replace("okx-pass-phrase", "pass€word"))
    line = error_of(path)
    assert line == f"{path}: profile 'okx': key 'passphrase' must be printable ASCII"


def test_a_bad_base_url_never_quotes_the_value(write_config):
    path = write_config(OKX_PROFILE + "        base_url: htps://proxyuser:Sup3rS3cretPw@proxy.example:8443\n")
    line = error_of(path)
    assert line == (f"{path}: profile 'okx': key 'base_url' is not an http(s) URL such as "
                    "https://www.okx.com")
    assert "Sup3rS3cretPw" not in line


def test_a_malformed_base_url_is_a_profile_error(write_config):
    path = write_config(OKX_PROFILE + '        base_url: "https://[::1"\n')
    assert error_of(path).endswith("key 'base_url' is not an http(s) URL such as https://www.okx.com")


def test_a_key_written_twice_is_invalid_yaml(write_config):
    path = write_config(OKX_PROFILE + "        api_secret: ${OTHER}\n", mode=0o644)
    assert error_of(path) == f"{path}: invalid YAML at line 7: key 'api_secret' appears twice"


def test_a_profile_with_a_mistyped_exchange_is_not_silently_replaced(write_config):
    path = write_config(TWO_OKX.replace("exchange: okx\n        api_key: key-main",
                                        "exchange: OKX\n        api_key: key-main"))
    profiles = load_profiles(path, ENV)
    with pytest.raises(ProfileError, match="profile 'main': key 'exchange': unknown exchange 'OKX'"):
        choose_profile(profiles, "okx", None)  # not `sub`, the only valid okx profile
    assert choose_profile(profiles, "okx", "sub").name == "sub"
