"""The profile file (docs/contract.md, The profile file): where it is, what it may say, and which profile to use.

Every rule failure is a `ProfileError` (exit 2) naming the file, the profile and the key,
and never quoting a secret. Secrets are registered with the redactor as soon as they are read.
"""

from __future__ import annotations

import ipaddress
import os
import re
import stat
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from balctl import exchanges
from balctl.errors import ProfileError, ProfileWhere, UsageError, redact
from balctl.platforms import has_posix_modes
from balctl.sanitize import terminal_text
from balctl.urls import UrlRefused, parse_base_url

SECRET_KEYS = ("api_secret", "passphrase")
TOP_LEVEL_KEYS = ("profiles", "record")
"""`record: true` makes `--record` the default (issue 12: cron lines stay short)."""
COMMON_KEYS: dict[str, bool] = {"exchange": True, "api_key": True, "api_secret": True, "base_url": False,
                                 "alerts": False}
_ENV_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_KEYRING_NAME = r"[^}\s]+"
ENV_REFERENCE = re.compile(rf"\$\{{({_ENV_NAME})\}}")
KEYRING_REFERENCE = re.compile(rf"\$\{{keyring:({_KEYRING_NAME})\}}")
"""`${keyring:NAME}`: the secret stored in the OS keyring under service `balctl`, user NAME."""
REFERENCE = re.compile(rf"\$\{{(?:keyring:{_KEYRING_NAME}|{_ENV_NAME})\}}")
"""Either reference, whole: what a literal value must escape to be written into the file."""
REFERENCE_OR_ESCAPE = re.compile(
    rf"\$({REFERENCE.pattern})"  # `$${...}`: the text `${...}` itself
    rf"|{KEYRING_REFERENCE.pattern}|{ENV_REFERENCE.pattern}"
)
"""A reference, or one escaped with a second `$` so that a literal value (a secret that
happens to read `${HOME}`) can be written into the file. Only `$` before a reference is an
escape: any other `$$` is two dollars, as it always was."""
LOOPBACK_HOSTS = {"localhost"}
USERINFO = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://([^/?#\\]*)@")
"""A `user:password@` as written in the file, before `${NAME}` is expanded."""


