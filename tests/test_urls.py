"""Base URLs read as the HTTP library reads them; profile-file rules from issue 17.

No test here sends a byte anywhere: refused URLs are refused while the file is read, and a
loopback listener proves that nothing connected. 0.0.0.0 plays "another host".
"""

from __future__ import annotations

import socket
import threading

import pytest
from urllib3.util import parse_url

from balctl.errors import ProfileError
from balctl.profiles import load_profiles
from balctl.urls import UrlRefused, parse_base_url, without_userinfo
from tests.helpers import OKX_PROFILE, invoke

ENV_ONLY = """\
    profiles:
      okx:
        exchange: okx
        api_key: okx-key-0001
        api_secret: ${OKX_SECRET}
        passphrase: ${OKX_PASS}
"""
ENV = {"OKX_SECRET": "s3cret-value", "OKX_PASS": "pass-value"}


class Listener:
    """A loopback TCP port that counts connections: any request that gets out lands here."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def listener():
    probe = Listener()
    yield probe
    probe.close()


# --- the parser agrees with urllib3 -------------------------------------------------------

ACCEPTED = [
    "https://www.okx.com",
    "https://WWW.OKX.com/",
    "http://127.0.0.1:8080",
    "http://localhost:1/api",
    "http://[::1]:9000/base/",
    "https://user:pa%40ss@proxy.example:8443/x",
    "http://u:p@127.0.0.1:80",
    "https://eea.okx.com:443/path/with-dash_and.dot",
    "http://127.0.0.1%2f@0.0.0.0:1",  # userinfo "127.0.0.1%2f", host 0.0.0.0 to every parser
]


@pytest.mark.parametrize("url", ACCEPTED)
def test_an_accepted_url_has_the_host_and_port_urllib3_connects_to(url):
    ours = parse_base_url(url)
    theirs = parse_url(ours.text())
    assert (ours.scheme, ours.host, ours.port) == (theirs.scheme, theirs.host, theirs.port)
    assert (ours.userinfo or "").lower() == (theirs.auth or "").lower()  # urllib3 upper-cases %2f
    assert parse_url(url).host == ours.host  # and the text as written reads the same


@pytest.mark.parametrize("url, reason", [
    ("http://0.0.0.0:1\\@127.0.0.1", "backslash"),
    ("https://0.0.0.0\\@www.okx.com", "backslash"),
    ("http://0.0.0.0:1\\\\@127.0.0.1/", "backslash"),
    ("http://127.0.0.1 @0.0.0.0", "whitespace"),
    ("http://127.0.0.1\t@0.0.0.0", "whitespace"),
    ("http://127.0.0.1\x00@0.0.0.0", "control"),
    ("http://127.0.0.1\x1b@0.0.0.0", "control"),
    ("http://127.0.0.1\u200b.0.0.0", "non-ASCII"),
    ("https://www.okx.com?x=1", "query"),
    ("https://www.okx.com/api#frag", "fragment"),
    ("http://0.0.0.0#@127.0.0.1", "fragment"),
    ("http://0.0.0.0?@127.0.0.1", "query"),
    ("http://127.0.0.1%2f.0.0.0.0", "not an http"),
    ("http://[fe80::1%25eth0]:1", "not an http"),
    ("http://a@b@127.0.0.1", "not an http"),
    ("http://127.0.0.1:99999", "port outside"),
    ("ftp://127.0.0.1", "not an http"),
    ("//127.0.0.1", "not an http"),
])
def test_urls_parsers_could_disagree_on_are_refused(url, reason):
    with pytest.raises(UrlRefused, match=reason):
        parse_base_url(url)


@pytest.mark.parametrize("base_url", [
    "'http://0.0.0.0:{port}\\@127.0.0.1'",
    "'http://0.0.0.0:{port}\\\\@127.0.0.1'",
    "'https://0.0.0.0:{port}\\@www.okx.com'",
    "'http://127.0.0.1:{port}?@0.0.0.0'",
    "'http://127.0.0.1:{port}#@0.0.0.0'",
    "\"http://127.0.0.1:{port}\\t@0.0.0.0\"",
    "\"http://127.0.0.1:{port}\\e]0;x\\a@0.0.0.0\"",
    "'http://0.0.0.0:{port}'",
])
def test_a_hostile_base_url_is_refused_before_any_request(write_config, listener, base_url):
    path = write_config(ENV_ONLY + f"        base_url: {base_url.format(port=listener.port)}\n")
    result = invoke("okx", "-c", str(path), "-v", env=ENV)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    line = result.stderr.splitlines()[0]
    assert line.startswith(f"balctl: {path}: profile 'okx': key 'base_url'")
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr and "\t" not in result.stderr
    assert listener.connections == 0


def test_profiles_shows_the_host_that_is_connected_to(write_config):
    path = write_config(ENV_ONLY + "        base_url: http://user:Zq9@LOCALHOST:8080/x/\n")
    result = invoke("profiles", "-c", str(path), "-o", "json", env=ENV)
    assert result.exit_code == 0, result.output
    assert '"base_url": "http://****@localhost:8080/x"' in result.stdout
    assert "Zq9" not in result.output


@pytest.mark.parametrize("url, shown", [
    ("http://u:p@127.0.0.1:1/x", "http://****@127.0.0.1:1/x"),
    ("https://a:b@c@evil.example/x?y@z", "https://****@evil.example/x?y@z"),
    ("http://0.0.0.0:1\\@127.0.0.1", "http://0.0.0.0:1\\@127.0.0.1"),  # no userinfo to urllib3 either
    ("not a url", "not a url"),
])
def test_without_userinfo(url, shown):
    assert without_userinfo(url) == shown


# --- -v and short proxy passwords ---------------------------------------------------------

@pytest.mark.parametrize("password", ["Zq9", "x", "Pw12"])
def test_verbose_never_logs_a_url_password_however_short(write_config, listener, no_sleep, password):
    path = write_config(OKX_PROFILE + f"        base_url: http://proxyuser:{password}@127.0.0.1:{listener.port}/x\n")
    result = invoke("okx", "-c", str(path), "-v")
    assert result.exit_code == 4, result.output
    assert "GET http://****@127.0.0.1" in result.stderr
    assert f":{password}@" not in result.output and "proxyuser" not in result.output


# --- permissions --------------------------------------------------------------------------

@pytest.mark.parametrize("mode", [0o620, 0o602, 0o660, 0o666, 0o622])
def test_a_file_others_can_write_is_refused_even_without_literal_secrets(write_config, mode):
    path = write_config(ENV_ONLY, mode=mode)
    result = invoke("okx", "-c", str(path), env=ENV)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"balctl: {path}: is writable by group or others\nhint: chmod 600 {path}\n"


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_a_password_in_base_url_is_a_literal_secret(write_config, mode):
    path = write_config(ENV_ONLY + "        base_url: https://proxy:Zq9@proxy.example\n", mode=mode)
    with pytest.raises(ProfileError, match="holds literal secrets but is readable by group or others"):
        load_profiles(path, ENV)


@pytest.mark.parametrize("base_url", ["https://proxy:${PROXY_PASS}@proxy.example", "https://proxy@proxy.example",
                                      "https://www.okx.com"])
def test_a_base_url_without_a_literal_password_may_be_shared(write_config, base_url):
    path = write_config(ENV_ONLY + f"        base_url: {base_url}\n", mode=0o644)
    assert load_profiles(path, {**ENV, "PROXY_PASS": "pp-1234"})["okx"].base_url.endswith("proxy.example") \
        or base_url == "https://www.okx.com"


# --- YAML: exchange of the wrong type, merge keys, names as written -----------------------

@pytest.mark.parametrize("value, shown", [("[okx]", "a list"), ("{a: b}", "a mapping"), ("1", "1"),
                                          ("null", "None")])
def test_exchange_of_the_wrong_type_breaks_only_that_profile(write_config, value, shown):
    path = write_config(ENV_ONLY + f"      bad:\n        exchange: {value}\n        api_key: k\n")
    loaded = load_profiles(path, ENV)
    assert loaded["okx"].exchange == "okx"
    with pytest.raises(ProfileError) as caught:
        loaded["bad"]
    assert caught.value.line() == (f"{path}: profile 'bad': key 'exchange': unknown exchange {shown} "
                                   "(one of: okx, xt, coinswitch)")


def test_exchange_as_a_list_leaves_other_commands_working(write_config, simulator):
    text = simulator.profiles_yaml() + "  bad:\n    exchange: [okx, xt]\n    api_key: k\n"
    path = write_config(text)
    result = invoke("xt", "-c", str(path), "-o", "csv")
    assert result.exit_code == 0, result.output
    result = invoke("all", "-c", str(path), "-o", "csv")
    assert result.exit_code == 6, result.output
    assert "profile 'bad': key 'exchange': unknown exchange a list" in result.stderr


MERGED = """\
    x-okx: &okx
      exchange: okx
      api_secret: ${OKX_SECRET}
      passphrase: ${OKX_PASS}
    profiles:
      main:
        <<: *okx
        api_key: main-key
      sub:
        <<: [*okx]
        api_key: sub-key
        passphrase: ${SUB_PASS}
"""


def test_merge_keys_share_settings_between_profiles(write_config):
    loaded = load_profiles(write_config(MERGED), {**ENV, "SUB_PASS": "sub-pass"})
    assert [(p.name, p.exchange, p.api_key, p.passphrase) for p in loaded.values()] == [
        ("main", "okx", "main-key", "pass-value"), ("sub", "okx", "sub-key", "sub-pass")]


def test_a_key_twice_is_still_refused_next_to_a_merge(write_config):
    path = write_config(MERGED.replace("api_key: main-key", "api_key: main-key\n        api_key: again"))
    with pytest.raises(ProfileError, match="key 'api_key' appears twice"):
        load_profiles(path, ENV)


@pytest.mark.parametrize("name", ["on", "yes", "1", "no", "null", "1.5", "0x1f", "~"])
def test_a_profile_name_is_the_text_the_user_wrote(write_config, name):
    path = write_config(ENV_ONLY.replace("  okx:", f"  {name}:"))
    loaded = load_profiles(path, ENV)
    assert list(loaded) == [name]
    result = invoke("profiles", "-c", str(path), "-o", "json", env=ENV)
    assert result.exit_code == 0
    assert f'"name": "{name}"' in result.stdout
