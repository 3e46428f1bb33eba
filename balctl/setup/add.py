"""`profiles add` / `profiles remove` as library calls: what the new profile's block says,
where each secret goes (an environment reference, the OS keyring, or the file), and the
order that keeps a refused profile from leaving anything behind.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from balctl import exchanges
from balctl.errors import UsageError
from balctl.setup import keyring_store, writer

ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
SECRET_KEYS = ("api_secret", "passphrase")


@dataclass
class NewProfile:
    """Everything `profiles add` was told; secrets arrive separately (never as options)."""

    name: str
    exchange: str
    api_key: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    """Profile key -> environment variable the file refers to instead of a value."""
    keyring: bool = False
    symbols: list[str] = field(default_factory=list)
    base_url: str | None = None
    demo: bool = False

    def check(self) -> None:
        """Combinations that cannot make a valid profile: a usage error before any prompt."""
        writer.check_name(self.name)
        if self.exchange not in exchanges.EXCHANGES:
            raise UsageError(f"--exchange: unknown exchange {self.exchange!r} (one of: {', '.join(exchanges.EXCHANGES)})")
        allowed = self.keys()
        for key, variable in self.env.items():
            if key not in allowed:
                raise UsageError(f"{self.exchange} profiles have no {key}: drop --{key.replace('_', '-')}-env")
            if not ENV_NAME.fullmatch(variable):
                raise UsageError(f"--{key.replace('_', '-')}-env: {variable!r} is not an environment variable name")
        if self.api_key is not None and "api_key" in self.env:
            raise UsageError("give the API key once: --api-key or --api-key-env")
        if self.demo and self.exchange != "okx":
            raise UsageError("--demo is for OKX profiles only")
        if self.symbols and self.exchange != "xt":
            raise UsageError("--symbols is for XT profiles only")
        if self.keyring and not self.to_read(secrets_only=True):
            raise UsageError("--keyring: every secret is an environment variable already; nothing to store")

    def keys(self) -> tuple[str, ...]:
        """The credential keys this exchange's profiles have."""
        return ("api_key", "api_secret") + (("passphrase",) if self.exchange == "okx" else ())

    def to_read(self, *, secrets_only: bool = False) -> list[str]:
        """The values to prompt for (or read from stdin), in the documented order."""
        keys = [key for key in self.keys() if key not in self.env]
        if self.api_key is not None or secrets_only:
            keys = [key for key in keys if key != "api_key"]
        return keys

    def entry(self, values: Mapping[str, str], *, literal: bool = False) -> dict[str, Any]:
        """The profile's block, keys in the example file's order. With `literal`, secrets
        bound for the keyring are written as values (the check before anything is stored)."""
        block: dict[str, Any] = {"exchange": self.exchange}
        for key in self.keys():
            if key in self.env:
                block[key] = writer.Verbatim(f"${{{self.env[key]}}}")
            elif key == "api_key" and self.api_key is not None:
                block[key] = self.api_key
            elif self.keyring and key in SECRET_KEYS and not literal:
                block[key] = writer.Verbatim(keyring_store.reference(keyring_store.entry_name(self.name, key)))
            else:
                block[key] = values[key]
        if self.exchange == "okx" and self.demo:
            block["demo"] = True
        if self.symbols:
            block["symbols"] = list(self.symbols)
        if self.base_url:
            block["base_url"] = writer.Verbatim(self.base_url)  # may refer to ${VAR}s: a proxy password
        return block


def add(path: Path, spec: NewProfile, values: Mapping[str, str], *, force: bool = False,
        environ: Mapping[str, str] = os.environ) -> writer.Written:
    """Write the profile; keyring secrets are stored only after the profile passed the file's
    rules with their values in place, and put back as they were if the write then fails."""
    if not spec.keyring:
        return writer.add_profile(path, spec.name, spec.entry(values), force=force, environ=environ)
    writer.add_profile(path, spec.name, spec.entry(values, literal=True), force=force, environ=environ,
                       dry_run=True)
    stored = {key: keyring_store.entry_name(spec.name, key) for key in SECRET_KEYS if key in values}
    previous = {entry: keyring_store.peek(entry) for entry in stored.values()}
    try:
        for key, entry in stored.items():
            keyring_store.store_secret(entry, values[key])
        return writer.add_profile(path, spec.name, spec.entry(values), force=force, environ=environ)
    except BaseException:
        for entry, value in previous.items():
            if value is None:
                keyring_store.delete_secret(entry)
            else:
                keyring_store.store_secret(entry, value)
        raise


def remove(path: Path, name: str, *, environ: Mapping[str, str] = os.environ) -> list[str]:
    """Remove the profile, then the keyring entries only it referred to; returns those."""
    entries = keyring_entries(path, name)
    writer.remove_profile(path, name, environ=environ)
    still_used = {entry for other in profile_names(path) for entry in keyring_entries(path, other)}
    return [entry for entry in entries if entry not in still_used and keyring_store.delete_secret(entry)]


def keyring_entries(path: Path, name: str) -> list[str]:
    """The `${keyring:NAME}` entries profile `name` refers to, from the file's raw YAML."""
    from balctl.profiles import KEYRING_REFERENCE

    body = _raw_profiles(path).get(name)
    if not isinstance(body, dict):
        return []
    found = (KEYRING_REFERENCE.fullmatch(value.strip()) for value in body.values() if isinstance(value, str))
    return [match.group(1) for match in found if match]


def profile_names(path: Path) -> list[str]:
    """The names in the file (broken profiles too); [] when there is no readable file."""
    return [str(name) for name in _raw_profiles(path)]


def _raw_profiles(path: Path) -> dict[Any, Any]:
    import yaml

    try:
        document = yaml.safe_load(Path(os.path.realpath(path)).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    section = document.get("profiles") if isinstance(document, dict) else None
    return section if isinstance(section, dict) else {}