class UnsetVariables(ProfileError):
    """A profile whose `${VAR}` references are unset: all of them named in one message.

    `profiles add` writes such a profile all the same (the variables may be exported later)."""

    def __init__(self, message: str, names: list[str] | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.names = list(names or [])  # (a default, so that `evolve`'s copy can rebuild it)


@dataclass(frozen=True)
class Profile:
    """One account's credentials and settings. `repr` never shows a secret."""

    name: str
    exchange: str
    api_key: str
    api_secret: str = field(repr=False)
    base_url: str
    passphrase: str | None = field(default=None, repr=False)
    demo: bool = False
    symbols: tuple[str, ...] = ()
    sources: Mapping[str, str] = field(default_factory=dict)
    """Where each credential came from: `file`, `env NAME` or `keyring NAME`."""
    alerts: tuple[Any, ...] = ()
    """The profile's own `alerts:` (balctl.alerts.Alert), checked besides any --alert."""


def default_config_path(environ: Mapping[str, str] = os.environ) -> Path:
    """`$XDG_CONFIG_HOME/balctl/config.yaml`, else `~/.config/balctl/config.yaml`."""
    base = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "balctl" / "config.yaml"


def resolve_config_path(given: str | Path | None, environ: Mapping[str, str] = os.environ) -> Path:
    """`--config` / BALCTL_CONFIG (with `~` expanded: an env var is not expanded by the
    shell), else the default location."""
    return Path(os.path.expanduser(str(given))) if given else default_config_path(environ)


class ProfileFile(Mapping[str, Profile]):
    """The profile file, read: every profile by name, in file order.

    A profile that breaks a rule is kept as its `ProfileError` and raised only when that
    profile is used: one unset `${VAR}` of a sub-account must not stop `balctl okx` or the
    other accounts of a cron `balctl all`. Problems of the file itself (unreadable, invalid
    YAML, shared with literal secrets) are raised by `load_profiles` at once.

    So `profiles[name]` (and `.get`, `.values()`, `.items()`, which use it) raises for a
    broken profile, while `name in profiles` is true for it; `outcome(name)` returns either.
    """

    def __init__(self, path: Path, entries: dict[str, Any], exchanges_of: dict[str, str | None],
                 environ: Mapping[str, str] = os.environ, *, record: bool = False) -> None:
        self.path = path
        self._raw = entries
        self._built: dict[str, Profile | ProfileError] = {}
        self._exchanges = exchanges_of
        self.record = record
        """Top-level `record: true`: fetching commands record into the history by default."""
        self._environ = environ

    def __getitem__(self, name: str) -> Profile:
        entry = self.outcome(name)
        if isinstance(entry, ProfileError):
            raise entry
        return entry

    def __contains__(self, name: object) -> bool:
        return name in self._raw  # a broken profile is in the file all the same

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def outcome(self, name: str) -> Profile | ProfileError:
        """The profile, or why it cannot be used.

        Built on first use: `balctl okx` checks, resolves and validates its own profile
        only, so it neither pays for another exchange (a CoinSwitch key check imports
        cryptography) nor reads another profile's environment variables or keyring entry.
        """
        built = self._built.get(name)
        if built is None:
            built = self._built[name] = _outcome(self.path, name, self._raw[name], self._exchanges[name],
                                                 self._environ)
        return built

    def exchange_of(self, name: str) -> str | None:
        """The profile's exchange, when the file names a known one (even if the profile is broken)."""
        return self._exchanges.get(name)

    @property
    def problems(self) -> dict[str, ProfileError]:
        """Every broken profile of the file (this builds them all)."""
        outcomes = {name: self.outcome(name) for name in self._raw}
        return {name: entry for name, entry in outcomes.items() if isinstance(entry, ProfileError)}


def load_profiles(path: Path, environ: Mapping[str, str] = os.environ) -> ProfileFile:
    """Read and check the file; raises ProfileError for a problem of the file as a whole."""
    _refuse_if_writable(path)
    document = _read_yaml(path, environ)
    section = document.get("profiles") if isinstance(document, dict) else None
    if not isinstance(section, dict) or not section:
        raise ProfileError(f"{path}: 'profiles' is missing or not a mapping of profile names")
    # `x-...` keys are free, as in docker-compose: a place for `x-common: &common` anchors
    # that profiles merge with `<<: *common`
    unknown = [str(key) for key in document if key not in TOP_LEVEL_KEYS and not str(key).startswith("x-")]
    if unknown:
        raise ProfileError(f"{path}: unknown top-level key '{unknown[0]}' "
                           "(only 'profiles', 'record', and 'x-...' for shared settings)")
    record = document.get("record", False)
    if not isinstance(record, bool):
        raise ProfileError(f"{path}: top-level key 'record' must be true or false")
    if any(_holds_literal_secret(entry) for entry in section.values()):
        _refuse_if_shared(path)
    entries: dict[str, Any] = {}
    exchanges_of: dict[str, str | None] = {}
    for key, entry in section.items():
        name = str(key)
        exchange = entry.get("exchange") if isinstance(entry, dict) else None
        exchanges_of[name] = exchange if _known_exchange(exchange) else None
        entries[name] = entry
        _redact_literal_secrets(entry)
    return ProfileFile(path, entries, exchanges_of, environ, record=record)


def _outcome(path: Path, name: str, entry: Any, exchange: str | None,
             environ: Mapping[str, str]) -> Profile | ProfileError:
    """One profile of the file, checked, or the `ProfileError` that says why it is unusable."""
    try:
        if not name.isprintable():  # it goes into tables, CSV cells and error lines
            raise ProfileError(f"{path}: profile '{terminal_text(name, 40)}': the name must be printable "
                               "(no control, format or line-breaking characters)")
        return _build_profile(path, name, entry, environ)
    except ProfileError as problem:
        return problem.evolve(profile=name, exchange=exchange)


def _redact_literal_secrets(entry: Any) -> None:
    """Register the secrets written into the file with the redactor, profile built or not.

    A profile is built only when used (ProfileFile.outcome), which registers its resolved
    secrets too; this keeps every literal one of the file out of any output from the start.
    """
    if isinstance(entry, dict):
        redact.add(*(text.strip() for key in SECRET_KEYS
                     if isinstance(value := entry.get(key), str) and (text := literal_text(value)) is not None))


def literal_text(raw: str) -> str | None:
    """The text a value stands for when it refers to nothing (escapes undone), else None."""
    if any(match.group(1) is None for match in REFERENCE_OR_ESCAPE.finditer(raw)):
        return None
    return REFERENCE_OR_ESCAPE.sub(lambda match: match.group(1), raw)


def choose_profile(profiles: ProfileFile, exchange: str, name: str | None) -> Profile:
    """The profile an exchange command uses: named, else same-named, else the only one."""
    return profiles[choose_profile_name(profiles.path, list(profiles), profiles.exchange_of, exchange, name)]


def choose_profile_name(
    path: Path, names: list[str], exchange_of: Callable[[str], str | None], exchange: str, name: str | None
) -> str:
    """Which profile `balctl <exchange> [-p NAME]` means, from names and exchanges alone.

    Shared by the commands and by shell completion (which reads the file leniently), so
    that completion offers exactly what the command would use. `exchange_of` gives a
    profile's exchange when the file names a known one, else None.
    """
    if name is not None:
        if name not in names:
            raise ProfileError(f"{path}: no profile named '{name}' (have: {', '.join(names)})")
        other = exchange_of(name)
        if other is not None and other != exchange:
            raise ProfileError(f"{path}: profile '{name}' is for {other}, not {exchange}",
                               hint=_profiles_of_hint(names, exchange_of, exchange))
        return name
    if exchange in names and exchange_of(exchange) in (exchange, None):
        return exchange  # using it raises the profile's own error if it is broken
    candidates = [p for p in names if exchange_of(p) == exchange]
    unknown = [p for p in names if exchange_of(p) is None]
    if unknown and len(candidates) <= 1:
        # `exchange: OKX` (a typo) might have been meant for this command: say so rather
        # than silently pick another account
        return unknown[0]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise ProfileError(f"{path}: no {exchange} profile in the file")
    raise ProfileError(
        f"{path}: several {exchange} profiles, choose one with --profile: {', '.join(candidates)}"
    )


def _profiles_of_hint(names: list[str], exchange_of: Callable[[str], str | None], exchange: str) -> str:
    """After `-p NAME` named another exchange's profile: the ones this command can use, so
    the next try is a right one (or, when there is none, how to add one)."""
    mine = [name for name in names if exchange_of(name) == exchange]
    if not mine:
        return f"the file has no {exchange} profile: add one with 'balctl profiles add NAME --exchange {exchange}'"
    return f"{exchange} profiles in the file: {', '.join(mine)} (choose one with --profile)"


def select_profiles(profiles: ProfileFile, names: list[str]) -> list[Profile | ProfileError]:
    """`balctl all`: every profile, or the named subset, in file order; broken ones as errors."""
    unknown = [name for name in names if name not in profiles]
    if unknown:
        raise ProfileError(f"{profiles.path}: no profile named '{unknown[0]}' (have: {', '.join(profiles)})")
    return [profiles.outcome(name) for name in profiles if not names or name in names]


def _read_yaml(path: Path, environ: Mapping[str, str] = os.environ) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProfileError(f"{path}: profile file not found", hint=_not_found_hint(path, environ)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path}: cannot read the profile file: {_os_reason(exc)}") from None
    from balctl import plainyaml

    document = plainyaml.read(text)  # the plain layout, as PyYAML reads it, without importing it
    if document is not None:
        return document
    import yaml  # deferred: only a file beyond the plain layout pays for it

    try:
        return yaml.load(text, Loader=_strict_loader(yaml))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        # libyaml places an error at the end of the input one line past a last line
        # without a newline; name a line the file has
        where = f" at line {min(mark.line + 1, len(text.splitlines()) or 1)}" if mark is not None else ""
        raise ProfileError(f"{path}: invalid YAML{where}: {getattr(exc, 'problem', None) or 'syntax error'}") from None
    except (ValueError, OverflowError):
        # PyYAML reads `2024-13-45` as a date and `0x_` as a number, then cannot build them
        raise ProfileError(f"{path}: invalid YAML: a value that YAML reads as a date or number is not one "
                           "(quote it to keep it text)") from None


def _not_found_hint(path: Path, environ: Mapping[str, str]) -> str:
    """What to do about a missing profile file. At the default location: create it, or point
    elsewhere with --config. Anywhere else the path came from --config or BALCTL_CONFIG, so
    "use --config" would be no advice: check that path, or create the file there."""
    if path == default_config_path(environ):
        return ("create it with 'balctl init' (or 'balctl profiles add'); "
                "'balctl profiles example' prints an annotated example; or use --config")
    import shlex

    return (f"check the path given to --config (or BALCTL_CONFIG); to create the file there: "
            f"balctl init --config {shlex.quote(str(path))}")


def _strict_loader(yaml: Any) -> type:
    """`yaml.SafeLoader` (libyaml's when available) with three changes for a file of named profiles:

    - a key written twice is an error: YAML would keep the last one silently, hiding a
      profile, or a literal secret from the chmod-600 check;
    - a plain key is the text the user wrote: a profile named `on`, `yes`, `1` or `null`
      is that name, not True, 1 or None (YAML 1.1 reads the value, the user meant the word);
    - merge keys (`<<: *base`) work as usual, sharing settings between profiles; a key
      written out next to a merge overrides the merged one, as YAML defines.
    """
    merge_tag = "tag:yaml.org,2002:merge"
    str_tag = "tag:yaml.org,2002:str"

    # libyaml's parser where PyYAML was built with it: ~7x fewer instructions than the
    # pure-Python one for a profile file, on every command that reads it (issue 16)
    class StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
        def construct_mapping(self, node: Any, deep: bool = False) -> dict:
            seen = set()
            for key_node, _ in node.value:
                if key_node.tag == merge_tag:
                    continue
                if isinstance(key_node, yaml.ScalarNode):
                    key_node.tag = str_tag  # the key as written
                key = self.construct_object(key_node, deep=deep)
                if not isinstance(key, str):
                    continue  # unhashable keys: SafeLoader reports those itself
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"key {key!r} appears twice", key_node.start_mark)
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

    return StrictLoader


