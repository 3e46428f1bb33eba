"""balctl performance against the bundled simulator, each target a ratio (issues 6 and 16).

    python3 -m venv /tmp/bench && /tmp/bench/bin/pip install '.[bench]'   # ccxt, for the comparison only
    /tmp/bench/bin/python benchmarks/bench.py [--runs 9]

Measure a regular install, as a user has it: an editable one (`pip install -e`, the test
venv) adds an import hook to every Python process of its environment, ccxt's and the
baselines' too, which narrows every ratio; the first line of the output says which it is.
balctl is timed as the `balctl` script pip installed, what a user types.

Every command runs as a real subprocess. The runs are interleaved: each round runs every
command once, back to back, so a busy shared machine slows a command and its baseline
alike; each timed run follows the same small untimed process (SETTLE). A time is the
median over rounds; a ratio is the median of the per-round ratios (command and baseline
from the same round). Peak memory is the process's own VmHWM, read at exit by a small
wrapper, in one extra run of each command. Every command runs from bytecode, as an
installed package does (pip compiles at install): PYTHONDONTWRITEBYTECODE is dropped and
the .pyc files go to a temporary PYTHONPYCACHEPREFIX, written by the warm-up round, so a
source checkout is not measured compiling itself on every run.

Targets (issue 16):
- one `balctl okx -o json` fetch at least 2.5x faster than ccxt's `okx.fetch_balance()`
  against the same simulator (markets not loaded; 3x is the stretch goal);
- `--help` at most 1.5x `python -c "import typer"`, `--version` under 0.5x;
- a completion answer (`--profile <TAB>`, 20-profile file) at most 1.5x `import typer`;
- peak memory of one fetch under 40 MB;
- `all` over 12 accounts with 300 ms latency each at most 1.2x one fetch with that latency;
- 1,000 OKX assets at most 0.3 s more than 5 (table, json, csv).
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from balctl.simulator import Fault, Simulator

PYTHON = sys.executable
LATENCY = 0.3
ALL_PROFILES = 12
COMPLETION_PROFILES = 20

PEAK_PROBE = (
    "import atexit, runpy, sys\n"
    "def report():\n"
    "    with open('/proc/self/status') as status:\n"
    "        sys.stderr.write(next(l for l in status if l.startswith('VmHWM')))\n"
    "atexit.register(report)\n"
    "kind, target = sys.argv[1], sys.argv[2]\n"
    "sys.argv = [target, *sys.argv[3:]]\n"
    "if kind == '-m':\n"
    "    runpy.run_module(target, run_name='__main__', alter_sys=True)\n"
    "elif kind == 'script':\n"
    "    runpy.run_path(target, run_name='__main__')\n"
    "else:\n"
    "    exec(compile(target, '<string>', 'exec'), {'__name__': '__main__'})\n"
)
"""Runs `python -m MODULE ...`, `python -c CODE ...` or an installed script (`script PATH ...`)
and prints the process's peak RSS at exit. VmHWM belongs to the process's own address space; `ru_maxrss` of a child would also
count the memory of the process that forked it."""

CCXT_FETCH = """\
import json, sys
import ccxt
base_url, api_key, secret, passphrase = sys.argv[1:5]
okx = ccxt.okx({"apiKey": api_key, "secret": secret, "password": passphrase})
okx.urls["api"] = {"rest": base_url}  # the simulator, signed with its own key
okx.markets = {}  # markets not loaded: fetch_balance() alone, one request
print(json.dumps(okx.fetch_balance()))
"""
"""ccxt's own way to read an OKX balance, as a user's script would do it."""

FLOOR_FETCH = """\
import base64, datetime, hashlib, hmac, json, sys
import requests, typer, yaml
path, name = sys.argv[1:3]
with open(path) as file:
    profile = yaml.safe_load(file)["profiles"][name]
