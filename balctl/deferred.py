"""requests' character-set detector, loaded only if something uses it (issue 16).

Importing requests imports a character-set detector (charset_normalizer): about 25 ms, a
tenth of a whole fetch. requests uses it for one thing, guessing the encoding of an answer
whose server named none, when `Response.text` or `Response.apparent_encoding` is read.
balctl never reads either: it takes the answer's bytes and decodes the JSON itself
(balctl.http). So before balctl imports requests, `defer_charset_detection()` puts a
stand-in under the detector's name. The stand-in knows the detector's version (requests
checks it at import) and imports the real detector the first time anything else is asked
of it, so whatever does use detection, in balctl or in a library sharing the process, gets
the real detector, one import later.

Where the stand-in cannot be exact it is not installed: when requests or the detector is
already imported, or the detector's version cannot be read from its own files.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import re
import sys
import threading
import types
from pathlib import Path

DETECTOR = "charset_normalizer"
_LOADING = threading.RLock()
"""Held while a stand-in imports its real module (re-entrant: that import may use it)."""
VERSION_LINE = re.compile(r'^__version__ = "([0-9][0-9A-Za-z.+-]*)"$', re.MULTILINE)


class DeferredModule(types.ModuleType):
    """A module that imports the real one, and answers from it, on first use.

    It answers without importing only for what is given up front: the spec and package
    path (which the import system reads on every `import NAME` and `from NAME import x`)
    and the `known` attributes. `__loader__` and `__package__` are removed, so that
    anything asking for them (`repr`, a reload) loads the real module.
    """

    def __init__(self, spec: importlib.machinery.ModuleSpec, **known: object) -> None:
        super().__init__(spec.name)
        del self.__loader__, self.__package__
        self.__spec__ = spec
        if spec.submodule_search_locations is not None:
            self.__path__ = list(spec.submodule_search_locations)
        self.__dict__.update(known)

    def __getattr__(self, attribute: str) -> object:
        return getattr(self._loaded(), attribute)

    def __dir__(self) -> list[str]:
        return dir(self._loaded())

    def _loaded(self) -> types.ModuleType:
        """The real module, imported by whichever thread asks first. Under a lock: a second
        thread must not take the module out of `sys.modules` while the first one imports it."""
        name = self.__dict__["__name__"]
        with _LOADING:
            if sys.modules.get(name) is self:
                del sys.modules[name]
            return importlib.import_module(name)


def defer_charset_detection() -> None:
    """Put the stand-in for requests' detector in place, when it can be exact (see above)."""
    if "requests" in sys.modules or DETECTOR in sys.modules:
        return
    try:
        spec = importlib.util.find_spec(DETECTOR)  # a top-level package: this imports nothing
    except (ImportError, ValueError):
        return
    version = detector_version(spec) if spec is not None else None
    if spec is not None and version is not None:
        sys.modules[DETECTOR] = DeferredModule(spec, __version__=version)


def detector_version(spec: importlib.machinery.ModuleSpec) -> str | None:
    """The detector's `__version__`, read from its `version.py` without importing it; None
    when the file or the line is not where it should be."""
    for folder in spec.submodule_search_locations or ():
        try:
            text = (Path(folder) / "version.py").read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        found = VERSION_LINE.search(text)
        if found:
            return found.group(1)
    return None