def _build_profile(path: Path, name: str, entry: Any, environ: Mapping[str, str]) -> Profile:
    """Validate one profile and resolve its `${NAME}` references."""
    where = ProfileWhere(path, name)
    if not isinstance(entry, dict):
        raise where.error("must be a mapping of keys")
    exchange_name = entry.get("exchange")
    if not _known_exchange(exchange_name):
        shown = repr(exchange_name) if isinstance(exchange_name, (str, int, float, bool)) or exchange_name is None \
            else f"a {_yaml_kind(exchange_name)}"
        raise where.error(f"key 'exchange': unknown exchange {shown} "
                          f"(one of: {', '.join(exchanges.EXCHANGES)})", key="exchange")
    module = exchanges.load(exchange_name)
    allowed = {**COMMON_KEYS, **module.PROFILE_KEYS}
    for key in entry:
        if key not in allowed:
            raise where.error(f"unknown key '{key}' (allowed: {', '.join(allowed)})", key=key)
    for key, required in allowed.items():
        if required and entry.get(key) in (None, ""):
            raise where.error(f"missing required key '{key}'", key=key)

    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    unset: list[tuple[str, str]] = []
    for key, raw in entry.items():
        values[key], sources[key] = _resolve(where, key, raw, environ, unset)
    if unset:  # every one of them at once, not one per run
        reason = _unset_reason(unset)
        raise UnsetVariables(f"{where}: {reason}", list(dict.fromkeys(name for _, name in unset)),
                             path=where.path, profile=where.profile, reason=reason,
                             key=unset[0][0] if len(unset) == 1 else None)
    credentials = {key: _text(where, key, values[key]) for key in ("api_key", *SECRET_KEYS) if key in values}
    redact.add(*(credentials.get(key) for key in SECRET_KEYS))

    profile = Profile(
        name=name,
        exchange=exchange_name,
        api_key=credentials["api_key"],
        api_secret=credentials["api_secret"],
        passphrase=credentials.get("passphrase"),
        demo=_flag(where, "demo", values.get("demo", False)),
        base_url=_base_url(where, values.get("base_url") or module.DEFAULT_BASE_URL),
        symbols=_symbols(where, values.get("symbols", [])),
        sources={key: sources[key] for key in ("api_key", *SECRET_KEYS) if key in sources},
        alerts=_alerts(where, values.get("alerts")),
    )
    module.validate_profile(profile, where)
    return profile