target = "/api/v5/account/balance"
now = datetime.datetime.now(datetime.timezone.utc)
stamp = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
digest = hmac.new(profile["api_secret"].encode(), f"{stamp}GET{target}".encode(), hashlib.sha256)
headers = {"OK-ACCESS-KEY": profile["api_key"], "OK-ACCESS-PASSPHRASE": profile["passphrase"],
           "OK-ACCESS-TIMESTAMP": stamp, "OK-ACCESS-SIGN": base64.b64encode(digest.digest()).decode()}
answer = requests.get(profile["base_url"] + target, headers=headers, timeout=10)
answer.raise_for_status()
print(json.dumps(answer.json()))
"""
"""The floor the issue names: a script importing typer, pyyaml and requests that reads the
profile, signs, fetches and prints the JSON, with none of balctl's checks or parsing."""


@dataclass
class Case:
    """One command to time: its argv, extra environment, and what its stdout must contain."""

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    expect: str = ""
    times: list[float] = field(default_factory=list)
    peak_kib: int = 0

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def python_c(code: str, *args: str) -> list[str]:
    return [PYTHON, "-c", code, *args]


BALCTL_SCRIPT = Path(PYTHON).with_name("balctl")
"""The `balctl` command pip installed next to this Python: what a user types, so what is timed
(`python -m balctl` also pays for runpy, about 5 ms)."""


def balctl(*args: str) -> list[str]:
    if BALCTL_SCRIPT.is_file():
        return [str(BALCTL_SCRIPT), *args]
    return [PYTHON, "-m", "balctl", *args]


def install_kind() -> str:
    """How balctl is installed here. An editable install (`pip install -e`) adds an import hook
    to every Python process of the environment, ccxt's and the floor script's too: a constant
    that narrows every ratio. A user's `pip install .` has none."""
    try:
        direct = importlib.metadata.distribution("balctl").read_text("direct_url.json") or "{}"
    except importlib.metadata.PackageNotFoundError:
        return "not installed (run from the source tree)"
    editable = json.loads(direct).get("dir_info", {}).get("editable", False)
    command = "balctl script" if BALCTL_SCRIPT.is_file() else "python -m balctl (no balctl script found)"
    return f"{'editable install' if editable else 'regular install'}, timed as {command}"


