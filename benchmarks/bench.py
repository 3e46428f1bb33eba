"""balctl performance, measured against the bundled simulator (issue 6).

    .venv/bin/python benchmarks/bench.py [--runs 7]

Every figure is the median of several runs of the real command in a subprocess, next to a
baseline measured in the same run on the same machine, so the ratios mean something even
on a busy or slow box. Peak memory is the process's own VmHWM, read at exit.
Targets: `--version` <= 1.3x `import typer`; `all` over 12 profiles with 300 ms latency each
<= 1.5x one fetch with the same latency; 1,000 assets <= 0.3 s more than 4 assets.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from balctl.simulator import Fault, Simulator

PYTHON = sys.executable
LATENCY = 0.3


PEAK_PROBE = (
    "import atexit, sys\n"
    "def report():\n"
    "    with open('/proc/self/status') as status:\n"
    "        sys.stderr.write(next(l for l in status if l.startswith('VmHWM')))\n"
    "atexit.register(report)\n"
    "sys.argv = ['balctl', *sys.argv[1:]]\n"
    "from balctl.__main__ import main\n"
    "main()\n"
)
"""Runs balctl and prints the process's peak RSS at exit. VmHWM belongs to the process's
own address space; `ru_maxrss` would also count the forking parent's memory."""


def run(argv: list[str], env: dict[str, str]) -> float:
    """Wall seconds of one run; fails loudly on a non-zero exit."""
    started = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.decode()}")
    return elapsed


def peak_kib(argv: list[str], env: dict[str, str]) -> int:
    """Peak resident memory of one balctl run (argv as for `balctl(...)`), in KiB."""
    probe = [PYTHON, "-c", PEAK_PROBE, *argv[3:]] if argv[1:3] == ["-m", "balctl"] else argv
    done = subprocess.run(probe, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True)
    line = next((l for l in done.stderr.splitlines() if l.startswith("VmHWM")), None)
    return int(line.split()[1]) if line else 0


def median(argv: list[str], env: dict[str, str], runs: int) -> tuple[float, int]:
    run(argv, env)  # warm the page cache and .pyc files
    seconds = statistics.median(run(argv, env) for _ in range(runs))
    return seconds, peak_kib(argv, env)


def balctl(*args: str) -> list[str]:
    return [PYTHON, "-m", "balctl", *args]


def profile_file(folder: Path, simulator: Simulator, copies: int) -> Path:
    """`copies` OKX profiles (the simulator's key under different names) + xt + coinswitch."""
    creds = simulator.credentials
    okx, xt, cs = creds["okx"], creds["xt"], creds["coinswitch"]
    lines = ["profiles:"]
    for index in range(copies):
        lines += [f"  okx-{index}:", "    exchange: okx", f"    api_key: {okx['api_key']}",
                  f"    api_secret: {okx['api_secret']}", f"    passphrase: {okx['passphrase']}",
                  f"    base_url: {simulator.base_url}"]
    lines += ["  xt:", "    exchange: xt", f"    api_key: {xt['api_key']}", f"    api_secret: {xt['api_secret']}",
              "    symbols: [BTC_USDT, ETH_USDT]", f"    base_url: {simulator.base_url}",
              "  coinswitch:", "    exchange: coinswitch", f"    api_key: {cs['api_key']}",
              f"    api_secret: {cs['api_secret']}", f"    base_url: {simulator.base_url}"]
    path = folder / f"profiles-{simulator.base_url.rsplit(':', 1)[1]}-{copies}.yaml"
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    env = {k: v for k, v in os.environ.items() if not k.startswith("BALCTL_")}
    rows: list[tuple[str, float, int, str]] = []

    typer_s, _ = median([PYTHON, "-c", "import typer"], env, runs)
    typer_kb = 0
    version_s, version_kb = median(balctl("--version"), env, runs)
    help_s, help_kb = median(balctl("--help"), env, runs)
    rows += [("python -c 'import typer' (baseline)", typer_s, typer_kb, ""),
             ("balctl --version", version_s, version_kb, f"{version_s / typer_s:.2f}x baseline (target <= 1.3x)"),
             ("balctl --help", help_s, help_kb, f"{help_s / typer_s:.2f}x baseline")]

    with tempfile.TemporaryDirectory() as tmp, Simulator() as sim, Simulator(okx_assets=1000) as big:
        folder = Path(tmp)
        one = profile_file(folder, sim, copies=1)
        fetch_s, fetch_kb = median(balctl("okx", "-p", "okx-0", "-o", "json", "-c", str(one)), env, runs)
        rows.append(("balctl okx -o json (one fetch)", fetch_s, fetch_kb, ""))

        sim.add_fault(Fault("latency", seconds=LATENCY))
        slow_s, slow_kb = median(balctl("okx", "-p", "okx-0", "-o", "json", "-c", str(one)), env, runs)
        twelve = profile_file(folder, sim, copies=10)
        all_s, all_kb = median(balctl("all", "-o", "json", "-c", str(twelve)), env, runs)
        rows += [(f"one fetch, {LATENCY * 1000:.0f} ms latency", slow_s, slow_kb, ""),
                 (f"balctl all, 12 profiles, {LATENCY * 1000:.0f} ms each", all_s, all_kb,
                  f"{all_s / slow_s:.2f}x one fetch (target <= 1.5x)")]
        sim.clear_faults()

        large = profile_file(folder, big, copies=1)
        for fmt in ("table", "json", "csv"):
            small_s, small_kb = median(balctl("okx", "-p", "okx-0", "-o", fmt, "-c", str(one)), env, runs)
            big_s, big_kb = median(balctl("okx", "-p", "okx-0", "-o", fmt, "-c", str(large)), env, runs)
            rows += [(f"okx -o {fmt}, {_assets(sim)} assets", small_s, small_kb, ""),
                     (f"okx -o {fmt}, 1,000 assets", big_s, big_kb,
                      f"+{big_s - small_s:.3f} s (target < 0.3 s)")]

    print(f"balctl benchmarks: median of {runs} runs; {platform.python_implementation()} "
          f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores, {platform.system()}")
    print()
    print(f"| {'what':<42} | {'median':>9} | {'peak RSS':>9} | {'':<40} |")
    print(f"| {'-' * 42} | {'-' * 9}: | {'-' * 9}: | {'-' * 40} |")
    for name, seconds, kb, note in rows:
        memory = f"{kb / 1024:6.1f} MB" if kb else "-"
        print(f"| {name:<42} | {seconds * 1000:7.0f} ms | {memory:>9} | {note:<40} |")


def _assets(simulator: Simulator) -> int:
    from balctl.simulator import accounts

    return len(accounts.okx_account()["details"])


if __name__ == "__main__":
    main()
