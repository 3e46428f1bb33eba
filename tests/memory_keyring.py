"""A keyring backend that keeps passwords in a dict: the tests' keyring, never the machine's.

In-process tests get a fresh one per test (conftest); a balctl subprocess can be given one
with PYTHON_KEYRING_BACKEND=tests.memory_keyring.MemoryKeyring (run from the repository)."""

from __future__ import annotations

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class MemoryKeyring(KeyringBackend):
    """`entries[(service, user)] = password`."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise PasswordDeleteError("no such password")
