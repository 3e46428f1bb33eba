"""--append: whole rows or none, the file back as it was on failure, foreign headers left
alone, a portable lock; and CSV cells a spreadsheet will not execute."""

from __future__ import annotations

import csv
import errno
import json
import os
import subprocess
import sys
import types

import pytest
import responses

from balctl.render import csv as csv_render
from balctl.render.csv import HEADER
from tests.helpers import OKX_PROFILE, invoke

URL = "https://www.okx.com/api/v5/account/balance"
HEADER_LINE = ",".join(HEADER) + "\n"


def okx_body(*details: dict) -> str:
    return json.dumps({"code": "0", "msg": "", "data": [{"totalEq": "1", "details": list(details)}]})


ROWS = [{"ccy": f"C{index}", "eq": f"{index}.5", "availBal": "-1.25"} for index in range(40)]


def run_append(write_config, path, *extra, body=None):
    with responses.RequestsMock() as mock:
        mock.get(URL, body=body or okx_body(*ROWS))
        return invoke("okx", "-c", str(write_config(OKX_PROFILE)), "-o", "csv", "--append", str(path), *extra)


def whole_rows(text: str) -> list[list[str]]:
    assert text.endswith("\n")
    rows = list(csv.reader(text.splitlines()))
    assert all(len(row) == len(HEADER) for row in rows), rows
    return rows


# --- failures leave the file as it was ---------------------------------------------------

