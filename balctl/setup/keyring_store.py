"""Secrets in the OS keyring, through the optional `keyring` library (`balctl[keyring]`).

A profile value `${keyring:NAME}` is the password stored under service `balctl`, user NAME.
`profiles add --keyring` stores secrets as `<profile>.<key>` (e.g. `main.api_secret`).
The library is imported only when a profile uses it, so everyone else's start-up is unchanged.
"""

from __future__ import annotations

from types import ModuleType

from balctl.errors import ProfileError, ProfileWhere, UsageError, redact

SERVICE = "balctl"
INSTALL_HINT = "pip install 'balctl[keyring]' (or keep the secret in an environment variable)"


def entry_name(profile: str, key: str) -> str:
    """The keyring user name `profiles add --keyring` uses for one secret of a profile."""
    return f"{profile}.{key}"


def reference(name: str) -> str:
    """What the profile file says instead of the secret."""
    return f"${{keyring:{name}}}"


def read_secret(where: ProfileWhere, key: str, name: str) -> str:
    """The secret stored as NAME; a ProfileError (exit 2) naming profile, key and fix when the
    library, a backend or the entry is missing."""
    library = _library(f"{where}: key '{key}' is in the OS keyring ({reference(name)}) "
                       "but the keyring library is not installed", ProfileError)
    try:
        value = library.get_password(SERVICE, name)
    except Exception as exc:  # noqa: BLE001 - a backend's failure is the user's to fix, not a bug
        raise where.error(f"key '{key}': cannot read the OS keyring: {_reason(exc)}", key=key,
                          hint="unlock the keyring, or keep the secret in an environment variable") from None
    if not value:
        raise where.error(
            f"key '{key}': no keyring entry '{name}' under service '{SERVICE}'", key=key,
            hint=f"store it with: keyring set {SERVICE} {name}  (or 'balctl profiles add ... --keyring --force')",
        )
    redact.add(value)
    return value


def peek(name: str) -> str | None:
    """The entry's current value or None (to put it back if a replacement fails)."""
    library = _library("--keyring needs the keyring library, which is not installed", UsageError)
    try:
        return library.get_password(SERVICE, name)
    except Exception as exc:  # noqa: BLE001
        raise UsageError(f"cannot read the OS keyring: {_reason(exc)}",
                         hint="unlock the keyring, or keep the secret in an environment variable") from None


def store_secret(name: str, value: str) -> None:
    """Save one secret (UsageError, exit 2, when no keyring is usable)."""
    library = _library("--keyring needs the keyring library, which is not installed", UsageError)
    try:
        library.set_password(SERVICE, name, value)
    except Exception as exc:  # noqa: BLE001
        raise UsageError(f"cannot write to the OS keyring: {_reason(exc)}",
                         hint="unlock the keyring, or keep the secret in an environment variable") from None


def delete_secret(name: str) -> bool:
    """Remove one entry; False when it was not there (or no keyring library is installed)."""
    try:
        library = _library("", UsageError)
    except UsageError:
        return False
    try:
        library.delete_password(SERVICE, name)
    except Exception:  # noqa: BLE001 - keyring.errors.PasswordDeleteError: nothing to delete
        return False
    return True


def require() -> None:
    """UsageError (exit 2) naming the fix when `--keyring` cannot work here."""
    _library("--keyring needs the keyring library, which is not installed", UsageError)
    if not usable():
        raise UsageError("--keyring: no OS keyring is available on this machine",
                         hint="keep the secrets in environment variables (--api-secret-env ...) or in the file")


def usable() -> bool:
    """Whether the library is installed and has a real backend (not keyring's `fail` one)."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return False
    try:
        backend = keyring.get_keyring()
    except Exception:  # noqa: BLE001 - a broken keyring configuration: not usable
        return False
    return not isinstance(backend, fail.Keyring)


def _library(message: str, error: type[UsageError]) -> ModuleType:
    try:
        import keyring
    except ImportError:
        raise error(message, hint=INSTALL_HINT) from None
    return keyring


def _reason(exc: Exception) -> str:
    """The backend's one-line reason, without the secret (it is never part of the call's text)."""
    text = " ".join(str(exc).split())[:200]
    return redact(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)
