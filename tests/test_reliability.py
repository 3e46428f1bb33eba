"""Reliability and security (issue 5; docs/contract.md, Reliability and security; Exit codes):
every fault the simulator can play, for each of the three exchanges.

Most runs are in-process (CliRunner) against the real simulator over real HTTP, with the
backoff sleeps recorded instead of slept (`no_sleep`): that keeps the suite fast and lets
the tests assert the exact delays (Retry-After honoured, exponential backoff). What only a
real process can show runs in one: a hanging server against the wall clock, Ctrl-C, a
closed stdout pipe, an uncaught exception's traceback.

XT is asked for one symbol (`--symbol BTC_USDT`) so that every run makes a known number of
requests; the two-symbol, concurrent path is covered end to end in test_e2e.py.
"""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from balctl.simulator import Fault, Simulator
from balctl.simulator.coinswitch import public_key_hex
from tests.helpers import ENV_PREFIXES, invoke, run_balctl
from tests.helpers import HEADER, csv_cells, expected

EXCHANGES = ("okx", "xt", "coinswitch")
COMMAND = {"okx": ["okx"], "xt": ["xt", "--symbol", "BTC_USDT"], "coinswitch": ["coinswitch"]}
SELECTION = {"okx": {}, "xt": {"symbols": ("BTC_USDT",)}, "coinswitch": {}}

REGION_HINT = ("hint: the key may belong to another OKX region: set base_url to https://eea.okx.com "
               "or https://my.okx.com")
CS_CREDENTIALS_HINT = ("hint: check api_key and api_secret in the profile, and the system clock "
                       "(CoinSwitch refuses an epoch more than 60 s off)")


def child_env(config: Path) -> dict[str, str]:
    """The environment of a balctl subprocess: this test's HOME, no BALCTL_* but the config."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(ENV_PREFIXES)}
    env["BALCTL_CONFIG"] = str(config)
    return env


def run(config: Path, exchange: str, *args: str):
    return invoke(*COMMAND[exchange], "-c", str(config), *args)


def balance_statuses(simulator) -> list[int]:
    return [entry.status for entry in simulator.log if entry.endpoint == "balance"]


def assert_sample_csv(stdout: str, exchange: str) -> None:
    """The whole, correct account: nothing lost or garbled by the fault it recovered from."""
    header, *lines = stdout.splitlines()
    assert header == HEADER
    rows = [row[1:] for row in csv.reader(lines)]
    assert rows == csv_cells(expected(exchange, **SELECTION[exchange]))


def assert_one_error(result, exchange: str, lines: list[str] | None = None, profile: str | None = None) -> None:
    """docs/contract.md, Exit codes: one `balctl: <exchange> (<profile>): ...` line, maybe one `hint:` line; no
    traceback; nothing on stdout. `lines`, when given, are the exact expected lines."""
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    got = result.stderr.splitlines()
    assert result.stderr.endswith("\n") and 1 <= len(got) <= 2, result.stderr
    assert got[0].startswith(f"balctl: {exchange} ({profile or exchange}): "), got
    if len(got) == 2:
        assert got[1].startswith("hint: ")
    if lines is not None:
        assert got == lines


@pytest.fixture
def closed_port():
    """A loopback port that refuses connections: bound (so nobody else takes it), not listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def write_profiles(simulator, path: Path, *replacements: tuple[str, str]) -> Path:
    text = simulator.profiles_yaml()
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new)
    path.write_text(text)
    path.chmod(0o600)
    return path


# --- faults balctl recovers from --------------------------------------------------------------

RECOVERED = [
    pytest.param(lambda: Fault("status", status=429, retry_after=1, times=2), [429, 429, 200], [1, 1],
                 id="429-retry-after-1-twice"),
    pytest.param(lambda: Fault("status", status=503, times=1), [503, 200], [(0.5, 0.75)], id="503-once"),
]


