"""`balctl init` driven through a pseudo-terminal, as a person at a terminal would: each
answer typed after its question appears; secrets at hidden prompts never echo. The profile
points at the bundled simulator, so the wizard's check and balance table are real."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time
from pathlib import Path

import pytest

from balctl.profiles import load_profiles

REPO = Path(__file__).resolve().parent.parent
TIMEOUT = 30.0


class Terminal:
    """A balctl process on the slave side of a pty; `expect` waits for text, `send` types."""

    def __init__(self, args: list[str], env: dict[str, str], columns: int = 160) -> None:
        pid, fd = pty.fork()
        if pid == 0:  # the child: its stdin, stdout and stderr are the terminal
            os.chdir(REPO)
            os.execve(sys.executable, [sys.executable, "-m", "balctl", *args], env)
        # a new pty is 0 x 0 characters; a terminal emulator sets its size like this
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
        self.pid, self.fd, self.seen, self.position = pid, fd, "", 0

    def expect(self, text: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while text not in self.seen[self.position:]:
            if time.monotonic() > deadline or not self._read(deadline - time.monotonic()):
                raise AssertionError(f"waited for {text!r}; the terminal shows:\n{self.seen}")
        self.position = self.seen.index(text, self.position) + len(text)  # the next question is further on

    def send(self, line: str) -> None:
        os.write(self.fd, line.encode() + b"\r")

    def finish(self) -> int:
        """Read to the end; the exit code."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and self._read(deadline - time.monotonic()):
            pass
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        return os.waitstatus_to_exitcode(status)

    def _read(self, wait: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], max(wait, 0))
        if not ready:
            return False
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            return False
        self.seen += chunk.decode(errors="replace").replace("\r\n", "\n")
        return bool(chunk)

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


@pytest.fixture
def terminal():
    started: list[Terminal] = []

    def start(*args: str, env: dict[str, str], columns: int = 160) -> Terminal:
        full = {key: value for key, value in os.environ.items() if not key.startswith(("BALCTL_", "OKX_"))}
        full.update({"COLUMNS": str(columns), "LINES": "50", "TERM": "dumb", "NO_COLOR": "1"}, **env)
        started.append(Terminal(list(args), full, columns))
        return started[-1]

    yield start
    for term in started:
        term.kill()


def test_init_writes_an_okx_profile_with_file_secrets_checks_it_and_shows_balances(terminal, simulator, tmp_path):
    creds = simulator.credentials["okx"]
    path = tmp_path / "cfg" / "config.yaml"
    term = terminal("init", "-c", str(path), env={})
    term.expect("Exchange (1) okx, 2) xt, 3) coinswitch) [okx]: ")
    term.send("")
    term.expect("Profile name [okx]: ")
    term.send("main")
    term.expect("Is it a demo-trading key? (y/n) [n]: ")
    term.send("n")
    term.expect("or a URL [1]: ")
    term.send(simulator.base_url)
    term.expect("API key: ")
    term.send(creds["api_key"])
    term.expect("(the OS keyring is not available here: pip install 'balctl[keyring]' to use it)")
    term.expect("Keep the secrets in (1) file, 2) env) [file]: ")
    term.send("1")
    term.expect("API secret: ")
    term.send(creds["api_secret"])
    term.expect("API passphrase: ")
    term.send(creds["passphrase"])
    code = term.finish()
    assert code == 0, term.seen
    assert creds["api_secret"] not in term.seen and creds["passphrase"] not in term.seen  # hidden input
    assert f"added profile 'main' in {path}\nprofiles check\n" in term.seen  # checked at once: no "next:"
    assert "next: balctl profiles check" not in term.seen
    check, _, balances = term.seen.partition("okx · main · trading\n")
    assert "│ main    │ okx      │ OK     │" in check  # the check, then the balance table
    assert "│ BTC   │     0.528741   │" in balances  # rounded for reading, points aligned (issue 10)
    profile = load_profiles(path, {})["main"]
    assert (profile.api_secret, profile.base_url) == (creds["api_secret"], simulator.base_url)
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_init_questions_fit_an_80_column_terminal_without_cutting_a_word(terminal, tmp_path):
    """The terminal would cut a longer line anywhere (`re` / `ads`): messages are wrapped
    between words, the OKX hosts listed one per line, every line at most 80 columns."""
    path = tmp_path / "a-rather-long-directory-name" / "config.yaml"
    term = terminal("init", "-c", str(path), env={}, columns=80)
    term.expect("[okx]: ")
    term.send("")
    term.expect("Profile name [okx]: ")
    term.send("")
    term.expect("(y/n) [n]: ")
    term.send("")
    term.expect("API host: 1, 2, 3 or a URL [1]: ")
    lines = term.seen.splitlines()
    assert lines[:2] == ["balctl init: a profile in", f"   {path}"]  # only a longer path is longer
    assert max(len(line) for line in lines[2:]) <= 80, term.seen
    assert lines[2] == "balctl only reads balances: a read-only API key is enough."
    assert lines[-4:] == ["  1) https://www.okx.com", "  2) https://eea.okx.com", "  3) https://my.okx.com",
                          "API host: 1, 2, 3 or a URL [1]: "]
    term.kill()