def _holds_literal_secret(entry: Any) -> bool:
    """Whether a profile writes a secret into the file rather than as `${NAME}`."""
    if not isinstance(entry, dict):
        return False
    if any(
        entry.get(key) is not None
        and not (isinstance(entry[key], str) and _is_reference(entry[key].strip()))
        for key in SECRET_KEYS
    ):
        return True
    url = entry.get("base_url")
    userinfo = USERINFO.match(url.strip()) if isinstance(url, str) else None
    if userinfo is None or ":" not in userinfo.group(1):
        return False
    password = userinfo.group(1).partition(":")[2]
    return bool(password) and not ENV_REFERENCE.fullmatch(password)


def _is_reference(text: str) -> bool:
    return bool(ENV_REFERENCE.fullmatch(text) or KEYRING_REFERENCE.fullmatch(text))


def _resolve(where: ProfileWhere, key: str, raw: Any, environ: Mapping[str, str],
             unset: list[tuple[str, str]]) -> tuple[Any, str]:
    """Expand `${NAME}` from the environment (and `$${...}` to the text `${...}`), or read a
    whole `${keyring:NAME}` from the OS keyring; returns (value, source). Unset variables
    are appended to `unset` (and read as empty) so that the caller can name all of them in
    one message."""
    if not isinstance(raw, str):
        return raw, "file"
    stripped = raw.strip()
    in_keyring = KEYRING_REFERENCE.fullmatch(stripped)
    if in_keyring:
        from balctl.setup.keyring_store import read_secret  # only files that use it pay for it

        return read_secret(where, key, in_keyring.group(1)), f"keyring {in_keyring.group(1)}"
    if any(match.group(2) for match in REFERENCE_OR_ESCAPE.finditer(raw)):
        raise where.error(f"key '{key}': ${{keyring:NAME}} must be the whole value", key=key)
    whole = ENV_REFERENCE.fullmatch(stripped)

    def lookup(match: re.Match[str]) -> str:
        if match.group(1) is not None:  # escaped: the text itself
            return match.group(1)
        value = environ.get(match.group(3))
        if not value:
            unset.append((key, match.group(3)))
            return ""
        return value

    value = REFERENCE_OR_ESCAPE.sub(lookup, raw)
    return value, (f"env {whole.group(1)}" if whole else "file")