@pytest.mark.parametrize("exchange", EXCHANGES)
@pytest.mark.parametrize("make_fault, statuses, delays", RECOVERED)
def test_transient_faults_are_retried_and_recovered(simulator, sim_config, no_sleep, exchange,
                                                    make_fault, statuses, delays):
    fault = simulator.add_fault(make_fault(), exchange=exchange)
    result = run(sim_config, exchange, "-o", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert_sample_csv(result.stdout, exchange)
    assert fault.hits == len(statuses) - 1
    assert balance_statuses(simulator) == statuses
    assert simulator.log[-1].verified
    assert len(no_sleep) == len(delays)
    for slept, wanted in zip(no_sleep, delays):
        if isinstance(wanted, tuple):  # backoff from 0.5 s with up to 50 % jitter
            assert wanted[0] <= slept <= wanted[1]
        else:  # the server's Retry-After, exactly
            assert slept == wanted


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_latency_below_the_timeout_is_just_a_slow_answer(simulator, sim_config, no_sleep, exchange):
    simulator.add_fault(Fault("latency", seconds=0.25), exchange=exchange)
    started = time.monotonic()
    result = run(sim_config, exchange, "-o", "csv", "--timeout", "2")
    assert time.monotonic() - started >= 0.25
    assert (result.exit_code, result.stderr) == (0, "")
    assert_sample_csv(result.stdout, exchange)
    assert balance_statuses(simulator) == [200] and no_sleep == []


@pytest.mark.parametrize(
    "exchange, code, status",
    [("okx", "50011", 429), ("okx", "50001", 503), ("okx", "50026", 503), ("xt", "GATEWAY_ERROR", 200)],
)
def test_transient_exchange_codes_once_are_retried(simulator, sim_config, no_sleep, exchange, code, status):
    simulator.add_fault(Fault("error_code", code=code, times=1), exchange=exchange)
    result = run(sim_config, exchange, "-o", "csv")
    assert (result.exit_code, result.stderr) == (0, "")
    assert_sample_csv(result.stdout, exchange)
    assert [(e.status, e.code) for e in simulator.log if e.endpoint == "balance"][0] == (status, code)
    assert balance_statuses(simulator) == [status, 200]
    assert len(no_sleep) == 1 and 0.5 <= no_sleep[0] <= 0.75


@pytest.mark.parametrize("skew", [120, -120])
@pytest.mark.parametrize("exchange", EXCHANGES)
def test_a_skewed_server_clock_is_measured_and_the_request_signed_again(simulator, sim_config, exchange, skew):
    simulator.clock_skew = skew
    quiet = run(sim_config, exchange, "-o", "csv")
    assert (quiet.exit_code, quiet.stderr) == (0, "")  # silent without -v
    assert_sample_csv(quiet.stdout, exchange)
    entries = [(e.endpoint, e.status, e.verified) for e in simulator.log]
    refused = {"okx": 401, "xt": 200, "coinswitch": 401}[exchange]  # XT: AUTH_105 with HTTP 200
    assert entries == [("balance", refused, True), ("time", 200, False), ("balance", 200, True)]

    loud = run(sim_config, exchange, "-o", "csv", "-v")
    assert loud.exit_code == 0, loud.stderr
    assert_sample_csv(loud.stdout, exchange)
    match = re.search(rf"^\S+Z balctl: {exchange} \({exchange}\): {exchange} clock is ([+-]\d+) ms from ours; "
                      r"signing again with the corrected time$", loud.stderr, re.MULTILINE)
    assert match, loud.stderr
    assert abs(int(match.group(1)) - skew * 1000) < 2000


# --- faults that stay: the documented exit code, one line, quickly ------------------------------------

def same(line: str) -> dict[str, list[str]]:
    return {exchange: [line] for exchange in EXCHANGES}


PERMANENT = [
    pytest.param(lambda: Fault("status", status=503), 4, 3, {
        "okx": ["Service temporarily unavailable. Please try again later. [50001]"],
        "xt": ["XT answered with an error [GATEWAY_ERROR]"],
        "coinswitch": ["Service unavailable [503]"],
    }, id="5xx"),
    pytest.param(lambda: Fault("status", status=429), 4, 3, {
        "okx": ["Too Many Requests [50011]"],
        "xt": ["XT answered with an error [429]"],
        "coinswitch": ["Too many requests [429]",
                       "hint: CoinSwitch allows 20 wallet-balance requests per 60 s per key"],
    }, id="429"),
    pytest.param(lambda: Fault("html", status=200), 5, 1, same("HTTP 200: HTML page instead of JSON"),
                 id="html-200"),
    pytest.param(lambda: Fault("html", status=502), 4, 3, same("HTTP 502: exchange unavailable"),
                 id="html-502"),
    pytest.param(lambda: Fault("broken_json"), 5, 1, same("HTTP 200: truncated or malformed JSON"),
                 id="broken-json"),
    pytest.param(lambda: Fault("truncated"), 5, 1, same("HTTP 200: truncated or malformed JSON"),
                 id="truncated-json"),
    pytest.param(lambda: Fault("bad_shape"), 5, 1, {
        "okx": ["HTTP 200: unexpected response: 'data' is not a JSON array"],
        "xt": ["HTTP 200: unexpected response: 'result' is not a JSON object"],
        "coinswitch": ["HTTP 200: unexpected response: 'data' is not a JSON object"],
    }, id="bad-shape"),
    pytest.param(lambda: Fault("refuse"), 3, 1, {
        "okx": ["Invalid OK-ACCESS-KEY. [50111]", REGION_HINT],
        "xt": ["API key does not exist [AUTH_101]", "hint: check api_key in the profile: XT does not know this key"],
        "coinswitch": ["Invalid API key [401]", CS_CREDENTIALS_HINT],
    }, id="refused-credentials"),
]


def exact(exchange: str, lines: list[str], profile: str | None = None) -> list[str]:
    return [f"balctl: {exchange} ({profile or exchange}): {lines[0]}", *lines[1:]]


@pytest.mark.parametrize("exchange", EXCHANGES)
@pytest.mark.parametrize("make_fault, exit_code, attempts, messages", PERMANENT)
def test_permanent_faults_exit_with_the_spec_code(simulator, sim_config, no_sleep, exchange,
                                                  make_fault, exit_code, attempts, messages):
    simulator.add_fault(make_fault(), exchange=exchange)
    result = run(sim_config, exchange, "-o", "json")
    assert result.exit_code == exit_code, result.stderr
    assert_one_error(result, exchange, exact(exchange, messages[exchange]))
    assert len(balance_statuses(simulator)) == attempts  # retried only what may pass next time
    assert len(no_sleep) == attempts - 1
    if attempts == 3:
        assert 0.5 <= no_sleep[0] <= 0.75 and 1 <= no_sleep[1] <= 1.5


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_connection_refused_exits_4(simulator, tmp_path, no_sleep, closed_port, exchange):
    config = write_profiles(simulator, tmp_path / "closed.yaml",
                            (simulator.base_url, f"http://127.0.0.1:{closed_port}"))
    result = run(config, exchange)
    assert result.exit_code == 4
    assert_one_error(result, exchange, [
        f"balctl: {exchange} ({exchange}): cannot connect to 127.0.0.1:{closed_port}: connection refused",
        f"hint: is the exchange reachable from this machine? the profile's base_url is http://127.0.0.1:{closed_port}"])
    assert len(no_sleep) == 2  # three attempts
    assert simulator.log == []


def test_connection_refused_hint_masks_a_password_in_base_url(simulator, tmp_path, no_sleep, closed_port):
    """The hint names base_url, which may carry a proxy's `user:password@`: never shown."""
    config = write_profiles(simulator, tmp_path / "closed.yaml",
                            (simulator.base_url, f"http://user:s3cretPa55@127.0.0.1:{closed_port}/base"))
    result = run(config, "okx")
    assert result.exit_code == 4
    assert_one_error(result, "okx", [
        f"balctl: okx (okx): cannot connect to 127.0.0.1:{closed_port}: connection refused",
        f"hint: is the exchange reachable from this machine? the profile's base_url is "
        f"http://****@127.0.0.1:{closed_port}/base"])
    assert "s3cret" not in result.output


def test_a_hanging_server_with_timeout_1_exits_4_within_seconds(simulator, sim_config):
    """The three exchanges at once, each in its own process: 3 attempts x 1 s + backoff each."""
    simulator.add_fault(Fault("hang"))
    env = child_env(sim_config)
    started = time.monotonic()
    processes = {
        exchange: subprocess.Popen([sys.executable, "-m", "balctl", *COMMAND[exchange], "--timeout", "1"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for exchange in EXCHANGES
    }
    for exchange, process in processes.items():
        stdout, stderr = process.communicate(timeout=30)
        elapsed = time.monotonic() - started
        assert (exchange, process.returncode, stdout) == (exchange, 4, "")
        assert stderr == f"balctl: {exchange} ({exchange}): no answer within 1 s\n"
        assert 3 <= elapsed < 12, f"{exchange}: {elapsed:.1f} s"
    hung = [entry.exchange for entry in simulator.log if entry.fault == "hang"]
    assert sorted(hung) == sorted(EXCHANGES * 3)


# --- hints --------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "exchange, code, lines",
    [
        ("okx", "50119", ["API key doesn't exist. [50119]", REGION_HINT]),
        ("okx", "50111", ["Invalid OK-ACCESS-KEY. [50111]", REGION_HINT]),
        ("okx", "50110", ["Your IP is not in linking trusted IP addresses. [50110]",
                          "hint: add this machine's public IP address to the API key's IP whitelist on OKX"]),
        ("xt", "AUTH_104", ["request from an IP address not bound to this API key [AUTH_104]",
                            "hint: add this machine's public IP address to the API key's IP whitelist on XT"]),
    ],
)
def test_refusals_come_with_the_hint_that_fixes_them(simulator, sim_config, no_sleep, exchange, code, lines):
    simulator.add_fault(Fault("error_code", code=code), exchange=exchange)
    result = run(sim_config, exchange)
    assert result.exit_code == 3
    assert_one_error(result, exchange, exact(exchange, lines))
    assert len(balance_statuses(simulator)) == 1 and no_sleep == []


def test_a_demo_key_without_demo_true_gets_the_demo_hint(simulator, tmp_path):
    """No fault: the simulator refuses the demo key sent without x-simulated-trading: 1."""
    config = write_profiles(simulator, tmp_path / "p.yaml", ("demo: true", "demo: false"))
    result = invoke("okx", "-p", "okx-demo", "-c", str(config))
    assert result.exit_code == 3
    assert_one_error(result, "okx", [
        "balctl: okx (okx-demo): APIKey does not match current environment. [50101]",
        "hint: this key belongs to the other environment: set 'demo: true' for a demo-trading key "
        "(or false for a live one)",
    ], profile="okx-demo")
    assert [(e.status, e.code, e.verified) for e in simulator.log] == [(401, "50101", True)]


# --- secrets ------------------------------------------------------------------------------------

def secrets_of(simulator) -> list[str]:
    found = [creds[key] for creds in simulator.credentials.values()
             for key in ("api_secret", "passphrase") if key in creds]
    assert len(found) == 10 and all(len(secret) >= 16 for secret in found)
    return found


LEAK_ARGS = ("-v", "--raw", "-o", "json")
LEAK_CODES = {"okx": ["50011", "50001", "50026", "50119", "50111", "50110", "50102"],
              "xt": ["GATEWAY_ERROR", "AUTH_104", "AUTH_105", "AUTH_103"],
              "coinswitch": ["Invalid signature", "Request expired"]}
LEAK_MUST_SUCCEED = {"skew+120", "skew-120", "429-retry-after-1-twice", "503-once", "latency",
                     # answered once, then retried (rate limit, unavailable) or signed again (clock)
                     "50011-once", "50001-once", "50026-once", "50102-once", "GATEWAY_ERROR-once", "AUTH_105-once"}


def _leak_scenarios() -> list[Any]:
    """(exchange, scenario) pairs: every scenario above, verbose, with `--raw -o json`."""
    names = [param.id for param in RECOVERED] + ["latency"] + [param.id for param in PERMANENT]
    names += ["hang", "closed-port", "wrong-secret", "skew+120", "skew-120"]
    pairs = [(exchange, name) for exchange in EXCHANGES for name in names]
    pairs += [(exchange, f"{code}{suffix}") for exchange in EXCHANGES for code in LEAK_CODES[exchange]
              for suffix in ("-once", "-always")]
    pairs.append(("okx", "50101"))
    return [pytest.param(exchange, name, id=f"{exchange}-{name}") for exchange, name in pairs]


def _wrong_secret_file(simulator, tmp_path: Path, exchange: str) -> tuple[Path, str]:
    """Credentials the exchange refuses; their secret must not appear either."""
    creds = simulator.credentials[exchange]
    if exchange == "coinswitch":  # a seed that does not match its key never leaves the file: an unknown pair
        wrong = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"  # RFC 8032 test 1
        replacements = [(creds["api_secret"], wrong), (creds["api_key"], public_key_hex(wrong))]
    else:
        wrong = creds["api_secret"][:-1] + ("1" if creds["api_secret"][-1] != "1" else "2")
        replacements = [(creds["api_secret"], wrong)]
    return write_profiles(simulator, tmp_path / "w.yaml", *replacements), wrong


@pytest.mark.parametrize(("exchange", "scenario"), _leak_scenarios())
def test_no_secret_appears_in_any_output_of_any_scenario(simulator, sim_config, tmp_path, no_sleep,
                                                         closed_port, exchange, scenario):
    """Every scenario, verbose, with `--raw -o json` (which shows the exchange's untouched
    answers when the command succeeds): no secret of any profile, nor a refused one."""
    args: tuple[str, ...] = LEAK_ARGS
    config, wrong, fault = sim_config, None, None
    by_id = {param.id: param.values[0] for param in (*RECOVERED, *PERMANENT)}
    status = 401 if exchange == "coinswitch" else None
    if scenario in by_id:
        fault = by_id[scenario]()
    elif scenario == "latency":
        fault = Fault("latency", seconds=0.05)
    elif scenario == "hang":  # the smallest timeout balctl takes: the wall-clock bound is tested elsewhere
        args, fault = (*args, "--timeout", "0.1"), Fault("hang")
    elif scenario == "closed-port":
        config = write_profiles(simulator, tmp_path / "closed.yaml",
                                (simulator.base_url, f"http://127.0.0.1:{closed_port}"))
    elif scenario == "wrong-secret":
        config, wrong = _wrong_secret_file(simulator, tmp_path, exchange)
    elif scenario.startswith("skew"):
        simulator.clock_skew = int(scenario[4:])
    elif scenario == "50101":
        config = write_profiles(simulator, tmp_path / "d.yaml", ("demo: true", "demo: false"))
    else:
        code, _, times = scenario.rpartition("-")
        fault = Fault("error_code", code=code, status=status, times=1 if times == "once" else None)
    if fault is not None:
        simulator.add_fault(fault, exchange=exchange)
    if scenario == "50101":
        result = invoke("okx", "-p", "okx-demo", "-c", str(config), *args)
    else:
        result = run(config, exchange, *args)

    text = result.stdout + result.stderr
    assert "GET http://127.0.0.1:" in result.stderr  # -v really logged the requests
    assert "Traceback" not in text
    if scenario in LEAK_MUST_SUCCEED:
        assert result.exit_code == 0, result.stderr
        assert '"raw": [' in result.stdout
    else:
        assert result.exit_code != 0
    for hidden in [*secrets_of(simulator), *([wrong] if wrong else [])]:
        assert hidden not in text, hidden


def test_no_secret_leaves_a_real_process(simulator, sim_config):
    """The installed command, verbose, raw JSON, every account: a clock correction, a retry,
    a refusal. Captured at the file-descriptor level, so nothing can bypass the redaction."""
    simulator.clock_skew = 120
    simulator.add_fault(Fault("status", status=503, times=1), exchange="xt")
    simulator.add_fault(Fault("refuse"), api_key=simulator.credentials["okx-demo"]["api_key"])
    done = run_balctl("all", "-v", "--raw", "-o", "json", config=sim_config)
    assert done.returncode == 6, done.stderr
    document = json.loads(done.stdout)
    assert [a["profile"] for a in document["accounts"]] == ["okx", "xt", "coinswitch", "okx-margin", "okx-spot"]
    assert len(document["accounts"][0]["raw"]) == 1
    assert [e["profile"] for e in document["errors"]] == ["okx-demo"]
    assert "signing again with the corrected time" in done.stderr
    for hidden in secrets_of(simulator):
        assert hidden not in done.stdout + done.stderr


# --- bugs, Ctrl-C and closed pipes --------------------------------------------------------------

def test_an_unexpected_exception_is_one_line_and_exit_1(sim_config, monkeypatch):
    def boom(profile, *args, **kwargs):
        raise RuntimeError(f"boom for a key ending {profile.api_secret}")

    monkeypatch.setattr("balctl.fetch.fetch_snapshot", boom)
    result = invoke("okx", "-c", str(sim_config))
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == ("balctl: okx (okx): internal error: RuntimeError: boom for a key ending **** "
                             "(BALCTL_DEBUG=1 shows the traceback)\n")


CRASH = """\
import sys
import balctl.fetch


def boom(profile, *args, **kwargs):
    raise RuntimeError("boom for a key ending " + profile.api_secret)


balctl.fetch.fetch_snapshot = boom
sys.argv = ["balctl", "okx"]
from balctl.__main__ import main
main()
"""


@pytest.mark.parametrize("debug", ["", "1"])
def test_the_traceback_shows_only_with_balctl_debug_and_never_a_secret(simulator, sim_config, debug):
    env = {**child_env(sim_config), "BALCTL_DEBUG": debug}
    done = subprocess.run([sys.executable, "-c", CRASH], capture_output=True, text=True, env=env, timeout=30)
    assert (done.returncode, done.stdout) == (1, "")
    secret = simulator.credentials["okx"]["api_secret"]
    assert secret not in done.stderr
    if debug:
        assert done.stderr.startswith("Traceback (most recent call last):\n")
        assert 'in boom\n' in done.stderr
        assert done.stderr.endswith("RuntimeError: boom for a key ending ****\n")
    else:
        assert done.stderr == ("balctl: okx (okx): internal error: RuntimeError: boom for a key ending **** "
                               "(BALCTL_DEBUG=1 shows the traceback)\n")


def wait_for(predicate, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


@pytest.mark.parametrize(
    "args, fault, in_flight",
    [
        pytest.param(["all"], Fault("hang"), 7, id="waiting-on-the-exchanges"),  # XT: 2 requests
        pytest.param(["okx"], Fault("status", status=503), 1, id="backing-off-between-retries"),
    ],
)
def test_ctrl_c_exits_130_at_once(simulator, sim_config, args, fault, in_flight):
    simulator.add_fault(fault)
    env = child_env(sim_config)
    process = subprocess.Popen([sys.executable, "-m", "balctl", *args], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env)
    try:
        # every balance request has reached the simulator: balctl is now waiting (answer or backoff)
        wait_for(lambda: len([e for e in simulator.log if e.endpoint == "balance"]) >= in_flight)
        time.sleep(0.1)
        interrupted = time.monotonic()
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=5)
    finally:
        process.kill()
    assert time.monotonic() - interrupted < 2
    assert process.returncode == 130
    assert stdout == ""
    assert "Traceback" not in stderr and len(stderr.splitlines()) <= 1


@pytest.fixture
def big_simulator(tmp_path):
    """An OKX account with 1,000 currencies: output far larger than a pipe's buffer."""
    with Simulator(okx_assets=1000) as simulator:
        config = tmp_path / "big.yaml"
        config.write_text(simulator.profiles_yaml())
        config.chmod(0o600)
        yield simulator, config


def balctl_into_a_pipe(config: Path, args: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "balctl", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=child_env(config))


@pytest.mark.parametrize("args", [["okx", "-o", "csv"], ["all", "-o", "json"]], ids=" ".join)
def test_a_pipe_closed_before_the_output_is_a_quiet_exit_0(big_simulator, args):
    """The reader is gone before balctl writes (`balctl ... | true`): the first write fails
    with EPIPE, and balctl must leave quietly, not report an internal error."""
    simulator, config = big_simulator
    balctl = balctl_into_a_pipe(config, args)
    balctl.stdout.close()  # the only read end: balctl's stdout is now a pipe without a reader
    _, stderr = balctl.communicate(timeout=30)
    assert (balctl.returncode, stderr.decode()) == (0, "")
    assert [e.status for e in simulator.log if e.endpoint == "balance"]  # it did fetch, then write


def test_head_closing_the_pipe_after_one_line_is_a_quiet_exit_0(big_simulator):
    """`balctl okx -o csv | head -n 1` with 1,000 rows, far more than the pipe holds."""
    simulator, config = big_simulator
    balctl = balctl_into_a_pipe(config, ["okx", "-o", "csv"])
    head = subprocess.Popen(["head", "-n", "1"], stdin=balctl.stdout, stdout=subprocess.PIPE)
    balctl.stdout.close()  # head holds the only read end: when it exits, the pipe is closed
    first, _ = head.communicate(timeout=30)
    stderr = balctl.stderr.read().decode()
    assert balctl.wait(timeout=30) == 0, stderr
    assert stderr == ""
    assert first.decode() == HEADER + "\n"
    assert all(e.verified for e in simulator.log if e.endpoint == "balance")