def run_once(case: Case, env: dict[str, str]) -> float:
    """Wall seconds of one run; stops the benchmark if the command failed or said the wrong thing."""
    started = time.perf_counter()
    done = subprocess.run(case.argv, capture_output=True, env={**env, **case.env}, stdin=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    if done.returncode != 0 or case.expect.encode() not in done.stdout:
        raise SystemExit(f"{' '.join(case.argv[:4])} exited {done.returncode}, stdout "
                         f"{done.stdout[:200]!r}, stderr {done.stderr[-800:]!r}")
    return elapsed


def peak_kib(case: Case, env: dict[str, str]) -> int:
    """Peak resident memory of one run of the case, in KiB (through PEAK_PROBE)."""
    if case.argv[0] == PYTHON:
        kind, target, *rest = case.argv[1:]
    else:
        kind, target, rest = "script", case.argv[0], case.argv[1:]
    probe = [PYTHON, "-c", PEAK_PROBE, kind, target, *rest]
    done = subprocess.run(probe, capture_output=True, env={**env, **case.env}, text=True,
                          stdin=subprocess.DEVNULL)
    line = next((line for line in done.stderr.splitlines() if line.startswith("VmHWM")), None)
    return int(line.split()[1]) if line else 0


SETTLE = Case([PYTHON, "-c", "pass"])
"""Run, untimed, before every timed run: a process started right after one that ends with a
large heap (ccxt's 77 MB) measured ~20 ms slower on this kind of virtual machine, so every
timed run follows the same small process instead of whichever case came before it."""


def measure(cases: dict[str, Case], env: dict[str, str], runs: int) -> None:
    """Warm every case once, then `runs` rounds of each case once, interleaved; then peak memory."""
    for case in cases.values():
        run_once(case, env)  # page cache, .pyc files, the simulator's first answer
    for _ in range(runs):
        for case in cases.values():
            run_once(SETTLE, env)
            case.times.append(run_once(case, env))
    for case in cases.values():
        case.peak_kib = peak_kib(case, env)


def ratio(case: Case, baseline: Case) -> float:
    """Median over rounds of case time / baseline time (both from the same round)."""
    return statistics.median(mine / base for mine, base in zip(case.times, baseline.times))


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


def ccxt_version() -> str | None:
    try:
        return importlib.metadata.version("ccxt")
    except importlib.metadata.PackageNotFoundError:
        return None


def machine() -> str:
    """nproc, CPU model, Python, Typer and ccxt versions, date: what the README quotes."""
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    ccxt = ccxt_version()
    return (f"{datetime.date.today().isoformat()}; {len(os.sched_getaffinity(0))} cores ({model}); "
            f"{platform.python_implementation()} {platform.python_version()}, {platform.system()} "
            f"{platform.machine()}; typer {importlib.metadata.version('typer')}; "
            f"ccxt {ccxt if ccxt else 'not installed'}")


Row = tuple[str, Case | None, str, str, bool | None]
"""(what, case, ratio or delta text, target text, target met?)"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="rounds (default 9)")
    runs = parser.parse_args().runs
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("BALCTL_") and k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    have_ccxt = ccxt_version() is not None
    if not have_ccxt:
        print("ccxt is not installed: the ccxt comparison is skipped "
              "(pip install -e '.[bench]' to include it)", file=sys.stderr)

    with tempfile.TemporaryDirectory() as tmp, Simulator() as sim, Simulator(okx_assets=1000) as big, \
            Simulator() as slow:
        folder = Path(tmp)
        env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
        one = profile_file(folder, sim, copies=1)  # okx-0, xt, coinswitch: a realistic file
        large = profile_file(folder, big, copies=1)
        many = profile_file(folder, sim, copies=COMPLETION_PROFILES - 2)
        twelve = profile_file(folder, slow, copies=ALL_PROFILES - 2)
        slow.add_fault(Fault("latency", seconds=LATENCY))
        okx = sim.credentials["okx"]
        fetch_json = '"balances"'

        cases: dict[str, Case] = {
            "typer": Case(python_c("import typer")),
            "version": Case(balctl("--version"), expect="balctl "),
            "help": Case(balctl("--help"), expect="Usage"),
            "complete": Case(balctl(), expect="okx-17", env={
                "_BALCTL_COMPLETE": "complete_bash", "COMP_WORDS": "balctl okx --profile ",
                "COMP_CWORD": "3", "BALCTL_CONFIG": str(many)}),
            "fetch": Case(balctl("okx", "-p", "okx-0", "-o", "json", "-c", str(one)), expect=fetch_json),
            "floor": Case(python_c(FLOOR_FETCH, str(one), "okx-0"), expect='"details"'),
        }
        if have_ccxt:  # next to the fetch it is compared with: a ratio's two runs are neighbours
            cases["ccxt"] = Case(python_c(CCXT_FETCH, sim.base_url, okx["api_key"], okx["api_secret"],
                                          okx["passphrase"]), expect='"total"')
        cases |= {
            "slow": Case(balctl("okx", "-p", "okx-0", "-o", "json", "-c", str(twelve)), expect=fetch_json),
            "all": Case(balctl("all", "-o", "json", "-c", str(twelve)), expect='"accounts"'),
        }
        for fmt, marker in (("table", "okx"), ("json", fetch_json), ("csv", "profile")):
            cases[f"{fmt}-5"] = Case(balctl("okx", "-p", "okx-0", "-o", fmt, "-c", str(one)), expect=marker)
            cases[f"{fmt}-1000"] = Case(balctl("okx", "-p", "okx-0", "-o", fmt, "-c", str(large)), expect=marker)
        measure(cases, env, runs)

    c = cases
    fetch_mb = c["fetch"].peak_kib / 1024
    rows: list[Row] = [
        ("`python -c 'import typer'` (baseline)", c["typer"], "1.00x", "", None),
        ("`balctl --version`", c["version"], _x(ratio(c["version"], c["typer"])), "< 0.5x import typer",
         ratio(c["version"], c["typer"]) < 0.5),
        ("`balctl --help`", c["help"], _x(ratio(c["help"], c["typer"])), "<= 1.5x import typer",
         ratio(c["help"], c["typer"]) <= 1.5),
        (f"completion: `okx --profile <TAB>`, {COMPLETION_PROFILES} profiles", c["complete"],
         _x(ratio(c["complete"], c["typer"])), "<= 1.5x import typer", ratio(c["complete"], c["typer"]) <= 1.5),
    ]
    if have_ccxt:
        faster = ratio(c["ccxt"], c["fetch"])
        rows += [("ccxt `okx.fetch_balance()` (baseline)", c["ccxt"], "1.00x", "", None),
                 ("`balctl okx -o json`, one fetch", c["fetch"], f"{faster:.2f}x faster than ccxt",
                  ">= 2.5x faster (stretch 3x)", faster >= 2.5),
                 ("floor: typer+yaml+requests script", c["floor"],
                  f"{ratio(c['ccxt'], c['floor']):.2f}x faster than ccxt", "", None)]
    else:
        rows += [("ccxt `okx.fetch_balance()`: NOT INSTALLED", None, "pip install '.[bench]'", "", None),
                 ("`balctl okx -o json`, one fetch", c["fetch"], "(no ccxt baseline)", ">= 2.5x faster than ccxt", None),
                 ("floor: typer+yaml+requests script", c["floor"], "", "", None)]
    over_floor = ratio(c["fetch"], c["floor"])
    rows += [("one fetch against the floor script", c["fetch"], f"{over_floor:.2f}x the floor's time",
              "<= 1.1x (the issue: balctl's own work ~10% over it)", over_floor <= 1.1)]
    rows += [("peak memory of one fetch", c["fetch"], f"{fetch_mb:.1f} MB", "< 40 MB", fetch_mb < 40),
             (f"one fetch, {LATENCY * 1000:.0f} ms latency", c["slow"], "1.00x", "", None),
             (f"`balctl all`, {ALL_PROFILES} accounts, {LATENCY * 1000:.0f} ms each", c["all"],
              _x(ratio(c["all"], c["slow"])) + " one fetch", "<= 1.2x one fetch", ratio(c["all"], c["slow"]) <= 1.2)]
    for fmt in ("table", "json", "csv"):
        small, large_case = c[f"{fmt}-5"], c[f"{fmt}-1000"]
        extra = statistics.median(b - a for a, b in zip(small.times, large_case.times))
        rows += [(f"`okx -o {fmt}`, 5 assets", small, "", "", None),
                 (f"`okx -o {fmt}`, 1,000 assets", large_case, f"+{extra:.3f} s", "< +0.3 s", extra < 0.3)]

    print(f"balctl benchmarks, median of {runs} interleaved rounds: {machine()}")
    print(f"balctl: {install_kind()}")
    print()
    print("| what | median | peak RSS | ratio | target | |")
    print("| --- | ---: | ---: | --- | --- | --- |")
    for what, case, measured, target, met in rows:
        seconds = f"{case.median * 1000:.0f} ms" if case else "-"
        memory = f"{case.peak_kib / 1024:.1f} MB" if case and case.peak_kib else "-"
        verdict = "" if met is None else ("ok" if met else "MISSED")
        print(f"| {what} | {seconds} | {memory} | {measured} | {target} | {verdict} |")


def _x(value: float) -> str:
    return f"{value:.2f}x"


if __name__ == "__main__":
    main()