def test_init_with_the_keyring_and_a_refused_key_keeps_the_profile_and_exits_3(terminal, simulator, tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("# mine\nprofiles:\n  old:\n    exchange: xt\n    api_key: ${K}\n    api_secret: ${S}\n")
    path.chmod(0o600)
    term = terminal("init", "-c", str(path),
                    env={"PYTHON_KEYRING_BACKEND": "tests.memory_keyring.MemoryKeyring"})
    term.expect("[okx]: ")
    term.send("2")
    term.expect("Profile name [xt]: ")
    term.send("")
    term.expect("API base URL [https://sapi.xt.com]: ")
    term.send(simulator.base_url)
    term.expect("Lever pairs to show, comma-separated [BTC_USDT]: ")
    term.send("eth_usdt")
    term.expect("API key: ")
    term.send("not-a-simulator-key")
    term.expect("Keep the secrets in (1) keyring, 2) file, 3) env) [keyring]: ")
    term.send("")
    term.expect("API secret: ")
    term.send("some-secret-value")
    code = term.finish()
    assert code == 3, term.seen
    assert "the profile is saved; fix the problem above and run: balctl profiles check xt" in term.seen
    assert path.read_text() == (
        "# mine\nprofiles:\n  old:\n    exchange: xt\n    api_key: ${K}\n    api_secret: ${S}\n"
        "\n  xt:\n    exchange: xt\n    api_key: not-a-simulator-key\n"
        "    api_secret: ${keyring:xt.api_secret}\n    symbols: [ETH_USDT]\n"
        f"    base_url: \"{simulator.base_url}\"\n")


def test_init_writes_a_secret_typed_as_a_reference_as_that_literal_text(terminal, simulator, tmp_path):
    path = tmp_path / "config.yaml"
    term = terminal("init", "-c", str(path), env={"HOME": str(tmp_path)})
    for question, answer in (("[okx]: ", "xt"), ("Profile name [xt]: ", ""),
                             ("API base URL [https://sapi.xt.com]: ", simulator.base_url),
                             ("[BTC_USDT]: ", ""), ("API key: ", "not-a-simulator-key"), ("[file]: ", ""),
                             ("API secret: ", "${HOME}")):
        term.expect(question)
        term.send(answer)
    code = term.finish()
    assert code == 3, term.seen  # the simulator refuses the key: the profile is kept all the same
    assert path.read_text().endswith('    api_secret: "$${HOME}"\n    symbols: [BTC_USDT]\n'
                                     f'    base_url: "{simulator.base_url}"\n')
    assert load_profiles(path, {"HOME": str(tmp_path)})["xt"].api_secret == "${HOME}"


def test_init_with_environment_variables_asks_their_names_not_the_secrets(terminal, tmp_path):
    path = tmp_path / "config.yaml"
    term = terminal("init", "-c", str(path), env={})
    term.expect("[okx]: ")
    term.send("okx")
    term.expect("Profile name [okx]: ")
    term.send("okx-sub")
    term.expect("(y/n) [n]: ")
    term.send("y")
    term.expect("or a URL [1]: ")
    term.send("http://example.com")  # refused at once, asked again: no secret typed in vain
    term.expect("key 'base_url': plain http is only allowed to a loopback host (not example.com); use https://")
    term.expect("or a URL [1]: ")
    term.send("2")
    term.expect("API key: ")
    term.send("okx-key-00000001")
    term.expect("[file]: ")
    term.send("env")
    term.expect("Environment variable for the api secret [OKX_SUB_API_SECRET]: ")
    term.send("")
    term.expect("Environment variable for the passphrase [OKX_SUB_PASSPHRASE]: ")
    term.send("MY_PASS")
    code = term.finish()
    assert code == 0, term.seen
    assert "note: set OKX_SUB_API_SECRET, MY_PASS in the environment before using it" in term.seen
    assert path.read_text().endswith(
        "  okx-sub:\n    exchange: okx\n    api_key: okx-key-00000001\n    api_secret: ${OKX_SUB_API_SECRET}\n"
        "    passphrase: ${MY_PASS}\n    demo: true\n    base_url: \"https://eea.okx.com\"\n")


@pytest.mark.parametrize("at_secret", [False, True])
def test_init_ctrl_d_writes_nothing_and_exits_2(terminal, tmp_path, at_secret):
    path = tmp_path / "config.yaml"
    term = terminal("init", "-c", str(path), env={})
    if at_secret:
        for question, answer in (("[okx]: ", "xt"), ("[xt]: ", ""), ("[https://sapi.xt.com]: ", ""),
                                 ("[BTC_USDT]: ", ""), ("API key: ", "xt-key-0001"), ("[file]: ", "")):
            term.expect(question)
            term.send(answer)
        term.expect("API secret: ")
    else:
        term.expect("[okx]: ")
    os.write(term.fd, b"\x04")
    assert term.finish() == 2
    assert term.seen.endswith("balctl: input ended: nothing was written\n")
    assert not path.exists()


def test_a_menu_number_is_ascii_digits(monkeypatch):
    """`٢` (Arabic-Indic 2) or `²` is not answer 2: asked again, then `2` picks the second."""
    from balctl.setup import wizard

    answers, said = iter(["\u0662", "\u00b2", "2"]), []
    monkeypatch.setattr(wizard, "prompt", lambda label, default=None: next(answers))
    monkeypatch.setattr(wizard, "say", said.append)
    assert wizard.choose("Exchange", ("okx", "xt", "coinswitch"), "okx") == "xt"
    assert said == ["please answer one of: okx, xt, coinswitch"] * 2


def test_a_yes_no_question_asks_again_until_it_gets_yes_or_no(monkeypatch, capsys):
    """An API key typed one question early is not taken as a "no"."""
    from balctl.setup import wizard

    answers = iter(["0c7f4a52-3b1e-4d8a", "maybe", "YES"])
    monkeypatch.setattr(wizard, "prompt", lambda label, **kw: next(answers))
    assert wizard.yes("Is it a demo-trading key?") is True
    assert capsys.readouterr().err == "please answer y or n\nplease answer y or n\n"
    answers = iter(["n"])
    assert wizard.yes("Is it a demo-trading key?", default=True) is False
