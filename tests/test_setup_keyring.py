"""`${keyring:NAME}` secrets: read from the OS keyring (an in-memory one here), exit 2 when
the library or the entry is missing, naming profile, key and fix."""

from __future__ import annotations

import sys

import pytest

from balctl.errors import ProfileError
from balctl.profiles import load_profiles
from tests.helpers import invoke

FILE = """\
    profiles:
      main:
        exchange: okx
        api_key: okx-key-0001abcd
        api_secret: ${keyring:main.api_secret}
        passphrase: ${keyring:main.passphrase}
"""


def test_secrets_come_from_the_keyring_under_service_balctl(write_config, memory_keyring):
    memory_keyring.set_password("balctl", "main.api_secret", "secret-from-keyring")
    memory_keyring.set_password("balctl", "main.passphrase", "pass-from-keyring")
    path = write_config(FILE, mode=0o644)  # references are not literal secrets: 644 is fine
    profile = load_profiles(path, {})["main"]
    assert (profile.api_secret, profile.passphrase) == ("secret-from-keyring", "pass-from-keyring")
    assert dict(profile.sources) == {"api_key": "file", "api_secret": "keyring main.api_secret",
                                     "passphrase": "keyring main.passphrase"}


def test_a_missing_entry_is_exit_2_naming_profile_key_and_fix(write_config, memory_keyring):
    memory_keyring.set_password("balctl", "main.api_secret", "secret-from-keyring")
    path = write_config(FILE)
    result = invoke("okx", "-c", str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"balctl: {path}: profile 'main': key 'passphrase': no keyring entry 'main.passphrase' "
        "under service 'balctl'\n"
        "hint: store it with: keyring set balctl main.passphrase  "
        "(or 'balctl profiles add ... --keyring --force')\n")


def test_without_the_keyring_library_the_fix_is_the_extra(write_config, monkeypatch):
    monkeypatch.setitem(sys.modules, "keyring", None)  # `import keyring` now fails
    path = write_config(FILE)
    result = invoke("profiles", "-c", str(path))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-2:] == [
        f"balctl: {path}: profile 'main': key 'api_secret' is in the OS keyring "
        "(${keyring:main.api_secret}) but the keyring library is not installed",
        "hint: pip install 'balctl[keyring]' (or keep the secret in an environment variable)",
    ]


def test_a_keyring_backend_failure_is_exit_2_not_a_traceback(write_config, memory_keyring, monkeypatch):
    def locked(service, user):
        raise RuntimeError("the collection is locked")

    monkeypatch.setattr(memory_keyring, "get_password", locked)
    with pytest.raises(ProfileError) as failure:
        load_profiles(write_config(FILE), {})["main"]
    assert failure.value.message.endswith(
        "profile 'main': key 'api_secret': cannot read the OS keyring: RuntimeError: the collection is locked")


def test_a_keyring_reference_must_be_the_whole_value(write_config, memory_keyring):
    memory_keyring.set_password("balctl", "main.api_secret", "secret-from-keyring")
    path = write_config(FILE.replace("${keyring:main.passphrase}", "x${keyring:main.passphrase}"))
    with pytest.raises(ProfileError, match=r"key 'passphrase': \$\{keyring:NAME\} must be the whole value"):
        load_profiles(path, {})["main"]


def test_every_unset_variable_is_named_in_one_message(write_config):
    path = write_config("""\
        profiles:
          okx:
            exchange: okx
            api_key: ${OKX_API_KEY}
            api_secret: ${OKX_API_SECRET}
            passphrase: ${OKX_PASSPHRASE}
    """)
    result = invoke("okx", "-c", str(path), env={"OKX_API_SECRET": "set-secret-value"})
    assert result.exit_code == 2
    assert result.stderr == (
        f"balctl: {path}: profile 'okx': environment variables OKX_API_KEY (api_key), "
        "OKX_PASSPHRASE (passphrase) are unset or empty\n")