@pytest.mark.parametrize("fail_after", [0, 1, 3])
@pytest.mark.parametrize("error", [errno.ENOSPC, errno.EFBIG, errno.EIO])
def test_a_failed_write_truncates_back_and_still_prints_the_data(write_config, tmp_path, monkeypatch,
                                                                  fail_after, error):
    path = tmp_path / "s.csv"
    before = HEADER_LINE + "2026-01-01T00:00:00.000Z,okx,okx,trading,,BTC,1,,,,,,,\n"
    path.write_text(before)
    monkeypatch.setattr(csv_render, "CHUNK_BYTES", 200)
    real_write, calls = os.write, []

    def failing_write(fd, data):
        calls.append(len(data))
        if len(calls) > fail_after:
            real_write(fd, data[: len(data) // 2])  # half a chunk reaches the disk, then it is full
            raise OSError(error, os.strerror(error))
        return real_write(fd, data)

    monkeypatch.setattr(csv_render.os, "write", failing_write)
    result = run_append(write_config, path)
    assert result.exit_code == 2
    assert path.read_text() == before
    assert result.stderr == (f"balctl: cannot append to {path}: {os.strerror(error)} "
                             "(the file is as it was before this run)\n")
    assert len(whole_rows(result.stdout)) == 1 + len(ROWS)  # the data is printed all the same


def test_a_real_file_size_limit_leaves_the_file_as_it_was(simulator, sim_config, tmp_path):
    import resource

    path = tmp_path / "s.csv"
    before = HEADER_LINE + "2026-01-01T00:00:00.000Z,okx,okx,trading,,BTC,1,,,,,,,\n"
    path.write_text(before)
    limit = len(before) + 100  # room for about one row of this run

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    env = {k: v for k, v in os.environ.items() if not k.startswith("BALCTL_")}
    done = subprocess.run([sys.executable, "-m", "balctl", "all", "-c", str(sim_config), "-o", "csv",
                           "--append", str(path)], capture_output=True, text=True, env=env,
                          preexec_fn=small_files, timeout=60)
    assert done.returncode == 2, done.stderr
    assert path.read_text() == before
    assert f"balctl: cannot append to {path}: File too large (the file is as it was before this run)" \
        in done.stderr
    assert len(whole_rows(done.stdout)) > 5  # printed all the same


def test_a_kill_between_writes_leaves_whole_rows(write_config, tmp_path, monkeypatch):
    """A kill cannot be caught; simulated as an exception the append does not handle after
    two chunks: the file holds whole rows only."""
    path = tmp_path / "s.csv"
    monkeypatch.setattr(csv_render, "CHUNK_BYTES", 150)
    real_write, calls = os.write, []

    class Killed(BaseException):
        pass

    def write_then_die(fd, data):
        calls.append(data)
        if len(calls) > 2:
            raise Killed
        return real_write(fd, data)

    monkeypatch.setattr(csv_render.os, "write", write_then_die)
    with pytest.raises(Killed):
        with responses.RequestsMock() as mock:
            mock.get(URL, body=okx_body(*ROWS))
            from balctl.fetch import fetch_snapshot
            from balctl.exchanges import Selection
            from balctl.http import Transport
            from balctl.profiles import load_profiles

            snap = fetch_snapshot(load_profiles(write_config(OKX_PROFILE))["okx"], Selection(), Transport())
            csv_render.append(path, [snap])
    assert all(chunk.endswith(b"\n") for chunk in calls)
    rows = whole_rows(path.read_text())
    assert 1 < len(rows) < 1 + len(ROWS)


@pytest.mark.parametrize("tail", ["2026-01-01T00:00:00.000Z,okx,okx,trading,,BT", "", "x"])
def test_a_file_without_a_final_newline_gets_one_before_the_rows(write_config, tmp_path, tail):
    path = tmp_path / "s.csv"
    path.write_text(HEADER_LINE + tail if tail else HEADER_LINE[:-1])
    result = run_append(write_config, path)
    assert result.exit_code == 0, result.output
    lines = path.read_text().split("\n")
    assert lines[0] == HEADER_LINE[:-1]
    assert (lines[1] == tail) if tail else True
    assert lines[-1] == ""
    assert [line.split(",")[5] for line in lines[-1 - len(ROWS):-1]] == [row["ccy"] for row in ROWS]


@pytest.mark.parametrize("content", [
    "date,asset,amount\n2026-01-01,BTC,1\n",
    HEADER_LINE.replace("usd_value", "usd"),
    HEADER_LINE.replace(",usd_value", ""),
    ",".join(HEADER[:-1]) + ",usd_value,notional\n",
    "\ufeff" + HEADER_LINE,
    "x",
])
def test_a_foreign_header_is_left_untouched(write_config, tmp_path, content):
    path = tmp_path / "s.csv"
    path.write_text(content)
    result = run_append(write_config, path)
    assert result.exit_code == 2
    assert path.read_text() == content
    assert result.stderr == (f"balctl: cannot append to {path}: its first line is not balctl's CSV header "
                             "(another program's file, or an older balctl's columns); nothing written\n"
                             "hint: append to a new file, e.g. --append balances-new.csv\n")
    assert len(whole_rows(result.stdout)) == 1 + len(ROWS)


def test_a_header_saved_with_crlf_is_balcts_header(write_config, tmp_path):
    path = tmp_path / "s.csv"
    path.write_bytes(HEADER_LINE.replace("\n", "\r\n").encode())
    result = run_append(write_config, path)
    assert result.exit_code == 0, result.output
    assert len(whole_rows(path.read_text())) == 1 + len(ROWS)


# --- a portable lock ----------------------------------------------------------------------

def test_the_csv_renderer_imports_without_fcntl():
    code = ("import sys; sys.modules['fcntl'] = None\n"
            "import balctl.render.csv, balctl.runner, balctl.cli\nprint('ok')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, "ok\n", "")


def test_windows_locks_with_msvcrt(write_config, tmp_path, monkeypatch):
    calls = []
    fake = types.SimpleNamespace(LK_LOCK=1, LK_UNLCK=0,
                                 locking=lambda fd, mode, size: calls.append((mode, size, os.lseek(fd, 0, 1))))
    monkeypatch.setitem(sys.modules, "msvcrt", fake)
    monkeypatch.setitem(sys.modules, "fcntl", None)  # as on Windows: importing it would fail
    monkeypatch.setattr(csv_render, "_windows", lambda: True)
    path = tmp_path / "s.csv"
    result = run_append(write_config, path)
    assert result.exit_code == 0, result.output
    assert calls == [(1, 1, 0), (0, 1, 0)]  # locked, then unlocked, both on the first byte
    assert len(whole_rows(path.read_text())) == 1 + len(ROWS)


def test_windows_keeps_waiting_for_a_held_lock_then_gives_up(write_config, tmp_path, monkeypatch):
    attempts = []

    def locking(fd, mode, size):
        attempts.append(mode)
        raise OSError(errno.EDEADLK, "Resource deadlock avoided")  # what LK_LOCK raises after 10 s

    monkeypatch.setitem(sys.modules, "msvcrt", types.SimpleNamespace(LK_LOCK=1, LK_UNLCK=0, locking=locking))
    monkeypatch.setattr(csv_render, "_windows", lambda: True)
    clock = iter(range(0, 1000, 10))
    monkeypatch.setattr(csv_render.time, "monotonic", lambda: next(clock))
    path = tmp_path / "s.csv"
    result = run_append(write_config, path)
    assert result.exit_code == 2
    assert result.stderr == f"balctl: cannot append to {path}: another program holds its lock\n"
    assert len(attempts) == 12  # ~120 s of 10-second waits
    assert path.read_text() == ""


# --- formula injection --------------------------------------------------------------------

@pytest.mark.parametrize("ccy", ['=HYPERLINK("http://0.0.0.0/","x")', "+1+1", "-2+3", "@SUM(A1:A9)",
                                 "=1", "\t=1", "\r=1"])
def test_an_asset_code_that_is_a_formula_is_refused(write_config, tmp_path, ccy):
    path = tmp_path / "s.csv"
    result = run_append(write_config, path, body=okx_body({"ccy": "BTC", "eq": "1"}, {"ccy": ccy, "eq": "1"}))
    assert result.exit_code == 5
    assert result.stdout == ""
    assert result.stderr.startswith("balctl: okx (okx): HTTP 200: expected a currency or symbol code, got ")
    assert not path.exists() or path.read_text() == ""


@pytest.mark.parametrize("name, cell", [("=cmd", "'=cmd"), ("+x", "'+x"), ("-sub", "'-sub"), ("@me", "'@me"),
                                        ("a=b", "a=b")])
def test_a_profile_name_that_looks_like_a_formula_is_written_as_text(write_config, tmp_path, name, cell):
    path = tmp_path / "s.csv"
    config = write_config(OKX_PROFILE.replace("  okx:", f'  "{name}":'))
    with responses.RequestsMock() as mock:
        mock.get(URL, body=okx_body({"ccy": "BTC", "eq": "-1.5", "availBal": "+2"}))
        result = invoke("okx", "-c", str(config), "-p", name, "-o", "csv", "--append", str(path))
    assert result.exit_code == 0, result.output
    for text in (result.stdout, path.read_text()):
        header, row = whole_rows(text)
        assert row[1:7] == [cell, "okx", "trading", "", "BTC", "-1.5"]  # amounts keep their sign
        assert row[7] == "2"