def _unset_reason(unset: list[tuple[str, str]]) -> str:
    """`key 'api_secret': environment variable X is unset or empty`, or all of them in one line."""
    if len(unset) == 1:
        (key, name), = unset
        return f"key '{key}': environment variable {name} is unset or empty"
    names = ", ".join(f"{name} ({key})" for key, name in unset)
    return f"environment variables {names} are unset or empty"


def _text(where: ProfileWhere, key: str, value: Any) -> str:
    """A credential as the user wrote it. YAML turns `0x61b1...` or `1234` into a number,
    which could not be turned back into the same text: ask for quotes instead of guessing."""
    if not isinstance(value, str):
        raise where.error(f"key '{key}' must be a string: quote it in the YAML", key=key)
    text = value.strip()
    if not text:
        raise where.error(f"missing required key '{key}'", key=key)
    if not (text.isascii() and text.isprintable()):  # it goes into an HTTP header
        raise where.error(f"key '{key}' must be printable ASCII", key=key)
    return text


def _flag(where: ProfileWhere, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise where.error(f"key '{key}' must be true or false", key=key)
    return value


def _symbols(where: ProfileWhere, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise where.error("key 'symbols' must be a list such as [BTC_USDT, ETH_USDT]", key="symbols")
    return tuple(item.strip().upper() for item in value if item.strip())


def _alerts(where: ProfileWhere, value: Any) -> tuple[Any, ...]:
    """`alerts: ["margin_ratio < 3", "BTC.loan > 1"]`, checked now: a typo must not wait
    for the day the alert should have fired."""
    if value is None:
        return ()
    from balctl.alerts import parse_all  # only a profile with alerts pays for the module

    if not isinstance(value, list):
        raise where.error("key 'alerts' must be a list such as [\"margin_ratio < 3\", \"BTC.loan > 1\"]", key="alerts")
    try:
        return parse_all(value, where="key 'alerts'")
    except UsageError as problem:
        raise where.error(problem.message, key="alerts") from None


def check_base_url(path: Path, name: str, value: str) -> str:
    """The loader's `base_url` rule on its own: `balctl init` asks again at once rather than
    refuse the whole profile after the secrets were typed."""
    return _base_url(ProfileWhere(path, name), value)


def _base_url(where: ProfileWhere, value: Any) -> str:
    """https only, except to this machine (the simulator, a local proxy); read as the HTTP
    library will read it (balctl.urls), so the host checked is the host connected to."""
    if not isinstance(value, str):
        raise where.error("key 'base_url' must be a URL", key="base_url")
    try:
        url = parse_base_url(value.strip())
    except UrlRefused as refusal:  # the value is not quoted: it may hold a proxy password
        raise where.error(f"key 'base_url' {refusal}", key="base_url") from None
    redact.add(url.password)  # a proxy's `user:password@` is a secret too
    if url.scheme == "http" and not _is_loopback(url.bare_host):
        raise where.error(f"key 'base_url': plain http is only allowed to a loopback host "
                          f"(not {url.host}); use https://", key="base_url")
    return url.text()


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _refuse_if_writable(path: Path) -> None:
    """Like ssh's StrictModes: a profile file that another local user can write lets them
    point `base_url` at their own server and collect the credentials, wherever the
    credentials come from. Windows has no POSIX modes: its ACLs are not checked."""
    if not has_posix_modes():
        return
    try:
        mode = path.stat().st_mode
    except OSError:
        return  # reading it says why (missing, unreadable)
    if mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise ProfileError(f"{path}: is writable by group or others", hint=f"chmod 600 {path}")


def _refuse_if_shared(path: Path) -> None:
    """A file with literal secrets must not be readable by anyone else (like ssh keys).
    Only where files have POSIX modes: on Windows every file looks world-readable."""
    if not has_posix_modes():
        return
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        raise ProfileError(
            f"{path}: holds literal secrets but is readable by group or others",
            hint=f"chmod 600 {path}",
        )


def _known_exchange(value: Any) -> bool:
    """`exchange:` written as a list or mapping is unhashable: not an exchange, not a crash."""
    return isinstance(value, str) and value in exchanges.EXCHANGES


def _yaml_kind(value: Any) -> str:
    return "list" if isinstance(value, list) else "mapping" if isinstance(value, dict) else type(value).__name__


def _os_reason(exc: Exception) -> str:
    return getattr(exc, "strerror", None) or type(exc).__name__

