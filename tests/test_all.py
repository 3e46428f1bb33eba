"""`balctl all` and cron snapshots, against the simulator (docs/contract.md, Commands; Output; Exit codes)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

from balctl.render.csv import HEADER
from balctl.simulator import Fault
from tests.helpers import invoke, run_balctl

PROFILES = ["okx", "okx-demo", "xt", "coinswitch", "okx-margin", "okx-spot"]


def test_all_prints_every_profile_in_file_order(simulator, sim_config):
    # the first profile is the slowest: output order must still be the file's
    simulator.add_fault(Fault("latency", seconds=0.3), exchange="okx")
    result = invoke("all", "-c", str(sim_config), "-o", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert list(document) == ["fetched_at", "accounts", "errors", "warnings", "alerts"]
    assert [a["profile"] for a in document["accounts"]] == PROFILES
    assert [a["account"] for a in document["accounts"]] == ["trading", "trading", "lever", "futures", "trading",
                                                            "trading"]
    assert document["errors"] == []
    assert document["warnings"] == []
    assert result.stderr == ""
    assert all(entry.verified for entry in simulator.log if entry.endpoint == "balance")


def test_repeated_profile_option_picks_a_subset(simulator, sim_config):
    result = invoke("all", "-c", str(sim_config), "-o", "csv", "-p", "coinswitch", "-p", "okx")
    assert result.exit_code == 0, result.stderr
    profiles = [row["profile"] for row in csv.DictReader(io.StringIO(result.stdout))]
    assert profiles[0] == "okx" and profiles[-1] == "coinswitch"  # file order, not -p order
    assert set(profiles) == {"okx", "coinswitch"}


def test_unknown_profile_in_subset_is_a_usage_error(sim_config):
    result = invoke("all", "-c", str(sim_config), "-p", "nope")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"balctl: {sim_config}: no profile named 'nope' (have: okx, okx-demo")


def test_partial_failure_prints_the_good_accounts_and_exits_6(simulator, sim_config):
    simulator.add_fault(Fault("refuse"), exchange="xt")
    result = invoke("all", "-c", str(sim_config), "-o", "json")
    assert result.exit_code == 6
    document = json.loads(result.stdout)
    assert [a["profile"] for a in document["accounts"]] == ["okx", "okx-demo", "coinswitch", "okx-margin", "okx-spot"]
    [error] = document["errors"]
    assert error["profile"] == "xt" and error["exchange"] == "xt"
    assert (error["kind"], error["code"]) == ("auth", "AUTH_101")
    assert result.stderr.splitlines()[0] == f"balctl: xt (xt): {error['message']} [AUTH_101]"


def test_every_account_failing_the_same_way_exits_with_that_code(simulator, sim_config):
    simulator.add_fault(Fault("refuse"))
    result = invoke("all", "-c", str(sim_config), "-o", "json")
    assert result.exit_code == 3
    document = json.loads(result.stdout)
    assert document["accounts"] == []
    assert [e["profile"] for e in document["errors"]] == PROFILES


def test_every_account_failing_differently_exits_6(simulator, sim_config):
    simulator.add_fault(Fault("refuse"), exchange="okx")
    simulator.add_fault(Fault("bad_shape"), exchange="xt")
    simulator.add_fault(Fault("bad_shape"), exchange="coinswitch")
    result = invoke("all", "-c", str(sim_config), "-o", "csv")
    assert result.exit_code == 6
    assert result.stdout == ""  # nothing fetched, nothing printed
    errors = [line for line in result.stderr.splitlines() if line.startswith("balctl: ")]
    assert [line.split(" ")[1] for line in errors] == ["okx", "okx", "xt", "coinswitch", "okx", "okx"]


def test_table_has_one_table_per_account_and_totals_per_unit(simulator, sim_config):
    result = invoke("all", "-c", str(sim_config), "-p", "okx", "-p", "xt", "-p", "coinswitch")
    assert result.exit_code == 0, result.stderr
    titles = [line for line in result.stdout.splitlines() if " · " in line]
    assert titles == ["okx · okx · trading", "xt · xt · lever", "coinswitch · coinswitch · futures",
                      "coinswitch · coinswitch · by market"]
    totals = result.stdout[result.stdout.index("Totals"):]
    document = json.loads(invoke("all", "-c", str(sim_config), "-o", "json").stdout)
    by_unit = {}
    for account in document["accounts"]:
        if account["profile"] in ("okx-demo", "okx-margin", "okx-spot"):  # not in the table's -p list
            continue
        by_unit.setdefault(account["summary"]["unit"], []).append(account["summary"]["equity"])
    from decimal import Decimal

    for unit, equities in by_unit.items():
        line = next(line for line in totals.splitlines() if f" {unit} " in line)
        assert format(sum(map(Decimal, equities)), ",.2f") in line  # USD and USDT in cents


def test_twenty_processes_appending_at_once_leave_one_header_and_whole_rows(simulator, sim_config, tmp_path):
    """The test holds the file's lock while 20 runs fetch: none may write until it lets go,
    then each writes its rows whole, and exactly one writes the header."""
    import fcntl
    import os
    import time

    snapshots = tmp_path / "snapshots.csv"
    snapshots.write_text("")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("BALCTL_")},
           "BALCTL_CONFIG": str(sim_config)}
    with open(snapshots, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        processes = [
            subprocess.Popen([sys.executable, "-m", "balctl", "okx", "-o", "csv", "--append", str(snapshots)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
            for _ in range(20)
        ]
        deadline = time.monotonic() + 60
        while len([e for e in simulator.log if e.endpoint == "balance"]) < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # every run has fetched and is at the lock by now
        assert snapshots.read_text() == ""
        assert all(process.poll() is None for process in processes)  # all waiting
        fcntl.flock(held, fcntl.LOCK_UN)
    for process in processes:
        assert process.wait(timeout=120) == 0, process.stderr.read()
    lines = snapshots.read_text().split("\n")
    assert lines[-1] == ""  # ends with a newline: no half line
    lines = lines[:-1]
    assert lines.count(",".join(HEADER)) == 1 and lines[0] == ",".join(HEADER)
    rows = list(csv.reader(lines[1:]))
    assert all(len(row) == len(HEADER) for row in rows)
    assert len(rows) % 20 == 0 and len(rows) // 20 >= 4
    # each run's rows are contiguous: group consecutive equal fetched_at stamps; every group
    # is whole runs (two runs may share a millisecond, but never interleave)
    rows_per_run = len(rows) // 20
    groups = [1]
    for previous, row in zip(rows, rows[1:]):
        if row[0] == previous[0]:
            groups[-1] += 1
        else:
            groups.append(1)
    assert all(size % rows_per_run == 0 for size in groups), groups


def test_cron_line_in_a_subprocess_appends_and_prints_nothing_on_stderr(simulator, sim_config, tmp_path):
    snapshots = tmp_path / "s.csv"
    done = run_balctl("all", "-o", "csv", "--append", str(snapshots), config=sim_config)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout == snapshots.read_text()


def test_progress_shows_on_a_terminal_stderr_only(simulator, sim_config):
    """`fetching n/N accounts…` on stderr when it is a terminal; stdout stays data only."""
    import os
    import pty

    simulator.add_fault(Fault("latency", seconds=0.2))
    leader, follower = pty.openpty()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("BALCTL_")},
           "BALCTL_CONFIG": str(sim_config)}
    process = subprocess.Popen([sys.executable, "-m", "balctl", "all", "-o", "csv"],
                               stdout=subprocess.PIPE, stderr=follower, env=env)
    os.close(follower)
    stdout, _ = process.communicate(timeout=60)
    terminal = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the child closed its end
            break
        if not chunk:
            break
        terminal += chunk
    os.close(leader)
    assert process.returncode == 0
    assert b"fetching 0/6 accounts" in terminal and b"fetching 6/6 accounts" in terminal
    assert terminal.endswith(b"\r\x1b[K")  # erased before the output
    assert stdout.startswith(b"fetched_at,") and b"fetching" not in stdout

    piped = run_balctl("all", "-o", "csv", config=sim_config)
    assert piped.stderr == ""  # not a terminal: no progress


def test_an_exchange_message_quoting_a_secret_is_redacted_in_json_errors(simulator, sim_config):
    passphrase = simulator.credentials["okx"]["passphrase"]
    simulator.add_fault(Fault("error_code", code="51000", message=f"bad passphrase {passphrase}"), exchange="okx")
    result = invoke("all", "-c", str(sim_config), "-o", "json", "-p", "okx", "-p", "xt")
    assert result.exit_code == 6
    [error] = json.loads(result.stdout)["errors"]
    assert error["message"] == "bad passphrase ****"
    assert passphrase not in result.output
