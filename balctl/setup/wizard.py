"""`balctl init`: one question at a time, on a terminal, then a check and the balances.

Modelled on `aws configure` and `gh auth login`: a default in [brackets] that Enter takes,
secrets typed at a hidden prompt, questions on stderr (stdout is the check and the balance
table), and for scripts the same result without questions (`balctl profiles add`).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from balctl import exchanges
from balctl.errors import UsageError
from balctl.messages import stderr_line
from balctl.numeric import is_digits
from balctl.setup import keyring_store
from balctl.setup.add import NewProfile
from balctl.setup.secrets import prompt, read_values

OKX_HOSTS = ("https://www.okx.com", "https://eea.okx.com", "https://my.okx.com")
STORES = ("keyring", "file", "env")
STORE_LABELS = {
    "keyring": "the OS keyring",
    "file": "the profile file (readable only by you, mode 600)",
    "env": "environment variables (you export them; the file names them)",
}
NEEDS_TERMINAL = UsageError(
    "init asks questions and needs a terminal",
    hint="in a script use: balctl profiles add NAME --exchange okx --api-key-env VAR "
         "--api-secret-env VAR --passphrase-env VAR (see balctl profiles add --help)",
)


def run(path: Path, *, timeout: float) -> int:
    """The wizard; returns the exit code of the check (or of the balance fetch)."""
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        raise NEEDS_TERMINAL
    from balctl.profiles import resolve_config_path

    target = resolve_config_path(path)
    say(f"balctl init: a profile in {target}")
    say("balctl only reads balances: a read-only API key is enough.")
    existing = _existing_names(target)
    spec = _ask_profile(target, existing)
    values = read_values(spec.to_read(), sys.stdin)
    from balctl.setup import add as adding
    from balctl.setup.commands import saved

    written = adding.add(target, spec, values, force=spec.name in existing)
    saved(spec.name, written, checked_next=True)
    if written.unset_variables:
        return 0  # nothing to check until they are exported
    return _check_and_show(target, spec.name, timeout)


def say(line: str) -> None:
    """One message, wrapped between words to the terminal's width (a path or a URL is never
    cut: the terminal itself would cut it mid-word)."""
    import os
    import textwrap

    try:
        width = os.get_terminal_size(sys.stderr.fileno()).columns
    except (OSError, ValueError, AttributeError):
        width = 0
    indent = " " * (len(line) - len(line.lstrip(" ")))
    for part in textwrap.wrap(line, width if width > 0 else 80, subsequent_indent=indent + "   ",
                              break_long_words=False, break_on_hyphens=False) or [""]:
        stderr_line(part)


def choose(label: str, options: tuple[str, ...], default: str) -> str:
    """One of `options`, typed as itself or its number; Enter takes `default`."""
    listed = ", ".join(f"{index}) {option}" for index, option in enumerate(options, 1))
    while True:
        answer = prompt(f"{label} ({listed})", default=default).strip()
        if is_digits(answer) and 1 <= int(answer) <= len(options):
            return options[int(answer) - 1]
        if answer in options:
            return answer
        say(f"please answer one of: {', '.join(options)}")


def yes(label: str, default: bool = False) -> bool:
    """y/yes or n/no (Enter takes `default`); anything else is asked again: an API key typed
    one question early must not pass as a "no"."""
    while True:
        answer = prompt(f"{label} (y/n)", default="y" if default else "n").lower()
        if answer in ("y", "yes", "n", "no"):
            return answer in ("y", "yes")
        say("please answer y or n")


def _ask_profile(path: Path, existing: list[str]) -> NewProfile:
    exchange = choose("Exchange", tuple(exchanges.EXCHANGES), "okx")
    name = _ask_name(exchange, existing)
    spec = NewProfile(name=name, exchange=exchange)
    if exchange == "okx":
        spec.demo = yes("Is it a demo-trading key?")
        for index, host in enumerate(OKX_HOSTS, 1):
            say(f"  {index}) {host}")
        label = "API host: 1, 2, 3 or a URL"
        url = _ask_url(path, name, label, "1", {str(index): host for index, host in enumerate(OKX_HOSTS, 1)})
        spec.base_url = None if url == OKX_HOSTS[0] else url  # the default: the file stays short
    else:
        default_url = exchanges.load(exchange).DEFAULT_BASE_URL
        url = _ask_url(path, name, "API base URL", default_url, {})
        spec.base_url = None if url == default_url else url
    if exchange == "xt":
        symbols = prompt("Lever pairs to show, comma-separated", default="BTC_USDT")
        spec.symbols = [item.strip().upper() for item in symbols.split(",") if item.strip()]
    spec.api_key = prompt("API key")
    store = _ask_store()
    if store == "keyring":
        spec.keyring = True
    elif store == "env":
        prefix = re.sub(r"[^A-Z0-9]+", "_", name.upper()).strip("_")
        for key in spec.keys():
            if key != "api_key":
                spec.env[key] = _ask_variable(key, f"{prefix}_{key.upper()}")
    spec.check()
    return spec


def _ask_url(path: Path, name: str, label: str, default: str, shortcuts: dict[str, str]) -> str:
    """A base URL the loader accepts (asked again otherwise, before any secret is typed)."""
    from balctl.errors import ProfileError
    from balctl.profiles import check_base_url

    while True:
        answer = prompt(label, default=default)
        url = shortcuts.get(answer, answer)
        try:
            return check_base_url(path, name, url)
        except ProfileError as problem:
            say(problem.message.split(": ", 2)[-1])  # the rule, without the file and profile


def _ask_name(exchange: str, existing: list[str]) -> str:
    default = exchange
    number = 2
    while default in existing:
        default, number = f"{exchange}-{number}", number + 1
    while True:
        name = prompt("Profile name", default=default)
        try:
            from balctl.setup.writer import check_name

            check_name(name)
        except UsageError as problem:
            say(problem.message)
            continue
        if name not in existing or yes(f"A profile named '{name}' exists. Replace it?"):
            return name


def _ask_store() -> str:
    usable = keyring_store.usable()
    if not usable:
        say("(the OS keyring is not available here: pip install 'balctl[keyring]' to use it)")
    offered = STORES if usable else STORES[1:]
    for index, store in enumerate(offered, 1):
        say(f"  {index}) {STORE_LABELS[store]}")
    return choose("Keep the secrets in", offered, offered[0])


def _ask_variable(key: str, default: str) -> str:
    while True:
        name = prompt(f"Environment variable for the {key.replace('_', ' ')}", default=default)
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            return name
        say(f"{name!r} is not an environment variable name")


def _existing_names(path: Path) -> list[str]:
    from balctl.setup.add import profile_names

    return profile_names(path)


def _check_and_show(path: Path, name: str, timeout: float) -> int:
    """`profiles check` on the new profile, then its balances when the key works."""
    from balctl import runner
    from balctl.exchanges import Selection
    from balctl.profiles import load_profiles
    from balctl.setup.commands import check

    code = check(path, [name], "table", timeout=timeout)
    if code:
        say(f"the profile is saved; fix the problem above and run: balctl profiles check {name}")
        return code
    profile = load_profiles(path)[name]
    return runner.run([profile], Selection(), runner.RunOptions(config=path, timeout=timeout), single=True)
