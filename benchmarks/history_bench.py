"""The history at scale (issue 12): a year of hourly runs over 20 accounts of 20 assets.

    .venv/bin/python benchmarks/history_bench.py [--runs 7] [--keep PATH [--reuse]]

Builds the database (8,760 runs, 175,200 snapshots, 3,504,000 balance rows, each row with
a small native JSON like XT's) with executemany in one transaction, in a temporary
directory that is removed at the end (--keep leaves it at PATH). Then, as medians of
interleaved rounds of the real command in a subprocess, next to `balctl --version` measured
in the same rounds as the baseline (interpreter + Typer start-up):

- `balctl history` over the last 30 days: equity (table with chart, and JSON), and a row
  field (`--field total --asset BTC`). Target: under 1 s.
- What `--record` adds to a run: `balctl all -o json` over 20 simulator accounts of 20
  assets, without and with `--record` into the big database (target: under 20 ms), and
  `record_run` alone, in-process, for the same run.
- The file's size.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from balctl.history.store import BALANCE_COLUMNS, SNAPSHOT_COLUMNS, connect, record_run
from balctl.model import AMOUNT_FIELDS, Balance, Snapshot, Summary, iso_millis

PYTHON = sys.executable
HOURS = 365 * 24
ACCOUNTS = 20
ASSETS = ["BTC", "ETH", "USDT", "USDC", "SOL", "XRP", "ADA", "DOGE", "TRX", "DOT",
          "LINK", "LTC", "BCH", "AVAX", "ATOM", "XLM", "ETC", "FIL", "APT", "NEAR"]


def build(path: Path, end: datetime) -> float:
    """The year of history, ending at `end`; returns the seconds it took."""
    started = time.perf_counter()
    connection = connect(path, create=True)  # the real schema, migrations and indexes
    connection.execute("PRAGMA synchronous = OFF")  # a bulk load for a benchmark, not a cron run
    rng = random.Random(12)
    start = end - timedelta(hours=HOURS - 1)
    snapshot_columns = ", ".join(("id", *SNAPSHOT_COLUMNS))
    balance_columns = ", ".join(BALANCE_COLUMNS)
    snapshot_sql = f"INSERT INTO snapshots ({snapshot_columns}) VALUES ({', '.join('?' * (len(SNAPSHOT_COLUMNS) + 1))})"
    balance_sql = f"INSERT INTO balances ({balance_columns}) VALUES ({', '.join('?' * len(BALANCE_COLUMNS))})"
    equity = [10_000.0 + 1_000 * account for account in range(ACCOUNTS)]
    connection.execute("BEGIN")
    snapshot_id = 0
    for hour in range(HOURS):
        at = start + timedelta(hours=hour)
        stamp = iso_millis(at)
        connection.execute("INSERT INTO runs (id, started_at, finished_at, command, balctl_version) "
                           "VALUES (?, ?, ?, 'all', 'bench')", (hour + 1, stamp, stamp))
        snapshots, balances = [], []
        for account in range(ACCOUNTS):
            snapshot_id += 1
            equity[account] *= 1 + rng.uniform(-0.004, 0.0041)
            snapshots.append((snapshot_id, hour + 1, f"acct{account:02d}", "okx", "trading",
                              iso_millis(at + timedelta(milliseconds=37 * account)),
                              f"{equity[account]:.8f}", "0", *([None] * 6), "USD", None))
            for index, asset in enumerate(ASSETS):
                total = f"{rng.uniform(0, 50) / (index + 1):.8f}"
                native = f'{{"currency":"{asset.lower()}","availableAmount":"{total}","frozenAmount":"0",' \
                         f'"borrowedAmount":"0","interestAmount":"0"}}'
                balances.append((snapshot_id, None, asset, total, total, "0", "0", "0", None, None, None, native))
        connection.executemany(snapshot_sql, snapshots)
        connection.executemany(balance_sql, balances)
    connection.execute("COMMIT")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.execute("ANALYZE")
    connection.close()
    return time.perf_counter() - started


def timed(argv: list[str], env: dict[str, str], expect: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child): on a shared, busy machine the wall clock
    also counts waiting for a core and the disk; the CPU time is the work itself."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0 or expect not in done.stdout:
        sys.exit(f"benchmark run failed ({done.returncode}): {' '.join(argv)}\n{done.stderr[-2000:]}")
    return elapsed, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def report_of_simulator_size() -> list[Snapshot]:
    """A run like `balctl all` over 20 accounts of 20 assets, for record_run in-process."""
    now = datetime.now(timezone.utc)
    rows = [Balance(asset, **{name: Decimal("1.23456789") for name in AMOUNT_FIELDS[:5]},
                    native={"currency": asset.lower(), "availableAmount": "1.23456789"}) for asset in ASSETS]
    return [Snapshot(f"acct{n:02d}", "okx", "trading", now, Summary(Decimal("12345.678"), Decimal(0), "USD"), rows)
            for n in range(ACCOUNTS)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="build the database at this path and leave it there")
    parser.add_argument("--reuse", action="store_true", help="with --keep: use the database already there")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="balctl-history-bench-"))
    path = options.keep or folder / "history.sqlite"
    try:
        run(path, folder, options.runs, options.reuse)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(path: Path, folder: Path, runs: int, reuse: bool) -> None:
    from balctl.simulator import Simulator

    end = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    if reuse and path.exists():
        print(f"reusing {path}")
    else:
        for old in path.parent.glob(path.name + "*"):
            old.unlink()
        seconds = build(path, end)
        size = path.stat().st_size
        print(f"built {HOURS:,} runs x {ACCOUNTS} accounts x {len(ASSETS)} assets = "
              f"{HOURS * ACCOUNTS * len(ASSETS):,} balance rows in {seconds:.1f} s; "
              f"file {size / 2**20:,.0f} MiB ({size / (HOURS * ACCOUNTS * len(ASSETS)):.0f} bytes per balance row)")

    env = {key: value for key, value in os.environ.items() if not key.startswith("BALCTL_")}
    env.update(COLUMNS="80", NO_COLOR="1", BALCTL_DB=str(path))
    balctl = [PYTHON, "-m", "balctl"]
    with Simulator(okx_assets=len(ASSETS)) as simulator:
        config = folder / "sim.yaml"
        config.write_text(_twenty_accounts(simulator))
        config.chmod(0o600)
        cases = {
            "balctl --version (baseline)": (balctl + ["--version"], "balctl"),
            "history --since 30d (table+chart)": (balctl + ["history", "--since", "30d"], "equity (USD)"),
            "history --since 30d -o json": (balctl + ["history", "--since", "30d", "-o", "json"], '"series"'),
            "history --field total --asset BTC --since 30d": (
                balctl + ["history", "--field", "total", "--asset", "BTC", "--since", "30d"], "total (BTC)"),
            "all -o json (20 accounts)": (balctl + ["all", "-c", str(config), "-o", "json"], '"accounts"'),
            "all -o json --record": (balctl + ["all", "-c", str(config), "-o", "json", "--record"], '"accounts"'),
        }
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
        for name, (argv, expect) in cases.items():  # warm the page cache and .pyc files
            timed(argv, env, expect)
        for _ in range(runs):  # interleaved: a busy moment hits every case alike
            for name, (argv, expect) in cases.items():
                times[name].append(timed(argv, env, expect))
    wall = {name: statistics.median(w for w, _ in values) for name, values in times.items()}
    cpu = {name: statistics.median(c for _, c in values) for name, values in times.items()}
    base = wall["balctl --version (baseline)"]
    print(f"\nmedian of {runs} interleaved rounds (subprocess; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores):")
    print(f"  {'':<48} {'wall':>8}      {'ratio':>5}   {'CPU':>8}")
    for name in times:
        print(f"  {name:<48} {wall[name] * 1000:5.0f} ms   {wall[name] / base:5.2f}x   {cpu[name] * 1000:5.0f} ms")
    added = wall["all -o json --record"] - wall["all -o json (20 accounts)"]
    added_cpu = cpu["all -o json --record"] - cpu["all -o json (20 accounts)"]
    print(f"  {'--record adds (difference of medians)':<48} {added * 1000:5.0f} ms            {added_cpu * 1000:5.0f} ms")

    snapshots = report_of_simulator_size()
    record_wall, record_cpu = [], []
    for _ in range(max(runs, 11)):
        started, used = time.perf_counter(), time.process_time()
        record_run(path, snapshots, command="bench", started_at=snapshots[0].fetched_at)
        record_wall.append(time.perf_counter() - started)
        record_cpu.append(time.process_time() - used)
    print(f"  {'record_run in-process, 20 accounts x 20 assets':<48} {statistics.median(record_wall) * 1000:5.0f} ms"
          f"            {statistics.median(record_cpu) * 1000:5.0f} ms   (median of {len(record_wall)}, fsync included)")
    size = path.stat().st_size + sum(p.stat().st_size for p in path.parent.glob(path.name + "-*"))
    print(f"\nfile size after the runs: {size / 2**20:,.0f} MiB")


def _twenty_accounts(simulator) -> str:
    """20 OKX profiles on the simulator's own key: 20 accounts fetched concurrently."""
    creds = simulator.credentials["okx"]
    lines = ["profiles:"]
    for n in range(ACCOUNTS):
        lines += [f"  acct{n:02d}:", "    exchange: okx", f"    api_key: {creds['api_key']}",
                  f"    api_secret: {creds['api_secret']}", f"    passphrase: {creds['passphrase']}",
                  f"    base_url: {simulator.base_url}"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
