"""Base URLs read exactly as the HTTP library will connect, and shown without secrets.

Two URL parsers can disagree about where the host is: `http://evil:1\\@127.0.0.1` is host
127.0.0.1 to `urllib.parse` but host `evil` to urllib3 (and so to requests), which would
send the signed headers in cleartext to the wrong machine. Rather than pick one parser and
hope, a base URL must fit a strict grammar on which every parser agrees: scheme, optional
`user:password@`, a host made of letters, digits, dots and dashes (or a bracketed IPv6
address), an optional port and a plain path. No backslash, whitespace, control character,
`%` or `@` in the host part, no query, no fragment. tests/test_urls.py checks that the
host we read is the host `urllib3.util.parse_url` reads for every accepted URL.

No import of urllib3 here: `balctl profiles` and shell completion read base URLs too, and
must not pay for loading the HTTP stack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MASK = "****"

_USERINFO = r"[A-Za-z0-9._~!$&'()*+,;=:-]|%[0-9A-Fa-f]{2}"
_PATH = r"[A-Za-z0-9._~!$&'()*+,;=:/-]|%[0-9A-Fa-f]{2}"
BASE_URL = re.compile(
    rf"(?P<scheme>[A-Za-z]+)://"
    rf"(?:(?P<userinfo>(?:{_USERINFO})*)@)?"
    r"(?P<host>[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])"
    r"(?::(?P<port>[0-9]{1,5}))?"
    rf"(?P<path>/(?:{_PATH})*)?",
)
AUTHORITY_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)([^/?#\\]*)@")
"""The `user:password@` of any URL, as urllib3 finds it (the last `@` before the path)."""


@dataclass(frozen=True)
class BaseUrl:
    """A base URL split into the parts the HTTP library will use."""

    scheme: str
    userinfo: str | None
    host: str
    port: int | None
    path: str

    @property
    def password(self) -> str | None:
        if self.userinfo is None or ":" not in self.userinfo:
            return None
        return self.userinfo.partition(":")[2] or None

    @property
    def bare_host(self) -> str:
        """The host without IPv6 brackets, lower-cased (for the loopback check)."""
        return self.host.strip("[]").lower()

    def text(self) -> str:
        """The URL to send requests to (with any userinfo: requests turns it into Basic auth)."""
        userinfo = f"{self.userinfo}@" if self.userinfo is not None else ""
        return f"{self.scheme}://{userinfo}{self._host_port()}{self.path}"

    def display(self) -> str:
        """The URL as shown to people: the host it connects to, never the userinfo."""
        userinfo = f"{MASK}@" if self.userinfo is not None else ""
        return f"{self.scheme}://{userinfo}{self._host_port()}{self.path}"

    def _host_port(self) -> str:
        return self.host + (f":{self.port}" if self.port is not None else "")


class UrlRefused(ValueError):
    """Why a base URL is refused; the message never quotes the URL (it may hold a password)."""


def parse_base_url(text: str) -> BaseUrl:
    """Split a base URL, or raise `UrlRefused` saying which rule it breaks."""
    if any(not (" " < char < "\x7f") for char in text):
        raise UrlRefused("holds whitespace, control or non-ASCII characters")
    if "\\" in text:
        raise UrlRefused("holds a backslash (parsers disagree on where its host is)")
    if "?" in text or "#" in text:
        raise UrlRefused("has a query or fragment (a base URL is scheme, host, port and path)")
    match = BASE_URL.fullmatch(text)
    if match is None:
        raise UrlRefused("is not an http(s) URL such as https://www.okx.com")
    scheme = match["scheme"].lower()
    if scheme not in ("http", "https"):
        raise UrlRefused("is not an http(s) URL such as https://www.okx.com")
    port = int(match["port"]) if match["port"] else None
    if port is not None and not 0 < port < 65536:
        raise UrlRefused("has a port outside 1-65535")
    return BaseUrl(scheme=scheme, userinfo=match["userinfo"], host=match["host"].lower(),
                   port=port, path=(match["path"] or "").rstrip("/"))


def without_userinfo(url: str) -> str:
    """Any URL with its `user:password@` masked, for logs and messages; a URL we did not
    build (a Location header) may not parse at all, so this never raises."""
    return AUTHORITY_USERINFO.sub(lambda m: f"{m.group(1)}{MASK}@", url, count=1)
