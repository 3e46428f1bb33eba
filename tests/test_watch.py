"""`--watch SECONDS` (issue 13): in a pseudo-terminal, through a pipe, and its rules.

The end-to-end tests run the real command against the session simulator with the shortest
interval allowed (2 s) and stop it with a signal as soon as they have seen what they need.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from balctl.errors import ExitCode, RateLimited, Unavailable, UsageError
from balctl.model import Balance, Failure, Report, Snapshot, Summary
from balctl.simulator import Fault, accounts
from balctl.watch import Change, changes, check, marks, next_pause
from tests.helpers import invoke

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
CSV_HEADER = ("fetched_at,profile,exchange,account,market,asset,total,available,frozen,loan,interest,"
              "position_margin,order_margin,usd_value")


def start(args: list[str], config, *, stdout, stderr=subprocess.PIPE, colour: bool = False) -> subprocess.Popen:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("BALCTL_") and key != "COLUMNS"}  # a pty says its own size
    env["BALCTL_CONFIG"] = str(config)
    if colour:
        env.pop("NO_COLOR", None)
        env["TERM"] = "xterm-256color"
    return subprocess.Popen([sys.executable, "-m", "balctl", *args], stdout=stdout, stderr=stderr,
                            stdin=subprocess.DEVNULL, env=env)


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> int:
    process.send_signal(sig)
    try:
        return process.wait(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()


def moved_okx_body() -> str:
    """The sample OKX account with BTC available up 0.11 and the ETH loan down 0.25."""
    account = accounts.okx_account()
    for detail in account["details"]:
        if detail["ccy"] == "BTC":
            detail["availBal"] = "0.6"
        if detail["ccy"] == "ETH":
            detail["liab"] = "1.25"
    return json.dumps({"code": "0", "data": [account], "msg": ""})


# -- rules --------------------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["okx", "--watch", "1.5"], "--watch 1.5: the interval must be at least 2 seconds"),
    (["all", "-w", "0"], "--watch 0: the interval must be at least 2 seconds"),
    (["xt", "-w", "-5"], "--watch -5: the interval must be at least 2 seconds"),
    (["okx", "-w", "86400.5"], "--watch 86400.5: the interval must be at most 86400 seconds"),
    (["okx", "-w", "1e10"], "--watch 1e10: the interval must be at most 86400 seconds"),
    (["okx", "-w", "1e999"], "--watch 1e999: the interval must be at most 86400 seconds"),
    (["xt", "-w", "nan"], "--watch 'nan': not a number of seconds"),
    (["okx", "-w", "inf"], "--watch 'inf': not a number of seconds"),
    (["okx", "-w", "Infinity"], "--watch 'Infinity': not a number of seconds"),
    (["okx", "-w", "\u0663"], "--watch '\\u0663': not a number of seconds"),          # Arabic-Indic 3
    (["okx", "-w", "\uff15"], "--watch '\\uff15': not a number of seconds"),          # full-width 5
    (["okx", "-w", "1_0"], "--watch '1_0': not a number of seconds"),
    (["okx", "-w", "0x10"], "--watch '0x10': not a number of seconds"),
    (["okx", "-w", ""], "--watch '': not a number of seconds"),
])
def test_an_interval_outside_two_seconds_to_a_day_is_a_usage_error(args, message, sim_config, simulator):
    result = invoke(*args, "-c", str(sim_config))
    assert (result.exit_code, result.stdout, result.stderr) == (ExitCode.USAGE, "", f"balctl: {message}\n")
    assert simulator.log == []


@pytest.mark.parametrize("seconds", ["2", " 30 ", "2.5", "86400", "1e3"])
def test_an_interval_of_two_seconds_to_a_day_is_taken(seconds, sim_config, simulator):
    """Taken: the run gets as far as the output rule, which only a parsed interval reaches."""
    result = invoke("okx", "-w", seconds, "-o", "prometheus", "-c", str(sim_config))
    assert (result.exit_code, result.stderr) == (
        ExitCode.USAGE, "balctl: --watch prints a table, JSON or CSV; for Prometheus use balctl serve\n")
    assert simulator.log == []


def test_watch_help_states_the_range():
    result = invoke("okx", "--help", env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "Fetch again every SECONDS (2 to 86400, a day) until Ctrl-C" in " ".join(result.stdout.split())


def test_watch_does_not_print_prometheus(sim_config):
    result = invoke("coinswitch", "-w", "5", "-o", "prometheus", "-c", str(sim_config))
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr == ("balctl: --watch prints a table, JSON or CSV; for Prometheus use balctl serve\n")


def test_demo_has_no_watch():
    assert invoke("demo", "--watch", "5").exit_code == ExitCode.USAGE


def test_check_accepts_two_seconds_to_a_day():
    check(2, "table")
    check(86400, "csv")
    with pytest.raises(UsageError):
        check(1.999, "json")


@pytest.mark.parametrize("seconds, message", [
    (86400.5, "--watch 86400.5: the interval must be at most 86400 seconds"),
    (float("nan"), "--watch nan: not a number of seconds"),
    (float("inf"), "--watch inf: not a number of seconds"),
])
def test_check_refuses_a_library_callers_absurd_interval(seconds, message):
    with pytest.raises(UsageError) as caught:
        check(seconds, "json")
    assert (caught.value.line(), caught.value.exit_code) == (message, ExitCode.USAGE)


def test_changes_between_two_refreshes():
    old = Snapshot("main", "xt", "lever", T0, Summary(Decimal("100"), Decimal("5"), "USDT",
                                                      margin_ratio=Decimal("3.5")), [
        Balance(asset="BTC", market="BTC_USDT", total=Decimal("1.5"), loan=Decimal("0.1")),
        Balance(asset="USDT", market="BTC_USDT", total=Decimal("10"), frozen=None),
        Balance(asset="GONE", total=Decimal("1")),
    ])
    new = Snapshot("main", "xt", "lever", T0, Summary(Decimal("99.5"), Decimal("5"), "USDT",
                                                      margin_ratio=Decimal("3")), [
        Balance(asset="BTC", market="BTC_USDT", total=Decimal("1.50"), loan=Decimal("0.2")),
        Balance(asset="USDT", market="BTC_USDT", total=Decimal("10.000000000000000001"), frozen=Decimal("1")),
        Balance(asset="NEW", total=Decimal("1")),
    ])
    found = changes(old, new)
    assert found == [
        Change("main", None, None, "equity", Decimal("100"), Decimal("99.5")),
        Change("main", None, None, "margin_ratio", Decimal("3.5"), Decimal("3")),
        Change("main", "BTC_USDT", "BTC", "loan", Decimal("0.1"), Decimal("0.2")),
        Change("main", "BTC_USDT", "USDT", "total", Decimal("10"), Decimal("10.000000000000000001")),
    ]  # 1.5 == 1.50 is no move; a null turning into a value is not one either
    assert [change.where for change in found] == ["main", "main", "main BTC_USDT BTC", "main BTC_USDT USDT"]
    assert marks(found) == (("main", "BTC_USDT", "BTC", "loan", 1), ("main", "BTC_USDT", "USDT", "total", 1))
    assert [change.delta_text() for change in found] == ["-0.5", "-0.5", "+0.1", "+0.000000000000000001"]


def test_rate_limits_stretch_the_interval():
    def report(*errors):
        return Report(T0, [], [Failure.from_error(error.for_account("okx", "okx")) for error in errors])

    assert next_pause(5, 5, report()) == 5
    assert next_pause(5, 5, report(RateLimited("429"))) == 10  # doubled
    assert next_pause(5, 10, report(RateLimited("429"))) == 20
    assert next_pause(5, 5, report(RateLimited("429", retry_after=60))) == 60  # as told
    assert next_pause(5, 5, report(Unavailable("503", retry_after=30))) == 30
    assert next_pause(5, 400, report(RateLimited("429"))) == 600  # capped
    assert next_pause(5, 40, report()) == 5  # and back to normal


# -- through a pipe -----------------------------------------------------------------------

def test_ndjson_through_a_pipe_one_document_per_refresh(sim_config, simulator):
    """An alert fires on every refresh (OKX's sample margin ratio is 35.0972): said on stderr
    and in each document, and the watch goes on."""
    process = start(["okx", "--watch", "2", "-o", "json", "--alert", "margin_ratio < 100"], sim_config,
                    stdout=subprocess.PIPE)
    try:
        first = process.stdout.readline()
        second = process.stdout.readline()
    finally:
        code = stop(process)
    rest = process.stdout.read()
    assert code == 0
    documents = [json.loads(line) for line in (first + second + rest).decode().splitlines()]
    assert len(documents) >= 2
    assert first.endswith(b"}\n") and b"\n" not in first[:-1] and b": " not in first  # compact, one line
    for document in documents:
        assert list(document)[:4] == ["profile", "exchange", "account", "fetched_at"]
        assert document["summary"]["equity"] == "44981.079513297616"
        assert len(document["alerts"]) == 1
    assert documents[0]["fetched_at"] < documents[1]["fetched_at"]
    alert = "balctl: alert: okx (okx): margin_ratio 35.0972 < 100\n"
    assert process.stderr.read().decode() == alert * len(documents)
    assert sum(1 for entry in simulator.log if entry.endpoint == "balance") == len(documents)


def test_csv_through_a_pipe_header_once_and_every_refresh_appended(sim_config, simulator, tmp_path):
    """Two accounts, a refresh where one of them fails (a line on stderr, the watch goes on),
    and --append written on every refresh."""
    appended, db = tmp_path / "rows.csv", tmp_path / "history.sqlite"
    simulator.add_fault(Fault("refuse", times=1), exchange="xt")  # the first refresh's XT fails
    process = start(["all", "-p", "okx", "-p", "xt", "-w", "2", "-o", "csv", "--append", str(appended),
                     "--record", "--db", str(db)], sim_config, stdout=subprocess.PIPE)
    okx_rows, xt_rows = 4, 4
    try:
        lines = [process.stdout.readline() for _ in range(1 + okx_rows + okx_rows + xt_rows)]
    finally:
        code = stop(process)
    lines += process.stdout.readlines()
    assert code == 0
    text = b"".join(lines).decode()
    rows = [(row[1], row[5]) for row in csv.reader(io.StringIO(text))]
    assert text.startswith(CSV_HEADER + "\n")
    assert text.count(CSV_HEADER) == 1
    okx = [("okx", asset) for asset in ("USDT", "BTC", "ETH", "SOL")]  # OKB, holding nothing, is not sent
    xt = [("xt", "BTC"), ("xt", "USDT"), ("xt", "ETH"), ("xt", "USDT")]
    assert rows[1:1 + okx_rows + okx_rows + xt_rows] == okx + okx + xt  # XT failed the first time
    assert (len(rows) - 1 - okx_rows) % (okx_rows + xt_rows) == 0  # only whole refreshes after
    assert appended.read_text() == text  # --append got exactly the rows of every refresh
    with sqlite3.connect(db) as connection:  # --record: one run per refresh
        runs = connection.execute("SELECT count(*) FROM runs").fetchone()[0]
    assert runs == 1 + (len(rows) - 1 - okx_rows) // (okx_rows + xt_rows)
    errors = process.stderr.read().decode()
    assert errors.startswith("balctl: xt (xt): ") and errors.count("\n") >= 1


def test_table_through_a_pipe_prints_each_refresh(sim_config, simulator):
    process = start(["coinswitch", "-w", "2"], sim_config, stdout=subprocess.PIPE)
    seen = b""
    try:
        deadline = time.monotonic() + 20
        while seen.count("coinswitch · coinswitch · futures".encode()) < 2 and time.monotonic() < deadline:
            seen += process.stdout.readline()
    finally:
        code = stop(process, signal.SIGINT)
    seen += process.stdout.read()
    assert code == 0
    assert seen.count("coinswitch · coinswitch · futures".encode()) >= 2
    assert b"\x1b" not in seen  # not a terminal: no redraw, no escape codes


# -- in a pseudo-terminal -----------------------------------------------------------------

class Terminal:
    """A pty of 120 x 50 that the command writes to; what it writes is collected."""

    def __init__(self) -> None:
        import fcntl
        import pty
        import struct
        import termios

        self.master, self.slave = pty.openpty()
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 120, 0, 0))
        self.data = bytearray()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.data.extend(chunk)

    def raw(self) -> str:
        return bytes(self.data).decode("utf-8", "replace")

    def text(self) -> str:
        """What was written without its colours and styles (cursor moves stay)."""
        return re.sub(r"\x1b\[[0-9;]*m", "", self.raw())

    def wait_for(self, predicate, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self.text()):
                return self.text()
            time.sleep(0.05)
        raise AssertionError(f"not seen on the terminal in {timeout} s:\n{self.text()[-3000:]}")

    def close(self) -> None:
        os.close(self.slave)
        time.sleep(0.1)
        os.close(self.master)


def test_watch_in_a_terminal_redraws_marks_changes_survives_a_failure_and_stops_on_ctrl_c(
        sim_config, simulator):
    terminal = Terminal()
    process = start(["okx", "-w", "2"], sim_config, stdout=terminal.slave, stderr=terminal.slave, colour=True)
    try:
        terminal.wait_for(lambda text: "SOL" in text and "last refresh" in text)  # SOL: the last row
        simulator.add_fault(Fault("bad_shape", body=moved_okx_body(), times=1), exchange="okx")
        moved = terminal.wait_for(lambda text: "▲ okx BTC available" in text)
        simulator.add_fault(Fault("refuse", times=1), exchange="okx")
        failed = terminal.wait_for(lambda text: "refresh failed" in text
                                   and "SOL" in text[text.rindex("refresh failed"):])
        code = stop(process, signal.SIGINT)
    finally:
        if process.poll() is None:
            process.kill()
        terminal.close()
    assert code == 0
    assert "\x1b[1A\x1b[2K" in moved  # the display is redrawn in place (cursor up, erase line)
    assert re.search(r"\x1b\[[0-9;]*32m▲ ", terminal.raw())  # up in green
    assert re.search(r"\x1b\[[0-9;]*31m▼ ", terminal.raw())  # down in red
    moved_frame = terminal.raw()[:terminal.raw().index("▼")]
    moved_frame = terminal.raw()[moved_frame.rindex("every 2 s"):]
    assert re.search(r"│ BTC .*\x1b\[1;32m0\.6\x1b\[0m", moved_frame)  # the cell itself, bold green
    assert re.search(r"│ ETH .*\x1b\[1;31m1\.25\x1b\[0m", moved_frame)  # and bold red
    frame = moved[moved.rindex("every 2 s"):]
    assert "▲ okx BTC available +0.11  (0.49 → 0.6)" in frame
    assert "▼ okx ETH loan -0.25  (1.5 → 1.25)" in frame
    last = failed[failed.rindex("every 2 s"):]
    assert re.search(r"refresh failed: okx \(okx\): .*\[50111\] \(showing the data of \d\d:\d\d:\d\d\)\r\n", last)
    assert "ETH" in last and "SOL" in last  # the last good table stays on screen
    assert "Traceback" not in terminal.text()
