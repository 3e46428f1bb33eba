"""balctl.deferred: requests' character-set detector is loaded only when something uses it.

Each case runs in a fresh interpreter (pytest has imported requests, and the detector with
it, long before any test runs), with warnings as errors so that requests' check of the
detector's version would fail the run if the stand-in told it anything wrong.
"""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import types

import pytest

from balctl import deferred


def run_python(code: str) -> list[str]:
    """Lines a fresh interpreter prints running `code` with warnings as errors."""
    done = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout.splitlines()


def test_importing_balctl_http_leaves_the_detector_unloaded():
    lines = run_python(
        "import sys, balctl.http, requests\n"
        "print(type(sys.modules['charset_normalizer']).__name__)\n"
        "print(sorted(m for m in sys.modules if m.startswith('charset_normalizer.')))\n"
        "print(requests.compat.chardet.__version__)\n")
    assert lines == ["DeferredModule", "[]", importlib.metadata.version("charset-normalizer")]


def test_the_real_detector_answers_when_requests_needs_it():
    lines = run_python(
        "import sys, balctl.http, requests\n"
        "answer = requests.models.Response()\n"
        "answer._content = 'Grüße aus Köln, schöne Straße'.encode('utf-8')\n"
        "print(answer.apparent_encoding, answer.text)\n"
        "print(type(sys.modules['charset_normalizer']).__name__, 'charset_normalizer.api' in sys.modules)\n")
    assert lines == ["utf-8 Grüße aus Köln, schöne Straße", "module True"]


def test_a_submodule_and_a_from_import_reach_the_real_detector():
    lines = run_python(
        "import sys, balctl.http, importlib.util\n"
        "print(importlib.util.find_spec('charset_normalizer').name)\n"
        "from charset_normalizer import from_bytes\n"
        "print(str(from_bytes('Grüße'.encode('utf-8')).best()))\n"
        "import charset_normalizer.api\n"
        "print(charset_normalizer.api.from_bytes is from_bytes)\n")
    assert lines == ["charset_normalizer", "Grüße", "True"]


def test_nothing_is_deferred_once_requests_is_imported(monkeypatch):
    """Too late: requests holds the real detector already, a stand-in would only be a second copy."""
    monkeypatch.delitem(sys.modules, deferred.DETECTOR, raising=False)
    monkeypatch.setitem(sys.modules, "requests", types.ModuleType("requests"))
    deferred.defer_charset_detection()
    assert deferred.DETECTOR not in sys.modules


@pytest.mark.parametrize("version_file, expected", [
    ('"""Expose version"""\n\n__version__ = "3.4.7"\nVERSION = __version__.split(".")\n', "3.4.7"),
    ("__version__ = '3.4.7'\n", None),  # not the line the detector writes: no stand-in
    ("VERSION = (3, 4, 7)\n", None),
    (None, None),
])
def test_the_version_is_read_from_the_detectors_own_file_or_not_at_all(tmp_path, version_file, expected):
    package = tmp_path / "charset_normalizer"
    package.mkdir()
    (package / "__init__.py").write_text("")
    if version_file is not None:
        (package / "version.py").write_text(version_file)
    spec = types.SimpleNamespace(submodule_search_locations=[str(package)])
    assert deferred.detector_version(spec) == expected


def test_the_stand_in_answers_its_own_attributes_and_loads_the_module_for_others(tmp_path, monkeypatch):
    package = tmp_path / "balctl_test_lazy"
    package.mkdir()
    (package / "__init__.py").write_text("LOADED = True\nVALUE = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib.util

    spec = importlib.util.find_spec("balctl_test_lazy")
    stand_in = deferred.DeferredModule(spec, __version__="1.0")
    monkeypatch.setitem(sys.modules, "balctl_test_lazy", stand_in)
    assert (stand_in.__version__, stand_in.__name__, stand_in.__spec__ is spec) == ("1.0", "balctl_test_lazy", True)
    assert type(sys.modules["balctl_test_lazy"]) is deferred.DeferredModule  # nothing loaded yet
    assert stand_in.VALUE == 42
    assert type(sys.modules["balctl_test_lazy"]) is types.ModuleType and sys.modules["balctl_test_lazy"].LOADED



def test_the_real_import_runs_under_the_lock_and_every_thread_gets_the_module(tmp_path, monkeypatch):
    """Unlocked, a thread that had seen the stand-in could take the real module out of
    `sys.modules` while another thread was still importing it (a KeyError inside the import
    system, seen about once in 400 runs of 64 threads): the import must run under the lock."""
    package = tmp_path / "balctl_test_locked"
    package.mkdir()
    (package / "__init__.py").write_text(
        "import time\nfrom balctl import deferred\nLOCKED = deferred._LOADING._is_owned()\n"
        "time.sleep(0.05)  # other threads run meanwhile\nVALUE = 41\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib.util
    import threading

    stand_in = deferred.DeferredModule(importlib.util.find_spec("balctl_test_locked"))
    monkeypatch.setitem(sys.modules, "balctl_test_locked", stand_in)
    seen: list[object] = []
    threads = [threading.Thread(target=lambda: seen.append((stand_in.VALUE, stand_in.LOCKED))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [(41, True)] * 8
    assert sys.modules["balctl_test_locked"].VALUE == 41 and "VALUE" in dir(stand_in)
